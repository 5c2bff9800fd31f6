/* Logs of swarm tasks across nodes (see task_logs.h). */
#include "swarm/task_logs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarm/ca.h"
#include "swarm/rpc.h"
#include "swarm/services.h"
#include "swarm/swarm_int.h"
#include "swarm/task_container.h"

/* The leader waits this long for the node; the asking manager a bit more. */
#define LOGS_NODE_MS 8000
#define LOGS_CALL_MS 10000
/* What one answer carries at most: the newest entries that fit a frame. */
#define LOGS_MAX_BYTES (8u << 20)

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int swarm_log_tasks(struct swarm *sw, const char *service, const char *task, json_t **ret,
		    struct error *err)
{
	json_t *v = NULL;
	int r = service ? swarm_service(sw, service, &v, err) : swarm_task(sw, task, &v, err);
	if (r < 0)
		return r;
	const char *want = jstr(v, "ID");
	json_t *out = json_array();
	const char *id;
	json_t *t;
	json_object_foreach(sw->store.tasks, id, t)
	{
		const char *node = jstr(t, "NodeID");
		if (!node || !*node)
			continue;
		if (service ? strcmp(jstr(t, "ServiceID") ?: "", want) == 0 : strcmp(id, want) == 0)
			json_array_append(out, t);
	}
	json_decref(v);
	*ret = out;
	return 0;
}

struct container *swarm_task_container(struct swarm *sw, json_t *task)
{
	char name[256];
	struct container *c = NULL;
	task_container_name(task, name, sizeof(name));
	if (containers_lookup(sw->deps.containers, name, &c, NULL) < 0)
		return NULL;
	return c;
}

json_t *task_logs_entries_json(const struct container_log_entries *es)
{
	json_t *out = json_array();
	size_t bytes = 0, first = es->n;
	while (first > 0 && bytes + es->v[first - 1].len + 64 <= LOGS_MAX_BYTES)
		bytes += es->v[--first].len + 64;
	for (size_t i = first; i < es->n; i++)
		json_array_append_new(out, json_pack("{s:i, s:I, s:s%}", "s", es->v[i].stream, "t",
						     (json_int_t)es->v[i].t, "d", es->v[i].data,
						     es->v[i].len));
	return out;
}

static json_t *query_json(const struct container_log_query *q)
{
	return json_pack("{s:b, s:b, s:I, s:I, s:I}", "out", q->out, "err", q->err, "since",
			 (json_int_t)q->since_ns, "until", (json_int_t)q->until_ns, "tail",
			 (json_int_t)q->tail);
}

static struct container_log_query query_parse(json_t *j)
{
	return (struct container_log_query){
	    .out = json_is_true(json_object_get(j, "out")),
	    .err = json_is_true(json_object_get(j, "err")),
	    .since_ns = json_integer_value(json_object_get(j, "since")),
	    .until_ns = json_integer_value(json_object_get(j, "until")),
	    .tail = (long)json_integer_value(json_object_get(j, "tail"))};
}

/* ---- the asking manager ---- */

struct remote_call {
	task_logs_fn cb;
	void *data;
};

static void remote_done(void *data, int status, json_t *resp, const char *msg)
{
	struct remote_call *rc = data;
	json_t *entries = json_object_get(resp, "entries");
	if (status == 0 && !json_is_array(entries))
		status = -EPROTO, msg = "bad answer from the leader";
	rc->cb(rc->data, status, entries, msg);
	free(rc);
}

static void remote_fail(void *data, int status, const char *msg)
{
	struct remote_call *rc = data;
	rc->cb(rc->data, status, NULL, msg);
	free(rc);
}

struct fail_later {
	uv_timer_t timer;
	struct remote_call *rc;
};

static void fail_later_closed(uv_handle_t *h)
{
	free(h->data);
}

static void fail_later_fire(uv_timer_t *t)
{
	struct fail_later *f = t->data;
	remote_fail(f->rc, -EAGAIN, SWARM_NO_LEADER_MSG);
	uv_close((uv_handle_t *)t, fail_later_closed);
}

void swarm_task_logs_remote(struct swarm *sw, json_t *task, const struct container_log_query *q,
			    task_logs_fn cb, void *data)
{
	struct remote_call *rc = calloc(1, sizeof(*rc));
	if (!rc) {
		cb(data, -ENOMEM, NULL, "out of memory");
		return;
	}
	*rc = (struct remote_call){cb, data};
	const char *leader = swarm_leader_addr(sw);
	if (!leader || !sw->client_ctx) {
		/* cb never runs inside the call. */
		struct fail_later *f = calloc(1, sizeof(*f));
		if (!f) {
			free(rc);
			cb(data, -ENOMEM, NULL, "out of memory");
			return;
		}
		f->rc = rc;
		uv_timer_init(sw->deps.loop, &f->timer);
		f->timer.data = f;
		uv_timer_start(&f->timer, fail_later_fire, 0, 0);
		return;
	}
	rpc_call(sw->deps.loop, sw->client_ctx, leader,
		 json_pack("{s:s, s:O, s:o}", "op", "logs", "task", task, "q", query_json(q)),
		 LOGS_CALL_MS, remote_done, rc);
}

/* ---- the leader ---- */

struct logs_wait {
	struct logs_wait *next;
	uint64_t id;
	char node[65];
	json_t *task, *q;
	struct mtls_conn *c;
	int64_t deadline_ms;
	bool handed;
};

