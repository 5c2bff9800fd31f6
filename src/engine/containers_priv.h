/* The container service's private state, shared by the engine's files
 * (containers, execs, health checks, builds) only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"
#include "engine/cgroup_support.h"
#include "engine/container.h"

struct exec;

/* An OCI runtime: runc (found on PATH) and those of --add-runtime. */
struct runtime {
	char *name, *path;
	char *root; /* its --root: <exec-root>/runc, <exec-root>/runtime-<name> */
};

struct containers {
	struct engine_deps deps;
	struct networks *networks; /* from containers_init on */
	struct exec *execs;	   /* exec instances (engine/exec.h) */
	char *root;	 /* <data-root>/containers */
	char *exec_root; /* <exec-root>: bundles, runc state, shim sockets */
	char *shim_path;
	char *runtime_path;
	char *init_path; /* berth-init for --init; NULL when not installed */
	struct runtime *runtimes; /* [0] is runc */
	size_t n_runtimes;
	const char *default_runtime;
	bool swap_limit;
	struct cgroup_support cgroups; /* probed at start-up */
	uint64_t cap_bounding; /* berthd's own CapBnd */
	struct health_sub *health_subs; /* engine/health.h observers */
	bool swarm_restarts_done;	/* containers_restart_attached ran */
	struct container **v;
	size_t n, cap;
};

int containers_load(struct containers *cs, struct error *err);
/* The runtime a container runs with (HostConfig.Runtime, else the default);
 * runc when its runtime was removed from the configuration since. */
const struct runtime *container_runtime(struct containers *cs, const struct container *c);
/* The runtime called name, or NULL. */
const struct runtime *containers_runtime_named(struct containers *cs, const char *name);
