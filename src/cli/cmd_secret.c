/* `berth secret` and `berth config`: create, ls, inspect and rm, with
 * docker's flags, tables and messages. The two differ in their words and
 * columns only. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/timeutil.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/inspect.h"
#include "cli/query.h"
#include "cli/table.h"

/* What tells the two apart. */
struct kind {
	const char *word;  /* "secret" */
	const char *path;  /* "/secrets" */
	const char *table; /* default ls format */
	const char *headers;
};

static const struct kind secret_kind = {
    "secret", "/secrets", "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.CreatedAt}}\t{{.UpdatedAt}}",
    "{\"ID\":\"ID\",\"Name\":\"NAME\",\"Driver\":\"DRIVER\",\"CreatedAt\":\"CREATED\","
    "\"UpdatedAt\":\"UPDATED\",\"Labels\":\"LABELS\"}"};
static const struct kind config_kind = {
    "config", "/configs", "table {{.ID}}\t{{.Name}}\t{{.CreatedAt}}\t{{.UpdatedAt}}",
    "{\"ID\":\"ID\",\"Name\":\"NAME\",\"CreatedAt\":\"CREATED\",\"UpdatedAt\":\"UPDATED\","
    "\"Labels\":\"LABELS\"}"};

static const char *js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* "k=v" list into an object; a bare "k" is k with "". */
static json_t *labels_object(const struct cli_strv *labels)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < labels->n; i++) {
		const char *eq = strchr(labels->v[i], '=');
		_cleanup_free_ char *k =
		    eq ? strndup(labels->v[i], (size_t)(eq - labels->v[i])) : strdup(labels->v[i]);
		if (k)
			json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
	}
	return o;
}

static char *base64(const char *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data, (int)len);
	return out;
}

static int create_run(struct cli *cli, const struct kind *k, const char *name, const char *file,
		      const struct cli_strv *labels, const char *driver)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	struct error err = ERROR_INIT;
	const char *path = strcmp(file, "-") == 0 ? "/dev/stdin" : file;
	int r = fs_read_file(path, 16 << 20, &data, &len);
	if (r < 0) {
		fprintf(cli->err, "open %s: %s\n", file, strerror(-r));
		return CLI_EXIT_FAILURE;
	}
	_cleanup_free_ char *b64 = base64(data, len);
	_cleanup_(cli_json_decrefp) json_t *body =
	    json_pack("{s:s, s:o, s:s}", "Name", name, "Labels", labels_object(labels), "Data",
		      b64 ? b64 : "");
	if (driver && *driver)
		json_object_set_new(body, "Driver", json_pack("{s:s}", "Name", driver));
	_cleanup_(cli_json_decrefp) json_t *resp = NULL;
	char url[32];
	snprintf(url, sizeof(url), "%s/create", k->path);
	if (cli_call(cli, "POST", url, NULL, body, &resp, &err) < 0)
		return cli_fail_clear(cli, &err);
	fprintf(cli->out, "%s\n", js(resp, "ID"));
	return CLI_EXIT_OK;
}

static int kind_create(struct cli *cli, const struct kind *k, const char *cmd_path, int argc,
		       char **argv)
{
	const char *driver = NULL;
	struct cli_strv labels = {0}, args = {0};
	bool secret = k == &secret_kind;
	const struct cli_flag flags[] = {
	    {"label", 'l', CLI_FLAG_LIST, &labels, "list",
	     secret ? "Secret labels" : "Config labels", false},
	    {"driver", 'd', CLI_FLAG_STRING, &driver, "string", "Secret driver", !secret},
	};
	const struct cli_cmd_spec spec = {secret ? "Create a secret from a file or STDIN as content"
						 : "Create a config from a file or STDIN",
					  NULL,
					  false,
					  secret ? "[OPTIONS] SECRET [file|-]"
						 : "[OPTIONS] CONFIG file|-",
					  secret ? CLI_ARGS_MIN : CLI_ARGS_EXACT,
					  secret ? 1 : 2};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = create_run(cli, k, args.v[0], args.n > 1 ? args.v[1] : "-", &labels, driver);
	cli_strv_free(&labels);
	cli_strv_free(&args);
	return code;
}

