/* Ending exclusive image jobs (see image_job.h). */
#include "image/image_job.h"

#include <stdlib.h>

#include "image/layer_store.h"
#include "shared/http_server.h"

void image_job_finish(struct image_store *is, struct image_job *job)
{
	bool started = job->started;
	job->free(job);
	if (started)
		image_store_exclusive_done(is);
}

struct failure_reply {
	struct http_conn *conn;
	struct error err;
};

static void send_failure(void *data)
{
	struct failure_reply *f = data;
	http_reply_err(f->conn, &f->err);
	error_clear(&f->err);
	http_conn_unref(f->conn);
	free(f);
}

void image_job_fail(struct image_store *is, struct image_job *job, struct http_conn *conn,
		    struct error *err)
{
	struct failure_reply *f = malloc(sizeof(*f));
	if (!f) {
		image_job_finish(is, job);
		http_reply_err(conn, err);
		error_clear(err);
		return;
	}
	*f = (struct failure_reply){.conn = conn, .err = *err};
	*err = (struct error)ERROR_INIT;
	http_conn_ref(conn);
	image_job_finish(is, job);
	/* The job's layers are released: their removal ends before the reply. */
	if (layer_store_after_removals(image_store_layers(is), send_failure, f) < 0)
		send_failure(f);
}
