/* Conntrack entries of VIP connections (ctnetlink over libnl-3's generic
 * socket). A connection to a VIP keeps the backend its first packet was
 * DNAT'ed to for as long as its conntrack entry lives; for UDP, a client
 * that keeps sending from the same port keeps that entry alive forever.
 * When a backend leaves a VIP, its entries go, so the next packet is
 * balanced afresh over the backends that serve. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/error.h"
#include "network/nft.h"

/* Whether an entry whose original destination is dst and whose replies
 * come from reply_src is a VIP connection to a backend that is gone: dst
 * is one of vips (now) or of old_vips (balanced before), and reply_src is
 * not one of the backends dst has now. Entries not DNAT'ed (reply_src ==
 * dst) are never stale. */
bool conntrack_stale(const struct nft_vip *vips, size_t n, const uint32_t *old_vips, size_t n_old,
		     uint32_t dst, uint32_t reply_src);

/* Deletes the stale IPv4 entries (conntrack_stale) of the calling thread's
 * network namespace: every protocol, so a TCP flow to a dead backend is
 * also reset by the next backend rather than left hanging. Returns how many
 * went, or a negative errno with err set. */
int conntrack_flush_stale(const struct nft_vip *vips, size_t n, const uint32_t *old_vips,
			  size_t n_old, struct error *err);
