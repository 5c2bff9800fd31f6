/* What pull and push share about their work on the thread pool: the items
 * queued are counted, the first error is kept, and the job's end callback
 * runs after each step so the job can end once nothing of it runs any more.
 * On the loop. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "basic/error.h"

struct pool_job {
	uv_loop_t *loop;
	size_t running; /* work items queued and not yet done */
	bool failed;
	struct error err; /* the first failure (or a step's own error) */
	void (*end)(struct pool_job *pj);
};

/* Queues fn for the job; when the pool refuses, fails the job ("cannot
 * queue <what>") and returns false. */
bool pool_job_queue(struct pool_job *pj, uv_work_t *w, uv_work_cb fn, uv_after_work_cb done,
		    const char *what);
/* Keeps err (taken; it may be pj->err itself) as the job's failure unless
 * one came first, then calls end. */
void pool_job_fail(struct pool_job *pj, struct error *err);
/* In an after-work callback: one item less; the step's err (taken, may be
 * pj->err) fails the job. False when the job has failed: stop there. */
bool pool_job_settle(struct pool_job *pj, struct error *err);
