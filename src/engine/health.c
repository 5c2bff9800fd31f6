/* Container health checks: the probe timer, running a probe as an exec,
 * the results and their persistence. See health.h. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/log.h"
#include "basic/timeutil.h"
#include "engine/container.h"
#include "engine/containers_priv.h"
#include "engine/exec.h"
#include "engine/health.h"

#define SEC 1000000000LL
#define MS 1000000LL
/* dockerd's defaults and limits (moby daemon/health.go). */
#define DEFAULT_INTERVAL (30 * SEC)
#define DEFAULT_TIMEOUT (30 * SEC)
#define DEFAULT_START_INTERVAL (5 * SEC)
#define DEFAULT_RETRIES 3
#define MAX_LOG_ENTRIES 5
#define MAX_OUTPUT 4096
#define MIN_DURATION MS

struct health {
	enum health_status status;
	int failing_streak;
	json_t *log; /* the last results, oldest first */

	/* Runtime only. */
	struct containers *cs;
	char cid[DIGEST_HEX_LEN + 1];
	uv_timer_t *timer;  /* the next probe; closed with free() */
	struct exec *probe; /* the probe running now */
	struct exec_io io;
	int64_t probe_start_ns;
	bool timed_out;
	char output[MAX_OUTPUT + 1];
	size_t output_len;
	bool truncated;
};

struct health_sub {
	struct health_sub *next;
	health_change_fn fn;
	void *userdata;
};

const char *health_status_name(enum health_status s)
{
	static const char *const names[] = {"none", "starting", "healthy", "unhealthy"};
	return names[s];
}

enum health_status health_status_of(const struct container *c)
{
	return c->health ? c->health->status : HEALTH_NONE;
}

static enum health_status status_from_name(const char *s)
{
	for (enum health_status i = HEALTH_STARTING; s && i <= HEALTH_UNHEALTHY; i++)
		if (strcmp(s, health_status_name(i)) == 0)
			return i;
	return HEALTH_UNHEALTHY; /* dockerd's answer for an unset status */
}

/* ---- Config.Healthcheck ---- */

static int64_t field_ns(json_t *hc, const char *key)
{
	return json_integer_value(json_object_get(hc, key));
}

static int64_t or_default(int64_t v, int64_t def)
{
	return v ? v : def;
}

int health_config_validate(json_t *config, struct error *err)
{
	json_t *hc = json_object_get(config, "Healthcheck");
	if (!json_is_object(hc))
		return 0;
	static const char *const durations[] = {"Interval", "Timeout", "StartPeriod",
						"StartInterval"};
	for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
		int64_t v = field_ns(hc, durations[i]);
		if (v != 0 && v < MIN_DURATION)
			return error_set(err, -EINVAL, "%s in Healthcheck cannot be less than 1ms",
					 durations[i]);
		if (i == 1 && field_ns(hc, "Retries") < 0)
			return error_set(err, -EINVAL, "Retries in Healthcheck cannot be negative");
	}
	return 0;
}

void health_config_merge(json_t *config, json_t *image_config)
{
	json_t *theirs = json_object_get(image_config, "Healthcheck");
	if (!json_is_object(theirs))
		return;
	json_t *mine = json_object_get(config, "Healthcheck");
	if (!json_is_object(mine)) {
		json_object_set_new(config, "Healthcheck", json_deep_copy(theirs));
		return;
	}
	if (json_array_size(json_object_get(mine, "Test")) == 0 && json_object_get(theirs, "Test"))
		json_object_set(mine, "Test", json_object_get(theirs, "Test"));
	static const char *const numbers[] = {"Interval", "Timeout", "StartPeriod", "StartInterval",
					      "Retries"};
	for (size_t i = 0; i < ARRAY_SIZE(numbers); i++)
		if (!field_ns(mine, numbers[i]) && json_object_get(theirs, numbers[i]))
			json_object_set(mine, numbers[i], json_object_get(theirs, numbers[i]));
}

