#include "engine/container_devices.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "basic/cleanup.h"

/* containerd's DeviceFromPath: a character or block device (or a FIFO). */
static json_t *device_entry(const char *path, const char *access, const struct stat *st)
{
	const char *type = S_ISCHR(st->st_mode)	   ? "c"
			   : S_ISBLK(st->st_mode)  ? "b"
			   : S_ISFIFO(st->st_mode) ? "p"
						   : NULL;
	if (!type)
		return NULL;
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s}", "path", path, "type", type,
			 "major", (json_int_t)major(st->st_rdev), "minor",
			 (json_int_t)minor(st->st_rdev), "fileMode",
			 (json_int_t)(st->st_mode & 07777), "uid", (json_int_t)st->st_uid, "gid",
			 (json_int_t)st->st_gid, "access", access);
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* Every device node below dir, at the same place below dest. */
static int add_tree(const char *dir, const char *dest, const char *access, json_t *out, int depth)
{
	_cleanup_(closedirp) DIR *d = depth < 32 ? opendir(dir) : NULL;
	if (!d)
		return 0; /* dockerd ignores what it cannot walk */
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		_cleanup_free_ char *src = NULL, *dst = NULL;
		if (asprintf(&src, "%s/%s", dir, e->d_name) < 0 ||
		    asprintf(&dst, "%s/%s", dest, e->d_name) < 0)
			return -ENOMEM;
		struct stat st;
		if (lstat(src, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int r = add_tree(src, dst, access, out, depth + 1);
			if (r < 0)
				return r;
			continue;
		}
		json_t *dev = device_entry(dst, access, &st);
		if (dev && json_array_append_new(out, dev) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int add_device(json_t *spec, json_t *out, struct error *err)
{
	const char *host = json_string_value(json_object_get(spec, "PathOnHost"));
	const char *dest = json_string_value(json_object_get(spec, "PathInContainer"));
	const char *access = json_string_value(json_object_get(spec, "CgroupPermissions"));
	if (!host)
		host = "";
	if (!dest || !*dest)
		dest = host;
	if (!access || !*access)
		access = "rwm";
	/* A symlink on the host is followed, as dockerd does. */
	char resolved[PATH_MAX], why[128];
	struct stat st;
	const char *path = realpath(host, resolved) ? resolved : host;
	if (lstat(path, &st) < 0) {
		int e = errno;
		return error_set(err, -e,
				 "error gathering device information while adding custom device "
				 "\"%s\": lstat %s: %s",
				 host, path, error_go_text(e, why, sizeof(why)));
	}
	json_t *dev = device_entry(dest, access, &st);
	if (dev)
		return json_array_append_new(out, dev) < 0
			   ? error_set(err, -ENOMEM, "out of memory")
			   : 0;
	size_t before = json_array_size(out);
	if (S_ISDIR(st.st_mode) && add_tree(path, dest, access, out, 0) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	if (json_array_size(out) > before)
		return 0;
	return error_set(err, -EINVAL,
			 "error gathering device information while adding custom device \"%s\": "
			 "not a device node",
			 host);
}

int container_devices_resolve(json_t *host_config, json_t **ret, struct error *err)
{
	json_t *out = json_array();
	if (!out)
		return error_set(err, -ENOMEM, "out of memory");
	size_t i;
	json_t *spec;
	json_array_foreach(json_object_get(host_config, "Devices"), i, spec)
	{
		int r = add_device(spec, out, err);
		if (r < 0) {
			json_decref(out);
			return r;
		}
	}
	*ret = out;
	return 0;
}

/* One blkio list: [{Path, Weight|Rate}] to [{major, minor, weight|rate}]. */
static int blkio_list(json_t *host_config, const char *key, const char *value_key,
		      const char *oci_key, const char *oci_value, json_t *out, struct error *err)
{
	json_t *list = json_object_get(host_config, key);
	if (!json_array_size(list))
		return 0;
	json_t *devs = json_array();
	if (!devs || json_object_set_new(out, oci_key, devs) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	size_t i;
	json_t *d;
	json_array_foreach(list, i, d)
	{
		const char *path = json_string_value(json_object_get(d, "Path"));
		struct stat st;
		char why[128];
		int bad = !path ? EINVAL : stat(path, &st) < 0 ? errno : 0;
		if (bad)
			return error_set(err, -bad, "stat %s: %s", path ? path : "",
					 error_go_text(bad, why, sizeof(why)));
		json_t *e = json_pack("{s:I, s:I, s:O}", "major", (json_int_t)major(st.st_rdev),
				      "minor", (json_int_t)minor(st.st_rdev), oci_value,
				      json_object_get(d, value_key));
		if (!e || json_array_append_new(devs, e) < 0)
			return error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int container_blkio_resolve(json_t *host_config, json_t **ret, struct error *err)
{
	static const struct {
		const char *key, *value_key, *oci_key, *oci_value;
	} lists[] = {
	    {"BlkioWeightDevice", "Weight", "weightDevice", "weight"},
	    {"BlkioDeviceReadBps", "Rate", "throttleReadBpsDevice", "rate"},
	    {"BlkioDeviceWriteBps", "Rate", "throttleWriteBpsDevice", "rate"},
	    {"BlkioDeviceReadIOps", "Rate", "throttleReadIOPSDevice", "rate"},
	    {"BlkioDeviceWriteIOps", "Rate", "throttleWriteIOPSDevice", "rate"},
	};
	json_t *out = json_object();
	if (!out)
		return error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		int r = blkio_list(host_config, lists[i].key, lists[i].value_key, lists[i].oci_key,
				   lists[i].oci_value, out, err);
		if (r < 0) {
			json_decref(out);
			return r;
		}
	}
	*ret = out;
	return 0;
}
