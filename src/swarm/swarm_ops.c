/* What the Engine API asks of the swarm (see swarm.h): init, join, leave,
 * cluster and node reads and writes, and the /info section. */
#include <errno.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/log.h"
#include "basic/timeutil.h"
#include "swarm/ca.h"
#include "swarm/swarm_networks.h"
#include "swarm/rpc.h"
#include "swarm/seal.h"
#include "swarm/services.h"
#include "swarm/swarm_int.h"
#include "swarm/token.h"

#define ALREADY_MSG                                                                                \
	"This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm "    \
	"and "                                                                                     \
	"join another one."

struct swarm_pending {
	struct swarm *sw;
	swarm_done_fn cb;
	void *data;
	uv_timer_t timer;
	json_t *cluster, *node;
	int64_t deadline;
	struct token_parts tok;
	char *token, *key_pem, *csr, *availability, *remote;
	X509 *peer;
	SSL_CTX *ctx;
	struct sraft *closing_raft;
	bool keep_on_error;
	int step;
	json_t *req;	/* join: the request in flight, sent again while no leader */
	unsigned tries; /* join: raft_join attempts, one manager after another */
};

static void pending_closed(uv_handle_t *h)
{
	struct swarm_pending *p = h->data;
	json_decref(p->cluster);
	json_decref(p->node);
	json_decref(p->req);
	free(p->token);
	free(p->key_pem);
	free(p->csr);
	free(p->availability);
	free(p->remote);
	X509_free(p->peer);
	SSL_CTX_free(p->ctx);
	free(p);
}

static void pending_finish(struct swarm_pending *p, int status, json_t *res, const char *msg)
{
	struct swarm *sw = p->sw;
	if (sw->pending == p)
		sw->pending = NULL;
	if (status < 0 && !p->closing_raft && !p->keep_on_error) {
		log_warn(sw->deps.log, "swarm: %s", msg ? msg : "failed");
		swarm_reset(sw);
	} else if (status < 0) {
		/* A swarm that existed before stays. */
		sw->state = SWARM_ACTIVE;
	} else {
		sw->state = SWARM_ACTIVE;
		swarm_tick_start(sw);
	}
	p->cb(p->data, status, res, msg);
	json_decref(res);
	uv_close((uv_handle_t *)&p->timer, pending_closed);
}

static struct swarm_pending *pending_new(struct swarm *sw, swarm_done_fn cb, void *data)
{
	struct swarm_pending *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->sw = sw;
	p->cb = cb;
	p->data = data;
	uv_timer_init(sw->deps.loop, &p->timer);
	p->timer.data = p;
	sw->pending = p;
	sw->state = SWARM_PENDING;
	return p;
}

/* ---- init ---- */

/* Copies the members of src that are set (non-zero, non-empty) over dst. */
static void merge_set(json_t *dst, json_t *src)
{
	const char *k;
	json_t *v;
	json_object_foreach(src, k, v)
	{
		if (json_is_object(v)) {
			json_t *d = json_object_get(dst, k);
			if (!json_is_object(d))
				json_object_set_new(dst, k, d = json_object());
			merge_set(d, v);
		} else if (!json_is_null(v) &&
			   !(json_is_integer(v) && json_integer_value(v) == 0) &&
			   !(json_is_string(v) && !*json_string_value(v))) {
			json_object_set(dst, k, v);
		}
	}
}

static json_t *default_spec(void)
{
	return json_pack("{s:s, s:{}, s:{s:i}, s:{s:i, s:i, s:i, s:i, s:i}, s:{s:I}, "
			 "s:{s:I}, s:{}, s:{s:b}}",
			 "Name", "default", "Labels", "Orchestration", "TaskHistoryRetentionLimit",
			 5, "Raft", "SnapshotInterval", 10000, "KeepOldSnapshots", 0,
			 "LogEntriesForSlowFollowers", 500, "ElectionTick", 10, "HeartbeatTick", 1,
			 "Dispatcher", "HeartbeatPeriod", (json_int_t)SWARM_DEFAULT_HB_MS * 1000000,
			 "CAConfig", "NodeCertExpiry",
			 (json_int_t)SWARM_DEFAULT_CERT_S * 1000000000, "TaskDefaults",
			 "EncryptionConfig", "AutoLockManagers", 0);
}

json_t *swarm_tls_info(const char *ca_pem)
{
	char *subj = NULL, *pk = NULL;
	ca_issuer_info(ca_pem, &subj, &pk);
	json_t *t = json_pack("{s:s, s:s, s:s}", "TrustRoot", ca_pem, "CertIssuerSubject",
			      subj ? subj : "", "CertIssuerPublicKey", pk ? pk : "");
	free(subj);
	free(pk);
	return t;
}

