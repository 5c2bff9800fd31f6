/* json_buf writes the bytes jansson's compact dump writes: the list of
 * containers is streamed with it and must not change on the wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shared/json_buf.h"

static char *jansson_text(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	return s;
}

static void test_strings_as_jansson(void **state)
{
	(void)state;
	const char *cases[] = {"",
			       "plain",
			       "with \"quotes\"",
			       "back\\slash",
			       "tab\tnew\nline\rcr",
			       "\x01\x1f control",
			       "slash / and <html> & stuff",
			       "ünïcødé ✓ 😀",
			       "sh -c 'echo \"hi\"'"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf b = BUF_INIT;
		assert_int_equal(json_buf_str(&b, cases[i]), 0);
		char *want = jansson_text(json_string(cases[i]));
		assert_string_equal(b.data, want);
		free(want);
		buf_free(&b);
	}
	struct buf b = BUF_INIT;
	assert_int_equal(json_buf_str(&b, NULL), 0);
	assert_string_equal(b.data, "\"\"");
	buf_free(&b);
}

static void test_values_and_numbers(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	json_t *o = json_pack("{s:[i, s], s:{}, s:n, s:b}", "a", 1, "x\"y", "e", "n", "t", 1);
	assert_int_equal(json_buf_raw(&b, "["), 0);
	assert_int_equal(json_buf_value(&b, o), 0);
	assert_int_equal(json_buf_raw(&b, ","), 0);
	assert_int_equal(json_buf_value(&b, NULL), 0);
	assert_int_equal(json_buf_raw(&b, ","), 0);
	assert_int_equal(json_buf_int(&b, -9007199254740993LL), 0);
	assert_int_equal(json_buf_raw(&b, "]"), 0);
	json_t *all = json_pack("[O, n, I]", o, (json_int_t)-9007199254740993LL);
	char *want = jansson_text(all);
	assert_string_equal(b.data, want);
	free(want);
	json_decref(o);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strings_as_jansson),
	    cmocka_unit_test(test_values_and_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
