/* Dockerfile parsing and word expansion (moby's builder/dockerfile/parser,
 * instructions/parse.go and shell/lex.go, as the classic builder uses them). */
#include "image/dockerfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/buf.h"
#include "basic/cleanup.h"

static const char *const kind_names[] = {
    [DF_ADD] = "ADD",
    [DF_ARG] = "ARG",
    [DF_CMD] = "CMD",
    [DF_COPY] = "COPY",
    [DF_ENTRYPOINT] = "ENTRYPOINT",
    [DF_ENV] = "ENV",
    [DF_EXPOSE] = "EXPOSE",
    [DF_FROM] = "FROM",
    [DF_HEALTHCHECK] = "HEALTHCHECK",
    [DF_LABEL] = "LABEL",
    [DF_MAINTAINER] = "MAINTAINER",
    [DF_ONBUILD] = "ONBUILD",
    [DF_RUN] = "RUN",
    [DF_SHELL] = "SHELL",
    [DF_STOPSIGNAL] = "STOPSIGNAL",
    [DF_USER] = "USER",
    [DF_VOLUME] = "VOLUME",
    [DF_WORKDIR] = "WORKDIR",
};

/* The flags each instruction accepts (moby's BFlags per dispatcher). */
static const char *const *allowed_flags(enum df_kind k)
{
	static const char *const from[] = {"platform", NULL};
	static const char *const copy[] = {"from", "chown", "chmod", "link", NULL};
	static const char *const add[] = {"chown", "chmod", "link", "checksum", NULL};
	static const char *const hc[] = {"interval",	   "timeout", "start-period",
					 "start-interval", "retries", NULL};
	static const char *const none[] = {NULL};
	switch (k) {
	case DF_FROM:
		return from;
	case DF_COPY:
		return copy;
	case DF_ADD:
		return add;
	case DF_HEALTHCHECK:
		return hc;
	default:
		return none;
	}
}

const char *df_kind_name(enum df_kind k)
{
	return kind_names[k];
}

void df_inst_done(struct df_inst *in)
{
	if (!in)
		return;
	free(in->text);
	for (size_t i = 0; i < in->n_flags; i++)
		free(in->flags[i]);
	free(in->flags);
	free(in->rest);
	json_decref(in->words);
	if (in->inner) {
		df_inst_done(in->inner);
		free(in->inner);
	}
	*in = (struct df_inst){0};
}

void dockerfile_free(struct dockerfile *df)
{
	if (!df)
		return;
	for (size_t i = 0; i < df->n; i++)
		df_inst_done(&df->v[i]);
	free(df->v);
	free(df);
}

const char *df_flag(const struct df_inst *in, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < in->n_flags; i++) {
		const char *f = in->flags[i] + 2;
		if (!strncmp(f, name, n) && (f[n] == '=' || !f[n]))
			return f[n] == '=' ? f + n + 1 : f + n;
	}
	return NULL;
}

/* ---- words ---- */

json_t *df_split_words(const char *s, char escape)
{
	json_t *words = json_array();
	struct buf w = BUF_INIT;
	bool in_word = false;
	char quote = 0;
	for (const char *p = s;; p++) {
		char c = *p;
		if (!c || (!quote && isspace((unsigned char)c))) {
			if (!c && quote)
				break;
			if (in_word)
				json_array_append_new(words,
						      json_stringn(w.data ? w.data : "", w.len));
			buf_free(&w);
			in_word = false;
			if (!c)
				return words;
			continue;
		}
		in_word = true;
		if (c == escape && p[1]) {
			buf_append(&w, p, 2);
			p++;
			continue;
		}
		if (quote && c == quote)
			quote = 0;
		else if (!quote && (c == '"' || c == '\''))
			quote = c;
		buf_append(&w, &c, 1);
	}
	buf_free(&w);
	json_decref(words);
	return NULL;
}

