/* dns01.h - the DNS methods: dns-01 (RFC 8555 §8.4), whose TXT records a
 * hook program publishes for each order, and dns-persist-01
 * (draft-ietf-acme-dns-persist), whose one record per name the owner sets
 * once. Either way the records are checked visible at the zone's own
 * nameservers before the CA is asked to look. */
#ifndef PICOACME_DNS01_H
#define PICOACME_DNS01_H

#include <stddef.h>
#include <stdint.h>

#define DNS01_MAX_RECORDS 100
#define DNS01_DEFAULT_WAIT_S 120
#define DNS01_VALUE_MAX 48 /* base64url of a SHA-256: 43 characters */
#define DNS01_ISSUERS_MAX 512
#define DNS01_URL_MAX 1024

#define DNS01_TEXT_MAX (DNS01_MAX_RECORDS * 254)
#define DNS01_NAME_MAX 280 /* _validation-persist.<name> */

struct dns_record {
	unsigned ident;   /* offset in text of the identifier as ordered ("*.example.org") */
	char value[DNS01_VALUE_MAX];
	unsigned char wildcard, added;
};

struct dns_challenges {
	const char *hook;   /* dns-01 program, borrowed; NULL for dns-persist-01 */
	int wait_s;         /* how long records may take to become visible */
	int persist;        /* 1: dns-persist-01 */
	int n;
	char issuers[DNS01_ISSUERS_MAX];  /* dns-persist-01: issuer domain names offered, space separated */
	char account_url[DNS01_URL_MAX];  /* dns-persist-01: the account the records name */
	size_t text_len;
	char text[DNS01_TEXT_MAX];        /* identifiers, packed: an order pages in what it uses */
	struct dns_record r[DNS01_MAX_RECORDS];
};

/* The TXT name of record r: _acme-challenge.<name> (dns-01) or
 * _validation-persist.<name>, for a wildcard its base name; into out
 * (DNS01_NAME_MAX bytes). */
void dns_record_name(const struct dns_challenges *d, const struct dns_record *r, char *out);

/* Empties d for dns-01 through hook (persist 0) or dns-persist-01. */
void dns_challenges_init(struct dns_challenges *d, const char *hook, int wait_s, int persist);

/* dns-01: the record for ident (as ordered) whose value is the base64url
 * SHA-256 of keyauth. 0, or -1 with an error. */
int dns01_add(struct dns_challenges *d, const char *ident, const char *keyauth);

/* dns-persist-01: the record ident needs, for the issuer domain names the
 * CA offers (space separated) and account_url. 0, or -1 with an error. */
int dns_persist_add(struct dns_challenges *d, const char *ident, const char *issuers,
		    const char *account_url);

/* Runs "hook add" for every dns-01 record, then waits until every record
 * is visible (up to wait_s). 0, or -1 with an error naming the record or
 * the hook's exit status. */
int dns_challenges_start(struct dns_challenges *d);

/* Runs "hook remove" for every record added. Idempotent. */
void dns_challenges_stop(struct dns_challenges *d);

/* 1 if TXT text txt authorizes account_url for one of the issuer domain
 * names issuers (space separated), as a wildcard too when wildcard is set;
 * else 0. Exposed for tests and fuzzing. */
int dns_persist_match(const char *txt, const char *issuers, const char *account_url, int wildcard);

/* The record dns-persist-01 needs for name, as a zone file line, into out.
 * Returns the length, or -1 if it does not fit. */
int dns_persist_record(char *out, size_t cap, const char *name, const char *issuer,
		       const char *account_url, int wildcard);

#endif
