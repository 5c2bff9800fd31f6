/* A byte sink (shared/byte_sink.h) that answers an HTTP request: nothing is
 * sent before the first write, so an error before it is still a plain error
 * reply with its status, and an answer without writes is a plain 200. */
#pragma once

#include <uv.h>

#include "shared/byte_sink.h"
#include "shared/http_server.h"

/* Holds a reference on conn until the sink ends; NULL when out of memory. */
struct byte_sink *http_sink_new(uv_loop_t *loop, struct http_conn *conn);

/* http_sink_new for an API handler; NULL after answering 500 itself. */
struct byte_sink *http_sink_or_reply(uv_loop_t *loop, struct http_conn *conn);
