/* What happens to a container after it started: exit bookkeeping, stop
 * (signal, then SIGKILL after the timeout), kill, wait conditions, output
 * subscribers and stdin, and removal (its files go on the thread pool). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/log.h"
#include "basic/timeutil.h"
#include "engine/container.h"
#include "engine/containers_priv.h"
#include "engine/health.h"
#include "engine/secret_mounts.h"
#include "engine/start_job.h"
#include "image/layer_store.h"
#include "network/network.h"
#include "shared/shim_proto.h"
#include "storage/driver.h"
#include "image/images.h"

static const struct {
	const char *name;
	int num;
} signals[] = {
	{"HUP", SIGHUP},   {"INT", SIGINT},	{"QUIT", SIGQUIT}, {"ILL", SIGILL},
	{"TRAP", SIGTRAP}, {"ABRT", SIGABRT},	{"BUS", SIGBUS},   {"FPE", SIGFPE},
	{"KILL", SIGKILL}, {"USR1", SIGUSR1},	{"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
	{"PIPE", SIGPIPE}, {"ALRM", SIGALRM},	{"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
	{"CHLD", SIGCHLD}, {"CONT", SIGCONT},	{"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
	{"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},	{"URG", SIGURG},   {"XCPU", SIGXCPU},
	{"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
	{"IO", SIGIO},	   {"PWR", SIGPWR},	{"SYS", SIGSYS},
};

int container_parse_signal(const char *s, int *ret, struct error *err)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && !*end) {
		if (n <= 0 || n > 64)
			return error_set(err, -EINVAL, "Invalid signal: %s", s);
		*ret = (int)n;
		return 0;
	}
	const char *bare = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (strcasecmp(bare, signals[i].name) == 0)
			return *ret = signals[i].num, 0;
	return error_set(err, -EINVAL, "Invalid signal: %s", s);
}

static void send_signal(struct containers *cs, struct container *c, int sig)
{
	container_thaw(cs, c); /* a frozen process would not act on it */
	unsigned char p[4];
	shim_put_u32(p, (uint32_t)sig);
	container_link_send(c, 'k', p, sizeof(p));
	char num[16];
	snprintf(num, sizeof(num), "%d", sig);
	container_event(cs, c, "kill", json_pack("{s:s}", "signal", num));
}

void container_ops_finish(struct container_op **list, int r, const struct error *err)
{
	struct container_op *op = *list;
	*list = NULL;
	while (op) {
		struct container_op *next = op->next;
		op->done(r, err, op->userdata);
		free(op);
		op = next;
	}
}

static int op_add(struct container_op **list, container_done_fn done, void *userdata)
{
	struct container_op *op = calloc(1, sizeof(*op));
	if (!op)
		return -ENOMEM;
	*op = (struct container_op){.next = *list, .done = done, .userdata = userdata};
	*list = op;
	return 0;
}

static void end_subs(struct container *c)
{
	struct container_sub *s = c->subs;
	c->subs = NULL;
	while (s) {
		struct container_sub *next = s->next;
		s->next = NULL;
		s->on_end(s);
		s = next;
	}
}

/* Calls the waiters whose condition holds; removed says the container is
 * gone (every condition holds then). */
static void wake_waiters(struct container *c, bool removed)
{
	struct container_waiter **pw = &c->waiters;
	while (*pw) {
		struct container_waiter *w = *pw;
		if (!removed && w->cond == WAIT_REMOVED) {
			pw = &w->next;
			continue;
		}
		*pw = w->next;
		w->next = NULL;
		w->done(w, c->exit_code);
	}
}

static void close_timer(struct container *c)
{
	if (!c->kill_timer)
		return;
	uv_close((uv_handle_t *)c->kill_timer, (uv_close_cb)free);
	c->kill_timer = NULL;
}

static void removed_done(int r, const struct error *err, void *userdata)
{
	struct containers *cs = userdata;
	if (r < 0)
		log_warn(cs->deps.log, "auto-remove: %s", error_msg(err));
}

