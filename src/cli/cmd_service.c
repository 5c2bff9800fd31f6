/* `berth service`: create, inspect, ls, ps, rm, scale and rollback with
 * docker's flags, tables and messages; and the task table `berth node ps`
 * shares (cli_print_tasks). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/inspect.h"
#include "cli/query.h"
#include "cli/registry_auth.h"
#include "cli/service_progress.h"
#include "cli/service_refs.h"
#include "cli/table.h"

static const char *js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static json_t *jget(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	return b ? json_object_get(v, b) : v;
}

static int get_service(const struct cli *cli, const char *name, json_t **ret, struct error *err)
{
	_cleanup_free_ char *p = query_path("/services/%s", name);
	if (!p)
		return error_set(err, -ENOMEM, "out of memory");
	return cli_call(cli, "GET", p, NULL, NULL, ret, err);
}

/* The image without the digest the CLI pins (docker's ls shows the tag). */
static void short_image(const char *img, char *buf, size_t len)
{
	snprintf(buf, len, "%s", img);
	char *at = strchr(buf, '@');
	if (at)
		*at = '\0';
}

/* ---- ls ---- */

static json_t *service_row(json_t *s)
{
	json_t *spec = json_object_get(s, "Spec"), *mode = json_object_get(spec, "Mode");
	json_t *st = json_object_get(s, "ServiceStatus");
	char id[13], img[512], reps[64];
	snprintf(id, sizeof(id), "%s", js(s, "ID"));
	short_image(js(jget(jget(spec, "TaskTemplate", NULL), "ContainerSpec", NULL), "Image"), img,
		    sizeof(img));
	snprintf(reps, sizeof(reps), "%lld/%lld",
		 (long long)json_integer_value(json_object_get(st, "RunningTasks")),
		 (long long)json_integer_value(json_object_get(st, "DesiredTasks")));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id, "Name", js(spec, "Name"),
			 "Mode", json_object_get(mode, "Global") ? "global" : "replicated",
			 "Replicas", reps, "Image", img, "Ports", "");
}

static int cmp_service(const void *a, const void *b)
{
	return strcmp(js(json_object_get(*(json_t *const *)a, "Spec"), "Name"),
		      js(json_object_get(*(json_t *const *)b, "Spec"), "Name"));
}

static json_t *sorted_copy(json_t *arr, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(arr);
	_cleanup_free_ json_t **v = calloc(n + 1, sizeof(*v));
	json_t *out = json_array();
	for (size_t i = 0; v && i < n; i++)
		v[i] = json_array_get(arr, i);
	if (v)
		qsort(v, n, sizeof(*v), cmp);
	for (size_t i = 0; v && i < n; i++)
		json_array_append(out, v[i]);
	return out;
}

static int service_ls(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *format = NULL;
	bool quiet = false;
	struct cli_strv filters = {0}, args = {0};
	const struct cli_flag flags[] = {
	    {"filter", 'f', CLI_FLAG_LIST, &filters, "filter",
	     "Filter output based on conditions provided", false},
	    {"format", 0, CLI_FLAG_STRING, &format, "string", cli_table_format_help, false},
	    {"quiet", 'q', CLI_FLAG_BOOL, &quiet, NULL, "Only display IDs", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "List services",
						 .aliases = "berth service ls, berth service list",
						 .no_args = true};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		struct error err = ERROR_INIT;
		struct table t;
		struct query q = {0};
		_cleanup_free_ char *fj = NULL;
		_cleanup_(cli_json_decrefp) json_t *resp = NULL, *sorted = NULL;
		const char *def = quiet ? "{{.ID}}"
					: "table {{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}\t{{."
					  "Image}}\t{{.Ports}}";
		if (table_init(&t, format, def, &err) < 0) {
			code = cli_fail_clear(cli, &err);
		} else {
			query_add(&q, "status", "true");
			if (query_filters_json(&filters, &fj, &err) < 0 ||
			    (fj && query_add(&q, "filters", fj) < 0) ||
			    cli_call(cli, "GET", "/services", &q, NULL, &resp, &err) < 0) {
				code = cli_fail_clear(cli, &err);
			} else {
				sorted = sorted_copy(resp, cmp_service);
				code = cli_print_rows(
				    cli, &t, sorted, service_row,
				    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "ID", "Name",
					      "NAME", "Mode", "MODE", "Replicas", "REPLICAS",
					      "Image", "IMAGE", "Ports", "PORTS"));
			}
			table_done(&t);
		}
		query_done(&q);
	}
	cli_strv_free(&filters);
	cli_strv_free(&args);
	return code;
}

