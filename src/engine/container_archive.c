/* docker export and docker cp: GET /containers/{id}/export and
 * HEAD/GET/PUT /containers/{id}/archive. A running container is reached
 * through /proc/<pid>/root (its own view, volumes included); a stopped one
 * through its mounted storage entry. Paths are resolved with
 * openat2(RESOLVE_IN_ROOT) against that root's fd, so symlinks never lead
 * outside it (dockerd's ResolvePath and StatPath). Tars are written to a
 * scratch file on the thread pool, then streamed at the client's pace. */
#include "engine/container_archive.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/path.h"
#include "basic/timeutil.h"
#include "engine/containers_priv.h"
#include "engine/oci_spec.h"
#include "image/untar_in_root.h"
#include "image/archive.h"
#include "image/image_store.h"
#include "shared/byte_sink.h"
#include "storage/driver.h"
#include "image/images.h"

enum cp_mode { CP_STAT, CP_GET, CP_PUT, CP_EXPORT };

struct cp_job {
	uv_work_t work;
	struct containers *cs;
	struct byte_sink *out; /* ended by cp_done or start */
	enum cp_mode mode;
	char id[DIGEST_HEX_LEN + 1];
	char *ref;    /* the container as the user named it, for messages */
	char *path;   /* as requested */
	char *rootfs; /* export: the mounted tree */
	int root_fd;  /* the container's root directory */
	bool mounted; /* its storage entry is mounted for us */
	int in_fd, out_fd;
	struct untar_opts untar;
	char *user;	/* copyUIDGID: the container's Config.User */
	char *stat_b64; /* X-Docker-Container-Path-Stat */
	struct error err;
};

static void job_free(struct cp_job *j)
{
	if (j->mounted) {
		struct error e = ERROR_INIT;
		storage_unmount(j->cs->deps.images->storage, j->id, &e);
		error_clear(&e);
	}
	if (j->root_fd >= 0)
		close(j->root_fd);
	if (j->in_fd >= 0)
		close(j->in_fd);
	if (j->out_fd >= 0)
		close(j->out_fd);
	free(j->ref);
	free(j->path);
	free(j->rootfs);
	free(j->user);
	free(j->stat_b64);
	error_clear(&j->err);
	free(j);
}

/* ---- thread pool ---- */

/* Go's os.FileMode bits for st_mode. */
static uint32_t go_file_mode(mode_t m)
{
	uint32_t r = m & 0777;
	if (S_ISDIR(m))
		r |= 1u << 31;
	else if (S_ISLNK(m))
		r |= 1u << 27;
	else if (S_ISFIFO(m))
		r |= 1u << 25;
	else if (S_ISSOCK(m))
		r |= 1u << 24;
	else if (S_ISCHR(m))
		r |= (1u << 26) | (1u << 21);
	else if (S_ISBLK(m))
		r |= 1u << 26;
	if (m & S_ISUID)
		r |= 1u << 23;
	if (m & S_ISGID)
		r |= 1u << 22;
	if (m & S_ISVTX)
		r |= 1u << 20;
	return r;
}

/* The requested path as dockerd sees it: absolute, with a trailing "/" or
 * "/." kept (they change what is archived). */
static char *abs_path(const char *p)
{
	_cleanup_free_ char *joined = NULL;
	if (asprintf(&joined, "/%s", p) < 0)
		return NULL;
	char *c = path_clean(joined);
	size_t n = strlen(p);
	const char *tail = n >= 2 && !strcmp(p + n - 2, "/.") ? "/."
			   : n && p[n - 1] == '/'	      ? "/"
							      : "";
	if (!c || !*tail || !strcmp(c, "/"))
		return c;
	char *out = NULL;
	int r = asprintf(&out, "%s%s", c, tail);
	free(c);
	return r < 0 ? NULL : out;
}

/* The entry a path names: its directory (resolved inside the root, every
 * symlink followed) and its last element (not followed), or the directory
 * itself as "." when the path ends with "/". */
struct resolved {
	int dir_fd;
	char *base; /* name in dir_fd: "." for the directory itself */
	char *name; /* the stat's name: the path's last element */
	char *abs;
};

static void resolved_done(struct resolved *r)
{
	if (r->dir_fd >= 0)
		close(r->dir_fd);
	free(r->base);
	free(r->name);
	free(r->abs);
}

static int not_found(struct cp_job *j)
{
	return error_set(&j->err, -ENOENT, "Could not find the file %s in container %s", j->path,
			 j->ref);
}

