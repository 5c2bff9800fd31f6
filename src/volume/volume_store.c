/* The local volume store: volumes on disk under <data-root>/volumes, their
 * metadata, container references and driver-option mounts. See
 * volume_store.h for the on-disk protocol. */
#include "volume/volume_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/timeutil.h"
#include "shared/events.h"

#define META_FILE "meta.json"
#define TMP_PREFIX ".tmp-"
#define TRASH_PREFIX ".trash-"

struct volume {
	char *name;
	int64_t created_ns;
	json_t *labels; /* object of strings, never NULL */
	json_t *opts;	/* object of strings, never NULL */
	bool anonymous; /* created without a name */
	bool copied_up;
	struct volume_mount_opts mnt;
	char **refs; /* container IDs using the volume */
	size_t n_refs;
	unsigned mounts;
};

struct volume_store {
	char *root;
	struct event_log *events;
	struct volume **v;
	size_t n;
};

static void volume_free(struct volume *v)
{
	if (!v)
		return;
	free(v->name);
	json_decref(v->labels);
	json_decref(v->opts);
	volume_mount_opts_done(&v->mnt);
	for (size_t i = 0; i < v->n_refs; i++)
		free(v->refs[i]);
	free(v->refs);
	free(v);
}

static struct volume *find(const struct volume_store *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i]->name, name) == 0)
			return s->v[i];
	return NULL;
}

static char *vol_path(const struct volume_store *s, const char *name, const char *sub)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s%s%s", s->root, name, sub ? "/" : "", sub ? sub : "") < 0)
		return NULL;
	return p;
}

static void fsync_dir(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		fsync(fd);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (remove(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* rm -rf that never crosses into another filesystem: a bind-mounted host
 * directory left mounted by accident must not be emptied. */
static int rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static void publish(struct volume_store *s, const char *action, const char *name)
{
	if (s->events)
		event_log_publish(s->events, "volume", action, name,
				  json_pack("{s:s}", "driver", "local"), "local");
}

/* --- metadata ----------------------------------------------------------- */

static int save_meta(const struct volume_store *s, const struct volume *v, const char *dir,
		     struct error *err)
{
	_cleanup_(json_decrefp) json_t *j =
	    json_pack("{s:s, s:I, s:O, s:O, s:b, s:b}", "Name", v->name, "CreatedAt",
		      (json_int_t)v->created_ns, "Labels", v->labels, "Options", v->opts,
		      "Anonymous", v->anonymous, "CopiedUp", v->copied_up);
	_cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	_cleanup_free_ char *path = NULL;
	if (!text || asprintf(&path, "%s/%s", dir, META_FILE) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return fs_write_atomic(path, text, strlen(text), 0600, err);
}

static json_t *string_object(json_t *o)
{
	if (!json_is_object(o))
		return json_object();
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) if (!json_is_string(v)) return json_object();
	return json_deep_copy(o);
}

static struct volume *volume_new(const char *name, json_t *labels, json_t *opts)
{
	struct volume *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->name = strdup(name);
	v->labels = string_object(labels);
	v->opts = string_object(opts);
	if (!v->name || !v->labels || !v->opts ||
	    volume_opts_parse(v->opts, &v->mnt, NULL) < 0) {
		volume_free(v);
		return NULL;
	}
	return v;
}

/* Loads one volume directory; one without metadata (copied from dockerd,
 * say) is taken as a plain volume created when its directory was. */
static int load_one(const struct volume_store *s, const char *name, struct volume **ret)
{
	_cleanup_free_ char *dir = vol_path(s, name, NULL), *meta = vol_path(s, name, META_FILE);
	_cleanup_free_ char *text = NULL;
	struct stat st;
	if (!dir || !meta)
		return -ENOMEM;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return -ENOTDIR;
	fs_remove_stale_tmp(dir); /* a metadata write kill -9 cut short */
	json_t *j = NULL;
	if (fs_read_file(meta, 1 << 20, &text, NULL) == 0)
		j = json_loads(text, 0, NULL);
	struct volume *v = volume_new(name, json_object_get(j, "Labels"),
				      json_object_get(j, "Options"));
	if (v) {
		json_t *c = json_object_get(j, "CreatedAt");
		v->created_ns = json_is_integer(c)
				    ? (int64_t)json_integer_value(c)
				    : (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
		v->anonymous = json_is_true(json_object_get(j, "Anonymous"));
		v->copied_up = json_is_true(json_object_get(j, "CopiedUp"));
	}
	json_decref(j);
	if (!v)
		return -ENOMEM;
	*ret = v;
	return 0;
}

static int store_add(struct volume_store *s, struct volume *v)
{
	struct volume **nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	s->v = nv;
	s->v[s->n++] = v;
	return 0;
}

static void store_del(struct volume_store *s, struct volume *v)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i] != v)
			continue;
		memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
		s->n--;
		return;
	}
}

