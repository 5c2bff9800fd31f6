/* Tests of the networking logic without I/O: CIDR parsing and overlap,
 * address pools, address allocation, the nftables ruleset text, which VIP
 * conntrack entries are stale and the embedded DNS server's answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "network/conntrack.h"
#include "network/dns.h"
#include "network/ipam.h"
#include "network/ipam6.h"
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
	struct nft_bridge br[3] = {{.ifname = "bt0", .masquerade = true},
				   {.ifname = "btu1", .masquerade = true},
				   {.ifname = "bti", .internal = true, .masquerade = true}};
	cidr_parse("10.213.0.0/24", false, &br[0].subnet);
	cidr_parse("10.213.1.0/24", false, &br[1].subnet);
	cidr_parse("10.213.2.0/24", false, &br[2].subnet);
	struct nft_port ports[2] = {
	    {.proto = "tcp",
	     .host_ip = ip("127.0.0.1"),
	     .host_port = 8080,
	     .ct_ip = ip("10.213.0.2"),
	     .ct_port = 80},
	    {.proto = "udp", .host_port = 5353, .ct_ip = ip("10.213.1.2"), .ct_port = 53}};
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
	assert_null(strstr(t, "table ip6 berth_x {")); /* no bridge has IPv6 */
	free(t);
	/* No bridge: the table goes. */
	t = nft_ruleset("berth_x", NULL, 0, NULL, 0);
	assert_string_equal(t, "add table ip berth_x\ndelete table ip berth_x\n"
			       "add table ip6 berth_x\ndelete table ip6 berth_x\n");
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

static void test_conntrack_stale(void **state)
{
	uint32_t two[2] = {ip("10.213.5.3"), ip("10.213.5.4")};
	struct nft_vip vips[2] = {{ip("10.213.5.2"), two, 2}, {ip("10.213.6.2"), NULL, 0}};
	uint32_t old[2] = {ip("10.213.5.2"), ip("10.213.7.2")};
	/* A backend that still serves its VIP keeps its connections. */
	assert_false(conntrack_stale(vips, 2, old, 2, ip("10.213.5.2"), ip("10.213.5.4")));
	/* One that left the map loses them, also to a VIP without backends. */
	assert_true(conntrack_stale(vips, 2, old, 2, ip("10.213.5.2"), ip("10.213.5.5")));
	assert_true(conntrack_stale(vips, 2, old, 2, ip("10.213.6.2"), ip("10.213.6.3")));
	/* A VIP no longer balanced here (its service went). */
	assert_true(conntrack_stale(vips, 2, old, 2, ip("10.213.7.2"), ip("10.213.7.3")));
	/* Not a VIP, or not DNAT'ed: never touched. */
	assert_false(conntrack_stale(vips, 2, old, 2, ip("10.213.5.3"), ip("10.213.5.9")));
	assert_false(conntrack_stale(vips, 2, old, 2, ip("10.213.5.2"), ip("10.213.5.2")));
	assert_false(conntrack_stale(NULL, 0, NULL, 0, ip("10.213.5.2"), ip("10.213.5.5")));
}

static struct in6_addr ip6(const char *s)
{
	struct in6_addr a;
	assert_int_equal(ip6_parse(s, &a), 0);
	return a;
}

static void test_cidr6(void **state)
{
	struct cidr6 c, d;
	char buf[CIDR6_LEN];
	assert_int_equal(cidr6_parse("2001:db8:7::5/64", false, &c), 0);
	assert_string_equal(cidr6_format(&c, buf), "2001:db8:7::/64");
	assert_true(cidr6_is_masked(&c));
	assert_int_equal(cidr6_parse("2001:db8:7::5/64", true, &c), 0);
	assert_false(cidr6_is_masked(&c));
	assert_int_equal(cidr6_parse("2001:db8::/129", false, &c), -EINVAL);
	assert_int_equal(cidr6_parse("2001:db8::/-1", false, &c), -EINVAL);
	assert_int_equal(cidr6_parse("10.0.0.0/8", false, &c), -EINVAL);
	assert_int_equal(cidr6_parse("2001:db8::", false, &c), -EINVAL);
	assert_int_equal(cidr6_parse("2001:zz8::/64", false, &c), -EINVAL);
	struct in6_addr a;
	assert_int_equal(ip6_parse("10.0.0.1", &a), -EINVAL);
	cidr6_parse("2001:db8::/32", false, &c);
	cidr6_parse("2001:db8:7::/64", false, &d);
	assert_true(cidr6_overlap(&c, &d));
	assert_true(cidr6_overlap(&d, &c));
	assert_true(cidr6_within(&c, &d));
	assert_false(cidr6_within(&d, &c));
	a = ip6("2001:db8:7::ffff");
	assert_true(cidr6_contains(&d, &a));
	a = ip6("2001:db8:8::1");
	assert_false(cidr6_contains(&d, &a));
	cidr6_parse("2001:db9::/32", false, &d);
	assert_false(cidr6_overlap(&c, &d));
	/* /0 and /128 at the edges. */
	cidr6_parse("::/0", false, &c);
	assert_true(cidr6_overlap(&c, &d));
	cidr6_parse("2001:db8::1/128", false, &c);
	a = ip6("2001:db8::1");
	assert_true(cidr6_contains(&c, &a));
	a = ip6("2001:db8::2");
	assert_false(cidr6_contains(&c, &a));
}

