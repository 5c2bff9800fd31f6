/* Tests of the container body checks (src/engine/container_validate*.c)
 * that need no daemon: Go's type errors with their field paths, the
 * normalizations (string Cmd, cleaned paths), ranges of resources, the
 * fields that reach /etc files, and Go's path.Clean. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/container_validate.h"

/* Validates a create body without a daemon; returns the message or NULL. */
static char *create_error(const char *text, json_t **ret_body)
{
	json_t *body = json_loads(text, 0, NULL);
	assert_non_null(body);
	struct error err = ERROR_INIT;
	int r = container_validate_create(NULL, body, &err);
	char *msg = r < 0 ? strdup(error_msg(&err)) : NULL;
	if (r < 0)
		assert_int_equal(r, -EINVAL);
	error_clear(&err);
	if (ret_body)
		*ret_body = body;
	else
		json_decref(body);
	return msg;
}

static void expect_create_error(const char *text, const char *want)
{
	char *msg = create_error(text, NULL);
	if (!msg || !strstr(msg, want))
		fail_msg("body %s: got %s, want %s", text, msg ? msg : "(accepted)", want);
	free(msg);
}

static void expect_create_ok(const char *text)
{
	char *msg = create_error(text, NULL);
	if (msg)
		fail_msg("body %s refused: %s", text, msg);
}

static void test_type_errors_name_the_field(void **state)
{
	expect_create_error("{\"Cmd\":[\"echo\",null]}",
			    "invalid JSON: json: cannot unmarshal null into Go struct field "
			    "CreateRequest.Cmd of type string");
	expect_create_error("{\"HostConfig\":{\"Memory\":1.5}}",
			    "cannot unmarshal number 1.5 into Go struct field "
			    "CreateRequest.HostConfig.Memory of type int64");
	expect_create_error("{\"HostConfig\":{\"BlkioWeight\":-1}}",
			    "cannot unmarshal number -1 into Go struct field "
			    "CreateRequest.HostConfig.BlkioWeight of type uint16");
	expect_create_error("{\"HostConfig\":{\"Mounts\":[{\"Target\":5}]}}",
			    "cannot unmarshal number into Go struct field "
			    "CreateRequest.HostConfig.Mounts.Target of type string");
	expect_create_error("{\"Labels\":{\"a\":1}}", "CreateRequest.Labels of type string");
	expect_create_error(
	    "{\"NetworkingConfig\":{\"EndpointsConfig\":{\"n\":{\"Aliases\":\"x\"}}}}",
	    "cannot unmarshal string into Go struct field "
	    "CreateRequest.NetworkingConfig.EndpointsConfig.Aliases of type []string");
	expect_create_error("{\"HostConfig\":\"x\"}", "of type container.HostConfig");
}

static void test_null_fields_and_unknown_fields_pass(void **state)
{
	expect_create_ok("{\"Image\":\"bb\",\"Cmd\":null,\"HostConfig\":{\"Memory\":null,"
			 "\"Binds\":null},\"Whatever\":[1,{}]}");
	expect_create_ok("{\"Image\":\"bb\",\"HostConfig\":{\"NetworkMode\":\"none\","
			 "\"MemorySwappiness\":-1,\"PidsLimit\":-1,\"ConsoleSize\":[0,0]}}");
}

static void test_normalizes_string_lists_and_paths(void **state)
{
	json_t *body = NULL;
	char *msg = create_error("{\"Cmd\":\"echo hi\",\"WorkingDir\":\"/a/./b/../c/\","
				 "\"HostConfig\":{\"Binds\":[\"/src:/x/y/..:ro\"],"
				 "\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":\"/t//u/\"}]}}",
				 &body);
	assert_null(msg);
	assert_string_equal(json_string_value(json_array_get(json_object_get(body, "Cmd"), 0)),
			    "echo hi");
	assert_string_equal(json_string_value(json_object_get(body, "WorkingDir")), "/a/c");
	json_t *hc = json_object_get(body, "HostConfig");
	assert_string_equal(json_string_value(json_array_get(json_object_get(hc, "Binds"), 0)),
			    "/src:/x:ro");
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(hc, "Mounts"), 0), "Target")),
			    "/t/u");
	json_decref(body);
}

static void test_mount_targets(void **state)
{
	expect_create_error(
	    "{\"HostConfig\":{\"Binds\":[\"/tmp:/x/../../..\"]}}",
	    "invalid volume specification: '/tmp:/x/../../..': invalid mount config "
	    "for type \"bind\": invalid specification: destination can't be '/'");
	expect_create_error("{\"HostConfig\":{\"Binds\":[\"/tmp:rel\"]}}",
			    "mount path must be absolute");
	expect_create_error("{\"HostConfig\":{\"Binds\":[\"/tmp:ro\"]}}",
			    "invalid volume specification: '/tmp:ro'");
	expect_create_error(
	    "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"tmpfs\",\"Source\":\"/x\","
	    "\"Target\":\"/y\"}]}}",
	    "invalid mount config for type \"tmpfs\": field Source must not be specified");
	expect_create_ok("{\"HostConfig\":{\"Binds\":[\"named:/data:ro,z\"]}}");
}

