/* Helpers shared by the fuzz targets (see fuzz.h). */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_WRITABLE 16

char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static void die(const char *what)
{
	fprintf(stderr, "fuzz sandbox: %s: %s\n", what, strerror(errno));
	abort();
}

struct writable {
	char path[PATH_MAX];
	int fd; /* O_PATH in the new namespace, to bind it once /tmp is covered */
};

static void add_writable(struct writable *w, size_t *n, const char *path)
{
	if (*n == MAX_WRITABLE)
		return;
	/* libFuzzer creates missing corpus directories only later, so make
	 * them now, while the filesystem is still writable. */
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die(path);
	if (!realpath(path, w[*n].path))
		die(path);
	(*n)++;
}

/* The directories libFuzzer may write to: positional arguments that are
 * directories (corpora) and -artifact_prefix's directory, or the working
 * directory when there is no prefix. Files given to run once stay
 * read-only. */
static size_t collect_writable(int argc, char **argv, struct writable *w)
{
	size_t n = 0;
	bool prefix = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		struct stat st;
		if (!strncmp(a, "-artifact_prefix=", 17)) {
			char dir[PATH_MAX];
			snprintf(dir, sizeof(dir), "%s", a + 17);
			char *slash = strrchr(dir, '/');
			if (slash) {
				*slash = '\0';
				add_writable(w, &n, *dir ? dir : "/");
			} else {
				add_writable(w, &n, ".");
			}
			prefix = true;
		} else if (a[0] != '-' && (stat(a, &st) < 0 || S_ISDIR(st.st_mode))) {
			add_writable(w, &n, a);
		}
	}
	if (!prefix)
		add_writable(w, &n, ".");
	return n;
}

static void make_dirs(const char *path)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			die(p);
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		die(p);
}

void fuzz_sandbox(int argc, char **argv)
{
	struct writable w[MAX_WRITABLE];
	size_t n = collect_writable(argc, argv, w);
	if (unshare(CLONE_NEWNS) < 0)
		die("unshare(CLONE_NEWNS) (run as root)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("making / private");
	for (size_t i = 0; i < n; i++)
		if ((w[i].fd = open(w[i].path, O_PATH | O_CLOEXEC)) < 0)
			die(w[i].path);
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) < 0)
		die("making / read-only");
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID, "size=512m,mode=1777") < 0)
		die("mounting a tmpfs on /tmp");
	/* Each writable path becomes its own read-write bind mount (made again
	 * inside the new /tmp for paths below it). */
	for (size_t i = 0; i < n; i++) {
		char src[64];
		snprintf(src, sizeof(src), "/proc/self/fd/%d", w[i].fd);
		if (!strncmp(w[i].path, "/tmp/", 5))
			make_dirs(w[i].path);
		if (mount(src, w[i].path, NULL, MS_BIND, NULL) < 0)
			die(w[i].path);
		struct mount_attr rw = {.attr_clr = MOUNT_ATTR_RDONLY};
		if (mount_setattr(AT_FDCWD, w[i].path, 0, &rw, sizeof(rw)) < 0)
			die(w[i].path);
		close(w[i].fd);
	}
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

void fuzz_rmtree(const char *path)
{
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0) {
		fprintf(stderr, "fuzz: cannot remove %s: %s\n", path, strerror(errno));
		abort();
	}
}

char *fuzz_next_line(char **p)
{
	char *line = *p;
	if (!line)
		return NULL;
	char *nl = strchr(line, '\n');
	*p = nl ? nl + 1 : NULL;
	if (nl)
		*nl = '\0';
	return line;
}
