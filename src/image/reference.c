/* Docker reference grammar (distribution/reference regexp.go, normalize.go)
 * written out by hand: domain components, path components with their
 * separators, tags and digests. */
#include "image/reference.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "shared/digest.h"

#define NAME_MAX_LEN 255
#define DEFAULT_DOMAIN "docker.io"
#define OFFICIAL_PREFIX "library/"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* over s[0..n). */
static bool path_component_valid(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (!is_lower_alnum(s[i]))
			return false;
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return true;
		size_t sep = i;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		else
			while (i < n && s[i] == '-')
				i++;
		if (i == sep || i == n)
			return false;
	}
	return n > 0;
}

/* [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])? */
static bool domain_component_valid(const char *s, size_t n)
{
	if (!n || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool domain_valid(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t host_len = colon ? (size_t)(colon - s) : strlen(s);
	if (colon) {
		if (!colon[1])
			return false;
		for (const char *p = colon + 1; *p; p++)
			if (*p < '0' || *p > '9')
				return false;
	}
	size_t start = 0;
	for (size_t i = 0; i <= host_len; i++) {
		if (i == host_len || s[i] == '.') {
			if (!domain_component_valid(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

static bool path_valid(const char *s)
{
	size_t start = 0, n = strlen(s);
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (!path_component_valid(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

bool reference_tag_valid(const char *tag)
{
	size_t n = strlen(tag);
	if (!n || n > 128 || !(is_alnum(tag[0]) || tag[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_alnum(tag[i]) && tag[i] != '_' && tag[i] != '.' && tag[i] != '-')
			return false;
	return true;
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return true;
	return false;
}

void reference_done(struct reference *r)
{
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	*r = (struct reference)REFERENCE_INIT;
}

/* splitDockerDomain: the first component is a registry host when it has a
 * dot or a colon, is "localhost", or has upper case letters. */
static int split_domain(const char *name, struct reference *r)
{
	const char *slash = strchr(name, '/');
	bool is_domain = false;
	if (slash) {
		size_t n = (size_t)(slash - name);
		is_domain = memchr(name, '.', n) || memchr(name, ':', n) ||
			    (n == 9 && strncmp(name, "localhost", 9) == 0) || has_upper(name, n);
	}
	if (is_domain) {
		r->domain = strndup(name, (size_t)(slash - name));
		r->path = strdup(slash + 1);
	} else {
		r->domain = strdup(DEFAULT_DOMAIN);
		r->path = strdup(name);
	}
	if (!r->domain || !r->path)
		return -ENOMEM;
	if (strcmp(r->domain, "index.docker.io") == 0) {
		free(r->domain);
		if (!(r->domain = strdup(DEFAULT_DOMAIN)))
			return -ENOMEM;
	}
	if (strcmp(r->domain, DEFAULT_DOMAIN) == 0 && !strchr(r->path, '/')) {
		char *p;
		if (asprintf(&p, OFFICIAL_PREFIX "%s", r->path) < 0)
			return -ENOMEM;
		free(r->path);
		r->path = p;
	}
	return 0;
}

static int parse_suffixes(char *s, struct reference *r, struct error *err)
{
	char *at = strchr(s, '@');
	if (at) {
		*at = '\0';
		if (!digest_valid(at + 1))
			return error_set(err, -EINVAL, "invalid reference format");
		if (!(r->digest = strdup(at + 1)))
			return -ENOMEM;
	}
	char *slash = strrchr(s, '/');
	char *colon = strrchr(slash ? slash : s, ':');
	if (colon) {
		*colon = '\0';
		if (!reference_tag_valid(colon + 1))
			return error_set(err, -EINVAL, "invalid reference format");
		if (!(r->tag = strdup(colon + 1)))
			return -ENOMEM;
	}
	return 0;
}

static int parse_into(const char *s, struct reference *r, struct error *err)
{
	if (!*s)
		return error_set(err, -EINVAL, "invalid reference format: repository name must have at least one component");
	if (strlen(s) == DIGEST_HEX_LEN && digest_is_hex(s, DIGEST_HEX_LEN))
		return error_set(err, -EINVAL,
				 "invalid repository name (%s), cannot specify 64-byte hexadecimal strings",
				 s);
	int ret = split_domain(s, r);
	if (ret < 0)
		return error_set(err, ret, "out of memory");
	/* The domain may hold a port: tags and digests live in the path. */
	ret = parse_suffixes(r->path, r, err);
	if (ret < 0)
		return ret == -ENOMEM ? error_set(err, ret, "out of memory") : ret;
	if (has_upper(r->path, strlen(r->path)))
		return error_set(err, -EINVAL,
				 "invalid reference format: repository name must be lowercase");
	if (!domain_valid(r->domain) || !path_valid(r->path))
		return error_set(err, -EINVAL, "invalid reference format");
	if (strlen(r->domain) + 1 + strlen(r->path) > NAME_MAX_LEN)
		return error_set(err, -EINVAL,
				 "invalid reference format: repository name must not be more than 255 characters");
	return 0;
}

int reference_parse(const char *s, struct reference *ret, struct error *err)
{
	struct reference r = REFERENCE_INIT;
	int e = parse_into(s, &r, err);
	if (e < 0) {
		reference_done(&r);
		return e;
	}
	*ret = r;
	return 0;
}

int reference_default_tag(struct reference *r)
{
	if (r->tag || r->digest)
		return 0;
	r->tag = strdup("latest");
	return r->tag ? 0 : -ENOMEM;
}

char *reference_name(const struct reference *r)
{
	char *s;
	return asprintf(&s, "%s/%s", r->domain, r->path) < 0 ? NULL : s;
}

static char *with_suffixes(const char *name, const struct reference *r)
{
	char *s;
	if (asprintf(&s, "%s%s%s%s%s", name, r->tag ? ":" : "", r->tag ? r->tag : "",
		     r->digest ? "@" : "", r->digest ? r->digest : "") < 0)
		return NULL;
	return s;
}

char *reference_string(const struct reference *r)
{
	_cleanup_free_ char *name = reference_name(r);
	return name ? with_suffixes(name, r) : NULL;
}

char *reference_familiar_name(const struct reference *r)
{
	if (strcmp(r->domain, DEFAULT_DOMAIN) != 0)
		return reference_name(r);
	const char *p = r->path;
	size_t plen = strlen(OFFICIAL_PREFIX);
	if (strncmp(p, OFFICIAL_PREFIX, plen) == 0 && !strchr(p + plen, '/'))
		p += plen;
	return strdup(p);
}

char *reference_familiar_string(const struct reference *r)
{
	_cleanup_free_ char *name = reference_familiar_name(r);
	return name ? with_suffixes(name, r) : NULL;
}

int reference_normalize(const char *s, char **ret, struct error *err)
{
	struct reference r = REFERENCE_INIT;
	int e = reference_parse(s, &r, err);
	if (e < 0)
		return e;
	char *full = reference_string(&r);
	reference_done(&r);
	if (!full)
		return error_set(err, -ENOMEM, "out of memory");
	*ret = full;
	return 0;
}

char *reference_familiarize(const char *full)
{
	static const char prefix[] = DEFAULT_DOMAIN "/";
	size_t n = strlen(prefix);
	if (strncmp(full, prefix, n) != 0)
		return strdup(full);
	const char *p = full + n;
	size_t ln = strlen(OFFICIAL_PREFIX);
	if (strncmp(p, OFFICIAL_PREFIX, ln) == 0) {
		const char *rest = p + ln;
		size_t name_len = strcspn(rest, ":@");
		if (!memchr(rest, '/', name_len))
			p = rest;
	}
	return strdup(p);
}