/* ---- ps (and node ps) ---- */

struct task_ctx {
	const struct cli *cli;
	json_t *names; /* service ID -> name; node ID -> hostname */
	bool no_trunc;
};

static const char *cached_name(struct task_ctx *tc, const char *kind, const char *id)
{
	char key[128];
	snprintf(key, sizeof(key), "%s/%s", kind, id);
	json_t *v = json_object_get(tc->names, key);
	if (v)
		return json_string_value(v);
	_cleanup_(cli_json_decrefp) json_t *obj = NULL;
	_cleanup_free_ char *p =
	    query_path(strcmp(kind, "node") == 0 ? "/nodes/%s" : "/services/%s", id);
	struct error err = ERROR_INIT;
	const char *name = id;
	if (p && cli_call(tc->cli, "GET", p, NULL, NULL, &obj, &err) == 0)
		name = strcmp(kind, "node") == 0
			   ? js(json_object_get(obj, "Description"), "Hostname")
			   : js(json_object_get(obj, "Spec"), "Name");
	error_clear(&err);
	json_object_set_new(tc->names, key, json_string(name));
	return json_string_value(json_object_get(tc->names, key));
}

static char *slot_key(struct task_ctx *tc, json_t *t)
{
	char *k = NULL;
	json_int_t slot = json_integer_value(json_object_get(t, "Slot"));
	if (asprintf(&k, "%s.%010lld.%s", cached_name(tc, "service", js(t, "ServiceID")),
		     (long long)slot, slot ? "" : js(t, "NodeID")) < 0)
		return NULL;
	return k;
}

static int64_t ts_of(const char *rfc3339)
{
	int64_t ns = 0;
	if (time_parse_user_timestamp(rfc3339, 0, &ns) < 0)
		return 0;
	return ns;
}

static struct task_ctx *sort_ctx;

static int cmp_task(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	_cleanup_free_ char *kx = slot_key(sort_ctx, x), *ky = slot_key(sort_ctx, y);
	int c = strcmp(kx ? kx : "", ky ? ky : "");
	if (c)
		return c;
	int64_t tx = ts_of(js(x, "CreatedAt")), ty = ts_of(js(y, "CreatedAt"));
	return tx < ty ? 1 : tx > ty ? -1 : 0;
}

static void title(const char *s, char *out, size_t n)
{
	snprintf(out, n, "%s", s);
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

static json_t *task_row(struct task_ctx *tc, json_t *t, bool history)
{
	char id[32], name[256], desired[32], state[32], cur[96], ago[64], img[512], err[512];
	json_t *st = json_object_get(t, "Status");
	const char *svc = cached_name(tc, "service", js(t, "ServiceID"));
	json_int_t slot = json_integer_value(json_object_get(t, "Slot"));
	snprintf(id, sizeof(id), tc->no_trunc ? "%s" : "%.12s", js(t, "ID"));
	if (slot)
		snprintf(name, sizeof(name), "%s%s.%lld", history ? " \\_ " : "", svc,
			 (long long)slot);
	else
		snprintf(name, sizeof(name), "%s%s.%s", history ? " \\_ " : "", svc,
			 js(t, "NodeID"));
	title(js(t, "DesiredState"), desired, sizeof(desired));
	title(js(st, "State"), state, sizeof(state));
	table_human_ago(ts_of(js(st, "Timestamp")), time_now_ns(), ago, sizeof(ago));
	snprintf(cur, sizeof(cur), "%s %s", state, ago);
	short_image(js(jget(t, "Spec", "ContainerSpec"), "Image"), img, sizeof(img));
	const char *e = js(st, "Err");
	if (!tc->no_trunc && strlen(e) > 29)
		snprintf(err, sizeof(err), "\"%.26s…\"", e);
	else
		snprintf(err, sizeof(err), *e ? "\"%s\"" : "%s", e);
	const char *node = js(t, "NodeID");
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id, "Name", name,
			 "Image", img, "Node", *node ? cached_name(tc, "node", node) : "",
			 "DesiredState", desired, "CurrentState", cur, "Error", err, "Ports", "");
}

/* Prints tasks as docker's service ps and node ps do: grouped by slot,
 * newest first, older ones as " \_ " history lines. */
