/* Raft glue (see sraft.h): libraft 0.15 with a mutual-TLS transport, the
 * swarm store as its FSM, and one request struct per asynchronous call. */
#include "swarm/sraft.h"

#include <errno.h>
#include <stddef.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/log.h"
#include "swarm/ca.h"
#include "swarm/seal.h"

/* ---- transport ---- */

struct rconnect {
	struct rconnect *next;
	struct rtransport *rt;
	struct raft_uv_connect *req;
	struct mtls_conn *conn;
	raft_id id;
	bool done;
};

static struct rtransport *rt_of(struct raft_uv_transport *t)
{
	return t->impl;
}

static int rt_init(struct raft_uv_transport *t, raft_id id, const char *address)
{
	struct rtransport *rt = rt_of(t);
	rt->id = id;
	snprintf(rt->address, sizeof(rt->address), "%s", address);
	return 0;
}

static int rt_listen(struct raft_uv_transport *t, raft_uv_accept_cb cb)
{
	rt_of(t)->accept_cb = cb; /* the swarm's RPC server owns the socket */
	return 0;
}

static void rc_unlink(struct rconnect *rc)
{
	for (struct rconnect **p = &rc->rt->pending; *p; p = &(*p)->next)
		if (*p == rc) {
			*p = rc->next;
			return;
		}
}

/* Reports the outcome once and forgets the request. */
static void rc_finish(struct rconnect *rc, uv_stream_t *stream, int status)
{
	if (rc->done)
		return;
	rc->done = true;
	rc_unlink(rc);
	rc->req->cb(rc->req, stream, status);
}

static void rc_ready(struct mtls_conn *c)
{
	struct rconnect *rc = c->data;
	struct cert_identity id;
	if (!c->peer || ca_x509_identity(c->peer, &id, NULL) < 0 ||
	    strcmp(id.role, SWARM_ROLE_MANAGER) != 0) {
		mtls_close(c, -EACCES);
		return;
	}
	json_t *hello = json_pack("{s:s, s:I, s:s}", "op", "raft", "id", (json_int_t)rc->rt->id,
				  "addr", rc->rt->address);
	uv_stream_t *stream = NULL;
	if (mtls_send_json(c, hello) < 0 || mtls_go_raw(c, rc->rt->loop, &stream) < 0) {
		mtls_close(c, -EIO);
		return;
	}
	rc->conn = NULL; /* the stream owns the connection now */
	rc_finish(rc, stream, 0);
	c->data = NULL;
	free(rc);
}

static void rc_frame(struct mtls_conn *c, const char *d, size_t n) {}

static void rc_close(struct mtls_conn *c, int status)
{
	struct rconnect *rc = c->data;
	if (!rc)
		return;
	rc_finish(rc, NULL, RAFT_NOCONNECTION);
	free(rc);
}

static const struct mtls_ops rc_ops = {rc_ready, rc_frame, rc_close};

static int rt_connect(struct raft_uv_transport *t, struct raft_uv_connect *req, raft_id id,
		      const char *address, raft_uv_connect_cb cb)
{
	struct rtransport *rt = rt_of(t);
	struct rconnect *rc = calloc(1, sizeof(*rc));
	if (!rc)
		return RAFT_NOMEM;
	rc->rt = rt;
	rc->req = req;
	rc->id = id;
	req->cb = cb;
	if (!*rt->client_ctx ||
	    mtls_connect(rt->loop, *rt->client_ctx, address, &rc_ops, rc, &rc->conn, NULL) < 0) {
		free(rc);
		return RAFT_NOCONNECTION;
	}
	rc->next = rt->pending;
	rt->pending = rc;
	return 0;
}

static void rt_close(struct raft_uv_transport *t, raft_uv_transport_close_cb cb)
{
	struct rtransport *rt = rt_of(t);
	rt->accept_cb = NULL;
	while (rt->pending) {
		struct rconnect *rc = rt->pending;
		struct mtls_conn *c = rc->conn;
		rc_finish(rc, NULL, RAFT_CANCELED);
		/* rc_close frees rc once the connection is gone. */
		if (c)
			mtls_close(c, -ECANCELED);
	}
	if (cb)
		cb(t);
}

void rtransport_accept(struct rtransport *rt, struct mtls_conn *c, raft_id id, const char *address)
{
	uv_stream_t *stream = NULL;
	if (!rt->accept_cb || mtls_go_raw(c, rt->loop, &stream) < 0) {
		mtls_close(c, -ECONNREFUSED);
		return;
	}
	rt->accept_cb(&rt->t, id, address, stream);
}

