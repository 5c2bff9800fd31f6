/* The manager's side: RPC handlers (CA, join, raft streams, heartbeats,
 * forwarded writes, membership changes), forwarding to the leader, and the
 * leader's duties on each tick (barrier after election, Down detection,
 * raft membership following the nodes' roles). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/log.h"
#include "basic/timeutil.h"
#include "orchestrator/membership.h"
#include "swarm/ca.h"
#include "swarm/rpc.h"
#include "swarm/seal.h"
#include "swarm/services.h"
#include "swarm/swarm_int.h"
#include "swarm/task_logs.h"
#include "swarm/task_networks.h"
#include "swarm/token.h"

json_t *swarm_cmd(const char *op, json_t *v)
{
	return json_pack("{s:s, s:o, s:I}", "op", op, "v", v, "ts", (json_int_t)time_now_ns());
}

const char *swarm_leader_addr(struct swarm *sw)
{
	const char *addr = NULL;
	if (!sw->raft || sraft_leader(sw->raft, &addr) == 0)
		return NULL;
	return addr;
}

const char *swarm_dispatcher_addr(struct swarm *sw)
{
	const char *to = sw->raft ? swarm_leader_addr(sw) : NULL;
	size_t n = json_array_size(sw->managers);
	if (!to && sw->leader_hint[0])
		to = sw->leader_hint;
	if (!to && n)
		to = json_string_value(json_array_get(sw->managers, sw->mgr_cursor % n));
	return to;
}

void swarm_dispatcher_failed(struct swarm *sw)
{
	size_t n = json_array_size(sw->managers);
	const char *next =
	    n ? json_string_value(json_array_get(sw->managers, sw->mgr_cursor % n)) : NULL;
	/* Not the same manager again by another name. */
	if (!sw->leader_hint[0] || (next && strcmp(next, sw->leader_hint) == 0))
		sw->mgr_cursor++;
	sw->leader_hint[0] = '\0';
}

/* ---- writes ---- */

struct wctx {
	swarm_done_fn cb;
	void *data;
};

static void write_done(void *data, int status, const char *msg)
{
	struct wctx *w = data;
	w->cb(w->data, status, NULL, status == -EAGAIN ? SWARM_NO_LEADER_MSG : msg);
	free(w);
}

static void fwd_done(void *data, int status, json_t *resp, const char *msg)
{
	struct wctx *w = data;
	if (status == -EHOSTUNREACH || status == -ETIMEDOUT)
		status = -EAGAIN, msg = SWARM_NO_LEADER_MSG;
	w->cb(w->data, status, resp, msg);
	free(w);
}

void swarm_write(struct swarm *sw, json_t *cmd, swarm_done_fn cb, void *data)
{
	struct wctx *w = calloc(1, sizeof(*w));
	if (!w) {
		json_decref(cmd);
		cb(data, -ENOMEM, NULL, "out of memory");
		return;
	}
	w->cb = cb;
	w->data = data;
	if (sw->raft && sraft_is_leader(sw->raft) && sw->leader_ready) {
		int r = sraft_apply(sw->raft, cmd, write_done, w);
		if (r < 0)
			write_done(w, r, "could not propose the change");
		return;
	}
	const char *leader = swarm_leader_addr(sw);
	if (!leader || !sw->raft || sraft_is_leader(sw->raft)) {
		json_decref(cmd);
		write_done(w, -EAGAIN, NULL);
		return;
	}
	rpc_call(sw->deps.loop, sw->client_ctx, leader,
		 json_pack("{s:s, s:o}", "op", "apply", "cmd", cmd), SWARM_RPC_TIMEOUT_MS, fwd_done,
		 w);
}

/* ---- RPC: helpers ---- */

struct pend {
	struct swarm *sw;
	struct mtls_conn *c;
	json_t *req;
	json_t *extra;
	char node_id[65];
	uint64_t raft_id;
};

static struct pend *pend_new(struct swarm *sw, struct mtls_conn *c, json_t *req)
{
	struct pend *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->sw = sw;
	p->c = c;
	p->req = json_incref(req);
	mtls_ref(c);
	return p;
}

static void pend_reply(struct pend *p, int status, json_t *result, const char *msg)
{
	rpc_reply(p->c, status, result, msg);
	mtls_unref(p->c);
	json_decref(p->req);
	json_decref(p->extra);
	free(p);
}

static void relay_done(void *data, int status, json_t *resp, const char *msg)
{
	struct pend *p = data;
	if (status == -EHOSTUNREACH || status == -ETIMEDOUT)
		status = -EAGAIN, msg = SWARM_NO_LEADER_MSG;
	json_t *out = resp ? json_deep_copy(resp) : NULL;
	if (out) {
		json_object_del(out, "ok");
		json_object_del(out, "code");
		json_object_del(out, "msg");
	}
	pend_reply(p, status, out, msg);
}

/* Leader-only requests reach the leader through any manager; the identity
 * of the original caller travels along as "_as". */
