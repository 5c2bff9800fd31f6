/* Tests of the OCI spec generator (src/engine/oci_spec.c): arguments and
 * environment from Config, Docker's default capabilities and their tweaks,
 * masked paths, mounts and their order, namespaces per network mode,
 * resources; and of -u resolution against passwd/group texts and a rootfs
 * whose /etc/passwd is a symlink pointing outside it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/oci_spec.h"

static json_t *load(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	return j;
}

static const struct oci_user build_user = {.uid = 1000, .gid = 50, .groups = {7}, .n_groups = 1};

/* The inputs every test shares, for Config c and HostConfig h. */
static struct oci_inputs inputs(json_t *c, json_t *h)
{
	return (struct oci_inputs){.id = "abc",
				   .config = c,
				   .host_config = h,
				   .rootfs = "/r",
				   .hostname_path = "/d/hostname",
				   .hosts_path = "/d/hosts",
				   .resolv_path = "/d/resolv.conf",
				   .user = &build_user,
				   .swap_limit = true};
}

/* Builds a spec from Config and HostConfig texts; mounts optional. */
static json_t *build(const char *cfg, const char *hc, const struct oci_mount *m, size_t n,
		     struct error *err)
{
	json_t *c = load(cfg), *h = load(hc), *spec = NULL;
	struct oci_inputs in = inputs(c, h);
	in.mounts = m;
	in.n_mounts = n;
	int r = oci_spec_build(&in, &spec, err);
	json_decref(c);
	json_decref(h);
	return r == 0 ? spec : NULL;
}

static char *dump(json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void assert_json(json_t *j, const char *want)
{
	char *s = dump(j);
	assert_string_equal(s, want);
	free(s);
}

static bool has_string(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) if (strcmp(json_string_value(v), s) == 0) return true;
	return false;
}

static void test_process(void **state)
{
	json_t *s = build("{\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":[\"echo hi\"],"
			  "\"Env\":[\"A=1\"],\"WorkingDir\":\"/w\",\"Hostname\":\"h1\"}",
			  "{\"NetworkMode\":\"none\"}", NULL, 0, NULL);
	json_t *p = json_object_get(s, "process");
	assert_json(json_object_get(p, "args"), "[\"/bin/sh\",\"-c\",\"echo hi\"]");
	assert_json(json_object_get(p, "env"),
		    "[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
		    "\"HOSTNAME=h1\",\"A=1\"]");
	assert_string_equal(json_string_value(json_object_get(p, "cwd")), "/w");
	assert_json(json_object_get(p, "user"), "{\"uid\":1000,\"gid\":50,\"additionalGids\":[7]}");
	assert_false(json_is_true(json_object_get(p, "terminal")));
	assert_string_equal(json_string_value(json_object_get(s, "hostname")), "h1");
	assert_json(json_object_get(s, "root"), "{\"path\":\"/r\",\"readonly\":false}");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(s, "linux"), "cgroupsPath")),
	    "/berth/abc");
	json_decref(s);

	/* An image PATH is kept; no WorkingDir means /. */
	s = build("{\"Cmd\":[\"true\"],\"Env\":[\"PATH=/x\"]}", "{}", NULL, 0, NULL);
	p = json_object_get(s, "process");
	assert_json(json_object_get(p, "env"), "[\"PATH=/x\"]");
	assert_string_equal(json_string_value(json_object_get(p, "cwd")), "/");
	json_decref(s);

	struct error err = ERROR_INIT;
	assert_null(build("{\"Cmd\":[]}", "{}", NULL, 0, &err));
	assert_int_equal(err.code, -EINVAL);
	assert_string_equal(err.msg, "No command specified");
	error_clear(&err);
}

static json_t *caps_of(const char *hc, struct error *err)
{
	json_t *s = build("{\"Cmd\":[\"true\"]}", hc, NULL, 0, err);
	if (!s)
		return NULL;
	json_t *caps = json_incref(json_object_get(
	    json_object_get(json_object_get(s, "process"), "capabilities"), "bounding"));
	json_decref(s);
	return caps;
}

