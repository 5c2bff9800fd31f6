/* `berth build`, `commit` and `export`: images from Dockerfiles and from
 * containers. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/query.h"

static int fail_clear(const struct cli *cli, struct error *err)
{
	int code = err->msg ? cli_fail(cli, err) : CLI_EXIT_FAILURE;
	error_clear(err);
	return code;
}

/* --- build ---------------------------------------------------------------- */

/* The build's JSON stream: "stream" text printed (unless quiet), the image
 * ID from "aux", the first "error" kept. */
struct build_sink {
	const struct cli *cli;
	bool quiet;
	char *buf;
	size_t len;
	char *id, *error;
};

static void build_message(struct build_sink *s, json_t *m)
{
	const char *e = json_string_value(json_object_get(m, "error"));
	const char *id = json_string_value(json_object_get(json_object_get(m, "aux"), "ID"));
	const char *stream = json_string_value(json_object_get(m, "stream"));
	if (e && !s->error)
		s->error = strdup(e);
	if (id) {
		free(s->id);
		s->id = strdup(id);
	}
	if (stream && !s->quiet) {
		fputs(stream, s->cli->out);
		fflush(s->cli->out);
	}
}

static int on_build_data(const char *data, size_t len, void *userdata)
{
	struct build_sink *s = userdata;
	char *b = realloc(s->buf, s->len + len + 1);
	if (!b)
		return -ENOMEM;
	s->buf = b;
	memcpy(b + s->len, data, len);
	s->len += len;
	size_t off = 0;
	while (off < s->len) {
		json_error_t jerr;
		json_t *m = json_loadb(b + off, s->len - off, JSON_DISABLE_EOF_CHECK, &jerr);
		if (!m)
			break;
		off += jerr.position;
		build_message(s, m);
		json_decref(m);
		while (off < s->len && strchr(" \r\n\t", b[off]))
			off++;
	}
	memmove(b, b + off, s->len - off);
	s->len -= off;
	return 0;
}

/* The context directory as a tar in an unlinked file (the daemon applies
 * .dockerignore). */