static bool forward_if_follower(struct swarm *sw, struct mtls_conn *c, json_t *req,
				const struct cert_identity *peer)
{
	if (sw->raft && sraft_is_leader(sw->raft)) {
		if (sw->leader_ready)
			return false;
		rpc_reply(c, -EAGAIN, NULL, SWARM_NO_LEADER_MSG);
		return true;
	}
	const char *leader = swarm_leader_addr(sw);
	if (!leader || json_object_get(req, "_fwd")) {
		rpc_reply(c, -EAGAIN, NULL, SWARM_NO_LEADER_MSG);
		return true;
	}
	struct pend *p = pend_new(sw, c, req);
	if (!p) {
		rpc_reply(c, -ENOMEM, NULL, "out of memory");
		return true;
	}
	json_t *copy = json_deep_copy(req);
	json_object_set_new(copy, "_fwd", json_true());
	if (peer && !json_object_get(req, "_as"))
		json_object_set_new(
		    copy, "_as", json_pack("{s:s, s:s}", "id", peer->node_id, "role", peer->role));
	rpc_call(sw->deps.loop, sw->client_ctx, leader, copy, SWARM_RPC_TIMEOUT_MS, relay_done, p);
	return true;
}

/* The caller's identity: its certificate, or what a manager forwarded. */
static bool caller(json_t *req, const struct cert_identity *peer, struct cert_identity *out)
{
	if (!peer)
		return false;
	*out = *peer;
	json_t *as = json_object_get(req, "_as");
	if (as && strcmp(peer->role, SWARM_ROLE_MANAGER) == 0) {
		snprintf(out->node_id, sizeof(out->node_id), "%s",
			 json_string_value(json_object_get(as, "id")) ?: "");
		snprintf(out->role, sizeof(out->role), "%s",
			 json_string_value(json_object_get(as, "role")) ?: "");
	}
	return true;
}

static json_t *managers_of(struct swarm *sw)
{
	json_t *out = json_array();
	const char *id;
	json_t *n;
	json_object_foreach(sw->store.nodes, id, n)
	{
		const char *a =
		    json_string_value(json_object_get(json_object_get(n, "ManagerStatus"), "Addr"));
		if (a)
			json_array_append_new(out, json_string(a));
	}
	return out;
}

static int64_t cluster_hb_ms(struct swarm *sw)
{
	json_t *hp = json_object_get(
	    json_object_get(json_object_get(sw->store.cluster, "Spec"), "Dispatcher"),
	    "HeartbeatPeriod");
	int64_t ns = json_integer_value(hp);
	return ns > 0 ? ns / 1000000 : SWARM_DEFAULT_HB_MS;
}

static int64_t cluster_cert_s(struct swarm *sw)
{
	json_t *e =
	    json_object_get(json_object_get(json_object_get(sw->store.cluster, "Spec"), "CAConfig"),
			    "NodeCertExpiry");
	int64_t ns = json_integer_value(e);
	return ns > 0 ? ns / 1000000000 : SWARM_DEFAULT_CERT_S;
}

/* The root that signs now (the new one during a rotation). */
static const char *signer(struct swarm *sw)
{
	const char *r = json_string_value(
	    json_object_get(json_object_get(sw->store.cluster, "TLSInfo"), "TrustRoot"));
	return r ? r : sw->ca_pem;
}

/* What nodes must trust: old and new roots during a rotation. */
static const char *trust_bundle(struct swarm *sw)
{
	const char *b = json_string_value(json_object_get(sw->store.cluster, "_ca_trust"));
	return b ? b : signer(sw);
}

/* What this node reports about its own TLS: the roots it trusts and who
 * issued its certificate. */
void swarm_issuer_forget(struct swarm *sw)
{
	free(sw->issuer.ca);
	free(sw->issuer.cert);
	free(sw->issuer.subject);
	free(sw->issuer.pubkey);
	memset(&sw->issuer, 0, sizeof(sw->issuer));
}

/* The issuer's subject and public key ("" when unknown), parsed again only
 * when the certificates changed. */
static void my_issuer(struct swarm *sw, const char **subject, const char **pubkey)
{
	bool same = sw->issuer.ca && sw->issuer.cert && sw->ca_pem && sw->cert_pem &&
		    !strcmp(sw->issuer.ca, sw->ca_pem) && !strcmp(sw->issuer.cert, sw->cert_pem);
	if (!same) {
		swarm_issuer_forget(sw);
		if (sw->ca_pem && sw->cert_pem) {
			ca_cert_issuer_info(sw->ca_pem, sw->cert_pem, &sw->issuer.subject,
					    &sw->issuer.pubkey);
			sw->issuer.ca = strdup(sw->ca_pem);
			sw->issuer.cert = strdup(sw->cert_pem);
		}
	}
	*subject = sw->issuer.subject ? sw->issuer.subject : "";
	*pubkey = sw->issuer.pubkey ? sw->issuer.pubkey : "";
}

static json_t *my_tls(struct swarm *sw)
{
	const char *subj, *pk;
	if (!sw->ca_pem || !sw->cert_pem)
		return json_null();
	my_issuer(sw, &subj, &pk);
	return json_pack("{s:s, s:s, s:s}", "TrustRoot", sw->ca_pem, "CertIssuerSubject", subj,
			 "CertIssuerPublicKey", pk);
}

/* What this node says of itself on each heartbeat: a restart with other
 * labels or resources shows in its record. */
static json_t *my_description(struct swarm *sw)
{
	json_t *desc = swarm_node_description(sw);
	if (desc)
		json_object_set_new(desc, "TLSInfo", my_tls(sw));
	return desc;
}

/* ---- RPC: join ---- */

