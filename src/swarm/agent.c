/* The agent every node runs: it long-polls the dispatcher for this node's
 * assignments, turns them into containers through the engine, and reports
 * task states back in batches (new reports go in their own request, so a
 * parked poll never holds them up). What runs is read from the engine each
 * tick (containers are found by name), so a restarted berthd picks up its
 * running tasks where they are. Containers of tasks no longer assigned go. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/log.h"
#include "basic/timeutil.h"
#include "engine/container.h"
#include "engine/health.h"
#include "engine/secret_mounts.h"
#include "image/image_store.h"
#include "image/registry_ops.h"
#include "network/network.h"
#include "orchestrator/task_state.h"
#include "shared/callback_sink.h"
#include "shared/events.h"
#include "swarm/netkeys.h"
#include "swarm/rpc.h"
#include "swarm/services.h"
#include "swarm/swarm_int.h"
#include "swarm/task_container.h"
#include "swarm/task_logs.h"
#include "swarm/task_networks.h"
#include "swarm/task_ports.h"
#include "swarm/task_secrets.h"
#include "image/images.h"

#define AGENT_RPC_MS 8000
#define AGENT_RETRY_MS 500
/* Overlay networks no longer used go this long after their last container. */
#define AGENT_NET_SYNC_MS 2000
/* Creating a container runs on the loop: a pass creates for at most this
 * long, then lets Raft and the API in and kicks the next pass. */
#define AGENT_CREATE_BUDGET_MS 20

struct agent {
	json_t *tasks; /* task ID -> task, as last assigned */
	/* ID -> base64 data of the secrets and configs of those tasks: in
	 * memory only, never written to this node's disk. */
	json_t *secrets, *configs;
	bool assigned;	  /* tasks holds a complete answer */
	json_t *networks; /* the overlay networks this node uses (task_networks.h) */
	json_t *netkeys;  /* their key ring when one is encrypted (netkeys.h) */
	int data_port;
	int64_t next_net_sync_ms; /* kernel state checked again then, or on a change */
	char digest[24];
	bool polling, reporting;
	int64_t next_poll_ms;
	json_t *outbox;		 /* task ID -> Status not sent yet */
	json_t *reported;	 /* task ID -> state name last sent */
	json_t *busy;		 /* task or container ID -> an engine operation runs */
	int64_t create_until_ms; /* this pass creates containers until then */
	bool more;		 /* creations left for the next pass */
	json_t *unhealthy;	 /* task ID -> stopped because its health check failed */
	json_t *pulled;		 /* task ID -> its image was pulled (or tried) */
	struct health_sub *health_sub;
	struct event_sub *exit_sub;
};

/* A task container's health changed: the next pass reports it at once. */
static void health_changed(struct containers *cs, const struct container *c,
			   enum health_status status, void *userdata)
{
	if (json_object_get(json_object_get(c->config, "Labels"), "com.docker.swarm.task.id"))
		swarm_kick(userdata);
}

/* A task container that exits is reported by the pass this kick runs,
 * not at the end of the tick's period: its address leaves DNS and the
 * balancers of every node as soon as the report commits. */
static void container_died(const struct event *ev, void *userdata)
{
	if (!strcmp(ev->type, "container") && !strcmp(ev->action, "die") &&
	    json_object_get(ev->attributes, "com.docker.swarm.task.id"))
		swarm_kick(userdata);
}

static struct agent *agent_of(struct swarm *sw)
{
	if (!sw->agent) {
		struct agent *a = calloc(1, sizeof(*a));
		if (!a)
			return NULL;
		a->tasks = json_object();
		a->secrets = json_object();
		a->configs = json_object();
		a->outbox = json_object();
		a->reported = json_object();
		a->busy = json_object();
		a->unhealthy = json_object();
		a->pulled = json_object();
		if (health_subscribe(sw->deps.containers, health_changed, sw, &a->health_sub) < 0 ||
		    event_log_subscribe(sw->deps.events, container_died, sw, &a->exit_sub) < 0) {
			sw->agent = a;
			swarm_agent_stop(sw);
			return NULL;
		}
		sw->agent = a;
	}
	return sw->agent;
}

