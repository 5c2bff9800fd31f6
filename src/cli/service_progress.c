/* The progress of a service converging (see service_progress.h). */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "cli/client.h"
#include "cli/query.h"
#include "cli/service_progress.h"

#define POLL_US 200000
#define DEFAULT_MONITOR_NS (5 * 1000000000LL)

static const char *js(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k)) ?: "";
}

/* The tasks of id's current spec that should run. */
static int current_tasks(const struct cli *cli, const char *id, json_t **ret, struct error *err)
{
	_cleanup_(cli_json_decrefp) json_t *f =
	    json_pack("{s:[s], s:[s], s:[s]}", "service", id, "_up-to-date", "true",
		      "desired-state", "running");
	_cleanup_free_ char *fs = json_dumps(f, JSON_COMPACT);
	struct query q = {0};
	int r = fs ? query_add(&q, "filters", fs) : -ENOMEM;
	if (r == 0)
		r = cli_call(cli, "GET", "/tasks", &q, NULL, ret, err);
	else
		r = error_set(err, -ENOMEM, "out of memory");
	query_done(&q);
	return r;
}

/* Running tasks, one per slot (replicated) or node (global), and how many
 * there should be. */
static void count(json_t *svc, json_t *tasks, long long *running, long long *want)
{
	json_t *mode = json_object_get(json_object_get(svc, "Spec"), "Mode");
	json_t *rep = json_object_get(json_object_get(mode, "Replicated"), "Replicas");
	bool global = json_object_get(mode, "Global") != NULL;
	json_t *seen = json_object(), *slots = json_object();
	size_t i;
	json_t *t;
	json_array_foreach(tasks, i, t)
	{
		char key[64];
		if (global)
			snprintf(key, sizeof(key), "%s", js(t, "NodeID"));
		else
			snprintf(key, sizeof(key), "%lld",
				 (long long)json_integer_value(json_object_get(t, "Slot")));
		json_object_set_new(slots, key, json_true());
		if (strcmp(js(json_object_get(t, "Status"), "State"), "running") == 0)
			json_object_set_new(seen, key, json_true());
	}
	*running = (long long)json_object_size(seen);
	*want = global ? (long long)json_object_size(slots)
		       : (json_is_integer(rep) ? json_integer_value(rep) : 1);
	json_decref(seen);
	json_decref(slots);
}

struct follow {
	FILE *out; /* NULL: quiet */
	bool rollback, converged;
	int64_t converged_at;
	long long shown_running, shown_wait;
};

static void say(const struct follow *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const struct follow *f, const char *fmt, ...)
{
	if (!f->out)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f->out, fmt, ap);
	va_end(ap);
	fflush(f->out);
}

/* The update's state as docker's CLI reads it: < 0 failed. */
static int update_state(json_t *svc, struct follow *f, struct error *err)
{
	json_t *us = json_object_get(svc, "UpdateStatus");
	const char *st = js(us, "State"), *msg = js(us, "Message");
	if (strcmp(st, "updating") == 0)
		f->rollback = false;
	else if (strcmp(st, "paused") == 0)
		return error_set(err, -EIO, "service update paused: %s", msg);
	else if (strcmp(st, "rollback_paused") == 0)
		return error_set(err, -EIO, "service rollback paused: %s", msg);
	else if (strcmp(st, "rollback_started") == 0) {
		if (!f->rollback && *msg)
			say(f, "rollback: %s\n", msg);
		f->rollback = true;
	} else if (strcmp(st, "rollback_completed") == 0 && !f->converged)
		return error_set(err, -EIO, "service rolled back: %s", msg);
	return 0;
}

int cli_service_progress(const struct cli *cli, const char *id, const char *shown, bool quiet,
			 struct error *err)
{
	struct follow f = {.out = quiet ? NULL : cli->out, .shown_running = -1, .shown_wait = -1};
	_cleanup_free_ char *path = query_path("/services/%s", id);
	if (!path)
		return error_set(err, -ENOMEM, "out of memory");
	for (;;) {
		_cleanup_(cli_json_decrefp) json_t *svc = NULL, *tasks = NULL;
		int r = cli_call(cli, "GET", path, NULL, NULL, &svc, err);
		if (r == 0)
			r = update_state(svc, &f, err);
		if (r == 0)
			r = current_tasks(cli, id, &tasks, err);
		if (r < 0)
			return r;
		long long running, want;
		count(svc, tasks, &running, &want);
		if (running != f.shown_running) {
			say(&f, "overall progress: %lld out of %lld tasks\n", running, want);
			f.shown_running = running;
		}
		int64_t now = time_now_ns();
		bool converged = running == want;
		if (converged && !f.converged)
			f.converged_at = now;
		f.converged = converged;
		json_t *uc = json_object_get(json_object_get(svc, "Spec"),
					     f.rollback ? "RollbackConfig" : "UpdateConfig");
		json_t *mon = json_object_get(uc, "Monitor");
		int64_t monitor =
		    json_integer_value(mon) > 0 ? json_integer_value(mon) : DEFAULT_MONITOR_NS;
		if (converged && now - f.converged_at >= monitor) {
			say(&f, "verify: Service %s converged\n", shown);
			return 0;
		}
		if (converged) {
			long long left =
			    (monitor - (now - f.converged_at) + 999999999) / 1000000000;
			if (left != f.shown_wait)
				say(&f,
				    "verify: Waiting %lld seconds to verify that tasks are "
				    "stable...\n",
				    left);
			f.shown_wait = left;
		} else {
			f.shown_wait = -1;
		}
		usleep(POLL_US);
	}
}