static void join_written(void *data, int status, json_t *res, const char *msg)
{
	struct pend *p = data;
	if (status < 0) {
		pend_reply(p, status, NULL, msg);
		return;
	}
	pend_reply(p, 0, json_incref(p->extra), NULL);
}

static void rpc_join(struct swarm *sw, struct mtls_conn *c, json_t *req)
{
	const char *token = json_string_value(json_object_get(req, "token"));
	const char *csr = json_string_value(json_object_get(req, "csr"));
	json_t *tokens = json_object_get(sw->store.cluster, "JoinTokens");
	const char *role = NULL;
	if (token &&
	    token_secret_equal(token, json_string_value(json_object_get(tokens, "Worker"))))
		role = "worker";
	else if (token &&
		 token_secret_equal(token, json_string_value(json_object_get(tokens, "Manager"))))
		role = "manager";
	if (!role) {
		rpc_reply(
		    c, -EINVAL, NULL,
		    "rpc error: code = InvalidArgument desc = A valid join token is necessary "
		    "to join this cluster");
		return;
	}
	char node_id[26];
	swarm_new_id(node_id);
	struct error err = ERROR_INIT;
	char *cert = NULL;
	const char *ca_key = json_string_value(json_object_get(sw->store.cluster, "_ca_key"));
	if (!csr ||
	    ca_sign_csr(signer(sw), ca_key ?: "", csr, node_id,
			strcmp(role, "manager") == 0 ? SWARM_ROLE_MANAGER : SWARM_ROLE_WORKER,
			sw->cluster_id, cluster_cert_s(sw), &cert, &err) < 0) {
		rpc_reply(c, -EINVAL, NULL, error_msg(&err));
		error_clear(&err);
		return;
	}
	/* The node's address: what it advertises, else where it comes from. */
	char ip[64] = "";
	const char *adv = json_string_value(json_object_get(req, "addr"));
	if (adv && *adv) {
		snprintf(ip, sizeof(ip), "%s", adv);
	} else {
		struct sockaddr_storage ss;
		int len = sizeof(ss);
		if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
			if (ss.ss_family == AF_INET)
				uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
			else
				uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
		}
	}
	int port = (int)json_integer_value(json_object_get(req, "port")) ?: 2377;
	char maddr[96];
	snprintf(maddr, sizeof(maddr), strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, port);
	uint64_t raft_id = strcmp(role, "manager") == 0 ? swarm_new_raft_id() : 0;
	json_t *node = join_node_record(req, node_id, raft_id, role, ip);
	json_t *mgrs = managers_of(sw);
	struct pend *p = pend_new(sw, c, req);
	if (!p || !node) {
		json_decref(node);
		json_decref(mgrs);
		free(cert);
		if (p)
			pend_reply(p, -ENOMEM, NULL, "out of memory");
		else
			rpc_reply(c, -ENOMEM, NULL, "out of memory");
		return;
	}
	p->extra = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:s, s:I, s:I}", "node_id", node_id,
			     "cluster_id", sw->cluster_id, "cert", cert, "role", role, "raft_id",
			     (json_int_t)raft_id, "managers", mgrs, "addr", maddr, "hb_ms",
			     (json_int_t)cluster_hb_ms(sw), "cert_expiry_s",
			     (json_int_t)cluster_cert_s(sw));
	free(cert);
	if (raft_id && sw->has_dek) {
		char *dek = seal_b64(sw->dek, 32);
		json_object_set_new(p->extra, "dek", json_string(dek ? dek : ""));
		free(dek);
	}
	json_object_set_new(sw->last_seen, node_id, json_integer(swarm_now_ms()));
	swarm_write(sw, swarm_cmd("node", node), join_written, p);
}

/* ---- RPC: raft membership ---- */

static void raft_joined_written(void *data, int status, json_t *res, const char *msg)
{
	pend_reply(data, status, NULL, msg);
}

static void raft_joined(void *data, int status, const char *msg)
{
	struct pend *p = data;
	struct swarm *sw = p->sw;
	if (status < 0) {
		pend_reply(p, status, NULL, msg);
		return;
	}
	json_t *node = json_object_get(sw->store.nodes, p->node_id);
	if (!node) {
		pend_reply(p, -ENOENT, NULL, "node not found");
		return;
	}
	json_t *copy = json_deep_copy(node);
	json_object_set_new(copy, "_raft_id", json_integer((json_int_t)p->raft_id));
	json_object_set_new(copy, "ManagerStatus",
			    json_pack("{s:s, s:s}", "Reachability", "reachable", "Addr",
				      json_string_value(json_object_get(p->req, "addr")) ?: ""));
	swarm_write(sw, swarm_cmd("node", copy), raft_joined_written, p);
}

