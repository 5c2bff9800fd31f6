/* Child processes started with posix_spawn and reaped through their pidfd.
 * See child.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/child.h"

extern char **environ;

/* Reaps the child if it has ended; returns whether it did. */
static bool reap(struct child *ch, int64_t *exit_status, int *term_signal)
{
	siginfo_t si = {0};
	int r;
	do
		r = waitid(P_PIDFD, (id_t)ch->pidfd, &si, WEXITED | WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r < 0 || si.si_pid == 0)
		return false;
	ch->pid = 0;
	bool signalled = si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED;
	*exit_status = signalled ? 0 : si.si_status;
	*term_signal = signalled ? si.si_status : 0;
	return true;
}

static void on_pidfd(uv_poll_t *p, int status, int events)
{
	struct child *ch = (struct child *)p;
	int64_t exit_status;
	int term_signal;
	if (!reap(ch, &exit_status, &term_signal))
		return;
	uv_poll_stop(p);
	ch->exit_cb(ch, exit_status, term_signal);
}

/* Moves our fds that would be overwritten by an earlier dup2 of the child's
 * stdio (a source below n_fds that is not its own target) above n_fds. */
static int move_sources(const struct child_options *o, int *src, int *moved)
{
	for (size_t i = 0; i < o->n_fds; i++) {
		src[i] = o->fds[i];
		moved[i] = -1;
		if (src[i] < 0 || (size_t)src[i] >= o->n_fds || (size_t)src[i] == i)
			continue;
		moved[i] = fcntl(src[i], F_DUPFD_CLOEXEC, (int)o->n_fds);
		if (moved[i] < 0)
			return -errno;
		src[i] = moved[i];
	}
	return 0;
}

static int file_actions(const struct child_options *o, const int *src,
			posix_spawn_file_actions_t *fa)
{
	for (size_t i = 0; i < o->n_fds; i++) {
		/* dup2 onto itself clears FD_CLOEXEC (glibc 2.29 and later). */
		int r = src[i] < 0
			    ? posix_spawn_file_actions_addopen(fa, (int)i, "/dev/null", O_RDWR, 0)
			    : posix_spawn_file_actions_adddup2(fa, src[i], (int)i);
		if (r)
			return -r;
	}
	/* Also what is not O_CLOEXEC: fds inherited by berthd, and sockets
	 * libraries open without the flag (libnftables' netlink socket). */
	return -posix_spawn_file_actions_addclosefrom_np(fa, (int)o->n_fds);
}

static int spawn_attr(bool new_session, posix_spawnattr_t *attr)
{
	sigset_t all, none;
	/* Every signal, also glibc's internal ones (32 and 33) that
	 * sigfillset leaves out: the child would get those ignored, and
	 * ignored signals stay ignored through the shim's and runc's execs
	 * into the container's processes. */
	memset(&all, 0xff, sizeof(all));
	sigemptyset(&none);
	short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
	if (new_session)
		flags |= POSIX_SPAWN_SETSID;
	int r = posix_spawnattr_setflags(attr, flags);
	if (!r)
		r = posix_spawnattr_setsigdefault(attr, &all);
	if (!r)
		r = posix_spawnattr_setsigmask(attr, &none);
	return -r;
}

static int spawn(const struct child_options *o, pid_t *pid)
{
	int src[o->n_fds + 1], moved[o->n_fds + 1];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	int r = move_sources(o, src, moved);
	if (r == 0)
		r = file_actions(o, src, &fa);
	if (r == 0)
		r = spawn_attr(o->new_session, &attr);
	if (r == 0)
		r = -posix_spawn(pid, o->file, &fa, &attr, o->args, environ);
	for (size_t i = 0; i < o->n_fds; i++)
		if (moved[i] >= 0)
			close(moved[i]);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return r;
}

int child_spawn(uv_loop_t *loop, struct child *ch, const struct child_options *o,
		child_exit_fn exit_cb, void *data)
{
	pid_t pid;
	int r = spawn(o, &pid);
	if (r < 0)
		return r;
	/* The child is ours and unreaped, so its pid cannot have been reused. */
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* O_CLOEXEC */
	r = pidfd < 0 ? -errno : uv_poll_init(loop, &ch->poll, pidfd);
	if (r < 0) {
		/* Without a pidfd it could not be reaped later: end it now. */
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (pidfd >= 0)
			close(pidfd);
		return r;
	}
	ch->pid = pid;
	ch->pidfd = pidfd;
	ch->exit_cb = exit_cb;
	ch->close_cb = NULL;
	ch->poll.data = data;
	uv_poll_start(&ch->poll, UV_READABLE, on_pidfd);
	return 0;
}

static void on_poll_closed(uv_handle_t *h)
{
	struct child *ch = (struct child *)h;
	close(ch->pidfd);
	ch->pidfd = -1;
	ch->close_cb(h);
}

void child_close(struct child *ch, uv_close_cb close_cb)
{
	int64_t exit_status;
	int term_signal;
	if (ch->pid)
		reap(ch, &exit_status, &term_signal);
	ch->close_cb = close_cb;
	uv_close((uv_handle_t *)&ch->poll, on_poll_closed);
}

int child_kill(struct child *ch, int sig)
{
	if (!ch->pid)
		return -ESRCH;
	return syscall(SYS_pidfd_send_signal, ch->pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

bool child_is_active(const struct child *ch)
{
	return ch->poll.loop && !uv_is_closing((const uv_handle_t *)&ch->poll);
}