static int print_tasks(const struct cli *cli, json_t *tasks, const char *format, bool quiet,
		       bool no_trunc)
{
	struct error err = ERROR_INIT;
	struct table t;
	const char *def = quiet
			      ? "{{.ID}}"
			      : "table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}"
				"\t{{.CurrentState}}\t{{.Error}}\t{{.Ports}}";
	if (table_init(&t, format, def, &err) < 0)
		return cli_fail_clear(cli, &err);
	struct task_ctx tc = {cli, json_object(), no_trunc};
	sort_ctx = &tc;
	_cleanup_(cli_json_decrefp) json_t *sorted = sorted_copy(tasks, cmp_task);
	int r = 0;
	_cleanup_free_ char *prev = NULL;
	size_t i;
	json_t *task;
	json_array_foreach(sorted, i, task)
	{
		_cleanup_free_ char *k = slot_key(&tc, task);
		bool history = prev && k && strcmp(prev, k) == 0;
		json_t *row = task_row(&tc, task, history);
		if (r == 0)
			r = table_row(&t, row, &err);
		json_decref(row);
		free(prev);
		prev = TAKE_PTR(k);
	}
	int code = CLI_EXIT_OK;
	json_t *headers =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "ID", "Name", "NAME",
		      "Image", "IMAGE", "Node", "NODE", "DesiredState", "DESIRED STATE",
		      "CurrentState", "CURRENT STATE", "Error", "ERROR", "Ports", "PORTS");
	_cleanup_free_ char *out = r < 0 ? NULL : table_render(&t, headers, &err);
	json_decref(headers);
	if (!out)
		code = cli_fail_clear(cli, &err);
	else
		fputs(out, cli->out);
	json_decref(tc.names);
	sort_ctx = NULL;
	table_done(&t);
	return code;
}

static int tasks_run(struct cli *cli, const char *filter_key, const char *id,
		     const struct cli_strv *filters, const char *format, bool quiet, bool no_trunc)
{
	struct error err = ERROR_INIT;
	struct cli_strv all = {0};
	_cleanup_free_ char *f0 = NULL, *fj = NULL;
	if (asprintf(&f0, "%s=%s", filter_key, id) < 0)
		return CLI_EXIT_FAILURE;
	cli_strv_push(&all, f0);
	for (size_t i = 0; i < filters->n; i++)
		cli_strv_push(&all, filters->v[i]);
	struct query q = {0};
	_cleanup_(cli_json_decrefp) json_t *tasks = NULL;
	int code;
	if (query_filters_json(&all, &fj, &err) < 0 || (fj && query_add(&q, "filters", fj) < 0) ||
	    cli_call(cli, "GET", "/tasks", &q, NULL, &tasks, &err) < 0)
		code = cli_fail_clear(cli, &err);
	else
		code = print_tasks(cli, tasks, format, quiet, no_trunc);
	query_done(&q);
	cli_strv_free(&all);
	return code;
}

static int ps_common(struct cli *cli, const char *cmd_path, int argc, char **argv, bool node)
{
	const char *format = NULL;
	bool quiet = false, no_trunc = false, no_resolve = false;
	struct cli_strv filters = {0}, args = {0};
	const struct cli_flag flags[] = {
	    {"filter", 'f', CLI_FLAG_LIST, &filters, "filter",
	     "Filter output based on conditions provided", false},
	    {"format", 0, CLI_FLAG_STRING, &format, "string",
	     "Pretty-print tasks using a Go template", false},
	    {"no-resolve", 0, CLI_FLAG_BOOL, &no_resolve, NULL, "Do not map IDs to Names", false},
	    {"no-trunc", 0, CLI_FLAG_BOOL, &no_trunc, NULL, "Do not truncate output", false},
	    {"quiet", 'q', CLI_FLAG_BOOL, &quiet, NULL, "Only display task IDs", false},
	};
	static const struct cli_cmd_spec svc_spec = {
	    "List the tasks of one or more services", NULL,	    false,
	    "[OPTIONS] SERVICE [SERVICE...]",	      CLI_ARGS_MIN, 1};
	static const struct cli_cmd_spec node_spec = {
	    "List tasks running on one or more nodes, defaults to current node",
	    NULL,
	    false,
	    "[OPTIONS] [NODE...]",
	    CLI_ARGS_MIN,
	    0};
	int code = cli_cmd_parse(cli, cmd_path, node ? &node_spec : &svc_spec, flags,
				 ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		struct error err = ERROR_INIT;
		const char *ref = args.n ? args.v[0] : "self";
		_cleanup_(cli_json_decrefp) json_t *obj = NULL;
		_cleanup_free_ char *p = query_path(node ? "/nodes/%s" : "/services/%s", ref);
		if (node && strcmp(ref, "self") == 0) {
			_cleanup_(cli_json_decrefp) json_t *info = NULL;
			if (cli_call(cli, "GET", "/info", NULL, NULL, &info, &err) == 0)
				obj = json_pack("{s:s}", "ID",
						js(json_object_get(info, "Swarm"), "NodeID"));
		} else if (p) {
			cli_call(cli, "GET", p, NULL, NULL, &obj, &err);
		}
		if (!obj) {
			if (!node && err.code == -ENOENT) {
				error_clear(&err);
				error_set(&err, -ENOENT, "no such service: %s", ref);
			}
			code = cli_fail_clear(cli, &err);
		} else {
			code = tasks_run(cli, node ? "node" : "service", js(obj, "ID"), &filters,
					 format, quiet, no_trunc);
		}
	}
	cli_strv_free(&filters);
	cli_strv_free(&args);
	return code;
}

