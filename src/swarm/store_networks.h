/* Swarm-scoped (overlay) networks in the replicated store, with their
 * endpoints. Subnets, VXLAN IDs and endpoint addresses are chosen while a
 * command is applied: every manager applies the same commands in the same
 * order from the same state, so all make the same choice, the choices live
 * in Raft, and a new leader can never hand out an address twice. A manager
 * checks a request against its own copy first (plan_network) to answer with
 * dockerd's message; a command that no longer fits when it is applied (a
 * concurrent create took the subnet) is dropped the same way everywhere.
 *
 * A stored network:
 *   {"ID", "CreatedAt", "UpdatedAt", "Version",
 *    "Spec": {"Name", "Labels", "Options", "Internal", "Attachable",
 *             "Ingress", "Subnet", "Gateway", "IPRange"}   (as asked)
 *    "Subnet", "Gateway", "IPRange", "VNI",                (as allocated)
 *    "Endpoints": {owner ID: {"Kind": "task"|"container", "Name", "Node",
 *                             "IP", "MAC"}}}
 * An endpoint is what every node needs to program its FDB and neighbour
 * entries (and, later, DNS): who, where, which address.
 *
 * Commands:
 *   {"op":"network","v":{"ID","Spec"}}      create (a known ID: no-op)
 *   {"op":"rm_network","id":"..."}          remove (absent: no-op)
 *   {"op":"net_attach","v":{"Network","Owner","Kind","Name","Node","IP"?}}
 *        an address for owner on the network (kept when it has one; a
 *        new Node moves it)
 *   {"op":"net_detach","v":{"Network","Owner"}}   release it
 *   {"op":"net_batch","cmds":[net_attach/net_detach...]}  the allocator's
 *        round (src/orchestrator/allocator.h): each applied on its own
 * Pure: no I/O. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/error.h"
#include "network/ipam.h"

struct store;

#define OVERLAY_VNI_FIRST 4096
#define OVERLAY_VNI_LAST ((1 << 24) - 1)
#define OVERLAY_VNI_OPTION "com.docker.network.driver.overlay.vxlanid_list"
#define OVERLAY_MTU_OPTION "com.docker.network.driver.mtu"

bool store_networks_handles(const char *op);
int store_networks_apply(struct store *s, const char *op, json_t *cmd, int64_t ts_ns,
			 struct error *err);

/* What a network of this Spec would get: its subnet (asked, or the first
 * free one of the cluster's DefaultAddrPool in SubnetSize), gateway, range
 * and VNI. dockerd's messages: "network with name X already exists",
 * "Pool overlaps with other one on this address space", "all predefined
 * address pools have been fully subnetted". */
struct network_plan {
	struct cidr subnet, range;
	uint32_t gateway;
	uint32_t vni;
};
int store_network_plan(const struct store *s, json_t *spec, struct network_plan *ret,
		       struct error *err);

/* By full ID, exact name, or unique ID prefix; -ENOENT "network X not
 * found", -EINVAL when ambiguous. */
int store_find_network(const struct store *s, const char *ref, json_t **ret, struct error *err);

/* 0 when nothing uses the network, else swarmkit's FailedPrecondition
 * "network X is in use by service S" (or "by task T"). */
int store_network_check_unused(const struct store *s, json_t *net, struct error *err);

/* The cluster's address pools and subnet size (Docker's defaults when
 * the cluster object has none). */
size_t store_default_pools(const struct store *s, struct addr_pool *out, size_t max);
