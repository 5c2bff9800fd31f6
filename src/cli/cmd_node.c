/* `berth node`: ls, inspect, rm, promote, demote and update, with docker's
 * flags, table and messages. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/inspect.h"
#include "cli/query.h"
#include "cli/table.h"

static const char *js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* "ready" -> "Ready", as docker's node table. */
static void title(const char *s, char *out, size_t n)
{
	snprintf(out, n, "%s", s);
	if (out[0])
		out[0] = (char)toupper((unsigned char)out[0]);
}

static int cmp_host(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(js(json_object_get(x, "Description"), "Hostname"),
		       js(json_object_get(y, "Description"), "Hostname"));
	return c ? c : strcmp(js(x, "ID"), js(y, "ID"));
}

static void print_row(FILE *f, const char *c[6])
{
	fprintf(f, "%-29s %-10s %-9s %-14s %-16s %s\n", c[0], c[1], c[2], c[3], c[4], c[5]);
}

/* The fields of docker's node formatter for one node. */
static json_t *node_row(json_t *nd, const char *self)
{
	json_t *ms = json_object_get(nd, "ManagerStatus");
	char st[32], av[32], mst[32], tls[32];
	title(js(json_object_get(nd, "Status"), "State"), st, sizeof(st));
	title(js(json_object_get(nd, "Spec"), "Availability"), av, sizeof(av));
	if (json_is_true(json_object_get(ms, "Leader")))
		snprintf(mst, sizeof(mst), "Leader");
	else
		title(js(ms, "Reachability"), mst, sizeof(mst));
	snprintf(tls, sizeof(tls), "Ready");
	json_t *desc = json_object_get(nd, "Description");
	return json_pack("{s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", js(nd, "ID"), "Self",
			 strcmp(js(nd, "ID"), self) == 0, "Hostname", js(desc, "Hostname"),
			 "Status", st, "Availability", av, "ManagerStatus", mst, "EngineVersion",
			 js(json_object_get(desc, "Engine"), "EngineVersion"), "TLSStatus", tls);
}

static json_t *row_identity(json_t *row)
{
	return json_incref(row);
}

/* The default table (docker's marks the node itself with "*" after its ID,
 * which berth's templates cannot say) or a --format. */
static int print_nodes(struct cli *cli, json_t *rows, const char *format, bool quiet)
{
	if (format && *format && strcmp(format, "table") != 0) {
		struct table t;
		struct error err = ERROR_INIT;
		if (table_init(&t, format, NULL, &err) < 0)
			return cli_fail_clear(cli, &err);
		int code = cli_print_rows(
		    cli, &t, rows, row_identity,
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "ID", "Self", "",
			      "Hostname", "HOSTNAME", "Status", "STATUS", "Availability",
			      "AVAILABILITY", "ManagerStatus", "MANAGER STATUS", "EngineVersion",
			      "ENGINE VERSION", "TLSStatus", "TLS STATUS"));
		table_done(&t);
		return code;
	}
	const char *head[6] = {"ID",	       "HOSTNAME",	 "STATUS",
			       "AVAILABILITY", "MANAGER STATUS", "ENGINE VERSION"};
	if (!quiet)
		print_row(cli->out, head);
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
	{
		if (quiet) {
			fprintf(cli->out, "%s\n", js(r, "ID"));
			continue;
		}
		char id[64];
		snprintf(id, sizeof(id), "%s%s", js(r, "ID"),
			 json_is_true(json_object_get(r, "Self")) ? " *" : "");
		const char *row[6] = {id,
				      js(r, "Hostname"),
				      js(r, "Status"),
				      js(r, "Availability"),
				      js(r, "ManagerStatus"),
				      js(r, "EngineVersion")};
		print_row(cli->out, row);
	}
	return CLI_EXIT_OK;
}

