/* Command-line flag parsing with pflag's (cobra's) semantics and wording, so
 * berth's flag errors read like docker's. */
#include "cli/cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "basic/timeutil.h"

void cli_strv_free(struct cli_strv *sv)
{
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

int cli_strv_push(struct cli_strv *sv, const char *s)
{
	const char **v = realloc(sv->v, (sv->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[sv->n++] = s;
	sv->v = v;
	return 0;
}

static const struct cli_flag *find_long(const struct cli_flag *flags, size_t n, const char *name,
					size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
			return &flags[i];
	return NULL;
}

static const struct cli_flag *find_short(const struct cli_flag *flags, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (flags[i].shorthand && flags[i].shorthand == c)
			return &flags[i];
	return NULL;
}

static bool is_bool(const struct cli_flag *f)
{
	return f->kind == CLI_FLAG_BOOL || f->kind == CLI_FLAG_OPT_BOOL;
}

/* value NULL means a bare boolean. */
static int parse_bool(const char *value, const char *shown, bool *ret, struct error *err)
{
	if (!value || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
		*ret = true;
	else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
		*ret = false;
	else
		return error_set(err, -EINVAL,
				 "invalid argument \"%s\" for \"%s\" flag: strconv.ParseBool: "
				 "parsing \"%s\": invalid syntax",
				 value, shown, value);
	return 0;
}

/* Stores value into the flag's target; value NULL means a bare boolean. */
static int flag_set(const struct cli_flag *f, const char *value, const char *shown,
		    struct error *err)
{
	bool b;
	switch (f->kind) {
	case CLI_FLAG_BOOL:
		return parse_bool(value, shown, f->target, err);
	case CLI_FLAG_OPT_BOOL:
		if (parse_bool(value, shown, &b, err) < 0)
			return -EINVAL;
		*(enum cli_opt_bool *)f->target = b ? CLI_OPT_TRUE : CLI_OPT_FALSE;
		return 0;
	case CLI_FLAG_STRING:
		*(const char **)f->target = value;
		return 0;
	case CLI_FLAG_LIST:
		if (cli_strv_push(f->target, value) < 0)
			return error_set(err, -ENOMEM, "out of memory");
		return 0;
	}
	return -EINVAL;
}

/* How pflag names a flag in "invalid argument" messages: "-f, --filter". */
static void flag_shown(const struct cli_flag *f, char *buf, size_t len)
{
	if (f->shorthand)
		snprintf(buf, len, "-%c, --%s", f->shorthand, f->name);
	else
		snprintf(buf, len, "--%s", f->name);
}

/* Handles argv[*i] = "--name[=value]"; may consume the next argument. */
static int parse_long(const struct cli_flag *flags, size_t n, int argc, char **argv, int *i,
		      struct error *err)
{
	const char *arg = argv[*i] + 2;
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct cli_flag *f = find_long(flags, n, arg, len);
	if (!f)
		return error_set(err, -EINVAL, "unknown flag: --%.*s", (int)len, arg);
	char shown[64];
	flag_shown(f, shown, sizeof(shown));
	if (eq)
		return flag_set(f, eq + 1, shown, err);
	if (is_bool(f))
		return flag_set(f, NULL, shown, err);
	if (*i + 1 >= argc)
		return error_set(err, -EINVAL, "flag needs an argument: --%s", f->name);
	return flag_set(f, argv[++*i], shown, err);
}

/* Handles a cluster of shorthands "-Dl debug", "-ldebug", "-f=x". */
static int parse_short(const struct cli_flag *flags, size_t n, int argc, char **argv, int *i,
		       struct error *err)
{
	const char *arg = argv[*i];
	for (const char *p = arg + 1; *p; p++) {
		const struct cli_flag *f = find_short(flags, n, *p);
		if (!f)
			return error_set(err, -EINVAL, "unknown shorthand flag: '%c' in -%s", *p,
					 p);
		char shown[64];
		flag_shown(f, shown, sizeof(shown));
		if (p[1] == '=')
			return flag_set(f, p + 2, shown, err);
		if (is_bool(f)) {
			int r = flag_set(f, NULL, shown, err);
			if (r < 0)
				return r;
			continue;
		}
		if (p[1])
			return flag_set(f, p + 1, shown, err);
		if (*i + 1 >= argc)
			return error_set(err, -EINVAL, "flag needs an argument: '%c' in %s", *p,
					 arg);
		return flag_set(f, argv[++*i], shown, err);
	}
	return 0;
}

int cli_flags_parse(const struct cli_flag *flags, size_t nflags, int argc, char **argv,
		    bool interspersed, struct cli_strv *ret_args, struct error *err)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool positional = a[0] != '-' || a[1] == '\0';
		if (strcmp(a, "--") == 0 || (positional && !interspersed)) {
			int from = strcmp(a, "--") == 0 ? i + 1 : i;
			for (int j = from; j < argc; j++)
				if (cli_strv_push(ret_args, argv[j]) < 0)
					return error_set(err, -ENOMEM, "out of memory");
			return 0;
		}
		if (positional) {
			if (cli_strv_push(ret_args, a) < 0)
				return error_set(err, -ENOMEM, "out of memory");
			continue;
		}
		int r = a[1] == '-' ? parse_long(flags, nflags, argc, argv, &i, err)
				    : parse_short(flags, nflags, argc, argv, &i, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The left column: "  -f, --format string" or "      --since string". */
static void flag_left(const struct cli_flag *f, char *buf, size_t len)
{
	const char *type = is_bool(f) ? "" : f->value_type ? f->value_type : "string";
	if (f->shorthand)
		snprintf(buf, len, "  -%c, --%s%s%s", f->shorthand, f->name, *type ? " " : "",
			 type);
	else
		snprintf(buf, len, "      --%s%s%s", f->name, *type ? " " : "", type);
}

void cli_flags_print(FILE *f, const struct cli_flag *flags, size_t nflags)
{
	size_t width = 0;
	char left[128];
	for (size_t i = 0; i < nflags; i++) {
		if (flags[i].hidden)
			continue;
		flag_left(&flags[i], left, sizeof(left));
		if (strlen(left) > width)
			width = strlen(left);
	}
	for (size_t i = 0; i < nflags; i++) {
		if (flags[i].hidden)
			continue;
		flag_left(&flags[i], left, sizeof(left));
		fprintf(f, "%-*s   ", (int)width, left);
		for (const char *h = flags[i].help; *h; h++) {
			fputc(*h, f);
			if (*h == '\n')
				fprintf(f, "%*s", (int)width + 3, "");
		}
		fputc('\n', f);
	}
}

int cli_duration_into(const char *s, const char *flag, json_t *obj, const char *key,
		      struct error *err)
{
	int64_t ns;
	if (!s)
		return 0;
	if (time_parse_duration(s, &ns) < 0)
		return error_set(err, -EINVAL,
				 "invalid argument \"%s\" for \"--%s\" flag: time: "
				 "invalid duration \"%s\"",
				 s, flag, s);
	json_object_set_new(obj, key, json_integer(ns));
	return 0;
}
