/* The swarm's certificate authority: an ECDSA P-256 root, node key pairs
 * and CSRs, and node certificates whose subject carries the node's identity
 * as swarmkit does it (CN node ID, OU role, O cluster ID). Pure OpenSSL, no
 * I/O: callers store the PEM text where they like. */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>

#include "basic/error.h"

#define SWARM_ROLE_MANAGER "swarm-manager"
#define SWARM_ROLE_WORKER "swarm-worker"

/* A random identifier as swarmkit's identity.NewID: 128 bits in base 36,
 * zero-padded to 25 characters. out must hold 26 bytes. */
void swarm_new_id(char out[26]);

/* Creates a root CA (self-signed, CN "swarm-ca", valid for expiry_s seconds
 * from now minus an hour of clock skew). Returns the PEM certificate and
 * the PEM (PKCS#8) private key, both owned by the caller. */
int ca_create(int64_t expiry_s, char **ret_cert_pem, char **ret_key_pem, struct error *err);

/* Generates a P-256 key and a CSR for it (the subject is left for the CA to
 * decide, as swarmkit does). */
int ca_new_csr(char **ret_key_pem, char **ret_csr_pem, struct error *err);

/* Signs csr_pem with the CA, for node_id with role (SWARM_ROLE_*) in
 * cluster_id, valid for expiry_s seconds. -EINVAL for a bad CSR or a CSR
 * whose signature does not verify. */
int ca_sign_csr(const char *ca_cert_pem, const char *ca_key_pem, const char *csr_pem,
		const char *node_id, const char *role, const char *cluster_id, int64_t expiry_s,
		char **ret_cert_pem, struct error *err);

/* What a node certificate says about its holder. */
struct cert_identity {
	char node_id[65];
	char role[32];
	char cluster_id[65];
	int64_t not_before, not_after; /* unix seconds */
};

/* Reads the identity from a PEM certificate. */
int ca_cert_identity(const char *cert_pem, struct cert_identity *ret, struct error *err);
/* The same for a parsed certificate. */
int ca_x509_identity(X509 *cert, struct cert_identity *ret, struct error *err);

/* Checks that cert_pem was signed by ca_cert_pem and is valid now.
 * -EACCES when not. */
int ca_verify(const char *ca_cert_pem, const char *cert_pem, struct error *err);
/* The same for a parsed certificate. */
int ca_verify_x509(const char *ca_cert_pem, X509 *cert, struct error *err);

/* Whether key_pem is the private key of cert_pem. */
int ca_key_matches(const char *cert_pem, const char *key_pem, struct error *err);

/* Adds every certificate of a PEM bundle (the trust roots during a root
 * rotation: old and new) to store. Returns how many, or -EINVAL for none. */
int ca_store_add_bundle(X509_STORE *store, const char *pem);

/* Who issues certificates, as the Engine API's TLSInfo says it: the DER
 * subject and the DER public key of the CA, in base 64 (owned). */
int ca_issuer_info(const char *ca_pem, char **ret_subject, char **ret_pubkey);
/* The same for the CA in bundle that signed cert_pem. -ENOENT when none. */
int ca_cert_issuer_info(const char *bundle, const char *cert_pem, char **ret_subject,
			char **ret_pubkey);

/* Parsers; NULL on bad input. */
X509 *ca_x509_from_pem(const char *pem);
EVP_PKEY *ca_key_from_pem(const char *pem);