void swarm_agent_stop(struct swarm *sw)
{
	struct agent *a = TAKE_PTR(sw->agent);
	if (!a)
		return;
	json_decref(a->tasks);
	json_decref(a->secrets);
	json_decref(a->configs);
	json_decref(a->networks);
	json_decref(a->netkeys);
	json_decref(a->outbox);
	json_decref(a->reported);
	json_decref(a->busy);
	json_decref(a->unhealthy);
	json_decref(a->pulled);
	health_unsubscribe(sw->deps.containers, a->health_sub);
	event_log_unsubscribe(sw->deps.events, a->exit_sub);
	free(a);
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static enum task_state store_state(json_t *t)
{
	return task_state_parse(jstr(json_object_get(t, "Status"), "State"));
}

/* Queues a report unless the store or an earlier report has it already. */
static void report(struct agent *a, json_t *t, enum task_state s, const char *msg, const char *err,
		   struct container *c)
{
	const char *id = jstr(t, "ID");
	const char *sent = jstr(a->reported, id);
	if (store_state(t) >= s || (sent && task_state_parse(sent) >= s))
		return;
	int64_t now = time_now_ns();
	char ts[64];
	time_format_rfc3339nano(now, ts, sizeof(ts));
	json_t *st = json_pack("{s:s, s:s, s:s, s:I}", "Timestamp", ts, "State", task_state_name(s),
			       "Message", msg, "_ns", (json_int_t)now);
	if (err)
		json_object_set_new(st, "Err", json_string(err));
	if (c)
		json_object_set_new(st, "ContainerStatus",
				    json_pack("{s:s, s:i, s:i}", "ContainerID", c->id, "PID",
					      c->state == CONTAINER_RUNNING ? c->pid : 0,
					      "ExitCode", c->exit_code));
	json_object_set_new(a->outbox, id, st);
	json_object_set_new(a->reported, id, json_string(task_state_name(s)));
}

/* Queues the report that t runs, with the host ports its container got. */
static void report_running(struct swarm *sw, struct agent *a, json_t *t, struct container *c)
{
	struct net_container nc;
	report(a, t, TASK_RUNNING, "started", NULL, c);
	json_t *st = json_object_get(a->outbox, jstr(t, "ID"));
	if (!st || !c || !json_object_get(t, "_ports") ||
	    strcmp(jstr(st, "State") ?: "", "running") != 0)
		return;
	json_t *settings = network_container_settings(sw->deps.networks, container_net(c, &nc));
	json_t *ps = task_port_status(t, json_object_get(settings, "Ports"));
	json_decref(settings);
	if (ps)
		json_object_set_new(st, "PortStatus", ps);
}

/* ---- engine operations ---- */

struct op {
	struct swarm *sw;
	char task[80]; /* task ID, or container ID for a removal */
	char cid[80];
};

static struct op *op_new(struct swarm *sw, struct agent *a, const char *key)
{
	struct op *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->sw = sw;
	snprintf(o->task, sizeof(o->task), "%s", key);
	json_object_set_new(a->busy, key, json_true());
	return o;
}

/* The operation's result is for the next pass to report or follow up. */
static void op_end(struct op *o)
{
	if (o->sw->agent)
		json_object_del(o->sw->agent->busy, o->task);
	swarm_kick(o->sw);
	free(o);
}

static void started(int r, const struct error *err, void *data)
{
	struct op *o = data;
	struct agent *a = o->sw->agent;
	json_t *t = a ? json_object_get(a->tasks, o->task) : NULL;
	struct container *c = NULL;
	containers_lookup(o->sw->deps.containers, o->cid, &c, NULL);
	if (t && r < 0) {
		char msg[512];
		snprintf(msg, sizeof(msg), "starting container failed: %s", error_msg(err));
		report(a, t, TASK_FAILED, "starting", msg, c);
	} else if (t && c && health_status_of(c) == HEALTH_NONE) {
		report_running(o->sw, a, t, c);
	}
	op_end(o);
}

static void reject(struct swarm *sw, struct agent *a, json_t *t, struct error *err)
{
	report(a, t, TASK_REJECTED, "preparing", error_msg(err), NULL);
	log_warn(sw->deps.log, "swarm: task %s rejected: %s", jstr(t, "ID"), error_msg(err));
	error_clear(err);
}

/* The task's secrets and configs as files of its container (also with
 * none: a container created before may hold older ones). */
static int mount_files(struct swarm *sw, struct agent *a, json_t *t, struct container *c,
		       struct error *err)
{
	struct task_files files = {0};
	int r = task_files_build(t, a->secrets, a->configs, &files, err);
	if (r == 0)
		r = container_secrets_set(sw->deps.containers, c, files.v, files.n, err);
	task_files_free(&files);
	return r;
}

static void pulled(void *data, const struct error *err)
{
	struct op *o = data;
	if (err)
		log_warn(o->sw->deps.log, "swarm: pulling the image of task %s failed: %s", o->task,
			 error_msg(err));
	if (o->sw->agent)
		json_object_set_new(o->sw->agent->pulled, o->task, json_true());
	op_end(o);
}

/* A task whose image this node lacks pulls it first (the task is preparing
 * meanwhile), with the registry credentials of its spec. As dockerd's
 * executor, a failed pull is only logged: the create that follows rejects
 * the task with "No such image". True while the pull runs. */
static bool pull_first(struct swarm *sw, struct agent *a, json_t *t)
{
	const char *id = jstr(t, "ID");
	json_t *cs = json_object_get(json_object_get(t, "Spec"), "ContainerSpec");
	const char *image = jstr(cs, "Image");
	struct image *img;
	if (!image || json_object_get(a->pulled, id) ||
	    image_store_lookup(sw->deps.images->store, image, &img, NULL) != -ENOENT)
		return false;
	struct op *o = op_new(sw, a, id);
	if (!o)
		return false;
	struct byte_sink *out = callback_sink_new(pulled, o);
	if (!out) {
		op_end(o);
		return false;
	}
	report(a, t, TASK_PREPARING, "preparing", NULL, NULL);
	struct pull_opts po = {
	    .from_image = image,
	    .auth = jstr(json_object_get(cs, "PullOptions"), "RegistryAuth"),
	};
	image_pull(sw->deps.images, out, &po);
	return true;
}

static void start_task(struct swarm *sw, struct agent *a, json_t *t)
{
	char name[256];
	task_container_name(t, name, sizeof(name));
	struct container *c = NULL;
	if (containers_lookup(sw->deps.containers, name, &c, NULL) < 0) {
		if (swarm_now_ms() >= a->create_until_ms) {
			a->more = true;
			return;
		}
		if (pull_first(sw, a, t))
			return;
		json_t *node = json_object_get(sw->store.nodes, sw->node_id);
		char host[256] = "";
		gethostname(host, sizeof(host) - 1);
		json_t *body = task_container_body(
		    t, sw->node_id, jstr(json_object_get(node, "Description"), "Hostname") ?: host);
		if (task_networks_config(a->networks, t, body) == -EAGAIN) {
			json_decref(body); /* its addresses are not allocated yet */
			return;
		}
		json_t *warnings = json_array();
		struct error err = ERROR_INIT;
		report(a, t, TASK_PREPARING, "preparing", NULL, NULL);
		int r = container_create(sw->deps.containers, name, body, &c, warnings, &err);
		json_decref(body);
		json_decref(warnings);
		if (r < 0) {
			reject(sw, a, t, &err);
			return;
		}
	}
	struct error err = ERROR_INIT;
	if (mount_files(sw, a, t, c, &err) < 0) {
		reject(sw, a, t, &err);
		return;
	}
	report(a, t, TASK_STARTING, "starting", NULL, c);
	struct op *o = op_new(sw, a, jstr(t, "ID"));
	if (!o)
		return;
	snprintf(o->cid, sizeof(o->cid), "%s", c->id);
	container_start(sw->deps.containers, c, started, o);
}

static void stopped(int r, const struct error *err, void *data)
{
	struct op *o = data;
	struct agent *a = o->sw->agent;
	json_t *t = a ? json_object_get(a->tasks, o->task) : NULL;
	struct container *c = NULL;
	containers_lookup(o->sw->deps.containers, o->cid, &c, NULL);
	if (t)
		report(a, t, TASK_SHUTDOWN, "shutdown", NULL, c);
	op_end(o);
}

static void op_done(int r, const struct error *err, void *data)
{
	op_end(data);
}

/* Stops t's container within its StopGracePeriod; done gets the op. */
static void stop_task_container(struct swarm *sw, struct agent *a, json_t *t, struct container *c,
				container_done_fn done)
{
	struct op *o = op_new(sw, a, jstr(t, "ID"));
	if (!o)
		return;
	snprintf(o->cid, sizeof(o->cid), "%s", c->id);
	json_t *grace = json_object_get(
	    json_object_get(json_object_get(t, "Spec"), "ContainerSpec"), "StopGracePeriod");
	container_stop(sw->deps.containers, c,
		       json_is_integer(grace) ? (int)(json_integer_value(grace) / 1000000000) : -1,
		       NULL, done, o);
}

/* A container with a health check is a running task once it is healthy
 * (until then the task stays starting, so an update waits for it); one
 * that turns unhealthy is stopped and its task fails, as dockerd's
 * executor does. */
static void follow_health(struct swarm *sw, struct agent *a, json_t *t, struct container *c)
{
	switch (health_status_of(c)) {
	case HEALTH_STARTING:
		return;
	case HEALTH_UNHEALTHY:
		json_object_set_new(a->unhealthy, jstr(t, "ID"), json_true());
		stop_task_container(sw, a, t, c, op_done);
		return;
	default:
		report_running(sw, a, t, c);
	}
}

static void remove_container(struct swarm *sw, struct agent *a, struct container *c)
{
	if (json_object_get(a->busy, c->id))
		return;
	struct op *o = op_new(sw, a, c->id);
	if (o)
		container_remove(sw->deps.containers, c, true, false, op_done, o);
}

/* ---- reconciling ---- */

static void finished(struct agent *a, json_t *t, struct container *c)
{
	if (c->exit_code == 0) {
		report(a, t, TASK_COMPLETE, "finished", NULL, c);
		return;
	}
	char err[96];
	snprintf(err, sizeof(err), "task: non-zero exit (%d)%s", c->exit_code,
		 json_object_get(a->unhealthy, jstr(t, "ID")) ? ": dockerexec: unhealthy container"
							      : "");
	report(a, t, TASK_FAILED, "started", err, c);
}

static void reconcile_task(struct swarm *sw, struct agent *a, json_t *t)
{
	const char *id = jstr(t, "ID");
	if (json_object_get(a->busy, id))
		return;
	char name[256];
	task_container_name(t, name, sizeof(name));
	struct container *c = NULL;
	containers_lookup(sw->deps.containers, name, &c, NULL);
	enum task_state want = task_state_parse(jstr(t, "DesiredState"));
	enum task_state have = store_state(t);
	const char *sent = jstr(a->reported, id);
	if (sent && task_state_parse(sent) > have)
		have = task_state_parse(sent);
	if (want <= TASK_RUNNING) {
		if (task_state_final(have))
			return;
		if (!c || c->state == CONTAINER_CREATED)
			start_task(sw, a, t);
		else if (c->state == CONTAINER_RUNNING)
			follow_health(sw, a, t, c);
		else
			finished(a, t, c);
		return;
	}
	if (c && c->state == CONTAINER_RUNNING) {
		stop_task_container(sw, a, t, c, stopped);
		return;
	}
	if (!task_state_final(have))
		report(a, t, TASK_SHUTDOWN, "shutdown", NULL, c);
	if (c && want >= TASK_REMOVE)
		remove_container(sw, a, c);
}

/* The IDs of this node's task containers whose task is not in keep (NULL:
 * all of them); collected first, as removing changes the engine's list. */
static json_t *task_containers(struct swarm *sw, json_t *keep)
{
	json_t *ids = json_array();
	for (size_t i = 0; i < containers_count(sw->deps.containers); i++) {
		struct container *c = containers_at(sw->deps.containers, i);
		json_t *labels = json_object_get(c->config, "Labels");
		const char *tid = jstr(labels, "com.docker.swarm.task.id");
		if (tid && !c->removing && (!keep || !json_object_get(keep, tid)))
			json_array_append_new(ids, json_string(c->id));
	}
	return ids;
}

/* Containers of tasks this node no longer has go away. */
static void remove_strays(struct swarm *sw, struct agent *a)
{
	json_t *ids = task_containers(sw, a->tasks);
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		struct container *c = NULL;
		if (containers_lookup(sw->deps.containers, json_string_value(id), &c, NULL) == 0)
			remove_container(sw, a, c);
	}
	json_decref(ids);
}