void container_exited(struct containers *cs, struct container *c, int exit_code,
		      int64_t finished_ns, bool oom_killed)
{
	struct net_container nc;
	c->state = CONTAINER_EXITED;
	c->oom_killed = oom_killed;
	c->paused = false;
	c->pid = 0;
	c->exit_code = exit_code;
	c->finished_ns = finished_ns;
	health_container_stopped(cs, c);
	struct error err = ERROR_INIT;
	if (container_save(cs, c, &err) < 0)
		log_warn(cs->deps.log, "container %s: %s", c->id, error_msg(&err));
	error_clear(&err);
	_cleanup_free_ char *exitf = container_path(cs, c, "exit.json");
	if (exitf)
		unlink(exitf); /* recorded in config.v2.json now */
	container_unmount(cs, c);
	network_container_down(cs->networks, container_net(c, &nc));
	close_timer(c);
	char code[16];
	snprintf(code, sizeof(code), "%d", exit_code);
	if (oom_killed)
		container_event(cs, c, "oom", NULL);
	container_event(cs, c, "die", json_pack("{s:s}", "exitCode", code));
	end_subs(c);
	wake_waiters(c, false);
	if (c->stops)
		container_event(cs, c, "stop", NULL);
	container_ops_finish(&c->stops, 0, NULL);
	struct container_op *removes = c->removes;
	c->removes = NULL;
	if (removes || json_is_true(json_object_get(c->host_config, "AutoRemove"))) {
		container_remove(cs, c, true, removes ? c->remove_volumes : true,
				 removes ? removes->done : removed_done,
				 removes ? removes->userdata : cs);
		/* Further rm -f requests for the same container only wait. */
		for (struct container_op *op = removes ? removes->next : NULL; op; op = op->next)
			op->done(0, NULL, op->userdata);
	}
	while (removes) {
		struct container_op *next = removes->next;
		free(removes);
		removes = next;
	}
	container_restart_after_exit(cs, c);
}

/* The stop timeout: c->kill_timer points at its first member. */
struct kill_timer {
	uv_timer_t timer;
	struct containers *cs;
};

static void on_kill_timeout(uv_timer_t *t)
{
	struct kill_timer *kt = (struct kill_timer *)t;
	struct container *c = t->data;
	if (c->state == CONTAINER_RUNNING)
		send_signal(kt->cs, c, SIGKILL);
}

static int stop_signal(struct container *c, const char *signal, int *ret, struct error *err)
{
	const char *s = signal && *signal ? signal
					  : json_string_value(json_object_get(c->config, "StopSignal"));
	if (!s || !*s) {
		*ret = SIGTERM;
		return 0;
	}
	return container_parse_signal(s, ret, err);
}

void container_stop(struct containers *cs, struct container *c, int timeout_s, const char *signal,
		    container_done_fn done, void *userdata)
{
	struct error err = ERROR_INIT;
	int sig;
	bool was_restarting = container_mark_stopped(cs, c);
	if (c->state != CONTAINER_RUNNING && c->starting) {
		/* Answered once the start settled and the container stopped
		 * (container_start_settled), as dockerd answers after the stop. */
		if (op_add(&c->stops, done, userdata) < 0) {
			error_set(&err, -ENOMEM, "out of memory");
			done(-ENOMEM, &err, userdata);
			error_clear(&err);
		}
		return;
	}
	if (c->state != CONTAINER_RUNNING) {
		done(was_restarting ? 0 : 1, NULL, userdata);
		return;
	}
	if (stop_signal(c, signal, &sig, &err) < 0 || op_add(&c->stops, done, userdata) < 0) {
		done(err.code ? err.code : -ENOMEM, &err, userdata);
		error_clear(&err);
		return;
	}
	if (timeout_s < 0) {
		json_t *t = json_object_get(c->config, "StopTimeout");
		timeout_s = json_is_integer(t) ? (int)json_integer_value(t) : 10;
	}
	send_signal(cs, c, sig);
	if (timeout_s < 0 || c->kill_timer)
		return; /* -1 waits for ever; a running timer already covers it */
	struct kill_timer *kt = calloc(1, sizeof(*kt));
	if (!kt)
		return;
	kt->cs = cs;
	c->kill_timer = &kt->timer;
	uv_timer_init(cs->deps.loop, c->kill_timer);
	c->kill_timer->data = c;
	uv_timer_start(c->kill_timer, on_kill_timeout, (uint64_t)timeout_s * 1000, 0);
}

/* How long a SIGKILL waits for the exit before it is answered anyway; the
 * shim reports the exit, so only a wedged runtime gets this far. */
#define KILL_WAIT_MS 10000

