/* The container service's private state, shared by src/engine/container*.c
 * only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"

struct daemon;
struct container;

/* An OCI runtime: runc (found on PATH) and those of --add-runtime. */
struct runtime {
	char *name, *path;
	char *root; /* its --root: <exec-root>/runc, <exec-root>/runtime-<name> */
};

struct containers {
	char *root;	 /* <data-root>/containers */
	char *exec_root; /* <exec-root>: bundles, runc state, shim sockets */
	char *shim_path;
	char *runtime_path;
	char *init_path; /* berth-init for --init; NULL when not installed */
	struct runtime *runtimes; /* [0] is runc */
	size_t n_runtimes;
	const char *default_runtime;
	bool swap_limit;
	uint64_t cap_bounding; /* berthd's own CapBnd */
	struct health_sub *health_subs; /* engine/health.h observers */
	struct container **v;
	size_t n, cap;
};

int containers_load(struct daemon *d, struct error *err);
/* The runtime a container runs with (HostConfig.Runtime, else the default);
 * runc when its runtime was removed from the configuration since. */
const struct runtime *container_runtime(struct daemon *d, const struct container *c);
/* The runtime called name, or NULL. */
const struct runtime *containers_runtime_named(struct daemon *d, const char *name);
