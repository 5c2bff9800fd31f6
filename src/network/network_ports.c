/* Published ports of a sandbox: host ports held by bound sockets (the
 * nftables rules do the forwarding), ephemeral ports, ranges, and holding
 * them again after a daemon restart. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "daemon/daemon.h"
#include "network/network.h"
#include "network/network_priv.h"

/* ---- published ports ---- */

void ports_close(struct sandbox *sb)
{
	for (size_t i = 0; i < sb->n_port_fds; i++)
		close(sb->port_fds[i]);
	free(sb->port_fds);
	free(sb->nports);
	sb->port_fds = NULL;
	sb->nports = NULL;
	sb->n_port_fds = sb->n_nports = 0;
}

/* Holds host ip:port with a bound socket (the rules do the forwarding), so
 * no other program and no other container can take it. */
static int hold_port(const char *proto, uint32_t ip, int port, int *ret_fd, int *ret_port)
{
	int fd =
	    socket(AF_INET, (strcmp(proto, "udp") ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_in a = {
	    .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(ip)};
	socklen_t len = sizeof(a);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	*ret_fd = fd;
	*ret_port = ntohs(a.sin_port);
	return 0;
}

static int add_port(struct sandbox *sb, const char *proto, uint32_t hip, int hport, uint32_t cip,
		    int cport, int fd)
{
	struct nft_port *np = realloc(sb->nports, (sb->n_nports + 1) * sizeof(*np));
	if (np)
		sb->nports = np;
	int *fds = realloc(sb->port_fds, (sb->n_port_fds + 1) * sizeof(*fds));
	if (fds)
		sb->port_fds = fds;
	if (!np || !fds) {
		close(fd);
		return -ENOMEM;
	}
	sb->nports[sb->n_nports++] =
	    (struct nft_port){strcmp(proto, "udp") ? "tcp" : "udp", hip, hport, cip, cport};
	sb->port_fds[sb->n_port_fds++] = fd;
	return 0;
}

/* "80/tcp" -> 80, "tcp". */
int port_key_parse(const char *key, int *port, const char **proto)
{
	char *end;
	long p = strtol(key, &end, 10);
	if (p <= 0 || p > 65535 || (*end && *end != '/'))
		return -EINVAL;
	*port = (int)p;
	*proto = *end == '/' ? end + 1 : "tcp";
	return strcmp(*proto, "tcp") && strcmp(*proto, "udp") && strcmp(*proto, "sctp") ? -EINVAL
											: 0;
}

/* One binding: HostPort "", "8080" or "8080-8090". */
static int bind_one(struct sandbox *sb, const char *proto, const char *hip_s, const char *hport_s,
		    uint32_t cip, int cport, json_t *out_list, struct error *err)
{
	uint32_t hip = 0;
	if (*hip_s && ip_parse(hip_s, &hip) < 0)
		return error_set(err, -EINVAL, "invalid host IP %s (only IPv4 is supported)",
				 hip_s);
	long lo = 0, hi = 0;
	char *end;
	if (*hport_s) {
		lo = hi = strtol(hport_s, &end, 10);
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		if (*end || lo <= 0 || hi > 65535 || hi < lo)
			return error_set(err, -EINVAL, "invalid port specification: \"%s\"",
					 hport_s);
	}
	char ipbuf[16];
	int fd = -1, got = 0, r = -EADDRINUSE;
	for (long p = lo; p <= hi && r < 0; p++)
		r = hold_port(proto, hip, (int)p, &fd, &got);
	if (r < 0) {
		if (lo != hi)
			return error_set(err, -EBUSY,
					 "Bind for %s:%s failed: all ports are allocated",
					 ip_format(hip, ipbuf), hport_s);
		return error_set(err, r == -EADDRINUSE ? -EBUSY : r, "Bind for %s:%ld failed: %s",
				 ip_format(hip, ipbuf), lo,
				 r == -EADDRINUSE ? "port is already allocated" : strerror(-r));
	}
	if (add_port(sb, proto, hip, got, cip, cport, fd) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	char pb[8];
	snprintf(pb, sizeof(pb), "%d", got);
	json_array_append_new(
	    out_list, json_pack("{s:s, s:s}", "HostIp", ip_format(hip, ipbuf), "HostPort", pb));
	return 0;
}

int ports_setup(struct daemon *d, const struct net_container *c, struct sandbox *sb, uint32_t cip,
		struct error *err)
{
	json_t *ports = json_object();
	json_t *bindings = json_object_get(c->host_config, "PortBindings");
	bool all = json_is_true(json_object_get(c->host_config, "PublishAllPorts"));
	const char *key;
	json_t *v;
	int r = 0;
	json_object_foreach(json_object_get(c->config, "ExposedPorts"), key, v)
	    json_object_set_new(ports, key, json_null());
	json_object_foreach(bindings, key, v)
	{
		int cport;
		const char *proto;
		if (port_key_parse(key, &cport, &proto) < 0) {
			r = error_set(err, -EINVAL, "invalid port specification: \"%s\"", key);
			break;
		}
		json_t *list = json_array();
		size_t i;
		json_t *b;
		json_array_foreach(v, i, b) if (r == 0) r = bind_one(
		    sb, proto, jstr(b, "HostIp"), jstr(b, "HostPort"), cip, cport, list, err);
		json_object_set_new(ports, key, list);
		if (r < 0)
			break;
	}
	json_object_foreach(json_object_get(c->config, "ExposedPorts"), key, v)
	{
		int cport;
		const char *proto;
		if (r < 0 || !all || json_object_get(bindings, key) ||
		    port_key_parse(key, &cport, &proto) < 0)
			continue;
		json_t *list = json_array();
		r = bind_one(sb, proto, "", "", cip, cport, list, err);
		json_object_set_new(ports, key, list);
	}
	if (r < 0) {
		json_decref(ports);
		ports_close(sb);
		return r;
	}
	sb->ports = ports;
	return 0;
}

/* Re-holds the ports of a sandbox loaded at daemon start. */
void ports_restore(struct daemon *d, struct sandbox *sb, uint32_t cip)
{
	const char *key;
	json_t *v;
	json_object_foreach(sb->ports, key, v)
	{
		int cport;
		const char *proto;
		size_t i;
		json_t *b;
		if (port_key_parse(key, &cport, &proto) < 0)
			continue;
		json_array_foreach(v, i, b)
		{
			uint32_t hip = 0;
			int fd, got;
			int hport = atoi(jstr(b, "HostPort"));
			ip_parse(jstr(b, "HostIp"), &hip);
			if (hold_port(proto, hip, hport, &fd, &got) < 0) {
				log_warn(&d->log, "container %.12s: host port %d is taken now",
					 sb->cid, hport);
				fd = -1;
			}
			if (fd >= 0)
				add_port(sb, proto, hip, hport, cip, cport, fd);
		}
	}
}
