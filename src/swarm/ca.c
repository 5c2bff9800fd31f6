/* The swarm CA (see ca.h): ECDSA P-256 keys, CSRs and node certificates. */
#include "swarm/ca.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <time.h>

#include "swarm/seal.h"
#include "swarm/token.h"

/* Certificates start an hour early, as swarmkit's, to survive clock skew. */
#define SKEW_S 3600

void swarm_new_id(char out[26])
{
	unsigned char rnd[16];
	RAND_bytes(rnd, sizeof(rnd));
	base36_encode(rnd, sizeof(rnd), 25, out);
}

X509 *ca_x509_from_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return x;
}

EVP_PKEY *ca_key_from_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return k;
}

static char *bio_take_string(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *s = n >= 0 ? strndup(data, (size_t)n) : NULL;
	BIO_free(b);
	return s;
}

static char *x509_to_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (!b || !PEM_write_bio_X509(b, x)) {
		BIO_free(b);
		return NULL;
	}
	return bio_take_string(b);
}

static char *key_to_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (!b || !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(b);
		return NULL;
	}
	return bio_take_string(b);
}

static EVP_PKEY *new_p256(void)
{
	return EVP_EC_gen("P-256");
}

static int set_serial(X509 *x)
{
	unsigned char rnd[16];
	RAND_bytes(rnd, sizeof(rnd));
	rnd[0] &= 0x7f;
	BIGNUM *bn = BN_bin2bn(rnd, sizeof(rnd), NULL);
	int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok ? 0 : -ENOMEM;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -EINVAL;
	int ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -ENOMEM;
}

static int set_validity(X509 *x, int64_t expiry_s)
{
	time_t now = time(NULL);
	if (!X509_time_adj_ex(X509_getm_notBefore(x), 0, -SKEW_S, &now) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)(expiry_s / 86400),
			      (long)(expiry_s % 86400), &now))
		return -EINVAL;
	return 0;
}

int ca_create(int64_t expiry_s, char **ret_cert_pem, char **ret_key_pem, struct error *err)
{
	EVP_PKEY *key = new_p256();
	X509 *x = X509_new();
	char *cert_pem = NULL, *key_pem = NULL;
	int r = -ENOMEM;
	if (!key || !x)
		goto out;
	X509_set_version(x, 2);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"swarm-ca", -1,
				   -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	if (set_serial(x) < 0 || set_validity(x, expiry_s) < 0 ||
	    add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
	    add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature") < 0 ||
	    add_ext(x, x, NID_subject_key_identifier, "hash") < 0 ||
	    !X509_sign(x, key, EVP_sha256()))
		goto out;
	cert_pem = x509_to_pem(x);
	key_pem = key_to_pem(key);
	if (!cert_pem || !key_pem)
		goto out;
	*ret_cert_pem = cert_pem;
	*ret_key_pem = key_pem;
	cert_pem = key_pem = NULL;
	r = 0;
out:
	free(cert_pem);
	free(key_pem);
	X509_free(x);
	EVP_PKEY_free(key);
	if (r < 0)
		error_set(err, r, "could not create the root CA");
	return r;
}

int ca_new_csr(char **ret_key_pem, char **ret_csr_pem, struct error *err)
{
	EVP_PKEY *key = new_p256();
	X509_REQ *req = X509_REQ_new();
	BIO *b = BIO_new(BIO_s_mem());
	int r = -ENOMEM;
	if (!key || !req || !b || !X509_REQ_set_pubkey(req, key) ||
	    !X509_REQ_sign(req, key, EVP_sha256()) || !PEM_write_bio_X509_REQ(b, req))
		goto out;
	char *csr = bio_take_string(b);
	b = NULL;
	char *kp = key_to_pem(key);
	if (!csr || !kp) {
		free(csr);
		free(kp);
		goto out;
	}
	*ret_key_pem = kp;
	*ret_csr_pem = csr;
	r = 0;
out:
	BIO_free(b);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	if (r < 0)
		error_set(err, r, "could not create a certificate request");
	return r;
}

