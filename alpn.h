/* alpn.h - the tls-alpn-01 responder (RFC 8737): a BearSSL TLS server
 * that completes a handshake only for ALPN "acme-tls/1" and, for the SNI
 * name of each identifier (the reverse-DNS name of an address, RFC 8738),
 * presents a self-signed certificate carrying its acmeIdentifier. Every
 * certificate of an order shares one fresh P-256 key; each is made when a
 * validator asks for it, so an order of 100 names keeps 100 digests, not
 * 100 certificates. */
#ifndef PICOACME_ALPN_H
#define PICOACME_ALPN_H

#include <stddef.h>

#include "key.h"

#define ALPN_PROTOCOL "acme-tls/1"
#define ALPN_MAX_CERTS 128
#define ALPN_CERT_MAX 640
#define ALPN_SNI_MAX 254
#define ALPN_TEXT_MAX (ALPN_MAX_CERTS * 2 * ALPN_SNI_MAX)
#define ALPN_MAX_CLIENTS 16
/* A record as big as a ClientHello with post-quantum key shares fits; a
 * larger one ends that connection. */
#define ALPN_IOBUF 8192

struct alpn_entry {
	unsigned ident, sni;   /* offsets into text */
	unsigned char digest[32]; /* SHA-256 of the key authorization */
};

struct alpn_certs {
	int have_key;
	int n;
	size_t text_len;
	struct alpn_entry *e; /* ALPN_MAX_CERTS entries, malloc'd on first use */
	char *text;           /* identifiers and SNI names, packed; malloc'd likewise */
	struct key key;       /* last: an order without tls-alpn-01 never touches it */
};

/* Empties a. */
void alpn_init(struct alpn_certs *a);

/* Registers ident (a DNS name or an IP address) proving keyauth. 0, or -1
 * with an error. */
int alpn_add(struct alpn_certs *a, const char *ident, const char *keyauth);

/* The certificate for the identifier whose SNI name is sni, as DER into
 * out. Its length, or -1 (no such identifier, or it cannot be made). */
int alpn_cert_for(const struct alpn_certs *a, const char *sni, unsigned char *out, size_t cap);

/* The name a validator sends as SNI for ident: ident itself, or for an
 * address its in-addr.arpa / ip6.arpa name. 0, or -1 if it does not fit. */
int alpn_sni_name(const char *ident, char *out, size_t cap);

/* Serves TLS on the listening sockets fds until ctl reaches EOF (the
 * responder child's loop). */
void alpn_serve(const struct alpn_certs *a, const int *fds, int nfds, int ctl);

/* Sets up cc as the responder's server over iobuf (ALPN_IOBUF bytes):
 * only ALPN_PROTOCOL, the certificate chosen by SNI. Exposed for fuzzing. */
void alpn_server_setup(const struct alpn_certs *a, br_ssl_server_context *cc, void *policy,
		       unsigned char *iobuf);

/* Size of the policy object alpn_server_setup needs. */
size_t alpn_policy_size(void);

/* Wipes the key and frees the certificates. */
void alpn_free(struct alpn_certs *a);

#endif
