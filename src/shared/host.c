#include "host.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_tcp(const char *rest, bool tls, struct host_addr *h, const char *spec,
		     struct error *err)
{
	char host[64] = "";
	const char *port_s = NULL;
	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');
		if (!close || (size_t)(close - rest - 1) >= sizeof(host))
			return error_set(err, -EINVAL, "invalid bind address format: %s", spec);
		memcpy(host, rest + 1, (size_t)(close - rest - 1));
		if (close[1] == ':')
			port_s = close + 2;
		else if (close[1])
			return error_set(err, -EINVAL, "invalid bind address format: %s", spec);
	} else {
		const char *colon = strrchr(rest, ':');
		size_t n = colon ? (size_t)(colon - rest) : strlen(rest);
		if (n >= sizeof(host))
			return error_set(err, -EINVAL, "invalid bind address format: %s", spec);
		memcpy(host, rest, n);
		host[n] = '\0';
		port_s = colon ? colon + 1 : NULL;
	}
	if (strchr(host, '/'))
		return error_set(err, -EINVAL, "invalid bind address format: %s", spec);
	if (!host[0] || strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	unsigned char tmp[16];
	if (inet_pton(AF_INET, host, tmp) != 1 && inet_pton(AF_INET6, host, tmp) != 1)
		return error_set(err, -EINVAL, "invalid bind address %s: use a numeric IP address", spec);
	h->port = tls ? 2376 : 2375;
	if (port_s && *port_s) {
		char *end;
		long p = strtol(port_s, &end, 10);
		if (*end || p < 1 || p > 65535)
			return error_set(err, -EINVAL, "invalid bind address %s: invalid port", spec);
		h->port = (int)p;
	}
	h->kind = HOST_TCP;
	snprintf(h->ip, sizeof(h->ip), "%s", host);
	return 0;
}

int host_parse(const char *spec, bool tls, struct host_addr *ret, struct error *err)
{
	struct host_addr h = {0};
	if (strncmp(spec, "unix://", 7) == 0) {
		const char *path = spec + 7;
		if (!*path)
			path = "/run/berth/berth.sock";
		if (path[0] != '/' || strlen(path) >= sizeof(h.path))
			return error_set(err, -EINVAL, "invalid unix socket path in %s", spec);
		h.kind = HOST_UNIX;
		snprintf(h.path, sizeof(h.path), "%s", path);
		*ret = h;
		return 0;
	}
	if (strncmp(spec, "tcp://", 6) == 0) {
		int r = parse_tcp(spec + 6, tls, &h, spec, err);
		if (r == 0)
			*ret = h;
		return r;
	}
	return error_set(err, -EINVAL, "invalid bind address format: %s (use unix:///path or tcp://ip:port)", spec);
}

bool host_is_loopback(const struct host_addr *h)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, h->ip, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, h->ip, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}