/* A mount of _data that survived a crash: nothing uses it now. */
static void unmount_stale(const struct volume_store *s, const struct volume *v)
{
	if (!v->mnt.type)
		return;
	_cleanup_free_ char *data = vol_path(s, v->name, "_data");
	if (data)
		umount2(data, MNT_DETACH);
}

static int load_all(struct volume_store *s, struct error *err)
{
	DIR *d = opendir(s->root);
	if (!d)
		return error_set(err, -errno, "open %s: %s", s->root, strerror(errno));
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		const char *n = de->d_name;
		if (strncmp(n, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 ||
		    strncmp(n, TRASH_PREFIX, strlen(TRASH_PREFIX)) == 0) {
			/* An interrupted create or remove: finish the job. */
			_cleanup_free_ char *p = vol_path(s, n, NULL);
			if (p)
				rm_rf(p);
			continue;
		}
		struct volume *v = NULL;
		if (n[0] == '.' || volume_name_validate(n, NULL) < 0 || load_one(s, n, &v) < 0)
			continue;
		unmount_stale(s, v);
		r = store_add(s, v);
		if (r < 0) {
			volume_free(v);
			error_set(err, r, "out of memory");
		}
	}
	closedir(d);
	return r;
}

int volume_store_open(const char *root, struct event_log *events, struct volume_store **ret,
		      struct error *err)
{
	int r = fs_mkdir_p(root, 0701, err);
	if (r < 0)
		return r;
	struct volume_store *s = calloc(1, sizeof(*s));
	if (!s || !(s->root = strdup(root))) {
		free(s);
		return error_set(err, -ENOMEM, "out of memory");
	}
	s->events = events;
	r = load_all(s, err);
	if (r < 0) {
		volume_store_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

void volume_store_close(struct volume_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i]->mounts)
			unmount_stale(s, s->v[i]);
		volume_free(s->v[i]);
	}
	free(s->v);
	free(s->root);
	free(s);
}

/* --- create and remove -------------------------------------------------- */

