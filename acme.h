/* acme.h - the ACME protocol (RFC 8555) over one http_client, run in the
 * network process: directory, nonces, signed requests with badNonce
 * retries, problem reporting, account creation/recovery, and order ->
 * authorizations -> challenges -> finalize -> certificate download. Keys,
 * challenges and files stay with the parent, asked over a channel. */
#ifndef PICOACME_ACME_H
#define PICOACME_ACME_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "netproc.h"
#include "json.h"

#define ACME_MAX_NAMES 100
#define ACME_MAX_NAME 253
/* A signed request: a CSR for 100 long names, twice base64-encoded, fits. */
#define ACME_MAX_JWS NETPROC_MAX_BODY /* 64 KiB, what the network process takes */
#define ACME_MAX_CSR (40 * 1024)
/* RFC 8555 §6.5: a badNonce is answered with a fresh nonce to retry with. A
 * CA that rejects half of all nonces fails a request once in a million. */
#define ACME_BADNONCE_RETRIES 20
/* pages of the account's orders list read to find an order a lost answer made */
#define ACME_MAX_ORDER_PAGES 32
#ifndef ACME_POLL_TIMEOUT_MS
#define ACME_POLL_TIMEOUT_MS (5 * 60 * 1000)
#endif
#define ACME_RETRY_AFTER_CAP_S 60

struct acme_directory {
	char new_nonce[HTTP_MAX_URL];
	char new_account[HTTP_MAX_URL];
	char new_order[HTTP_MAX_URL];
	char revoke_cert[HTTP_MAX_URL];
	char key_change[HTTP_MAX_URL];
	char renewal_info[HTTP_MAX_URL]; /* empty: the CA has no ARI */
	char terms_of_service[HTTP_MAX_URL];
	char profiles[512];              /* offered profile names, space separated */
	int eab_required;
};

/* What an order asks for beyond its names. */
struct acme_order_opts {
	const char *profile;         /* NULL or a profile offered by the CA */
	const char *replaces;        /* NULL or the ARI CertID being renewed */
	const char *preferred_chain; /* NULL or the topmost issuer CN wanted */
};

/* External Account Binding credentials (RFC 8555 §7.3.4). */
struct acme_eab {
	const char *kid;
	const char *hmac_key; /* base64url */
};

struct acme {
	struct http_client *http;     /* borrowed */
	int rfd, wfd;                 /* the channel to the key holder */
	int key;                      /* SIGN_ACCOUNT, or the key that signs the request at hand */
	struct http_response resp;    /* last response; its body is owned here */
	struct json doc;              /* last parsed body */
	struct acme_directory dir;
	char kid[HTTP_MAX_URL];       /* account URL, empty until known */
	char nonce[256];
	char problem_type[128];       /* type of the last problem document */
	long retry_after;             /* Retry-After of the last failed request, or -1 */
	char last_error[1024];        /* the last problem reported, one sanitized line */
	int64_t poll_timeout_ms;
	/* in place, not allocated: only the pages used are touched */
	char jws[ACME_MAX_JWS];       /* the signed request */
	char payload[ACME_MAX_JWS];   /* the request's payload */
	char op_body[NETPROC_MAX_BODY]; /* the operation's body: names, addresses, DER */
};

/* The network process's work (netproc.h): runs the parent's operations on
 * the CA with client c, one at a time, as they arrive on rfd, and answers
 * each on wfd; what needs a key or root it asks the parent for there (the
 * requests are in ca.c). Operations and their fields (texts empty for
 * none; names and addresses NUL-separated in the body):
 *   OP_DIRECTORY s0 URL -> s0 terms of service, s1 profiles, c 1 with ARI
 *   OP_ACCOUNT s0 stored account URL, s1 email, a agree to the terms,
 *     b with EAB -> a 1 created, s0 account URL
 *   OP_SHOW, OP_DEACTIVATE; OP_CONTACTS body addresses
 *   OP_ROLLOVER s0 the old key's JWK (signed by SIGN_NEW_ACCOUNT inside)
 *   OP_REVOKE body DER, a reason (< 0: none), b 1 by the certificate's key
 *     -> a -2 when the account may not (nothing printed)
 *   OP_RENEWAL_INFO s0 CertID -> c, d the window (epoch s)
 *   OP_ISSUE body names, a the challenge method, s0 profile, s1 replaces,
 *     s2 preferred chain -> body the PEM chain
 *   OP_PERSIST s0 name -> s0 issuer domain names
 * Every result: a 0 (or as above) or -1 (the error said), b Retry-After
 * (-1 none), s2 problem type, s3 the last problem's line; texts sanitized.
 * 0 at end of input, -1 when the channel broke. */
int acme_serve(struct http_client *c, int rfd, int wfd);

/* Parses an RFC 3339 timestamp to epoch seconds; -1 if malformed. */
int64_t acme_parse_time(const char *s);

/* 1 if name is an IPv4 or IPv6 address: an RFC 8738 ip identifier. */
int acme_ident_is_ip(const char *name);

/* 1 if name is an acceptable DNS identifier for http-01 (lowercase LDH
 * labels of 1..63, total <= 253, at least two labels, no wildcard). */
int acme_name_valid(const char *name);

/* Formats a problem document (JSON text) as one sanitized line into out:
 * "type: detail (ident: type: detail; ...)". Exposed for tests. */
void acme_problem_line(const char *json, size_t len, char *out, size_t cap);

#endif
