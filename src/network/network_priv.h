/* The network service's private state, shared by src/network/network*.c. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "basic/error.h"
#include "shared/digest.h"
#include "network/ipam.h"
#include "network/ipam6.h"
#include "network/network.h"
#include "network/nft.h"

struct net_container;

#define OPT_BRIDGE_NAME "com.docker.network.bridge.name"
#define OPT_MTU "com.docker.network.driver.mtu"
#define OPT_MASQ "com.docker.network.bridge.enable_ip_masquerade"
#define OPT_ICC "com.docker.network.bridge.enable_icc"

/* A container's NetworkMode ("" when unset), whether it is m, whether it
 * is "container:<id>" (network_settings.c). */
const char *net_mode(const struct net_container *c);
bool net_mode_is(const struct net_container *c, const char *m);
bool net_mode_shared(const struct net_container *c);

/* A string member of o, "" when absent. */
static inline const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

struct dns_server;

struct endpoint {
	char cid[DIGEST_HEX_LEN + 1];
	char id[DIGEST_HEX_LEN + 1];
	uint32_t ip;
	bool static_ip;
	struct in6_addr ip6; /* zero: none (IPv4-only network) */
	bool static_ip6;
	json_t *aliases;  /* array of strings */
	json_t *settings; /* echoed EndpointSettings: MacAddress, Links, DriverOpts, LinkLocalIPs */
	/* On docker_gwbridge, the way out of a container on overlay networks
	 * (gwbridge.c): not one of the networks the container shows. */
	bool gateway;
	/* A container attached to a swarm network (attachment.c): the
	 * attachment's ID in the swarm ("": none known), and whether it went
	 * back while the container does not run (ip is then the address it
	 * asks for again, 0: any, and is not reserved here). */
	char owner[32];
	bool released;
};

struct network {
	char id[DIGEST_HEX_LEN + 1];
	char *name;
	char driver[16]; /* bridge, host, null */
	char bridge[16]; /* the device (bridge driver) */
	bool internal, builtin, is_default, masquerade;
	bool gw_auto;	    /* docker_gwbridge as berthd made it (gwbridge.c) */
	struct cidr subnet; /* prefix 0: none */
	struct cidr range;
	uint32_t gateway;
	int mtu;
	json_t *labels, *options;
	json_t *aux; /* IPAM AuxiliaryAddresses: name -> address, kept from allocation */
	/* Dual stack (EnableIPv6): the IPv6 IPAM config beside the IPv4 one.
	 * A v6 subnet given without EnableIPv6 is kept and shown, not used,
	 * as dockerd does. */
	bool ipv6;
	bool nat6; /* masquerade IPv6 leaving the host (gateway_mode_ipv6=nat) */
	struct cidr6 subnet6, range6;
	struct in6_addr gateway6;
	json_t *aux6;
	struct ipam6_set used6;
	int64_t created_ns;
	bool up; /* the bridge exists */
	/* The local side of a swarm overlay network (overlay.c): a bridge
	 * network whose bridge also has a vxlan port. */
	bool overlay;
	uint32_t vni;
	char vxlan[16];
	json_t *peers;		   /* programmed: "ip" -> "mac vtep"; NULL: none yet */
	json_t *services;	   /* service records (network.h); NULL: none yet */
	json_t *swarm_info;	   /* network_overlay_info; NULL: none yet */
	struct network_mesh *mesh; /* the ingress network's (ingress.h); NULL */
	struct ipam_set used;
	struct endpoint *eps;
	size_t n_eps;
};

/* A running container's network: persisted under <exec-root>/network/. */
struct sandbox {
	struct networks *ns;
	char cid[DIGEST_HEX_LEN + 1];
	char *netns;
	json_t *ifaces; /* {network id: index} — eth<index>, veth vb<id10><index> */
	json_t *ports;	/* NetworkSettings.Ports */
	struct nft_port *nports;
	size_t n_nports;
	int *port_fds; /* sockets holding the host ports */
	size_t n_port_fds;
	struct dns_server *dns;
	char *lb_text;	   /* the VIP table last applied in netns; NULL: none this run */
	uint32_t *lb_vips; /* the VIPs that table balances (their entries are flushed) */
	size_t n_lb_vips;
	char *mesh_text; /* the routing mesh's table in netns (ingress.h); NULL */
};

