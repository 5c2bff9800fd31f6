/* The routing mesh on this node (src/network/ingress.c): the local side
 * of the swarm's ingress network made by network_overlay_ensure, plus what
 * makes published ports answer on every node without losing the client's
 * address (nft_mesh.h): the node's own address and MAC on the ingress
 * bridge, the node's table of published ports, and in each task container
 * on the ingress network the marks and policy routes that send replies
 * back through the node that forwarded the connection. The swarm agent
 * says what the mesh is; everything is rebuilt from that after a restart. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "network/nft_mesh.h"

struct networks;
struct network;
struct sandbox;

/* A node's own endpoint on the ingress network. */
struct ingress_node {
	uint32_t ip;
	uint8_t mac[6];
};

struct ingress_mesh {
	struct ingress_node self;	  /* ip 0: this node has none yet */
	const struct ingress_node *nodes; /* every node's, this one's included */
	size_t n_nodes;
	const struct nft_mesh_port *ports;
	size_t n_ports;
};

/* The mesh of the ingress network id (already made here) as it is now:
 * the bridge, the node's table and the task containers on it brought up
 * to date; logs failures. */
void network_ingress_update(struct networks *ns, const char *id, const struct ingress_mesh *m);
/* The marks and routes back in sb's namespace when it is on the ingress
 * network (none left when it no longer is); logs failures. */
void sandbox_mesh_update(struct networks *ns, struct sandbox *sb);
/* The network goes: the node's table and address with it. */
void network_mesh_down(struct networks *ns, struct network *n);
void network_mesh_free(struct network *n);
/* At start: the node's table of an earlier run goes (the agent's next
 * sync makes it again). */
void network_ingress_reset(struct networks *ns);
