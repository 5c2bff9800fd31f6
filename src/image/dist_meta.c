/* Distribution metadata (see dist_meta.h). */
#include "image/dist_meta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "shared/digest.h"

#define KEEP 8

static char *meta_path(const char *root, const char *diff_id)
{
	char *p = NULL;
	if (asprintf(&p, "%s/distribution/v2metadata-by-diffid/sha256/%s", root,
		     digest_hex(diff_id)) < 0)
		return NULL;
	return p;
}

json_t *dist_meta_get(const char *image_root, const char *diff_id)
{
	_cleanup_free_ char *path = digest_valid(diff_id) ? meta_path(image_root, diff_id) : NULL;
	_cleanup_free_ char *data = NULL;
	size_t len;
	json_t *a = NULL;
	if (path && fs_read_file(path, 1 << 20, &data, &len) == 0)
		a = json_loadb(data, len, 0, NULL);
	if (!json_is_array(a)) {
		json_decref(a);
		a = json_array();
	}
	return a;
}

int dist_meta_add(const char *image_root, const char *diff_id, const char *digest, const char *repo,
		  struct error *err)
{
	if (!digest_valid(diff_id) || !digest_valid(digest))
		return error_set(err, -EINVAL, "invalid digest");
	json_t *old = dist_meta_get(image_root, diff_id);
	/* A pull of what is there already: leave the file (and the disk) alone. */
	json_t *first = json_array_get(old, 0);
	const char *d0 = json_string_value(json_object_get(first, "Digest"));
	const char *r0 = json_string_value(json_object_get(first, "SourceRepository"));
	if (d0 && r0 && strcmp(d0, digest) == 0 && strcmp(r0, repo) == 0) {
		json_decref(old);
		return 0;
	}
	json_t *a = json_array();
	json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "Digest", digest, "SourceRepository",
					   repo, "HMAC", ""));
	size_t i;
	json_t *e;
	json_array_foreach(old, i, e)
	{
		if (json_array_size(a) >= KEEP)
			break;
		const char *d = json_string_value(json_object_get(e, "Digest"));
		const char *r = json_string_value(json_object_get(e, "SourceRepository"));
		if (d && r && !(strcmp(d, digest) == 0 && strcmp(r, repo) == 0))
			json_array_append(a, e);
	}
	json_decref(old);
	_cleanup_free_ char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	_cleanup_free_ char *path = meta_path(image_root, diff_id);
	_cleanup_free_ char *dir = NULL;
	if (!s || !path ||
	    asprintf(&dir, "%s/distribution/v2metadata-by-diffid/sha256", image_root) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	int r = fs_mkdir_p(dir, 0700, err);
	return r < 0 ? r : fs_write_atomic(path, s, strlen(s), 0600, err);
}
