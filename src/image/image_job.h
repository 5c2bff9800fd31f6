/* How exclusive image jobs (load, import) end: freed, with the store's
 * exclusive slot handed on when they held it. */
#pragma once

#include "basic/error.h"
#include "image/image_store.h"

struct http_conn;

void image_job_finish(struct image_store *is, struct image_job *job);
/* Finishes the job first, then replies err (the job's, moved out of it) on
 * conn: a client that sees the error may look at the store at once and must
 * not find the job's leftovers. */
void image_job_fail(struct image_store *is, struct image_job *job, struct http_conn *conn,
		    struct error *err);
