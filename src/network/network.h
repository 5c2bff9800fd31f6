/* Single-host networking: the networks (default bridge, host, none and
 * user-defined bridges), their address management, container endpoints
 * (a network namespace per container, veth pairs into berthd's bridges),
 * published ports, the embedded DNS server and berthd's nftables table.
 * Everything runs on the daemon's loop; functions return 0 or -errno with
 * dockerd's message in err. See docs/networking.md. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include <uv.h>

#include "basic/error.h"
#include "basic/log.h"
#include "network/ipam.h"
#include "shared/filters.h"

struct event_log;
struct networks;

/* What networking knows of a container; the engine fills it. config and
 * host_config are its Config and HostConfig, borrowed for the call (create
 * normalizes HostConfig.NetworkMode in place). */
struct net_container {
	const char *id;
	const char *name; /* without the leading '/' */
	json_t *config, *host_config;
	bool running;
	bool starting; /* being started: its addresses are taken */
	int pid;       /* its init process while it runs, 0 otherwise */
};

/* How networking finds containers, without knowing the engine: lookup by
 * ID, name or ID prefix (-ENOENT with the engine's message); at walks all
 * of them (false past the end). */
struct net_container_source {
	int (*lookup)(void *data, const char *ref, struct net_container *ret, struct error *err);
	bool (*at)(void *data, size_t i, struct net_container *ret);
	void *data;
};

/* What the daemon gives the network service: borrowed, it outlives the
 * service. */
struct network_deps {
	uv_loop_t *loop;
	struct logger *log;
	struct event_log *events;
	const char *engine_id;
	const char *data_root, *exec_root;
	/* -b, --bip, --fixed-cidr (NULL: unset), --default-address-pool,
	 * --iptables */
	const char *bridge, *bip, *fixed_cidr;
	char *const *address_pools;
	size_t n_address_pools;
	bool iptables;
	struct net_container_source containers;
};

/* --- service (network.c) --- */

/* Loads the networks, makes the built-in ones, recreates user bridges.
 * Before containers_init; containers are found through deps->containers.
 * *ret is set even on failure, for network_done. */
int network_init(struct networks **ret, const struct network_deps *deps, struct error *err);
/* After containers_init: adopts the namespaces, ports and DNS servers of
 * running containers, removes what stopped ones left, rebuilds the
 * nftables table from the state. */
void network_restore(struct networks *ns);
/* Shutdown: closes DNS servers; removes bridges and the table when no
 * container runs (running ones keep their network). */
void network_stop(struct networks *ns);
void network_done(struct networks *ns);

/* --- networks (network.c) --- */

/* POST /networks/create body; *ret_id the new ID. A name in use is -EEXIST
 * with check_duplicate, else allowed with *ret_warning saying so (dockerd
 * before API 1.44 with CheckDuplicate false); *ret_warning NULL otherwise. */
int network_create(struct networks *ns, json_t *body, bool check_duplicate, char **ret_id,
		   char **ret_warning, struct error *err);
int network_remove(struct networks *ns, const char *ref, struct error *err);
/* Whether a local network has this exact name. */
bool network_name_exists(struct networks *ns, const char *name);
int network_inspect_json(struct networks *ns, const char *ref, json_t **ret, struct error *err);
int network_list_json(struct networks *ns, const struct filters *f, json_t **ret,
		      struct error *err);
int network_prune(struct networks *ns, const struct filters *f, json_t **ret_deleted,
		  struct error *err);
/* Live or not: ip may be NULL, aliases an array or NULL. */
int network_connect(struct networks *ns, const char *ref, const char *container, json_t *epcfg,
		    struct error *err);
int network_disconnect(struct networks *ns, const char *ref, const char *container, bool force,
		       struct error *err);

/* --- swarm overlay networks on this node (overlay.c) --- */

struct nl_peer;
struct overlay_net {
	const char *id, *name;
	struct cidr subnet, range;
	uint32_t gateway, vni;
	int mtu; /* 0: the underlay's minus 50 (and ESP's overhead when encrypted) */
	bool internal;
	bool encrypted; /* -o encrypted: ESP between the nodes (swarm/netkeys.h) */
};
/* The local side of a swarm overlay network this node uses: a user bridge
 * network of the swarm's ID and name (its endpoints persisted), its bridge,
 * and a vxlan port with local as the underlay address and port as UDP port.
 * Made once; later calls keep it. */
int network_overlay_ensure(struct networks *ns, const struct overlay_net *o, uint32_t local,
			   int port, struct error *err);
/* The network's peers on other nodes as they are now: FDB and neighbour
 * entries added, replaced or removed to match. */
void network_overlay_peers(struct networks *ns, const char *id, const struct nl_peer *peers,
			   size_t n_peers);
/* The service records of overlay network id, as the swarm's store has them
 * now (a reference is taken):
 *   {"<service>": {"VIP": "a.b.c.d" (absent in dnsrr mode), "DNSRR": bool,
 *                  "Aliases": [...], "Tasks": {"<task name>": "a.b.c.d"}}}
 * with only the tasks that serve; an attached container is a record of its
 * name with "Container": true and itself as the one task. The DNS of every
 * container on the
 * network answers from them at once; the VIP tables of the containers on
 * it here are brought up to date when they changed. */
void network_overlay_services(struct networks *ns, const char *id, json_t *services);
/* What `network inspect` shows of overlay network id that this node does
 * not know itself, as the swarm's store has it now (a reference is taken):
 * {"Attachable": bool, "Labels": {...} or null, "Peers": [{"Name", "IP"}]}. */