static int resolve(struct cp_job *j, struct resolved *ret)
{
	*ret = (struct resolved){.dir_fd = -1};
	if (!(ret->abs = abs_path(j->path)))
		return error_set(&j->err, -ENOMEM, "out of memory");
	const char *slash = strrchr(ret->abs, '/');
	_cleanup_free_ char *dir = strndup(ret->abs, (size_t)(slash - ret->abs) + 1);
	const char *last = slash + 1;
	ret->base = strdup(*last ? last : ".");
	ret->name = *last ? strdup(last) : path_base(ret->abs);
	if (!dir || !ret->base || !ret->name)
		return error_set(&j->err, -ENOMEM, "out of memory");
	ret->dir_fd = path_open_in_root(j->root_fd, dir, O_PATH | O_DIRECTORY);
	if (ret->dir_fd == -ENOENT || ret->dir_fd == -ENOTDIR)
		return not_found(j);
	if (ret->dir_fd < 0)
		return error_set(&j->err, ret->dir_fd, "%s: %s", j->path, strerror(-ret->dir_fd));
	return 0;
}

/* Where a symlink points, cleaned and absolute inside the container. */
static char *link_target(int dir_fd, const char *base, const char *abs)
{
	char t[4096];
	ssize_t n = readlinkat(dir_fd, base, t, sizeof(t) - 1);
	if (n < 0)
		return strdup("");
	t[n] = '\0';
	if (t[0] == '/')
		return path_clean(t);
	_cleanup_free_ char *dir = path_dir(abs);
	return dir ? path_join(dir, t) : NULL;
}

static int stat_entry(struct cp_job *j, struct resolved *r, struct stat *st)
{
	if (fstatat(r->dir_fd, r->base, st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT || errno == ENOTDIR
			   ? not_found(j)
			   : error_set(&j->err, -errno, "%s: %s", j->path, strerror(errno));
	char mtime[64];
	time_format_rfc3339nano((int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
				mtime, sizeof(mtime));
	_cleanup_free_ char *target =
	    S_ISLNK(st->st_mode) ? link_target(r->dir_fd, r->base, r->abs) : strdup("");
	json_t *o =
	    json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", r->name, "size", (json_int_t)st->st_size,
		      "mode", (json_int_t)go_file_mode(st->st_mode), "mtime", mtime, "linkTarget",
		      target ? target : "");
	_cleanup_free_ char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s)
		return error_set(&j->err, -ENOMEM, "out of memory");
	size_t n = strlen(s);
	j->stat_b64 = malloc(4 * ((n + 2) / 3) + 1);
	if (!j->stat_b64)
		return error_set(&j->err, -ENOMEM, "out of memory");
	EVP_EncodeBlock((unsigned char *)j->stat_b64, (const unsigned char *)s, (int)n);
	return 0;
}

static int scratch(struct cp_job *j)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/tmp", image_store_root(j->cs->deps.images->store)) < 0)
		return error_set(&j->err, -ENOMEM, "out of memory");
	j->out_fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (j->out_fd < 0)
		return error_set(&j->err, -errno, "cannot create a scratch file in %s: %m", dir);
	return 0;
}

static void get_work(struct cp_job *j)
{
	struct resolved r;
	struct stat st;
	if (resolve(j, &r) == 0 && stat_entry(j, &r, &st) == 0 && j->mode == CP_GET &&
	    scratch(j) == 0) {
		/* Entries are named after the requested path's last element, not
		 * what a symlinked directory resolved to (dockerd's rebase). */
		archive_write_entry(r.dir_fd, r.base, r.name, j->out_fd, &j->err);
	}
	resolved_done(&r);
}

static int copy_uid_gid(struct cp_job *j)
{
	char root[64];
	snprintf(root, sizeof(root), "/proc/self/fd/%d", j->root_fd);
	struct oci_user u;
	int r = oci_user_resolve(root, j->user ? j->user : "", &u, &j->err);
	if (r < 0)
		return r;
	j->untar.chown = true;
	j->untar.uid = u.uid;
	j->untar.gid = u.gid;
	return 0;
}

static void put_work(struct cp_job *j)
{
	_cleanup_free_ char *abs = abs_path(j->path);
	if (!abs) {
		error_set(&j->err, -ENOMEM, "out of memory");
		return;
	}
	int fd = path_open_in_root(j->root_fd, abs, O_PATH);
	if (fd == -ENOENT || fd == -ENOTDIR) {
		not_found(j);
		return;
	}
	if (fd < 0) {
		error_set(&j->err, fd, "%s: %s", j->path, strerror(-fd));
		return;
	}
	struct stat st;
	int r = fstat(fd, &st);
	close(fd);
	if (r == 0 && !S_ISDIR(st.st_mode)) {
		error_set(&j->err, -EINVAL, "extraction point is not a directory");
		return;
	}
	if (j->user && copy_uid_gid(j) < 0)
		return;
	untar_in_root(j->in_fd, j->root_fd, abs, &j->untar, &j->err);
}

