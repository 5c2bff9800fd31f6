/* User execs under an exec-mode berth-shim (src/shim/exec.c), and their
 * state on disk so that they outlive berthd. berthd binds the shim's socket
 * itself and hands it over, so it connects and asks for the start ('s') at
 * once, without waiting for the shim to report back. The link carries the
 * output, stdin, signals, resizes and the exit ('x'); a link that ends
 * without 'x' means the shim died: the exit comes from its exit file, else
 * the exec is recorded as ended with 255. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/console.h"
#include "basic/fs.h"
#include "basic/log.h"
#include "engine/container.h"
#include "engine/containers_priv.h"
#include "engine/exec_priv.h"
#include "shared/shim_proto.h"

/* An exec whose shim is gone without a word. */
#define EXEC_SHIM_LOST 255

int exec_save(struct exec *e, struct error *err)
{
	json_t *j =
	    json_pack("{s:s, s:s, s:O, s:O, s:s?, s:s?, s:b, s:b, s:b, s:b, s:b, s:s?, s:b}", "ID",
		      e->id, "ContainerID", e->cid, "Cmd", e->cmd, "Env", e->env, "User", e->user,
		      "WorkingDir", e->workdir, "Privileged", e->privileged, "AttachStdin",
		      e->attach_in, "AttachStdout", e->attach_out, "AttachStderr", e->attach_err,
		      "Tty", e->tty, "DetachKeys", e->keys_spec, "Started", e->started);
	if (j && e->ended)
		json_object_set_new(j, "ExitCode", json_integer(e->exit_code));
	_cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text)
		return error_set(err, -ENOMEM, "out of memory");
	int r = fs_replace(e->state_path, text, strlen(text), 0600, err);
	return r < 0 ? r : 0;
}

bool exec_shim_exit_file(struct exec *e)
{
	json_t *j = json_load_file(e->exit_path, 0, NULL);
	json_t *code = json_object_get(j, "ExitCode");
	bool ok = json_is_integer(code);
	if (ok)
		e->exit_code = (int)json_integer_value(code);
	json_decref(j);
	return ok;
}

/* ---- the link ---- */

struct link_write {
	uv_write_t w;
	unsigned char data[];
};

static void on_written(uv_write_t *w, int status)
{
	free(w);
}

/* Frames written before the connection is made are queued by libuv. */
void exec_shim_send(struct exec *e, char type, const void *p, size_t n)
{
	if (!e->link.data || uv_is_closing((uv_handle_t *)&e->link))
		return;
	struct link_write *req = malloc(sizeof(*req) + SHIM_FRAME_HDR + n);
	if (!req)
		return;
	shim_frame_hdr(req->data, type, n);
	if (n)
		memcpy(req->data + SHIM_FRAME_HDR, p, n);
	uv_buf_t buf = uv_buf_init((char *)req->data, (unsigned)(SHIM_FRAME_HDR + n));
	if (uv_write(&req->w, (uv_stream_t *)&e->link, &buf, 1, on_written) < 0)
		free(req);
}

static void ended(struct exec *e, int code)
{
	exec_close_handle(e, (uv_handle_t *)&e->link);
	e->running = false;
	e->exit_code = code;
	exec_pending_done(e);
}

static void link_lost(struct exec *e)
{
	if (!e->running)
		return;
	if (exec_shim_exit_file(e)) {
		ended(e, e->exit_code);
		return;
	}
	log_warn(e->cs->deps.log, "exec %s: its shim is gone without an exit status", e->id);
	unlink(e->sock_path);
	ended(e, EXEC_SHIM_LOST);
}

static void on_output(struct exec *e, char type, const unsigned char *p, size_t n)
{
	int stream = type == 'o' ? 1 : 2;
	/* A stream the client did not attach is dropped, as if it went to
	 * /dev/null; so is all output once nobody reads. */
	if (n > 16 && e->io && (stream == 1 ? e->attach_out : e->attach_err))
		e->io->on_output(e->io, stream, (const char *)p + 16, n - 16);
}

