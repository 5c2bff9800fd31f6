/* Keys of encrypted overlay networks, from the leader to the kernel's xfrm
 * tables (see netkeys.h). */
#include "swarm/netkeys.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/log.h"
#include "basic/timeutil.h"
#include "swarm/seal.h"
#include "swarm/store.h"
#include "swarm/store_networks.h"
#include "swarm/swarm_int.h"
#include "swarm/task_networks.h"

#define ENCRYPTED_OPTION "encrypted"
#define RING_FIELD "_netkeys"

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

bool netkeys_network_encrypted(json_t *net)
{
	if (json_is_true(json_object_get(net, "Encrypted")))
		return true;
	json_t *opts = json_object_get(json_object_get(net, "Spec"), "Options");
	return json_object_get(opts, ENCRYPTED_OPTION) != NULL;
}

static uint32_t fnv_bytes(uint32_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

uint32_t netkeys_spi(uint32_t src, uint32_t dst, uint32_t tag)
{
	/* Big-endian bytes: nodes of any byte order agree. */
	uint32_t be[3] = {htonl(src), htonl(tag), htonl(dst)};
	uint32_t h = fnv_bytes(2166136261u, be, sizeof(be));
	return h < 256 ? h + 256 : h;
}

/* ---- leader ---- */

static bool any_encrypted(json_t *networks)
{
	const char *id;
	json_t *net;
	json_object_foreach(networks, id, net)
	{
		if (netkeys_network_encrypted(net))
			return true;
	}
	return false;
}

struct ring_info {
	size_t n, oldest;
	json_int_t tag; /* the newest key's */
	int64_t newest; /* when it was made */
};

static struct ring_info ring_scan(json_t *ring)
{
	struct ring_info r = {.n = json_array_size(ring)};
	for (size_t i = 0; i < r.n; i++) {
		json_t *k = json_array_get(ring, i);
		json_int_t t = json_integer_value(json_object_get(k, "Tag"));
		if (t > r.tag) {
			r.tag = t;
			r.newest = json_integer_value(json_object_get(k, "Created"));
		}
		if (t < json_integer_value(json_object_get(json_array_get(ring, r.oldest), "Tag")))
			r.oldest = i;
	}
	return r;
}

/* Without an encrypted network, the ring stays as it is. */
static bool rotation_due(json_t *cluster, json_t *networks, int64_t now_ns, int64_t period_ns)
{
	struct ring_info r = ring_scan(json_object_get(cluster, RING_FIELD));
	return any_encrypted(networks) && (r.n == 0 || now_ns - r.newest >= period_ns);
}

json_t *netkeys_step(json_t *cluster, json_t *networks, int64_t now_ns, int64_t period_ns,
		     const uint8_t fresh[XFRM_KEY_LEN])
{
	if (!rotation_due(cluster, networks, now_ns, period_ns))
		return NULL;
	json_t *ring = json_object_get(cluster, RING_FIELD);
	struct ring_info r = ring_scan(ring);
	size_t n = r.n, oldest = r.oldest;
	json_int_t tag = r.tag;
	char *b64 = seal_b64(fresh, XFRM_KEY_LEN);
	json_t *next = json_array();
	for (size_t i = 0; i < n; i++)
		if (n < NETKEYS_RING || i != oldest)
			json_array_append(next, json_array_get(ring, i));
	json_array_append_new(next, json_pack("{s:s?, s:I, s:I}", "Key", b64, "Tag", tag + 1,
					      "Created", (json_int_t)now_ns));
	free(b64);
	return json_pack("{s:s, s:o}", "op", NETKEYS_OP, "v", next);
}

int netkeys_apply(struct store *s, json_t *cmd, struct error *err)
{
	json_t *v = json_object_get(cmd, "v");
	if (!json_is_array(v) || !s->cluster)
		return error_set(err, -EINVAL, "bad %s command", NETKEYS_OP);
	s->index++;
	return json_object_set_new(s->cluster, RING_FIELD, json_deep_copy(v)) < 0
		   ? error_set(err, -ENOMEM, "out of memory")
		   : 0;
}

void netkeys_carry(json_t *old_cluster, json_t *new_cluster)
{
	json_t *ring = json_object_get(old_cluster, RING_FIELD);
	if (ring && new_cluster && !json_object_get(new_cluster, RING_FIELD))
		json_object_set(new_cluster, RING_FIELD, ring);
}

static int64_t rotation_ns(void)
{
	const char *s = getenv("BERTH_NETKEY_ROTATION");
	long long v = s ? atoll(s) : 0;
	return (v > 0 ? v : NETKEYS_DEFAULT_ROTATION_S) * 1000000000LL;
}

static void ring_written(void *data, int status, json_t *res, const char *msg)
{
	struct swarm *sw = data;
	sw->netkeys_pending = false;
	if (status < 0)
		log_debug(sw->deps.log, "swarm: network key write failed: %s", msg ? msg : "");
	else
		log_info(sw->deps.log, "swarm: network encryption keys rotated");
}

void netkeys_rotate(struct swarm *sw)
{
	if (sw->netkeys_pending || !sw->store.cluster)
		return;
	/* Called at every leader tick: random bytes only when a key is due. */
	int64_t now = time_now_ns(), period = rotation_ns();
	if (!rotation_due(sw->store.cluster, sw->store.networks, now, period))
		return;
	uint8_t fresh[XFRM_KEY_LEN];
	if (RAND_bytes(fresh, sizeof(fresh)) != 1)
		return;
	json_t *cmd = netkeys_step(sw->store.cluster, sw->store.networks, now, period, fresh);
	OPENSSL_cleanse(fresh, sizeof(fresh));
	if (!cmd)
		return;
	json_object_set_new(cmd, "ts", json_integer(time_now_ns()));
	sw->netkeys_pending = true;
	swarm_write(sw, cmd, ring_written, sw);
}

/* ---- dispatcher ---- */

json_t *netkeys_for_node(struct swarm *sw, json_t *networks)
{
	size_t i;
	json_t *net;
	json_array_foreach(networks, i, net)
	{
		if (netkeys_network_encrypted(net)) {
			json_t *ring = json_object_get(sw->store.cluster, RING_FIELD);
			return ring ? json_deep_copy(ring) : NULL;
		}
	}
	return NULL;
}

/* ---- agent ---- */

static int by_tag(const void *a, const void *b)
{
	const struct netkey *x = a, *y = b;
	return x->tag < y->tag ? -1 : x->tag > y->tag;
}

int netkeys_parse(json_t *ring, struct netkey **ret, size_t *ret_n)
{
	size_t n = json_array_size(ring);
	struct netkey *v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *k = json_array_get(ring, i);
		json_int_t tag = json_integer_value(json_object_get(k, "Tag"));
		if (tag <= 0 || tag > UINT32_MAX ||
		    seal_unb64(jstr(k, "Key"), v[i].key, XFRM_KEY_LEN) != 0) {
			OPENSSL_cleanse(v, (n + 1) * sizeof(*v));
			free(v);
			return -EINVAL;
		}
		v[i].tag = (uint32_t)tag;
	}
	qsort(v, n, sizeof(*v), by_tag);
	*ret = v;
	*ret_n = n;
	return 0;
}