static void test_capabilities(void **state)
{
	json_t *c = caps_of("{}", NULL);
	assert_int_equal(json_array_size(c), 14);
	for (size_t i = 0; oci_default_caps[i]; i++)
		assert_true(has_string(c, oci_default_caps[i]));
	assert_false(has_string(c, "CAP_SYS_ADMIN"));
	json_decref(c);

	c = caps_of("{\"CapAdd\":[\"net_admin\"],\"CapDrop\":[\"CAP_CHOWN\",\"mknod\"]}", NULL);
	assert_int_equal(json_array_size(c), 13);
	assert_true(has_string(c, "CAP_NET_ADMIN"));
	assert_false(has_string(c, "CAP_CHOWN"));
	assert_false(has_string(c, "CAP_MKNOD"));
	json_decref(c);

	c = caps_of("{\"CapDrop\":[\"ALL\"],\"CapAdd\":[\"KILL\"]}", NULL);
	assert_json(c, "[\"CAP_KILL\"]");
	json_decref(c);

	c = caps_of("{\"Privileged\":true}", NULL);
	assert_int_equal(json_array_size(c), 41);
	json_decref(c);

	struct error err = ERROR_INIT;
	assert_null(caps_of("{\"CapAdd\":[\"FLY\"]}", &err));
	assert_string_equal(err.msg, "invalid CapAdd: unknown capability: \"FLY\"");
	error_clear(&err);
	char buf[64];
	assert_int_equal(oci_cap_normalize("sys_admin", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "CAP_SYS_ADMIN");
}

/* The destinations of the spec's mounts, space separated. */
static char *destinations(json_t *s)
{
	char *out = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);
	json_t *m;
	json_array_foreach(json_object_get(s, "mounts"), i, m)
	    fprintf(f, "%s%s", i ? " " : "", json_string_value(json_object_get(m, "destination")));
	fclose(f);
	return out;
}

static void test_mounts(void **state)
{
	struct oci_mount m[] = {
	    {.type = "bind", .source = "/host/a/b", .destination = "/a/b", .readonly = true},
	    {.type = "volume", .source = "/vol/_data", .destination = "/a"},
	    {.type = "tmpfs", .destination = "/dev/shm", .tmpfs_opts = "size=1m"},
	};
	json_t *s = build("{\"Cmd\":[\"true\"]}", "{\"ReadonlyRootfs\":true}", m, 3, NULL);
	char *d = destinations(s);
	/* Defaults (the user's /dev/shm replaces Docker's), /etc files, then
	 * user mounts parents first. */
	assert_string_equal(d, "/proc /dev /dev/pts /sys /sys/fs/cgroup /dev/mqueue "
			       "/etc/resolv.conf /etc/hostname /etc/hosts /a /a/b /dev/shm");
	free(d);
	json_t *mounts = json_object_get(s, "mounts");
	size_t n = json_array_size(mounts);
	assert_json(json_array_get(mounts, n - 2),
		    "{\"destination\":\"/a/b\",\"type\":\"bind\",\"source\":\"/host/a/b\","
		    "\"options\":[\"rbind\",\"rprivate\",\"ro\"]}");
	assert_json(json_array_get(mounts, n - 1),
		    "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
		    "\"options\":[\"nosuid\",\"nodev\",\"noexec\",\"size=1m\"]}");
	/* Read-only root: the /etc files are read-only too. */
	assert_true(has_string(json_object_get(json_array_get(mounts, 6), "options"), "ro"));
	assert_true(json_is_true(json_object_get(json_object_get(s, "root"), "readonly")));
	json_t *lx = json_object_get(s, "linux");
	assert_true(has_string(json_object_get(lx, "maskedPaths"), "/proc/kcore"));
	assert_true(has_string(json_object_get(lx, "readonlyPaths"), "/proc/sys"));
	json_decref(s);

	s = build("{\"Cmd\":[\"true\"]}", "{\"Privileged\":true}", NULL, 0, NULL);
	lx = json_object_get(s, "linux");
	assert_null(json_object_get(lx, "maskedPaths"));
	assert_json(json_object_get(json_object_get(lx, "resources"), "devices"),
		    "[{\"allow\":true,\"access\":\"rwm\"}]");
	json_decref(s);
}