void network_overlay_info(struct networks *ns, const char *id, json_t *info);
/* The Containers of `network inspect` for the local side of swarm network
 * id; NULL when it is not in use here. */
json_t *network_overlay_containers(struct networks *ns, const char *id);
/* Local sides of overlay networks that keep() refuses and that have no
 * endpoint left go: bridge, vxlan device, rules, state file. */
void network_overlay_prune(struct networks *ns, bool (*keep)(void *data, const char *id),
			   void *data);
/* Whether ref (name, ID or prefix) is a local network that is not the
 * local side of a swarm network. */
bool network_local_plain(struct networks *ns, const char *ref);
/* Whether a container here holds ip on the swarm network id. */
bool network_overlay_holds(struct networks *ns, const char *id, uint32_t ip);

/* --- containers on attachable swarm networks (attachment.c) --- */

/* As dockerd, a container on an attachable swarm network holds its
 * attachment (an address in the swarm, its name in every node's DNS) only
 * while it runs: the attachment goes back when it stops and is asked for
 * again when it starts (maybe another address). */

/* An attachment's outcome: owner its ID in the swarm, ip its address. */
typedef void (*network_attached_fn)(void *data, int status, const char *owner, const char *ip,
				    const char *msg);
/* How networking reaches the swarm (network_set_swarm). */
struct network_swarm {
	/* Asks the leader for an address on swarm network net (its ID) for
	 * the container name (ip: the one wanted, NULL: any; aliases
	 * borrowed, NULL: none; replaces: the container's previous
	 * attachment, which goes in the same step, NULL: none) and wires the
	 * network here; done once, maybe before it returns. */
	void (*attach)(void *sw, const char *net, const char *name, const char *ip, json_t *aliases,
		       const char *replaces, network_attached_fn done, void *data);
	/* Gives an attachment back (fire and forget: the agent retries). */
	void (*detach)(void *sw, const char *net, const char *owner);
	void *sw;
};
/* The swarm's side (NULL: none); borrowed until set again. */
void network_set_swarm(struct networks *ns, const struct network_swarm *s);
/* Whether c has an attachment that went back and must be asked for again
 * before it runs. */
bool network_container_detached(struct networks *ns, const struct net_container *c);
typedef void (*network_done_fn)(int r, const struct error *err, void *data);
/* Asks the swarm again for c's attachments that went back, one network
 * after the other; done(0) when all are back, else done(r, err) with
 * "Could not attach to network N: ..." (the ones obtained go back). done
 * is called once, maybe before this returns; c is looked up again by ID
 * meanwhile. */
void network_container_attach(struct networks *ns, const struct net_container *c,
			      network_done_fn done, void *data);

/* --- docker_gwbridge (gwbridge.c) --- */

/* The node is in a swarm (init, join, a start in one): docker_gwbridge, the
 * way out of containers on overlay networks, is kept (dockerd's ingress
 * sandbox holds it: rm and prune leave it) and, with make, made unless it
 * exists (else when the first container needs it).
 * -errno "error creating external connectivity network: ..." */
int network_gwbridge_ensure(struct networks *ns, bool make, struct error *err);
/* The node left the swarm: a docker_gwbridge berthd made goes, now or
 * when the last container that uses it stops. */
void network_gwbridge_leave(struct networks *ns);
/* The node left the swarm (also found at start after a crash that followed
 * a leave): as dockerd's clearAttachableNetworks, containers leave the
 * swarm's networks (a disconnect event for each that runs; a stopped one
 * loses its attachment), the networks go (a destroy event each; those that
 * still hold task containers, being removed, with the last of them), then
 * docker_gwbridge as network_gwbridge_leave. */
void network_swarm_leave(struct networks *ns);

/* --- container hooks (network_container.c) --- */

/* At create: checks NetworkMode (normalized: "default" is "bridge") and
 * NetworkingConfig, attaches the container to its networks (addresses
 * reserved). Nothing is left on failure. */
int network_container_create(struct networks *ns, const struct net_container *c, json_t *netcfg,
			     struct error *err);
/* The container is gone: its endpoints and addresses are released. */
void network_container_removed(struct networks *ns, const struct net_container *c);
/* Before the runtime runs: the namespace, veths, ports, DNS. *ret_netns is
 * the namespace path for the OCI spec, NULL to let the runtime make one
 * (none) or share the host's (host). Undone on failure. */
int network_container_up(struct networks *ns, const struct net_container *c, char **ret_netns,
			 struct error *err);
/* The run ended: veths, namespace, ports, DNS go. Safe to call twice. */
void network_container_down(struct networks *ns, const struct net_container *c);
/* NetworkSettings for inspect. */
json_t *network_container_settings(struct networks *ns, const struct net_container *c);
/* NetworkSettings.Networks alone, for GET /containers/json. */
json_t *network_container_networks(struct networks *ns, const struct net_container *c);
/* [{"IP","PrivatePort","PublicPort","Type"}] for GET /containers/json. */
json_t *network_container_ports_summary(struct networks *ns, const struct net_container *c);
/* /etc/resolv.conf for the container, NULL to keep the default. */
char *network_resolv_conf(struct networks *ns, const struct net_container *c);
/* Lines for /etc/hosts after the localhost ones ("" when none). */
char *network_hosts_lines(struct networks *ns, const struct net_container *c);
