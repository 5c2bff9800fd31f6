/* berthd's side of a shim's socket (src/shared/shim_proto.h): one link per
 * running container. It carries the start request and its answer, live
 * output to subscribers, stdin and signals, and the exit. A link that ends
 * without an exit frame means the shim died: the exit comes from exit.json
 * when the shim wrote it, else the container is cleaned up by the runtime
 * and recorded as exited with 255. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/log.h"
#include "basic/timeutil.h"
#include "engine/child.h"
#include "engine/container.h"
#include "engine/health.h"
#include "engine/containers_priv.h"
#include "engine/start_job.h"
#include "network/network.h"
#include "shared/shim_proto.h"

struct shim_link {
	uv_pipe_t pipe;
	uv_connect_t connect;
	struct containers *cs;
	struct container *c; /* NULL once detached */
	unsigned char *in;
	size_t in_len;
	bool connected, adopting, got_exit, closing;
};

static void link_free(uv_handle_t *h)
{
	struct shim_link *l = h->data;
	free(l->in);
	free(l);
}

/* Detaches the link from its container and closes it. */
void container_link_close(struct container *c)
{
	struct shim_link *l = c->link;
	if (!l)
		return;
	c->link = NULL;
	l->c = NULL;
	if (!l->closing) {
		l->closing = true;
		uv_close((uv_handle_t *)&l->pipe, link_free);
	}
}

struct write_req {
	uv_write_t w;
	unsigned char data[];
};

static void on_written(uv_write_t *w, int status)
{
	free(w);
}

void container_link_send(struct container *c, char type, const void *p, size_t n)
{
	struct shim_link *l = c->link;
	if (!l || !l->connected || l->closing)
		return;
	struct write_req *req = malloc(sizeof(*req) + SHIM_FRAME_HDR + n);
	if (!req)
		return;
	shim_frame_hdr(req->data, type, n);
	if (n)
		memcpy(req->data + SHIM_FRAME_HDR, p, n);
	uv_buf_t buf = uv_buf_init((char *)req->data, (unsigned)(SHIM_FRAME_HDR + n));
	if (uv_write(&req->w, (uv_stream_t *)&l->pipe, &buf, 1, on_written) < 0)
		free(req);
}

/* exit.json, written by the shim when the container ended. */
static bool read_exit_file(struct containers *cs, struct container *c, int *code, int64_t *ns,
			   bool *oom)
{
	_cleanup_free_ char *path = container_path(cs, c, "exit.json");
	json_t *j = path ? json_load_file(path, 0, NULL) : NULL;
	if (!j)
		return false;
	*code = (int)json_integer_value(json_object_get(j, "ExitCode"));
	*oom = json_is_true(json_object_get(j, "OOMKilled"));
	int64_t t = 0;
	const char *fin = json_string_value(json_object_get(j, "FinishedAt"));
	*ns = fin && time_parse_user_timestamp(fin, 0, &t) == 0 ? t : time_now_ns();
	json_decref(j);
	return true;
}

static void on_cleanup_exit(struct child *p, int64_t status, int sig)
{
	child_close(p, (uv_close_cb)free);
}

/* The shim is gone without a word: let the runtime kill and forget what it
 * may have left running. */
static void runtime_force_delete(struct containers *cs, struct container *c)
{
	const struct runtime *rt = container_runtime(cs, c);
	struct child *p = calloc(1, sizeof(*p));
	char *args[] = {rt->path, "--root", rt->root, "delete", "--force", c->id, NULL};
	int fds[3] = {-1, -1, -1};
	struct child_options o = {.file = rt->path, .args = args, .fds = fds, .n_fds = 3};
	if (p && child_spawn(cs->deps.loop, p, &o, on_cleanup_exit, NULL) < 0)
		free(p);
}

/* A container adopted at start-up turned out not to run: what
 * network_restore kept of its network goes. */
static void adopted_not_running(struct containers *cs, struct container *c)
{
	struct net_container nc;
	c->adopting = false;
	network_container_down(cs->networks, container_net(c, &nc));
}

/* The link ended (or could not be made) without an exit frame. */
static void link_lost(struct containers *cs, struct container *c)
{
	/* The shim says no more: whatever follows decides the network. */
	bool adopting = c->adopting;
	c->adopting = false;
	if (c->starting) {
		struct error err = ERROR_INIT;
		error_set(&err, -EIO, "berth-shim exited before starting the container");
		start_job_finish(c->starting, -EIO, &err);
		error_clear(&err);
		return;
	}
	int code;
	int64_t ns;
	bool oom = false;
	if (read_exit_file(cs, c, &code, &ns, &oom)) {
		container_exited(cs, c, code, ns, oom);
	} else if (c->state == CONTAINER_RUNNING) {
		log_warn(cs->deps.log, "container %s: its shim is gone; removing what is left",
			 c->id);
		runtime_force_delete(cs, c);
		free(c->error);
		c->error = strdup("berth-shim exited unexpectedly");
		container_exited(cs, c, 255, time_now_ns(), false);
	} else {
		_cleanup_free_ char *sock = container_socket_path(cs, c);
		if (sock)
			unlink(sock);
		if (adopting)
			adopted_not_running(cs, c);
	}
}

