/* Raft behind our own small interface, so the library (canonical raft 0.15)
 * can be swapped: one Raft node on the daemon's loop, its log under a
 * directory, its FSM the swarm store, its transport mutual TLS (see
 * rtransport in sraft.c). Callbacks report 0 or a negative errno with a
 * message; -EAGAIN means "not the leader / no quorum: try again later". */
#pragma once

#include <raft.h>
#include <raft/uv.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "basic/error.h"
#include "swarm/mtls.h"
#include "swarm/store.h"

typedef void (*sraft_cb)(void *data, int status, const char *msg);

struct rtransport {
	struct raft_uv_transport t;
	uv_loop_t *loop;
	SSL_CTX **client_ctx; /* the node's current client context */
	raft_uv_accept_cb accept_cb;
	raft_id id;
	char address[256];
	struct rconnect *pending; /* connects not yet reported */
};

struct sraft {
	struct raft raft;
	struct raft_io io;
	/* raft_uv's own send, behind sraft.c's check (io.send) */
	int (*uv_send)(struct raft_io *io, struct raft_io_send *req,
		       const struct raft_message *message, raft_io_send_cb cb);
	struct raft_fsm fsm;
	struct rtransport tr;
	struct store *store;
	uv_loop_t *loop;
	struct logger *log;
	bool started, io_inited;
	bool has_dek;
	uint8_t dek[32]; /* entries and snapshots are sealed with it (seal.h) */
	sraft_cb close_cb;
	void *close_data;
	/* Called after each entry is applied to the store (may be NULL). */
	void (*on_applied)(void *data);
	void *applied_data;
};

struct sraft_settings {
	unsigned election_ms, heartbeat_ms, snapshot_threshold, snapshot_trailing;
};

/* Prepares raft with id/address and its log in dir (created). */
int sraft_init(struct sraft *s, uv_loop_t *loop, struct logger *log, const char *dir, raft_id id,
	       const char *address, struct store *store, SSL_CTX **client_ctx,
	       const struct sraft_settings *set, struct error *err);
/* Writes a configuration of this node alone as voter (a new cluster). */
int sraft_bootstrap(struct sraft *s, struct error *err);
/* Forces a configuration of this node alone (--force-new-cluster). */
int sraft_recover(struct sraft *s, struct error *err);
int sraft_start(struct sraft *s, struct error *err);
/* Closes raft; cb(data, 0, NULL) once everything is released. Safe to call
 * on a node that was only initialised. */
void sraft_close(struct sraft *s, sraft_cb cb, void *data);

bool sraft_is_leader(struct sraft *s);
/* libraft stopped for good (RAFT_UNAVAILABLE); *why: its last error. */
bool sraft_stopped(struct sraft *s, const char **why);
/* The known leader's raft id (0 when none) and address. */
raft_id sraft_leader(struct sraft *s, const char **address);

/* Commits a store command (reference stolen) through raft. */
int sraft_apply(struct sraft *s, json_t *cmd, sraft_cb cb, void *data);
/* Commits a barrier: reads after it see everything committed before. */
int sraft_barrier(struct sraft *s, sraft_cb cb, void *data);
/* Adds a node as voter (add, then promote once it caught up). */
int sraft_add_voter(struct sraft *s, raft_id id, const char *address, sraft_cb cb, void *data);
/* Removes a node from the configuration. */
int sraft_remove(struct sraft *s, raft_id id, sraft_cb cb, void *data);
/* Hands leadership to another voter. */
int sraft_transfer(struct sraft *s, sraft_cb cb, void *data);
/* Whether id is a voter of the current configuration. */
bool sraft_is_voter(struct sraft *s, raft_id id);
/* Voters of the current configuration. */
unsigned sraft_voters(struct sraft *s);

/* The store FSM alone (for tests on raft's fixture): holder->store and
 * holder->log must be set. */
void sraft_fsm_init(struct raft_fsm *fsm, struct sraft *holder);
/* A store command (stolen) as a raft_malloc'd entry payload, sealed with
 * dek when not NULL. */
struct raft_buffer sraft_encode(const uint8_t *dek, json_t *cmd);

/* Called by the RPC server for a "raft" hello from a verified manager:
 * switches the connection to raw mode and hands it to raft. */
void rtransport_accept(struct rtransport *rt, struct mtls_conn *c, raft_id id, const char *address);
