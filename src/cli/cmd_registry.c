/* `berth pull`, `push`, `login`, `logout` and `search`. Credentials live
 * where the docker CLI keeps them ($DOCKER_CONFIG/config.json, else
 * ~/.docker/config.json, "auths" with base64 user:password), so both CLIs
 * share a login; they reach the daemon in the X-Registry-Auth header. */
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/jsonmsg.h"
#include "cli/query.h"
#include "cli/registry_auth.h"
#include "cli/table.h"
#include "image/reference.h"

#define INDEX_SERVER "https://index.docker.io/v1/"

/* ---- credentials ---- */

static char *config_path(void)
{
	const char *dir = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");
	char *p = NULL;
	if (dir && *dir
		? asprintf(&p, "%s/config.json", dir) < 0
		: asprintf(&p, "%s/.docker/config.json", home && *home ? home : "/root") < 0)
		return NULL;
	return p;
}

static json_t *config_load(void)
{
	_cleanup_free_ char *path = config_path(), *data = NULL;
	size_t len;
	json_t *o = NULL;
	if (path && fs_read_file(path, 1 << 20, &data, &len) == 0)
		o = json_loadb(data, len, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	return o;
}

static int config_save(json_t *o, struct error *err)
{
	_cleanup_free_ char *path = config_path();
	_cleanup_free_ char *s = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (!path || !s)
		return error_set(err, -ENOMEM, "out of memory");
	_cleanup_free_ char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		*slash = '\0';
	int r = dir ? fs_mkdir_p(dir, 0700, err) : error_set(err, -ENOMEM, "out of memory");
	return r < 0 ? r : fs_write_atomic(path, s, strlen(s), 0600, err);
}

/* The key docker uses for a registry: the index URL for docker.io. */
static const char *auth_key(const char *domain)
{
	return strcmp(domain, "docker.io") == 0 ? INDEX_SERVER : domain;
}

static char *b64(const char *s, bool url)
{
	size_t n = strlen(s);
	char *out = malloc((n + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	for (char *p = out; url && *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
}

/* X-Registry-Auth for domain from the stored login ("" anonymous). */
static char *registry_auth_header(const char *domain)
{
	_cleanup_(cli_json_decrefp) json_t *cfg = config_load();
	const char *key = auth_key(domain);
	const char *enc = json_string_value(
	    json_object_get(json_object_get(json_object_get(cfg, "auths"), key), "auth"));
	_cleanup_free_ unsigned char *plain = NULL;
	json_t *o = json_object();
	if (enc && *enc) {
		size_t n = strlen(enc);
		plain = malloc(n / 4 * 3 + 1);
		int len = plain ? EVP_DecodeBlock(plain, (const unsigned char *)enc, (int)n) : -1;
		if (len >= 0) {
			plain[len] = '\0';
			char *colon = strchr((char *)plain, ':');
			if (colon) {
				*colon = '\0';
				json_object_set_new(o, "username", json_string((char *)plain));
				json_object_set_new(o, "password", json_string(colon + 1));
			}
		}
	}
	json_object_set_new(o, "serveraddress", json_string(key));
	_cleanup_free_ char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s ? b64(s, true) : NULL;
}

char *cli_registry_auth_for_image(const char *image)
{
	struct reference ref = REFERENCE_INIT;
	char *auth = reference_parse(image, &ref, NULL) == 0 ? registry_auth_header(ref.domain)
							     : strdup("");
	reference_done(&ref);
	return auth;
}

static int post_progress(struct cli *cli, const char *path, const struct query *q, const char *auth,
			 bool quiet, struct error *err)
{
	struct client_req rq = {
	    .method = "POST", .path = path, .query = q, .body_fd = -1, .registry_auth = auth};
	return jsonmsg_request(cli, &rq, quiet, err);
}

/* ---- pull ---- */

static int pull_run(struct cli *cli, const char *name, const char *platform, bool quiet, bool all)
{
	struct error err = ERROR_INIT;
	struct reference ref = REFERENCE_INIT;
	if (reference_parse(name, &ref, &err) < 0) {
		reference_done(&ref);
		return cli_fail_clear(cli, &err);
	}
	if (!ref.tag && !ref.digest && !all) {
		if (!quiet)
			fprintf(cli->out, "Using default tag: latest\n");
		reference_default_tag(&ref);
	}
	_cleanup_free_ char *repo = reference_name(&ref);
	_cleanup_free_ char *fam = reference_familiar_string(&ref);
	_cleanup_free_ char *full = reference_string(&ref);
	_cleanup_free_ char *auth = registry_auth_header(ref.domain);
	struct query q = {0};
	query_add(&q, "fromImage", repo);
	if (!all)
		query_add(&q, "tag", ref.digest ? ref.digest : ref.tag);
	if (platform && *platform)
		query_add(&q, "platform", platform);
	reference_done(&ref);
	int r = post_progress(cli, "/images/create", &q, auth, quiet, &err);
	query_done(&q);
	if (r < 0)
		return cli_fail_clear(cli, &err);
	fprintf(cli->out, "%s\n", full);
	return CLI_EXIT_OK;
}

int cli_cmd_pull(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *platform = NULL;
	bool quiet = false, all = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"all-tags", 'a', CLI_FLAG_BOOL, &all, NULL,
	     "Download all tagged images in the repository", false},
	    {"platform", 0, CLI_FLAG_STRING, &platform, "string",
	     "Set platform if server is multi-platform capable", false},
	    {"quiet", 'q', CLI_FLAG_BOOL, &quiet, NULL, "Suppress verbose output", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "Download an image from a registry",
						 .aliases = "berth image pull, berth pull",
						 .usage = "[OPTIONS] NAME[:TAG|@DIGEST]",
						 .arity = CLI_ARGS_EXACT,
						 .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = pull_run(cli, args.v[0], platform, quiet, all);
	cli_strv_free(&args);
	return code;
}

/* ---- push ---- */

static int push_run(struct cli *cli, const char *name, bool quiet, bool all)
{
	struct error err = ERROR_INIT;
	struct reference ref = REFERENCE_INIT;
	if (reference_parse(name, &ref, &err) < 0) {
		reference_done(&ref);
		return cli_fail_clear(cli, &err);
	}
	if (!ref.tag && !all) {
		if (!quiet)
			fprintf(cli->out, "Using default tag: latest\n");
		reference_default_tag(&ref);
	}
	_cleanup_free_ char *repo = reference_name(&ref), *path = NULL;
	_cleanup_free_ char *auth = registry_auth_header(ref.domain);
	struct query q = {0};
	if (ref.tag && !all)
		query_add(&q, "tag", ref.tag);
	reference_done(&ref);
	int r = repo && asprintf(&path, "/images/%s/push", repo) >= 0
		    ? post_progress(cli, path, &q, auth, quiet, &err)
		    : error_set(&err, -ENOMEM, "out of memory");
	query_done(&q);
	return r < 0 ? cli_fail_clear(cli, &err) : CLI_EXIT_OK;
}

int cli_cmd_push(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool quiet = false, all = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"all-tags", 'a', CLI_FLAG_BOOL, &all, NULL,
	     "Push all tags of an image to the repository", false},
	    {"quiet", 'q', CLI_FLAG_BOOL, &quiet, NULL, "Suppress verbose output", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "Upload an image to a registry",
						 .aliases = "berth image push, berth push",
						 .usage = "[OPTIONS] NAME[:TAG]",
						 .arity = CLI_ARGS_EXACT,
						 .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = push_run(cli, args.v[0], quiet, all);
	cli_strv_free(&args);
	return code;
}

/* ---- login / logout ---- */

/* A server as typed to its domain ("https://127.0.0.1:5000/" -> host). */
static char *server_domain(const char *server)
{
	if (!server || !*server)
		return strdup("docker.io");
	const char *s = server;
	if (strncmp(s, "http://", 7) == 0)
		s += 7;
	else if (strncmp(s, "https://", 8) == 0)
		s += 8;
	size_t n = strcspn(s, "/");
	if ((n == 15 && strncmp(s, "index.docker.io", n) == 0) ||
	    (n == 9 && strncmp(s, "docker.io", n) == 0))
		return strdup("docker.io");
	return strndup(s, n);
}

static int login_run(struct cli *cli, const char *server, const char *user, const char *pass,
		     bool pass_stdin)
{
	struct error err = ERROR_INIT;
	_cleanup_free_ char *domain = server_domain(server), *stdin_pass = NULL;
	if (!domain)
		return CLI_EXIT_FAILURE;
	if (pass && *pass && pass_stdin) {
		fprintf(cli->err, "--password and --password-stdin are mutually exclusive\n");
		return CLI_EXIT_FAILURE;
	}
	if (pass_stdin) {
		if (!user || !*user) {
			fprintf(cli->err, "Must provide --username with --password-stdin\n");
			return CLI_EXIT_FAILURE;
		}
		size_t cap = 0;
		ssize_t n = getline(&stdin_pass, &cap, stdin);
		while (n > 0 && (stdin_pass[n - 1] == '\n' || stdin_pass[n - 1] == '\r'))
			stdin_pass[--n] = '\0';
		pass = stdin_pass;
	} else if (pass && *pass) {
		fprintf(
		    cli->err,
		    "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
	}
	if (!user || !*user || !pass || !*pass) {
		fprintf(cli->err,
			"Error: Cannot perform an interactive login from a non TTY device\n");
		return CLI_EXIT_FAILURE;
	}
	const char *key = auth_key(domain);
	json_t *body =
	    json_pack("{s:s, s:s, s:s}", "username", user, "password", pass, "serveraddress", key);
	_cleanup_(cli_json_decrefp) json_t *ret = NULL;
	int r = cli_call(cli, "POST", "/auth", NULL, body, &ret, &err);
	json_decref(body);
	if (r < 0)
		return cli_fail_clear(cli, &err);
	_cleanup_(cli_json_decrefp) json_t *cfg = config_load();
	json_t *auths = json_object_get(cfg, "auths");
	if (!json_is_object(auths)) {
		auths = json_object();
		json_object_set_new(cfg, "auths", auths);
	}
	_cleanup_free_ char *plain = NULL, *enc = NULL;
	if (asprintf(&plain, "%s:%s", user, pass) < 0 || !(enc = b64(plain, false)))
		return CLI_EXIT_FAILURE;
	json_object_set_new(auths, key, json_pack("{s:s}", "auth", enc));
	if (config_save(cfg, &err) < 0)
		return cli_fail_clear(cli, &err);
	const char *status = json_string_value(json_object_get(ret, "Status"));
	fprintf(cli->out, "%s\n", status ? status : "Login Succeeded");
	return CLI_EXIT_OK;
}

int cli_cmd_login(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *user = NULL, *pass = NULL;
	bool pass_stdin = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"password", 'p', CLI_FLAG_STRING, &pass, "string",
	     "Password or Personal Access Token (PAT)", false},
	    {"password-stdin", 0, CLI_FLAG_BOOL, &pass_stdin, NULL,
	     "Take the Password or Personal Access Token (PAT) from stdin", false},
	    {"username", 'u', CLI_FLAG_STRING, &user, "string", "Username", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "Authenticate to a registry",
						 .usage = "[OPTIONS] [SERVER]",
						 .arity = CLI_ARGS_MAX,
						 .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = login_run(cli, args.n ? args.v[0] : NULL, user, pass, pass_stdin);
	cli_strv_free(&args);
	return code;
}

int cli_cmd_logout(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct cli_strv args = {0};
	static const struct cli_cmd_spec spec = {.summary = "Log out from a registry",
						 .usage = "[SERVER]",
						 .arity = CLI_ARGS_MAX,
						 .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, NULL, 0, argc, argv, &args);
	if (code >= 0) {
		cli_strv_free(&args);
		return code;
	}
	_cleanup_free_ char *domain = server_domain(args.n ? args.v[0] : NULL);
	cli_strv_free(&args);
	if (!domain)
		return CLI_EXIT_FAILURE;
	const char *key = auth_key(domain);
	_cleanup_(cli_json_decrefp) json_t *cfg = config_load();
	json_t *auths = json_object_get(cfg, "auths");
	if (!json_object_get(auths, key)) {
		fprintf(cli->out, "Not logged in to %s\n", key);
		return CLI_EXIT_OK;
	}
	fprintf(cli->out, "Removing login credentials for %s\n", key);
	json_object_del(auths, key);
	struct error err = ERROR_INIT;
	return config_save(cfg, &err) < 0 ? cli_fail_clear(cli, &err) : CLI_EXIT_OK;
}

/* ---- search ---- */

/* docker's searchContext: newlines in the description become spaces, cut at
 * 45 unless --no-trunc; "[OK]" for official (true/false in JSON). */
static json_t *search_row(json_t *e, bool trunc, bool as_json)
{
	_cleanup_free_ char *desc =
	    strdup(json_string_value(json_object_get(e, "description")) ?: "");
	if (!desc)
		return NULL;
	for (char *p = desc; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	_cleanup_free_ char *cut = trunc ? table_ellipsis(desc, 45) : NULL;
	bool official = json_is_true(json_object_get(e, "is_official"));
	char stars[32];
	snprintf(stars, sizeof(stars), "%lld",
		 (long long)json_integer_value(json_object_get(e, "star_count")));
	const char *name = json_string_value(json_object_get(e, "name"));
	return json_pack("{s:s, s:s, s:s, s:s}", "Description", cut ? cut : desc, "IsOfficial",
			 as_json ? (official ? "true" : "false") : (official ? "[OK]" : ""), "Name",
			 name ? name : "", "StarCount", stars);
}

static int search_run(struct cli *cli, const char *term, const char *limit, bool no_trunc,
		      const char *format, const struct cli_strv *filters)
{
	struct error err = ERROR_INIT;
	struct table t;
	if (table_init(&t, format,
		       "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}",
		       &err) < 0)
		return cli_fail_clear(cli, &err);
	for (size_t i = 0; i < filters->n; i++)
		if (strncmp(filters->v[i], "is-automated=", 13) == 0) {
			fputs(
			    "WARNING: the \"is-automated\" filter is deprecated, and searching for "
			    "\"is-automated=true\" will not yield any results in future.\n",
			    cli->err);
			break;
		}
	struct query q = {0};
	_cleanup_free_ char *fj = NULL;
	_cleanup_(cli_json_decrefp) json_t *ret = NULL;
	int r = query_add(&q, "term", term);
	if (r >= 0 && limit && *limit)
		r = query_add(&q, "limit", limit);
	if (r >= 0)
		r = query_filters_json(filters, &fj, &err);
	if (r >= 0 && fj)
		r = query_add(&q, "filters", fj);
	if (r >= 0)
		r = cli_call(cli, "GET", "/images/search", &q, NULL, &ret, &err);
	query_done(&q);
	size_t i;
	json_t *e;
	json_array_foreach(r < 0 ? NULL : ret, i, e)
	{
		_cleanup_(cli_json_decrefp) json_t *row = search_row(e, !no_trunc, t.whole_json);
		if (!row)
			r = error_set(&err, -ENOMEM, "out of memory");
		else
			r = table_row(&t, row, &err);
		if (r < 0)
			break;
	}
	_cleanup_free_ char *out = NULL;
	_cleanup_(cli_json_decrefp) json_t *headers =
	    json_pack("{s:s, s:s, s:s, s:s}", "Name", "NAME", "Description", "DESCRIPTION",
		      "StarCount", "STARS", "IsOfficial", "OFFICIAL");
	if (r >= 0 && !(out = table_render(&t, headers, &err)))
		r = -1;
	table_done(&t);
	if (r < 0)
		return err.msg ? cli_fail_clear(cli, &err) : CLI_EXIT_FAILURE;
	fputs(out, cli->out);
	return CLI_EXIT_OK;
}

int cli_cmd_search(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *limit = NULL, *format = NULL;
	bool no_trunc = false;
	struct cli_strv args = {0}, filters = {0};
	const struct cli_flag flags[] = {
	    {"filter", 'f', CLI_FLAG_LIST, &filters, "filter",
	     "Filter output based on conditions provided", false},
	    {"format", 0, CLI_FLAG_STRING, &format, "string",
	     "Pretty-print search using a Go template", false},
	    {"limit", 0, CLI_FLAG_STRING, &limit, "int", "Max number of search results", false},
	    {"no-trunc", 0, CLI_FLAG_BOOL, &no_trunc, NULL, "Don't truncate output", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "Search Docker Hub for images",
						 .usage = "[OPTIONS] TERM",
						 .arity = CLI_ARGS_EXACT,
						 .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = search_run(cli, args.v[0], limit, no_trunc, format, &filters);
	cli_strv_free(&filters);
	cli_strv_free(&args);
	return code;
}
