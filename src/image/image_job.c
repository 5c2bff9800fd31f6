/* Ending exclusive image jobs (see image_job.h). */
#include "image/image_job.h"

#include <stdlib.h>
#include <string.h>

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
	bool in_stream; /* a 200 with the error in the JSON stream */
};

void image_job_stream_line(struct http_conn *conn, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!s)
		return;
	/* The newline goes in the same chunk: SDKs parse chunk by chunk. */
	size_t n = strlen(s);
	char *line = realloc(s, n + 2);
	if (!line) {
		free(s);
		return;
	}
	memcpy(line + n, "\n", 2);
	http_stream_write(conn, line, n + 1);
	free(line);
}

void image_job_stream_error(struct http_conn *conn, const char *msg)
{
	image_job_stream_line(
	    conn, json_pack("{s:{s:s}, s:s}", "errorDetail", "message", msg, "error", msg));
}

static void send_failure(void *data)
{
	struct failure_reply *f = data;
	if (f->in_stream) {
		http_stream_begin(f->conn, 200, "application/json");
		image_job_stream_error(f->conn, error_msg(&f->err));
		http_stream_end(f->conn);
	} else {
		http_reply_err(f->conn, &f->err);
	}
	error_clear(&f->err);
	http_conn_unref(f->conn);
	free(f);
}

static void job_fail(struct image_store *is, struct image_job *job, struct http_conn *conn,
		     struct error *err, bool in_stream)
{
	struct failure_reply *f = malloc(sizeof(*f));
	if (!f) {
		image_job_finish(is, job);
		http_reply_err(conn, err); /* out of memory: no stream to begin */
		error_clear(err);
		return;
	}
	*f = (struct failure_reply){.conn = conn, .err = *err, .in_stream = in_stream};
	*err = (struct error)ERROR_INIT;
	http_conn_ref(conn);
	image_job_finish(is, job);
	/* The job's layers are released: their removal ends before the reply. */
	if (layer_store_after_removals(image_store_layers(is), send_failure, f) < 0)
		send_failure(f);
}

void image_job_fail(struct image_store *is, struct image_job *job, struct http_conn *conn,
		    struct error *err)
{
	job_fail(is, job, conn, err, false);
}

void image_job_fail_in_stream(struct image_store *is, struct image_job *job, struct http_conn *conn,
			      struct error *err)
{
	job_fail(is, job, conn, err, true);
}
