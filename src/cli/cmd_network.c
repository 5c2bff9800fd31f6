/* `berth network` (create, ls, inspect, rm, connect, disconnect, prune) and
 * `berth port`, with docker's flags, tables and messages. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/inspect.h"
#include "cli/query.h"
#include "cli/table.h"

char *cli_labels_string(json_t *labels);
int cli_print_rows(const struct cli *cli, struct table *t, json_t *items,
		   json_t *(*to_row)(json_t *), json_t *headers);

static char *net_path(const char *name, const char *suffix)
{
	_cleanup_free_ char *esc = query_escape(name);
	char *p = NULL;
	return esc && asprintf(&p, "/networks/%s%s", esc, suffix) >= 0 ? p : NULL;
}

static json_t *kv_object(const struct cli_strv *sv)
{
	json_t *o = json_object();
	for (size_t i = 0; i < sv->n; i++) {
		const char *eq = strchr(sv->v[i], '=');
		_cleanup_free_ char *k =
		    eq ? strndup(sv->v[i], (size_t)(eq - sv->v[i])) : strdup(sv->v[i]);
		if (k)
			json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
	}
	return o;
}

/* IPAM.Config from --subnet, --gateway, --ip-range: one entry per subnet,
 * a gateway or range going with the subnet of its family (the daemon checks
 * that it lies inside). */
static json_t *ipam_configs(const struct cli_strv *subnets, const struct cli_strv *gateways,
			    const struct cli_strv *ranges)
{
	json_t *cfg = json_array();
	size_t n = subnets->n ? subnets->n : (gateways->n || ranges->n);
	for (size_t i = 0; i < n; i++) {
		const char *sub = i < subnets->n ? subnets->v[i] : NULL;
		bool v6 = sub && strchr(sub, ':');
		json_t *c = json_object();
		if (sub)
			json_object_set_new(c, "Subnet", json_string(sub));
		for (size_t k = 0; k < gateways->n; k++)
			if (!sub || (strchr(gateways->v[k], ':') != NULL) == v6)
				json_object_set_new(c, "Gateway", json_string(gateways->v[k]));
		for (size_t k = 0; k < ranges->n; k++)
			if (!sub || (strchr(ranges->v[k], ':') != NULL) == v6)
				json_object_set_new(c, "IPRange", json_string(ranges->v[k]));
		json_array_append_new(cfg, c);
	}
	return cfg;
}

static int network_create(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *driver = "bridge";
	bool internal = false, attachable = false, ipv6 = false;
	struct cli_strv labels = {0}, opts = {0}, args = {0}, subnets = {0}, gateways = {0},
			ranges = {0};
	const struct cli_flag flags[] = {
	    {"attachable", 0, CLI_FLAG_BOOL, &attachable, NULL,
	     "Enable manual container attachment", false},
	    {"driver", 'd', CLI_FLAG_STRING, &driver, "string",
	     "Driver to manage the Network (default \"bridge\")", false},
	    {"gateway", 0, CLI_FLAG_LIST, &gateways, "strings",
	     "IPv4 or IPv6 Gateway for the master subnet", false},
	    {"internal", 0, CLI_FLAG_BOOL, &internal, NULL,
	     "Restrict external access to the network", false},
	    {"ip-range", 0, CLI_FLAG_LIST, &ranges, "strings",
	     "Allocate container ip from a sub-range", false},
	    {"ipv6", 0, CLI_FLAG_BOOL, &ipv6, NULL, "Enable or disable IPv6 networking", false},
	    {"label", 0, CLI_FLAG_LIST, &labels, "list", "Set metadata on a network", false},
	    {"opt", 'o', CLI_FLAG_LIST, &opts, "map", "Set driver specific options (default map[])",
	     false},
	    {"subnet", 0, CLI_FLAG_LIST, &subnets, "strings",
	     "Subnet in CIDR format that represents a network segment", false},
	};
	static const struct cli_cmd_spec spec = {"Create a network",  NULL,	      false,
						 "[OPTIONS] NETWORK", CLI_ARGS_EXACT, 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		json_t *cfg = ipam_configs(&subnets, &gateways, &ranges);
		_cleanup_(cli_json_decrefp) json_t *body = json_pack(
		    "{s:s, s:b, s:s, s:b, s:b, s:{s:s, s:o}, s:o, s:o}", "Name", args.v[0],
		    "CheckDuplicate", 1, "Driver", driver, "Internal", internal, "Attachable",
		    attachable, "IPAM", "Driver", "default", "Config", cfg, "Options",
		    kv_object(&opts), "Labels", kv_object(&labels));
		if (body && ipv6)
			json_object_set_new(body, "EnableIPv6", json_true());
		_cleanup_(cli_json_decrefp) json_t *resp = NULL;
		struct error err = ERROR_INIT;
		if (cli_call(cli, "POST", "/networks/create", NULL, body, &resp, &err) < 0) {
			code = cli_fail_clear(cli, &err);
		} else {
			fprintf(cli->out, "%s\n", json_string_value(json_object_get(resp, "Id")));
			code = CLI_EXIT_OK;
		}
	}
	cli_strv_free(&labels);
	cli_strv_free(&opts);
	cli_strv_free(&args);
	cli_strv_free(&subnets);
	cli_strv_free(&gateways);
	cli_strv_free(&ranges);
	return code;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static json_t *network_row(json_t *n)
{
	char id[13];
	snprintf(id, sizeof(id), "%.12s", jstr(n, "Id"));
	_cleanup_free_ char *labels = cli_labels_string(json_object_get(n, "Labels"));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id, "Name",
			 jstr(n, "Name"), "Driver", jstr(n, "Driver"), "Scope", jstr(n, "Scope"),
			 "IPv6", json_is_true(json_object_get(n, "EnableIPv6")) ? "true" : "false",
			 "Internal",
			 json_is_true(json_object_get(n, "Internal")) ? "true" : "false", "Labels",
			 labels ? labels : "", "CreatedAt", jstr(n, "Created"), "IPv4", "true");
}

