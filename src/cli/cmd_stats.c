/* berth stats (a table redrawn every half second, or one sample with
 * --no-stream) and berth update, docker's flags, columns and wording. One
 * thread per container reads its stats stream; the main thread draws. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/inspect.h"
#include "cli/run_opts.h"
#include "cli/stats.h"
#include "cli/table.h"

#define STATS_FORMAT                                                                               \
	"table "                                                                                   \
	"{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}"  \
	"\t{{.PIDs}}"

static json_t *stats_headers(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "CONTAINER ID",
			 "Name", "NAME", "Container", "CONTAINER", "CPUPerc", "CPU %", "MemUsage",
			 "MEM USAGE / LIMIT", "MemPerc", "MEM %", "NetIO", "NET I/O", "BlockIO",
			 "BLOCK I/O", "PIDs", "PIDS");
}

/* One container's latest sample, filled by its reader thread. */
struct ctr_stats {
	const struct cli *cli;
	char *arg; /* as named on the command line, or the ID */
	pthread_mutex_t *mu;
	json_t *row; /* latest row, NULL before the first sample */
	char *line;  /* partial JSON line */
	size_t line_len;
	bool done, no_trunc;
	struct error err;
};

static void take_sample(struct ctr_stats *cs, json_t *s)
{
	struct stats_values v;
	stats_compute(s, &v);
	json_t *row = stats_row_json(json_string_value(json_object_get(s, "id")),
				     json_string_value(json_object_get(s, "name")), cs->arg, &v);
	const char *id = json_string_value(json_object_get(s, "id"));
	if (cs->no_trunc && id)
		json_object_set_new(row, "ID", json_string(id));
	pthread_mutex_lock(cs->mu);
	json_decref(cs->row);
	cs->row = row;
	pthread_mutex_unlock(cs->mu);
}

static int on_stats_data(const char *data, size_t len, void *userdata)
{
	struct ctr_stats *cs = userdata;
	char *l = realloc(cs->line, cs->line_len + len + 1);
	if (!l)
		return -ENOMEM;
	cs->line = l;
	memcpy(l + cs->line_len, data, len);
	cs->line_len += len;
	l[cs->line_len] = '\0';
	char *nl;
	while ((nl = memchr(cs->line, '\n', cs->line_len))) {
		*nl = '\0';
		json_t *s = json_loads(cs->line, 0, NULL);
		if (s)
			take_sample(cs, s);
		json_decref(s);
		size_t rest = cs->line_len - (size_t)(nl + 1 - cs->line);
		memmove(cs->line, nl + 1, rest + 1);
		cs->line_len = rest;
	}
	return 0;
}

static int fetch_stats(struct ctr_stats *cs, bool stream)
{
	_cleanup_free_ char *esc = query_escape(cs->arg), *path = NULL;
	if (!esc || asprintf(&path, "/containers/%s/stats", esc) < 0)
		return error_set(&cs->err, -ENOMEM, "out of memory");
	struct query q = {0};
	query_add(&q, "stream", stream ? "1" : "0");
	struct client c;
	int r = client_init(&c, cs->cli, &cs->err);
	if (r >= 0)
		r = client_stream(&c, path, &q, on_stats_data, cs, &cs->err);
	client_done(&c);
	query_done(&q);
	if (r >= 0 && cs->line_len)
		on_stats_data("\n", 1, cs);
	return r;
}

static void *reader_main(void *userdata)
{
	struct ctr_stats *cs = userdata;
	fetch_stats(cs, true);
	pthread_mutex_lock(cs->mu);
	cs->done = true;
	pthread_mutex_unlock(cs->mu);
	return NULL;
}

static int list_containers(const struct cli *cli, bool all, struct ctr_stats **ret, size_t *n,
			   struct error *err)
{
	_cleanup_(cli_json_decrefp) json_t *list = NULL;
	struct query q = {0};
	if (all)
		query_add(&q, "all", "1");
	struct client c;
	int r = client_init(&c, cli, err);
	if (r >= 0)
		r = client_get_json(&c, "/containers/json", &q, &list, err);
	client_done(&c);
	query_done(&q);
	if (r < 0)
		return r;
	*n = json_array_size(list);
	*ret = calloc(*n ? *n : 1, sizeof(**ret));
	if (!*ret)
		return error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < *n; i++)
		(*ret)[i].arg =
		    strdup(json_string_value(json_object_get(json_array_get(list, i), "Id")));
	return 0;
}