/* The probe's command line, NULL when c has no (enabled) health check. */
static json_t *probe_argv(const struct container *c)
{
	json_t *test = json_object_get(json_object_get(c->config, "Healthcheck"), "Test");
	const char *kind = json_string_value(json_array_get(test, 0));
	if (!kind || (strcmp(kind, "CMD") && strcmp(kind, "CMD-SHELL")) ||
	    json_array_size(test) < 2)
		return NULL;
	json_t *argv = json_array();
	if (!strcmp(kind, "CMD-SHELL")) {
		json_t *shell = json_object_get(c->config, "Shell");
		if (json_array_size(shell))
			json_array_extend(argv, shell);
		else if (json_array_append_new(argv, json_string("/bin/sh")) == 0)
			json_array_append_new(argv, json_string("-c"));
	}
	for (size_t i = 1; i < json_array_size(test); i++)
		json_array_append(argv, json_array_get(test, i));
	return argv;
}

static bool has_probe(const struct container *c)
{
	json_t *argv = probe_argv(c);
	json_decref(argv);
	return argv != NULL;
}

/* ---- state changes ---- */

static void notify(struct containers *cs, struct container *c)
{
	char action[64];
	snprintf(action, sizeof(action), "health_status: %s",
		 health_status_name(c->health->status));
	container_event(cs, c, action, NULL);
	for (struct health_sub *s = cs->health_subs, *next; s; s = next) {
		next = s->next;
		s->fn(cs, c, c->health->status, s->userdata);
	}
}

static void set_status(struct containers *cs, struct container *c, enum health_status s)
{
	if (c->health->status == s)
		return;
	c->health->status = s;
	/* Saved on changes only: a write per probe would cost a disk flush a
	 * second for nothing anyone reads after a restart. */
	struct error err = ERROR_INIT;
	if (container_save(cs, c, &err) < 0)
		log_warn(cs->deps.log, "container %s: %s", c->id, error_msg(&err));
	error_clear(&err);
	notify(cs, c);
}

static json_t *result_json(int64_t start_ns, int64_t end_ns, int exit_code, const char *output)
{
	char start[64], end[64];
	time_format_rfc3339nano(start_ns, start, sizeof(start));
	time_format_rfc3339nano(end_ns, end, sizeof(end));
	return json_pack("{s:s, s:s, s:i, s:s}", "Start", start, "End", end, "ExitCode", exit_code,
			 "Output", output);
}

/* dockerd's handleProbeResult. */
static void record(struct containers *cs, struct container *c, int exit_code, const char *output)
{
	struct health *h = c->health;
	json_t *hc = json_object_get(c->config, "Healthcheck");
	int retries = (int)json_integer_value(json_object_get(hc, "Retries"));
	if (retries <= 0)
		retries = DEFAULT_RETRIES;
	while (json_array_size(h->log) >= MAX_LOG_ENTRIES)
		json_array_remove(h->log, 0);
	json_array_append_new(h->log,
			      result_json(h->probe_start_ns, time_now_ns(), exit_code, output));
	if (exit_code == 0) {
		h->failing_streak = 0;
		set_status(cs, c, HEALTH_HEALTHY);
		return;
	}
	/* Failures during the start period do not count while the container
	 * has never been healthy. */
	int64_t since_start = h->probe_start_ns - c->started_ns;
	if (h->status == HEALTH_STARTING && since_start < field_ns(hc, "StartPeriod"))
		return;
	if (++h->failing_streak >= retries)
		set_status(cs, c, HEALTH_UNHEALTHY);
}

/* ---- the timer and the probe ---- */

static void arm(struct containers *cs, struct container *c);

static struct container *container_of_health(struct health *h)
{
	struct container *c = NULL;
	struct error err = ERROR_INIT;
	if (containers_lookup(h->cs, h->cid, &c, &err) < 0 || c->health != h)
		c = NULL;
	error_clear(&err);
	return c;
}

static void on_probe_output(struct exec_io *io, int stream, const char *data, size_t len)
{
	struct health *h = io->userdata;
	size_t room = MAX_OUTPUT - h->output_len;
	size_t keep = len < room ? len : room;
	memcpy(h->output + h->output_len, data, keep);
	h->output_len += keep;
	h->output[h->output_len] = '\0';
	h->truncated |= keep < len;
}

