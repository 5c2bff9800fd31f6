/* Exec instances: create, start through `runc exec --process`, stdio
 * pumping and the exit. See exec.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/log.h"
#include "engine/container.h"
#include "engine/containers_priv.h"
#include "engine/exec.h"
#include "engine/exec_priv.h"
#include "engine/oci_spec.h"
#include "shared/detach_keys.h"
#include "shared/shim_proto.h"

/* dockerd's exit code for an exec the runtime could not start. */
#define EXEC_START_FAILED 126

void exec_free(struct exec *e)
{
	json_decref(e->cmd);
	json_decref(e->env);
	free(e->user);
	free(e->workdir);
	free(e->spec_path);
	free(e->pid_path);
	free(e->log_path);
	free(e->state_path);
	free(e->exit_path);
	free(e->sock_path);
	free(e->keys_spec);
	free(e->link_in);
	free(e);
}

static void free_if_done(struct exec *e)
{
	if (e->dropped && e->open_handles == 0)
		exec_free(e);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct exec *e = h->data;
	e->open_handles--;
	free_if_done(e);
}

void exec_close_handle(struct exec *e, uv_handle_t *h)
{
	if (h->data && !uv_is_closing(h))
		uv_close(h, on_handle_closed);
}

void exec_close_proc(struct exec *e)
{
	if (child_is_active(&e->proc))
		child_close(&e->proc, on_handle_closed);
}

struct container *exec_container(struct exec *e)
{
	struct container *c = NULL;
	struct error err = ERROR_INIT;
	if (containers_lookup(e->cs, e->cid, &c, &err) < 0)
		c = NULL;
	error_clear(&err);
	return c;
}

/* Finished execs whose container is gone are of no use to anyone. */
static void gc(struct containers *cs)
{
	for (struct exec **p = &cs->execs; *p;) {
		struct exec *e = *p;
		if (!e->running && !exec_container(e)) {
			*p = e->next;
			e->dropped = true;
			free_if_done(e);
		} else {
			p = &e->next;
		}
	}
}

static char *strdup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* "exec_create: sh -c exit 7", as dockerd names the action; with_cmd
 * false for exec_die, which dockerd sends bare. */
static void exec_event(struct exec *e, const char *what, bool with_cmd, json_t *extra)
{
	struct container *c = exec_container(e);
	if (!c) {
		json_decref(extra);
		return;
	}
	size_t i;
	json_t *v;
	_cleanup_free_ char *action = strdup(what);
	json_array_foreach(with_cmd ? e->cmd : NULL, i, v)
	{
		char *next = NULL;
		if (asprintf(&next, "%s%s%s", action ? action : "", i ? " " : ": ",
			     json_string_value(v)) < 0)
			break;
		free(action);
		action = next;
	}
	json_t *a = extra ? extra : json_object();
	json_object_set_new(a, "execID", json_string(e->id));
	container_event(e->cs, c, action ? action : what, a);
}

static int check_running(struct container *c, struct error *err)
{
	if (c->state != CONTAINER_RUNNING || !c->link)
		return error_set(err, -EBUSY, "Container %s is not running", c->id);
	return 0;
}

