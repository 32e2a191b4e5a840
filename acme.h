/* acme.h - the ACME protocol (RFC 8555) over one http_client: directory,
 * nonces, signed requests with badNonce retries, problem reporting, account
 * creation/recovery, and order -> authorizations -> http-01 -> finalize ->
 * certificate download. */
#ifndef PICOACME_ACME_H
#define PICOACME_ACME_H

#include <stddef.h>
#include <stdint.h>

#include "challenge.h"
#include "http.h"
#include "netproc.h"
#include "json.h"
#include "key.h"

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
	struct netproc *net;          /* borrowed */
	const struct key *account;    /* borrowed */
	struct http_response resp;    /* last response; its body is owned here */
	struct json doc;              /* last parsed body */
	struct acme_directory dir;
	char kid[HTTP_MAX_URL];       /* account URL, empty until known */
	char nonce[256];
	char thumbprint[44];
	char problem_type[128];       /* type of the last problem document */
	long retry_after;             /* Retry-After of the last failed request, or -1 */
	char last_error[1024];        /* the last problem reported, one sanitized line */
	char *jws;                    /* ACME_MAX_JWS bytes, owned */
	char *payload;                /* ACME_MAX_JWS bytes, owned */
	int64_t poll_timeout_ms;
};

/* Sets up a on the network process net and allocates its request buffers (freed by acme_free).
 * 0, or -1 when out of memory. */
int acme_init(struct acme *a, struct netproc *net);
void acme_free(struct acme *a);

/* Fetches and checks the directory at url. 0 or -1 (error printed). */
int acme_get_directory(struct acme *a, const char *url);

/* Uses account key k. With kid (a stored account URL) nothing is sent.
 * Otherwise looks the account up with onlyReturnExisting, or, when
 * agree_tos is set, creates it (contact "mailto:<email>" when email is not
 * NULL). Without agree_tos and with no existing account it fails with an
 * error that prints the CA's terms URL. On success a->kid is the URL.
 * Returns 0, 1 when the account was newly created, or -1. */
int acme_account(struct acme *a, const struct key *k, const char *kid,
		 const char *email, int agree_tos, const struct acme_eab *eab);

/* POST-as-GET of the account; prints its status and contacts. 0 or -1. */
int acme_account_show(struct acme *a);

/* Replaces the account's contacts with mailto: the given addresses. 0 or -1. */
int acme_account_contacts(struct acme *a, const char *const *emails, size_t n);

/* Deactivates the account for good. 0 or -1. */
int acme_account_deactivate(struct acme *a);

/* RFC 8555 §7.3.5 key change to new_key; on success the account uses it.
 * The caller saves new_key only after this returns 0. 0 or -1. */
int acme_key_rollover(struct acme *a, const struct key *new_key);

/* Revokes a DER certificate. With cert_key the request is signed by the
 * certificate's key (jwk) instead of the account. reason < 0 omits it.
 * 0; -2 when the account may not revoke it (unauthorized: nothing printed,
 * the certificate's key may); -1 with an error. */
int acme_revoke(struct acme *a, const unsigned char *der, size_t len, int reason,
		const struct key *cert_key);

/* RFC 9773: fetches the suggested renewal window for cert_id. Sets *start,
 * *end (epoch seconds) and *retry_after (seconds, -1 when absent). 0 or -1. */
int acme_renewal_info(struct acme *a, const char *cert_id, int64_t *start, int64_t *end,
		      long *retry_after);

/* Parses an RFC 3339 timestamp to epoch seconds; -1 if malformed. */
int64_t acme_parse_time(const char *s);

/* Orders a certificate for names (DNS names, "*." wildcards or IP
 * addresses; the first is the main one), answers pending challenges
 * through ch, finalizes with a CSR of
 * cert_key and downloads the chain. On success the PEM chain is
 * a->resp.body (a->resp.body_len bytes) until the next request. 0 or -1. */
int acme_issue(struct acme *a, const char *const *names, size_t nnames,
	       const struct key *cert_key, struct challenger *ch,
	       const struct acme_order_opts *opts);

/* The issuer domain names (space separated) of the dns-persist-01
 * challenge the CA offers for name, read from a new order. 0 or -1. */
int acme_persist_issuers(struct acme *a, const char *name, char *issuers, size_t cap);

/* 1 if name is an IPv4 or IPv6 address: an RFC 8738 ip identifier. */
int acme_ident_is_ip(const char *name);

/* 1 if name is an acceptable DNS identifier for http-01 (lowercase LDH
 * labels of 1..63, total <= 253, at least two labels, no wildcard). */
int acme_name_valid(const char *name);

/* Formats a problem document (JSON text) as one sanitized line into out:
 * "type: detail (ident: type: detail; ...)". Exposed for tests. */
void acme_problem_line(const char *json, size_t len, char *out, size_t cap);

#endif