/* A SIGKILL in flight: answered when the container stops or the deadline
 * passes, whichever comes first. Freed in the timer's close callback. */
struct kill_wait {
	uv_timer_t timer;
	struct container_waiter w;
	struct containers *cs;
	char id[65];
	container_done_fn done;
	void *userdata;
};

static void kill_wait_finish(struct kill_wait *kw)
{
	uv_timer_stop(&kw->timer);
	kw->done(0, NULL, kw->userdata);
	uv_close((uv_handle_t *)&kw->timer, (uv_close_cb)free);
}

static void kill_exited(struct container_waiter *w, int exit_code)
{
	(void)exit_code;
	kill_wait_finish(w->userdata);
}

static void kill_deadline(uv_timer_t *t)
{
	struct kill_wait *kw = (struct kill_wait *)t;
	struct container *c = NULL;
	struct error err = ERROR_INIT;
	int r = containers_lookup(kw->cs, kw->id, &c, &err);
	error_clear(&err);
	if (r < 0)
		return; /* its removal is under way and wakes the waiter */
	container_wait_cancel(c, &kw->w);
	kill_wait_finish(kw);
}

void container_kill(struct containers *cs, struct container *c, const char *signal,
		    container_done_fn done, void *userdata)
{
	struct error err = ERROR_INIT;
	int sig = SIGKILL;
	if (signal && *signal && container_parse_signal(signal, &sig, &err) < 0) {
		done(err.code, &err, userdata);
		error_clear(&err);
		return;
	}
	if (c->state != CONTAINER_RUNNING) {
		error_set(&err, -EBUSY, "Container %s is not running", c->id);
		done(err.code, &err, userdata);
		error_clear(&err);
		return;
	}
	container_mark_stopped(cs, c);
	send_signal(cs, c, sig);
	struct kill_wait *kw = sig == SIGKILL ? calloc(1, sizeof(*kw)) : NULL;
	if (!kw) {
		done(0, NULL, userdata);
		return;
	}
	*kw =
	    (struct kill_wait){.w = {.cond = WAIT_NOT_RUNNING, .done = kill_exited, .userdata = kw},
			       .cs = cs,
			       .done = done,
			       .userdata = userdata};
	memcpy(kw->id, c->id, sizeof(kw->id));
	uv_timer_init(cs->deps.loop, &kw->timer);
	uv_timer_start(&kw->timer, kill_deadline, KILL_WAIT_MS, 0);
	container_wait(c, &kw->w);
}

void container_wait(struct container *c, struct container_waiter *w)
{
	if (w->cond == WAIT_NOT_RUNNING && c->state != CONTAINER_RUNNING && !c->starting &&
	    !c->restart_timer) {
		w->done(w, c->exit_code);
		return;
	}
	w->next = c->waiters;
	c->waiters = w;
}

void container_wait_cancel(struct container *c, struct container_waiter *w)
{
	for (struct container_waiter **pw = &c->waiters; *pw; pw = &(*pw)->next)
		if (*pw == w) {
			*pw = w->next;
			return;
		}
}

void container_subscribe(struct container *c, struct container_sub *sub)
{
	sub->next = c->subs;
	c->subs = sub;
}

void container_unsubscribe(struct container *c, struct container_sub *sub)
{
	for (struct container_sub **ps = &c->subs; *ps; ps = &(*ps)->next)
		if (*ps == sub) {
			*ps = sub->next;
			return;
		}
}

void container_stdin(struct container *c, const char *data, size_t len)
{
	if (c->link && c->state == CONTAINER_RUNNING) {
		container_link_send(c, 'i', data, len);
		return;
	}
	char *b = realloc(c->stdin_buf, c->stdin_len + len);
	if (!b)
		return;
	memcpy(b + c->stdin_len, data, len);
	c->stdin_buf = b;
	c->stdin_len += len;
}

int container_resize(struct container *c, const char *h, const char *w, struct error *err)
{
	unsigned rows, cols;
	int r = tty_size_parse(h, w, &rows, &cols, err);
	if (r < 0)
		return r;
	if (c->state != CONTAINER_RUNNING)
		return error_set(err, -EBUSY, "Container %s is not running", c->id);
	if (!json_is_true(json_object_get(c->config, "Tty")) || !c->link)
		return 0; /* dockerd accepts a resize without a tty, to no effect */
	unsigned char p[8];
	shim_put_u32(p, rows);
	shim_put_u32(p + 4, cols);
	container_link_send(c, 'r', p, sizeof(p));
	return 0;
}