static int service_ps(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return ps_common(cli, cmd_path, argc, argv, false);
}

int cli_cmd_node_ps(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return ps_common(cli, cmd_path, argc, argv, true);
}

/* ---- inspect, rm ---- */

static int inspect_one(struct client *c, const char *name, json_t **ret, struct error *err)
{
	_cleanup_free_ char *p = query_path("/services/%s", name);
	if (!p)
		return error_set(err, -ENOMEM, "out of memory");
	int r = client_request_json(c, "GET", p, NULL, NULL, ret, err);
	if (r == -ENOENT) {
		error_clear(err);
		r = error_set(err, -ENOENT, "no such service: %s", name);
	}
	return r;
}

static int service_inspect(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *format = NULL;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"format", 'f', CLI_FLAG_STRING, &format, "string", cli_format_help, false},
	};
	static const struct cli_cmd_spec spec = {
	    "Display detailed information on one or more services",
	    NULL,
	    false,
	    "[OPTIONS] SERVICE [SERVICE...]",
	    CLI_ARGS_MIN,
	    1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = cli_inspect_run(cli, format, &args, inspect_one);
	cli_strv_free(&args);
	return code;
}

static int service_rm(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct cli_strv args = {0};
	static const struct cli_cmd_spec spec = {"Remove one or more services", NULL,	      false,
						 "SERVICE [SERVICE...]",	CLI_ARGS_MIN, 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, NULL, 0, argc, argv, &args);
	if (code < 0) {
		char *errors = NULL;
		for (size_t i = 0; i < args.n; i++) {
			struct error err = ERROR_INIT;
			_cleanup_(cli_json_decrefp) json_t *svc = NULL;
			_cleanup_free_ char *p = NULL;
			if (get_service(cli, args.v[i], &svc, &err) == 0 &&
			    (p = query_path("/services/%s", js(svc, "ID"))) &&
			    cli_call(cli, "DELETE", p, NULL, NULL, NULL, &err) == 0)
				fprintf(cli->out, "%s\n", args.v[i]);
			else
				cli_defer_error(&errors, &err);
		}
		code = cli_flush_errors(cli, errors);
	}
	cli_strv_free(&args);
	return code;
}

/* ---- update-like: scale, rollback ---- */

static int post_update(const struct cli *cli, json_t *svc, json_t *spec, bool rollback,
		       struct error *err)
{
	char version[32];
	snprintf(version, sizeof(version), "%lld",
		 (long long)json_integer_value(jget(svc, "Version", "Index")));
	struct query q = {0};
	query_add(&q, "version", version);
	if (rollback)
		query_add(&q, "rollback", "previous");
	_cleanup_free_ char *p = query_path("/services/%s/update", js(svc, "ID"));
	int r = p ? cli_call(cli, "POST", p, &q, spec, NULL, err)
		  : error_set(err, -ENOMEM, "out of memory");
	query_done(&q);
	return r;
}