static int cmp_net(const void *a, const void *b)
{
	return strcmp(jstr(*(json_t *const *)a, "Name"), jstr(*(json_t *const *)b, "Name"));
}

static int network_ls(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *format = NULL;
	bool quiet = false, no_trunc = false;
	struct cli_strv filters = {0}, args = {0};
	const struct cli_flag flags[] = {
	    {"filter", 'f', CLI_FLAG_LIST, &filters, "filter",
	     "Provide filter values (e.g. \"driver=bridge\")", false},
	    {"format", 0, CLI_FLAG_STRING, &format, "string", cli_table_format_help, false},
	    {"no-trunc", 0, CLI_FLAG_BOOL, &no_trunc, NULL, "Do not truncate the output", false},
	    {"quiet", 'q', CLI_FLAG_BOOL, &quiet, NULL, "Only display network IDs", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "List networks",
						 .aliases = "berth network ls, berth network list",
						 .no_args = true};
	/* Before the first goto (see cmd_attach). */
	_cleanup_free_ char *fj = NULL;
	_cleanup_(cli_json_decrefp) json_t *resp = NULL;
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code >= 0)
		goto out;
	struct error err = ERROR_INIT;
	struct table t;
	if (table_init(&t, format,
		       quiet ? "{{.ID}}" : "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
		       &err) < 0) {
		code = cli_fail_clear(cli, &err);
		goto out;
	}
	struct query q = {0};
	int r = query_filters_json(&filters, &fj, &err);
	if (r >= 0 && fj)
		r = query_add(&q, "filters", fj);
	if (r >= 0)
		r = cli_call(cli, "GET", "/networks", &q, NULL, &resp, &err);
	query_done(&q);
	if (r < 0) {
		code = err.msg ? cli_fail_clear(cli, &err) : CLI_EXIT_FAILURE;
	} else {
		size_t n = json_array_size(resp);
		_cleanup_free_ json_t **sorted = calloc(n + 1, sizeof(*sorted));
		_cleanup_(cli_json_decrefp) json_t *arr = json_array();
		for (size_t i = 0; sorted && i < n; i++)
			sorted[i] = json_array_get(resp, i);
		if (sorted)
			qsort(sorted, n, sizeof(*sorted), cmp_net);
		for (size_t i = 0; sorted && i < n; i++) {
			json_t *c = json_deep_copy(sorted[i]);
			if (no_trunc)
				json_object_set_new(c, "Name", json_string(jstr(c, "Name")));
			json_array_append_new(arr, c);
		}
		code = cli_print_rows(cli, &t, arr, network_row,
				      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
						"ID", "NETWORK ID", "Name", "NAME", "Driver",
						"DRIVER", "Scope", "SCOPE", "IPv6", "IPV6",
						"Internal", "INTERNAL", "Labels", "LABELS",
						"CreatedAt", "CREATED AT", "IPv4", "IPV4"));
	}
	table_done(&t);
out:
	cli_strv_free(&filters);
	cli_strv_free(&args);
	return code;
}

static int inspect_one(struct client *c, const char *name, json_t **ret, struct error *err)
{
	_cleanup_free_ char *path = net_path(name, "");
	if (!path)
		return error_set(err, -ENOMEM, "out of memory");
	return client_request_json(c, "GET", path, NULL, NULL, ret, err);
}