static int sign_req(X509 *ca, EVP_PKEY *ca_key, X509_REQ *req, const char *node_id,
		    const char *role, const char *cluster_id, int64_t expiry_s, char **ret)
{
	EVP_PKEY *pub = X509_REQ_get0_pubkey(req);
	if (!pub || X509_REQ_verify(req, pub) != 1)
		return -EINVAL;
	X509 *x = X509_new();
	if (!x)
		return -ENOMEM;
	int r = -ENOMEM;
	X509_set_version(x, 2);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)cluster_id, -1,
				   -1, 0);
	X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC, (const unsigned char *)role, -1, -1,
				   0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)node_id, -1, -1,
				   0);
	X509_set_issuer_name(x, X509_get_subject_name(ca));
	X509_set_pubkey(x, pub);
	char san[128];
	snprintf(san, sizeof(san), "DNS:%s,DNS:%s,DNS:swarm-ca", role, node_id);
	if (set_serial(x) < 0 || set_validity(x, expiry_s) < 0 ||
	    add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(x, ca, NID_key_usage, "critical,digitalSignature,keyEncipherment") < 0 ||
	    add_ext(x, ca, NID_ext_key_usage, "serverAuth,clientAuth") < 0 ||
	    add_ext(x, ca, NID_subject_alt_name, san) < 0 ||
	    add_ext(x, ca, NID_authority_key_identifier, "keyid:always") < 0 ||
	    !X509_sign(x, ca_key, EVP_sha256()))
		goto out;
	*ret = x509_to_pem(x);
	r = *ret ? 0 : -ENOMEM;
out:
	X509_free(x);
	return r;
}

int ca_sign_csr(const char *ca_cert_pem, const char *ca_key_pem, const char *csr_pem,
		const char *node_id, const char *role, const char *cluster_id, int64_t expiry_s,
		char **ret_cert_pem, struct error *err)
{
	X509 *ca = ca_x509_from_pem(ca_cert_pem);
	EVP_PKEY *key = ca_key_from_pem(ca_key_pem);
	BIO *b = BIO_new_mem_buf(csr_pem, -1);
	X509_REQ *req = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
	int r;
	if (!ca || !key)
		r = error_set(err, -EINVAL, "the root CA cannot sign: no valid key");
	else if (!req)
		r = error_set(err, -EINVAL, "invalid certificate signing request");
	else if ((r = sign_req(ca, key, req, node_id, role, cluster_id, expiry_s, ret_cert_pem)) <
		 0)
		error_set(err, r, "could not sign the certificate request");
	X509_REQ_free(req);
	BIO_free(b);
	EVP_PKEY_free(key);
	X509_free(ca);
	return r;
}

static void name_entry(X509_NAME *name, int nid, char *out, size_t n)
{
	out[0] = '\0';
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	if (i < 0)
		return;
	ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	size_t len = (size_t)ASN1_STRING_length(s);
	if (len >= n)
		len = n - 1;
	memcpy(out, ASN1_STRING_get0_data(s), len);
	out[len] = '\0';
}