size_t netkeys_primary(size_t n)
{
	return n >= 2 ? n - 2 : 0;
}

int netkeys_plan(uint32_t local, const uint32_t *peers, size_t n_peers, const struct netkey *keys,
		 size_t n_keys, int port, struct netkeys_plan *ret)
{
	*ret = (struct netkeys_plan){0};
	if (n_keys == 0 || n_peers == 0)
		return 0;
	size_t n_sa = 2 * n_peers * n_keys;
	ret->sa = calloc(n_sa, sizeof(*ret->sa));
	ret->key = calloc(n_sa, sizeof(*ret->key));
	ret->sp = calloc(2 * n_peers, sizeof(*ret->sp));
	if (!ret->sa || !ret->key || !ret->sp) {
		netkeys_plan_done(ret);
		return -ENOMEM;
	}
	const struct netkey *primary = &keys[netkeys_primary(n_keys)];
	for (size_t p = 0; p < n_peers; p++) {
		for (size_t k = 0; k < n_keys; k++) {
			uint32_t ends[2][2] = {{local, peers[p]}, {peers[p], local}};
			for (int dir = 0; dir < 2; dir++) {
				struct xfrm_sa *sa = &ret->sa[ret->n_sa];
				*sa = (struct xfrm_sa){.src = ends[dir][0], .dst = ends[dir][1]};
				sa->spi = netkeys_spi(sa->src, sa->dst, keys[k].tag);
				ret->key[ret->n_sa++] = keys[k].key;
			}
		}
		ret->sp[ret->n_sp++] = (struct xfrm_sp){
		    .out = true,
		    .src = local,
		    .dst = peers[p],
		    .dport = port,
		    .spi = netkeys_spi(local, peers[p], primary->tag),
		};
		ret->sp[ret->n_sp++] =
		    (struct xfrm_sp){.src = peers[p], .dst = local, .dport = port};
	}
	return 0;
}