static void init_written(void *data, int status, json_t *res, const char *msg)
{
	struct swarm_pending *p = data;
	if (status < 0) {
		pending_finish(p, status, NULL, msg);
		return;
	}
	switch (p->step++) {
	case 0:
		swarm_write(p->sw, swarm_cmd("node", json_incref(p->node)), init_written, p);
		return;
	case 1:
		/* The routing mesh's network, as SwarmKit makes it at a fresh
		 * cluster: its subnet from the address pool. */
		swarm_write(p->sw, swarm_cmd("network", swarm_ingress_network()), init_written, p);
		return;
	}
	log_info(p->sw->deps.log, "swarm: initialized cluster %s", p->sw->cluster_id);
	pending_finish(p, 0, json_string(p->sw->node_id), NULL);
}

static void init_wait_leader(uv_timer_t *t)
{
	struct swarm_pending *p = t->data;
	struct swarm *sw = p->sw;
	swarm_tick(sw); /* drives the barrier */
	if (sw->raft && sraft_is_leader(sw->raft) && sw->leader_ready) {
		uv_timer_stop(t);
		if (p->cluster)
			swarm_write(sw, swarm_cmd("cluster", json_incref(p->cluster)), init_written,
				    p);
		else
			pending_finish(p, 0, json_string(sw->node_id), NULL);
		return;
	}
	if (swarm_now_ms() > p->deadline) {
		uv_timer_stop(t);
		pending_finish(p, -EIO, NULL, "raft did not elect this node as leader");
	}
}

static void state_active_for_tick(struct swarm *sw)
{
	sw->state = SWARM_ACTIVE;
}

static int init_identity(struct swarm *sw, const struct swarm_init_req *req, json_t **ret_cluster,
			 json_t **ret_node, struct error *err)
{
	char id[26], cid[26];
	swarm_new_id(id);
	swarm_new_id(cid);
	snprintf(sw->node_id, sizeof(sw->node_id), "%s", id);
	snprintf(sw->cluster_id, sizeof(sw->cluster_id), "%s", cid);
	sw->manager = true;
	sw->raft_id = swarm_new_raft_id();
	json_t *spec = default_spec();
	if (json_is_object(req->spec))
		merge_set(spec, req->spec);
	int64_t hb_ns = json_integer_value(
	    json_object_get(json_object_get(spec, "Dispatcher"), "HeartbeatPeriod"));
	int64_t cert_ns = json_integer_value(
	    json_object_get(json_object_get(spec, "CAConfig"), "NodeCertExpiry"));
	sw->hb_ms = hb_ns / 1000000 ?: SWARM_DEFAULT_HB_MS;
	sw->cert_expiry_s = cert_ns / 1000000000 ?: SWARM_DEFAULT_CERT_S;
	char *ca_key = NULL, *csr = NULL;
	int r = ca_create(SWARM_CA_EXPIRY_S, &sw->ca_pem, &ca_key, err);
	if (r == 0)
		r = ca_new_csr(&sw->key_pem, &csr, err);
	if (r == 0)
		r = ca_sign_csr(sw->ca_pem, ca_key, csr, id, SWARM_ROLE_MANAGER, cid,
				sw->cert_expiry_s, &sw->cert_pem, err);
	free(csr);
	if (r < 0) {
		free(ca_key);
		json_decref(spec);
		return r;
	}
	char wt[TOKEN_MAX], mt[TOKEN_MAX];
	token_generate(sw->ca_pem, wt);
	token_generate(sw->ca_pem, mt);
	RAND_bytes(sw->dek, sizeof(sw->dek));
	sw->has_dek = true;
	json_t *enc = json_object_get(spec, "EncryptionConfig");
	if (req->autolock)
		json_object_set_new(enc, "AutoLockManagers", json_true());
	char *kek64 = NULL;
	if (json_is_true(json_object_get(enc, "AutoLockManagers"))) {
		RAND_bytes(sw->kek, sizeof(sw->kek));
		sw->autolock = true;
		kek64 = seal_b64(sw->kek, sizeof(sw->kek));
	}
	*ret_cluster =
	    json_pack("{s:s, s:o, s:o, s:b, s:[s], s:i, s:i, s:{s:s, s:s}, s:s}", "ID", cid, "Spec",
		      spec, "TLSInfo", swarm_tls_info(sw->ca_pem), "RootRotationInProgress", 0,
		      "DefaultAddrPool", "10.0.0.0/8", "SubnetSize", 24, "DataPathPort", 4789,
		      "JoinTokens", "Worker", wt, "Manager", mt, "_ca_key", ca_key);
	if (kek64)
		json_object_set_new(*ret_cluster, "_kek", json_string(kek64));
	swarm_init_network_settings(req, *ret_cluster);
	free(kek64);
	free(ca_key);
	char ip[128];
	snprintf(ip, sizeof(ip), "%s", sw->advertise_addr);
	char *colon = strrchr(ip, ':');
	if (colon)
		*colon = '\0';
	*ret_node = json_pack(
	    "{s:s, s:I, s:{s:{}, s:s, s:s}, s:o, s:{s:s, s:s}, s:{s:s, s:s}}", "ID", id, "_raft_id",
	    (json_int_t)sw->raft_id, "Spec", "Labels", "Role", "manager", "Availability",
	    req->availability && *req->availability ? req->availability : "active", "Description",
	    swarm_node_description(sw), "Status", "State", "ready", "Addr", ip, "ManagerStatus",
	    "Reachability", "reachable", "Addr", sw->advertise_addr);
	if (sw->data_path_addr[0])
		json_object_set_new(*ret_node, "_data_path_addr", json_string(sw->data_path_addr));
	json_array_clear(sw->managers);
	json_array_append_new(sw->managers, json_string(sw->advertise_addr));
	return 0;
}

