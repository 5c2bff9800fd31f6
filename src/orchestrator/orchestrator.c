/* One round of the leader's decisions (see orchestrator.h): the working
 * view, the replicated and global orchestrators, removed services, history
 * trimming; restart.c, update.c and scheduler.c do the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/timeutil.h"
#include "orchestrator/constraint.h"
#include "orchestrator/orch_int.h"

#define DEFAULT_HISTORY 5

/* ---- field access ---- */

const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int64_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

json_t *jpath(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	return b ? json_object_get(v, b) : v;
}

int64_t duration_ns(json_t *o, const char *k, int64_t dflt)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

enum task_state t_state(json_t *t)
{
	return task_state_parse(json_string_value(jpath(t, "Status", "State")));
}

enum task_state t_desired(json_t *t)
{
	return task_state_parse(jstr(t, "DesiredState"));
}

bool t_live(json_t *t)
{
	return t_desired(t) <= TASK_RUNNING;
}

int64_t t_status_ns(json_t *t)
{
	return json_integer_value(jpath(t, "Status", "_ns"));
}

json_t *t_node(struct round *r, json_t *t)
{
	const char *n = jstr(t, "NodeID");
	return n && *n ? json_object_get(r->in->nodes, n) : NULL;
}

bool node_up(json_t *node)
{
	const char *s = json_string_value(jpath(node, "Status", "State"));
	return node && s && strcmp(s, "ready") == 0;
}

const char *node_availability(json_t *node)
{
	return json_string_value(jpath(node, "Spec", "Availability")) ?: "active";
}

bool t_lost(struct round *r, json_t *t)
{
	const char *n = jstr(t, "NodeID");
	return n && *n && !node_up(t_node(r, t));
}

/* ---- the working view ---- */

json_t *r_service(struct round *r, const char *id)
{
	json_t *s = json_object_get(r->services, id);
	return s ? s : json_object_get(r->in->services, id);
}

void r_write_service(struct round *r, json_t *svc)
{
	json_object_set_new(r->services, jstr(svc, "ID"), svc);
}

void r_set(struct round *r, const char *id, const char *key, json_t *value)
{
	json_t *patch = json_object_get(r->patches, id);
	if (!patch) {
		patch = json_pack("{s:s}", "ID", id);
		json_object_set_new(r->patches, id, patch);
		json_object_set_new(r->work, id, json_deep_copy(json_object_get(r->work, id)));
	}
	json_object_set(json_object_get(r->work, id), key, value);
	json_object_set_new(patch, key, value);
}

void r_set_desired(struct round *r, json_t *t, enum task_state s)
{
	if (t_desired(t) == s)
		return;
	r_set(r, jstr(t, "ID"), "DesiredState", json_string(task_state_name(s)));
}

void r_set_status(struct round *r, json_t *t, enum task_state s, const char *msg, const char *err)
{
	char ts[64];
	time_format_rfc3339nano(r->in->now_ns, ts, sizeof(ts));
	json_t *st = json_pack("{s:s, s:s, s:s, s:I}", "Timestamp", ts, "State", task_state_name(s),
			       "Message", msg, "_ns", (json_int_t)r->in->now_ns);
	if (err)
		json_object_set_new(st, "Err", json_string(err));
	r_set(r, jstr(t, "ID"), "Status", st);
}

json_t *r_new_task(struct round *r, json_t *svc, int slot, const char *node, json_t *restarts)
{
	char id[26], ts[64];
	r->in->new_id(id, r->in->id_ctx);
	json_t *tmpl = jpath(svc, "Spec", "TaskTemplate");
	time_format_rfc3339nano(r->in->now_ns, ts, sizeof(ts));
	json_t *t = json_pack(
	    "{s:s, s:{}, s:O, s:s, s:{s:s, s:s, s:s, s:I}, s:s, s:I, s:o}", "ID", id, "Labels",
	    "Spec", tmpl ? tmpl : json_null(), "ServiceID", jstr(svc, "ID"), "Status", "Timestamp",
	    ts, "State", "pending", "Message", "pending task scheduling", "_ns",
	    (json_int_t)r->in->now_ns, "DesiredState", "running", "_created_ns",
	    (json_int_t)r->in->now_ns, "_restarts", restarts ? restarts : json_array());
	if (slot >= 0)
		json_object_set_new(t, "Slot", json_integer(slot));
	json_t *iter = jpath(json_object_get(svc, "JobStatus"), "JobIteration", NULL);
	if (iter)
		json_object_set(t, "JobIteration", iter);
	if (node)
		json_object_set_new(t, "NodeID", json_string(node));
	json_t *ports = json_object_get(jpath(svc, "Spec", "EndpointSpec"), "Ports");
	if (json_array_size(ports))
		json_object_set(t, "_ports", ports);
	json_object_set_new(
	    t, "_service_name",
	    json_string(json_string_value(jpath(jpath(svc, "Spec", NULL), "Name", NULL)) ?: ""));
	json_object_set(r->work, id, t);
	json_object_set_new(r->patches, id, t);
	return t;
}

