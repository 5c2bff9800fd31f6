/* The image store on a temp dir: repositories.json round trip, lookups by
 * ID, prefix and name, and dockerd's untag-versus-delete rules. Images here
 * have no layers, so no storage driver is needed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "basic/fs.h"
#include "image/images.h"
#include "shared/events.h"
#include "image/image_store.h"
#include "image/layer_store.h"
#include "image/service.h"

#define CFG(n)                                                                                     \
	"{\"created\":\"2020-01-0" #n                                                              \
	"T00:00:00Z\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"

struct fixture {
	char root[64];
	struct image_service is;
};

static void open_stores(struct fixture *fx)
{
	struct error err = ERROR_INIT;
	assert_int_equal(layer_store_open(NULL, fx->root, NULL, &fx->is.layers, &err), 0);
	assert_int_equal(image_store_open(fx->root, fx->is.layers, &fx->is.store, &err), 0);
}

static void close_stores(struct fixture *fx)
{
	image_store_free(fx->is.store);
	layer_store_free(fx->is.layers);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	snprintf(fx->root, sizeof(fx->root), "/tmp/berth-test-image-XXXXXX");
	assert_non_null(mkdtemp(fx->root));
	fx->is.deps.events = event_log_new(64);
	open_stores(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	close_stores(fx);
	event_log_free(fx->is.deps.events);
	image_rm_rf(fx->root);
	free(fx);
	return 0;
}

static struct image *add(struct fixture *fx, const char *cfg)
{
	struct image *img;
	struct error err = ERROR_INIT;
	assert_int_equal(image_store_add(fx->is.store, cfg, strlen(cfg), &img, &err), 0);
	return img;
}

static void tag(struct fixture *fx, struct image *img, const char *repo, const char *t)
{
	struct error err = ERROR_INIT;
	assert_int_equal(image_tag(&fx->is, img, repo, t, &err), 0);
}

static int lookup(struct fixture *fx, const char *s, struct image **ret)
{
	struct error err = ERROR_INIT;
	int r = image_store_lookup(fx->is.store, s, ret, &err);
	error_clear(&err);
	return r;
}

static void test_roundtrip(void **state)
{
	struct fixture *fx = *state;
	struct image *a = add(fx, CFG(1));
	char id[DIGEST_BUF];
	strcpy(id, a->id);
	digest_sha256(CFG(1), strlen(CFG(1)), id);
	assert_string_equal(a->id, id);
	tag(fx, a, "busybox", NULL);
	tag(fx, a, "me/app", "v1");
	tag(fx, a, "localhost:5000/x", "t");
	char path[128], *data;
	size_t len;
	snprintf(path, sizeof(path), "%s/repositories.json", fx->root);
	assert_int_equal(fs_read_file(path, 1 << 20, &data, &len), 0);
	char expect[1024];
	snprintf(expect, sizeof(expect),
		 "{\"Repositories\":{\"busybox\":{\"busybox:latest\":\"%s\"},"
		 "\"localhost:5000/x\":{\"localhost:5000/x:t\":\"%s\"},"
		 "\"me/app\":{\"me/app:v1\":\"%s\"}}}",
		 id, id, id);
	assert_string_equal(data, expect);
	free(data);
	/* Reopen: everything comes back from disk. */
	close_stores(fx);
	open_stores(fx);
	struct image *img;
	assert_int_equal(lookup(fx, "busybox", &img), 0);
	assert_string_equal(img->id, id);
	assert_int_equal(lookup(fx, "docker.io/me/app:v1", &img), 0);
	assert_int_equal(lookup(fx, "localhost:5000/x:t", &img), 0);
	assert_true(img->created_ns > 0);
	assert_true(img->last_tag_ns > 0);
	size_t n;
	const char **refs = image_store_refs(fx->is.store, id, &n);
	assert_int_equal(n, 3);
	free(refs);
}

