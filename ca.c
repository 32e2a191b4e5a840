/* ca.c - see ca.h */
#include "ca.h"
#include "jws.h"
#include "responder.h"
#include "util.h"

#include <arpa/inet.h>
#include <string.h>

void ca_init(struct ca *ca, struct netproc *net)
{
	/* static, not allocated: only the pages used are touched */
	static char body[HTTP_MAX_BODY + 1], out[ACME_MAX_JWS];

	memset(ca, 0, sizeof *ca);
	ca->net = net;
	ca->retry_after = -1;
	ca->body = body;
	ca->out = out;
}

/* 1 if url is an https:// URL on the CA's origin. */
static int on_origin(const struct ca *ca, const char *url)
{
	struct url u;

	return url_parse(url, &u) == 0 && strcmp(u.host, ca->origin.host) == 0 &&
	       strcmp(u.port, ca->origin.port) == 0;
}

/* 1 if ident (ip: an address, compared as one) is a name being ordered. */
static int ordered(const struct ca *ca, const char *ident, int ip)
{
	unsigned char a[16], b[16];
	int family = strchr(ident, ':') ? AF_INET6 : AF_INET;

	for (size_t i = 0; i < ca->nnames; i++)
		if (strcmp(ca->names[i], ident) == 0 ||
		    (ip && inet_pton(family, ident, a) == 1 && inet_pton(family, ca->names[i], b) == 1 &&
		     memcmp(a, b, family == AF_INET ? 4 : 16) == 0))
			return 1;
	return 0;
}

/* 1 if s is a non-empty list of DNS names (their characters and spaces). */
static int issuer_list_valid(const char *s)
{
	return s[0] != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.- ") == strlen(s);
}

const char *ca_challenge_task(const struct ca *ca, const struct netmsg *q,
			      struct challenge_task *t, char *keyauth)
{
	int persist;

	if (ca->ch == NULL)
		return "a challenge outside an order";
	if (!ordered(ca, q->s[0], q->a))
		return "a challenge for a name not ordered";
	persist = ca->ch->method == CHALLENGE_DNS_PERSIST01;
	if (persist ? !issuer_list_valid(q->s[2]) : !challenge_token_valid(q->s[1]))
		return "a challenge with a malformed token or issuer list";
	*t = (struct challenge_task){ q->s[0], q->a != 0, NULL, NULL, NULL, NULL };
	if (persist) {
		t->issuers = q->s[2];
		t->account_url = ca->kid;
	} else {
		/* the key authorization is made here, of the key held here */
		t->token = q->s[1];
		t->keyauth = keyauth;
		if (jws_key_authorization(q->s[1], ca->thumbprint, keyauth, CHALLENGE_KEYAUTH_MAX) < 0)
			return "a challenge token too long";
	}
	return NULL;
}

/* Answers request q of the network process (its body in ca->body), after
 * checking it. 0 answered, -1 refused (said), -2 the pipe broke. */