static void rpc_raft_join(struct swarm *sw, struct mtls_conn *c, json_t *req,
			  const struct cert_identity *who)
{
	/* Only the leader changes the voters, and a follower may not have the
	 * node's record yet: the joiner asks the next manager. */
	if (!sw->raft || !sraft_is_leader(sw->raft)) {
		rpc_reply(c, -EAGAIN, NULL, SWARM_NO_LEADER_MSG);
		return;
	}
	json_t *node = json_object_get(sw->store.nodes, who->node_id);
	const char *role =
	    json_string_value(json_object_get(json_object_get(node, "Spec"), "Role"));
	uint64_t raft_id = (uint64_t)json_integer_value(json_object_get(req, "raft_id"));
	const char *addr = json_string_value(json_object_get(req, "addr"));
	if (!node || !role || strcmp(role, "manager") != 0 || !raft_id || !addr) {
		rpc_reply(c, -EPERM, NULL, "this node is not meant to be a manager");
		return;
	}
	struct pend *p = pend_new(sw, c, req);
	if (!p) {
		rpc_reply(c, -ENOMEM, NULL, "out of memory");
		return;
	}
	snprintf(p->node_id, sizeof(p->node_id), "%s", who->node_id);
	p->raft_id = raft_id;
	int r = sraft_add_voter(sw->raft, raft_id, addr, raft_joined, p);
	if (r < 0)
		pend_reply(p, r, NULL,
			   r == -EAGAIN ? SWARM_NO_LEADER_MSG : "raft refused the change");
}

static void left_raft(void *data, int status, const char *msg)
{
	pend_reply(data, status == -ENOENT ? 0 : status, NULL, msg);
}

static void rpc_raft_leave(struct swarm *sw, struct mtls_conn *c, json_t *req,
			   const struct cert_identity *who)
{
	json_t *node = json_object_get(sw->store.nodes, who->node_id);
	uint64_t raft_id = (uint64_t)json_integer_value(json_object_get(node, "_raft_id"));
	struct pend *p = pend_new(sw, c, req);
	if (!p) {
		rpc_reply(c, -ENOMEM, NULL, "out of memory");
		return;
	}
	if (!raft_id) {
		pend_reply(p, 0, NULL, NULL);
		return;
	}
	int r = sraft_remove(sw->raft, raft_id, left_raft, p);
	if (r < 0)
		left_raft(p, r, "raft refused the change");
}

/* ---- RPC: heartbeats and certificates ---- */

static json_t *hb_answer(struct swarm *sw, json_t *node)
{
	const char *role =
	    json_string_value(json_object_get(json_object_get(node, "Spec"), "Role"));
	json_t *tls = json_object_get(sw->store.cluster, "TLSInfo");
	/* Nodes renew for a new root once everyone had time to trust it. */
	int64_t rot = json_integer_value(json_object_get(sw->store.cluster, "_rot_ns"));
	bool rot_ready = rot > 0 && (time_now_ns() - rot) / 1000000 > 3 * cluster_hb_ms(sw);
	return json_pack("{s:s, s:I, s:o, s:I, s:s, s:s, s:b, s:s}", "role", role ?: "worker",
			 "hb_ms", (json_int_t)cluster_hb_ms(sw), "managers", managers_of(sw),
			 "cert_expiry_s", (json_int_t)cluster_cert_s(sw), "trust", trust_bundle(sw),
			 "signer_pk",
			 json_string_value(json_object_get(tls, "CertIssuerPublicKey")) ?: "",
			 "rot_ready", rot_ready, "leader", swarm_leader_addr(sw) ?: "");
}
static void hb_written(void *data, int status, json_t *res, const char *msg)
{
	struct pend *p = data;
	json_t *node = json_object_get(p->sw->store.nodes, p->node_id);
	if (status < 0 || !node)
		pend_reply(p, status < 0 ? status : -ENOENT, NULL, msg ?: "node not found");
	else
		pend_reply(p, 0, hb_answer(p->sw, node), NULL);
}

/* Marks node Ready (and reachable) when it was not; true when a write
 * was started (cb follows). */
static bool mark_ready(struct swarm *sw, json_t *node, json_t *desc, swarm_done_fn cb, void *data)
{
	json_t *ready = node_ready_record(node, desc);
	if (!ready)
		return false;
	swarm_write(sw, swarm_cmd("node", ready), cb, data);
	return true;
}

static void rpc_heartbeat(struct swarm *sw, struct mtls_conn *c, json_t *req,
			  const struct cert_identity *who)
{
	json_t *node = json_object_get(sw->store.nodes, who->node_id);
	if (!node) {
		rpc_reply(c, -ENOENT, NULL, "node is not a member of this swarm (removed)");
		return;
	}
	json_object_set_new(sw->last_seen, who->node_id, json_integer(swarm_now_ms()));
	struct pend *p = pend_new(sw, c, req);
	if (!p) {
		rpc_reply(c, -ENOMEM, NULL, "out of memory");
		return;
	}
	snprintf(p->node_id, sizeof(p->node_id), "%s", who->node_id);
	if (!mark_ready(sw, node, json_object_get(req, "desc"), hb_written, p))
		pend_reply(p, 0, hb_answer(sw, node), NULL);
}

