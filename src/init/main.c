/* berth-init: the init process of `docker run --init` (the role tini plays
 * as docker-init). It runs the command as its child, forwards the signals it
 * receives to it, reaps every orphan the container produces and exits with
 * the command's status. Linked statically: it is bind-mounted into images of
 * any libc. Usage: berth-init -- CMD [ARG...] */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int status_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	int first = 1;
	if (first < argc && strcmp(argv[first], "--") == 0)
		first++;
	if (first >= argc) {
		fprintf(stderr, "usage: berth-init -- CMD [ARG...]\n");
		return 2;
	}
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t child = fork();
	if (child < 0) {
		fprintf(stderr, "berth-init: fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(argv[first], argv + first);
		fprintf(stderr, "berth-init: exec %s: %s\n", argv[first], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* Job-control stops would freeze init, not the command. */
			if (sig != SIGTTIN && sig != SIGTTOU && sig != SIGTSTP)
				kill(child, sig);
			continue;
		}
		int st;
		pid_t pid;
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			if (pid == child)
				return status_code(st);
	}
}
