/* `berth events` / `berth system events`: streams /events (JSON lines over a
 * chunked response) until the daemon ends it (--until reached) or SIGINT. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/format.h"

/* State of one stream: the partial line carried between chunks. */
struct events_sink {
	const struct cli *cli;
	const struct format_tmpl *tmpl; /* NULL: docker's default line */
	char *line;
	size_t len;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Attributes as " (a=1, b=2)", sorted by key; nothing when there are none. */
static void print_attributes(FILE *f, json_t *attrs)
{
	size_t n = json_object_size(attrs), i = 0;
	if (!n)
		return;
	_cleanup_free_ const char **keys = calloc(n, sizeof(*keys));
	if (!keys)
		return;
	const char *k;
	json_t *v;
	json_object_foreach(attrs, k, v) keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	fprintf(f, " (");
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_object_get(attrs, keys[i]));
		fprintf(f, "%s%s=%s", i ? ", " : "", keys[i], s ? s : "");
	}
	fputc(')', f);
}

/* docker's prettyPrintEvent. */
static void print_default(FILE *f, json_t *ev)
{
	char when[64];
	long long nano = (long long)json_integer_value(json_object_get(ev, "timeNano"));
	long long sec = (long long)json_integer_value(json_object_get(ev, "time"));
	if (nano || sec) {
		format_time_local(nano ? nano : sec * 1000000000LL, when, sizeof(when));
		fprintf(f, "%s ", when);
	}
	json_t *actor = json_object_get(ev, "Actor");
	const char *type = json_string_value(json_object_get(ev, "Type"));
	const char *action = json_string_value(json_object_get(ev, "Action"));
	const char *id = json_string_value(json_object_get(actor, "ID"));
	fprintf(f, "%s %s %s", type ? type : "", action ? action : "", id ? id : "");
	print_attributes(f, json_object_get(actor, "Attributes"));
	fputc('\n', f);
}

static int print_event(struct events_sink *s, const char *line, size_t len)
{
	json_error_t jerr;
	_cleanup_(cli_json_decrefp) json_t *ev = json_loadb(line, len, 0, &jerr);
	if (!ev) {
		fprintf(s->cli->err, "cannot parse event from daemon: %s\n", jerr.text);
		return -EPROTO;
	}
	if (!s->tmpl) {
		print_default(s->cli->out, ev);
	} else {
		_cleanup_free_ char *out = NULL;
		struct error err = ERROR_INIT;
		int r = format_exec(s->tmpl, ev, &out, &err);
		if (r < 0) {
			fprintf(s->cli->err, "%s\n", error_msg(&err));
			error_clear(&err);
			return r;
		}
		fprintf(s->cli->out, "%s\n", out);
	}
	/* Someone is watching (or piping into a consumer): show each event now. */
	fflush(s->cli->out);
	return 0;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", s[i]))
			return false;
	return true;
}

/* client_data_fn: split what arrives into lines, one event per line. */
static int on_data(const char *data, size_t len, void *userdata)
{
	struct events_sink *s = userdata;
	char *b = realloc(s->line, s->len + len);
	if (!b)
		return -ENOMEM;
	s->line = b;
	memcpy(s->line + s->len, data, len);
	s->len += len;
	size_t start = 0;
	for (size_t i = 0; i < s->len; i++) {
		if (s->line[i] != '\n')
			continue;
		if (!blank(s->line + start, i - start)) {
			int r = print_event(s, s->line + start, i - start);
			if (r < 0)
				return r;
		}
		start = i + 1;
	}
	memmove(s->line, s->line + start, s->len - start);
	s->len -= start;
	return 0;
}

static void on_sigint(int sig)
{
	/* Nothing to do: its only job is to interrupt the blocking read. */
	(void)sig;
}

static int build_query(const struct cli *cli, const char *since, const char *until,
		       const struct cli_strv *filters, struct query *q)
{
	struct error err = ERROR_INIT;
	char ts[64];
	int64_t now = time_now_ns();
	_cleanup_free_ char *fj = NULL;
	int r = 0;
	if (since && *since && (r = query_timestamp(since, now, ts, sizeof(ts), &err)) >= 0)
		r = query_add(q, "since", ts);
	if (r >= 0 && until && *until &&
	    (r = query_timestamp(until, now, ts, sizeof(ts), &err)) >= 0)
		r = query_add(q, "until", ts);
	if (r >= 0 && (r = query_filters_json(filters, &fj, &err)) >= 0 && fj)
		r = query_add(q, "filters", fj);
	if (r < 0) {
		if (!err.msg)
			error_set(&err, r, "out of memory");
		cli_fail(cli, &err);
		error_clear(&err);
	}
	return r;
}

