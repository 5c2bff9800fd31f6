/* .dockerignore patterns (moby's patternmatcher) and Go's filepath.Match. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/path.h"
#include "image/dockerfile.h"

struct ignore_pattern {
	char *glob;
	bool exception;
};

struct dockerignore {
	struct ignore_pattern *v;
	size_t n;
	bool exceptions;
};

/* A bracket expression at *pp against c; advances *pp past it. -1 when
 * malformed. */
static int match_class(const char **pp, char c)
{
	const char *p = *pp + 1;
	bool neg = *p == '^';
	if (neg)
		p++;
	bool hit = false, first = true;
	while (*p && (*p != ']' || first)) {
		first = false;
		char lo = *p == '\\' && p[1] ? *++p : *p;
		p++;
		char hi = lo;
		if (*p == '-' && p[1] && p[1] != ']') {
			p++;
			hi = *p == '\\' && p[1] ? *++p : *p;
			p++;
		}
		if (c >= lo && c <= hi)
			hit = true;
	}
	if (*p != ']')
		return -1;
	*pp = p + 1;
	return hit != neg;
}

/* A match in progress. Each star tries every split of the rest of the name,
 * so "a*a*a*...b" against "aaaa..." would take exponential time (a context's
 * .dockerignore comes from the client): a (pattern, name) position that
 * failed once is remembered and never tried again, which bounds the work by
 * the product of the lengths. */
struct glob {
	const char *p0, *s0;
	size_t s_len;
	bool doublestar;
	unsigned char *failed; /* bit per (pattern offset, name offset) */
};

static bool glob_at(struct glob *g, const char *p, const char *s);

static bool glob_try(struct glob *g, const char *p, const char *s)
{
	size_t bit = (size_t)(p - g->p0) * (g->s_len + 1) + (size_t)(s - g->s0);
	if (g->failed[bit / 8] & (1u << (bit % 8)))
		return false;
	if (glob_at(g, p, s))
		return true;
	g->failed[bit / 8] |= (unsigned char)(1u << (bit % 8));
	return false;
}

static bool glob_at(struct glob *g, const char *p, const char *s)
{
	while (*p) {
		if (g->doublestar && p[0] == '*' && p[1] == '*') {
			p += 2;
			if (*p == '/') {
				p++;
				for (const char *t = s;; t++) {
					if ((t == s || t[-1] == '/') && glob_try(g, p, t))
						return true;
					if (!*t)
						return false;
				}
			}
			for (const char *t = s;; t++) {
				if (glob_try(g, p, t))
					return true;
				if (!*t)
					return false;
			}
		}
		switch (*p) {
		case '*':
			for (const char *t = s;; t++) {
				if (glob_try(g, p + 1, t))
					return true;
				if (!*t || *t == '/')
					return false;
			}
		case '?':
			if (!*s || *s == '/')
				return false;
			p++, s++;
			break;
		case '[': {
			if (!*s || *s == '/')
				return false;
			int m = match_class(&p, *s);
			if (m <= 0)
				return false;
			s++;
			break;
		}
		case '\\':
			if (p[1])
				p++;
			/* fall through */
		default:
			if (*p != *s)
				return false;
			p++, s++;
		}
	}
	return !*s;
}

bool df_glob_match(const char *pattern, const char *name, bool doublestar)
{
	size_t p_len = strlen(pattern), s_len = strlen(name);
	size_t bits = (p_len + 1) * (s_len + 1);
	_cleanup_free_ unsigned char *failed = calloc(bits / 8 + 1, 1);
	if (!failed)
		return false; /* out of memory: nothing matches */
	struct glob g = {.p0 = pattern, .s0 = name, .s_len = s_len, .doublestar = doublestar,
			 .failed = failed};
	return glob_at(&g, pattern, name);
}

void dockerignore_free(struct dockerignore *di)
{
	if (!di)
		return;
	for (size_t i = 0; i < di->n; i++)
		free(di->v[i].glob);
	free(di->v);
	free(di);
}

static int add_pattern(struct dockerignore *di, const char *line, size_t n)
{
	while (n && isspace((unsigned char)*line))
		line++, n--;
	while (n && isspace((unsigned char)line[n - 1]))
		n--;
	if (!n || line[0] == '#')
		return 0;
	bool exception = line[0] == '!';
	if (exception) {
		line++, n--;
		while (n && isspace((unsigned char)*line))
			line++, n--;
		if (!n)
			return -EINVAL;
	}
	_cleanup_free_ char *raw = strndup(line, n);
	char *clean = raw ? path_clean(raw) : NULL;
	if (!clean)
		return -ENOMEM;
	if (clean[0] == '/') { /* patterns are relative to the context */
		memmove(clean, clean + 1, strlen(clean));
		if (!*clean)
			strcpy(clean, ".");
	}
	struct ignore_pattern *v = realloc(di->v, (di->n + 1) * sizeof(*v));
	if (!v) {
		free(clean);
		return -ENOMEM;
	}
	di->v = v;
	di->v[di->n++] = (struct ignore_pattern){clean, exception};
	di->exceptions |= exception;
	return 0;
}

int dockerignore_parse(const char *buf, size_t len, struct dockerignore **ret, struct error *err)
{
	struct dockerignore *di = calloc(1, sizeof(*di));
	if (!di)
		return error_set(err, -ENOMEM, "out of memory");
	for (const char *p = buf, *end = buf + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		int r = add_pattern(di, p, (size_t)(e - p));
		if (r < 0) {
			dockerignore_free(di);
			return r == -ENOMEM ? error_set(err, r, "out of memory")
					    : error_set(err, r, "illegal exclusion pattern: \"!\"");
		}
		p = e + (nl ? 1 : 0);
	}
	*ret = di;
	return 0;
}

/* rel or one of its parent directories matches glob. */
static bool matches_or_parent(const char *glob, const char *rel)
{
	if (df_glob_match(glob, rel, true))
		return true;
	_cleanup_free_ char *p = strdup(rel);
	for (char *s = p ? strrchr(p, '/') : NULL; s; s = strrchr(p, '/')) {
		*s = '\0';
		if (df_glob_match(glob, p, true))
			return true;
	}
	return false;
}

bool dockerignore_excluded(const struct dockerignore *di, const char *rel)
{
	bool excluded = false;
	for (size_t i = 0; di && i < di->n; i++) {
		if (excluded == !di->v[i].exception)
			continue; /* cannot change the outcome */
		if (matches_or_parent(di->v[i].glob, rel))
			excluded = !di->v[i].exception;
	}
	return excluded;
}

bool dockerignore_has_exceptions(const struct dockerignore *di)
{
	return di && di->exceptions;
}