static void left_removed(int r, const struct error *err, void *data) {}

void swarm_agent_remove_tasks(struct swarm *sw)
{
	json_t *ids = task_containers(sw, NULL);
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		struct container *c = NULL;
		if (containers_lookup(sw->deps.containers, json_string_value(id), &c, NULL) == 0)
			container_remove(sw->deps.containers, c, true, false, left_removed, NULL);
	}
	json_decref(ids);
}

/* ---- talking to the dispatcher ---- */

/* map becomes ID -> Data of the list the dispatcher sent. */
static void keep_data(json_t *map, json_t *list)
{
	json_object_clear(map);
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
	{
		const char *id = jstr(v, "ID");
		json_t *data = json_object_get(v, "Data");
		if (id && json_is_string(data))
			json_object_set(map, id, data);
	}
}

/* Takes the dispatcher's answer; new assignments are acted on at once. */
static void take_assignments(struct swarm *sw, struct agent *a, json_t *resp)
{
	json_t *tasks = json_object_get(resp, "tasks");
	const char *digest = jstr(resp, "digest");
	if (!json_is_array(tasks) || !digest)
		return;
	if (strcmp(digest, a->digest) != 0)
		swarm_kick(sw);
	json_object_clear(a->tasks);
	size_t i;
	json_t *t;
	json_array_foreach(tasks, i, t) json_object_set(a->tasks, jstr(t, "ID"), t);
	keep_data(a->secrets, json_object_get(resp, "secrets"));
	keep_data(a->configs, json_object_get(resp, "configs"));
	if (!json_equal(a->networks, json_object_get(resp, "networks")) ||
	    !json_equal(a->netkeys, json_object_get(resp, "netkeys")))
		a->next_net_sync_ms = 0;
	json_decref(a->netkeys);
	a->netkeys = json_incref(json_object_get(resp, "netkeys"));
	json_decref(a->networks);
	a->networks = json_incref(json_object_get(resp, "networks"));
	a->data_port = (int)json_integer_value(json_object_get(resp, "data_path_port"));
	/* What the store has now needs no memory of what was sent. */
	const char *id;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(a->reported, tmp, id, v)
	{
		json_t *st = json_object_get(a->tasks, id);
		if (!st || store_state(st) >= task_state_parse(json_string_value(v)))
			json_object_del(a->reported, id);
	}
	json_object_foreach_safe(a->unhealthy, tmp, id, v)
	{
		if (!json_object_get(a->tasks, id))
			json_object_del(a->unhealthy, id);
	}
	json_object_foreach_safe(a->pulled, tmp, id, v)
	{
		if (!json_object_get(a->tasks, id))
			json_object_del(a->pulled, id);
	}
	snprintf(a->digest, sizeof(a->digest), "%s", digest);
	a->assigned = true;
}

