/* Container commands: run, create, start, stop, kill, rm, ps, logs, wait and
 * inspect, docker's flags and output. `run` without -d follows the
 * container's logs until it exits (no attach: -i is not supported here). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/inspect.h"
#include "cli/table.h"

static int fail_clear(const struct cli *cli, struct error *err)
{
	int code = cli_fail(cli, err);
	error_clear(err);
	return code;
}

static char *ctr_path(const char *name, const char *suffix)
{
	_cleanup_free_ char *esc = query_escape(name);
	char *p = NULL;
	return esc && asprintf(&p, "/containers/%s%s", esc, suffix) >= 0 ? p : NULL;
}

static int call(const struct cli *cli, const char *method, const char *path,
		const struct query *q, json_t *body, json_t **ret, struct error *err)
{
	struct client c;
	int r = client_init(&c, cli, err);
	if (r >= 0)
		r = client_request_json(&c, method, path, q, body, ret, err);
	client_done(&c);
	return r;
}

/* --- create / run ----------------------------------------------------------- */

struct run_opts {
	bool detach, rm, help, publish_all;
	const char *name, *workdir, *user, *entrypoint, *network, *hostname, *restart, *ip;
	struct cli_strv env, volumes, labels, publish, expose, aliases, dns, add_hosts;
};

static json_t *strv_json(const struct cli_strv *sv)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

/* One -p spec "[ip:][host:]container[/proto]" (port ranges allowed) into
 * PortBindings and ExposedPorts. */
static int add_publish(const char *spec, json_t *bindings, json_t *exposed)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", spec);
	const char *proto = "tcp";
	char *slash = strrchr(buf, '/');
	if (slash) {
		*slash = '\0';
		proto = slash + 1;
	}
	char *parts[3] = {0};
	int n = 0;
	char *cport = strrchr(buf, ':');
	if (cport) {
		*cport++ = '\0';
		char *hport = strrchr(buf, ':');
		if (hport) {
			*hport++ = '\0';
			parts[n++] = buf;
			parts[n++] = hport;
		} else {
			parts[n++] = NULL;
			parts[n++] = buf;
		}
	} else {
		cport = buf;
		parts[n++] = NULL;
		parts[n++] = NULL;
	}
	int clo, chi, hlo = 0, hhi = 0;
	char *end;
	clo = chi = (int)strtol(cport, &end, 10);
	if (*end == '-')
		chi = (int)strtol(end + 1, &end, 10);
	if (*end || clo <= 0 || chi < clo)
		return -EINVAL;
	if (parts[1] && *parts[1]) {
		hlo = hhi = (int)strtol(parts[1], &end, 10);
		if (*end == '-')
			hhi = (int)strtol(end + 1, &end, 10);
		if (*end || hlo <= 0 || hhi < hlo)
			return -EINVAL;
	}
	const char *hip = parts[0] ? parts[0] : "";
	for (int p = clo; p <= chi; p++) {
		char key[32], hp[32] = "";
		snprintf(key, sizeof(key), "%d/%s", p, proto);
		if (hlo && chi > clo)
			snprintf(hp, sizeof(hp), "%d", hlo + (p - clo));
		else if (hlo && hhi > hlo)
			snprintf(hp, sizeof(hp), "%d-%d", hlo, hhi);
		else if (hlo)
			snprintf(hp, sizeof(hp), "%d", hlo);
		json_t *list = json_object_get(bindings, key);
		if (!list) {
			list = json_array();
			json_object_set_new(bindings, key, list);
		}
		json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", hip, "HostPort", hp));
		json_object_set_new(exposed, key, json_object());
	}
	return 0;
}

