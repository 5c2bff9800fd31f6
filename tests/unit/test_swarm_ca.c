/* The swarm CA and join tokens: root creation, CSR signing, the identity a
 * certificate carries, foreign CAs, token format, parsing and checks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "swarm/ca.h"
#include "swarm/seal.h"
#include "swarm/token.h"

static void test_base36(void **state)
{
	char out[64];
	unsigned char zero[4] = {0}, v36[1] = {36}, ff[2] = {0xff, 0xff};
	base36_encode(zero, sizeof(zero), 3, out);
	assert_string_equal(out, "000");
	base36_encode(v36, 1, 0, out);
	assert_string_equal(out, "10");
	base36_encode(ff, 2, 5, out);
	assert_string_equal(out, "01ekf"); /* 65535 = 1*36^3 + 14*36^2 + 20*36 + 15 */
	char id[26];
	swarm_new_id(id);
	assert_int_equal(strlen(id), 25);
}

static void test_ca_sign_identity(void **state)
{
	struct error err = ERROR_INIT;
	char *ca = NULL, *ca_key = NULL, *key = NULL, *csr = NULL, *cert = NULL;
	assert_int_equal(ca_create(20 * 365 * 86400LL, &ca, &ca_key, &err), 0);
	assert_non_null(strstr(ca, "BEGIN CERTIFICATE"));
	assert_int_equal(ca_key_matches(ca, ca_key, &err), 0);
	assert_int_equal(ca_new_csr(&key, &csr, &err), 0);
	assert_int_equal(ca_sign_csr(ca, ca_key, csr, "node1abc", SWARM_ROLE_MANAGER, "clus1",
				     90 * 86400LL, &cert, &err),
			 0);
	struct cert_identity id;
	assert_int_equal(ca_cert_identity(cert, &id, &err), 0);
	assert_string_equal(id.node_id, "node1abc");
	assert_string_equal(id.role, SWARM_ROLE_MANAGER);
	assert_string_equal(id.cluster_id, "clus1");
	int64_t now = time(NULL);
	assert_true(id.not_after > now + 89 * 86400 && id.not_after <= now + 90 * 86400 + 5);
	assert_true(id.not_before < now);
	assert_int_equal(ca_verify(ca, cert, &err), 0);
	assert_int_equal(ca_key_matches(cert, key, &err), 0);
	assert_int_equal(ca_key_matches(cert, ca_key, &err), -EACCES);
	error_clear(&err);

	/* A CA of another cluster does not vouch for this certificate. */
	char *ca2 = NULL, *ca2_key = NULL;
	assert_int_equal(ca_create(86400, &ca2, &ca2_key, &err), 0);
	assert_int_equal(ca_verify(ca2, cert, &err), -EACCES);
	assert_non_null(strstr(err.msg, "not valid for this swarm"));
	error_clear(&err);
	/* The CA certificate itself is no node identity. */
	assert_int_equal(ca_cert_identity(ca, &id, &err), -EACCES);
	error_clear(&err);
	/* Garbage CSR. */
	char *bad = NULL;
	assert_int_equal(
	    ca_sign_csr(ca, ca_key, "nope", "n", SWARM_ROLE_WORKER, "c", 60, &bad, &err), -EINVAL);
	error_clear(&err);
	/* A key that is not the CA's cannot sign. */
	assert_int_equal(ca_sign_csr(ca, "junk", csr, "n", SWARM_ROLE_WORKER, "c", 60, &bad, &err),
			 -EINVAL);
	error_clear(&err);
	free(ca);
	free(ca_key);
	free(ca2);
	free(ca2_key);
	free(key);
	free(csr);
	free(cert);
}

static void test_expired_cert_refused(void **state)
{
	struct error err = ERROR_INIT;
	char *ca = NULL, *ca_key = NULL, *key = NULL, *csr = NULL, *cert = NULL;
	assert_int_equal(ca_create(86400, &ca, &ca_key, &err), 0);
	assert_int_equal(ca_new_csr(&key, &csr, &err), 0);
	/* Valid from an hour ago until half an hour ago: expired. */
	assert_int_equal(
	    ca_sign_csr(ca, ca_key, csr, "n", SWARM_ROLE_WORKER, "c", -1800, &cert, &err), 0);
	assert_int_equal(ca_verify(ca, cert, &err), -EACCES);
	error_clear(&err);
	free(ca);
	free(ca_key);
	free(key);
	free(csr);
	free(cert);
}

