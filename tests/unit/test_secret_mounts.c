/* Secret and config files of a container on their own tmpfs: contents,
 * owner and mode, read-only, recorded as hidden read-only binds, replaced,
 * and gone after clear. Mounts for real: needs root (skipped otherwise). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "basic/fs.h"
#include "engine/container.h"
#include "engine/containers_priv.h"
#include "engine/secret_mounts.h"
#include "image/images.h"
#include "storage/driver.h"

struct fixture {
	char root[64];
	struct containers cs;
	struct image_service images;
	struct container c;
	char dir[256];
};

static int setup(void **state)
{
	if (geteuid() != 0)
		return 0;
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/berth-secret-mounts.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	f->cs.root = f->root;
	f->cs.deps.images = &f->images;
	/* container_save records the storage driver the container was made on. */
	assert_int_equal(storage_driver_open("vfs", f->root, &f->images.storage, NULL), 0);
	memset(f->c.id, 'a', DIGEST_HEX_LEN);
	f->c.name = "/task";
	f->c.config = json_object();
	f->c.host_config = json_object();
	f->c.mounts = json_array();
	snprintf(f->dir, sizeof(f->dir), "%s/%s", f->root, f->c.id);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (!f)
		return 0;
	container_secrets_clear(&f->cs, &f->c, NULL);
	storage_driver_close(f->images.storage);
	json_decref(f->c.config);
	json_decref(f->c.host_config);
	json_decref(f->c.mounts);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->root);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static bool mounted(const char *path, const char *want_opts)
{
	FILE *m = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	bool hit = false;
	while (m && fgets(line, sizeof(line), m))
		if (strstr(line, path) && strstr(line, " - tmpfs ") &&
		    (!want_opts || strstr(line, want_opts)))
			hit = true;
	if (m)
		fclose(m);
	return hit;
}

static char *slurp(const char *path)
{
	char *text = NULL;
	assert_int_equal(fs_read_file(path, 1 << 20, &text, NULL), 0);
	return text;
}

static void test_secret_mounts(void **state)
{
	struct fixture *f = *state;
	if (!f)
		skip();
	struct secret_file files[] = {
	    {"sid1", "/run/secrets/pw", "s3cr3t", 6, 1000, 1001, 0400},
	    {"cid2", "/etc/app.conf", "port: 80\n", 9, 0, 0, 0444},
	};
	struct error err = ERROR_INIT;
	assert_int_equal(container_secrets_set(&f->cs, &f->c, files, 2, &err), 0);
	char secrets[300], path[400];
	snprintf(secrets, sizeof(secrets), "%s/secrets", f->dir);
	assert_true(mounted(secrets, " ro,"));

	/* The files, their owner and mode; nothing more can be written. */
	json_t *m0 = json_array_get(f->c.mounts, 0);
	assert_int_equal(json_array_size(f->c.mounts), 2);
	assert_string_equal(json_string_value(json_object_get(m0, "Destination")),
			    "/run/secrets/pw");
	assert_true(json_is_false(json_object_get(m0, "RW")));
	assert_true(json_is_true(json_object_get(m0, "Secret")));
	const char *src = json_string_value(json_object_get(m0, "Source"));
	char *text = slurp(src);
	assert_string_equal(text, "s3cr3t");
	free(text);
	struct stat st;
	assert_int_equal(stat(src, &st), 0);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1001);
	assert_int_equal(st.st_mode & 07777, 0400);
	snprintf(path, sizeof(path), "%s/extra", secrets);
	assert_true(open(path, O_WRONLY | O_CREAT, 0600) < 0 && errno == EROFS);
	/* Recorded with the container (MountPoints). */
	snprintf(path, sizeof(path), "%s/config.v2.json", f->dir);
	text = slurp(path);
	assert_non_null(strstr(text, "\"Secret\":true"));
	assert_null(strstr(text, "s3cr3t"));
	free(text);

	/* Bad targets change nothing. */
	struct secret_file bad[] = {{"x", "run/secrets/x", "x", 1, 0, 0, 0444}};
	assert_int_equal(container_secrets_set(&f->cs, &f->c, bad, 1, &err), -EINVAL);
	error_clear(&err);
	struct secret_file twice[] = {{"x", "/a", "x", 1, 0, 0, 0444},
				      {"y", "/a", "y", 1, 0, 0, 0444}};
	assert_int_equal(container_secrets_set(&f->cs, &f->c, twice, 2, &err), -EINVAL);
	error_clear(&err);
	assert_int_equal(json_array_size(f->c.mounts), 2);
	f->c.state = CONTAINER_RUNNING;
	assert_int_equal(container_secrets_set(&f->cs, &f->c, files, 1, &err), -EBUSY);
	error_clear(&err);
	f->c.state = CONTAINER_EXITED;

	/* Replaced by a new set (a rotated secret). */
	struct secret_file rotated[] = {{"sid1", "/run/secrets/pw", "n3w", 3, 0, 0, 0444}};
	assert_int_equal(container_secrets_set(&f->cs, &f->c, rotated, 1, &err), 0);
	assert_int_equal(json_array_size(f->c.mounts), 1);
	text = slurp(json_string_value(json_object_get(json_array_get(f->c.mounts, 0), "Source")));
	assert_string_equal(text, "n3w");
	free(text);

	/* Cleared: unmounted, gone, and clearing again is fine. */
	assert_int_equal(container_secrets_clear(&f->cs, &f->c, &err), 0);
	assert_false(mounted(secrets, NULL));
	assert_int_equal(access(secrets, F_OK), -1);
	assert_int_equal(json_array_size(f->c.mounts), 0);
	assert_int_equal(container_secrets_clear(&f->cs, &f->c, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_secret_mounts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
