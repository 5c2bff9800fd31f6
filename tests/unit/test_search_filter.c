/* Tests of GET /images/search's filters: parsing with dockerd's messages and
 * their application to a registry's results. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image/search_filter.h"
#include "shared/filters.h"

static int parse(const char *json, struct search_filter *sf, struct error *err)
{
	struct filters *f = NULL;
	assert_int_equal(filters_parse(json, &f, err), 0);
	int r = search_filter_parse(f, sf, err);
	filters_free(f);
	return r;
}

static void parse_fails(const char *json, const char *msg)
{
	struct error err = ERROR_INIT;
	struct search_filter sf;
	assert_int_equal(parse(json, &sf, &err), -EINVAL);
	assert_string_equal(err.msg, msg);
	error_clear(&err);
}

static void test_parse(void **state)
{
	struct error err = ERROR_INIT;
	struct search_filter sf;
	assert_int_equal(parse("", &sf, &err), 0);
	assert_false(sf.automated || sf.has_official || sf.has_stars);
	assert_int_equal(
	    parse("{\"stars\":{\"3\":true,\"+10\":true,\"-4\":true},\"is-official\":{\"1\":true}}",
		  &sf, &err),
	    0);
	assert_true(sf.has_stars);
	assert_int_equal(sf.stars, 10);
	assert_true(sf.has_official && sf.official);
	assert_int_equal(parse("{\"stars\":{\"-4\":true}}", &sf, &err), 0);
	assert_int_equal(sf.stars, 0); /* dockerd starts from 0 */
	assert_int_equal(parse("{\"is-automated\":{\"true\":true}}", &sf, &err), 0);
	assert_true(sf.automated);

	parse_fails("{\"name\":{\"x\":true}}", "invalid filter 'name'");
	parse_fails("{\"stars\":{\"many\":true}}",
		    "invalid filter 'stars=many': strconv.Atoi: parsing \"many\": invalid syntax");
	parse_fails("{\"stars\":{\" 3\":true}}",
		    "invalid filter 'stars= 3': strconv.Atoi: parsing \" 3\": invalid syntax");
	parse_fails("{\"stars\":{\"99999999999999999999\":true}}",
		    "invalid filter 'stars=99999999999999999999': strconv.Atoi: parsing "
		    "\"99999999999999999999\": value out of range");
	parse_fails("{\"is-official\":{\"maybe\":true}}", "invalid filter 'is-official=[maybe]'");
}

static const char results[] =
    "[{\"name\":\"a\",\"star_count\":5,\"is_official\":true,\"is_automated\":true},"
    " {\"name\":\"b\",\"star_count\":1,\"is_official\":false},"
    " {\"name\":\"c\",\"star_count\":9}, 7]";

static char *names(const struct search_filter *sf)
{
	json_t *in = json_loads(results, 0, NULL);
	json_t *out = search_filter_apply(sf, in);
	assert_non_null(out);
	char buf[64] = "";
	size_t i;
	json_t *r;
	json_array_foreach(out, i, r)
	{
		assert_true(json_is_false(json_object_get(r, "is_automated")));
		strcat(buf, json_string_value(json_object_get(r, "name")));
	}
	json_decref(out);
	json_decref(in);
	return strdup(buf);
}

static void check(const char *json, const char *want)
{
	struct error err = ERROR_INIT;
	struct search_filter sf;
	assert_int_equal(parse(json, &sf, &err), 0);
	char *got = names(&sf);
	assert_string_equal(got, want);
	free(got);
}

static void test_apply(void **state)
{
	check("", "abc");
	check("{\"stars\":{\"5\":true}}", "ac");
	check("{\"is-official\":{\"true\":true}}", "a");
	check("{\"is-official\":{\"false\":true}}", "bc");
	check("{\"is-official\":{\"false\":true},\"stars\":{\"2\":true}}", "c");
	check("{\"is-automated\":{\"true\":true}}", "");
	check("{\"is-automated\":{\"false\":true}}", "abc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_apply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