/* Ports, networks and DNS of the create body. */
static int add_network_opts(const struct run_opts *o, json_t *body)
{
	json_t *hc = json_object_get(body, "HostConfig");
	json_t *bindings = json_object(), *exposed = json_object();
	for (size_t i = 0; i < o->publish.n; i++)
		if (add_publish(o->publish.v[i], bindings, exposed) < 0) {
			json_decref(bindings);
			json_decref(exposed);
			return -EINVAL;
		}
	for (size_t i = 0; i < o->expose.n; i++) {
		char key[64];
		snprintf(key, sizeof(key), "%s%s", o->expose.v[i], strchr(o->expose.v[i], '/') ? "" : "/tcp");
		json_object_set_new(exposed, key, json_object());
	}
	json_object_set_new(hc, "PortBindings", bindings);
	json_object_set_new(hc, "PublishAllPorts", json_boolean(o->publish_all));
	json_object_set_new(body, "ExposedPorts", exposed);
	json_object_set_new(hc, "Dns", strv_json(&o->dns));
	json_object_set_new(hc, "ExtraHosts", strv_json(&o->add_hosts));
	if (o->ip || o->aliases.n) {
		const char *net = o->network ? o->network : "default";
		json_object_set_new(body, "NetworkingConfig",
				    json_pack("{s:{s:{s:{s:s}, s:o}}}", "EndpointsConfig", net,
					      "IPAMConfig", "IPv4Address", o->ip ? o->ip : "",
					      "Aliases", strv_json(&o->aliases)));
	}
	return 0;
}


static json_t *create_body(const struct run_opts *o, const struct cli_strv *args, bool auto_rm)
{
	json_t *labels = json_object();
	for (size_t i = 0; i < o->labels.n; i++) {
		const char *eq = strchr(o->labels.v[i], '=');
		_cleanup_free_ char *k = eq ? strndup(o->labels.v[i], (size_t)(eq - o->labels.v[i]))
					    : strdup(o->labels.v[i]);
		json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
	}
	json_t *cmd = json_array();
	for (size_t i = 1; i < args->n; i++)
		json_array_append_new(cmd, json_string(args->v[i]));
	json_t *body = json_pack("{s:s, s:o, s:o, s:s, s:s, s:s, s:o, s:{s:s, s:o, s:b}}",
				 "Image", args->v[0], "Cmd", cmd, "Env", strv_json(&o->env),
				 "WorkingDir", o->workdir ? o->workdir : "", "User",
				 o->user ? o->user : "", "Hostname", o->hostname ? o->hostname : "",
				 "Labels", labels, "HostConfig", "NetworkMode",
				 o->network ? o->network : "default", "Binds", strv_json(&o->volumes),
				 "AutoRemove", auto_rm);
	if (o->entrypoint)
		json_object_set_new(body, "Entrypoint", json_pack("[s]", o->entrypoint));
	return body;
}

static int parse_run(const struct cli *cli, const char *cmd_path, int argc, char **argv,
		     struct run_opts *o, struct cli_strv *args, bool run)
{
	struct cli_flag flags[] = {
		{"detach", 'd', CLI_FLAG_BOOL, &o->detach, NULL, "Run container in background and print container ID", false},
		{"rm", 0, CLI_FLAG_BOOL, &o->rm, NULL, "Automatically remove the container when it exits", false},
		{"name", 0, CLI_FLAG_STRING, &o->name, "string", "Assign a name to the container", false},
		{"env", 'e', CLI_FLAG_LIST, &o->env, "list", "Set environment variables", false},
		{"workdir", 'w', CLI_FLAG_STRING, &o->workdir, "string", "Working directory inside the container", false},
		{"user", 'u', CLI_FLAG_STRING, &o->user, "string", "Username or UID (format: <name|uid>[:<group|gid>])", false},
		{"entrypoint", 0, CLI_FLAG_STRING, &o->entrypoint, "string", "Overwrite the default ENTRYPOINT of the image", false},
		{"network", 0, CLI_FLAG_STRING, &o->network, "network", "Connect a container to a network", false},
		{"network-alias", 0, CLI_FLAG_LIST, &o->aliases, "list", "Add network-scoped alias for the container", false},
		{"ip", 0, CLI_FLAG_STRING, &o->ip, "string", "IPv4 address (e.g., 172.30.100.104)", false},
		{"publish", 'p', CLI_FLAG_LIST, &o->publish, "list", "Publish a container's port(s) to the host", false},
		{"publish-all", 'P', CLI_FLAG_BOOL, &o->publish_all, NULL, "Publish all exposed ports to random ports", false},
		{"expose", 0, CLI_FLAG_LIST, &o->expose, "list", "Expose a port or a range of ports", false},
		{"dns", 0, CLI_FLAG_LIST, &o->dns, "list", "Set custom DNS servers", false},
		{"add-host", 0, CLI_FLAG_LIST, &o->add_hosts, "list", "Add a custom host-to-IP mapping (host:ip)", false},
		{"hostname", 'h', CLI_FLAG_STRING, &o->hostname, "string", "Container host name", false},
		{"volume", 'v', CLI_FLAG_LIST, &o->volumes, "list", "Bind mount a volume", false},
		{"label", 'l', CLI_FLAG_LIST, &o->labels, "list", "Set meta data on a container", false},
		{"restart", 0, CLI_FLAG_STRING, &o->restart, "string", "Restart policy to apply when a container exits (default \"no\")", false},
		{"help", 0, CLI_FLAG_BOOL, &o->help, NULL, "Print usage", true},
	};
	struct error err = ERROR_INIT;
	size_t n = ARRAY_SIZE(flags) - (run ? 0 : 0);
	/* Flags stop at the image: what follows belongs to the command. */
	if (cli_flags_parse(flags, n, argc, argv, false, args, &err) < 0) {
		int code = cli_usage_error(cli, cmd_path, "[OPTIONS] IMAGE [COMMAND] [ARG...]", error_msg(&err));
		error_clear(&err);
		return code;
	}
	if (o->help) {
		fprintf(cli->out, "\nUsage:  %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n%s a new container\n\nOptions:\n",
			cmd_path, run ? "Create and run" : "Create");
		cli_flags_print(cli->out, flags, n);
		return CLI_EXIT_OK;
	}
	if (args->n < 1)
		return cli_usage_error(cli, cmd_path, "[OPTIONS] IMAGE [COMMAND] [ARG...]",
				       "requires at least 1 argument");
	return -1;
}

