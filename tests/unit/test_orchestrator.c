/* The orchestrators, the restart and update supervisors and the scheduler
 * on a simulated cluster with a virtual clock: the real store applies each
 * round's decisions (as Raft would, without Raft), a simulated agent per
 * node moves task states as berthd's agent does, and the tests assert the
 * invariants of issue 9 after every round. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "orchestrator/constraint.h"
#include "orchestrator/orchestrator.h"
#include "orchestrator/task_state.h"
#include "swarm/store.h"

#define SEC 1000000000LL
#define ROUND (100 * 1000000LL)

struct sim {
	struct store st;
	int64_t now;
	int next_id;
	bool drop_next;	      /* the leader dies before its round commits */
	int max_running;      /* the most tasks of "web" seen running at once */
	int min_running;      /* the fewest, once min_running is set */
	int max_running_slot; /* the most running tasks seen in one slot */
};

static void new_id(char out[26], void *ctx)
{
	struct sim *s = ctx;
	snprintf(out, 26, "t%024d", ++s->next_id);
}

static void apply(struct sim *s, json_t *cmd)
{
	json_object_set_new(cmd, "ts", json_integer(s->now));
	char *t = json_dumps(cmd, JSON_COMPACT);
	json_decref(cmd);
	struct error err = ERROR_INIT;
	int r = store_apply(&s->st, t, strlen(t), &err);
	if (r < 0)
		fail_msg("store_apply: %s", err.msg);
	free(t);
}

static void add_node(struct sim *s, const char *id, const char *role, const char *zone)
{
	apply(s, json_pack("{s:s, s:{s:s, s:{s:s, s:s, s:{s:s}}, s:{s:s, s:{s:s, s:s}, s:{s:I, "
			   "s:I}}, s:{s:s}}}",
			   "op", "node", "v", "ID", id, "Spec", "Role", role, "Availability",
			   "active", "Labels", "zone", zone, "Description", "Hostname", id,
			   "Platform", "OS", "linux", "Architecture", "x86_64", "Resources",
			   "NanoCPUs", (json_int_t)2 * SEC, "MemoryBytes", (json_int_t)1 << 30,
			   "Status", "State", "ready"));
}

static void node_set(struct sim *s, const char *id, const char *section, const char *key,
		     const char *value)
{
	json_t *n = json_deep_copy(json_object_get(s->st.nodes, id));
	json_object_set_new(json_object_get(n, section), key, json_string(value));
	apply(s, json_pack("{s:s, s:o}", "op", "node", "v", n));
}

static json_t *service(const char *id, const char *image, int replicas)
{
	return json_pack(
	    "{s:s, s:{s:s, s:{s:{s:s}, s:{s:s, s:I}}, s:{s:{s:I}}, s:{s:I, s:s, s:I}}}", "ID", id,
	    "Spec", "Name", id, "TaskTemplate", "ContainerSpec", "Image", image, "RestartPolicy",
	    "Condition", "any", "Delay", (json_int_t)SEC, "Mode", "Replicated", "Replicas",
	    (json_int_t)replicas, "UpdateConfig", "Parallelism", (json_int_t)1, "Order",
	    "stop-first", "Monitor", (json_int_t)SEC);
}

static void put_service(struct sim *s, json_t *svc)
{
	apply(s, json_pack("{s:s, s:o}", "op", "service", "v", svc));
}

