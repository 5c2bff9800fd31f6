/* struct error: the one place user-facing error messages are built. */
#include "error.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

int error_set(struct error *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	/* Setting twice leaks the first message and hides the real cause. */
	assert(err->msg == NULL);
	va_list ap;
	va_start(ap, fmt);
	err->msg = vformat(fmt, ap);
	va_end(ap);
	err->code = code;
	return code;
}

int error_wrap(struct error *err, const char *fmt, ...)
{
	if (!err)
		return -EINVAL;
	va_list ap;
	va_start(ap, fmt);
	char *ctx = vformat(fmt, ap);
	va_end(ap);
	char *joined = NULL;
	if (ctx && asprintf(&joined, "%s: %s", ctx, error_msg(err)) >= 0) {
		free(err->msg);
		err->msg = joined;
	}
	free(ctx);
	return err->code;
}

void error_clear(struct error *err)
{
	if (!err)
		return;
	free(err->msg);
	err->msg = NULL;
	err->code = 0;
}

const char *error_go_text(int e, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(e));
	if (len)
		buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}