static int create_one(const struct cli *cli, const struct run_opts *o,
		      const struct cli_strv *args, bool auto_rm, char **ret_id, struct error *err)
{
	_cleanup_(cli_json_decrefp) json_t *body = create_body(o, args, auto_rm), *resp = NULL;
	json_t *policy = NULL;
	if (o->restart && cli_restart_policy(o->restart, o->rm, &policy, err) < 0)
		return err->code;
	if (policy)
		json_object_set_new(json_object_get(body, "HostConfig"), "RestartPolicy", policy);
	if (add_network_opts(o, body) < 0)
		return error_set(err, -EINVAL, "invalid port specification");
	struct query q = {0};
	if (o->name)
		query_add(&q, "name", o->name);
	int r = call(cli, "POST", "/containers/create", &q, body, &resp, err);
	query_done(&q);
	const char *id = json_string_value(json_object_get(resp, "Id"));
	if (r >= 0 && !(*ret_id = strdup(id ? id : "")))
		r = -ENOMEM;
	return r;
}

/* Splits the multiplexed stream into stdout and stderr. */
struct demux {
	const struct cli *cli;
	unsigned char hdr[8];
	size_t hdr_len;
	size_t left;
	int stream;
};

static int demux_data(const char *data, size_t len, void *userdata)
{
	struct demux *dm = userdata;
	while (len) {
		if (dm->left == 0) {
			size_t take = 8 - dm->hdr_len < len ? 8 - dm->hdr_len : len;
			memcpy(dm->hdr + dm->hdr_len, data, take);
			dm->hdr_len += take;
			data += take;
			len -= take;
			if (dm->hdr_len == 8) {
				dm->stream = dm->hdr[0];
				dm->left = (size_t)dm->hdr[4] << 24 | (size_t)dm->hdr[5] << 16 |
					   (size_t)dm->hdr[6] << 8 | dm->hdr[7];
				dm->hdr_len = 0;
			}
			continue;
		}
		size_t take = dm->left < len ? dm->left : len;
		FILE *f = dm->stream == 2 ? dm->cli->err : dm->cli->out;
		fwrite(data, 1, take, f);
		fflush(f);
		data += take;
		len -= take;
		dm->left -= take;
	}
	return 0;
}

