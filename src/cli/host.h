/* Where the daemon is: -H / DOCKER_HOST parsing, and the TLS settings that
 * --tls*, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH resolve to. Pure logic. */
#pragma once

#include <stdbool.h>

#include "basic/error.h"

enum cli_host_kind {
	CLI_HOST_UNIX,
	CLI_HOST_TCP,
};

struct cli_host {
	enum cli_host_kind kind;
	char *path; /* unix socket path */
	char *name; /* tcp: host name or address, IPv6 without brackets */
	char *port; /* tcp */
	char *url;  /* normalised, for messages: unix:///x or tcp://h:p */
};

/* Parses a host as docker's client does: "unix:///path", "tcp://host[:port]",
 * "host:port", ":port". The default port is 2375, or 2376 with tls. Returns
 * -EINVAL with "invalid bind address format: ..." otherwise. */
int cli_host_parse(const char *s, bool tls, struct cli_host *ret, struct error *err);
void cli_host_done(struct cli_host *h);

struct cli_tls_config {
	bool enabled;
	bool verify;
	char *ca;   /* NULL when not to be loaded */
	char *cert; /* both or neither of cert and key */
	char *key;
};

/* Resolves TLS settings the docker way: --tlsverify or a non-empty
 * DOCKER_TLS_VERIFY turn on TLS with verification; --tls alone skips
 * verification. Files default to $DOCKER_CERT_PATH or $HOME/.docker. With
 * verification the CA must exist; client cert/key are used when present.
 * Explicit paths are used as given. cert_dir may be NULL (environment). */
int cli_tls_resolve(bool tls, bool tlsverify, const char *ca, const char *cert, const char *key,
		    struct cli_tls_config *ret, struct error *err);
void cli_tls_done(struct cli_tls_config *t);

/* The directory holding ca.pem/cert.pem/key.pem by default; caller frees. */
char *cli_cert_dir(void);