static int random_name(char out[65])
{
	unsigned char b[32];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -errno;
	for (size_t i = 0; i < sizeof(b); i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	return 0;
}

/* Makes the volume in a hidden directory and renames it into place, so
 * only complete volumes are ever visible under their name. */
static int create_on_disk(const struct volume_store *s, const struct volume *v, struct error *err)
{
	_cleanup_free_ char *tmp = NULL, *data = NULL, *final = vol_path(s, v->name, NULL);
	if (!final || asprintf(&tmp, "%s/" TMP_PREFIX "%s", s->root, v->name) < 0 ||
	    asprintf(&data, "%s/_data", tmp) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	rm_rf(tmp);
	if (mkdir(tmp, 0701) < 0 || mkdir(data, 0755) < 0) {
		int r = -errno;
		rm_rf(tmp);
		return error_set(err, r, "mkdir %s: %s", tmp, strerror(-r));
	}
	int r = save_meta(s, v, tmp, err);
	if (r == 0 && rename(tmp, final) < 0)
		r = error_set(err, -errno, "rename %s: %s", final, strerror(errno));
	if (r < 0) {
		rm_rf(tmp);
		return r;
	}
	fsync_dir(s->root);
	return 0;
}

static int check_driver(const char *name, const char *driver, struct error *err)
{
	if (!driver || !*driver || strcmp(driver, "local") == 0)
		return 0;
	return error_set(err, -ENOENT,
			 "create %s: error looking up volume plugin %s: plugin \"%s\" not found",
			 name, driver, driver);
}

static int create_new(struct volume_store *s, const char *name, bool anonymous, json_t *opts,
		      json_t *labels, struct error *err)
{
	int r = volume_opts_parse(opts, NULL, err);
	if (r < 0)
		return error_wrap(err, "create %s", name);
	struct volume *v = volume_new(name, labels, opts);
	if (!v)
		return error_set(err, -ENOMEM, "out of memory");
	v->anonymous = anonymous;
	v->created_ns = time_now_ns();
	r = create_on_disk(s, v, err);
	if (r == 0 && (r = store_add(s, v)) < 0)
		error_set(err, r, "out of memory");
	if (r < 0) {
		volume_free(v);
		return r;
	}
	publish(s, "create", name);
	return 0;
}

int volume_create(struct volume_store *s, const char *name, const char *driver, json_t *opts,
		  json_t *labels, char **ret_name, bool *ret_created, struct error *err)
{
	char anon[65];
	bool anonymous = !name || !*name;
	if (anonymous) {
		int r = random_name(anon);
		if (r < 0)
			return error_set(err, r, "create: cannot generate a volume name");
		name = anon;
	}
	int r = check_driver(name, driver, err);
	if (r < 0)
		return r;
	r = volume_name_validate(name, err);
	if (r < 0)
		return error_wrap(err, "create %s", name);
	bool created = !find(s, name);
	if (created && (r = create_new(s, name, anonymous, opts, labels, err)) < 0)
		return r;
	if (ret_name && !(*ret_name = strdup(name)))
		return error_set(err, -ENOMEM, "out of memory");
	if (ret_created)
		*ret_created = created;
	return 0;
}

bool volume_exists(const struct volume_store *s, const char *name)
{
	return find(s, name) != NULL;
}

static char *join_refs(const struct volume *v)
{
	size_t len = 1;
	for (size_t i = 0; i < v->n_refs; i++)
		len += strlen(v->refs[i]) + 2;
	char *out = calloc(1, len);
	for (size_t i = 0; out && i < v->n_refs; i++) {
		if (i)
			strcat(out, ", ");
		strcat(out, v->refs[i]);
	}
	return out;
}

/* Takes v out of the store and off the disk: rename first, so a crash
 * midway leaves a trash directory that the next start deletes. */
static int remove_volume(struct volume_store *s, struct volume *v, struct error *err)
{
	_cleanup_free_ char *dir = vol_path(s, v->name, NULL), *trash = NULL;
	if (!dir || asprintf(&trash, "%s/" TRASH_PREFIX "%s", s->root, v->name) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	if (v->mounts || v->mnt.type)
		unmount_stale(s, v);
	rm_rf(trash);
	if (rename(dir, trash) < 0)
		return error_set(err, -errno, "remove %s: %s", v->name, strerror(errno));
	fsync_dir(s->root);
	store_del(s, v);
	int r = rm_rf(trash);
	publish(s, "destroy", v->name);
	volume_free(v);
	/* The volume is gone for good; leftovers go with the next start. */
	(void)r;
	return 0;
}

int volume_remove(struct volume_store *s, const char *name, bool force, struct error *err)
{
	struct volume *v = find(s, name);
	if (!v)
		return force ? 0 : error_set(err, -ENOENT, "get %s: no such volume", name);
	if (v->n_refs) {
		_cleanup_free_ char *refs = join_refs(v);
		return error_set(err, -EBUSY, "remove %s: volume is in use - [%s]", name,
				 refs ? refs : "");
	}
	return remove_volume(s, v, err);
}

/* --- references and mounts ---------------------------------------------- */

int volume_ref(struct volume_store *s, const char *name, const char *container_id,
	       struct error *err)
{
	struct volume *v = find(s, name);
	if (!v)
		return error_set(err, -ENOENT, "get %s: no such volume", name);
	for (size_t i = 0; i < v->n_refs; i++)
		if (strcmp(v->refs[i], container_id) == 0)
			return 0;
	char **nr = realloc(v->refs, (v->n_refs + 1) * sizeof(*nr));
	if (!nr)
		return error_set(err, -ENOMEM, "out of memory");
	v->refs = nr;
	if (!(v->refs[v->n_refs] = strdup(container_id)))
		return error_set(err, -ENOMEM, "out of memory");
	v->n_refs++;
	return 0;
}

int volume_unref(struct volume_store *s, const char *name, const char *container_id)
{
	struct volume *v = find(s, name);
	if (!v)
		return -ENOENT;
	for (size_t i = 0; i < v->n_refs; i++) {
		if (strcmp(v->refs[i], container_id) != 0)
			continue;
		free(v->refs[i]);
		memmove(&v->refs[i], &v->refs[i + 1], (v->n_refs - i - 1) * sizeof(*v->refs));
		v->n_refs--;
		break;
	}
	return 0;
}

bool volume_store_in_use(const struct volume_store *s, const char *name)
{
	const struct volume *v = find(s, name);
	return v && v->n_refs > 0;
}

static int do_mount(const char *data, const struct volume_mount_opts *m, struct error *err)
{
	bool bind = m->flags & MS_BIND;
	const char *type = bind || strcmp(m->type, "none") == 0 ? NULL : m->type;
	const char *fsdata = m->data && *m->data ? m->data : NULL;
	int r = mount(m->device, data, type, m->flags, bind ? NULL : fsdata);
	/* A bind mount takes ro and friends only on a remount. */
	if (r == 0 && bind && (m->flags & ~(MS_BIND | MS_REC)))
		r = mount(NULL, data, NULL, m->flags | MS_REMOUNT, NULL);
	if (r < 0)
		return error_set(err, -errno,
				 "error while mounting volume '%s': failed to mount local volume: "
				 "mount %s:%s, flags: 0x%lx, data: %s: %s",
				 data, m->device, data, m->flags, fsdata ? fsdata : "",
				 strerror(errno));
	return 0;
}

int volume_mount(struct volume_store *s, const char *name, char **ret_path, struct error *err)
{
	struct volume *v = find(s, name);
	if (!v)
		return error_set(err, -ENOENT, "get %s: no such volume", name);
	_cleanup_free_ char *data = vol_path(s, name, "_data");
	if (!data)
		return error_set(err, -ENOMEM, "out of memory");
	if (v->mnt.type && v->mounts == 0) {
		int r = do_mount(data, &v->mnt, err);
		if (r < 0)
			return r;
	}
	v->mounts++;
	if (ret_path)
		*ret_path = TAKE_PTR(data);
	return 0;
}

int volume_unmount(struct volume_store *s, const char *name, struct error *err)
{
	struct volume *v = find(s, name);
	if (!v)
		return error_set(err, -ENOENT, "get %s: no such volume", name);
	if (v->mounts == 0)
		return 0;
	if (--v->mounts || !v->mnt.type)
		return 0;
	_cleanup_free_ char *data = vol_path(s, name, "_data");
	if (!data)
		return error_set(err, -ENOMEM, "out of memory");
	if (umount2(data, MNT_DETACH) < 0 && errno != EINVAL)
		return error_set(err, -errno, "error while unmounting volume %s: %s", name,
				 strerror(errno));
	return 0;
}

/* --- copy-up ------------------------------------------------------------ */

static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return false;
	struct dirent *de;
	bool empty = true;
	while (empty && (de = readdir(d)))
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

int volume_copy_up(struct volume_store *s, const char *name, const char *src_dir,
		   struct error *err)
{
	struct volume *v = find(s, name);
	if (!v)
		return error_set(err, -ENOENT, "get %s: no such volume", name);
	_cleanup_free_ char *dir = vol_path(s, name, NULL), *data = vol_path(s, name, "_data");
	if (!dir || !data)
		return error_set(err, -ENOMEM, "out of memory");
	struct stat st;
	/* Nothing at the path in the image: nothing to copy, as in dockerd. */
	if (v->copied_up || !dir_empty(data) || stat(src_dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	int r = volume_copy_tree(src_dir, data, err);
	if (r < 0)
		return r;
	v->copied_up = true;
	return save_meta(s, v, dir, err);
}

/* --- JSON --------------------------------------------------------------- */

/* dockerd shows CreatedAt as RFC 3339 in local time, to the second. */
static void format_created(int64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000LL);
	struct tm tm;
	localtime_r(&sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	long off = tm.tm_gmtoff;
	if (!off)
		snprintf(buf + n, len - n, "Z");
	else
		snprintf(buf + n, len - n, "%c%02ld:%02ld", off < 0 ? '-' : '+',
			 labs(off) / 3600, labs(off) / 60 % 60);
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Go writes maps with sorted keys and a nil map as null. */
static json_t *object_or_null(json_t *o)
{
	size_t n = json_object_size(o), i = 0;
	if (!n)
		return json_null();
	_cleanup_free_ const char **keys = calloc(n, sizeof(*keys));
	json_t *out = json_object();
	if (!keys || !out) {
		json_decref(out);
		return NULL;
	}
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_key);
	for (i = 0; i < n; i++)
		json_object_set(out, keys[i], json_object_get(o, keys[i]));
	return out;
}

static json_t *volume_json(const struct volume_store *s, const struct volume *v)
{
	char created[64];
	format_created(v->created_ns, created, sizeof(created));
	_cleanup_free_ char *mp = vol_path(s, v->name, "_data");
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:s}", "CreatedAt", created, "Driver",
			 "local", "Labels", object_or_null(v->labels), "Mountpoint",
			 mp ? mp : "", "Name", v->name, "Options", object_or_null(v->opts),
			 "Scope", "local");
}

int volume_inspect_json(const struct volume_store *s, const char *name, json_t **ret,
			struct error *err)
{
	const struct volume *v = find(s, name);
	if (!v)
		return error_set(err, -ENOENT, "get %s: no such volume", name);
	json_t *j = volume_json(s, v);
	if (!j)
		return error_set(err, -ENOMEM, "out of memory");
	*ret = j;
	return 0;
}

static int check_keys(const struct filters *f, const char *const *allowed, struct error *err)
{
	for (size_t i = 0; i < filters_len(f); i++) {
		const char *k = filters_key_at(f, i);
		size_t j = 0;
		while (allowed[j] && strcmp(allowed[j], k) != 0)
			j++;
		if (!allowed[j])
			return error_set(err, -EINVAL, "Invalid filter '%s'", k);
	}
	return 0;
}

static bool list_match(const struct filters *f, const struct volume *v, bool dangling_set,
		       bool dangling)
{
	if (dangling_set && (v->n_refs == 0) != dangling)
		return false;
	return filters_match_substring(f, "name", v->name) && filters_match_exact(f, "driver", "local") &&
	       filters_match_label(f, "label", v->labels);
}

int volume_list_json(const struct volume_store *s, const struct filters *f, json_t **ret,
		     struct error *err)
{
	static const char *const keys[] = {"name", "driver", "label", "dangling", NULL};
	int r = check_keys(f, keys, err);
	bool dangling = false, dangling_set = filters_has_key(f, "dangling");
	if (r == 0 && dangling_set) {
		r = filters_get_bool(f, "dangling", false, &dangling, err);
		/* dockerd's volume service capitalizes this one message. */
		if (r < 0 && err && err->msg && err->msg[0] == 'i')
			err->msg[0] = 'I';
	}
	if (r < 0)
		return r;
	json_t *a = json_array();
	for (size_t i = 0; a && i < s->n; i++)
		if (list_match(f, s->v[i], dangling_set, dangling))
			json_array_append_new(a, volume_json(s, s->v[i]));
	if (!a)
		return error_set(err, -ENOMEM, "out of memory");
	*ret = a;
	return 0;
}

static bool prune_match(const struct filters *f, const struct volume *v)
{
	/* dockerd leaves volumes with driver options (mounts it was told to
	 * make, maybe of a host's data) alone when pruning. */
	if (v->n_refs || json_object_size(v->opts))
		return false;
	if (!filters_match_label(f, "label", v->labels))
		return false;
	return !filters_has_key(f, "label!") || !filters_match_label(f, "label!", v->labels);
}

int volume_prune(struct volume_store *s, const struct filters *f, json_t **ret_deleted,
		 uint64_t *ret_reclaimed, struct error *err)
{
	static const char *const keys[] = {"label", "label!", NULL};
	int r = check_keys(f, keys, err);
	if (r < 0)
		return r;
	_cleanup_(json_decrefp) json_t *deleted = json_array();
	uint64_t reclaimed = 0;
	if (!deleted)
		return error_set(err, -ENOMEM, "out of memory");
	for (size_t i = s->n; i-- > 0;) {
		struct volume *v = s->v[i];
		if (!prune_match(f, v))
			continue;
		_cleanup_free_ char *data = vol_path(s, v->name, "_data");
		int64_t size = 0;
		if (data && volume_dir_size(data, &size) == 0)
			reclaimed += (uint64_t)size;
		json_t *name = json_string(v->name);
		struct error e = ERROR_INIT;
		if (remove_volume(s, v, &e) == 0)
			json_array_insert_new(deleted, 0, name);
		else
			json_decref(name);
		error_clear(&e);
	}
	*ret_deleted = TAKE_PTR(deleted);
	*ret_reclaimed = reclaimed;
	return 0;
}

json_t *volume_store_df_json(const struct volume_store *s)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < s->n; i++) {
		const struct volume *v = s->v[i];
		json_t *j = volume_json(s, v);
		_cleanup_free_ char *data = vol_path(s, v->name, "_data");
		int64_t size = -1;
		if (data)
			volume_dir_size(data, &size);
		json_object_set_new(j, "UsageData", json_pack("{s:I, s:I}", "RefCount",
							      (json_int_t)v->n_refs, "Size",
							      (json_int_t)size));
		json_array_append_new(a, j);
	}
	return a;
}