int exec_create(struct containers *cs, struct container *c, json_t *body, bool probe,
		char ret_id[DIGEST_HEX_LEN + 1], struct error *err)
{
	json_t *cmd = json_object_get(body, "Cmd");
	if (!json_is_array(cmd) || json_array_size(cmd) == 0)
		return error_set(err, -EINVAL, "No exec command specified");
	size_t i;
	json_t *v;
	json_array_foreach(cmd, i, v)
	{
		if (!json_is_string(v))
			return error_set(err, -EINVAL, "Cmd must be an array of strings");
	}
	int r = check_running(c, err);
	if (r < 0)
		return r;
	const char *spec = json_string_value(json_object_get(body, "DetachKeys"));
	struct detach_keys keys;
	/* dockerd's error is untyped here: a 500. */
	if (detach_keys_parse(spec, &keys) < 0)
		return error_set(err, -EBADMSG, "Invalid escape keys (%s) provided", spec);
	gc(cs);
	struct exec *e = calloc(1, sizeof(*e));
	if (!e || digest_random_hex(e->id) < 0) {
		free(e);
		return error_set(err, -ENOMEM, "out of memory");
	}
	e->cs = cs;
	memcpy(e->cid, c->id, sizeof(e->cid));
	e->cmd = json_deep_copy(cmd);
	json_t *env = json_object_get(body, "Env");
	e->env = json_is_array(env) ? json_deep_copy(env) : json_array();
	e->user = strdup_or_null(json_string_value(json_object_get(body, "User")));
	e->workdir = strdup_or_null(json_string_value(json_object_get(body, "WorkingDir")));
	e->privileged = json_is_true(json_object_get(body, "Privileged"));
	e->attach_in = json_is_true(json_object_get(body, "AttachStdin"));
	e->attach_out = json_is_true(json_object_get(body, "AttachStdout"));
	e->attach_err = json_is_true(json_object_get(body, "AttachStderr"));
	e->tty = json_is_true(json_object_get(body, "Tty"));
	e->keys = keys;
	e->keys_spec = strdup_or_null(spec);
	e->probe = probe;
	if (!probe && (exec_paths(cs, c, e) < 0 || exec_save(e, err) < 0)) {
		if (!err->code)
			error_set(err, -ENOMEM, "out of memory");
		exec_free(e);
		return err->code;
	}
	e->next = cs->execs;
	cs->execs = e;
	memcpy(ret_id, e->id, DIGEST_HEX_LEN + 1);
	exec_event(e, "exec_create", true, NULL);
	return 0;
}

int exec_lookup(struct containers *cs, const char *id, struct exec **ret, struct error *err)
{
	for (struct exec *e = cs->execs; e && id; e = e->next)
		if (strcmp(e->id, id) == 0 && (e->running || exec_container(e))) {
			*ret = e;
			return 0;
		}
	return error_set(err, -ENOENT, "No such exec instance: %s", id ? id : "");
}

/* ---- the process spec ---- */

static size_t env_key_len(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq ? (size_t)(eq - kv) : strlen(kv);
}

/* The container's environment with the exec's entries replacing the ones
 * of the same name, as dockerd merges them. */
static void merge_env(json_t *penv, json_t *add)
{
	size_t i, j;
	json_t *v, *w;
	json_array_foreach(add, i, v)
	{
		const char *kv = json_string_value(v);
		if (!kv)
			continue;
		size_t kl = env_key_len(kv);
		bool replaced = false;
		json_array_foreach(penv, j, w)
		{
			const char *old = json_string_value(w);
			if (old && env_key_len(old) == kl && strncmp(old, kv, kl) == 0) {
				json_array_set(penv, j, v);
				replaced = true;
				break;
			}
		}
		if (!replaced)
			json_array_append(penv, v);
	}
}

static int set_user(json_t *proc, const char *root, const char *spec, json_t *group_add,
		    struct error *err)
{
	struct oci_user u;
	int r = oci_user_resolve(root, spec, &u, err);
	if (r == 0)
		r = oci_user_add_groups(root, group_add, &u, err);
	if (r < 0)
		return r;
	json_t *gids = json_array();
	for (size_t i = 0; i < u.n_groups; i++)
		json_array_append_new(gids, json_integer(u.groups[i]));
	json_t *user = json_pack("{s:I, s:I}", "uid", (json_int_t)u.uid, "gid", (json_int_t)u.gid);
	if (json_array_size(gids))
		json_object_set(user, "additionalGids", gids);
	json_decref(gids);
	json_object_set_new(proc, "user", user);
	return 0;
}

/* Privileged: every capability the container's bounding set allows. */
static void set_privileged(json_t *proc)
{
	json_t *caps = json_object_get(proc, "capabilities");
	json_t *all = json_object_get(caps, "bounding");
	if (!json_is_array(all))
		return;
	const char *sets[] = {"effective", "permitted", "inheritable", "ambient"};
	for (size_t i = 0; i < sizeof(sets) / sizeof(*sets); i++)
		json_object_set_new(caps, sets[i], json_deep_copy(all));
}

/* The container's own process (from its bundle's config.json) with the
 * exec's command, environment, directory and user. */
