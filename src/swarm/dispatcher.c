/* The dispatcher on the leader: each node's agent asks for its assignments
 * ("tasks" RPC) with the digest of what it has, and sends status reports in
 * batches. Reports from a node touch only that node's tasks and are
 * committed before the answer. A request whose node has nothing new is
 * parked until its assignments change or DISPATCH_PARK_MS pass (a long
 * poll), so assignments reach a node within a tick of their commit. A
 * parked request whose node sent it itself (not relayed by a follower)
 * tells when that node goes away: its connection closing unanswered is
 * noted in sw->lost for the leader's liveness decision, and any request
 * of its own counts as contact in sw->last_seen. With
 * the tasks go the secrets and configs those tasks use, and only those (as
 * swarmkit's dispatcher sends them). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "orchestrator/task_state.h"
#include "swarm/ca.h"
#include "swarm/netkeys.h"
#include "swarm/rpc.h"
#include "swarm/services.h"
#include "swarm/store_secrets.h"
#include "swarm/swarm_int.h"
#include "swarm/task_logs.h"
#include "swarm/task_networks.h"

/* Below the relay timeout of a follower forwarding the request. */
#define DISPATCH_PARK_MS 4000

struct parked {
	struct mtls_conn *c;
	char node[65];
	char digest[24];
	int64_t deadline_ms;
	bool direct; /* from the node itself: its closing says it is gone */
};

struct dispatcher {
	struct parked *v;
	size_t n, cap;
};

static void hash_str(uint64_t *h, const char *s)
{
	for (const char *p = s; *p; p++)
		*h = (*h ^ (unsigned char)*p) * 1099511628211ULL;
}

static int64_t version_of(json_t *obj)
{
	return json_integer_value(json_object_get(json_object_get(obj, "Version"), "Index"));
}

/* swarmkit's rule for a task's secrets and configs: sent once the task is
 * assigned, until it is over and meant to be (a task that will not run
 * again needs none). */
static bool needs_dependencies(json_t *t)
{
	enum task_state state = task_state_parse(
	    json_string_value(json_object_get(json_object_get(t, "Status"), "State")));
	enum task_state want =
	    task_state_parse(json_string_value(json_object_get(t, "DesiredState")));
	return state >= TASK_ASSIGNED && !(want > TASK_RUNNING && state > TASK_RUNNING);
}

/* Adds to deps (ID -> {ID, Data}) the secrets or configs t refers to. */
static void add_dependencies(struct swarm *sw, json_t *t, enum store_kind k, json_t *deps)
{
	json_t *cs = json_object_get(json_object_get(t, "Spec"), "ContainerSpec");
	json_t *refs = json_object_get(cs, k == STORE_SECRET ? "Secrets" : "Configs");
	size_t i;
	json_t *ref;
	json_array_foreach(refs, i, ref)
	{
		const char *id = json_string_value(
		    json_object_get(ref, k == STORE_SECRET ? "SecretID" : "ConfigID"));
		json_t *obj = id ? json_object_get(store_objects(&sw->store, k), id) : NULL;
		const char *data = store_object_data(obj, k);
		if (data && !json_object_get(deps, id))
			json_object_set_new(deps, id,
					    json_pack("{s:s, s:s, s:I}", "ID", id, "Data", data,
						      "Version", (json_int_t)version_of(obj)));
	}
}

static json_t *values_hashed(json_t *map, uint64_t *h)
{
	json_t *out = json_array();
	const char *id;
	json_t *v;
	json_object_foreach(map, id, v)
	{
		char s[128];
		snprintf(s, sizeof(s), "%s:%lld;", id,
			 (long long)json_integer_value(json_object_get(v, "Version")));
		hash_str(h, s);
		json_object_del(v, "Version");
		json_array_append(out, v);
	}
	return out;
}

/* The node's assignments: its tasks as stored (private fields included:
 * the agent needs the service name), the secrets and configs (with their
 * data) of those of its tasks that may run, and their digest. */
static json_t *assignments(struct swarm *sw, const char *node, char digest[24])
{
	json_t *tasks = json_array();
	json_t *secrets = json_object(), *configs = json_object();
	uint64_t h = 1469598103934665603ULL;
	const char *id;
	json_t *t;
	json_object_foreach(sw->store.tasks, id, t)
	{
		const char *n = json_string_value(json_object_get(t, "NodeID"));
		if (!n || strcmp(n, node) != 0)
			continue;
		json_array_append(tasks, t);
		char v[128];
		snprintf(v, sizeof(v), "%s:%lld;", id, (long long)version_of(t));
		hash_str(&h, v);
		if (needs_dependencies(t)) {
			add_dependencies(sw, t, STORE_SECRET, secrets);
			add_dependencies(sw, t, STORE_CONFIG, configs);
		}
	}
	hash_str(&h, "secrets;");
	json_t *out =
	    json_pack("{s:o, s:o}", "tasks", tasks, "secrets", values_hashed(secrets, &h));
	hash_str(&h, "configs;");
	json_object_set_new(out, "configs", values_hashed(configs, &h));
	hash_str(&h, "networks;");
	json_t *networks = task_networks_for_node(sw, node, &h);
	json_object_set_new(out, "networks", networks);
	json_t *ring = netkeys_for_node(sw, networks);
	if (ring) {
		char *text = json_dumps(ring, JSON_COMPACT);
		hash_str(&h, "netkeys;");
		if (text)
			hash_str(&h, text);
		free(text);
		json_object_set_new(out, "netkeys", ring);
	}
	json_object_set_new(out, "data_path_port", json_integer(task_networks_port(sw)));
	json_decref(secrets);
	json_decref(configs);
	snprintf(digest, 24, "%016llx", (unsigned long long)h);
	return out;
}