static void test_lookup(void **state)
{
	struct fixture *fx = *state;
	struct image *a = add(fx, CFG(1)), *b = add(fx, CFG(2)), *img;
	char prefix[16];
	assert_int_equal(lookup(fx, a->id, &img), 0);
	assert_ptr_equal(img, a);
	assert_int_equal(lookup(fx, digest_hex(b->id), &img), 0);
	assert_ptr_equal(img, b);
	snprintf(prefix, sizeof(prefix), "%.12s", digest_hex(a->id));
	assert_int_equal(lookup(fx, prefix, &img), 0);
	assert_ptr_equal(img, a);
	snprintf(prefix, sizeof(prefix), "sha256:%.4s", digest_hex(b->id));
	assert_int_equal(lookup(fx, prefix, &img), 0);
	assert_ptr_equal(img, b);
	assert_int_equal(lookup(fx, "nosuch", &img), -ENOENT);
	assert_int_equal(lookup(fx, "Bad!", &img), -EINVAL);
	/* name:tag@digest is found by its digest, as dockerd finds it. */
	char by_digest[160], pinned[160];
	snprintf(by_digest, sizeof(by_digest), "localhost:5000/app@%s", b->id);
	snprintf(pinned, sizeof(pinned), "localhost:5000/app:1@%s", b->id);
	struct error terr = ERROR_INIT;
	assert_int_equal(image_store_tag(fx->is.store, b, by_digest, &terr), 0);
	assert_int_equal(lookup(fx, pinned, &img), 0);
	assert_ptr_equal(img, b);
	struct error err = ERROR_INIT;
	assert_int_equal(image_store_lookup(fx->is.store, "nosuch", &img, &err), -ENOENT);
	assert_string_equal(err.msg, "No such image: nosuch:latest");
	error_clear(&err);
}

static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static void test_delete_rules(void **state)
{
	struct fixture *fx = *state;
	struct image *a = add(fx, CFG(1));
	char id[DIGEST_BUF], expect[512];
	strcpy(id, a->id);
	tag(fx, a, "one", NULL);
	tag(fx, a, "two", "x");
	struct error err = ERROR_INIT;
	json_t *rec = json_array();
	/* By ID with tags in two repositories: refused unless forced. */
	assert_int_equal(image_delete(&fx->is, id, false, true, rec, &err), -EBUSY);
	snprintf(expect, sizeof(expect),
		 "conflict: unable to delete %.12s (must be forced) - image is referenced in "
		 "multiple repositories",
		 digest_hex(id));
	assert_string_equal(err.msg, expect);
	error_clear(&err);
	/* By tag: only untags while another tag remains. */
	assert_int_equal(image_delete(&fx->is, "one", false, true, rec, &err), 0);
	char *s = dump(rec);
	assert_string_equal(s, "[{\"Untagged\":\"one:latest\"}]");
	free(s);
	/* The last tag takes the image with it. */
	rec = json_array();
	assert_int_equal(image_delete(&fx->is, "two:x", false, true, rec, &err), 0);
	snprintf(expect, sizeof(expect), "[{\"Untagged\":\"two:x\"},{\"Deleted\":\"%s\"}]", id);
	s = dump(rec);
	assert_string_equal(s, expect);
	free(s);
	assert_int_equal(image_store_count(fx->is.store), 0);
	/* By ID with a single tag: untag and delete. */
	a = add(fx, CFG(1));
	tag(fx, a, "three", NULL);
	rec = json_array();
	assert_int_equal(image_delete(&fx->is, id + 7, false, true, rec, &err), 0);
	snprintf(expect, sizeof(expect), "[{\"Untagged\":\"three:latest\"},{\"Deleted\":\"%s\"}]",
		 id);
	s = dump(rec);
	assert_string_equal(s, expect);
	free(s);
}

static bool always_running(const char *image_id, char *running_id, char *stopped_id, void *ud)
{
	strcpy(running_id, "c0ffee0000000000000000000000000000000000000000000000000000000000");
	return true;
}

static void test_in_use_and_prune(void **state)
{
	struct fixture *fx = *state;
	struct image *a = add(fx, CFG(1));
	add(fx, CFG(2)); /* dangling */
	tag(fx, a, "kept", NULL);
	struct error err = ERROR_INIT;
	json_t *report;
	assert_int_equal(image_prune(&fx->is, NULL, &report, &err), 0);
	json_t *deleted = json_object_get(report, "ImagesDeleted");
	assert_int_equal(json_array_size(deleted), 1);
	json_decref(report);
	assert_int_equal(image_store_count(fx->is.store), 1);
	image_store_set_usage(fx->is.store, always_running, NULL);
	json_t *rec = json_array();
	assert_int_equal(image_delete(&fx->is, a->id, true, true, rec, &err), -EBUSY);
	assert_non_null(strstr(err.msg, "image is being used by running container c0ffee000000"));
	error_clear(&err);
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_in_use_and_prune, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
