/* Tars from image pulls and `docker load` (image/archive.c applying a layer,
 * with whiteouts, links and path checks; image/unpack_archive.c extracting
 * an image archive), fed from memory.
 *
 * Input: a mode byte, then either the raw stream (any compression) or, to
 * reach deep paths sooner, a description from which a tar is built, one
 * entry a line ("---" starts the next layer, applied on top):
 *   f PATH [CONTENT]   regular file      d PATH         directory
 *   l PATH TARGET      symlink           h PATH TARGET  hard link
 *   c PATH             char device 0:0   p PATH         fifo
 *   x PATH NAME=VALUE  file with an xattr
 * Mode bit 0: raw; bit 1: whiteouts as overlay2 stores them (else vfs's);
 * bit 2: extract as an image archive instead of applying a layer.
 *
 * Runs in fuzz_sandbox: the tree goes to /tmp/work/root beside
 * /tmp/work/outside/secret. Nothing may appear or change outside root, and
 * the secret gets no new hard link. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/buf.h"
#include "fuzz.h"
#include "image/archive.h"
#include "image/unpack_archive.h"

#define WORK "/tmp/work"
#define ROOT WORK "/root"
#define OUTSIDE WORK "/outside"
#define SECRET OUTSIDE "/secret"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_sandbox(*argc, *argv);
	return 0;
}

static la_ssize_t buf_write(struct archive *a, void *ud, const void *data, size_t len)
{
	return buf_append(ud, data, len) < 0 ? -1 : (la_ssize_t)len;
}

static void add_entry(struct archive *w, char *line)
{
	if (!line[0] || line[1] != ' ')
		return;
	char *path = line + 2, *arg = strchr(path, ' ');
	if (arg)
		*arg++ = '\0';
	struct archive_entry *e = archive_entry_new();
	if (!e)
		abort();
	archive_entry_set_pathname(e, path);
	archive_entry_set_mode(e, AE_IFREG | 0644);
	archive_entry_set_mtime(e, 1700000000, 0);
	switch (line[0]) {
	case 'd':
		archive_entry_set_mode(e, AE_IFDIR | 0755);
		break;
	case 'l':
		archive_entry_set_mode(e, AE_IFLNK | 0777);
		archive_entry_set_symlink(e, arg ? arg : "");
		break;
	case 'h':
		archive_entry_set_hardlink(e, arg ? arg : "");
		break;
	case 'c':
		archive_entry_set_mode(e, AE_IFCHR | 0600);
		archive_entry_set_rdev(e, 0);
		break;
	case 'p':
		archive_entry_set_mode(e, AE_IFIFO | 0644);
		break;
	case 'x': {
		char *eq = arg ? strchr(arg, '=') : NULL;
		if (eq) {
			*eq = '\0';
			archive_entry_xattr_add_entry(e, arg, eq + 1, strlen(eq + 1));
		}
		arg = NULL;
		break;
	}
	}
	size_t len = line[0] == 'f' && arg ? strlen(arg) : 0;
	archive_entry_set_size(e, (la_int64_t)len);
	archive_write_header(w, e);
	if (len)
		archive_write_data(w, arg, len);
	archive_entry_free(e);
}

/* A pax tar of the described entries, up to "---" or the end; *p moves on. */
static void build_tar(char **p, struct buf *out)
{
	struct archive *w = archive_write_new();
	if (!w || archive_write_set_format_pax_restricted(w) != ARCHIVE_OK ||
	    archive_write_open2(w, out, NULL, buf_write, NULL, NULL) != ARCHIVE_OK)
		abort();
	while (*p) {
		char *line = *p, *nl = strchr(line, '\n');
		*p = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		if (!strcmp(line, "---"))
			break;
		add_entry(w, line);
	}
	archive_write_close(w);
	archive_write_free(w);
}

static int memfd_of(const void *data, size_t len)
{
	int fd = memfd_create("layer", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) < 0)
		abort();
	return fd;
}

static void apply(const void *tar, size_t len, int mode)
{
	int fd = memfd_of(tar, len);
	struct error err = ERROR_INIT;
	if (mode & 4) {
		if (image_archive_extract(fd, ROOT, &err) == 0) {
			int root = open(ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			char *text = NULL;
			size_t n;
			if (root < 0)
				abort();
			/* What load reads next, through the same safe lookups. */
			if (image_archive_read(root, "manifest.json", 1 << 20, &text, &n) == 0)
				free(text);
			close(root);
		} else if (!err.msg) {
			abort();
		}
	} else {
		int keep = memfd_create("keep", MFD_CLOEXEC);
		struct layer_digest dg;
		if (keep < 0)
			abort();
		if (archive_apply_layer(fd, ROOT, mode & 2 ? WHITEOUT_OVERLAY : WHITEOUT_DELETE,
					keep, &dg, &err) == 0) {
			/* The kept copy is the uncompressed stream the digest covers. */
			struct stat st;
			if (fstat(keep, &st) < 0 || st.st_size != dg.tar_size)
				abort();
		} else if (!err.msg) {
			abort();
		}
		close(keep);
	}
	/* FUZZ_VERBOSE=1 shows why an input was refused, when replaying one. */
	if (err.msg && getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "refused: %s\n", err.msg);
	error_clear(&err);
	close(fd);
}

static void only_entries(const char *dir, const char *a, const char *b)
{
	DIR *d = opendir(dir);
	if (!d)
		abort();
	for (struct dirent *e; (e = readdir(d));) {
		const char *n = e->d_name;
		if (strcmp(n, ".") && strcmp(n, "..") && strcmp(n, a) && (!b || strcmp(n, b))) {
			fprintf(stderr, "escaped: %s/%s\n", dir, n);
			abort();
		}
	}
	closedir(d);
}

static void check_contained(void)
{
	only_entries("/tmp", "work", NULL);
	only_entries(WORK, "root", "outside");
	only_entries(OUTSIDE, "secret", NULL);
	struct stat st;
	char text[8] = {0};
	int fd = open(SECRET, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || read(fd, text, sizeof(text)) != 6 ||
	    memcmp(text, "secret", 6) != 0 || st.st_nlink != 1 || st.st_mode != (S_IFREG | 0600)) {
		fprintf(stderr, "the file outside the tree was changed or linked\n");
		abort();
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int mode = data[0];
	if (mkdir(WORK, 0755) < 0 || mkdir(ROOT, 0755) < 0 || mkdir(OUTSIDE, 0755) < 0)
		abort();
	int s = open(SECRET, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (s < 0 || write(s, "secret", 6) != 6)
		abort();
	close(s);
	if (mode & 1) {
		apply(data + 1, size - 1, mode);
	} else {
		char *text = fuzz_str(data + 1, size - 1), *p = text;
		do {
			struct buf tar = BUF_INIT;
			build_tar(&p, &tar);
			apply(tar.data, tar.len, mode);
			buf_free(&tar);
		} while (p);
		free(text);
	}
	check_contained();
	fuzz_rmtree(WORK);
	return 0;
}
