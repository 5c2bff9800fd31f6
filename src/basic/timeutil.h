/* Time values as the Engine API and the docker CLI spell them. */
#pragma once

#include <stdint.h>
#include <time.h>

/* Nanoseconds since the epoch, wall clock. */
int64_t time_now_ns(void);

/* Parses the API's timestamp form "SECONDS[.NANOS]" (what the CLI sends for
 * since/until) into nanoseconds since the epoch. -EINVAL on anything else. */
int time_parse_api_timestamp(const char *s, int64_t *ret_ns);

/* Parses what a user may type for --since/--until, as docker does: a Unix
 * timestamp, an RFC 3339 date or date-time (with or without zone, local time
 * when absent), or a Go duration ("10m", "1h30m") counted back from now_ns.
 * -EINVAL when none of these match. */
int time_parse_user_timestamp(const char *s, int64_t now_ns, int64_t *ret_ns);

/* Parses a Go duration ("300ms", "1h2m3s", "1.5s"); -EINVAL otherwise. */
int time_parse_duration(const char *s, int64_t *ret_ns);

/* Formats ns as RFC 3339 with nanoseconds in UTC, "2006-01-02T15:04:05.999999999Z"
 * (trailing zeros of the fraction trimmed, as Go's RFC3339Nano does). */
void time_format_rfc3339nano(int64_t ns, char *buf, size_t len);

/* Formats ns as Go's time.Duration.String() does: "1.5s", "500ms", "1m30s",
 * "2h0m0s", "0s". */
void time_format_duration(int64_t ns, char *buf, size_t len);