/* --force-new-cluster: once the running Raft is closed, rewrite its
 * configuration to this node alone and start again; the store is rebuilt
 * from the snapshot and the log. */
static void force_closed(void *data, int status, const char *msg)
{
	struct swarm_pending *p = data;
	struct swarm *sw = p->sw;
	free(p->closing_raft);
	p->closing_raft = NULL;
	struct error err = ERROR_INIT;
	store_done(&sw->store);
	store_init(&sw->store);
	int r = swarm_manager_start(sw, false, true, &err);
	if (r < 0) {
		sw->pending = NULL;
		sw->state = SWARM_ACTIVE;
		p->cb(p->data, r, NULL, error_msg(&err));
		error_clear(&err);
		uv_close((uv_handle_t *)&p->timer, pending_closed);
		return;
	}
	sw->state = SWARM_ACTIVE;
	log_info(sw->deps.log, "swarm: forced a new cluster of this manager alone");
	uv_timer_start(&p->timer, init_wait_leader, 20, 20);
}

static void init_force_new(struct swarm *sw, swarm_done_fn cb, void *data)
{
	struct swarm_pending *p = pending_new(sw, cb, data);
	if (!p) {
		cb(data, -ENOMEM, NULL, "out of memory");
		return;
	}
	p->deadline = swarm_now_ms() + 15000;
	p->keep_on_error = true;
	rpc_stop_listen(sw);
	sw->leader_ready = false;
	p->closing_raft = TAKE_PTR(sw->raft);
	if (p->closing_raft)
		sraft_close(p->closing_raft, force_closed, p);
	else
		force_closed(p, 0, NULL);
}

void swarm_init(struct swarm *sw, const struct swarm_init_req *req, swarm_done_fn cb, void *data)
{
	if (sw->state == SWARM_ACTIVE && sw->manager && req->force_new_cluster) {
		init_force_new(sw, cb, data);
		return;
	}
	if (sw->state != SWARM_INACTIVE) {
		cb(data, -EAGAIN, NULL, ALREADY_MSG);
		return;
	}
	struct error err = ERROR_INIT;
	json_t *cluster = NULL, *node = NULL;
	int r = swarm_init_network_check(req, &err);
	if (r == 0)
		r = swarm_resolve_addrs(sw, req->listen_addr, req->advertise_addr, true, &err);
	if (r == 0)
		r = swarm_check_data_path_addr(req->data_path_addr, sw->data_path_addr, &err);
	if (r == 0)
		r = init_identity(sw, req, &cluster, &node, &err);
	if (r == 0)
		r = swarm_save(sw, &err);
	if (r == 0)
		r = swarm_build_ctx(sw, &err);
	if (r == 0)
		r = swarm_manager_start(sw, true, false, &err);
	if (r < 0) {
		json_decref(cluster);
		json_decref(node);
		swarm_reset(sw);
		cb(data, r, NULL, error_msg(&err));
		error_clear(&err);
		return;
	}
	struct swarm_pending *p = pending_new(sw, cb, data);
	if (!p) {
		json_decref(cluster);
		json_decref(node);
		swarm_reset(sw);
		cb(data, -ENOMEM, NULL, "out of memory");
		return;
	}
	p->cluster = cluster;
	p->node = node;
	p->deadline = swarm_now_ms() + 15000;
	state_active_for_tick(sw); /* the RPC server serves from now on */
	uv_timer_start(&p->timer, init_wait_leader, 10, 20);
}

/* ---- join ---- */

#define JOIN_RETRY_MS 300
#define JOIN_DEADLINE_MS 20000

/* A join meets an election (the manager it asked has no leader, or is not
 * the leader for a Raft change): it asks again until its deadline, as
 * swarmkit's join does, instead of failing the user's command. */
static bool join_retry_later(struct swarm_pending *p, int status, uv_timer_cb resend)
{
	if (status != -EAGAIN || swarm_now_ms() + JOIN_RETRY_MS > p->deadline)
		return false;
	uv_timer_start(&p->timer, resend, JOIN_RETRY_MS, 0);
	return true;
}

static void join_raft_send(uv_timer_t *t);

static void join_raft_done(void *data, int status, json_t *resp, const char *msg)
{
	struct swarm_pending *p = data;
	if (join_retry_later(p, status, join_raft_send))
		return;
	if (status < 0) {
		pending_finish(p, status, NULL, msg);
		return;
	}
	log_info(p->sw->deps.log, "swarm: joined cluster %s as manager", p->sw->cluster_id);
	pending_finish(p, 0, NULL, NULL);
}

