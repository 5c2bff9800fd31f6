/* GET /services/{id}/logs and /tasks/{id}/logs, as dockerd's swarmLogs:
 * the entries of every task of the service (or of the one task), each with
 * the details the docker CLI builds its "name.slot.id@node | " prefix from
 * (com.docker.swarm.node.id, service.id, task.id) when details=true,
 * multiplexed unless the service has a tty. Tasks on this node are read
 * from their containers; tasks elsewhere through the leader and their
 * node's agent (src/swarm/task_logs.h). With follow, the live output of
 * this node's running tasks follows the replay, tasks on other nodes are
 * asked again every second for what came since, new tasks of the service
 * are looked for every second, and the stream stays open until the client
 * leaves. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/containers_io.h"
#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "engine/container.h"
#include "swarm/services.h"
#include "swarm/task_logs.h"

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

struct slogs;
struct remote;

/* A followed container of a local task. */
struct sfollow {
	struct container_sub sub;
	struct sfollow *next;
	struct slogs *sl;
	char cid[DIGEST_HEX_LEN + 1];
	char details[256];
	uint64_t off;
	bool ended;
};

struct slogs {
	struct http_conn *conn;
	struct daemon *d;
	struct container_log_query q;
	bool timestamps, details, raw, follow;
	int pending; /* remote tasks still being read (or followed) */
	struct remote *remotes;
	bool closed; /* the client left (follow) */
	struct sfollow *follows;
	/* Following a service: tasks already shown, and the timer that looks
	 * for new ones (a restart, a scale-up, an update). */
	json_t *seen;
	char service_id[64];
	uv_timer_t *scan;
};

static void details_of(json_t *task, char *buf, size_t len)
{
	snprintf(buf, len,
		 "com.docker.swarm.node.id=%s,com.docker.swarm.service.id=%s,"
		 "com.docker.swarm.task.id=%s",
		 jstr(task, "NodeID") ?: "", jstr(task, "ServiceID") ?: "", jstr(task, "ID") ?: "");
}

static void write_entry(struct slogs *sl, const char *details, int stream, int64_t t,
			const char *data, size_t len)
{
	api_log_frame(sl->conn, false, sl->raw, stream, t, sl->timestamps,
		      sl->details ? details : NULL, data, len);
}

static void slogs_free(struct slogs *sl)
{
	while (sl->follows) {
		struct sfollow *f = sl->follows;
		sl->follows = f->next;
		free(f);
	}
	json_decref(sl->seen);
	http_conn_unref(sl->conn);
	free(sl);
}

/* Ends the answer once nothing more will come: no remote answer pending, and
 * nothing followed (a follower ends when the client leaves). */
static void slogs_maybe_end(struct slogs *sl)
{
	if (sl->pending > 0)
		return;
	if (sl->follow && !sl->closed)
		return;
	if (!sl->closed)
		http_stream_end(sl->conn);
	slogs_free(sl);
}

/* ---- this node's tasks ---- */

static void follow_output(struct container_sub *sub, int stream, int64_t t, uint64_t off,
			  const char *data, size_t len)
{
	struct sfollow *f = sub->userdata;
	if (off > f->off && container_log_wanted(&f->sl->q, stream, t))
		write_entry(f->sl, f->details, stream, t, data, len);
}

static void follow_end(struct container_sub *sub)
{
	struct sfollow *f = sub->userdata;
	f->ended = true;
}

static void follow(struct slogs *sl, struct container *c, const char *details, uint64_t off)
{
	struct sfollow *f = calloc(1, sizeof(*f));
	if (!f)
		return;
	*f = (struct sfollow){
	    .sub = {.on_output = follow_output, .on_end = follow_end, .userdata = f},
	    .next = sl->follows,
	    .sl = sl,
	    .off = off};
	memcpy(f->cid, c->id, sizeof(f->cid));
	snprintf(f->details, sizeof(f->details), "%s", details);
	sl->follows = f;
	container_subscribe(c, &f->sub);
}

static void local_task(struct slogs *sl, json_t *task, struct container *c)
{
	char details[256];
	details_of(task, details, sizeof(details));
	struct container_log_entries es;
	uint64_t off = 0;
	if (container_log_read(sl->d->containers, c, &sl->q, &es, &off) == 0) {
		for (size_t i = 0; i < es.n; i++)
			write_entry(sl, details, es.v[i].stream, es.v[i].t, es.v[i].data,
				    es.v[i].len);
		container_log_entries_free(&es);
	}
	if (sl->follow && c->state == CONTAINER_RUNNING)
		follow(sl, c, details, off);
}

/* ---- tasks on other nodes ---- */

/* A task on another node. Followed, it is asked again every
 * REMOTE_FOLLOW_MS for what came after its last entry (a poll through the
 * leader: nodes keep no stream open to managers). */
#define REMOTE_FOLLOW_MS 1000

