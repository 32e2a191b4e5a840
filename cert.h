/* cert.h - inspecting issued certificates: split a PEM chain into DER
 * certificates, read a certificate's validity and subjectAltNames, and check
 * that its public key is ours. A small DER walker; no allocation. */
#ifndef PICOACME_CERT_H
#define PICOACME_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"

#define CERT_MAX_CHAIN 8

struct chain {
	int n;
	size_t off[CERT_MAX_CHAIN]; /* offsets of each DER certificate in buf */
	size_t len[CERT_MAX_CHAIN];
	unsigned char *buf;         /* caller's buffer, borrowed */
};

/* Decodes every CERTIFICATE block of a PEM text into buf (cap bytes; the PEM
 * length is always enough). Returns the number of certificates (>= 1), or -1
 * on malformed PEM, no certificate, more than CERT_MAX_CHAIN, or overflow. */
int chain_from_pem(const char *pem, size_t len, unsigned char *buf, size_t cap,
		   struct chain *ch);

/* Re-encodes certificates [first, first+count) of ch as PEM into out.
 * Returns the length, or -1 if it does not fit. */
int chain_to_pem(const struct chain *ch, int first, int count, char *out, size_t cap);

struct cert_info {
	int64_t not_before; /* seconds since the Unix epoch */
	int64_t not_after;
};

/* Reads the validity of a DER certificate. Returns 0 or -1 (malformed). */
int cert_validity(const unsigned char *der, size_t len, struct cert_info *ci);

/* 1 if the certificate's subjectAltName has dNSName equal (ASCII
 * case-insensitively) to name, 0 if not, -1 if the DER is malformed. */
int cert_has_dns_name(const unsigned char *der, size_t len, const char *name);

/* 1 if the subjectAltName has iPAddress equal to ip (4 or 16 bytes, network
 * order), 0 if not, -1 if the DER is malformed. */
int cert_has_ip_address(const unsigned char *der, size_t len, const unsigned char *ip, size_t iplen);

/* Identifiers of a certificate. Pointers point into the DER. */
struct cert_ids {
	const unsigned char *serial; /* INTEGER content bytes, as encoded */
	size_t serial_len;
	const unsigned char *aki;    /* authorityKeyIdentifier keyIdentifier, or NULL */
	size_t aki_len;
	char issuer_cn[128];         /* issuer commonName, sanitized; may be empty */
};

/* Reads serial, AKI keyIdentifier and issuer CN. 0 or -1 (malformed). */
int cert_ids(const unsigned char *der, size_t len, struct cert_ids *ids);

/* The RFC 9773 CertID: base64url(AKI keyIdentifier) "." base64url(serial).
 * Returns the length, or -1 (no AKI, or it does not fit). */
int cert_ari_id(const unsigned char *der, size_t len, char *out, size_t cap);

/* 1 if the certificate's public key is k's public key, 0 if not or if the
 * certificate cannot be decoded. */
int cert_key_matches(const unsigned char *der, size_t len, const struct key *k);

/* A DER reader over caller's bytes: definite lengths of up to 3 bytes, low
 * tag numbers only. */
struct der_in {
	const unsigned char *p;
	size_t len;
};

/* Reads one TLV from in (advancing it) into *tag and *val. 0 or -1. */
int der_next(struct der_in *in, unsigned char *tag, struct der_in *val);

/* Enters the element of the given tag; -1 if the next element differs. */
int der_enter(struct der_in *in, unsigned char want, struct der_in *val);

/* Seconds since the epoch for a DER UTCTime (tag 0x17) or GeneralizedTime
 * (0x18) value; -1 if malformed. Exposed for tests. */
int64_t der_time(unsigned char tag, const unsigned char *p, size_t len);

#endif