static int stream_logs(const struct cli *cli, const char *name, bool follow, const char *tail,
		       bool timestamps, struct error *err)
{
	_cleanup_free_ char *path = ctr_path(name, "/logs");
	struct query q = {0};
	query_add(&q, "stdout", "1");
	query_add(&q, "stderr", "1");
	if (follow)
		query_add(&q, "follow", "1");
	if (tail)
		query_add(&q, "tail", tail);
	if (timestamps)
		query_add(&q, "timestamps", "1");
	struct demux dm = {.cli = cli};
	struct client c;
	int r = client_init(&c, cli, err);
	if (r >= 0)
		r = client_stream(&c, path, &q, demux_data, &dm, err);
	client_done(&c);
	query_done(&q);
	return r;
}

static int wait_exit(const struct cli *cli, const char *id, int *ret, struct error *err)
{
	_cleanup_free_ char *path = ctr_path(id, "/wait");
	_cleanup_(cli_json_decrefp) json_t *resp = NULL;
	int r = call(cli, "POST", path, NULL, NULL, &resp, err);
	if (r >= 0)
		*ret = (int)json_integer_value(json_object_get(resp, "StatusCode"));
	return r;
}

static int run_foreground(struct cli *cli, const char *id, bool rm, struct error *err)
{
	int code = 0;
	int r = stream_logs(cli, id, true, NULL, false, err);
	if (r >= 0)
		r = wait_exit(cli, id, &code, err);
	if (rm) {
		_cleanup_free_ char *path = ctr_path(id, "?force=1");
		struct error e2 = ERROR_INIT;
		call(cli, "DELETE", path, NULL, NULL, NULL, &e2);
		error_clear(&e2);
	}
	return r < 0 ? r : code;
}

static int run_or_create(struct cli *cli, const char *cmd_path, int argc, char **argv, bool run)
{
	struct run_opts o = {0};
	struct cli_strv args = {0};
	struct error err = ERROR_INIT;
	int code = parse_run(cli, cmd_path, argc, argv, &o, &args, run);
	_cleanup_free_ char *id = NULL;
	if (code >= 0)
		goto out;
	/* A foreground --rm run removes the container itself once it has the
	 * exit code; the daemon's auto-remove could race the wait. */
	int r = create_one(cli, &o, &args, o.rm && o.detach, &id, &err);
	if (r >= 0 && run) {
		_cleanup_free_ char *path = ctr_path(id, "/start");
		r = call(cli, "POST", path, NULL, NULL, NULL, &err);
	}
	if (r < 0) {
		code = fail_clear(cli, &err);
		code = run ? CLI_EXIT_USAGE : code;
	} else if (!run || o.detach) {
		fprintf(cli->out, "%s\n", id);
		code = CLI_EXIT_OK;
	} else {
		r = run_foreground(cli, id, o.rm, &err);
		code = r < 0 ? fail_clear(cli, &err) : r;
	}
out:
	cli_strv_free(&o.env);
	cli_strv_free(&o.volumes);
	cli_strv_free(&o.labels);
	cli_strv_free(&o.publish);
	cli_strv_free(&o.expose);
	cli_strv_free(&o.aliases);
	cli_strv_free(&o.dns);
	cli_strv_free(&o.add_hosts);
	cli_strv_free(&args);
	return code;
}

int cli_cmd_run(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return run_or_create(cli, cmd_path, argc, argv, true);
}

int cli_cmd_create(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return run_or_create(cli, cmd_path, argc, argv, false);
}

/* --- start / stop / kill / rm / wait ----------------------------------------- */

/* Runs one request per named container, printing each name that worked
 * (or what print gives), then the failures, docker's way. */
static int each(struct cli *cli, const struct cli_strv *names, const char *method,
		const char *suffix, const struct query *q, bool print_code)
{
	char *errors = NULL;
	for (size_t i = 0; i < names->n; i++) {
		struct error err = ERROR_INIT;
		_cleanup_free_ char *path = ctr_path(names->v[i], suffix);
		_cleanup_(cli_json_decrefp) json_t *resp = NULL;
		int r = path ? call(cli, method, path, q, NULL, print_code ? &resp : NULL, &err)
			     : error_set(&err, -ENOMEM, "out of memory");
		if (r < 0)
			cli_defer_error(&errors, &err);
		else if (print_code)
			fprintf(cli->out, "%lld\n",
				(long long)json_integer_value(json_object_get(resp, "StatusCode")));
		else
			fprintf(cli->out, "%s\n", names->v[i]);
	}
	return cli_flush_errors(cli, errors);
}

