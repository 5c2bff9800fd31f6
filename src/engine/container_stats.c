/* Resource usage of a container, read from its cgroup (v1 controllers or
 * the v2 unified tree) and its network namespace, in the JSON shape dockerd
 * sends on /containers/{id}/stats. Small files read on the loop: a sample
 * costs a few dozen reads of kernel-generated text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/timeutil.h"
#include "engine/container.h"
#include "engine/containers_priv.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static bool cgroup_v2(void)
{
	return access(CGROUP_ROOT "/cgroup.controllers", F_OK) == 0;
}

static char *read_cg(const char *ctrl, const char *id, const char *file)
{
	_cleanup_free_ char *path = NULL;
	char *text = NULL;
	int r = ctrl ? asprintf(&path, CGROUP_ROOT "/%s/berth/%s/%s", ctrl, id, file)
		     : asprintf(&path, CGROUP_ROOT "/berth/%s/%s", id, file);
	if (r < 0 || fs_read_file(path, 1 << 20, &text, NULL) < 0)
		return NULL;
	return text;
}

static json_int_t read_cg_int(const char *ctrl, const char *id, const char *file)
{
	_cleanup_free_ char *t = read_cg(ctrl, id, file);
	return t && strncmp(t, "max", 3) ? strtoll(t, NULL, 10) : 0;
}

/* "key value" lines (memory.stat, cpu.stat) into an object. */
static json_t *key_values(const char *text)
{
	json_t *o = json_object();
	char key[128];
	unsigned long long v;
	for (const char *p = text; p && *p;) {
		if (sscanf(p, "%127s %llu", key, &v) == 2)
			json_object_set_new(o, key, json_integer((json_int_t)v));
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return o;
}

static json_int_t kv(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* Host CPU time in ns, as dockerd computes system_cpu_usage: the first
 * line of /proc/stat in clock ticks. */
static json_int_t system_cpu_ns(void)
{
	_cleanup_free_ char *text = NULL;
	if (fs_read_file("/proc/stat", 1 << 20, &text, NULL) < 0 || strncmp(text, "cpu ", 4))
		return 0;
	unsigned long long total = 0, v;
	char *p = text + 4, *end;
	while (*p && *p != '\n') {
		v = strtoull(p, &end, 10);
		if (end == p)
			break;
		total += v;
		p = end;
	}
	long hz = sysconf(_SC_CLK_TCK);
	return (json_int_t)(total * (1000000000ULL / (unsigned long long)(hz > 0 ? hz : 100)));
}

static json_t *percpu_v1(const char *id)
{
	_cleanup_free_ char *t = read_cg("cpuacct", id, "cpuacct.usage_percpu");
	json_t *a = json_array();
	char *end;
	for (char *p = t; p && *p;) {
		unsigned long long v = strtoull(p, &end, 10);
		if (end == p)
			break;
		json_array_append_new(a, json_integer((json_int_t)v));
		p = end;
	}
	return a;
}

static json_t *cpu_stats(const char *id, bool v2, long cpus)
{
	json_t *usage, *thr;
	if (v2) {
		_cleanup_free_ char *t = read_cg(NULL, id, "cpu.stat");
		json_t *s = key_values(t);
		usage = json_pack("{s:I, s:I, s:I}", "total_usage", kv(s, "usage_usec") * 1000,
				  "usage_in_kernelmode", kv(s, "system_usec") * 1000,
				  "usage_in_usermode", kv(s, "user_usec") * 1000);
		thr = json_pack("{s:I, s:I, s:I}", "periods", kv(s, "nr_periods"),
				"throttled_periods", kv(s, "nr_throttled"), "throttled_time",
				kv(s, "throttled_usec") * 1000);
		json_decref(s);
	} else {
		_cleanup_free_ char *t = read_cg("cpuacct", id, "cpuacct.stat");
		_cleanup_free_ char *ct = read_cg("cpu", id, "cpu.stat");
		json_t *s = key_values(t), *c = key_values(ct);
		long hz = sysconf(_SC_CLK_TCK);
		json_int_t tick = 1000000000 / (hz > 0 ? hz : 100);
		usage = json_pack("{s:I, s:o, s:I, s:I}", "total_usage",
				  read_cg_int("cpuacct", id, "cpuacct.usage"), "percpu_usage",
				  percpu_v1(id), "usage_in_kernelmode", kv(s, "system") * tick,
				  "usage_in_usermode", kv(s, "user") * tick);
		thr = json_pack("{s:I, s:I, s:I}", "periods", kv(c, "nr_periods"),
				"throttled_periods", kv(c, "nr_throttled"), "throttled_time",
				kv(c, "throttled_time"));
		json_decref(s);
		json_decref(c);
	}
	return json_pack("{s:o, s:I, s:i, s:o}", "cpu_usage", usage, "system_cpu_usage",
			 system_cpu_ns(), "online_cpus", (int)cpus, "throttling_data", thr);
}

static json_t *memory_stats(const char *id, bool v2, json_int_t host_mem)
{
	if (v2) {
		_cleanup_free_ char *t = read_cg(NULL, id, "memory.stat");
		json_int_t limit = read_cg_int(NULL, id, "memory.max");
		return json_pack("{s:I, s:o, s:I}", "usage", read_cg_int(NULL, id, "memory.current"),
				 "stats", key_values(t), "limit", limit > 0 ? limit : host_mem);
	}
	_cleanup_free_ char *t = read_cg("memory", id, "memory.stat");
	json_int_t limit = read_cg_int("memory", id, "memory.limit_in_bytes");
	/* v1 reports "no limit" as a huge page-rounded number. */
	if (limit <= 0 || limit > host_mem)
		limit = host_mem;
	return json_pack("{s:I, s:I, s:I, s:o, s:I}", "usage",
			 read_cg_int("memory", id, "memory.usage_in_bytes"), "max_usage",
			 read_cg_int("memory", id, "memory.max_usage_in_bytes"), "failcnt",
			 read_cg_int("memory", id, "memory.failcnt"), "stats", key_values(t), "limit",
			 limit);
}

/* "8:0 Read 4096" lines (v1) or "8:0 rbytes=1 wbytes=2 ..." (v2). */
static json_t *blkio_entries(const char *id, bool v2)
{
	json_t *a = json_array();
	_cleanup_free_ char *t = v2 ? read_cg(NULL, id, "io.stat")
				    : read_cg("blkio", id, "blkio.throttle.io_service_bytes_recursive");
	for (char *p = t; p && *p;) {
		unsigned maj, min;
		char op[32];
		unsigned long long v, rb, wb;
		if (!v2 && sscanf(p, "%u:%u %31s %llu", &maj, &min, op, &v) == 4)
			json_array_append_new(a, json_pack("{s:i, s:i, s:s, s:I}", "major", maj, "minor",
							   min, "op", op, "value", (json_int_t)v));
		else if (v2 && sscanf(p, "%u:%u rbytes=%llu wbytes=%llu", &maj, &min, &rb, &wb) == 4) {
			json_array_append_new(a, json_pack("{s:i, s:i, s:s, s:I}", "major", maj, "minor",
							   min, "op", "read", "value", (json_int_t)rb));
			json_array_append_new(a, json_pack("{s:i, s:i, s:s, s:I}", "major", maj, "minor",
							   min, "op", "write", "value", (json_int_t)wb));
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return a;
}

/* Interfaces of the container's network namespace but loopback, from
 * /proc/<pid>/net/dev; NULL when there are none (none, host). */
static json_t *networks(struct container *c)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	const char *mode = json_string_value(json_object_get(c->host_config, "NetworkMode"));
	if (c->pid <= 0 || (mode && !strcmp(mode, "host")) ||
	    asprintf(&path, "/proc/%d/net/dev", c->pid) < 0 ||
	    fs_read_file(path, 1 << 20, &text, NULL) < 0)
		return NULL;
	json_t *o = json_object();
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *colon = strchr(line, ':');
		unsigned long long v[16];
		if (colon) {
			*colon = '\0';
			char *name = line + strspn(line, " ");
			int n = sscanf(colon + 1,
				       "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
				       "%llu %llu %llu",
				       &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
				       &v[9], &v[10], &v[11], &v[12], &v[13], &v[14], &v[15]);
			if (n == 16 && strcmp(name, "lo") != 0)
				json_object_set_new(
					o, name,
					json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
						  "rx_bytes", (json_int_t)v[0], "rx_packets",
						  (json_int_t)v[1], "rx_errors", (json_int_t)v[2],
						  "rx_dropped", (json_int_t)v[3], "tx_bytes",
						  (json_int_t)v[8], "tx_packets", (json_int_t)v[9],
						  "tx_errors", (json_int_t)v[10], "tx_dropped",
						  (json_int_t)v[11]));
		}
		line = nl ? nl + 1 : NULL;
	}
	if (json_object_size(o) == 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *empty_blkio(json_t *service_bytes)
{
	return json_pack("{s:o, s:n, s:n, s:n, s:n, s:n, s:n, s:n}",
			 "io_service_bytes_recursive", service_bytes, "io_serviced_recursive",
			 "io_queue_recursive", "io_service_time_recursive", "io_wait_time_recursive",
			 "io_merged_recursive", "io_time_recursive", "sectors_recursive");
}

json_t *container_stats_sample(struct containers *cs, struct container *c)
{
	char now[64];
	time_format_rfc3339nano(time_now_ns(), now, sizeof(now));
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	json_int_t host_mem = (json_int_t)cs->deps.mem_total;
	bool running = c->state == CONTAINER_RUNNING;
	bool v2 = cgroup_v2();
	json_t *s;
	if (!running) {
		/* dockerd's sample of a stopped container: all zero. */
		s = json_pack("{s:s, s:{}, s:o, s:i, s:{}, s:{s:{s:i, s:i, s:i}, s:i, s:i}, s:{}}",
			      "read", "0001-01-01T00:00:00Z", "pids_stats", "blkio_stats",
			      empty_blkio(json_null()), "num_procs", 0, "storage_stats", "cpu_stats",
			      "cpu_usage", "total_usage", 0, "usage_in_kernelmode", 0,
			      "usage_in_usermode", 0, "system_cpu_usage", 0, "online_cpus", 0,
			      "memory_stats");
	} else {
		const char *pids_ctrl = v2 ? NULL : "pids";
		json_int_t plimit = read_cg_int(pids_ctrl, c->id, "pids.max");
		json_t *pids = json_pack("{s:I}", "current", read_cg_int(pids_ctrl, c->id, "pids.current"));
		if (plimit > 0)
			json_object_set_new(pids, "limit", json_integer(plimit));
		s = json_pack("{s:s, s:o, s:o, s:i, s:{}, s:o, s:o}", "read", now, "pids_stats", pids,
			      "blkio_stats", empty_blkio(blkio_entries(c->id, v2)), "num_procs", 0,
			      "storage_stats", "cpu_stats", cpu_stats(c->id, v2, cpus), "memory_stats",
			      memory_stats(c->id, v2, host_mem));
		json_t *net = networks(c);
		if (net)
			json_object_set_new(s, "networks", net);
	}
	json_object_set_new(s, "name", json_string(c->name));
	json_object_set_new(s, "id", json_string(c->id));
	return s;
}