static void on_hello(struct shim_link *l, const unsigned char *p, size_t n)
{
	struct container *c = l->c;
	if (n < 5 || !l->adopting)
		return;
	if (!p[4]) {
		/* Created but never started: berthd died in between. Closing
		 * makes the shim remove it. */
		container_link_close(c);
		if (c->adopting)
			adopted_not_running(l->cs, c);
		return;
	}
	c->adopting = false;
	c->pid = (int)shim_get_u32(p);
	struct error err = ERROR_INIT;
	/* Take the mounts again: this daemon's counts start from zero. */
	if (!c->mounted && container_mount(l->cs, c, NULL, &err) < 0)
		log_warn(l->cs->deps.log, "container %s: %s", c->id, error_msg(&err));
	error_clear(&err);
	if (c->state != CONTAINER_RUNNING) {
		/* kill -9 came before on_started's save: record what it would
		 * have (a start time of 0 read "Up 56 years"). */
		c->state = CONTAINER_RUNNING;
		c->exit_code = 0;
		c->started_ns = time_now_ns();
		c->finished_ns = 0;
		container_save(l->cs, c, NULL);
	}
	health_container_resumed(l->cs, c);
	log_info(l->cs->deps.log, "re-attached to running container %s (pid %d)", c->id, c->pid);
}

static void on_started(struct shim_link *l, const unsigned char *p, size_t n)
{
	struct container *c = l->c;
	struct start_job *job = c->starting;
	if (n < 8 || !job)
		return;
	uint32_t code = shim_get_u32(p);
	if (code != 0) {
		/* The shim creates the container at the start: a failure is
		 * create's, as dockerd words it. */
		char msg[1200];
		snprintf(msg, sizeof(msg), "OCI runtime create failed: %.*s: unknown", (int)(n - 8),
			 (const char *)p + 8);
		struct error err = ERROR_INIT;
		error_set(&err, -EIO, "%s", msg);
		container_link_close(c);
		start_job_finish(job, -EIO, &err);
		error_clear(&err);
		return;
	}
	c->pid = (int)shim_get_u32(p + 4);
	c->state = CONTAINER_RUNNING;
	c->exit_code = 0;
	c->started_ns = time_now_ns();
	c->finished_ns = 0;
	free(c->error);
	c->error = NULL;
	struct error err = ERROR_INIT;
	if (container_save(l->cs, c, &err) < 0)
		log_warn(l->cs->deps.log, "container %s: %s", c->id, error_msg(&err));
	error_clear(&err);
	container_event(l->cs, c, "start", NULL);
	health_container_started(l->cs, c);
	start_job_finish(job, 0, NULL);
}

static void on_output(struct container *c, char type, const unsigned char *p, size_t n)
{
	if (n < 16)
		return;
	int64_t t = (int64_t)shim_get_u64(p);
	uint64_t off = shim_get_u64(p + 8);
	for (struct container_sub *s = c->subs, *next; s; s = next) {
		next = s->next;
		s->on_output(s, type == 'o' ? 1 : 2, t, off, (const char *)p + 16, n - 16);
	}
}

static void on_frame(struct shim_link *l, char type, const unsigned char *p, size_t n)
{
	struct container *c = l->c;
	if (type == 'h')
		on_hello(l, p, n);
	else if (type == 'S')
		on_started(l, p, n);
	else if (type == 'o' || type == 'e')
		on_output(c, type, p, n);
	else if (type == 'x' && n >= 12) {
		l->got_exit = true;
		container_link_close(c);
		container_exited(l->cs, c, (int)shim_get_u32(p), (int64_t)shim_get_u64(p + 4),
				 n >= 13 && p[12]);
	}
}

static void link_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct shim_link *l = h->data;
	unsigned char *in = realloc(l->in, l->in_len + 65536);
	if (!in) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	l->in = in;
	*buf = uv_buf_init((char *)in + l->in_len, 65536);
}

static void link_ended(struct shim_link *l)
{
	struct container *c = l->c;
	if (!c)
		return;
	container_link_close(c);
	link_lost(l->cs, c);
}

static void on_link_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct shim_link *l = s->data;
	if (n < 0) {
		link_ended(l);
		return;
	}
	l->in_len += (size_t)n;
	size_t off = 0;
	while (l->c && l->in_len - off >= SHIM_FRAME_HDR) {
		uint32_t len = shim_get_u32(l->in + off + 1);
		if (l->in_len - off < SHIM_FRAME_HDR + (size_t)len)
			break;
		on_frame(l, (char)l->in[off], l->in + off + SHIM_FRAME_HDR, len);
		off += SHIM_FRAME_HDR + len;
	}
	memmove(l->in, l->in + off, l->in_len - off);
	l->in_len -= off;
}

/* Sends what was queued for stdin before the shim was up. */
static void flush_stdin(struct container *c)
{
	if (c->stdin_len)
		container_link_send(c, 'i', c->stdin_buf, c->stdin_len);
	free(c->stdin_buf);
	c->stdin_buf = NULL;
	c->stdin_len = 0;
	if (c->stdin_close)
		container_link_send(c, 'c', NULL, 0);
	c->stdin_close = false;
}

static void on_connected(uv_connect_t *req, int status)
{
	struct shim_link *l = req->data;
	struct container *c = l->c;
	if (!c)
		return;
	if (status < 0) {
		log_debug(l->cs->deps.log, "container %s: shim socket: %s", c->id,
			  uv_strerror(status));
		link_ended(l);
		return;
	}
	l->connected = true;
	uv_read_start((uv_stream_t *)&l->pipe, link_alloc, on_link_read);
	if (!l->adopting) {
		flush_stdin(c);
		container_link_send(c, 's', NULL, 0);
	}
}

void container_link_connect(struct containers *cs, struct container *c, bool adopting)
{
	_cleanup_free_ char *sock = container_socket_path(cs, c);
	struct shim_link *l = calloc(1, sizeof(*l));
	if (!sock || !l) {
		free(l);
		link_lost(cs, c);
		return;
	}
	*l = (struct shim_link){.cs = cs, .c = c, .adopting = adopting};
	uv_pipe_init(cs->deps.loop, &l->pipe, 0);
	l->pipe.data = l;
	l->connect.data = l;
	c->link = l;
	uv_pipe_connect(&l->connect, &l->pipe, sock, on_connected);
}
