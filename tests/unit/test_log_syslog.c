/* Tests of the syslog and gelf log drivers' options (src/engine/log_syslog.c,
 * log_gelf.c) and of the log tag template (container_log.c), as dockerd
 * reads them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/container.h"
#include "engine/log_gelf.h"
#include "engine/log_syslog.h"

/* NULL when the options pass; else the message. */
static char *opts_error(const char *config, bool *cached, uint64_t *size, unsigned *files)
{
	json_t *lc =
	    json_pack("{s:s,s:o}", "Type", "syslog", "Config", json_loads(config, 0, NULL));
	assert_non_null(lc);
	struct error err = ERROR_INIT;
	uint64_t s;
	unsigned f;
	bool c;
	int r =
	    log_syslog_opts(lc, size ? size : &s, files ? files : &f, cached ? cached : &c, &err);
	char *msg = r < 0 ? strdup(error_msg(&err)) : NULL;
	error_clear(&err);
	json_decref(lc);
	return msg;
}

static void expect_error(const char *config, const char *want)
{
	char *msg = opts_error(config, NULL, NULL, NULL);
	if (!msg || strcmp(msg, want) != 0)
		fail_msg("%s: got %s, want %s", config, msg ? msg : "(accepted)", want);
	free(msg);
}

static void test_syslog_opts_accepted(void **state)
{
	(void)state;
	bool cached;
	uint64_t size;
	unsigned files;
	assert_null(opts_error("{}", &cached, &size, &files));
	assert_true(cached);
	assert_int_equal(size, 20 * 1024 * 1024); /* the local driver's defaults */
	assert_int_equal(files, 5);
	assert_null(
	    opts_error("{\"syslog-address\":\"udp://10.0.0.1\",\"syslog-facility\":\"local7\","
		       "\"syslog-format\":\"rfc5424micro\",\"tag\":\"{{.Name}}\","
		       "\"cache-max-size\":\"1k\",\"cache-max-file\":\"2\","
		       "\"cache-disabled\":\"True\",\"labels\":\"a\",\"env\":\"B\"}",
		       &cached, &size, &files));
	assert_false(cached);
	assert_int_equal(size, 1024);
	assert_int_equal(files, 2);
	assert_null(
	    opts_error("{\"syslog-address\":\"tcp://[::1]:601\",\"syslog-facility\":\"23\"}", NULL,
		       NULL, NULL));
	assert_null(opts_error("{\"syslog-address\":\"unixgram:///\"}", NULL, NULL, NULL));
}

static void test_syslog_opts_refused(void **state)
{
	(void)state;
	expect_error("{\"colour\":\"red\"}", "unknown log opt 'colour' for syslog log driver");
	expect_error("{\"max-size\":\"1m\"}", "unknown log opt 'max-size' for syslog log driver");
	expect_error("{\"syslog-facility\":\"24\"}", "invalid syslog facility");
	expect_error("{\"syslog-facility\":\"-1\"}", "invalid syslog facility");
	expect_error("{\"syslog-facility\":\"3x\"}", "invalid syslog facility");
	expect_error("{\"syslog-format\":\"RFC5424\"}", "Invalid syslog format");
	expect_error("{\"syslog-address\":\"http://h:1\"}", "unsupported scheme: 'http'");
	expect_error("{\"syslog-address\":\"localhost\"}", "unsupported scheme: ''");
	expect_error("{\"syslog-address\":\"h:514\"}",
		     "parse \"h:514\": first path segment in URL cannot contain colon");
	expect_error("{\"syslog-address\":\"unix:///nonexistent/sock\"}",
		     "stat /nonexistent/sock: no such file or directory");
	expect_error("{\"cache-disabled\":\"yes\"}",
		     "invalid value for option cache-disabled: yes");
	expect_error("{\"cache-max-size\":\"big\"}", "invalid size: 'big'");
	expect_error("{\"tag\":1}", "log opt 'tag' must be a string");
}