static json_t *svc_copy(struct sim *s, const char *id)
{
	return json_deep_copy(json_object_get(s->st.services, id));
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static enum task_state state_of(json_t *t)
{
	return task_state_parse(jstr(json_object_get(t, "Status"), "State"));
}

static bool node_ready(struct sim *s, const char *id)
{
	json_t *n = json_object_get(s->st.nodes, id ? id : "");
	const char *st = jstr(json_object_get(n, "Status"), "State");
	return n && st && strcmp(st, "ready") == 0;
}

static void report(struct sim *s, json_t *reports, json_t *t, enum task_state st)
{
	json_array_append_new(reports, json_pack("{s:s, s:{s:s, s:s, s:I}}", "ID", jstr(t, "ID"),
						 "Status", "State", task_state_name(st), "Message",
						 "sim", "_ns", (json_int_t)s->now));
}

static json_t *jpath_test(json_t *o, const char *a, const char *b)
{
	return json_object_get(json_object_get(o, a), b);
}

static bool image_is(const char *img, const char *name)
{
	return img && strcmp(img, name) == 0;
}

static int64_t since_status(struct sim *s, json_t *t)
{
	return s->now - json_integer_value(json_object_get(json_object_get(t, "Status"), "_ns"));
}

/* A started task of a running task's image: "bad" fails at once, "slow"
 * stays starting for 3 s (a health check not yet healthy), "sick" turns
 * unhealthy and fails 0.5 s after it ran, "late" 3 s after, "sick1" as
 * "sick" in slot 1 only. */
static enum task_state started_state(struct sim *s, json_t *t, const char *img)
{
	enum task_state st = state_of(t);
	if (image_is(img, "bad"))
		return TASK_FAILED;
	if (image_is(img, "slow") && st < TASK_STARTING)
		return TASK_STARTING;
	if (image_is(img, "slow") && since_status(s, t) < 3 * SEC)
		return st;
	return TASK_RUNNING;
}

static bool fails_now(struct sim *s, json_t *t, const char *img)
{
	int64_t slot = json_integer_value(json_object_get(t, "Slot"));
	int64_t ran = since_status(s, t);
	return ((image_is(img, "sick") || (image_is(img, "sick1") && slot == 1)) &&
		ran >= SEC / 2) ||
	       (image_is(img, "late") && ran >= 3 * SEC);
}

/* Every ready node's agent: assigned tasks start (see started_state), some
 * fail while they run (fails_now), stopped ones shut down. A down node's
 * agent does nothing. */
static void agents(struct sim *s)
{
	json_t *reports = json_array();
	const char *id;
	json_t *t;
	json_object_foreach(s->st.tasks, id, t)
	{
		if (!node_ready(s, jstr(t, "NodeID")))
			continue;
		enum task_state st = state_of(t);
		enum task_state want = task_state_parse(jstr(t, "DesiredState"));
		const char *img =
		    jstr(json_object_get(json_object_get(t, "Spec"), "ContainerSpec"), "Image");
		if (want > TASK_RUNNING && st <= TASK_RUNNING && st >= TASK_ASSIGNED)
			report(s, reports, t, TASK_SHUTDOWN);
		else if (image_is(img, "job") && st == TASK_RUNNING)
			report(s, reports, t, TASK_COMPLETE);
		else if (st == TASK_RUNNING && fails_now(s, t, img))
			report(s, reports, t, TASK_FAILED);
		else if (st >= TASK_ASSIGNED && st < TASK_RUNNING && started_state(s, t, img) != st)
			report(s, reports, t, started_state(s, t, img));
	}
	if (json_array_size(reports))
		apply(s, json_pack("{s:s, s:o}", "op", "tasks", "v", reports));
	else
		json_decref(reports);
}

static int running_of(struct sim *s, const char *svc, int slot)
{
	int n = 0;
	const char *id;
	json_t *t;
	json_object_foreach(s->st.tasks, id, t)
	{
		if (strcmp(jstr(t, "ServiceID"), svc) == 0 && state_of(t) == TASK_RUNNING &&
		    node_ready(s, jstr(t, "NodeID")) &&
		    (slot < 0 || json_integer_value(json_object_get(t, "Slot")) == slot))
			n++;
	}
	return n;
}

static void check_invariants(struct sim *s)
{
	int all = running_of(s, "web", -1);
	if (all > s->max_running)
		s->max_running = all;
	if (s->min_running && all < s->min_running)
		s->min_running = all;
	for (int slot = 1; slot <= 20; slot++) {
		int n = running_of(s, "web", slot);
		if (n > s->max_running_slot)
			s->max_running_slot = n;
	}
}

static void step(struct sim *s)
{
	struct orch_in in = {.cluster = s->st.cluster,
			     .nodes = s->st.nodes,
			     .services = s->st.services,
			     .tasks = s->st.tasks,
			     .now_ns = s->now,
			     .new_id = new_id,
			     .id_ctx = s};
	struct orch_out out;
	orch_out_init(&out);
	orch_step(&in, &out);
	json_t *cmd = orch_out_command(&out);
	orch_out_done(&out);
	if (cmd && s->drop_next) {
		json_decref(cmd);
		s->drop_next = false;
	} else if (cmd) {
		apply(s, cmd);
	}
	check_invariants(s);
	agents(s);
	check_invariants(s);
	s->now += ROUND;
}

static void run(struct sim *s, int rounds)
{
	for (int i = 0; i < rounds; i++)
		step(s);
}

static int setup(void **state)
{
	struct sim *s = calloc(1, sizeof(*s));
	store_init(&s->st);
	s->now = 1000 * SEC;
	add_node(s, "n1", "manager", "eu");
	add_node(s, "n2", "worker", "eu");
	add_node(s, "n3", "worker", "us");
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct sim *s = *state;
	store_done(&s->st);
	free(s);
	return 0;
}

static int on_node(struct sim *s, const char *svc, const char *node)
{
	int n = 0;
	const char *id;
	json_t *t;
	json_object_foreach(s->st.tasks, id, t)
	{
		const char *nid = jstr(t, "NodeID");
		if (strcmp(jstr(t, "ServiceID"), svc) == 0 && state_of(t) == TASK_RUNNING && nid &&
		    strcmp(nid, node) == 0)
			n++;
	}
	return n;
}

static void test_replicated_spread_and_scale(void **state)
{
	struct sim *s = *state;
	put_service(s, service("web", "busybox", 6));
	run(s, 5);
	assert_int_equal(running_of(s, "web", -1), 6);
	for (int slot = 1; slot <= 6; slot++)
		assert_int_equal(running_of(s, "web", slot), 1);
	assert_int_equal(on_node(s, "web", "n1"), 2);
	assert_int_equal(on_node(s, "web", "n2"), 2);
	assert_int_equal(on_node(s, "web", "n3"), 2);
	json_t *svc = svc_copy(s, "web");
	json_object_set_new(
	    json_object_get(json_object_get(json_object_get(svc, "Spec"), "Mode"), "Replicated"),
	    "Replicas", json_integer(2));
	put_service(s, svc);
	run(s, 5);
	assert_int_equal(running_of(s, "web", -1), 2);
	assert_int_equal(running_of(s, "web", 1) + running_of(s, "web", 2), 2);
	/* Nothing more to do: a converged cluster makes no writes. */
	uint64_t idx = s->st.index;
	run(s, 3);
	assert_int_equal(s->st.index, idx);
	assert_int_equal(s->max_running_slot, 1);
}

static void test_node_down_and_drain(void **state)
{
	struct sim *s = *state;
	put_service(s, service("web", "busybox", 3));
	run(s, 5);
	assert_int_equal(on_node(s, "web", "n3"), 1);
	node_set(s, "n3", "Status", "State", "down");
	run(s, 5);
	assert_int_equal(running_of(s, "web", -1), 3);
	node_set(s, "n2", "Spec", "Availability", "drain");
	run(s, 5);
	assert_int_equal(running_of(s, "web", -1), 3);
	assert_int_equal(on_node(s, "web", "n1"), 3);
	assert_int_equal(on_node(s, "web", "n2"), 0);
	assert_int_equal(s->max_running_slot, 1);
}

static void test_leader_dies_mid_scale(void **state)
{
	struct sim *s = *state;
	put_service(s, service("web", "busybox", 2));
	run(s, 4);
	json_t *svc = svc_copy(s, "web");
	json_object_set_new(
	    json_object_get(json_object_get(json_object_get(svc, "Spec"), "Mode"), "Replicated"),
	    "Replicas", json_integer(5));
	put_service(s, svc);
	s->drop_next = true; /* the old leader decided, then died */
	run(s, 6);
	assert_int_equal(running_of(s, "web", -1), 5);
	for (int slot = 1; slot <= 5; slot++)
		assert_int_equal(running_of(s, "web", slot), 1);
	assert_int_equal(json_object_size(s->st.tasks), 5);
}

static void test_global_follows_nodes(void **state)
{
	struct sim *s = *state;
	json_t *svc = service("agent", "busybox", 0);
	json_t *mode = json_object_get(json_object_get(svc, "Spec"), "Mode");
	json_object_clear(mode);
	json_object_set_new(mode, "Global", json_object());
	json_object_set_new(json_object_get(json_object_get(svc, "Spec"), "TaskTemplate"),
			    "Placement",
			    json_pack("{s:[s]}", "Constraints", "node.labels.zone==eu"));
	put_service(s, svc);
	run(s, 5);
	assert_int_equal(on_node(s, "agent", "n1") + on_node(s, "agent", "n2"), 2);
	assert_int_equal(on_node(s, "agent", "n3"), 0);
	add_node(s, "n4", "worker", "eu");
	run(s, 4);
	assert_int_equal(on_node(s, "agent", "n4"), 1);
	node_set(s, "n1", "Spec", "Availability", "drain");
	json_t *n2 = json_deep_copy(json_object_get(s->st.nodes, "n2"));
	json_object_set_new(json_object_get(json_object_get(n2, "Spec"), "Labels"), "zone",
			    json_string("us"));
	apply(s, json_pack("{s:s, s:o}", "op", "node", "v", n2));
	run(s, 4);
	assert_int_equal(running_of(s, "agent", -1), 1);
	assert_int_equal(on_node(s, "agent", "n4"), 1);
}

static void test_restart_policy(void **state)
{
	struct sim *s = *state;
	json_t *svc = service("web", "bad", 1);
	json_t *rp = json_object_get(json_object_get(json_object_get(svc, "Spec"), "TaskTemplate"),
				     "RestartPolicy");
	json_object_set_new(rp, "MaxAttempts", json_integer(3));
	put_service(s, svc);
	/* 1 s delay: within 0.5 s only the first task exists. */
	run(s, 5);
	assert_int_equal(json_object_size(s->st.tasks), 1);
	run(s, 60);
	/* The first try and three restarts, then no more. */
	assert_int_equal(json_object_size(s->st.tasks), 4);
	const char *id;
	json_t *t;
	json_object_foreach(s->st.tasks, id, t) assert_int_equal(state_of(t), TASK_FAILED);
}

static void test_history_limit(void **state)
{
	struct sim *s = *state;
	put_service(s, service("web", "bad", 1));
	run(s, 200);
	/* TaskHistoryRetentionLimit defaults to 5 tasks per slot. */
	assert_int_equal(json_object_size(s->st.tasks), 5);
}

static void test_pending_says_why(void **state)
{
	struct sim *s = *state;
	node_set(s, "n2", "Spec", "Availability", "drain");
	json_t *svc = service("web", "busybox", 1);
	json_object_set_new(json_object_get(json_object_get(svc, "Spec"), "TaskTemplate"),
			    "Placement",
			    json_pack("{s:[s]}", "Constraints", "node.labels.zone==asia"));
	put_service(s, svc);
	run(s, 3);
	assert_int_equal(json_object_size(s->st.tasks), 1);
	const char *id;
	json_t *t;
	json_object_foreach(s->st.tasks, id, t)
	{
		assert_int_equal(state_of(t), TASK_PENDING);
		assert_string_equal(jstr(json_object_get(t, "Status"), "Err"),
				    "no suitable node (1 node not available for new tasks; 2 nodes "
				    "fail constraint node.labels.zone==asia)");
	}
}

/* Generic resources: only n1 has GPUs (two, named); a service reserving one
 * each runs two tasks there, each with its own GPU, and the third waits and
 * says why. A task that ends gives its GPU back. */
static void test_generic_resources(void **state)
{
	struct sim *s = *state;
	json_t *n1 = json_deep_copy(json_object_get(s->st.nodes, "n1"));
	json_object_set_new(
	    json_object_get(json_object_get(n1, "Description"), "Resources"), "GenericResources",
	    json_pack("[{s:{s:s, s:s}}, {s:{s:s, s:s}}]", "NamedResourceSpec", "Kind", "gpu",
		      "Value", "UUID1", "NamedResourceSpec", "Kind", "gpu", "Value", "UUID2"));
	apply(s, json_pack("{s:s, s:o}", "op", "node", "v", n1));
	json_t *gpu = json_pack("{s:{s:[{s:{s:s, s:i}}]}}", "Reservations", "GenericResources",
				"DiscreteResourceSpec", "Kind", "gpu", "Value", 1);
	json_t *svc = service("web", "busybox", 3);
	json_object_set(json_object_get(json_object_get(svc, "Spec"), "TaskTemplate"), "Resources",
			gpu);
	put_service(s, svc);
	run(s, 5);
	assert_int_equal(running_of(s, "web", -1), 2);
	assert_int_equal(on_node(s, "web", "n1"), 2);
	json_t *got = json_object();
	const char *id;
	json_t *t;
	json_object_foreach(s->st.tasks, id, t)
	{
		if (state_of(t) == TASK_RUNNING) {
			json_t *a = json_object_get(t, "GenericResources");
			assert_int_equal(1, json_array_size(a));
			json_object_set_new(
			    got,
			    jstr(json_object_get(json_array_get(a, 0), "NamedResourceSpec"),
				 "Value"),
			    json_true());
		} else {
			assert_int_equal(state_of(t), TASK_PENDING);
			assert_string_equal(jstr(json_object_get(t, "Status"), "Err"),
					    "no suitable node (insufficient resources on 3 nodes)");
		}
	}
	assert_int_equal(2, json_object_size(got)); /* UUID1 and UUID2 */
	json_decref(got);
	/* Down to one: its GPU is free for another service. */
	svc = svc_copy(s, "web");
	json_object_set_new(
	    json_object_get(json_object_get(json_object_get(svc, "Spec"), "Mode"), "Replicated"),
	    "Replicas", json_integer(1));
	put_service(s, svc);
	svc = service("ml", "busybox", 1);
	json_object_set(json_object_get(json_object_get(svc, "Spec"), "TaskTemplate"), "Resources",
			gpu);
	put_service(s, svc);
	run(s, 5);
	assert_int_equal(running_of(s, "web", -1), 1);
	assert_int_equal(running_of(s, "ml", -1), 1);
	assert_int_equal(on_node(s, "ml", "n1"), 1);
	json_decref(gpu);
}

/* docker pins a service to its image's platforms, named as Go names them
 * (amd64); nodes report uname's x86_64, which SwarmKit takes for amd64. */
static void test_platform_go_names(void **state)
{
	struct sim *s = *state;
	json_t *svc = service("web", "busybox", 1);
	json_object_set_new(
	    json_object_get(json_object_get(svc, "Spec"), "TaskTemplate"), "Placement",
	    json_pack("{s:[{s:s, s:s}]}", "Platforms", "Architecture", "amd64", "OS", "linux"));
	put_service(s, svc);
	json_t *other = service("arm", "busybox", 1);
	json_object_set_new(
	    json_object_get(json_object_get(other, "Spec"), "TaskTemplate"), "Placement",
	    json_pack("{s:[{s:s, s:s}]}", "Platforms", "Architecture", "arm64", "OS", "linux"));
	put_service(s, other);
	run(s, 5);
	assert_int_equal(running_of(s, "web", -1), 1);
	assert_int_equal(running_of(s, "arm", -1), 0);
}

/* A leader's round decided on a service that an API update changed before
 * the round committed: the whole round is dropped, the update stays. */
static void test_stale_round_dropped(void **state)
{
	struct sim *s = *state;
	put_service(s, service("web", "busybox", 1));
	json_t *seen = svc_copy(s, "web");
	json_int_t at = json_integer_value(jpath_test(seen, "Version", "Index"));
	json_t *api = svc_copy(s, "web");
	json_object_set_new(jpath_test(api, "Spec", "TaskTemplate"), "ForceUpdate",
			    json_integer(1));
	put_service(s, api);
	json_object_set_new(seen, "UpdateStatus", json_pack("{s:s}", "State", "completed"));
	apply(s, json_pack("{s:s, s:[{s:s, s:o, s:I}, {s:s, s:[{s:s, s:s}]}]}", "op", "batch",
			   "cmds", "op", "service", "v", seen, "if_index", at, "op", "tasks", "v",
			   "ID", "tstale", "ServiceID", "web"));
	json_t *now = json_object_get(s->st.services, "web");
	assert_int_equal(json_integer_value(json_object_get(jpath_test(now, "Spec", "TaskTemplate"),
							    "ForceUpdate")),
			 1);
	assert_null(json_object_get(now, "UpdateStatus"));
	assert_null(json_object_get(s->st.tasks, "tstale"));
}

static void set_image(struct sim *s, const char *image, const char *order, int par)
{
	json_t *svc = svc_copy(s, "web");
	json_t *spec = json_object_get(svc, "Spec");
	json_object_set(svc, "PreviousSpec", spec);
	json_t *ns = json_deep_copy(spec);
	json_object_set_new(json_object_get(json_object_get(ns, "TaskTemplate"), "ContainerSpec"),
			    "Image", json_string(image));
	json_t *uc = json_object_get(ns, "UpdateConfig");
	json_object_set_new(uc, "Order", json_string(order));
	json_object_set_new(uc, "Parallelism", json_integer(par));
	json_object_set_new(svc, "Spec", ns);
	put_service(s, svc);
}

static const char *update_state(struct sim *s)
{
	return jstr(json_object_get(json_object_get(s->st.services, "web"), "UpdateStatus"),
		    "State");
}

static int running_with_image(struct sim *s, const char *image)
{
	int n = 0;
	const char *id;
	json_t *t;
	json_object_foreach(s->st.tasks, id, t)
	{
		const char *img =
		    jstr(json_object_get(json_object_get(t, "Spec"), "ContainerSpec"), "Image");
		n += state_of(t) == TASK_RUNNING && strcmp(img, image) == 0;
	}
	return n;
}

static void test_rolling_update_start_first(void **state)
{
	struct sim *s = *state;
	put_service(s, service("web", "v1", 4));
	run(s, 5);
	s->max_running = 0;
	set_image(s, "v2", "start-first", 2);
	run(s, 80);
	assert_int_equal(running_with_image(s, "v2"), 4);
	assert_int_equal(running_with_image(s, "v1"), 0);
	assert_true(s->max_running <= 4 + 2);
	assert_true(s->max_running > 4); /* it did overlap */
	assert_string_equal(update_state(s), "completed");
}

static void test_rolling_update_stop_first(void **state)
{
	struct sim *s = *state;
	put_service(s, service("web", "v1", 4));
	run(s, 5);
	s->max_running = 0;
	set_image(s, "v2", "stop-first", 1);
	run(s, 80);
	assert_int_equal(running_with_image(s, "v2"), 4);
	assert_true(s->max_running <= 4);
	assert_int_equal(s->max_running_slot, 1);
	assert_string_equal(update_state(s), "completed");
}

static void test_failed_update_rolls_back(void **state)
{
	struct sim *s = *state;
	put_service(s, service("web", "v1", 3));
	run(s, 5);
	set_image(s, "bad", "stop-first", 1);
	json_t *svc = svc_copy(s, "web");
	json_object_set_new(json_object_get(json_object_get(svc, "Spec"), "UpdateConfig"),
			    "FailureAction", json_string("rollback"));
	put_service(s, svc);
	run(s, 100);
	assert_string_equal(update_state(s), "rollback_completed");
	assert_int_equal(running_with_image(s, "v1"), 3);
}

static void set_update(struct sim *s, const char *key, json_t *value)
{
	json_t *svc = svc_copy(s, "web");
	json_object_set_new(json_object_get(json_object_get(svc, "Spec"), "UpdateConfig"), key,
			    value);
	put_service(s, svc);
}

static const char *update_message(struct sim *s)
{
	return jstr(json_object_get(json_object_get(s->st.services, "web"), "UpdateStatus"),
		    "Message");
}

/* A new task whose health check is not healthy yet stays starting: the
 * update waits for it, and start-first keeps the old task until then. */
static void test_update_waits_for_healthy(void **state)
{
	struct sim *s = *state;
	put_service(s, service("web", "v1", 3));
	run(s, 5);
	s->min_running = 3;
	set_image(s, "slow", "start-first", 1);
	run(s, 60); /* 6 s: two slots at most, each 3 s starting */
	assert_string_equal(update_state(s), "updating");
	assert_true(running_with_image(s, "v1") >= 1);
	run(s, 150);
	assert_int_equal(running_with_image(s, "slow"), 3);
	assert_string_equal(update_state(s), "completed");
	assert_int_equal(s->min_running, 3);
	assert_true(s->max_running <= 4);
}

/* A new task that turns unhealthy (fails) within the monitor window
 * pauses the update with SwarmKit's message. */
static void test_unhealthy_task_pauses_update(void **state)
{
	struct sim *s = *state;
	put_service(s, service("web", "v1", 3));
	run(s, 5);
	set_image(s, "sick", "stop-first", 1);
	set_update(s, "Monitor", json_integer(5 * SEC));
	set_update(s, "Delay", json_integer(2 * SEC));
	run(s, 100);
	assert_string_equal(update_state(s), "paused");
	assert_non_null(strstr(update_message(s),
			       "update paused due to failure or early termination of task t"));
	assert_int_equal(running_with_image(s, "v1"), 2);
	/* A `service update` of the paused service goes on (and pauses again). */
	json_t *svc = svc_copy(s, "web");
	json_object_del(svc, "UpdateStatus");
	put_service(s, svc);
	run(s, 100);
	assert_string_equal(update_state(s), "paused");
	assert_true(running_with_image(s, "v1") <= 1);
}

/* Failures count only within Monitor after the task ran. */
static void test_failure_after_monitor_not_counted(void **state)
{
	for (int monitor = 1; monitor <= 5; monitor += 4) {
		teardown(state);
		setup(state);
		struct sim *s = *state;
		json_t *svc = service("web", "v1", 3);
		json_t *spec = json_object_get(svc, "Spec");
		json_object_set_new(jpath_test(spec, "TaskTemplate", "RestartPolicy"), "Condition",
				    json_string("none"));
		put_service(s, svc);
		run(s, 5);
		set_image(s, "late", "stop-first", 1);
		set_update(s, "Monitor", json_integer(monitor * SEC));
		set_update(s, "Delay", json_integer(2 * SEC));
		run(s, 120);
		if (monitor == 1)
			assert_string_equal(update_state(s), "completed");
		else
			assert_string_equal(update_state(s), "paused");
	}
}

/* MaxFailureRatio: one failing slot of four is within 0.5, not within 0. */
static void test_max_failure_ratio(void **state)
{
	for (int pass = 0; pass < 2; pass++) {
		teardown(state);
		setup(state);
		struct sim *s = *state;
		put_service(s, service("web", "v1", 4));
		run(s, 5);
		set_image(s, "sick1", "stop-first", 2);
		set_update(s, "Monitor", json_integer(2 * SEC));
		set_update(s, "MaxFailureRatio", json_real(pass ? 0.5 : 0));
		run(s, 150);
		assert_string_equal(update_state(s), pass ? "completed" : "paused");
	}
}

/* failure action continue: failures are noted, nothing stops. */
static void test_failure_action_continue(void **state)
{
	struct sim *s = *state;
	put_service(s, service("web", "v1", 3));
	run(s, 5);
	set_image(s, "sick1", "stop-first", 1);
	set_update(s, "FailureAction", json_string("continue"));
	run(s, 150);
	assert_string_equal(update_state(s), "completed");
	assert_int_equal(running_with_image(s, "v1"), 0);
}

/* An update rolled back after a failure, whose rollback fails too: the
 * rollback pauses (a rollback is never rolled back), and PreviousSpec is
 * gone as in SwarmKit. */
static void test_failed_rollback_pauses(void **state)
{
	struct sim *s = *state;
	put_service(s, service("web", "v1", 2));
	run(s, 5);
	/* PreviousSpec is a spec whose tasks turn unhealthy. */
	set_image(s, "sick", "stop-first", 1);
	json_t *svc = svc_copy(s, "web");
	json_t *prev = json_object_get(svc, "Spec");
	json_object_set_new(prev, "RollbackConfig",
			    json_pack("{s:I, s:s, s:I}", "Parallelism", (json_int_t)1,
				      "FailureAction", "rollback", "Monitor", (json_int_t)5 * SEC));
	json_t *spec = json_deep_copy(prev);
	json_object_set_new(jpath_test(spec, "TaskTemplate", "ContainerSpec"), "Image",
			    json_string("bad"));
	json_object_set_new(json_object_get(spec, "UpdateConfig"), "FailureAction",
			    json_string("rollback"));
	json_object_set(svc, "PreviousSpec", prev);
	json_object_set_new(svc, "Spec", spec);
	put_service(s, svc);
	run(s, 200);
	assert_string_equal(update_state(s), "rollback_paused");
	assert_non_null(strstr(update_message(s),
			       "rollback paused due to failure or early termination of task t"));
	assert_null(json_object_get(json_object_get(s->st.services, "web"), "PreviousSpec"));
}

static json_t *with_host_port(json_t *svc, int published)
{
	json_object_set_new(json_object_get(svc, "Spec"), "EndpointSpec",
			    json_pack("{s:s, s:[{s:s, s:I, s:I, s:s}]}", "Mode", "vip", "Ports",
				      "Protocol", "tcp", "TargetPort", (json_int_t)80,
				      "PublishedPort", (json_int_t)published, "PublishMode",
				      "host"));
	return svc;
}

static const char *pending_err(struct sim *s, const char *svc)
{
	const char *id;
	json_t *t;
	json_object_foreach(s->st.tasks, id, t)
	{
		if (strcmp(jstr(t, "ServiceID"), svc) == 0 && state_of(t) == TASK_PENDING)
			return jstr(json_object_get(t, "Status"), "Err");
	}
	return NULL;
}

/* Two tasks never publish the same host port on one node, whatever their
 * service; the one left over stays pending and says why. */
static void test_host_port_conflicts(void **state)
{
	struct sim *s = *state;
	put_service(s, with_host_port(service("web", "v1", 2), 8080));
	put_service(s, with_host_port(service("api", "v1", 2), 8080));
	run(s, 10);
	assert_int_equal(running_of(s, "web", -1) + running_of(s, "api", -1), 3);
	assert_string_equal(pending_err(s, "api") ?: pending_err(s, "web"),
			    "no suitable node (host-mode port already in use on 3 nodes)");
	for (int i = 1; i <= 3; i++) {
		char n[16];
		snprintf(n, sizeof(n), "n%d", i);
		assert_int_equal(on_node(s, "web", n) + on_node(s, "api", n), 1);
	}
	/* Another port, or another protocol, is free. */
	json_t *svc = with_host_port(service("udp", "v1", 3), 8080);
	json_object_set_new(
	    json_array_get(json_object_get(jpath_test(svc, "Spec", "EndpointSpec"), "Ports"), 0),
	    "Protocol", json_string("udp"));
	put_service(s, svc);
	run(s, 10);
	assert_int_equal(running_of(s, "udp", -1), 3);
}

/* A stop-first update frees the port before the new task needs it; a
 * change of the published ports rolls the tasks. */
static void test_host_port_update(void **state)
{
	struct sim *s = *state;
	put_service(s, with_host_port(service("web", "v1", 3), 8080));
	run(s, 10);
	assert_int_equal(running_of(s, "web", -1), 3);
	set_image(s, "v2", "stop-first", 1);
	run(s, 100);
	assert_int_equal(running_with_image(s, "v2"), 3);
	assert_string_equal(update_state(s), "completed");
	json_t *svc = with_host_port(svc_copy(s, "web"), 9090);
	put_service(s, svc);
	run(s, 100);
	int on_9090 = 0;
	const char *id;
	json_t *t;
	json_object_foreach(s->st.tasks, id, t)
	{
		json_t *p = json_array_get(json_object_get(t, "_ports"), 0);
		on_9090 += state_of(t) == TASK_RUNNING &&
			   json_integer_value(json_object_get(p, "PublishedPort")) == 9090;
	}
	assert_int_equal(on_9090, 3);
}

static void test_rebalance_when_node_returns(void **state)
{
	struct sim *s = *state;
	put_service(s, service("web", "busybox", 6));
	json_t *fixed = service("fixed", "busybox", 6);
	json_object_set_new(json_object_get(fixed, "Spec"), "Labels",
			    json_pack("{s:s}", "com.berth.rebalance", "false"));
	put_service(s, fixed);
	node_set(s, "n3", "Status", "State", "down");
	run(s, 5);
	assert_int_equal(on_node(s, "web", "n1") + on_node(s, "web", "n2"), 6);
	node_set(s, "n3", "Status", "State", "ready");
	s->max_running = 0;
	run(s, 60);
	assert_int_equal(on_node(s, "web", "n1"), 2);
	assert_int_equal(on_node(s, "web", "n2"), 2);
	assert_int_equal(on_node(s, "web", "n3"), 2);
	/* Capacity never below the replicas, at most Parallelism (1) extra. */
	assert_true(s->max_running <= 7);
	assert_int_equal(running_of(s, "web", -1), 6);
	assert_int_equal(on_node(s, "fixed", "n3"), 0);
	for (int slot = 1; slot <= 6; slot++)
		assert_int_equal(running_of(s, "web", slot), 1);
}

/* Tasks that take a while to start (3 s here, more on a loaded machine)
 * are not stopped while they start: each move makes one task, and the old
 * one stops once the new one runs. */
static void test_rebalance_with_slow_starts(void **state)
{
	struct sim *s = *state;
	put_service(s, service("web", "slow", 6));
	node_set(s, "n3", "Status", "State", "down");
	run(s, 60);
	assert_int_equal(on_node(s, "web", "n1") + on_node(s, "web", "n2"), 6);
	node_set(s, "n3", "Status", "State", "ready");
	run(s, 300);
	assert_int_equal(on_node(s, "web", "n3"), 2);
	assert_int_equal(running_of(s, "web", -1), 6);
	int made = 0;
	const char *id;
	json_t *t;
	json_object_foreach(s->st.tasks, id, t) made += strcmp(jstr(t, "ServiceID"), "web") == 0;
	assert_int_equal(made, 8);
}

static int live_of(struct sim *s, const char *svc)
{
	int n = 0;
	const char *id;
	json_t *t;
	json_object_foreach(s->st.tasks, id, t)
	{
		n += strcmp(jstr(t, "ServiceID"), svc) == 0 &&
		     task_state_parse(jstr(t, "DesiredState")) <= TASK_RUNNING &&
		     state_of(t) <= TASK_RUNNING;
	}
	return n;
}

static void test_replicated_job(void **state)
{
	struct sim *s = *state;
	json_t *svc = service("batch", "job", 0);
	json_t *mode = json_object_get(json_object_get(svc, "Spec"), "Mode");
	json_object_clear(mode);
	json_object_set_new(mode, "ReplicatedJob",
			    json_pack("{s:I, s:I}", "TotalCompletions", (json_int_t)5,
				      "MaxConcurrent", (json_int_t)2));
	put_service(s, svc);
	int most = 0;
	for (int i = 0; i < 40; i++) {
		step(s);
		if (live_of(s, "batch") > most)
			most = live_of(s, "batch");
	}
	assert_int_equal(most, 2);
	int done = 0;
	const char *id;
	json_t *t;
	json_object_foreach(s->st.tasks, id, t) done += state_of(t) == TASK_COMPLETE;
	assert_int_equal(done, 5);
	assert_int_equal(json_object_size(s->st.tasks), 5);
}

/* ---- a secret rotated in place ---- */

static void put_secret(struct sim *s, const char *data, bool roll)
{
	json_t *cmd = json_pack("{s:s, s:{s:s, s:{s:s}, s:s}}", "op", "secret", "v", "ID", "sec1",
				"Spec", "Name", "db_password", "_data", data);
	if (roll)
		json_object_set_new(cmd, "roll", json_true());
	apply(s, cmd);
}

static json_t *secret_user(const char *id, const char *image, int replicas)
{
	json_t *svc = service(id, image, replicas);
	json_object_set_new(
	    json_object_get(jpath_test(svc, "Spec", "TaskTemplate"), "ContainerSpec"), "Secrets",
	    json_pack("[{s:s, s:s, s:{s:s}}]", "SecretID", "sec1", "SecretName", "db_password",
		      "File", "Name", "db"));
	return svc;
}

struct event_seen {
	int service_updates, secret_updates;
};

static void count_event(void *data, const char *type, const char *action, json_t *obj, json_t *old,
			int64_t ts)
{
	struct event_seen *e = data;
	(void)obj, (void)old, (void)ts;
	if (strcmp(action, "update") == 0)
		strcmp(type, "service") == 0 ? e->service_updates++ : e->secret_updates++;
}

/* A leader that dies mid-roll: its successor starts from a snapshot of the
 * store (all it has) and finishes the roll. */
static void new_leader(struct sim *s)
{
	size_t len;
	char *snap = store_snapshot(&s->st, &len);
	store_done(&s->st);
	store_init(&s->st);
	struct error err = ERROR_INIT;
	assert_int_equal(store_restore(&s->st, snap, len, &err), 0);
	free(snap);
	s->drop_next = true;
}

static bool task_live_of(struct sim *s, const char *id)
{
	json_t *t = json_object_get(s->st.tasks, id);
	return t && state_of(t) == TASK_RUNNING &&
	       task_state_parse(jstr(t, "DesiredState")) == TASK_RUNNING;
}

static void test_secret_rotation_rolls_users(void **state)
{
	struct sim *s = *state;
	put_secret(s, "b2xk", false);
	put_service(s, secret_user("web", "v1", 3));
	put_service(s, service("other", "v1", 1));
	json_t *job = secret_user("batch", "job", 0);
	json_t *mode = jpath_test(job, "Spec", "Mode");
	json_object_clear(mode);
	json_object_set_new(mode, "ReplicatedJob", json_pack("{s:I}", "TotalCompletions", 1));
	put_service(s, job);
	set_update(s, "Delay", json_integer(2 * SEC));
	run(s, 10);
	json_t *old_ids = json_object();
	const char *id;
	json_t *t;
	json_object_foreach(s->st.tasks, id, t) json_object_set_new(old_ids, id, json_true());
	json_int_t other_version = json_integer_value(
	    jpath_test(json_object_get(s->st.services, "other"), "Version", "Index"));
	json_int_t job_version = json_integer_value(
	    jpath_test(json_object_get(s->st.services, "batch"), "Version", "Index"));

	/* Labels only: nothing rolls. */
	put_secret(s, "b2xk", false);
	run(s, 3);
	assert_null(json_object_get(json_object_get(s->st.services, "web"), "UpdateStatus"));

	struct event_seen ev = {0};
	s->st.on_change = count_event;
	s->st.change_data = &ev;
	put_secret(s, "bmV3", true);
	s->st.on_change = NULL;
	assert_int_equal(ev.secret_updates, 1);
	assert_int_equal(ev.service_updates, 1);
	json_t *web = json_object_get(s->st.services, "web");
	assert_int_equal(json_integer_value(json_object_get(jpath_test(web, "Spec", "TaskTemplate"),
							    "ForceUpdate")),
			 1);
	assert_non_null(json_object_get(web, "PreviousSpec"));
	assert_string_equal(update_state(s), "updating");
	assert_non_null(jpath_test(web, "UpdateStatus", "StartedAt"));
	assert_int_equal(json_integer_value(jpath_test(json_object_get(s->st.services, "other"),
						       "Version", "Index")),
			 other_version);
	assert_int_equal(json_integer_value(jpath_test(json_object_get(s->st.services, "batch"),
						       "Version", "Index")),
			 job_version);

	/* One task at a time (Parallelism 1, stop-first), 2 s apart; the
	 * leader changes once the first one is replaced. */
	s->max_running = 0;
	s->min_running = 3;
	int old_live = 3;
	for (int i = 0; i < 200 && old_live == 3; i++) {
		step(s);
		old_live = 0;
		json_object_foreach(old_ids, id, t) old_live += task_live_of(s, id);
	}
	assert_int_equal(old_live, 2);
	new_leader(s);
	run(s, 150);
	assert_string_equal(update_state(s), "completed");
	assert_int_equal(running_of(s, "web", -1), 3);
	json_object_foreach(old_ids, id, t)
	{
		json_t *task = json_object_get(s->st.tasks, id);
		if (strcmp(jstr(task, "ServiceID"), "web") == 0)
			assert_false(task_live_of(s, id));
		else if (strcmp(jstr(task, "ServiceID"), "other") == 0)
			assert_true(task_live_of(s, id));
	}
	assert_int_equal(s->min_running, 2);
	assert_true(s->max_running <= 3);
	json_decref(old_ids);
}

static void test_constraint_syntax(void **state)
{
	struct error err = ERROR_INIT;
	json_t *ok = json_pack("[s, s]", "node.labels.zone == eu", "node.role!=manager");
	assert_int_equal(constraints_check(ok, &err), 0);
	json_t *bad = json_pack("[s]", "node.labels.zone=eu");
	assert_int_equal(constraints_check(bad, &err), -22);
	assert_string_equal(err.msg, "constraint expected one operator from ==, !=");
	error_clear(&err);
	json_decref(ok);
	json_decref(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_replicated_spread_and_scale, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_node_down_and_drain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leader_dies_mid_scale, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_global_follows_nodes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_policy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_history_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pending_says_why, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_platform_go_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_generic_resources, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_round_dropped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rolling_update_start_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rolling_update_stop_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_update_rolls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_waits_for_healthy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unhealthy_task_pauses_update, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failure_after_monitor_not_counted, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_max_failure_ratio, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failure_action_continue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_rollback_pauses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_port_conflicts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_port_update, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rebalance_when_node_returns, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rebalance_with_slow_starts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replicated_job, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secret_rotation_rolls_users, setup, teardown),
	    cmocka_unit_test(test_constraint_syntax),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
