/* berth exec: run a command in a running container, docker's flags and exit
 * codes. The output arrives on the hijacked connection (raw with -t,
 * multiplexed otherwise); attach_io copies it and, with -i, our stdin. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "cli/attach_io.h"
#include "cli/cli.h"
#include "cli/client.h"

#define EXEC_USAGE "[OPTIONS] CONTAINER COMMAND [ARG...]"

struct exec_opts {
	bool interactive, detach, privileged, tty, help;
	const char *user, *workdir, *detach_keys;
	struct cli_strv env;
};

static json_t *exec_body(const struct exec_opts *o, const struct cli_strv *args)
{
	json_t *cmd = json_array(), *env = json_array();
	for (size_t i = 1; i < args->n; i++)
		json_array_append_new(cmd, json_string(args->v[i]));
	for (size_t i = 0; i < o->env.n; i++)
		json_array_append_new(env, json_string(o->env.v[i]));
	bool attach = !o->detach;
	return json_pack("{s:o, s:o, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:s}", "Cmd", cmd,
			 "Env", env, "User", o->user ? o->user : "", "WorkingDir",
			 o->workdir ? o->workdir : "", "AttachStdin", attach && o->interactive,
			 "AttachStdout", attach, "AttachStderr", attach, "Tty", o->tty, "Detach",
			 o->detach, "Privileged", o->privileged, "DetachKeys",
			 o->detach_keys ? o->detach_keys : "");
}

/* Starts exec id and returns its exit code (attached) or 0 (detached). */
static int start(const struct cli *cli, struct client *c, const struct exec_opts *o, const char *id,
		 int *code, struct error *err)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "/exec/%s/start", id) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	_cleanup_(cli_json_decrefp) json_t *body =
	    json_pack("{s:b, s:b}", "Detach", o->detach, "Tty", o->tty);
	*code = 0;
	if (o->detach)
		return client_request_json(c, "POST", path, NULL, body, NULL, err);
	int fd;
	int r = client_hijack(c, path, NULL, body, &fd, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *rpath = NULL;
	if (asprintf(&rpath, "/exec/%s/resize", id) < 0) {
		close(fd);
		return error_set(err, -ENOMEM, "out of memory");
	}
	const struct attach_opts ao = {.tty = o->tty,
				       .in = o->interactive,
				       .detach_keys = o->detach_keys,
				       .resize_path = rpath};
	r = attach_io_pump(cli, fd, &ao, err);
	close(fd);
	if (r != 0)
		return r < 0 ? r : 0;
	_cleanup_free_ char *ipath = NULL;
	_cleanup_(cli_json_decrefp) json_t *info = NULL;
	if (asprintf(&ipath, "/exec/%s/json", id) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	r = client_get_json(c, ipath, NULL, &info, err);
	*code = (int)json_integer_value(json_object_get(info, "ExitCode"));
	return r;
}

static int run_exec(struct cli *cli, const struct exec_opts *o, const struct cli_strv *args)
{
	struct error err = ERROR_INIT;
	struct client c;
	_cleanup_free_ char *esc = query_escape(args->v[0]), *path = NULL;
	_cleanup_(cli_json_decrefp) json_t *body = exec_body(o, args), *resp = NULL;
	int r = client_init(&c, cli, &err), code = 0;
	_cleanup_free_ char *ipath = NULL;
	_cleanup_(cli_json_decrefp) json_t *info = NULL;
	if (r >= 0 && (!esc || asprintf(&path, "/containers/%s/exec", esc) < 0 ||
		       asprintf(&ipath, "/containers/%s/json", esc) < 0))
		r = error_set(&err, -ENOMEM, "out of memory");
	/* docker looks the container up before it checks the terminal. */
	if (r >= 0)
		r = client_get_json(&c, ipath, NULL, &info, &err);
	if (r >= 0 && o->tty && o->interactive && !o->detach && !isatty(STDIN_FILENO)) {
		client_done(&c);
		fprintf(cli->err, "the input device is not a TTY\n");
		return CLI_EXIT_FAILURE;
	}
	if (r >= 0)
		r = client_request_json(&c, "POST", path, NULL, body, &resp, &err);
	const char *id = json_string_value(json_object_get(resp, "Id"));
	if (r >= 0)
		r = start(cli, &c, o, id ? id : "", &code, &err);
	client_done(&c);
	if (r < 0)
		code = cli_fail(cli, &err);
	error_clear(&err);
	return code;
}

static int exec_usage_error(const struct cli *cli, const char *cmd_path, const char *msg)
{
	_cleanup_free_ char *usage = NULL;
	if (asprintf(&usage, "%s " EXEC_USAGE, cmd_path) < 0)
		usage = NULL;
	return cli_usage_error(cli, cmd_path, usage ? usage : EXEC_USAGE, msg);
}

int cli_cmd_exec(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct exec_opts o = {0};
	struct cli_flag flags[] = {
	    {"interactive", 'i', CLI_FLAG_BOOL, &o.interactive, NULL,
	     "Keep STDIN open even if not attached", false},
	    {"tty", 't', CLI_FLAG_BOOL, &o.tty, NULL, "Allocate a pseudo-TTY", false},
	    {"detach", 'd', CLI_FLAG_BOOL, &o.detach, NULL,
	     "Detached mode: run command in the background", false},
	    {"detach-keys", 0, CLI_FLAG_STRING, &o.detach_keys, "string",
	     "Override the key sequence for detaching a container", false},
	    {"env", 'e', CLI_FLAG_LIST, &o.env, "list", "Set environment variables", false},
	    {"user", 'u', CLI_FLAG_STRING, &o.user, "string",
	     "Username or UID (format: \"<name|uid>[:<group|gid>]\")", false},
	    {"workdir", 'w', CLI_FLAG_STRING, &o.workdir, "string",
	     "Working directory inside the container", false},
	    {"privileged", 0, CLI_FLAG_BOOL, &o.privileged, NULL,
	     "Give extended privileges to the command", false},
	    {"help", 0, CLI_FLAG_BOOL, &o.help, NULL, "Print usage", true},
	};
	struct cli_strv args = {0};
	struct error err = ERROR_INIT;
	int code;
	/* Flags stop at the container: what follows belongs to the command. */
	if (cli_flags_parse(flags, ARRAY_SIZE(flags), argc, argv, false, &args, &err) < 0) {
		code = exec_usage_error(cli, cmd_path, error_msg(&err));
	} else if (o.help) {
		fprintf(cli->out,
			"\nUsage:  %s " EXEC_USAGE
			"\n\nExecute a command in a running container\n\nOptions:\n",
			cmd_path);
		cli_flags_print(cli->out, flags, ARRAY_SIZE(flags));
		code = CLI_EXIT_OK;
	} else if (args.n < 2) {
		fprintf(cli->err,
			"berth: '%s' requires at least 2 arguments\n\nUsage:  %s " EXEC_USAGE
			"\n\nSee '%s --help' for more information\n",
			cmd_path, cmd_path, cmd_path);
		code = CLI_EXIT_FAILURE;
	} else {
		code = run_exec(cli, &o, &args);
	}
	error_clear(&err);
	cli_strv_free(&args);
	cli_strv_free(&o.env);
	return code;
}
