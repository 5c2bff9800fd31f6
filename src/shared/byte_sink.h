/* Where a long answer goes when its producer (a build, a copy out of a
 * container) must not know how it travels. The API backs a sink with an HTTP
 * response (api/http_sink.c). A producer owns the sink it is given and ends
 * it exactly once (sink_end or sink_send_file), which releases it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "basic/error.h"

struct sink_meta {
	const char *name;
	const char *value;
};

struct byte_sink;

struct byte_sink_ops {
	void (*begin)(struct byte_sink *s, const char *type, const struct sink_meta *meta,
		      size_t n_meta);
	int (*write)(struct byte_sink *s, const void *data, size_t len);
	void (*send_file)(struct byte_sink *s, int fd);
	void (*end)(struct byte_sink *s, const struct error *err);
	bool (*gone)(const struct byte_sink *s);
};

struct byte_sink {
	const struct byte_sink_ops *ops;
};

/* The answer's media type and metadata (both copied); optional, and only
 * before the first write. */
static inline void sink_begin(struct byte_sink *s, const char *type, const struct sink_meta *meta,
			      size_t n_meta)
{
	s->ops->begin(s, type, meta, n_meta);
}

/* A piece of the answer, passed on at once and whole (clients such as
 * docker-py decode a stream piece by piece). < 0 when the reader is gone. */
static inline int sink_write(struct byte_sink *s, const void *data, size_t len)
{
	return s->ops->write(s, data, len);
}

/* The rest of the answer is fd's content (owned, read from offset 0); this
 * ends the answer and releases the sink. */
static inline void sink_send_file(struct byte_sink *s, int fd)
{
	s->ops->send_file(s, fd);
}

/* Ends the answer and releases the sink. err NULL: complete (with nothing
 * written, an empty answer carrying begin's metadata). err set: failed;
 * before any write the reader gets the error itself, after writes the
 * answer stops there (producers that report errors in band do it first). */
static inline void sink_end(struct byte_sink *s, const struct error *err)
{
	s->ops->end(s, err);
}

/* sink_end with a new error of code and msg. */
static inline void sink_fail(struct byte_sink *s, int code, const char *msg)
{
	struct error err = ERROR_INIT;
	error_set(&err, code, "%s", msg);
	sink_end(s, &err);
	error_clear(&err);
}

/* The reader went away: a producer stops early. */
static inline bool sink_gone(const struct byte_sink *s)
{
	return s->ops->gone(s);
}
