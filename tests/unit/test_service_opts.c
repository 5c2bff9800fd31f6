/* The shared service flags of berth's CLI: --publish, --network,
 * --placement-pref and --mount turned into the JSON the docker CLI sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/run_opts.h"
#include "cli/service_opts.h"

static void expect_json(json_t *got, const char *want)
{
	char *s = json_dumps(got, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(s, want);
	free(s);
}

static void expect_ports(const char *flag, const char *want)
{
	struct error err = ERROR_INIT;
	json_t *ports = json_array();
	assert_int_equal(service_opts_publish(flag, ports, &err), 0);
	expect_json(ports, want);
	json_decref(ports);
}

static void expect_port_error(const char *flag, const char *msg)
{
	struct error err = ERROR_INIT;
	json_t *ports = json_array();
	assert_true(service_opts_publish(flag, ports, &err) < 0);
	assert_string_equal(err.msg, msg);
	error_clear(&err);
	json_decref(ports);
}

static void test_publish(void **state)
{
	(void)state;
	expect_ports("8080:80", "[{\"Protocol\":\"tcp\",\"TargetPort\":80,\"PublishedPort\":8080,"
				"\"PublishMode\":\"ingress\"}]");
	expect_ports("53/udp",
		     "[{\"Protocol\":\"udp\",\"TargetPort\":53,\"PublishMode\":\"ingress\"}]");
	expect_ports("7000-7001:70-71",
		     "[{\"Protocol\":\"tcp\",\"TargetPort\":70,\"PublishedPort\":7000,"
		     "\"PublishMode\":\"ingress\"},{\"Protocol\":\"tcp\",\"TargetPort\":71,"
		     "\"PublishedPort\":7001,\"PublishMode\":\"ingress\"}]");
	expect_ports("published=9090,target=90,protocol=udp,mode=host",
		     "[{\"Protocol\":\"udp\",\"TargetPort\":90,\"PublishedPort\":9090,"
		     "\"PublishMode\":\"host\"}]");
	expect_ports("target=90",
		     "[{\"Protocol\":\"tcp\",\"TargetPort\":90,\"PublishMode\":\"ingress\"}]");
	expect_port_error("published=1", "missing mandatory field 'target'");
	expect_port_error(
	    "target=1,mode=bridge",
	    "invalid publish mode value (bridge): must be either 'ingress' or 'host'");
	expect_port_error("target=x1,published=2",
			  "invalid target port (x1): value must be an integer: invalid syntax");
	expect_port_error("target=1,foo=2", "invalid field key: foo");
	expect_port_error("127.0.0.1:80:80", "hostip is not supported");
}

static void test_network_and_pref(void **state)
{
	(void)state;
	struct error err = ERROR_INIT;
	json_t *n;
	assert_int_equal(service_opts_network("name=ov,alias=a,alias=b,driver-opt=k=v", &n, &err),
			 0);
	expect_json(n,
		    "{\"Target\":\"ov\",\"Aliases\":[\"a\",\"b\"],\"DriverOpts\":{\"k\":\"v\"}}");
	json_decref(n);
	assert_int_equal(service_opts_placement_pref("spread=node.labels.zone", &n, &err), 0);
	expect_json(n, "{\"Spread\":{\"SpreadDescriptor\":\"node.labels.zone\"}}");
	json_decref(n);
	assert_true(service_opts_placement_pref("spread", &n, &err) < 0);
	assert_string_equal(err.msg,
			    "placement preference must be of the format \"<strategy>=<arg>\"");
	error_clear(&err);
}

static void test_mount_volume_options(void **state)
{
	(void)state;
	struct error err = ERROR_INIT;
	json_t *m;
	assert_int_equal(
	    cli_parse_mount(
		"type=volume,src=v,dst=/d,volume-opt=o=1,volume-label=a=b,volume-nocopy", &m, &err),
	    0);
	expect_json(m, "{\"Type\":\"volume\",\"Source\":\"v\",\"Target\":\"/d\",\"VolumeOptions\":"
		       "{\"NoCopy\":true,\"Labels\":{\"a\":\"b\"},\"DriverConfig\":{\"Options\":"
		       "{\"o\":\"1\"}}}}");
	json_decref(m);
	assert_int_equal(
	    cli_parse_mount("type=tmpfs,dst=/t,tmpfs-size=1k,tmpfs-mode=700", &m, &err), 0);
	expect_json(m, "{\"Type\":\"tmpfs\",\"Target\":\"/t\",\"TmpfsOptions\":{\"SizeBytes\":1024,"
		       "\"Mode\":448}}");
	json_decref(m);
	assert_true(cli_parse_mount("type=bind,src=/a,dst=/b,volume-nocopy", &m, &err) < 0);
	assert_string_equal(err.msg, "cannot mix 'volume-*' options with mount type 'bind'");
	error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_publish),
	    cmocka_unit_test(test_network_and_pref),
	    cmocka_unit_test(test_mount_volume_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