/* ---- helpers over a service ---- */

const char *orch_service_mode(json_t *svc)
{
	json_t *m = jpath(svc, "Spec", "Mode");
	if (json_object_get(m, "Global"))
		return "global";
	if (json_object_get(m, "ReplicatedJob"))
		return "replicated-job";
	if (json_object_get(m, "GlobalJob"))
		return "global-job";
	return "replicated";
}

/* The published ports count too, as in SwarmKit's IsTaskDirty: a task
 * publishes what its service published when it was made. */
bool orch_task_up_to_date(json_t *svc, json_t *t)
{
	json_t *want = json_object_get(jpath(svc, "Spec", "EndpointSpec"), "Ports");
	json_t *have = json_object_get(t, "_ports");
	if (json_array_size(want) || json_array_size(have))
		if (!want || !have || !json_equal(want, have))
			return false;
	return json_equal(jpath(svc, "Spec", "TaskTemplate"), json_object_get(t, "Spec"));
}

static int64_t replicas_of(json_t *svc)
{
	json_t *r = jpath(jpath(svc, "Spec", "Mode"), "Replicated", "Replicas");
	return json_is_integer(r) ? json_integer_value(r) : 1;
}

bool node_eligible(json_t *node, json_t *svc)
{
	if (!node_up(node) || strcmp(node_availability(node), "active") != 0)
		return false;
	json_t *cs = jpath(jpath(svc, "Spec", "TaskTemplate"), "Placement", NULL);
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(cs, "Constraints"), i,
			   c) if (!constraint_matches(json_string_value(c), node)) return false;
	return true;
}

/* ---- one slot ---- */

static json_t *task_at(struct round *r, json_t *ids, size_t i)
{
	return json_object_get(r->work, json_string_value(json_array_get(ids, i)));
}

/* Still running where it is, though told to stop: a stop-first slot waits. */
static bool in_the_way(struct round *r, json_t *t)
{
	json_t *node = t_node(r, t);
	return !t_live(t) && !task_state_final(t_state(t)) && t_state(t) >= TASK_ASSIGNED &&
	       node_up(node) && strcmp(node_availability(node), "drain") != 0;
}

static json_t *newest(struct round *r, json_t *ids)
{
	json_t *best = NULL;
	for (size_t i = 0; i < json_array_size(ids); i++) {
		json_t *t = task_at(r, ids, i);
		if (!best || jint(t, "_created_ns") > jint(best, "_created_ns"))
			best = t;
	}
	return best;
}

/* Stops what must stop in a slot; want says whether the slot should run. */
static void settle_slot(struct round *r, json_t *svc, json_t *ids, bool want)
{
	for (size_t i = 0; i < json_array_size(ids); i++) {
		json_t *t = task_at(r, ids, i);
		if (!t_live(t))
			continue;
		json_t *node = t_node(r, t);
		bool drained = node && strcmp(node_availability(node), "drain") == 0;
		if (!want || t_lost(r, t) || drained || task_state_final(t_state(t)))
			r_set_desired(r, t, TASK_SHUTDOWN);
	}
	/* Start-first overlap (update or rebalancing): once the newest task
	 * of the current spec runs, the older others of the slot stop; a newer
	 * one still starting (a move's) is on its way to replace it. */
	json_t *clean_running = NULL;
	for (size_t i = 0; i < json_array_size(ids); i++) {
		json_t *t = task_at(r, ids, i);
		if (t_live(t) && t_state(t) == TASK_RUNNING && orch_task_up_to_date(svc, t) &&
		    (!clean_running || jint(t, "_created_ns") > jint(clean_running, "_created_ns")))
			clean_running = t;
	}
	for (size_t i = 0; clean_running && i < json_array_size(ids); i++) {
		json_t *t = task_at(r, ids, i);
		if (t != clean_running && t_live(t) &&
		    jint(t, "_created_ns") < jint(clean_running, "_created_ns"))
			r_set_desired(r, t, TASK_SHUTDOWN);
	}
}

