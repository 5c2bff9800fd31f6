/* berth-shim's exec mode: one `runc exec` in a running container, so that an
 * exec outlives berthd as its container does. berthd binds and listens on
 * the socket and hands it over (--listen-fd), so it can connect and send 's'
 * at once; the shim runs runc only on that 's', so no output is produced
 * before berthd is there to read it. Then it serves output, stdin, signals
 * and resizes to its clients (output nobody is connected for is dropped, the
 * process never blocks), records the exit in <bundle>/exec-<id>.exit.json,
 * sends 'x' and exits. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/timeutil.h"
#include "shared/shim_proto.h"
#include "shim/shim.h"

/* berthd sends 's' right after connecting; a shim that never gets it (berthd
 * died in between) goes after this long. */
#define START_DEADLINE_MS (60 * 1000)
/* After the process exits, output still in the pipes is drained for at
 * most this (dockerd waits as long for an exec's streams). */
#define DRAIN_MS 2000
/* Stdin queued beyond this stops reading clients until the process reads. */
#define IN_QUEUE_MAX (1u << 20)

pid_t shim_exec_pid(struct shim *s)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	if (s->exec_pid > 0 || !s->started)
		return s->exec_pid;
	if (asprintf(&path, "%s/exec-%s.pid", s->o.bundle, s->o.exec_id) >= 0 &&
	    fs_read_file(path, 64, &text, NULL) == 0)
		s->exec_pid = atoi(text);
	return s->exec_pid;
}

/* A pty of ours for runc's stdio: runc makes the process's own terminal and
 * copies between the two (it hands a pty over only when it detaches, and
 * then the exit status would be lost). */
static int open_pty(int *master, int *slave)
{
	char name[64];
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0)
		return -errno;
	if (grantpt(*master) == 0 && unlockpt(*master) == 0 &&
	    ptsname_r(*master, name, sizeof(name)) == 0 &&
	    (*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) >= 0)
		return 0;
	int r = -errno;
	close(*master);
	return r;
}

static int start_tty(struct shim *s)
{
	int master = -1, slave = -1;
	int r = open_pty(&master, &slave);
	if (r < 0)
		return r;
	s->init_pid = shim_runtime_exec(s, slave, slave, slave);
	close(slave);
	fcntl(master, F_SETFL, O_NONBLOCK);
	s->tty_fd = s->out_fd = master;
	if (s->o.open_stdin)
		s->in_fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
	return s->init_pid < 0 ? s->init_pid : 0;
}

static int start_pipes(struct shim *s)
{
	int out[2], err[2], in[2] = {-1, -1};
	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	s->out_fd = out[0];
	if (pipe2(err, O_CLOEXEC) < 0) {
		close(out[1]);
		return -errno;
	}
	s->err_fd = err[0];
	if (s->o.open_stdin && pipe2(in, O_CLOEXEC) < 0)
		in[0] = in[1] = -1;
	int in_r = in[0] >= 0 ? in[0] : open("/dev/null", O_RDONLY | O_CLOEXEC);
	s->init_pid = shim_runtime_exec(s, in_r, out[1], err[1]);
	close(in_r);
	close(out[1]);
	close(err[1]);
	s->in_fd = in[1];
	if (s->in_fd >= 0)
		fcntl(s->in_fd, F_SETFL, O_NONBLOCK);
	return s->init_pid < 0 ? s->init_pid : 0;
}

void shim_exec_start(struct shim *s)
{
	s->started = true;
	int r = s->o.tty ? start_tty(s) : start_pipes(s);
	if (r < 0) {
		/* runc could not even be run: as its failure to start. */
		fprintf(stderr, "berth-shim exec %s: cannot run %s: %s\n", s->o.exec_id,
			s->o.runtime, strerror(-r));
		s->exited = true;
		s->exit_code = 126;
	}
}

static void flush_stdin(struct shim *s)
{
	while (s->in_q_len && s->in_fd >= 0) {
		ssize_t n = write(s->in_fd, s->in_q, s->in_q_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* The process closed its stdin: what is left goes nowhere. */
			s->in_q_len = 0;
			break;
		}
		memmove(s->in_q, s->in_q + n, s->in_q_len - (size_t)n);
		s->in_q_len -= (size_t)n;
	}
	if (s->in_close && s->in_q_len == 0 && s->in_fd >= 0) {
		close(s->in_fd);
		s->in_fd = -1;
	}
}

void shim_exec_stdin(struct shim *s, const unsigned char *p, size_t n)
{
	if (s->in_fd < 0 || s->in_close || !n)
		return;
	unsigned char *q = realloc(s->in_q, s->in_q_len + n);
	if (!q)
		return;
	memcpy(q + s->in_q_len, p, n);
	s->in_q = q;
	s->in_q_len += n;
	flush_stdin(s);
}

