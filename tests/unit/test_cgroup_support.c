/* Tests of dockerd's resource adjustments to what the kernel can limit
 * (src/engine/cgroup_support.c): dropped limits with their warnings, cpusets
 * the machine does not have. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/cgroup_support.h"

static const struct cgroup_support throttles_only = {
    .blkio_read_bps = true,
    .blkio_write_bps = true,
    .blkio_read_iops = true,
    .blkio_write_iops = true,
    .cpus = "0-1",
    .mems = "0",
};

static void test_blkio_dropped_with_warnings(void **state)
{
	json_t *hc = json_loads("{\"BlkioWeight\":300,\"BlkioWeightDevice\":[{\"Path\":\"/dev/x\","
				"\"Weight\":10}],\"BlkioDeviceReadBps\":[{\"Path\":\"/dev/x\","
				"\"Rate\":1}]}",
				0, NULL);
	json_t *w = json_array();
	assert_int_equal(cgroup_support_adjust(&throttles_only, hc, w, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(hc, "BlkioWeight")), 0);
	assert_int_equal(json_array_size(json_object_get(hc, "BlkioWeightDevice")), 0);
	assert_int_equal(json_array_size(json_object_get(hc, "BlkioDeviceReadBps")), 1);
	assert_int_equal(json_array_size(w), 2);
	assert_string_equal(json_string_value(json_array_get(w, 0)),
			    "Your kernel does not support Block I/O weight or the cgroup is not "
			    "mounted. Weight discarded.");
	assert_string_equal(json_string_value(json_array_get(w, 1)),
			    "Your kernel does not support Block I/O weight_device or the cgroup "
			    "is not mounted. Weight-device discarded.");
	/* Nothing asked, nothing said; warnings may be NULL. */
	json_t *none = json_object();
	assert_int_equal(cgroup_support_adjust(&throttles_only, none, NULL, NULL), 0);
	json_decref(none);
	json_decref(hc);
	json_decref(w);
}

static void check_cpuset(const char *key, const char *value, const char *msg)
{
	struct error err = ERROR_INIT;
	json_t *hc = json_pack("{s:s}", key, value);
	int r = cgroup_support_adjust(&throttles_only, hc, NULL, &err);
	if (!msg) {
		assert_int_equal(r, 0);
	} else {
		assert_int_equal(r, -EINVAL);
		assert_string_equal(err.msg, msg);
	}
	error_clear(&err);
	json_decref(hc);
}

static void test_cpusets(void **state)
{
	check_cpuset("CpusetCpus", "1", NULL);
	check_cpuset("CpusetCpus", "0-1", NULL);
	check_cpuset("CpusetCpus", "0,1", NULL);
	check_cpuset("CpusetCpus", "2",
		     "Requested CPUs are not available - requested 2, available: 0-1");
	check_cpuset("CpusetCpus", "1-5",
		     "Requested CPUs are not available - requested 1-5, available: 0-1");
	check_cpuset("CpusetCpus", "99999",
		     "Requested CPUs are not available - requested 99999, available: 0-1");
	check_cpuset("CpusetMems", "0", NULL);
	check_cpuset("CpusetMems", "1",
		     "Requested memory nodes are not available - requested 1, available: 0");
	/* An offer that could not be read leaves the runtime to judge. */
	struct cgroup_support unknown = {0};
	json_t *hc = json_pack("{s:s}", "CpusetCpus", "7");
	assert_int_equal(cgroup_support_adjust(&unknown, hc, NULL, NULL), 0);
	json_decref(hc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_blkio_dropped_with_warnings),
	    cmocka_unit_test(test_cpusets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
