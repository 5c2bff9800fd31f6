/* Stats computations (see stats.h). */
#include "cli/stats.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/format.h"
#include "cli/table.h"

static double num(json_t *o, const char *path)
{
	char key[64];
	while (o) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		o = json_object_get(o, key);
		if (!dot)
			break;
		path = dot + 1;
	}
	return json_is_number(o) ? json_number_value(o) : 0;
}

double stats_cpu_percent(json_t *s)
{
	double cpu_delta = num(s, "cpu_stats.cpu_usage.total_usage") -
			   num(s, "precpu_stats.cpu_usage.total_usage");
	double sys_delta =
	    num(s, "cpu_stats.system_cpu_usage") - num(s, "precpu_stats.system_cpu_usage");
	double cpus = num(s, "cpu_stats.online_cpus");
	if (cpus == 0)
		cpus = (double)json_array_size(json_object_get(
		    json_object_get(json_object_get(s, "cpu_stats"), "cpu_usage"), "percpu_usage"));
	return sys_delta > 0 && cpu_delta > 0 ? cpu_delta / sys_delta * cpus * 100.0 : 0;
}

double stats_mem_usage(json_t *s)
{
	json_t *mem = json_object_get(s, "memory_stats"), *st = json_object_get(mem, "stats");
	double usage = num(mem, "usage");
	json_t *v1 = json_object_get(st, "total_inactive_file");
	if (v1 && json_number_value(v1) < usage)
		return usage - json_number_value(v1);
	double v2 = num(st, "inactive_file");
	return v2 < usage ? usage - v2 : usage;
}

void stats_compute(json_t *s, struct stats_values *v)
{
	memset(v, 0, sizeof(*v));
	v->cpu_percent = stats_cpu_percent(s);
	v->mem_usage = stats_mem_usage(s);
	v->mem_limit = num(s, "memory_stats.limit");
	v->mem_percent = v->mem_limit != 0 ? v->mem_usage / v->mem_limit * 100.0 : 0;
	const char *key;
	json_t *n;
	json_object_foreach(json_object_get(s, "networks"), key, n)
	{
		v->net_rx += num(n, "rx_bytes");
		v->net_tx += num(n, "tx_bytes");
	}
	size_t i;
	json_t *e;
	json_array_foreach(
	    json_object_get(json_object_get(s, "blkio_stats"), "io_service_bytes_recursive"), i, e)
	{
		const char *op = json_string_value(json_object_get(e, "op"));
		if (op && !strcasecmp(op, "read"))
			v->blk_read += num(e, "value");
		else if (op && !strcasecmp(op, "write"))
			v->blk_write += num(e, "value");
	}
	v->pids = (uint64_t)num(s, "pids_stats.current");
}

json_t *stats_row_json(const char *id, const char *name, const char *container,
		       const struct stats_values *v)
{
	char cpu[32], memp[32], a[32], b[32], mem[80], net[80], blk[80], pids[32], sid[16];
	snprintf(cpu, sizeof(cpu), "%.2f%%", v->cpu_percent);
	snprintf(memp, sizeof(memp), "%.2f%%", v->mem_percent);
	format_bytes_size(v->mem_usage, a, sizeof(a));
	format_bytes_size(v->mem_limit, b, sizeof(b));
	snprintf(mem, sizeof(mem), "%s / %s", a, b);
	table_human_size(v->net_rx, a, sizeof(a));
	table_human_size(v->net_tx, b, sizeof(b));
	snprintf(net, sizeof(net), "%s / %s", a, b);
	table_human_size(v->blk_read, a, sizeof(a));
	table_human_size(v->blk_write, b, sizeof(b));
	snprintf(blk, sizeof(blk), "%s / %s", a, b);
	snprintf(pids, sizeof(pids), "%llu", (unsigned long long)v->pids);
	snprintf(sid, sizeof(sid), "%.12s", id);
	if (name && *name == '/')
		name++;
	/* Go marshals the row (a map) with sorted keys. */
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "BlockIO", blk, "CPUPerc",
			 cpu, "Container", container ? container : sid, "ID", sid, "MemPerc", memp,
			 "MemUsage", mem, "Name", name ? name : "", "NetIO", net, "PIDs", pids);
}
