/* Tests of Docker's filters parameter: both JSON forms, errors, validation and
 * the matching helpers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shared/filters.h"

static struct filters *parse_ok(const char *json)
{
	struct error err = ERROR_INIT;
	struct filters *f = NULL;
	assert_int_equal(filters_parse(json, &f, &err), 0);
	assert_null(err.msg);
	assert_non_null(f);
	return f;
}

static void parse_fails(const char *json)
{
	struct error err = ERROR_INIT;
	struct filters *f = NULL;
	assert_int_equal(filters_parse(json, &f, &err), -EINVAL);
	assert_null(f);
	assert_int_equal(err.code, -EINVAL);
	assert_string_equal(err.msg, "invalid filter");
	error_clear(&err);
}

static void test_map_form(void **state)
{
	struct filters *f = parse_ok("{\"type\":{\"container\":true,\"image\":true},\"event\":{}}");
	assert_int_equal(filters_len(f), 2);
	assert_string_equal(filters_key_at(f, 0), "type");
	assert_string_equal(filters_key_at(f, 1), "event");
	assert_null(filters_key_at(f, 2));
	size_t n;
	const char *const *v = filters_values(f, "type", &n);
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "container");
	assert_string_equal(v[1], "image");
	assert_true(filters_has_key(f, "event"));
	assert_null(filters_values(f, "event", &n));
	assert_int_equal(n, 0);
	assert_true(filters_match_exact(f, "type", "image"));
	assert_false(filters_match_exact(f, "type", "volume"));
	/* a key without values does not filter */
	assert_true(filters_match_exact(f, "event", "start"));
	assert_true(filters_match_exact(f, "absent", "x"));
	filters_free(f);
}

static void test_legacy_form(void **state)
{
	struct filters *f = parse_ok("{\"type\":[\"container\",\"image\",\"container\"],\"x\":[]}");
	size_t n;
	const char *const *v = filters_values(f, "type", &n);
	assert_int_equal(n, 2); /* a set: the repeated value counts once */
	assert_string_equal(v[0], "container");
	assert_string_equal(v[1], "image");
	assert_true(filters_has_key(f, "x"));
	assert_false(filters_has_key(f, "y"));
	assert_true(filters_match_exact(f, "type", "container"));
	assert_false(filters_match_exact(f, "type", "network"));
	filters_free(f);
}

static void test_empty_and_null(void **state)
{
	const char *empties[] = {"", "{}", "null", " {} "};
	for (size_t i = 0; i < 4; i++) {
		struct filters *f = parse_ok(empties[i]);
		assert_int_equal(filters_len(f), 0);
		assert_true(filters_match_exact(f, "type", "anything"));
		filters_free(f);
	}
	struct filters *f = parse_ok(NULL);
	assert_int_equal(filters_len(f), 0);
	filters_free(f);
	/* null per key: present, without values, in either form */
	f = parse_ok("{\"a\":null,\"b\":[\"x\"]}");
	assert_true(filters_has_key(f, "a"));
	assert_true(filters_match_exact(f, "b", "x"));
	filters_free(f);
}

static void test_map_false_value(void **state)
{
	/* dockerd stores the bool and ExactMatch reads it */
	struct filters *f = parse_ok("{\"type\":{\"container\":false}}");
	assert_false(filters_match_exact(f, "type", "container"));
	assert_true(filters_match_fuzzy(f, "type", "container"));
	size_t n;
	filters_values(f, "type", &n);
	assert_int_equal(n, 1);
	filters_free(f);
}

static void test_bad_json(void **state)
{
	parse_fails("{");
	parse_fails("not json");
	parse_fails(" ");
	parse_fails("[]");
	parse_fails("\"type\"");
	parse_fails("42");
	parse_fails("{\"type\":\"container\"}");
	parse_fails("{\"type\":[1]}");
	parse_fails("{\"type\":{\"container\":1}}");
	parse_fails("{\"type\":{\"container\":\"true\"}}");
	/* mixing the two forms in one request */
	parse_fails("{\"a\":{\"x\":true},\"b\":[\"y\"]}");
	parse_fails("{\"a\":[\"x\"]} trailing");
}

