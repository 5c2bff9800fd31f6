/* The local volume driver, as dockerd's "local" driver: each volume is
 * <root>/<name>/_data (root is <data-root>/volumes) with its metadata in
 * <root>/<name>/meta.json. A volume appears on disk only complete (it is made
 * in a hidden temporary directory and renamed into place) and disappears by
 * a rename before its files are deleted, so a crash at any moment leaves
 * either a whole volume or nothing the next start does not clean up.
 *
 * Volumes with driver options (type/device/o, like mount(8)) are mounted on
 * _data at first use and unmounted after the last.
 *
 * Which containers use a volume is kept in memory only: the container code
 * calls volume_ref() for each container it loads or creates, so references
 * are rebuilt at every start. All functions run on the loop thread except
 * where noted; they return 0 or a negative errno-style code with a message in
 * err worded as dockerd words it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "basic/error.h"
#include "shared/filters.h"

struct volume_store;
struct event_log;

/* Mount parameters from the driver options, as mount(2) takes them. */
struct volume_mount_opts {
	char *type;	     /* "tmpfs", "none" (bind) ...; NULL: not mounted */
	char *device;	     /* source */
	unsigned long flags; /* MS_* from the "o" option */
	char *data;	     /* the rest of "o", for the filesystem */
};

void volume_mount_opts_done(struct volume_mount_opts *m);

/* Docker's rule for local volume names: at least two characters,
 * [a-zA-Z0-9][a-zA-Z0-9_.-]+. -EINVAL with dockerd's message otherwise. */
int volume_name_validate(const char *name, struct error *err);

/* Checks driver options (an object of strings, or NULL) as the local
 * driver does: only type, device and o; device and type need each other and
 * o needs device. -EINVAL "invalid option: \"x\"" or "missing required
 * option: \"x\"". With ret non-NULL, also translates o into flags and data. */
int volume_opts_parse(json_t *opts, struct volume_mount_opts *ret, struct error *err);

/* Opens (creating) the store at root, loads every volume, removes what an
 * interrupted create or remove left, and unmounts stale mounts. events may be
 * NULL (tests); otherwise create/destroy events are published to it. */
int volume_store_open(const char *root, struct event_log *events, struct volume_store **ret,
		      struct error *err);
/* Unmounts what is still mounted and frees the store. Accepts NULL. */
void volume_store_close(struct volume_store *s);

/* Creates a volume. name NULL or "" makes an anonymous volume with a random
 * 64-hex name. driver NULL or "" means "local"; any other -ENOENT "plugin not
 * found". opts and labels are objects of strings or NULL (borrowed). When the
 * name exists already the existing volume is returned, as dockerd does, and
 * *ret_created is false. ret_name (may be NULL) gets the name (caller
 * frees). Errors are prefixed "create <name>: ". */
int volume_create(struct volume_store *s, const char *name, const char *driver, json_t *opts,
		  json_t *labels, char **ret_name, bool *ret_created, struct error *err);

bool volume_exists(const struct volume_store *s, const char *name);

/* The API's Volume object (Name, Driver, Mountpoint, CreatedAt, Labels,
 * Scope, Options) for name. -ENOENT "get <name>: no such volume". */
int volume_inspect_json(const struct volume_store *s, const char *name, json_t **ret,
			struct error *err);

/* Every volume matching filters f (name, driver, label, dangling; NULL: all)
 * as an array of Volume objects. -EINVAL "Invalid filter ..." for others. */
int volume_list_json(const struct volume_store *s, const struct filters *f, json_t **ret,
		     struct error *err);

/* Removes a volume. In use: -EBUSY "remove <name>: volume is in use -
 * [ids]". Absent: -ENOENT "get <name>: no such volume", or 0 with force. */
int volume_remove(struct volume_store *s, const char *name, bool force, struct error *err);

/* Removes every volume no container references that matches f (label,
 * label!). *ret_deleted gets the names (array), *ret_reclaimed the bytes
 * freed. */
int volume_prune(struct volume_store *s, const struct filters *f, json_t **ret_deleted,
		 uint64_t *ret_reclaimed, struct error *err);

/* Container references: a volume referenced by any container cannot be
 * removed or pruned. Adding a reference twice is a no-op. -ENOENT when the
 * volume does not exist; unref of an absent reference is a no-op. */
int volume_ref(struct volume_store *s, const char *name, const char *container_id,
	       struct error *err);
int volume_unref(struct volume_store *s, const char *name, const char *container_id);
/* True when some container references the volume. */
bool volume_store_in_use(const struct volume_store *s, const char *name);

/* Prepares the volume for a container and returns the host path to bind
 * (its _data; caller frees). Volumes with driver options are mounted at the
 * first use; uses are counted, each volume_mount needs a volume_unmount,
 * and the last one unmounts. */
int volume_mount(struct volume_store *s, const char *name, char **ret_path, struct error *err);
int volume_unmount(struct volume_store *s, const char *name, struct error *err);

/* Fills a volume from src_dir (the image's content at the mount point) when
 * the volume is empty and was never filled before, keeping owners, modes,
 * timestamps, xattrs, symlinks, hard links and device nodes; the volume's
 * root takes src_dir's owner and mode. Remembered in the metadata, so it
 * happens once per volume. Blocks on disk; 0 when there was nothing to do. */
int volume_copy_up(struct volume_store *s, const char *name, const char *src_dir,
		   struct error *err);

/* For /system/df: the array of Volume objects with UsageData {Size,
 * RefCount} (Size the du of _data, as dockerd counts it). Blocks on disk. */
json_t *volume_store_df_json(const struct volume_store *s);

/* dockerd's directory.Size: bytes of the non-directory entries under path,
 * hard links counted once. -errno on failure. */
int volume_dir_size(const char *path, int64_t *ret);

/* Copies the tree at src into the existing directory dst (see
 * volume_copy_up for what is kept). Exposed for tests. */
int volume_copy_tree(const char *src, const char *dst, struct error *err);
