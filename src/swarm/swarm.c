/* Swarm membership and lifecycle (see swarm.h): state on disk, init, join,
 * leave, restart, and the periodic tick that drives heartbeats, leadership
 * duties and role changes. The RPC handlers are in manager.c; the API-facing
 * reads and writes in swarm_ops.c. */
#define _XOPEN_SOURCE 700
#include "swarm/swarm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/build_info.h"
#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/log.h"
#include "basic/timeutil.h"
#include "network/network.h"
#include "shared/generic_resources.h"
#include "swarm/ca.h"
#include "swarm/netkeys.h"
#include "swarm/rpc.h"
#include "swarm/seal.h"
#include "swarm/secrets.h"
#include "swarm/services.h"
#include "swarm/swarm_int.h"
#include "swarm/task_networks.h"
#include "swarm/token.h"

int64_t swarm_now_ms(void)
{
	return time_now_ns() / 1000000;
}

/* ---- state on disk ---- */

static void path_of(struct swarm *sw, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", sw->dir, name);
}

static int write_file(struct swarm *sw, const char *name, const char *text, mode_t mode,
		      struct error *err)
{
	char p[4200];
	path_of(sw, name, p, sizeof(p));
	return fs_write_atomic(p, text, strlen(text), mode, err);
}

static char *read_text(struct swarm *sw, const char *name)
{
	char p[4200], *text = NULL;
	size_t len;
	path_of(sw, name, p, sizeof(p));
	if (fs_read_file(p, 1 << 20, &text, &len) < 0)
		return NULL;
	return text;
}

/* keys.json holds the data key; with autolock, the data key and the node's
 * TLS key sealed with the kek instead (and no plain key file is left). */
static int save_keys(struct swarm *sw, struct error *err)
{
	char p[4200];
	json_t *doc = json_object();
	_cleanup_free_ char *dek64 = sw->has_dek ? seal_b64(sw->dek, 32) : NULL;
	bool locked = sw->manager && sw->autolock;
	if (locked) {
		json_t *inner = json_pack("{s:s?, s:s}", "dek", dek64, "key", sw->key_pem);
		char *text = json_dumps(inner, JSON_COMPACT);
		json_decref(inner);
		uint8_t *blob = NULL;
		size_t blen = 0;
		int r = text ? seal(sw->kek, text, strlen(text), &blob, &blen) : -ENOMEM;
		free(text);
		if (r < 0) {
			json_decref(doc);
			return error_set(err, r, "could not seal the swarm keys");
		}
		char *b64 = seal_b64(blob, blen);
		json_object_set_new(doc, "sealed", json_string(b64 ? b64 : ""));
		free(b64);
		free(blob);
	} else if (dek64) {
		json_object_set_new(doc, "dek", json_string(dek64));
	}
	char *text = json_dumps(doc, JSON_INDENT(1));
	json_decref(doc);
	int r = text ? write_file(sw, "keys.json", text, 0600, err) : -ENOMEM;
	free(text);
	if (r < 0)
		return r;
	if (locked) {
		path_of(sw, "certificates/swarm-node.key", p, sizeof(p));
		unlink(p);
		return 0;
	}
	return write_file(sw, "certificates/swarm-node.key", sw->key_pem, 0600, err);
}

/* Takes the keys from keys.json; leaves the swarm locked when they are
 * sealed. */
static int load_keys(struct swarm *sw, struct error *err)
{
	_cleanup_free_ char *text = read_text(sw, "keys.json");
	json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
	const char *sealed = json_string_value(json_object_get(doc, "sealed"));
	const char *dek = json_string_value(json_object_get(doc, "dek"));
	int r = 0;
	if (sealed && *sealed) {
		sw->sealed_keys = strdup(sealed);
		sw->autolock = true;
	} else {
		if (dek && seal_unb64(dek, sw->dek, 32) == 0)
			sw->has_dek = true;
		sw->key_pem = read_text(sw, "certificates/swarm-node.key");
		if (!sw->key_pem)
			r = error_set(err, -EINVAL, "swarm state in %s is damaged: no node key",
				      sw->dir);
	}
	json_decref(doc);
	return r;
}