static void test_injection_into_etc_files(void **state)
{
	expect_create_error("{\"HostConfig\":{\"Dns\":[\"1\\nnameserver 6.6.6.6\"]}}",
			    "ParseAddr(\"1\\nnameserver 6.6.6.6\")");
	expect_create_error("{\"HostConfig\":{\"ExtraHosts\":[\"a:1.2.3.4\\n5.6.7.8 x\"]}}",
			    "invalid IP address in add-host");
	expect_create_error("{\"Hostname\":\"a\\nb\"}", "invalid hostname \"a\\nb\"");
	expect_create_error("{\"HostConfig\":{\"DnsOptions\":[\"a b\"]}}", "invalid DNS option");
	expect_create_ok(
	    "{\"Hostname\":\"web-1.example\",\"Domainname\":\"example.com\","
	    "\"HostConfig\":{\"Dns\":[\"10.0.0.1\",\"::1\"],\"DnsSearch\":[\"example.com\"],"
	    "\"DnsOptions\":[\"ndots:2\"],\"ExtraHosts\":[\"db:10.0.0.2\","
	    "\"gw:host-gateway\",\"v6:::1\"]}}");
}

static void test_resources(void **state)
{
	expect_create_error("{\"HostConfig\":{\"OomScoreAdj\":-5000}}",
			    "Invalid value -5000, range for oom score adj is [-1000, 1000]");
	expect_create_error("{\"HostConfig\":{\"CpuShares\":-1}}", "invalid CPU shares (-1)");
	expect_create_error("{\"HostConfig\":{\"NanoCpus\":-1}}", "range of CPUs is from 0.01");
	expect_create_error("{\"HostConfig\":{\"Memory\":10485760,\"MemorySwap\":5}}",
			    "Minimum memoryswap limit should be larger than memory limit");
	expect_create_error("{\"HostConfig\":{\"CpusetCpus\":\"0-\"}}",
			    "Invalid value 0- for cpuset cpus");
	struct error err = ERROR_INIT;
	json_t *hc = json_loads("{\"MemorySwap\":20000000}", 0, NULL);
	assert_int_equal(container_validate_resources(hc, true, &err), 0);
	assert_int_equal(container_validate_resources(hc, false, &err), -EINVAL);
	error_clear(&err);
	json_decref(hc);
}

static void test_update_types(void **state)
{
	struct error err = ERROR_INIT;
	json_t *body = json_loads("{\"Memory\":\"1g\"}", 0, NULL);
	assert_int_equal(container_validate_update(body, &err), -EINVAL);
	assert_non_null(
	    strstr(error_msg(&err), "Go struct field UpdateConfig.Memory of type int64"));
	error_clear(&err);
	json_decref(body);
	body = json_loads("[]", 0, NULL);
	assert_int_equal(container_validate_update(body, &err), -EINVAL);
	assert_non_null(strstr(error_msg(&err), "into Go value of type UpdateConfig"));
	error_clear(&err);
	json_decref(body);
}

static void test_stored_config_types(void **state)
{
	struct error err = ERROR_INIT;
	json_t *cfg = json_loads("{\"Cmd\":[\"echo\",1]}", 0, NULL), *hc = json_object();
	assert_int_equal(container_validate_stored(cfg, hc, &err), -EINVAL);
	error_clear(&err);
	json_decref(cfg);
	cfg = json_loads("{\"Cmd\":[\"echo\"],\"Hostname\":\"odd\\nname\"}", 0, NULL);
	/* Only types: what an older berthd accepted otherwise still loads. */
	assert_int_equal(container_validate_stored(cfg, hc, &err), 0);
	json_decref(cfg);
	json_decref(hc);
}

static void clean(const char *in, const char *want)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", in);
	container_path_clean(buf);
	assert_string_equal(buf, want);
}

static void test_path_clean(void **state)
{
	clean("/", "/");
	clean("/x/../../..", "/");
	clean("/a/./b/../c/", "/a/c");
	clean("//a//b", "/a/b");
	clean("a/../..", "..");
	clean("../../x", "../../x");
	clean("a/b/../../c", "c");
	clean("", ".");
	clean("/..", "/");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_type_errors_name_the_field),
	    cmocka_unit_test(test_null_fields_and_unknown_fields_pass),
	    cmocka_unit_test(test_normalizes_string_lists_and_paths),
	    cmocka_unit_test(test_mount_targets),
	    cmocka_unit_test(test_injection_into_etc_files),
	    cmocka_unit_test(test_resources),
	    cmocka_unit_test(test_update_types),
	    cmocka_unit_test(test_stored_config_types),
	    cmocka_unit_test(test_path_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