static int answer(struct ca *ca, const struct netmsg *q)
{
	static struct netmsg r;
	char keyauth[CHALLENGE_KEYAUTH_MAX];
	unsigned char hk[256];
	struct challenge_task task;
	const char *why = NULL;
	int n = 0, rc = 0;

	memset(&r, 0, sizeof r);
	switch (q->type) {
	case ASK_SIGN:
		/* the protected header is made here: only the URL and nonce are
		 * the network process's, and the key's use is fixed */
		if (q->a < 0 || q->a >= SIGN_KEYS || ca->keys[q->a] == NULL)
			why = "a signature by a key not in use";
		else if (!on_origin(ca, q->s[0]))
			why = "a signature for a URL off the CA's origin";
		else if (q->a == SIGN_NEW_ACCOUNT ? q->s[1][0] != '\0' || !q->b
						  : !b64url_valid(q->s[1], strlen(q->s[1])))
			why = "a signature with a malformed nonce";
		else if (!q->b && (q->a != SIGN_ACCOUNT || ca->kid[0] == '\0'))
			why = "a signature for an account not known";
		if (why != NULL)
			break;
		n = jws_sign(ca->keys[q->a], q->b ? NULL : ca->kid, q->s[1][0] ? q->s[1] : NULL, q->s[0],
			     q->body_len ? ca->body : NULL, ca->out, ACME_MAX_JWS);
		if (n < 0)
			err("%s: the signed request does not fit in %d bytes", q->s[0], ACME_MAX_JWS);
		break;
	case ASK_EAB:
		if (ca->eab == NULL || ca->eab->kid == NULL || ca->keys[SIGN_ACCOUNT] == NULL ||
		    !on_origin(ca, q->s[0])) {
			why = "an account binding not given";
			break;
		}
		n = b64url_decode(hk, sizeof hk, ca->eab->hmac_key, strlen(ca->eab->hmac_key));
		if (n <= 0)
			err("--eab-hmac-key: not base64url");
		else if ((n = jws_eab(ca->keys[SIGN_ACCOUNT], ca->eab->kid, hk, (size_t)n, q->s[0],
				      ca->out, 2048)) < 0)
			err("cannot build the external account binding");
		wipe(hk, sizeof hk);
		n = n <= 0 ? -1 : n;
		break;
	case ASK_CSR:
		if (ca->csr_key == NULL) {
			why = "a CSR outside an order";
			break;
		}
		/* the DER in the (unused) request body buffer */
		n = key_csr(ca->csr_key, ca->names, ca->nnames, (unsigned char *)ca->body,
			    ACME_MAX_CSR);
		if (n < 0 || (n = b64url_encode(ca->out, ACME_MAX_JWS, ca->body, (size_t)n)) < 0)
			err("cannot build the certificate signing request");
		break;
	case ASK_CH_ADD:
		why = ca_challenge_task(ca, q, &task, keyauth);
		if (why == NULL)
			n = challenger_add(ca->ch, &task);
		break;
	case ASK_CH_START:
		if (ca->ch == NULL) {
			why = "a challenge outside an order";
			break;
		}
		n = challenger_start(ca->ch);
		break;
	case ASK_CH_WAIT:
		/* only an order is polled, and never longer than Retry-After's cap */
		if (ca->ch == NULL || q->c < 0 || q->c > ACME_RETRY_AFTER_CAP_S * 1000) {
			why = "a wait outside an order or out of bounds";
			break;
		}
		n = challenger_wait(ca->ch, q->c);
		break;
	default: /* ASK_CH_STOP */
		if (ca->ch != NULL)
			challenger_stop(ca->ch);
		break;
	}
	if (why != NULL) {
		err("the network process asked for %s (%s); it is ended", why, q->s[0]);
		return -1;
	}
	rc = n < 0 ? -1 : 0;
	r.type = rc;
	r.body_len = q->type != ASK_CH_ADD && n > 0 ? (uint32_t)n : 0;
	return netmsg_send(ca->net->wfd, &r, ca->out) < 0 ? -2 : 0;
}

int ca_call(struct ca *ca, struct netmsg *op, const void *body)
{
	struct netproc *np = ca->net;
	int rc;

	ca->body_len = 0;
	if (np->rfd < 0) {
		err("the network process is not running");
		return -1;
	}
	if (netmsg_send(np->wfd, op, body) < 0)
		goto dead;
	for (;;) {
		if (netmsg_recv(np->rfd, op, ca->body, HTTP_MAX_BODY + 1) < 0)
			goto dead;
		if (netmsg_check(op) < 0 || (op->type == ASK_RESULT && op->b < -1)) {
			err("malformed message from the network process");
			netproc_end_failed(np, 1);
			return -1;
		}
		np->connects = op->connects;
		np->requests = op->requests;
		if (op->type == ASK_RESULT)
			break;
		rc = answer(ca, op);
		if (rc == -1) {
			netproc_end_failed(np, 1);
			return -1;
		}
		if (rc < 0)
			goto dead;
	}
	ca->body_len = op->body_len;
	str_copy(ca->problem_type, sizeof ca->problem_type, op->s[2]);
	str_copy(ca->last_error, sizeof ca->last_error, op->line);
	ca->retry_after = op->b;
	return op->a;
dead:
	netproc_end_failed(np, 0);
	return -1;
}

/* An operation with empty texts and no body. */
static struct netmsg *op_new(int type)
{
	static struct netmsg m;

	memset(&m, 0, sizeof m);
	m.type = type;
	return &m;
}

/* Lays strs out NUL-separated in ca->out as m's body. 0, or -1 with an
 * error when they do not fit. */
static int put_list(struct ca *ca, struct netmsg *m, const char *const *strs, size_t n)
{
	size_t used = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(strs[i]) + 1;

		if (len > NETPROC_MAX_BODY - 1 - used) {
			err("%zu names do not fit in a request", n);
			return -1;
		}
		memcpy(ca->out + used, strs[i], len);
		used += len;
	}
	m->body_len = (uint32_t)used;
	return 0;
}

/* Copies text into m's text i, or says it is too long. 0 or -1. */
static int put_text(struct netmsg *m, int i, const char *text)
{
	if (text != NULL && str_copy(m->s[i], sizeof m->s[i], text) < 0) {
		err("%.40s...: too long", text);
		return -1;
	}
	return 0;
}

int ca_directory(struct ca *ca, const char *url)
{
	struct netmsg *m = op_new(OP_DIRECTORY);

	memset(ca->keys, 0, sizeof ca->keys);
	ca->kid[0] = '\0';
	if (url_parse(url, &ca->origin) < 0 || put_text(m, 0, url) < 0 || ca_call(ca, m, NULL) < 0)
		return -1;
	str_copy(ca->terms_of_service, sizeof ca->terms_of_service, m->s[0]);
	str_copy(ca->profiles, sizeof ca->profiles, m->s[1]);
	ca->has_ari = m->c != 0;
	return 0;
}