static void test_namespaces_resources(void **state)
{
	json_t *s = build("{\"Cmd\":[\"true\"]}",
			  "{\"NetworkMode\":\"none\",\"Memory\":67108864,\"CpuShares\":512,"
			  "\"PidsLimit\":50,\"NanoCpus\":1500000000}",
			  NULL, 0, NULL);
	json_t *lx = json_object_get(s, "linux");
	assert_json(
	    json_object_get(lx, "namespaces"),
	    "[{\"type\":\"mount\"},{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
	    "{\"type\":\"network\"}]");
	assert_json(json_object_get(lx, "resources"),
		    "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
		    "\"memory\":{\"limit\":67108864,\"swap\":134217728},"
		    "\"cpu\":{\"shares\":512,\"period\":100000,\"quota\":150000},"
		    "\"pids\":{\"limit\":50}}");
	json_decref(s);
	s = build("{\"Cmd\":[\"true\"]}", "{\"NetworkMode\":\"host\"}", NULL, 0, NULL);
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(s, "linux"), "namespaces")), 4);
	json_decref(s);
}

/* Host devices as container_devices_resolve gives them, cpusets and blkio. */
static void test_host_devices_cpuset_blkio(void **state)
{
	json_t *c = load("{\"Cmd\":[\"true\"]}");
	json_t *h = load("{\"CpusetCpus\":\"1\",\"CpusetMems\":\"0\",\"BlkioWeight\":300}");
	json_t *devs = load("[{\"path\":\"/dev/f\",\"type\":\"c\",\"major\":10,\"minor\":229,"
			    "\"fileMode\":384,\"uid\":0,\"gid\":0,\"access\":\"r\"},"
			    "{\"path\":\"/dev/p\",\"type\":\"p\",\"major\":0,\"minor\":0,"
			    "\"fileMode\":420,\"uid\":0,\"gid\":0,\"access\":\"rwm\"}]");
	json_t *blkio =
	    load("{\"throttleReadBpsDevice\":[{\"major\":7,\"minor\":0,\"rate\":1024}]}");
	struct oci_inputs in = inputs(c, h);
	in.devices = devs;
	in.block_io = blkio;
	json_t *s = NULL;
	assert_int_equal(oci_spec_build(&in, &s, NULL), 0);
	json_t *lx = json_object_get(s, "linux"), *res = json_object_get(lx, "resources");
	assert_json(json_object_get(lx, "devices"),
		    "[{\"path\":\"/dev/f\",\"type\":\"c\",\"major\":10,\"minor\":229,"
		    "\"fileMode\":384,\"uid\":0,\"gid\":0},"
		    "{\"path\":\"/dev/p\",\"type\":\"p\",\"major\":0,\"minor\":0,"
		    "\"fileMode\":420,\"uid\":0,\"gid\":0}]");
	/* A FIFO needs no cgroup rule; the character device gets its access. */
	assert_json(json_object_get(res, "devices"),
		    "[{\"allow\":false,\"access\":\"rwm\"},"
		    "{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":229,\"access\":\"r\"}]");
	assert_json(json_object_get(json_object_get(res, "cpu"), "cpus"), "\"1\"");
	assert_json(json_object_get(json_object_get(res, "cpu"), "mems"), "\"0\"");
	assert_json(json_object_get(res, "blockIO"),
		    "{\"throttleReadBpsDevice\":[{\"major\":7,\"minor\":0,\"rate\":1024}],"
		    "\"weight\":300}");
	json_decref(s);
	/* Privileged: the devices are there, every access is allowed already. */
	json_object_set_new(h, "Privileged", json_true());
	assert_int_equal(oci_spec_build(&in, &s, NULL), 0);
	lx = json_object_get(s, "linux");
	assert_int_equal(json_array_size(json_object_get(lx, "devices")), 2);
	assert_json(json_object_get(json_object_get(lx, "resources"), "devices"),
		    "[{\"allow\":true,\"access\":\"rwm\"}]");
	json_decref(s);
	json_decref(c);
	json_decref(h);
	json_decref(devs);
	json_decref(blkio);
}

