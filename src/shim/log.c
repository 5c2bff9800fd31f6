/* The json-file log: one JSON object a line in <dir>/<id>-json.log, rotated
 * as Docker's json-file driver does (max-size, max-file: the current file
 * and <log>.1 .. <log>.N-1, oldest last). Frames to berthd carry an offset
 * that only grows across rotations: <log>.base holds the offset at which
 * the current file starts, so a reader can tell what it has already read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/error.h"
#include "basic/fs.h"
#include "shim/shim.h"

static uint64_t read_base(const char *log)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	if (asprintf(&path, "%s.base", log) < 0 || fs_read_file(path, 64, &text, NULL) < 0)
		return 0;
	return strtoull(text, NULL, 10);
}

static void write_base(const char *log, uint64_t base)
{
	_cleanup_free_ char *path = NULL;
	char text[32];
	int n = snprintf(text, sizeof(text), "%llu\n", (unsigned long long)base);
	struct error err = ERROR_INIT;
	if (asprintf(&path, "%s.base", log) >= 0)
		fs_write_atomic(path, text, (size_t)n, 0640, &err);
	error_clear(&err);
}

int shim_log_open(struct shim *s)
{
	if (s->o.no_log)
		return 0; /* the none driver */
	if (!s->log_path && asprintf(&s->log_path, "%s/%s-json.log", s->o.dir, s->o.id) < 0)
		return -ENOMEM;
	s->log_fd = open(s->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (s->log_fd < 0)
		return -errno;
	struct stat st;
	s->log_size = fstat(s->log_fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	s->log_off = read_base(s->log_path) + s->log_size;
	return 0;
}

/* The current file becomes <log>.1, older ones move up, the oldest goes. */
static void rotate(struct shim *s)
{
	unsigned keep = s->o.log_max_file ? s->o.log_max_file : 1;
	char from[4200], to[4200];
	for (unsigned i = keep - 1; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", s->log_path);
		else
			snprintf(from, sizeof(from), "%s.%u", s->log_path, i - 1);
		snprintf(to, sizeof(to), "%s.%u", s->log_path, i);
		rename(from, to);
	}
	if (keep == 1) {
		if (ftruncate(s->log_fd, 0) < 0)
			return;
	} else {
		close(s->log_fd);
		s->log_fd = open(s->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	}
	s->log_size = 0;
	write_base(s->log_path, s->log_off);
}

int shim_log_write(struct shim *s, const char *line, size_t n)
{
	if (s->o.no_log)
		return 0;
	if (s->o.log_max_size && s->log_size && s->log_size + n > s->o.log_max_size)
		rotate(s);
	if (s->log_fd < 0)
		return -EBADF;
	/* One write per entry (O_APPEND): readers see whole lines. */
	int r = fs_write_all(s->log_fd, line, n);
	if (r == 0) {
		s->log_size += n;
		s->log_off += n;
	}
	return r;
}
