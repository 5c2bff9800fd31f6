/* `berth import`, `load` and `save`: archives streamed between a file (or
 * stdin/stdout) and the daemon without holding them in memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/jsonmsg.h"
#include "cli/query.h"

static int fail_clear(const struct cli *cli, struct error *err)
{
	int code = err->msg ? cli_fail(cli, err) : CLI_EXIT_FAILURE;
	error_clear(err);
	return code;
}

static void print_open_error(const struct cli *cli, const char *path, int e)
{
	char msg[128];
	fprintf(cli->err, "open %s: %s\n", path, error_go_text(e, msg, sizeof(msg)));
}

static int post_archive(struct cli *cli, const char *path, const struct query *q, int fd)
{
	struct error err = ERROR_INIT;
	struct client_req rq = {
	    .method = "POST",
	    .path = path,
	    .query = q,
	    .content_type = "application/x-tar",
	    .body_fd = fd,
	};
	int r = jsonmsg_request(cli, &rq, false, &err);
	return r < 0 ? fail_clear(cli, &err) : CLI_EXIT_OK;
}

/* --- import --------------------------------------------------------------- */

static int import_run(struct cli *cli, const struct cli_strv *args, const struct cli_strv *changes,
		      const char *message, const char *platform)
{
	const char *src = args->v[0];
	bool from_stdin = strcmp(src, "-") == 0;
	bool url = strstr(src, "://") != NULL;
	struct query q = {0};
	int r = query_add(&q, "fromSrc", from_stdin || !url ? "-" : src);
	if (r >= 0 && args->n > 1)
		r = query_add(&q, "repo", args->v[1]);
	if (r >= 0 && message && *message)
		r = query_add(&q, "message", message);
	if (r >= 0 && platform && *platform)
		r = query_add(&q, "platform", platform);
	for (size_t i = 0; r >= 0 && i < changes->n; i++)
		r = query_add(&q, "changes", changes->v[i]);
	int fd = from_stdin ? 0 : -1;
	if (r >= 0 && !from_stdin && !url && (fd = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
		print_open_error(cli, src, errno);
		query_done(&q);
		return CLI_EXIT_FAILURE;
	}
	int code = post_archive(cli, "/images/create", &q, url ? -1 : fd);
	if (fd > 0)
		close(fd);
	query_done(&q);
	return code;
}

int cli_cmd_import(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *message = NULL, *platform = NULL;
	struct cli_strv changes = {0}, args = {0};
	const struct cli_flag flags[] = {
	    {"change", 'c', CLI_FLAG_LIST, &changes, "list",
	     "Apply Dockerfile instruction to the created image", false},
	    {"message", 'm', CLI_FLAG_STRING, &message, "string",
	     "Set commit message for imported image", false},
	    {"platform", 0, CLI_FLAG_STRING, &platform, "string",
	     "Set platform if server is multi-platform capable", false},
	};
	static const struct cli_cmd_spec spec = {
	    .summary = "Import the contents from a tarball to create a filesystem image",
	    .aliases = "berth image import, berth import",
	    .usage = "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
	    .arity = CLI_ARGS_MIN,
	    .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0 && args.n > 2)
		code = cli_usage_error(cli, cmd_path,
				       "berth import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
				       "too many arguments");
	if (code < 0)
		code = import_run(cli, &args, &changes, message, platform);
	cli_strv_free(&changes);
	cli_strv_free(&args);
	return code;
}

/* --- load ----------------------------------------------------------------- */

static int load_run(struct cli *cli, const char *input, bool quiet)
{
	int fd = 0;
	if (input && *input) {
		fd = open(input, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			print_open_error(cli, input, errno);
			return CLI_EXIT_FAILURE;
		}
	} else if (isatty(0)) {
		fprintf(cli->err, "requested load from stdin, but stdin is empty\n");
		return CLI_EXIT_FAILURE;
	}
	struct query q = {0};
	/* docker asks for a quiet stream when stdout is not a terminal. */
	if (quiet || !isatty(1))
		query_add(&q, "quiet", "1");
	int code = post_archive(cli, "/images/load", &q, fd);
	query_done(&q);
	if (fd > 0)
		close(fd);
	return code;
}

int cli_cmd_load(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *input = NULL;
	bool quiet = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"input", 'i', CLI_FLAG_STRING, &input, "string",
	     "Read from tar archive file, instead of STDIN", false},
	    {"quiet", 'q', CLI_FLAG_BOOL, &quiet, NULL, "Suppress the load output", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "Load an image from a tar archive or "
							    "STDIN",
						 .aliases = "berth image load, berth load",
						 .no_args = true};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = load_run(cli, input, quiet);
	cli_strv_free(&args);
	return code;
}

/* --- save ----------------------------------------------------------------- */

static int save_run(struct cli *cli, const struct cli_strv *names, const char *output)
{
	struct error err = ERROR_INIT;
	struct query q = {0};
	int r = 0;
	for (size_t i = 0; r >= 0 && i < names->n; i++)
		r = query_add(&q, "names", names->v[i]);
	if (r < 0)
		error_set(&err, r, "failed to save image: out of memory");
	struct client c;
	struct client_req rq = {.method = "GET", .path = "/images/get", .query = &q, .body_fd = -1};
	if (r >= 0 && (r = client_init(&c, cli, &err)) >= 0) {
		r = client_request_to_file(&c, &rq, output, "failed to save image", &err);
		client_done(&c);
	}
	query_done(&q);
	return r < 0 ? fail_clear(cli, &err) : CLI_EXIT_OK;
}

int cli_cmd_save(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *output = NULL;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"output", 'o', CLI_FLAG_STRING, &output, "string",
	     "Write to a file, instead of STDOUT", false},
	};
	static const struct cli_cmd_spec spec = {
	    .summary = "Save one or more images to a tar archive (streamed to STDOUT by default)",
	    .aliases = "berth image save, berth save",
	    .usage = "[OPTIONS] IMAGE [IMAGE...]",
	    .arity = CLI_ARGS_MIN,
	    .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0 && (!output || !*output) && isatty(1)) {
		fprintf(cli->err, "cowardly refusing to save to a terminal. Use the -o flag or "
				  "redirect\n");
		code = CLI_EXIT_FAILURE;
	}
	if (code < 0)
		code = save_run(cli, &args, output);
	cli_strv_free(&args);
	return code;
}
