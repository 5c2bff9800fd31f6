/* The swarm store, alone and replicated: commands, snapshots, node lookup,
 * private fields; then the store as the FSM of a simulated 3-manager Raft
 * cluster (libraft's fixture: in-memory I/O, virtual clock) through leader
 * loss, partitions, snapshots with a lagging member, and a new voter. No
 * sleeps: time only moves when the fixture steps. */
#include <errno.h>
#include <raft.h>
#include <raft/fixture.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "basic/log.h"
#include "swarm/sraft.h"
#include "swarm/store.h"

static json_t *node_cmd(const char *id, const char *host, const char *label)
{
	return json_pack("{s:s, s:{s:s, s:s, s:{s:s}, s:{s:s}}, s:I}", "op", "node", "v", "ID", id,
			 "_raft_id", "x", "Description", "Hostname", host, "Spec", "Labels", label,
			 "ts", (json_int_t)1700000000000000000LL);
}

static void apply_json(struct store *s, json_t *cmd)
{
	char *t = json_dumps(cmd, JSON_COMPACT);
	json_decref(cmd);
	assert_int_equal(store_apply(s, t, strlen(t), NULL), 0);
	free(t);
}

static void test_store_commands(void **state)
{
	struct store s;
	store_init(&s);
	apply_json(&s, json_pack("{s:s, s:{s:s, s:s}}", "op", "cluster", "v", "ID", "c1", "_ca_key",
				 "secret"));
	apply_json(&s, node_cmd("abc123", "n1", "a"));
	apply_json(&s, node_cmd("abd456", "n2", "b"));
	assert_int_equal(s.index, 3);
	json_t *n;
	struct error err = ERROR_INIT;
	assert_int_equal(store_find_node(&s, "abc123", &n, &err), 0);
	assert_int_equal(store_find_node(&s, "abd", &n, &err), 0);
	assert_string_equal(json_string_value(json_object_get(n, "ID")), "abd456");
	assert_int_equal(store_find_node(&s, "n1", &n, &err), 0); /* by hostname */
	assert_int_equal(store_find_node(&s, "ab", &n, &err), -EINVAL);
	error_clear(&err);
	assert_int_equal(store_find_node(&s, "zzz", &n, &err), -ENOENT);
	assert_string_equal(err.msg, "node zzz not found");
	error_clear(&err);
	/* Version and times are stamped; CreatedAt survives a replace. */
	store_find_node(&s, "abc123", &n, NULL);
	const char *created = json_string_value(json_object_get(n, "CreatedAt"));
	assert_non_null(created);
	char *created_copy = strdup(created);
	apply_json(&s, node_cmd("abc123", "n1", "changed"));
	store_find_node(&s, "abc123", &n, NULL);
	assert_string_equal(json_string_value(json_object_get(n, "CreatedAt")), created_copy);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(n, "Version"), "Index")), 4);
	free(created_copy);
	/* Private fields never leave. */
	json_t *pub = store_public(s.cluster);
	assert_null(json_object_get(pub, "_ca_key"));
	assert_non_null(json_object_get(pub, "ID"));
	json_decref(pub);
	/* Snapshot and restore give the same store. */
	size_t len;
	char *snap = store_snapshot(&s, &len);
	struct store s2;
	store_init(&s2);
	assert_int_equal(store_restore(&s2, snap, len, NULL), 0);
	assert_true(json_equal(s.nodes, s2.nodes));
	assert_true(json_equal(s.cluster, s2.cluster));
	assert_int_equal(s2.index, s.index);
	/* Removal, twice (idempotent), and bad commands. */
	apply_json(&s, json_pack("{s:s, s:s}", "op", "rm_node", "id", "abc123"));
	apply_json(&s, json_pack("{s:s, s:s}", "op", "rm_node", "id", "abc123"));
	assert_int_equal(json_object_size(s.nodes), 1);
	assert_int_equal(store_apply(&s, "{\"op\":\"nope\"}", 13, &err), -EINVAL);
	error_clear(&err);
	assert_int_equal(store_apply(&s, "garbage", 7, &err), -EINVAL);
	error_clear(&err);
	assert_int_equal(store_restore(&s2, "{}", 2, &err), -EINVAL);
	error_clear(&err);
	free(snap);
	store_done(&s);
	store_done(&s2);
}

/* ---- simulated cluster ---- */

#define N 3
#define MAXN 4

struct sim {
	struct raft_fixture f;
	struct raft_fsm fsms[MAXN];
	struct sraft holders[MAXN]; /* only .store and .log are used */
	struct store stores[MAXN];
	struct logger log;
	bool dek_on;
	uint8_t dek[32];
};

