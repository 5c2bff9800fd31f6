/* Container health checks, as dockerd runs them (moby daemon/health.go):
 * the Config.Healthcheck probe (CMD, CMD-SHELL; NONE disables one from the
 * image) runs as an exec in the container on a timer of the loop, its
 * results make State.Health (starting, healthy, unhealthy, the failing
 * streak and the last five results) and health_status events. Probing
 * stops while the container is stopped or paused.
 *
 * The engine's container code calls the health_container_* hooks; other
 * subsystems (the swarm agent) learn about changes with health_subscribe. */
#pragma once

#include <jansson.h>

#include "basic/error.h"

struct containers;
struct container;
struct health;

enum health_status {
	HEALTH_NONE, /* no health check */
	HEALTH_STARTING,
	HEALTH_HEALTHY,
	HEALTH_UNHEALTHY,
};

/* "none", "starting", "healthy", "unhealthy". */
const char *health_status_name(enum health_status s);
/* c's status; HEALTH_NONE when it never ran with a health check. */
enum health_status health_status_of(const struct container *c);

/* --- create: Config.Healthcheck --- */

/* dockerd's validateHealthCheck: 400 "Interval in Healthcheck cannot be
 * less than 1ms", "Retries in Healthcheck cannot be negative", ... */
int health_config_validate(json_t *config, struct error *err);
/* Fills what the user's Healthcheck leaves out from the image's (dockerd's
 * merge of the two configs). */
void health_config_merge(json_t *config, json_t *image_config);

/* --- the container's life --- */

/* A run began: the status is "starting" again, and probing starts. */
void health_container_started(struct containers *cs, struct container *c);
/* Probing resumes with the state kept (after unpause, or when berthd
 * re-attaches to a running container after a restart). */
void health_container_resumed(struct containers *cs, struct container *c);
/* The container stopped or was paused: probing stops and the status is
 * "unhealthy", as dockerd has it then (no event). */
void health_container_stopped(struct containers *cs, struct container *c);
/* Daemon shutdown: timers and probes are let go, the state is kept. */
void health_close(struct container *c);
void health_free(struct health *h);

/* --- JSON --- */

/* State.Health: {"Status","FailingStreak","Log"}, NULL without a health
 * check. */
json_t *health_state_json(const struct health *h);
/* Restores c's health state from a saved State.Health (NULL: none).
 * -ENOMEM. */
int health_load(struct container *c, json_t *state_health);

/* --- observers --- */

/* Called on every status change of any container (after the event). */
typedef void (*health_change_fn)(struct containers *cs, const struct container *c,
				 enum health_status status, void *userdata);
struct health_sub;
/* 0 or -ENOMEM; *ret identifies the subscription. */
int health_subscribe(struct containers *cs, health_change_fn fn, void *userdata,
		     struct health_sub **ret);
/* Ends a subscription; accepts NULL. Not from inside its own callback. */
void health_unsubscribe(struct containers *cs, struct health_sub *sub);
/* Frees what is left at daemon shutdown. */
void health_subs_free(struct containers *cs);
