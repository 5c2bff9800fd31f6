/* Generic resources: SwarmKit's parsing (and its messages), and the
 * scheduler's accounting: fit, claim, consume, and the variables a task's
 * container gets. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "shared/generic_resources.h"

static json_t *parse_ok(const char *const *terms, size_t n)
{
	struct error err = ERROR_INIT;
	json_t *list = NULL;
	int r = generic_resources_parse(terms, n, &list, &err);
	if (r < 0)
		fail_msg("parse: %s", error_msg(&err));
	return list;
}

static void assert_json(const char *want, json_t *got)
{
	char *text = json_dumps(got, JSON_COMPACT);
	assert_string_equal(want, text);
	free(text);
}

static void assert_refused(const char *const *terms, size_t n, const char *msg)
{
	struct error err = ERROR_INIT;
	json_t *list = NULL;
	assert_int_equal(-EINVAL, generic_resources_parse(terms, n, &list, &err));
	assert_null(list);
	assert_string_equal(msg, err.msg);
	error_clear(&err);
}

static void test_parse(void **state)
{
	(void)state;
	const char *const terms[] = {" gpu = UUID1", "ssd=3", "gpu=UUID2"};
	json_t *list = parse_ok(terms, 3);
	assert_json("[{\"NamedResourceSpec\":{\"Kind\":\"gpu\",\"Value\":\"UUID1\"}},"
		    "{\"NamedResourceSpec\":{\"Kind\":\"gpu\",\"Value\":\"UUID2\"}},"
		    "{\"DiscreteResourceSpec\":{\"Kind\":\"ssd\",\"Value\":3}}]",
		    list);
	assert_non_null(generic_resources_first_named(list));
	json_decref(list);
	const char *const counts[] = {"ssd=+2"};
	list = parse_ok(counts, 1);
	assert_json("[{\"DiscreteResourceSpec\":{\"Kind\":\"ssd\",\"Value\":2}}]", list);
	assert_null(generic_resources_first_named(list));
	json_decref(list);
	list = parse_ok(NULL, 0);
	assert_json("[]", list);
	json_decref(list);
}

static void test_parse_refusals(void **state)
{
	(void)state;
	const char *const no_eq[] = {"gpu"}, *const two_eq[] = {"a=b=c"},
			  *const negative[] = {"gpu=-1"}, *const mixed[] = {"gpu=1", "gpu=x"},
			  *const two_counts[] = {"gpu=1", "gpu=2"};
	assert_refused(no_eq, 1,
		       "could not parse GenericResource: incorrect term gpu, missing '=' or "
		       "malformed expression");
	assert_refused(two_eq, 1,
		       "could not parse GenericResource: incorrect term a=b=c, missing '=' or "
		       "malformed expression");
	assert_refused(negative, 1,
		       "could not parse GenericResource: cannot ask for negative resource gpu");
	assert_refused(mixed, 2,
		       "could not parse GenericResource: mixed discrete and named resources in "
		       "expression 'gpu=[1 x]'");
	assert_refused(two_counts, 2,
		       "could not parse GenericResource: mixed discrete and named resources in "
		       "expression 'gpu=[1 2]'");
}

static void test_fit_claim_consume(void **state)
{
	(void)state;
	const char *const node_terms[] = {"gpu=UUID1", "gpu=UUID2", "ssd=3"};
	const char *const one_each[] = {"gpu=1", "ssd=2"}, *const three_gpus[] = {"gpu=3"},
			  *const fpga[] = {"fpga=1"};
	json_t *avail = parse_ok(node_terms, 3), *want = parse_ok(one_each, 2);
	json_t *too_many = parse_ok(three_gpus, 1), *unknown = parse_ok(fpga, 1);
	assert_true(generic_resources_fit(avail, want));
	assert_false(generic_resources_fit(avail, too_many));
	assert_false(generic_resources_fit(avail, unknown));
	assert_false(generic_resources_fit(NULL, want));
	json_t *got = generic_resources_claim(avail, want);
	assert_json("[{\"NamedResourceSpec\":{\"Kind\":\"gpu\",\"Value\":\"UUID1\"}},"
		    "{\"DiscreteResourceSpec\":{\"Kind\":\"ssd\",\"Value\":2}}]",
		    got);
	generic_resources_consume(avail, got);
	assert_json("[{\"NamedResourceSpec\":{\"Kind\":\"gpu\",\"Value\":\"UUID2\"}},"
		    "{\"DiscreteResourceSpec\":{\"Kind\":\"ssd\",\"Value\":1}}]",
		    avail);
	/* One GPU and one ssd left: not enough for a second task. */
	assert_false(generic_resources_fit(avail, want));
	json_t *env = json_array();
	assert_int_equal(0, generic_resources_env(got, env));
	assert_json("[\"DOCKER_RESOURCE_GPU=UUID1\",\"DOCKER_RESOURCE_SSD=2\"]", env);
	json_decref(env);
	json_decref(got);
	json_decref(avail);
	json_decref(want);
	json_decref(too_many);
	json_decref(unknown);
}

/* Several names of one kind go into one variable, as dockerd's EnvFormat. */
static void test_env_joins_names(void **state)
{
	(void)state;
	const char *const terms[] = {"gpu=a", "gpu=b"};
	json_t *got = parse_ok(terms, 2), *env = json_array();
	assert_int_equal(0, generic_resources_env(got, env));
	assert_json("[\"DOCKER_RESOURCE_GPU=a,b\"]", env);
	json_decref(env);
	json_decref(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_parse_refusals),
	    cmocka_unit_test(test_fit_claim_consume),
	    cmocka_unit_test(test_env_joins_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
