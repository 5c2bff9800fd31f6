/* --metrics-addr: Prometheus text at /metrics on its own listener, as
 * dockerd serves it (engine_daemon_* names where dockerd has them): engine
 * info, containers by state, images, events, API requests by route and
 * status with latency histograms, container action latencies, swarm figures
 * (swarm_metrics.c) and the process's memory, descriptors and CPU. Plain
 * HTTP on loopback only; elsewhere the API's TLS, or the daemon refuses. */
#pragma once

#include "basic/error.h"

struct daemon;
struct metrics;

/* Opens the listener when cfg.metrics_addr is set (d->metrics stays NULL
 * otherwise). -EINVAL for a bad address, -EPERM for a non-loopback one
 * without TLS, or the listen error. */
int metrics_start(struct daemon *d, struct error *err);
/* Closes the listener (shutdown); counting goes on harmlessly. */
void metrics_stop(struct daemon *d);
void metrics_free(struct daemon *d);

/* One finished API request: route is the matched pattern
 * ("/containers/{id}/json") or NULL. Accepts m NULL. */
void metrics_observe_request(struct metrics *m, const char *method, const char *route, int status,
			     double seconds);
