/* Unit tests of berth run's flag converters (sizes, CPUs, ulimits, mounts,
 * env files, capabilities), the attached-I/O helpers (stream
 * demultiplexing) and docker's stats computations. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/attach_io.h"
#include "cli/run_opts.h"
#include "cli/stats.h"

static void test_sizes(void **state)
{
	struct error err = ERROR_INIT;
	int64_t v;
	assert_int_equal(cli_parse_ram("64m", &v, &err), 0);
	assert_int_equal(v, 64 << 20);
	assert_int_equal(cli_parse_ram("1.5g", &v, &err), 0);
	assert_int_equal(v, 3LL << 29);
	assert_int_equal(cli_parse_ram("512", &v, &err), 0);
	assert_int_equal(v, 512);
	assert_int_equal(cli_parse_ram("2 KiB", &v, &err), 0);
	assert_int_equal(v, 2048);
	assert_int_equal(cli_parse_ram("32MB", &v, &err), 0);
	assert_int_equal(v, 32 << 20);
	assert_int_equal(cli_parse_ram("-1", &v, &err), -EINVAL);
	assert_string_equal(error_msg(&err), "invalid size: '-1'");
	error_clear(&err);
	assert_int_equal(cli_parse_ram("12x", &v, &err), -EINVAL);
	error_clear(&err);
	assert_int_equal(cli_parse_cpus("1.5", &v, &err), 0);
	assert_int_equal(v, 1500000000);
	assert_int_equal(cli_parse_cpus("abc", &v, &err), -EINVAL);
	assert_string_equal(error_msg(&err), "failed to parse abc as a rational number");
	error_clear(&err);
}

static void test_ulimit(void **state)
{
	struct error err = ERROR_INIT;
	json_t *u = NULL;
	assert_int_equal(cli_parse_ulimit("nofile=100:200", &u, &err), 0);
	char *s = json_dumps(u, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(s, "{\"Name\":\"nofile\",\"Hard\":200,\"Soft\":100}");
	free(s);
	json_decref(u);
	assert_int_equal(cli_parse_ulimit("nproc=10", &u, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(u, "Hard")), 10);
	json_decref(u);
	assert_int_equal(cli_parse_ulimit("nofile=5:2", &u, &err), -EINVAL);
	assert_string_equal(error_msg(&err),
			    "ulimit soft limit must be less than or equal to hard limit: 5 > 2");
	error_clear(&err);
	assert_int_equal(cli_parse_ulimit("foo=1", &u, &err), -EINVAL);
	assert_string_equal(error_msg(&err), "invalid ulimit type: foo");
	error_clear(&err);
	assert_int_equal(cli_parse_ulimit("nofile", &u, &err), -EINVAL);
	assert_string_equal(error_msg(&err), "invalid ulimit argument: nofile");
	error_clear(&err);
}

static void check_mount(const char *in, const char *want)
{
	struct error err = ERROR_INIT;
	json_t *m = NULL;
	assert_int_equal(cli_parse_mount(in, &m, &err), 0);
	char *s = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(s, want);
	free(s);
	json_decref(m);
}

static void test_mount(void **state)
{
	check_mount("type=bind,source=/tmp,target=/m2,readonly",
		    "{\"Type\":\"bind\",\"Source\":\"/tmp\",\"Target\":\"/m2\",\"ReadOnly\":true}");
	check_mount("src=v2,dst=/v2", "{\"Type\":\"volume\",\"Source\":\"v2\",\"Target\":\"/v2\"}");
	check_mount(
	    "type=tmpfs,target=/t2,tmpfs-size=1m",
	    "{\"Type\":\"tmpfs\",\"Target\":\"/t2\",\"TmpfsOptions\":{\"SizeBytes\":1048576}}");
	struct error err = ERROR_INIT;
	json_t *m = NULL;
	assert_int_equal(cli_parse_mount("type=bind,source=/x", &m, &err), -EINVAL);
	assert_string_equal(error_msg(&err), "target is required");
	error_clear(&err);
	assert_int_equal(cli_parse_mount("type=bind,target", &m, &err), -EINVAL);
	assert_string_equal(error_msg(&err), "invalid field 'target' must be a key=value pair");
	error_clear(&err);
	assert_int_equal(cli_parse_mount("target=/x,bogus=1", &m, &err), -EINVAL);
	assert_string_equal(error_msg(&err), "unexpected key 'bogus' in 'bogus=1'");
	error_clear(&err);
}

static void test_kv_file(void **state)
{
	struct error err = ERROR_INIT;
	json_t *a = json_array();
	setenv("BERTH_UNIT_B", "bval", 1);
	unsetenv("BERTH_UNIT_MISSING");
	assert_int_equal(
	    cli_parse_kv_file("A=1\n  # c\nBERTH_UNIT_B\n\nC=x y\r\nBERTH_UNIT_MISSING\n", "f",
			      true, a, &err),
	    0);
	char *s = json_dumps(a, JSON_COMPACT);
	assert_string_equal(s, "[\"A=1\",\"BERTH_UNIT_B=bval\",\"C=x y\"]");
	free(s);
	json_array_clear(a);
	assert_int_equal(cli_parse_kv_file("lb\nla=1\n", "l", false, a, &err), 0);
	assert_int_equal(json_array_size(a), 1);
	assert_int_equal(cli_parse_kv_file("A B=1\n", "env.bad", true, a, &err), -EINVAL);
	assert_string_equal(error_msg(&err),
			    "invalid env file (env.bad): variable 'A B' contains whitespaces");
	error_clear(&err);
	json_decref(a);
	char *c = cli_normalize_cap("net_admin");
	assert_string_equal(c, "CAP_NET_ADMIN");
	free(c);
	c = cli_normalize_cap("CAP_CHOWN");
	assert_string_equal(c, "CAP_CHOWN");
	free(c);
	c = cli_normalize_cap("all");
	assert_string_equal(c, "ALL");
	free(c);
}

struct captured {
	char out[64], err[64];
	size_t nout, nerr;
};

static void capture(int stream, const char *data, size_t len, void *userdata)
{
	struct captured *c = userdata;
	if (stream == 2) {
		memcpy(c->err + c->nerr, data, len);
		c->nerr += len;
	} else {
		memcpy(c->out + c->nout, data, len);
		c->nout += len;
	}
}

static void test_demux(void **state)
{
	const char in[] = "\x01\0\0\0\0\0\0\x03"
			  "abc"
			  "\x02\0\0\0\0\0\0\x02"
			  "de"
			  "\x01\0\0\0\0\0\0\x01"
			  "f";
	struct captured c = {0};
	struct demux d = {0};
	/* One byte at a time: headers and payloads split anywhere. */
	for (size_t i = 0; i < sizeof(in) - 1; i++)
		demux_feed(&d, in + i, 1, capture, &c);
	assert_int_equal(c.nout, 4);
	assert_memory_equal(c.out, "abcf", 4);
	assert_int_equal(c.nerr, 2);
	assert_memory_equal(c.err, "de", 2);
}

