/* jws.h - base64url, JWK and RFC 7638 thumbprints, flattened JWS (RFC 7515)
 * as ACME uses it (RFC 8555 §6.2), and http-01 key authorizations.
 * All output goes to caller buffers; signing goes through key_sign only. */
#ifndef PICOACME_JWS_H
#define PICOACME_JWS_H

#include <stddef.h>

#include "key.h"

/* base64url without padding. Returns the encoded length (output is
 * NUL-terminated), or -1 if it does not fit in cap. */
int b64url_encode(char *out, size_t cap, const void *in, size_t len);

/* Decodes unpadded (or '='-padded) base64url. Returns the decoded length, or
 * -1 on an invalid character/length or when it does not fit in cap. */
int b64url_decode(unsigned char *out, size_t cap, const char *in, size_t len);

/* 1 if s (len bytes) is non-empty and only base64url characters. */
int b64url_valid(const char *s, size_t len);

/* The public JWK of k with members in lexicographic order, which is also the
 * RFC 7638 thumbprint input. Returns the length, or -1. */
int jws_jwk(const struct key *k, char *out, size_t cap);

/* base64url(SHA-256(JWK)), 43 characters plus NUL. Returns 0 or -1. */
int jws_thumbprint(const struct key *k, char out[44]);

/* Flattened JWS JSON over payload (NULL = POST-as-GET, empty payload).
 * kid NULL embeds the JWK (newAccount, revocation by cert key); otherwise the
 * account URL is the kid. Returns the length, or -1 if it does not fit. */
int jws_sign(const struct key *k, const char *kid, const char *nonce,
	     const char *url, const char *payload, char *out, size_t cap);

/* External Account Binding object (RFC 8555 §7.3.4): an HS256 JWS over the
 * account's JWK, keyed by hmac_key, for the newAccount url. Returns the
 * length, or -1. */
int jws_eab(const struct key *account, const char *kid, const unsigned char *hmac_key,
	    size_t key_len, const char *url, char *out, size_t cap);

/* token "." thumbprint. Returns the length, or -1 if it does not fit. */
int jws_key_authorization(const char *token, const char *thumbprint,
			  char *out, size_t cap);

/* The SHA-256 of a key authorization: what dns-01 publishes (base64url)
 * and tls-alpn-01's acmeIdentifier holds. */
void jws_key_authorization_digest(const char *keyauth, unsigned char out[32]);

#endif