static int service_scale(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool detach = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"detach", 'd', CLI_FLAG_BOOL, &detach, NULL,
	     "Exit immediately instead of waiting for the service to converge", false},
	};
	static const struct cli_cmd_spec spec = {
	    "Scale one or multiple replicated services", NULL,	       false,
	    "SERVICE=REPLICAS [SERVICE=REPLICAS...]",	 CLI_ARGS_MIN, 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		char *errors = NULL;
		/* As docker: every service is scaled, then each one waited for. */
		_cleanup_(cli_json_decrefp) json_t *scaled = json_array();
		for (size_t i = 0; i < args.n; i++) {
			struct error err = ERROR_INIT;
			const char *eq = strchr(args.v[i], '=');
			char *end = NULL;
			long long n = eq ? strtoll(eq + 1, &end, 10) : -1;
			if (!eq || eq == args.v[i] || !*(eq + 1) || *end || n < 0) {
				error_set(&err, -EINVAL,
					  "Invalid scale specifier '%s'.\nSee 'berth service scale "
					  "--help'.",
					  args.v[i]);
				cli_defer_error(&errors, &err);
				continue;
			}
			_cleanup_free_ char *name = strndup(args.v[i], (size_t)(eq - args.v[i]));
			_cleanup_(cli_json_decrefp) json_t *svc = NULL;
			if (get_service(cli, name, &svc, &err) < 0) {
				cli_defer_error(&errors, &err);
				continue;
			}
			json_t *nspec = json_deep_copy(json_object_get(svc, "Spec"));
			json_t *rep = jget(json_object_get(nspec, "Mode"), "Replicated", NULL);
			if (!rep) {
				json_decref(nspec);
				error_set(
				    &err, -EINVAL,
				    "scale can only be used with replicated or replicated-job "
				    "mode");
				cli_defer_error(&errors, &err);
				continue;
			}
			json_object_set_new(rep, "Replicas", json_integer(n));
			if (post_update(cli, svc, nspec, false, &err) == 0) {
				fprintf(cli->out, "%s scaled to %lld\n", name, n);
				json_array_append_new(
				    scaled,
				    json_pack("{s:s, s:s}", "id", js(svc, "ID"), "name", name));
			} else {
				cli_defer_error(&errors, &err);
			}
			json_decref(nspec);
		}
		size_t k;
		json_t *one;
		json_array_foreach(scaled, k, one)
		{
			struct error err = ERROR_INIT;
			if (!detach && cli_service_progress(cli, js(one, "id"), js(one, "name"),
							    false, &err) < 0) {
				error_wrap(&err, "%s", js(one, "name"));
				cli_defer_error(&errors, &err);
			}
		}
		code = cli_flush_errors(cli, errors);
	}
	cli_strv_free(&args);
	return code;
}

static int service_rollback(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool detach = false, quiet = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"detach", 'd', CLI_FLAG_BOOL, &detach, NULL,
	     "Exit immediately instead of waiting for the service to converge", false},
	    {"quiet", 'q', CLI_FLAG_BOOL, &quiet, NULL, "Suppress progress output", false},
	};
	static const struct cli_cmd_spec spec = {"Revert changes to a service's configuration",
						 NULL,
						 false,
						 "[OPTIONS] SERVICE",
						 CLI_ARGS_EXACT,
						 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		struct error err = ERROR_INIT;
		_cleanup_(cli_json_decrefp) json_t *svc = NULL;
		if (get_service(cli, args.v[0], &svc, &err) < 0 ||
		    post_update(cli, svc, json_object_get(svc, "Spec"), true, &err) < 0) {
			code = cli_fail_clear(cli, &err);
		} else {
			fprintf(cli->out, "%s\n", args.v[0]);
			code = detach || cli_service_progress(cli, js(svc, "ID"), args.v[0], quiet,
							      &err) == 0
				   ? CLI_EXIT_OK
				   : cli_fail_clear(cli, &err);
		}
	}
	cli_strv_free(&args);
	return code;
}

static const struct cli_subcommand service_subs[] = {
    {"create", NULL, "Create a new service", cli_cmd_service_create},
    {"inspect", NULL, "Display detailed information on one or more services", service_inspect},
    {"logs", NULL, "Fetch the logs of a service or task", cli_cmd_service_logs},
    {"ls", "list", "List services", service_ls},
    {"ps", NULL, "List the tasks of one or more services", service_ps},
    {"rm", "remove", "Remove one or more services", service_rm},
    {"rollback", NULL, "Revert changes to a service's configuration", service_rollback},
    {"scale", NULL, "Scale one or multiple replicated services", service_scale},
    {"update", NULL, "Update a service", cli_cmd_service_update},
};

int cli_cmd_service(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return cli_run_group(cli, cmd_path, "Manage Swarm services", service_subs,
			     ARRAY_SIZE(service_subs), argc, argv);
}
