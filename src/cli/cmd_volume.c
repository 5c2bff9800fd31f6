/* `berth volume`: create, ls, inspect, rm and prune, with docker's flags,
 * tables and messages. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/inspect.h"
#include "cli/query.h"
#include "cli/table.h"

/* "-o k=v" as docker's map option: a value without '=' is a key with "". */
static int opts_object(const struct cli_strv *opts, json_t **ret)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < opts->n; i++) {
		const char *eq = strchr(opts->v[i], '=');
		_cleanup_free_ char *k = eq ? strndup(opts->v[i], (size_t)(eq - opts->v[i]))
					    : strdup(opts->v[i]);
		if (!k || json_object_set_new(o, k, json_string(eq ? eq + 1 : "")) < 0) {
			json_decref(o);
			return -ENOMEM;
		}
	}
	*ret = o;
	return o ? 0 : -ENOMEM;
}

static int create_run(struct cli *cli, const char *name, const char *driver,
		      const struct cli_strv *opts, const struct cli_strv *labels)
{
	json_t *o = NULL, *l = NULL;
	if (opts_object(opts, &o) < 0 || opts_object(labels, &l) < 0) {
		json_decref(o);
		return CLI_EXIT_FAILURE;
	}
	_cleanup_(cli_json_decrefp) json_t *body =
	    json_pack("{s:s, s:s, s:o, s:o}", "Name", name ? name : "", "Driver",
		      driver ? driver : "local", "DriverOpts", o, "Labels", l);
	_cleanup_(cli_json_decrefp) json_t *vol = NULL;
	struct error err = ERROR_INIT;
	struct client c;
	int r = client_init(&c, cli, &err);
	if (r >= 0)
		r = client_request_json(&c, "POST", "/volumes/create", NULL, body, &vol, &err);
	client_done(&c);
	if (r < 0)
		return cli_fail_clear(cli, &err);
	fprintf(cli->out, "%s\n", json_string_value(json_object_get(vol, "Name")));
	return CLI_EXIT_OK;
}

static int volume_create(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *driver = "local", *name = NULL;
	struct cli_strv labels = {0}, opts = {0}, args = {0};
	const struct cli_flag flags[] = {
	    {"driver", 'd', CLI_FLAG_STRING, &driver, "string",
	     "Specify volume driver name (default \"local\")", false},
	    {"label", 0, CLI_FLAG_LIST, &labels, "list", "Set metadata for a volume", false},
	    {"name", 0, CLI_FLAG_STRING, &name, "string", "Specify volume name", true},
	    {"opt", 'o', CLI_FLAG_LIST, &opts, "map", "Set driver specific options (default map[])",
	     false},
	};
	static const struct cli_cmd_spec spec = {"Create a volume", NULL, false, "[OPTIONS] [VOLUME]",
						 CLI_ARGS_MAX, 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0 && args.n == 1 && name && *name) {
		fprintf(cli->err, "conflicting options: cannot specify a volume-name through both "
				  "--name and as a positional arg\n");
		code = CLI_EXIT_FAILURE;
	}
	if (code < 0)
		code = create_run(cli, args.n ? args.v[0] : name, driver, &opts, &labels);
	cli_strv_free(&labels);
	cli_strv_free(&opts);
	cli_strv_free(&args);
	return code;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* docker's Labels column: "k=v" joined by commas (sorted here: Go's map
 * order is random, so any order is docker's). */
char *cli_labels_string(json_t *labels)
{
	size_t n = json_object_size(labels), i = 0;
	_cleanup_free_ const char **keys = calloc(n + 1, sizeof(*keys));
	if (!keys)
		return NULL;
	const char *k;
	json_t *v;
	json_object_foreach(labels, k, v) keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	struct buf_like {
		char *s;
		size_t len;
	} b = {calloc(1, 1), 0};
	for (i = 0; b.s && i < n; i++) {
		const char *val = json_string_value(json_object_get(labels, keys[i]));
		char *ns = NULL;
		if (asprintf(&ns, "%s%s%s=%s", b.s, i ? "," : "", keys[i], val ? val : "") < 0)
			ns = NULL;
		free(b.s);
		b.s = ns;
	}
	return b.s;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* The fields of docker's volumeContext, keys sorted as its JSON shows them. */
json_t *cli_volume_row(json_t *v)
{
	_cleanup_free_ char *labels = cli_labels_string(json_object_get(v, "Labels"));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Availability",
			 "N/A", "Driver", jstr(v, "Driver"), "Group", "N/A", "Labels",
			 labels ? labels : "", "Links", "N/A", "Mountpoint", jstr(v, "Mountpoint"),
			 "Name", jstr(v, "Name"), "Scope", jstr(v, "Scope"), "Size", "N/A",
			 "Status", "N/A");
}

static json_t *volume_headers(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Availability",
			 "AVAILABILITY", "Driver", "DRIVER", "Group", "GROUP", "Labels", "LABELS",
			 "Links", "LINKS", "Mountpoint", "MOUNTPOINT", "Name", "VOLUME NAME",
			 "Scope", "SCOPE", "Size", "SIZE", "Status", "STATUS");
}