/* A JSON array of strings, or NULL when s is not one (then it is shell
 * form, as moby's parseMaybeJSON decides). */
static json_t *json_strings(const char *s)
{
	if (s[0] != '[')
		return NULL;
	json_t *a = json_loads(s, JSON_DECODE_ANY, NULL);
	if (!json_is_array(a)) {
		json_decref(a);
		return NULL;
	}
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) if (!json_is_string(v))
	{
		json_decref(a);
		return NULL;
	}
	return a;
}

/* ---- expansion ---- */

struct lexer {
	const char *p;
	char escape;
	df_lookup_fn lookup;
	void *userdata;
	struct error *err;
	int depth; /* nested ${...:-...} words */
};

static int expand_until(struct lexer *lx, char stop, struct buf *out);

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int dollar(struct lexer *lx, struct buf *out)
{
	lx->p++; /* '$' */
	if (*lx->p != '{') {
		const char *s = lx->p;
		while (name_char(*lx->p))
			lx->p++;
		if (lx->p == s) {
			buf_append(out, "$", 1);
			return 0;
		}
		_cleanup_free_ char *name = strndup(s, (size_t)(lx->p - s));
		const char *v = name ? lx->lookup(name, lx->userdata) : NULL;
		if (v)
			buf_append(out, v, strlen(v));
		return 0;
	}
	lx->p++;
	const char *s = lx->p;
	while (name_char(*lx->p))
		lx->p++;
	_cleanup_free_ char *name = strndup(s, (size_t)(lx->p - s));
	if (!name)
		return error_set(lx->err, -ENOMEM, "out of memory");
	const char *v = lx->lookup(name, lx->userdata);
	if (*lx->p == '}') {
		lx->p++;
		if (v)
			buf_append(out, v, strlen(v));
		return 0;
	}
	bool colon = *lx->p == ':';
	if (colon)
		lx->p++;
	char mod = *lx->p;
	if (mod != '-' && mod != '+' && mod != '?') {
		if (!mod)
			return error_set(lx->err, -EINVAL, "missing '}'");
		return error_set(lx->err, -EINVAL, "unsupported modifier (%c) in substitution",
				 mod);
	}
	lx->p++;
	if (++lx->depth > 64)
		return error_set(lx->err, -EINVAL, "substitutions nested too deeply");
	struct buf word = BUF_INIT;
	int r = expand_until(lx, '}', &word);
	lx->depth--;
	if (r == 0 && *lx->p != '}')
		r = error_set(lx->err, -EINVAL, "missing '}'");
	if (r < 0) {
		buf_free(&word);
		return r;
	}
	lx->p++;
	bool set = v && (!colon || *v);
	const char *w = word.data ? word.data : "";
	if (mod == '-')
		buf_append(out, set ? v : w, strlen(set ? v : w));
	else if (mod == '+' && set)
		buf_append(out, w, strlen(w));
	else if (mod == '?' && !set)
		r = error_set(lx->err, -EINVAL, "%s: %s", name,
			      *w ? w : "is not allowed to be unset");
	else if (mod == '?')
		buf_append(out, v, strlen(v));
	buf_free(&word);
	return r;
}

static int single_quote(struct lexer *lx, struct buf *out)
{
	lx->p++;
	while (*lx->p && *lx->p != '\'')
		buf_append(out, lx->p++, 1);
	if (!*lx->p)
		return error_set(
		    lx->err, -EINVAL,
		    "unexpected end of statement while looking for matching single-quote");
	lx->p++;
	return 0;
}

static int double_quote(struct lexer *lx, struct buf *out)
{
	lx->p++;
	while (*lx->p && *lx->p != '"') {
		if (*lx->p == '$') {
			int r = dollar(lx, out);
			if (r < 0)
				return r;
			continue;
		}
		if (*lx->p == lx->escape &&
		    (lx->p[1] == '"' || lx->p[1] == '$' || lx->p[1] == lx->escape)) {
			buf_append(out, lx->p + 1, 1);
			lx->p += 2;
			continue;
		}
		buf_append(out, lx->p++, 1);
	}
	if (!*lx->p)
		return error_set(
		    lx->err, -EINVAL,
		    "unexpected end of statement while looking for matching double-quote");
	lx->p++;
	return 0;
}

