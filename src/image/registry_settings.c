/* Registry hosts and their transport settings (see registry_settings.h). */
#include "image/registry_settings.h"

#include <arpa/inet.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/cleanup.h"

const char *registry_host_for(const struct registry_settings *rs, const char *domain, bool push,
			      bool *mirror_http)
{
	*mirror_http = false;
	if (strcmp(domain, "docker.io") != 0)
		return domain;
	if (!push && rs->n_registry_mirrors) {
		const char *m = rs->registry_mirrors[0];
		if (strncmp(m, "http://", 7) == 0) {
			*mirror_http = true;
			return m + 7;
		}
		return strncmp(m, "https://", 8) == 0 ? m + 8 : m;
	}
	return "registry-1.docker.io";
}

/* host without its port and brackets, into out. */
static void bare_host(const char *host, char *out, size_t len)
{
	if (host[0] == '[') {
		const char *end = strchr(host, ']');
		size_t n = end ? (size_t)(end - host - 1) : strlen(host + 1);
		snprintf(out, len, "%.*s", (int)n, host + 1);
		return;
	}
	const char *colon = strchr(host, ':');
	size_t n = colon && !strchr(colon + 1, ':') ? (size_t)(colon - host) : strlen(host);
	snprintf(out, len, "%.*s", (int)n, host);
}

static bool in_cidr(const char *addr, const char *cidr)
{
	char net[64];
	const char *slash = strchr(cidr, '/');
	if (!slash || (size_t)(slash - cidr) >= sizeof(net))
		return false;
	snprintf(net, sizeof(net), "%.*s", (int)(slash - cidr), cidr);
	int bits = atoi(slash + 1);
	unsigned char a[16], n[16];
	int fam = strchr(net, ':') ? AF_INET6 : AF_INET;
	int len = fam == AF_INET6 ? 16 : 4;
	if (bits < 0 || bits > len * 8 || inet_pton(fam, addr, a) != 1 ||
	    inet_pton(fam, net, n) != 1)
		return false;
	for (int i = 0; i < len; i++) {
		int b = bits - i * 8;
		unsigned char mask = b >= 8 ? 0xff : b <= 0 ? 0 : (unsigned char)(0xff << (8 - b));
		if ((a[i] & mask) != (n[i] & mask))
			return false;
	}
	return true;
}

bool registry_is_insecure(const struct registry_settings *rs, const char *host)
{
	char bare[256];
	bare_host(host, bare, sizeof(bare));
	if (strcasecmp(bare, "localhost") == 0 || in_cidr(bare, "127.0.0.0/8") ||
	    strcmp(bare, "::1") == 0)
		return true;
	for (size_t i = 0; i < rs->n_insecure_registries; i++) {
		const char *r = rs->insecure_registries[i];
		if (strncmp(r, "http://", 7) == 0)
			r += 7;
		else if (strncmp(r, "https://", 8) == 0)
			r += 8;
		size_t n = strcspn(r, "/");
		if ((strlen(host) == n && strncasecmp(r, host, n) == 0) ||
		    (strchr(r, '/') && in_cidr(bare, r)))
			return true;
	}
	return false;
}

char *registry_certs_dir(const struct registry_settings *rs, const char *host)
{
	_cleanup_free_ char *file = strdup(rs->config_file);
	char *dir = NULL;
	if (!file || asprintf(&dir, "%s/certs.d/%s", dirname(file), host) < 0)
		return NULL;
	return dir;
}
