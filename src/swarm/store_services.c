/* Services and tasks in the replicated store. Commands carry whole
 * services, and task patches (top-level fields replaced) so that a status
 * report from a worker and a decision of the leader touching the same task
 * do not overwrite each other. A task's Status only moves forward (a stale
 * or repeated report is ignored), which keeps every command idempotent:
 *
 *   {"op":"service","v":{...}}          create or replace service v.ID
 *   (with "if_index":N: a leader's decision taken on the service at store
 *   index N; a batch holding one whose service changed since is dropped
 *   whole, as a SwarmKit transaction fails on a version conflict, so an
 *   update committed meanwhile is not overwritten; the next round decides
 *   again)
 *   {"op":"rm_service","id":"..."}      remove a service (absent: no-op)
 *   {"op":"tasks","v":[{"ID":..},..]}   create or patch tasks
 *   {"op":"rm_tasks","ids":[..]}        remove tasks
 *   {"op":"batch","cmds":[cmd,..]}      the above, in order, as one entry */
#include <errno.h>
#include <string.h>

#include "basic/timeutil.h"
#include "orchestrator/task_state.h"
#include "swarm/store.h"

static enum task_state status_state(json_t *task)
{
	return task_state_parse(
	    json_string_value(json_object_get(json_object_get(task, "Status"), "State")));
}

static void patch_task(struct store *s, json_t *patch, int64_t ts)
{
	const char *id = json_string_value(json_object_get(patch, "ID"));
	if (!id)
		return;
	json_t *old = json_object_get(s->tasks, id);
	if (!old) {
		/* A patch of a task already removed (trimmed history) is dropped. */
		if (!json_is_string(json_object_get(patch, "ServiceID")))
			return;
		json_t *copy = json_deep_copy(patch);
		store_stamp(s, copy, ts);
		json_object_set_new(s->tasks, id, copy);
		return;
	}
	json_t *copy = json_deep_copy(old);
	const char *k;
	json_t *v;
	json_object_foreach(patch, k, v)
	{
		if (strcmp(k, "Status") != 0) {
			json_object_set(copy, k, v);
			continue;
		}
		enum task_state to =
		    task_state_parse(json_string_value(json_object_get(v, "State")));
		if (to < status_state(old))
			continue;
		json_object_set(copy, k, v);
		/* When the task first ran: the update supervisor's monitor window
		 * counts from there once the task has failed. */
		if (to == TASK_RUNNING && status_state(old) < TASK_RUNNING)
			json_object_set_new(
			    copy, "_running_ns",
			    json_integer(json_integer_value(json_object_get(v, "_ns")) ?: ts));
	}
	if (json_equal(copy, old)) {
		json_decref(copy);
		return;
	}
	store_stamp(s, copy, ts);
	json_object_set_new(s->tasks, id, copy);
}

static int apply_one(struct store *s, const char *op, json_t *c, int64_t ts, struct error *err)
{
	json_t *v = json_object_get(c, "v");
	if (strcmp(op, "service") == 0 && json_is_string(json_object_get(v, "ID"))) {
		const char *id = json_string_value(json_object_get(v, "ID"));
		json_t *copy = json_deep_copy(v);
		json_t *old = json_incref(json_object_get(s->services, id));
		if (old && json_object_get(old, "CreatedAt"))
			json_object_set(copy, "CreatedAt", json_object_get(old, "CreatedAt"));
		store_stamp(s, copy, ts);
		json_object_set_new(s->services, id, copy);
		store_changed(s, "service", old ? "update" : "create", copy, old, ts);
		json_decref(old);
	} else if (strcmp(op, "rm_service") == 0 && json_is_string(json_object_get(c, "id"))) {
		const char *id = json_string_value(json_object_get(c, "id"));
		json_t *old = json_incref(json_object_get(s->services, id));
		s->index++;
		json_object_del(s->services, id);
		if (old)
			store_changed(s, "service", "remove", old, NULL, ts);
		json_decref(old);
	} else if (strcmp(op, "tasks") == 0 && json_is_array(v)) {
		size_t i;
		json_t *t;
		json_array_foreach(v, i, t) patch_task(s, t, ts);
	} else if (strcmp(op, "rm_tasks") == 0 && json_is_array(json_object_get(c, "ids"))) {
		size_t i;
		json_t *id;
		s->index++;
		json_array_foreach(json_object_get(c, "ids"), i, id)
		    json_object_del(s->tasks, json_string_value(id) ?: "");
	} else if (strcmp(op, "service") == 0 || strcmp(op, "rm_service") == 0 ||
		   strcmp(op, "tasks") == 0 || strcmp(op, "rm_tasks") == 0) {
		return error_set(err, -EINVAL, "bad store command %s", op);
	} else {
		return -ENOTSUP;
	}
	return 0;
}

void store_service_force_update(struct store *s, const char *id, int64_t ts)
{
	json_t *old = json_incref(json_object_get(s->services, id));
	if (!old)
		return;
	json_t *copy = json_deep_copy(old);
	json_t *spec = json_object_get(copy, "Spec");
	json_object_set(copy, "PreviousSpec", spec);
	json_t *ns = json_deep_copy(spec);
	json_t *tt = json_object_get(ns, "TaskTemplate");
	if (!json_is_object(tt)) {
		tt = json_object();
		json_object_set_new(ns, "TaskTemplate", tt);
	}
	json_object_set_new(
	    tt, "ForceUpdate",
	    json_integer(json_integer_value(json_object_get(tt, "ForceUpdate")) + 1));
	json_object_set_new(copy, "Spec", ns);
	char at[64];
	time_format_rfc3339nano(ts, at, sizeof(at));
	json_object_set_new(copy, "UpdateStatus",
			    json_pack("{s:s, s:s, s:s, s:I}", "State", "updating", "Message",
				      "update in progress", "StartedAt", at, "_started_ns",
				      (json_int_t)ts));
	store_stamp(s, copy, ts);
	json_object_set_new(s->services, id, copy);
	store_changed(s, "service", "update", copy, old, ts);
	json_decref(old);
}

static bool stale(const struct store *s, json_t *c)
{
	json_t *want = json_object_get(c, "if_index");
	const char *op = json_string_value(json_object_get(c, "op"));
	if (!json_is_integer(want) || !op || strcmp(op, "service") != 0)
		return false;
	json_t *v = json_object_get(c, "v");
	json_t *old =
	    json_object_get(s->services, json_string_value(json_object_get(v, "ID")) ?: "");
	json_t *idx = json_object_get(json_object_get(old, "Version"), "Index");
	return !old || json_integer_value(idx) != json_integer_value(want);
}

int store_services_apply(struct store *s, const char *op, json_t *c, int64_t ts_ns,
			 struct error *err)
{
	if (strcmp(op, "batch") != 0)
		return stale(s, c) ? 0 : apply_one(s, op, c, ts_ns, err);
	json_t *cmds = json_object_get(c, "cmds");
	if (!json_is_array(cmds))
		return error_set(err, -EINVAL, "bad store command batch");
	size_t i;
	json_t *sub;
	json_array_foreach(cmds, i, sub)
	{
		if (stale(s, sub))
			return 0;
	}
	json_array_foreach(cmds, i, sub)
	{
		const char *sop = json_string_value(json_object_get(sub, "op"));
		int r = sop && strcmp(sop, "batch") != 0 ? apply_one(s, sop, sub, ts_ns, err)
							 : error_set(err, -EINVAL, "bad batch");
		if (r == -ENOTSUP)
			r = error_set(err, -EINVAL, "unknown store command %s", sop);
		if (r < 0)
			return r;
	}
	return 0;
}