int swarm_save(struct swarm *sw, struct error *err)
{
	char p[4200];
	path_of(sw, "certificates", p, sizeof(p));
	int r = fs_mkdir_p(p, 0700, err);
	if (r == 0)
		r = write_file(sw, "certificates/swarm-root-ca.crt", sw->ca_pem, 0644, err);
	if (r == 0)
		r = write_file(sw, "certificates/swarm-node.crt", sw->cert_pem, 0644, err);
	if (r == 0)
		r = save_keys(sw, err);
	if (r < 0)
		return r;
	json_t *st = json_pack(
	    "{s:s, s:s, s:b, s:I, s:s, s:s, s:s, s:O, s:I, s:I}", "node_id", sw->node_id,
	    "cluster_id", sw->cluster_id, "manager", sw->manager, "raft_id",
	    (json_int_t)sw->raft_id, "listen_addr", sw->listen_addr, "advertise_addr",
	    sw->advertise_addr, "data_path_addr", sw->data_path_addr, "managers", sw->managers,
	    "hb_ms", (json_int_t)sw->hb_ms, "cert_expiry_s", (json_int_t)sw->cert_expiry_s);
	char *text = json_dumps(st, JSON_INDENT(1));
	json_decref(st);
	if (!text)
		return error_set(err, -ENOMEM, "out of memory");
	r = write_file(sw, "state.json", text, 0600, err);
	free(text);
	return r;
}