int tty_size_parse(const char *h, const char *w, unsigned *rows, unsigned *cols,
		   struct error *err)
{
	char *end;
	unsigned long v[2];
	const char *in[2] = {h, w};
	for (int i = 0; i < 2; i++) {
		errno = 0;
		v[i] = in[i] && *in[i] ? strtoul(in[i], &end, 10) : 0;
		if (!in[i] || !*in[i] || *end || errno || v[i] > 65535)
			return error_set(err, -EINVAL, "invalid terminal size: h=%s w=%s",
					 h ? h : "", w ? w : "");
	}
	*rows = (unsigned)v[0];
	*cols = (unsigned)v[1];
	return 0;
}

void container_stdin_close(struct container *c)
{
	if (c->link && c->state == CONTAINER_RUNNING)
		container_link_send(c, 'c', NULL, 0);
	else
		c->stdin_close = true;
}

/* ---- removal ---- */

struct remove_job {
	uv_work_t work;
	struct containers *cs;
	struct container *c;
	char *dir, *bundle;
	struct storage_driver *drv;
	struct error err;
	int r;
	container_done_fn done;
	void *userdata;
};

static void remove_work(uv_work_t *w)
{
	struct remove_job *job = w->data;
	job->r = storage_remove(job->drv, job->c->id, &job->err);
	image_rm_rf(job->dir);
	image_rm_rf(job->bundle);
}

static void remove_finish(void *data)
{
	struct remove_job *job = data;
	struct container *c = job->c;
	container_event(job->cs, c, "destroy", NULL);
	end_subs(c);
	wake_waiters(c, true);
	job->done(0, NULL, job->userdata);
	container_free(c);
	error_clear(&job->err);
	free(job->dir);
	free(job->bundle);
	free(job);
}

static void remove_after(uv_work_t *w, int status)
{
	struct remove_job *job = w->data;
	struct container *c = job->c;
	if (job->r < 0)
		log_warn(job->cs->deps.log, "removing container %s: %s", c->id,
			 error_msg(&job->err));
	/* The read-write entry is gone: the image's layers may go too, and the
	 * reply waits for them (a client may look at the store at once). */
	if (c->layer) {
		layer_store_release(job->cs->deps.images->layers, c->layer, NULL);
		c->layer = NULL;
	}
	if (layer_store_after_removals(job->cs->deps.images->layers, remove_finish, job) < 0)
		remove_finish(job);
}

/* Renames the directory first: a crash from here on leaves a
 * ".<id>.removing" that the next start deletes. */
