/* Swarm mode: this node's membership (state under <data-root>/swarm/), the
 * manager (Raft-replicated store, the RPC server on the listen address,
 * leader duties: joins, heartbeats, Down detection, membership changes) and
 * the agent every node runs (heartbeats to the leader, role changes).
 * Everything runs on the daemon's loop. Operations that finish later report
 * through swarm_done_fn: status 0 or a negative errno with a message. */
#pragma once

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "basic/error.h"
#include "swarm/sraft.h"
#include "swarm/store.h"

struct containers;
struct event_log;
struct image_service;
struct logger;
struct networks;

typedef void (*swarm_done_fn)(void *data, int status, json_t *result, const char *msg);

enum swarm_state { SWARM_INACTIVE, SWARM_PENDING, SWARM_ACTIVE, SWARM_ERROR, SWARM_LOCKED };

#define SWARM_NO_LEADER_MSG                                                                        \
	"The swarm does not have a leader. It's possible that too few managers are online. "       \
	"Make sure more than half of the managers are online."
#define SWARM_NOT_MANAGER_MSG                                                                      \
	"This node is not a swarm manager. Worker nodes can't be used to view or modify cluster "  \
	"state. Please run this command on a manager node or promote the current node to a "       \
	"manager."
#define SWARM_LOCKED_MSG                                                                           \
	"Swarm is encrypted and needs to be unlocked before it can be used. Please use "           \
	"\"docker swarm unlock\" to unlock it."
#define SWARM_INACTIVE_MSG                                                                         \
	"This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to " \
	"connect this node to swarm and try again."

/* What the daemon gives the swarm: borrowed, it outlives the swarm. */
struct swarm_deps {
	uv_loop_t *loop;
	struct logger *log;
	struct event_log *events;
	struct image_service *images;  /* the agent pulls task images */
	struct containers *containers; /* the agent's task containers */
	struct networks *networks;     /* overlay and ingress networks */
	const char *data_root;	       /* the swarm's state is in <data-root>/swarm */
	const char *exec_root;	       /* tells this daemon's xfrm states (netkeys.c) */
	/* The node's description (swarm_node_description). */
	const char *hostname, *architecture;
	long ncpu;
	int64_t mem_total;
	/* --label, as Engine.Labels: the daemon's own fields, as a reload
	 * (SIGHUP) replaces the list. */
	char **const *labels;
	const size_t *n_labels;
	/* --node-generic-resource terms (checked when the settings were read). */
	char *const *generic_resources;
	size_t n_generic_resources;
};

struct swarm {
	struct swarm_deps deps;
	char dir[4096];
	enum swarm_state state;
	char error_msg[512];

	/* Persisted membership (state.json and certificates/). */
	char node_id[32], cluster_id[32];
	bool manager;
	uint64_t raft_id;
	char listen_addr[128], advertise_addr[128];
	/* --data-path-addr resolved to an IP address: VXLAN's underlay address
	 * ("": the advertise address's). */
	char data_path_addr[INET6_ADDRSTRLEN];
	json_t *managers; /* array of "ip:port" known to this node */
	char *ca_pem, *cert_pem, *key_pem;
	/* The issuer of cert_pem as parsed from (ca, cert): parsing costs
	 * milliseconds in OpenSSL 3 and the leader needs it on every tick. */
	struct {
		char *ca, *cert, *subject, *pubkey;
	} issuer;
	int64_t hb_ms;	       /* dispatcher heartbeat period */
	int64_t cert_expiry_s; /* as the cluster says */

	SSL_CTX *server_ctx, *client_ctx;

	/* Data at rest: Raft entries and snapshots are sealed with the
	 * cluster's data key (dek). With autolock a manager keeps the dek and
	 * its TLS key on disk sealed with the key-encryption key (kek) that
	 * the operator holds as the unlock key, and starts locked. */
	bool has_dek, autolock;
	uint8_t dek[32], kek[32];
	char *sealed_keys; /* base64 blob while locked */

	/* Manager. */
	struct store store;
	struct sraft *raft;
	uv_tcp_t *listener;
	bool leader_ready, barrier_pending, reconcile_pending;
	json_t *last_seen;	/* leader: node ID -> ms of its last contact */
	json_t *lost;		/* leader: node ID -> ms its parked poll's connection
				 * closed unanswered (orchestrator/membership.h) */
	int64_t leader_tick_ms; /* leader: the previous tick (stalls) */
	int64_t leader_since_ms;
	int64_t events_since_ns;       /* store changes before it are not news (secrets.c) */
	bool orch_pending;	       /* an orchestration round is being committed */
	bool alloc_pending;	       /* an allocator round is being committed */
	bool netkeys_pending;	       /* a new key ring is being committed (netkeys.h) */
	bool netkeys_failed;	       /* the kernel refused an ESP state: said once */
	struct dispatcher *dispatcher; /* leader: parked assignment requests */
	struct task_logs *task_logs;   /* leader: logs requests waiting for nodes */