static void test_device_cgroup_rules(void **state)
{
	json_t *s = build("{\"Cmd\":[\"true\"]}",
			  "{\"DeviceCgroupRules\":[\"c 1:3 mr\",\"b *:* rwm\",\"a 7:* w\"]}", NULL,
			  0, NULL);
	assert_json(
	    json_object_get(json_object_get(json_object_get(s, "linux"), "resources"), "devices"),
	    "[{\"allow\":false,\"access\":\"rwm\"},"
	    "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"mr\"},"
	    "{\"allow\":true,\"type\":\"b\",\"major\":-1,\"minor\":-1,\"access\":\"rwm\"},"
	    "{\"allow\":true,\"type\":\"a\",\"major\":7,\"minor\":-1,\"access\":\"w\"}]");
	json_decref(s);
	static const char *bad[] = {"",
				    "c 1:1  rwm",
				    "c  1:1 rwm",
				    " c 1:1 rwm",
				    "c 1:1 rwm ",
				    "z 1:1 rwm",
				    "c 11 rwm",
				    "c a:a rwm",
				    "c -1:1 rwm",
				    "c 1:1",
				    "c 1:1 x",
				    "c 1:1 rwmrwm",
				    "c 99999999999999999999:1 r"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char hc[128];
		snprintf(hc, sizeof(hc), "{\"DeviceCgroupRules\":[\"%s\"]}", bad[i]);
		struct error err = ERROR_INIT;
		assert_null(build("{\"Cmd\":[\"true\"]}", hc, NULL, 0, &err));
		assert_non_null(strstr(err.msg, "invalid device cgroup rule format"));
		error_clear(&err);
	}
}

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "# comment\n"
			     "alice:x:1000:1000::/home/alice:/bin/sh\n"
			     "bob:x:1001:100::/home/bob:/bin/sh\n";
static const char group[] = "root:x:0:\nusers:x:100:\nstaff:x:50:alice,bob\nwheel:x:10:alice\n"
			    "alice:x:1000:\n";

static void expect_user(const char *spec, uid_t uid, gid_t gid, const char *groups)
{
	struct oci_user u;
	assert_int_equal(oci_user_resolve_text(passwd, group, spec, &u, NULL), 0);
	assert_int_equal(u.uid, uid);
	assert_int_equal(u.gid, gid);
	char buf[128] = "";
	for (size_t i = 0; i < u.n_groups; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%u", i ? "," : "",
			 (unsigned)u.groups[i]);
	assert_string_equal(buf, groups);
}

static void test_user(void **state)
{
	expect_user("", 0, 0, "");
	expect_user("alice", 1000, 1000, "50,10");
	expect_user("1000", 1000, 1000, "50,10");
	expect_user("bob", 1001, 100, "50");
	expect_user("alice:staff", 1000, 50, "");
	expect_user("alice:7", 1000, 7, "");
	expect_user("4242", 4242, 0, "");
	expect_user("4242:4243", 4242, 4243, "");
	struct oci_user u;
	struct error err = ERROR_INIT;
	assert_int_equal(oci_user_resolve_text(passwd, group, "carol", &u, &err), -EINVAL);
	assert_string_equal(err.msg,
			    "unable to find user carol: no matching entries in passwd file");
	error_clear(&err);
	assert_int_equal(oci_user_resolve_text(passwd, group, "alice:nope", &u, &err), -EINVAL);
	assert_string_equal(err.msg,
			    "unable to find group nope: no matching entries in group file");
	error_clear(&err);
	/* No passwd file at all: numeric users still work. */
	assert_int_equal(oci_user_resolve_text(NULL, NULL, "5:6", &u, NULL), 0);
	assert_int_equal(u.uid, 5);
}

/* /etc/passwd in the rootfs is resolved inside it: an absolute symlink
 * must not read the host's file. */
static void test_user_in_rootfs(void **state)
{
	char root[] = "/tmp/oci-user-XXXXXX", path[256], target[256];
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/etc", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/passwd", root);
	assert_int_equal(symlink("/etc/shadow-elsewhere/passwd", path), 0);
	snprintf(target, sizeof(target), "%s/etc/group", root);
	FILE *f = fopen(target, "w");
	fputs(group, f);
	fclose(f);
	struct oci_user u;
	struct error err = ERROR_INIT;
	/* "root" exists on the host, but not in this rootfs. */
	assert_int_equal(oci_user_resolve(root, "root", &u, &err), -EINVAL);
	error_clear(&err);
	assert_int_equal(oci_user_resolve(root, "0:staff", &u, NULL), 0);
	assert_int_equal(u.gid, 50);
	unlink(path);
	unlink(target);
	snprintf(path, sizeof(path), "%s/etc", root);
	rmdir(path);
	rmdir(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_process),
	    cmocka_unit_test(test_capabilities),
	    cmocka_unit_test(test_mounts),
	    cmocka_unit_test(test_namespaces_resources),
	    cmocka_unit_test(test_device_cgroup_rules),
	    cmocka_unit_test(test_host_devices_cpuset_blkio),
	    cmocka_unit_test(test_user),
	    cmocka_unit_test(test_user_in_rootfs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
