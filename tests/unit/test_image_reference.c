/* Image references: parsing and normalization as Docker does, and digests
 * and chain IDs. */
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
#include "image/reference.h"

static void check_norm(const char *in, const char *full, const char *familiar)
{
	struct reference r = REFERENCE_INIT;
	struct error err = ERROR_INIT;
	assert_int_equal(reference_parse(in, &r, &err), 0);
	assert_int_equal(reference_default_tag(&r), 0);
	char *s = reference_string(&r), *f = reference_familiar_string(&r);
	assert_string_equal(s, full);
	assert_string_equal(f, familiar);
	char *f2 = reference_familiarize(s);
	assert_string_equal(f2, familiar);
	free(s);
	free(f);
	free(f2);
	reference_done(&r);
}

static void check_bad(const char *in, const char *msg)
{
	struct reference r = REFERENCE_INIT;
	struct error err = ERROR_INIT;
	assert_int_equal(reference_parse(in, &r, &err), -EINVAL);
	assert_string_equal(err.msg, msg);
	error_clear(&err);
}

static void test_normalize(void **state)
{
	check_norm("busybox", "docker.io/library/busybox:latest", "busybox:latest");
	check_norm("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36");
	check_norm("library/busybox", "docker.io/library/busybox:latest", "busybox:latest");
	check_norm("docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest");
	check_norm("index.docker.io/me/app:v1", "docker.io/me/app:v1", "me/app:v1");
	check_norm("me/app", "docker.io/me/app:latest", "me/app:latest");
	check_norm("localhost/app", "localhost/app:latest", "localhost/app:latest");
	check_norm("localhost:5000/a/b:t", "localhost:5000/a/b:t", "localhost:5000/a/b:t");
	check_norm("quay.io/x/y-z_w.v:1.0-rc", "quay.io/x/y-z_w.v:1.0-rc", "quay.io/x/y-z_w.v:1.0-rc");
	check_norm("docker.io/library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest");
	check_norm("a__b", "docker.io/library/a__b:latest", "a__b:latest");
	check_norm("busybox@sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		   "docker.io/library/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		   "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	/* An upper-case first component is a registry host. */
	check_norm("Registry/app", "Registry/app:latest", "Registry/app:latest");
}

static void test_invalid(void **state)
{
	check_bad("", "invalid reference format: repository name must have at least one component");
	check_bad("BusyBox", "invalid reference format: repository name must be lowercase");
	check_bad("busybox:", "invalid reference format");
	check_bad("busybox:-x", "invalid reference format");
	check_bad("a//b", "invalid reference format");
	check_bad("a_-b", "invalid reference format");
	check_bad("-a", "invalid reference format");
	check_bad("a.", "invalid reference format");
	check_bad("busybox@sha256:abc", "invalid reference format");
	check_bad("localhost:port/x", "invalid reference format");
	check_bad("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		  "invalid repository name (0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef), cannot specify 64-byte hexadecimal strings");
	char long_name[300];
	memset(long_name, 'a', 260);
	long_name[260] = '\0';
	check_bad(long_name, "invalid reference format: repository name must not be more than 255 characters");
}

static void test_tags(void **state)
{
	assert_true(reference_tag_valid("latest"));
	assert_true(reference_tag_valid("_x.Y-1"));
	assert_false(reference_tag_valid(".x"));
	assert_false(reference_tag_valid(""));
	assert_false(reference_tag_valid("a/b"));
	char t[200];
	memset(t, 'a', 129);
	t[129] = '\0';
	assert_false(reference_tag_valid(t));
	t[128] = '\0';
	assert_true(reference_tag_valid(t));
}

static void test_chain_ids(void **state)
{
	/* From the OCI image spec's example of ChainID. */
	const char *diffs[] = {
		"sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4",
		"sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4",
	};
	char chain[2][DIGEST_BUF];
	digest_chain_ids(diffs, 2, chain);
	assert_string_equal(chain[0], diffs[0]);
	char joined[200], expect[DIGEST_BUF];
	snprintf(joined, sizeof(joined), "%s %s", diffs[0], diffs[1]);
	digest_sha256(joined, strlen(joined), expect);
	assert_string_equal(chain[1], expect);
	/* Known value: sha256 of "" */
	char e[DIGEST_BUF];
	digest_sha256("", 0, e);
	assert_string_equal(e, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_true(digest_valid(e));
	assert_false(digest_valid("sha256:E3B0"));
	char next[DIGEST_BUF];
	digest_chain_next("", diffs[0], next);
	assert_string_equal(next, diffs[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_chain_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