/* Any manager signs: a renewal, or the certificate of a new role. */
static void rpc_renew(struct swarm *sw, struct mtls_conn *c, json_t *req,
		      const struct cert_identity *who)
{
	json_t *node = json_object_get(sw->store.nodes, who->node_id);
	const char *role =
	    json_string_value(json_object_get(json_object_get(node, "Spec"), "Role"));
	const char *csr = json_string_value(json_object_get(req, "csr"));
	const char *ca_key = json_string_value(json_object_get(sw->store.cluster, "_ca_key"));
	if (!node || !role) {
		rpc_reply(c, -ENOENT, NULL, "node is not a member of this swarm (removed)");
		return;
	}
	struct error err = ERROR_INIT;
	char *cert = NULL;
	if (!csr ||
	    ca_sign_csr(signer(sw), ca_key ?: "", csr, who->node_id,
			strcmp(role, "manager") == 0 ? SWARM_ROLE_MANAGER : SWARM_ROLE_WORKER,
			sw->cluster_id, cluster_cert_s(sw), &cert, &err) < 0) {
		rpc_reply(c, -EINVAL, NULL, error_msg(&err));
		error_clear(&err);
		return;
	}
	json_t *res = json_pack("{s:s, s:s}", "cert", cert, "role", role);
	if (strcmp(role, "manager") == 0 && sw->has_dek) {
		char *dek = seal_b64(sw->dek, 32);
		json_object_set_new(res, "dek", json_string(dek ? dek : ""));
		free(dek);
	}
	rpc_reply(c, 0, res, NULL);
	free(cert);
}

static void applied(void *data, int status, json_t *res, const char *msg)
{
	pend_reply(data, status, NULL, msg);
}

void swarm_rpc_handle(struct swarm *sw, struct mtls_conn *c, json_t *req,
		      const struct cert_identity *peer)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	bool is_mgr = peer && strcmp(peer->role, SWARM_ROLE_MANAGER) == 0;
	struct cert_identity who;
	if (!op || sw->state != SWARM_ACTIVE || !sw->raft) {
		rpc_reply(c, -EAGAIN, NULL, "this node is not an active swarm manager");
		return;
	}
	if (strcmp(op, "ca") == 0) {
		rpc_reply(c, 0, json_pack("{s:s}", "ca", signer(sw)), NULL);
		return;
	}
	if (strcmp(op, "raft") == 0) {
		if (!is_mgr) {
			mtls_close(c, -EACCES);
			return;
		}
		rtransport_accept(&sw->raft->tr, c,
				  (raft_id)json_integer_value(json_object_get(req, "id")),
				  json_string_value(json_object_get(req, "addr")) ?: "");
		return;
	}
	if (strcmp(op, "join") == 0) {
		if (!forward_if_follower(sw, c, req, NULL))
			rpc_join(sw, c, req);
		return;
	}
	if (!caller(req, peer, &who)) {
		rpc_reply(c, -EACCES, NULL, "a node certificate of this swarm is required");
		return;
	}
	if (strcmp(op, "renew") == 0) {
		rpc_renew(sw, c, req, &who);
		return;
	}
	if (forward_if_follower(sw, c, req, peer))
		return;
	if (strcmp(op, "hb") == 0) {
		rpc_heartbeat(sw, c, req, &who);
	} else if (strcmp(op, "apply") == 0 && is_mgr) {
		struct pend *p = pend_new(sw, c, req);
		if (p)
			swarm_write(sw, json_incref(json_object_get(req, "cmd")), applied, p);
	} else if (strcmp(op, "tasks") == 0) {
		dispatcher_rpc(sw, c, req, &who);
	} else if (strcmp(op, "logs") == 0 && is_mgr) {
		task_logs_rpc(sw, c, req);
	} else if (strcmp(op, "logs_data") == 0) {
		task_logs_data_rpc(sw, c, req, &who);
	} else if (strcmp(op, "raft_join") == 0 && strcmp(who.role, SWARM_ROLE_MANAGER) == 0) {
		rpc_raft_join(sw, c, req, &who);
	} else if (strcmp(op, "raft_leave") == 0 && is_mgr) {
		rpc_raft_leave(sw, c, req, &who);
	} else if (swarm_attach_rpc(sw, op, c, req, who.node_id)) {
		/* answered by attach.c */
	} else {
		rpc_reply(c, -EPERM, NULL, "operation not permitted");
	}
}

void swarm_rpc_closed(struct swarm *sw, struct mtls_conn *c)
{
	dispatcher_conn_closed(sw, c);
}

/* ---- leader duties ---- */

static void barrier_done(void *data, int status, const char *msg)
{
	struct swarm *sw = data;
	sw->barrier_pending = false;
	if (status == 0 && sw->raft && sraft_is_leader(sw->raft)) {
		sw->leader_ready = true;
		sw->leader_since_ms = swarm_now_ms();
		/* Everyone gets a fresh grace period under a new leader. */
		json_object_clear(sw->last_seen);
		json_object_clear(sw->lost);
		sw->leader_tick_ms = 0;
		log_info(sw->deps.log, "swarm: this node is the leader");
	}
}

static void duty_done(void *data, int status, json_t *res, const char *msg)
{
	struct swarm *sw = data;
	sw->reconcile_pending = false;
}

static void duty_raft_done(void *data, int status, const char *msg)
{
	struct swarm *sw = data;
	sw->reconcile_pending = false;
}

static void demoted_out(void *data, int status, const char *msg)
{
	struct pend *p = data;
	struct swarm *sw = p->sw;
	json_t *node = json_object_get(sw->store.nodes, p->node_id);
	if (status < 0 || !node || !sw->raft) {
		sw->reconcile_pending = false;
		json_decref(p->req);
		free(p);
		return;
	}
	json_t *copy = json_deep_copy(node);
	json_object_del(copy, "ManagerStatus");
	json_object_set_new(copy, "_raft_id", json_integer(0));
	json_decref(p->req);
	free(p);
	swarm_write(sw, swarm_cmd("node", copy), duty_done, sw);
}

