/* Unit tests of the detach key sequences: docker's spelling of the keys and
 * the matching of typed input, split across reads or not. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "shared/detach_keys.h"

static void test_parse(void **state)
{
	struct detach_keys k;
	assert_int_equal(detach_keys_parse(NULL, &k), 0);
	assert_int_equal(k.nkeys, 2);
	assert_int_equal(k.keys[0], 0x10);
	assert_int_equal(k.keys[1], 0x11);
	assert_int_equal(detach_keys_parse("a,ctrl-@,ctrl-[,ctrl-_,DEL", &k), 0);
	assert_int_equal(k.nkeys, 5);
	assert_memory_equal(k.keys, "a\0\x1b\x1f\x7f", 5);
	assert_int_equal(detach_keys_parse("ctrl-xx", &k), -EINVAL);
	assert_int_equal(detach_keys_parse("ab", &k), -EINVAL);
	assert_int_equal(detach_keys_parse("a,,b", &k), -EINVAL);
	assert_int_equal(detach_keys_parse("ctrl-A", &k), -EINVAL);
	assert_int_equal(detach_keys_parse("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", &k), -EINVAL);
}

static void test_filter(void **state)
{
	struct detach_keys k;
	assert_int_equal(detach_keys_parse(NULL, &k), 0);
	uint8_t out[64];
	bool detach;
	/* A broken sequence passes the held-back key on. */
	size_t n = detach_keys_filter(&k,
				      (const uint8_t *)"a\x10"
						       "b",
				      3, out, &detach);
	assert_false(detach);
	assert_int_equal(n, 3);
	assert_memory_equal(out,
			    "a\x10"
			    "b",
			    3);
	/* Split across reads: the held-back key is not passed on. */
	n = detach_keys_filter(&k, (const uint8_t *)"x\x10", 2, out, &detach);
	assert_int_equal(n, 1);
	assert_false(detach);
	n = detach_keys_filter(&k,
			       (const uint8_t *)"\x11"
						"after",
			       6, out, &detach);
	assert_int_equal(n, 0);
	assert_true(detach);
	/* A repeated first key restarts the match. */
	n = detach_keys_filter(&k, (const uint8_t *)"\x10\x10\x11", 3, out, &detach);
	assert_true(detach);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 0x10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse),
					   cmocka_unit_test(test_filter)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