/* The shim's address: 514 when no port is given. */
static void test_syslog_shim_address(void **state)
{
	(void)state;
	struct container c = {.name = "/web", .image_id = "sha256:0123456789abcdef0123"};
	memset(c.id, 'a', sizeof(c.id) - 1);
	c.config = json_pack("{s:s}", "Image", "busybox:1");
	const char *cases[][3] = {
	    {"udp://10.1.2.3", "udp", "10.1.2.3:514"}, {"tcp://h:601", "tcp", "h:601"},
	    {"tcp://[::1]", "tcp", "[::1]:514"},       {"udp://[fe80::1]:9", "udp", "[fe80::1]:9"},
	    {"unixgram:///", "unixgram", "/"},	       {"", "local", ""}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *lc = json_pack("{s:{s:s,s:s}}", "Config", "syslog-address", cases[i][0],
				       "syslog-facility", "local0");
		struct log_syslog_args a;
		struct error err = ERROR_INIT;
		assert_int_equal(log_syslog_shim_args(&c, lc, &a, &err), 0);
		assert_string_equal(a.proto, cases[i][1]);
		assert_string_equal(a.addr, cases[i][2]);
		assert_string_equal(a.facility, "128");
		assert_string_equal(a.tag, "aaaaaaaaaaaa");
		log_syslog_args_done(&a);
		json_decref(lc);
	}
	json_decref(c.config);
}

