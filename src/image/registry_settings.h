/* Which registry host a reference's domain means and how to talk to it,
 * from the daemon's settings: docker.io's real host and mirrors, insecure
 * registries (127.0.0.0/8 always, as dockerd), certs.d beside the config
 * file (dockerd's /etc/docker/certs.d). Pure but for reading the settings. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The daemon's registry settings, borrowed. */
struct registry_settings {
	char *const *insecure_registries; /* --insecure-registry */
	size_t n_insecure_registries;
	char *const *registry_mirrors; /* --registry-mirror */
	size_t n_registry_mirrors;
	const char *config_file; /* the daemon's (certs.d is beside it) */
};

/* The host[:port] requests go to: registry-1.docker.io for docker.io (or
 * its first --registry-mirror when pulling), else domain itself. Returns a
 * string owned by rs or a literal. *mirror_http is set when that is a
 * mirror given with http://. */
const char *registry_host_for(const struct registry_settings *rs, const char *domain, bool push,
			      bool *mirror_http);

/* True for hosts on loopback (by address or "localhost") and those named
 * by --insecure-registry (host[:port] or a CIDR of the address). */
bool registry_is_insecure(const struct registry_settings *rs, const char *host);

/* <dir of the config file>/certs.d/<host> (caller frees), NULL on ENOMEM. */
char *registry_certs_dir(const struct registry_settings *rs, const char *host);