static void test_tokens(void **state)
{
	struct error err = ERROR_INIT;
	char *ca = NULL, *ca_key = NULL, *ca2 = NULL, *ca2_key = NULL;
	assert_int_equal(ca_create(86400, &ca, &ca_key, &err), 0);
	assert_int_equal(ca_create(86400, &ca2, &ca2_key, &err), 0);
	char t1[TOKEN_MAX], t2[TOKEN_MAX];
	token_generate(ca, t1);
	token_generate(ca, t2);
	assert_int_equal(strlen(t1), 9 + 50 + 1 + 25);
	assert_memory_equal(t1, "SWMTKN-1-", 9);
	assert_false(token_secret_equal(t1, t2));
	assert_true(token_secret_equal(t1, t1));
	struct token_parts p;
	assert_int_equal(token_parse(t1, &p, &err), 0);
	assert_true(token_matches_ca(&p, ca));
	assert_false(token_matches_ca(&p, ca2));
	const char *bad[] = {"", "SWMTKN-1-abc-def", "SWMTKN-2-x", "hello",
			     "SWMTKN-1-0000000000000000000000000000000000000000000000000-abc"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(token_parse(bad[i], &p, &err), -EINVAL);
		assert_string_equal(err.msg, "invalid join token");
		error_clear(&err);
	}
	/* Upper case is not base 36 as Go prints it. */
	char up[TOKEN_MAX];
	strcpy(up, t1);
	up[20] = 'Z';
	assert_int_equal(token_parse(up, &p, &err), -EINVAL);
	error_clear(&err);
	free(ca);
	free(ca_key);
	free(ca2);
	free(ca2_key);
}

/* A root rotation: a bundle of old and new roots vouches for certificates
 * of either; the issuer of a certificate is found in the bundle. */
static void test_bundle_and_issuer(void **state)
{
	struct error err = ERROR_INIT;
	char *ca1, *k1, *ca2, *k2, *key, *csr, *c1, *c2;
	assert_int_equal(ca_create(86400, &ca1, &k1, &err), 0);
	assert_int_equal(ca_create(86400, &ca2, &k2, &err), 0);
	assert_int_equal(ca_new_csr(&key, &csr, &err), 0);
	assert_int_equal(ca_sign_csr(ca1, k1, csr, "n", SWARM_ROLE_WORKER, "c", 3600, &c1, &err),
			 0);
	assert_int_equal(ca_sign_csr(ca2, k2, csr, "n", SWARM_ROLE_WORKER, "c", 3600, &c2, &err),
			 0);
	char bundle[8192];
	snprintf(bundle, sizeof(bundle), "%s%s", ca1, ca2);
	assert_int_equal(ca_verify(bundle, c1, &err), 0);
	assert_int_equal(ca_verify(bundle, c2, &err), 0);
	assert_int_equal(ca_verify(ca2, c1, &err), -EACCES);
	error_clear(&err);
	X509_STORE *st = X509_STORE_new();
	assert_int_equal(ca_store_add_bundle(st, bundle), 2);
	assert_int_equal(ca_store_add_bundle(st, "junk"), -EINVAL);
	X509_STORE_free(st);
	char *s1, *p1, *s2, *p2, *sc, *pc;
	assert_int_equal(ca_issuer_info(ca1, &s1, &p1), 0);
	assert_int_equal(ca_issuer_info(ca2, &s2, &p2), 0);
	assert_string_equal(s1, s2); /* both "swarm-ca" */
	assert_string_not_equal(p1, p2);
	assert_int_equal(ca_cert_issuer_info(bundle, c2, &sc, &pc), 0);
	assert_string_equal(pc, p2);
	free(sc);
	free(pc);
	assert_int_equal(ca_cert_issuer_info(ca2, c1, &sc, &pc), -ENOENT);
	char *all[] = {ca1, k1, ca2, k2, key, csr, c1, c2, s1, p1, s2, p2};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		free(all[i]);
}

static void test_seal(void **state)
{
	uint8_t k1[32] = {1}, k2[32] = {2};
	uint8_t *blob;
	size_t blen, len;
	char *out;
	assert_int_equal(seal(k1, "hello swarm", 11, &blob, &blen), 0);
	assert_int_equal(blen, 11 + SEAL_OVERHEAD);
	assert_true(seal_is_sealed(blob, blen));
	assert_null(memmem(blob, blen, "hello", 5));
	assert_int_equal(seal_open(k1, blob, blen, &out, &len), 0);
	assert_int_equal(len, 11);
	assert_string_equal(out, "hello swarm");
	free(out);
	assert_int_equal(seal_open(k2, blob, blen, &out, &len), -EBADMSG);
	blob[25] ^= 1; /* tampered */
	assert_int_equal(seal_open(k1, blob, blen, &out, &len), -EBADMSG);
	assert_int_equal(seal_open(k1, "{}", 2, &out, &len), -EINVAL);
	free(blob);
	char *b = seal_b64(k1, 32);
	uint8_t back[32];
	assert_int_equal(seal_unb64(b, back, 32), 0);
	assert_memory_equal(back, k1, 32);
	assert_int_equal(seal_unb64(b, back, 16), -EINVAL);
	assert_int_equal(seal_unb64("abc", back, 32), -EINVAL);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base36),
	    cmocka_unit_test(test_ca_sign_identity),
	    cmocka_unit_test(test_expired_cert_refused),
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_seal),
	    cmocka_unit_test(test_bundle_and_issuer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
