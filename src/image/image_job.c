/* Ending exclusive image jobs (see image_job.h). */
#include "image/image_job.h"

#include <stdlib.h>
#include <string.h>

#include "image/layer_store.h"
#include "shared/byte_sink.h"

void image_job_finish(struct image_store *is, struct image_job *job)
{
	bool started = job->started;
	job->free(job);
	if (started)
		image_store_exclusive_done(is);
}

struct failure_reply {
	struct byte_sink *out;
	struct error err;
	bool in_stream; /* a 200 with the error in the JSON stream */
};

void image_job_stream_line(struct byte_sink *out, json_t *msg)
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
	sink_write(out, line, n + 1);
	free(line);
}

void image_job_stream_error(struct byte_sink *out, const char *msg)
{
	image_job_stream_line(
	    out, json_pack("{s:{s:s}, s:s}", "errorDetail", "message", msg, "error", msg));
}

static void send_failure(void *data)
{
	struct failure_reply *f = data;
	if (f->in_stream) {
		sink_begin(f->out, "application/json", NULL, 0);
		image_job_stream_error(f->out, error_msg(&f->err));
	}
	sink_end(f->out, &f->err);
	error_clear(&f->err);
	free(f);
}

static void job_fail(struct image_store *is, struct image_job *job, struct byte_sink *out,
		     struct error *err, bool in_stream)
{
	struct failure_reply *f = malloc(sizeof(*f));
	if (!f) {
		image_job_finish(is, job);
		sink_end(out, err); /* out of memory: no stream to begin */
		error_clear(err);
		return;
	}
	*f = (struct failure_reply){.out = out, .err = *err, .in_stream = in_stream};
	*err = (struct error)ERROR_INIT;
	image_job_finish(is, job);
	/* The job's layers are released: their removal ends before the reply. */
	if (layer_store_after_removals(image_store_layers(is), send_failure, f) < 0)
		send_failure(f);
}

void image_job_fail(struct image_store *is, struct image_job *job, struct byte_sink *out,
		    struct error *err)
{
	job_fail(is, job, out, err, false);
}

void image_job_fail_in_stream(struct image_store *is, struct image_job *job, struct byte_sink *out,
			      struct error *err)
{
	job_fail(is, job, out, err, true);
}
