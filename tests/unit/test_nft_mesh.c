/* The routing mesh's nftables text (src/network/nft_mesh.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "network/ipam.h"
#include "network/nft_mesh.h"

static uint32_t ip(const char *s)
{
	uint32_t v;
	assert_int_equal(ip_parse(s, &v), 0);
	return v;
}

static void test_node_table(void **state)
{
	uint32_t two[2] = {ip("10.0.0.7"), ip("10.0.0.8")};
	uint32_t one[1] = {ip("10.0.0.9")};
	struct nft_mesh_port ports[3] = {
	    {"tcp", 8080, 80, two, 2}, {"udp", 8081, 81, one, 1}, {"tcp", 8082, 82, NULL, 0}};
	char *t = nft_mesh_ruleset("berth_mesh", ports, 3);
	assert_non_null(t);
	assert_non_null(strstr(t, "add table ip berth_mesh\ndelete table ip berth_mesh\n"));
	assert_non_null(strstr(t, "\t\ttcp dport 8080 dnat ip addr . port to numgen random mod 2 "
				  "map { 0 : 10.0.0.7 . 80, 1 : 10.0.0.8 . 80 }\n"));
	assert_non_null(strstr(t, "\t\tudp dport 8081 dnat to 10.0.0.9:81\n"));
	/* Without a backend the port is left to the node's stack: refused. */
	assert_null(strstr(t, "dport 8082"));
	assert_non_null(strstr(t, "type nat hook prerouting priority dstnat;"));
	assert_non_null(strstr(t, "type nat hook output priority -100;"));
	assert_non_null(strstr(t, "fib daddr type local jump mesh"));
	/* No SNAT anywhere: the task sees the client. */
	assert_null(strstr(t, "masquerade"));
	assert_null(strstr(t, "snat"));
	free(t);
}

static void test_node_table_empty(void **state)
{
	struct nft_mesh_port none = {"tcp", 8082, 82, NULL, 0};
	char *t = nft_mesh_ruleset("berth_mesh", &none, 1);
	assert_string_equal(t, "add table ip berth_mesh\ndelete table ip berth_mesh\n");
	free(t);
	t = nft_mesh_ruleset("berth_mesh", NULL, 0);
	assert_string_equal(t, "add table ip berth_mesh\ndelete table ip berth_mesh\n");
	free(t);
}

static void test_sandbox_table(void **state)
{
	struct nft_mesh_node nodes[2] = {{{0x02, 0x42, 0x0a, 0x00, 0x00, 0x03}, 0x6d650003},
					 {{0x02, 0x42, 0x0a, 0x00, 0x00, 0x04}, 0x6d650004}};
	char *t = nft_mesh_sandbox_ruleset("berth_mesh", "eth1", nodes, 2);
	assert_non_null(t);
	assert_non_null(strstr(t, "add table ip berth_mesh\ndelete table ip berth_mesh\n"));
	assert_non_null(strstr(t, "type filter hook prerouting priority mangle;"));
	assert_non_null(
	    strstr(t, "iifname \"eth1\" ct state new ct mark set ether saddr map { "
		      "02:42:0a:00:00:03 : 0x6d650003, 02:42:0a:00:00:04 : 0x6d650004 }\n"));
	assert_non_null(strstr(t, "type route hook output priority mangle;"));
	assert_non_null(strstr(t, "ct mark != 0 meta mark set ct mark\n"));
	free(t);
	t = nft_mesh_sandbox_ruleset("berth_mesh", "", NULL, 0);
	assert_string_equal(t, "add table ip berth_mesh\ndelete table ip berth_mesh\n");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_node_table),
	    cmocka_unit_test(test_node_table_empty),
	    cmocka_unit_test(test_sandbox_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
