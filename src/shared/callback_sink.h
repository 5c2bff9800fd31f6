/* A byte sink (shared/byte_sink.h) for a caller that is not a reader: what
 * is written is dropped, and how the answer ended goes to a callback. The
 * swarm agent waits for a pull this way. */
#pragma once

#include "shared/byte_sink.h"

/* err is NULL when the answer completed. */
typedef void (*sink_done_fn)(void *arg, const struct error *err);

/* NULL when out of memory. */
struct byte_sink *callback_sink_new(sink_done_fn done, void *arg);
