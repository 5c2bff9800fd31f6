/* Attached I/O shared by run, start -a, attach and exec (see attach_io.h). */
#include "cli/attach_io.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "cli/client.h"

void demux_feed(struct demux *d, const char *p, size_t n,
		void (*out)(int stream, const char *data, size_t len, void *userdata),
		void *userdata)
{
	while (n) {
		if (d->left == 0) {
			size_t take = 8 - d->hdr_len < n ? 8 - d->hdr_len : n;
			memcpy(d->hdr + d->hdr_len, p, take);
			d->hdr_len += take;
			p += take;
			n -= take;
			if (d->hdr_len == 8) {
				d->left = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 |
					  (uint32_t)d->hdr[6] << 8 | d->hdr[7];
				d->stream = d->hdr[0] == 2 ? 2 : 1;
				d->hdr_len = 0;
			}
			continue;
		}
		size_t take = d->left < n ? d->left : n;
		out(d->stream, p, take, userdata);
		p += take;
		n -= take;
		d->left -= (uint32_t)take;
	}
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* To the connection: a daemon that already hung up must not kill us with
 * SIGPIPE before we collect the exit status. */
static int send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void out_stream(int stream, const char *data, size_t len, void *userdata)
{
	const struct cli *cli = userdata;
	FILE *f = stream == 2 ? cli->err : cli->out;
	fflush(f);
	write_all(fileno(f), data, len);
}

void attach_io_resize(const struct cli *cli, const char *resize_path)
{
	struct winsize ws;
	if (!resize_path ||
	    (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0))
		return;
	if (ws.ws_row == 0 && ws.ws_col == 0)
		return;
	char h[16], w[16];
	snprintf(h, sizeof(h), "%u", ws.ws_row);
	snprintf(w, sizeof(w), "%u", ws.ws_col);
	struct query q = {0};
	query_add(&q, "h", h);
	query_add(&q, "w", w);
	struct error err = ERROR_INIT;
	struct client c;
	if (client_init(&c, cli, &err) >= 0)
		client_request_json(&c, "POST", resize_path, &q, NULL, NULL, &err);
	client_done(&c);
	query_done(&q);
	error_clear(&err);
}

static void proxy_signal(const struct cli *cli, const char *kill_path, int sig)
{
	const char *name = sigabbrev_np(sig);
	if (!kill_path || !name)
		return;
	struct query q = {0};
	query_add(&q, "signal", name);
	struct error err = ERROR_INIT;
	struct client c;
	if (client_init(&c, cli, &err) >= 0)
		client_request_json(&c, "POST", kill_path, &q, NULL, NULL, &err);
	client_done(&c);
	query_done(&q);
	error_clear(&err);
}

static const int proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* The terminal state and signal mask a session changes, to undo them. */
struct session {
	bool raw;
	struct termios saved;
	sigset_t old_mask;
	int sfd;
};

static void session_begin(struct session *s, const struct attach_opts *o)
{
	sigset_t set;
	sigemptyset(&set);
	if (o->tty && o->resize_path)
		sigaddset(&set, SIGWINCH);
	if (o->sig_proxy && !o->tty)
		for (size_t i = 0; i < ARRAY_SIZE(proxied); i++)
			sigaddset(&set, proxied[i]);
	sigprocmask(SIG_BLOCK, &set, &s->old_mask);
	s->sfd = signalfd(-1, &set, SFD_CLOEXEC);
	s->raw = false;
	if (o->tty && o->in && isatty(STDIN_FILENO) && !getenv("NORAW") &&
	    tcgetattr(STDIN_FILENO, &s->saved) == 0) {
		struct termios t = s->saved;
		cfmakeraw(&t);
		s->raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	}
}

static void session_end(struct session *s)
{
	if (s->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &s->saved);
	if (s->sfd >= 0)
		close(s->sfd);
	sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
}

static void on_signal(const struct cli *cli, int sfd, const struct attach_opts *o)
{
	struct signalfd_siginfo si;
	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGWINCH)
			attach_io_resize(cli, o->resize_path);
		else
			proxy_signal(cli, o->kill_path, (int)si.ssi_signo);
		break;
	}
}

/* Sends what was typed; returns 1 on detach, -1 at EOF/error, else 0. */
static int on_input(int fd, struct detach_keys *esc, bool filter)
{
	uint8_t buf[16384], out[16384 + DETACH_KEYS_MAX];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0)
		return -1;
	bool detach = false;
	size_t len = (size_t)n;
	const uint8_t *p = buf;
	if (filter) {
		len = detach_keys_filter(esc, buf, (size_t)n, out, &detach);
		p = out;
	}
	if (len && send_all(fd, p, len) < 0)
		return -1;
	return detach ? 1 : 0;
}

int attach_io_pump(const struct cli *cli, int fd, const struct attach_opts *o, struct error *err)
{
	struct detach_keys esc = {0};
	bool filter = o->tty && o->in;
	if (filter && detach_keys_parse(o->detach_keys, &esc) < 0)
		return error_set(err, -EINVAL, "Invalid detach keys (%s) provided", o->detach_keys);
	struct session s;
	session_begin(&s, o);
	if (o->tty)
		attach_io_resize(cli, o->resize_path);
	struct pollfd p[3] = {{.fd = fd, .events = POLLIN},
			      {.fd = o->in ? STDIN_FILENO : -1, .events = POLLIN},
			      {.fd = s.sfd, .events = POLLIN}};
	struct demux d = {0};
	char buf[65536];
	int ret = 0;
	for (;;) {
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[2].revents)
			on_signal(cli, s.sfd, o);
		if (p[0].revents) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (o->tty)
				out_stream(1, buf, (size_t)n, (void *)cli);
			else
				demux_feed(&d, buf, (size_t)n, out_stream, (void *)cli);
		}
		if (p[1].revents) {
			int r = on_input(fd, &esc, filter);
			if (r > 0) {
				ret = 1;
				break;
			}
			if (r < 0) {
				shutdown(fd, SHUT_WR);
				p[1].fd = -1;
			}
		}
	}
	session_end(&s);
	if (ret == 1) {
		/* docker's wording, once the terminal is back to normal. */
		fflush(cli->out);
		fputs("read escape sequence\n", cli->err);
		fflush(cli->err);
	}
	return ret;
}