static int build_process(struct containers *cs, struct container *c, struct exec *e, json_t **ret,
			 struct error *err)
{
	_cleanup_free_ char *path = container_bundle_path(cs, c, "config.json");
	_cleanup_free_ char *bundle = container_bundle_path(cs, c, NULL);
	json_t *spec = path ? json_load_file(path, 0, NULL) : NULL;
	json_t *proc = json_deep_copy(json_object_get(spec, "process"));
	const char *rp = json_string_value(json_object_get(json_object_get(spec, "root"), "path"));
	_cleanup_free_ char *root = NULL;
	bool rel = rp && rp[0] != '/';
	if (rp && asprintf(&root, "%s%s%s", rel ? bundle : "", rel ? "/" : "", rp) < 0)
		root = NULL;
	json_decref(spec);
	if (!json_is_object(proc) || !root) {
		json_decref(proc);
		return error_set(err, -EIO, "cannot read the OCI spec of container %s", c->id);
	}
	json_object_set(proc, "args", e->cmd);
	json_object_set_new(proc, "terminal", json_boolean(e->tty));
	json_object_del(proc, "consoleSize");
	json_t *env = json_object_get(proc, "env");
	if (!json_is_array(env))
		json_object_set_new(proc, "env", env = json_array());
	merge_env(env, e->env);
	if (e->workdir)
		json_object_set_new(proc, "cwd", json_string(e->workdir));
	if (e->privileged)
		set_privileged(proc);
	int r = e->user ? set_user(proc, root, e->user, json_object_get(c->host_config, "GroupAdd"),
				   err)
			: 0;
	if (r < 0) {
		json_decref(proc);
		return r;
	}
	*ret = proc;
	return 0;
}

/* ---- running ---- */

/* runc's own error (it could not start the process), from its json log:
 * {"level":"error","msg":"...","time":"..."}; NULL when there was none. */
static char *runtime_error(struct exec *e)
{
	_cleanup_free_ char *text = NULL;
	if (fs_read_file(e->log_path, 1 << 20, &text, NULL) < 0)
		return NULL;
	char *hit = NULL;
	for (char *p = text; (p = strstr(p, "\"level\":\"error\"")); p++)
		hit = p;
	char *line_start = hit;
	while (line_start && line_start > text && line_start[-1] != '\n')
		line_start--;
	char *nl = line_start ? strchr(line_start, '\n') : NULL;
	if (nl)
		*nl = '\0';
	json_t *j = line_start ? json_loads(line_start, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(j, "msg"));
	char *out = NULL;
	if (msg && asprintf(&out, "OCI runtime exec failed: %s: unknown\r\n", msg) < 0)
		out = NULL;
	json_decref(j);
	return out;
}

/* The end on disk: a runtime failure becomes 126, the files of the run go,
 * and a user exec's state file keeps the exit code. *ret_failed gets
 * runc's message when it could not start the process. */
static void settle(struct exec *e, char **ret_failed)
{
	/* runc logs an error only when it could not start the process. */
	char *failed = e->exit_code != 0 ? runtime_error(e) : NULL;
	if (failed)
		e->exit_code = EXEC_START_FAILED;
	e->ended = true;
	unlink(e->spec_path);
	unlink(e->pid_path);
	unlink(e->log_path);
	struct container *c = exec_container(e);
	/* A container being removed takes the exec's files with it. */
	if (!e->probe && c && !c->removing) {
		struct error err = ERROR_INIT;
		if (exec_save(e, &err) < 0)
			log_warn(e->cs->deps.log, "exec %s: %s", e->id, error_msg(&err));
		error_clear(&err);
		unlink(e->exit_path);
	}
	*ret_failed = failed;
}

void exec_end_quietly(struct exec *e)
{
	_cleanup_free_ char *failed = NULL;
	e->running = false;
	settle(e, &failed);
}

static void finish(struct exec *e)
{
	_cleanup_free_ char *failed = NULL;
	settle(e, &failed);
	/* dockerd writes a failed start to the stream's stdout. */
	if (failed && e->io)
		e->io->on_output(e->io, 1, failed, strlen(failed));
	exec_stdin_close(e);
	char code[16];
	snprintf(code, sizeof(code), "%d", e->exit_code);
	exec_event(e, "exec_die", false, json_pack("{s:s}", "exitCode", code));
	struct exec_io *io = e->io;
	e->io = NULL;
	if (io)
		io->on_end(io, e->exit_code);
	else if (e->released)
		exec_release(e->cs, e);
}

void exec_pending_done(struct exec *e)
{
	if (--e->pending == 0)
		finish(e);
}