static int cmp_name(const void *a, const void *b)
{
	json_t *x = json_object_get(*(json_t *const *)a, "Spec");
	json_t *y = json_object_get(*(json_t *const *)b, "Spec");
	return strcmp(js(x, "Name"), js(y, "Name"));
}

static json_t *row_of(json_t *o)
{
	json_t *spec = json_object_get(o, "Spec");
	char created[64] = "", updated[64] = "";
	int64_t now = time_now_ns(), c = 0, u = 0;
	if (time_parse_user_timestamp(js(o, "CreatedAt"), now, &c) == 0)
		table_human_ago(c, now, created, sizeof(created));
	if (time_parse_user_timestamp(js(o, "UpdatedAt"), now, &u) == 0)
		table_human_ago(u, now, updated, sizeof(updated));
	_cleanup_free_ char *labels = cli_labels_string(json_object_get(spec, "Labels"));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", js(o, "ID"), "Name",
			 js(spec, "Name"), "Driver", js(json_object_get(spec, "Driver"), "Name"),
			 "CreatedAt", created, "UpdatedAt", updated, "Labels",
			 labels ? labels : "");
}

static int ls_run(struct cli *cli, const struct kind *k, const char *format, bool quiet,
		  const struct cli_strv *filters)
{
	struct error err = ERROR_INIT;
	struct table t;
	if (table_init(&t, format, quiet ? "{{.ID}}" : k->table, &err) < 0)
		return cli_fail_clear(cli, &err);
	struct query q = {0};
	_cleanup_free_ char *fj = NULL;
	_cleanup_(cli_json_decrefp) json_t *items = NULL, *sorted = json_array();
	int code = CLI_EXIT_FAILURE;
	if (query_filters_json(filters, &fj, &err) < 0 ||
	    (fj && query_add(&q, "filters", fj) < 0) ||
	    cli_call(cli, "GET", k->path, &q, NULL, &items, &err) < 0) {
		code = err.msg ? cli_fail_clear(cli, &err) : CLI_EXIT_FAILURE;
	} else {
		size_t n = json_array_size(items);
		_cleanup_free_ json_t **v = calloc(n + 1, sizeof(*v));
		for (size_t i = 0; v && i < n; i++)
			v[i] = json_array_get(items, i);
		if (v)
			qsort(v, n, sizeof(*v), cmp_name);
		for (size_t i = 0; v && i < n; i++)
			json_array_append(sorted, v[i]);
		code = cli_print_rows(cli, &t, sorted, row_of, json_loads(k->headers, 0, NULL));
	}
	query_done(&q);
	table_done(&t);
	return code;
}

static int kind_ls(struct cli *cli, const struct kind *k, const char *cmd_path, int argc,
		   char **argv)
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
	char aliases[64];
	snprintf(aliases, sizeof(aliases), "berth %s ls, berth %s list", k->word, k->word);
	const struct cli_cmd_spec spec = {.summary =
					      k == &secret_kind ? "List secrets" : "List configs",
					  .aliases = aliases,
					  .no_args = true};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = ls_run(cli, k, format, quiet, &filters);
	cli_strv_free(&filters);
	cli_strv_free(&args);
	return code;
}

static int fetch(const struct kind *k, struct client *c, const char *name, json_t **ret,
		 struct error *err)
{
	_cleanup_free_ char *esc = query_escape(name);
	_cleanup_free_ char *path = NULL;
	if (!esc || asprintf(&path, "%s/%s", k->path, esc) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return client_request_json(c, "GET", path, NULL, NULL, ret, err);
}

static int fetch_secret(struct client *c, const char *name, json_t **ret, struct error *err)
{
	return fetch(&secret_kind, c, name, ret, err);
}

static int fetch_config(struct client *c, const char *name, json_t **ret, struct error *err)
{
	return fetch(&config_kind, c, name, ret, err);
}

static int kind_inspect(struct cli *cli, const struct kind *k, const char *cmd_path, int argc,
			char **argv)
{
	const char *format = NULL;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"format", 'f', CLI_FLAG_STRING, &format, "string", cli_format_help, false},
	};
	const struct cli_cmd_spec spec = {
	    k == &secret_kind ? "Display detailed information on one or more secrets"
			      : "Display detailed information on one or more configs",
	    NULL,
	    false,
	    k == &secret_kind ? "[OPTIONS] SECRET [SECRET...]" : "[OPTIONS] CONFIG [CONFIG...]",
	    CLI_ARGS_MIN,
	    1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = cli_inspect_run(cli, format, &args,
				       k == &secret_kind ? fetch_secret : fetch_config);
	cli_strv_free(&args);
	return code;
}