static int stream(struct cli *cli, const struct format_tmpl *t, const struct query *q)
{
	struct error err = ERROR_INIT;
	struct client c;
	struct events_sink sink = {.cli = cli, .tmpl = t};
	struct sigaction sa = {.sa_handler = on_sigint}, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old); /* no SA_RESTART: read() must return EINTR */
	int r = client_init(&c, cli, &err);
	if (r >= 0)
		r = client_stream(&c, "/events", q, on_data, &sink, &err);
	sigaction(SIGINT, &old, NULL);
	if (r >= 0 && sink.len && !blank(sink.line, sink.len))
		r = print_event(&sink, sink.line, sink.len);
	free(sink.line);
	client_done(&c);
	int code = CLI_EXIT_OK;
	if (r == -EINTR)
		code = 128 + SIGINT; /* what docker exits with on ^C */
	else if (r < 0 && err.msg)
		code = cli_fail(cli, &err);
	else if (r < 0)
		code = CLI_EXIT_FAILURE; /* already reported by the sink */
	error_clear(&err);
	return code;
}

/* docker runs the template once on an empty event so typos fail up front. */
static int check_template(const struct cli *cli, const struct format_tmpl *t)
{
	_cleanup_(cli_json_decrefp) json_t *empty =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:{}}, s:s, s:i, s:i}", "status", "", "id",
		      "", "from", "", "Type", "", "Action", "", "Actor", "ID", "", "Attributes",
		      "scope", "", "time", 0, "timeNano", 0);
	_cleanup_free_ char *out = NULL;
	struct error err = ERROR_INIT;
	if (!empty || format_exec(t, empty, &out, &err) >= 0)
		return 0;
	fprintf(cli->err, "Error parsing format: %s\n", error_msg(&err));
	error_clear(&err);
	return -EINVAL;
}

static int parse_format(const struct cli *cli, const char *format, struct format_tmpl **ret)
{
	struct error err = ERROR_INIT;
	*ret = NULL;
	if (!format || !*format)
		return 0;
	if (format_parse(format, "", ret, &err) < 0) {
		fprintf(cli->err, "Error parsing format: %s\n", error_msg(&err));
		error_clear(&err);
		return -EINVAL;
	}
	/* Message's legacy fields are omitted from the JSON when empty. */
	static const char *const legacy[] = {"Status", "ID", "From", NULL};
	format_set_zero_fields(*ret, legacy);
	if (check_template(cli, *ret) < 0) {
		format_free(*ret);
		*ret = NULL;
		return -EINVAL;
	}
	return 0;
}

static int check_filters(const struct cli *cli, const char *cmd_path, const struct cli_strv *f)
{
	for (size_t i = 0; i < f->n; i++) {
		if (query_filter_valid(f->v[i]))
			continue;
		char usage[128], msg[512];
		snprintf(usage, sizeof(usage), "%s [OPTIONS]", cmd_path);
		snprintf(msg, sizeof(msg),
			 "invalid argument \"%s\" for \"-f, --filter\" flag: bad format of filter "
			 "(expected name=value)",
			 f->v[i]);
		return cli_usage_error(cli, cmd_path, usage, msg);
	}
	return -1;
}

int cli_cmd_events(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *format = NULL, *since = NULL, *until = NULL;
	struct cli_strv filters = {0}, args = {0};
	const struct cli_flag flags[] = {
	    {"filter", 'f', CLI_FLAG_LIST, &filters, "filter",
	     "Filter output based on conditions provided", false},
	    {"format", 0, CLI_FLAG_STRING, &format, "string", cli_format_help, false},
	    {"since", 0, CLI_FLAG_STRING, &since, "string",
	     "Show all events created since timestamp", false},
	    {"until", 0, CLI_FLAG_STRING, &until, "string", "Stream events until this timestamp",
	     false},
	};
	static const struct cli_cmd_spec spec = {
	    .summary = "Get real time events from the server",
	    .aliases = "berth system events, berth events",
	    .no_args = true};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = check_filters(cli, cmd_path, &filters);
	struct format_tmpl *t = NULL;
	struct query q = {0};
	if (code < 0 && parse_format(cli, format, &t) < 0)
		code = CLI_EXIT_TEMPLATE;
	if (code < 0 && build_query(cli, since, until, &filters, &q) < 0)
		code = CLI_EXIT_FAILURE;
	if (code < 0)
		code = stream(cli, t, &q);
	query_done(&q);
	format_free(t);
	cli_strv_free(&filters);
	cli_strv_free(&args);
	return code;
}
