/* The leader's membership decisions (orchestrator/membership.c) on a
 * simulated cluster with a virtual clock: nodes heartbeat (three times a
 * period, late when the machine is loaded) or fall silent, their
 * connections close when they die, the leader ticks every 100 ms (or
 * stalls) and its decisions are applied to the real store as Raft would,
 * and Raft's voter set changes as libraft would. */
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
#define BEAT_MS (HB_MS / NODE_BEATS_PER_PERIOD)
#define GRACE_MS (HB_MS + NODE_SILENCE_EXTRA_MS) /* above NODE_SILENCE_MIN_MS */
#define LOST_MS NODE_LOST_GRACE_MS
#define TICK_MS 100

struct sim {
	struct store st;
	json_t *last_seen; /* the leader's observed heartbeats */
	json_t *lost;	   /* the leader's observed lost connections */
	int64_t prev_tick; /* the leader's previous tick */
	int64_t leader_since;
	json_t *voters; /* raft ID -> true */
	json_t *tls;	/* the leader's TLSInfo */
	json_t *labels; /* the leader's engine labels, or NULL */
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

/* The node's connection closed with its poll unanswered (kill -9). */
static void lose(struct sim *s, const char *id)
{
	json_object_set_new(s->lost, id, json_integer(s->now));
}

/* One leader tick: the next duty, carried out at once. */
static enum node_duty_kind tick(struct sim *s)
{
	node_liveness_stalled(s->last_seen, s->lost, s->prev_tick, s->now);
	s->prev_tick = s->now;
	json_t *desc = json_pack("{s:O}", "TLSInfo", s->tls);
	if (s->labels)
		json_object_set_new(desc, "Engine", json_pack("{s:O}", "Labels", s->labels));
	const struct node_duty_view v = {
	    .nodes = s->st.nodes,
	    .last_seen = s->last_seen,
	    .lost = s->lost,
	    .self_id = s->leader,
	    .self_desc = desc,
	    .now_ms = s->now,
	    .leader_since_ms = s->leader_since,
	    .grace_ms = node_silence_grace_ms(HB_MS),
	    .lost_grace_ms = node_lost_grace_ms(HB_MS),
	    .is_voter = is_voter,
	    .ctx = s,
	};
	struct node_duty d;
	node_duty_next(&v, &d);
	json_decref(desc);
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

/* Runs until ms have passed, nodes in alive heartbeating every BEAT_MS. */
static void run(struct sim *s, int64_t ms, const char *const *alive)
{
	for (int64_t end = s->now + ms; s->now < end; s->now += TICK_MS) {
		for (size_t i = 0; alive && alive[i]; i++)
			if (s->now % BEAT_MS < TICK_MS)
				heartbeat(s, alive[i]);
		tick(s);
	}
}

static int64_t seen_at(struct sim *s, const char *id)
{
	return json_integer_value(json_object_get(s->last_seen, id));
}

/* Ticks until node is down (or ms passed), nodes in alive heartbeating;
 * the time from now to the tick that put it down. */
static int64_t run_until_down(struct sim *s, const char *node, int64_t ms, const char *const *alive)
{
	int64_t t0 = s->now;
	while (strcmp(state_of(s, node), "down") != 0 && s->now - t0 < ms)
		run(s, TICK_MS, alive);
	return s->now - TICK_MS - t0;
}

static int setup(void **state)
{
	struct sim *s = calloc(1, sizeof(*s));
	store_init(&s->st);
	s->last_seen = json_object();
	s->lost = json_object();
	s->voters = json_object();
	s->tls = json_pack("{s:s}", "CertIssuerPublicKey", "pk1");
	s->leader = "m1";
	s->now = 1000000;
	s->leader_since = s->now - 10 * HB_MS;
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
	json_decref(s->lost);
	json_decref(s->voters);
	json_decref(s->tls);
	free(s);
	return 0;
}

static const char *const everyone[] = {"m2", "m3", "w1", "w2", NULL};
static const char *const all_but_w2[] = {"m2", "m3", "w1", NULL};

/* A silent node goes down once its grace has passed, never before, and a
 * manager's record says it is unreachable. */
static void test_silent_nodes_go_down_after_grace(void **state)
{
	struct sim *s = *state;
	run(s, 2 * HB_MS, everyone);
	int64_t last = seen_at(s, "w2");
	assert_int_equal(last, seen_at(s, "m3"));
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
	s->leader_since = s->now;
	/* Twice the grace to find the new leader. */
	run(s, 2 * GRACE_MS, NULL);
	assert_string_equal("ready", state_of(s, "w1"));
	assert_string_equal("ready", state_of(s, "m2"));
	/* One change a tick: m2, m3, w1, w2 in turn. */
	run(s, 5 * TICK_MS, NULL);
	assert_string_equal("down", state_of(s, "w1"));
	assert_string_equal("down", state_of(s, "w2"));
	assert_string_equal("ready", state_of(s, "m1")); /* the leader itself */
}

/* A lost connection under a new leader is no reason to wait: the node
 * talked to this leader, then went away. */
static void test_new_leader_lost_connection(void **state)
{
	struct sim *s = *state;
	s->leader_since = s->now;
	run(s, HB_MS, everyone);
	lose(s, "w2");
	int64_t took = run_until_down(s, "w2", 4 * HB_MS, all_but_w2);
	assert_string_equal("down", state_of(s, "w2"));
	assert_true(took <= LOST_MS + TICK_MS);
	assert_string_equal("ready", state_of(s, "w1"));
}

/* A demoted manager leaves Raft first, then loses its manager status; a
 * demoted leader hands leadership over instead. */
static void test_demotion_order(void **state)
{
	struct sim *s = *state;
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
 * certificate issuer when its TLS info changes, and new engine labels after
 * a restart with other --label flags; then it has nothing to do. */
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
	s->labels = json_pack("{s:s}", "zone", "eu");
	assert_int_equal(NODE_DUTY_WRITE, tick(s));
	assert_int_equal(NODE_DUTY_NONE, tick(s));
	n = json_object_get(s->st.nodes, "m1");
	assert_true(json_equal(
	    s->labels, json_object_get(json_object_get(json_object_get(n, "Description"), "Engine"),
				       "Labels")));
	assert_true(
	    json_equal(s->tls, json_object_get(json_object_get(n, "Description"), "TLSInfo")));
	json_decref(s->labels);
	s->labels = NULL;
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

/* A node cut off silently (no FIN) is down within a period and the extra
 * of its last beat, whenever in its beat cycle it was cut. */
static void test_cut_off_down_within_period_and_extra(void **state)
{
	struct sim *s = *state;
	run(s, 2 * HB_MS, everyone);
	for (int64_t offset = 0; offset < BEAT_MS; offset += 300) {
		run(s, offset, everyone);
		int64_t cut = s->now;
		int64_t took = run_until_down(s, "w2", 4 * HB_MS, all_but_w2);
		assert_string_equal("down", state_of(s, "w2"));
		assert_true(took <= GRACE_MS + TICK_MS);
		/* Never before the silence's grace from its last beat. */
		assert_true(s->now - seen_at(s, "w2") > GRACE_MS);
		assert_true(cut - seen_at(s, "w2") < BEAT_MS + TICK_MS);
		/* Back: its heartbeat marks it ready (rpc_heartbeat). */
		heartbeat(s, "w2");
		apply(s, "node", node_ready_record(json_object_get(s->st.nodes, "w2"), NULL));
		assert_string_equal("ready", state_of(s, "w2"));
	}
	assert_string_equal("ready", state_of(s, "w1"));
}

/* A node whose connection closed unanswered (its berthd killed) is down
 * after the lost grace, long before its silence would make it so; the
 * others beat on and stay ready. */
static void test_lost_connection_down_after_short_grace(void **state)
{
	struct sim *s = *state;
	run(s, 2 * HB_MS, everyone);
	run(s, TICK_MS, all_but_w2);
	lose(s, "w2");
	int64_t took = run_until_down(s, "w2", 4 * HB_MS, all_but_w2);
	assert_string_equal("down", state_of(s, "w2"));
	assert_true(took > LOST_MS);
	assert_true(took <= LOST_MS + TICK_MS);
	assert_true(took < GRACE_MS - BEAT_MS);
	json_t *w2 = json_object_get(s->st.nodes, "w2");
	assert_string_equal("heartbeat failure", json_string_value(json_object_get(
						     json_object_get(w2, "Status"), "Message")));
	run(s, 3 * HB_MS, all_but_w2);
	assert_string_equal("ready", state_of(s, "w1"));
	assert_string_equal("ready", state_of(s, "m3"));
}

/* An agent that reconnects (its poll failed and is sent again, or it
 * restarts quickly) is heard within the grace: never down, and its old
 * lost mark is forgotten, also when it closes many times. */
static void test_reconnect_is_not_down(void **state)
{
	struct sim *s = *state;
	run(s, 2 * HB_MS, everyone);
	for (int i = 0; i < 50; i++) {
		lose(s, "w2");
		run(s, LOST_MS - TICK_MS, all_but_w2);
		heartbeat(s, "w2"); /* its next poll: any request of its own */
		run(s, 3 * TICK_MS, everyone);
		assert_null(json_object_get(s->lost, "w2"));
	}
	run(s, 2 * HB_MS, everyone);
	assert_string_equal("ready", state_of(s, "w2"));
	/* A lost mark older than the last contact says nothing. */
	json_object_set_new(s->lost, "w1", json_integer(seen_at(s, "w1") - 1));
	run(s, 2 * LOST_MS, everyone);
	assert_string_equal("ready", state_of(s, "w1"));
}

/* On a loaded machine beats come late, up to two in a row missed, at
 * random: no node is ever down. */
static void test_late_beats_are_not_down(void **state)
{
	struct sim *s = *state;
	uint32_t rnd = 12345;
	int64_t next[4] = {0};
	const char *ids[4] = {"m2", "m3", "w1", "w2"};
	for (int64_t end = s->now + 100 * HB_MS; s->now < end; s->now += TICK_MS) {
		for (int i = 0; i < 4; i++) {
			if (s->now < next[i])
				continue;
			heartbeat(s, ids[i]);
			rnd = rnd * 1103515245u + 12345u;
			/* the next beat: on time, or up to two beats missed
			 * and the third 0.8 s late */
			next[i] = s->now + BEAT_MS + (int64_t)(rnd >> 8) % (2 * BEAT_MS + 800);
		}
		assert_int_equal(NODE_DUTY_NONE, tick(s));
	}
	for (int i = 0; i < 4; i++)
		assert_string_equal("ready", state_of(s, ids[i]));
}

/* A leader whose loop did not run (a stall) heard nobody meanwhile: the
 * stall is nobody's silence, and the beats queued during it are read
 * before anyone's grace runs out. A node silent before and after the
 * stall is still down after the grace it was really silent for. */
static void test_leader_stall_is_nobody_silence(void **state)
{
	struct sim *s = *state;
	run(s, 2 * HB_MS, everyone);
	lose(s, "w1"); /* its poll's connection broke just before */
	int64_t w2_last = seen_at(s, "w2");
	s->now += 3 * GRACE_MS; /* no tick for that long */
	assert_int_equal(NODE_DUTY_NONE, tick(s));
	s->now += TICK_MS;
	/* What came in during the stall is read now. */
	heartbeat(s, "m2");
	heartbeat(s, "m3");
	heartbeat(s, "w1");
	run(s, 2 * HB_MS, all_but_w2);
	assert_string_equal("ready", state_of(s, "w1"));
	assert_string_equal("ready", state_of(s, "m2"));
	assert_string_equal("down", state_of(s, "w2"));
	/* w2's silence counted without the stall: down only once the grace
	 * had passed on the running leader. */
	assert_true(seen_at(s, "w2") - w2_last >= 3 * GRACE_MS);
	/* Short gaps between ticks (a late timer) are no stall. */
	assert_false(node_liveness_stalled(s->last_seen, s->lost, s->now - NODE_STALL_MS, s->now));
	assert_true(
	    node_liveness_stalled(s->last_seen, s->lost, s->now - NODE_STALL_MS - 1, s->now));
}

/* The rules for other periods: beats three times a period, down after a
 * period and a second of silence (3 s at least), and the lost grace never
 * longer. */
static void test_liveness_rules(void **state)
{
	(void)state;
	assert_int_equal(333, node_beat_interval_ms(1000));
	assert_int_equal(3000, node_silence_grace_ms(1000));
	assert_int_equal(2000, node_lost_grace_ms(1000));
	assert_int_equal(1500, node_beat_timeout_ms(1000));
	assert_int_equal(3000, node_silence_grace_ms(2000));
	assert_int_equal(3332, node_beat_timeout_ms(5000));
	assert_int_equal(1666, node_beat_interval_ms(5000));
	assert_int_equal(6000, node_silence_grace_ms(5000));
	assert_int_equal(2000, node_lost_grace_ms(5000));
	assert_int_equal(2000, node_lost_grace_ms(500));
	/* One stuck beat (its timeout, the retry, the next interval) never
	 * makes a node Down, for periods of a second and more. */
	static const int64_t periods[] = {1000, 2000, 5000, 10000, 30000, 120000};
	for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++) {
		int64_t p = periods[i];
		assert_true(node_beat_timeout_ms(p) + NODE_BEAT_RETRY_MS +
				node_beat_interval_ms(p) <
			    node_silence_grace_ms(p));
	}
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
	    cmocka_unit_test_setup_teardown(test_new_leader_lost_connection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_demotion_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leader_marks_itself_ready, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_flapping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cut_off_down_within_period_and_extra, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_lost_connection_down_after_short_grace, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_reconnect_is_not_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_late_beats_are_not_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leader_stall_is_nobody_silence, setup, teardown),
	    cmocka_unit_test(test_liveness_rules),
	    cmocka_unit_test(test_cert_decisions),
	    cmocka_unit_test(test_join_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
