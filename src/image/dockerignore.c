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

/* Patterns are matched by simulating their automaton over the name, all
 * states at once, rather than by backtracking: a context's .dockerignore comes
 * from the client, and "a*a*a*...b" against "aaaa..." would make a
 * backtracking matcher take exponential time. Cost: pattern length times name
 * length. */
enum glob_kind {
	G_LIT,	     /* c */
	G_ANY,	     /* ?: one character but '/' */
	G_CLASS,     /* [...]: at, checked by match_class */
	G_NEVER,     /* a malformed [...] never matches */
	G_STAR,	     /* *: any run of characters but '/' */
	G_DSTAR,     /* **: any run of characters */
	G_DSTAR_DIR, /* ** followed by /: nothing, or any run ending with '/' */
};

struct glob_tok {
	enum glob_kind kind;
	char c;
	const char *at;
};

static size_t glob_compile(const char *p, bool doublestar, struct glob_tok *t)
{
	size_t n = 0;
	while (*p) {
		struct glob_tok *k = &t[n++];
		*k = (struct glob_tok){.kind = G_LIT, .c = *p, .at = p};
		if (doublestar && p[0] == '*' && p[1] == '*') {
			k->kind = p[2] == '/' ? G_DSTAR_DIR : G_DSTAR;
			p += p[2] == '/' ? 3 : 2;
		} else if (*p == '*') {
			k->kind = G_STAR;
			p++;
		} else if (*p == '?') {
			k->kind = G_ANY;
			p++;
		} else if (*p == '[') {
			k->kind = match_class(&p, 0) < 0 ? G_NEVER : G_CLASS;
			if (k->kind == G_NEVER)
				p += strlen(p);
		} else {
			if (*p == '\\' && p[1])
				p++;
			k->c = *p++;
		}
	}
	return n;
}

/* Adds to set what its states reach without reading: state 2i is "before
 * token i", 2i+1 "inside the run of a G_DSTAR_DIR", 2n "matched". Every such
 * move goes forward, so one pass does. */
static void glob_close(const struct glob_tok *t, size_t n, unsigned char *set)
{
	for (size_t i = 0; i < n; i++) {
		if (!set[2 * i])
			continue;
		if (t[i].kind == G_STAR || t[i].kind == G_DSTAR || t[i].kind == G_DSTAR_DIR)
			set[2 * i + 2] = 1;
		if (t[i].kind == G_DSTAR_DIR)
			set[2 * i + 1] = 1;
	}
}

/* Reads c: next gets the states set moves to. False when none. */
static bool glob_step(const struct glob_tok *t, size_t n, const unsigned char *set,
		      unsigned char *next, char c)
{
	bool any = false;
	memset(next, 0, 2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		if (set[2 * i + 1]) {
			next[2 * i + 1] = 1;
			next[2 * i + 2] |= c == '/';
		}
		if (!set[2 * i])
			continue;
		const char *at = t[i].at;
		switch (t[i].kind) {
		case G_LIT:
			next[2 * i + 2] |= c == t[i].c;
			break;
		case G_ANY:
			next[2 * i + 2] |= c != '/';
			break;
		case G_CLASS:
			next[2 * i + 2] |= c != '/' && match_class(&at, c) > 0;
			break;
		case G_STAR:
			next[2 * i] |= c != '/';
			break;
		case G_DSTAR:
			next[2 * i] = 1;
			break;
		case G_NEVER:
		case G_DSTAR_DIR:
			break;
		}
	}
	glob_close(t, n, next);
	for (size_t i = 0; i <= 2 * n && !any; i++)
		any = next[i];
	return any;
}

/* Whether pattern matches name, or with parents also one of name's parent
 * directories (a prefix that ends before a '/'). */
static bool glob_match(const char *pattern, const char *name, bool doublestar, bool parents)
{
	size_t len = strlen(pattern);
	_cleanup_free_ struct glob_tok *t = calloc(len + 1, sizeof(*t));
	_cleanup_free_ unsigned char *sets = calloc(2, 2 * len + 2);
	if (!t || !sets)
		return false; /* out of memory: nothing matches */
	size_t n = glob_compile(pattern, doublestar, t);
	unsigned char *set = sets, *next = sets + 2 * len + 2;
	set[0] = 1;
	glob_close(t, n, set);
	for (const char *c = name; *c; c++) {
		if (parents && *c == '/' && set[2 * n])
			return true;
		if (!glob_step(t, n, set, next, *c))
			return false;
		unsigned char *tmp = set;
		set = next;
		next = tmp;
	}
	return set[2 * n];
}

bool df_glob_match(const char *pattern, const char *name, bool doublestar)
{
	return glob_match(pattern, name, doublestar, false);
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
	return glob_match(glob, rel, true, true);
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