static int cmp_volume(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "Name"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "Name"));
	return strcmp(x ? x : "", y ? y : "");
}

int cli_print_rows(const struct cli *cli, struct table *t, json_t *items,
		   json_t *(*to_row)(json_t *), json_t *headers)
{
	struct error err = ERROR_INIT;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		_cleanup_(cli_json_decrefp) json_t *row = to_row(it);
		if (!row || table_row(t, row, &err) < 0) {
			json_decref(headers);
			return err.msg ? cli_fail_clear(cli, &err) : CLI_EXIT_FAILURE;
		}
	}
	_cleanup_free_ char *out = table_render(t, headers, &err);
	json_decref(headers);
	if (!out)
		return cli_fail_clear(cli, &err);
	fputs(out, cli->out);
	return CLI_EXIT_OK;
}

static int ls_run(struct cli *cli, const char *format, bool quiet, const struct cli_strv *filters)
{
	struct error err = ERROR_INIT;
	struct table t;
	const char *def = quiet ? "{{.Name}}" : "table {{.Driver}}\t{{.Name}}";
	if (table_init(&t, format, def, &err) < 0)
		return cli_fail_clear(cli, &err);
	struct query q = {0};
	_cleanup_free_ char *fj = NULL;
	_cleanup_(cli_json_decrefp) json_t *resp = NULL;
	struct client c;
	int r = query_filters_json(filters, &fj, &err);
	if (r >= 0 && fj)
		r = query_add(&q, "filters", fj);
	if (r >= 0 && (r = client_init(&c, cli, &err)) >= 0) {
		r = client_request_json(&c, "GET", "/volumes", &q, NULL, &resp, &err);
		client_done(&c);
	}
	query_done(&q);
	int code = CLI_EXIT_FAILURE;
	if (r < 0) {
		code = err.msg ? cli_fail_clear(cli, &err) : CLI_EXIT_FAILURE;
	} else {
		json_t *vols = json_object_get(resp, "Volumes");
		size_t n = json_array_size(vols);
		_cleanup_free_ json_t **sorted = calloc(n + 1, sizeof(*sorted));
		_cleanup_(cli_json_decrefp) json_t *arr = json_array();
		for (size_t i = 0; sorted && i < n; i++)
			sorted[i] = json_array_get(vols, i);
		if (sorted)
			qsort(sorted, n, sizeof(*sorted), cmp_volume);
		for (size_t i = 0; sorted && arr && i < n; i++)
			json_array_append(arr, sorted[i]);
		code = cli_print_rows(cli, &t, arr, cli_volume_row, volume_headers());
	}
	table_done(&t);
	return code;
}

