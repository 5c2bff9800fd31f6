/* Runs the OCI runtime (runc) for the shim: run, delete. Each call
 * waits for the runtime to finish; errors come back as the runtime's own
 * message, read from its json log. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "shim/shim.h"

/* The child side: stdio in place, default signal state (the shim blocks
 * SIGCHLD and ignores SIGPIPE; both would be inherited by the container). */
static void exec_child(char **argv, int in, int out, int err)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	int fds[3] = {in, out, err};
	for (int i = 0; i < 3; i++) {
		if (fds[i] == i)
			fcntl(i, F_SETFD, 0);
		else if (dup2(fds[i], i) < 0)
			_exit(127);
	}
	execv(argv[0], argv);
	_exit(127);
}

static int run(char **argv, int in, int out, int err)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		exec_child(argv, in, out, err);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 127 ? -ENOEXEC : -EIO;
}

static char *log_path(const struct shim *s)
{
	char *p = NULL;
	return asprintf(&p, "%s/runc.log", s->o.bundle) < 0 ? NULL : p;
}

/* The msg of the last error line in runc's json log, unescaped enough for
 * people: runc writes {"level":"error","msg":"...","time":"..."}. */
static void last_error(const struct shim *s, char *msg, size_t msg_len)
{
	_cleanup_free_ char *path = log_path(s), *text = NULL;
	if (!path || fs_read_file(path, 1 << 20, &text, NULL) < 0)
		return;
	char *hit = NULL;
	for (char *p = text; (p = strstr(p, "\"level\":\"error\"")); p++)
		hit = p;
	char *m = hit ? strstr(hit, "\"msg\":\"") : NULL;
	if (!m)
		return;
	m += 7;
	size_t o = 0;
	for (; *m && *m != '"' && o + 1 < msg_len; m++) {
		if (*m == '\\' && m[1])
			m++;
		msg[o++] = *m;
	}
	msg[o] = '\0';
}

static int run_logged(struct shim *s, char **argv, int in, int out, int err, char *msg,
		      size_t msg_len)
{
	_cleanup_free_ char *path = log_path(s);
	if (path)
		unlink(path);
	int r = run(argv, in, out, err);
	if (r < 0 && msg) {
		snprintf(msg, msg_len, "%s did not succeed (%s)", argv[0], strerror(-r));
		last_error(s, msg, msg_len);
	}
	return r;
}

/* runc names the command that failed; dockerd's message names create,
 * the step that fails when a container cannot start. */
static void as_create_error(char *msg, size_t msg_len)
{
	static const char run[] = "runc run failed: ", create[] = "runc create failed: ";
	size_t n = strlen(msg), grow = sizeof(create) - sizeof(run);
	if (strncmp(msg, run, sizeof(run) - 1) != 0 || n + grow >= msg_len)
		return;
	memmove(msg + sizeof(create) - 1, msg + sizeof(run) - 1, n - (sizeof(run) - 1) + 1);
	memcpy(msg, create, sizeof(create) - 1);
}

int shim_runtime_run(struct shim *s, int in, int out, int err, const char *console, char *msg,
		     size_t msg_len)
{
	_cleanup_free_ char *lp = log_path(s), *pidf = NULL;
	if (!lp || asprintf(&pidf, "%s/init.pid", s->o.bundle) < 0)
		return -ENOMEM;
	char *argv[] = {(char *)s->o.runtime, "--root", (char *)s->o.runtime_root, "--log", lp,
			"--log-format", "json", "run", "--detach", "--bundle", (char *)s->o.bundle,
			"--pid-file", pidf, (char *)s->o.id, NULL, NULL, NULL};
	if (console) {
		argv[13] = "--console-socket";
		argv[14] = (char *)console;
		argv[15] = (char *)s->o.id;
	}
	int r = run_logged(s, argv, in, out, err, msg, msg_len);
	if (r < 0) {
		if (msg)
			as_create_error(msg, msg_len);
		return r;
	}
	_cleanup_free_ char *text = NULL;
	r = fs_read_file(pidf, 64, &text, NULL);
	if (r < 0 || (s->init_pid = atoi(text)) <= 0) {
		snprintf(msg, msg_len, "runtime wrote no init pid to %s", pidf);
		return -EIO;
	}
	return 0;
}

/* Removes the runtime's record of the container and its cgroup; --force
 * also kills what a failed run may have left. */
void shim_runtime_delete(struct shim *s)
{
	char *argv[] = {(char *)s->o.runtime, "--root", (char *)s->o.runtime_root, "delete",
			"--force", (char *)s->o.id, NULL};
	run_logged(s, argv, 0, 2, 2, NULL, 0);
}

/* Exec mode: `runc exec` in the foreground, our child. It forwards signals
 * to the process and exits with its status; its log tells berthd whether
 * the process could not be started at all. */
pid_t shim_runtime_exec(struct shim *s, int in, int out, int err)
{
	_cleanup_free_ char *lp = NULL, *pidf = NULL;
	if (asprintf(&lp, "%s/exec-%s.log", s->o.bundle, s->o.exec_id) < 0 ||
	    asprintf(&pidf, "%s/exec-%s.pid", s->o.bundle, s->o.exec_id) < 0)
		return -ENOMEM;
	char *argv[] = {(char *)s->o.runtime, "--root", (char *)s->o.runtime_root, "--log", lp,
			"--log-format", "json", "exec", "--process", (char *)s->o.process,
			"--pid-file", pidf, (char *)s->o.id, NULL};
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* As berthd spawned runc before: default dispositions, so a
		 * tty's ^C reaches the process. */
		signal(SIGHUP, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		exec_child(argv, in, out, err);
	}
	return pid;
}
