/* dockerd's JSON progress messages (jsonmessage) written to a byte sink, one
 * object a line, which the docker CLI draws as progress bars. */
#pragma once

#include <stdint.h>

struct byte_sink;

/* {"status": status, "id": id} (id may be NULL). */
void progress_status(struct byte_sink *out, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* {"status", "progressDetail": {"current", "total"}, "progress", "id"}. */
void progress_bytes(struct byte_sink *out, const char *id, const char *status, int64_t current,
		    int64_t total);
/* {"errorDetail": {"message"}, "error"}: how a stream reports failure. */
void progress_error(struct byte_sink *out, const char *msg);
/* {"progressDetail": {}, "aux": aux} (reference to aux stolen). */
struct json_t;
void progress_aux(struct byte_sink *out, struct json_t *aux);
