/* Connections of the log drivers that send (syslog.c, gelf.c). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/error.h"
#include "shim/shim.h"

/* Go's net.Dial wording: "dial tcp 127.0.0.1:1: connect: connection refused". */
int shim_dial_inet(const char *proto, const char *addr, char *msg, size_t len)
{
	_cleanup_free_ char *host = strdup(addr);
	if (!host)
		return -ENOMEM;
	char *port = strrchr(host, ':');
	if (!port)
		return snprintf(msg, len, "dial %s %s: missing port in address", proto, addr),
		       -EINVAL;
	*port++ = '\0';
	if (host[0] == '[') { /* [v6]:port */
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	bool udp = strcmp(proto, "udp") == 0;
	struct addrinfo hints = {.ai_socktype = udp ? SOCK_DGRAM : SOCK_STREAM}, *res = NULL;
	int g = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (g != 0) {
		snprintf(msg, len, "dial %s %s: lookup %s: %s", proto, addr, host, gai_strerror(g));
		return -EHOSTUNREACH;
	}
	int fd = -1, r = 0;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			r = -errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		char text[64];
		snprintf(msg, len, "dial %s %s: connect: %s", proto, addr,
			 error_go_text(r < 0 ? -r : EIO, text, sizeof(text)));
		return r < 0 ? r : -EIO;
	}
	return fd;
}

int shim_dial_unix(int type, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}
