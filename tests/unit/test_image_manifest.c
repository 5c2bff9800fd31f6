/* manifest.json (docker save) and OCI layout parsing from in-memory files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "shared/digest.h"
#include "image/manifest.h"

#define MAX_FILES 16

struct files {
	char *names[MAX_FILES];
	char *data[MAX_FILES];
	size_t n;
};

static void add(struct files *f, const char *name, const char *data)
{
	f->names[f->n] = strdup(name);
	f->data[f->n] = strdup(data);
	f->n++;
}

/* Adds data as blobs/sha256/<hex>; returns its digest in out. */
static void add_blob(struct files *f, const char *data, char out[DIGEST_BUF])
{
	char path[128];
	digest_sha256(data, strlen(data), out);
	snprintf(path, sizeof(path), "blobs/sha256/%s", digest_hex(out));
	add(f, path, data);
}

static void files_free(struct files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->names[i]);
		free(f->data[i]);
	}
}

static int reader(const char *path, char **ret, size_t *ret_len, void *ud)
{
	struct files *f = ud;
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->names[i], path) == 0) {
			*ret = strdup(f->data[i]);
			*ret_len = strlen(f->data[i]);
			return 0;
		}
	return -ENOENT;
}

#define CONFIG1 "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" \
	"1111111111111111111111111111111111111111111111111111111111111111\"]}}"

static void test_docker_archive(void **state)
{
	struct files f = {0};
	add(&f, "abc.json", CONFIG1);
	add(&f, "manifest.json", "[{\"Config\":\"abc.json\",\"RepoTags\":[\"busybox:latest\",\"me/x:1\"],"
				 "\"Layers\":[\"l1/layer.tar\"]}]");
	struct manifest m;
	struct error err = ERROR_INIT;
	assert_int_equal(manifest_parse(reader, &f, "amd64", &m, &err), 0);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.images[0].config, CONFIG1);
	assert_int_equal(m.images[0].n_layers, 1);
	assert_string_equal(m.images[0].layers[0], "l1/layer.tar");
	assert_int_equal(m.images[0].n_tags, 2);
	assert_string_equal(m.images[0].tags[1], "me/x:1");
	manifest_done(&m);
	files_free(&f);
}

static void expect_error(struct files *f, const char *msg)
{
	struct manifest m;
	struct error err = ERROR_INIT;
	assert_int_equal(manifest_parse(reader, f, "amd64", &m, &err), -EINVAL);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("got \"%s\", want \"%s\"", err.msg, msg);
	error_clear(&err);
	files_free(f);
}

static void test_docker_archive_errors(void **state)
{
	struct files f = {0};
	expect_error(&f, "neither manifest.json nor an OCI index.json");
	memset(&f, 0, sizeof(f));
	add(&f, "manifest.json", "[{\"Config\":\"missing.json\",\"Layers\":[]}]");
	expect_error(&f, "config missing.json is missing");
	memset(&f, 0, sizeof(f));
	add(&f, "abc.json", CONFIG1);
	add(&f, "manifest.json", "[{\"Config\":\"abc.json\",\"Layers\":[\"a\",\"b\"]}]");
	expect_error(&f, "lists 2 layers but its config has 1 diff IDs");
	memset(&f, 0, sizeof(f));
	add(&f, "manifest.json", "{not json");
	expect_error(&f, "manifest.json is not JSON");
	memset(&f, 0, sizeof(f));
	add(&f, "manifest.json", "[]");
	expect_error(&f, "no images");
}

static void test_oci_layout(void **state)
{
	struct files f = {0};
	char cfg[DIGEST_BUF], man[DIGEST_BUF], man2[DIGEST_BUF], idx[DIGEST_BUF];
	char buf[1024];
	add_blob(&f, CONFIG1, cfg);
	snprintf(buf, sizeof(buf),
		 "{\"schemaVersion\":2,\"config\":{\"digest\":\"%s\"},\"layers\":[{\"digest\":\"sha256:"
		 "2222222222222222222222222222222222222222222222222222222222222222\"}]}", cfg);
	add_blob(&f, buf, man);
	/* A multi-platform index: only linux/amd64 is taken. */
	snprintf(buf, sizeof(buf),
		 "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:"
		 "3333333333333333333333333333333333333333333333333333333333333333\"},\"layers\":[]}");
	add_blob(&f, buf, man2);
	snprintf(buf, sizeof(buf),
		 "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"%s\",\"platform\":{\"os\":\"linux\","
		 "\"architecture\":\"arm64\"}},{\"digest\":\"%s\",\"platform\":{\"os\":\"linux\","
		 "\"architecture\":\"amd64\"}}]}", man2, man);
	add_blob(&f, buf, idx);
	snprintf(buf, sizeof(buf),
		 "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"%s\",\"annotations\":{"
		 "\"io.containerd.image.name\":\"docker.io/library/busybox:1\","
		 "\"org.opencontainers.image.ref.name\":\"1\"}}]}", idx);
	add(&f, "index.json", buf);
	add(&f, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
	struct manifest m;
	struct error err = ERROR_INIT;
	assert_int_equal(manifest_parse(reader, &f, "amd64", &m, &err), 0);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.images[0].config, CONFIG1);
	assert_int_equal(m.images[0].n_layers, 1);
	assert_string_equal(m.images[0].layers[0], "blobs/sha256/"
			    "2222222222222222222222222222222222222222222222222222222222222222");
	assert_int_equal(m.images[0].n_tags, 1);
	assert_string_equal(m.images[0].tags[0], "docker.io/library/busybox:1");
	manifest_done(&m);
	/* A blob whose content does not match its name is refused. */
	free(f.data[0]);
	f.data[0] = strdup("{\"tampered\":1}");
	expect_error(&f, "has digest");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_archive),
		cmocka_unit_test(test_docker_archive_errors),
		cmocka_unit_test(test_oci_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