static void test_pool6(void **state)
{
	/* dockerd's derivation: fd00::/8 + the 40 low bits of the first 8
	 * bytes of the engine ID's sha256. */
	uint8_t sha[32] = {0x01, 0x02, 0x03, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
	struct cidr6 pool, got, taken[2];
	char buf[CIDR6_LEN];
	ip6_ula_pool(sha, &pool);
	assert_string_equal(cidr6_format(&pool, buf), "fdaa:bbcc:ddee::/48");
	assert_int_equal(cidr6_pick(&pool, 64, NULL, 0, &got), 0);
	assert_string_equal(cidr6_format(&got, buf), "fdaa:bbcc:ddee::/64");
	cidr6_parse("fdaa:bbcc:ddee::/64", false, &taken[0]);
	cidr6_parse("fdaa:bbcc:ddee:1::/80", false, &taken[1]);
	assert_int_equal(cidr6_pick(&pool, 64, taken, 2, &got), 0);
	assert_string_equal(cidr6_format(&got, buf), "fdaa:bbcc:ddee:2::/64");
	/* The whole pool taken. */
	cidr6_parse("fdaa::/16", false, &taken[0]);
	assert_int_equal(cidr6_pick(&pool, 64, taken, 1, &got), -ENOSPC);
	assert_int_equal(cidr6_pick(&pool, 40, NULL, 0, &got), -EINVAL);
}

static void test_alloc6(void **state)
{
	struct ipam6_set used = {0};
	struct cidr6 sub, range = {0};
	struct in6_addr a, gw = ip6("2001:db8:7::1");
	char buf[INET6_ADDRSTRLEN];
	cidr6_parse("2001:db8:7::/64", false, &sub);
	/* The subnet-router anycast address and the gateway are skipped. */
	assert_int_equal(ipam6_alloc(&used, &sub, &range, &gw, &a), 0);
	assert_string_equal(ip6_format(&a, buf), "2001:db8:7::2");
	/* Without a gateway (picking the gateway itself): ::1. */
	assert_int_equal(ipam6_alloc(&used, &sub, &range, NULL, &a), 0);
	assert_string_equal(ip6_format(&a, buf), "2001:db8:7::1");
	/* Lowest free first, past a run of taken ones. */
	for (int i = 2; i < 6; i++) {
		struct in6_addr t = ip6("2001:db8:7::");
		t.s6_addr[15] = (uint8_t)i;
		assert_int_equal(ipam6_set_add(&used, &t), 0);
	}
	assert_int_equal(ipam6_set_add(&used, &(struct in6_addr){.s6_addr = {0x20, 0x01, 0x0d, 0xb8,
									     0, 7, [15] = 3}}),
			 -EEXIST);
	assert_int_equal(ipam6_alloc(&used, &sub, &range, &gw, &a), 0);
	assert_string_equal(ip6_format(&a, buf), "2001:db8:7::6");
	a = ip6("2001:db8:7::3");
	ipam6_set_del(&used, &a);
	assert_false(ipam6_set_has(&used, &a));
	assert_int_equal(ipam6_alloc(&used, &sub, &range, &gw, &a), 0);
	assert_string_equal(ip6_format(&a, buf), "2001:db8:7::3");
	/* An ip-range: its first address is a host address. */
	cidr6_parse("2001:db8:7:0:8000::/65", false, &range);
	assert_int_equal(ipam6_alloc(&used, &sub, &range, &gw, &a), 0);
	assert_string_equal(ip6_format(&a, buf), "2001:db8:7:0:8000::");
	ipam6_set_free(&used);
	/* A full /127: anycast + gateway, nothing left; a /126 has ::2, ::3. */
	cidr6_parse("2001:db8:7::/127", false, &sub);
	range = (struct cidr6){.prefix = 0};
	assert_int_equal(ipam6_alloc(&used, &sub, &range, &gw, &a), -ENOSPC);
	cidr6_parse("2001:db8:7::/126", false, &sub);
	a = ip6("2001:db8:7::2");
	ipam6_set_add(&used, &a);
	assert_int_equal(ipam6_alloc(&used, &sub, &range, &gw, &a), 0);
	assert_string_equal(ip6_format(&a, buf), "2001:db8:7::3");
	ipam6_set_add(&used, &a);
	assert_int_equal(ipam6_alloc(&used, &sub, &range, &gw, &a), -ENOSPC);
	ipam6_set_free(&used);
	/* The top of the address space does not wrap around. */
	cidr6_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffc/126", false, &sub);
	gw = ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd");
	for (int i = 0xfe; i <= 0xff; i++) {
		struct in6_addr t = ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00");
		t.s6_addr[15] = (uint8_t)i;
		ipam6_set_add(&used, &t);
	}
	assert_int_equal(ipam6_alloc(&used, &sub, &range, &gw, &a), -ENOSPC);
	ipam6_set_free(&used);
}

static void test_ruleset6(void **state)
{
	struct nft_bridge br[2] = {{.ifname = "bt4", .masquerade = true},
				   {.ifname = "bt6", .masquerade = true}};
	cidr_parse("10.213.0.0/24", false, &br[0].subnet);
	cidr_parse("10.213.1.0/24", false, &br[1].subnet);
	cidr6_parse("2001:db8:7::/64", false, &br[1].subnet6);
	struct nft_port ports[3] = {
	    {.proto = "tcp", .host_port = 8080, .ct_ip = ip("10.213.1.2"), .ct_port = 80},
	    {.proto = "tcp",
	     .host_port = 8080,
	     .ct_ip = ip("10.213.1.2"),
	     .ct_port = 80,
	     .v6 = true,
	     .ct_ip6 = ip6("2001:db8:7::2")},
	    {.proto = "udp",
	     .host_port = 53,
	     .ct_port = 53,
	     .v6 = true,
	     .host_ip6 = ip6("::1"),
	     .ct_ip6 = ip6("2001:db8:7::2")}};
	char *t = nft_ruleset("berth_x", br, 2, ports, 3);
	assert_non_null(t);
	char *t6 = strstr(t, "table ip6 berth_x {");
	assert_non_null(t6);
	/* IPv4 rules stay in the ip table, IPv6 ones in the ip6 table. */
	assert_non_null(strstr(t, "\t\ttcp dport 8080 dnat to 10.213.1.2:80\n"));
	assert_true(strstr(t, "dnat to 10.213.1.2:80") < t6);
	assert_non_null(strstr(t6, "\t\ttcp dport 8080 dnat to [2001:db8:7::2]:80\n"));
	assert_non_null(strstr(t6, "ip6 daddr ::1 udp dport 53 dnat to [2001:db8:7::2]:53\n"));
	assert_null(strstr(t, "ip daddr ::1"));
	/* NAT66 off by default; hairpin is masqueraded. */
	assert_null(strstr(t6, "oifname != \"bt6\" masquerade"));
	assert_non_null(
	    strstr(t6, "ct status dnat ip6 saddr 2001:db8:7::/64 oifname \"bt6\" masquerade"));
	assert_null(strstr(t6, "oifname \"bt4\" masquerade"));
	/* Isolation applies to IPv6 too. */
	assert_non_null(strstr(t6, "iifname \"bt6\" oifname { \"bt4\" } drop"));
	free(t);
	br[1].nat6 = true;
	t = nft_ruleset("berth_x", br, 2, ports, 3);
	assert_non_null(strstr(t, "ip6 saddr 2001:db8:7::/64 oifname != \"bt6\" masquerade"));
	free(t);
}

static void fake_resolve(void *userdata, const char *name, struct dns_addrs *out)
{
	if (strcmp(name, "web") == 0)
		dns_addrs_add(out, 0x0ad50002, NULL);
	if (strcmp(name, "dual") == 0) {
		struct in6_addr a;
		assert_int_equal(ip6_parse("2001:db8:7::2", &a), 0);
		dns_addrs_add(out, 0x0ad50003, &a);
	}
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
	/* A dual-stack name: A gets the IPv4 address, AAAA the IPv6 one, ANY
	 * both. */
	len = query("dual", 28, q);
	n = dns_answer(q, len, fake_resolve, NULL, out, sizeof(out));
	assert_int_equal(n, (int)len + 28);
	assert_int_equal(out[7], 1);
	assert_memory_equal(out + len, "\xc0\x0c\x00\x1c\x00\x01\x00\x00\x02\x58\x00\x10", 12);
	assert_memory_equal(out + n - 16, ip6("2001:db8:7::2").s6_addr, 16);
	len = query("dual", 1, q);
	n = dns_answer(q, len, fake_resolve, NULL, out, sizeof(out));
	assert_int_equal(n, (int)len + 16);
	assert_memory_equal(out + n - 4, "\x0a\xd5\x00\x03", 4);
	len = query("dual", 255, q);
	n = dns_answer(q, len, fake_resolve, NULL, out, sizeof(out));
	assert_int_equal(n, (int)len + 16 + 28);
	assert_int_equal(out[7], 2);
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
	    cmocka_unit_test(test_cidr),
	    cmocka_unit_test(test_pools),
	    cmocka_unit_test(test_alloc),
	    cmocka_unit_test(test_ruleset),
	    cmocka_unit_test(test_vip_ruleset),
	    cmocka_unit_test(test_dns),
	    cmocka_unit_test(test_cidr6),
	    cmocka_unit_test(test_pool6),
	    cmocka_unit_test(test_alloc6),
	    cmocka_unit_test(test_ruleset6),
	    cmocka_unit_test(test_conntrack_stale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
