/* The registry client's pure parts: manifests and indexes, the platform
 * choice, insecure registries, X-Registry-Auth and registry error bodies. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "image/curl_lib.h"
#include "image/registry_client.h"
#include "image/registry_manifest.h"
#include "image/registry_settings.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static int parse(const char *json, const char *ct, struct registry_manifest *m, struct error *err)
{
	return registry_manifest_parse(json, strlen(json), ct, "x:latest", m, err);
}

static void test_image_manifests(void **state)
{
	struct registry_manifest m;
	struct error err = ERROR_INIT;
	const char *docker =
	    "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\","
	    "\"config\":{\"mediaType\":\"" MT_DOCKER_CONFIG "\",\"size\":7,\"digest\":\"" D1 "\"},"
	    "\"layers\":[{\"mediaType\":\"" MT_DOCKER_LAYER "\",\"size\":9,\"digest\":\"" D2
	    "\"}]}";
	assert_int_equal(parse(docker, NULL, &m, &err), 0);
	assert_int_equal(m.kind, RM_IMAGE);
	assert_string_equal(m.media_type, MT_DOCKER_MANIFEST);
	assert_string_equal(m.config.digest, D1);
	assert_int_equal(m.n_layers, 1);
	assert_int_equal(m.layers[0].size, 9);
	registry_manifest_done(&m);
	/* OCI without mediaType in the body: the Content-Type decides. */
	const char *oci =
	    "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"size\":1,\"digest\":\"" D1
	    "\"},"
	    "\"layers\":[{\"mediaType\":\"application/"
	    "vnd.oci.image.layer.v1.tar+zstd\",\"size\":1,\"digest\":\"" D3 "\"}]}";
	assert_int_equal(parse(oci, MT_OCI_MANIFEST "; charset=utf-8", &m, &err), 0);
	assert_string_equal(m.media_type, MT_OCI_MANIFEST);
	registry_manifest_done(&m);
	/* Foreign layers are refused. */
	const char *foreign =
	    "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\","
	    "\"config\":{\"size\":1,\"digest\":\"" D1 "\"},\"layers\":[{\"mediaType\":"
	    "\"application/"
	    "vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"size\":1,\"digest\":\"" D2 "\"}]}";
	assert_int_equal(parse(foreign, NULL, &m, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unsupported layer media type"));
	error_clear(&err);
	/* Bad digests. */
	assert_int_equal(parse("{\"schemaVersion\":2,\"config\":{\"size\":1,\"digest\":\"sha256:"
			       "zz\"},\"layers\":[]}",
			       MT_OCI_MANIFEST, &m, &err),
			 -EINVAL);
	error_clear(&err);
}

static void test_refused(void **state)
{
	struct registry_manifest m;
	struct error err = ERROR_INIT;
	assert_int_equal(parse("{\"schemaVersion\":1,\"fsLayers\":[]}", NULL, &m, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "schema 1 support has been removed"));
	assert_non_null(strstr(err.msg, "x:latest"));
	error_clear(&err);
	assert_int_equal(parse("{\"schemaVersion\":2,\"mediaType\":\"text/odd\"}", NULL, &m, &err),
			 -EINVAL);
	assert_string_equal(err.msg,
			    "unsupported manifest media type and no default available: text/odd");
	error_clear(&err);
	assert_int_equal(parse("[]", NULL, &m, &err), -EINVAL);
	error_clear(&err);
}

static void test_index_pick(void **state)
{
	const char *idx =
	    "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":["
	    "{\"digest\":\"" D1 "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":"
	    "\"arm\",\"variant\":\"v7\"}},"
	    "{\"digest\":\"" D2 "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":"
	    "\"arm64\",\"variant\":\"v8\"}},"
	    "{\"digest\":\"" D3
	    "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
	char d[DIGEST_BUF];
	struct error err = ERROR_INIT;
	struct registry_manifest m;
	assert_int_equal(parse(idx, NULL, &m, &err), 0);
	assert_int_equal(m.kind, RM_INDEX);
	registry_manifest_done(&m);
	assert_int_equal(registry_index_pick(idx, strlen(idx), "linux", "amd64", "", d, &err), 0);
	assert_string_equal(d, D3);
	assert_int_equal(registry_index_pick(idx, strlen(idx), "linux", "arm64", NULL, d, &err), 0);
	assert_string_equal(d, D2);
	assert_int_equal(registry_index_pick(idx, strlen(idx), "linux", "arm", "v7", d, &err), 0);
	assert_string_equal(d, D1);
	assert_int_equal(registry_index_pick(idx, strlen(idx), "linux", "arm", "v6", d, &err),
			 -ENOENT);
	assert_string_equal(err.msg,
			    "no matching manifest for linux/arm/v6 in the manifest list entries");
	error_clear(&err);
	assert_int_equal(registry_index_pick(idx, strlen(idx), "windows", "amd64", "", d, &err),
			 -ENOENT);
	error_clear(&err);
}

static void test_insecure(void **state)
{
	struct registry_settings cfg = {0};
	char *list[] = {"10.1.0.0/16", "reg.example:5000", NULL};
	assert_true(registry_is_insecure(&cfg, "127.0.0.1:5000"));
	assert_true(registry_is_insecure(&cfg, "127.9.9.9"));
	assert_true(registry_is_insecure(&cfg, "localhost:5000"));
	assert_true(registry_is_insecure(&cfg, "[::1]:5000"));
	assert_false(registry_is_insecure(&cfg, "reg.example:5000"));
	assert_false(registry_is_insecure(&cfg, "10.1.2.3:5000"));
	cfg.insecure_registries = list;
	cfg.n_insecure_registries = 2;
	assert_true(registry_is_insecure(&cfg, "reg.example:5000"));
	assert_false(registry_is_insecure(&cfg, "reg.example:5001"));
	assert_true(registry_is_insecure(&cfg, "10.1.2.3:5000"));
	assert_false(registry_is_insecure(&cfg, "10.2.0.1"));
	bool http;
	assert_string_equal(registry_host_for(&cfg, "docker.io", false, &http),
			    "registry-1.docker.io");
	char *mirrors[] = {"http://127.0.0.1:5555", NULL};
	cfg.registry_mirrors = mirrors;
	cfg.n_registry_mirrors = 1;
	assert_string_equal(registry_host_for(&cfg, "docker.io", false, &http), "127.0.0.1:5555");
	assert_true(http);
	assert_string_equal(registry_host_for(&cfg, "docker.io", true, &http),
			    "registry-1.docker.io");
	assert_string_equal(registry_host_for(&cfg, "quay.io", false, &http), "quay.io");
	cfg.config_file = "/etc/berth/daemon.json";
	char *dir = registry_certs_dir(&cfg, "quay.io");
	assert_string_equal(dir, "/etc/berth/certs.d/quay.io");
	free(dir);
}

static void test_auth_header(void **state)
{
	struct registry_auth a;
	struct error err = ERROR_INIT;
	/* {"username":"u","password":"p?>"} in base64url, without padding */
	assert_int_equal(
	    registry_auth_decode("eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InA_PiJ9", &a, &err), 0);
	assert_string_equal(a.username, "u");
	assert_string_equal(a.password, "p?>");
	registry_auth_done(&a);
	assert_int_equal(registry_auth_decode("e30=", &a, &err), 0); /* {} */
	assert_null(a.username);
	registry_auth_done(&a);
	assert_int_equal(registry_auth_decode("", &a, &err), 0);
	assert_int_equal(registry_auth_decode("bm90IGpzb24=", &a, &err), -EINVAL);
	error_clear(&err);
	assert_int_equal(registry_auth_decode("!!!", &a, &err), -EINVAL);
	error_clear(&err);
}

static void test_error_text(void **state)
{
	struct registry_response rs = {0};
	const char *body =
	    "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest "
	    "unknown\",\"detail\":{}},"
	    "{\"code\":\"NAME_UNKNOWN\",\"message\":\"repository name not known to registry\"}]}";
	rs.body.data = (char *)body;
	rs.body.len = strlen(body);
	char *t = registry_error_text(&rs);
	assert_string_equal(t, "manifest unknown: manifest unknown, name unknown: repository name "
			       "not known to registry");
	free(t);
	rs.body.data = "not json";
	rs.body.len = 8;
	t = registry_error_text(&rs);
	assert_string_equal(t, "");
	free(t);
}

/* A transfer's message reads the same however long it took. */
static void test_curl_message(void **state)
{
	struct fetch_curl cu = {0};
	char a[CURL_ERROR_SIZE] =
	    "Failed to connect to 127.0.0.1 port 1 after 12 ms: Couldn't connect to server";
	assert_string_equal(fetch_curl_message(&cu, a, CURLE_COULDNT_CONNECT),
			    "Failed to connect to 127.0.0.1 port 1: Couldn't connect to server");
	char b[CURL_ERROR_SIZE] = "Connection timed out after 30001 milliseconds";
	assert_string_equal(fetch_curl_message(&cu, b, CURLE_OPERATION_TIMEDOUT),
			    "Connection timed out after 30001 milliseconds");
	char c[CURL_ERROR_SIZE] = "Could not resolve host: x after all";
	assert_string_equal(fetch_curl_message(&cu, c, CURLE_COULDNT_RESOLVE_HOST),
			    "Could not resolve host: x after all");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_image_manifests), cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_index_pick),	    cmocka_unit_test(test_insecure),
	    cmocka_unit_test(test_auth_header),	    cmocka_unit_test(test_error_text),
	    cmocka_unit_test(test_curl_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