/* Only the leader adds a voter: each attempt asks the next manager. */
static void join_raft_send(uv_timer_t *t)
{
	struct swarm_pending *p = t->data;
	struct swarm *sw = p->sw;
	size_t n = json_array_size(sw->managers);
	const char *to = p->tries == 0 || n == 0
			     ? p->remote
			     : json_string_value(json_array_get(sw->managers, p->tries % n));
	p->tries++;
	rpc_call(sw->deps.loop, sw->client_ctx, to ? to : p->remote, json_incref(p->req),
		 SWARM_RPC_TIMEOUT_MS * 6, join_raft_done, p);
}

static void join_send(uv_timer_t *t);

static void join_answered(void *data, int status, json_t *resp, const char *msg)
{
	struct swarm_pending *p = data;
	struct swarm *sw = p->sw;
	if (join_retry_later(p, status, join_send))
		return;
	if (status < 0) {
		pending_finish(p, status == -EHOSTUNREACH ? -EAGAIN : status, NULL, msg);
		return;
	}
	const char *nid = json_string_value(json_object_get(resp, "node_id"));
	const char *cid = json_string_value(json_object_get(resp, "cluster_id"));
	const char *cert = json_string_value(json_object_get(resp, "cert"));
	const char *role = json_string_value(json_object_get(resp, "role"));
	const char *addr = json_string_value(json_object_get(resp, "addr"));
	if (!nid || !cid || !cert || !role) {
		pending_finish(p, -EPROTO, NULL, "bad answer from the manager");
		return;
	}
	snprintf(sw->node_id, sizeof(sw->node_id), "%s", nid);
	snprintf(sw->cluster_id, sizeof(sw->cluster_id), "%s", cid);
	sw->cert_pem = strdup(cert);
	sw->key_pem = TAKE_PTR(p->key_pem);
	sw->manager = strcmp(role, "manager") == 0;
	sw->raft_id = (uint64_t)json_integer_value(json_object_get(resp, "raft_id"));
	if (!sw->advertise_addr[0] && addr)
		snprintf(sw->advertise_addr, sizeof(sw->advertise_addr), "%s", addr);
	json_decref(sw->managers);
	sw->managers = json_deep_copy(json_object_get(resp, "managers"));
	if (!json_is_array(sw->managers))
		sw->managers = json_array();
	if (json_array_size(sw->managers) == 0)
		json_array_append_new(sw->managers, json_string(p->remote));
	sw->hb_ms = json_integer_value(json_object_get(resp, "hb_ms")) ?: SWARM_DEFAULT_HB_MS;
	sw->cert_expiry_s =
	    json_integer_value(json_object_get(resp, "cert_expiry_s")) ?: SWARM_DEFAULT_CERT_S;
	const char *dek = json_string_value(json_object_get(resp, "dek"));
	if (dek && seal_unb64(dek, sw->dek, 32) == 0)
		sw->has_dek = true;
	struct error err = ERROR_INIT;
	int r = swarm_save(sw, &err);
	if (r == 0)
		r = swarm_build_ctx(sw, &err);
	if (r == 0 && sw->manager)
		r = swarm_manager_start(sw, false, false, &err);
	if (r < 0) {
		pending_finish(p, r, NULL, error_msg(&err));
		error_clear(&err);
		return;
	}
	if (!sw->manager) {
		log_info(sw->deps.log, "swarm: joined cluster %s as worker", sw->cluster_id);
		pending_finish(p, 0, NULL, NULL);
		return;
	}
	sw->state = SWARM_ACTIVE; /* the RPC server must answer raft now */
	json_decref(p->req);
	p->req = json_pack("{s:s, s:I, s:s}", "op", "raft_join", "raft_id", (json_int_t)sw->raft_id,
			   "addr", sw->advertise_addr);
	join_raft_send(&p->timer);
}

static void join_send(uv_timer_t *t)
{
	struct swarm_pending *p = t->data;
	rpc_call(p->sw->deps.loop, p->ctx, p->remote, json_incref(p->req), SWARM_RPC_TIMEOUT_MS * 2,
		 join_answered, p);
}

static void join_ca_answered(void *data, int status, json_t *resp, const char *msg)
{
	struct swarm_pending *p = data;
	struct swarm *sw = p->sw;
	const char *ca = json_string_value(json_object_get(resp, "ca"));
	if (status < 0 || !ca) {
		pending_finish(p, status < 0 ? status : -EPROTO, NULL,
			       msg ? msg : "bad answer from the manager");
		return;
	}
	if (!token_matches_ca(&p->tok, ca)) {
		char m[160];
		snprintf(m, sizeof(m), "remote CA does not match fingerprint. Expected: %s",
			 p->tok.digest);
		pending_finish(p, -EACCES, NULL, m);
		return;
	}
	struct error err = ERROR_INIT;
	if (!p->peer || ca_verify_x509(ca, p->peer, &err) < 0) {
		error_clear(&err);
		pending_finish(p, -EACCES, NULL,
			       "the manager's certificate is not signed by the swarm's CA");
		return;
	}
	sw->ca_pem = strdup(ca);
	p->ctx = mtls_ctx_new(false, ca, NULL, NULL, &err);
	if (!p->ctx || ca_new_csr(&p->key_pem, &p->csr, &err) < 0) {
		pending_finish(p, -EIO, NULL, error_msg(&err));
		error_clear(&err);
		return;
	}
	char ip[128] = "";
	const char *adv = sw->advertise_addr;
	int port = 2377;
	const char *c = strrchr(sw->listen_addr, ':');
	if (c)
		port = atoi(c + 1);
	if (*adv) {
		snprintf(ip, sizeof(ip), "%s", adv);
		char *colon = strrchr(ip, ':');
		if (colon) {
			port = atoi(colon + 1);
			*colon = '\0';
		}
	}
	p->req =
	    json_pack("{s:s, s:s, s:s, s:o, s:s, s:i, s:s, s:s}", "op", "join", "token", p->token,
		      "csr", p->csr, "description", swarm_node_description(sw), "addr", ip, "port",
		      port, "availability", p->availability ? p->availability : "active",
		      "data_addr", sw->data_path_addr);
	join_send(&p->timer);
}