static void on_process_exit(struct child *p, int64_t status, int sig)
{
	struct exec *e = p->poll.data;
	e->running = false;
	e->exit_code = sig ? 128 + sig : (int)status;
	exec_close_proc(e);
	exec_pending_done(e);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	buf->base = malloc(65536);
	buf->len = buf->base ? 65536 : 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct exec *e = s->data;
	int stream = s == (uv_stream_t *)&e->out ? 1 : 2;
	/* A pty's output is one stream: dockerd sends it as stdout. */
	/* A stream the client did not attach is read and dropped, as if it
	 * went to /dev/null. */
	if (n > 0 && e->io && (stream == 1 ? e->attach_out : e->attach_err))
		e->io->on_output(e->io, stream, buf->base, (size_t)n);
	free(buf->base);
	if (n < 0) {
		exec_close_handle(e, (uv_handle_t *)s);
		exec_pending_done(e);
	}
}

static int write_spec(struct exec *e, json_t *proc, struct error *err)
{
	_cleanup_free_ char *text = json_dumps(proc, JSON_COMPACT);
	if (!text)
		return error_set(err, -ENOMEM, "out of memory");
	int r = fs_replace(e->spec_path, text, strlen(text), 0600, err);
	return r < 0 ? r : 0;
}

int exec_paths(struct containers *cs, struct container *c, struct exec *e)
{
	if (e->spec_path)
		return 0;
	char name[DIGEST_HEX_LEN + 32];
	snprintf(name, sizeof(name), "exec-%s.process.json", e->id);
	e->spec_path = container_bundle_path(cs, c, name);
	snprintf(name, sizeof(name), "exec-%s.pid", e->id);
	e->pid_path = container_bundle_path(cs, c, name);
	snprintf(name, sizeof(name), "exec-%s.log", e->id);
	e->log_path = container_bundle_path(cs, c, name);
	snprintf(name, sizeof(name), "exec-%s.state.json", e->id);
	e->state_path = container_bundle_path(cs, c, name);
	snprintf(name, sizeof(name), "exec-%s.exit.json", e->id);
	e->exit_path = container_bundle_path(cs, c, name);
	/* Short, as a container's (sun_path holds 108 bytes). */
	if (asprintf(&e->sock_path, "%s/shims/x%.16s.sock", cs->exec_root, e->id) < 0)
		e->sock_path = NULL;
	return e->spec_path && e->pid_path && e->log_path && e->state_path && e->exit_path &&
		       e->sock_path
		   ? 0
		   : -ENOMEM;
}

/* One of the process's stdio streams: a socket pair (as libuv's
 * UV_CREATE_PIPE, so that stdin can be shut down), our end watched in p,
 * the other end in *theirs, to pass to the process and close after. */
static int open_stdio(struct exec *e, uv_pipe_t *p, int *theirs, struct error *err)
{
	int fds[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return error_set(err, -errno, "cannot make a socket pair: %m");
	uv_pipe_init(e->cs->deps.loop, p, 0);
	p->data = e;
	e->open_handles++;
	int r = uv_pipe_open(p, fds[0]);
	if (r < 0) {
		close(fds[0]);
		close(fds[1]);
		return error_set(err, r, "cannot watch a socket: %s", uv_strerror(r));
	}
	*theirs = fds[1];
	return 0;
}

/* ---- a tty ---- */

/* runc only hands a pty over on a console socket when it detaches, and then
 * the exit status is lost. So runc stays in the foreground on a pty of ours:
 * it makes the process's own terminal, copies between the two, and follows
 * our size on SIGWINCH. */
static int open_pty(int *master, int *slave, struct error *err)
{
	char name[64];
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0)
		return error_set(err, -errno, "cannot open a pseudo-terminal: %m");
	if (grantpt(*master) < 0 || unlockpt(*master) < 0 || ptsname_r(*master, name, sizeof(name)))
		goto fail;
	*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave >= 0)
		return 0;
fail:;
	int r = error_set(err, -errno, "cannot open a pseudo-terminal: %m");
	close(*master);
	return r;
}

