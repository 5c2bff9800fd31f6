/* Tests of the networking logic without I/O: CIDR parsing and overlap,
 * address pools, address allocation, the nftables ruleset text and the
 * embedded DNS server's answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "network/dns.h"
#include "network/ipam.h"
#include "network/nft.h"

static uint32_t ip(const char *s)
{
	uint32_t a = 0;
	assert_int_equal(ip_parse(s, &a), 0);
	return a;
}

static void test_cidr(void **state)
{
	struct cidr c;
	char buf[20];
	assert_int_equal(cidr_parse("10.213.0.7/24", false, &c), 0);
	assert_string_equal(cidr_format(&c, buf), "10.213.0.0/24");
	assert_int_equal(cidr_parse("10.213.0.7/24", true, &c), 0);
	assert_string_equal(cidr_format(&c, buf), "10.213.0.7/24");
	assert_int_equal(cidr_parse("10.213.300.0/24", false, &c), -EINVAL);
	assert_int_equal(cidr_parse("10.213.0.0/33", false, &c), -EINVAL);
	assert_int_equal(cidr_parse("10.213.0.0", false, &c), -EINVAL);
	assert_int_equal(cidr_parse("10.213.0.0/", false, &c), -EINVAL);
	assert_int_equal(cidr_parse("nonsense/8", false, &c), -EINVAL);
	struct cidr a, b;
	cidr_parse("10.213.0.0/16", false, &a);
	cidr_parse("10.213.5.0/24", false, &b);
	assert_true(cidr_overlap(&a, &b));
	assert_true(cidr_overlap(&b, &a));
	assert_true(cidr_within(&a, &b));
	assert_false(cidr_within(&b, &a));
	cidr_parse("10.214.0.0/24", false, &b);
	assert_false(cidr_overlap(&a, &b));
	assert_true(cidr_contains(&a, ip("10.213.255.255")));
	assert_false(cidr_contains(&a, ip("10.214.0.1")));
}

static void test_pools(void **state)
{
	struct addr_pool pools[32], p;
	size_t n = addr_pool_defaults(pools, 32);
	assert_int_equal(n, 16);
	struct cidr taken[2], got;
	char buf[20];
	assert_int_equal(addr_pool_pick(pools, n, NULL, 0, &got), 0);
	assert_string_equal(cidr_format(&got, buf), "172.17.0.0/16");
	/* A host route inside 172.17/16 and our network on 172.18/16. */
	cidr_parse("172.17.3.0/24", false, &taken[0]);
	cidr_parse("172.18.0.0/16", false, &taken[1]);
	assert_int_equal(addr_pool_pick(pools, n, taken, 2, &got), 0);
	assert_string_equal(cidr_format(&got, buf), "172.19.0.0/16");
	assert_int_equal(addr_pool_parse("base=10.213.0.0/16,size=24", &p), 0);
	assert_int_equal(p.size, 24);
	cidr_parse("10.213.0.0/23", false, &taken[0]);
	assert_int_equal(addr_pool_pick(&p, 1, taken, 1, &got), 0);
	assert_string_equal(cidr_format(&got, buf), "10.213.2.0/24");
	assert_int_equal(addr_pool_parse("base=10.213.0.0/24,size=16", &p), -EINVAL);
	assert_int_equal(addr_pool_parse("size=24", &p), -EINVAL);
	assert_int_equal(addr_pool_parse("base=10.213.0.0/16,size=24,x=1", &p), -EINVAL);
	/* All taken. */
	addr_pool_parse("base=10.213.0.0/24,size=24", &p);
	cidr_parse("10.0.0.0/8", false, &taken[0]);
	assert_int_equal(addr_pool_pick(&p, 1, taken, 1, &got), -ENOSPC);
}

static void test_alloc(void **state)
{
	struct ipam_set used = {0};
	struct cidr sub, range = {0};
	uint32_t a;
	cidr_parse("10.213.0.0/29", false, &sub);
	uint32_t gw = ip("10.213.0.1");
	/* .2 .. .6: never the network, the gateway or the broadcast address. */
	for (int i = 2; i <= 6; i++) {
		assert_int_equal(ipam_alloc(&used, &sub, &range, gw, &a), 0);
		assert_int_equal(a, ip("10.213.0.0") + (uint32_t)i);
		assert_int_equal(ipam_set_add(&used, a), 0);
	}
	assert_int_equal(ipam_alloc(&used, &sub, &range, gw, &a), -ENOSPC);
	assert_int_equal(ipam_set_add(&used, ip("10.213.0.4")), -EEXIST);
	/* Released addresses come back, lowest first. */
	ipam_set_del(&used, ip("10.213.0.4"));
	ipam_set_del(&used, ip("10.213.0.3"));
	assert_int_equal(ipam_alloc(&used, &sub, &range, gw, &a), 0);
	assert_int_equal(a, ip("10.213.0.3"));
	ipam_set_free(&used);
	/* An ip-range. */
	cidr_parse("10.213.0.0/24", false, &sub);
	cidr_parse("10.213.0.128/25", false, &range);
	assert_int_equal(ipam_alloc(&used, &sub, &range, gw, &a), 0);
	assert_int_equal(a, ip("10.213.0.128"));
	ipam_set_free(&used);
}