static void polled(void *data, int status, json_t *resp, const char *msg)
{
	struct swarm *sw = data;
	struct agent *a = sw->agent;
	if (!a)
		return;
	a->polling = false;
	if (status < 0) {
		a->next_poll_ms = swarm_now_ms() + AGENT_RETRY_MS;
		if (!sw->raft)
			swarm_dispatcher_failed(sw);
		return;
	}
	take_assignments(sw, a, resp);
	task_logs_serve(sw, swarm_dispatcher_addr(sw), json_object_get(resp, "logs"));
}

struct sent_reports {
	struct swarm *sw;
	json_t *batch; /* task ID -> Status */
};

static void reports_sent(void *data, int status, json_t *resp, const char *msg)
{
	struct sent_reports *sr = data;
	struct agent *a = sr->sw->agent;
	if (a) {
		a->reporting = false;
		if (status < 0) {
			/* Sent again at the next tick (not kicked: a leader
			 * that is gone refuses at once), unless a newer report
			 * replaced it. */
			const char *id;
			json_t *st;
			json_object_foreach(sr->batch, id, st)
			{
				if (!json_object_get(a->outbox, id))
					json_object_set(a->outbox, id, st);
			}
		} else {
			take_assignments(sr->sw, a, resp);
			task_logs_serve(sr->sw, swarm_dispatcher_addr(sr->sw),
					json_object_get(resp, "logs"));
		}
		if (status >= 0 && json_object_size(a->outbox))
			swarm_kick(sr->sw);
	}
	json_decref(sr->batch);
	free(sr);
}

