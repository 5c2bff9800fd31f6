/* Container output endpoints (containers_io.c) and what they share with
 * containers.c. */
#pragma once

#include <stdbool.h>

#include "api/api.h"

struct container;

/* Finds the route's {id}; false after replying 404. */
bool api_container_or_reply(const struct api_request *ar, struct container **ret);
/* Writes one log entry in Docker's multiplexed format (8-byte header:
 * stream, 0, 0, 0, big-endian length; none when raw, for tty output):
 * [timestamp ][details ]data. On a hijacked connection or a chunked stream. */
int api_log_frame(struct http_conn *conn, bool hijacked, bool raw, int stream, int64_t t_ns,
		  bool timestamps, const char *details, const char *data, size_t len);
/* GET /containers/{id}/logs */
void api_container_logs(const struct api_request *ar);
/* GET /containers/{id}/stats (containers_stats.c) */
void api_container_stats(const struct api_request *ar);
/* POST /containers/{id}/attach */
void api_container_attach(const struct api_request *ar);
