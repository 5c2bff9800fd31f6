/* Tests of the event log: ring, subscribers, replay, Docker's event filters and
 * the JSON message. Times are explicit, so nothing depends on the clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shared/filters.h"
#include "shared/events.h"

#define SEC 1000000000LL

/* ---- helpers ---- */

struct recorder {
	size_t n;
	char actors[32][64];
	int64_t times[32];
};

static void record(const struct event *ev, void *userdata)
{
	struct recorder *r = userdata;
	if (r->n < 32) {
		strncpy(r->actors[r->n], ev->actor_id, 63);
		r->times[r->n] = ev->time_ns;
	}
	r->n++;
}

static void pub(struct event_log *log, int64_t t, const char *type, const char *action,
		const char *id, json_t *attrs)
{
	assert_int_equal(event_log_publish_at(log, t, type, action, id, attrs, "local"), 0);
}

static struct filters *F(const char *json)
{
	struct filters *f = NULL;
	assert_int_equal(filters_parse(json, &f, NULL), 0);
	return f;
}

/* A stack event for the filter tests; attrs is borrowed. */
static struct event mk(const char *type, const char *action, const char *id, json_t *attrs,
		       const char *scope)
{
	return (struct event){.type = type,
			      .action = action,
			      .actor_id = id,
			      .attributes = attrs,
			      .scope = scope,
			      .time_ns = 1};
}

static bool matches(const struct event *ev, const char *json)
{
	struct filters *f = F(json);
	bool r = event_matches(ev, f);
	filters_free(f);
	return r;
}

/* ---- ring and replay ---- */

static void test_ring_wraps(void **state)
{
	struct event_log *log = event_log_new(3);
	for (int i = 1; i <= 5; i++) {
		char id[16];
		snprintf(id, sizeof(id), "c%d", i);
		pub(log, i * SEC, "container", "start", id, NULL);
	}
	struct recorder r = {0};
	assert_int_equal(event_log_replay(log, 0, INT64_MAX, NULL, record, &r), 3);
	assert_string_equal(r.actors[0], "c3");
	assert_string_equal(r.actors[1], "c4");
	assert_string_equal(r.actors[2], "c5");
	event_log_free(log);
}

static void test_zero_capacity(void **state)
{
	struct event_log *log = event_log_new(0);
	struct recorder r = {0};
	struct event_sub *sub;
	assert_int_equal(event_log_subscribe(log, record, &r, &sub), 0);
	pub(log, SEC, "container", "start", "c1", NULL);
	assert_int_equal(r.n, 1);
	assert_int_equal(event_log_replay(log, 0, INT64_MAX, NULL, record, &r), 0);
	event_log_free(log); /* frees the subscription too */
}

static void test_replay_windows(void **state)
{
	struct event_log *log = event_log_new(EVENT_LOG_DEFAULT_CAPACITY);
	pub(log, 10 * SEC, "container", "create", "a", NULL);
	pub(log, 20 * SEC, "image", "pull", "b", NULL);
	pub(log, 30 * SEC, "container", "start", "c", NULL);
	pub(log, 40 * SEC, "network", "create", "d", NULL);

	struct recorder r = {0};
	assert_int_equal(event_log_replay(log, 20 * SEC, 30 * SEC, NULL, record, &r), 2);
	assert_string_equal(r.actors[0], "b");
	assert_string_equal(r.actors[1], "c");

	memset(&r, 0, sizeof(r));
	assert_int_equal(event_log_replay(log, 20 * SEC + 1, INT64_MAX, NULL, record, &r), 2);
	assert_string_equal(r.actors[0], "c");

	memset(&r, 0, sizeof(r));
	assert_int_equal(event_log_replay(log, 0, 10 * SEC, NULL, record, &r), 1);
	assert_string_equal(r.actors[0], "a");

	assert_int_equal(event_log_replay(log, 41 * SEC, INT64_MAX, NULL, record, &r), 0);
	assert_int_equal(event_log_replay(log, 0, 9 * SEC, NULL, record, &r), 0);

	struct filters *f = F("{\"type\":[\"container\"]}");
	memset(&r, 0, sizeof(r));
	assert_int_equal(event_log_replay(log, 0, INT64_MAX, f, record, &r), 2);
	assert_string_equal(r.actors[0], "a");
	assert_string_equal(r.actors[1], "c");
	filters_free(f);
	event_log_free(log);
}