void swarm_join(struct swarm *sw, const struct swarm_join_req *req, swarm_done_fn cb, void *data)
{
	if (sw->state != SWARM_INACTIVE) {
		cb(data, -EAGAIN, NULL, ALREADY_MSG);
		return;
	}
	struct error err = ERROR_INIT;
	struct token_parts tok;
	if (token_parse(req->token, &tok, &err) < 0 ||
	    swarm_resolve_addrs(sw, req->listen_addr, req->advertise_addr, false, &err) < 0 ||
	    swarm_check_data_path_addr(req->data_path_addr, sw->data_path_addr, &err) < 0) {
		int r = err.code;
		cb(data, r, NULL, error_msg(&err));
		error_clear(&err);
		return;
	}
	if (!req->remote || !*req->remote) {
		cb(data, -EINVAL, NULL, "invalid join request: no remote address");
		return;
	}
	SSL_CTX *probe = mtls_ctx_new(false, NULL, NULL, NULL, &err);
	if (!probe) {
		cb(data, -ENOMEM, NULL, error_msg(&err));
		error_clear(&err);
		return;
	}
	struct swarm_pending *p = pending_new(sw, cb, data);
	if (!p) {
		SSL_CTX_free(probe);
		cb(data, -ENOMEM, NULL, "out of memory");
		return;
	}
	p->tok = tok;
	p->token = strdup(req->token);
	p->availability = req->availability ? strdup(req->availability) : NULL;
	char remote[160];
	snprintf(remote, sizeof(remote), strchr(req->remote, ':') ? "%s" : "%s:2377", req->remote);
	p->remote = strdup(remote);
	p->deadline = swarm_now_ms() + JOIN_DEADLINE_MS;
	rpc_call_peer(sw->deps.loop, probe, p->remote, json_pack("{s:s}", "op", "ca"),
		      SWARM_RPC_TIMEOUT_MS, join_ca_answered, p, &p->peer);
	SSL_CTX_free(probe); /* connections keep their own reference */
}

/* ---- leave ---- */

struct leave_ctx {
	struct swarm *sw;
	swarm_done_fn cb;
	void *data;
};

static void leave_finish(void *data, int status, json_t *resp, const char *msg)
{
	struct leave_ctx *l = data;
	log_info(l->sw->deps.log, "swarm: left the swarm");
	swarm_agent_remove_tasks(l->sw);
	swarm_reset(l->sw);
	l->cb(l->data, 0, NULL, NULL);
	free(l);
}

static void leave_transferred(void *data, int status, const char *msg)
{
	struct leave_ctx *l = data;
	struct swarm *sw = l->sw;
	const char *leader = swarm_leader_addr(sw);
	if (!leader || (sw->raft && sraft_is_leader(sw->raft))) {
		leave_finish(l, 0, NULL, NULL);
		return;
	}
	rpc_call(sw->deps.loop, sw->client_ctx, leader, json_pack("{s:s}", "op", "raft_leave"),
		 SWARM_RPC_TIMEOUT_MS, leave_finish, l);
}

void swarm_leave(struct swarm *sw, bool force, swarm_done_fn cb, void *data)
{
	if (sw->state == SWARM_INACTIVE) {
		cb(data, -EAGAIN, NULL, "This node is not part of a swarm");
		return;
	}
	if (sw->manager && !force && sw->state == SWARM_ACTIVE) {
		char msg[1024];
		unsigned voters = sw->raft ? sraft_voters(sw->raft) : 1;
		if (voters <= 1)
			snprintf(
			    msg, sizeof(msg),
			    "You are attempting to leave the swarm on a node that is "
			    "participating as a manager. Removing the last manager erases all "
			    "current state of the swarm. Use `--force` to ignore this message. ");
		else
			snprintf(
			    msg, sizeof(msg),
			    "You are attempting to leave the swarm on a node that is "
			    "participating as a manager. Removing this node leaves %u managers "
			    "out of %u. Without a Raft quorum your swarm will be inaccessible. "
			    "The only way to restore a swarm that has lost consensus is to "
			    "reinitialize it with `--force-new-cluster`. Use `--force` to "
			    "suppress this message.",
			    voters - 1, voters);
		cb(data, -EAGAIN, NULL, msg);
		return;
	}
	struct leave_ctx *l = calloc(1, sizeof(*l));
	l->sw = sw;
	l->cb = cb;
	l->data = data;
	if (!sw->manager || !sw->raft || sraft_voters(sw->raft) <= 1) {
		leave_finish(l, 0, NULL, NULL);
		return;
	}
	if (sraft_is_leader(sw->raft) && sraft_transfer(sw->raft, leave_transferred, l) == 0)
		return;
	leave_transferred(l, 0, NULL);
}

