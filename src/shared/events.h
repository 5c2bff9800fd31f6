/* The daemon's event log: a bounded history of what happened (dockerd keeps the
 * last 256 events), subscribers called synchronously on the loop as events are
 * published, and Docker's event filters and JSON form (moby daemon/events/).
 * Single-threaded by design: the libuv loop owns the log, so replaying history
 * and then subscribing in the same turn of the loop cannot miss an event. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "shared/filters.h"

#define EVENT_LOG_DEFAULT_CAPACITY 256 /* dockerd's eventsLimit */

/* One event. Read-only for everyone but the log; valid during a callback, or
 * longer with event_ref(). */
struct event {
	const char *type;   /* "container", "image", "network", ... */
	const char *action; /* "create", "exec_start: sh -c ...", ... */
	const char *actor_id;
	json_t *attributes; /* object of strings, never NULL (maybe empty) */
	const char *scope;  /* "local" or "swarm" */
	int64_t time_ns;    /* nanoseconds since the epoch */
	uint64_t seq;	    /* 1, 2, 3... in publishing order */
	unsigned refs;	    /* private to events.c */
};

/* Keeps ev alive after the callback returns (e.g. queued for a slow client). */
struct event *event_ref(const struct event *ev);
/* Accepts NULL. */
void event_unref(struct event *ev);

struct event_log;
struct event_sub;

typedef void (*event_handler_t)(const struct event *ev, void *userdata);

/* A log keeping the newest `capacity` events (0 keeps none but still calls
 * subscribers). NULL on allocation failure. */
struct event_log *event_log_new(size_t capacity);

/* Frees the log, its history and any subscriptions left. Accepts NULL. Must
 * not be called from inside one of its callbacks. */
void event_log_free(struct event_log *log);
static inline void event_log_freep(struct event_log **log)
{
	event_log_free(*log);
}

/* Records an event stamped with time_now_ns() and calls every subscriber with
 * it before returning. attributes (object of strings, may be NULL) is stolen
 * even on failure. Callbacks may publish, subscribe and unsubscribe. Returns
 * 0, -EINVAL (attributes not an object of strings, a NULL string argument) or
 * -ENOMEM. */
int event_log_publish(struct event_log *log, const char *type, const char *action,
		      const char *actor_id, json_t *attributes, const char *scope);

/* event_log_publish() with an explicit time: swarm events carry the time of
 * the store change, and tests want a virtual clock. */
int event_log_publish_at(struct event_log *log, int64_t time_ns, const char *type,
			 const char *action, const char *actor_id, json_t *attributes,
			 const char *scope);

/* Calls cb for every event published from now on (not the one being
 * broadcast, when called from inside a callback). *ret identifies the
 * subscription for event_log_unsubscribe(). 0 or -ENOMEM. */
int event_log_subscribe(struct event_log *log, event_handler_t cb, void *userdata,
			struct event_sub **ret);

/* Ends a subscription; sub is invalid afterwards. Safe from inside any
 * callback, including sub's own: a removed subscriber is not called again,
 * not even for the event being broadcast. Accepts NULL. */
void event_log_unsubscribe(struct event_log *log, struct event_sub *sub);

/* Number of live subscriptions. */
size_t event_log_subscribers(const struct event_log *log);

/* Calls cb, oldest first, for each stored event with since_ns <= time_ns <=
 * until_ns that matches f (NULL: all). since_ns 0 and until_ns INT64_MAX leave
 * that side open. Returns how many events cb saw. Note dockerd replays
 * nothing when the client gives neither since nor until; that choice is the
 * API handler's. */
size_t event_log_replay(const struct event_log *log, int64_t since_ns, int64_t until_ns,
			const struct filters *f, event_handler_t cb, void *userdata);

/* Docker's event filter (moby daemon/events/filter.go Filter.Include): every
 * key present must match. container, daemon, network, node, plugin, secret,
 * service, volume and config match a prefix of the actor ID or of its "name"
 * attribute; image matches the actor ID or the image ("name" for image events)
 * exactly, with or without tag or digest, in familiar form; event and type
 * exactly (event by prefix when a value is health_status, exec_create or
 * exec_start); scope exactly; label against the attributes. f NULL matches. */
bool event_matches(const struct event *ev, const struct filters *f);

/* The keys event_matches() understands, NULL-terminated. dockerd itself does
 * not reject other keys on GET /events (they match nothing and exclude
 * nothing), so validate with this only where stricter behaviour is wanted. */
extern const char *const event_filter_keys[];

/* Docker's JSON message for ev, fields in dockerd's order: the legacy
 * "status", "id" and "from" (container events; image events have no "from";
 * each omitted when empty, like Go's omitempty), "Type", "Action",
 * "Actor":{"ID","Attributes"} (attributes sorted by key, as Go writes maps),
 * "scope", "time" (seconds), "timeNano". This is what API versions before
 * 1.52 return. NULL on allocation failure. */
json_t *event_to_json(const struct event *ev);

/* event_to_json() choosing whether the legacy fields appear: dockerd drops
 * them from API version 1.52 on. */
json_t *event_to_json_api(const struct event *ev, bool legacy_fields);