/* 0 when a state was loaded, -ENOENT when there is none. */
static int load_state(struct swarm *sw, struct error *err)
{
	_cleanup_free_ char *text = read_text(sw, "state.json");
	if (!text)
		return -ENOENT;
	json_t *st = json_loads(text, 0, NULL);
	const char *nid = json_string_value(json_object_get(st, "node_id"));
	const char *cid = json_string_value(json_object_get(st, "cluster_id"));
	sw->ca_pem = read_text(sw, "certificates/swarm-root-ca.crt");
	sw->cert_pem = read_text(sw, "certificates/swarm-node.crt");
	if (!nid || !cid || !sw->ca_pem || !sw->cert_pem || load_keys(sw, err) < 0) {
		if (err && err->code)
			error_clear(err);
		json_decref(st);
		return error_set(err, -EINVAL, "swarm state in %s is damaged", sw->dir);
	}
	snprintf(sw->node_id, sizeof(sw->node_id), "%s", nid);
	snprintf(sw->cluster_id, sizeof(sw->cluster_id), "%s", cid);
	sw->manager = json_is_true(json_object_get(st, "manager"));
	sw->raft_id = (uint64_t)json_integer_value(json_object_get(st, "raft_id"));
	snprintf(sw->listen_addr, sizeof(sw->listen_addr), "%s",
		 json_string_value(json_object_get(st, "listen_addr")) ?: "0.0.0.0:2377");
	snprintf(sw->advertise_addr, sizeof(sw->advertise_addr), "%s",
		 json_string_value(json_object_get(st, "advertise_addr")) ?: "");
	snprintf(sw->data_path_addr, sizeof(sw->data_path_addr), "%s",
		 json_string_value(json_object_get(st, "data_path_addr")) ?: "");
	json_decref(sw->managers);
	sw->managers = json_incref(json_object_get(st, "managers"));
	if (!json_is_array(sw->managers)) {
		json_decref(sw->managers);
		sw->managers = json_array();
	}
	sw->hb_ms = json_integer_value(json_object_get(st, "hb_ms")) ?: SWARM_DEFAULT_HB_MS;
	sw->cert_expiry_s =
	    json_integer_value(json_object_get(st, "cert_expiry_s")) ?: SWARM_DEFAULT_CERT_S;
	json_decref(st);
	return 0;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

void swarm_wipe_dir(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int swarm_build_ctx(struct swarm *sw, struct error *err)
{
	SSL_CTX *s = mtls_ctx_new(true, sw->ca_pem, sw->cert_pem, sw->key_pem, err);
	if (!s)
		return err ? err->code : -EINVAL;
	SSL_CTX *c = mtls_ctx_new(false, sw->ca_pem, sw->cert_pem, sw->key_pem, err);
	if (!c) {
		SSL_CTX_free(s);
		return err ? err->code : -EINVAL;
	}
	SSL_CTX_free(sw->server_ctx);
	SSL_CTX_free(sw->client_ctx);
	sw->server_ctx = s;
	sw->client_ctx = c;
	return 0;
}

/* ---- manager parts: raft and listener ---- */

static void raft_freed(void *data, int status, const char *msg)
{
	struct sraft *r = data;
	free(r);
}

static void kick_cb(void *data)
{
	swarm_kick(data);
}

int swarm_manager_start(struct swarm *sw, bool bootstrap, bool recover, struct error *err)
{
	char dir[4200];
	path_of(sw, "raft", dir, sizeof(dir));
	struct sraft *r = calloc(1, sizeof(*r));
	if (!r)
		return error_set(err, -ENOMEM, "out of memory");
	const struct sraft_settings set = {SWARM_ELECTION_MS, SWARM_RAFT_HB_MS, 1024, 512};
	char addr[160];
	snprintf(addr, sizeof(addr), "%s", sw->advertise_addr);
	int rv = sraft_init(r, sw->deps.loop, sw->deps.log, dir, sw->raft_id, addr, &sw->store,
			    &sw->client_ctx, &set, err);
	if (rv < 0) {
		free(r);
		return rv;
	}
	r->has_dek = sw->has_dek;
	memcpy(r->dek, sw->dek, sizeof(r->dek));
	r->on_applied = kick_cb;
	r->applied_data = sw;
	if (bootstrap)
		rv = sraft_bootstrap(r, err);
	else if (recover)
		rv = sraft_recover(r, err);
	if (rv == 0 && !sw->listener)
		rv = rpc_listen(sw, err);
	if (rv == 0) {
		swarm_objects_events_from_now(sw);
		rv = sraft_start(r, err);
	}
	if (rv < 0) {
		rpc_stop_listen(sw);
		sraft_close(r, raft_freed, r);
		return rv;
	}
	sw->raft = r;
	sw->leader_ready = false;
	return 0;
}

static void manager_stop_then(struct swarm *sw, sraft_cb closed, void *data)
{
	dispatcher_stop(sw);
	rpc_stop_listen(sw);
	if (sw->raft) {
		struct sraft *r = TAKE_PTR(sw->raft);
		sraft_close(r, closed, data ? data : r);
	}
	sw->leader_ready = false;
	store_done(&sw->store);
	store_init(&sw->store);
	json_decref(sw->last_seen);
	sw->last_seen = json_object();
	json_object_clear(sw->lost);
	sw->leader_tick_ms = 0;
}

void swarm_manager_stop(struct swarm *sw)
{
	manager_stop_then(sw, raft_freed, NULL);
}

struct raft_reopen {
	struct swarm *sw;
	struct sraft *old;
};

static void raft_reopen_closed(void *data, int status, const char *msg)
{
	struct raft_reopen *ro = data;
	struct swarm *sw = ro->sw;
	free(ro->old);
	free(ro);
	sw->raft_reopening = false;
	if (sw->closing || !sw->manager || sw->raft || sw->state != SWARM_ACTIVE)
		return;
	struct error err = ERROR_INIT;
	if (swarm_manager_start(sw, false, false, &err) < 0)
		log_error(sw->deps.log, "swarm: raft could not be started again: %s",
			  error_msg(&err));
	else
		log_info(sw->deps.log, "swarm: raft started again from its log");
	error_clear(&err);
}

/* libraft (0.15) stops for good on an error one of its handlers cannot
 * deal with: the node then drops every message and never learns of a
 * leader again, a manager lost to its cluster until berthd restarts (seen
 * under heavy load). It is started again from its log on disk once the
 * stopped instance has closed. */
void swarm_raft_watch(struct swarm *sw)
{
	const char *why = NULL;
	if (!sw->raft || sw->raft_reopening || !sraft_stopped(sw->raft, &why))
		return;
	struct raft_reopen *ro = calloc(1, sizeof(*ro));
	if (!ro)
		return;
	log_error(sw->deps.log, "swarm: raft stopped (%s); starting it again",
		  why && *why ? why : "?");
	ro->sw = sw;
	ro->old = sw->raft;
	sw->raft_reopening = true;
	manager_stop_then(sw, raft_reopen_closed, ro);
}

/* ---- lifecycle ---- */

static void tick_cb(uv_timer_t *t)
{
	swarm_tick(t->data);
}

void swarm_tick_start(struct swarm *sw)
{
	if (sw->tick_on)
		return;
	/* The node is in the swarm from here on: as dockerd, it has its
	 * docker_gwbridge (tasks also make it when missing). Not made now by a
	 * manager that just joined as a follower: making it holds the loop
	 * (netlink, an fsync, the nftables table), which on a loaded host can
	 * outlast the election timeout of a raft member this new. */
	bool follower = sw->manager && !(sw->raft && sraft_is_leader(sw->raft));
	struct error err = ERROR_INIT;
	if (network_gwbridge_ensure(sw->deps.networks, !follower, &err) < 0)
		log_warn(sw->deps.log, "swarm: %s", error_msg(&err));
	error_clear(&err);
	sw->tick_on = true;
	sw->next_hb_ms = 0;
	uv_timer_start(&sw->tick, tick_cb, SWARM_TICK_MS, SWARM_TICK_MS);
}

void swarm_kick(struct swarm *sw)
{
	/* Not pushed back by further kicks: a steady stream of them still
	 * lets the tick run. */
	if (sw->tick_on && !sw->closing && uv_timer_get_due_in(&sw->tick) > SWARM_KICK_MS)
		uv_timer_start(&sw->tick, tick_cb, SWARM_KICK_MS, SWARM_TICK_MS);
}

int swarm_new(const struct swarm_deps *deps, struct swarm **ret, struct error *err)
{
	struct swarm *sw = calloc(1, sizeof(*sw));
	if (!sw)
		return error_set(err, -ENOMEM, "out of memory");
	sw->deps = *deps;
	snprintf(sw->dir, sizeof(sw->dir), "%s/swarm", deps->data_root);
	sw->managers = json_array();
	sw->last_seen = json_object();
	sw->lost = json_object();
	sw->attaching = json_object();
	sw->hb_ms = SWARM_DEFAULT_HB_MS;
	sw->cert_expiry_s = SWARM_DEFAULT_CERT_S;
	store_init(&sw->store);
	uv_timer_init(sw->deps.loop, &sw->tick);
	sw->tick.data = sw;
	swarm_attach_setup(sw);
	*ret = sw;
	return 0;
}

int swarm_start(struct swarm *sw, struct error *err)
{
	int r = load_state(sw, err);
	if (r == -ENOENT) {
		/* Not in a swarm: also after a crash that followed a leave. */
		network_swarm_leave(sw->deps.networks);
		return 0;
	}
	if (r == 0 && sw->sealed_keys) {
		sw->state = SWARM_LOCKED;
		log_info(sw->deps.log, "swarm: this manager is locked: use docker swarm unlock");
		return 0;
	}
	if (r == 0)
		r = swarm_build_ctx(sw, err);
	if (r == 0 && sw->manager)
		r = swarm_manager_start(sw, false, false, err);
	if (r < 0) {
		/* Keep the daemon up: the swarm reports the error in /info. */
		snprintf(sw->error_msg, sizeof(sw->error_msg), "%s", error_msg(err));
		log_error(sw->deps.log, "swarm: %s", error_msg(err));
		sw->state = SWARM_ERROR;
		error_clear(err);
		return 0;
	}
	sw->state = SWARM_ACTIVE;
	swarm_tick_start(sw);
	log_info(sw->deps.log, "swarm: resumed as %s %s of cluster %s",
		 sw->manager ? "manager" : "worker", sw->node_id, sw->cluster_id);
	return 0;
}

struct stop_ctx {
	void (*cb)(void *);
	void *data;
};

static void tick_closed(uv_handle_t *h)
{
	struct swarm *sw = h->data;
	struct stop_ctx *sc = (void *)sw->stop_ctx;
	sw->stop_ctx = NULL;
	if (sc) {
		if (sc->cb)
			sc->cb(sc->data);
		free(sc);
	}
}

void swarm_stop(struct swarm *sw, void (*cb)(void *), void *data)
{
	sw->closing = true;
	swarm_manager_stop(sw);
	struct stop_ctx *sc = calloc(1, sizeof(*sc));
	if (sc) {
		sc->cb = cb;
		sc->data = data;
	}
	sw->stop_ctx = sc;
	uv_close((uv_handle_t *)&sw->tick, tick_closed);
}

void swarm_free(struct swarm *sw)
{
	if (!sw)
		return;
	network_set_swarm(sw->deps.networks, NULL);
	swarm_agent_stop(sw);
	store_done(&sw->store);
	json_decref(sw->managers);
	json_decref(sw->last_seen);
	json_decref(sw->lost);
	json_decref(sw->attaching);
	free(sw->ca_pem);
	free(sw->cert_pem);
	free(sw->key_pem);
	swarm_issuer_forget(sw);
	free(sw->sealed_keys);
	SSL_CTX_free(sw->server_ctx);
	SSL_CTX_free(sw->client_ctx);
	free(sw);
}

/* Forgets the membership: after leave, or a failed init/join. */
void swarm_reset(struct swarm *sw)
{
	netkeys_clear(sw);
	network_swarm_leave(sw->deps.networks);
	swarm_manager_stop(sw);
	swarm_agent_stop(sw);
	if (sw->tick_on) {
		uv_timer_stop(&sw->tick);
		sw->tick_on = false;
	}
	swarm_wipe_dir(sw->dir);
	free(TAKE_PTR(sw->ca_pem));
	free(TAKE_PTR(sw->cert_pem));
	free(TAKE_PTR(sw->key_pem));
	free(TAKE_PTR(sw->sealed_keys));
	sw->has_dek = sw->autolock = false;
	memset(sw->dek, 0, sizeof(sw->dek));
	memset(sw->kek, 0, sizeof(sw->kek));
	SSL_CTX_free(TAKE_PTR(sw->server_ctx));
	SSL_CTX_free(TAKE_PTR(sw->client_ctx));
	json_array_clear(sw->managers);
	sw->leader_hint[0] = '\0';
	sw->node_id[0] = sw->cluster_id[0] = '\0';
	sw->manager = false;
	sw->raft_id = 0;
	sw->error_msg[0] = '\0';
	sw->state = SWARM_INACTIVE;
	sw->hb_ms = SWARM_DEFAULT_HB_MS;
}

/* ---- addresses ---- */

static bool has_port(const char *a)
{
	const char *c = strrchr(a, ':');
	const char *rb = strrchr(a, ']');
	if (!c)
		return false;
	if (a[0] == '[')
		return rb && c > rb;
	return strchr(a, ':') == c; /* one colon: host:port */
}

/* The first non-loopback IPv4 address of the host (its namespace). */
static int default_ip(char *out, size_t n)
{
	uv_interface_address_t *ifs;
	int count;
	if (uv_interface_addresses(&ifs, &count) < 0)
		return -ENOENT;
	int r = -ENOENT;
	for (int i = 0; i < count && r < 0; i++)
		if (!ifs[i].is_internal && ifs[i].address.address4.sin_family == AF_INET) {
			uv_ip4_name(&ifs[i].address.address4, out, n);
			r = 0;
		}
	uv_free_interface_addresses(ifs, count);
	return r;
}

int swarm_resolve_addrs(struct swarm *sw, const char *listen, const char *advertise,
			bool need_advertise, struct error *err)
{
	char l[128] = "0.0.0.0:2377";
	if (listen && *listen) {
		if (has_port(listen))
			snprintf(l, sizeof(l), "%s", listen);
		else
			snprintf(l, sizeof(l), "%s:2377", listen);
	}
	struct sockaddr_storage ss;
	if (mtls_parse_addr(l, &ss, err) < 0)
		return err->code;
	const char *port = strrchr(l, ':') + 1;
	char a[128] = "";
	if (advertise && *advertise) {
		if (has_port(advertise))
			snprintf(a, sizeof(a), "%s", advertise);
		else
			snprintf(a, sizeof(a), "%s:%s", advertise, port);
		if (mtls_parse_addr(a, &ss, NULL) < 0)
			return error_set(err, -EINVAL,
					 "advertise address must be a non-zero IP address or "
					 "network interface (with optional port number)");
	} else if (strncmp(l, "0.0.0.0:", 8) != 0 && strncmp(l, "[::]:", 5) != 0) {
		snprintf(a, sizeof(a), "%s", l);
	} else {
		char ip[64];
		if (default_ip(ip, sizeof(ip)) < 0) {
			if (need_advertise)
				return error_set(
				    err, -EINVAL,
				    "could not choose an IP address to advertise since "
				    "this system does not have any address; specify one "
				    "with --advertise-addr");
		} else {
			snprintf(a, sizeof(a), "%s:%s", ip, port);
		}
	}
	snprintf(sw->listen_addr, sizeof(sw->listen_addr), "%s", l);
	snprintf(sw->advertise_addr, sizeof(sw->advertise_addr), "%s", a);
	return 0;
}

/* dockerd's resolveInterfaceAddr: the interface's one IPv4 address, else
 * its one IPv6 address, into ip. 1 when there is no interface of that name. */
static int interface_addr(const char *name, char ip[INET6_ADDRSTRLEN], struct error *err)
{
	uv_interface_address_t *ifs;
	int count;
	if (uv_interface_addresses(&ifs, &count) < 0)
		return 1;
	int r = 1, n4 = 0, n6 = 0;
	char ip6[INET6_ADDRSTRLEN] = "";
	for (int i = 0; i < count; i++) {
		if (strcmp(ifs[i].name, name) != 0)
			continue;
		r = 0;
		if (ifs[i].address.address4.sin_family == AF_INET && n4++ == 0)
			uv_ip4_name(&ifs[i].address.address4, ip, INET6_ADDRSTRLEN);
		else if (ifs[i].address.address6.sin6_family == AF_INET6 && n6++ == 0)
			uv_ip6_name(&ifs[i].address.address6, ip6, sizeof(ip6));
	}
	uv_free_interface_addresses(ifs, count);
	if (r == 0 && (n4 > 1 || (!n4 && n6 > 1)))
		r = error_set(err, -EINVAL, "interface %s has more than one %s address", name,
			      n4 > 1 ? "IPv4" : "IPv6");
	if (r == 0 && !n4)
		snprintf(ip, INET6_ADDRSTRLEN, "%s", ip6);
	/* An interface without addresses is not listed by libuv: no such one. */
	return r;
}

int swarm_check_data_path_addr(const char *addr, char ret_ip[INET6_ADDRSTRLEN], struct error *err)
{
	char ip[INET6_ADDRSTRLEN] = "";
	if (!addr || !*addr)
		goto done;
	int r = interface_addr(addr, ip, err);
	if (r < 0)
		return r;
	if (r == 0)
		goto done;
	unsigned char buf[16];
	static const unsigned char zero[16];
	if ((inet_pton(AF_INET, addr, buf) == 1 && memcmp(buf, zero, 4) != 0) ||
	    (inet_pton(AF_INET6, addr, buf) == 1 && memcmp(buf, zero, 16) != 0)) {
		snprintf(ip, sizeof(ip), "%s", addr);
		goto done;
	}
	return error_set(err, -EINVAL,
			 "data path address must be a non-zero IP address or network interface "
			 "(without a port number)");
done:
	if (ret_ip)
		snprintf(ret_ip, INET6_ADDRSTRLEN, "%s", ip);
	return 0;
}

uint64_t swarm_new_raft_id(void)
{
	uint64_t id = 0;
	while (id == 0 || id == UINT64_MAX)
		RAND_bytes((unsigned char *)&id, sizeof(id));
	return id >> 1; /* JSON integers are signed */
}

/* The daemon's --label list as Engine.Labels, as dockerd reports it. */
static json_t *engine_labels(char *const *list, size_t n)
{
	json_t *labels = json_object();
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(list[i], '=');
		if (!eq)
			continue;
		_cleanup_free_ char *key = strndup(list[i], (size_t)(eq - list[i]));
		if (key)
			json_object_set_new(labels, key, json_string(eq + 1));
	}
	return labels;
}

/* The description a node reports about itself. */
json_t *swarm_node_description(struct swarm *sw)
{
	const struct swarm_deps *deps = &sw->deps;
	char host[256] = "";
	gethostname(host, sizeof(host) - 1); /* the UTS namespace's, as now */
	json_t *desc = json_pack(
	    "{s:s, s:{s:s, s:s}, s:{s:I, s:I}, s:{s:s, s:o, s:[]}}", "Hostname",
	    host[0] ? host : deps->hostname, "Platform", "Architecture", deps->architecture, "OS",
	    "linux", "Resources", "NanoCPUs", (json_int_t)deps->ncpu * 1000000000, "MemoryBytes",
	    (json_int_t)deps->mem_total, "Engine", "EngineVersion", BERTH_VERSION, "Labels",
	    engine_labels(*deps->labels, *deps->n_labels), "Plugins");
	/* Checked when the settings were read; a failure here leaves them out. */
	json_t *generic = NULL;
	if (desc &&
	    generic_resources_parse((const char *const *)deps->generic_resources,
				    deps->n_generic_resources, &generic, NULL) == 0 &&
	    json_array_size(generic))
		json_object_set_new(json_object_get(desc, "Resources"), "GenericResources",
				    json_incref(generic));
	json_decref(generic);
	return desc;
}

/* ---- autolock ---- */

int swarm_parse_unlock_key(const char *key, uint8_t kek[32])
{
	static const char prefix[] = "SWMKEY-1-";
	if (!key || strncmp(key, prefix, sizeof(prefix) - 1) != 0 ||
	    seal_unb64(key + sizeof(prefix) - 1, kek, 32) < 0)
		return -EINVAL;
	return 0;
}

int swarm_unlock(struct swarm *sw, const char *key, struct error *err)
{
	if (sw->state != SWARM_LOCKED)
		return error_set(err, -EBUSY, "swarm is not locked");
	uint8_t kek[32], blob[8192];
	if (swarm_parse_unlock_key(key, kek) < 0)
		return error_set(err, -EINVAL, "invalid key");
	size_t sl = strlen(sw->sealed_keys), blen = sl / 4 * 3;
	if (blen > sizeof(blob) || sl % 4)
		return error_set(err, -EINVAL, "swarm state in %s is damaged", sw->dir);
	blen -= (sl && sw->sealed_keys[sl - 1] == '=') + (sl > 1 && sw->sealed_keys[sl - 2] == '=');
	char *text = NULL;
	size_t tl;
	if (seal_unb64(sw->sealed_keys, blob, blen) < 0 ||
	    seal_open(kek, blob, blen, &text, &tl) < 0)
		return error_set(err, -EINVAL, "swarm could not be unlocked: invalid key");
	json_t *doc = json_loads(text, 0, NULL);
	free(text);
	const char *dek = json_string_value(json_object_get(doc, "dek"));
	const char *pem = json_string_value(json_object_get(doc, "key"));
	if (!pem || (dek && seal_unb64(dek, sw->dek, 32) < 0)) {
		json_decref(doc);
		return error_set(err, -EINVAL, "swarm state in %s is damaged", sw->dir);
	}
	sw->has_dek = dek != NULL;
	sw->key_pem = strdup(pem);
	json_decref(doc);
	memcpy(sw->kek, kek, 32);
	free(TAKE_PTR(sw->sealed_keys));
	int r = swarm_build_ctx(sw, err);
	if (r == 0)
		r = swarm_manager_start(sw, false, false, err);
	if (r < 0) {
		sw->state = SWARM_ERROR;
		snprintf(sw->error_msg, sizeof(sw->error_msg), "%s", error_msg(err));
		return r;
	}
	sw->state = SWARM_ACTIVE;
	swarm_tick_start(sw);
	log_info(sw->deps.log, "swarm: unlocked");
	return 0;
}

int swarm_unlock_key(struct swarm *sw, char **ret, struct error *err)
{
	int r = swarm_check_manager(sw, err);
	if (r < 0)
		return r;
	json_t *enc =
	    json_object_get(json_object_get(sw->store.cluster, "Spec"), "EncryptionConfig");
	const char *kek = json_string_value(json_object_get(sw->store.cluster, "_kek"));
	if (!json_is_true(json_object_get(enc, "AutoLockManagers")) || !kek) {
		*ret = strdup("");
	} else if (asprintf(ret, "SWMKEY-1-%s", kek) < 0) {
		*ret = NULL;
	}
	return *ret ? 0 : error_set(err, -ENOMEM, "out of memory");
}

/* Follows the cluster's autolock setting: seals or unseals this manager's
 * keys on disk when it changed (called on each tick). */
void swarm_follow_autolock(struct swarm *sw)
{
	if (!sw->manager || !sw->store.cluster)
		return;
	json_t *enc =
	    json_object_get(json_object_get(sw->store.cluster, "Spec"), "EncryptionConfig");
	const char *kek64 = json_string_value(json_object_get(sw->store.cluster, "_kek"));
	bool want = json_is_true(json_object_get(enc, "AutoLockManagers")) && kek64;
	uint8_t kek[32] = {0};
	if (want && seal_unb64(kek64, kek, 32) < 0)
		return;
	if (want == sw->autolock && (!want || memcmp(kek, sw->kek, 32) == 0))
		return;
	sw->autolock = want;
	memcpy(sw->kek, kek, 32);
	struct error err = ERROR_INIT;
	if (swarm_save(sw, &err) < 0) {
		log_error(sw->deps.log, "swarm: %s", error_msg(&err));
		error_clear(&err);
	} else {
		log_info(sw->deps.log, "swarm: autolock %s", want ? "on" : "off");
	}
}
