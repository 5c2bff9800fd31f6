/* The update supervisor: replaces the tasks of an older spec slot by slot,
 * in batches of Parallelism (0: all at once), Delay apart once a batch
 * runs (a task with a health check runs once healthy), stop-first or
 * start-first, counting the slots whose new task failed before or within
 * Monitor after it ran against MaxFailureRatio and taking the
 * FailureAction (pause, continue, rollback to PreviousSpec; a failed
 * rollback pauses), as SwarmKit's updater. Everything it needs is in the
 * store (the service's UpdateStatus and the tasks' times), so a new leader
 * resumes. */
#include <string.h>

#include "basic/timeutil.h"
#include "orchestrator/orch_int.h"
#include "orchestrator/ports.h"

static const char *ustate(json_t *svc)
{
	return json_string_value(jpath(svc, "UpdateStatus", "State")) ?: "";
}

static bool rolling_back(json_t *svc)
{
	return strncmp(ustate(svc), "rollback", 8) == 0;
}

static json_t *config_of(json_t *svc)
{
	return jpath(json_object_get(svc, "Spec"),
		     rolling_back(svc) ? "RollbackConfig" : "UpdateConfig", NULL);
}

/* An UpdateStatus; one that goes on from svc's keeps its StartedAt (and
 * the private _started_ns from which the update's tasks count), a new one
 * (svc NULL) starts now. */
static json_t *status(struct round *r, json_t *svc, const char *state, const char *msg, bool done)
{
	json_t *old = json_object_get(svc, "UpdateStatus");
	json_t *st = json_pack("{s:s, s:s}", "State", state, "Message", msg);
	int64_t started = jint(old, "_started_ns") ?: r->in->now_ns;
	json_object_set_new(st, "_started_ns", json_integer(started));
	char ts[64];
	time_format_rfc3339nano(started, ts, sizeof(ts));
	json_object_set_new(st, "StartedAt",
			    json_is_string(json_object_get(old, "StartedAt"))
				? json_incref(json_object_get(old, "StartedAt"))
				: json_string(ts));
	if (done) {
		time_format_rfc3339nano(r->in->now_ns, ts, sizeof(ts));
		json_object_set_new(st, "CompletedAt", json_string(ts));
	}
	return st;
}

static void set_status(struct round *r, json_t *svc, json_t *st)
{
	json_t *copy = json_deep_copy(svc);
	json_object_set_new(copy, "UpdateStatus", st);
	r_write_service(r, copy);
}

/* Goes back to PreviousSpec after a failed update. As SwarmKit's
 * rollbackUpdate, the failed spec is not kept as PreviousSpec (there is
 * nothing to roll back to afterwards) and StartedAt stays the update's;
 * the failures of the rollback count from now. */
static void start_rollback(struct round *r, json_t *svc, const char *task_id)
{
	json_t *prev = json_object_get(svc, "PreviousSpec");
	if (!prev)
		return;
	json_t *copy = json_deep_copy(svc);
	json_object_set(copy, "Spec", prev);
	json_object_set_new(copy, "Endpoint",
			    ports_endpoint(prev, json_object_get(svc, "Endpoint"), r->in->services,
					   json_string_value(json_object_get(svc, "ID"))));
	json_object_del(copy, "PreviousSpec");
	char msg[256];
	snprintf(msg, sizeof(msg),
		 "update rolled back due to failure or early termination of task %s", task_id);
	json_t *st = status(r, svc, "rollback_started", msg, false);
	json_object_set_new(st, "_started_ns", json_integer(r->in->now_ns));
	json_object_set_new(copy, "UpdateStatus", st);
	r_write_service(r, copy);
}

/* A task of this update that failed or ended before it ran, or within
 * the monitor window after it first ran (SwarmKit counts any state past
 * running of a task it started, until the window is over). */
static bool failed_in_window(json_t *svc, json_t *t, int64_t since, int64_t monitor)
{
	enum task_state s = t_state(t);
	if (s != TASK_FAILED && s != TASK_REJECTED && s != TASK_COMPLETE)
		return false;
	if (!orch_task_up_to_date(svc, t) || jint(t, "_created_ns") < since)
		return false;
	int64_t ran = jint(t, "_running_ns");
	return !ran || t_status_ns(t) <= ran + monitor;
}

struct progress {
	size_t slots, dirty, busy, failures;
	int64_t last_done_ns;
	const char *failed_task;
};

static json_t *task_at(struct round *r, json_t *ids, size_t i)
{
	return json_object_get(r->work, json_string_value(json_array_get(ids, i)));
}

/* When the update's first task in the slot ran, or ended without running
 * (0: not yet). From then on the slot counts as updated, as for SwarmKit's
 * worker, and waits the Delay; restarts after it hold nothing up. A task
 * with a health check runs once it is healthy (the agent says so), so an
 * update waits for health. */
static int64_t slot_done_ns(struct round *r, json_t *svc, json_t *ids, int64_t since)
{
	int64_t done = 0;
	for (size_t i = 0; i < json_array_size(ids); i++) {
		json_t *t = task_at(r, ids, i);
		if (!orch_task_up_to_date(svc, t) || jint(t, "_created_ns") < since)
			continue;
		int64_t at = jint(t, "_running_ns");
		if (!at && t_state(t) > TASK_RUNNING)
			at = t_status_ns(t);
		if (at && (!done || at < done))
			done = at;
	}
	return done;
}

