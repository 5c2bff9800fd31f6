/* Daemon address and TLS settings, resolved as the docker CLI resolves them. */
#include "cli/host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"

void cli_host_done(struct cli_host *h)
{
	free(h->path);
	free(h->name);
	free(h->port);
	free(h->url);
	*h = (struct cli_host){0};
}

static int bad_host(const char *s, struct error *err)
{
	return error_set(err, -EINVAL, "invalid bind address format: %s", s);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Splits "host:port", "[v6]:port", "host" into name and port. */
static int split_host_port(const char *hp, const char *def_port, char **ret_name, char **ret_port)
{
	_cleanup_free_ char *name = NULL;
	const char *port = def_port;
	if (hp[0] == '[') {
		const char *close = strchr(hp, ']');
		if (!close || (close[1] && close[1] != ':'))
			return -EINVAL;
		name = strndup(hp + 1, (size_t)(close - hp - 1));
		if (close[1] == ':')
			port = close + 2;
	} else {
		const char *colon = strrchr(hp, ':');
		if (colon && strchr(hp, ':') != colon)
			return -EINVAL; /* bare IPv6 needs brackets */
		name = colon ? strndup(hp, (size_t)(colon - hp)) : strdup(hp);
		if (colon)
			port = colon + 1;
	}
	if (!name)
		return -ENOMEM;
	if (!all_digits(port) || atoi(port) < 1 || atoi(port) > 65535)
		return -EINVAL;
	if (!*name) {
		free(name);
		name = strdup("127.0.0.1");
		if (!name)
			return -ENOMEM;
	}
	char *p = strdup(port);
	if (!p)
		return -ENOMEM;
	*ret_name = TAKE_PTR(name);
	*ret_port = p;
	return 0;
}

static int parse_tcp(const char *orig, const char *hp, bool tls, struct cli_host *ret,
		     struct error *err)
{
	struct cli_host h = {.kind = CLI_HOST_TCP};
	/* A trailing "/" is harmless; a base path is not something we route. */
	_cleanup_free_ char *copy = strdup(hp);
	if (!copy)
		return error_set(err, -ENOMEM, "out of memory");
	size_t l = strlen(copy);
	if (l && copy[l - 1] == '/')
		copy[l - 1] = '\0';
	if (strchr(copy, '/') || split_host_port(copy, tls ? "2376" : "2375", &h.name, &h.port) < 0)
		return bad_host(orig, err);
	bool v6 = strchr(h.name, ':') != NULL;
	if (asprintf(&h.url, v6 ? "tcp://[%s]:%s" : "tcp://%s:%s", h.name, h.port) < 0) {
		cli_host_done(&h);
		return error_set(err, -ENOMEM, "out of memory");
	}
	*ret = h;
	return 0;
}

int cli_host_parse(const char *s, bool tls, struct cli_host *ret, struct error *err)
{
	if (strncmp(s, "unix://", 7) == 0) {
		const char *path = s + 7;
		if (!*path)
			path = "/run/berth/berth.sock";
		struct cli_host h = {.kind = CLI_HOST_UNIX, .path = strdup(path)};
		if (!h.path || asprintf(&h.url, "unix://%s", path) < 0) {
			cli_host_done(&h);
			return error_set(err, -ENOMEM, "out of memory");
		}
		*ret = h;
		return 0;
	}
	if (strncmp(s, "tcp://", 6) == 0)
		return parse_tcp(s, s + 6, tls, ret, err);
	if (strstr(s, "://") || !*s)
		return bad_host(s, err);
	return parse_tcp(s, s, tls, ret, err);
}

void cli_tls_done(struct cli_tls_config *t)
{
	free(t->ca);
	free(t->cert);
	free(t->key);
	*t = (struct cli_tls_config){0};
}

char *cli_cert_dir(void)
{
	const char *env = getenv("DOCKER_CERT_PATH");
	if (env && *env)
		return strdup(env);
	const char *home = getenv("HOME");
	char *dir = NULL;
	if (asprintf(&dir, "%s/.docker", home && *home ? home : "/root") < 0)
		return NULL;
	return dir;
}

/* Picks the explicit path, else dir/file; NULL in *ret when a default file is
 * absent (docker only insists on files that verification needs). */
static int pick_file(const char *explicit_path, const char *dir, const char *file, char **ret)
{
	*ret = NULL;
	if (explicit_path)
		return (*ret = strdup(explicit_path)) ? 0 : -ENOMEM;
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, file) < 0)
		return -ENOMEM;
	if (access(p, R_OK) < 0) {
		free(p);
		return 0;
	}
	*ret = p;
	return 0;
}

int cli_tls_resolve(bool tls, bool tlsverify, const char *ca, const char *cert, const char *key,
		    struct cli_tls_config *ret, struct error *err)
{
	const char *envv = getenv("DOCKER_TLS_VERIFY");
	struct cli_tls_config t = {0};
	t.verify = tlsverify || (envv && *envv);
	t.enabled = tls || t.verify;
	if (!t.enabled) {
		*ret = t;
		return 0;
	}
	_cleanup_free_ char *dir = cli_cert_dir();
	if (!dir || pick_file(ca, dir, "ca.pem", &t.ca) < 0 ||
	    pick_file(cert, dir, "cert.pem", &t.cert) < 0 ||
	    pick_file(key, dir, "key.pem", &t.key) < 0) {
		cli_tls_done(&t);
		return error_set(err, -ENOMEM, "out of memory");
	}
	if (t.verify && !t.ca) {
		cli_tls_done(&t);
		return error_set(err, -ENOENT, "open %s/ca.pem: no such file or directory", dir);
	}
	if (!t.cert != !t.key) {
		/* One without the other cannot authenticate; drop the default one. */
		if (!cert && !key) {
			free(t.cert);
			free(t.key);
			t.cert = t.key = NULL;
		} else {
			cli_tls_done(&t);
			return error_set(err, -EINVAL,
					 "both --tlscert and --tlskey are needed for a client "
					 "certificate");
		}
	}
	*ret = t;
	return 0;
}
