/* The leader's membership decisions (orchestrator/membership.c) on a
 * simulated cluster with a virtual clock: nodes heartbeat or fall silent,
 * the leader ticks every 100 ms and its decisions are applied to the real
 * store as Raft would, and Raft's voter set changes as libraft would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "orchestrator/membership.h"
#include "swarm/store.h"

#define HB_MS 5000
#define GRACE_MS (3 * HB_MS)
#define TICK_MS 100

struct sim {
	struct store st;
	json_t *last_seen; /* the leader's observed heartbeats */
	json_t *voters;	   /* raft ID -> true */
	json_t *tls;	   /* the leader's TLSInfo */
	const char *leader;
	int64_t now;
	int transfers; /* leadership hand-overs asked for */
};

static void apply(struct sim *s, const char *op, json_t *v)
{
	json_t *cmd =
	    json_pack("{s:s, s:o, s:I}", "op", op, "v", v, "ts", (json_int_t)s->now * 1000000);
	char *t = json_dumps(cmd, JSON_COMPACT);
	json_decref(cmd);
	struct error err = ERROR_INIT;
	if (store_apply(&s->st, t, strlen(t), &err) < 0)
		fail_msg("store_apply: %s", err.msg);
	free(t);
}

static void add_node(struct sim *s, const char *id, const char *role, uint64_t raft_id)
{
	json_t *n = json_pack("{s:s, s:I, s:{s:s, s:s}, s:{s:s}, s:{s:O}}", "ID", id, "_raft_id",
			      (json_int_t)raft_id, "Spec", "Role", role, "Availability", "active",
			      "Status", "State", "ready", "Description", "TLSInfo", s->tls);
	if (raft_id) {
		json_object_set_new(n, "ManagerStatus",
				    json_pack("{s:s}", "Reachability", "reachable"));
		char key[24];
		snprintf(key, sizeof(key), "%llu", (unsigned long long)raft_id);
		json_object_set_new(s->voters, key, json_true());
	}
	apply(s, "node", n);
}

static bool is_voter(void *ctx, uint64_t raft_id)
{
	struct sim *s = ctx;
	char key[24];
	snprintf(key, sizeof(key), "%llu", (unsigned long long)raft_id);
	return json_object_get(s->voters, key) != NULL;
}

static void heartbeat(struct sim *s, const char *id)
{
	json_object_set_new(s->last_seen, id, json_integer(s->now));
}

static const char *state_of(struct sim *s, const char *id)
{
	json_t *n = json_object_get(s->st.nodes, id);
	return json_string_value(json_object_get(json_object_get(n, "Status"), "State"));
}

/* One leader tick: the next duty, carried out at once. */
static enum node_duty_kind tick(struct sim *s)
{
	const struct node_duty_view v = {
	    .nodes = s->st.nodes,
	    .last_seen = s->last_seen,
	    .self_id = s->leader,
	    .self_tls = s->tls,
	    .now_ms = s->now,
	    .grace_ms = GRACE_MS,
	    .is_voter = is_voter,
	    .ctx = s,
	};
	struct node_duty d;
	node_duty_next(&v, &d);
	enum node_duty_kind kind = d.kind;
	char key[24];
	json_t *n;
	switch (d.kind) {
	case NODE_DUTY_NONE:
		break;
	case NODE_DUTY_TRANSFER:
		s->transfers++;
		break;
	case NODE_DUTY_REMOVE_VOTER:
		snprintf(key, sizeof(key), "%llu", (unsigned long long)d.raft_id);
		json_object_del(s->voters, key);
		break;
	case NODE_DUTY_DEMOTED:
		n = json_deep_copy(json_object_get(s->st.nodes, d.node_id));
		json_object_del(n, "ManagerStatus");
		json_object_set_new(n, "_raft_id", json_integer(0));
		apply(s, "node", n);
		break;
	case NODE_DUTY_WRITE:
		apply(s, "node", json_incref(d.node));
		break;
	}
	node_duty_clear(&d);
	return kind;
}

/* Runs until ms have passed, nodes in alive heartbeating every HB_MS. */
static void run(struct sim *s, int64_t ms, const char *const *alive)
{
	for (int64_t end = s->now + ms; s->now < end; s->now += TICK_MS) {
		for (size_t i = 0; alive && alive[i]; i++)
			if (s->now % HB_MS == 0)
				heartbeat(s, alive[i]);
		tick(s);
	}
}