struct networks {
	struct network **v;
	size_t n;
	struct sandbox **sb;
	size_t n_sb;
	struct nft_ctx *nft;
	char table[32];
	char default_bridge[16];
	char *dir;	 /* <data-root>/network */
	char *run_dir;	 /* <exec-root>/network */
	char *netns_dir; /* <exec-root>/netns */
	struct addr_pool pools[32];
	size_t n_pools;
	struct cidr6 pool6; /* IPv6 subnets come from it: the engine's ULA /48 */
	bool iptables;
	bool forwarding_set;
	bool in_swarm;	    /* docker_gwbridge is kept (network_gwbridge_ensure) */
	bool left_swarm;    /* network_swarm_leave: overlays go when unused */
	char gw_bridge[16]; /* the device of a docker_gwbridge berthd makes */
	struct network_swarm swarm; /* network_set_swarm; attach NULL: none */
	struct network_deps deps;
};

/* The container ref names, through the engine's source. */
int net_container_find(struct networks *ns, const char *ref, struct net_container *ret,
		       struct error *err);
struct network *new_network(const char *name, const char *driver);
int networks_add(struct networks *ns, struct network *n);
void network_free(struct network *n);
/* POST /networks/create's work after the name checks: body's options and
 * IPAM, the bridge, the file, the rules, the event; *ret the network. */
int network_make(struct networks *ns, json_t *body, struct network **ret, struct error *err);
/* Its file, devices and rules go; n is freed. */
void network_destroy(struct networks *ns, struct network *n);
/* By full ID, name, or unique ID prefix; -ENOENT "network X not found". */
int network_lookup(struct networks *ns, const char *ref, struct network **ret, struct error *err);
int network_save(struct networks *ns, struct network *n, struct error *err);
struct endpoint *network_endpoint(struct network *n, const char *cid);
/* Reserves an address (ip 0: any; on a dual-stack network also ip6, NULL
 * or zero: any) for cid and adds the endpoint; settings (see struct
 * endpoint, NULL for none) is copied. owner: the swarm attachment that
 * gave ip (NULL: none), with asked whether the container asked for ip. */
int network_attach(struct networks *ns, struct network *n, const char *cid, uint32_t ip,
		   const struct in6_addr *ip6, json_t *aliases, json_t *settings, const char *owner,
		   bool asked, struct error *err);
/* The attachment of ep on n went back to the swarm: its address is no
 * longer reserved here (kept as ep->ip when the container asked for it). */
void network_endpoint_release(struct networks *ns, struct network *n, struct endpoint *ep);
/* cid's released endpoint on n takes ip of the swarm's attachment owner.
 * -EEXIST "Address already in use" when a running container here has it. */
int network_endpoint_readdress(struct networks *ns, struct network *n, const char *cid, uint32_t ip,
			       const char *owner, struct error *err);
/* The same for the gateway endpoint of cid on docker_gwbridge. */
int network_attach_gateway(struct networks *ns, struct network *n, const char *cid,
			   struct error *err);
void network_detach(struct networks *ns, struct network *n, const char *cid);
/* cid's endpoint on n when n is one of its networks (not its gateway
 * endpoint on docker_gwbridge), else NULL. */
struct endpoint *container_endpoint(struct network *n, const char *cid);
int network_bridge_up(struct networks *ns, struct network *n, struct error *err);
/* Replaces berthd's nftables table from the state; logs failures. */
void network_rules_rebuild(struct networks *ns);
struct sandbox *sandbox_find(struct networks *ns, const char *cid);
/* The index N of n's interface ethN in sb; -1 when sb is not on n. */
int sandbox_index(struct sandbox *sb, struct network *n);
void network_event(struct networks *ns, struct network *n, const char *action, const char *cid);
/* The veth on the host for an endpoint: vb<first 10 of cid><index>. */
void sandbox_host_if(const char *cid, int index, char buf[16]);
/* Live connect/disconnect of a running container. */
int sandbox_join(struct networks *ns, struct sandbox *sb, struct network *n, struct error *err);
void sandbox_leave(struct networks *ns, struct sandbox *sb, struct network *n);
int sandbox_save(struct networks *ns, struct sandbox *sb, struct error *err);
/* Frees the memory only (the kernel objects stay: shutdown). */
void sandbox_free(struct sandbox *sb);
/* The IPv6 side of a veth about to be made for ep on n (network_ipv6.c):
 * address, and a default route unless sb has one (or n is internal). */