static int sim_setup(void **state)
{
	struct sim *s = calloc(1, sizeof(*s));
	s->log.level = LOG_LEVEL_ERROR;
	s->log.fd = 2;
	assert_int_equal(raft_fixture_initialize(&s->f), 0);
	/* Entries and snapshots sealed with a data key, as berthd does. */
	s->dek_on = true;
	for (unsigned k = 0; k < sizeof(s->dek); k++)
		s->dek[k] = (uint8_t)(k * 7 + 1);
	for (unsigned i = 0; i < MAXN; i++) {
		store_init(&s->stores[i]);
		s->holders[i].store = &s->stores[i];
		s->holders[i].log = &s->log;
		s->holders[i].has_dek = true;
		memcpy(s->holders[i].dek, s->dek, sizeof(s->dek));
		sraft_fsm_init(&s->fsms[i], &s->holders[i]);
	}
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(raft_fixture_grow(&s->f, &s->fsms[i]), 0);
	struct raft_configuration c;
	assert_int_equal(raft_fixture_configuration(&s->f, N, &c), 0);
	assert_int_equal(raft_fixture_bootstrap(&s->f, &c), 0);
	raft_configuration_close(&c);
	for (unsigned i = 0; i < N; i++) {
		struct raft *r = raft_fixture_get(&s->f, i);
		raft_set_pre_vote(r, true);
		raft_set_snapshot_threshold(r, 8);
		raft_set_snapshot_trailing(r, 2);
	}
	assert_int_equal(raft_fixture_start(&s->f), 0);
	*state = s;
	return 0;
}

static int sim_teardown(void **state)
{
	struct sim *s = *state;
	raft_fixture_close(&s->f);
	for (unsigned i = 0; i < MAXN; i++)
		store_done(&s->stores[i]);
	free(s);
	return 0;
}

static unsigned leader(struct sim *s)
{
	assert_true(raft_fixture_step_until_has_leader(&s->f, 10000));
	return raft_fixture_leader_index(&s->f);
}

static void apply_done(struct raft_apply *req, int status, void *result)
{
	*(int *)req->data = status;
	free(req);
}

/* Proposes a command on server i; returns its index (0 when refused). */
static raft_index propose(struct sim *s, unsigned i, json_t *cmd, int *status)
{
	struct raft *r = raft_fixture_get(&s->f, i);
	struct raft_apply *req = calloc(1, sizeof(*req));
	struct raft_buffer buf = sraft_encode(s->dek_on ? s->dek : NULL, cmd);
	req->data = status;
	*status = 1; /* pending */
	if (raft_apply(r, req, &buf, 1, apply_done) != 0) {
		raft_free(buf.base);
		free(req);
		return 0;
	}
	return raft_last_index(r);
}

static void assert_converged(struct sim *s, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		assert_true(json_equal(s->stores[0].nodes, s->stores[i].nodes));
		assert_int_equal(s->stores[0].index, s->stores[i].index);
	}
}

static void test_sim_replication_and_leader_loss(void **state)
{
	struct sim *s = *state;
	unsigned l = leader(s);
	int st;
	raft_index idx = 0;
	char id[16];
	for (int k = 0; k < 5; k++) {
		snprintf(id, sizeof(id), "node%d", k);
		idx = propose(s, l, node_cmd(id, id, "v1"), &st);
		assert_true(idx > 0);
	}
	assert_true(raft_fixture_step_until_applied(&s->f, N, idx, 5000));
	assert_int_equal(st, 0);
	assert_converged(s, N);
	assert_int_equal(json_object_size(s->stores[0].nodes), 5);

	/* The leader dies: another is elected on the virtual clock and the
	 * store keeps every committed node. */
	raft_fixture_kill(&s->f, l);
	assert_true(raft_fixture_step_until_has_no_leader(&s->f, 5000));
	unsigned l2 = leader(s);
	assert_true(l2 != l);
	idx = propose(s, l2, node_cmd("after", "after", "x"), &st);
	assert_true(idx > 0);
	unsigned other = 3 - l - l2;
	assert_true(raft_fixture_step_until_applied(&s->f, other, idx, 5000));
	assert_int_equal(json_object_size(s->stores[l2].nodes), 6);
	/* Back from the dead, it catches up. */
	raft_fixture_revive(&s->f, l);
	assert_true(raft_fixture_step_until_applied(&s->f, N, idx, 10000));
	assert_converged(s, N);
}