static void on_frame(struct exec *e, char type, const unsigned char *p, size_t n)
{
	if (type == 'h' && n >= 5 && !p[4])
		/* Adopted from a daemon that died before it asked for the
		 * start; the start was promised, so it happens now. */
		exec_shim_send(e, 's', NULL, 0);
	else if (type == 'o' || type == 'e')
		on_output(e, type, p, n);
	else if (type == 'x' && n >= 4 && e->running)
		ended(e, (int)shim_get_u32(p));
}

static void link_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct exec *e = h->data;
	unsigned char *in = realloc(e->link_in, e->link_in_len + 65536);
	if (!in) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	e->link_in = in;
	*buf = uv_buf_init((char *)in + e->link_in_len, 65536);
}

static void on_link_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct exec *e = s->data;
	if (n < 0) {
		link_lost(e);
		return;
	}
	e->link_in_len += (size_t)n;
	size_t off = 0;
	while (e->running && e->link_in_len - off >= SHIM_FRAME_HDR) {
		uint32_t len = shim_get_u32(e->link_in + off + 1);
		if (e->link_in_len - off < SHIM_FRAME_HDR + (size_t)len)
			break;
		on_frame(e, (char)e->link_in[off], e->link_in + off + SHIM_FRAME_HDR, len);
		off += SHIM_FRAME_HDR + len;
	}
	if (!e->running) {
		e->link_in_len = 0;
		return;
	}
	memmove(e->link_in, e->link_in + off, e->link_in_len - off);
	e->link_in_len -= off;
}

static void on_connected(uv_connect_t *req, int status)
{
	struct exec *e = req->data;
	if (uv_is_closing((uv_handle_t *)&e->link))
		return;
	if (status < 0) {
		log_debug(e->cs->deps.log, "exec %s: shim socket: %s", e->id, uv_strerror(status));
		link_lost(e);
		return;
	}
	uv_read_start((uv_stream_t *)&e->link, link_alloc, on_link_read);
}

static void link_connect(struct exec *e, bool adopting)
{
	uv_pipe_init(e->cs->deps.loop, &e->link, 0);
	e->link.data = e;
	e->open_handles++;
	e->connect.data = e;
	uv_pipe_connect(&e->connect, &e->link, e->sock_path, on_connected);
	if (!adopting)
		exec_shim_send(e, 's', NULL, 0);
}

/* ---- spawning ---- */

static void on_shim_exit(struct child *p, int64_t status, int sig)
{
	exec_close_proc(p->poll.data);
}

int exec_shim_spawn(struct exec *e, struct container *c, bool attached, struct error *err)
{
	struct containers *cs = e->cs;
	const struct runtime *rt = container_runtime(cs, c);
	_cleanup_free_ char *bundle = container_bundle_path(cs, c, NULL);
	_cleanup_free_ char *logp = container_bundle_path(cs, c, "shim.log");
	if (!bundle || !logp)
		return error_set(err, -ENOMEM, "out of memory");
	_cleanup_close_ int lfd = unix_socket_listen(e->sock_path, 4);
	if (lfd < 0)
		return error_set(err, lfd, "cannot listen on %s: %s", e->sock_path, strerror(-lfd));
	_cleanup_close_ int logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	char *args[20] = {cs->shim_path,
			  "--exec-id",
			  e->id,
			  "--process",
			  e->spec_path,
			  "--listen-fd",
			  "3",
			  "--id",
			  e->cid,
			  "--bundle",
			  bundle,
			  "--socket",
			  e->sock_path,
			  "--runtime",
			  rt->path,
			  "--runtime-root",
			  rt->root};
	size_t n = 17;
	if (attached && e->attach_in)
		args[n++] = "--stdin";
	if (attached && e->tty)
		args[n++] = "--tty";
	int fds[4] = {-1, -1, logfd, lfd};
	/* Its own session: a signal to berthd's group must not reach it. */
	struct child_options o = {
	    .file = cs->shim_path, .args = args, .fds = fds, .n_fds = 4, .new_session = true};
	int r = child_spawn(cs->deps.loop, &e->proc, &o, on_shim_exit, e);
	if (r < 0) {
		unlink(e->sock_path);
		return error_set(err, -EIO, "cannot run %s: %s", cs->shim_path, strerror(-r));
	}
	e->open_handles++;
	e->running = true;
	e->pending = 1;
	e->stdin_open = attached && e->attach_in;
	link_connect(e, false);
	return 0;
}