/* json-file and local sizes, as dockerd's (a fuzzer found the overflow). */
static void test_file_sizes(void **state)
{
	(void)state;
	const char *cases[][3] = {
	    {"json-file", "1k", NULL},
	    {"json-file", "0", "max-size must be a positive number"},
	    {"json-file", "0.4", "max-size must be a positive number"},
	    {"local", "5000000000000000000000m", "max-size must be a positive number"},
	    {"json-file", "9.3e18", "max-size must be a positive number"},
	    {"json-file", "lots", "invalid size: 'lots'"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *hc = json_pack("{s:{s:s,s:{s:s}}}", "LogConfig", "Type", cases[i][0],
				       "Config", "max-size", cases[i][1]);
		struct error err = ERROR_INIT;
		uint64_t size = 0;
		unsigned files;
		int r = container_log_opts(hc, &size, &files, &err);
		if (cases[i][2])
			assert_string_equal(error_msg(&err), cases[i][2]);
		else
			assert_true(r == 0 && size == 1024);
		error_clear(&err);
		json_decref(hc);
	}
}

static char *gelf_error(const char *config)
{
	json_t *lc = json_pack("{s:s,s:o}", "Type", "gelf", "Config", json_loads(config, 0, NULL));
	struct error err = ERROR_INIT;
	uint64_t s;
	unsigned f;
	bool c;
	char *msg = log_gelf_opts(lc, &s, &f, &c, &err) < 0 ? strdup(error_msg(&err)) : NULL;
	error_clear(&err);
	json_decref(lc);
	return msg;
}

static void test_gelf_opts(void **state)
{
	(void)state;
	const char *cases[][2] = {
	    {"{\"gelf-address\":\"udp://h:12201\",\"gelf-compression-type\":\"zlib\","
	     "\"gelf-compression-level\":\"-1\",\"tag\":\"t\",\"cache-disabled\":\"1\"}",
	     NULL},
	    {"{\"gelf-address\":\"tcp://[::1]:1\",\"gelf-tcp-max-reconnect\":\"0\","
	     "\"gelf-tcp-reconnect-delay\":\"5\"}",
	     NULL},
	    {"{}", "gelf-address is a required parameter"},
	    {"{\"gelf-address\":\"h:1\"}",
	     "parse \"h:1\": first path segment in URL cannot contain colon"},
	    {"{\"gelf-address\":\"unix:///x\"}", "gelf: endpoint needs to be TCP or UDP"},
	    {"{\"gelf-address\":\"udp://h\"}",
	     "gelf: please provide gelf-address as proto://host:port"},
	    {"{\"gelf-address\":\"udp://a:b:c\"}",
	     "gelf: please provide gelf-address as proto://host:port"},
	    {"{\"gelf-address\":\"tcp://h:1\",\"gelf-compression-level\":\"1\"}",
	     "compression is only supported on UDP"},
	    {"{\"gelf-address\":\"udp://h:1\",\"gelf-compression-type\":\"lz4\"}",
	     "unknown value \"lz4\" for log opt \"gelf-compression-type\" for gelf log driver"},
	    {"{\"gelf-address\":\"udp://h:1\",\"gelf-compression-level\":\"-2\"}",
	     "unknown value \"-2\" for log opt \"gelf-compression-level\" for gelf log driver"},
	    {"{\"gelf-address\":\"tcp://h:1\",\"gelf-tcp-reconnect-delay\":\"-1\"}",
	     "\"gelf-tcp-reconnect-delay\" must be a positive integer"},
	    {"{\"gelf-address\":\"udp://h:1\",\"syslog-address\":\"x\"}",
	     "unknown log opt \"syslog-address\" for gelf log driver"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *msg = gelf_error(cases[i][0]);
		if (cases[i][1] ? !msg || strcmp(msg, cases[i][1]) : msg != NULL)
			fail_msg("%s: got %s, want %s", cases[i][0], msg ? msg : "(accepted)",
				 cases[i][1] ? cases[i][1] : "(accepted)");
		free(msg);
	}
}

/* The fields berthd gives the shim: dockerd's, labels and env asked for. */
static void test_gelf_extra(void **state)
{
	(void)state;
	struct container c = {.name = "/web", .image_id = "sha256:0123", .created_ns = 1000000000};
	memset(c.id, 'c', sizeof(c.id) - 1);
	c.config = json_pack("{s:s,s:[s],s:[s,s,s],s:{s:s,s:s}}", "Image", "img", "Cmd", "true",
			     "Env", "A=1", "B=2=3", "C", "Labels", "team", "x", "_raw", "y");
	json_t *lc = json_pack("{s:{s:s,s:s,s:s}}", "Config", "gelf-address", "udp://h:9", "labels",
			       "team,_raw,none", "env-regex", "^B");
	struct log_gelf_args a;
	struct error err = ERROR_INIT;
	assert_int_equal(log_gelf_shim_args(&c, lc, &a, &err), 0);
	assert_string_equal(a.proto, "udp");
	assert_string_equal(a.addr, "h:9");
	assert_string_equal(a.compress, "gzip");
	assert_string_equal(a.level, "1");
	json_t *extra = json_loads(a.extra, 0, NULL);
	assert_non_null(extra);
	const char *want[][2] = {{"_container_name", "web"},
				 {"_image_id", "sha256:0123"},
				 {"_image_name", "img"},
				 {"_command", "true"},
				 {"_tag", "cccccccccccc"},
				 {"_team", "x"},
				 {"_raw", "y"},
				 {"_B", "2=3"},
				 {"_created", "1970-01-01T00:00:01Z"}};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(json_string_value(json_object_get(extra, want[i][0])),
				    want[i][1]);
	assert_null(json_object_get(extra, "_A"));
	assert_int_equal(json_object_size(extra), 10);
	json_decref(extra);
	log_gelf_args_done(&a);
	json_decref(lc);
	json_decref(c.config);
}

/* dockerd's mergeAndVerifyLogConfig. */
static void expect_merge(const char *defaults, const char *body, const char *want)
{
	json_t *d = defaults ? json_loads(defaults, 0, NULL) : NULL;
	json_t *b = json_loads(body, 0, NULL);
	assert_int_equal(container_log_config_merge(d, b), 0);
	char *got = json_dumps(json_object_get(json_object_get(b, "HostConfig"), "LogConfig"),
			       JSON_COMPACT | JSON_SORT_KEYS);
	if (strcmp(got, want) != 0)
		fail_msg("%s + %s: got %s, want %s", defaults ? defaults : "(none)", body, got,
			 want);
	free(got);
	json_decref(d);
	json_decref(b);
}

static void test_log_config_merge(void **state)
{
	(void)state;
	const char *dflt = "{\"Type\":\"local\",\"Config\":{\"max-size\":\"1m\","
			   "\"cache-disabled\":\"true\"}}";
	expect_merge(NULL, "{}", "{\"Config\":{},\"Type\":\"json-file\"}");
	expect_merge(NULL, "{\"HostConfig\":{\"LogConfig\":{\"Type\":\"\",\"Config\":null}}}",
		     "{\"Config\":{},\"Type\":\"json-file\"}");
	expect_merge(dflt, "{\"HostConfig\":{}}",
		     "{\"Config\":{\"cache-disabled\":\"true\",\"max-size\":\"1m\"},\"Type\":"
		     "\"local\"}");
	expect_merge(dflt, "{\"HostConfig\":{\"LogConfig\":{\"Config\":{\"max-size\":\"2m\"}}}}",
		     "{\"Config\":{\"cache-disabled\":\"true\",\"max-size\":\"2m\"},\"Type\":"
		     "\"local\"}");
	/* Another driver: only the cache's options come along. */
	expect_merge(dflt, "{\"HostConfig\":{\"LogConfig\":{\"Type\":\"syslog\"}}}",
		     "{\"Config\":{\"cache-disabled\":\"true\"},\"Type\":\"syslog\"}");
	/* Wrong types are the checks' to report. */
	expect_merge(dflt, "{\"HostConfig\":{\"LogConfig\":{\"Type\":5,\"Config\":[]}}}",
		     "{\"Config\":[],\"Type\":5}");
}

/* docker logs --details: json-file's attributes, sorted and query-escaped. */
static void test_log_details(void **state)
{
	(void)state;
	struct container c = {.name = "/web", .image_id = "sha256:0123"};
	memset(c.id, 'd', sizeof(c.id) - 1);
	c.config = json_pack("{s:s,s:[s,s],s:{s:s,s:s}}", "Image", "img", "Env", "Z=a,b&c", "A=1",
			     "Labels", "b l", "x/y", "a", "2");
	const char *cases[][2] = {
	    {"{\"Type\":\"json-file\",\"Config\":{\"labels\":\"a,b l\",\"env\":\"Z\","
	     "\"tag\":\"{{.Name}}\"}}",
	     "Z=a%2Cb%26c,a=2,b+l=x%2Fy,tag=web"},
	    {"{\"Type\":\"json-file\",\"Config\":{}}", ""},
	    {"{\"Type\":\"local\",\"Config\":{\"labels\":\"a\"}}", ""},
	    {"{\"Config\":{\"env-regex\":\"^A\"}}", "A=1"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c.host_config = json_pack("{s:o}", "LogConfig", json_loads(cases[i][0], 0, NULL));
		char *d = NULL;
		struct error err = ERROR_INIT;
		assert_int_equal(container_log_details(&c, &d, &err), 0);
		assert_string_equal(d, cases[i][1]);
		free(d);
		json_decref(c.host_config);
	}
	json_decref(c.config);
}

static void expect_tag(const struct container *c, const char *tmpl, const char *want)
{
	char *tag = NULL;
	struct error err = ERROR_INIT;
	int r = container_log_tag(c, tmpl, &tag, &err);
	if (r < 0 || strcmp(tag, want) != 0)
		fail_msg("%s: got %s, want %s", tmpl ? tmpl : "(none)",
			 r < 0 ? error_msg(&err) : tag, want);
	free(tag);
	error_clear(&err);
}

static void test_log_tag(void **state)
{
	(void)state;
	struct container c = {.name = "/web", .image_id = "sha256:0123456789abcdef0123"};
	memset(c.id, 'b', sizeof(c.id) - 1);
	c.config = json_pack("{s:s,s:[s],s:[s,s]}", "Image", "busybox:1", "Entrypoint", "sh", "Cmd",
			     "-c", "true");
	expect_tag(&c, NULL, "bbbbbbbbbbbb");
	expect_tag(&c, "", "bbbbbbbbbbbb");
	expect_tag(&c, "{{.Name}}/{{ .ImageName }}", "web/busybox:1");
	expect_tag(&c, "x-{{.ImageID}}-{{.ImageFullID}}-y",
		   "x-0123456789ab-sha256:0123456789abcdef0123-y");
	expect_tag(&c, "{{.DaemonName}} {{.Command}} {{.ContainerName}}", "docker sh -c true /web");
	expect_tag(&c, "plain", "plain");
	char *tag = NULL;
	struct error err = ERROR_INIT;
	assert_int_equal(container_log_tag(&c, "a{{.Nope}}", &tag, &err), -EINVAL);
	assert_string_equal(error_msg(&err), "template: log-tag:1:3: executing \"log-tag\" at "
					     "<.Nope>: can't evaluate field Nope in type "
					     "*logger.Info");
	error_clear(&err);
	assert_int_equal(container_log_tag(&c, "{{.ID", &tag, &err), -EINVAL);
	assert_null(tag);
	error_clear(&err);
	json_decref(c.config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    /* clang-format off */
	    cmocka_unit_test(test_syslog_opts_accepted),
	    cmocka_unit_test(test_syslog_opts_refused),
	    cmocka_unit_test(test_syslog_shim_address),
	    cmocka_unit_test(test_log_tag),
	    cmocka_unit_test(test_file_sizes),
	    cmocka_unit_test(test_gelf_opts),
	    cmocka_unit_test(test_gelf_extra),
	    cmocka_unit_test(test_log_config_merge),
	    cmocka_unit_test(test_log_details),
	    /* clang-format on */
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