struct replay_pub {
	struct event_log *log;
	size_t seen;
};

/* Publishing from a replay callback rotates a full ring under the walk. */
static void publish_during_replay(const struct event *ev, void *userdata)
{
	struct replay_pub *rp = userdata;
	rp->seen++;
	pub(rp->log, 100 * SEC, "container", "die", "new", NULL);
}

static void test_replay_while_publishing(void **state)
{
	struct event_log *log = event_log_new(2);
	pub(log, 1 * SEC, "container", "start", "a", NULL);
	pub(log, 2 * SEC, "container", "start", "b", NULL);
	struct replay_pub rp = {log, 0};
	/* each callback evicts the oldest event: "a" (held by the replay) and then
	 * "b" are seen, the events published meanwhile are not, and nothing is
	 * read after being freed */
	assert_int_equal(event_log_replay(log, 0, INT64_MAX, NULL, publish_during_replay, &rp), 2);
	assert_int_equal(rp.seen, 2);
	event_log_free(log);
}

/* ---- subscribers ---- */

struct unsub_ctx {
	struct event_log *log;
	struct event_sub *self, *other;
	size_t calls;
};

static void unsub_self(const struct event *ev, void *userdata)
{
	struct unsub_ctx *c = userdata;
	c->calls++;
	event_log_unsubscribe(c->log, c->self);
}

static void unsub_other(const struct event *ev, void *userdata)
{
	struct unsub_ctx *c = userdata;
	c->calls++;
	event_log_unsubscribe(c->log, c->other);
	c->other = NULL;
}

static void test_unsubscribe_in_callback(void **state)
{
	struct event_log *log = event_log_new(8);
	struct unsub_ctx a = {.log = log}, b = {.log = log};
	struct recorder later = {0}, first = {0};
	struct event_sub *s_first, *s_later;
	assert_int_equal(event_log_subscribe(log, record, &first, &s_first), 0);
	assert_int_equal(event_log_subscribe(log, unsub_self, &a, &a.self), 0);
	assert_int_equal(event_log_subscribe(log, unsub_other, &b, &b.self), 0);
	assert_int_equal(event_log_subscribe(log, record, &later, &s_later), 0);
	b.other = s_later;
	assert_int_equal(event_log_subscribers(log), 4);

	pub(log, SEC, "container", "start", "x", NULL);
	/* a removed itself after its call; b removed "later" before its turn */
	assert_int_equal(first.n, 1);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(later.n, 0);
	assert_int_equal(event_log_subscribers(log), 2);

	pub(log, 2 * SEC, "container", "stop", "x", NULL);
	assert_int_equal(first.n, 2);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 2);

	event_log_unsubscribe(log, b.self);
	event_log_unsubscribe(log, s_first);
	event_log_unsubscribe(log, NULL);
	assert_int_equal(event_log_subscribers(log), 0);
	event_log_free(log);
}

struct nested {
	struct event_log *log;
	struct event_sub *added;
	struct recorder rec;
	int depth;
	int64_t first_seen_time;
};

/* Subscribes a recorder and publishes again from inside a callback. */
static void nest(const struct event *ev, void *userdata)
{
	struct nested *n = userdata;
	if (n->depth++ > 0)
		return;
	n->first_seen_time = ev->time_ns;
	assert_int_equal(event_log_subscribe(n->log, record, &n->rec, &n->added), 0);
	pub(n->log, 2 * SEC, "container", "die", "inner", NULL);
	/* ev is still valid although the capacity-1 ring dropped it */
	assert_string_equal(ev->actor_id, "outer");
	assert_int_equal(ev->time_ns, n->first_seen_time);
}