static int simple_cmd(struct cli *cli, const char *cmd_path, int argc, char **argv,
		      const char *summary, const char *method, const char *suffix,
		      struct cli_flag *flags, size_t nflags, struct query *q, bool print_code)
{
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {.summary = summary, .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
					  .arity = CLI_ARGS_MIN, .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, nflags, argc, argv, &args);
	if (code < 0)
		code = each(cli, &args, method, suffix, q, print_code);
	cli_strv_free(&args);
	return code;
}

int cli_cmd_start(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return simple_cmd(cli, cmd_path, argc, argv, "Start one or more stopped containers", "POST",
			  "/start", NULL, 0, NULL, false);
}

int cli_cmd_wait(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return simple_cmd(cli, cmd_path, argc, argv,
			  "Block until one or more containers stop, then print their exit codes",
			  "POST", "/wait", NULL, 0, NULL, true);
}

int cli_cmd_stop(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *t = NULL;
	struct cli_flag flags[] = {{"time", 't', CLI_FLAG_STRING, &t, "int", "Seconds to wait before killing the container", false}};
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {.summary = "Stop one or more running containers",
					  .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
					  .arity = CLI_ARGS_MIN, .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		struct query q = {0};
		if (t)
			query_add(&q, "t", t);
		code = each(cli, &args, "POST", "/stop", &q, false);
		query_done(&q);
	}
	cli_strv_free(&args);
	return code;
}

int cli_cmd_kill(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *sig = NULL;
	struct cli_flag flags[] = {{"signal", 's', CLI_FLAG_STRING, &sig, "string", "Signal to send to the container", false}};
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {.summary = "Kill one or more running containers",
					  .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
					  .arity = CLI_ARGS_MIN, .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		struct query q = {0};
		if (sig)
			query_add(&q, "signal", sig);
		code = each(cli, &args, "POST", "/kill", &q, false);
		query_done(&q);
	}
	cli_strv_free(&args);
	return code;
}

int cli_cmd_rm(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool force = false, vols = false;
	struct cli_flag flags[] = {
		{"force", 'f', CLI_FLAG_BOOL, &force, NULL, "Force the removal of a running container (uses SIGKILL)", false},
		{"volumes", 'v', CLI_FLAG_BOOL, &vols, NULL, "Remove anonymous volumes associated with the container", false},
	};
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {.summary = "Remove one or more containers",
					  .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
					  .arity = CLI_ARGS_MIN, .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		struct query q = {0};
		if (force)
			query_add(&q, "force", "1");
		if (vols)
			query_add(&q, "v", "1");
		code = each(cli, &args, "DELETE", "", &q, false);
		query_done(&q);
	}
	cli_strv_free(&args);
	return code;
}

/* --- logs ----------------------------------------------------------------------- */

int cli_cmd_logs(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool follow = false, ts = false;
	const char *tail = NULL;
	struct cli_flag flags[] = {
		{"follow", 'f', CLI_FLAG_BOOL, &follow, NULL, "Follow log output", false},
		{"timestamps", 't', CLI_FLAG_BOOL, &ts, NULL, "Show timestamps", false},
		{"tail", 'n', CLI_FLAG_STRING, &tail, "string", "Number of lines to show from the end of the logs", false},
	};
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {.summary = "Fetch the logs of a container",
					  .usage = "[OPTIONS] CONTAINER", .arity = CLI_ARGS_EXACT,
					  .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		struct error err = ERROR_INIT;
		code = stream_logs(cli, args.v[0], follow, tail, ts, &err) < 0 ? fail_clear(cli, &err)
									       : CLI_EXIT_OK;
	}
	cli_strv_free(&args);
	return code;
}

/* --- ps ------------------------------------------------------------------------- */

/* docker's Ports column: "127.0.0.1:8080->80/tcp, 443/tcp". */
static char *ports_text(json_t *ports)
{
	char *out = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);
	json_t *p;
	if (!f)
		return NULL;
	json_array_foreach(ports, i, p) {
		const char *ip = json_string_value(json_object_get(p, "IP"));
		json_int_t pub = json_integer_value(json_object_get(p, "PublicPort"));
		json_int_t priv = json_integer_value(json_object_get(p, "PrivatePort"));
		const char *type = json_string_value(json_object_get(p, "Type"));
		fprintf(f, "%s", i ? ", " : "");
		if (ip && pub)
			fprintf(f, "%s:%lld->", ip, (long long)pub);
		fprintf(f, "%lld/%s", (long long)priv, type ? type : "tcp");
	}
	fclose(f);
	return out;
}