static int setup(void **state)
{
	struct sim *s = calloc(1, sizeof(*s));
	store_init(&s->st);
	s->last_seen = json_object();
	s->voters = json_object();
	s->tls = json_pack("{s:s}", "CertIssuerPublicKey", "pk1");
	s->leader = "m1";
	s->now = 1000000;
	add_node(s, "m1", "manager", 11);
	add_node(s, "m2", "manager", 12);
	add_node(s, "m3", "manager", 13);
	add_node(s, "w1", "worker", 0);
	add_node(s, "w2", "worker", 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct sim *s = *state;
	store_done(&s->st);
	json_decref(s->last_seen);
	json_decref(s->voters);
	json_decref(s->tls);
	free(s);
	return 0;
}

static const char *const all_but_w2[] = {"m2", "m3", "w1", NULL};

/* A silent node goes down once its grace has passed, never before, and a
 * manager's record says it is unreachable. */
static void test_silent_nodes_go_down_after_grace(void **state)
{
	struct sim *s = *state;
	static const char *const everyone[] = {"m2", "m3", "w1", "w2", NULL};
	run(s, 2 * HB_MS, everyone);
	int64_t last = s->now - HB_MS; /* run ends on a heartbeat's time */
	static const char *const without_m3_w2[] = {"m2", "w1", NULL};
	/* Up to the grace after their last heartbeat, they stay ready. */
	run(s, last + GRACE_MS + TICK_MS - s->now, without_m3_w2);
	assert_string_equal("ready", state_of(s, "w2"));
	assert_string_equal("ready", state_of(s, "m3"));
	run(s, 2 * TICK_MS, without_m3_w2);
	assert_string_equal("down", state_of(s, "w2"));
	assert_string_equal("down", state_of(s, "m3"));
	json_t *m3 = json_object_get(s->st.nodes, "m3");
	assert_string_equal("unreachable",
			    json_string_value(json_object_get(json_object_get(m3, "ManagerStatus"),
							      "Reachability")));
	assert_string_equal("heartbeat failure", json_string_value(json_object_get(
						     json_object_get(m3, "Status"), "Message")));
	assert_string_equal("ready", state_of(s, "w1"));
	assert_string_equal("ready", state_of(s, "m1"));
	/* Once down, nothing more to do for them. */
	assert_int_equal(NODE_DUTY_NONE, tick(s));
}

/* A new leader has no heartbeats on record: it gives every node a full
 * grace from the moment it first looks, whatever happened before. */
static void test_new_leader_gives_every_node_a_grace(void **state)
{
	struct sim *s = *state;
	s->now += 10 * GRACE_MS; /* long silence under the previous leader */
	run(s, GRACE_MS, NULL);
	assert_string_equal("ready", state_of(s, "w1"));
	assert_string_equal("ready", state_of(s, "m2"));
	/* One change a tick: m2, m3, w1, w2 in turn. */
	run(s, 5 * TICK_MS, NULL);
	assert_string_equal("down", state_of(s, "w1"));
	assert_string_equal("down", state_of(s, "w2"));
	assert_string_equal("ready", state_of(s, "m1")); /* the leader itself */
}

/* A demoted manager leaves Raft first, then loses its manager status; a
 * demoted leader hands leadership over instead. */
static void test_demotion_order(void **state)
{
	struct sim *s = *state;
	static const char *const everyone[] = {"m2", "m3", "w1", "w2", NULL};
	run(s, HB_MS, everyone);
	json_t *m2 = json_deep_copy(json_object_get(s->st.nodes, "m2"));
	json_object_set_new(json_object_get(m2, "Spec"), "Role", json_string("worker"));
	apply(s, "node", m2);
	assert_true(is_voter(s, 12));
	assert_int_equal(NODE_DUTY_REMOVE_VOTER, tick(s));
	assert_false(is_voter(s, 12));
	assert_int_equal(NODE_DUTY_DEMOTED, tick(s));
	json_t *n = json_object_get(s->st.nodes, "m2");
	assert_null(json_object_get(n, "ManagerStatus"));
	assert_int_equal(0, json_integer_value(json_object_get(n, "_raft_id")));
	assert_int_equal(NODE_DUTY_NONE, tick(s));

	json_t *m1 = json_deep_copy(json_object_get(s->st.nodes, "m1"));
	json_object_set_new(json_object_get(m1, "Spec"), "Role", json_string("worker"));
	apply(s, "node", m1);
	assert_int_equal(NODE_DUTY_TRANSFER, tick(s));
	assert_int_equal(1, s->transfers);
	assert_true(is_voter(s, 11)); /* the next leader removes it */
}

/* The leader marks itself ready (and reachable), and records a new
 * certificate issuer when its TLS info changes; then it has nothing to do. */
static void test_leader_marks_itself_ready(void **state)
{
	struct sim *s = *state;
	json_t *m1 = json_deep_copy(json_object_get(s->st.nodes, "m1"));
	json_object_set_new(json_object_get(m1, "Status"), "State", json_string("down"));
	json_object_set_new(json_object_get(m1, "ManagerStatus"), "Reachability",
			    json_string("unreachable"));
	apply(s, "node", m1);
	enum node_duty_kind k;
	int writes = 0;
	while ((k = tick(s)) != NODE_DUTY_NONE) {
		assert_int_equal(NODE_DUTY_WRITE, k);
		writes++;
	}
	assert_int_equal(1, writes);
	json_t *n = json_object_get(s->st.nodes, "m1");
	assert_string_equal("ready", state_of(s, "m1"));
	assert_string_equal("reachable", json_string_value(json_object_get(
					     json_object_get(n, "ManagerStatus"), "Reachability")));
	assert_true(
	    json_equal(s->tls, json_object_get(json_object_get(n, "Description"), "TLSInfo")));
	json_object_set_new(s->tls, "CertIssuerPublicKey", json_string("pk2"));
	assert_int_equal(NODE_DUTY_WRITE, tick(s));
	assert_int_equal(NODE_DUTY_NONE, tick(s));
	/* A ready worker is the dispatcher's business, not the leader's. */
	assert_null(node_ready_record(json_object_get(s->st.nodes, "w1"), NULL));
}

/* Down nodes stay down under a leader that keeps ticking (no flapping),
 * and come back only through their own heartbeat (rpc_heartbeat). */
static void test_no_flapping(void **state)
{
	struct sim *s = *state;
	run(s, GRACE_MS + 2 * HB_MS, all_but_w2);
	assert_string_equal("down", state_of(s, "w2"));
	int writes = 0;
	for (int i = 0; i < 100; i++)
		writes += tick(s) == NODE_DUTY_WRITE;
	assert_int_equal(0, writes);
}

static void test_cert_decisions(void **state)
{
	(void)state;
	const int64_t day = 86400, nb = 1000000, na = nb + 3600 + 90 * day;
	struct cert_view v = {.not_before_s = nb, .not_after_s = na, .now_s = nb + day};
	assert_int_equal(CERT_KEEP, cert_decide(&v));
	/* Two thirds of the life (not counting the early hour) is the limit. */
	v.now_s = na - 30 * day;
	assert_int_equal(CERT_KEEP, cert_decide(&v));
	v.now_s = na - 30 * day + 1;
	assert_int_equal(CERT_RENEW, cert_decide(&v));
	v.change_inflight = true;
	assert_int_equal(CERT_KEEP, cert_decide(&v));
	v = (struct cert_view){.not_before_s = nb, .not_after_s = na, .now_s = nb + day};
	v.want_manager = true;
	assert_int_equal(CERT_RENEW, cert_decide(&v)); /* promoted: a manager cert first */
	v.cert_manager = true;
	assert_int_equal(CERT_BECOME_MANAGER, cert_decide(&v));
	v.is_manager = true;
	assert_int_equal(CERT_KEEP, cert_decide(&v));
	v.old_issuer = true;
	assert_int_equal(CERT_RENEW, cert_decide(&v));
	v = (struct cert_view){
	    .not_before_s = nb, .not_after_s = na, .now_s = nb + day, .is_manager = true};
	assert_int_equal(CERT_BECOME_WORKER, cert_decide(&v));
	/* An unreadable certificate (no dates) is renewed. */
	v = (struct cert_view){.now_s = nb};
	assert_int_equal(CERT_RENEW, cert_decide(&v));
}

static void test_join_record(void **state)
{
	(void)state;
	json_t *req =
	    json_pack("{s:s, s:{s:s}}", "availability", "drain", "description", "Hostname", "h1");
	json_t *n = join_node_record(req, "n1", 7, "manager", "10.0.0.5");
	assert_string_equal("drain", json_string_value(json_object_get(json_object_get(n, "Spec"),
								       "Availability")));
	assert_string_equal("h1", json_string_value(json_object_get(
				      json_object_get(n, "Description"), "Hostname")));
	assert_string_equal(
	    "10.0.0.5", json_string_value(json_object_get(json_object_get(n, "Status"), "Addr")));
	assert_int_equal(7, json_integer_value(json_object_get(n, "_raft_id")));
	json_decref(n);
	json_decref(req);
	req = json_object();
	n = join_node_record(req, "n2", 0, "worker", "10.0.0.6");
	assert_string_equal("active", json_string_value(json_object_get(json_object_get(n, "Spec"),
									"Availability")));
	assert_false(json_is_object(json_object_get(n, "Description")));
	json_decref(n);
	json_decref(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_silent_nodes_go_down_after_grace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_new_leader_gives_every_node_a_grace, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_demotion_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leader_marks_itself_ready, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_flapping, setup, teardown),
	    cmocka_unit_test(test_cert_decisions),
	    cmocka_unit_test(test_join_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
