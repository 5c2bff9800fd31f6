/* How exclusive image jobs (load, import) end: freed, with the store's
 * exclusive slot handed on when they held it. */
#pragma once

#include <jansson.h>

#include "basic/error.h"
#include "image/image_store.h"

struct http_conn;

void image_job_finish(struct image_store *is, struct image_job *job);
/* Finishes the job first, then replies err (the job's, moved out of it) on
 * conn: a client that sees the error may look at the store at once and must
 * not find the job's leftovers. */
void image_job_fail(struct image_store *is, struct image_job *job, struct http_conn *conn,
		    struct error *err);
/* The same as a 200 whose JSON stream holds the error line, as dockerd
 * answers a failed /images/load. */
void image_job_fail_in_stream(struct image_store *is, struct image_job *job, struct http_conn *conn,
			      struct error *err);
/* One JSON message (taken) and its newline, in one chunk of a stream. */
void image_job_stream_line(struct http_conn *conn, json_t *msg);
/* The stream's error line: {"errorDetail":{"message":msg},"error":msg}. */
void image_job_stream_error(struct http_conn *conn, const char *msg);