static int tar_context(const char *dir, int *ret_fd, struct error *err)
{
	int fd = open(".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_set(err, -errno, "cannot create a temporary file: %s",
				 strerror(errno));
	struct archive *disk = archive_read_disk_new(), *out = archive_write_new();
	int r = 0;
	archive_read_disk_set_standard_lookup(disk);
	archive_write_set_format_pax_restricted(out);
	if (archive_read_disk_open(disk, dir) != ARCHIVE_OK ||
	    archive_write_open_fd(out, fd) != ARCHIVE_OK)
		r = error_set(err, -EIO, "error checking context: %s", archive_error_string(disk));
	size_t dl = strlen(dir);
	struct archive_entry *e;
	while (r == 0 && archive_read_next_header2(disk, e = archive_entry_new()) == ARCHIVE_OK) {
		_cleanup_free_ char *p = strdup(archive_entry_pathname(e));
		if (!p) {
			r = error_set(err, -ENOMEM, "out of memory");
			break;
		}
		const char *rel = strlen(p) > dl ? p + dl + (p[dl] == '/') : ".";
		archive_read_disk_descend(disk);
		archive_entry_copy_pathname(e, rel);
		archive_entry_set_uid(e, 0); /* as the docker CLI sends contexts */
		archive_entry_set_gid(e, 0);
		archive_entry_set_uname(e, "");
		archive_entry_set_gname(e, "");
		if (archive_write_header(out, e) < ARCHIVE_WARN)
			r = error_set(err, -EIO, "%s: %s", rel, archive_error_string(out));
		_cleanup_close_ int in =
		    archive_entry_size(e) > 0 ? open(p, O_RDONLY | O_CLOEXEC) : -1;
		char buf[65536];
		ssize_t n;
		while (r == 0 && in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
			archive_write_data(out, buf, (size_t)n);
		archive_entry_free(e);
		e = NULL;
	}
	archive_entry_free(e);
	archive_write_close(out);
	archive_write_free(out);
	archive_read_free(disk);
	if (r < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return r < 0 ? r : error_set(err, -errno, "%s", strerror(errno));
	}
	*ret_fd = fd;
	return 0;
}

struct build_flags {
	struct cli_strv tags, build_args, labels, hosts;
	const char *file, *target, *network;
	bool quiet, no_cache, force_rm;
};

static int build_query(const struct build_flags *f, const char *ctx, struct query *q,
		       struct error *err)
{
	int r = 0;
	for (size_t i = 0; r >= 0 && i < f->tags.n; i++)
		r = query_add(q, "t", f->tags.v[i]);
	if (r >= 0 && f->file && *f->file) {
		char real_ctx[PATH_MAX], real_file[PATH_MAX];
		if (!realpath(ctx, real_ctx) || !realpath(f->file, real_file))
			return error_set(err, -ENOENT, "unable to prepare context: %s",
					 strerror(errno));
		size_t n = strlen(real_ctx);
		if (strncmp(real_file, real_ctx, n) || real_file[n] != '/')
			return error_set(
			    err, -EINVAL,
			    "the Dockerfile (%s) must be within the build context (%s)", f->file,
			    ctx);
		r = query_add(q, "dockerfile", real_file + n + 1);
	}
	json_t *args = json_object(), *labels = json_object();
	for (size_t i = 0; i < f->build_args.n; i++) {
		const char *a = f->build_args.v[i], *eq = strchr(a, '=');
		_cleanup_free_ char *k = eq ? strndup(a, (size_t)(eq - a)) : strdup(a);
		const char *v = eq ? eq + 1 : getenv(a);
		if (k)
			json_object_set_new(args, k, v ? json_string(v) : json_null());
	}
	for (size_t i = 0; i < f->labels.n; i++) {
		const char *a = f->labels.v[i], *eq = strchr(a, '=');
		_cleanup_free_ char *k = eq ? strndup(a, (size_t)(eq - a)) : strdup(a);
		if (k)
			json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
	}
	_cleanup_free_ char *ja = json_dumps(args, JSON_COMPACT);
	_cleanup_free_ char *jl = json_dumps(labels, JSON_COMPACT);
	json_decref(args);
	json_decref(labels);
	if (r >= 0 && f->build_args.n)
		r = query_add(q, "buildargs", ja);
	if (r >= 0 && f->labels.n)
		r = query_add(q, "labels", jl);
	if (r >= 0 && f->target && *f->target)
		r = query_add(q, "target", f->target);
	if (r >= 0 && f->network && *f->network)
		r = query_add(q, "networkmode", f->network);
	for (size_t i = 0; r >= 0 && i < f->hosts.n; i++)
		r = query_add(q, "extrahosts", f->hosts.v[i]);
	if (r >= 0 && f->quiet)
		r = query_add(q, "q", "1");
	if (r >= 0 && f->no_cache)
		r = query_add(q, "nocache", "1");
	if (r >= 0 && f->force_rm)
		r = query_add(q, "forcerm", "1");
	if (r >= 0)
		r = query_add(q, "rm", "1");
	return r < 0 ? error_set(err, r, "out of memory") : 0;
}

static int build_run(struct cli *cli, const struct build_flags *f, const char *ctx)
{
	struct error err = ERROR_INIT;
	struct query q = {0};
	int fd = 0, r = build_query(f, ctx, &q, &err);
	bool from_stdin = !strcmp(ctx, "-");
	if (r == 0 && !from_stdin)
		r = tar_context(ctx, &fd, &err);
	struct build_sink sink = {.cli = cli, .quiet = f->quiet};
	struct client c;
	struct client_req rq = {.method = "POST",
				.path = "/build",
				.query = &q,
				.content_type = "application/x-tar",
				.body_fd = fd,
				.fn = on_build_data,
				.userdata = &sink};
	if (r == 0 && (r = client_init(&c, cli, &err)) >= 0) {
		r = client_request(&c, &rq, NULL, &err);
		client_done(&c);
	}
	if (fd > 0)
		close(fd);
	query_done(&q);
	if (r >= 0 && sink.error)
		r = error_set(&err, -EIO, "%s", sink.error);
	if (r >= 0 && f->quiet && sink.id)
		fprintf(cli->out, "%s\n", sink.id);
	free(sink.buf);
	free(sink.id);
	free(sink.error);
	return r < 0 ? fail_clear(cli, &err) : CLI_EXIT_OK;
}

int cli_cmd_build(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	struct build_flags f = {0};
	struct cli_strv args = {0};
	const char *pull_ignored = NULL;
	bool pull = false;
	const struct cli_flag flags[] = {
	    {"add-host", 0, CLI_FLAG_LIST, &f.hosts, "list",
	     "Add a custom host-to-IP mapping (\"host:ip\")", false},
	    {"build-arg", 0, CLI_FLAG_LIST, &f.build_args, "list", "Set build-time variables",
	     false},
	    {"file", 'f', CLI_FLAG_STRING, &f.file, "string",
	     "Name of the Dockerfile (Default is \"PATH/Dockerfile\")", false},
	    {"force-rm", 0, CLI_FLAG_BOOL, &f.force_rm, NULL,
	     "Always remove intermediate containers", false},
	    {"label", 0, CLI_FLAG_LIST, &f.labels, "list", "Set metadata for an image", false},
	    {"network", 0, CLI_FLAG_STRING, &f.network, "string",
	     "Set the networking mode for the RUN instructions during build", false},
	    {"no-cache", 0, CLI_FLAG_BOOL, &f.no_cache, NULL,
	     "Do not use cache when building the image", false},
	    {"platform", 0, CLI_FLAG_STRING, &pull_ignored, "string",
	     "Set platform if server is multi-platform capable", false},
	    {"pull", 0, CLI_FLAG_BOOL, &pull, NULL,
	     "Always attempt to pull a newer version of the image", false},
	    {"quiet", 'q', CLI_FLAG_BOOL, &f.quiet, NULL,
	     "Suppress the build output and print image ID on success", false},
	    {"tag", 't', CLI_FLAG_LIST, &f.tags, "list",
	     "Name and optionally a tag in the \"name:tag\" format", false},
	    {"target", 0, CLI_FLAG_STRING, &f.target, "string",
	     "Set the target build stage to build.", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "Build an image from a Dockerfile",
						 .aliases = "berth image build, berth build",
						 .usage = "[OPTIONS] PATH | -",
						 .arity = CLI_ARGS_EXACT,
						 .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0)
		code = build_run(cli, &f, args.v[0]);
	cli_strv_free(&f.tags);
	cli_strv_free(&f.build_args);
	cli_strv_free(&f.labels);
	cli_strv_free(&f.hosts);
	cli_strv_free(&args);
	return code;
}

/* --- commit --------------------------------------------------------------- */

static int commit_run(struct cli *cli, const struct cli_strv *args, const struct cli_strv *changes,
		      const char *author, const char *message, bool pause)
{
	struct query q = {0};
	int r = query_add(&q, "container", args->v[0]);
	if (r >= 0 && args->n > 1) {
		/* REPOSITORY[:TAG]: a ':' after the last '/' starts the tag. */
		const char *ref = args->v[1], *slash = strrchr(ref, '/');
		const char *colon = strrchr(slash ? slash : ref, ':');
		_cleanup_free_ char *repo =
		    colon ? strndup(ref, (size_t)(colon - ref)) : strdup(ref);
		r = repo ? query_add(&q, "repo", repo) : -ENOMEM;
		if (r >= 0 && colon)
			r = query_add(&q, "tag", colon + 1);
	}
	if (r >= 0 && author && *author)
		r = query_add(&q, "author", author);
	if (r >= 0 && message && *message)
		r = query_add(&q, "comment", message);
	for (size_t i = 0; r >= 0 && i < changes->n; i++)
		r = query_add(&q, "changes", changes->v[i]);
	if (r >= 0)
		r = query_add(&q, "pause", pause ? "1" : "0");
	struct error err = ERROR_INIT;
	json_t *res = NULL;
	if (r >= 0)
		r = cli_call(cli, "POST", "/commit", &q, NULL, &res, &err);
	query_done(&q);
	if (r >= 0)
		fprintf(cli->out, "%s\n", json_string_value(json_object_get(res, "Id")) ?: "");
	json_decref(res);
	return r < 0 ? fail_clear(cli, &err) : CLI_EXIT_OK;
}

int cli_cmd_commit(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *author = NULL, *message = NULL;
	bool pause = true;
	struct cli_strv changes = {0}, args = {0};
	const struct cli_flag flags[] = {
	    {"author", 'a', CLI_FLAG_STRING, &author, "string",
	     "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")", false},
	    {"change", 'c', CLI_FLAG_LIST, &changes, "list",
	     "Apply Dockerfile instruction to the created image", false},
	    {"message", 'm', CLI_FLAG_STRING, &message, "string", "Commit message", false},
	    {"pause", 'p', CLI_FLAG_BOOL, &pause, NULL,
	     "Pause container during commit (default true)", false},
	};
	static const struct cli_cmd_spec spec = {
	    .summary = "Create a new image from a container's changes",
	    .aliases = "berth container commit, berth commit",
	    .usage = "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
	    .arity = CLI_ARGS_MIN,
	    .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0 && args.n > 2)
		code = cli_usage_error(cli, cmd_path,
				       "berth commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
				       "too many arguments");
	if (code < 0)
		code = commit_run(cli, &args, &changes, author, message, pause);
	cli_strv_free(&changes);
	cli_strv_free(&args);
	return code;
}

/* --- export --------------------------------------------------------------- */

static int export_run(struct cli *cli, const char *name, const char *output)
{
	struct error err = ERROR_INIT;
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "/containers/%s/export", name) < 0) {
		path = NULL;
		fprintf(cli->err, "failed to export container: out of memory\n");
		return CLI_EXIT_FAILURE;
	}
	struct client c;
	struct client_req rq = {.method = "GET", .path = path, .body_fd = -1};
	int r = client_init(&c, cli, &err);
	if (r >= 0) {
		r = client_request_to_file(&c, &rq, output, "failed to export container", &err);
		client_done(&c);
	}
	return r < 0 ? fail_clear(cli, &err) : CLI_EXIT_OK;
}

