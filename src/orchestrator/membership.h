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
	bool lost;    /* down: after a lost connection, not a long silence */
};

/* How a node's liveness is judged, for a heartbeat period of hb_ms (the
 * cluster's --dispatcher-heartbeat):
 *   - agents beat NODE_BEATS_PER_PERIOD times a period, so that the silence
 *     that makes a node Down, one period and NODE_SILENCE_EXTRA_MS but at
 *     least NODE_SILENCE_MIN_MS, spans several missed beats (a late beat on
 *     a loaded machine is not a death; with short periods, a worker's loop
 *     busy for a second or two is not either);
 *   - an agent keeps a request open on the leader (its parked poll): when
 *     that connection closes unanswered, the node's process is gone (kill
 *     -9, crash, stop), and Down follows after NODE_LOST_GRACE_MS unless it
 *     comes back (an agent that merely reconnects does so at once);
 *   - a leader whose loop did not run for more than NODE_STALL_MS heard no
 *     one meanwhile: that time counts as nobody's silence;
 *   - a new leader gives every node twice the silence's grace from its
 *     election: agents first find it (a call to the old leader times out,
 *     the next manager relays). */
#define NODE_BEATS_PER_PERIOD 3
#define NODE_BEAT_RETRY_MS 500 /* a failed beat is sent again after this */
#define NODE_SILENCE_EXTRA_MS 1000
#define NODE_SILENCE_MIN_MS 3000
#define NODE_LOST_GRACE_MS 2000
#define NODE_STALL_MS 1000

/* The interval between an agent's heartbeats. */
int64_t node_beat_interval_ms(int64_t hb_ms);
/* How long an agent waits for a heartbeat's answer: one stuck beat (its
 * wait, the retry and the next interval) stays within the silence's grace
 * (for periods of a second and more). */
int64_t node_beat_timeout_ms(int64_t hb_ms);
/* The silence after which a node is Down. */
int64_t node_silence_grace_ms(int64_t hb_ms);
/* The grace after a lost connection (never longer than the silence's). */
int64_t node_lost_grace_ms(int64_t hb_ms);

struct node_duty_view {
	json_t *nodes;	   /* the store's nodes by ID */
	json_t *last_seen; /* node ID -> ms of its last contact (a heartbeat, or a
			    * request it sent itself); this leader's first sight
			    * of a node counts as one (added here) */
	json_t *lost;	   /* node ID -> ms at which a connection of its own
			    * closed with its request unanswered; entries older
			    * than the node's last contact are dropped here */
	const char *self_id;
	json_t *self_desc; /* this leader's own description (with the TLSInfo
			    * its certificate shows) */
	int64_t now_ms;
	int64_t leader_since_ms; /* this leader's election */
	int64_t grace_ms;	 /* silence before Down (node_silence_grace_ms) */
	int64_t lost_grace_ms;	 /* after a lost connection (node_lost_grace_ms) */
	bool (*is_voter)(void *ctx, uint64_t raft_id);
	void *ctx;
};

/* The first change a node needs, one at a time, in the nodes' order. A
 * ready node is Down after grace_ms without contact, or lost_grace_ms after
 * a lost connection with no contact since. */
void node_duty_next(const struct node_duty_view *v, struct node_duty *out);
/* Called on each of the leader's rounds with the time of the previous one
 * (0: none): after a stall longer than NODE_STALL_MS, the times in
 * last_seen and lost move forward by its length. True when they moved. */
bool node_liveness_stalled(json_t *last_seen, json_t *lost, int64_t prev_ms, int64_t now_ms);
void node_duty_clear(struct node_duty *d);

/* The record of node once it is ready (Status ready, reachable if a
 * manager, and the keys of desc, the node's own description, when desc is
 * an object; a null key, such as TLSInfo before the node has its
 * certificate, is left as it is); NULL when it is so already. */
json_t *node_ready_record(const json_t *node, const json_t *desc);

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