struct task_logs {
	struct logs_wait *waits;
	uint64_t next_id;
};

static void wait_free(struct logs_wait *w)
{
	json_decref(w->task);
	json_decref(w->q);
	mtls_unref(w->c);
	free(w);
}

void task_logs_rpc(struct swarm *sw, struct mtls_conn *c, json_t *req)
{
	json_t *task = json_object_get(req, "task");
	const char *node = jstr(task, "NodeID");
	if (!node || !*node || !json_is_object(json_object_get(req, "q"))) {
		rpc_reply(c, -EINVAL, NULL, "bad logs request");
		return;
	}
	struct task_logs *tl = sw->task_logs;
	if (!tl && !(tl = sw->task_logs = calloc(1, sizeof(*tl)))) {
		rpc_reply(c, -ENOMEM, NULL, "out of memory");
		return;
	}
	struct logs_wait *w = calloc(1, sizeof(*w));
	if (!w) {
		rpc_reply(c, -ENOMEM, NULL, "out of memory");
		return;
	}
	w->id = ++tl->next_id;
	snprintf(w->node, sizeof(w->node), "%s", node);
	w->task = json_incref(task);
	w->q = json_incref(json_object_get(req, "q"));
	w->c = c;
	mtls_ref(c);
	w->deadline_ms = swarm_now_ms() + LOGS_NODE_MS;
	w->next = tl->waits;
	tl->waits = w;
	dispatcher_wake(sw, node);
}

bool task_logs_waiting(struct swarm *sw, const char *node)
{
	struct task_logs *tl = sw->task_logs;
	for (struct logs_wait *w = tl ? tl->waits : NULL; w; w = w->next)
		if (!w->handed && strcmp(w->node, node) == 0)
			return true;
	return false;
}

json_t *task_logs_take(struct swarm *sw, const char *node)
{
	struct task_logs *tl = sw->task_logs;
	json_t *out = NULL;
	for (struct logs_wait *w = tl ? tl->waits : NULL; w; w = w->next) {
		if (w->handed || strcmp(w->node, node) != 0)
			continue;
		if (!out)
			out = json_array();
		json_array_append_new(out, json_pack("{s:I, s:O, s:O}", "id", (json_int_t)w->id,
						     "task", w->task, "q", w->q));
		w->handed = true;
	}
	return out;
}

void task_logs_data_rpc(struct swarm *sw, struct mtls_conn *c, json_t *req,
			const struct cert_identity *who)
{
	struct task_logs *tl = sw->task_logs;
	uint64_t id = (uint64_t)json_integer_value(json_object_get(req, "id"));
	struct logs_wait **pw = tl ? &tl->waits : NULL;
	while (pw && *pw && ((*pw)->id != id || strcmp((*pw)->node, who->node_id) != 0))
		pw = &(*pw)->next;
	if (!pw || !*pw) {
		rpc_reply(c, -ENOENT, NULL, "no such logs request");
		return;
	}
	struct logs_wait *w = *pw;
	*pw = w->next;
	json_t *entries = json_object_get(req, "entries");
	if (json_is_array(entries))
		rpc_reply(w->c, 0, json_pack("{s:O}", "entries", entries), NULL);
	else
		rpc_reply(w->c, (int)json_integer_value(json_object_get(req, "code")) ?: -EIO, NULL,
			  jstr(req, "msg") ?: "the node could not read the task's logs");
	wait_free(w);
	rpc_reply(c, 0, NULL, NULL);
}

void task_logs_tick(struct swarm *sw, bool stopping)
{
	struct task_logs *tl = sw->task_logs;
	int64_t now = swarm_now_ms();
	for (struct logs_wait **pw = tl ? &tl->waits : NULL; pw && *pw;) {
		struct logs_wait *w = *pw;
		if (!stopping && now < w->deadline_ms) {
			pw = &w->next;
			continue;
		}
		*pw = w->next;
		char msg[160];
		snprintf(msg, sizeof(msg), "node %s did not send the logs of task %s in time",
			 w->node, jstr(w->task, "ID") ?: "");
		rpc_reply(w->c, stopping ? -EAGAIN : -ETIMEDOUT, NULL,
			  stopping ? SWARM_NO_LEADER_MSG : msg);
		wait_free(w);
	}
	if (stopping && tl) {
		free(tl);
		sw->task_logs = NULL;
	}
}

/* ---- the agent ---- */

static void data_sent(void *data, int status, json_t *resp, const char *msg) {}

void task_logs_serve(struct swarm *sw, const char *to, json_t *requests)
{
	size_t i;
	json_t *r;
	json_array_foreach(requests, i, r)
	{
		json_t *task = json_object_get(r, "task");
		struct container *c = swarm_task_container(sw, task);
		struct container_log_query q = query_parse(json_object_get(r, "q"));
		struct container_log_entries es = {0};
		uint64_t off;
		json_t *msg =
		    json_pack("{s:s, s:O}", "op", "logs_data", "id", json_object_get(r, "id"));
		if (!c || container_log_read(sw->deps.containers, c, &q, &es, &off) < 0) {
			/* A task whose container is gone has no logs any more. */
			json_object_set_new(msg, "entries", json_array());
		} else {
			json_object_set_new(msg, "entries", task_logs_entries_json(&es));
			container_log_entries_free(&es);
		}
		if (to)
			rpc_call(sw->deps.loop, sw->client_ctx, to, msg, LOGS_NODE_MS, data_sent,
				 NULL);
		else
			json_decref(msg);
	}
}
