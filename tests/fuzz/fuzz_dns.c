/* DNS queries to the embedded resolver (network/dns.c): what any process
 * in a container can send to 127.0.0.11. dns_answer is what the server runs
 * on every UDP datagram and every TCP-framed message. Checks the answer
 * stays inside the buffer and echoes the question. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "network/dns.h"

/* Knows "web", "db.net1" and every name starting with "many" (16 IPv4 and
 * 16 IPv6 addresses, more than fit in a small answer buffer). */
static void resolve(void *userdata, const char *name, struct dns_addrs *out)
{
	size_t n = 0;
	if (!strcmp(name, "web") || !strcmp(name, "db.net1"))
		n = 1;
	else if (!strncmp(name, "many", 4))
		n = DNS_MAX_ADDRS;
	for (size_t i = 0; i < n; i++) {
		struct in6_addr a = {.s6_addr = {0x20, 0x01, 0x0d, 0xb8, [15] = (uint8_t)(i + 2)}};
		dns_addrs_add(out, 0x0a000002u + (uint32_t)i, &a);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The smallest buffer the API allows and the server's own. */
	static const size_t outlens[] = {512, 4096};
	for (size_t i = 0; i < sizeof(outlens) / sizeof(outlens[0]); i++) {
		/* Exactly sized heap copies, so ASan sees every overread. */
		uint8_t *q = malloc(size ? size : 1);
		uint8_t *out = malloc(outlens[i]);
		if (!q || !out)
			abort();
		memcpy(q, data, size);
		int n = dns_answer(q, size, resolve, NULL, out, outlens[i]);
		if (n > (int)outlens[i])
			abort();
		if (n > 0 && (n < 12 || out[0] != q[0] || out[1] != q[1] || !(out[2] & 0x80)))
			abort();
		free(out);
		free(q);
	}
	return 0;
}