/* ---- reads ---- */

int swarm_check_manager(struct swarm *sw, struct error *err)
{
	if (sw->state == SWARM_LOCKED)
		return error_set(err, -EAGAIN, SWARM_LOCKED_MSG);
	if (sw->state == SWARM_INACTIVE || sw->state == SWARM_PENDING)
		return error_set(err, -EAGAIN, SWARM_INACTIVE_MSG);
	if (!sw->manager)
		return error_set(err, -EAGAIN, SWARM_NOT_MANAGER_MSG);
	/* Demoted: the store says so before the agent has left Raft, and the
	 * cluster may have no leader for this node any more. */
	json_t *me = json_object_get(sw->store.nodes, sw->node_id);
	const char *role = json_string_value(json_object_get(json_object_get(me, "Spec"), "Role"));
	if (role && strcmp(role, "worker") == 0)
		return error_set(err, -EAGAIN, SWARM_NOT_MANAGER_MSG);
	if (!sw->raft || !swarm_leader_addr(sw) || !sw->store.cluster)
		return error_set(err, -EAGAIN, SWARM_NO_LEADER_MSG);
	return 0;
}

int swarm_inspect(struct swarm *sw, json_t **ret, struct error *err)
{
	int r = swarm_check_manager(sw, err);
	if (r < 0)
		return r;
	*ret = store_public(sw->store.cluster);
	return 0;
}

json_t *swarm_node_view(struct swarm *sw, json_t *node)
{
	json_t *v = store_public(node);
	uint64_t rid = (uint64_t)json_integer_value(json_object_get(node, "_raft_id"));
	json_t *ms = json_object_get(v, "ManagerStatus");
	if (ms)
		json_object_set_new(
		    ms, "Leader",
		    json_boolean(rid && sw->raft && sraft_leader(sw->raft, NULL) == rid));
	json_t *desc = json_object_get(v, "Description");
	if (desc && sw->ca_pem && !json_object_get(desc, "TLSInfo"))
		json_object_set_new(desc, "TLSInfo", swarm_tls_info(sw->ca_pem));
	return v;
}

int swarm_nodes(struct swarm *sw, json_t **ret, struct error *err)
{
	int r = swarm_check_manager(sw, err);
	if (r < 0)
		return r;
	json_t *out = json_array();
	const char *id;
	json_t *n;
	json_object_foreach(sw->store.nodes, id, n)
	    json_array_append_new(out, swarm_node_view(sw, n));
	*ret = out;
	return 0;
}

int swarm_node(struct swarm *sw, const char *ref, json_t **ret, struct error *err)
{
	int r = swarm_check_manager(sw, err);
	json_t *n;
	if (r == 0)
		r = store_find_node(&sw->store, ref, &n, err);
	if (r == 0)
		*ret = swarm_node_view(sw, n);
	return r;
}

/* ---- writes ---- */

static bool version_ok(json_t *obj, int64_t version)
{
	return version < 0 || json_integer_value(json_object_get(json_object_get(obj, "Version"),
								 "Index")) == version;
}

/* docker swarm ca --rotate: a bigger CAConfig.ForceRotate, or a signing CA
 * given in SigningCACert/SigningCAKey. The new root signs from now on; the
 * nodes trust old and new until every node has a certificate of the new
 * one (manager.c finishes the rotation). Join tokens name the new root. */