static void test_validate(void **state)
{
	static const char *const allowed[] = {"type", "label", NULL};
	struct filters *f = parse_ok("{\"type\":[\"a\"],\"label\":[\"b\"]}");
	struct error err = ERROR_INIT;
	assert_int_equal(filters_validate(f, allowed, &err), 0);
	filters_free(f);

	f = parse_ok("{\"type\":[\"a\"],\"xyz\":[\"b\"]}");
	assert_int_equal(filters_validate(f, allowed, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid filter 'xyz'");
	error_clear(&err);
	filters_free(f);

	assert_int_equal(filters_validate(NULL, allowed, &err), 0);
}

static void test_fuzzy(void **state)
{
	struct filters *f = parse_ok("{\"container\":[\"abc\",\"web\"]}");
	assert_true(filters_match_fuzzy(f, "container", "abcdef0123"));
	assert_true(filters_match_fuzzy(f, "container", "web"));
	assert_true(filters_match_fuzzy(f, "container", "web-1"));
	assert_false(filters_match_fuzzy(f, "container", "ab"));
	assert_false(filters_match_fuzzy(f, "container", "myweb"));
	assert_false(filters_match_fuzzy(f, "container", NULL));
	assert_true(filters_match_fuzzy(f, "other", "x"));
	filters_free(f);
}

static void test_substring(void **state)
{
	struct filters *f = parse_ok("{\"name\":[\"web\",\"db\"]}");
	assert_true(filters_match_substring(f, "name", "myweb-1"));
	assert_true(filters_match_substring(f, "name", "db"));
	assert_false(filters_match_substring(f, "name", "cache"));
	assert_false(filters_match_substring(f, "name", NULL));
	assert_true(filters_match_substring(f, "driver", "anything"));
	filters_free(f);
}

static void test_labels(void **state)
{
	json_t *labels =
	    json_pack("{s:s, s:s, s:s}", "com.example.tier", "web", "env", "prod", "empty", "");
	struct filters *f = parse_ok("{\"label\":[\"env\"]}");
	assert_true(filters_match_label(f, "label", labels));
	filters_free(f);

	f = parse_ok("{\"label\":[\"env=prod\",\"com.example.tier\"]}");
	assert_true(filters_match_label(f, "label", labels));
	filters_free(f);

	/* all label filters must hold */
	f = parse_ok("{\"label\":{\"env=prod\":true,\"env=dev\":true}}");
	assert_false(filters_match_label(f, "label", labels));
	filters_free(f);

	f = parse_ok("{\"label\":[\"missing\"]}");
	assert_false(filters_match_label(f, "label", labels));
	filters_free(f);

	/* "k=" asks for an empty value, "k" only for presence */
	f = parse_ok("{\"label\":[\"empty=\"]}");
	assert_true(filters_match_label(f, "label", labels));
	filters_free(f);
	f = parse_ok("{\"label\":[\"env=\"]}");
	assert_false(filters_match_label(f, "label", labels));
	filters_free(f);

	/* value with '=' in it: split at the first one */
	json_t *eq = json_pack("{s:s}", "k", "a=b");
	f = parse_ok("{\"label\":[\"k=a=b\"]}");
	assert_true(filters_match_label(f, "label", eq));
	json_decref(eq);

	/* no labels at all fails a present filter, no filter passes anything */
	json_t *none = json_object();
	assert_false(filters_match_label(f, "label", none));
	assert_false(filters_match_label(f, "label", NULL));
	filters_free(f);
	f = parse_ok("");
	assert_true(filters_match_label(f, "label", none));
	assert_true(filters_match_label(f, "label", NULL));
	filters_free(f);
	json_decref(none);
	json_decref(labels);
}

static void test_get_bool(void **state)
{
	struct error err = ERROR_INIT;
	bool b = false;
	struct filters *f = parse_ok("{\"dangling\":[\"true\"],\"x\":[\"0\"],\"bad\":[\"yes\"],"
				     "\"both\":[\"1\",\"false\"],\"none\":[]}");
	assert_int_equal(filters_get_bool(f, "dangling", false, &b, &err), 0);
	assert_true(b);
	assert_int_equal(filters_get_bool(f, "x", true, &b, &err), 0);
	assert_false(b);
	assert_int_equal(filters_get_bool(f, "absent", true, &b, &err), 0);
	assert_true(b);
	assert_int_equal(filters_get_bool(f, "bad", true, &b, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid filter 'bad=[yes]'");
	error_clear(&err);
	assert_int_equal(filters_get_bool(f, "both", true, &b, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid filter 'both=[1 false]'");
	error_clear(&err);
	assert_int_equal(filters_get_bool(f, "none", true, &b, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid filter 'none'");
	error_clear(&err);
	filters_free(f);
}

static void test_build_and_encode(void **state)
{
	struct error err = ERROR_INIT;
	struct filters *f = filters_new();
	assert_non_null(f);
	char *s = filters_to_string(f);
	assert_string_equal(s, "");
	free(s);

	assert_int_equal(filters_add_arg(f, " Type = container ", &err), 0);
	assert_int_equal(filters_add_arg(f, "label=a=b", &err), 0);
	assert_int_equal(filters_add_arg(f, "type=image", &err), 0);
	assert_int_equal(filters_add_arg(f, "type=image", &err), 0);
	assert_int_equal(filters_add_arg(f, "", &err), 0);
	assert_int_equal(filters_add_arg(f, "novalue", &err), -EINVAL);
	assert_string_equal(err.msg, "bad format of filter (expected name=value)");
	error_clear(&err);
	assert_int_equal(filters_add(f, "event", "start"), 0);

	s = filters_to_string(f);
	assert_string_equal(s, "{\"event\":{\"start\":true},\"label\":{\"a=b\":true},"
			       "\"type\":{\"container\":true,\"image\":true}}");
	/* round trip */
	struct filters *g = parse_ok(s);
	char *s2 = filters_to_string(g);
	assert_string_equal(s, s2);
	free(s2);
	free(s);
	filters_free(g);

	json_t *j = filters_to_json(f);
	assert_true(json_is_true(json_object_get(json_object_get(j, "type"), "image")));
	json_decref(j);
	filters_free(f);
	filters_free(NULL);
}

static void test_until(void **state)
{
	struct error err = ERROR_INIT;
	const int64_t now = 1700000000LL * 1000000000LL;
	int64_t ns = -1;
	struct filters *f = filters_new();
	assert_int_equal(filters_get_until(f, now, &ns, &err), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(filters_add(f, "until", "10m"), 0);
	assert_int_equal(filters_get_until(f, now, &ns, &err), 0);
	assert_int_equal(ns, now - 600LL * 1000000000LL);
	assert_int_equal(filters_add(f, "until", "2023-11-14T22:13:20.5Z"), 0);
	assert_int_equal(filters_get_until(f, now, &ns, &err), -EINVAL);
	assert_string_equal(err.msg, "more than one until filter specified");
	error_clear(&err);
	filters_free(f);
	f = parse_ok("{\"until\":{\"2023-11-14T22:13:20.5Z\":true}}");
	assert_int_equal(filters_get_until(f, now, &ns, &err), 0);
	assert_int_equal(ns, now + 500000000LL);
	filters_free(f);
	f = parse_ok("{\"until\":{\"soon\":true}}");
	assert_int_equal(filters_get_until(f, now, &ns, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid filter 'until=soon'");
	error_clear(&err);
	filters_free(f);
}

static void test_add_turns_false_true(void **state)
{
	struct filters *f = parse_ok("{\"type\":{\"container\":false}}");
	assert_int_equal(filters_add(f, "type", "container"), 0);
	assert_true(filters_match_exact(f, "type", "container"));
	filters_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_map_form),
	    cmocka_unit_test(test_legacy_form),
	    cmocka_unit_test(test_empty_and_null),
	    cmocka_unit_test(test_map_false_value),
	    cmocka_unit_test(test_bad_json),
	    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_fuzzy),
	    cmocka_unit_test(test_substring),
	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_get_bool),
	    cmocka_unit_test(test_build_and_encode),
	    cmocka_unit_test(test_add_turns_false_true),
	    cmocka_unit_test(test_until),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