static int node_ls(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool quiet = false;
	const char *format = NULL;
	struct cli_strv filters = {0}, args = {0};
	const struct cli_flag flags[] = {
	    {"filter", 'f', CLI_FLAG_LIST, &filters, "filter",
	     "Filter output based on conditions provided", false},
	    {"format", 0, CLI_FLAG_STRING, &format, "string", cli_table_format_help, false},
	    {"quiet", 'q', CLI_FLAG_BOOL, &quiet, NULL, "Only display IDs", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "List nodes in the swarm",
						 .aliases = "berth node ls, berth node list",
						 .no_args = true};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	_cleanup_free_ char *fj = NULL;
	struct query q = {0};
	struct error err = ERROR_INIT;
	_cleanup_(cli_json_decrefp) json_t *nodes = NULL, *info = NULL, *rows = json_array();
	if (code < 0) {
		if (query_filters_json(&filters, &fj, &err) < 0 ||
		    (fj && query_add(&q, "filters", fj) < 0) ||
		    cli_call(cli, "GET", "/nodes", &q, NULL, &nodes, &err) < 0 ||
		    cli_call(cli, "GET", "/info", NULL, NULL, &info, &err) < 0)
			code = cli_fail_clear(cli, &err);
	}
	if (code < 0) {
		const char *self = js(json_object_get(info, "Swarm"), "NodeID");
		size_t n = json_array_size(nodes);
		_cleanup_free_ json_t **v = calloc(n + 1, sizeof(*v));
		for (size_t i = 0; v && i < n; i++)
			v[i] = json_array_get(nodes, i);
		if (v)
			qsort(v, n, sizeof(*v), cmp_host);
		for (size_t i = 0; v && i < n; i++)
			json_array_append_new(rows, node_row(v[i], self));
		code = print_nodes(cli, rows, quiet && !format ? NULL : format, quiet);
	}
	query_done(&q);
	cli_strv_free(&filters);
	cli_strv_free(&args);
	return code;
}

static int inspect_one(struct client *c, const char *name, json_t **ret, struct error *err)
{
	_cleanup_free_ char *esc = query_escape(name);
	_cleanup_free_ char *path = NULL;
	if (!esc || asprintf(&path, "/nodes/%s", esc) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return client_request_json(c, "GET", path, NULL, NULL, ret, err);
}

static int node_inspect(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *format = NULL;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"format", 'f', CLI_FLAG_STRING, &format, "string", cli_format_help, false},
	};
	static const struct cli_cmd_spec spec = {
	    "Display detailed information on one or more nodes",
	    NULL,
	    false,
	    "[OPTIONS] self|NODE [NODE...]",
	    CLI_ARGS_MIN,
	    1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		struct error err = ERROR_INIT;
		_cleanup_(cli_json_decrefp) json_t *info = NULL;
		struct cli_strv names = {0};
		for (size_t i = 0; i < args.n; i++) {
			if (strcmp(args.v[i], "self") == 0 && !info &&
			    cli_call(cli, "GET", "/info", NULL, NULL, &info, &err) < 0) {
				cli_strv_free(&args);
				cli_strv_free(&names);
				return cli_fail_clear(cli, &err);
			}
			cli_strv_push(&names, strcmp(args.v[i], "self") == 0
						  ? js(json_object_get(info, "Swarm"), "NodeID")
						  : args.v[i]);
		}
		code = cli_inspect_run(cli, format, &names, inspect_one);
		cli_strv_free(&names);
	}
	cli_strv_free(&args);
	return code;
}

static int node_rm(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool force = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"force", 'f', CLI_FLAG_BOOL, &force, NULL, "Force remove a node from the swarm",
	     false},
	};
	static const struct cli_cmd_spec spec = {"Remove one or more nodes from the swarm",
						 "berth node rm, berth node remove",
						 false,
						 "[OPTIONS] NODE [NODE...]",
						 CLI_ARGS_MIN,
						 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		struct query q = {0};
		if (force)
			query_add(&q, "force", "1");
		char *errors = NULL;
		struct error err = ERROR_INIT;
		for (size_t i = 0; i < args.n; i++) {
			_cleanup_free_ char *esc = query_escape(args.v[i]);
			_cleanup_free_ char *path = NULL;
			if (!esc || asprintf(&path, "/nodes/%s", esc) < 0)
				break;
			if (cli_call(cli, "DELETE", path, &q, NULL, NULL, &err) < 0)
				cli_defer_error(&errors, &err);
			else
				fprintf(cli->out, "%s\n", args.v[i]);
		}
		query_done(&q);
		code = cli_flush_errors(cli, errors);
	}
	cli_strv_free(&args);
	return code;
}

/* Reads the node, lets change() edit its spec, and posts it back. */
static int update_node(struct cli *cli, const char *name, int (*change)(json_t *spec, void *data),
		       void *data)
{
	struct error err = ERROR_INIT;
	_cleanup_(cli_json_decrefp) json_t *node = NULL;
	_cleanup_free_ char *esc = query_escape(name);
	_cleanup_free_ char *path = NULL, *upath = NULL;
	if (!esc || asprintf(&path, "/nodes/%s", esc) < 0 ||
	    asprintf(&upath, "/nodes/%s/update", esc) < 0)
		return CLI_EXIT_FAILURE;
	if (cli_call(cli, "GET", path, NULL, NULL, &node, &err) < 0)
		return cli_fail_clear(cli, &err);
	json_t *spec = json_object_get(node, "Spec");
	int r = change(spec, data);
	if (r < 0)
		return CLI_EXIT_FAILURE;
	char ver[32];
	snprintf(ver, sizeof(ver), "%lld",
		 (long long)json_integer_value(
		     json_object_get(json_object_get(node, "Version"), "Index")));
	struct query q = {0};
	query_add(&q, "version", ver);
	r = cli_call(cli, "POST", upath, &q, spec, NULL, &err);
	query_done(&q);
	return r < 0 ? cli_fail_clear(cli, &err) : CLI_EXIT_OK;
}