int ca_account(struct ca *ca, const struct key *k, const char *kid, const char *email,
	       int agree_tos, const struct acme_eab *eab)
{
	struct netmsg *m = op_new(OP_ACCOUNT);
	int rc;

	ca->keys[SIGN_ACCOUNT] = k;
	ca->eab = eab;
	if (jws_thumbprint(k, ca->thumbprint) < 0) {
		err("cannot compute the account key thumbprint");
		return -1;
	}
	m->a = agree_tos;
	m->b = eab != NULL && eab->kid != NULL;
	if (put_text(m, 0, kid) < 0 || put_text(m, 1, email) < 0 || (rc = ca_call(ca, m, NULL)) < 0)
		return -1;
	if (!on_origin(ca, m->s[0])) {
		err("%s: the account URL is not on the CA's origin", m->s[0]);
		return -1;
	}
	str_copy(ca->kid, sizeof ca->kid, m->s[0]);
	return rc != 0;
}

int ca_account_show(struct ca *ca)
{
	return ca_call(ca, op_new(OP_SHOW), NULL) < 0 ? -1 : 0;
}

int ca_account_contacts(struct ca *ca, const char *const *emails, size_t n)
{
	struct netmsg *m = op_new(OP_CONTACTS);

	return put_list(ca, m, emails, n) < 0 || ca_call(ca, m, ca->out) < 0 ? -1 : 0;
}

int ca_account_deactivate(struct ca *ca)
{
	return ca_call(ca, op_new(OP_DEACTIVATE), NULL) < 0 ? -1 : 0;
}

int ca_key_rollover(struct ca *ca, const struct key *new_key)
{
	struct netmsg *m = op_new(OP_ROLLOVER);
	int rc;

	if (jws_jwk(ca->keys[SIGN_ACCOUNT], m->s[0], sizeof m->s[0]) < 0)
		return -1;
	ca->keys[SIGN_NEW_ACCOUNT] = new_key;
	rc = ca_call(ca, m, NULL);
	ca->keys[SIGN_NEW_ACCOUNT] = NULL;
	if (rc < 0)
		return -1;
	ca->keys[SIGN_ACCOUNT] = new_key;
	return jws_thumbprint(new_key, ca->thumbprint);
}

int ca_revoke(struct ca *ca, const unsigned char *der, size_t len, int reason,
	      const struct key *cert_key)
{
	struct netmsg *m = op_new(OP_REVOKE);
	int rc;

	if (len >= NETPROC_MAX_BODY) {
		err("the certificate is too large to revoke");
		return -1;
	}
	memcpy(ca->out, der, len);
	m->body_len = (uint32_t)len;
	m->a = reason;
	m->b = cert_key != NULL;
	ca->keys[SIGN_CERT] = cert_key;
	rc = ca_call(ca, m, ca->out);
	ca->keys[SIGN_CERT] = NULL;
	return rc == -2 ? -2 : rc < 0 ? -1 : 0;
}

int ca_renewal_info(struct ca *ca, const char *cert_id, int64_t *start, int64_t *end,
		    long *retry_after)
{
	struct netmsg *m = op_new(OP_RENEWAL_INFO);

	if (put_text(m, 0, cert_id) < 0 || ca_call(ca, m, NULL) < 0)
		return -1;
	if (m->c < 0 || m->d < m->c) {
		err("malformed renewal window from the network process");
		return -1;
	}
	*start = m->c;
	*end = m->d;
	*retry_after = m->b;
	return 0;
}

int ca_issue(struct ca *ca, const char *const *names, size_t nnames, const struct key *cert_key,
	     struct challenger *ch, const struct acme_order_opts *opts)
{
	struct netmsg *m = op_new(OP_ISSUE);
	int rc;

	m->a = (int32_t)ch->method;
	if (put_list(ca, m, names, nnames) < 0 || put_text(m, 0, opts->profile) < 0 ||
	    put_text(m, 1, opts->replaces) < 0 || put_text(m, 2, opts->preferred_chain) < 0)
		return -1;
	ca->csr_key = cert_key;
	ca->names = names;
	ca->nnames = nnames;
	ca->ch = ch;
	rc = ca_call(ca, m, ca->out);
	ca->csr_key = NULL;
	ca->names = NULL;
	ca->nnames = 0;
	ca->ch = NULL;
	return rc < 0 ? -1 : 0;
}

int ca_persist_issuers(struct ca *ca, const char *name, char *issuers, size_t cap)
{
	struct netmsg *m = op_new(OP_PERSIST);

	if (put_text(m, 0, name) < 0 || ca_call(ca, m, NULL) < 0)
		return -1;
	if (!issuer_list_valid(m->s[0]) || str_copy(issuers, cap, m->s[0]) < 0) {
		err("%s: malformed issuer domain names from the network process", name);
		return -1;
	}
	return 0;
}
