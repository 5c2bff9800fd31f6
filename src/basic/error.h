/* Errors for people: functions return 0 (or >= 0) on success and a negative
 * errno-style code on failure, and fill a struct error with a message meant for
 * the user. Set a message once; wrap it with context on the way up. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

struct error {
	int code;  /* negative errno-style code, 0 when unset */
	char *msg; /* owned, NULL when unset */
};

#define ERROR_INIT {0, NULL}

/* Sets err (which must be empty) to code and a printf-style message; returns
 * code so callers can `return error_set(err, -EINVAL, "...")`. err may be NULL. */
int error_set(struct error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes the message already in err with "<context>: "; returns err->code. */
int error_wrap(struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Releases the message and resets err to empty. Accepts NULL. */
void error_clear(struct error *err);

static inline const char *error_msg(const struct error *err)
{
	return err && err->msg ? err->msg : "unknown error";
}

/* strerror(e) as Go spells system errors, in lower case ("no such file or
 * directory"), for messages that match dockerd's word for word. */
const char *error_go_text(int e, char *buf, size_t len);