static int network_inspect(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *format = NULL;
	bool verbose = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"format", 'f', CLI_FLAG_STRING, &format, "string", cli_format_help, false},
	    {"verbose", 'v', CLI_FLAG_BOOL, &verbose, NULL, "Verbose output for diagnostics",
	     false},
	};
	static const struct cli_cmd_spec spec = {
	    "Display detailed information on one or more networks",
	    NULL,
	    false,
	    "[OPTIONS] NETWORK [NETWORK...]",
	    CLI_ARGS_MIN,
	    1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = cli_inspect_run(cli, format, &args, inspect_one);
	cli_strv_free(&args);
	return code;
}

static int network_rm(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool force = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"force", 'f', CLI_FLAG_BOOL, &force, NULL,
	     "Do not error if the network does not exist", false},
	};
	static const struct cli_cmd_spec spec = {"Remove one or more networks",
						 "berth network rm, berth network remove",
						 false,
						 "NETWORK [NETWORK...]",
						 CLI_ARGS_MIN,
						 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		char *errors = NULL;
		for (size_t i = 0; i < args.n; i++) {
			_cleanup_free_ char *path = net_path(args.v[i], "");
			struct error err = ERROR_INIT;
			if (cli_call(cli, "DELETE", path, NULL, NULL, NULL, &err) < 0) {
				if (force && err.code == -ENOENT)
					error_clear(&err);
				else
					cli_defer_error(&errors, &err);
				continue;
			}
			fprintf(cli->out, "%s\n", args.v[i]);
		}
		code = cli_flush_errors(cli, errors);
	}
	cli_strv_free(&args);
	return code;
}

static int connect_cmd(struct cli *cli, const char *cmd_path, int argc, char **argv, bool connect)
{
	const char *ip = NULL, *ip6 = NULL;
	bool force = false;
	struct cli_strv aliases = {0}, args = {0};
	const struct cli_flag cflags[] = {
	    {"alias", 0, CLI_FLAG_LIST, &aliases, "strings",
	     "Add network-scoped alias for the container", false},
	    {"ip", 0, CLI_FLAG_STRING, &ip, "string", "IPv4 address (e.g., \"172.30.100.104\")",
	     false},
	    {"ip6", 0, CLI_FLAG_STRING, &ip6, "string", "IPv6 address (e.g., \"2001:db8::33\")",
	     false},
	};
	const struct cli_flag dflags[] = {
	    {"force", 'f', CLI_FLAG_BOOL, &force, NULL,
	     "Force the container to disconnect from a network", false},
	};
	static const struct cli_cmd_spec cspec = {
	    "Connect a container to a network", NULL,		false,
	    "[OPTIONS] NETWORK CONTAINER",	CLI_ARGS_EXACT, 2};
	static const struct cli_cmd_spec dspec = {
	    "Disconnect a container from a network", NULL,	     false,
	    "[OPTIONS] NETWORK CONTAINER",	     CLI_ARGS_EXACT, 2};
	int code = connect ? cli_cmd_parse(cli, cmd_path, &cspec, cflags, ARRAY_SIZE(cflags), argc,
					   argv, &args)
			   : cli_cmd_parse(cli, cmd_path, &dspec, dflags, ARRAY_SIZE(dflags), argc,
					   argv, &args);
	if (code < 0) {
		json_t *al = json_array();
		for (size_t i = 0; i < aliases.n; i++)
			json_array_append_new(al, json_string(aliases.v[i]));
		_cleanup_(cli_json_decrefp) json_t *body =
		    connect ? json_pack("{s:s, s:{s:{s:s, s:s}, s:o}}", "Container", args.v[1],
					"EndpointConfig", "IPAMConfig", "IPv4Address", ip ? ip : "",
					"IPv6Address", ip6 ? ip6 : "", "Aliases", al)
			    : json_pack("{s:s, s:b}", "Container", args.v[1], "Force", force);
		if (!connect)
			json_decref(al);
		_cleanup_free_ char *path =
		    net_path(args.v[0], connect ? "/connect" : "/disconnect");
		struct error err = ERROR_INIT;
		code = cli_call(cli, "POST", path, NULL, body, NULL, &err) < 0
			   ? cli_fail_clear(cli, &err)
			   : CLI_EXIT_OK;
	}
	cli_strv_free(&aliases);
	cli_strv_free(&args);
	return code;
}

static int network_connect(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return connect_cmd(cli, cmd_path, argc, argv, true);
}

static int network_disconnect(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return connect_cmd(cli, cmd_path, argc, argv, false);
}

