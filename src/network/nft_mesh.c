/* nftables text of the routing mesh (see nft_mesh.h). */
#include "network/nft_mesh.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "network/ipam.h"

static void port_rule(FILE *f, const struct nft_mesh_port *p)
{
	char ip[16];
	fprintf(f, "\t\t%s dport %d dnat ", p->proto, p->published);
	if (p->n_backends == 1) {
		fprintf(f, "to %s:%d\n", ip_format(p->backends[0], ip), p->target);
		return;
	}
	fprintf(f, "ip addr . port to numgen random mod %zu map { ", p->n_backends);
	for (size_t i = 0; i < p->n_backends; i++)
		fprintf(f, "%s%zu : %s . %d", i ? ", " : "", i, ip_format(p->backends[i], ip),
			p->target);
	fprintf(f, " }\n");
}

/* The stream's text once closed (open_memstream sets it at fclose). */
static char *finish(FILE *f, char **text)
{
	if (fclose(f) != 0) {
		free(*text);
		return NULL;
	}
	return *text;
}

char *nft_mesh_ruleset(const char *table, const struct nft_mesh_port *ports, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fprintf(f, "add table ip %s\ndelete table ip %s\n", table, table);
	bool any = false;
	for (size_t i = 0; i < n; i++)
		any = any || ports[i].n_backends;
	if (any) {
		fprintf(f, "table ip %s {\n\tchain mesh {\n", table);
		for (size_t i = 0; i < n; i++)
			if (ports[i].n_backends)
				port_rule(f, &ports[i]);
		fprintf(f, "\t}\n"
			   "\tchain prerouting {\n"
			   "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
			   "\t\tfib daddr type local jump mesh\n\t}\n"
			   "\tchain output {\n"
			   "\t\ttype nat hook output priority -100; policy accept;\n"
			   "\t\tfib daddr type local jump mesh\n\t}\n}\n");
	}
	return finish(f, &text);
}

char *nft_mesh_sandbox_ruleset(const char *table, const char *ifname,
			       const struct nft_mesh_node *nodes, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fprintf(f, "add table ip %s\ndelete table ip %s\n", table, table);
	if (n > 0) {
		fprintf(f,
			"table ip %s {\n\tchain mark_in {\n"
			"\t\ttype filter hook prerouting priority mangle; policy accept;\n"
			"\t\tiifname \"%s\" ct state new ct mark set ether saddr map { ",
			table, ifname);
		for (size_t i = 0; i < n; i++) {
			const uint8_t *m = nodes[i].mac;
			fprintf(f, "%s%02x:%02x:%02x:%02x:%02x:%02x : 0x%08x", i ? ", " : "", m[0],
				m[1], m[2], m[3], m[4], m[5], nodes[i].mark);
		}
		fprintf(f, " }\n\t}\n\tchain mark_out {\n"
			   "\t\ttype route hook output priority mangle; policy accept;\n"
			   "\t\tct mark != 0 meta mark set ct mark\n\t}\n}\n");
	}
	return finish(f, &text);
}
