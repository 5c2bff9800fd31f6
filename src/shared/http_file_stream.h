/* Streaming a file (an archive written to a scratch file on the thread pool)
 * as the body of a chunked response, one chunk at a time, the next only once
 * the client has taken the last: memory stays bounded for any size. */
#pragma once

#include <uv.h>

#include "shared/http_server.h"

/* The response has begun (http_stream_begin*); sends fd (owned, read from
 * offset 0 to its end) and ends the stream. Holds a reference on conn
 * meanwhile. */
void http_stream_file(uv_loop_t *loop, struct http_conn *conn, int fd);
