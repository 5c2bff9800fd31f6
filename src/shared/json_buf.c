/* See json_buf.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "shared/json_buf.h"

static int append_cb(const char *data, size_t len, void *userdata)
{
	return buf_append(userdata, data, len) < 0 ? -1 : 0;
}

int json_buf_value(struct buf *b, const json_t *v)
{
	if (!v)
		return buf_append(b, "null", 4);
	return json_dump_callback(v, append_cb, b, JSON_COMPACT | JSON_ENCODE_ANY) < 0 ? -ENOMEM
										       : 0;
}

/* Whether jansson would write s between quotes unchanged. */
static bool plain(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == '"' || *p == '\\')
			return false;
	return true;
}

int json_buf_str(struct buf *b, const char *s)
{
	if (!s)
		s = "";
	if (!plain(s)) { /* rare: let jansson escape it, so the bytes stay its own */
		json_t *j = json_string(s);
		int r = j ? json_buf_value(b, j) : -ENOMEM;
		json_decref(j);
		return r;
	}
	int r = buf_append(b, "\"", 1);
	if (r == 0)
		r = buf_append(b, s, strlen(s));
	return r == 0 ? buf_append(b, "\"", 1) : r;
}

int json_buf_raw(struct buf *b, const char *text)
{
	return buf_append(b, text, strlen(text));
}

int json_buf_int(struct buf *b, int64_t v)
{
	return buf_appendf(b, "%" PRId64, v);
}