static void on_probe_end(struct exec_io *io, int exit_code)
{
	struct health *h = io->userdata;
	struct containers *cs = h->cs;
	exec_release(cs, h->probe);
	h->probe = NULL;
	struct container *c = container_of_health(h);
	if (!c)
		return;
	_cleanup_free_ char *text = NULL;
	const char *out = h->output;
	if (h->timed_out) {
		char took[48];
		time_format_duration(
		    or_default(field_ns(json_object_get(c->config, "Healthcheck"), "Timeout"),
			       DEFAULT_TIMEOUT),
		    took, sizeof(took));
		if (asprintf(&text, "Health check exceeded timeout (%s)%s%s%s", took,
			     h->output_len ? ": " : "", h->output, h->truncated ? "..." : "") < 0)
			text = NULL;
		exit_code = -1;
	} else if (h->truncated && asprintf(&text, "%s...", h->output) < 0) {
		text = NULL;
	}
	record(cs, c, exit_code, text ? text : out);
	if (c->state == CONTAINER_RUNNING && !c->paused)
		arm(cs, c);
}

static void start_probe(struct containers *cs, struct container *c)
{
	struct health *h = c->health;
	json_t *argv = probe_argv(c);
	if (!argv)
		return;
	json_t *body =
	    json_pack("{s:o, s:b, s:b}", "Cmd", argv, "AttachStdout", 1, "AttachStderr", 1);
	char id[DIGEST_HEX_LEN + 1];
	struct error err = ERROR_INIT;
	struct exec *e = NULL;
	h->probe_start_ns = time_now_ns();
	h->output_len = 0;
	h->output[0] = '\0';
	h->truncated = h->timed_out = false;
	h->io =
	    (struct exec_io){.on_output = on_probe_output, .on_end = on_probe_end, .userdata = h};
	/* Probes run runc directly, not under an exec shim: one fork less
	 * every interval, and nothing of theirs need outlive berthd (a new
	 * daemon runs its own probes). */
	int r = exec_create(cs, c, body, true, id, &err);
	json_decref(body);
	if (r == 0)
		r = exec_lookup(cs, id, &e, &err);
	if (r == 0 && (r = exec_start(cs, e, &h->io, &err)) < 0)
		exec_release(cs, e);
	if (r == 0) {
		h->probe = e;
	} else {
		/* A probe that could not run is a failed probe (dockerd: -1 and
		 * the error). */
		log_warn(cs->deps.log, "Health check for container %s error: %s", c->id,
			 error_msg(&err));
		record(cs, c, -1, error_msg(&err));
		arm(cs, c);
	}
	error_clear(&err);
}

static void on_timer(uv_timer_t *t)
{
	struct health *h = t->data;
	struct container *c = container_of_health(h);
	if (!c || c->state != CONTAINER_RUNNING || c->paused)
		return;
	if (h->probe) {
		/* The probe ran past its timeout: kill it; its end records
		 * the failure and arms the next one. */
		h->timed_out = true;
		exec_kill(h->probe, SIGKILL);
		return;
	}
	start_probe(h->cs, c);
	if (h->probe) {
		json_t *hc = json_object_get(c->config, "Healthcheck");
		uv_timer_start(
		    h->timer, on_timer,
		    (uint64_t)(or_default(field_ns(hc, "Timeout"), DEFAULT_TIMEOUT) / MS), 0);
	}
}

/* dockerd's getInterval: probes come every StartInterval while the
 * container is starting within its start period, the first one after the
 * start period right when it ends, then every Interval. */
static int64_t next_delay(const struct container *c)
{
	json_t *hc = json_object_get(c->config, "Healthcheck");
	int64_t interval = or_default(field_ns(hc, "Interval"), DEFAULT_INTERVAL);
	int64_t start_period = field_ns(hc, "StartPeriod");
	int64_t elapsed = time_now_ns() - c->started_ns;
	if (elapsed >= start_period)
		return interval;
	if (start_period - elapsed < interval)
		return start_period - elapsed;
	if (c->health->status == HEALTH_STARTING)
		return or_default(field_ns(hc, "StartInterval"), DEFAULT_START_INTERVAL);
	return interval;
}

