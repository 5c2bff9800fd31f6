/* Keys of encrypted overlay networks: the leader's ring in the store (a
 * first key with the first encrypted network, rotation after the period,
 * at most three keys, the ring kept over a cluster replace, private in the
 * API view), the primary key (second newest), SPIs (per direction and key,
 * never in the reserved range) and the xfrm plan of a node (both ways per
 * key, one policy per peer on the primary). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "swarm/netkeys.h"
#include "swarm/store.h"

#define TS 1700000000000000000LL
#define PERIOD 10000000000LL

static int apply(struct store *s, json_t *cmd)
{
	json_object_set_new(cmd, "ts", json_integer(TS));
	char *t = json_dumps(cmd, JSON_COMPACT);
	json_decref(cmd);
	struct error err = ERROR_INIT;
	int r = store_apply(s, t, strlen(t), &err);
	error_clear(&err);
	free(t);
	return r;
}

static void cluster(struct store *s)
{
	store_init(s);
	assert_int_equal(apply(s, json_pack("{s:s, s:{s:s}}", "op", "cluster", "v", "ID", "c1")),
			 0);
}

static void add_network(struct store *s, const char *id, bool encrypted)
{
	json_t *opts = encrypted ? json_pack("{s:s}", "encrypted", "") : json_object();
	json_object_set_new(
	    s->networks, id,
	    json_pack("{s:s, s:{s:s, s:o}}", "ID", id, "Spec", "Name", id, "Options", opts));
}

/* One leader round at now: the command applied; whether there was one. */
static bool round_at(struct store *s, int64_t now, uint8_t fill)
{
	uint8_t fresh[XFRM_KEY_LEN];
	memset(fresh, fill, sizeof(fresh));
	json_t *cmd = netkeys_step(s->cluster, s->networks, now, PERIOD, fresh);
	if (!cmd)
		return false;
	assert_int_equal(apply(s, cmd), 0);
	return true;
}

static json_t *ring(struct store *s)
{
	return json_object_get(s->cluster, "_netkeys");
}

static void test_ring(void **state)
{
	struct store s;
	cluster(&s);
	add_network(&s, "plain", false);
	assert_false(round_at(&s, TS, 1));
	add_network(&s, "secret", true);
	assert_true(round_at(&s, TS, 1));
	assert_int_equal(json_array_size(ring(&s)), 1);
	assert_false(round_at(&s, TS + PERIOD - 1, 2));
	for (int i = 1; i <= 4; i++)
		assert_true(round_at(&s, TS + i * PERIOD, (uint8_t)(i + 1)));
	/* Five keys made, the ring keeps the newest three. */
	assert_int_equal(json_array_size(ring(&s)), NETKEYS_RING);
	struct netkey *keys;
	size_t n;
	assert_int_equal(netkeys_parse(ring(&s), &keys, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(keys[0].tag, 3);
	assert_int_equal(keys[2].tag, 5);
	assert_int_equal(keys[2].key[0], 5);
	assert_int_equal(netkeys_primary(n), 1);
	free(keys);
	/* A cluster replace (swarm update) keeps the ring; the API never shows it. */
	json_t *copy = json_pack("{s:s, s:{}}", "ID", "c1", "Spec");
	assert_int_equal(apply(&s, json_pack("{s:s, s:o}", "op", "cluster", "v", copy)), 0);
	assert_int_equal(json_array_size(ring(&s)), 3);
	json_t *pub = store_public(s.cluster);
	assert_null(json_object_get(pub, "_netkeys"));
	json_decref(pub);
	/* Without an encrypted network the ring stays. */
	json_object_del(s.networks, "secret");
	assert_false(round_at(&s, TS + 10 * PERIOD, 9));
	store_done(&s);
}

static void test_parse(void **state)
{
	struct netkey *keys;
	size_t n;
	json_t *bad = json_pack("[{s:s, s:i}]", "Key", "AAAA", "Tag", 1);
	assert_int_equal(netkeys_parse(bad, &keys, &n), -EINVAL);
	json_decref(bad);
	json_t *unordered =
	    json_pack("[{s:s, s:i}, {s:s, s:i}]", "Key", "AQEBAQEBAQEBAQEBAQEBAQEBAQE=", "Tag", 7,
		      "Key", "AgICAgICAgICAgICAgICAgICAgI=", "Tag", 6);
	assert_int_equal(netkeys_parse(unordered, &keys, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(keys[0].tag, 6);
	assert_int_equal(keys[0].key[0], 2);
	assert_int_equal(netkeys_primary(n), 0);
	assert_int_equal(netkeys_primary(1), 0);
	free(keys);
	json_decref(unordered);
}

static void test_spi(void **state)
{
	uint32_t a = ntohl(inet_addr("198.18.0.4")), b = ntohl(inet_addr("198.19.0.5"));
	assert_int_equal(netkeys_spi(a, b, 1), netkeys_spi(a, b, 1));
	assert_int_not_equal(netkeys_spi(a, b, 1), netkeys_spi(b, a, 1));
	assert_int_not_equal(netkeys_spi(a, b, 1), netkeys_spi(a, b, 2));
	for (uint32_t t = 0; t < 20000; t++)
		assert_true(netkeys_spi(a, b + t, t) >= 256);
}

static void test_plan(void **state)
{
	uint32_t local = ntohl(inet_addr("198.18.0.4"));
	uint32_t peers[2] = {ntohl(inet_addr("198.19.0.5")), ntohl(inet_addr("198.18.0.6"))};
	struct netkey keys[3] = {{.tag = 3}, {.tag = 4}, {.tag = 5}};
	struct netkeys_plan p;
	assert_int_equal(netkeys_plan(local, peers, 2, keys, 3, 4789, &p), 0);
	assert_int_equal(p.n_sa, 12);
	assert_int_equal(p.n_sp, 4);
	for (size_t i = 0; i < 2; i++) {
		const struct xfrm_sp *out = &p.sp[2 * i], *in = &p.sp[2 * i + 1];
		assert_true(out->out);
		assert_int_equal(out->src, local);
		assert_int_equal(out->dst, peers[i]);
		assert_int_equal(out->dport, 4789);
		/* The policy sends with the second newest key. */
		assert_int_equal(out->spi, netkeys_spi(local, peers[i], 4));
		/* Inbound: ESP required, with any of the keys. */
		assert_false(in->out);
		assert_int_equal(in->src, peers[i]);
		assert_int_equal(in->dst, local);
		assert_int_equal(in->spi, 0);
	}
	size_t out = 0, in = 0;
	for (size_t i = 0; i < p.n_sa; i++) {
		if (p.sa[i].src == local)
			out++;
		else if (p.sa[i].dst == local)
			in++;
		assert_int_equal(
		    p.sa[i].spi,
		    netkeys_spi(p.sa[i].src, p.sa[i].dst,
				keys[(p.key[i] - keys[0].key) / sizeof(struct netkey)].tag));
	}
	assert_int_equal(out, 6);
	assert_int_equal(in, 6);
	netkeys_plan_done(&p);
	/* No key or no peer: nothing at all. */
	assert_int_equal(netkeys_plan(local, peers, 2, keys, 0, 4789, &p), 0);
	assert_int_equal(p.n_sa + p.n_sp, 0);
	assert_int_equal(netkeys_plan(local, NULL, 0, keys, 3, 4789, &p), 0);
	assert_int_equal(p.n_sa + p.n_sp, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ring),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_spi),
	    cmocka_unit_test(test_plan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
