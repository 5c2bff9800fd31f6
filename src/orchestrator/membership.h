/* The leader's and the agents' membership decisions, without I/O or clocks:
 * which node record needs the leader next (liveness, demotions, its own
 * readiness), what a join request makes, and when a node renews its
 * certificate or changes role. src/swarm/manager.c carries the decisions
 * out; tests/unit/test_membership.c runs them on a virtual clock. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum node_duty_kind {
	NODE_DUTY_NONE,
	NODE_DUTY_TRANSFER,	/* this leader was demoted: hand leadership over */
	NODE_DUTY_REMOVE_VOTER, /* a demoted manager still votes: remove it from Raft */
	NODE_DUTY_DEMOTED,	/* a demoted manager left Raft: finish its demotion */
	NODE_DUTY_WRITE,	/* write node (down after missed heartbeats, or ready) */
};

struct node_duty {
	enum node_duty_kind kind;
	const char *node_id; /* in the view's nodes */
	uint64_t raft_id;
	json_t *node; /* NODE_DUTY_WRITE: the new record (owned) */
	bool down;    /* NODE_DUTY_WRITE: it missed its heartbeats */
};

struct node_duty_view {
	json_t *nodes;	   /* the store's nodes by ID */
	json_t *last_seen; /* node ID -> ms of its last heartbeat; this leader's
			    * first sight of a node counts as one (added here) */
	const char *self_id;
	json_t *self_tls; /* the TLSInfo this leader's certificate shows */
	int64_t now_ms, grace_ms;
	bool (*is_voter)(void *ctx, uint64_t raft_id);
	void *ctx;
};

/* The first change a node needs, one at a time, in the nodes' order. */
void node_duty_next(const struct node_duty_view *v, struct node_duty *out);
void node_duty_clear(struct node_duty *d);

/* The record of node once it is ready (Status ready, reachable if a
 * manager, with tls as its TLSInfo when tls is an object); NULL when it is
 * so already. */
json_t *node_ready_record(const json_t *node, const json_t *tls);

/* A certificate's life and what the cluster says of this node. */
struct cert_view {
	bool change_inflight; /* a renewal or role change is under way */
	bool want_manager;    /* the cluster's role for this node */
	bool cert_manager;    /* the role in this node's certificate */
	bool is_manager;      /* this node runs as a manager now */
	bool old_issuer;      /* signed by a root the cluster rotated away from */
	int64_t not_before_s, not_after_s, now_s;
};

enum cert_action { CERT_KEEP, CERT_RENEW, CERT_BECOME_MANAGER, CERT_BECOME_WORKER };

/* Renews a third of the lifetime before expiry, for a new role or a new
 * root; else moves the node to the role its certificate already has. */
enum cert_action cert_decide(const struct cert_view *v);

/* The node record a join request (its "availability", "description" and
 * "data_addr", the VXLAN underlay address it asks for) makes: ready at
 * addr, with the role its token gave; NULL when out of memory. raft_id is 0
 * for a worker. */
json_t *join_node_record(const json_t *req, const char *node_id, uint64_t raft_id, const char *role,
			 const char *addr);