static void test_stats(void **state)
{
	json_t *s = json_loads(
	    "{\"id\":\"0123456789abcdef\",\"name\":\"/web\","
	    "\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":300000000},\"system_cpu_usage\":"
	    "2000000000,\"online_cpus\":2},"
	    "\"precpu_stats\":{\"cpu_usage\":{\"total_usage\":100000000},\"system_cpu_usage\":"
	    "1000000000},"
	    "\"memory_stats\":{\"usage\":10485760,\"limit\":104857600,\"stats\":{\"inactive_file\":"
	    "2097152}},"
	    "\"networks\":{\"eth0\":{\"rx_bytes\":1000,\"tx_bytes\":2000},\"eth1\":{\"rx_bytes\":"
	    "500,\"tx_bytes\":0}},"
	    "\"blkio_stats\":{\"io_service_bytes_recursive\":[{\"op\":\"read\",\"value\":4096},{"
	    "\"op\":\"write\",\"value\":8192},{\"op\":\"Read\",\"value\":4096}]},"
	    "\"pids_stats\":{\"current\":3}}",
	    0, NULL);
	assert_non_null(s);
	/* (200M / 1000M) * 2 CPUs * 100 */
	assert_true(stats_cpu_percent(s) > 39.999 && stats_cpu_percent(s) < 40.001);
	assert_true(stats_mem_usage(s) == 8388608);
	struct stats_values v;
	stats_compute(s, &v);
	json_t *row = stats_row_json("0123456789abcdef", "/web", NULL, &v);
	assert_string_equal(json_string_value(json_object_get(row, "ID")), "0123456789ab");
	assert_string_equal(json_string_value(json_object_get(row, "Name")), "web");
	assert_string_equal(json_string_value(json_object_get(row, "CPUPerc")), "40.00%");
	assert_string_equal(json_string_value(json_object_get(row, "MemUsage")), "8MiB / 100MiB");
	assert_string_equal(json_string_value(json_object_get(row, "MemPerc")), "8.00%");
	assert_string_equal(json_string_value(json_object_get(row, "NetIO")), "1.5kB / 2kB");
	assert_string_equal(json_string_value(json_object_get(row, "BlockIO")), "8.19kB / 8.19kB");
	assert_string_equal(json_string_value(json_object_get(row, "PIDs")), "3");
	json_decref(row);
	/* cgroup v1: total_inactive_file wins; first sample (no precpu): 0%. */
	json_t *v1 = json_loads("{\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":5,\"percpu_usage\":"
				"[1,2]},\"system_cpu_usage\":9},"
				"\"memory_stats\":{\"usage\":100,\"stats\":{\"total_inactive_"
				"file\":40,\"inactive_file\":10}}}",
				0, NULL);
	assert_true(stats_mem_usage(v1) == 60);
	assert_true(stats_cpu_percent(v1) > 111.1 && stats_cpu_percent(v1) < 111.2);
	json_decref(v1);
	json_decref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sizes), cmocka_unit_test(test_ulimit),
	    cmocka_unit_test(test_mount), cmocka_unit_test(test_kv_file),
	    cmocka_unit_test(test_demux), cmocka_unit_test(test_stats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