static void open_master(struct exec *e, int master)
{
	int in = e->stdin_open ? fcntl(master, F_DUPFD_CLOEXEC, 3) : -1;
	uv_pipe_init(e->cs->deps.loop, &e->out, 0);
	e->out.data = e;
	e->open_handles++;
	if (uv_pipe_open(&e->out, master) < 0) {
		close(master);
		exec_close_handle(e, (uv_handle_t *)&e->out);
		exec_pending_done(e);
	} else {
		uv_read_start((uv_stream_t *)&e->out, on_alloc, on_read);
	}
	if (in < 0) {
		e->stdin_open = false;
		return;
	}
	uv_pipe_init(e->cs->deps.loop, &e->in, 0);
	e->in.data = e;
	e->open_handles++;
	if (uv_pipe_open(&e->in, in) < 0) {
		close(in);
		e->stdin_open = false;
		exec_close_handle(e, (uv_handle_t *)&e->in);
	}
}

/* The kernel's execve limits: one string at most MAX_ARG_STRLEN (32
 * pages), all strings and their pointers within ARG_MAX. */
static bool argv_too_long(json_t *args, json_t *env)
{
	long page = sysconf(_SC_PAGESIZE), max = sysconf(_SC_ARG_MAX);
	size_t total = 0, i;
	json_t *lists[] = {args, env}, *v;
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
		json_array_foreach(lists[l], i, v)
		{
			size_t n = strlen(json_string_value(v) ? json_string_value(v) : "") + 1;
			if (page > 0 && n > (size_t)page * 32)
				return true;
			total += n + sizeof(char *);
		}
	}
	return max > 0 && total > (size_t)max;
}

static void on_refused(uv_timer_t *t)
{
	struct exec *e = t->data;
	exec_close_handle(e, (uv_handle_t *)t);
	e->running = false;
	exec_pending_done(e);
}

/* As runc would have failed: its error in the log (finish() reports it with
 * exit code 126), on the next turn of the loop, after the hijack. */
static int refuse(struct exec *e, const char *why, struct error *err)
{
	const char *arg0 = json_string_value(json_array_get(e->cmd, 0));
	json_t *line = json_pack("{s:s, s:s+++}", "level", "error", "msg",
				 "exec failed: unable to start container process: exec: \"",
				 arg0 ? arg0 : "", "\": ", why);
	_cleanup_free_ char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
	json_decref(line);
	if (!text || fs_replace(e->log_path, text, strlen(text), 0600, err) < 0)
		return err && err->code ? err->code : error_set(err, -ENOMEM, "out of memory");
	uv_timer_init(e->cs->deps.loop, &e->refused);
	e->refused.data = e;
	e->open_handles++;
	e->exit_code = 255;
	e->running = true;
	e->pending = 1;
	uv_timer_start(&e->refused, on_refused, 0, 0);
	return 0;
}

