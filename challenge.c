/* challenge.c - see challenge.h */
#include "challenge.h"
#include "util.h"

#include <string.h>

int challenge_method_parse(const char *name, enum challenge_method *m)
{
	if (strcmp(name, "http-01") == 0 || strcmp(name, "webroot") == 0)
		*m = CHALLENGE_HTTP01;
	else if (strcmp(name, "tls-alpn-01") == 0)
		*m = CHALLENGE_TLSALPN01;
	else if (strcmp(name, "dns-01") == 0)
		*m = CHALLENGE_DNS01;
	else if (strcmp(name, "dns-persist-01") == 0)
		*m = CHALLENGE_DNS_PERSIST01;
	else
		return -1;
	return 0;
}

void challenger_init(struct challenger *c)
{
	/* Only the parts of the method in use are touched (and paged in). */
	c->method = CHALLENGE_HTTP01;
	c->started = 0;
	c->ready = 0;
}

/* 1 for the methods the responder serves. */
static int uses_responder(enum challenge_method m)
{
	return m == CHALLENGE_HTTP01 || m == CHALLENGE_TLSALPN01;
}

int challenger_setup(struct challenger *c, const struct challenge_config *cfg)
{
	challenger_init(c);
	if (challenge_method_parse(cfg->method, &c->method) < 0) {
		err("unknown challenge method %s", cfg->method);
		return -1;
	}
	c->ready = 1;
	if (uses_responder(c->method)) {
		responder_init(&c->http);
		c->http.uid = cfg->uid;
		c->http.gid = cfg->gid;
	} else {
		dns_challenges_init(&c->dns, NULL, 0, 0);
	}
	switch (c->method) {
	case CHALLENGE_HTTP01:
		if (strcmp(cfg->method, "webroot") == 0)
			return responder_webroot(&c->http, cfg->webroot);
		return responder_listen(&c->http, cfg->http_listen);
	case CHALLENGE_TLSALPN01:
		return responder_alpn(&c->http, cfg->alpn_listen);
	case CHALLENGE_DNS01:
		if (cfg->dns_hook == NULL || cfg->dns_hook[0] == '\0') {
			err("dns-01 needs --dns-hook PROGRAM to publish the TXT records");
			return -1;
		}
		dns_challenges_init(&c->dns, cfg->dns_hook, cfg->dns_wait_s, 0);
		return 0;
	case CHALLENGE_DNS_PERSIST01:
		dns_challenges_init(&c->dns, NULL, cfg->dns_wait_s, 1);
		return 0;
	}
	return -1;
}

static const char *const type_names[] = { "http-01", "tls-alpn-01", "dns-01", "dns-persist-01" };

const char *challenge_type(enum challenge_method m, const char *ident, int ip)
{
	int dns = m == CHALLENGE_DNS01 || m == CHALLENGE_DNS_PERSIST01;

	if (ip && dns) {
		err("%s: an IP address is validated by http-01 or tls-alpn-01 only, not %s", ident,
		    type_names[m]);
		return NULL;
	}
	if (strncmp(ident, "*.", 2) == 0 && !dns) {
		err("%s: a wildcard is validated by dns-01 or dns-persist-01 only, not %s", ident,
		    type_names[m]);
		return NULL;
	}
	return type_names[m];
}

int challenger_add(struct challenger *c, const struct challenge_task *t)
{
	switch (c->method) {
	case CHALLENGE_HTTP01:
		return responder_add(&c->http, t->token, t->keyauth);
	case CHALLENGE_TLSALPN01:
		return responder_add(&c->http, t->ident, t->keyauth);
	case CHALLENGE_DNS01:
		return dns01_add(&c->dns, t->ident, t->keyauth);
	case CHALLENGE_DNS_PERSIST01:
		return dns_persist_add(&c->dns, t->ident, t->issuers, t->account_url);
	}
	return -1;
}

int challenger_start(struct challenger *c)
{
	c->started = 1;
	stop_on_signals(1);
	if (uses_responder(c->method))
		return responder_start(&c->http);
	return dns_challenges_start(&c->dns);
}

int challenger_wait(struct challenger *c, int64_t ms)
{
	if (stop_requested() ||
	    responder_wait(c != NULL && c->started && uses_responder(c->method) ? &c->http : NULL, ms) < 0 ||
	    stop_requested()) {
		if (stop_requested())
			err("stopped by a signal during validation");
		return -1;
	}
	return 0;
}

void challenger_stop(struct challenger *c)
{
	if (c->ready && uses_responder(c->method))
		responder_stop(&c->http);
	else if (c->ready)
		dns_challenges_stop(&c->dns);
	if (c->started)
		stop_on_signals(0);
	c->started = 0;
}
