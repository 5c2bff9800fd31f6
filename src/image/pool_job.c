/* Thread-pool bookkeeping of pull and push (see pool_job.h). */
#include "image/pool_job.h"

#include <errno.h>

bool pool_job_queue(struct pool_job *pj, uv_work_t *w, uv_work_cb fn, uv_after_work_cb done,
		    const char *what)
{
	if (uv_queue_work(pj->loop, w, fn, done) == 0) {
		pj->running++;
		return true;
	}
	struct error e = ERROR_INIT;
	error_set(&e, -EAGAIN, "cannot queue %s", what);
	pool_job_fail(pj, &e);
	return false;
}

void pool_job_fail(struct pool_job *pj, struct error *err)
{
	if (err != &pj->err) {
		if (!pj->failed) {
			error_clear(&pj->err);
			pj->err = *err;
			*err = (struct error)ERROR_INIT;
		}
		error_clear(err);
	}
	pj->failed = true;
	pj->end(pj);
}

bool pool_job_settle(struct pool_job *pj, struct error *err)
{
	pj->running--;
	if (err->code < 0) {
		pool_job_fail(pj, err);
		return false;
	}
	if (pj->failed) {
		pj->end(pj);
		return false;
	}
	return true;
}
