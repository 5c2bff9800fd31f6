/* Logging in dockerd's text layout: time="..." level=info msg="...". The
 * logger is owned by whoever runs the program (the daemon struct, the CLI); it is
 * passed down, never global. */
#pragma once

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_FATAL,
};

struct logger {
	enum log_level level;
	int fd; /* where lines go, usually 2 */
};

/* Parses "debug", "info", "warn" (or "warning"), "error", "fatal". -EINVAL otherwise. */
int log_level_parse(const char *s, enum log_level *ret);
const char *log_level_name(enum log_level level);

void log_write(const struct logger *lg, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline bool log_enabled(const struct logger *lg, enum log_level level)
{
	return lg && level >= lg->level;
}

#define log_debug(lg, ...) log_write((lg), LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(lg, ...) log_write((lg), LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(lg, ...) log_write((lg), LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(lg, ...) log_write((lg), LOG_LEVEL_ERROR, __VA_ARGS__)
