/* `berth version`: client and server versions, laid out as `docker version`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/format.h"

/* The "Client" object, with docker's field names (GoVersion has no meaning
 * for berth and is left out, as docker omits empty fields). */
static json_t *client_object(const char *api_version)
{
	char built[64];
	cli_build_time(built, sizeof(built));
	char osarch[2][32];
	snprintf(osarch[0], sizeof(osarch[0]), "%s", cli_os());
	snprintf(osarch[1], sizeof(osarch[1]), "%s", cli_arch());
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Version", BERTH_VERSION,
			 "ApiVersion", api_version, "DefaultAPIVersion", CLI_API_VERSION_MAX,
			 "GitCommit", BERTH_GIT_COMMIT, "Os", osarch[0], "Arch", osarch[1],
			 "BuildTime", built, "Context", "default");
}

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

/* docker shows BuildTime in ANSIC and invents an Engine component for
 * daemons that list none. */
static void normalize_server(json_t *sv)
{
	json_t *comps = json_object_get(sv, "Components"), *c;
	size_t i;
	bool engine = false;
	json_array_foreach(comps, i, c)
	{
		json_t *details = json_object_get(c, "Details");
		if (strcmp(str(c, "Name"), "Engine") != 0)
			continue;
		engine = true;
		if (json_is_string(json_object_get(details, "BuildTime"))) {
			char *t = format_ansic(str(details, "BuildTime"));
			json_object_set_new(details, "BuildTime", json_string(t ? t : ""));
			free(t);
		}
	}
	if (engine)
		return;
	if (!json_is_array(comps)) {
		comps = json_array();
		json_object_set_new(sv, "Components", comps);
	}
	_cleanup_free_ char *built = format_ansic(str(sv, "BuildTime"));
	json_t *e =
	    json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}}", "Name", "Engine",
		      "Version", str(sv, "Version"), "Details", "ApiVersion", str(sv, "ApiVersion"),
		      "MinAPIVersion", str(sv, "MinAPIVersion"), "GitCommit", str(sv, "GitCommit"),
		      "GoVersion", str(sv, "GoVersion"), "Os", str(sv, "Os"), "Arch",
		      str(sv, "Arch"), "BuildTime", built ? built : "", "Experimental",
		      json_is_true(json_object_get(sv, "Experimental")) ? "true" : "false");
	if (e)
		json_array_append_new(comps, e);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print_component(FILE *f, json_t *c)
{
	json_t *d = json_object_get(c, "Details");
	fprintf(f, "\n %s:", str(c, "Name"));
	if (strcmp(str(c, "Name"), "Engine") == 0) {
		fprintf(f, "\n  Version:\t%s\n  API version:\t%s (minimum version %s)",
			str(c, "Version"), str(d, "ApiVersion"), str(d, "MinAPIVersion"));
		fprintf(f, "\n  Go version:\t%s\n  Git commit:\t%s\n  Built:\t%s",
			str(d, "GoVersion"), str(d, "GitCommit"), str(d, "BuildTime"));
		fprintf(f, "\n  OS/Arch:\t%s/%s\n  Experimental:\t%s", str(d, "Os"), str(d, "Arch"),
			str(d, "Experimental"));
		return;
	}
	fprintf(f, "\n  Version:\t%s", str(c, "Version"));
	size_t n = json_object_size(d), i = 0;
	_cleanup_free_ const char **keys = calloc(n ? n : 1, sizeof(*keys));
	const char *k;
	json_t *v;
	json_object_foreach(d, k, v) if (keys) keys[i++] = k;
	if (!keys)
		return;
	qsort(keys, n, sizeof(*keys), cmp_keys);
	for (i = 0; i < n; i++)
		fprintf(f, "\n  %s:\t%s", keys[i], str(d, keys[i]));
}

/* docker's default version template, rendered directly. */
static char *render_default(json_t *dot)
{
	_cleanup_free_ char *raw = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&raw, &len);
	if (!f)
		return NULL;
	json_t *cl = json_object_get(dot, "Client"), *sv = json_object_get(dot, "Server");
	fprintf(f, "Client:\n Version:\t%s\n API version:\t%s", str(cl, "Version"),
		str(cl, "ApiVersion"));
	if (strcmp(str(cl, "ApiVersion"), str(cl, "DefaultAPIVersion")) != 0)
		fprintf(f, " (downgraded from %s)", str(cl, "DefaultAPIVersion"));
	fprintf(f, "\n Git commit:\t%s\n Built:\t%s\n OS/Arch:\t%s/%s\n Context:\t%s",
		str(cl, "GitCommit"), str(cl, "BuildTime"), str(cl, "Os"), str(cl, "Arch"),
		str(cl, "Context"));
	if (sv) {
		const char *platform = str(json_object_get(sv, "Platform"), "Name");
		fprintf(f, "\n\nServer:%s%s", *platform ? " " : "", platform);
		size_t i;
		json_t *c;
		json_array_foreach(json_object_get(sv, "Components"), i, c) print_component(f, c);
	}
	fputc('\n', f);
	fclose(f);
	return format_tabwrite(raw, 20, 1);
}

static int print_formatted(const struct cli *cli, const struct format_tmpl *t, json_t *dot,
			   bool quiet_errors)
{
	_cleanup_free_ char *out = NULL;
	struct error err = ERROR_INIT;
	int r = format_exec(t, dot, &out, &err);
	fprintf(cli->out, "%s\n", out ? out : "");
	fflush(cli->out);
	if (r < 0 && !quiet_errors)
		fprintf(cli->err, "%s\n", error_msg(&err));
	error_clear(&err);
	return r < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static int run_version(struct cli *cli, const struct format_tmpl *t)
{
	struct error err = ERROR_INIT;
	struct client c;
	if (client_init(&c, cli, &err) < 0) {
		client_done(&c);
		int code = cli_fail(cli, &err);
		error_clear(&err);
		return code;
	}
	_cleanup_(cli_json_decrefp) json_t *server = NULL;
	int r = client_get_json(&c, "/version", NULL, &server, &err);
	_cleanup_(cli_json_decrefp) json_t *dot = json_pack(
	    "{s:o}", "Client", client_object(c.version[0] ? c.version : CLI_API_VERSION_MAX));
	client_done(&c);
	if (!dot)
		return CLI_EXIT_FAILURE;
	if (r >= 0) {
		normalize_server(server);
		json_object_set(dot, "Server", server);
	}
	int code = CLI_EXIT_OK;
	if (t) {
		code = print_formatted(cli, t, dot, r < 0);
	} else {
		_cleanup_free_ char *text = render_default(dot);
		fputs(text ? text : "", cli->out);
	}
	if (r < 0) {
		fflush(cli->out);
		code = cli_fail(cli, &err);
	}
	error_clear(&err);
	return code;
}

int cli_cmd_version(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *format = NULL;
	const struct cli_flag flags[] = {
	    {"format", 'f', CLI_FLAG_STRING, &format, "string", cli_format_help, false},
	};
	static const struct cli_cmd_spec spec = {
	    .summary = "Show the Berth version information", .no_args = true};
	struct cli_strv args = {0};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	cli_strv_free(&args);
	if (code >= 0)
		return code;
	struct format_tmpl *t = NULL;
	struct error err = ERROR_INIT;
	if (format && *format && format_parse(format, "version", &t, &err) < 0) {
		fprintf(cli->err, "template parsing error: %s\n", error_msg(&err));
		error_clear(&err);
		return CLI_EXIT_TEMPLATE;
	}
	code = run_version(cli, t);
	format_free(t);
	return code;
}
