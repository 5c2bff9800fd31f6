/* The restart supervisor: whether a slot whose last task ended gets a new
 * one, after the policy's condition, delay, and max attempts within the
 * window (SwarmKit's defaults: any, 5s, unlimited). The restart times of a
 * slot travel from task to task (_restarts), so a new leader counts them
 * as the old one did. */
#include <string.h>

#include "orchestrator/orch_int.h"

#define DEFAULT_DELAY_NS 5000000000LL

bool restart_allowed(struct round *r, json_t *svc, json_t *last, json_t **ret_restarts)
{
	json_t *pol = jpath(jpath(svc, "Spec", "TaskTemplate"), "RestartPolicy", NULL);
	enum task_state s = t_state(last);
	json_t *kept = json_array();
	int64_t now = r->in->now_ns, window = duration_ns(pol, "Window", 0);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(last, "_restarts"), i, v)
	{
		if (window <= 0 || now - json_integer_value(v) < window)
			json_array_append(kept, v);
	}
	/* Shut down by the orchestrator (update, scale, node down or drained):
	 * replaced at once, whatever the policy. */
	if (s != TASK_COMPLETE && s != TASK_FAILED && s != TASK_REJECTED) {
		*ret_restarts = kept;
		return true;
	}
	const char *cond = jstr(pol, "Condition") ?: "any";
	int64_t max = jint(pol, "MaxAttempts");
	bool ok = strcmp(cond, "none") != 0 &&
		  !(strcmp(cond, "on-failure") == 0 && s == TASK_COMPLETE) &&
		  now >= t_status_ns(last) + duration_ns(pol, "Delay", DEFAULT_DELAY_NS) &&
		  (max <= 0 || (int64_t)json_array_size(kept) < max);
	if (!ok) {
		json_decref(kept);
		return false;
	}
	json_array_append_new(kept, json_integer(now));
	*ret_restarts = kept;
	return true;
}