int cli_cmd_export(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *output = NULL;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"output", 'o', CLI_FLAG_STRING, &output, "string",
	     "Write to a file, instead of STDOUT", false},
	};
	static const struct cli_cmd_spec spec = {
	    .summary = "Export a container's filesystem as a tar archive",
	    .aliases = "berth container export, berth export",
	    .usage = "[OPTIONS] CONTAINER",
	    .arity = CLI_ARGS_EXACT,
	    .nargs = 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0 && (!output || !*output) && isatty(1)) {
		fprintf(cli->err,
			"cowardly refusing to save to a terminal. Use the -o flag or redirect\n");
		code = CLI_EXIT_FAILURE;
	}
	if (code < 0)
		code = export_run(cli, args.v[0], output);
	cli_strv_free(&args);
	return code;
}

/* --- cp ------------------------------------------------------------------- */

/* A local file or directory as a tar whose top entry is named top. */
static int tar_path(const char *src, const char *top, int *ret_fd, struct error *err)
{
	int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_set(err, -errno, "cannot create a temporary file: %s",
				 strerror(errno));
	struct archive *disk = archive_read_disk_new(), *out = archive_write_new();
	archive_read_disk_set_standard_lookup(disk);
	archive_write_set_format_pax_restricted(out);
	int r = 0;
	if (archive_read_disk_open(disk, src) != ARCHIVE_OK ||
	    archive_write_open_fd(out, fd) != ARCHIVE_OK)
		r = error_set(err, -ENOENT, "%s", archive_error_string(disk));
	size_t sl = strlen(src);
	struct archive_entry *e;
	while (r == 0 && archive_read_next_header2(disk, e = archive_entry_new()) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);
		_cleanup_free_ char *name = NULL;
		if (asprintf(&name, "%s%s", top, p + (strlen(p) >= sl ? sl : strlen(p))) < 0)
			r = error_set(err, -ENOMEM, "out of memory");
		archive_read_disk_descend(disk);
		_cleanup_close_ int in =
		    archive_entry_size(e) > 0 ? open(p, O_RDONLY | O_CLOEXEC) : -1;
		archive_entry_copy_pathname(e, name ? name : top);
		if (r == 0 && archive_write_header(out, e) < ARCHIVE_WARN)
			r = error_set(err, -EIO, "%s: %s", p, archive_error_string(out));
		char buf[65536];
		ssize_t n;
		while (r == 0 && in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
			archive_write_data(out, buf, (size_t)n);
		archive_entry_free(e);
		e = NULL;
	}
	archive_entry_free(e);
	archive_write_close(out);
	archive_write_free(out);
	archive_read_free(disk);
	if (r < 0) {
		close(fd);
		return r;
	}
	lseek(fd, 0, SEEK_SET);
	*ret_fd = fd;
	return 0;
}

