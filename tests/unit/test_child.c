/* Child processes spawned with posix_spawn and reaped through their pidfd
 * (engine/child.c): exit codes and signals, exec errors, the fds and the
 * signal state a child gets, its own session, and libuv's own children
 * spawned beside ours (neither reaps the other's). Real processes, /bin/sh. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/child.h"

struct outcome {
	bool exited, closed;
	int64_t status;
	int sig;
};

static void on_exit_cb(struct child *ch, int64_t status, int sig)
{
	struct outcome *o = ch->poll.data;
	o->exited = true;
	o->status = status;
	o->sig = sig;
}

static void on_closed(uv_handle_t *h)
{
	struct outcome *o = h->data;
	o->closed = true;
}

/* Runs argv with the given fds until it exits; the handle is closed. */
static void run(uv_loop_t *loop, char *const *argv, const int *fds, size_t n_fds,
		struct outcome *out)
{
	struct child ch;
	struct child_options o = {.file = argv[0], .args = argv, .fds = fds, .n_fds = n_fds};
	*out = (struct outcome){0};
	assert_int_equal(child_spawn(loop, &ch, &o, on_exit_cb, out), 0);
	assert_true(child_is_active(&ch));
	while (!out->exited)
		uv_run(loop, UV_RUN_ONCE);
	assert_int_equal(ch.pid, 0);
	assert_int_equal(child_kill(&ch, SIGTERM), -ESRCH);
	child_close(&ch, on_closed);
	assert_false(child_is_active(&ch));
	uv_run(loop, UV_RUN_DEFAULT);
	assert_true(out->closed);
}

/* What the child wrote on its stdout (a pipe of ours), at most 4 KB. */
static char *run_output(char *const *argv, int extra_fd)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	int fds[4] = {-1, p[1], -1, extra_fd};
	struct outcome out;
	run(&loop, argv, fds, extra_fd >= 0 ? 4 : 3, &out);
	close(p[1]);
	char *buf = calloc(1, 4096);
	size_t len = 0;
	ssize_t n;
	while ((n = read(p[0], buf + len, 4095 - len)) > 0)
		len += (size_t)n;
	close(p[0]);
	assert_int_equal(out.status, 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	return buf;
}

