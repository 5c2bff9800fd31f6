/* Shared between the swarm's own files; not for the rest of berthd. */
#pragma once

#include "swarm/swarm.h"

#define SWARM_DEFAULT_HB_MS 5000
#define SWARM_DEFAULT_CERT_S (90LL * 86400)
#define SWARM_CA_EXPIRY_S (20LL * 365 * 86400)
#define SWARM_ELECTION_MS 300
#define SWARM_RAFT_HB_MS 30
#define SWARM_TICK_MS 100
/* How soon a kicked tick runs: soon, yet changes arriving together (a batch
 * of applied entries, several container starts) share one tick. */
#define SWARM_KICK_MS 1
#define SWARM_RPC_TIMEOUT_MS 5000

int64_t swarm_now_ms(void);
int swarm_save(struct swarm *sw, struct error *err);
int swarm_build_ctx(struct swarm *sw, struct error *err);
void swarm_wipe_dir(const char *dir);
int swarm_manager_start(struct swarm *sw, bool bootstrap, bool recover, struct error *err);
void swarm_manager_stop(struct swarm *sw);
void swarm_tick_start(struct swarm *sw);
void swarm_tick(struct swarm *sw);
/* Runs the tick within SWARM_KICK_MS: something changed (an applied store
 * entry, new assignments, a container started or stopped) that the
 * orchestrator, the dispatcher or the agent should act on now rather than
 * at the end of the period. */
void swarm_kick(struct swarm *sw);
void swarm_reset(struct swarm *sw);
int swarm_resolve_addrs(struct swarm *sw, const char *listen, const char *advertise,
			bool need_advertise, struct error *err);
uint64_t swarm_new_raft_id(void);
json_t *swarm_node_description(struct swarm *sw);

/* Commits a store command (stolen) on the leader, from here or forwarded;
 * -EAGAIN with SWARM_NO_LEADER_MSG when there is none. */
void swarm_write(struct swarm *sw, json_t *cmd, swarm_done_fn cb, void *data);
/* A store command with the leader's clock. */
json_t *swarm_cmd(const char *op, json_t *v);
/* The leader's address ("ip:port"), NULL when unknown. */
const char *swarm_leader_addr(struct swarm *sw);
/* Where this node's agent sends heartbeats and polls: the leader when
 * known (from Raft, or the last heartbeat's answer), else the next known
 * manager; NULL when none. */
const char *swarm_dispatcher_addr(struct swarm *sw);
/* A call to swarm_dispatcher_addr failed: the next goes elsewhere. */
void swarm_dispatcher_failed(struct swarm *sw);
/* The ManagerStatus-completed public view of a stored node. */
json_t *swarm_node_view(struct swarm *sw, json_t *node);

/* "SWMKEY-1-<base64 of 32 bytes>" -> kek; -EINVAL when malformed. */
int swarm_parse_unlock_key(const char *key, uint8_t kek[32]);
void swarm_follow_autolock(struct swarm *sw);
/* TLSInfo of a root CA: TrustRoot, CertIssuerSubject, CertIssuerPublicKey. */
json_t *swarm_tls_info(const char *ca_pem);
/* Drops the parsed issuer of this node's certificate (manager.c). */
void swarm_issuer_forget(struct swarm *sw);
/* Publishes the store's changes as dockerd's cluster events (swarm_events.c),
 * from the time of the call on: the log replayed at a start is history, not
 * news. */
void swarm_objects_events_from_now(struct swarm *sw);
/* Starts raft again when libraft has stopped for good (swarm.c). */
void swarm_raft_watch(struct swarm *sw);
