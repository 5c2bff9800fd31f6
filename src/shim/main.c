/* berth-shim's entry point: detach from berthd, make the container's stdio,
 * report on the sync pipe, run the container through the runtime when
 * berthd starts it, then serve until it exits and record how it ended. See
 * shim.h. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/console.h"
#include "basic/fs.h"
#include "basic/timeutil.h"
#include "shared/shim_proto.h"
#include "shim/shim.h"

/* A shim whose container berthd never starts (berthd died before the
 * start) exits after this long. */
#define START_DEADLINE_MS (60 * 1000)
/* After init exits, output still in the pipes is drained for at most this. */
#define DRAIN_MS 2000

static int parse_args(int argc, char **argv, struct shim_opts *o)
{
	static const struct option opts[] = {
	    {"id", required_argument, NULL, 'i'},
	    {"bundle", required_argument, NULL, 'b'},
	    {"dir", required_argument, NULL, 'd'},
	    {"socket", required_argument, NULL, 's'},
	    {"runtime", required_argument, NULL, 'r'},
	    {"runtime-root", required_argument, NULL, 'R'},
	    {"stdin", no_argument, NULL, 'I'},
	    {"stdin-once", no_argument, NULL, 'O'},
	    {"tty", no_argument, NULL, 'T'},
	    {"log-max-size", required_argument, NULL, 'M'},
	    {"log-max-file", required_argument, NULL, 'F'},
	    {"no-log", no_argument, NULL, 'N'},
	    {"exec-id", required_argument, NULL, 'x'},
	    {"process", required_argument, NULL, 'p'},
	    {"listen-fd", required_argument, NULL, 'l'},
	    {"syslog-proto", required_argument, NULL, 'P'},
	    {"syslog-addr", required_argument, NULL, 'A'},
	    {"syslog-facility", required_argument, NULL, 'Y'},
	    {"syslog-format", required_argument, NULL, 'Z'},
	    {"syslog-tag", required_argument, NULL, 'G'},
	    {"gelf-proto", required_argument, NULL, 'g'},
	    {"gelf-addr", required_argument, NULL, 'a'},
	    {"gelf-compress", required_argument, NULL, 'c'},
	    {"gelf-level", required_argument, NULL, 'v'},
	    {"gelf-extra", required_argument, NULL, 'e'},
	    {0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': o->id = optarg; break;
		case 'b': o->bundle = optarg; break;
		case 'd': o->dir = optarg; break;
		case 's': o->socket = optarg; break;
		case 'r': o->runtime = optarg; break;
		case 'R': o->runtime_root = optarg; break;
		case 'I': o->open_stdin = true; break;
		case 'O': o->stdin_once = true; break;
		case 'T': o->tty = true; break;
		case 'M': o->log_max_size = strtoull(optarg, NULL, 10); break;
		case 'F': o->log_max_file = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'N':
			o->no_log = true;
			break;
		case 'x': o->exec_id = optarg; break;
		case 'p': o->process = optarg; break;
		case 'l': o->listen_fd = atoi(optarg); break;
		case 'P':
			o->syslog_proto = optarg;
			break;
		case 'A':
			o->syslog_addr = optarg;
			break;
		case 'Y':
			o->syslog_facility = atoi(optarg);
			break;
		case 'Z':
			o->syslog_format = optarg;
			break;
		case 'G':
			o->syslog_tag = optarg;
			break;
		case 'g':
			o->gelf_proto = optarg;
			break;
		case 'a':
			o->gelf_addr = optarg;
			break;
		case 'c':
			o->gelf_compress = optarg;
			break;
		case 'v':
			o->gelf_level = atoi(optarg);
			break;
		case 'e':
			o->gelf_extra = optarg;
			break;
		default: return -EINVAL;
		}
	}
	if (!o->id || !o->bundle || !o->socket || !o->runtime || !o->runtime_root)
		return -EINVAL;
	if (o->exec_id)
		return o->process && o->listen_fd > 2 ? 0 : -EINVAL;
	return o->dir ? 0 : -EINVAL;
}

/* Double fork: berthd's child exits at once so the shim is nobody's child
 * but init's, and a new session keeps it out of berthd's process group. */
static void detach(void)
{
	pid_t pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	setsid();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
}

static int open_fds(struct shim *s)
{
	int r = shim_log_open(s);
	if (r < 0)
		return r;
	s->listen_fd = unix_socket_listen(s->o.socket, 16);
	if (s->listen_fd < 0)
		return s->listen_fd;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	s->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return s->sig_fd < 0 ? -errno : 0;
}

/* A tty container: runc hands over the pty master on a console socket;
 * output and input both go through it. */
