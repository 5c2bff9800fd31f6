/* Graph drivers: where layers and container filesystems live on disk.
 *
 * A driver keeps everything under its own home, <data-root>/<driver name>, so
 * switching --storage-driver hides (never destroys) the other driver's data.
 * Each layer or container filesystem is an entry named by an opaque id (the
 * "cache id", 64 hex chars) with an optional parent entry. Image layers are
 * filled once (storage_apply_diff) and never written again; container entries
 * are read-write children of the top image layer.
 *
 * All functions are synchronous and may block on disk: call them from the
 * thread pool for anything large. They return 0 or a negative errno-style
 * code with a message in err. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "basic/error.h"

struct storage_driver;

/* How whiteouts ("deleted in this layer") are represented on disk. */
enum whiteout_format {
	WHITEOUT_OVERLAY, /* char device 0:0 and trusted.overlay.opaque=y (overlay2) */
	WHITEOUT_DELETE,  /* the entry is simply removed from a full copy (vfs) */
};

/* Opens the driver called name ("overlay2" or "vfs") with its home under
 * data_root. -EINVAL for an unknown name; -ENOTSUP when the kernel or the
 * backing filesystem cannot host it (e.g. overlay on overlay). */
int storage_driver_open(const char *name, const char *data_root, struct storage_driver **ret,
			struct error *err);
void storage_driver_close(struct storage_driver *drv);

const char *storage_driver_name(const struct storage_driver *drv);
/* The driver's home directory, e.g. /var/lib/berth/overlay2. */
const char *storage_driver_home(const struct storage_driver *drv);
enum whiteout_format storage_driver_whiteouts(const struct storage_driver *drv);
/* Rows for /info's DriverStatus, e.g. {{"Backing Filesystem","extfs"},...}:
 * a JSON array of two-string arrays (new reference). */
struct json_t;
struct json_t *storage_driver_status(const struct storage_driver *drv);

/* Creates entry id on top of parent (NULL: a base layer). -EEXIST if id
 * exists, -ENOENT if parent does not. */
int storage_create(struct storage_driver *drv, const char *id, const char *parent,
		   struct error *err);
/* Checks a container's HostConfig.StorageOpt (a JSON object, NULL for none)
 * as the driver would apply it to a read-write entry, with dockerd's errors.
 * Neither driver sets disk quotas, so "size" is refused as dockerd refuses
 * it where the backing filesystem has no project quotas. */
int storage_check_rw_opts(const struct storage_driver *drv, struct json_t *opts, struct error *err);
/* Removes entry id and everything it holds; unmounts it first if mounted.
 * Removing an entry that does not exist is not an error. */
int storage_remove(struct storage_driver *drv, const char *id, struct error *err);
bool storage_exists(struct storage_driver *drv, const char *id);

/* The directory where entry id's own changes live, to unpack a layer into
 * (overlay2: <home>/<id>/diff; vfs: the full tree <home>/dir/<id>). Caller
 * frees. */
int storage_diff_path(struct storage_driver *drv, const char *id, char **ret, struct error *err);

/* Makes entry id's complete filesystem (all parents merged) available and
 * returns its path (overlay2: <home>/<id>/merged, mounted; vfs: the tree
 * itself). Mounts are counted: each storage_mount needs a storage_unmount.
 * Caller frees the path. */
int storage_mount(struct storage_driver *drv, const char *id, char **ret_path, struct error *err);
int storage_unmount(struct storage_driver *drv, const char *id, struct error *err);

/* Removes what an interrupted create or remove left behind: entries not in
 * keep_ids (NULL-terminated) and stale mounts under the home. Called once
 * at daemon start after the layer store knows its layers. */
int storage_cleanup(struct storage_driver *drv, const char *const *keep_ids, struct error *err);

/* GraphDriver.Data of an inspect, as dockerd's driver reports entry id:
 * overlay2's LowerDir (the parents' diff dirs, nearest first; absent for a
 * base layer), MergedDir, UpperDir and WorkDir; JSON null for vfs or an
 * entry that does not exist (new reference). */
struct json_t *storage_metadata(struct storage_driver *drv, const char *id);

/* Bytes used by entry id's own changes (du of its diff). */
int storage_diff_size(struct storage_driver *drv, const char *id, int64_t *ret, struct error *err);

/* ---- Internal: shared by driver.c, overlay2.c and vfs.c only. ---- */

/* What a driver implements. driver.c validates ids, counts mounts (mount is
 * called on the first storage_mount, unmount on the last storage_unmount) and
 * serialises those counts; the driver does the disk work. */
struct storage_ops {
	const char *name;
	enum whiteout_format whiteouts;
	int (*init)(struct storage_driver *drv, struct error *err);
	void (*status)(const struct storage_driver *drv, struct json_t *rows);
	int (*create)(struct storage_driver *drv, const char *id, const char *parent,
		      struct error *err);
	int (*remove)(struct storage_driver *drv, const char *id, struct error *err);
	/* The entry's top directory (it exists iff the entry does). */
	int (*entry_path)(const struct storage_driver *drv, const char *id, char **ret);
	int (*diff_path)(struct storage_driver *drv, const char *id, char **ret, struct error *err);
	int (*mount)(struct storage_driver *drv, const char *id, char **ret_path,
		     struct error *err);
	/* Idempotent: also undoes a mount left by an earlier daemon. */
	int (*unmount)(struct storage_driver *drv, const char *id, struct error *err);
	/* GraphDriver.Data (NULL: none, shown as null). */
	struct json_t *(*metadata)(struct storage_driver *drv, const char *id);
	/* Removes entries not in keep_ids and half-made ones (*.tmp*). */
	int (*cleanup)(struct storage_driver *drv, const char *const *keep_ids, struct error *err);
};

extern const struct storage_ops storage_overlay2_ops;
extern const struct storage_ops storage_vfs_ops;

/* Driver-private state (overlay2's probe results) hangs off the driver. */
void *storage_driver_priv(const struct storage_driver *drv);
void storage_driver_set_priv(struct storage_driver *drv, void *priv);

/* True when id may name an entry: no '/', not "."/"..", no ".tmp" (reserved
 * for half-made entries), at most 128 chars of [A-Za-z0-9_.-]. */
bool storage_id_valid(const char *id);
/* True when id is one of the NULL-terminated keep_ids (NULL: none). */
bool storage_id_kept(const char *const *keep_ids, const char *id);
/* Detaches every mount at or below dir (deepest first), from mountinfo. */
int storage_unmount_below(const char *dir, struct error *err);
/* fsyncs the directory at path; best effort. */
void storage_fsync_dir(const char *path);
