/* GET /containers/{id}/top, as dockerd does it: run `ps` (ps_args, default
 * -ef) on the host and keep the rows whose PID is in the container's cgroup
 * (cgroup.procs), on the thread pool since ps takes a while. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "engine/container.h"
#include "engine/containers_priv.h"

extern char **environ;

struct top_job {
	uv_work_t work;
	char id[DIGEST_HEX_LEN + 1];
	char *ps_args;
	json_t *result;
	struct error err;
	int r;
	container_top_fn done;
	void *userdata;
};

/* The pids of cgroup.procs (v1's pids controller, else v2), newline
 * framed so that "\n<pid>\n" finds one. */
static char *cgroup_pids(const char *id)
{
	char v1[160], v2[160];
	snprintf(v1, sizeof(v1), "/sys/fs/cgroup/pids/berth/%s/cgroup.procs", id);
	snprintf(v2, sizeof(v2), "/sys/fs/cgroup/berth/%s/cgroup.procs", id);
	_cleanup_free_ char *text = NULL;
	if (fs_read_file(v1, 1 << 22, &text, NULL) < 0 && fs_read_file(v2, 1 << 22, &text, NULL) < 0)
		return NULL;
	char *out = NULL;
	return asprintf(&out, "\n%s\n", text) < 0 ? NULL : out;
}

/* exec.Command("ps", strings.Split(psArgs, " ")...).Output() */
static int run_ps(const char *ps_args, char **ret, struct error *err)
{
	_cleanup_free_ char *copy = strdup(ps_args);
	size_t n = 2;
	for (const char *p = ps_args; *p; p++)
		n += *p == ' ';
	_cleanup_free_ char **argv = calloc(n + 1, sizeof(*argv));
	if (!copy || !argv)
		return error_set(err, -ENOMEM, "out of memory");
	size_t i = 0;
	argv[i++] = "ps";
	for (char *s = copy, *sp; s; s = sp ? sp + 1 : NULL) {
		sp = strchr(s, ' ');
		if (sp)
			*sp = '\0';
		argv[i++] = s;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return error_set(err, -errno, "Error running ps: %s", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	pid_t pid;
	int r = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (r != 0) {
		close(fds[0]);
		return error_set(err, -r, "Error running ps: %s", strerror(r));
	}
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	char buf[8192];
	ssize_t k;
	while ((k = read(fds[0], buf, sizeof(buf))) > 0 && f)
		fwrite(buf, 1, (size_t)k, f);
	close(fds[0]);
	if (f)
		fclose(f);
	int status = 0;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(out);
		return error_set(err, -EINVAL, "Error running ps: exit status %d",
				 WIFEXITED(status) ? WEXITSTATUS(status) : 1);
	}
	*ret = out;
	return out ? 0 : error_set(err, -ENOMEM, "out of memory");
}

/* Whitespace-separated fields of a line (strings.Fields); in is modified. */
static json_t *fields(char *line)
{
	json_t *a = json_array();
	char *save = NULL;
	for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		json_array_append_new(a, json_string(t));
	return a;
}

/* The first titles-1 fields, then the rest joined by spaces (CMD). */
static json_t *process_row(json_t *f, size_t ntitles)
{
	json_t *row = json_array();
	char *last = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&last, &len);
	for (size_t i = 0; i < json_array_size(f); i++) {
		if (i + 1 < ntitles)
			json_array_append(row, json_array_get(f, i));
		else if (m)
			fprintf(m, "%s%s", i + 1 > ntitles ? " " : "", json_string_value(json_array_get(f, i)));
	}
	if (m)
		fclose(m);
	json_array_append_new(row, json_string(last ? last : ""));
	free(last);
	return row;
}

static int parse_ps(char *out, const char *pids, json_t **ret, struct error *err)
{
	char *save = NULL, *line = strtok_r(out, "\n", &save);
	json_t *titles = fields(line ? line : (char[]){""});
	size_t pid_at = json_array_size(titles), i;
	json_t *t;
	json_array_foreach(titles, i, t)
		if (pid_at == json_array_size(titles) && !strcmp(json_string_value(t), "PID"))
			pid_at = i;
	if (pid_at == json_array_size(titles)) {
		json_decref(titles);
		return error_set(err, -EINVAL, "Couldn't find PID field in ps output");
	}
	json_t *procs = json_array();
	bool prev_in = false; /* thread rows ("-") follow their process */
	while ((line = strtok_r(NULL, "\n", &save))) {
		json_t *f = fields(line);
		const char *pid = json_string_value(json_array_get(f, pid_at));
		char key[32];
		snprintf(key, sizeof(key), "\n%s\n", pid ? pid : "");
		bool in = pid && (strcmp(pid, "-") ? strstr(pids, key) != NULL : prev_in);
		if (in)
			json_array_append_new(procs, process_row(f, json_array_size(titles)));
		if (pid && strcmp(pid, "-"))
			prev_in = in;
		json_decref(f);
	}
	*ret = json_pack("{s:o, s:o}", "Titles", titles, "Processes", procs);
	return 0;
}

static void top_work(uv_work_t *w)
{
	struct top_job *job = w->data;
	_cleanup_free_ char *pids = cgroup_pids(job->id);
	_cleanup_free_ char *out = NULL;
	if (!pids) {
		job->r = error_set(&job->err, -EBUSY, "Container %s is not running", job->id);
		return;
	}
	job->r = run_ps(job->ps_args, &out, &job->err);
	if (job->r == 0)
		job->r = parse_ps(out, pids, &job->result, &job->err);
}

static void top_after(uv_work_t *w, int status)
{
	struct top_job *job = w->data;
	job->done(job->r, &job->err, job->result, job->userdata);
	error_clear(&job->err);
	free(job->ps_args);
	free(job);
}

static void fail_now(int code, const char *msg, const char *id, container_top_fn done,
		     void *userdata)
{
	struct error err = ERROR_INIT;
	error_set(&err, code, msg, id);
	done(code, &err, NULL, userdata);
	error_clear(&err);
}

void container_top(struct containers *cs, struct container *c, const char *ps_args,
		   container_top_fn done, void *userdata)
{
	if (c->state != CONTAINER_RUNNING) {
		fail_now(-EBUSY, "Container %s is not running", c->id, done, userdata);
		return;
	}
	struct top_job *job = calloc(1, sizeof(*job));
	char *args = strdup(ps_args && *ps_args ? ps_args : "-ef");
	if (!job || !args) {
		free(job);
		free(args);
		fail_now(-ENOMEM, "out of memory%s", "", done, userdata);
		return;
	}
	*job = (struct top_job){.ps_args = args, .done = done, .userdata = userdata};
	memcpy(job->id, c->id, sizeof(job->id));
	job->work.data = job;
	uv_queue_work(cs->deps.loop, &job->work, top_work, top_after);
}