static int put_archive(struct cli *cli, const char *container, const char *dir, int fd, bool uidgid,
		       struct error *err)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "/containers/%s/archive", container) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	struct query q = {0};
	query_add(&q, "path", dir);
	query_add(&q, "noOverwriteDirNonDir", "true");
	if (uidgid)
		query_add(&q, "copyUIDGID", "true");
	struct client c;
	struct client_req rq = {.method = "PUT",
				.path = path,
				.query = &q,
				.content_type = "application/x-tar",
				.body_fd = fd};
	int r = client_init(&c, cli, err);
	if (r >= 0) {
		r = client_request(&c, &rq, NULL, err);
		client_done(&c);
	}
	query_done(&q);
	return r;
}

/* Into a container: into dest when it is a directory there, else as dest
 * itself in its parent directory. */
static int cp_to(struct cli *cli, const char *src, const char *container, const char *dest,
		 bool uidgid)
{
	struct error err = ERROR_INIT;
	int fd = 0, r = 0;
	if (strcmp(src, "-") != 0) {
		_cleanup_free_ char *copy = strdup(src);
		const char *base = copy ? strrchr(copy, '/') : NULL;
		while (copy && base && !base[1] && base > copy) { /* "dir/" */
			*(char *)base = '\0';
			base = strrchr(copy, '/');
		}
		r = tar_path(src, base ? base + 1 : src, &fd, &err);
		if (r == 0)
			r = put_archive(cli, container, dest, fd, uidgid, &err);
		if (r == -ENOENT || (r < 0 && err.msg && strstr(err.msg, "not a directory"))) {
			error_clear(&err);
			close(fd);
			_cleanup_free_ char *d = strdup(dest);
			char *slash = d ? strrchr(d, '/') : NULL;
			const char *name = slash ? slash + 1 : dest;
			const char *parent = slash ? (slash == d ? "/" : (*slash = '\0', d)) : ".";
			r = tar_path(src, name, &fd, &err);
			if (r == 0)
				r = put_archive(cli, container, parent, fd, uidgid, &err);
		}
		if (fd > 0)
			close(fd);
	} else {
		r = put_archive(cli, container, dest, 0, uidgid, &err);
	}
	return r < 0 ? fail_clear(cli, &err) : CLI_EXIT_OK;
}