static size_t live_count(struct round *r, json_t *ids)
{
	size_t n = 0;
	for (size_t i = 0; i < json_array_size(ids); i++)
		n += t_live(task_at(r, ids, i));
	return n;
}

/* Gives an empty slot its task when the restart policy allows it. */
static void fill_slot(struct round *r, json_t *svc, json_t *ids, int slot, const char *node)
{
	if (live_count(r, ids) > 0)
		return;
	for (size_t i = 0; i < json_array_size(ids); i++)
		if (in_the_way(r, task_at(r, ids, i)))
			return;
	json_t *restarts = NULL;
	json_t *last = newest(r, ids);
	if (last && !restart_allowed(r, svc, last, &restarts))
		return;
	json_t *t = r_new_task(r, svc, slot, node, restarts);
	json_array_append_new(ids, json_string(jstr(t, "ID")));
}

/* ---- per service ---- */

static json_t *slots_of(struct round *r, json_t *svc, json_t *ids, bool global)
{
	json_t *slots = json_object();
	for (size_t i = 0; i < json_array_size(ids); i++) {
		json_t *t = task_at(r, ids, i);
		char key[64];
		if (global)
			snprintf(key, sizeof(key), "%s", jstr(t, "NodeID") ?: "");
		else
			snprintf(key, sizeof(key), "%lld", (long long)jint(t, "Slot"));
		json_t *a = json_object_get(slots, key);
		if (!a)
			json_object_set_new(slots, key, a = json_array());
		json_array_append(a, json_array_get(ids, i));
	}
	return slots;
}

static json_t *slot_ids(json_t *slots, const char *key)
{
	json_t *a = json_object_get(slots, key);
	if (!a)
		json_object_set_new(slots, key, a = json_array());
	return a;
}

static void replicated(struct round *r, json_t *svc, json_t *slots)
{
	int64_t n = replicas_of(svc);
	const char *key;
	json_t *ids;
	json_object_foreach(slots, key, ids)
	{
		long slot = strtol(key, NULL, 10);
		settle_slot(r, svc, ids, slot >= 1 && slot <= n);
	}
	for (int64_t s = 1; s <= n; s++) {
		char k[32];
		snprintf(k, sizeof(k), "%lld", (long long)s);
		fill_slot(r, svc, slot_ids(slots, k), (int)s, NULL);
	}
}

static void global(struct round *r, json_t *svc, json_t *slots)
{
	const char *key;
	json_t *ids;
	json_object_foreach(slots, key, ids)
	{
		json_t *node = json_object_get(r->in->nodes, key);
		/* pause keeps what runs; drain and constraints do not */
		bool keep =
		    node && node_up(node) && strcmp(node_availability(node), "drain") != 0 &&
		    (node_eligible(node, svc) || strcmp(node_availability(node), "pause") == 0);
		settle_slot(r, svc, ids, keep);
	}
	json_t *node;
	json_object_foreach(r->in->nodes, key, node)
	{
		if (node_eligible(node, svc))
			fill_slot(r, svc, slot_ids(slots, key), -1, key);
	}
}

static int64_t history_limit(struct round *r)
{
	json_t *l = jpath(jpath(r->in->cluster, "Spec", "Orchestration"),
			  "TaskHistoryRetentionLimit", NULL);
	return json_is_integer(l) ? json_integer_value(l) : DEFAULT_HISTORY;
}

/* Over for good: nothing runs and nothing will report about it. */
static bool t_done(struct round *r, json_t *t)
{
	return !t_live(t) &&
	       (task_state_final(t_state(t)) || t_lost(r, t) || t_state(t) < TASK_ASSIGNED);
}

static int cmp_created_desc(const void *a, const void *b)
{
	int64_t x = jint(*(json_t *const *)a, "_created_ns"),
		y = jint(*(json_t *const *)b, "_created_ns");
	return x < y ? 1 : x > y ? -1 : 0;
}