static void test_exit_status(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct outcome out;
	char *argv[] = {"/bin/sh", "-c", "exit 3", NULL};
	int fds[3] = {-1, -1, -1};
	run(&loop, argv, fds, 3, &out);
	assert_int_equal(out.status, 3);
	assert_int_equal(out.sig, 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_killed(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct outcome out = {0};
	struct child ch;
	char *argv[] = {"/bin/sleep", "100", NULL};
	int fds[3] = {-1, -1, -1};
	struct child_options o = {.file = argv[0], .args = argv, .fds = fds, .n_fds = 3};
	assert_int_equal(child_spawn(&loop, &ch, &o, on_exit_cb, &out), 0);
	assert_int_equal(child_kill(&ch, SIGKILL), 0);
	while (!out.exited)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(out.sig, SIGKILL);
	assert_int_equal(out.status, 0);
	child_close(&ch, on_closed);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(out.closed);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_exec_error(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct child ch;
	char *argv[] = {"/nonexistent/berth-test", NULL};
	int fds[3] = {-1, -1, -1};
	struct child_options o = {.file = argv[0], .args = argv, .fds = fds, .n_fds = 3};
	assert_int_equal(child_spawn(&loop, &ch, &o, on_exit_cb, NULL), -ENOENT);
	/* Nothing to close, and no zombie left behind. */
	assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* The child has the fds it was given (an O_CLOEXEC fd of ours numbered 3
 * as its fd 3 too) and none of our other fds, O_CLOEXEC or not. */
static void test_fds(void **state)
{
	/* Both above 3: fd 3 must be free. */
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	int keep = fcntl(null, F_DUPFD_CLOEXEC, 10);
	int other = fcntl(zero, F_DUPFD, 10);
	close(null);
	close(zero);
	assert_true(keep >= 0 && other >= 0);
	int three = dup3(keep, 3, O_CLOEXEC);
	assert_int_equal(three, 3);
	/* test -e opens nothing, as listing the directory would. */
	char *argv[] = {"/bin/sh", "-c",
			"i=0; while [ $i -lt 1024 ]; do [ -e /proc/$$/fd/$i ] && printf '%s ' $i; "
			"i=$((i + 1)); done",
			NULL};
	char *text = run_output(argv, three);
	assert_string_equal(text, "0 1 2 3 ");
	free(text);
	char *argv2[] = {"/bin/sh", "-c", "readlink /proc/$$/fd/3", NULL};
	text = run_output(argv2, three);
	assert_string_equal(text, "/dev/null\n");
	free(text);
	close(three);
	close(keep);
	close(other);
}

/* An fd given for one child fd sits at the number of another: it must be
 * moved before that one is overwritten. */
static void test_fd_shuffle(void **state)
{
	int a[2], b[2];
	assert_int_equal(pipe2(a, O_CLOEXEC), 0);
	assert_int_equal(pipe2(b, O_CLOEXEC), 0);
	/* All four above 10, then a's write end at our fd 3: it goes to the
	 * child's fd 1, and b's write end to the child's fd 3. */
	for (int i = 0; i < 2; i++) {
		int *ends[2] = {&a[i], &b[i]};
		for (int j = 0; j < 2; j++) {
			int high = fcntl(*ends[j], F_DUPFD_CLOEXEC, 10);
			close(*ends[j]);
			*ends[j] = high;
		}
	}
	assert_int_equal(dup3(a[1], 3, O_CLOEXEC), 3);
	close(a[1]);
	uv_loop_t loop;
	uv_loop_init(&loop);
	int fds[4] = {-1, 3, -1, b[1]};
	char *argv[] = {"/bin/sh", "-c", "echo one; echo three >&3", NULL};
	struct outcome out;
	run(&loop, argv, fds, 4, &out);
	assert_int_equal(out.status, 0);
	close(3);
	close(b[1]);
	char buf[64] = "";
	assert_int_equal(read(a[0], buf, sizeof(buf) - 1), 4);
	assert_string_equal(buf, "one\n");
	memset(buf, 0, sizeof(buf));
	assert_int_equal(read(b[0], buf, sizeof(buf) - 1), 6);
	assert_string_equal(buf, "three\n");
	close(a[0]);
	close(b[0]);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* No signal ignored or blocked in the child, whatever the parent has. */
static void test_signals_reset(void **state)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	void (*prev)(int) = signal(SIGPIPE, SIG_IGN);
	char *argv[] = {"/bin/grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status", NULL};
	char *text = run_output(argv, -1);
	signal(SIGPIPE, prev);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	assert_string_equal(text, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	free(text);
}

static void test_new_session(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct outcome out = {0};
	struct child ch;
	char *argv[] = {"/bin/sleep", "100", NULL};
	int fds[3] = {-1, -1, -1};
	struct child_options o = {
	    .file = argv[0], .args = argv, .fds = fds, .n_fds = 3, .new_session = true};
	assert_int_equal(child_spawn(&loop, &ch, &o, on_exit_cb, &out), 0);
	assert_int_equal(getsid(ch.pid), ch.pid);
	assert_int_not_equal(getsid(0), ch.pid);
	child_kill(&ch, SIGKILL);
	while (!out.exited)
		uv_run(&loop, UV_RUN_ONCE);
	child_close(&ch, on_closed);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

struct uv_outcome {
	bool exited;
	int64_t status;
};

static void on_uv_exit(uv_process_t *p, int64_t status, int sig)
{
	struct uv_outcome *o = p->data;
	o->exited = true;
	o->status = status;
	uv_close((uv_handle_t *)p, NULL);
}

/* libuv reaps only its own children and we only ours, in any order of exits. */
static void test_beside_libuv(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct uv_outcome uvo[2] = {0};
	uv_process_t procs[2];
	char *uv_argv[2][4] = {{"/bin/sh", "-c", "exit 5", NULL},
			       {"/bin/sh", "-c", "sleep 0.3; exit 6", NULL}};
	for (int i = 0; i < 2; i++) {
		uv_process_options_t o = {
		    .file = uv_argv[i][0], .args = uv_argv[i], .exit_cb = on_uv_exit};
		procs[i].data = &uvo[i];
		assert_int_equal(uv_spawn(&loop, &procs[i], &o), 0);
	}
	struct outcome out[2] = {0};
	struct child ch[2];
	char *argv[2][4] = {{"/bin/sh", "-c", "sleep 0.15; exit 7", NULL},
			    {"/bin/sh", "-c", "exit 8", NULL}};
	int fds[3] = {-1, -1, -1};
	for (int i = 0; i < 2; i++) {
		struct child_options o = {
		    .file = argv[i][0], .args = argv[i], .fds = fds, .n_fds = 3};
		assert_int_equal(child_spawn(&loop, &ch[i], &o, on_exit_cb, &out[i]), 0);
	}
	while (!out[0].exited || !out[1].exited || !uvo[0].exited || !uvo[1].exited) {
		uv_run(&loop, UV_RUN_ONCE);
		for (int i = 0; i < 2; i++)
			if (out[i].exited && child_is_active(&ch[i]))
				child_close(&ch[i], on_closed);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(out[0].status, 7);
	assert_int_equal(out[1].status, 8);
	assert_int_equal(uvo[0].status, 5);
	assert_int_equal(uvo[1].status, 6);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_status), cmocka_unit_test(test_killed),
	    cmocka_unit_test(test_exec_error),	cmocka_unit_test(test_fds),
	    cmocka_unit_test(test_fd_shuffle),	cmocka_unit_test(test_signals_reset),
	    cmocka_unit_test(test_new_session), cmocka_unit_test(test_beside_libuv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
