/* Restart policies, as dockerd's restartmanager: no, always, on-failure[:N],
 * unless-stopped. A container that exits is started again after a back-off
 * (100 ms, doubled at each restart, at most a minute, back to 100 ms once a
 * run lasted 10 s); a stop or kill by a user never leads to a restart, and
 * that is remembered across daemon restarts for unless-stopped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/log.h"
#include "engine/container.h"
#include "engine/containers_priv.h"
#include "network/network.h"

#define RESTART_FIRST_MS 100
#define RESTART_MAX_MS 60000
#define RESTART_RESET_NS (10 * 1000000000LL)

static const char *policy_name(const struct container *c)
{
	const char *n = json_string_value(
		json_object_get(json_object_get(c->host_config, "RestartPolicy"), "Name"));
	return n ? n : "";
}

static json_int_t policy_max(const struct container *c)
{
	return json_integer_value(
		json_object_get(json_object_get(c->host_config, "RestartPolicy"), "MaximumRetryCount"));
}

int container_restart_policy_validate(json_t *host_config, struct error *err)
{
	json_t *p = json_object_get(host_config, "RestartPolicy");
	const char *name = json_string_value(json_object_get(p, "Name"));
	json_int_t max = json_integer_value(json_object_get(p, "MaximumRetryCount"));
	if (!name || !*name)
		return 0;
	if (!strcmp(name, "always") || !strcmp(name, "unless-stopped") || !strcmp(name, "no")) {
		if (max != 0)
			return error_set(err, -EINVAL,
					 "maximum retry count cannot be used with restart policy '%s'",
					 name);
		return 0;
	}
	if (!strcmp(name, "on-failure"))
		return max < 0 ? error_set(err, -EINVAL, "maximum retry count cannot be negative") : 0;
	return error_set(err, -EINVAL, "invalid restart policy '%s'", name);
}

const char *container_status(const struct container *c)
{
	if (c->restart_timer)
		return "restarting";
	if (c->paused && c->state == CONTAINER_RUNNING)
		return "paused";
	return container_state_name(c->state);
}

/* restartmanager.ShouldRestart, without its side effects. */
static bool should_restart(const struct container *c)
{
	const char *p = policy_name(c);
	if (c->manual_stop || c->removing)
		return false;
	if (!strcmp(p, "always") || !strcmp(p, "unless-stopped"))
		return true;
	if (!strcmp(p, "on-failure"))
		return c->exit_code != 0 && (policy_max(c) == 0 || c->restart_count < policy_max(c));
	return false;
}

static void save_or_warn(struct containers *cs, struct container *c)
{
	struct error err = ERROR_INIT;
	if (container_save(cs, c, &err) < 0)
		log_warn(cs->deps.log, "container %s: %s", c->id, error_msg(&err));
	error_clear(&err);
}

void container_restart_cancel(struct container *c)
{
	if (!c->restart_timer)
		return;
	uv_close((uv_handle_t *)c->restart_timer, (uv_close_cb)free);
	c->restart_timer = NULL;
}

bool container_mark_stopped(struct containers *cs, struct container *c)
{
	/* A start in flight is stopped once it settled (container_start_settled). */
	bool pending = c->restart_timer != NULL || c->starting;
	if (c->state != CONTAINER_RUNNING && !pending)
		return false;
	container_restart_cancel(c);
	if (!c->manual_stop) {
		c->manual_stop = true;
		save_or_warn(cs, c);
	}
	return pending;
}

struct restart_ctx {
	struct containers *cs;
	char id[65];
};

static void restarted(int r, const struct error *err, void *userdata)
{
	struct restart_ctx *rc = userdata;
	if (r < 0)
		log_warn(rc->cs->deps.log, "restarting container %s: %s", rc->id, error_msg(err));
	free(rc);
}

static void start_quietly(struct containers *cs, struct container *c,
			  void (*start)(struct containers *, struct container *, container_done_fn,
					void *))
{
	struct restart_ctx *rc = calloc(1, sizeof(*rc));
	if (!rc)
		return;
	rc->cs = cs;
	memcpy(rc->id, c->id, sizeof(rc->id));
	start(cs, c, restarted, rc);
}

/* c->restart_timer points at its first member. */
struct restart_timer {
	uv_timer_t timer;
	struct containers *cs;
};

static void on_restart_timer(uv_timer_t *t)
{
	struct container *c = t->data;
	struct containers *cs = ((struct restart_timer *)t)->cs;
	container_restart_cancel(c);
	start_quietly(cs, c, container_start);
}

void container_restart_after_exit(struct containers *cs, struct container *c)
{
	if (c->restart_timer || !should_restart(c))
		return;
	struct restart_timer *rt = calloc(1, sizeof(*rt));
	if (!rt)
		return;
	rt->cs = cs;
	uv_timer_t *t = &rt->timer;
	if (c->finished_ns - c->started_ns >= RESTART_RESET_NS)
		c->restart_delay_ms = 0;
	c->restart_delay_ms = c->restart_delay_ms ? c->restart_delay_ms * 2 : RESTART_FIRST_MS;
	if (c->restart_delay_ms > RESTART_MAX_MS)
		c->restart_delay_ms = RESTART_MAX_MS;
	c->restart_count++;
	save_or_warn(cs, c);
	uv_timer_init(cs->deps.loop, t);
	t->data = c;
	c->restart_timer = t;
	uv_timer_start(t, on_restart_timer, c->restart_delay_ms, 0);
}

void container_start_manual(struct containers *cs, struct container *c, container_done_fn done,
			    void *userdata)
{
	if (c->state != CONTAINER_RUNNING && !c->starting) {
		container_restart_cancel(c);
		c->restart_count = 0;
		c->restart_delay_ms = 0;
		c->manual_stop = false;
	}
	container_start(cs, c, done, userdata);
}

/* Whether c's start asks the swarm for attachments (network.h). */
static bool needs_swarm(struct containers *cs, const struct container *c)
{
	struct net_container nc;
	return network_container_detached(cs->networks, container_net(c, &nc));
}

/* The stopped containers whose policy wants them running again: those
 * that need the swarm to start (swarm), or the others. */
static void restart_stopped(struct containers *cs, bool swarm)
{
	for (size_t i = 0; i < containers_count(cs); i++) {
		struct container *c = containers_at(cs, i);
		/* Those with a link are being re-attached: their exit, if any,
		 * goes through container_exited and its policy. */
		if (c->link || c->starting || c->restart_timer || c->state == CONTAINER_RUNNING ||
		    c->started_ns <= 0 || !should_restart(c) || needs_swarm(cs, c) != swarm)
			continue;
		log_info(cs->deps.log, "restarting container %s (restart policy %s)", c->id,
			 policy_name(c));
		start_quietly(cs, c, container_start_manual);
	}
}

void containers_restart_on_boot(struct containers *cs)
{
	restart_stopped(cs, false);
}

void containers_restart_attached(struct containers *cs)
{
	if (cs->swarm_restarts_done)
		return;
	cs->swarm_restarts_done = true;
	restart_stopped(cs, true);
}
