/* nftables ruleset generation and application (see nft.h). */
#include "network/nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "basic/cleanup.h"

static void port_rules(FILE *f, const struct nft_port *ports, size_t n, bool v6)
{
	char hip[INET6_ADDRSTRLEN], cip[INET6_ADDRSTRLEN];
	for (size_t i = 0; i < n; i++) {
		const struct nft_port *p = &ports[i];
		if (p->v6 != v6)
			continue;
		fprintf(f, "\t\t");
		if (!v6 && p->host_ip)
			fprintf(f, "ip daddr %s ", ip_format(p->host_ip, hip));
		if (v6 && !ip6_is_zero(&p->host_ip6))
			fprintf(f, "ip6 daddr %s ", ip6_format(&p->host_ip6, hip));
		if (v6)
			fprintf(f, "%s dport %d dnat to [%s]:%d\n", p->proto, p->host_port,
				ip6_format(&p->ct_ip6, cip), p->ct_port);
		else
			fprintf(f, "%s dport %d dnat to %s:%d\n", p->proto, p->host_port,
				ip_format(p->ct_ip, cip), p->ct_port);
	}
}

static void postrouting(FILE *f, const struct nft_bridge *br, size_t n)
{
	char sub[20];
	for (size_t i = 0; i < n; i++) {
		const struct nft_bridge *b = &br[i];
		cidr_format(&b->subnet, sub);
		/* Published ports on 127.0.0.1: DNAT'ed loopback traffic leaves
		 * through the bridge with a source the container cannot answer. */
		fprintf(f, "\t\tip saddr 127.0.0.0/8 oifname \"%s\" masquerade\n", b->ifname);
		/* Hairpin: a container reaching a sibling through a host address. */
		fprintf(f, "\t\tct status dnat ip saddr %s oifname \"%s\" masquerade\n", sub,
			b->ifname);
		if (b->masquerade && !b->internal)
			fprintf(f, "\t\tip saddr %s oifname != \"%s\" masquerade\n", sub,
				b->ifname);
	}
}

static void postrouting6(FILE *f, const struct nft_bridge *br, size_t n)
{
	char sub[CIDR6_LEN];
	for (size_t i = 0; i < n; i++) {
		const struct nft_bridge *b = &br[i];
		if (!b->subnet6.prefix)
			continue;
		cidr6_format(&b->subnet6, sub);
		/* No ::1 rule as for 127.0.0.1: the kernel has no route_localnet
		 * for IPv6, so a port published on ::1 cannot reach a container
		 * (dockerd's userland proxy covers that; berth has none). */
		fprintf(f, "\t\tct status dnat ip6 saddr %s oifname \"%s\" masquerade\n", sub,
			b->ifname);
		if (b->nat6 && !b->internal)
			fprintf(f, "\t\tip6 saddr %s oifname != \"%s\" masquerade\n", sub,
				b->ifname);
	}
}

static void forward(FILE *f, const struct nft_bridge *br, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *me = br[i].ifname;
		if (br[i].internal) {
			fprintf(f, "\t\tiifname \"%s\" oifname != \"%s\" drop\n", me, me);
			fprintf(f, "\t\toifname \"%s\" iifname != \"%s\" drop\n", me, me);
			continue;
		}
		if (n < 2)
			continue;
		fprintf(f, "\t\tiifname \"%s\" oifname { ", me);
		bool first = true;
		for (size_t j = 0; j < n; j++) {
			if (j == i)
				continue;
			fprintf(f, "%s\"%s\"", first ? "" : ", ", br[j].ifname);
			first = false;
		}
		fprintf(f, " } drop\n");
	}
}

