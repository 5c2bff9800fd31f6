/* The gelf log driver (log_gelf.c). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/error.h"

struct container;

/* Checks LogConfig (lc) of Type gelf as dockerd does, with its messages;
 * the cache as for syslog (log_syslog.h). */
int log_gelf_opts(json_t *lc, uint64_t *max_size, unsigned *max_file, bool *cached,
		  struct error *err);

/* What the shim needs: proto "udp" or "tcp", host:port, compression
 * (gzip, zlib or none) and its level, and the JSON object of the fields
 * every message carries (_container_id, _tag, labels and env asked for). */
struct log_gelf_args {
	char proto[8];
	char *addr;
	char compress[8];
	char level[8];
	char *extra;
};
int log_gelf_shim_args(const struct container *c, json_t *lc, struct log_gelf_args *a,
		       struct error *err);
void log_gelf_args_done(struct log_gelf_args *a);
