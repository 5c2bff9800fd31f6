/* berth attach and the attached form of berth start (-a/-i): docker's checks
 * and wording, then an attach_io session on the container. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "cli/attach_io.h"
#include "cli/cli.h"
#include "cli/client.h"

static int inspect(const struct cli *cli, const char *name, json_t **ret, struct error *err)
{
	_cleanup_free_ char *esc = query_escape(name), *path = NULL;
	if (!esc || asprintf(&path, "/containers/%s/json", esc) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	struct client c;
	int r = client_init(&c, cli, err);
	if (r >= 0)
		r = client_get_json(&c, path, NULL, ret, err);
	client_done(&c);
	return r;
}

static bool state_is(json_t *info, const char *key)
{
	return json_is_true(json_object_get(json_object_get(info, "State"), key));
}

static int session(const struct cli *cli, json_t *info, bool in, bool start, bool sig_proxy,
		   const char *detach_keys)
{
	json_t *cfg = json_object_get(info, "Config");
	bool tty = json_is_true(json_object_get(cfg, "Tty"));
	const struct attach_session s = {
	    .id = json_string_value(json_object_get(info, "Id")),
	    .tty = tty,
	    .in = in && json_is_true(json_object_get(cfg, "OpenStdin")),
	    .start = start,
	    .sig_proxy = sig_proxy && !tty,
	    .detach_keys = detach_keys,
	    .wait_condition = start ? "next-exit" : NULL,
	};
	struct error err = ERROR_INIT;
	int code = 0;
	bool started;
	int r = s.id ? attach_session_run(cli, &s, &code, &started, &err)
		     : error_set(&err, -EPROTO, "no container id in the daemon's answer");
	if (r < 0) {
		code = cli_fail(cli, &err);
		error_clear(&err);
	}
	return r > 0 ? CLI_EXIT_OK : code;
}

int cli_start_attached(struct cli *cli, const char *name, bool interactive, const char *detach_keys)
{
	struct error err = ERROR_INIT;
	_cleanup_(cli_json_decrefp) json_t *info = NULL;
	if (inspect(cli, name, &info, &err) < 0) {
		int code = cli_fail(cli, &err);
		error_clear(&err);
		return code;
	}
	return session(cli, info, interactive, !state_is(info, "Running"), true, detach_keys);
}

int cli_cmd_attach(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool no_stdin = false, sig_proxy = true;
	const char *keys = NULL;
	struct cli_flag flags[] = {
	    {"detach-keys", 0, CLI_FLAG_STRING, &keys, "string",
	     "Override the key sequence for detaching a container", false},
	    {"no-stdin", 0, CLI_FLAG_BOOL, &no_stdin, NULL, "Do not attach STDIN", false},
	    {"sig-proxy", 0, CLI_FLAG_BOOL, &sig_proxy, NULL,
	     "Proxy all received signals to the process (default true)", false},
	};
	struct cli_strv args = {0};
	const struct cli_cmd_spec spec = {
	    .summary =
		"Attach local standard input, output, and error streams to a running container",
	    .usage = "[OPTIONS] CONTAINER",
	    .arity = CLI_ARGS_EXACT,
	    .nargs = 1};
	/* Before the first goto: a jump past it would skip the initialisation
	 * but not the cleanup. */
	_cleanup_(cli_json_decrefp) json_t *info = NULL;
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code >= 0)
		goto out;
	struct error err = ERROR_INIT;
	if (inspect(cli, args.v[0], &info, &err) < 0) {
		code = cli_fail(cli, &err);
		error_clear(&err);
		goto out;
	}
	const char *why =
	    !state_is(info, "Running") ? "You cannot attach to a stopped container, start it first"
	    : state_is(info, "Paused") ? "You cannot attach to a paused container, unpause it first"
	    : state_is(info, "Restarting")
		? "You cannot attach to a restarting container, wait until it is running"
		: NULL;
	if (why) {
		fflush(cli->out);
		fprintf(cli->err, "%s\n", why);
		code = CLI_EXIT_FAILURE;
		goto out;
	}
	code = session(cli, info, !no_stdin, false, sig_proxy, keys);
out:
	cli_strv_free(&args);
	return code;
}