static int print_rows(const struct cli *cli, struct ctr_stats *cs, size_t n, const char *format,
		      pthread_mutex_t *mu, bool clear, struct error *err)
{
	struct table t;
	int r = table_init(&t, format, STATS_FORMAT, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(mu);
	for (size_t i = 0; r >= 0 && i < n; i++)
		if (cs[i].row)
			r = table_row(&t, cs[i].row, err);
	pthread_mutex_unlock(mu);
	_cleanup_(cli_json_decrefp) json_t *headers = stats_headers();
	_cleanup_free_ char *text = r >= 0 ? table_render(&t, headers, err) : NULL;
	table_done(&t);
	if (!text)
		return r < 0 ? r : err->code;
	if (!clear) {
		fputs(text, cli->out);
		fflush(cli->out);
		return 0;
	}
	/* docker 28 redraws in place: home, each line cleared to its end,
	 * then the rest of the screen cleared. */
	fputs("\033[H", cli->out);
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchrnul(line, '\n');
		fprintf(cli->out, "%.*s\033[K\n", (int)(nl - line), line);
		if (!*nl)
			break;
	}
	fputs("\033[J", cli->out);
	fflush(cli->out);
	return 0;
}

static int stats_run(struct cli *cli, const struct cli_strv *args, bool all, bool no_stream,
		     bool no_trunc, const char *format)
{
	struct error err = ERROR_INIT;
	struct ctr_stats *cs = NULL;
	size_t n = args->n;
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	int code = CLI_EXIT_OK;
	if (n == 0) {
		if (list_containers(cli, all, &cs, &n, &err) < 0)
			goto fail;
	} else {
		cs = calloc(n, sizeof(*cs));
		for (size_t i = 0; cs && i < n; i++)
			cs[i].arg = strdup(args->v[i]);
	}
	if (!cs) {
		error_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		cs[i].cli = cli;
		cs[i].mu = &mu;
		cs[i].no_trunc = no_trunc;
	}
	if (no_stream) {
		char *errors = NULL;
		for (size_t i = 0; i < n; i++)
			if (fetch_stats(&cs[i], false) < 0)
				cli_defer_error(&errors, &cs[i].err);
		if (errors) {
			code = cli_flush_errors(cli, errors);
			goto out;
		}
		if (print_rows(cli, cs, n, format, &mu, false, &err) < 0)
			goto fail;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		pthread_t th;
		if (pthread_create(&th, NULL, reader_main, &cs[i]) == 0)
			pthread_detach(th);
	}
	/* Redraws until interrupted, as docker does; the readers die with us. */
	for (;;) {
		usleep(500000);
		pthread_mutex_lock(&mu);
		size_t done = 0;
		for (size_t i = 0; i < n; i++)
			if (cs[i].done && cs[i].err.code && args->n) {
				pthread_mutex_unlock(&mu);
				err = cs[i].err;
				cs[i].err = (struct error)ERROR_INIT;
				goto fail;
			} else if (cs[i].done) {
				done++;
			}
		pthread_mutex_unlock(&mu);
		if (print_rows(cli, cs, n, format, &mu, true, &err) < 0)
			goto fail;
		if (n && done == n && !all)
			break;
	}
	goto out;
fail:
	code = cli_fail(cli, &err);
	error_clear(&err);
out:
	if (no_stream && cs) {
		for (size_t i = 0; i < n; i++) {
			free(cs[i].arg);
			free(cs[i].line);
			json_decref(cs[i].row);
			error_clear(&cs[i].err);
		}
		free(cs);
	}
	return code;
}

int cli_cmd_stats(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool all = false, no_stream = false, no_trunc = false;
	const char *format = NULL;
	struct cli_flag flags[] = {
	    {"all", 'a', CLI_FLAG_BOOL, &all, NULL,
	     "Show all containers (default shows just running)", false},
	    {"format", 0, CLI_FLAG_STRING, &format, "string", cli_table_format_help, false},
	    {"no-stream", 0, CLI_FLAG_BOOL, &no_stream, NULL,
	     "Disable streaming stats and only pull the first result", false},
	    {"no-trunc", 0, CLI_FLAG_BOOL, &no_trunc, NULL, "Do not truncate output", false},
	};
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {
	    .summary = "Display a live stream of container(s) resource usage statistics",
	    .usage = "[OPTIONS] [CONTAINER...]"};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = stats_run(cli, &args, all, no_stream, no_trunc, format);
	cli_strv_free(&args);
	return code;
}

/* --- update --------------------------------------------------------------------- */

struct update_opts {
	const char *memory, *memory_swap, *cpus, *cpu_shares, *pids_limit, *restart;
};

