/* IPsec ESP in transport mode between two underlay addresses, through xfrm
 * netlink (libnl-xfrm-3): the states (SAs) and the outbound policies that
 * encrypt an encrypted overlay's VXLAN traffic. Everything made here carries
 * the caller's reqid (on states, and on the policies' templates), the mark
 * by which xfrm_list finds what is the caller's and nothing else. Every call
 * is a few syscalls on the caller's thread; 0 or -errno with a message. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"

/* rfc4106(gcm(aes)) as Docker's overlay driver: a 16-byte AES key and a
 * 4-byte salt, a 16-byte ICV. */
#define XFRM_KEY_LEN 20

struct xfrm_sa {
	uint32_t src, dst; /* underlay addresses, host order (as ip_parse) */
	uint32_t spi;
};

/* An outbound policy makes matching packets go through ESP; an inbound one
 * drops matching packets that did not come through ESP. */
struct xfrm_sp {
	bool out;
	uint32_t src, dst; /* the selector: src/32 -> dst/32, UDP to dport */
	int dport;
	uint32_t spi;	/* of the state the template asks for; 0: any */
	uint32_t index; /* the kernel's, from xfrm_list */
};

/* Adds the ESP state src -> dst with spi and key, or replaces it. */
int xfrm_sa_set(const struct xfrm_sa *sa, const uint8_t key[XFRM_KEY_LEN], uint32_t reqid,
		struct error *err);
/* Deletes a state; a missing one is fine. */
int xfrm_sa_del(const struct xfrm_sa *sa, struct error *err);
/* Adds or replaces the policy on UDP from sp->src to sp->dst:dport: ESP in
 * transport mode (with the state of sp->spi when outbound). */
int xfrm_sp_set(const struct xfrm_sp *sp, uint32_t reqid, struct error *err);
/* Deletes the policy of sp->index (from xfrm_list); a missing one is
 * fine. */
int xfrm_sp_del(const struct xfrm_sp *sp, struct error *err);

/* The states and policies of reqid in the calling thread's network
 * namespace; arrays malloc'ed. */
struct xfrm_owned {
	struct xfrm_sa *sa;
	size_t n_sa;
	struct xfrm_sp *sp;
	size_t n_sp;
};
int xfrm_list(uint32_t reqid, struct xfrm_owned *ret, struct error *err);
void xfrm_owned_done(struct xfrm_owned *o);
