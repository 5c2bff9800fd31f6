/* How exclusive image jobs (load, import) end: freed, with the store's
 * exclusive slot handed on when they held it. */
#pragma once

#include <jansson.h>

#include "basic/error.h"
#include "image/image_store.h"

struct byte_sink;

void image_job_finish(struct image_store *is, struct image_job *job);
/* Finishes the job first, then ends out (owned) with err (the job's, moved
 * out of it): a client that sees the error may look at the store at once and
 * must not find the job's leftovers. */
void image_job_fail(struct image_store *is, struct image_job *job, struct byte_sink *out,
		    struct error *err);
/* The same, but the error goes out as the JSON stream's error line (a 200
 * for HTTP), as dockerd answers a failed /images/load. */
void image_job_fail_in_stream(struct image_store *is, struct image_job *job, struct byte_sink *out,
			      struct error *err);
/* One JSON message (taken) and its newline, in one write. */
void image_job_stream_line(struct byte_sink *out, json_t *msg);
/* The stream's error line: {"errorDetail":{"message":msg},"error":msg}. */
void image_job_stream_error(struct byte_sink *out, const char *msg);