static int rotate_ca_if_asked(struct swarm *sw, json_t *c, json_t *spec, struct error *err)
{
	json_t *old_ca = json_object_get(json_object_get(sw->store.cluster, "Spec"), "CAConfig");
	json_t *new_ca = json_object_get(spec, "CAConfig");
	const char *given_cert = json_string_value(json_object_get(new_ca, "SigningCACert"));
	const char *given_key = json_string_value(json_object_get(new_ca, "SigningCAKey"));
	bool given = given_cert && *given_cert;
	json_int_t old_force = json_integer_value(json_object_get(old_ca, "ForceRotate"));
	json_int_t new_force = json_integer_value(json_object_get(new_ca, "ForceRotate"));
	json_t *cca = json_object_get(json_object_get(c, "Spec"), "CAConfig");
	if (cca) {
		/* Keys never stay in the spec. */
		json_object_del(cca, "SigningCACert");
		json_object_del(cca, "SigningCAKey");
	}
	if (!given && new_force <= old_force)
		return 0;
	char *cert = NULL, *key = NULL;
	if (given) {
		if (!given_key || !*given_key)
			return error_set(
			    err, -EINVAL,
			    "rpc error: code = InvalidArgument desc = the signing CA key "
			    "is required (no external CA)");
		if (ca_key_matches(given_cert, given_key, err) < 0)
			return err->code;
		cert = strdup(given_cert);
		key = strdup(given_key);
	} else if (ca_create(SWARM_CA_EXPIRY_S, &cert, &key, err) < 0) {
		return err->code;
	}
	const char *old_root =
	    json_string_value(json_object_get(json_object_get(c, "TLSInfo"), "TrustRoot"));
	char *bundle = NULL;
	if (asprintf(&bundle, "%s%s", old_root ? old_root : "", cert) < 0)
		bundle = NULL;
	json_object_set_new(c, "TLSInfo", swarm_tls_info(cert));
	json_object_set_new(c, "_ca_key", json_string(key));
	json_object_set_new(c, "_ca_trust", json_string(bundle ? bundle : cert));
	json_object_set_new(c, "_rot_ns", json_integer(time_now_ns()));
	json_object_set_new(c, "RootRotationInProgress", json_true());
	char t[TOKEN_MAX];
	json_t *tokens = json_object_get(c, "JoinTokens");
	token_generate(cert, t);
	json_object_set_new(tokens, "Worker", json_string(t));
	token_generate(cert, t);
	json_object_set_new(tokens, "Manager", json_string(t));
	log_info(sw->deps.log, "swarm: root CA rotation started");
	free(bundle);
	free(cert);
	free(key);
	return 0;
}

void swarm_update(struct swarm *sw, int64_t version, json_t *spec, bool rotate_worker,
		  bool rotate_manager, bool rotate_unlock, swarm_done_fn cb, void *data)
{
	struct error err = ERROR_INIT;
	if (swarm_check_manager(sw, &err) < 0) {
		cb(data, err.code, NULL, error_msg(&err));
		error_clear(&err);
		return;
	}
	if (!version_ok(sw->store.cluster, version)) {
		cb(data, -EINVAL, NULL, "rpc error: code = Unknown desc = update out of sequence");
		return;
	}
	json_t *c = json_deep_copy(sw->store.cluster);
	if (json_is_object(spec)) {
		json_t *s = json_deep_copy(spec);
		json_object_set_new(c, "Spec", s);
		json_t *def = default_spec();
		/* Unset members keep the defaults, as swarmkit's validation does. */
		json_t *merged = def;
		merge_set(merged, s);
		json_object_set_new(c, "Spec", merged);
	}
	if (rotate_ca_if_asked(sw, c, spec, &err) < 0) {
		json_decref(c);
		cb(data, err.code, NULL, error_msg(&err));
		error_clear(&err);
		return;
	}
	json_t *tokens = json_object_get(c, "JoinTokens");
	char t[TOKEN_MAX];
	const char *root =
	    json_string_value(json_object_get(json_object_get(c, "TLSInfo"), "TrustRoot"));
	if (!root)
		root = sw->ca_pem;
	if (rotate_worker) {
		token_generate(root, t);
		json_object_set_new(tokens, "Worker", json_string(t));
	}
	if (rotate_manager) {
		token_generate(root, t);
		json_object_set_new(tokens, "Manager", json_string(t));
	}
	bool lock = json_is_true(json_object_get(
	    json_object_get(json_object_get(c, "Spec"), "EncryptionConfig"), "AutoLockManagers"));
	if (lock && (rotate_unlock || !json_object_get(c, "_kek"))) {
		uint8_t kek[32];
		RAND_bytes(kek, sizeof(kek));
		char *b64 = seal_b64(kek, sizeof(kek));
		json_object_set_new(c, "_kek", json_string(b64 ? b64 : ""));
		free(b64);
	}
	swarm_write(sw, swarm_cmd("cluster", c), cb, data);
}

static int count_managers(struct swarm *sw)
{
	int n = 0;
	const char *id;
	json_t *v;
	json_object_foreach(sw->store.nodes, id, v)
	{
		const char *role =
		    json_string_value(json_object_get(json_object_get(v, "Spec"), "Role"));
		n += role && strcmp(role, "manager") == 0;
	}
	return n;
}

void swarm_node_rm(struct swarm *sw, const char *ref, bool force, swarm_done_fn cb, void *data)
{
	struct error err = ERROR_INIT;
	json_t *n;
	if (swarm_check_manager(sw, &err) < 0 || store_find_node(&sw->store, ref, &n, &err) < 0) {
		cb(data, err.code, NULL, error_msg(&err));
		error_clear(&err);
		return;
	}
	const char *id = json_string_value(json_object_get(n, "ID"));
	const char *role = json_string_value(json_object_get(json_object_get(n, "Spec"), "Role"));
	const char *state =
	    json_string_value(json_object_get(json_object_get(n, "Status"), "State"));
	char msg[512];
	if ((role && strcmp(role, "manager") == 0) || json_object_get(n, "ManagerStatus")) {
		snprintf(msg, sizeof(msg),
			 "rpc error: code = FailedPrecondition desc = node %s is a cluster manager "
			 "and is a member of the raft cluster. It must be demoted to worker before "
			 "removal",
			 id);
		cb(data, -EBUSY, NULL, msg);
		return;
	}
	if (!force && state && strcmp(state, "down") != 0) {
		snprintf(
		    msg, sizeof(msg),
		    "rpc error: code = FailedPrecondition desc = node %s is not down and can't "
		    "be removed",
		    id);
		cb(data, -EBUSY, NULL, msg);
		return;
	}
	swarm_write(sw,
		    json_pack("{s:s, s:s, s:I}", "op", "rm_node", "id", id, "ts",
			      (json_int_t)time_now_ns()),
		    cb, data);
}