/* libraft 0.15 answers entries persisted after a change of term to the
 * leader it knows then, which may be none: a message with a NULL address,
 * and raft_uv's send strlen()s it (SEGV; canonical/raft 35479fc, fixed in
 * 0.17.1). The answer is dropped as a failed send is; the leader of the new
 * term gets one to its own AppendEntries. */
static int io_send_checked(struct raft_io *io, struct raft_io_send *req,
			   const struct raft_message *message, raft_io_send_cb cb)
{
	struct sraft *s = (struct sraft *)((char *)io - offsetof(struct sraft, io));
	if (!message->server_address)
		return RAFT_NOCONNECTION;
	return s->uv_send(io, req, message, cb);
}

/* ---- FSM ---- */

/* The plaintext of an entry or snapshot: opened when sealed. */
static int unseal(struct sraft *s, const struct raft_buffer *buf, char **ret, size_t *ret_len)
{
	if (!seal_is_sealed(buf->base, buf->len)) {
		*ret = strndup(buf->base, buf->len);
		*ret_len = *ret ? strlen(*ret) : 0;
		return *ret ? 0 : -ENOMEM;
	}
	if (!s->has_dek)
		return -ENOKEY;
	return seal_open(s->dek, buf->base, buf->len, ret, ret_len);
}

static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
	struct sraft *s = fsm->data;
	struct error err = ERROR_INIT;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = unseal(s, buf, &text, &len);
	if (r < 0)
		log_error(s->log, "swarm: cannot read a raft entry: %s", strerror(-r));
	else if (store_apply(s->store, text, len, &err) < 0)
		log_warn(s->log, "swarm: ignoring a store command: %s", error_msg(&err));
	else if (s->on_applied)
		s->on_applied(s->applied_data);
	error_clear(&err);
	*result = NULL;
	return 0;
}

static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n)
{
	struct sraft *s = fsm->data;
	size_t len = 0;
	_cleanup_free_ char *snap = store_snapshot(s->store, &len);
	if (!snap)
		return RAFT_NOMEM;
	if (s->has_dek) {
		uint8_t *sealed = NULL;
		size_t slen;
		if (seal(s->dek, snap, len, &sealed, &slen) < 0)
			return RAFT_NOMEM;
		free(snap);
		snap = (char *)sealed;
		len = slen;
	}
	*bufs = raft_malloc(sizeof(**bufs));
	void *base = raft_malloc(len);
	if (!*bufs || !base) {
		raft_free(*bufs);
		raft_free(base);
		return RAFT_NOMEM;
	}
	memcpy(base, snap, len);
	(*bufs)[0].base = base;
	(*bufs)[0].len = len;
	*n = 1;
	return 0;
}

static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
	struct sraft *s = fsm->data;
	struct error err = ERROR_INIT;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = unseal(s, buf, &text, &len);
	raft_free(buf->base);
	if (r == 0)
		r = store_restore(s->store, text, len, &err);
	else
		error_set(&err, r, "%s", strerror(-r));
	if (r < 0) {
		log_error(s->log, "swarm: bad snapshot: %s", error_msg(&err));
		error_clear(&err);
		return RAFT_MALFORMED;
	}
	return 0;
}

void sraft_fsm_init(struct raft_fsm *fsm, struct sraft *holder)
{
	memset(fsm, 0, sizeof(*fsm));
	fsm->version = 1;
	fsm->data = holder;
	fsm->apply = fsm_apply;
	fsm->snapshot = fsm_snapshot;
	fsm->restore = fsm_restore;
}

struct raft_buffer sraft_encode(const uint8_t *dek, json_t *cmd)
{
	_cleanup_free_ char *text = json_dumps(cmd, JSON_COMPACT);
	json_decref(cmd);
	size_t len = text ? strlen(text) : 0;
	if (text && dek) {
		uint8_t *sealed = NULL;
		size_t slen;
		if (seal(dek, text, len, &sealed, &slen) < 0)
			return (struct raft_buffer){NULL, 0};
		free(text);
		text = (char *)sealed;
		len = slen;
	}
	/* libuv segments keep entry payloads 8-byte aligned: pad to a
	 * multiple of 8 (blanks, which JSON parsers skip; a sealed blob
	 * records its own length). */
	size_t padded = (len + 7) & ~(size_t)7;
	struct raft_buffer buf = {text ? raft_malloc(padded + 1) : NULL, padded};
	if (buf.base) {
		memcpy(buf.base, text, len);
		memset((char *)buf.base + len, ' ', padded - len);
		((char *)buf.base)[padded] = '\0';
	}
	return buf;
}

/* ---- lifecycle ---- */

