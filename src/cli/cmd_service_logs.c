/* `berth service logs SERVICE|TASK` as docker's: the service (or, when no
 * service has that name, the task) is looked up first; the daemon sends
 * each line with the com.docker.swarm.* details, which become the
 * "name.slot.task@node    | " prefix (names looked up once each). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/query.h"

#define SWARM_CTX "com.docker.swarm."

struct slog_opts {
	bool details, follow, no_resolve, no_task_ids, no_trunc, raw, timestamps;
	const char *since, *tail;
};

struct slog_out {
	const struct cli *cli;
	const struct slog_opts *o;
	int padding;	  /* digits of the replica count (or the task's slot) */
	json_t *prefixes; /* "node/service/task" -> formatted prefix */
	unsigned char hdr[8];
	size_t hdr_len;
	char *frame;
	size_t frame_len, frame_need;
	int stream;
	struct error *err;
};

static const char *js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static json_t *get(const struct cli *cli, const char *fmt, const char *id, struct error *err)
{
	_cleanup_free_ char *p = query_path(fmt, id);
	json_t *v = NULL;
	if (!p) {
		error_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	if (cli_call(cli, "GET", p, NULL, NULL, &v, err) < 0)
		return NULL;
	return v;
}

static int digits(long long v)
{
	char b[32];
	return snprintf(b, sizeof(b), "%lld", v);
}

/* docker's taskFormatter: service.slot[.task]@node, padded to the width of
 * the largest slot. */
static const char *prefix_of(struct slog_out *so, const char *node, const char *service,
			     const char *task)
{
	char key[256];
	snprintf(key, sizeof(key), "%s/%s/%s", node, service, task);
	json_t *v = json_object_get(so->prefixes, key);
	if (v)
		return json_string_value(v);
	struct error e = ERROR_INIT;
	_cleanup_(cli_json_decrefp) json_t *n = NULL, *s = NULL, *t = NULL;
	if (!so->o->no_resolve) {
		n = get(so->cli, "/nodes/%s", node, &e);
		error_clear(&e);
		s = get(so->cli, "/services/%s", service, &e);
		error_clear(&e);
	}
	t = get(so->cli, "/tasks/%s", task, &e);
	error_clear(&e);
	const char *node_name = n ? js(json_object_get(n, "Description"), "Hostname") : node;
	const char *svc_name = s ? js(json_object_get(s, "Spec"), "Name") : service;
	long long slot = json_integer_value(json_object_get(t, "Slot"));
	char out[512];
	int len = snprintf(out, sizeof(out), "%s.%lld", svc_name, slot);
	if (!so->o->no_task_ids)
		len += snprintf(out + len, sizeof(out) - (size_t)len, ".%.*s",
				so->o->no_trunc ? 64 : 12, task);
	len += snprintf(out + len, sizeof(out) - (size_t)len, "@%s", node_name);
	for (int pad = so->padding - digits(slot); pad > 0 && len < (int)sizeof(out) - 1; pad--)
		out[len++] = ' ';
	out[len] = '\0';
	json_object_set_new(so->prefixes, key, json_string(out));
	return json_string_value(json_object_get(so->prefixes, key));
}

/* One line: [timestamp ]details message. */
static int print_line(struct slog_out *so, const char *p, size_t n)
{
	FILE *f = so->stream == 2 ? so->cli->err : so->cli->out;
	if (so->o->raw && !so->o->details) {
		fwrite(p, 1, n, f);
		return 0;
	}
	const char *ts = NULL, *end = p + n;
	size_t ts_len = 0;
	if (so->o->timestamps) {
		const char *sp = memchr(p, ' ', n);
		if (!sp)
			return error_set(so->err, -EPROTO, "invalid context in log message: %.*s",
					 (int)n, p);
		ts = p, ts_len = (size_t)(sp - p);
		p = sp + 1;
	}
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp)
		return error_set(so->err, -EPROTO, "invalid context in log message: %.*s", (int)n,
				 p);
	char details[512];
	snprintf(details, sizeof(details), "%.*s", (int)(sp - p), p);
	const char *ctx[3] = {NULL, NULL, NULL};
	static const char *const keys[3] = {SWARM_CTX "node.id", SWARM_CTX "service.id",
					    SWARM_CTX "task.id"};
	char rest[512] = "";
	char *save = NULL;
	for (char *kv = strtok_r(details, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq)
			continue;
		*eq = '\0';
		size_t k;
		for (k = 0; k < 3 && strcmp(kv, keys[k]) != 0; k++)
			;
		if (k < 3) {
			ctx[k] = eq + 1;
		} else {
			*eq = '=';
			size_t rl = strlen(rest);
			snprintf(rest + rl, sizeof(rest) - rl, "%s%s", rl ? "," : "", kv);
		}
	}
	if (!ctx[0] || !ctx[1] || !ctx[2])
		return error_set(so->err, -EPROTO, "missing %s in details: %.*s",
				 !ctx[0]   ? "node id"
				 : !ctx[1] ? "service id"
					   : "task id",
				 (int)(sp - p), p);
	if (ts)
		fprintf(f, "%.*s ", (int)ts_len, ts);
	if (!so->o->raw)
		fprintf(f, "%s    | ", prefix_of(so, ctx[0], ctx[1], ctx[2]));
	if (so->o->details && *rest)
		fprintf(f, "%s ", rest);
	fwrite(sp + 1, 1, (size_t)(end - sp - 1), f);
	return 0;
}

static int frame_done(struct slog_out *so)
{
	int r = 0;
	if (so->stream == 3)
		r = error_set(so->err, -EIO, "error from daemon in stream: %.*s",
			      (int)so->frame_len, so->frame);
	else
		r = print_line(so, so->frame, so->frame_len);
	fflush(so->stream == 2 ? so->cli->err : so->cli->out);
	so->frame_len = so->frame_need = 0;
	return r;
}