struct remote {
	uv_timer_t timer;
	struct remote *next;
	struct slogs *sl;
	json_t *task;
	char details[256];
	int64_t last_t; /* of the newest entry sent */
	bool asking, answered, stopped;
};

static void remote_freed(uv_handle_t *h)
{
	struct remote *r = h->data;
	struct slogs *sl = r->sl;
	struct remote **pr = &sl->remotes;
	while (*pr != r)
		pr = &(*pr)->next;
	*pr = r->next;
	json_decref(r->task);
	free(r);
	sl->pending--;
	slogs_maybe_end(sl);
}

/* Once no call is in flight; the handle's close callback frees it. */
static void remote_end(struct remote *r)
{
	r->stopped = true;
	if (!r->asking && !uv_is_closing((uv_handle_t *)&r->timer))
		uv_close((uv_handle_t *)&r->timer, remote_freed);
}

static void remote_ask(struct remote *r);

static void remote_again(uv_timer_t *t)
{
	remote_ask(t->data);
}

static void remote_done(void *data, int status, json_t *entries, const char *msg)
{
	struct remote *r = data;
	struct slogs *sl = r->sl;
	r->asking = false;
	size_t i;
	json_t *e;
	/* A follower's later polls retry quietly (an election, a slow node). */
	if (status < 0 && !sl->closed && !r->answered) {
		char line[512];
		int n = snprintf(line, sizeof(line), "Error grabbing logs: %s\n", msg);
		/* dockerd's systemerr stream (3) carries errors inside a stream. */
		api_log_frame(sl->conn, false, sl->raw, 3, 0, false, NULL, line,
			      n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
	json_array_foreach(status == 0 && !sl->closed ? entries : NULL, i, e)
	{
		const char *d = jstr(e, "d");
		int64_t t = json_integer_value(json_object_get(e, "t"));
		if (!d)
			continue;
		write_entry(sl, r->details, (int)json_integer_value(json_object_get(e, "s")), t, d,
			    json_string_length(json_object_get(e, "d")));
		if (t > r->last_t)
			r->last_t = t;
	}
	r->answered = true;
	if (!sl->follow || sl->closed || r->stopped)
		remote_end(r);
	else
		uv_timer_start(&r->timer, remote_again, REMOTE_FOLLOW_MS, 0);
}

static void remote_ask(struct remote *r)
{
	struct slogs *sl = r->sl;
	struct container_log_query q = sl->q;
	if (r->answered)
		q.tail = -1; /* only what came after */
	if (r->last_t + 1 > q.since_ns)
		q.since_ns = r->last_t + 1;
	r->asking = true;
	swarm_task_logs_remote(sl->d->swarm, r->task, &q, remote_done, r);
}

static void remote_task(struct slogs *sl, json_t *task)
{
	struct remote *r = calloc(1, sizeof(*r));
	if (!r)
		return;
	r->sl = sl;
	r->task = json_incref(task);
	details_of(task, r->details, sizeof(r->details));
	uv_timer_init(sl->d->loop, &r->timer);
	r->timer.data = r;
	r->next = sl->remotes;
	sl->remotes = r;
	sl->pending++;
	remote_ask(r);
}

/* Shows the tasks not shown yet. A follower leaves a task on this node
 * whose container is not started yet for the next scan. */
static void add_tasks(struct slogs *sl, json_t *tasks)
{
	struct swarm *sw = sl->d->swarm;
	size_t i;
	json_t *t;
	json_array_foreach(tasks, i, t)
	{
		const char *id = jstr(t, "ID");
		if (!id || json_object_get(sl->seen, id))
			continue;
		if (strcmp(jstr(t, "NodeID"), sw->node_id) != 0) {
			remote_task(sl, t);
		} else {
			struct container *c = swarm_task_container(sw, t);
			if (!c || (sl->follow && c->state == CONTAINER_CREATED))
				continue;
			local_task(sl, t, c);
		}
		json_object_set_new(sl->seen, id, json_true());
	}
}

#define SCAN_MS 1000

static void scan_tick(uv_timer_t *timer)
{
	struct slogs *sl = timer->data;
	json_t *tasks = NULL;
	struct error err = ERROR_INIT;
	if (swarm_log_tasks(sl->d->swarm, sl->service_id, NULL, &tasks, &err) == 0)
		add_tasks(sl, tasks);
	error_clear(&err);
	json_decref(tasks);
}

static void scan_closed(uv_handle_t *h)
{
	struct slogs *sl = h->data;
	free(h);
	sl->scan = NULL;
	sl->pending--;
	slogs_maybe_end(sl);
}

static void scan_start(struct slogs *sl, const char *service_id)
{
	uv_timer_t *t = calloc(1, sizeof(*t));
	if (!t)
		return;
	snprintf(sl->service_id, sizeof(sl->service_id), "%s", service_id);
	uv_timer_init(sl->d->loop, t);
	t->data = sl;
	sl->scan = t;
	sl->pending++;
	uv_timer_start(t, scan_tick, SCAN_MS, SCAN_MS);
}

static void client_left(struct http_conn *conn, void *userdata)
{
	struct slogs *sl = userdata;
	sl->closed = true;
	for (struct sfollow *f = sl->follows; f; f = f->next) {
		struct container *c;
		if (!f->ended && containers_lookup(sl->d->containers, f->cid, &c, NULL) == 0)
			container_unsubscribe(c, &f->sub);
		f->ended = true;
	}
	for (struct remote *r = sl->remotes; r; r = r->next) {
		if (!r->stopped) {
			uv_timer_stop(&r->timer);
			remote_end(r);
		}
	}
	if (sl->scan && !uv_is_closing((uv_handle_t *)sl->scan))
		uv_close((uv_handle_t *)sl->scan, scan_closed);
	slogs_maybe_end(sl);
}

/* ---- the request ---- */

static bool query_or_reply(const struct api_request *ar, struct container_log_query *q)
{
	*q = (struct container_log_query){.out = http_request_query_bool(ar->req, "stdout"),
					  .err = http_request_query_bool(ar->req, "stderr"),
					  .tail = -1};
	if (!q->out && !q->err) {
		http_reply_error(ar->conn, 400,
				 "Bad parameters: you must choose at least one stream");
		return false;
	}
	return true;
}

/* tail and since, checked as dockerd's ServiceLogs does after the lookup. */
static bool window_or_reply(const struct api_request *ar, struct container_log_query *q)
{
	const char *tail = http_request_query(ar->req, "tail");
	if (tail && *tail && strcmp(tail, "all") != 0) {
		char *end;
		long t = strtol(tail, &end, 10);
		if (*end || end == tail) {
			http_reply_error(ar->conn, 400,
					 "tail value must be a positive integer or \"all\"");
			return false;
		}
		if (t < 0) {
			http_reply_error(ar->conn, 400, "negative tail values not supported");
			return false;
		}
		q->tail = t;
	}
	const char *since = http_request_query(ar->req, "since");
	if (since && *since && time_parse_api_timestamp(since, &q->since_ns) < 0) {
		http_reply_error(ar->conn, 400, "could not parse since timestamp: %s", since);
		return false;
	}
	return true;
}

static bool tty_of(json_t *svc, json_t *tasks)
{
	bool tty = json_is_true(json_object_get(
	    json_object_get(json_object_get(json_object_get(svc, "Spec"), "TaskTemplate"),
			    "ContainerSpec"),
	    "TTY"));
	size_t i;
	json_t *t;
	json_array_foreach(svc ? NULL : tasks, i, t)
	{
		json_t *cs = json_object_get(json_object_get(t, "Spec"), "ContainerSpec");
		tty = tty || json_is_true(json_object_get(cs, "TTY"));
	}
	return tty;
}

static void swarm_logs(const struct api_request *ar, const char *service, const char *task)
{
	struct container_log_query q;
	if (!query_or_reply(ar, &q))
		return;
	struct swarm *sw = ar->d->swarm;
	struct error err = ERROR_INIT;
	_cleanup_(json_decrefp) json_t *tasks = NULL, *svc = NULL;
	if ((service && swarm_service(sw, service, &svc, &err) < 0) ||
	    swarm_log_tasks(sw, service, task, &tasks, &err) < 0) {
		api_reply_err_clear(ar, &err);
		return;
	}
	if (!window_or_reply(ar, &q))
		return;
	struct slogs *sl = calloc(1, sizeof(*sl));
	if (!sl) {
		http_reply_error(ar->conn, 500, "out of memory");
		return;
	}
	*sl = (struct slogs){.conn = ar->conn,
			     .d = ar->d,
			     .q = q,
			     .timestamps = http_request_query_bool(ar->req, "timestamps"),
			     .details = http_request_query_bool(ar->req, "details"),
			     .follow = http_request_query_bool(ar->req, "follow"),
			     .raw = tty_of(svc, tasks),
			     .seen = json_object()};
	http_conn_ref(ar->conn);
	/* dockerd says multiplexed-stream from API 1.42 on; we speak 1.41. */
	http_stream_begin(ar->conn, 200, "application/vnd.docker.raw-stream");
	if (sl->follow)
		http_conn_on_close(ar->conn, client_left, sl);
	add_tasks(sl, tasks);
	if (sl->follow && svc)
		scan_start(sl, jstr(svc, "ID"));
	slogs_maybe_end(sl);
}

static void api_service_logs(const struct api_request *ar)
{
	swarm_logs(ar, route_param(ar->match, "id"), NULL);
}

static void api_task_logs(const struct api_request *ar)
{
	swarm_logs(ar, NULL, route_param(ar->match, "id"));
}

static const struct route routes[] = {
    {HTTP_GET, "/services/{id}/logs", api_service_logs},
    {HTTP_GET, "/tasks/{id}/logs", api_task_logs},
};

const struct api_routes api_service_log_routes = {routes, sizeof(routes) / sizeof(routes[0])};
