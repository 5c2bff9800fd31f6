/* Which registry host a reference's domain means and how to talk to it,
 * from the daemon's settings: docker.io's real host and mirrors, insecure
 * registries (127.0.0.0/8 always, as dockerd), certs.d beside the config
 * file (dockerd's /etc/docker/certs.d). Pure but for reading the settings. */
#pragma once

#include <stdbool.h>

struct daemon_config;

/* The host[:port] requests go to: registry-1.docker.io for docker.io (or
 * its first --registry-mirror when pulling), else domain itself. Returns a
 * string owned by cfg or a literal. *mirror_http is set when that is a
 * mirror given with http://. */
const char *registry_host_for(const struct daemon_config *cfg, const char *domain, bool push,
			      bool *mirror_http);

/* True for hosts on loopback (by address or "localhost") and those named
 * by --insecure-registry (host[:port] or a CIDR of the address). */
bool registry_is_insecure(const struct daemon_config *cfg, const char *host);

/* <dir of the config file>/certs.d/<host> (caller frees), NULL on ENOMEM. */
char *registry_certs_dir(const struct daemon_config *cfg, const char *host);