/* Ends a root rotation once every node that is up has a certificate of
 * the new root: from then on only the new root is trusted. */
static bool finish_rotation(struct swarm *sw)
{
	json_t *c = sw->store.cluster;
	if (!json_is_true(json_object_get(c, "RootRotationInProgress")))
		return false;
	const char *want = json_string_value(
	    json_object_get(json_object_get(c, "TLSInfo"), "CertIssuerPublicKey"));
	const char *id;
	json_t *n;
	json_object_foreach(sw->store.nodes, id, n)
	{
		const char *state =
		    json_string_value(json_object_get(json_object_get(n, "Status"), "State"));
		const char *pk = json_string_value(
		    json_object_get(json_object_get(json_object_get(n, "Description"), "TLSInfo"),
				    "CertIssuerPublicKey"));
		if (state && strcmp(state, "down") == 0)
			continue;
		if (!want || !pk || strcmp(want, pk) != 0)
			return false;
	}
	json_t *copy = json_deep_copy(c);
	json_object_set_new(copy, "RootRotationInProgress", json_false());
	json_object_del(copy, "_ca_trust");
	json_object_del(copy, "_rot_ns");
	sw->reconcile_pending = true;
	log_info(sw->deps.log, "swarm: root CA rotation complete");
	swarm_write(sw, swarm_cmd("cluster", copy), duty_done, sw);
	return true;
}

static bool duty_is_voter(void *ctx, uint64_t raft_id)
{
	return sraft_is_voter(ctx, raft_id);
}

/* One change at a time: the first node whose state needs the leader. */
static void leader_duties(struct swarm *sw)
{
	if (finish_rotation(sw))
		return;
	json_t *mine = my_description(sw);
	const struct node_duty_view v = {
	    .nodes = sw->store.nodes,
	    .last_seen = sw->last_seen,
	    .lost = sw->lost,
	    .self_id = sw->node_id,
	    .self_desc = mine,
	    .now_ms = swarm_now_ms(),
	    .leader_since_ms = sw->leader_since_ms,
	    .grace_ms = node_silence_grace_ms(cluster_hb_ms(sw)),
	    .lost_grace_ms = node_lost_grace_ms(cluster_hb_ms(sw)),
	    .is_voter = duty_is_voter,
	    .ctx = sw->raft,
	};
	struct node_duty duty;
	node_duty_next(&v, &duty);
	json_decref(mine);
	if (duty.kind == NODE_DUTY_NONE)
		return;
	sw->reconcile_pending = true;
	struct pend *p = NULL;
	switch (duty.kind) {
	case NODE_DUTY_NONE:
		break;
	case NODE_DUTY_TRANSFER:
		if (sraft_transfer(sw->raft, duty_raft_done, sw) < 0)
			sw->reconcile_pending = false;
		break;
	case NODE_DUTY_REMOVE_VOTER:
	case NODE_DUTY_DEMOTED:
		p = calloc(1, sizeof(*p));
		if (!p) {
			sw->reconcile_pending = false; /* retried at the next tick */
			break;
		}
		p->sw = sw;
		snprintf(p->node_id, sizeof(p->node_id), "%s", duty.node_id);
		if (duty.kind == NODE_DUTY_DEMOTED) {
			demoted_out(p, 0, NULL);
		} else if (sraft_remove(sw->raft, duty.raft_id, demoted_out, p) < 0) {
			free(p);
			sw->reconcile_pending = false;
		}
		break;
	case NODE_DUTY_WRITE:
		if (duty.down)
			log_info(sw->deps.log, "swarm: node %s %s: down", duty.node_id,
				 duty.lost ? "closed its connection and did not come back"
					   : "missed its heartbeats");
		swarm_write(sw, swarm_cmd("node", json_incref(duty.node)), duty_done, sw);
		break;
	}
	node_duty_clear(&duty);
}

static void manager_tick(struct swarm *sw)
{
	if (!sw->raft)
		return;
	swarm_follow_autolock(sw);
	if (!sraft_is_leader(sw->raft)) {
		sw->leader_ready = false;
		dispatcher_stop(sw);
		return;
	}
	int64_t now = swarm_now_ms();
	if (sw->leader_ready &&
	    node_liveness_stalled(sw->last_seen, sw->lost, sw->leader_tick_ms, now))
		log_warn(sw->deps.log,
			 "swarm: this leader did not run for %lld ms: nodes get that time back",
			 (long long)(now - sw->leader_tick_ms));
	sw->leader_tick_ms = now;
	if (!sw->leader_ready) {
		if (!sw->barrier_pending) {
			sw->barrier_pending = true;
			if (sraft_barrier(sw->raft, barrier_done, sw) < 0)
				sw->barrier_pending = false;
		}
		return;
	}
	if (!sw->reconcile_pending && sw->store.cluster)
		leader_duties(sw);
	swarm_orchestrate(sw);
	dispatcher_tick(sw);
}

/* ---- agent: heartbeats and role changes ---- */

struct role_change {
	struct swarm *sw;
	char *key_pem;
};

#define RAFT_JOIN_RETRY_MS 500
#define RAFT_JOIN_TRIES 40

/* Only the leader adds a voter, and the manager asked may not be it (or
 * lose leadership meanwhile): the join is asked again, the leader a
 * heartbeat named first, then the managers in turn. */