	/* The agent's tasks and containers (agent.c). */
	struct agent *agent;
	/* Container attachments asked for and not answered yet: owner ID ->
	 * true (attach.c). */
	json_t *attaching;

	/* Agent. */
	uv_timer_t tick;
	bool tick_on;
	int64_t next_hb_ms;
	bool hb_inflight, role_change_inflight;
	/* A promoted node's raft_join: asked again (the leader first) until a
	 * leader adds it; 0: none due. */
	int64_t raft_join_retry_ms;
	unsigned raft_join_tries;
	unsigned mgr_cursor;
	/* The leader's address as its last heartbeat answer said: agents talk
	 * to the dispatcher directly, so that it sees their connections close
	 * ("" until known, or after a failed call). */
	char leader_hint[128];
	bool closing;
	bool raft_reopening; /* swarm_raft_watch: the stopped instance closes */
	void *stop_ctx;
	struct swarm_pending *pending; /* init or join waiting for the leader */
};

/* The swarm of this node, not started; *ret is set on success. -ENOMEM. */
int swarm_new(const struct swarm_deps *deps, struct swarm **ret, struct error *err);
/* Loads the state a previous run left and resumes (raft, listener, agent). */
int swarm_start(struct swarm *sw, struct error *err);
/* Stops timers, listener and raft; cb when all is closed. */
void swarm_stop(struct swarm *sw, void (*cb)(void *), void *data);
void swarm_free(struct swarm *sw);

struct swarm_init_req {
	const char *listen_addr, *advertise_addr;
	bool force_new_cluster, autolock;
	json_t *spec; /* Swarm spec (may be NULL) */
	const char *availability;
	/* Overlay networks: subnets are carved from the pools (NULL: Docker's
	 * 10.0.0.0/8) in subnet_size (0: 24); VXLAN on data_path_port (0: 4789). */
	json_t *default_addr_pool;
	uint32_t subnet_size, data_path_port;
	const char *data_path_addr; /* checked with swarm_check_data_path_addr */
};
/* POST /swarm/init: result is the node ID (json string). */
void swarm_init(struct swarm *sw, const struct swarm_init_req *req, swarm_done_fn cb, void *data);
/* Init's and join's DataPathAddr, as dockerd resolves it: an interface of
 * this host (with one address of a family) or a non-zero IP address; ""
 * for none. ret_ip (may be NULL) gets the address. -EINVAL with dockerd's
 * message otherwise. */
int swarm_check_data_path_addr(const char *addr, char ret_ip[INET6_ADDRSTRLEN], struct error *err);

struct swarm_join_req {
	const char *listen_addr, *advertise_addr, *remote, *token, *availability;
	const char *data_path_addr; /* as init's */
};
void swarm_join(struct swarm *sw, const struct swarm_join_req *req, swarm_done_fn cb, void *data);
void swarm_leave(struct swarm *sw, bool force, swarm_done_fn cb, void *data);

/* POST /swarm/unlock with "SWMKEY-1-..." */
int swarm_unlock(struct swarm *sw, const char *key, struct error *err);
/* GET /swarm/unlockkey: "" when autolock is off. */
int swarm_unlock_key(struct swarm *sw, char **ret, struct error *err);

/* Manager reads: 0 or -EAGAIN/-EPERM... with the error message in err. */
int swarm_check_manager(struct swarm *sw, struct error *err);
/* GET /swarm: the cluster object (owned) */
int swarm_inspect(struct swarm *sw, json_t **ret, struct error *err);
/* POST /swarm/update */
void swarm_update(struct swarm *sw, int64_t version, json_t *spec, bool rotate_worker,
		  bool rotate_manager, bool rotate_unlock, swarm_done_fn cb, void *data);
/* GET /nodes: each node as the API shows it (ManagerStatus filled in). */
int swarm_nodes(struct swarm *sw, json_t **ret, struct error *err);
int swarm_node(struct swarm *sw, const char *ref, json_t **ret, struct error *err);
void swarm_node_rm(struct swarm *sw, const char *ref, bool force, swarm_done_fn cb, void *data);
void swarm_node_update(struct swarm *sw, const char *ref, int64_t version, json_t *spec,
		       swarm_done_fn cb, void *data);
/* The Swarm section of /info. */
json_t *swarm_info(struct swarm *sw);
/* "inactive", "active/manager"... for the ping header. */
const char *swarm_ping_state(struct swarm *sw);