static int64_t asn1_unix(const ASN1_TIME *t)
{
	struct tm tm;
	if (!ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

int ca_x509_identity(X509 *x, struct cert_identity *ret, struct error *err)
{
	struct cert_identity id;
	X509_NAME *name = X509_get_subject_name(x);
	name_entry(name, NID_commonName, id.node_id, sizeof(id.node_id));
	name_entry(name, NID_organizationalUnitName, id.role, sizeof(id.role));
	name_entry(name, NID_organizationName, id.cluster_id, sizeof(id.cluster_id));
	if (!id.node_id[0] || !id.cluster_id[0] ||
	    (strcmp(id.role, SWARM_ROLE_MANAGER) != 0 && strcmp(id.role, SWARM_ROLE_WORKER) != 0))
		return error_set(err, -EACCES, "certificate carries no swarm node identity");
	id.not_before = asn1_unix(X509_get0_notBefore(x));
	id.not_after = asn1_unix(X509_get0_notAfter(x));
	*ret = id;
	return 0;
}

int ca_cert_identity(const char *cert_pem, struct cert_identity *ret, struct error *err)
{
	X509 *x = ca_x509_from_pem(cert_pem);
	if (!x)
		return error_set(err, -EINVAL, "invalid certificate");
	int r = ca_x509_identity(x, ret, err);
	X509_free(x);
	return r;
}

int ca_verify_x509(const char *ca_cert_pem, X509 *cert, struct error *err)
{
	X509 *ca = ca_x509_from_pem(ca_cert_pem);
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int r = -ENOMEM;
	if (!ca) {
		r = error_set(err, -EINVAL, "invalid root CA certificate");
	} else if (store && ctx && ca_store_add_bundle(store, ca_cert_pem) > 0 &&
		   X509_STORE_CTX_init(ctx, store, cert, NULL)) {
		if (X509_verify_cert(ctx) == 1)
			r = 0;
		else
			r = error_set(err, -EACCES, "certificate not valid for this swarm: %s",
				      X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	} else {
		error_set(err, r, "could not verify the certificate");
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(ca);
	return r;
}

int ca_verify(const char *ca_cert_pem, const char *cert_pem, struct error *err)
{
	X509 *x = ca_x509_from_pem(cert_pem);
	if (!x)
		return error_set(err, -EINVAL, "invalid certificate");
	int r = ca_verify_x509(ca_cert_pem, x, err);
	X509_free(x);
	return r;
}

int ca_key_matches(const char *cert_pem, const char *key_pem, struct error *err)
{
	X509 *x = ca_x509_from_pem(cert_pem);
	EVP_PKEY *k = ca_key_from_pem(key_pem);
	int r = 0;
	if (!x || !k)
		r = error_set(err, -EINVAL, "invalid certificate or key");
	else if (X509_check_private_key(x, k) != 1)
		r = error_set(err, -EACCES, "the key does not belong to the certificate");
	EVP_PKEY_free(k);
	X509_free(x);
	return r;
}

int ca_store_add_bundle(X509_STORE *store, const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	int n = 0;
	X509 *x;
	while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if (X509_STORE_add_cert(store, x) == 1)
			n++;
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(b);
	return n > 0 ? n : -EINVAL;
}

static int der_b64(X509 *ca, char **ret_subject, char **ret_pubkey)
{
	unsigned char *subj = NULL, *pk = NULL;
	int sl = i2d_X509_NAME(X509_get_subject_name(ca), &subj);
	int pl = i2d_PUBKEY(X509_get0_pubkey(ca), &pk);
	int r = -EINVAL;
	if (sl > 0 && pl > 0) {
		*ret_subject = seal_b64(subj, (size_t)sl);
		*ret_pubkey = seal_b64(pk, (size_t)pl);
		r = 0;
	}
	OPENSSL_free(subj);
	OPENSSL_free(pk);
	return r;
}

int ca_issuer_info(const char *ca_pem, char **ret_subject, char **ret_pubkey)
{
	X509 *ca = ca_x509_from_pem(ca_pem);
	int r = ca ? der_b64(ca, ret_subject, ret_pubkey) : -EINVAL;
	X509_free(ca);
	return r;
}

int ca_cert_issuer_info(const char *bundle, const char *cert_pem, char **ret_subject,
			char **ret_pubkey)
{
	X509 *cert = ca_x509_from_pem(cert_pem);
	BIO *b = BIO_new_mem_buf(bundle, -1);
	int r = -ENOENT;
	X509 *ca;
	while (cert && b && r == -ENOENT && (ca = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if (X509_verify(cert, X509_get0_pubkey(ca)) == 1)
			r = der_b64(ca, ret_subject, ret_pubkey);
		X509_free(ca);
	}
	ERR_clear_error();
	BIO_free(b);
	X509_free(cert);
	return r;
}