/* ---- restoring ---- */

static char *dup_string(json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));
	return v && *v ? strdup(v) : NULL;
}

static struct exec *exec_from_json(struct containers *cs, struct container *c, json_t *j)
{
	const char *id = json_string_value(json_object_get(j, "ID"));
	json_t *cmd = json_object_get(j, "Cmd"), *env = json_object_get(j, "Env");
	if (!id || strlen(id) != DIGEST_HEX_LEN || !json_is_array(cmd) || !json_is_array(env))
		return NULL;
	struct exec *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->cs = cs;
	memcpy(e->id, id, sizeof(e->id));
	memcpy(e->cid, c->id, sizeof(e->cid));
	e->cmd = json_deep_copy(cmd);
	e->env = json_deep_copy(env);
	e->user = dup_string(j, "User");
	e->workdir = dup_string(j, "WorkingDir");
	e->keys_spec = dup_string(j, "DetachKeys");
	if (detach_keys_parse(e->keys_spec, &e->keys) < 0)
		detach_keys_parse(NULL, &e->keys);
	e->privileged = json_is_true(json_object_get(j, "Privileged"));
	e->attach_in = json_is_true(json_object_get(j, "AttachStdin"));
	e->attach_out = json_is_true(json_object_get(j, "AttachStdout"));
	e->attach_err = json_is_true(json_object_get(j, "AttachStderr"));
	e->tty = json_is_true(json_object_get(j, "Tty"));
	e->started = json_is_true(json_object_get(j, "Started"));
	json_t *code = json_object_get(j, "ExitCode");
	e->ended = json_is_integer(code);
	e->exit_code = (int)json_integer_value(code);
	return e;
}

static void restore_one(struct containers *cs, struct container *c, const char *path)
{
	json_t *j = json_load_file(path, 0, NULL);
	struct exec *e = j ? exec_from_json(cs, c, j) : NULL;
	json_decref(j);
	if (!e || exec_paths(cs, c, e) < 0) {
		log_warn(cs->deps.log, "container %s: unreadable exec state %s; removed", c->id,
			 path);
		if (e)
			exec_free(e);
		unlink(path);
		return;
	}
	e->next = cs->execs;
	cs->execs = e;
	if (!e->started || e->ended)
		return;
	if (exec_shim_exit_file(e)) {
		exec_end_quietly(e);
		return;
	}
	e->running = true;
	e->pending = 1;
	link_connect(e, true);
}

static void restore_container(struct containers *cs, struct container *c)
{
	_cleanup_free_ char *bundle = container_bundle_path(cs, c, NULL);
	DIR *dir = bundle ? opendir(bundle) : NULL;
	if (!dir)
		return;
	struct dirent *de;
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name);
		static const char suffix[] = ".state.json";
		if (strncmp(de->d_name, "exec-", 5) != 0 || len < sizeof(suffix) - 1 ||
		    strcmp(de->d_name + len - (sizeof(suffix) - 1), suffix) != 0)
			continue;
		_cleanup_free_ char *path = container_bundle_path(cs, c, de->d_name);
		if (path)
			restore_one(cs, c, path);
	}
	closedir(dir);
}

void execs_restore(struct containers *cs)
{
	for (size_t i = 0; i < containers_count(cs); i++)
		restore_container(cs, containers_at(cs, i));
}
