/* The syslog log driver (log_syslog.c). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/error.h"

struct container;

/* Checks LogConfig (lc) of Type syslog as dockerd does, with dockerd's
 * messages; the cache (dual logging: docker logs reads it) rotates at
 * *max_size with *max_file files, and *cached is false with
 * cache-disabled. -EINVAL with the message otherwise. */
int log_syslog_opts(json_t *lc, uint64_t *max_size, unsigned *max_file, bool *cached,
		    struct error *err);

/* What the shim needs to send: proto "udp", "tcp", "unix", "unixgram" or
 * "local", the address (host:port or a path), the facility shifted, the
 * format and the tag (--log-opt tag rendered). */
struct log_syslog_args {
	char proto[16];
	char *addr;
	char facility[8];
	char format[16];
	char *tag;
};
int log_syslog_shim_args(const struct container *c, json_t *lc, struct log_syslog_args *a,
			 struct error *err);
void log_syslog_args_done(struct log_syslog_args *a);