/* --- sessions --------------------------------------------------------------------- */

/* The wait request runs on its own thread: it must be on the wire before
 * the start, and answers only once the container exited. */
struct waiter {
	const struct cli *cli;
	char *path;
	const char *condition;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool sent, done;
	int r, code;
	struct error err;
};

static void waiter_mark(struct waiter *w, bool done)
{
	pthread_mutex_lock(&w->mu);
	w->sent = true;
	w->done = w->done || done;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void waiter_sent(void *userdata)
{
	waiter_mark(userdata, false);
}

static void *waiter_main(void *userdata)
{
	struct waiter *w = userdata;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	struct query q = {0};
	if (w->condition)
		query_add(&q, "condition", w->condition);
	struct client c;
	json_t *resp = NULL;
	w->r = client_init(&c, w->cli, &w->err);
	if (w->r >= 0) {
		const struct client_req rq = {.method = "POST",
					      .path = w->path,
					      .query = &q,
					      .body_fd = -1,
					      .sent = waiter_sent,
					      .sent_userdata = w};
		w->r = client_request(&c, &rq, &resp, &w->err);
	}
	client_done(&c);
	query_done(&q);
	w->code = (int)json_integer_value(json_object_get(resp, "StatusCode"));
	json_decref(resp);
	waiter_mark(w, true);
	return NULL;
}

static int container_attach(const struct cli *cli, const struct attach_session *s, int *ret_fd,
			    struct error *err)
{
	_cleanup_free_ char *esc = query_escape(s->id), *path = NULL;
	if (!esc || asprintf(&path, "/containers/%s/attach", esc) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	struct query q = {0};
	query_add(&q, "stream", "1");
	if (s->in)
		query_add(&q, "stdin", "1");
	query_add(&q, "stdout", "1");
	query_add(&q, "stderr", "1");
	if (s->detach_keys)
		query_add(&q, "detachKeys", s->detach_keys);
	struct client c;
	int r = client_init(&c, cli, err);
	if (r >= 0)
		r = client_hijack(&c, path, &q, NULL, ret_fd, err);
	client_done(&c);
	query_done(&q);
	return r;
}

static int container_post(const struct cli *cli, const char *path, struct error *err)
{
	struct client c;
	int r = client_init(&c, cli, err);
	if (r >= 0)
		r = client_request_json(&c, "POST", path, NULL, NULL, NULL, err);
	client_done(&c);
	return r;
}

int attach_session_run(const struct cli *cli, const struct attach_session *s, int *ret_code,
		       bool *ret_started, struct error *err)
{
	_cleanup_free_ char *esc = query_escape(s->id), *wait_path = NULL, *start_path = NULL,
			    *resize_path = NULL, *kill_path = NULL;
	*ret_started = false;
	if (!esc || asprintf(&wait_path, "/containers/%s/wait", esc) < 0 ||
	    asprintf(&start_path, "/containers/%s/start", esc) < 0 ||
	    asprintf(&resize_path, "/containers/%s/resize", esc) < 0 ||
	    asprintf(&kill_path, "/containers/%s/kill", esc) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	_cleanup_close_ int fd = -1;
	int r = container_attach(cli, s, &fd, err);
	if (r < 0)
		return r;
	/* The waiter outlives this function when the user detaches (the
	 * process exits with it still blocked), so it is never freed then. */
	struct waiter *w = calloc(1, sizeof(*w));
	if (!w)
		return error_set(err, -ENOMEM, "out of memory");
	*w = (struct waiter){.cli = cli, .path = wait_path, .condition = s->wait_condition};
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_t th;
	if (pthread_create(&th, NULL, waiter_main, w) != 0) {
		free(w);
		return error_set(err, -EAGAIN, "cannot start a thread");
	}
	wait_path = NULL; /* the waiter's now */
	pthread_mutex_lock(&w->mu);
	while (!w->sent)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	if (s->start) {
		r = container_post(cli, start_path, err);
		if (r < 0 && s->wait_condition && !strcmp(s->wait_condition, "removed")) {
			/* The daemon removes an auto-remove container whose start
			 * failed: wait for that, as docker does, before leaving. */
			close(TAKE_FD(fd));
			pthread_join(th, NULL);
			error_clear(&w->err);
			free(w->path);
			free(w);
			return r;
		}
		if (r < 0) {
			pthread_detach(th);
			return r;
		}
		*ret_started = true;
	}
	const struct attach_opts ao = {.tty = s->tty,
				       .in = s->in,
				       .sig_proxy = s->sig_proxy,
				       .detach_keys = s->detach_keys,
				       .resize_path = resize_path,
				       .kill_path = kill_path};
	r = attach_io_pump(cli, fd, &ao, err);
	if (r != 0) {
		pthread_detach(th);
		return r;
	}
	pthread_join(th, NULL);
	r = w->r;
	if (r < 0)
		*err = w->err;
	else
		error_clear(&w->err);
	*ret_code = w->code;
	free(w->path);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	return r;
}
