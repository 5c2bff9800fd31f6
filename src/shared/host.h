/* Daemon addresses as docker spells them: unix:///path, tcp://ip:port. */
#pragma once

#include <stdbool.h>

#include "basic/error.h"

enum host_kind { HOST_UNIX, HOST_TCP };

struct host_addr {
	enum host_kind kind;
	char path[108]; /* unix */
	char ip[64];    /* tcp, numeric */
	int port;
};

/* Parses spec. A tcp address without host means 127.0.0.1, "localhost"
 * means 127.0.0.1, a missing port 2375 (2376 with tls). Other host names are
 * refused: the daemon binds numeric addresses only. */
int host_parse(const char *spec, bool tls, struct host_addr *ret, struct error *err);

/* True for 127.0.0.0/8 and ::1. */
bool host_is_loopback(const struct host_addr *h);
