/* A container start in flight: from spawning its shim until the shim has
 * answered the start request. Private to the engine's container files. */
#pragma once

#include <stdbool.h>
#include <uv.h>

#include "engine/child.h"
#include "engine/container.h"
#include "shared/shim_proto.h"

struct start_job {
	struct containers *cs;
	struct container *c; /* NULL once the container went away */
	struct child shim;   /* the shim's first process, which exits at once */
	uv_pipe_t sync_pipe;
	char sync[SHIM_SYNC_MAX];
	size_t sync_len;
	int open_handles;
	bool finished;
	container_done_fn done;
	void *userdata;
};

/* Reports the outcome once; frees the job when its handles are closed. */
void start_job_finish(struct start_job *job, int r, const struct error *err);
/* Abandons the start at shutdown. */
void start_job_cancel(struct start_job *job);