void shim_exec_stdin_close(struct shim *s)
{
	s->in_close = true;
	flush_stdin(s);
}

static void close_output(struct shim *s, int *fd)
{
	/* A pty master also carries stdin: it is closed once, at the end. */
	if (*fd != s->tty_fd)
		close(*fd);
	*fd = -1;
}

/* One poll round: the socket, the signalfd, output, stdin, clients. */
static void poll_once(struct shim *s, int timeout_ms)
{
	struct pollfd p[5 + SHIM_MAX_CLIENTS];
	bool want_in = s->in_q_len > 0 && s->in_fd >= 0;
	int fds[5] = {s->listen_fd, s->sig_fd, s->out_fd, s->err_fd, want_in ? s->in_fd : -1};
	for (int i = 0; i < 5; i++)
		p[i] = (struct pollfd){.fd = fds[i], .events = i == 4 ? POLLOUT : POLLIN};
	/* A full stdin queue stops the clients until the process reads. */
	bool read_clients = s->in_q_len < IN_QUEUE_MAX;
	for (size_t i = 0; i < s->n_clients; i++)
		p[5 + i] =
		    (struct pollfd){.fd = s->clients[i].fd, .events = read_clients ? POLLIN : 0};
	size_t nc = s->n_clients;
	if (poll(p, 5 + nc, timeout_ms) <= 0)
		return;
	if (p[1].revents)
		shim_reap(s);
	int *outs[2] = {&s->out_fd, &s->err_fd};
	for (int i = 0; i < 2; i++)
		if (p[2 + i].revents && shim_pump(s, *outs[i], i ? 'e' : 'o') <= 0)
			close_output(s, outs[i]);
	if (p[4].revents)
		flush_stdin(s);
	for (size_t i = nc; i-- > 0;)
		if (p[5 + i].revents && !shim_client_read(s, i))
			shim_client_drop(s, i);
	if (p[0].revents)
		shim_accept(s);
}

static void record_exit(struct shim *s, int64_t now)
{
	_cleanup_free_ char *path = NULL;
	char ts[64], body[160];
	time_format_rfc3339nano(now, ts, sizeof(ts));
	int n = snprintf(body, sizeof(body), "{\"ExitCode\":%d,\"FinishedAt\":\"%s\"}\n",
			 s->exit_code, ts);
	if (asprintf(&path, "%s/exec-%s.exit.json", s->o.bundle, s->o.exec_id) < 0)
		return;
	struct error err = ERROR_INIT;
	if (fs_replace(path, body, (size_t)n, 0600, &err) < 0)
		fprintf(stderr, "berth-shim exec %s: %s\n", s->o.exec_id, error_msg(&err));
	error_clear(&err);
}

static void finish(struct shim *s)
{
	int64_t now = time_now_ns();
	if (s->started)
		record_exit(s, now);
	unsigned char p[13] = {0};
	shim_put_u32(p, (uint32_t)s->exit_code);
	shim_put_u64(p + 4, (uint64_t)now);
	shim_broadcast(s, 'x', p, sizeof(p));
	unlink(s->o.socket);
	while (s->n_clients)
		shim_client_drop(s, 0);
	if (s->tty_fd >= 0)
		close(s->tty_fd);
	if (s->in_fd >= 0 && s->in_fd != s->tty_fd)
		close(s->in_fd);
	free(s->in_q);
}

static int setup(struct shim *s)
{
	s->listen_fd = s->o.listen_fd;
	/* Inherited without close-on-exec; runc must not hold it. */
	fcntl(s->listen_fd, F_SETFD, FD_CLOEXEC);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	s->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return s->sig_fd < 0 ? -errno : 0;
}

int shim_exec_main(struct shim *s)
{
	if (setup(s) < 0) {
		unlink(s->o.socket);
		return 1;
	}
	int null = open("/dev/null", O_RDWR);
	dup2(null, 1);
	close(null);
	int64_t deadline = time_now_ns() + (int64_t)START_DEADLINE_MS * 1000000;
	while (!s->started) {
		poll_once(s, 500);
		/* berthd is gone before it asked for the start: a restarted
		 * daemon finds neither socket nor exit file and says so. */
		if (!s->started && ((s->had_client && s->n_clients == 0) || shim_daemon_gone(s) ||
				    time_now_ns() > deadline)) {
			unlink(s->o.socket);
			return 1;
		}
	}
	while (!s->exited)
		poll_once(s, 500);
	deadline = time_now_ns() + (int64_t)DRAIN_MS * 1000000;
	while ((s->out_fd >= 0 || s->err_fd >= 0) && time_now_ns() < deadline)
		poll_once(s, 100);
	finish(s);
	return 0;
}
