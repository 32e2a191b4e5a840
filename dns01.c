/* dns01.c - see dns01.h */
#include "dns01.h"
#include "jws.h"
#include "resolve.h"
#include "util.h"

#include <string.h>
#include <strings.h>

#define DNS_RECHECK_MS 2000
#define DNS_TXT_BUF 4096

void dns_challenges_init(struct dns_challenges *d, const char *hook, int wait_s, int persist)
{
	/* The record table is left untouched: only what an order uses is paged in. */
	d->hook = hook;
	d->wait_s = wait_s > 0 ? wait_s : DNS01_DEFAULT_WAIT_S;
	d->persist = persist;
	d->n = 0;
	d->text_len = 0;
	d->issuers[0] = '\0';
	d->account_url[0] = '\0';
}

/* A new record for ident; NULL when full. */
static struct dns_record *new_record(struct dns_challenges *d, const char *ident)
{
	struct dns_record *r;
	size_t len = strlen(ident) + 1;

	if (d->n >= DNS01_MAX_RECORDS) {
		err("more than %d DNS records in one order", DNS01_MAX_RECORDS);
		return NULL;
	}
	r = &d->r[d->n];
	r->wildcard = strncmp(ident, "*.", 2) == 0;
	r->added = 0;
	r->value[0] = '\0';
	r->ident = (unsigned)d->text_len;
	if (len > sizeof d->text - d->text_len || len > 254) {
		err("%s: name too long for a DNS record", ident);
		return NULL;
	}
	memcpy(d->text + d->text_len, ident, len);
	d->text_len += len;
	return r;
}

void dns_record_name(const struct dns_challenges *d, const struct dns_record *r, char *out)
{
	const char *ident = d->text + r->ident;

	str_fmt(out, DNS01_NAME_MAX, "%s.%s", d->persist ? "_validation-persist" : "_acme-challenge",
		ident + (r->wildcard ? 2 : 0));
}

int dns01_add(struct dns_challenges *d, const char *ident, const char *keyauth)
{
	unsigned char digest[32];
	struct dns_record *r = new_record(d, ident);

	if (r == NULL)
		return -1;
	jws_key_authorization_digest(keyauth, digest);
	if (b64url_encode(r->value, sizeof r->value, digest, sizeof digest) < 0)
		return -1;
	d->n++;
	return 0;
}

int dns_persist_add(struct dns_challenges *d, const char *ident, const char *issuers,
		    const char *account_url)
{
	struct dns_record *r = new_record(d, ident);

	if (r == NULL)
		return -1;
	if (str_copy(d->issuers, sizeof d->issuers, issuers) < 0 ||
	    str_copy(d->account_url, sizeof d->account_url, account_url) < 0) {
		err("%s: issuer domain names or account URL too long", ident);
		return -1;
	}
	d->n++;
	return 0;
}

/* Runs the hook for one record: "HOOK add|remove IDENT NAME VALUE". */
static int run_dns_hook(const struct dns_challenges *d, const struct dns_record *r,
			const char *action)
{
	char vars[4][400], *env[4], *argv[6], name[DNS01_NAME_MAX];
	int rc;

	dns_record_name(d, r, name);
	str_fmt(vars[0], sizeof vars[0], "PICOACME_DNS_ACTION=%s", action);
	str_fmt(vars[1], sizeof vars[1], "PICOACME_DNS_IDENTIFIER=%s", d->text + r->ident);
	str_fmt(vars[2], sizeof vars[2], "PICOACME_DNS_TXT_NAME=%s", name);
	str_fmt(vars[3], sizeof vars[3], "PICOACME_DNS_TXT_VALUE=%s", r->value);
	for (int i = 0; i < 4; i++)
		env[i] = vars[i];
	argv[0] = (char *)d->hook;
	argv[1] = (char *)action;
	argv[2] = (char *)(d->text + r->ident);
	argv[3] = name;
	argv[4] = (char *)r->value;
	argv[5] = NULL;
	rc = run_program(d->hook, argv, env, 4);
	if (rc > 0)
		err("--dns-hook %s %s %s failed with exit status %d", d->hook, action, name, rc);
	return rc == 0 ? 0 : -1;
}

static int issuer_offered(const char *issuer, size_t len, const char *issuers)
{
	while (len > 0 && issuer[len - 1] == '.')
		len--;
	while (*issuers) {
		size_t l = strcspn(issuers, " ");

		if (l == len && len > 0 && strncasecmp(issuers, issuer, len) == 0)
			return 1;
		issuers += l + (issuers[l] == ' ');
	}
	return 0;
}