/* Keeps at most the retention limit of tasks per slot, newest first. */
static void trim_history(struct round *r, json_t *slots)
{
	int64_t limit = history_limit(r);
	const char *key;
	json_t *ids;
	json_object_foreach(slots, key, ids)
	{
		size_t n = json_array_size(ids);
		if ((int64_t)n <= limit || n == 0)
			continue;
		json_t **ts = calloc(n, sizeof(*ts));
		if (!ts)
			return;
		for (size_t i = 0; i < n; i++)
			ts[i] = task_at(r, ids, i);
		qsort(ts, n, sizeof(*ts), cmp_created_desc);
		int64_t kept = 0;
		for (size_t i = 0; i < n; i++) {
			if (kept < limit || !t_done(r, ts[i]))
				kept++;
			else
				json_array_append_new(r->rm, json_string(jstr(ts[i], "ID")));
		}
		free(ts);
	}
}

/* ---- jobs: tasks run to completion; a slot (or node) done stays done ---- */

/* A task of the current spec completed in this slot. */
static bool slot_done(struct round *r, json_t *svc, json_t *ids)
{
	for (size_t i = 0; i < json_array_size(ids); i++) {
		json_t *t = task_at(r, ids, i);
		if (t_state(t) == TASK_COMPLETE && orch_task_up_to_date(svc, t))
			return true;
	}
	return false;
}

/* Fills a job's slot: a fresh one at once, one whose task failed as the
 * restart policy says. */
static void fill_job_slot(struct round *r, json_t *svc, json_t *ids, int slot, const char *node)
{
	if (slot_done(r, svc, ids) || live_count(r, ids) > 0)
		return;
	for (size_t i = 0; i < json_array_size(ids); i++)
		if (in_the_way(r, task_at(r, ids, i)))
			return;
	json_t *restarts = NULL, *last = NULL;
	for (size_t i = 0; i < json_array_size(ids); i++) {
		json_t *t = task_at(r, ids, i);
		if (orch_task_up_to_date(svc, t) &&
		    (!last || jint(t, "_created_ns") > jint(last, "_created_ns")))
			last = t;
	}
	if (last && !restart_allowed(r, svc, last, &restarts))
		return;
	json_t *t = r_new_task(r, svc, slot, node, restarts);
	json_array_append_new(ids, json_string(jstr(t, "ID")));
}

/* A job's finished task is wanted complete, as SwarmKit shows it. */
static void settle_job_slot(struct round *r, json_t *svc, json_t *ids, bool want)
{
	for (size_t i = 0; i < json_array_size(ids); i++) {
		json_t *t = task_at(r, ids, i);
		if (t_live(t) && t_state(t) == TASK_COMPLETE)
			r_set_desired(r, t, TASK_COMPLETE);
	}
	settle_slot(r, svc, ids, want);
}

static void replicated_job(struct round *r, json_t *svc, json_t *slots)
{
	json_t *m = jpath(jpath(svc, "Spec", "Mode"), "ReplicatedJob", NULL);
	int64_t total = json_is_integer(json_object_get(m, "TotalCompletions"))
			    ? jint(m, "TotalCompletions")
			    : 1;
	int64_t max = jint(m, "MaxConcurrent") > 0 ? jint(m, "MaxConcurrent") : total;
	const char *key;
	json_t *ids;
	int64_t live = 0;
	json_object_foreach(slots, key, ids)
	{
		long slot = strtol(key, NULL, 10);
		settle_job_slot(r, svc, ids, slot >= 0 && slot < total);
		live += live_count(r, ids) > 0;
	}
	/* Job slots count from 0, as SwarmKit's (the CLI's progress relies on it). */
	for (int64_t s = 0; s < total && live < max; s++) {
		char k[32];
		snprintf(k, sizeof(k), "%lld", (long long)s);
		json_t *a = slot_ids(slots, k);
		size_t before = live_count(r, a);
		fill_job_slot(r, svc, a, (int)s, NULL);
		live += live_count(r, a) > before;
	}
}

static void global_job(struct round *r, json_t *svc, json_t *slots)
{
	const char *key;
	json_t *ids, *node;
	json_object_foreach(slots, key, ids)
	{
		node = json_object_get(r->in->nodes, key);
		settle_job_slot(r, svc, ids, node && node_up(node));
	}
	json_object_foreach(r->in->nodes, key, node)
	{
		if (node_eligible(node, svc))
			fill_job_slot(r, svc, slot_ids(slots, key), -1, key);
	}
}

