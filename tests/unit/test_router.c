/* Route matching and API version prefixes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/router.h"
#include "shared/api_version.h"

static const struct route routes[] = {
	{HTTP_GET, "/_ping", (void *)1},
	{HTTP_GET, "/containers/{id}/json", (void *)2},
	{HTTP_POST, "/containers/{id}/start", (void *)3},
	{HTTP_GET, "/images/{name*}/json", (void *)4},
	{HTTP_DELETE, "/images/{name*}", (void *)5},
	{HTTP_GET, "/info", (void *)6},
};

static const struct route *match(enum http_method m, const char *path, struct route_match *rm)
{
	int r = router_match(routes, sizeof(routes) / sizeof(routes[0]), m, path, rm);
	return r == 0 ? rm->route : NULL;
}

static void test_exact_and_params(void **state)
{
	struct route_match m;
	assert_ptr_equal(match(HTTP_GET, "/_ping", &m)->handler, (void *)1);
	route_match_done(&m);
	assert_ptr_equal(match(HTTP_GET, "/containers/abc/json", &m)->handler, (void *)2);
	assert_string_equal(route_param(&m, "id"), "abc");
	assert_null(route_param(&m, "name"));
	route_match_done(&m);
	assert_ptr_equal(match(HTTP_POST, "/containers/x_1/start", &m)->handler, (void *)3);
	route_match_done(&m);
}

static void test_greedy_params(void **state)
{
	struct route_match m;
	assert_ptr_equal(match(HTTP_GET, "/images/library/busybox:1.36/json", &m)->handler,
			 (void *)4);
	assert_string_equal(route_param(&m, "name"), "library/busybox:1.36");
	route_match_done(&m);
	assert_ptr_equal(match(HTTP_DELETE, "/images/reg:5000/a/b", &m)->handler, (void *)5);
	assert_string_equal(route_param(&m, "name"), "reg:5000/a/b");
	route_match_done(&m);
	/* A name that is itself "json" still needs the /json suffix to match. */
	assert_ptr_equal(match(HTTP_GET, "/images/json/json", &m)->handler, (void *)4);
	assert_string_equal(route_param(&m, "name"), "json");
	route_match_done(&m);
}

static void test_misses(void **state)
{
	struct route_match m;
	size_t n = sizeof(routes) / sizeof(routes[0]);
	assert_int_equal(router_match(routes, n, HTTP_GET, "/nope", &m), -ENOENT);
	assert_int_equal(router_match(routes, n, HTTP_GET, "/info/", &m), -ENOENT);
	assert_int_equal(router_match(routes, n, HTTP_GET, "//info", &m), -ENOENT);
	assert_int_equal(router_match(routes, n, HTTP_GET, "/containers//json", &m), -ENOENT);
	/* Only DELETE /images/{name*} has this shape. */
	assert_int_equal(router_match(routes, n, HTTP_GET, "/images/json", &m), -EPERM);
	assert_int_equal(router_match(routes, n, HTTP_POST, "/info", &m), -EPERM);
	assert_int_equal(router_match(routes, n, HTTP_HEAD, "/_ping", &m), 0);
	route_match_done(&m);
}

static void test_version_split(void **state)
{
	char v[16];
	const char *rest;
	assert_true(api_version_split_path("/v1.41/info", v, sizeof(v), &rest));
	assert_string_equal(v, "1.41");
	assert_string_equal(rest, "/info");
	assert_false(api_version_split_path("/info", v, sizeof(v), &rest));
	assert_string_equal(rest, "/info");
	assert_false(api_version_split_path("/vabc/info", v, sizeof(v), &rest));
	assert_false(api_version_split_path("/v.1/info", v, sizeof(v), &rest));
	assert_false(api_version_split_path("/volumes", v, sizeof(v), &rest));
	assert_false(api_version_split_path("/v1.41111111111111111/x", v, sizeof(v), &rest));
	assert_true(api_version_split_path("/v1.24", v, sizeof(v), &rest));
	assert_string_equal(rest, "/");
}

static void test_version_compare(void **state)
{
	assert_int_equal(api_version_compare("1.41", "1.41"), 0);
	assert_true(api_version_compare("1.9", "1.41") < 0);
	assert_true(api_version_compare("1.43", "1.41") > 0);
	assert_true(api_version_compare("2.0", "1.41") > 0);
	assert_int_equal(api_version_compare("1", "1.0"), 0);
	assert_true(api_version_compare("1.24", API_VERSION_MIN) == 0);
	assert_true(api_version_compare("1.12", API_VERSION_MIN) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_and_params), cmocka_unit_test(test_greedy_params),
		cmocka_unit_test(test_misses),           cmocka_unit_test(test_version_split),
		cmocka_unit_test(test_version_compare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