static void arm(struct containers *cs, struct container *c)
{
	struct health *h = c->health;
	if (!h->timer) {
		h->timer = malloc(sizeof(*h->timer));
		if (!h->timer)
			return;
		uv_timer_init(cs->deps.loop, h->timer);
		h->timer->data = h;
	}
	int64_t ms = next_delay(c) / MS;
	uv_timer_start(h->timer, on_timer, (uint64_t)(ms > 0 ? ms : 1), 0);
}

static void stop_probing(struct health *h)
{
	if (h->timer) {
		uv_close((uv_handle_t *)h->timer, (uv_close_cb)free);
		h->timer = NULL;
	}
	if (h->probe) {
		/* Its result is of no interest any more (dockerd cancels it
		 * too); a paused container's probe dies when thawed. */
		exec_kill(h->probe, SIGKILL);
		exec_release(h->cs, h->probe);
		h->probe = NULL;
	}
}

static struct health *health_new(struct containers *cs, struct container *c)
{
	struct health *h = calloc(1, sizeof(*h));
	if (!h || !(h->log = json_array())) {
		free(h);
		return NULL;
	}
	h->cs = cs;
	memcpy(h->cid, c->id, sizeof(h->cid));
	return h;
}

void health_container_started(struct containers *cs, struct container *c)
{
	if (!has_probe(c))
		return;
	if (c->health)
		stop_probing(c->health);
	else if (!(c->health = health_new(cs, c)))
		return;
	c->health->cs = cs;
	c->health->status = HEALTH_STARTING;
	c->health->failing_streak = 0;
	arm(cs, c);
}

void health_container_resumed(struct containers *cs, struct container *c)
{
	if (!has_probe(c) || c->state != CONTAINER_RUNNING || c->paused)
		return;
	if (!c->health && !(c->health = health_new(cs, c)))
		return;
	c->health->cs = cs;
	if (!c->health->timer && !c->health->probe)
		arm(cs, c);
}

void health_container_stopped(struct containers *cs, struct container *c)
{
	if (!c->health)
		return;
	stop_probing(c->health);
	c->health->status = HEALTH_UNHEALTHY;
}

void health_close(struct container *c)
{
	if (c->health)
		stop_probing(c->health);
}

void health_free(struct health *h)
{
	if (!h)
		return;
	stop_probing(h);
	json_decref(h->log);
	free(h);
}

/* ---- JSON ---- */

json_t *health_state_json(const struct health *h)
{
	if (!h)
		return NULL;
	return json_pack("{s:s, s:i, s:O}", "Status", health_status_name(h->status),
			 "FailingStreak", h->failing_streak, "Log", h->log);
}

int health_load(struct container *c, json_t *state_health)
{
	if (!json_is_object(state_health))
		return 0;
	struct health *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	memcpy(h->cid, c->id, sizeof(h->cid));
	h->status = status_from_name(json_string_value(json_object_get(state_health, "Status")));
	h->failing_streak = (int)json_integer_value(json_object_get(state_health, "FailingStreak"));
	json_t *log = json_object_get(state_health, "Log");
	h->log = json_is_array(log) ? json_deep_copy(log) : json_array();
	if (!h->log) {
		free(h);
		return -ENOMEM;
	}
	c->health = h;
	return 0;
}

/* ---- observers ---- */

int health_subscribe(struct containers *cs, health_change_fn fn, void *userdata,
		     struct health_sub **ret)
{
	struct health_sub *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct health_sub){.next = cs->health_subs, .fn = fn, .userdata = userdata};
	cs->health_subs = s;
	*ret = s;
	return 0;
}

void health_unsubscribe(struct containers *cs, struct health_sub *sub)
{
	for (struct health_sub **p = &cs->health_subs; sub && *p; p = &(*p)->next)
		if (*p == sub) {
			*p = sub->next;
			free(sub);
			return;
		}
}

void health_subs_free(struct containers *cs)
{
	while (cs && cs->health_subs) {
		struct health_sub *s = cs->health_subs;
		cs->health_subs = s->next;
		free(s);
	}
}