static int kind_rm(struct cli *cli, const struct kind *k, const char *cmd_path, int argc,
		   char **argv)
{
	struct cli_strv args = {0};
	char aliases[64];
	snprintf(aliases, sizeof(aliases), "berth %s rm, berth %s remove", k->word, k->word);
	const struct cli_cmd_spec spec = {
	    k == &secret_kind ? "Remove one or more secrets" : "Remove one or more configs",
	    aliases,
	    false,
	    k == &secret_kind ? "SECRET [SECRET...]" : "CONFIG [CONFIG...]",
	    CLI_ARGS_MIN,
	    1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, NULL, 0, argc, argv, &args);
	if (code < 0) {
		char *errors = NULL;
		struct error err = ERROR_INIT;
		for (size_t i = 0; i < args.n; i++) {
			_cleanup_free_ char *esc = query_escape(args.v[i]);
			_cleanup_free_ char *path = NULL;
			if (!esc || asprintf(&path, "%s/%s", k->path, esc) < 0)
				break;
			if (cli_call(cli, "DELETE", path, NULL, NULL, NULL, &err) < 0)
				cli_defer_error(&errors, &err);
			else
				fprintf(cli->out, "%s\n", args.v[i]);
		}
		code = cli_flush_errors(cli, errors);
	}
	cli_strv_free(&args);
	return code;
}

#define KIND_COMMANDS(prefix, kind)                                                                \
	static int prefix##_create(struct cli *cli, const char *p, int argc, char **argv)          \
	{                                                                                          \
		return kind_create(cli, &kind, p, argc, argv);                                     \
	}                                                                                          \
	static int prefix##_ls(struct cli *cli, const char *p, int argc, char **argv)              \
	{                                                                                          \
		return kind_ls(cli, &kind, p, argc, argv);                                         \
	}                                                                                          \
	static int prefix##_inspect(struct cli *cli, const char *p, int argc, char **argv)         \
	{                                                                                          \
		return kind_inspect(cli, &kind, p, argc, argv);                                    \
	}                                                                                          \
	static int prefix##_rm(struct cli *cli, const char *p, int argc, char **argv)              \
	{                                                                                          \
		return kind_rm(cli, &kind, p, argc, argv);                                         \
	}

KIND_COMMANDS(secret, secret_kind)
KIND_COMMANDS(config, config_kind)

static const struct cli_subcommand secret_subs[] = {
    {"create", NULL, "Create a secret from a file or STDIN as content", secret_create},
    {"inspect", NULL, "Display detailed information on one or more secrets", secret_inspect},
    {"ls", "list", "List secrets", secret_ls},
    {"rm", "remove", "Remove one or more secrets", secret_rm},
};

static const struct cli_subcommand config_subs[] = {
    {"create", NULL, "Create a config from a file or STDIN", config_create},
    {"inspect", NULL, "Display detailed information on one or more configs", config_inspect},
    {"ls", "list", "List configs", config_ls},
    {"rm", "remove", "Remove one or more configs", config_rm},
};

int cli_cmd_secret(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return cli_run_group(cli, cmd_path, "Manage Swarm secrets", secret_subs,
			     ARRAY_SIZE(secret_subs), argc, argv);
}

int cli_cmd_config(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return cli_run_group(cli, cmd_path, "Manage Swarm configs", config_subs,
			     ARRAY_SIZE(config_subs), argc, argv);
}