static void test_publish_and_subscribe_in_callback(void **state)
{
	struct event_log *log = event_log_new(1);
	struct nested n = {.log = log};
	struct event_sub *s;
	assert_int_equal(event_log_subscribe(log, nest, &n, &s), 0);
	pub(log, SEC, "container", "start", "outer", NULL);
	/* the new subscriber got the inner event only, not the outer in flight */
	assert_int_equal(n.rec.n, 1);
	assert_string_equal(n.rec.actors[0], "inner");
	event_log_free(log);
}

static void keep_ref(const struct event *ev, void *userdata)
{
	*(struct event **)userdata = event_ref(ev);
}

static void test_event_ref_outlives_ring(void **state)
{
	struct event_log *log = event_log_new(1);
	struct event *kept = NULL;
	struct event_sub *s;
	assert_int_equal(event_log_subscribe(log, keep_ref, &kept, &s), 0);
	pub(log, SEC, "volume", "create", "v1", json_pack("{s:s}", "driver", "local"));
	struct event *first = kept;
	event_log_unsubscribe(log, s);
	pub(log, 2 * SEC, "volume", "create", "v2", NULL);
	event_log_free(log);
	assert_string_equal(first->actor_id, "v1");
	assert_string_equal(json_string_value(json_object_get(first->attributes, "driver")),
			    "local");
	event_unref(first);
}

static void test_publish_rejects_bad_input(void **state)
{
	struct event_log *log = event_log_new(4);
	assert_int_equal(
	    event_log_publish(log, "container", "start", "x", json_pack("{s:i}", "n", 1), "local"),
	    -EINVAL);
	assert_int_equal(event_log_publish(log, "container", "start", "x", json_array(), "local"),
			 -EINVAL);
	assert_int_equal(event_log_publish(log, "container", NULL, "x", NULL, "local"), -EINVAL);
	assert_int_equal(event_log_publish(log, "container", "start", "x", NULL, "local"), 0);
	struct recorder r = {0};
	assert_int_equal(event_log_replay(log, 0, INT64_MAX, NULL, record, &r), 1);
	/* stamped with the wall clock */
	assert_true(r.times[0] > 1500000000LL * SEC);
	event_log_free(log);
	event_log_free(NULL);
}

/* ---- filters ---- */

static void test_filter_type_event_scope(void **state)
{
	json_t *a = json_object();
	struct event ev = mk("container", "start", "abc", a, "local");
	assert_true(event_matches(&ev, NULL));
	assert_true(matches(&ev, ""));
	assert_true(matches(&ev, "{\"type\":[\"container\",\"image\"]}"));
	assert_false(matches(&ev, "{\"type\":[\"image\"]}"));
	assert_true(matches(&ev, "{\"event\":[\"start\",\"stop\"]}"));
	assert_false(matches(&ev, "{\"event\":[\"stop\"]}"));
	assert_false(matches(&ev, "{\"event\":[\"star\"]}"));
	assert_true(matches(&ev, "{\"scope\":[\"local\"]}"));
	assert_false(matches(&ev, "{\"scope\":[\"swarm\"]}"));
	/* keys AND together */
	assert_false(matches(&ev, "{\"type\":[\"container\"],\"event\":[\"die\"]}"));

	/* actions with a suffix match their prefix filter (#25798) */
	struct event hs = mk("container", "health_status: healthy", "abc", a, "local");
	assert_true(matches(&hs, "{\"event\":[\"health_status\"]}"));
	assert_true(matches(&hs, "{\"event\":[\"health_status: healthy\"]}"));
	struct event ex = mk("container", "exec_start: sh -c true", "abc", a, "local");
	assert_true(matches(&ex, "{\"event\":[\"exec_start\"]}"));
	struct event ec = mk("container", "exec_create: ls", "abc", a, "local");
	assert_true(matches(&ec, "{\"event\":[\"exec_create\"]}"));
	/* ... and once one such value is present, all values match by prefix */
	assert_true(matches(&ev, "{\"event\":[\"exec_start\",\"sta\"]}"));
	/* other actions stay exact */
	struct event ed = mk("container", "exec_die", "abc", a, "local");
	assert_false(matches(&ed, "{\"event\":[\"exec\"]}"));
	json_decref(a);
}