static void test_ruleset(void **state)
{
	struct nft_bridge br[3] = {
	    {"bt0", {0}, false, true}, {"btu1", {0}, false, true}, {"bti", {0}, true, true}};
	cidr_parse("10.213.0.0/24", false, &br[0].subnet);
	cidr_parse("10.213.1.0/24", false, &br[1].subnet);
	cidr_parse("10.213.2.0/24", false, &br[2].subnet);
	struct nft_port ports[2] = {{"tcp", ip("127.0.0.1"), 8080, ip("10.213.0.2"), 80},
				    {"udp", 0, 5353, ip("10.213.1.2"), 53}};
	char *t = nft_ruleset("berth_x", br, 3, ports, 2);
	assert_non_null(t);
	assert_non_null(strstr(t, "add table ip berth_x\ndelete table ip berth_x\n"));
	assert_non_null(strstr(t, "ip daddr 127.0.0.1 tcp dport 8080 dnat to 10.213.0.2:80\n"));
	assert_non_null(strstr(t, "\t\tudp dport 5353 dnat to 10.213.1.2:53\n"));
	assert_non_null(strstr(t, "ip saddr 10.213.0.0/24 oifname != \"bt0\" masquerade"));
	assert_null(strstr(t, "ip saddr 10.213.2.0/24 oifname != \"bti\" masquerade"));
	assert_non_null(strstr(t, "iifname \"bt0\" oifname { \"btu1\", \"bti\" } drop"));
	assert_non_null(strstr(t, "iifname \"bti\" oifname != \"bti\" drop"));
	assert_non_null(strstr(t, "oifname \"bti\" iifname != \"bti\" drop"));
	free(t);
	/* No bridge: the table goes. */
	t = nft_ruleset("berth_x", NULL, 0, NULL, 0);
	assert_string_equal(t, "add table ip berth_x\ndelete table ip berth_x\n");
	free(t);
}

static void test_vip_ruleset(void **state)
{
	uint32_t three[3] = {ip("10.213.5.3"), ip("10.213.5.4"), ip("10.213.5.5")};
	uint32_t one[1] = {ip("10.213.6.3")};
	struct nft_vip vips[3] = {
	    {ip("10.213.5.2"), three, 3}, {ip("10.213.6.2"), one, 1}, {ip("10.213.7.2"), NULL, 0}};
	char *t = nft_vip_ruleset("berth", vips, 3);
	assert_non_null(t);
	assert_non_null(strstr(t, "add table ip berth\ndelete table ip berth\n"));
	assert_non_null(strstr(t, "type nat hook output priority -100;"));
	assert_non_null(strstr(t, "ip daddr 10.213.5.2 dnat to numgen random mod 3 map { 0 : "
				  "10.213.5.3, 1 : 10.213.5.4, 2 : 10.213.5.5 }\n"));
	assert_non_null(strstr(t, "ip daddr 10.213.6.2 dnat to 10.213.6.3\n"));
	assert_null(strstr(t, "ip daddr 10.213.7.2 dnat"));
	assert_non_null(strstr(t, "ip daddr 10.213.7.2 reject\n"));
	free(t);
	t = nft_vip_ruleset("berth", NULL, 0);
	assert_string_equal(t, "add table ip berth\ndelete table ip berth\n");
	free(t);
}

static size_t fake_resolve(void *userdata, const char *name, uint32_t *ips, size_t max)
{
	if (strcmp(name, "web") == 0) {
		ips[0] = 0x0ad50002;
		return 1;
	}
	return 0;
}

static size_t query(const char *name, uint16_t qtype, uint8_t *q)
{
	static const uint8_t hdr[12] = {0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0};
	memcpy(q, hdr, 12);
	size_t off = 12;
	const char *p = name;
	while (*p) {
		size_t l = strcspn(p, ".");
		q[off++] = (uint8_t)l;
		memcpy(q + off, p, l);
		off += l;
		p += l + (p[l] == '.');
	}
	q[off++] = 0;
	q[off++] = (uint8_t)(qtype >> 8);
	q[off++] = (uint8_t)qtype;
	q[off++] = 0;
	q[off++] = 1;
	return off;
}

static void test_dns(void **state)
{
	uint8_t q[512], out[512];
	size_t len = query("WEB", 1, q);
	int n = dns_answer(q, len, fake_resolve, NULL, out, sizeof(out));
	assert_int_equal(n, (int)len + 16);
	assert_int_equal(out[0], 0x12);
	assert_int_equal(out[2] & 0x80, 0x80); /* a response */
	assert_int_equal(out[3] & 0x0f, 0);    /* NOERROR */
	assert_int_equal(out[7], 1);	       /* one answer */
	assert_memory_equal(out + n - 4, "\x0a\xd5\x00\x02", 4);
	/* AAAA of a known name: NOERROR without answers. */
	len = query("web", 28, q);
	n = dns_answer(q, len, fake_resolve, NULL, out, sizeof(out));
	assert_int_equal(n, (int)len);
	assert_int_equal(out[7], 0);
	/* Unknown: forwarded. */
	len = query("other.example", 1, q);
	assert_int_equal(dns_answer(q, len, fake_resolve, NULL, out, sizeof(out)), 0);
	/* Malformed: too short, a response, a label past the end. */
	assert_int_equal(dns_answer(q, 10, fake_resolve, NULL, out, sizeof(out)), -EINVAL);
	q[2] |= 0x80;
	assert_int_equal(dns_answer(q, len, fake_resolve, NULL, out, sizeof(out)), -EINVAL);
	len = query("web", 1, q);
	q[12] = 60;
	assert_int_equal(dns_answer(q, len, fake_resolve, NULL, out, sizeof(out)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cidr),	cmocka_unit_test(test_pools),
	    cmocka_unit_test(test_alloc),	cmocka_unit_test(test_ruleset),
	    cmocka_unit_test(test_vip_ruleset), cmocka_unit_test(test_dns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
