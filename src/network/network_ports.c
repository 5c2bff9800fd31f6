/* Published ports of a sandbox: host ports held by bound sockets (the
 * nftables rules do the forwarding), ephemeral ports, ranges, IPv6 host
 * addresses (to the container's IPv6 address on a dual-stack network), and
 * holding them again after a daemon restart. */
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

/* A host address to publish on: IPv4 (host order) or IPv6. */
struct host_addr {
	bool v6;
	uint32_t ip;
	struct in6_addr ip6;
};

static const char *host_addr_text(const struct host_addr *h, char buf[INET6_ADDRSTRLEN])
{
	return h->v6 ? ip6_format(&h->ip6, buf) : ip_format(h->ip, buf);
}

/* Holds host ip:port with a bound socket (the rules do the forwarding), so
 * no other program and no other container can take it. An IPv6 socket
 * holds the IPv6 port only (V6ONLY): 0.0.0.0 and :: are held apart. */
static int hold_port(const char *proto, const struct host_addr *h, int port, int *ret_fd,
		     int *ret_port)
{
	int type = (strcmp(proto, "udp") ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC;
	int fd = socket(h->v6 ? AF_INET6 : AF_INET, type, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_storage ss = {0};
	socklen_t len = h->v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (h->v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		*a = (struct sockaddr_in6){.sin6_family = AF_INET6,
					   .sin6_port = htons((uint16_t)port),
					   .sin6_addr = h->ip6};
		int one = 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		*a = (struct sockaddr_in){.sin_family = AF_INET,
					  .sin_port = htons((uint16_t)port),
					  .sin_addr.s_addr = htonl(h->ip)};
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	*ret_fd = fd;
	*ret_port = ntohs(h->v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
				: ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

static int add_port(struct sandbox *sb, const char *proto, const struct host_addr *h, int hport,
		    const struct endpoint *ep, int cport, int fd)
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
	    (struct nft_port){.proto = strcmp(proto, "udp") ? "tcp" : "udp",
			      .host_ip = h->v6 ? 0 : h->ip,
			      .host_port = hport,
			      .ct_ip = ep->ip,
			      .ct_port = cport,
			      .v6 = h->v6,
			      .host_ip6 = h->ip6,
			      .ct_ip6 = ep->ip6};
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

/* Holds one host address for a port: the first free port of lo..hi (0..0:
 * an ephemeral one). */
static int bind_addr(struct sandbox *sb, const char *proto, const struct host_addr *h, long lo,
		     long hi, const char *hport_s, const struct endpoint *ep, int cport,
		     json_t *out_list, int *ret_port, struct error *err)
{
	char ipbuf[INET6_ADDRSTRLEN];
	int fd = -1, got = 0, r = -EADDRINUSE;
	for (long p = lo; p <= hi && r < 0; p++)
		r = hold_port(proto, h, (int)p, &fd, &got);
	if (r < 0) {
		if (lo != hi)
			return error_set(err, -EBUSY,
					 "Bind for %s:%s failed: all ports are allocated",
					 host_addr_text(h, ipbuf), hport_s);
		return error_set(err, r == -EADDRINUSE ? -EBUSY : r, "Bind for %s:%ld failed: %s",
				 host_addr_text(h, ipbuf), lo,
				 r == -EADDRINUSE ? "port is already allocated" : strerror(-r));
	}
	if (add_port(sb, proto, h, got, ep, cport, fd) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	char pb[8];
	snprintf(pb, sizeof(pb), "%d", got);
	json_array_append_new(
	    out_list, json_pack("{s:s, s:s}", "HostIp", host_addr_text(h, ipbuf), "HostPort", pb));
	*ret_port = got;
	return 0;
}

/* One binding: HostPort "", "8080" or "8080-8090". No host address on a
 * dual-stack network is 0.0.0.0 and :: on the same port, as dockerd. */
static int bind_one(struct sandbox *sb, const char *proto, const char *hip_s, const char *hport_s,
		    const struct endpoint *ep, int cport, json_t *out_list, struct error *err)
{
	struct host_addr h = {0};
	bool has6 = !ip6_is_zero(&ep->ip6);
	if (*hip_s && ip_parse(hip_s, &h.ip) < 0) {
		if (ip6_parse(hip_s, &h.ip6) < 0)
			return error_set(err, -EINVAL, "invalid host IP %s", hip_s);
		if (!has6)
			return error_set(err, -EINVAL,
					 "invalid host IP %s: the container has no IPv6 address",
					 hip_s);
		h.v6 = true;
	}
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
	int got;
	int r = bind_addr(sb, proto, &h, lo, hi, hport_s, ep, cport, out_list, &got, err);
	if (r < 0 || *hip_s || !has6)
		return r;
	struct host_addr any6 = {.v6 = true};
	return bind_addr(sb, proto, &any6, got, got, hport_s, ep, cport, out_list, &got, err);
}

int ports_setup(struct networks *ns, const struct net_container *c, struct sandbox *sb,
		const struct endpoint *ep, struct error *err)
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
		    sb, proto, jstr(b, "HostIp"), jstr(b, "HostPort"), ep, cport, list, err);
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
		r = bind_one(sb, proto, "", "", ep, cport, list, err);
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
void ports_restore(struct networks *ns, struct sandbox *sb, const struct endpoint *ep)
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
			struct host_addr h = {0};
			int fd, got;
			int hport = atoi(jstr(b, "HostPort"));
			if (ip_parse(jstr(b, "HostIp"), &h.ip) < 0)
				h.v6 = ip6_parse(jstr(b, "HostIp"), &h.ip6) == 0;
			if (h.v6 && ip6_is_zero(&ep->ip6))
				continue;
			if (hold_port(proto, &h, hport, &fd, &got) < 0) {
				log_warn(ns->deps.log, "container %.12s: host port %d is taken now",
					 sb->cid, hport);
				fd = -1;
			}
			if (fd >= 0)
				add_port(sb, proto, &h, hport, ep, cport, fd);
		}
	}
}