int sraft_init(struct sraft *s, uv_loop_t *loop, struct logger *log, const char *dir, raft_id id,
	       const char *address, struct store *store, SSL_CTX **client_ctx,
	       const struct sraft_settings *set, struct error *err)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->log = log;
	s->store = store;
	int r = fs_mkdir_p(dir, 0700, err);
	if (r < 0)
		return r;
	s->tr.loop = loop;
	s->tr.client_ctx = client_ctx;
	s->tr.t.impl = &s->tr;
	s->tr.t.init = rt_init;
	s->tr.t.listen = rt_listen;
	s->tr.t.connect = rt_connect;
	s->tr.t.close = rt_close;
	r = raft_uv_init(&s->io, loop, dir, &s->tr.t);
	if (r != 0)
		return error_set(err, -EIO, "raft: %s", s->io.errmsg);
	s->io_inited = true;
	s->uv_send = s->io.send;
	s->io.send = io_send_checked;
	raft_uv_set_connect_retry_delay(&s->io, 100);
	sraft_fsm_init(&s->fsm, s);
	r = raft_init(&s->raft, &s->io, &s->fsm, id, address);
	if (r != 0) {
		error_set(err, -EIO, "raft: %s", raft_errmsg(&s->raft));
		raft_uv_close(&s->io);
		s->io_inited = false;
		return -EIO;
	}
	s->raft.data = s;
	raft_set_pre_vote(&s->raft, true);
	raft_set_election_timeout(&s->raft, set->election_ms);
	raft_set_heartbeat_timeout(&s->raft, set->heartbeat_ms);
	raft_set_snapshot_threshold(&s->raft, set->snapshot_threshold);
	raft_set_snapshot_trailing(&s->raft, set->snapshot_trailing);
	return 0;
}

static int one_voter(struct sraft *s, bool recover, struct error *err)
{
	struct raft_configuration c;
	raft_configuration_init(&c);
	int r = raft_configuration_add(&c, s->raft.id, s->raft.address, RAFT_VOTER);
	if (r == 0)
		r = recover ? raft_recover(&s->raft, &c) : raft_bootstrap(&s->raft, &c);
	raft_configuration_close(&c);
	if (r != 0)
		return error_set(err, -EIO, "raft: %s", raft_errmsg(&s->raft));
	return 0;
}

int sraft_bootstrap(struct sraft *s, struct error *err)
{
	return one_voter(s, false, err);
}
int sraft_recover(struct sraft *s, struct error *err)
{
	return one_voter(s, true, err);
}

int sraft_start(struct sraft *s, struct error *err)
{
	int r = raft_start(&s->raft);
	if (r != 0)
		return error_set(err, -EIO, "raft: %s", raft_errmsg(&s->raft));
	s->started = true;
	return 0;
}

static void raft_closed(struct raft *r)
{
	struct sraft *s = r->data;
	raft_uv_close(&s->io);
	s->io_inited = false;
	if (s->close_cb)
		s->close_cb(s->close_data, 0, NULL);
}

void sraft_close(struct sraft *s, sraft_cb cb, void *data)
{
	s->close_cb = cb;
	s->close_data = data;
	if (s->io_inited) {
		raft_close(&s->raft, raft_closed);
		return;
	}
	if (cb)
		cb(data, 0, NULL);
}

bool sraft_is_leader(struct sraft *s)
{
	return s->started && raft_state(&s->raft) == RAFT_LEADER;
}

bool sraft_stopped(struct sraft *s, const char **why)
{
	if (!s->started || raft_state(&s->raft) != RAFT_UNAVAILABLE)
		return false;
	*why = raft_errmsg(&s->raft);
	return true;
}

raft_id sraft_leader(struct sraft *s, const char **address)
{
	raft_id id = 0;
	const char *addr = NULL;
	if (s->started)
		raft_leader(&s->raft, &id, &addr);
	if (address)
		*address = addr;
	return id;
}

bool sraft_is_voter(struct sraft *s, raft_id id)
{
	for (unsigned i = 0; i < s->raft.configuration.n; i++)
		if (s->raft.configuration.servers[i].id == id)
			return s->raft.configuration.servers[i].role == RAFT_VOTER;
	return false;
}

unsigned sraft_voters(struct sraft *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->raft.configuration.n; i++)
		n += s->raft.configuration.servers[i].role == RAFT_VOTER;
	return n;
}

/* ---- requests ---- */

struct sreq {
	union {
		struct raft_apply apply;
		struct raft_barrier barrier;
		struct raft_change change;
		struct raft_transfer transfer;
	} u;
	struct sraft *s;
	sraft_cb cb;
	void *data;
	raft_id id;
};