static int network_prune(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool force = false;
	struct cli_strv filters = {0}, args = {0};
	const struct cli_flag flags[] = {
	    {"filter", 0, CLI_FLAG_LIST, &filters, "filter",
	     "Provide filter values (e.g. \"until=<timestamp>\")", false},
	    {"force", 'f', CLI_FLAG_BOOL, &force, NULL, "Do not prompt for confirmation", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "Remove all unused networks",
						 .no_args = true};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0 && !force &&
	    !cli_confirm(cli, "WARNING! This will remove all custom networks not used by at least "
			      "one container."))
		code = CLI_EXIT_OK;
	if (code < 0) {
		struct error err = ERROR_INIT;
		struct query q = {0};
		_cleanup_free_ char *fj = NULL;
		_cleanup_(cli_json_decrefp) json_t *resp = NULL;
		int r = query_filters_json(&filters, &fj, &err);
		if (r >= 0 && fj)
			r = query_add(&q, "filters", fj);
		if (r >= 0)
			r = cli_call(cli, "POST", "/networks/prune", &q, NULL, &resp, &err);
		query_done(&q);
		if (r < 0) {
			code = err.msg ? cli_fail_clear(cli, &err) : CLI_EXIT_FAILURE;
		} else {
			json_t *del = json_object_get(resp, "NetworksDeleted");
			if (json_array_size(del)) {
				fprintf(cli->out, "Deleted Networks:\n");
				size_t i;
				json_t *v;
				json_array_foreach(del, i, v)
				    fprintf(cli->out, "%s\n", json_string_value(v));
			}
			code = CLI_EXIT_OK;
		}
	}
	cli_strv_free(&filters);
	cli_strv_free(&args);
	return code;
}

static const struct cli_subcommand subcommands[] = {
    {"connect", NULL, "Connect a container to a network", network_connect},
    {"create", NULL, "Create a network", network_create},
    {"disconnect", NULL, "Disconnect a container from a network", network_disconnect},
    {"inspect", NULL, "Display detailed information on one or more networks", network_inspect},
    {"ls", "list", "List networks", network_ls},
    {"prune", NULL, "Remove all unused networks", network_prune},
    {"rm", "remove", "Remove one or more networks", network_rm},
};

int cli_cmd_network(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return cli_run_group(cli, cmd_path, "Manage networks", subcommands, ARRAY_SIZE(subcommands),
			     argc, argv);
}

/* ---- berth port ---- */

static int port_run(struct cli *cli, const struct cli_strv *args)
{
	_cleanup_free_ char *esc = query_escape(args->v[0]);
	_cleanup_free_ char *path = NULL;
	_cleanup_(cli_json_decrefp) json_t *resp = NULL;
	struct error err = ERROR_INIT;
	if (!esc || asprintf(&path, "/containers/%s/json", esc) < 0 ||
	    cli_call(cli, "GET", path, NULL, NULL, &resp, &err) < 0)
		return err.msg ? cli_fail_clear(cli, &err) : CLI_EXIT_FAILURE;
	json_t *ports = json_object_get(json_object_get(resp, "NetworkSettings"), "Ports");
	char want[32] = "";
	if (args->n == 2)
		snprintf(want, sizeof(want), "%s%s", args->v[1],
			 strchr(args->v[1], '/') ? "" : "/tcp");
	bool found = false;
	const char *k;
	json_t *v;
	json_object_foreach(ports, k, v)
	{
		if (*want && strcmp(k, want) != 0)
			continue;
		size_t i;
		json_t *b;
		json_array_foreach(v, i, b)
		{
			found = true;
			if (*want)
				fprintf(cli->out, "%s:%s\n", jstr(b, "HostIp"),
					jstr(b, "HostPort"));
			else
				fprintf(cli->out, "%s -> %s:%s\n", k, jstr(b, "HostIp"),
					jstr(b, "HostPort"));
		}
	}
	if (*want && !found) {
		fprintf(cli->err, "Error: No public port '%s' published for %s\n", want,
			args->v[0]);
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

int cli_cmd_port(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct cli_strv args = {0};
	static const struct cli_cmd_spec spec = {
	    "List port mappings or a specific mapping for the container",
	    "berth container port, berth port",
	    false,
	    "CONTAINER [PRIVATE_PORT[/PROTO]]",
	    CLI_ARGS_MIN,
	    1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, NULL, 0, argc, argv, &args);
	if (code < 0 && args.n > 2)
		code = cli_usage_error(cli, cmd_path, "CONTAINER [PRIVATE_PORT[/PROTO]]",
				       "requires at most 2 arguments");
	if (code < 0)
		code = port_run(cli, &args);
	cli_strv_free(&args);
	return code;
}
