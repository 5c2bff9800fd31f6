/* The container service's private state, shared by src/engine/container*.c
 * only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"

struct daemon;
struct container;

struct containers {
	char *root;	 /* <data-root>/containers */
	char *exec_root; /* <exec-root>: bundles, runc state, shim sockets */
	char *runc_root; /* <exec-root>/runc */
	char *shim_path;
	char *runtime_path;
	char *init_path; /* berth-init for --init; NULL when not installed */
	bool swap_limit;
	uint64_t cap_bounding; /* berthd's own CapBnd */
	struct container **v;
	size_t n, cap;
};

int containers_load(struct daemon *d, struct error *err);
