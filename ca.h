/* ca.h - the key holder's side of the conversation with the CA. The parent
 * keeps the keys and asks the network process (netproc.h), which speaks
 * ACME, for one operation at a time; meanwhile it answers what that process
 * asks back, each request checked first: a signature only over a request
 * to the CA's own origin, with a base64url nonce and the account it knows;
 * the CSR only for the names being ordered; challenges only for those
 * names, their key authorizations computed here. A request that fails a
 * check ends the network process and the operation. */
#ifndef PICOACME_CA_H
#define PICOACME_CA_H

#include <stddef.h>
#include <stdint.h>

#include "acme.h"
#include "challenge.h"
#include "http.h"
#include "key.h"
#include "netproc.h"

struct ca {
	struct netproc *net;   /* borrowed */
	struct url origin;     /* the directory's host and port: every signed URL's */
	char kid[HTTP_MAX_URL]; /* the account URL, empty until known */
	char terms_of_service[HTTP_MAX_URL];
	char profiles[HTTP_MAX_URL]; /* offered, space separated */
	int has_ari;
	char problem_type[128];  /* of the last operation's last problem */
	char last_error[1024];   /* the last operation's last problem, one line */
	long retry_after;        /* the last operation's Retry-After, or -1 */
	const struct key *keys[SIGN_KEYS]; /* borrowed: what may sign */
	char thumbprint[44];     /* of keys[SIGN_ACCOUNT] */
	const struct acme_eab *eab;
	const struct key *csr_key; /* the order's certificate key, while it is issued */
	const char *const *names;  /* the order's names */
	size_t nnames;
	struct challenger *ch;
	char *body;              /* the last message's body (HTTP_MAX_BODY + 1) */
	size_t body_len;
	char *out;               /* an answer's body (ACME_MAX_JWS) */
};

/* Sets ca up on the running network process net, with the one static pair
 * of message buffers (one ca at a time). */
void ca_init(struct ca *ca, struct netproc *net);

/* Has the directory at url fetched and checked. 0 or -1 (error printed). */
int ca_directory(struct ca *ca, const char *url);

/* Uses account key k. With kid (a stored account URL, may be empty)
 * nothing is sent. Otherwise looks the account up, or with agree_tos
 * creates it (email may be NULL; eab NULL: none). ca->kid is the URL on
 * success. 0, 1 when created, or -1. */
int ca_account(struct ca *ca, const struct key *k, const char *kid, const char *email,
	       int agree_tos, const struct acme_eab *eab);

/* Prints the account's status and contacts. 0 or -1. */
int ca_account_show(struct ca *ca);

/* Replaces the account's contacts with mailto: the given addresses. 0 or -1. */
int ca_account_contacts(struct ca *ca, const char *const *emails, size_t n);

/* Deactivates the account for good. 0 or -1. */
int ca_account_deactivate(struct ca *ca);

/* RFC 8555 §7.3.5 key change to new_key, which signs from then on. The
 * caller saves new_key only after this returns 0. 0 or -1. */
int ca_key_rollover(struct ca *ca, const struct key *new_key);

/* Revokes a DER certificate, signed by the account or, with cert_key, by
 * the certificate's key. reason < 0 omits it. 0; -2 when the account may
 * not revoke it (nothing printed); -1 with an error. */
int ca_revoke(struct ca *ca, const unsigned char *der, size_t len, int reason,
	      const struct key *cert_key);

/* RFC 9773: the suggested renewal window for cert_id (epoch seconds) and
 * its Retry-After (seconds, -1 when absent). 0 or -1. */
int ca_renewal_info(struct ca *ca, const char *cert_id, int64_t *start, int64_t *end,
		    long *retry_after);

/* Orders a certificate for names, answering its challenges through ch and
 * its CSR with cert_key. On success the PEM chain is ca->body
 * (ca->body_len bytes) until the next operation. 0 or -1. */
int ca_issue(struct ca *ca, const char *const *names, size_t nnames, const struct key *cert_key,
	     struct challenger *ch, const struct acme_order_opts *opts);

/* The issuer domain names (space separated) of the dns-persist-01
 * challenge the CA offers for name. 0 or -1. */
int ca_persist_issuers(struct ca *ca, const char *name, char *issuers, size_t cap);

/* Checks a challenge the network process hands over (q: ident s0, a 1 for
 * an ip, token s1, issuer domain names s2) against the order's names and
 * the method, and makes its task t, its key authorization made here into
 * keyauth (CHALLENGE_KEYAUTH_MAX bytes). NULL, or why it is refused.
 * Exposed for fuzzing. */
const char *ca_challenge_task(const struct ca *ca, const struct netmsg *q,
			      struct challenge_task *t, char *keyauth);

/* Runs one operation (op and its body of op->body_len bytes) and answers
 * the network process's requests until its result, which is left in op
 * (its body in ca->body). The result's a, or -1. Exposed for fuzzing. */
int ca_call(struct ca *ca, struct netmsg *op, const void *body);

#endif
