/* trust.h - trust anchors from a PEM CA file, kept as an index of subject
 * names and file offsets, and the X.509 engine that loads an anchor only
 * when a server's chain names it. A full CA bundle (~150 roots, ~75 KiB of
 * names and keys) then costs ~16 bytes a root in memory. */
#ifndef PICOACME_TRUST_H
#define PICOACME_TRUST_H

#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of SHA-256 kept to recognise a name; a collision only costs loading
 * one more anchor (BearSSL compares the full name hash). */
#define TRUST_NAME_HASH 8

struct trust_entry {
	unsigned char subject[TRUST_NAME_HASH];
	uint32_t offset; /* in the CA file, just past the PEM BEGIN line */
};

struct trust_anchors {
	const char *path;          /* the CA file; must outlive the struct */
	struct trust_entry *index; /* malloc'd: one entry per certificate */
	size_t n_index, cap_index;
	br_x509_trust_anchor *ta; /* malloc'd: the anchors loaded so far */
	size_t n;
};

/* Indexes every CERTIFICATE of the PEM file at path (which must outlive t),
 * reading it in small pieces; no anchor is loaded yet. Returns 0, or -1
 * with an error naming the file. Free with trust_anchors_free. */
int trust_anchors_load(struct trust_anchors *t, const char *path);
void trust_anchors_free(struct trust_anchors *t);

/* Loads the anchors whose subject name hashes to hash (first
 * TRUST_NAME_HASH bytes of SHA-256 of the DER Name), once each. Returns
 * how many were added, or -1 with an error naming the file. */
int trust_anchors_want(struct trust_anchors *t, const unsigned char *hash);

/* Streaming walk over one DER certificate that reports the hashes of its
 * issuer and subject names as soon as each has gone by. Bytes past the
 * subject, and anything malformed, are ignored. */
struct cert_names {
	void (*found)(void *ctx, int is_subject, const unsigned char *hash);
	void *ctx;
	br_sha256_context hash;
	uint32_t remain; /* content bytes left in the current element */
	uint32_t len;
	unsigned char elem, phase, len_bytes, hashing;
	unsigned char subject_only; /* set by the caller: no issuer hash */
};

void cert_names_init(struct cert_names *w,
		     void (*found)(void *ctx, int is_subject, const unsigned char *hash),
		     void *ctx);
void cert_names_push(struct cert_names *w, const void *data, size_t len);

/* Largest server certificate whose iPAddress names can be checked (the
 * leaf is kept only when the server is addressed by an IP literal). */
#define TRUST_LEAF_MAX 8192

/* An X.509 engine: br_x509_minimal over tas, which first loads from the CA
 * file the anchors named as issuer or subject by each certificate of the
 * chain. Configure x->minimal (hashes, RSA, ECDSA) after trust_x509_init;
 * give the engine &x->vtable. tas must outlive x. */
struct trust_x509 {
	const br_x509_class *vtable;
	br_x509_minimal_context minimal;
	struct trust_anchors *tas;
	struct cert_names names;
	unsigned char ip[16]; /* the expected iPAddress name, when ip_len != 0 */
	size_t ip_len;
	size_t leaf_len;      /* bytes of the server's certificate seen so far */
	unsigned char *leaf;  /* TRUST_LEAF_MAX bytes, set by trust_x509_expect_ip */
};

void trust_x509_init(struct trust_x509 *x, struct trust_anchors *tas);

/* Makes the chain valid only if the server's certificate names ip (4 or 16
 * bytes, network order) as an iPAddress subjectAltName: BearSSL matches DNS
 * names only. The chain must then be started with no server name. The
 * certificate is kept in one static buffer: one chain at a time. */
void trust_x509_expect_ip(struct trust_x509 *x, const unsigned char *ip, size_t len);

#endif
