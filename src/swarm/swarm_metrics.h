/* The swarm's figures for /metrics (src/daemon/metrics.c). */
#pragma once

#include <stdio.h>

struct swarm;

/* Writes swarm_node_manager, and on a manager the Raft term, commit and
 * applied indexes, leadership, nodes by state and tasks by state, in
 * Prometheus text format. Accepts sw NULL (writes nothing). */
void swarm_metrics_write(struct swarm *sw, FILE *f);