static int set_role(json_t *spec, void *data)
{
	json_object_set_new(spec, "Role", json_string(data));
	return 0;
}

static int role_cmd(struct cli *cli, const char *cmd_path, int argc, char **argv, const char *role)
{
	struct cli_strv args = {0};
	bool promote = strcmp(role, "manager") == 0;
	const struct cli_cmd_spec spec = {
	    promote ? "Promote one or more nodes to manager in the swarm"
		    : "Demote one or more nodes from manager in the swarm",
	    NULL,
	    false,
	    "NODE [NODE...]",
	    CLI_ARGS_MIN,
	    1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, NULL, 0, argc, argv, &args);
	for (size_t i = 0; code < 0 && i < args.n; i++) {
		if (update_node(cli, args.v[i], set_role, (void *)role) != CLI_EXIT_OK) {
			code = CLI_EXIT_FAILURE;
			break;
		}
		fprintf(cli->out,
			promote ? "Node %s promoted to a manager in the swarm.\n"
				: "Manager %s demoted in the swarm.\n",
			args.v[i]);
	}
	cli_strv_free(&args);
	return code < 0 ? CLI_EXIT_OK : code;
}

static int node_promote(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return role_cmd(cli, cmd_path, argc, argv, "manager");
}

static int node_demote(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return role_cmd(cli, cmd_path, argc, argv, "worker");
}

struct update_opts {
	const char *availability, *role;
	struct cli_strv add, rm;
};

static int apply_update(json_t *spec, void *data)
{
	struct update_opts *o = data;
	if (o->availability)
		json_object_set_new(spec, "Availability", json_string(o->availability));
	if (o->role)
		json_object_set_new(spec, "Role", json_string(o->role));
	json_t *labels = json_object_get(spec, "Labels");
	if (!json_is_object(labels)) {
		labels = json_object();
		json_object_set_new(spec, "Labels", labels);
	}
	for (size_t i = 0; i < o->add.n; i++) {
		const char *eq = strchr(o->add.v[i], '=');
		_cleanup_free_ char *k =
		    eq ? strndup(o->add.v[i], (size_t)(eq - o->add.v[i])) : strdup(o->add.v[i]);
		json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
	}
	for (size_t i = 0; i < o->rm.n; i++)
		json_object_del(labels, o->rm.v[i]);
	return 0;
}

static int node_update(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct update_opts o = {0};
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"availability", 0, CLI_FLAG_STRING, &o.availability, "string",
	     "Availability of the node (\"active\", \"pause\", \"drain\")", false},
	    {"label-add", 0, CLI_FLAG_LIST, &o.add, "list",
	     "Add or update a node label (key=value)", false},
	    {"label-rm", 0, CLI_FLAG_LIST, &o.rm, "list", "Remove a node label if exists", false},
	    {"role", 0, CLI_FLAG_STRING, &o.role, "string",
	     "Role of the node (\"worker\", \"manager\")", false},
	};
	static const struct cli_cmd_spec spec = {"Update a node",  NULL,	   false,
						 "[OPTIONS] NODE", CLI_ARGS_EXACT, 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		code = update_node(cli, args.v[0], apply_update, &o);
		if (code == CLI_EXIT_OK)
			fprintf(cli->out, "%s\n", args.v[0]);
	}
	cli_strv_free(&o.add);
	cli_strv_free(&o.rm);
	cli_strv_free(&args);
	return code;
}

static const struct cli_subcommand node_subs[] = {
    {"demote", NULL, "Demote one or more nodes from manager in the swarm", node_demote},
    {"inspect", NULL, "Display detailed information on one or more nodes", node_inspect},
    {"ls", "list", "List nodes in the swarm", node_ls},
    {"promote", NULL, "Promote one or more nodes to manager in the swarm", node_promote},
    {"ps", NULL, "List tasks running on one or more nodes, defaults to current node",
     cli_cmd_node_ps},
    {"rm", "remove", "Remove one or more nodes from the swarm", node_rm},
    {"update", NULL, "Update a node", node_update},
};

int cli_cmd_node(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return cli_run_group(cli, cmd_path, "Manage Swarm nodes", node_subs, ARRAY_SIZE(node_subs),
			     argc, argv);
}