struct nl_endpoint;
void endpoint_nl6(struct networks *ns, struct sandbox *sb, struct network *n, struct endpoint *ep,
		  struct nl_endpoint *nep);
/* DNS: start the container's server when it is on a user network. */
void sandbox_dns_update(struct networks *ns, struct sandbox *sb);
bool network_is_user(const struct network *n);
/* The container's networks with an endpoint, in network order (not its
 * gateway endpoint on docker_gwbridge). */
size_t container_networks(struct networks *ns, const char *cid, struct network **out, size_t max);
/* The endpoint's MAC address: the one asked for, else 02:42:<address>. */
void endpoint_mac(const struct endpoint *ep, uint8_t mac[6]);
void endpoint_mac_text(const struct endpoint *ep, char buf[18]);

/* Containers on attachable swarm networks (attachment.c). */
/* c's attachments go back to the swarm (it stopped, or never ran): a task's
 * container keeps its endpoints (the task's allocation is the swarm's). */
void attachments_release(struct networks *ns, const struct net_container *c);
/* n's endpoint of the container goes; one that runs also leaves n (its
 * interface, its rules, a disconnect event). */
void network_container_disconnect(struct networks *ns, struct network *n, const char *cid);
/* Daemon start: the attachments of containers that do not run go back. */
void attachments_restore(struct networks *ns);

/* docker_gwbridge (gwbridge.c). */
/* The local network named docker_gwbridge; NULL when there is none. */
struct network *gwbridge_find(struct networks *ns);
/* Gives sb its gateway endpoint on docker_gwbridge (making the network when
 * missing) when the container is on a non-internal overlay network and on
 * no network with a gateway of its own, and takes it away when not. */
int sandbox_gw_update(struct networks *ns, struct sandbox *sb, struct error *err);
/* The network of sb that published ports go to: docker_gwbridge when sb
 * has its gateway endpoint there, else the one of eth0. */
struct network *sandbox_port_network(struct networks *ns, struct sandbox *sb);
/* cid's gateway endpoint goes (its veth went with its sandbox); a
 * docker_gwbridge berthd made goes with the last one outside a swarm. */
void gwbridge_release(struct networks *ns, const char *cid);
/* Daemon start: gateway endpoints of containers without a sandbox go. */
void gwbridge_restore(struct networks *ns);

/* Service records of overlay networks (vip.c). */
/* Fills up to max addresses of name among n's service records: a
 * service's VIP (its running tasks in dnsrr mode), "tasks.<service>" its
 * running tasks, a task's name its address. */
size_t overlay_resolve(const struct network *n, const char *name, uint32_t *ips, size_t max);
/* Makes the VIP table in sb's namespace match the records of its overlay
 * networks (gone when there is no VIP); logs failures. */
void sandbox_lb_update(struct networks *ns, struct sandbox *sb);

/* Published ports (network_ports.c). */
/* "80/tcp" -> 80, "tcp"; -EINVAL. */
int port_key_parse(const char *key, int *port, const char **proto);
/* Holds the ports of c's PortBindings (and -P) for sb, DNAT'ed to ep's
 * addresses (IPv4, and IPv6 on a dual-stack network: an unspecified host
 * address then means 0.0.0.0 and ::); fills sb->ports and sb->nports.
 * Nothing is held on failure. */
int ports_setup(struct networks *ns, const struct net_container *c, struct sandbox *sb,
		const struct endpoint *ep, struct error *err);
/* Holds sb->ports again (daemon start). */
void ports_restore(struct networks *ns, struct sandbox *sb, const struct endpoint *ep);
void ports_close(struct sandbox *sb);