static void orchestrate_service(struct round *r, const char *sid, json_t *ids)
{
	json_t *svc = r_service(r, sid);
	const char *mode = orch_service_mode(svc);
	bool global_mode = strcmp(mode, "global") == 0 || strcmp(mode, "global-job") == 0;
	json_t *slots = slots_of(r, svc, ids, global_mode);
	if (strcmp(mode, "global") == 0)
		global(r, svc, slots);
	else if (strcmp(mode, "replicated") == 0)
		replicated(r, svc, slots);
	else if (strcmp(mode, "replicated-job") == 0)
		replicated_job(r, svc, slots);
	else
		global_job(r, svc, slots);
	if (strcmp(mode, "replicated") == 0 || strcmp(mode, "global") == 0)
		update_service(r, svc, slots);
	if (strcmp(mode, "replicated") == 0)
		rebalance_service(r, svc, slots);
	trim_history(r, slots);
	json_decref(slots);
}

/* Tasks of removed services: told to go, then forgotten once over. */
static void orphaned(struct round *r, json_t *ids)
{
	for (size_t i = 0; i < json_array_size(ids); i++) {
		json_t *t = task_at(r, ids, i);
		if (t_done(r, t) || (t_state(t) < TASK_ASSIGNED))
			json_array_append_new(r->rm, json_string(jstr(t, "ID")));
		else
			r_set_desired(r, t, TASK_REMOVE);
	}
}

/* ---- the round ---- */

void orch_out_init(struct orch_out *o)
{
	o->tasks = json_array();
	o->rm_tasks = json_array();
	o->services = json_array();
}

void orch_out_done(struct orch_out *o)
{
	json_decref(o->tasks);
	json_decref(o->rm_tasks);
	json_decref(o->services);
	o->tasks = o->rm_tasks = o->services = NULL;
}

bool orch_out_empty(const struct orch_out *o)
{
	return !json_array_size(o->tasks) && !json_array_size(o->rm_tasks) &&
	       !json_array_size(o->services);
}

json_t *orch_out_command(const struct orch_out *o)
{
	if (orch_out_empty(o))
		return NULL;
	json_t *cmds = json_array();
	size_t i;
	json_t *v;
	/* Decided on the service as stored at its Version: dropped if it
	 * changed before this commits (store_services.c). */
	json_array_foreach(o->services, i, v) json_array_append_new(
	    cmds, json_pack("{s:s, s:O, s:O?}", "op", "service", "v", v, "if_index",
			    json_object_get(json_object_get(v, "Version"), "Index")));
	if (json_array_size(o->tasks))
		json_array_append_new(cmds, json_pack("{s:s, s:O}", "op", "tasks", "v", o->tasks));
	if (json_array_size(o->rm_tasks))
		json_array_append_new(
		    cmds, json_pack("{s:s, s:O}", "op", "rm_tasks", "ids", o->rm_tasks));
	return json_pack("{s:s, s:o}", "op", "batch", "cmds", cmds);
}

void orch_step(const struct orch_in *in, struct orch_out *out)
{
	struct round r = {.in = in,
			  .work = json_object(),
			  .patches = json_object(),
			  .rm = json_array(),
			  .services = json_object()};
	json_object_update(r.work, in->tasks);
	json_t *by_service = json_object();
	const char *id;
	json_t *t;
	json_object_foreach(in->tasks, id, t)
	{
		const char *sid = jstr(t, "ServiceID") ?: "";
		json_t *a = json_object_get(by_service, sid);
		if (!a)
			json_object_set_new(by_service, sid, a = json_array());
		json_array_append_new(a, json_string(id));
	}
	json_t *svc;
	json_object_foreach(in->services, id, svc)
	{
		json_t *ids = json_object_get(by_service, id);
		if (!ids)
			json_object_set_new(by_service, id, ids = json_array());
		orchestrate_service(&r, id, ids);
	}
	json_t *ids;
	json_object_foreach(by_service, id, ids)
	{
		if (!json_object_get(in->services, id))
			orphaned(&r, ids);
	}
	json_decref(by_service);
	schedule(&r);
	/* A task removed this round needs no patch. */
	size_t i;
	json_t *rid;
	json_array_foreach(r.rm, i, rid) json_object_del(r.patches, json_string_value(rid));
	json_t *p;
	json_object_foreach(r.patches, id, p) json_array_append(out->tasks, p);
	json_array_extend(out->rm_tasks, r.rm);
	json_object_foreach(r.services, id, svc) json_array_append(out->services, svc);
	json_decref(r.work);
	json_decref(r.patches);
	json_decref(r.rm);
	json_decref(r.services);
}