/* Secrets travel only in these answers, over the mutual TLS of port 2377
 * (to the node itself or relayed by a follower), and are never logged. */
static void answer(struct swarm *sw, struct mtls_conn *c, const char *node)
{
	char digest[24];
	json_t *out = assignments(sw, node, digest);
	json_object_set_new(out, "digest", json_string(digest));
	json_t *logs = task_logs_take(sw, node);
	if (logs)
		json_object_set_new(out, "logs", logs);
	rpc_reply(c, 0, out, NULL);
}

static void park(struct swarm *sw, struct mtls_conn *c, const char *node, const char *digest,
		 bool direct)
{
	struct dispatcher *d = sw->dispatcher;
	if (!d && !(d = sw->dispatcher = calloc(1, sizeof(*d)))) {
		answer(sw, c, node);
		return;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct parked *v = realloc(d->v, cap * sizeof(*v));
		if (!v) {
			answer(sw, c, node);
			return;
		}
		d->v = v, d->cap = cap;
	}
	struct parked *p = &d->v[d->n++];
	p->c = c;
	mtls_ref(c);
	snprintf(p->node, sizeof(p->node), "%s", node);
	snprintf(p->digest, sizeof(p->digest), "%s", digest);
	p->deadline_ms = swarm_now_ms() + DISPATCH_PARK_MS;
	p->direct = direct;
}

struct report_ctx {
	struct swarm *sw;
	struct mtls_conn *c;
	char node[65];
};

static void reports_written(void *data, int status, json_t *res, const char *msg)
{
	struct report_ctx *rc = data;
	if (status < 0)
		rpc_reply(rc->c, status, NULL, msg);
	else
		answer(rc->sw, rc->c, rc->node);
	mtls_unref(rc->c);
	free(rc);
}

/* Keeps the reports about the node's own tasks, as patches of Status. */
static json_t *own_reports(struct swarm *sw, json_t *reports, const char *node)
{
	json_t *out = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(reports, i, r)
	{
		const char *id = json_string_value(json_object_get(r, "ID"));
		json_t *t = id ? json_object_get(sw->store.tasks, id) : NULL;
		const char *n = json_string_value(json_object_get(t, "NodeID"));
		json_t *st = json_object_get(r, "Status");
		if (n && strcmp(n, node) == 0 && json_is_object(st))
			json_array_append_new(out, json_pack("{s:s, s:O}", "ID", id, "Status", st));
	}
	return out;
}

void dispatcher_rpc(struct swarm *sw, struct mtls_conn *c, json_t *req,
		    const struct cert_identity *who)
{
	bool direct = !json_object_get(req, "_as");
	if (direct && json_object_get(sw->store.nodes, who->node_id))
		json_object_set_new(sw->last_seen, who->node_id, json_integer(swarm_now_ms()));
	json_t *reports = own_reports(sw, json_object_get(req, "reports"), who->node_id);
	if (json_array_size(reports)) {
		struct report_ctx *rc = calloc(1, sizeof(*rc));
		if (!rc) {
			json_decref(reports);
			rpc_reply(c, -ENOMEM, NULL, "out of memory");
			return;
		}
		rc->sw = sw;
		rc->c = c;
		mtls_ref(c);
		snprintf(rc->node, sizeof(rc->node), "%s", who->node_id);
		swarm_write(sw, swarm_cmd("tasks", reports), reports_written, rc);
		return;
	}
	json_decref(reports);
	const char *have = json_string_value(json_object_get(req, "digest"));
	char digest[24];
	json_decref(assignments(sw, who->node_id, digest));
	if (!have || strcmp(have, digest) != 0 || json_is_true(json_object_get(req, "now")) ||
	    task_logs_waiting(sw, who->node_id))
		answer(sw, c, who->node_id);
	else
		park(sw, c, who->node_id, digest, direct);
}

void dispatcher_conn_closed(struct swarm *sw, struct mtls_conn *c)
{
	struct dispatcher *d = sw->dispatcher;
	for (size_t i = 0; d && i < d->n; i++) {
		struct parked *p = &d->v[i];
		if (p->c != c)
			continue;
		if (p->direct)
			json_object_set_new(sw->lost, p->node, json_integer(swarm_now_ms()));
		mtls_unref(p->c);
		d->v[i] = d->v[--d->n];
		return;
	}
}

void dispatcher_wake(struct swarm *sw, const char *node)
{
	struct dispatcher *d = sw->dispatcher;
	for (size_t i = 0; d && i < d->n;) {
		struct parked *p = &d->v[i];
		if (strcmp(p->node, node) != 0) {
			i++;
			continue;
		}
		answer(sw, p->c, p->node);
		mtls_unref(p->c);
		d->v[i] = d->v[--d->n];
	}
}

void dispatcher_tick(struct swarm *sw)
{
	task_logs_tick(sw, false);
	struct dispatcher *d = sw->dispatcher;
	int64_t now = swarm_now_ms();
	for (size_t i = 0; d && i < d->n;) {
		struct parked *p = &d->v[i];
		char digest[24];
		json_decref(assignments(sw, p->node, digest));
		if (now < p->deadline_ms && strcmp(digest, p->digest) == 0) {
			i++;
			continue;
		}
		answer(sw, p->c, p->node);
		mtls_unref(p->c);
		d->v[i] = d->v[--d->n];
	}
}

void dispatcher_stop(struct swarm *sw)
{
	struct dispatcher *d = TAKE_PTR(sw->dispatcher);
	task_logs_tick(sw, true);
	for (size_t i = 0; d && i < d->n; i++) {
		rpc_reply(d->v[i].c, -EAGAIN, NULL, SWARM_NO_LEADER_MSG);
		mtls_unref(d->v[i].c);
	}
	if (d)
		free(d->v);
	free(d);
}
