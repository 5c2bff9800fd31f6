/* A child process started with posix_spawn and watched on the loop through
 * a pidfd: glibc's posix_spawn clones with CLONE_VM|CLONE_VFORK, so the
 * daemon's page tables are not copied for every shim and runtime started
 * (libuv 1.44's uv_spawn forks). The child is reaped by its own pidfd, never
 * by waitpid(-1), so the children libuv spawned stay libuv's. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

struct child;
/* The child ended and was reaped: exit_status is its exit code, term_signal
 * the signal that killed it (0 if none). The handle is still to be closed. */
typedef void (*child_exit_fn)(struct child *ch, int64_t exit_status, int term_signal);

struct child {
	uv_poll_t poll; /* on the pidfd; poll.data is the owner's data */
	pid_t pid;	/* 0 once reaped */
	int pidfd;
	child_exit_fn exit_cb;
	uv_close_cb close_cb;
};

struct child_options {
	const char *file; /* a path: $PATH is not searched */
	char *const *args;
	/* The child's fds 0..n_fds-1: each one of ours (kept open here) or -1
	 * for /dev/null. It gets no other fd, O_CLOEXEC or not. */
	const int *fds;
	size_t n_fds;
	bool new_session; /* setsid(): out of the daemon's process group */
};

/* Starts o->file with o->args, every signal at its default and none blocked.
 * On success ch is an active handle with ch->poll.data = data; it must be
 * closed with child_close, in exit_cb or before. Returns 0, or a negative
 * errno (also the exec's, e.g. -ENOENT) with nothing to close. */
int child_spawn(uv_loop_t *loop, struct child *ch, const struct child_options *o,
		child_exit_fn exit_cb, void *data);

/* Stops watching; close_cb gets &ch->poll as a handle. A child still running
 * is not waited for (as libuv's process handles): it is reaped if it has
 * already ended, else it stays unreaped until the daemon exits. */
void child_close(struct child *ch, uv_close_cb close_cb);

/* Sends sig through the pidfd; -ESRCH once the child is reaped. */
int child_kill(struct child *ch, int sig);

/* Whether the handle is open (spawned and not yet closing). */
bool child_is_active(const struct child *ch);