void netkeys_plan_done(struct netkeys_plan *p)
{
	free(p->sa);
	free(p->key);
	free(p->sp);
	*p = (struct netkeys_plan){0};
}

/* Marks what this daemon makes: the reqid of its states and of its
 * policies' templates, from its exec root (two daemons in one network
 * namespace never touch each other's, nor anyone else's). */
static uint32_t reqid_of(struct swarm *sw)
{
	uint32_t h = fnv_bytes(2166136261u, "berth-xfrm:", 11);
	const char *root = sw->deps.exec_root;
	h = fnv_bytes(h, root, strlen(root));
	return h ? h : 1;
}

static bool has_peer(const uint32_t *v, size_t n, uint32_t ip)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == ip)
			return true;
	return false;
}

/* The underlay addresses of the other nodes on this node's encrypted
 * networks. */
static uint32_t *peers_of(struct swarm *sw, json_t *networks, uint32_t local, size_t *ret_n)
{
	size_t cap = 0, n = 0;
	uint32_t *v = NULL;
	size_t i;
	json_t *net;
	json_array_foreach(networks, i, net)
	{
		if (!netkeys_network_encrypted(net))
			continue;
		const char *owner;
		json_t *ep;
		json_object_foreach(json_object_get(net, "Endpoints"), owner, ep)
		{
			uint32_t ip;
			if (strcmp(jstr(ep, "Node"), sw->node_id) == 0 ||
			    ip_parse(jstr(ep, "Addr"), &ip) < 0 || ip == local ||
			    has_peer(v, n, ip))
				continue;
			if (n == cap) {
				uint32_t *nv = realloc(v, (cap = cap ? 2 * cap : 8) * sizeof(*v));
				if (!nv)
					break;
				v = nv;
			}
			v[n++] = ip;
		}
	}
	*ret_n = n;
	return v;
}

static bool plan_has_sa(const struct netkeys_plan *p, const struct xfrm_sa *sa)
{
	for (size_t i = 0; i < p->n_sa; i++)
		if (p->sa[i].dst == sa->dst && p->sa[i].spi == sa->spi && p->sa[i].src == sa->src)
			return true;
	return false;
}

static bool owned_has_sa(const struct xfrm_owned *o, const struct xfrm_sa *sa)
{
	for (size_t i = 0; i < o->n_sa; i++)
		if (o->sa[i].dst == sa->dst && o->sa[i].spi == sa->spi && o->sa[i].src == sa->src)
			return true;
	return false;
}

