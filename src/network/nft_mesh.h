/* nftables text of the routing mesh (src/network/ingress.c), built
 * without I/O (unit-tested). Two tables, each replaced as a whole:
 *
 * - on every node, the published ports: a new connection to a local
 *   address on a published port (from outside, prerouting, or from the
 *   node itself, output) is DNAT'ed to one of the service's tasks on the
 *   ingress network, picked by numgen, and leaves over the ingress overlay
 *   with the client's own source address (no SNAT);
 * - in each task container on the ingress network, the way back: a new
 *   connection that came in over the ingress interface gets, as conntrack
 *   mark, the mark of the node whose bridge sent it (known by its MAC);
 *   the replies carry it as packet mark, and a policy route per mark
 *   sends them to that node, whose conntrack undoes its DNAT. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A published port and the ingress addresses of the tasks that serve it. */
struct nft_mesh_port {
	const char *proto; /* "tcp" or "udp" */
	int published, target;
	const uint32_t *backends;
	size_t n_backends;
};

/* The node's table (replaces table; deletes it when no port has a
 * backend: a port without one is left to the node's stack, which refuses
 * it). malloc'ed, NULL on allocation failure. */
char *nft_mesh_ruleset(const char *table, const struct nft_mesh_port *ports, size_t n);

/* A node of the swarm as a task's container sees it on the ingress
 * network: the MAC of its bridge, and the mark of its policy route. */
struct nft_mesh_node {
	uint8_t mac[6];
	uint32_t mark;
};

/* The table in a container whose ingress interface is ifname (replaces
 * table; deletes it when there is no node). malloc'ed, NULL on allocation
 * failure. */
char *nft_mesh_sandbox_ruleset(const char *table, const char *ifname,
			       const struct nft_mesh_node *nodes, size_t n);