/* Out of a container: the tar to stdout, or extracted at dest. */
static int cp_from(struct cli *cli, const char *container, const char *src, const char *dest)
{
	struct error err = ERROR_INIT;
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "/containers/%s/archive", container) < 0)
		return CLI_EXIT_FAILURE;
	int fd = 1;
	bool to_stdout = !strcmp(dest, "-");
	if (!to_stdout && (fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0)
		return CLI_EXIT_FAILURE;
	struct query q = {0};
	query_add(&q, "path", src);
	struct client c;
	struct client_req rq = {.method = "GET",
				.path = path,
				.query = &q,
				.body_fd = -1,
				.fn = client_write_to_fd,
				.userdata = &fd};
	int r = client_init(&c, cli, &err);
	if (r >= 0) {
		r = client_request(&c, &rq, NULL, &err);
		client_done(&c);
	}
	query_done(&q);
	if (r >= 0 && !to_stdout) {
		/* An existing directory receives the entry; otherwise the entry
		 * becomes dest. */
		struct stat st;
		bool into = stat(dest, &st) == 0 && S_ISDIR(st.st_mode);
		const char *slash = strrchr(src, '/');
		const char *top = slash ? slash + 1 : src;
		struct archive *in = archive_read_new(), *disk = archive_write_disk_new();
		archive_read_support_format_tar(in);
		/* Names are joined to dest: an absolute entry name is refused
		 * below, ".." components and symlinked parents by libarchive. */
		archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
							 ARCHIVE_EXTRACT_SECURE_NODOTDOT |
							 ARCHIVE_EXTRACT_SECURE_SYMLINKS);
		lseek(fd, 0, SEEK_SET);
		if (archive_read_open_fd(in, fd, 65536) != ARCHIVE_OK)
			r = error_set(&err, -EIO, "%s", archive_error_string(in));
		struct archive_entry *e;
		while (r >= 0 && archive_read_next_header(in, &e) == ARCHIVE_OK) {
			const char *name = archive_entry_pathname(e);
			if (!name || name[0] == '/') {
				r = error_set(&err, -EINVAL, "invalid archive entry %s",
					      name ? name : "");
				break;
			}
			const char *rest = name + strlen(top);
			_cleanup_free_ char *out = NULL;
			if (!strcmp(top, ".") || into || strncmp(name, top, strlen(top)))
				r = asprintf(&out, "%s/%s", dest, name);
			else
				r = asprintf(&out, "%s%s", dest, rest);
			if (r < 0)
				break;
			archive_entry_copy_pathname(e, out);
			if (archive_write_header(disk, e) < ARCHIVE_WARN) {
				r = error_set(&err, -EIO, "%s", archive_error_string(disk));
				break;
			}
			const void *buf;
			size_t len;
			la_int64_t off;
			while (archive_read_data_block(in, &buf, &len, &off) == ARCHIVE_OK)
				archive_write_data_block(disk, buf, len, off);
			archive_write_finish_entry(disk);
		}
		archive_write_free(disk);
		archive_read_free(in);
	}
	if (!to_stdout)
		close(fd);
	return r < 0 ? fail_clear(cli, &err) : CLI_EXIT_OK;
}