static void measure(struct round *r, json_t *svc, json_t *slots, int64_t delay, int64_t monitor,
		    int64_t since, struct progress *p)
{
	const char *key;
	json_t *ids;
	json_object_foreach(slots, key, ids)
	{
		bool has_live = false, dirty = false, busy = false;
		int64_t done = slot_done_ns(r, svc, ids, since);
		json_t *failed = NULL;
		for (size_t i = 0; i < json_array_size(ids); i++) {
			json_t *t = task_at(r, ids, i);
			if (failed_in_window(svc, t, since, monitor))
				failed = t;
			if (!t_live(t) || t_lost(r, t))
				continue;
			has_live = true;
			if (!orch_task_up_to_date(svc, t))
				dirty = true;
			else if (t_state(t) < TASK_RUNNING && !done)
				busy = true;
		}
		/* A slot counts once, however often its task was restarted: the
		 * ratio is of slots, as SwarmKit counts the tasks it started. */
		if (failed) {
			p->failures++;
			p->failed_task = jstr(failed, "ID");
		}
		if (done && r->in->now_ns < done + delay)
			busy = true;
		if (done > p->last_done_ns)
			p->last_done_ns = done;
		p->slots += has_live;
		/* A slot whose new task is on its way, or whose old task is still
		 * stopping (stop-first), is busy; one with an old task only is
		 * dirty. */
		bool clean_live = false, stopping = false;
		for (size_t i = 0; i < json_array_size(ids); i++) {
			json_t *t = task_at(r, ids, i);
			json_t *node = t_node(r, t);
			if (t_live(t) && !t_lost(r, t) && orch_task_up_to_date(svc, t))
				clean_live = true;
			if (!t_live(t) && !task_state_final(t_state(t)) &&
			    t_state(t) >= TASK_ASSIGNED && node_up(node) &&
			    strcmp(node_availability(node), "drain") != 0)
				stopping = true;
		}
		if (dirty && !clean_live)
			p->dirty++;
		if (busy || (dirty && clean_live) || (!has_live && stopping))
			p->busy++;
	}
}

/* Starts the update of one slot: its old task stops first, or the new one
 * starts next to it. */
static void update_slot(struct round *r, json_t *svc, const char *key, json_t *ids,
			bool start_first)
{
	bool global_mode = strcmp(orch_service_mode(svc), "global") == 0;
	for (size_t i = 0; i < json_array_size(ids); i++) {
		json_t *t = task_at(r, ids, i);
		if (!t_live(t) || orch_task_up_to_date(svc, t))
			continue;
		if (!start_first) {
			r_set_desired(r, t, TASK_SHUTDOWN);
			continue;
		}
		json_t *n = r_new_task(r, svc, global_mode ? -1 : (int)jint(t, "Slot"),
				       global_mode ? key : NULL, NULL);
		json_array_append_new(ids, json_string(jstr(n, "ID")));
		return;
	}
}

static bool slot_dirty(struct round *r, json_t *svc, json_t *ids)
{
	bool dirty = false;
	for (size_t i = 0; i < json_array_size(ids); i++) {
		json_t *t = task_at(r, ids, i);
		if (!t_live(t) || t_lost(r, t))
			continue;
		if (orch_task_up_to_date(svc, t))
			return false;
		dirty = true;
	}
	return dirty;
}

void update_service(struct round *r, json_t *svc, json_t *slots)
{
	const char *st = ustate(svc);
	json_t *cfg = config_of(svc);
	int64_t delay = duration_ns(cfg, "Delay", 0);
	int64_t monitor = duration_ns(cfg, "Monitor", 5000000000LL);
	int64_t since = jint(json_object_get(svc, "UpdateStatus"), "_started_ns");
	struct progress p = {0};
	measure(r, svc, slots, delay, monitor, since, &p);
	bool active = strcmp(st, "updating") == 0 || strcmp(st, "rollback_started") == 0;
	if (p.dirty && !active && strcmp(st, "paused") != 0 && strcmp(st, "rollback_paused") != 0) {
		set_status(r, svc, status(r, NULL, "updating", "update in progress", false));
		return; /* the next round works from the new status */
	}
	if (!active)
		return;
	const char *action = jstr(cfg, "FailureAction") ?: "pause";
	double ratio = json_number_value(json_object_get(cfg, "MaxFailureRatio"));
	if (p.failures && (double)p.failures > ratio * (double)(p.slots ? p.slots : 1) &&
	    strcmp(action, "continue") != 0) {
		char msg[256];
		bool rb = rolling_back(svc);
		if (!rb && strcmp(action, "rollback") == 0) {
			start_rollback(r, svc, p.failed_task);
			return;
		}
		snprintf(msg, sizeof(msg),
			 "%s paused due to failure or early termination of task %s",
			 rb ? "rollback" : "update", p.failed_task);
		set_status(r, svc, status(r, svc, rb ? "rollback_paused" : "paused", msg, false));
		return;
	}
	if (!p.dirty && !p.busy) {
		/* SwarmKit watches longer than the delay after the last batch. */
		int64_t watch = delay >= monitor ? delay + 1000000000LL : monitor;
		if (r->in->now_ns < p.last_done_ns + watch)
			return;
		bool rb = rolling_back(svc);
		set_status(r, svc,
			   status(r, svc, rb ? "rollback_completed" : "completed",
				  rb ? "rollback completed" : "update completed", true));
		return;
	}
	int64_t par = jint(cfg, "Parallelism");
	size_t room = par <= 0 ? p.dirty : (p.busy >= (size_t)par ? 0 : (size_t)par - p.busy);
	bool start_first = jstr(cfg, "Order") && strcmp(jstr(cfg, "Order"), "start-first") == 0;
	const char *key;
	json_t *ids;
	json_object_foreach(slots, key, ids)
	{
		if (!room)
			break;
		if (!slot_dirty(r, svc, ids))
			continue;
		update_slot(r, svc, key, ids, start_first);
		room--;
	}
}