static void test_sim_partition(void **state)
{
	struct sim *s = *state;
	unsigned l = leader(s);
	int st, st_lost;
	/* Cut the leader off from both followers. */
	for (unsigned i = 0; i < N; i++)
		if (i != l) {
			raft_fixture_disconnect(&s->f, l, i);
			raft_fixture_disconnect(&s->f, i, l);
		}
	/* What it accepts now can never commit. */
	raft_index lost = propose(s, l, node_cmd("lost", "lost", "x"), &st_lost);
	assert_true(lost > 0);
	/* The majority side elects a leader of its own and commits. */
	unsigned l2 = l;
	for (int k = 0; k < 200 && (l2 == l || l2 >= N); k++) {
		raft_fixture_step_until_elapsed(&s->f, 100);
		for (unsigned i = 0; i < N; i++)
			if (i != l && raft_state(raft_fixture_get(&s->f, i)) == RAFT_LEADER)
				l2 = i;
	}
	assert_true(l2 != l && l2 < N);
	raft_index idx = propose(s, l2, node_cmd("kept", "kept", "y"), &st);
	assert_true(idx > 0);
	unsigned other = 3 - l - l2;
	assert_true(raft_fixture_step_until_applied(&s->f, other, idx, 5000));
	assert_null(json_object_get(s->stores[l2].nodes, "lost"));
	/* Heal: the old leader steps down, drops its uncommitted entry and
	 * takes the majority's log. */
	for (unsigned i = 0; i < N; i++)
		if (i != l) {
			raft_fixture_reconnect(&s->f, l, i);
			raft_fixture_reconnect(&s->f, i, l);
		}
	assert_true(raft_fixture_step_until_applied(&s->f, l, idx, 10000));
	raft_fixture_step_until_elapsed(&s->f, 1000);
	assert_null(json_object_get(s->stores[l].nodes, "lost"));
	assert_non_null(json_object_get(s->stores[l].nodes, "kept"));
	assert_true(st_lost != 0); /* the client learns it did not commit */
	assert_converged(s, N);
}

static void test_sim_snapshot_catch_up(void **state)
{
	struct sim *s = *state;
	unsigned l = leader(s);
	unsigned lag = (l + 1) % N;
	raft_fixture_kill(&s->f, lag);
	int st;
	raft_index idx = 0;
	char id[16];
	/* Enough entries for several snapshots (threshold 8, trailing 2). */
	for (int k = 0; k < 40; k++) {
		snprintf(id, sizeof(id), "s%d", k);
		idx = propose(s, l, node_cmd(id, id, "z"), &st);
		assert_true(idx > 0);
		raft_fixture_step_until_applied(&s->f, l, idx, 2000);
	}
	raft_fixture_revive(&s->f, lag);
	assert_true(raft_fixture_step_until_applied(&s->f, lag, idx, 20000));
	assert_int_equal(json_object_size(s->stores[lag].nodes), 40);
	assert_converged(s, N);
}

static void change_done(struct raft_change *req, int status)
{
	*(int *)req->data = status;
	free(req);
}

static void test_sim_new_voter(void **state)
{
	struct sim *s = *state;
	unsigned l = leader(s);
	int st;
	raft_index idx = propose(s, l, node_cmd("first", "first", "a"), &st);
	assert_true(raft_fixture_step_until_applied(&s->f, N, idx, 5000));
	/* A fourth manager joins: added, caught up, promoted to voter. */
	assert_int_equal(raft_fixture_grow(&s->f, &s->fsms[3]), 0);
	assert_int_equal(raft_start(raft_fixture_get(&s->f, 3)), 0);
	struct raft *lr = raft_fixture_get(&s->f, l);
	struct raft_change *c = calloc(1, sizeof(*c));
	int cst = 1;
	c->data = &cst;
	assert_int_equal(raft_add(lr, c, 4, "4", change_done), 0);
	for (int k = 0; k < 100 && cst == 1; k++)
		raft_fixture_step(&s->f);
	assert_int_equal(cst, 0);
	c = calloc(1, sizeof(*c));
	c->data = &cst;
	cst = 1;
	assert_int_equal(raft_assign(lr, c, 4, RAFT_VOTER, change_done), 0);
	for (int k = 0; k < 2000 && cst == 1; k++)
		raft_fixture_step(&s->f);
	assert_int_equal(cst, 0);
	idx = propose(s, l, node_cmd("second", "second", "b"), &st);
	assert_true(raft_fixture_step_until_applied(&s->f, 4, idx, 10000));
	assert_converged(s, 4);
	assert_non_null(json_object_get(s->stores[3].nodes, "first"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_store_commands),
	    cmocka_unit_test_setup_teardown(test_sim_replication_and_leader_loss, sim_setup,
					    sim_teardown),
	    cmocka_unit_test_setup_teardown(test_sim_partition, sim_setup, sim_teardown),
	    cmocka_unit_test_setup_teardown(test_sim_snapshot_catch_up, sim_setup, sim_teardown),
	    cmocka_unit_test_setup_teardown(test_sim_new_voter, sim_setup, sim_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