static void cp_work(uv_work_t *w)
{
	struct cp_job *j = w->data;
	switch (j->mode) {
	case CP_STAT:
	case CP_GET:
		get_work(j);
		break;
	case CP_PUT:
		put_work(j);
		break;
	case CP_EXPORT:
		if (scratch(j) == 0)
			archive_write_dir(j->rootfs, WHITEOUT_DELETE, NULL, j->out_fd, &j->err);
		break;
	}
}

/* ---- loop ---- */

static void cp_done(uv_work_t *w, int status)
{
	struct cp_job *j = w->data;
	(void)status;
	if (j->err.code < 0) {
		sink_end(j->out, &j->err);
		job_free(j);
		return;
	}
	struct sink_meta stat = {"X-Docker-Container-Path-Stat", j->stat_b64};
	switch (j->mode) {
	case CP_STAT:
		sink_begin(j->out, "application/json", &stat, 1);
		sink_end(j->out, NULL);
		break;
	case CP_PUT:
		sink_end(j->out, NULL);
		break;
	case CP_GET:
	case CP_EXPORT:
		sink_begin(j->out, "application/x-tar", &stat, j->mode == CP_GET ? 1 : 0);
		sink_send_file(j->out, TAKE_FD(j->out_fd));
		break;
	}
	job_free(j);
}

/* The container's root as a directory fd: its own view when it runs, else
 * its storage entry, mounted for the job. */
static int open_root(struct cp_job *j, struct container *c)
{
	if (c->state == CONTAINER_RUNNING && c->pid > 0 && j->mode != CP_EXPORT) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/root", c->pid);
		j->root_fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (j->root_fd >= 0)
			return 0;
	}
	int r = storage_mount(j->cs->deps.images->storage, c->id, &j->rootfs, &j->err);
	if (r < 0)
		return r;
	j->mounted = true;
	j->root_fd = open(j->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (j->root_fd < 0)
		return error_set(&j->err, -errno, "%s: %m", j->rootfs);
	return 0;
}

static void start(struct containers *cs, struct byte_sink *out, struct container *c,
		  struct cp_job *j)
{
	j->cs = cs;
	j->out = out;
	j->work.data = j;
	memcpy(j->id, c->id, sizeof(j->id));
	int r = open_root(j, c);
	if (r == 0 && uv_queue_work(cs->deps.loop, &j->work, cp_work, cp_done) < 0)
		r = error_set(&j->err, -EAGAIN, "cannot queue the copy");
	if (r < 0) {
		sink_end(out, &j->err);
		job_free(j);
	}
}

static struct cp_job *job_new(enum cp_mode mode, const char *ref, const char *path)
{
	struct cp_job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->mode = mode;
	j->root_fd = j->in_fd = j->out_fd = -1;
	j->ref = strdup(ref);
	j->path = strdup(path ? path : "");
	if (!j->ref || !j->path) {
		free(j->ref);
		free(j->path);
		free(j);
		return NULL;
	}
	return j;
}

/* Ends out with err's code and message, for the checks before a job. */
static void refuse(struct byte_sink *out, int code, const char *msg)
{
	struct error err = ERROR_INIT;
	error_set(&err, code, "%s", msg);
	sink_end(out, &err);
	error_clear(&err);
}

void container_archive(struct containers *cs, struct byte_sink *out, struct container *c,
		       const char *ref, const char *path, bool head)
{
	if (!path || !*path) {
		refuse(out, -EINVAL, "path cannot be empty");
		return;
	}
	struct cp_job *j = job_new(head ? CP_STAT : CP_GET, ref, path);
	if (!j) {
		refuse(out, -ENOMEM, "out of memory");
		return;
	}
	start(cs, out, c, j);
}

void container_extract(struct containers *cs, struct byte_sink *out, struct container *c,
		       const char *ref, const struct container_extract_opts *o, int fd)
{
	if (!o->path || !*o->path) {
		close(fd);
		refuse(out, -EINVAL, "path cannot be empty");
		return;
	}
	struct cp_job *j = job_new(CP_PUT, ref, o->path);
	if (!j) {
		close(fd);
		refuse(out, -ENOMEM, "out of memory");
		return;
	}
	j->in_fd = fd;
	j->untar.no_overwrite_dir_non_dir = o->no_overwrite_dir_non_dir;
	if (o->copy_uid_gid) {
		const char *u = json_string_value(json_object_get(c->config, "User"));
		j->user = strdup(u ? u : "");
	}
	start(cs, out, c, j);
}

void container_export(struct containers *cs, struct byte_sink *out, struct container *c)
{
	struct cp_job *j = job_new(CP_EXPORT, c->id, "/");
	if (!j) {
		refuse(out, -ENOMEM, "out of memory");
		return;
	}
	start(cs, out, c, j);
}