static int map_status(int rv)
{
	switch (rv) {
	case 0:
		return 0;
	case RAFT_NOTLEADER:
	case RAFT_LEADERSHIPLOST:
	case RAFT_CANTCHANGE:
	case RAFT_SHUTDOWN:
	case RAFT_NOCONNECTION:
		return -EAGAIN;
	case RAFT_BADID:
	case RAFT_NOTFOUND:
		return -ENOENT;
	default:
		return -EIO;
	}
}

static void sreq_finish(struct sreq *q, int rv)
{
	const char *msg = rv ? raft_strerror(rv) : NULL;
	q->cb(q->data, map_status(rv), msg);
	free(q);
}

static struct sreq *sreq_new(struct sraft *s, sraft_cb cb, void *data)
{
	struct sreq *q = calloc(1, sizeof(*q));
	if (q) {
		q->s = s;
		q->cb = cb;
		q->data = data;
	}
	return q;
}

static void apply_done(struct raft_apply *req, int status, void *result)
{
	sreq_finish(req->data, status);
}

int sraft_apply(struct sraft *s, json_t *cmd, sraft_cb cb, void *data)
{
	if (!sraft_is_leader(s)) {
		json_decref(cmd);
		return -EAGAIN;
	}
	_cleanup_free_ struct sreq *q = sreq_new(s, cb, data);
	struct raft_buffer buf = sraft_encode(s->has_dek ? s->dek : NULL, cmd);
	if (!q || !buf.base) {
		raft_free(buf.base);
		return -ENOMEM;
	}
	q->u.apply.data = q;
	int r = raft_apply(&s->raft, &q->u.apply, &buf, 1, apply_done);
	if (r != 0) {
		raft_free(buf.base);
		return map_status(r);
	}
	TAKE_PTR(q);
	return 0;
}

static void barrier_done(struct raft_barrier *req, int status)
{
	sreq_finish(req->data, status);
}

int sraft_barrier(struct sraft *s, sraft_cb cb, void *data)
{
	_cleanup_free_ struct sreq *q = sreq_new(s, cb, data);
	if (!q)
		return -ENOMEM;
	q->u.barrier.data = q;
	int r = raft_barrier(&s->raft, &q->u.barrier, barrier_done);
	if (r != 0)
		return map_status(r);
	TAKE_PTR(q);
	return 0;
}

static void change_done(struct raft_change *req, int status)
{
	sreq_finish(req->data, status);
}

static void add_done(struct raft_change *req, int status)
{
	struct sreq *q = req->data;
	if (status != 0) {
		sreq_finish(q, status);
		return;
	}
	int r = raft_assign(&q->s->raft, &q->u.change, q->id, RAFT_VOTER, change_done);
	if (r != 0)
		sreq_finish(q, r);
}

int sraft_add_voter(struct sraft *s, raft_id id, const char *address, sraft_cb cb, void *data)
{
	bool known = false;
	for (unsigned i = 0; i < s->raft.configuration.n; i++)
		known |= s->raft.configuration.servers[i].id == id;
	if (known && sraft_is_voter(s, id)) {
		cb(data, 0, NULL);
		return 0;
	}
	_cleanup_free_ struct sreq *q = sreq_new(s, cb, data);
	if (!q)
		return -ENOMEM;
	q->id = id;
	q->u.change.data = q;
	int r = known ? raft_assign(&s->raft, &q->u.change, id, RAFT_VOTER, change_done)
		      : raft_add(&s->raft, &q->u.change, id, address, add_done);
	if (r != 0)
		return map_status(r);
	TAKE_PTR(q);
	return 0;
}

int sraft_remove(struct sraft *s, raft_id id, sraft_cb cb, void *data)
{
	_cleanup_free_ struct sreq *q = sreq_new(s, cb, data);
	if (!q)
		return -ENOMEM;
	q->u.change.data = q;
	int r = raft_remove(&s->raft, &q->u.change, id, change_done);
	if (r != 0)
		return map_status(r);
	TAKE_PTR(q);
	return 0;
}

static void transfer_done(struct raft_transfer *req)
{
	sreq_finish(req->data, 0);
}

int sraft_transfer(struct sraft *s, sraft_cb cb, void *data)
{
	_cleanup_free_ struct sreq *q = sreq_new(s, cb, data);
	if (!q)
		return -ENOMEM;
	q->u.transfer.data = q;
	int r = raft_transfer(&s->raft, &q->u.transfer, 0, transfer_done);
	if (r != 0)
		return map_status(r);
	TAKE_PTR(q);
	return 0;
}