/* One family's table: port DNAT, NAT, isolation (the same for both). */
static void family_table(FILE *f, const char *family, const char *name, const struct nft_bridge *br,
			 size_t n_br, const struct nft_port *ports, size_t n_ports)
{
	bool v6 = strcmp(family, "ip6") == 0;
	fprintf(f, "table %s %s {\n\tchain ports {\n", family, name);
	port_rules(f, ports, n_ports, v6);
	fprintf(f, "\t}\n"
		   "\tchain prerouting {\n"
		   "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
		   "\t\tfib daddr type local jump ports\n\t}\n"
		   "\tchain output {\n"
		   "\t\ttype nat hook output priority -100; policy accept;\n"
		   "\t\tfib daddr type local jump ports\n\t}\n"
		   "\tchain postrouting {\n"
		   "\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
	if (v6)
		postrouting6(f, br, n_br);
	else
		postrouting(f, br, n_br);
	fprintf(f, "\t}\n\tchain forward {\n"
		   "\t\ttype filter hook forward priority filter; policy accept;\n");
	forward(f, br, n_br);
	fprintf(f, "\t}\n}\n");
}

char *nft_ruleset(const char *name, const struct nft_bridge *br, size_t n_br,
		  const struct nft_port *ports, size_t n_ports)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fprintf(f, "add table ip %s\ndelete table ip %s\n", name, name);
	fprintf(f, "add table ip6 %s\ndelete table ip6 %s\n", name, name);
	bool any6 = false;
	for (size_t i = 0; i < n_br; i++)
		any6 = any6 || br[i].subnet6.prefix;
	if (n_br > 0)
		family_table(f, "ip", name, br, n_br, ports, n_ports);
	if (any6)
		family_table(f, "ip6", name, br, n_br, ports, n_ports);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void vip_rule(FILE *f, const struct nft_vip *v)
{
	char ip[16];
	fprintf(f, "\t\tip daddr %s dnat to ", ip_format(v->vip, ip));
	if (v->n_backends == 1) {
		fprintf(f, "%s\n", ip_format(v->backends[0], ip));
		return;
	}
	fprintf(f, "numgen random mod %zu map { ", v->n_backends);
	for (size_t i = 0; i < v->n_backends; i++)
		fprintf(f, "%s%zu : %s", i ? ", " : "", i, ip_format(v->backends[i], ip));
	fprintf(f, " }\n");
}

char *nft_vip_ruleset(const char *table, const struct nft_vip *vips, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fprintf(f, "add table ip %s\ndelete table ip %s\n", table, table);
	if (n > 0) {
		fprintf(f,
			"table ip %s {\n\tchain vips {\n"
			"\t\ttype nat hook output priority -100; policy accept;\n",
			table);
		for (size_t i = 0; i < n; i++)
			if (vips[i].n_backends)
				vip_rule(f, &vips[i]);
		/* After the DNAT: what still goes to a VIP has no backend. */
		fprintf(f, "\t}\n\tchain refuse {\n"
			   "\t\ttype filter hook output priority filter; policy accept;\n");
		for (size_t i = 0; i < n; i++) {
			char ip[16];
			fprintf(f, "\t\tip daddr %s reject\n", ip_format(vips[i].vip, ip));
		}
		fprintf(f, "\t}\n}\n");
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

struct nft_ctx *nft_open(void)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (ctx) {
		nft_ctx_buffer_output(ctx);
		nft_ctx_buffer_error(ctx);
	}
	return ctx;
}

void nft_close(struct nft_ctx *ctx)
{
	if (ctx)
		nft_ctx_free(ctx);
}

int nft_apply(struct nft_ctx *ctx, const char *text, struct error *err)
{
	if (!ctx)
		return error_set(err, -ENOSYS, "nftables is not available");
	if (nft_run_cmd_from_buffer(ctx, text) != 0) {
		const char *msg = nft_ctx_get_error_buffer(ctx);
		_cleanup_free_ char *copy = strdup(msg ? msg : "unknown error");
		if (copy)
			copy[strcspn(copy, "\n")] = '\0';
		return error_set(err, -EIO, "nftables: %s", copy ? copy : "unknown error");
	}
	return 0;
}

int nft_delete_table(struct nft_ctx *ctx, const char *table, struct error *err)
{
	char buf[256];
	snprintf(buf, sizeof(buf),
		 "add table ip %s\ndelete table ip %s\nadd table ip6 %s\ndelete table ip6 %s\n",
		 table, table, table, table);
	return nft_apply(ctx, buf, err);
}