static int on_data(const char *p, size_t n, void *userdata)
{
	struct slog_out *so = userdata;
	while (n) {
		if (so->frame_need == 0) {
			size_t take = 8 - so->hdr_len < n ? 8 - so->hdr_len : n;
			memcpy(so->hdr + so->hdr_len, p, take);
			so->hdr_len += take, p += take, n -= take;
			if (so->hdr_len < 8)
				continue;
			so->hdr_len = 0;
			so->stream = so->hdr[0];
			so->frame_need = (size_t)so->hdr[4] << 24 | (size_t)so->hdr[5] << 16 |
					 (size_t)so->hdr[6] << 8 | so->hdr[7];
			char *b = realloc(so->frame, so->frame_need + 1);
			if (!b)
				return error_set(so->err, -ENOMEM, "out of memory");
			so->frame = b;
			so->frame_len = 0;
			if (so->frame_need == 0)
				continue;
		}
		size_t take =
		    so->frame_need - so->frame_len < n ? so->frame_need - so->frame_len : n;
		memcpy(so->frame + so->frame_len, p, take);
		so->frame_len += take, p += take, n -= take;
		if (so->frame_len == so->frame_need) {
			int r = frame_done(so);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* A tty service's output is raw, as docker copies it. */
static int on_raw(const char *p, size_t n, void *userdata)
{
	struct slog_out *so = userdata;
	fwrite(p, 1, n, so->cli->out);
	fflush(so->cli->out);
	return 0;
}

static int service_logs_run(const struct cli *cli, const char *target, const struct slog_opts *o,
			    struct error *err)
{
	struct slog_out so = {.cli = cli, .o = o, .padding = 1, .err = err};
	const char *kind = "/services/%s/logs";
	bool tty;
	_cleanup_(cli_json_decrefp) json_t *svc = get(cli, "/services/%s", target, err),
					   *task = NULL;
	if (svc) {
		json_t *spec = json_object_get(svc, "Spec");
		json_t *reps = json_object_get(
		    json_object_get(json_object_get(spec, "Mode"), "Replicated"), "Replicas");
		if (reps)
			so.padding = digits(json_integer_value(reps));
		tty = json_is_true(json_object_get(
		    json_object_get(json_object_get(spec, "TaskTemplate"), "ContainerSpec"),
		    "TTY"));
	} else {
		if (err->code != -ENOENT)
			return err->code;
		error_clear(err);
		task = get(cli, "/tasks/%s", target, err);
		if (!task) {
			if (err->code != -ENOENT)
				return err->code;
			error_clear(err);
			return error_set(err, -ENOENT, "no such task or service: %s", target);
		}
		kind = "/tasks/%s/logs";
		so.padding = digits(json_integer_value(json_object_get(task, "Slot")));
		tty = json_is_true(json_object_get(
		    json_object_get(json_object_get(task, "Spec"), "ContainerSpec"), "TTY"));
	}
	_cleanup_free_ char *path = query_path(kind, target);
	if (!path)
		return error_set(err, -ENOMEM, "out of memory");
	struct query q = {0};
	query_add(&q, "stdout", "1");
	query_add(&q, "stderr", "1");
	if (o->since)
		query_add(&q, "since", o->since);
	if (o->timestamps)
		query_add(&q, "timestamps", "1");
	if (o->follow)
		query_add(&q, "follow", "1");
	query_add(&q, "tail", o->tail);
	/* The details carry the context the prefix is made of. */
	if (o->details || !o->raw)
		query_add(&q, "details", "1");
	so.prefixes = json_object();
	struct client c;
	int r = client_init(&c, cli, err);
	if (r >= 0)
		r = client_stream(&c, path, &q, tty ? on_raw : on_data, &so, err);
	client_done(&c);
	query_done(&q);
	json_decref(so.prefixes);
	free(so.frame);
	return r;
}

int cli_cmd_service_logs(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct slog_opts o = {.tail = "all"};
	struct cli_flag flags[] = {
	    {"details", 0, CLI_FLAG_BOOL, &o.details, NULL, "Show extra details provided to logs",
	     false},
	    {"follow", 'f', CLI_FLAG_BOOL, &o.follow, NULL, "Follow log output", false},
	    {"no-resolve", 0, CLI_FLAG_BOOL, &o.no_resolve, NULL,
	     "Do not map IDs to Names in output", false},
	    {"no-task-ids", 0, CLI_FLAG_BOOL, &o.no_task_ids, NULL,
	     "Do not include task IDs in output", false},
	    {"no-trunc", 0, CLI_FLAG_BOOL, &o.no_trunc, NULL, "Do not truncate output", false},
	    {"raw", 0, CLI_FLAG_BOOL, &o.raw, NULL, "Do not neatly format logs", false},
	    {"since", 0, CLI_FLAG_STRING, &o.since, "string",
	     "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative\n(e.g. \"42m\" "
	     "for 42 minutes)",
	     false},
	    {"tail", 'n', CLI_FLAG_STRING, &o.tail, "string",
	     "Number of lines to show from the end of the logs (default \"all\")", false},
	    {"timestamps", 't', CLI_FLAG_BOOL, &o.timestamps, NULL, "Show timestamps", false},
	};
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {.summary = "Fetch the logs of a service or task",
					  .usage = "[OPTIONS] SERVICE|TASK",
					  .arity = CLI_ARGS_EXACT,
					  .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		struct error err = ERROR_INIT;
		code = service_logs_run(cli, args.v[0], &o, &err) < 0 ? cli_fail_clear(cli, &err)
								      : CLI_EXIT_OK;
	}
	cli_strv_free(&args);
	return code;
}