static int run_tty(struct shim *s, char *msg, size_t msg_len)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s.tty", s->o.socket) < 0)
		return -ENOMEM;
	_cleanup_close_ int lfd = console_socket_listen(path);
	if (lfd < 0) {
		snprintf(msg, msg_len, "console socket %s: %s", path, strerror(-lfd));
		return lfd;
	}
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int r = shim_runtime_run(s, null, null, null, path, msg, msg_len);
	close(null);
	if (r == 0) {
		s->tty_fd = console_socket_receive(lfd, 10000);
		if (s->tty_fd < 0) {
			r = s->tty_fd;
			snprintf(msg, msg_len, "no terminal from the runtime: %s", strerror(-r));
		}
	}
	unlink(path);
	if (r < 0)
		return r;
	fcntl(s->tty_fd, F_SETFL, O_NONBLOCK);
	s->out_fd = s->tty_fd;
	if (s->o.open_stdin)
		s->in_fd = fcntl(s->tty_fd, F_DUPFD_CLOEXEC, 3);
	return 0;
}

/* The stdio pipes, made before the start so that input sent before it
 * waits in the pipe; the container's ends stay here until the runtime has
 * them. A tty container gets its terminal at the start. */
static int make_stdio(struct shim *s)
{
	if (s->o.tty)
		return 0;
	int out[2], err[2], in[2] = {-1, -1};
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return -errno;
	if (s->o.open_stdin && pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	s->child_fds[0] = in[0] >= 0 ? in[0] : open("/dev/null", O_RDONLY | O_CLOEXEC);
	s->child_fds[1] = out[1];
	s->child_fds[2] = err[1];
	s->out_fd = out[0];
	s->err_fd = err[0];
	s->in_fd = in[1];
	if (s->in_fd >= 0)
		fcntl(s->in_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

static void close_child_fds(struct shim *s)
{
	for (int i = 0; i < 3; i++) {
		if (s->child_fds[i] >= 0)
			close(s->child_fds[i]);
		s->child_fds[i] = -1;
	}
}

int shim_start(struct shim *s, char *msg, size_t msg_len)
{
	s->created = true;
	if (s->o.tty)
		return run_tty(s, msg, msg_len);
	int r = shim_runtime_run(s, s->child_fds[0], s->child_fds[1], s->child_fds[2], NULL, msg,
				 msg_len);
	close_child_fds(s);
	return r;
}

void shim_reap(struct shim *s)
{
	struct signalfd_siginfo si;
	while (read(s->sig_fd, &si, sizeof(si)) == sizeof(si))
		;
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid != s->init_pid)
			continue;
		s->exited = true;
		s->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
}

/* Whether the kernel's OOM killer struck in the container's cgroup (read
 * before the runtime removes it): oom_kill of memory.oom_control (v1) or
 * memory.events (v2). */
static bool oom_killed(const struct shim *s)
{
	static const char *const files[] = {"/sys/fs/cgroup/memory/berth/%s/memory.oom_control",
					    "/sys/fs/cgroup/berth/%s/memory.events"};
	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *path = NULL, *text = NULL;
		if (asprintf(&path, files[i], s->o.id) < 0 || fs_read_file(path, 4096, &text, NULL) < 0)
			continue;
		const char *p = strstr(text, "oom_kill ");
		return p && strtoull(p + 9, NULL, 10) > 0;
	}
	return false;
}

/* exit.json is how berthd learns the exit when it was not connected. No
 * fsync: it must outlive a berthd killed with -9, which the page cache
 * does; after a machine's crash no container is left running and a lost or
 * torn file reads as an unknown exit (255). The fsyncs cost the exit's
 * path two journal commits. */
static void record_exit(struct shim *s, int64_t now)
{
	_cleanup_free_ char *path = NULL;
	char ts[64], body[256];
	time_format_rfc3339nano(now, ts, sizeof(ts));
	int n = snprintf(body, sizeof(body),
			 "{\"ExitCode\":%d,\"FinishedAt\":\"%s\",\"Pid\":%d,\"OOMKilled\":%s}\n",
			 s->exit_code, ts, (int)s->init_pid, s->oom_killed ? "true" : "false");
	if (asprintf(&path, "%s/exit.json", s->o.dir) < 0)
		return;
	struct error err = ERROR_INIT;
	if (fs_replace(path, body, (size_t)n, 0600, &err) < 0)
		fprintf(stderr, "berth-shim %s: %s\n", s->o.id, error_msg(&err));
	error_clear(&err);
}

static void finish(struct shim *s)
{
	int64_t now = time_now_ns();
	s->oom_killed = oom_killed(s);
	record_exit(s, now);
	/* The cgroup and runc's state go before berthd hears of the exit, so
	 * a `docker rm` that follows finds nothing of the container left. */
	shim_runtime_delete(s);
	unsigned char p[13];
	shim_put_u32(p, (uint32_t)s->exit_code);
	shim_put_u64(p + 4, (uint64_t)now);
	p[12] = s->oom_killed;
	shim_broadcast(s, 'x', p, sizeof(p));
	unlink(s->o.socket);
	while (s->n_clients)
		shim_client_drop(s, 0);
}

/* One poll round over the pipes, the socket, the signalfd and clients. */
static void poll_once(struct shim *s, int timeout_ms)
{
	struct pollfd p[4 + SHIM_MAX_CLIENTS];
	int fds[4] = {s->listen_fd, s->sig_fd, s->out_fd, s->err_fd};
	for (int i = 0; i < 4; i++)
		p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	for (size_t i = 0; i < s->n_clients; i++)
		p[4 + i] = (struct pollfd){.fd = s->clients[i].fd, .events = POLLIN};
	size_t nc = s->n_clients;
	if (poll(p, 4 + nc, timeout_ms) <= 0)
		return;
	if (p[1].revents)
		shim_reap(s);
	/* Output before new clients and messages: a start request's answer
	 * must not overtake output produced before it. */
	int *pipes[2] = {&s->out_fd, &s->err_fd};
	for (int i = 0; i < 2; i++)
		if (p[2 + i].revents && shim_pump(s, *pipes[i], i ? 'e' : 'o') <= 0) {
			/* A pty master is closed once, at exit: it also takes stdin. */
			if (*pipes[i] != s->tty_fd)
				close(*pipes[i]);
			*pipes[i] = -1;
		}
	for (size_t i = nc; i-- > 0;)
		if (p[4 + i].revents && !shim_client_read(s, i))
			shim_client_drop(s, i);
	if (p[0].revents)
		shim_accept(s);
}

bool shim_daemon_gone(const struct shim *s)
{
	return s->daemon_pid > 0 && kill(s->daemon_pid, 0) < 0 && errno == ESRCH;
}

static bool start_abandoned(const struct shim *s, int64_t created_ns)
{
	if (s->started)
		return false;
	if (s->had_client && s->n_clients == 0)
		return true;
	/* berthd died before it could start the container: a restarted
	 * daemon starts it with a new shim. */
	if (shim_daemon_gone(s))
		return true;
	return time_now_ns() - created_ns > (int64_t)START_DEADLINE_MS * 1000000;
}

static int serve(struct shim *s)
{
	int64_t created = time_now_ns();
	while (!s->exited) {
		poll_once(s, 500);
		if (start_abandoned(s, created)) {
			if (s->created)
				shim_runtime_delete(s);
			unlink(s->o.socket);
			return 1;
		}
	}
	int64_t deadline = time_now_ns() + (int64_t)DRAIN_MS * 1000000;
	while ((s->out_fd >= 0 || s->err_fd >= 0) && time_now_ns() < deadline)
		poll_once(s, 100);
	finish(s);
	return 0;
}

int main(int argc, char **argv)
{
	struct shim s = {.listen_fd = -1,
			 .sig_fd = -1,
			 .log_fd = -1,
			 .out_fd = -1,
			 .err_fd = -1,
			 .in_fd = -1,
			 .tty_fd = -1,
			 .child_fds = {-1, -1, -1},
			 .syslog_fd = -1,
			 .gelf_fd = -1};
	if (parse_args(argc, argv, &s.o) < 0) {
		fprintf(stderr, "usage: berth-shim --id ID --bundle DIR --dir DIR --socket PATH "
				"--runtime PATH --runtime-root DIR [--stdin] [--stdin-once] [--tty]\n"
				"       berth-shim --exec-id ID --process PATH --listen-fd FD --id ID "
				"--bundle DIR --socket PATH --runtime PATH --runtime-root DIR [--stdin] "
				"[--tty]\n");
		return 2;
	}
	s.daemon_pid = getppid();
	detach();
	if (s.o.exec_id)
		return shim_exec_main(&s);
	char msg[2048] = "";
	int r = open_fds(&s);
	if (r < 0)
		snprintf(msg, sizeof(msg), "shim setup: %s", strerror(-r));
	else if ((r = make_stdio(&s)) < 0)
		snprintf(msg, sizeof(msg), "shim stdio: %s", strerror(-r));
	else if ((r = shim_syslog_open(&s, msg + 9, sizeof(msg) - 9)) < 0 ||
		 (r = shim_gelf_open(&s, msg + 9, sizeof(msg) - 9)) < 0)
		memcpy(msg, "logging: ", 9); /* berthd words it as dockerd */
	if (r < 0) {
		dprintf(1, "error %s\n", msg);
		if (s.listen_fd >= 0)
			unlink(s.o.socket);
		return 1;
	}
	/* No init yet: berthd learns its pid from the start's answer. */
	dprintf(1, "ok %d 0\n", (int)getpid());
	int null = open("/dev/null", O_RDWR);
	dup2(null, 1);
	close(null);
	return serve(&s);
}