static json_t *ps_row_full(json_t *c, bool trunc)
{
	const char *id = json_string_value(json_object_get(c, "Id"));
	const char *cmd = json_string_value(json_object_get(c, "Command"));
	char shortcmd[128], ago[64], created[64];
	/* docker's Ellipsis(command, 20) inside quotes. */
	if (trunc && cmd && strlen(cmd) > 20)
		snprintf(shortcmd, sizeof(shortcmd), "\"%.19s…\"", cmd);
	else
		snprintf(shortcmd, sizeof(shortcmd), "\"%s\"", cmd ? cmd : "");
	int64_t created_ns = json_integer_value(json_object_get(c, "Created")) * 1000000000;
	table_human_ago(created_ns, time_now_ns(), ago, sizeof(ago));
	time_t t = (time_t)(created_ns / 1000000000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
	const char *name = json_string_value(json_array_get(json_object_get(c, "Names"), 0));
	_cleanup_free_ char *labels = cli_labels_string(json_object_get(c, "Labels"));
	_cleanup_free_ char *ports = ports_text(json_object_get(c, "Ports"));
	return json_pack("{s:s%, s:O, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:s}", "ID", id,
			 (size_t)(trunc ? 12 : strlen(id)), "Image", json_object_get(c, "Image"),
			 "Command", shortcmd, "RunningFor", ago, "CreatedAt", created, "Status",
			 json_string_value(json_object_get(c, "Status")), "Ports", ports ? ports : "", "Names",
			 name ? name + (name[0] == '/') : "", "State", json_object_get(c, "State"),
			 "Labels", labels ? labels : "");
}

static json_t *ps_row(json_t *c)
{
	return ps_row_full(c, true);
}

static json_t *ps_row_notrunc(json_t *c)
{
	return ps_row_full(c, false);
}

static json_t *ps_headers(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID",
			 "CONTAINER ID", "Image", "IMAGE", "Command", "COMMAND", "RunningFor",
			 "CREATED", "CreatedAt", "CREATED AT", "Status", "STATUS", "Ports", "PORTS",
			 "Names", "NAMES", "State", "STATE", "Labels", "LABELS");
}

int cli_cmd_ps(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool all = false, quiet = false, notrunc = false;
	const char *format = NULL, *last = NULL;
	struct cli_strv filters = {0}, args = {0};
	struct cli_flag flags[] = {
		{"all", 'a', CLI_FLAG_BOOL, &all, NULL, "Show all containers (default shows just running)", false},
		{"quiet", 'q', CLI_FLAG_BOOL, &quiet, NULL, "Only display container IDs", false},
		{"no-trunc", 0, CLI_FLAG_BOOL, &notrunc, NULL, "Don't truncate output", false},
		{"format", 0, CLI_FLAG_STRING, &format, "string", cli_table_format_help, false},
		{"filter", 'f', CLI_FLAG_LIST, &filters, "filter", "Filter output based on conditions provided", false},
		{"last", 'n', CLI_FLAG_STRING, &last, "int", "Show n last created containers (includes all states)", false},
	};
	const struct cli_cmd_spec spec = {.summary = "List containers", .no_args = true};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code >= 0)
		goto out;
	struct error err = ERROR_INIT;
	struct query q = {0};
	_cleanup_free_ char *fj = NULL;
	if (all)
		query_add(&q, "all", "1");
	if (last)
		query_add(&q, "limit", last);
	int r = query_filters_json(&filters, &fj, &err);
	if (r >= 0 && fj)
		query_add(&q, "filters", fj);
	_cleanup_(cli_json_decrefp) json_t *items = NULL;
	if (r >= 0)
		r = call(cli, "GET", "/containers/json", &q, NULL, &items, &err);
	query_done(&q);
	struct table t;
	const char *def = quiet ? "{{.ID}}"
				: "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
	if (r >= 0)
		r = table_init(&t, quiet ? NULL : format, def, &err);
	if (r < 0) {
		code = fail_clear(cli, &err);
		goto out;
	}
	code = cli_print_rows(cli, &t, items, notrunc ? ps_row_notrunc : ps_row, ps_headers());
	table_done(&t);
