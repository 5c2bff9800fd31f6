/* The keys of encrypted overlay networks (-o encrypted), as Docker's: the
 * leader makes them and keeps a ring of up to three in the store (private
 * cluster field "_netkeys", so sealed at rest with the Raft log and
 * snapshots), a new one every rotation period (12 h; the environment
 * variable BERTH_NETKEY_ROTATION, in seconds, shortens it for tests). The
 * dispatcher sends the ring, over mutual TLS only, to the nodes that use an
 * encrypted network. Each node then keeps, for every peer node it shares an
 * encrypted network with, an inbound and an outbound ESP state per key and
 * one outbound policy on the VXLAN traffic to that peer, which uses the
 * primary key: the second newest, so that every node already accepts a
 * key before anyone sends with it, and the previous one still works while
 * the ring changes. The SPI of a state is a hash of source, destination
 * and key tag: both ends agree without talking. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/error.h"
#include "network/xfrm.h"

struct store;
struct swarm;

#define NETKEYS_OP "netkeys"
#define NETKEYS_RING 3
#define NETKEYS_DEFAULT_ROTATION_S (12LL * 3600)

struct netkey {
	uint32_t tag; /* grows with every new key */
	uint8_t key[XFRM_KEY_LEN];
};

/* Whether a stored swarm network (or its node view) asks for encryption. */
bool netkeys_network_encrypted(json_t *net);
/* The SPI of the state from src to dst for the key tag (never below 256,
 * the range IANA reserves). */
uint32_t netkeys_spi(uint32_t src, uint32_t dst, uint32_t tag);

/* ---- leader ---- */

/* The command that changes the key ring, or NULL. While an encrypted
 * network exists: a first key, then a new one (fresh, tag one above the
 * newest, the oldest dropped from a full ring) when the newest is period_ns
 * old. */
json_t *netkeys_step(json_t *cluster, json_t *networks, int64_t now_ns, int64_t period_ns,
		     const uint8_t fresh[XFRM_KEY_LEN]);
/* {"op":"netkeys","v":[{"Key","Tag","Created"}...]} replaces the ring. */
int netkeys_apply(struct store *s, json_t *cmd, struct error *err);
/* A cluster replace keeps the ring of the old object. */
void netkeys_carry(json_t *old_cluster, json_t *new_cluster);
/* The leader's round: a new ring committed when netkeys_step says so. */
void netkeys_rotate(struct swarm *sw);

/* ---- dispatcher ---- */

/* The ring for a node whose network views are networks; NULL when none of
 * them is encrypted. */
json_t *netkeys_for_node(struct swarm *sw, json_t *networks);

/* ---- agent ---- */

/* The ring as sent, sorted by tag (oldest first); -EINVAL when damaged. */
int netkeys_parse(json_t *ring, struct netkey **ret, size_t *ret_n);
/* The index of the key that sends: the second newest. */
size_t netkeys_primary(size_t n);

/* What the kernel must hold for the peers: SAs (both ways, every key) and
 * two policies per peer: outbound (ESP with the primary key) and inbound
 * (VXLAN from the peer that did not come through ESP is dropped, as
 * Docker's rule drops it). */
struct netkeys_plan {
	struct xfrm_sa *sa;
	const uint8_t **key; /* per SA, into the keys given */
	size_t n_sa;
	struct xfrm_sp *sp;
	size_t n_sp;
};
int netkeys_plan(uint32_t local, const uint32_t *peers, size_t n_peers, const struct netkey *keys,
		 size_t n_keys, int port, struct netkeys_plan *ret);
void netkeys_plan_done(struct netkeys_plan *p);

/* Makes this node's xfrm states and policies match the encrypted networks
 * among networks (as the dispatcher sent them) and the ring; removes the
 * ones of this daemon no longer wanted (also those an earlier run left). */
void netkeys_program(struct swarm *sw, json_t *networks, json_t *ring, int port);
/* Removes every xfrm state and policy of this daemon (swarm leave). */
void netkeys_clear(struct swarm *sw);
