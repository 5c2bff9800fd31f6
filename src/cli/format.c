/* --format templates and docker's human-readable renderings. The template
 * language is a deliberate subset of Go's text/template: field chains with
 * a few functions cover what people put in --format for these commands,
 * and anything else is refused by name rather than misrendered. */
#include "cli/format.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "basic/cleanup.h"

enum fn {
	FN_NONE,
	FN_JSON,
	FN_UPPER,
	FN_LOWER,
	FN_TITLE,
	FN_PRINTLN,
};

static const char *const fn_names[] = {
    [FN_JSON] = "json",	  [FN_UPPER] = "upper",	    [FN_LOWER] = "lower",
    [FN_TITLE] = "title", [FN_PRINTLN] = "println",
};

struct node {
	char *text; /* literal text, or the field chain as written (".A.B") */
	bool is_field;
	enum fn fn;
	char **path; /* field names; empty for "." */
	size_t npath;
	int line, col; /* where the last field starts, for Go-style errors */
};

struct format_tmpl {
	struct node *nodes;
	size_t n;
	char *name; /* shown in errors, as Go's template name */
	const char *const *zero_fields; /* see format_set_zero_fields */
};

void format_set_zero_fields(struct format_tmpl *t, const char *const *fields)
{
	t->zero_fields = fields;
}

static bool is_zero_field(const struct format_tmpl *t, const char *name)
{
	for (const char *const *f = t->zero_fields; f && *f; f++)
		if (strcasecmp(*f, name) == 0)
			return true;
	return false;
}

void format_free(struct format_tmpl *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->nodes[i].text);
		for (size_t j = 0; j < t->nodes[i].npath; j++)
			free(t->nodes[i].path[j]);
		free(t->nodes[i].path);
	}
	free(t->nodes);
	free(t->name);
	free(t);
}

static struct node *add_node(struct format_tmpl *t)
{
	struct node *n = realloc(t->nodes, (t->n + 1) * sizeof(*n));
	if (!n)
		return NULL;
	t->nodes = n;
	n = &t->nodes[t->n++];
	*n = (struct node){0};
	return n;
}

static int add_text(struct format_tmpl *t, const char *s, size_t len)
{
	if (!len)
		return 0;
	struct node *n = add_node(t);
	if (!n || !(n->text = strndup(s, len)))
		return -ENOMEM;
	return 0;
}

static int line_of(const char *src, const char *at)
{
	int line = 1;
	for (const char *p = src; p < at; p++)
		line += *p == '\n';
	return line;
}

static int col_of(const char *src, const char *at)
{
	const char *bol = at;
	while (bol > src && bol[-1] != '\n')
		bol--;
	return (int)(at - bol);
}

/* Splits ".A.B" into its names; "." gives none. -EINVAL when not a chain. */
static int parse_chain(struct node *n, const char *s, size_t len, const char *src)
{
	if (!len || s[0] != '.')
		return -EINVAL;
	if (len == 1)
		return 0;
	const char *p = s, *end = s + len;
	while (p < end) {
		if (*p != '.')
			return -EINVAL;
		const char *name = ++p;
		while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
			p++;
		if (p == name)
			return -EINVAL;
		char **path = realloc(n->path, (n->npath + 1) * sizeof(*path));
		if (!path)
			return -ENOMEM;
		n->path = path;
		if (!(path[n->npath] = strndup(name, (size_t)(p - name))))
			return -ENOMEM;
		n->npath++;
		n->line = line_of(src, name - 1);
		n->col = col_of(src, name - 1);
	}
	return 0;
}

static enum fn fn_lookup(const char *s, size_t len)
{
	for (size_t i = 1; i < sizeof(fn_names) / sizeof(fn_names[0]); i++)
		if (strlen(fn_names[i]) == len && strncmp(fn_names[i], s, len) == 0)
			return (enum fn)i;
	return FN_NONE;
}

static int unsupported(const char *s, size_t len, struct error *err)
{
	return error_set(err, -EINVAL,
			 "unsupported template action \"{{%.*s}}\": berth supports {{.Field}}, "
			 "{{.A.B}} and {{json|upper|lower|title|println .Field}}",
			 (int)len, s);
}

