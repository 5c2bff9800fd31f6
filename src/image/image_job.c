/* Ending exclusive image jobs (see image_job.h). */
#include "image/image_job.h"

#include "shared/http_server.h"

void image_job_finish(struct image_store *is, struct image_job *job)
{
	bool started = job->started;
	job->free(job);
	if (started)
		image_store_exclusive_done(is);
}

void image_job_fail(struct image_store *is, struct image_job *job, struct http_conn *conn,
		    struct error *err)
{
	struct error e = *err;
	*err = (struct error)ERROR_INIT;
	http_conn_ref(conn);
	image_job_finish(is, job);
	http_reply_err(conn, &e);
	error_clear(&e);
	http_conn_unref(conn);
}