static void raft_joined_self(void *data, int status, json_t *resp, const char *msg)
{
	struct swarm *sw = data;
	sw->role_change_inflight = false;
	sw->raft_join_retry_ms = 0;
	/* Added already, also when the answer was lost: no retry. */
	if (status >= 0 || !sw->manager || sw->closing ||
	    (sw->raft && sraft_is_voter(sw->raft, sw->raft_id)))
		return;
	if (status == -EPERM || ++sw->raft_join_tries >= RAFT_JOIN_TRIES) {
		log_warn(sw->deps.log, "swarm: joining raft failed: %s", msg ? msg : "");
		return;
	}
	log_info(sw->deps.log, "swarm: joining raft: %s; asking again", msg ? msg : "");
	sw->raft_join_retry_ms = swarm_now_ms() + RAFT_JOIN_RETRY_MS;
}

static void raft_join_send(struct swarm *sw)
{
	size_t n = json_array_size(sw->managers);
	const char *to =
	    sw->raft_join_tries % 2 == 1 && sw->leader_hint[0]
		? sw->leader_hint
		: json_string_value(json_array_get(sw->managers, n ? sw->raft_join_tries % n : 0));
	sw->raft_join_retry_ms = 0;
	sw->role_change_inflight = true;
	rpc_call(sw->deps.loop, sw->client_ctx, to ?: "",
		 json_pack("{s:s, s:I, s:s}", "op", "raft_join", "raft_id", (json_int_t)sw->raft_id,
			   "addr", sw->advertise_addr),
		 SWARM_RPC_TIMEOUT_MS * 4, raft_joined_self, sw);
}

/* Becomes a manager (new certificate in hand): raft, listener, raft_join. */
static void become_manager(struct swarm *sw)
{
	struct error err = ERROR_INIT;
	sw->manager = true;
	if (!sw->raft_id)
		sw->raft_id = swarm_new_raft_id();
	char p[4200];
	snprintf(p, sizeof(p), "%s/raft", sw->dir);
	swarm_wipe_dir(p);
	if (swarm_save(sw, &err) < 0 || swarm_manager_start(sw, false, false, &err) < 0) {
		log_error(sw->deps.log, "swarm: cannot become a manager: %s", error_msg(&err));
		error_clear(&err);
		sw->role_change_inflight = false;
		return;
	}
	sw->raft_join_tries = 0;
	raft_join_send(sw);
}

/* Stops being a manager: raft, listener and the raft log go. */
static void become_worker(struct swarm *sw)
{
	struct error err = ERROR_INIT;
	swarm_manager_stop(sw);
	sw->manager = false;
	sw->raft_id = 0;
	char p[4200];
	snprintf(p, sizeof(p), "%s/raft", sw->dir);
	swarm_wipe_dir(p);
	if (swarm_save(sw, &err) < 0) {
		log_error(sw->deps.log, "swarm: %s", error_msg(&err));
		error_clear(&err);
	}
	log_info(sw->deps.log, "swarm: demoted to worker");
}

static void renewed(void *data, int status, json_t *resp, const char *msg)
{
	struct role_change *rc = data;
	struct swarm *sw = rc->sw;
	const char *cert = json_string_value(json_object_get(resp, "cert"));
	struct cert_identity id;
	if (status < 0 || !cert || ca_cert_identity(cert, &id, NULL) < 0 || sw->closing ||
	    sw->state != SWARM_ACTIVE) {
		if (status < 0)
			log_warn(sw->deps.log, "swarm: certificate renewal failed: %s",
				 msg ? msg : "");
		sw->role_change_inflight = false;
		free(rc->key_pem);
		free(rc);
		return;
	}
	const char *dek = json_string_value(json_object_get(resp, "dek"));
	if (dek && seal_unb64(dek, sw->dek, 32) == 0)
		sw->has_dek = true;
	free(sw->cert_pem);
	free(sw->key_pem);
	sw->cert_pem = strdup(cert);
	sw->key_pem = TAKE_PTR(rc->key_pem);
	free(rc);
	struct error err = ERROR_INIT;
	if (swarm_save(sw, &err) < 0 || swarm_build_ctx(sw, &err) < 0) {
		log_error(sw->deps.log, "swarm: %s", error_msg(&err));
		error_clear(&err);
	}
	bool want_mgr = strcmp(id.role, SWARM_ROLE_MANAGER) == 0;
	log_info(sw->deps.log, "swarm: new certificate as %s", id.role);
	if (want_mgr && !sw->manager) {
		become_manager(sw);
		return;
	}
	if (!want_mgr && sw->manager)
		become_worker(sw);
	sw->role_change_inflight = false;
}

static void renew_cert(struct swarm *sw, const char *to)
{
	struct role_change *rc = calloc(1, sizeof(*rc));
	char *csr = NULL;
	if (!rc || ca_new_csr(&rc->key_pem, &csr, NULL) < 0) {
		free(rc);
		return;
	}
	rc->sw = sw;
	sw->role_change_inflight = true;
	rpc_call(sw->deps.loop, sw->client_ctx, to,
		 json_pack("{s:s, s:s}", "op", "renew", "csr", csr), SWARM_RPC_TIMEOUT_MS, renewed,
		 rc);
	free(csr);
}