/* The field [*p, ';') of a record with blanks around it dropped; *p moves on. */
static const char *next_field(const char **p, size_t *len)
{
	const char *s = *p, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strcspn(s, ";");
	*p = *e == ';' ? e + 1 : e;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*len = (size_t)(e - s);
	return s;
}

int dns_persist_match(const char *txt, const char *issuers, const char *account_url, int wildcard)
{
	const char *p = txt, *f;
	size_t len;
	int account = 0, policy_wildcard = 0;

	f = next_field(&p, &len);
	if (!issuer_offered(f, len, issuers))
		return 0;
	while (*p) {
		const char *eq, *v;
		size_t kl, vl;

		f = next_field(&p, &len);
		eq = memchr(f, '=', len);
		if (eq == NULL)
			continue;
		kl = (size_t)(eq - f);
		while (kl > 0 && (f[kl - 1] == ' ' || f[kl - 1] == '\t'))
			kl--;
		v = eq + 1;
		while (v < f + len && (*v == ' ' || *v == '\t'))
			v++;
		vl = (size_t)(f + len - v);
		if (kl == 10 && strncasecmp(f, "accounturi", 10) == 0)
			account = vl == strlen(account_url) && memcmp(v, account_url, vl) == 0;
		else if (kl == 6 && strncasecmp(f, "policy", 6) == 0)
			policy_wildcard = vl == 8 && strncasecmp(v, "wildcard", 8) == 0;
	}
	return account && (!wildcard || policy_wildcard);
}

int dns_persist_record(char *out, size_t cap, const char *name, const char *issuer,
		       const char *account_url, int wildcard)
{
	int n = str_fmt(out, cap, "_validation-persist.%s. IN TXT \"%s; accounturi=%s%s\"", name,
			issuer, account_url, wildcard ? "; policy=wildcard" : "");

	return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* 1 when one of the n texts in txt is what r needs. */
static int record_present(const struct dns_challenges *d, const struct dns_record *r,
			  const char *txt, size_t n)
{
	for (size_t i = 0; i < n; i++, txt += strlen(txt) + 1)
		if (d->persist ? dns_persist_match(txt, d->issuers, d->account_url, r->wildcard)
			       : strcmp(txt, r->value) == 0)
			return 1;
	return 0;
}

/* Waits until every record is visible. */
OWN_FRAME static int wait_visible(const struct dns_challenges *d)
{
	static char txt[DNS_TXT_BUF];
	char why[256];
	int64_t deadline = now_ms() + (int64_t)d->wait_s * 1000;
	int i = 0;

	while (i < d->n) {
		const struct dns_record *r = &d->r[i];
		const char *ident = d->text + r->ident;
		char name[DNS01_NAME_MAX];
		size_t n = 0;
		int64_t next = now_ms() + DNS_RECHECK_MS;

		dns_record_name(d, r, name);
		if (resolve_txt(name, next < deadline ? next : deadline, txt, sizeof txt, &n, why,
				sizeof why) == 0 &&
		    record_present(d, r, txt, n)) {
			vmsg("%s: TXT record visible", name);
			i++;
			continue;
		}
		if (stop_requested()) {
			err("stopped by a signal while waiting for %s", name);
			return -1;
		}
		if (now_ms() >= deadline) {
			if (d->persist) {
				char line[DNS01_URL_MAX + 600], first[256];

				str_copy(first, sizeof first, d->issuers);
				first[strcspn(first, " ")] = '\0';
				dns_persist_record(line, sizeof line, ident + (r->wildcard ? 2 : 0), first,
						   d->account_url, r->wildcard);
				err("dns-persist-01: %s has no TXT record for this account%s after %d s; "
				    "create: %s", name, r->wildcard ? " with policy=wildcard" : "",
				    d->wait_s, line);
			} else {
				err("dns-01: %s does not show the TXT record \"%s\" after %d s", name,
				    r->value, d->wait_s);
			}
			return -1;
		}
		msg("%s: waiting for the TXT record to appear", name);
		sleep_ms(next - now_ms() > 0 ? next - now_ms() : 0);
	}
	return 0;
}

int dns_challenges_start(struct dns_challenges *d)
{
	if (!d->persist) {
		for (int i = 0; i < d->n; i++) {
			/* removed on every path from here, even when add failed halfway */
			d->r[i].added = 1;
			if (run_dns_hook(d, &d->r[i], "add") < 0)
				return -1;
		}
	}
	return wait_visible(d);
}

void dns_challenges_stop(struct dns_challenges *d)
{
	for (int i = 0; i < d->n; i++) {
		if (!d->r[i].added)
			continue;
		d->r[i].added = 0;
		run_dns_hook(d, &d->r[i], "remove");
	}
}
