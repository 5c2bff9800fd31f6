/* Line-at-a-time logging; one write(2) per line so lines from threads never mix. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[] = {
	[LOG_LEVEL_DEBUG] = "debug", [LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_WARN] = "warning", [LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_FATAL] = "fatal",
};

int log_level_parse(const char *s, enum log_level *ret)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*ret = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "warn") == 0) {
		*ret = LOG_LEVEL_WARN;
		return 0;
	}
	return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
	return level_names[level];
}

/* Escapes quotes and control characters so one message is one line. */
static size_t escape_into(char *dst, size_t cap, const char *src)
{
	size_t n = 0;
	for (; *src && n + 2 < cap; src++) {
		unsigned char c = (unsigned char)*src;
		if (c == '"' || c == '\\') {
			dst[n++] = '\\';
			dst[n++] = (char)c;
		} else if (c == '\n') {
			dst[n++] = '\\';
			dst[n++] = 'n';
		} else if (c < 0x20) {
			dst[n++] = ' ';
		} else {
			dst[n++] = (char)c;
		}
	}
	dst[n] = '\0';
	return n;
}

void log_write(const struct logger *lg, enum log_level level, const char *fmt, ...)
{
	if (!log_enabled(lg, level))
		return;
	int saved_errno = errno;
	char msg[2048], esc[4200], line[4400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	escape_into(esc, sizeof(esc), msg);

	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char when[64];
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	int n = snprintf(line, sizeof(line), "time=\"%s.%09ldZ\" level=%s msg=\"%s\"\n",
			 when, ts.tv_nsec, level_names[level], esc);
	if (n > (int)sizeof(line))
		n = sizeof(line);
	ssize_t w = write(lg->fd, line, (size_t)n);
	(void)w; /* nowhere left to report a failed log write */
	errno = saved_errno;
}
