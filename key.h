/* key.h - private keys behind a narrow signer API: generate, load/save as
 * PEM, "sign these bytes", "make a CSR for these names". Nothing outside
 * key.c touches private key material, so key handling can later move into a
 * separate signer process without changing the callers. No file I/O here. */
#ifndef PICOACME_KEY_H
#define PICOACME_KEY_H

#include <stddef.h>

#include <bearssl.h>

enum key_type { KEY_EC256, KEY_EC384, KEY_RSA2048, KEY_RSA3072, KEY_RSA4096 };

/* Largest signature key_sign can produce (RSA 4096). */
#define KEY_MAX_SIG 512
/* Largest PEM key_to_pem produces (RSA 4096 PKCS#8 is about 3.3 KB). */
#define KEY_MAX_PEM 4096

struct key {
	enum key_type type;
	br_ec_private_key ec_sk;
	br_ec_public_key ec_pk;
	br_rsa_private_key rsa_sk;
	br_rsa_public_key rsa_pk;
	unsigned char priv[BR_RSA_KBUF_PRIV_SIZE(4096)];
	unsigned char pub[BR_RSA_KBUF_PUB_SIZE(4096)];
};

/* Parses "ec256", "ec384", "rsa2048", "rsa3072", "rsa4096".
 * Returns 0, or -1 for an unknown name. */
int key_type_parse(const char *name, enum key_type *type);
const char *key_type_name(enum key_type type);

/* Fills buf with n bytes from the process DRBG (seeded from the system
 * entropy source). 0 or -1. */
int key_random(void *buf, size_t n);

/* Wipes the process DRBG: a forked child that must not know the state
 * its parent goes on drawing keys from. The next use reseeds. */
void key_forget_random(void);

/* Generates a fresh key from the system entropy source. 0 or -1. */
int key_generate(struct key *k, enum key_type type);

/* Reads the first private key (PKCS#8, SEC1 or PKCS#1) from PEM text.
 * Returns 0, or -1 (nothing valid found, or an unsupported curve/size). */
int key_from_pem(struct key *k, const char *pem, size_t len);

/* Writes the key as PKCS#8 PEM into out (NUL-terminated). The output is
 * secret: the caller wipes it. Returns the length, or -1 if it does not fit. */
int key_to_pem(const struct key *k, char *out, size_t cap);

/* Wipes all key material. */
void key_free(struct key *k);

/* JWS algorithm name for this key: "ES256", "ES384" or "RS256". */
const char *key_jws_alg(const struct key *k);

/* Signs data in the JWS form of key_jws_alg (r||s for ECDSA, PKCS#1 v1.5 for
 * RSA). Returns the signature length, or -1. */
int key_sign(const struct key *k, const void *data, size_t len,
	     unsigned char *sig, size_t cap);

/* Public key for a JWK. For EC: x and y (coord_len bytes each) and crv name;
 * for RSA: n and e. Unused outputs are set to NULL/0. */
struct key_public {
	const char *crv;
	const unsigned char *x, *y;
	size_t coord_len;
	const unsigned char *n, *e;
	size_t nlen, elen;
};
void key_public(const struct key *k, struct key_public *pub);

/* 1 if the BearSSL-decoded public key pk is this key's public half. */
int key_matches(const struct key *k, const br_x509_pkey *pk);

/* Builds a DER PKCS#10 CSR with a subjectAltName extension listing names
 * (dNSName each, iPAddress for an IPv4 or IPv6 literal) and, when the first
 * name is a DNS name that fits, a CN. Returns the length,
 * or -1 if it does not fit in cap or signing fails. */
int key_csr(const struct key *k, const char *const *names, size_t nnames,
	    unsigned char *out, size_t cap);

/* A self-signed certificate for tls-alpn-01 (RFC 8737) with k's public
 * key: a subjectAltName of ident alone (dNSName, or iPAddress for an
 * address) and the critical acmeIdentifier extension holding digest32, the
 * SHA-256 of the key authorization. DER into out; its length, or -1. */
int key_acme_tls_cert(const struct key *k, const char *ident, const unsigned char digest32[32],
		      unsigned char *out, size_t cap);

/* Gives cc's engine chain and the EC key k for ECDHE_ECDSA suites
 * (BearSSL's single-EC policy); the key stays inside key.c's keeping. */
void key_tls_server(const struct key *k, br_ssl_server_context *cc,
		    const br_x509_certificate *chain);

#endif