/* Keys matched by ID prefix or "name" attribute prefix, and which exclude
 * events of other types because those carry other IDs and names. */
static void test_filter_by_name_keys(void **state)
{
	static const char *const types[] = {"container", "daemon",  "network", "node",	"plugin",
					    "secret",	 "service", "volume",  "config"};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		json_t *a = json_pack("{s:s}", "name", "web-1");
		struct event ev = mk(types[i], "create", "0123456789ab", a, "swarm");
		char q[128];
		snprintf(q, sizeof(q), "{\"%s\":[\"0123456789ab\"]}", types[i]);
		assert_true(matches(&ev, q));
		snprintf(q, sizeof(q), "{\"%s\":[\"0123\"]}", types[i]);
		assert_true(matches(&ev, q));
		snprintf(q, sizeof(q), "{\"%s\":[\"web-1\"]}", types[i]);
		assert_true(matches(&ev, q));
		snprintf(q, sizeof(q), "{\"%s\":[\"web\"]}", types[i]);
		assert_true(matches(&ev, q));
		snprintf(q, sizeof(q), "{\"%s\":[\"nope\",\"web\"]}", types[i]);
		assert_true(matches(&ev, q));
		snprintf(q, sizeof(q), "{\"%s\":[\"123\"]}", types[i]);
		assert_false(matches(&ev, q));
		snprintf(q, sizeof(q), "{\"%s\":[\"eb-1\"]}", types[i]);
		assert_false(matches(&ev, q));
		json_decref(a);
	}
	/* a container filter excludes an image event */
	json_t *a = json_pack("{s:s}", "name", "busybox:latest");
	struct event img = mk("image", "pull", "sha256:ffff", a, "local");
	assert_false(matches(&img, "{\"container\":[\"web\"]}"));
	json_decref(a);
}

