/* challenge.h - proving control of identifiers, one interface over every
 * method: http-01 (built-in responder or webroot), tls-alpn-01 (built-in
 * TLS responder), dns-01 (through a hook) and dns-persist-01 (a record set
 * once). acme.c asks which challenge type
 * answers an identifier, hands over what the CA sent, and starts, waits and
 * stops; it never knows a method's insides. */
#ifndef PICOACME_CHALLENGE_H
#define PICOACME_CHALLENGE_H

#include <stdint.h>

#include "dns01.h"
#include "responder.h"

enum challenge_method { CHALLENGE_HTTP01, CHALLENGE_TLSALPN01, CHALLENGE_DNS01, CHALLENGE_DNS_PERSIST01 };

/* What the CA sent for one identifier, and whose account answers it. */
struct challenge_task {
	const char *ident;       /* as ordered: "*.example.org", "192.0.2.1" */
	int ip;                  /* an RFC 8738 ip identifier */
	const char *token;       /* http-01, tls-alpn-01, dns-01 */
	const char *keyauth;     /* the same: token.thumbprint */
	const char *issuers;     /* dns-persist-01: issuer domain names, space separated */
	const char *account_url; /* dns-persist-01 */
};

/* How a certificate proves control, from its settings. */
struct challenge_config {
	const char *method;      /* "http-01", "webroot", "tls-alpn-01", "dns-01", "dns-persist-01" */
	const char *http_listen; /* NULL: port 80 everywhere */
	const char *alpn_listen; /* NULL: port 443 everywhere */
	const char *webroot;
	const char *dns_hook;
	int dns_wait_s;
	unsigned uid, gid; /* the responder process's --user */
};

struct challenger {
	enum challenge_method method;
	int ready;   /* the method's part is set up: stop undoes it */
	int started;
	struct responder http;
	struct dns_challenges dns;
};

/* Parses a --challenge name ("webroot" is http-01 through files). 0 or -1. */
int challenge_method_parse(const char *name, enum challenge_method *m);

/* Empties c; stopping it is then a no-op. Call before anything else. */
void challenger_init(struct challenger *c);

/* Sets c up before anything is sent: binds the responder's ports, checks
 * the webroot or hook. 0, or -1 with an error. */
int challenger_setup(struct challenger *c, const struct challenge_config *cfg);

/* The ACME challenge type of method m that answers ident ("http-01",
 * "tls-alpn-01", "dns-01", "dns-persist-01"; ip: an ip identifier), or NULL
 * with an error when the method cannot validate it. */
const char *challenge_type(enum challenge_method m, const char *ident, int ip);

/* Registers what the CA sent for one identifier. 0, or -1 with an error. */
int challenger_add(struct challenger *c, const struct challenge_task *t);

/* Makes every registered answer available (the responder serves, hooks
 * published, records visible). Stopping undoes it, also after a failure
 * here. 0, or -1 with an error. */
int challenger_start(struct challenger *c);

/* Waits ms milliseconds while the CA validates: -1 with an error as soon
 * as an answer cannot be served any more, or a signal asks to stop. */
int challenger_wait(struct challenger *c, int64_t ms);

/* Stops serving and removes every published answer. Idempotent. */
void challenger_stop(struct challenger *c);

#endif