/* Parses the inside of one {{ }} (trim markers already removed). */
static int parse_action(struct format_tmpl *t, const char *s, size_t len, const char *src,
			struct error *err)
{
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= 4 && strncmp(s, "/*", 2) == 0 && strncmp(s + len - 2, "*/", 2) == 0)
		return 0;
	const char *sp = s;
	while (sp < s + len && !isspace((unsigned char)*sp))
		sp++;
	enum fn fn = FN_NONE;
	const char *field = s;
	if (sp < s + len) {
		fn = fn_lookup(s, (size_t)(sp - s));
		if (fn == FN_NONE)
			return unsupported(s, len, err);
		field = sp;
		while (isspace((unsigned char)*field))
			field++;
	}
	struct node *n = add_node(t);
	if (!n || !(n->text = strndup(field, (size_t)(s + len - field))))
		return error_set(err, -ENOMEM, "out of memory");
	n->is_field = true;
	n->fn = fn;
	int r = parse_chain(n, field, (size_t)(s + len - field), src);
	if (r == -ENOMEM)
		return error_set(err, r, "out of memory");
	return r < 0 ? unsupported(s, len, err) : 0;
}

/* Parses from *pos: literal text up to the next action, then the action. */
static int parse_step(struct format_tmpl *t, const char *src, const char **pos, struct error *err)
{
	const char *p = *pos;
	const char *open = strstr(p, "{{");
	if (!open) {
		*pos = p + strlen(p);
		return add_text(t, p, strlen(p)) < 0 ? error_set(err, -ENOMEM, "out of memory") : 0;
	}
	const char *in = open + 2, *text_end = open;
	if (in[0] == '-' && isspace((unsigned char)in[1])) {
		in += 2;
		while (text_end > p && isspace((unsigned char)text_end[-1]))
			text_end--;
	}
	if (add_text(t, p, (size_t)(text_end - p)) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	const char *close = strstr(in, "}}");
	if (!close)
		return error_set(err, -EINVAL, "template: %s:%d: unclosed action", t->name,
				 line_of(src, open));
	const char *in_end = close, *after = close + 2;
	if (in_end - in >= 2 && in_end[-1] == '-' && isspace((unsigned char)in_end[-2])) {
		in_end -= 2;
		while (isspace((unsigned char)*after))
			after++;
	}
	*pos = after;
	return parse_action(t, in, (size_t)(in_end - in), src, err);
}

int format_parse(const char *src, const char *name, struct format_tmpl **ret, struct error *err)
{
	/* docker's --format json shortcut */
	if (strcmp(src, "json") == 0)
		src = "{{json .}}";
	struct format_tmpl *t = calloc(1, sizeof(*t));
	if (!t || !(t->name = strdup(name ? name : ""))) {
		free(t);
		return error_set(err, -ENOMEM, "out of memory");
	}
	const char *pos = src;
	while (*pos) {
		int r = parse_step(t, src, &pos, err);
		if (r < 0) {
			format_free(t);
			return r;
		}
	}
	*ret = t;
	return 0;
}

/* Appends printf output to a malloc'ed string. */
static int append(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int append(char **out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *add = NULL;
	int r = vasprintf(&add, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	char *n = NULL;
	if (asprintf(&n, "%s%s", *out ? *out : "", add) < 0)
		return -ENOMEM;
	free(*out);
	*out = n;
	return 0;
}

/* Shortest %g that reads back as the same double, as Go prints floats. */
static void format_real(double d, char *buf, size_t len)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int value_object(json_t *v, char **out)
{
	size_t n = json_object_size(v), i = 0;
	_cleanup_free_ const char **keys = calloc(n ? n : 1, sizeof(*keys));
	if (!keys || append(out, "map[") < 0)
		return -ENOMEM;
	const char *k;
	json_t *e;
	json_object_foreach(v, k, e) keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++) {
		_cleanup_free_ char *s = format_value(json_object_get(v, keys[i]));
		if (!s || append(out, "%s%s:%s", i ? " " : "", keys[i], s) < 0)
			return -ENOMEM;
	}
	return append(out, "]");
}

static int value_array(json_t *v, char **out)
{
	size_t i;
	json_t *e;
	if (append(out, "[") < 0)
		return -ENOMEM;
	json_array_foreach(v, i, e)
	{
		_cleanup_free_ char *s = format_value(e);
		if (!s || append(out, "%s%s", i ? " " : "", s) < 0)
			return -ENOMEM;
	}
	return append(out, "]");
}

char *format_value(json_t *v)
{
	char *out = NULL;
	char num[64];
	int r = 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return strndup(json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		r = append(&out, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		format_real(json_real_value(v), num, sizeof(num));
		r = append(&out, "%s", num);
		break;
	case JSON_TRUE:
		return strdup("true");
	case JSON_FALSE:
		return strdup("false");
	case JSON_NULL:
		return strdup("<nil>");
	case JSON_OBJECT:
		r = value_object(v, &out);
		break;
	case JSON_ARRAY:
		r = value_array(v, &out);
		break;
	}
	if (r < 0) {
		free(out);
		return NULL;
	}
	return out;
}

char *format_go_json_escape(char *json)
{
	if (!json)
		return NULL;
	size_t extra = 0;
	for (const char *p = json; *p; p++)
		extra += strchr("<>&", *p) ? 5 : 0;
	if (!extra)
		return json;
	char *out = malloc(strlen(json) + extra + 1), *w = out;
	for (const char *p = json; out && *p; p++)
		w += *p == '<' ? sprintf(w, "\\u003c")
		     : *p == '>' ? sprintf(w, "\\u003e")
		     : *p == '&' ? sprintf(w, "\\u0026")
				 : (*w = *p, 1);
	if (out)
		*w = '\0';
	free(json);
	return out;
}

char *format_json(json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static const char *type_name(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "float64";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	case JSON_ARRAY:
		return "[]interface {}";
	default:
		return "interface {}";
	}
}

/* Objects docker keeps as Go maps: a missing key there is "<no value>". */
static bool map_like(const char *name)
{
	static const char *const maps[] = {"Labels",	 "Attributes", "Details",     "Options",
					   "DriverOpts", "Runtimes",   "IndexConfigs"};
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (name && strcmp(name, maps[i]) == 0)
			return true;
	return false;
}

/* Exact key first, then Go's encoding/json case-insensitive match, so
 * {{.Time}} finds "time" as it finds Message.Time in docker. */
static json_t *lookup(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);
	if (v)
		return v;
	const char *k;
	json_object_foreach(obj, k, v) if (strcasecmp(k, name) == 0) return v;
	return NULL;
}

/* Walks n's path from dot; *ret NULL means "<no value>", or, when 1 is
 * returned, an empty string field. */
static int resolve(const struct format_tmpl *t, const struct node *n, json_t *dot, json_t **ret,
		   struct error *err)
{
	json_t *cur = dot;
	const char *parent = NULL;
	for (size_t i = 0; i < n->npath; i++) {
		const char *name = n->path[i];
		if (!json_is_object(cur))
			return error_set(err, -EINVAL,
					 "template: %s:%d:%d: executing \"%s\" at <%s>: can't "
					 "evaluate field %s in type %s",
					 t->name, n->line, n->col, t->name, n->text, name,
					 type_name(cur));
		json_t *next = lookup(cur, name);
		if (!next && map_like(parent) && i + 1 == n->npath) {
			*ret = NULL;
			return 0;
		}
		if (!next && i == 0 && is_zero_field(t, name)) {
			*ret = NULL;
			return 1; /* the Go type's empty string */
		}
		if (!next)
			return error_set(err, -EINVAL,
					 "template: %s:%d:%d: executing \"%s\" at <%s>: can't "
					 "evaluate field %s",
					 t->name, n->line, n->col, t->name, n->text, name);
		parent = name;
		cur = next;
	}
	*ret = cur;
	return 0;
}

static void apply_case(char *s, enum fn fn)
{
	bool word_start = true;
	for (char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (fn == FN_UPPER || (fn == FN_TITLE && word_start))
			*p = (char)toupper(c);
		else if (fn == FN_LOWER)
			*p = (char)tolower(c);
		word_start = isspace(c);
	}
}

static int exec_field(const struct format_tmpl *t, const struct node *n, json_t *dot, char **out,
		      struct error *err)
{
	json_t *v = NULL;
	int r = resolve(t, n, dot, &v, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *s = NULL;
	if (r == 1)
		s = strdup(n->fn == FN_JSON ? "\"\"" : "");
	else if (n->fn == FN_JSON)
		s = v ? format_json(v) : strdup("null");
	else
		s = v ? format_value(v) : strdup("<no value>");
	if (!s)
		return error_set(err, -ENOMEM, "out of memory");
	apply_case(s, n->fn);
	if (append(out, "%s%s", s, n->fn == FN_PRINTLN ? "\n" : "") < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int format_exec(const struct format_tmpl *t, json_t *dot, char **out, struct error *err)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct node *n = &t->nodes[i];
		int r = n->is_field ? exec_field(t, n, dot, out, err)
				    : (append(out, "%s", n->text) < 0
					   ? error_set(err, -ENOMEM, "out of memory")
					   : 0);
		if (r < 0)
			return r;
	}
	if (!*out && append(out, "%s", "") < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* Width of the first cell of each line in [from, to), or -1 without a tab. */
static int cell_width(const char *line, size_t len)
{
	const char *tab = memchr(line, '\t', len);
	return tab ? (int)(tab - line) : -1;
}

char *format_tabwrite(const char *text, int minwidth, int padding)
{
	char *out = NULL;
	const char *p = text;
	while (*p) {
		/* Measure the run of tabbed lines that starts here. */
		int width = 0;
		const char *q = p;
		while (*q) {
			size_t len = strcspn(q, "\n");
			int w = cell_width(q, len);
			if (w < 0)
				break;
			if (w + padding > width)
				width = w + padding;
			q += len + (q[len] == '\n');
		}
		if (width < minwidth)
			width = minwidth;
		do {
			size_t len = strcspn(p, "\n");
			int w = cell_width(p, len);
			bool nl = p[len] == '\n';
			int r = w < 0
				    ? append(&out, "%.*s%s", (int)len, p, nl ? "\n" : "")
				    : append(&out, "%-*.*s%.*s%s", width, w, p,
					     (int)(len - (size_t)w - 1), p + w + 1, nl ? "\n" : "");
			if (r < 0) {
				free(out);
				return NULL;
			}
			p += len + nl;
			if (w < 0)
				break;
		} while (*p && p < q);
	}
	return out ? out : strdup("");
}

void format_bytes_size(double bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B",   "KiB", "MiB", "GiB", "TiB",
					    "PiB", "EiB", "ZiB", "YiB"};
	size_t i = 0;
	while (bytes >= 1024.0 && i < sizeof(units) / sizeof(units[0]) - 1) {
		bytes /= 1024.0;
		i++;
	}
	snprintf(buf, len, "%.4g%s", bytes, units[i]);
}

void format_human_duration(int64_t ns, char *buf, size_t len)
{
	int64_t seconds = ns / 1000000000LL, minutes = seconds / 60;
	int64_t hours = (int64_t)((double)ns / 3.6e12 + 0.5);
	if (seconds < 1)
		snprintf(buf, len, "Less than a second");
	else if (seconds == 1)
		snprintf(buf, len, "1 second");
	else if (seconds < 60)
		snprintf(buf, len, "%lld seconds", (long long)seconds);
	else if (minutes == 1)
		snprintf(buf, len, "About a minute");
	else if (minutes < 60)
		snprintf(buf, len, "%lld minutes", (long long)minutes);
	else if (hours == 1)
		snprintf(buf, len, "About an hour");
	else if (hours < 48)
		snprintf(buf, len, "%lld hours", (long long)hours);
	else if (hours < 24 * 7 * 2)
		snprintf(buf, len, "%lld days", (long long)(hours / 24));
	else if (hours < 24 * 30 * 2)
		snprintf(buf, len, "%lld weeks", (long long)(hours / 24 / 7));
	else if (hours < 24 * 365 * 2)
		snprintf(buf, len, "%lld months", (long long)(hours / 24 / 30));
	else
		snprintf(buf, len, "%lld years", (long long)(ns / 3600000000000LL / 24 / 365));
}

void format_time_local(int64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000LL);
	long frac = (long)(ns % 1000000000LL);
	if (frac < 0) {
		frac += 1000000000L;
		sec--;
	}
	struct tm tm;
	localtime_r(&sec, &tm);
	char date[32], zone[16] = "Z";
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	if (tm.tm_gmtoff) {
		int off = (int)(tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff) % 86400;
		snprintf(zone, sizeof(zone), "%c%02d:%02d", tm.tm_gmtoff < 0 ? '-' : '+',
			 off / 3600, (off / 60) % 60);
	}
	snprintf(buf, len, "%s.%09ld%s", date, frac, zone);
}

char *format_ansic(const char *rfc3339)
{
	struct tm tm = {0};
	const char *rest = strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest || (*rest && *rest != '.' && *rest != 'Z' && *rest != '+' && *rest != '-'))
		return strdup(rfc3339);
	/* Go formats in the zone the string carries: keep its wall clock. */
	time_t t = timegm(&tm);
	gmtime_r(&t, &tm);
	char buf[64];
	strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", &tm);
	return strdup(buf);
}
