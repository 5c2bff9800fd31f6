/* Writing JSON text straight into a buffer, byte for byte as jansson's
 * JSON_COMPACT dump writes it, for large replies that should not build a
 * tree first (GET /containers/json). Values that already are trees are
 * dumped in place. Each returns 0 or -ENOMEM. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/buf.h"

/* s as a JSON string ("" for NULL). */
int json_buf_str(struct buf *b, const char *s);
/* Text that already is JSON (keys, punctuation), as it is. */
int json_buf_raw(struct buf *b, const char *text);
int json_buf_int(struct buf *b, int64_t v);
/* v dumped compact; null for NULL. */
int json_buf_value(struct buf *b, const json_t *v);