static bool same_sp(const struct xfrm_sp *a, const struct xfrm_sp *b, bool spi)
{
	return a->out == b->out && a->src == b->src && a->dst == b->dst && a->dport == b->dport &&
	       (!spi || a->spi == b->spi);
}

/* New states first, then the policies that use them, then what is no
 * longer wanted: a packet never meets a policy without its state. */
static void reconcile(struct swarm *sw, const struct netkeys_plan *plan, uint32_t reqid)
{
	struct xfrm_owned have;
	struct error err = ERROR_INIT;
	if (xfrm_list(reqid, &have, &err) < 0) {
		/* Nothing wanted: a kernel without xfrm is no news. */
		if (plan->n_sa || plan->n_sp)
			log_warn(sw->deps.log, "encrypted overlay: %s", error_msg(&err));
		error_clear(&err);
		return;
	}
	for (size_t i = 0; i < plan->n_sa; i++) {
		if (owned_has_sa(&have, &plan->sa[i]))
			continue;
		if (xfrm_sa_set(&plan->sa[i], plan->key[i], reqid, &err) < 0) {
			/* The policies still go in: that traffic is dropped,
			 * never sent in clear. */
			if (!sw->netkeys_failed)
				log_error(
				    sw->deps.log,
				    "encrypted overlay: %s: this kernel cannot do ESP with "
				    "rfc4106(gcm(aes)) (CONFIG_INET_ESP, CONFIG_CRYPTO_GCM); "
				    "traffic of encrypted networks with other nodes is dropped",
				    error_msg(&err));
			sw->netkeys_failed = true;
		} else {
			sw->netkeys_failed = false;
		}
		error_clear(&err);
	}
	for (size_t i = 0; i < plan->n_sp; i++) {
		bool same = false;
		for (size_t k = 0; k < have.n_sp && !same; k++)
			same = same_sp(&have.sp[k], &plan->sp[i], true);
		if (same)
			continue;
		if (xfrm_sp_set(&plan->sp[i], reqid, &err) < 0)
			log_warn(sw->deps.log, "encrypted overlay: %s", error_msg(&err));
		error_clear(&err);
	}
	for (size_t k = 0; k < have.n_sp; k++) {
		bool wanted = false;
		for (size_t i = 0; i < plan->n_sp && !wanted; i++)
			wanted = same_sp(&have.sp[k], &plan->sp[i], false);
		if (!wanted && xfrm_sp_del(&have.sp[k], &err) < 0)
			log_warn(sw->deps.log, "encrypted overlay: %s", error_msg(&err));
		error_clear(&err);
	}
	for (size_t k = 0; k < have.n_sa; k++) {
		if (!plan_has_sa(plan, &have.sa[k]) && xfrm_sa_del(&have.sa[k], &err) < 0)
			log_warn(sw->deps.log, "encrypted overlay: %s", error_msg(&err));
		error_clear(&err);
	}
	xfrm_owned_done(&have);
}

void netkeys_program(struct swarm *sw, json_t *networks, json_t *ring, int port)
{
	uint32_t local = 0;
	size_t n_peers = 0, n_keys = 0;
	struct netkey *keys = NULL;
	struct netkeys_plan plan = {0};
	uint32_t *peers = NULL;
	if (task_networks_local_addr(sw, &local) == 0)
		peers = peers_of(sw, networks, local, &n_peers);
	if (ring && netkeys_parse(ring, &keys, &n_keys) < 0)
		log_warn(sw->deps.log, "encrypted overlay: the key ring sent is damaged");
	if (netkeys_plan(local, peers, n_peers, keys, n_keys, port ? port : task_networks_port(sw),
			 &plan) == 0)
		reconcile(sw, &plan, reqid_of(sw));
	netkeys_plan_done(&plan);
	if (keys)
		OPENSSL_cleanse(keys, n_keys * sizeof(*keys));
	free(keys);
	free(peers);
}

void netkeys_clear(struct swarm *sw)
{
	struct netkeys_plan none = {0};
	reconcile(sw, &none, reqid_of(sw));
}