static void send_reports(struct swarm *sw, struct agent *a, const char *to)
{
	struct sent_reports *sr = calloc(1, sizeof(*sr));
	if (!sr)
		return;
	sr->sw = sw;
	sr->batch = a->outbox;
	a->outbox = json_object();
	json_t *list = json_array();
	const char *id;
	json_t *st;
	json_object_foreach(sr->batch, id, st)
	    json_array_append_new(list, json_pack("{s:s, s:O}", "ID", id, "Status", st));
	a->reporting = true;
	rpc_call(sw->deps.loop, sw->client_ctx, to,
		 json_pack("{s:s, s:o, s:b}", "op", "tasks", "reports", list, "now", true),
		 AGENT_RPC_MS, reports_sent, sr);
}

void swarm_agent_tick(struct swarm *sw)
{
	struct agent *a = agent_of(sw);
	if (!a || !sw->client_ctx)
		return;
	a->create_until_ms = swarm_now_ms() + AGENT_CREATE_BUDGET_MS;
	a->more = false;
	if (a->assigned) {
		const char *id;
		json_t *t;
		containers_restart_attached(sw->deps.containers);
		if (swarm_now_ms() >= a->next_net_sync_ms) {
			task_networks_sync(sw, a->networks, a->data_port);
			netkeys_program(sw, a->networks, a->netkeys, a->data_port);
			a->next_net_sync_ms = swarm_now_ms() + AGENT_NET_SYNC_MS;
		}
		json_object_foreach(a->tasks, id, t) reconcile_task(sw, a, t);
		remove_strays(sw, a);
		if (a->more)
			swarm_kick(sw);
	}
	const char *to = swarm_dispatcher_addr(sw);
	if (!to)
		return;
	if (!a->reporting && json_object_size(a->outbox))
		send_reports(sw, a, to);
	if (!a->polling && swarm_now_ms() >= a->next_poll_ms) {
		a->polling = true;
		rpc_call(sw->deps.loop, sw->client_ctx, to,
			 json_pack("{s:s, s:s}", "op", "tasks", "digest", a->digest), AGENT_RPC_MS,
			 polled, sw);
	}
}