static void hb_done(void *data, int status, json_t *resp, const char *msg)
{
	struct swarm *sw = data;
	sw->hb_inflight = false;
	if (sw->closing || sw->state != SWARM_ACTIVE)
		return;
	if (status < 0) {
		/* Try the next manager next time: a worker whose manager died
		 * reconnects to another. */
		swarm_dispatcher_failed(sw);
		sw->next_hb_ms = swarm_now_ms() + NODE_BEAT_RETRY_MS;
		if (status == -EACCES)
			log_warn(sw->deps.log, "swarm: heartbeat refused: %s", msg ? msg : "");
		else
			log_debug(sw->deps.log, "swarm: heartbeat failed: %s", msg ? msg : "");
		return;
	}
	json_t *mgrs = json_object_get(resp, "managers");
	if (json_is_array(mgrs) && json_array_size(mgrs) > 0 && !json_equal(mgrs, sw->managers)) {
		json_decref(sw->managers);
		sw->managers = json_incref(mgrs);
		swarm_save(sw, NULL);
	}
	int64_t hb = json_integer_value(json_object_get(resp, "hb_ms"));
	if (hb > 0)
		sw->hb_ms = hb;
	const char *leader = json_string_value(json_object_get(resp, "leader"));
	if (leader)
		snprintf(sw->leader_hint, sizeof(sw->leader_hint), "%s", leader);
	int64_t ce = json_integer_value(json_object_get(resp, "cert_expiry_s"));
	if (ce > 0)
		sw->cert_expiry_s = ce;
	const char *trust = json_string_value(json_object_get(resp, "trust"));
	if (trust && *trust && sw->ca_pem && strcmp(trust, sw->ca_pem) != 0) {
		/* A root rotation: trust what the cluster trusts now. */
		struct error err = ERROR_INIT;
		char *old = sw->ca_pem;
		sw->ca_pem = strdup(trust);
		if (swarm_save(sw, &err) < 0 || swarm_build_ctx(sw, &err) < 0) {
			log_error(sw->deps.log, "swarm: new trust roots: %s", error_msg(&err));
			error_clear(&err);
			free(sw->ca_pem);
			sw->ca_pem = old;
		} else {
			free(old);
			log_info(sw->deps.log, "swarm: trust roots updated");
		}
	}
	const char *signer_pk = json_string_value(json_object_get(resp, "signer_pk"));
	const char *subj, *pk;
	my_issuer(sw, &subj, &pk);
	bool old_issuer = signer_pk && *signer_pk && *pk && strcmp(pk, signer_pk) != 0 &&
			  json_is_true(json_object_get(resp, "rot_ready"));
	const char *role = json_string_value(json_object_get(resp, "role"));
	struct cert_view cv = {
	    .change_inflight = sw->role_change_inflight,
	    .want_manager = role && strcmp(role, "manager") == 0,
	    .is_manager = sw->manager,
	    .old_issuer = old_issuer,
	    .now_s = swarm_now_ms() / 1000,
	};
	struct cert_identity id;
	if (ca_cert_identity(sw->cert_pem, &id, NULL) == 0) {
		cv.cert_manager = strcmp(id.role, SWARM_ROLE_MANAGER) == 0;
		cv.not_before_s = id.not_before;
		cv.not_after_s = id.not_after;
	}
	switch (cert_decide(&cv)) {
	case CERT_KEEP:
		break;
	case CERT_RENEW:
		renew_cert(sw, json_string_value(json_array_get(
				   sw->managers, sw->mgr_cursor % json_array_size(sw->managers))));
		break;
	case CERT_BECOME_MANAGER:
		sw->role_change_inflight = true;
		become_manager(sw);
		break;
	case CERT_BECOME_WORKER:
		become_worker(sw);
		break;
	}
}

static void agent_tick(struct swarm *sw)
{
	int64_t now = swarm_now_ms();
	if (sw->raft_join_retry_ms && now >= sw->raft_join_retry_ms && !sw->role_change_inflight)
		raft_join_send(sw);
	if (sw->hb_inflight || now < sw->next_hb_ms)
		return;
	sw->next_hb_ms = now + node_beat_interval_ms(sw->hb_ms);
	const char *to = NULL;
	if (sw->raft && sraft_is_leader(sw->raft)) {
		/* The leader's own heartbeat is its tick; still learn the role. */
		json_t *node = json_object_get(sw->store.nodes, sw->node_id);
		if (!node || !sw->leader_ready)
			return;
		json_t *ans = hb_answer(sw, node);
		json_object_set_new(ans, "ok", json_true());
		sw->hb_inflight = true;
		hb_done(sw, 0, ans, NULL);
		json_decref(ans);
		return;
	}
	to = swarm_dispatcher_addr(sw);
	if (!to)
		return;
	sw->hb_inflight = true;
	rpc_call(sw->deps.loop, sw->client_ctx, to,
		 json_pack("{s:s, s:o}", "op", "hb", "desc", my_description(sw)),
		 (unsigned)node_beat_timeout_ms(sw->hb_ms), hb_done, sw);
}

void swarm_tick(struct swarm *sw)
{
	if (sw->closing || sw->state != SWARM_ACTIVE)
		return;
	swarm_raft_watch(sw);
	manager_tick(sw);
	agent_tick(sw);
	swarm_agent_tick(sw);
}
