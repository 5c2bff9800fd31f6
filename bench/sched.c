/* Scheduler micro-benchmark (issue 9): leader rounds of the pure
 * orchestrator (orch_step) on a simulated cluster of BENCH_NODES nodes
 * (default 1,000; three zones, ready and active), with no Raft, store or
 * I/O. Each case creates a service whose replicas a single round creates
 * and places; the figure is tasks placed (given a NodeID) per second of
 * that round's CPU time, the best of BENCH_REPEAT (3) runs. Cases:
 *   - spread: an empty cluster, spread by service then load;
 *   - constraint + preference: node.labels.zone!=z2 and spread over zones;
 *   - loaded cluster: the same on top of BENCH_REPLICAS running tasks of
 *     another service (their round's work counts too).
 * Prints numbers and the target (10,000 placements/s); never fails on
 * timing. Built and run by `make bench-sched`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "orchestrator/orchestrator.h"

static void counter_id(char out[26], void *ctx)
{
	unsigned long *n = ctx;
	snprintf(out, 26, "t%024lu", ++*n);
}

static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : dflt;
}

/* CPU time, not wall time: other work on a shared machine does not count. */
static int64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static json_t *make_nodes(long n)
{
	json_t *nodes = json_object();
	for (long i = 0; i < n; i++) {
		char id[32], zone[8];
		snprintf(id, sizeof(id), "node%021ld", i);
		snprintf(zone, sizeof(zone), "z%ld", i % 3);
		json_object_set_new(
		    nodes, id,
		    json_pack("{s:s, s:{s:s, s:s, s:{s:s}}, s:{s:s, s:{s:s, s:s}, s:{s:I, s:I}}, "
			      "s:{s:s}}",
			      "ID", id, "Spec", "Role", "worker", "Availability", "active",
			      "Labels", "zone", zone, "Description", "Hostname", id, "Platform",
			      "OS", "linux", "Architecture", "x86_64", "Resources", "NanoCPUs",
			      (json_int_t)4000000000, "MemoryBytes", (json_int_t)8 << 30, "Status",
			      "State", "ready"));
	}
	return nodes;
}

static json_t *make_service(const char *id, long replicas, bool placed)
{
	json_t *tmpl = json_pack("{s:{s:s}}", "ContainerSpec", "Image", "busybox");
	if (placed)
		json_object_set_new(tmpl, "Placement",
				    json_pack("{s:[s], s:[{s:{s:s}}]}", "Constraints",
					      "node.labels.zone!=z2", "Preferences", "Spread",
					      "SpreadDescriptor", "node.labels.zone"));
	return json_pack("{s:s, s:{s:s, s:o, s:{s:{s:I}}}}", "ID", id, "Spec", "Name", id,
			 "TaskTemplate", tmpl, "Mode", "Replicated", "Replicas",
			 (json_int_t)replicas);
}

/* The tasks of out, as running on their nodes (what the agents would report). */
static json_t *as_running(const struct orch_out *out)
{
	json_t *tasks = json_object();
	size_t i;
	json_t *t;
	json_array_foreach(out->tasks, i, t)
	{
		json_t *c = json_deep_copy(t);
		json_object_set_new(json_object_get(c, "Status"), "State", json_string("running"));
		json_object_set_new(tasks, json_string_value(json_object_get(c, "ID")), c);
	}
	return tasks;
}

static size_t placed(const struct orch_out *out)
{
	size_t i, n = 0;
	json_t *t;
	json_array_foreach(out->tasks, i, t) n += json_object_get(t, "NodeID") != NULL;
	return n;
}

/* One round of a new service "bench" over services and tasks; returns the
 * best placements per second of repeat runs (the last round's result in
 * *ret_out when not NULL). */
static double run_case(const char *name, json_t *nodes, json_t *services, json_t *tasks,
		       long replicas, bool constrained, long repeat, struct orch_out *ret_out)
{
	json_object_set_new(services, "bench", make_service("bench", replicas, constrained));
	double best = 0;
	size_t n = 0;
	int64_t took_best = 0;
	for (long k = 0; k < repeat; k++) {
		/* New IDs follow those of the tasks already there (1..n). */
		unsigned long ids = json_object_size(tasks);
		struct orch_in in = {.nodes = nodes,
				     .services = services,
				     .tasks = tasks,
				     .now_ns = 1700000000LL * 1000000000,
				     .new_id = counter_id,
				     .id_ctx = &ids};
		struct orch_out out;
		orch_out_init(&out);
		int64_t t0 = cpu_ns();
		orch_step(&in, &out);
		int64_t took = cpu_ns() - t0;
		n = placed(&out);
		double rate = took > 0 ? (double)n * 1e9 / (double)took : 0;
		if (rate > best)
			best = rate, took_best = took;
		if (ret_out && k == repeat - 1)
			*ret_out = out;
		else
			orch_out_done(&out);
	}
	json_object_del(services, "bench");
	printf("%-46s %6zu placed in %8.1f ms of CPU: %9.0f placements/s\n", name, n,
	       (double)took_best / 1e6, best);
	return best;
}

int main(void)
{
	long nodes_n = env_long("BENCH_NODES", 1000);
	long replicas = env_long("BENCH_REPLICAS", 10000);
	long repeat = env_long("BENCH_REPEAT", 3);
	json_t *nodes = make_nodes(nodes_n);
	json_t *services = json_object(), *empty = json_object();
	char title[96];
	printf("scheduler micro-benchmark: %ld nodes, one leader round (orch_step) per case, "
	       "best of %ld\n",
	       nodes_n, repeat);

	snprintf(title, sizeof(title), "spread, %ld replicas", replicas);
	struct orch_out first;
	double worst = run_case(title, nodes, services, empty, replicas, false, repeat, &first);

	snprintf(title, sizeof(title), "constraint + spread preference, %ld replicas",
		 replicas / 2);
	double r = run_case(title, nodes, services, empty, replicas / 2, true, repeat, NULL);
	worst = r < worst ? r : worst;

	/* The first case's tasks now run, as another service's. */
	json_t *loaded = as_running(&first);
	orch_out_done(&first);
	const char *id;
	json_t *t;
	json_object_foreach(loaded, id, t)
	    json_object_set_new(t, "ServiceID", json_string("other"));
	json_object_set_new(services, "other", make_service("other", replicas, false));
	snprintf(title, sizeof(title), "loaded (%ld running), constraint + spread, %ld", replicas,
		 replicas / 2);
	r = run_case(title, nodes, services, loaded, replicas / 2, true, repeat, NULL);
	worst = r < worst ? r : worst;

	printf("target: at least 10,000 placements/s on 1,000 nodes: %s (slowest case %.0f/s)\n",
	       worst >= 10000 ? "met" : "NOT met", worst);
	json_decref(loaded);
	json_decref(services);
	json_decref(empty);
	json_decref(nodes);
	return 0;
}