static int begin_remove(struct containers *cs, struct container *c, struct remove_job *job,
			struct error *err)
{
	_cleanup_free_ char *dir = container_path(cs, c, NULL);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	_cleanup_free_ char *bundle = container_bundle_path(cs, c, NULL);
	char *bslash = bundle ? strrchr(bundle, '/') : NULL;
	if (!slash || !bslash ||
	    asprintf(&job->dir, "%.*s/.%s.removing", (int)(slash - dir), dir, c->id) < 0 ||
	    asprintf(&job->bundle, "%.*s/.%s.removing", (int)(bslash - bundle), bundle, c->id) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	/* The secrets' tmpfs first: the tree removal cannot delete in it. */
	int r = container_secrets_clear(cs, c, err);
	if (r < 0)
		return r;
	if (rename(dir, job->dir) < 0)
		return error_set(err, -errno, "rename %s: %s", dir, strerror(errno));
	/* The bundle too: an exec shim still ending writes its exit file
	 * there, and must find no directory rather than refill one the
	 * removal is emptying. */
	if (rename(bundle, job->bundle) < 0 && errno != ENOENT) {
		log_warn(cs->deps.log, "rename %s: %s", bundle, strerror(errno));
		free(job->bundle);
		job->bundle = TAKE_PTR(bundle);
	}
	return 0;
}

void container_remove(struct containers *cs, struct container *c, bool force, bool volumes,
		      container_done_fn done, void *userdata)
{
	struct net_container nc;
	struct error err = ERROR_INIT;
	int r = 0;
	if (c->removing)
		r = error_set(&err, -EBUSY, "removal of container %s is already in progress", c->id);
	else if (c->starting && !force)
		r = error_set(&err, -EBUSY, "container %s is starting: try again once it has", c->id);
	else if (c->restart_timer && !force)
		r = error_set(&err, -EBUSY,
			      "You cannot remove a restarting container %s. Stop the container "
			      "before attempting removal or force remove",
			      c->id);
	else if ((c->state == CONTAINER_RUNNING || c->starting) && !force)
		r = error_set(&err, -EBUSY,
			      "You cannot remove a running container %s. Stop the container before "
			      "attempting removal or force remove",
			      c->id);
	if (r == 0 && (c->state == CONTAINER_RUNNING || c->starting)) {
		/* Removed when the exit arrives (container_exited), or once the
		 * start settled (container_start_settled). */
		c->manual_stop = true;
		c->remove_volumes |= volumes;
		if (op_add(&c->removes, done, userdata) < 0)
			r = error_set(&err, -ENOMEM, "out of memory");
		else if (!c->starting)
			send_signal(cs, c, SIGKILL);
		if (r == 0)
			return;
	}
	struct remove_job *job = r == 0 ? calloc(1, sizeof(*job)) : NULL;
	if (r == 0 && !job)
		r = error_set(&err, -ENOMEM, "out of memory");
	if (r == 0)
		r = begin_remove(cs, c, job, &err);
	if (r < 0) {
		if (job) {
			free(job->dir);
			free(job->bundle);
			free(job);
		}
		done(r, &err, userdata);
		error_clear(&err);
		return;
	}
	c->removing = true;
	container_restart_cancel(c);
	containers_forget(cs, c);
	container_release_volumes(cs, c->id, c->mounts, volumes);
	network_container_removed(cs->networks, container_net(c, &nc));
	*job = (struct remove_job){.cs = cs,
				   .c = c,
				   .dir = job->dir,
				   .bundle = job->bundle,
				   .drv = cs->deps.images->storage,
				   .done = done,
				   .userdata = userdata};
	job->work.data = job;
	uv_queue_work(cs->deps.loop, &job->work, remove_work, remove_after);
}

static void stopped_after_start(int r, const struct error *err, void *userdata)
{
}

void container_start_settled(struct containers *cs, struct container *c)
{
	struct container_op *removes = c->removes;
	/* A stop arrived while the container was starting. */
	if (!removes && c->manual_stop && c->state == CONTAINER_RUNNING)
		container_stop(cs, c, -1, NULL, stopped_after_start, NULL);
	else if (c->state != CONTAINER_RUNNING)
		container_ops_finish(&c->stops, 0, NULL); /* the start failed: stopped */
	if (!removes)
		return;
	if (c->state == CONTAINER_RUNNING && !c->removing) {
		send_signal(cs, c, SIGKILL);
		return;
	}
	c->removes = NULL;
	/* A failed --rm start is being removed already: the others only wait. */
	struct container_op *rest = removes;
	if (!c->removing) {
		container_remove(cs, c, true, c->remove_volumes, removes->done, removes->userdata);
		rest = removes->next;
	}
	for (struct container_op *op = rest; op; op = op->next)
		op->done(0, NULL, op->userdata);
	while (removes) {
		struct container_op *next = removes->next;
		free(removes);
		removes = next;
	}
}

void container_runtime_close(struct container *c)
{
	container_link_close(c);
	close_timer(c);
	health_close(c);
	container_restart_cancel(c);
	if (c->starting)
		start_job_cancel(c->starting);
}

void container_start_failed(struct containers *cs, struct container *c, const struct error *err)
{
	struct net_container nc;
	const char *msg = error_msg(err);
	container_unmount(cs, c);
	network_container_down(cs->networks, container_net(c, &nc));
	free(c->error);
	c->error = strdup(msg);
	c->exit_code = strstr(msg, "executable file not found") || strstr(msg, "no such file or directory")
			       ? 127
		       : strstr(msg, "permission denied") ? 126 : 128;
	c->pid = 0;
	struct error e2 = ERROR_INIT;
	if (container_save(cs, c, &e2) < 0)
		log_warn(cs->deps.log, "container %s: %s", c->id, error_msg(&e2));
	error_clear(&e2);
	end_subs(c);
	wake_waiters(c, false);
	if (json_is_true(json_object_get(c->host_config, "AutoRemove")))
		container_remove(cs, c, true, true, removed_done, cs);
}