static int volume_ls(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *format = NULL;
	bool quiet = false;
	struct cli_strv filters = {0}, args = {0};
	const struct cli_flag flags[] = {
	    {"filter", 'f', CLI_FLAG_LIST, &filters, "filter",
	     "Provide filter values (e.g. \"dangling=true\")", false},
	    {"format", 0, CLI_FLAG_STRING, &format, "string", cli_table_format_help, false},
	    {"quiet", 'q', CLI_FLAG_BOOL, &quiet, NULL, "Only display volume names", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "List volumes",
						 .aliases = "berth volume ls, berth volume list",
						 .no_args = true};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = ls_run(cli, format, quiet, &filters);
	cli_strv_free(&filters);
	cli_strv_free(&args);
	return code;
}

static int inspect_one(struct client *c, const char *name, json_t **ret, struct error *err)
{
	_cleanup_free_ char *esc = query_escape(name);
	_cleanup_free_ char *path = NULL;
	if (!esc || asprintf(&path, "/volumes/%s", esc) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return client_request_json(c, "GET", path, NULL, NULL, ret, err);
}

static int volume_inspect(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *format = NULL;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"format", 'f', CLI_FLAG_STRING, &format, "string", cli_format_help, false},
	};
	static const struct cli_cmd_spec spec = {"Display detailed information on one or more "
						 "volumes",
						 NULL, false, "[OPTIONS] VOLUME [VOLUME...]",
						 CLI_ARGS_MIN, 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = cli_inspect_run(cli, format, &args, inspect_one);
	cli_strv_free(&args);
	return code;
}

static int rm_run(struct cli *cli, const struct cli_strv *names, bool force)
{
	struct error err = ERROR_INIT;
	struct client c;
	if (client_init(&c, cli, &err) < 0)
		return cli_fail_clear(cli, &err);
	struct query q = {0};
	if (force)
		query_add(&q, "force", "1");
	char *errors = NULL;
	for (size_t i = 0; i < names->n; i++) {
		_cleanup_free_ char *esc = query_escape(names->v[i]);
		_cleanup_free_ char *path = NULL;
		if (!esc || asprintf(&path, "/volumes/%s", esc) < 0)
			break;
		if (client_request_json(&c, "DELETE", path, &q, NULL, NULL, &err) < 0) {
			cli_defer_error(&errors, &err);
			continue;
		}
		fprintf(cli->out, "%s\n", names->v[i]);
	}
	query_done(&q);
	client_done(&c);
	return cli_flush_errors(cli, errors);
}

static int volume_rm(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool force = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"force", 'f', CLI_FLAG_BOOL, &force, NULL,
	     "Force the removal of one or more volumes", false},
	};
	static const struct cli_cmd_spec spec = {"Remove one or more volumes. You cannot remove a "
						 "volume that is in use by a container.",
						 "berth volume rm, berth volume remove", false,
						 "[OPTIONS] VOLUME [VOLUME...]", CLI_ARGS_MIN, 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = rm_run(cli, &args, force);
	cli_strv_free(&args);
	return code;
}

/* Prints docker's prune report: the deleted list (when any) and the total. */
void cli_print_prune_report(const struct cli *cli, const char *heading, json_t *deleted,
			    double reclaimed)
{
	if (json_array_size(deleted)) {
		fprintf(cli->out, "%s\n", heading);
		size_t i;
		json_t *v;
		json_array_foreach(deleted, i, v) fprintf(cli->out, "%s\n", json_string_value(v));
		fputc('\n', cli->out);
	}
	char size[32];
	table_human_size4(reclaimed, size, sizeof(size));
	fprintf(cli->out, "Total reclaimed space: %s\n", size);
}

static int prune_run(struct cli *cli, const struct cli_strv *filters)
{
	struct error err = ERROR_INIT;
	struct query q = {0};
	_cleanup_free_ char *fj = NULL;
	_cleanup_(cli_json_decrefp) json_t *resp = NULL;
	struct client c;
	int r = query_filters_json(filters, &fj, &err);
	if (r >= 0 && fj)
		r = query_add(&q, "filters", fj);
	if (r >= 0 && (r = client_init(&c, cli, &err)) >= 0) {
		r = client_request_json(&c, "POST", "/volumes/prune", &q, NULL, &resp, &err);
		client_done(&c);
	}
	query_done(&q);
	if (r < 0)
		return err.msg ? cli_fail_clear(cli, &err) : CLI_EXIT_FAILURE;
	cli_print_prune_report(cli, "Deleted Volumes:", json_object_get(resp, "VolumesDeleted"),
			       (double)json_integer_value(json_object_get(resp, "SpaceReclaimed")));
	return CLI_EXIT_OK;
}

static int volume_prune(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool force = false;
	struct cli_strv filters = {0}, args = {0};
	const struct cli_flag flags[] = {
	    {"filter", 0, CLI_FLAG_LIST, &filters, "filter",
	     "Provide filter values (e.g. \"label=<label>\")", false},
	    {"force", 'f', CLI_FLAG_BOOL, &force, NULL, "Do not prompt for confirmation", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "Remove unused local volumes",
						 .no_args = true};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	/* We speak API 1.41, where prune removes every unused volume. */
	if (code < 0 && !force &&
	    !cli_confirm(cli, "WARNING! This will remove all local volumes not used by at least "
			      "one container."))
		code = CLI_EXIT_OK;
	if (code < 0)
		code = prune_run(cli, &filters);
	cli_strv_free(&filters);
	cli_strv_free(&args);
	return code;
}

static const struct cli_subcommand subcommands[] = {
    {"create", NULL, "Create a volume", volume_create},
    {"inspect", NULL, "Display detailed information on one or more volumes", volume_inspect},
    {"ls", "list", "List volumes", volume_ls},
    {"prune", NULL, "Remove unused local volumes", volume_prune},
    {"rm", "remove", "Remove one or more volumes", volume_rm},
};

int cli_cmd_volume(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return cli_run_group(cli, cmd_path, "Manage volumes", subcommands, ARRAY_SIZE(subcommands),
			     argc, argv);
}