void swarm_node_update(struct swarm *sw, const char *ref, int64_t version, json_t *spec,
		       swarm_done_fn cb, void *data)
{
	struct error err = ERROR_INIT;
	json_t *n;
	if (swarm_check_manager(sw, &err) < 0 || store_find_node(&sw->store, ref, &n, &err) < 0) {
		cb(data, err.code, NULL, error_msg(&err));
		error_clear(&err);
		return;
	}
	if (!version_ok(n, version)) {
		cb(data, -EINVAL, NULL, "rpc error: code = Unknown desc = update out of sequence");
		return;
	}
	const char *role = json_string_value(json_object_get(spec, "Role"));
	const char *avail = json_string_value(json_object_get(spec, "Availability"));
	if (!role || (strcmp(role, "manager") != 0 && strcmp(role, "worker") != 0) ||
	    (avail && strcmp(avail, "active") != 0 && strcmp(avail, "pause") != 0 &&
	     strcmp(avail, "drain") != 0)) {
		cb(data, -EINVAL, NULL,
		   "rpc error: code = InvalidArgument desc = invalid role or availability");
		return;
	}
	const char *old = json_string_value(json_object_get(json_object_get(n, "Spec"), "Role"));
	if (old && strcmp(old, "manager") == 0 && strcmp(role, "worker") == 0 &&
	    count_managers(sw) <= 1) {
		cb(data, -EBUSY, NULL,
		   "rpc error: code = FailedPrecondition desc = attempting to demote the last "
		   "manager of the swarm");
		return;
	}
	json_t *copy = json_deep_copy(n);
	json_t *s = json_deep_copy(spec);
	if (!json_object_get(s, "Labels") || json_is_null(json_object_get(s, "Labels")))
		json_object_set_new(s, "Labels", json_object());
	if (!avail)
		json_object_set_new(s, "Availability", json_string("active"));
	json_object_set_new(copy, "Spec", s);
	swarm_write(sw, swarm_cmd("node", copy), cb, data);
}

/* ---- info ---- */

const char *swarm_ping_state(struct swarm *sw)
{
	if (!sw || sw->state == SWARM_INACTIVE)
		return "inactive";
	if (sw->state == SWARM_PENDING)
		return "pending";
	if (sw->state == SWARM_ERROR)
		return "error";
	if (sw->state == SWARM_LOCKED)
		return "locked";
	return sw->manager ? "active/manager" : "active/worker";
}

json_t *swarm_info(struct swarm *sw)
{
	static const char *names[] = {"inactive", "pending", "active", "error", "locked"};
	char ip[128] = "";
	if (sw) {
		snprintf(ip, sizeof(ip), "%s", sw->advertise_addr);
		char *colon = strrchr(ip, ':');
		if (colon)
			*colon = '\0';
	}
	json_t *info = json_pack("{s:s, s:s, s:s, s:b, s:s}", "NodeID", sw ? sw->node_id : "",
				 "NodeAddr", ip, "LocalNodeState", names[sw ? sw->state : 0],
				 "ControlAvailable", sw && sw->manager && sw->state == SWARM_ACTIVE,
				 "Error", sw ? sw->error_msg : "");
	json_t *remotes = json_array();
	if (!sw || sw->state == SWARM_INACTIVE || sw->state == SWARM_LOCKED) {
		json_object_set_new(info, "RemoteManagers", json_null());
		json_decref(remotes);
		return info;
	}
	int nodes = 0, managers = 0;
	if (sw->manager && sw->store.cluster) {
		const char *id;
		json_t *n;
		json_object_foreach(sw->store.nodes, id, n)
		{
			nodes++;
			const char *a = json_string_value(
			    json_object_get(json_object_get(n, "ManagerStatus"), "Addr"));
			if (a) {
				managers++;
				json_array_append_new(
				    remotes, json_pack("{s:s, s:s}", "NodeID", id, "Addr", a));
			}
		}
		json_t *c = store_public(sw->store.cluster);
		json_object_del(c, "JoinTokens");
		json_object_set_new(info, "Cluster", c);
		json_object_set_new(info, "Nodes", json_integer(nodes));
		json_object_set_new(info, "Managers", json_integer(managers));
	} else {
		size_t i;
		json_t *a;
		json_array_foreach(sw->managers, i, a) json_array_append_new(
		    remotes, json_pack("{s:s, s:O}", "NodeID", "", "Addr", a));
	}
	json_object_set_new(info, "RemoteManagers", remotes);
	return info;
}