static void test_filter_image(void **state)
{
	json_t *ca = json_pack("{s:s, s:s}", "image", "busybox:latest", "name", "c1");
	struct event c = mk("container", "start", "cid", ca, "local");
	assert_true(matches(&c, "{\"image\":[\"busybox:latest\"]}"));
	assert_true(matches(&c, "{\"image\":[\"busybox\"]}"));
	assert_false(matches(&c, "{\"image\":[\"busybox:1.36\"]}"));
	assert_false(matches(&c, "{\"image\":[\"busy\"]}"));
	assert_false(matches(&c, "{\"image\":[\"c1\"]}")); /* name is not the image */
	assert_true(matches(&c, "{\"image\":[\"cid\"]}")); /* the actor ID counts */
	json_decref(ca);

	/* fully qualified Hub names and digests are compared in familiar form */
	ca = json_pack("{s:s}", "image", "docker.io/library/busybox:1.36");
	c = mk("container", "start", "cid", ca, "local");
	assert_true(matches(&c, "{\"image\":[\"busybox\"]}"));
	assert_false(matches(&c, "{\"image\":[\"docker.io/library/busybox\"]}"));
	json_decref(ca);

	ca = json_pack("{s:s}", "image",
		       "busybox@sha256:"
		       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	c = mk("container", "start", "cid", ca, "local");
	assert_true(matches(&c, "{\"image\":[\"busybox\"]}"));
	json_decref(ca);

	ca = json_pack("{s:s}", "image", "index.docker.io/someone/app:v2");
	c = mk("container", "start", "cid", ca, "local");
	assert_true(matches(&c, "{\"image\":[\"someone/app\"]}"));
	json_decref(ca);

	/* other registries keep their domain, port included */
	ca = json_pack("{s:s}", "image", "localhost:5000/team/app:dev");
	c = mk("container", "start", "cid", ca, "local");
	assert_true(matches(&c, "{\"image\":[\"localhost:5000/team/app\"]}"));
	assert_false(matches(&c, "{\"image\":[\"team/app\"]}"));
	json_decref(ca);

	/* not a reference (upper case): compared as is only */
	ca = json_pack("{s:s}", "image", "BusyBox:latest");
	c = mk("container", "start", "cid", ca, "local");
	assert_true(matches(&c, "{\"image\":[\"BusyBox:latest\"]}"));
	assert_false(matches(&c, "{\"image\":[\"BusyBox\"]}"));
	json_decref(ca);

	/* image events name the image in "name" */
	json_t *ia = json_pack("{s:s}", "name", "alpine:3.20");
	struct event i = mk("image", "pull", "sha256:1111", ia, "local");
	assert_true(matches(&i, "{\"image\":[\"alpine\"]}"));
	assert_true(matches(&i, "{\"image\":[\"alpine:3.20\"]}"));
	assert_true(matches(&i, "{\"image\":[\"sha256:1111\"]}"));
	assert_false(matches(&i, "{\"image\":[\"debian\"]}"));
	json_decref(ia);

	/* an event without image attribute is excluded by an image filter */
	json_t *na = json_object();
	struct event n = mk("network", "create", "nid", na, "local");
	assert_false(matches(&n, "{\"image\":[\"busybox\"]}"));
	json_decref(na);
}

static void test_filter_label(void **state)
{
	json_t *a = json_pack("{s:s, s:s, s:s}", "image", "busybox", "name", "c1",
			      "com.example.tier", "web");
	struct event ev = mk("container", "start", "cid", a, "local");
	assert_true(matches(&ev, "{\"label\":[\"com.example.tier\"]}"));
	assert_true(matches(&ev, "{\"label\":[\"com.example.tier=web\"]}"));
	assert_false(matches(&ev, "{\"label\":[\"com.example.tier=db\"]}"));
	assert_false(matches(&ev, "{\"label\":[\"com.example.tier=web\",\"other\"]}"));
	/* attributes, not only labels, are what Docker compares */
	assert_true(matches(&ev, "{\"label\":[\"name=c1\"]}"));
	json_decref(a);
	json_t *none = json_object();
	ev = mk("daemon", "reload", "did", none, "local");
	assert_false(matches(&ev, "{\"label\":[\"x\"]}"));
	json_decref(none);
}

static void test_filter_keys_list(void **state)
{
	static const char *const expected[] = {"config", "container", "daemon", "event",  "image",
					       "label",	 "network",   "node",	"plugin", "scope",
					       "secret", "service",   "type",	"volume"};
	size_t n = 0;
	while (event_filter_keys[n])
		n++;
	assert_int_equal(n, sizeof(expected) / sizeof(expected[0]));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(event_filter_keys[i], expected[i]);
	struct filters *f = F("{\"container\":[\"x\"],\"bogus\":[\"y\"]}");
	struct error err = ERROR_INIT;
	assert_int_equal(filters_validate(f, event_filter_keys, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid filter 'bogus'");
	error_clear(&err);
	filters_free(f);
}

/* ---- JSON ---- */

static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static void test_json_container(void **state)
{
	struct event_log *log = event_log_new(4);
	pub(log, 1700000000123456789LL, "container", "start", "cid",
	    json_pack("{s:s, s:s, s:s}", "name", "web", "image", "busybox", "a.label", "1"));
	struct event *ev = NULL;
	struct event_sub *s;
	assert_int_equal(event_log_subscribe(log, keep_ref, &ev, &s), 0);
	pub(log, 1700000000123456789LL, "container", "start", "cid",
	    json_pack("{s:s, s:s, s:s}", "name", "web", "image", "busybox", "a.label", "1"));
	char *j = dump(event_to_json(ev));
	assert_string_equal(j, "{\"status\":\"start\",\"id\":\"cid\",\"from\":\"busybox\","
			       "\"Type\":\"container\",\"Action\":\"start\","
			       "\"Actor\":{\"ID\":\"cid\",\"Attributes\":{\"a.label\":\"1\","
			       "\"image\":\"busybox\",\"name\":\"web\"}},"
			       "\"scope\":\"local\",\"time\":1700000000,"
			       "\"timeNano\":1700000000123456789}");
	free(j);
	j = dump(event_to_json_api(ev, false));
	assert_string_equal(j, "{\"Type\":\"container\",\"Action\":\"start\","
			       "\"Actor\":{\"ID\":\"cid\",\"Attributes\":{\"a.label\":\"1\","
			       "\"image\":\"busybox\",\"name\":\"web\"}},"
			       "\"scope\":\"local\",\"time\":1700000000,"
			       "\"timeNano\":1700000000123456789}");
	free(j);
	event_unref(ev);
	event_log_free(log);
}

static void test_json_other_types(void **state)
{
	json_t *a = json_pack("{s:s}", "name", "alpine:latest");
	struct event ev = mk("image", "pull", "alpine:latest", a, "local");
	ev.time_ns = 5 * SEC;
	char *j = dump(event_to_json(&ev));
	/* image events: status and id, never from */
	assert_string_equal(j, "{\"status\":\"pull\",\"id\":\"alpine:latest\","
			       "\"Type\":\"image\",\"Action\":\"pull\","
			       "\"Actor\":{\"ID\":\"alpine:latest\","
			       "\"Attributes\":{\"name\":\"alpine:latest\"}},"
			       "\"scope\":\"local\",\"time\":5,\"timeNano\":5000000000}");
	free(j);

	/* other types: no legacy fields at all */
	ev = mk("network", "create", "nid", a, "swarm");
	ev.time_ns = 5 * SEC;
	j = dump(event_to_json(&ev));
	assert_string_equal(
	    j, "{\"Type\":\"network\",\"Action\":\"create\","
	       "\"Actor\":{\"ID\":\"nid\",\"Attributes\":{\"name\":\"alpine:latest\"}},"
	       "\"scope\":\"swarm\",\"time\":5,\"timeNano\":5000000000}");
	free(j);
	json_decref(a);

	/* a container without image attribute omits "from", as omitempty does;
	 * empty attributes stay an object */
	json_t *none = json_object();
	ev = mk("container", "destroy", "cid", none, "local");
	ev.time_ns = 999;
	j = dump(event_to_json(&ev));
	assert_string_equal(j, "{\"status\":\"destroy\",\"id\":\"cid\","
			       "\"Type\":\"container\",\"Action\":\"destroy\","
			       "\"Actor\":{\"ID\":\"cid\",\"Attributes\":{}},"
			       "\"scope\":\"local\",\"timeNano\":999}");
	free(j);
	json_decref(none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ring_wraps),
	    cmocka_unit_test(test_zero_capacity),
	    cmocka_unit_test(test_replay_windows),
	    cmocka_unit_test(test_replay_while_publishing),
	    cmocka_unit_test(test_unsubscribe_in_callback),
	    cmocka_unit_test(test_publish_and_subscribe_in_callback),
	    cmocka_unit_test(test_event_ref_outlives_ring),
	    cmocka_unit_test(test_publish_rejects_bad_input),
	    cmocka_unit_test(test_filter_type_event_scope),
	    cmocka_unit_test(test_filter_by_name_keys),
	    cmocka_unit_test(test_filter_image),
	    cmocka_unit_test(test_filter_label),
	    cmocka_unit_test(test_filter_keys_list),
	    cmocka_unit_test(test_json_container),
	    cmocka_unit_test(test_json_other_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
