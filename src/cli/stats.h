/* docker's stats computations (cli/command/container/stats_helpers.go) over
 * the Engine API's stats JSON, and the row `berth stats` prints. Pure. */
#pragma once

#include <jansson.h>
#include <stdint.h>

struct stats_values {
	double cpu_percent, mem_usage, mem_limit, mem_percent;
	double net_rx, net_tx, blk_read, blk_write;
	uint64_t pids;
};

/* cpu_delta / system_delta * online CPUs * 100 against precpu_stats. */
double stats_cpu_percent(json_t *s);
/* Memory usage minus the inactive page cache (v1 total_inactive_file,
 * v2 inactive_file), docker's calculateMemUsageUnixNoCache. */
double stats_mem_usage(json_t *s);
void stats_compute(json_t *s, struct stats_values *v);
/* The template fields of one row (ID, Name, CPUPerc, MemUsage, ...). */
json_t *stats_row_json(const char *id, const char *name, const char *container,
		       const struct stats_values *v);