static int spawn(struct exec *e, bool attached, struct error *err)
{
	struct container *c = exec_container(e);
	if (!c)
		return error_set(err, -ENOENT, "No such container: %s", e->cid);
	const struct runtime *rt = container_runtime(e->cs, c);
	char *args[] = {rt->path,	"--root",    rt->root, "--log",	    e->log_path,
			"--log-format", "json",	     "exec",   "--process", e->spec_path,
			"--pid-file",	e->pid_path, e->cid,   NULL};
	int fds[3] = {-1, -1, -1};
	bool tty = attached && e->tty;
	_cleanup_close_ int slave = -1;
	int master = -1, r = 0;
	if (tty) {
		r = open_pty(&master, &slave, err);
		if (r < 0)
			return r;
		for (int i = 0; i < 3; i++)
			fds[i] = slave;
	}
	if (attached && e->attach_in && !tty)
		r = open_stdio(e, &e->in, &fds[0], err);
	if (r == 0 && attached && !tty)
		r = open_stdio(e, &e->out, &fds[1], err);
	if (r == 0 && attached && !tty)
		r = open_stdio(e, &e->err, &fds[2], err);
	/* Its own session: a signal to berthd's group must not reach it. */
	struct child_options o = {
	    .file = rt->path, .args = args, .fds = fds, .n_fds = 3, .new_session = true};
	if (r == 0) {
		r = child_spawn(e->cs->deps.loop, &e->proc, &o, on_process_exit, e);
		if (r < 0)
			r = error_set(err, -EIO, "cannot run %s: %s", rt->path, strerror(-r));
	}
	for (int i = 0; i < 3 && !tty; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (r < 0) {
		exec_close_handle(e, (uv_handle_t *)&e->in);
		exec_close_handle(e, (uv_handle_t *)&e->out);
		exec_close_handle(e, (uv_handle_t *)&e->err);
		if (master >= 0)
			close(master);
		return r;
	}
	e->open_handles++;
	e->running = true;
	e->pending = 1;
	e->stdin_open = attached && e->attach_in;
	if (tty) {
		e->pending++;
		open_master(e, master);
	} else if (attached) {
		e->pending += 2;
		uv_read_start((uv_stream_t *)&e->out, on_alloc, on_read);
		uv_read_start((uv_stream_t *)&e->err, on_alloc, on_read);
	}
	return 0;
}

int exec_start(struct containers *cs, struct exec *e, struct exec_io *io, struct error *err)
{
	if (e->started)
		return error_set(err, -EBUSY, "Error: Exec command %s is already running", e->id);
	struct container *c = exec_container(e);
	if (!c)
		return error_set(err, -ENOENT, "No such container: %s", e->cid);
	int r = check_running(c, err);
	if (r < 0)
		return r;
	json_t *proc = NULL;
	if (exec_paths(cs, c, e) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	r = build_process(cs, c, e, &proc, err);
	if (r == 0)
		r = write_spec(e, proc, err);
	/* Recorded as started before the shim runs: a daemon killed from here
	 * on finds the shim, or its exit file, or neither (then it says so). */
	e->started = true;
	if (r == 0 && !e->probe)
		r = exec_save(e, err);
	if (r == 0 && argv_too_long(json_object_get(proc, "args"), json_object_get(proc, "env")))
		r = refuse(e, "argument list too long", err);
	else if (r == 0 && e->probe)
		r = spawn(e, io != NULL, err);
	else if (r == 0)
		r = exec_shim_spawn(e, c, io != NULL, err);
	json_decref(proc);
	if (r < 0) {
		e->started = false;
		if (!e->probe) {
			struct error ignored = ERROR_INIT;
			exec_save(e, &ignored);
			error_clear(&ignored);
		}
		return r;
	}
	e->io = io;
	exec_event(e, "exec_start", true, NULL);
	return 0;
}

/* ---- stdin, readers, inspect ---- */

struct stdin_write {
	uv_write_t w;
	char data[];
};

static void on_stdin_written(uv_write_t *w, int status)
{
	free(w);
}

void exec_stdin(struct exec *e, const char *data, size_t len)
{
	if (!e->stdin_open || !len)
		return;
	if (!e->probe) {
		exec_shim_send(e, 'i', data, len);
		return;
	}
	struct stdin_write *req = malloc(sizeof(*req) + len);
	if (!req)
		return;
	memcpy(req->data, data, len);
	uv_buf_t buf = uv_buf_init(req->data, (unsigned)len);
	if (uv_write(&req->w, (uv_stream_t *)&e->in, &buf, 1, on_stdin_written) < 0)
		free(req);
}

static void on_stdin_shutdown(uv_shutdown_t *req, int status)
{
	struct exec *e = req->data;
	free(req);
	exec_close_handle(e, (uv_handle_t *)&e->in);
}

/* Closes the process's stdin once what was written before has gone. */
void exec_stdin_close(struct exec *e)
{
	if (!e->probe && e->stdin_open) {
		e->stdin_open = false;
		exec_shim_send(e, 'c', NULL, 0);
		return;
	}
	if (!e->stdin_open || !e->in.data)
		return;
	e->stdin_open = false;
	uv_shutdown_t *req = malloc(sizeof(*req));
	if (req) {
		req->data = e;
		if (uv_shutdown(req, (uv_stream_t *)&e->in, on_stdin_shutdown) == 0)
			return;
		free(req);
	}
	exec_close_handle(e, (uv_handle_t *)&e->in);
}

void exec_detach_io(struct exec *e)
{
	e->io = NULL;
	exec_stdin_close(e);
}

void exec_detached(struct exec *e)
{
	e->io = NULL;
	exec_event(e, "exec_detach", false, NULL);
}

bool exec_detach_keys(const struct exec *e, struct detach_keys *ret)
{
	if (!e->tty || !e->attach_in)
		return false;
	*ret = e->keys;
	return true;
}

/* dockerd's inspect shows the parsed keys as a Go []byte: base64. */
static json_t *keys_json(const struct exec *e)
{
	char b64[4 * ((DETACH_KEYS_MAX + 2) / 3) + 1] = "";
	if (e->keys_spec)
		EVP_EncodeBlock((unsigned char *)b64, e->keys.keys, (int)e->keys.nkeys);
	return json_string(b64);
}

int exec_resize(struct exec *e, const char *h, const char *w, struct error *err)
{
	unsigned rows, cols;
	int r = tty_size_parse(h, w, &rows, &cols, err);
	if (r < 0)
		return r;
	int fd = -1;
	if (!e->probe && e->tty && e->running) {
		unsigned char p[8];
		shim_put_u32(p, rows);
		shim_put_u32(p + 4, cols);
		exec_shim_send(e, 'r', p, sizeof(p));
	} else if (e->tty && e->running && e->out.data &&
		   uv_fileno((uv_handle_t *)&e->out, &fd) == 0) {
		struct winsize ws = {.ws_row = (unsigned short)rows,
				     .ws_col = (unsigned short)cols};
		if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
			return error_set(err, -errno, "cannot resize the terminal: %m");
		child_kill(&e->proc, SIGWINCH);
	}
	return 0;
}

static int current_pid(struct exec *e)
{
	_cleanup_free_ char *text = NULL;
	if (e->running && !e->pid && e->pid_path && fs_read_file(e->pid_path, 64, &text, NULL) == 0)
		e->pid = atoi(text);
	return e->running ? e->pid : 0;
}

json_t *exec_inspect_json(struct containers *cs, struct exec *e)
{
	json_t *args = json_deep_copy(e->cmd);
	json_t *entry = json_incref(json_array_get(args, 0));
	json_array_remove(args, 0);
	json_t *pc =
	    json_pack("{s:b, s:o, s:o, s:s, s:b}", "tty", e->tty, "entrypoint", entry, "arguments",
		      args, "user", e->user ? e->user : "", "privileged", e->privileged);
	/* null until the process has exited, as dockerd has it. */
	json_t *code = e->started && !e->running ? json_integer(e->exit_code) : json_null();
	return json_pack("{s:s, s:b, s:o, s:o, s:b, s:b, s:b, s:b, s:s, s:o, s:i}", "ID", e->id,
			 "Running", e->running, "ExitCode", code, "ProcessConfig", pc, "OpenStdin",
			 e->attach_in, "OpenStderr", e->attach_err, "OpenStdout", e->attach_out,
			 "CanRemove", 0, "ContainerID", e->cid, "DetachKeys", keys_json(e), "Pid",
			 current_pid(e));
}

int exec_kill(struct exec *e, int sig)
{
	if (!e->running)
		return 0;
	int pid = current_pid(e);
	/* runc passes a catchable signal on, but dies of SIGKILL itself. */
	if (pid > 0)
		return kill(pid, sig) < 0 ? -errno : 0;
	if (!e->probe) {
		unsigned char p[4];
		shim_put_u32(p, (uint32_t)sig);
		exec_shim_send(e, 'k', p, sizeof(p));
		return 0;
	}
	return child_kill(&e->proc, sig);
}

json_t *exec_ids_json(struct containers *cs, const char *cid)
{
	json_t *ids = NULL;
	for (struct exec *e = cs->execs; e; e = e->next) {
		if (e->ended || e->dropped || strcmp(e->cid, cid) != 0)
			continue;
		if (!ids && !(ids = json_array()))
			return json_null();
		json_array_append_new(ids, json_string(e->id));
	}
	return ids ? ids : json_null();
}

void exec_release(struct containers *cs, struct exec *e)
{
	e->io = NULL;
	/* A running exec stays in the store until it ends, so that shutdown
	 * closes its handles. */
	if (e->running) {
		e->released = true;
		return;
	}
	for (struct exec **p = &cs->execs; *p; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			break;
		}
	e->dropped = true;
	free_if_done(e);
}

void execs_stop(struct containers *cs)
{
	for (struct exec *e = cs->execs; e; e = e->next) {
		e->io = NULL;
		e->stdin_open = false;
		exec_close_proc(e);
		exec_close_handle(e, (uv_handle_t *)&e->in);
		exec_close_handle(e, (uv_handle_t *)&e->out);
		exec_close_handle(e, (uv_handle_t *)&e->err);
		exec_close_handle(e, (uv_handle_t *)&e->refused);
		exec_close_handle(e, (uv_handle_t *)&e->link);
	}
}

void execs_free(struct containers *cs)
{
	while (cs->execs) {
		struct exec *e = cs->execs;
		cs->execs = e->next;
		e->dropped = true;
		free_if_done(e);
	}
}