static int expand_until(struct lexer *lx, char stop, struct buf *out)
{
	while (*lx->p && *lx->p != stop) {
		char c = *lx->p;
		int r = 0;
		if (c == '\'')
			r = single_quote(lx, out);
		else if (c == '"')
			r = double_quote(lx, out);
		else if (c == '$')
			r = dollar(lx, out);
		else if (c == lx->escape && lx->p[1]) {
			buf_append(out, lx->p + 1, 1);
			lx->p += 2;
		} else {
			buf_append(out, lx->p++, 1);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int df_expand(const char *word, char escape, df_lookup_fn lookup, void *userdata, char **ret,
	      struct error *err)
{
	struct lexer lx = {word, escape, lookup, userdata, err, 0};
	struct buf out = BUF_INIT;
	int r = expand_until(&lx, 0, &out);
	if (r < 0) {
		buf_free(&out);
		return r;
	}
	*ret = out.data ? strndup(out.data, out.len) : strdup("");
	buf_free(&out);
	return *ret ? 0 : error_set(err, -ENOMEM, "out of memory");
}

/* ---- instructions ---- */

static int kind_of(const char *word, size_t n, enum df_kind *ret)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (strlen(kind_names[i]) == n && !strncasecmp(kind_names[i], word, n)) {
			*ret = (enum df_kind)i;
			return 0;
		}
	return -ENOENT;
}

static int take_flags(struct df_inst *in, const char **rest, struct error *err)
{
	const char *p = *rest;
	while (p[0] == '-' && p[1] == '-') {
		size_t n = strcspn(p, " \t");
		if (n == 2)
			break;
		char **v = realloc(in->flags, (in->n_flags + 1) * sizeof(*v));
		if (!v)
			return error_set(err, -ENOMEM, "out of memory");
		in->flags = v;
		if (!(in->flags[in->n_flags] = strndup(p, n)))
			return error_set(err, -ENOMEM, "out of memory");
		in->n_flags++;
		size_t nl = strcspn(p + 2, "= \t");
		bool known = false;
		for (const char *const *f = allowed_flags(in->kind); *f; f++)
			known |= strlen(*f) == nl && !strncmp(*f, p + 2, nl);
		if (!known)
			return error_set(err, -EINVAL, "Unknown flag: %.*s", (int)nl, p + 2);
		p += n;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	*rest = p;
	return 0;
}

static int need(bool ok, struct error *err, const char *fmt, const char *name)
{
	return ok ? 0 : error_set(err, -EINVAL, fmt, name);
}

/* ENV and LABEL: name=value pairs, or ENV's legacy "name value". Stored
 * as [name, value, name, value...], unexpanded. */
static int parse_pairs(struct df_inst *in, char escape, struct error *err)
{
	const char *what = df_kind_name(in->kind);
	json_t *words = df_split_words(in->rest, escape);
	if (!words)
		return error_set(err, -EINVAL,
				 "unexpected end of statement while looking for matching quote");
	json_t *pairs = json_array();
	in->words = pairs;
	int r = need(json_array_size(words) > 0, err, "%s requires at least one argument", what);
	const char *first = json_string_value(json_array_get(words, 0));
	if (r == 0 && !strchr(first, '=')) {
		size_t n = strcspn(in->rest, " \t");
		const char *value = in->rest + n + strspn(in->rest + n, " \t");
		if (in->kind == DF_LABEL || !*value)
			r = in->kind == DF_LABEL
				? error_set(err, -EINVAL,
					    "Syntax error - can't find = in \"%s\". Must be of the "
					    "form: name=value",
					    first)
				: error_set(err, -EINVAL, "ENV must have two arguments");
		else {
			json_array_append_new(pairs, json_stringn(in->rest, n));
			json_array_append_new(pairs, json_string(value));
		}
		json_decref(words);
		return r;
	}
	size_t i;
	json_t *w;
	json_array_foreach(words, i, w)
	{
		if (r < 0)
			break;
		const char *s = json_string_value(w), *eq = strchr(s, '=');
		if (!eq)
			r = error_set(err, -EINVAL,
				      "Syntax error - can't find = in \"%s\". Must be of the form: "
				      "name=value",
				      s);
		else if (eq == s)
			r = error_set(err, -EINVAL, "%s names can not be blank", what);
		else {
			json_array_append_new(pairs, json_stringn(s, (size_t)(eq - s)));
			json_array_append_new(pairs, json_string(eq + 1));
		}
	}
	json_decref(words);
	return r;
}

static int parse_cmdish(struct df_inst *in, char escape, struct error *err)
{
	json_t *a = json_strings(in->rest);
	if (a) {
		in->json = true;
		in->words = a;
	} else {
		in->words = json_pack("[s]", in->rest);
	}
	if (in->kind == DF_RUN && !*in->rest)
		return error_set(err, -EINVAL, "RUN requires at least one argument");
	if (in->kind == DF_SHELL && !in->json)
		return error_set(err, -EINVAL, "SHELL requires the arguments to be in JSON form");
	if (in->kind == DF_SHELL && json_array_size(a) == 0)
		return error_set(err, -EINVAL, "SHELL requires at least one argument");
	(void)escape;
	return 0;
}

static int parse_list(struct df_inst *in, char escape, struct error *err)
{
	json_t *a = in->kind == DF_EXPOSE ? NULL : json_strings(in->rest);
	in->json = a != NULL;
	in->words = a ? a : df_split_words(in->rest, escape);
	if (!in->words)
		return error_set(err, -EINVAL,
				 "unexpected end of statement while looking for matching quote");
	size_t n = json_array_size(in->words);
	const char *what = df_kind_name(in->kind);
	if (in->kind == DF_COPY || in->kind == DF_ADD) {
		if (n == 1)
			return error_set(err, -EINVAL,
					 "%s requires at least two arguments, but only one was "
					 "provided. Destination could not be determined.",
					 what);
		return need(n >= 2, err, "%s requires at least two arguments", what);
	}
	return need(n >= 1, err, "%s requires at least one argument", what);
}

static int parse_from(struct df_inst *in, char escape, struct error *err)
{
	in->words = df_split_words(in->rest, escape);
	size_t n = json_array_size(in->words);
	const char *as = json_string_value(json_array_get(in->words, 1));
	if (!in->words || (n != 1 && n != 3) || (n == 3 && strcasecmp(as, "AS")))
		return error_set(err, -EINVAL, "FROM requires either one or three arguments");
	if (n == 3) {
		const char *name = json_string_value(json_array_get(in->words, 2));
		/* Stage names are case-insensitive: checked lower-cased. */
		bool ok = isalpha((unsigned char)name[0]);
		for (const char *p = name; *p && ok; p++)
			ok = isalnum((unsigned char)*p) || strchr("-_.", *p);
		if (!ok)
			return error_set(err, -EINVAL,
					 "invalid name for build stage: \"%s\", name can't start "
					 "with a number or contain symbols",
					 name);
	}
	return 0;
}

static int parse_healthcheck(struct df_inst *in, char escape, struct error *err)
{
	size_t n = strcspn(in->rest, " \t");
	if (!*in->rest)
		return error_set(err, -EINVAL, "HEALTHCHECK requires at least one argument");
	if (!strncasecmp(in->rest, "NONE", n) && n == 4) {
		if (in->rest[n])
			return error_set(err, -EINVAL, "HEALTHCHECK NONE takes no arguments");
		in->words = json_pack("[s]", "NONE");
		return 0;
	}
	if (n != 3 || strncasecmp(in->rest, "CMD", 3))
		return error_set(err, -EINVAL, "Unknown type \"%.*s\" in HEALTHCHECK (try CMD)",
				 (int)n, in->rest);
	const char *cmd = in->rest + n + strspn(in->rest + n, " \t");
	json_t *a = json_strings(cmd);
	in->json = a != NULL;
	in->words = json_pack("[s]", "CMD");
	if (a)
		json_array_extend(in->words, a);
	else
		json_array_append_new(in->words, json_string(cmd));
	json_decref(a);
	if (!*cmd)
		return error_set(err, -EINVAL, "Missing command after HEALTHCHECK CMD");
	(void)escape;
	return 0;
}

static int parse_args(struct df_inst *in, char escape, struct error *err)
{
	switch (in->kind) {
	case DF_RUN:
	case DF_CMD:
	case DF_ENTRYPOINT:
	case DF_SHELL:
		return parse_cmdish(in, escape, err);
	case DF_ENV:
	case DF_LABEL:
		return parse_pairs(in, escape, err);
	case DF_COPY:
	case DF_ADD:
	case DF_EXPOSE:
	case DF_VOLUME:
	case DF_ARG:
		return parse_list(in, escape, err);
	case DF_FROM:
		return parse_from(in, escape, err);
	case DF_HEALTHCHECK:
		return parse_healthcheck(in, escape, err);
	case DF_ONBUILD: {
		if (!*in->rest)
			return error_set(err, -EINVAL, "ONBUILD requires at least one argument");
		in->inner = calloc(1, sizeof(*in->inner));
		if (!in->inner)
			return error_set(err, -ENOMEM, "out of memory");
		int r = dockerfile_parse_line(in->rest, escape, in->inner, err);
		if (r == 0 && (in->inner->kind == DF_ONBUILD || in->inner->kind == DF_FROM ||
			       in->inner->kind == DF_MAINTAINER))
			r = error_set(err, -EINVAL, "%s isn't allowed as an ONBUILD trigger",
				      df_kind_name(in->inner->kind));
		return r;
	}
	case DF_USER:
	case DF_WORKDIR:
	case DF_STOPSIGNAL:
	case DF_MAINTAINER:
		in->words = json_pack("[s]", in->rest);
		return need(*in->rest, err, "%s requires exactly one argument",
			    df_kind_name(in->kind));
	}
	return 0;
}

static char *trim_dup(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s, n);
}

int dockerfile_parse_line(const char *line, char escape, struct df_inst *ret, struct error *err)
{
	struct df_inst in = {0};
	const char *p = line + strspn(line, " \t");
	size_t wn = strcspn(p, " \t");
	if (kind_of(p, wn, &in.kind) < 0) {
		_cleanup_free_ char *w = strndup(p, wn);
		for (char *c = w; c && *c; c++)
			*c = (char)toupper((unsigned char)*c);
		return error_set(err, -EINVAL, "unknown instruction: %s", w ? w : "");
	}
	const char *rest = p + wn;
	rest += strspn(rest, " \t");
	in.text = trim_dup(p, strlen(p));
	int r = in.text ? take_flags(&in, &rest, err) : error_set(err, -ENOMEM, "out of memory");
	if (r == 0 && !(in.rest = trim_dup(rest, strlen(rest))))
		r = error_set(err, -ENOMEM, "out of memory");
	if (r == 0)
		r = parse_args(&in, escape, err);
	if (r < 0) {
		df_inst_done(&in);
		return r;
	}
	*ret = in;
	return 0;
}

/* ---- lines ---- */

struct lines {
	const char *p, *end;
	int no; /* number of the line last read */
};

/* The next physical line (without its newline and a trailing '\r'). */
static bool next_line(struct lines *l, const char **s, size_t *n)
{
	if (l->p >= l->end)
		return false;
	const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	const char *e = nl ? nl : l->end;
	*s = l->p;
	*n = (size_t)(e - l->p);
	if (*n && (*s)[*n - 1] == '\r')
		(*n)--;
	l->p = nl ? nl + 1 : l->end;
	l->no++;
	return true;
}

static bool blank_or_comment(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	return !n || *s == '#';
}

/* Strips a trailing escape (plus blanks after it): true when the line
 * continues on the next one. */
static bool continues(const char *s, size_t *n, char escape)
{
	size_t k = *n;
	while (k && (s[k - 1] == ' ' || s[k - 1] == '\t'))
		k--;
	if (!k || s[k - 1] != escape)
		return false;
	*n = k - 1;
	return true;
}

/* "# escape=`" style lines at the very top. */
static int directives(struct lines *l, char *escape, struct error *err)
{
	for (;;) {
		struct lines save = *l;
		const char *s;
		size_t n;
		if (!next_line(l, &s, &n))
			return 0;
		_cleanup_free_ char *t = trim_dup(s, n);
		if (!t)
			return error_set(err, -ENOMEM, "out of memory");
		char key[32], val[64];
		if (t[0] != '#' || sscanf(t + 1, " %31[a-zA-Z0-9] = %63s", key, val) != 2) {
			*l = save;
			return 0;
		}
		if (strcasecmp(key, "escape") == 0) {
			if (strlen(val) != 1 || (val[0] != '\\' && val[0] != '`'))
				return error_set(err, -EINVAL,
						 "invalid ESCAPE '%s'. Must be ` or \\", val);
			*escape = val[0];
		}
	}
}

static int add_inst(struct dockerfile *df, struct df_inst *in)
{
	struct df_inst *v = realloc(df->v, (df->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	df->v = v;
	df->v[df->n++] = *in;
	return 0;
}

/* One logical line starting with the physical line s: continuations
 * joined, comment and blank lines inside them skipped. */
static int logical_line(struct lines *l, const char *s, size_t n, char escape, struct buf *out)
{
	bool more = continues(s, &n, escape);
	buf_append(out, s, n);
	while (more) {
		if (!next_line(l, &s, &n))
			break;
		if (blank_or_comment(s, n))
			continue;
		more = continues(s, &n, escape);
		buf_append(out, s, n);
	}
	return buf_append(out, "", 1);
}

int dockerfile_parse(const char *buf, size_t len, struct dockerfile **ret, struct error *err)
{
	struct dockerfile *df = calloc(1, sizeof(*df));
	if (!df)
		return error_set(err, -ENOMEM, "out of memory");
	df->escape = '\\';
	struct lines l = {buf, buf + len, 0};
	int r = directives(&l, &df->escape, err);
	const char *s;
	size_t n;
	while (r == 0 && next_line(&l, &s, &n)) {
		if (blank_or_comment(s, n))
			continue;
		int start = l.no;
		struct buf line = BUF_INIT;
		struct df_inst in;
		struct error e = ERROR_INIT;
		r = logical_line(&l, s, n, df->escape, &line);
		if (r == 0 && blank_or_comment(line.data, strlen(line.data))) {
			buf_free(&line);
			continue;
		}
		if (r == 0 && (r = dockerfile_parse_line(line.data, df->escape, &in, &e)) < 0) {
			error_set(err, r, "dockerfile parse error line %d: %s", start,
				  error_msg(&e));
		} else if (r == 0) {
			in.line = start;
			if (add_inst(df, &in) < 0) {
				df_inst_done(&in);
				r = error_set(err, -ENOMEM, "out of memory");
			}
		}
		error_clear(&e);
		buf_free(&line);
	}
	if (r == 0 && df->n == 0)
		r = error_set(err, -EINVAL, "file with no instructions");
	if (r < 0) {
		dockerfile_free(df);
		return r;
	}
	*ret = df;
	return 0;
}