static int update_body(const struct update_opts *o, json_t **ret, char *msg, size_t len)
{
	struct error err = ERROR_INIT;
	_cleanup_(cli_json_decrefp) json_t *b = json_object();
	int64_t v;
	const char *bad = NULL, *flag = NULL;
	if (o->memory && cli_parse_ram(o->memory, &v, &err) < 0)
		bad = o->memory, flag = "-m, --memory";
	else if (o->memory)
		json_object_set_new(b, "Memory", json_integer(v));
	if (!bad && o->memory_swap && strcmp(o->memory_swap, "-1") &&
	    cli_parse_ram(o->memory_swap, &v, &err) < 0)
		bad = o->memory_swap, flag = "--memory-swap";
	else if (!bad && o->memory_swap)
		json_object_set_new(b, "MemorySwap",
				    json_integer(strcmp(o->memory_swap, "-1") ? v : -1));
	if (!bad && o->cpus && cli_parse_cpus(o->cpus, &v, &err) < 0)
		bad = o->cpus, flag = "--cpus";
	else if (!bad && o->cpus)
		json_object_set_new(b, "NanoCpus", json_integer(v));
	char *end;
	if (!bad && o->cpu_shares) {
		long long x = strtoll(o->cpu_shares, &end, 10);
		if (!*o->cpu_shares || *end)
			bad = o->cpu_shares, flag = "-c, --cpu-shares";
		json_object_set_new(b, "CpuShares", json_integer(x));
	}
	if (!bad && o->pids_limit) {
		long long x = strtoll(o->pids_limit, &end, 10);
		if (!*o->pids_limit || *end)
			bad = o->pids_limit, flag = "--pids-limit";
		json_object_set_new(b, "PidsLimit", json_integer(x));
	}
	if (bad && !err.code)
		error_set(&err, -EINVAL, "strconv.ParseInt: parsing \"%s\": invalid syntax", bad);
	if (bad) {
		snprintf(msg, len, "invalid argument \"%s\" for \"%s\" flag: %s", bad, flag,
			 error_msg(&err));
		error_clear(&err);
		return -EINVAL;
	}
	json_t *policy = NULL;
	if (o->restart && cli_restart_policy(o->restart, false, &policy, &err) < 0) {
		snprintf(msg, len, "%s", error_msg(&err));
		error_clear(&err);
		return -EINVAL;
	}
	if (policy)
		json_object_set_new(b, "RestartPolicy", policy);
	*ret = TAKE_PTR(b);
	return 0;
}

int cli_cmd_update(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct update_opts o = {0};
	struct cli_flag flags[] = {
	    {"cpu-shares", 'c', CLI_FLAG_STRING, &o.cpu_shares, "int",
	     "CPU shares (relative weight)", false},
	    {"cpus", 0, CLI_FLAG_STRING, &o.cpus, "decimal", "Number of CPUs", false},
	    {"memory", 'm', CLI_FLAG_STRING, &o.memory, "bytes", "Memory limit", false},
	    {"memory-swap", 0, CLI_FLAG_STRING, &o.memory_swap, "bytes",
	     "Swap limit equal to memory plus swap: -1 to enable unlimited swap", false},
	    {"pids-limit", 0, CLI_FLAG_STRING, &o.pids_limit, "int",
	     "Tune container pids limit (set -1 for unlimited)", false},
	    {"restart", 0, CLI_FLAG_STRING, &o.restart, "string",
	     "Restart policy to apply when a container exits", false},
	};
	struct cli_strv args = {0};
	_cleanup_(cli_json_decrefp) json_t *body = NULL;
	const struct cli_cmd_spec spec = {.summary =
					      "Update configuration of one or more containers",
					  .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
					  .arity = CLI_ARGS_MIN,
					  .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code >= 0)
		goto out;
	char msg[1024];
	if (update_body(&o, &body, msg, sizeof(msg)) < 0) {
		_cleanup_free_ char *usage = NULL;
		if (asprintf(&usage, "%s [OPTIONS] CONTAINER [CONTAINER...]", cmd_path) < 0)
			usage = NULL;
		code = cli_usage_error(cli, cmd_path, usage ? usage : cmd_path, msg);
		goto out;
	}
	if (json_object_size(body) == 0) {
		fprintf(cli->err, "you must provide one or more flags when using this command\n");
		code = CLI_EXIT_FAILURE;
		goto out;
	}
	char *errors = NULL;
	for (size_t i = 0; i < args.n; i++) {
		struct error err = ERROR_INIT;
		_cleanup_free_ char *esc = query_escape(args.v[i]), *path = NULL;
		_cleanup_(cli_json_decrefp) json_t *resp = NULL;
		struct client c;
		int r = esc && asprintf(&path, "/containers/%s/update", esc) >= 0
			    ? client_init(&c, cli, &err)
			    : error_set(&err, -ENOMEM, "out of memory");
		if (r >= 0) {
			r = client_request_json(&c, "POST", path, NULL, body, &resp, &err);
			client_done(&c);
		}
		json_t *w;
		size_t j;
		json_array_foreach(json_object_get(resp, "Warnings"), j, w)
		    fprintf(cli->err, "%s\n", json_string_value(w));
		if (r < 0)
			cli_defer_error(&errors, &err);
		else
			fprintf(cli->out, "%s\n", args.v[i]);
	}
	code = cli_flush_errors(cli, errors);
out:
	cli_strv_free(&args);
	return code;
}