out:
	cli_strv_free(&filters);
	cli_strv_free(&args);
	return code;
}

/* --- inspect --------------------------------------------------------------------- */

static int fetch_container(struct client *c, const char *name, json_t **ret, struct error *err)
{
	_cleanup_free_ char *path = ctr_path(name, "/json");
	return client_get_json(c, path, NULL, ret, err);
}

int cli_cmd_container_inspect(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *format = NULL;
	struct cli_strv args = {0};
	struct cli_flag flags[] = {{"format", 'f', CLI_FLAG_STRING, &format, "string", cli_format_help, false}};
	const struct cli_cmd_spec spec = {.summary = "Display detailed information on one or more containers",
					  .usage = "[OPTIONS] CONTAINER [CONTAINER...]",
					  .arity = CLI_ARGS_MIN, .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = cli_inspect_run(cli, format, &args, fetch_container);
	cli_strv_free(&args);
	return code;
}

static const struct cli_subcommand subcommands[] = {
	{"create", NULL, "Create a new container", cli_cmd_create},
	{"inspect", NULL, "Display detailed information on one or more containers", cli_cmd_container_inspect},
	{"kill", NULL, "Kill one or more running containers", cli_cmd_kill},
	{"logs", NULL, "Fetch the logs of a container", cli_cmd_logs},
	{"ls", "list,ps", "List containers", cli_cmd_ps},
	{"pause", NULL, "Pause all processes within one or more containers", cli_cmd_pause},
	{"prune", NULL, "Remove all stopped containers", cli_cmd_container_prune},
	{"rename", NULL, "Rename a container", cli_cmd_rename},
	{"rm", "remove", "Remove one or more containers", cli_cmd_rm},
	{"run", NULL, "Create and run a new container from an image", cli_cmd_run},
	{"start", NULL, "Start one or more stopped containers", cli_cmd_start},
	{"stop", NULL, "Stop one or more running containers", cli_cmd_stop},
	{"top", NULL, "Display the running processes of a container", cli_cmd_top},
	{"unpause", NULL, "Unpause all processes within one or more containers", cli_cmd_unpause},
	{"wait", NULL, "Block until one or more containers stop, then print their exit codes", cli_cmd_wait},
};

int cli_cmd_container(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return cli_run_group_usage(cli, cmd_path, cmd_path, "Manage containers", subcommands,
				   ARRAY_SIZE(subcommands), argc, argv);
}

/* `berth inspect`: a container, else an image, with docker's wording when
 * neither exists. */
static int fetch_any(struct client *c, const char *name, json_t **ret, struct error *err)
{
	struct error e = ERROR_INIT;
	int r = fetch_container(c, name, ret, &e);
	if (r == -ENOENT || (r < 0 && e.msg && strstr(e.msg, "No such container"))) {
		error_clear(&e);
		_cleanup_free_ char *esc = query_escape(name), *path = NULL;
		if (!esc || asprintf(&path, "/images/%s/json", esc) < 0)
			return error_set(err, -ENOMEM, "out of memory");
		r = client_get_json(c, path, NULL, ret, &e);
		if (r < 0 && e.msg && strstr(e.msg, "No such image")) {
			error_clear(&e);
			return error_set(err, -ENOENT, "Error: No such object: %s", name);
		}
	}
	if (r < 0)
		r = error_set(err, r, "%s", error_msg(&e));
	error_clear(&e);
	return r;
}

int cli_cmd_inspect(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *format = NULL;
	struct cli_strv args = {0};
	struct cli_flag flags[] = {{"format", 'f', CLI_FLAG_STRING, &format, "string", cli_format_help, false}};
	const struct cli_cmd_spec spec = {.summary = "Return low-level information on Berth objects",
					  .usage = "[OPTIONS] NAME|ID [NAME|ID...]",
					  .arity = CLI_ARGS_MIN, .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = cli_inspect_run(cli, format, &args, fetch_any);
	cli_strv_free(&args);
	return code;
}