/* "name:path" names a container path; a local path may hold ':' only
 * after a '/' (docker's splitCpArg). */
static bool container_arg(const char *arg, char **ret_name, const char **ret_path)
{
	const char *colon = strchr(arg, ':');
	if (!colon || arg[0] == '/' || arg[0] == '.' ||
	    (strchr(arg, '/') && strchr(arg, '/') < colon))
		return false;
	*ret_name = strndup(arg, (size_t)(colon - arg));
	*ret_path = colon + 1;
	return *ret_name != NULL;
}

int cli_cmd_cp(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool archive = false, follow = false, quiet = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"archive", 'a', CLI_FLAG_BOOL, &archive, NULL,
	     "Archive mode (copy all uid/gid information)", false},
	    {"follow-link", 'L', CLI_FLAG_BOOL, &follow, NULL,
	     "Always follow symbol link in SRC_PATH", false},
	    {"quiet", 'q', CLI_FLAG_BOOL, &quiet, NULL, "Suppress progress output during copy",
	     false},
	};
	static const struct cli_cmd_spec spec = {
	    .summary = "Copy files/folders between a container and the local filesystem",
	    .aliases = "berth container cp, berth cp",
	    .usage = "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- "
		     "CONTAINER:DEST_PATH",
	    .arity = CLI_ARGS_EXACT,
	    .nargs = 2};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code >= 0) {
		cli_strv_free(&args);
		return code;
	}
	_cleanup_free_ char *src_c = NULL, *dst_c = NULL;
	const char *src_p, *dst_p;
	bool from = container_arg(args.v[0], &src_c, &src_p);
	bool to = container_arg(args.v[1], &dst_c, &dst_p);
	if (from == to) {
		fprintf(cli->err, from ? "copying between containers is not supported\n"
				       : "must specify at least one container source\n");
		code = CLI_EXIT_FAILURE;
	} else if (from) {
		code = cp_from(cli, src_c, src_p, args.v[1]);
	} else {
		code = cp_to(cli, args.v[0], dst_c, dst_p, archive);
	}
	cli_strv_free(&args);
	return code;
}
