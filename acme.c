/* acme.c - see acme.h */
#include "acme.h"
#include "cert.h"
#include "challenge.h"
#include "dns01.h"
#include "jws.h"
#include "netproc.h"
#include "util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ERR_PREFIX "urn:ietf:params:acme:error:"
#define PROBLEM_LINE_MAX 512


int acme_name_valid(const char *name)
{
	size_t len = strlen(name), label = 0;
	int labels = 1;

	if (len == 0 || len > ACME_MAX_NAME)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.') {
			if (label == 0 || name[i - 1] == '-')
				return 0;
			label = 0;
			labels++;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	if (label == 0 || name[len - 1] == '-' || labels < 2)
		return 0;
	/* a top-level label is never all digits (RFC 3696 §2): "1.2.3.999"
	 * is a mistyped address, not a name */
	for (size_t i = len - label; i < len; i++)
		if (name[i] < '0' || name[i] > '9')
			return 1;
	return 0;
}

/* ---- problems ---- */

static void short_type(char *out, size_t cap, const struct json *doc, int obj)
{
	char t[256];

	if (json_get_string(doc, obj, "type", t, sizeof t) < 0) {
		str_copy(out, cap, "unknown");
		return;
	}
	sanitize(out, cap, strncmp(t, ERR_PREFIX, sizeof ERR_PREFIX - 1) == 0
				   ? t + sizeof ERR_PREFIX - 1 : t, sizeof t);
}

void acme_problem_line(const char *json, size_t len, char *out, size_t cap)
{
	static struct json doc; /* 16 KiB: kept off the stack */
	char line[2048], type[128], detail[1024], ident[ACME_MAX_NAME + 1];
	size_t n;
	int subs, i;

	if (json_parse(&doc, json, len) < 0 || doc.tok[0].type != JSMN_OBJECT) {
		sanitize(out, cap, json, len);
		return;
	}
	short_type(type, sizeof type, &doc, 0);
	if (json_get_string(&doc, 0, "detail", detail, sizeof detail) < 0)
		detail[0] = '\0';
	n = (size_t)str_fmt(line, sizeof line, "%s: %s", type, detail);
	subs = json_get(&doc, 0, "subproblems");
	if (json_array_len(&doc, subs) > 0 && n < sizeof line) {
		int k = subs + 1;

		n += (size_t)str_fmt(line + n, sizeof line - n, " (");
		for (i = 0; i < doc.tok[subs].size && n < sizeof line; i++) {
			int id = json_get(&doc, k, "identifier");

			short_type(type, sizeof type, &doc, k);
			if (json_get_string(&doc, k, "detail", detail, sizeof detail) < 0)
				detail[0] = '\0';
			if (json_get_string(&doc, id, "value", ident, sizeof ident) < 0)
				ident[0] = '\0';
			n += (size_t)str_fmt(line + n, sizeof line - n, "%s%s: %s: %s",
					      i ? "; " : "", ident, type, detail);
			k = json_skip(&doc, k);
		}
		if (n < sizeof line)
			str_fmt(line + n, sizeof line - n, ")");
	}
	sanitize(out, cap, line, sizeof line);
}

/* Records the problem type of the last response and, unless it is the
 * tolerated one, prints it. */
/* Sets a->problem_type from the last response (empty when it is no
 * problem document). */
static void problem_type(struct acme *a)
{
	struct http_response *r = &a->resp;

	a->problem_type[0] = '\0';
	if (strncmp(r->content_type, "application/problem+json", 24) == 0 &&
	    json_parse(&a->doc, r->body, r->body_len) == 0)
		json_get_string(&a->doc, 0, "type", a->problem_type, sizeof a->problem_type);
}

/* Prints the last response's problem as one error line naming url. */
static void report_problem(struct acme *a, const char *url)
{
	char line[PROBLEM_LINE_MAX], u[160];
	struct http_response *r = &a->resp;

	problem_type(a);
	sanitize(u, sizeof u, url, strlen(url));
	if (a->problem_type[0] != '\0') {
		acme_problem_line(r->body, r->body_len, line, sizeof line);
		err("%s: %s", u, line);
	} else {
		str_fmt(line, sizeof line, "HTTP %d", r->status);
		err("%s: %s", u, line);
	}
	str_fmt(a->last_error, sizeof a->last_error, "%s", line);
}

/* ---- the key holder ---- */

/* The operation being run, then its result ([0]), and the request to the
 * key holder, then its answer ([1]): side by side, three pages at most. */
static struct netmsg msgs[2];

/* A request to the key holder, its texts empty. */
static struct netmsg *ask_new(int type)
{
	memset(&msgs[1], 0, sizeof msgs[1]);
	msgs[1].type = type;
	return &msgs[1];
}

/* Sends the request (with len bytes of body) and reads the answer into
 * msgs[1], its body into out (at most cap - 1 bytes, NUL-terminated). The
 * answer's result (-1: said there), or -1 when the channel broke. */
static int ask(struct acme *a, const char *body, size_t len, char *out, size_t cap)
{
	msgs[1].body_len = (uint32_t)len;
	msgs[1].connects = a->http->connects;
	msgs[1].requests = a->http->requests;
	if (netmsg_send(a->wfd, &msgs[1], body) < 0 || netmsg_recv(a->rfd, &msgs[1], out, cap) < 0) {
		err("the parent did not answer");
		return -1;
	}
	return msgs[1].type;
}

/* A request with no body answered by a result alone. */
static int ask_plain(struct acme *a)
{
	char none[1];

	return ask(a, NULL, 0, none, sizeof none);
}

/* ---- requests ---- */

static int http(struct acme *a, const char *method, const char *url, const char *accept,
		const char *body, size_t len, int resend)
{
	a->http->resend = resend;
	return http_request(a->http, method, url, body ? "application/jose+json" : NULL, accept, body,
			    len, &a->resp);
}

static void take_nonce(struct acme *a)
{
	/* RFC 8555 §6.5.1: a nonce is base64url; anything else is not stored. */
	if (a->resp.nonce[0] && b64url_valid(a->resp.nonce, strlen(a->resp.nonce)))
		memcpy(a->nonce, a->resp.nonce, sizeof a->nonce);
}

static int fetch_nonce(struct acme *a)
{
	if (http(a, "HEAD", a->dir.new_nonce, NULL, NULL, 0, 1) < 0)
		return -1;
	take_nonce(a);
	if (a->nonce[0] == '\0') {
		err("%s: no Replay-Nonce in the response (HTTP %d)", a->dir.new_nonce, a->resp.status);
		return -1;
	}
	return 0;
}

/* Signed POST (payload NULL = POST-as-GET), with a fresh nonce from the
 * previous response and bounded badNonce retries. use_jwk embeds the key.
 * Returns 0 for 2xx, -2 when the problem type equals tolerate, else -1. */
static int post(struct acme *a, const char *url, const char *payload, int use_jwk,
		const char *accept, const char *tolerate)
{
	for (int attempt = 0;; attempt++) {
		struct netmsg *q = NULL;
		int n;

		if (a->nonce[0] == '\0' && fetch_nonce(a) < 0)
			return -1;
		q = ask_new(ASK_SIGN);
		q->a = a->key;
		q->b = use_jwk;
		str_copy(q->s[0], sizeof q->s[0], url);
#ifdef PICOACME_TEST
		/* the tests' way to make a network process ask for what it may not */
		if (getenv("PICOACME_TEST_HOSTILE_SIGN") != NULL)
			str_copy(q->s[0], sizeof q->s[0], "https://attacker.example/acme/new-order");
#endif
		str_copy(q->s[1], sizeof q->s[1], a->nonce);
		a->nonce[0] = '\0';
		n = payload ? (int)strlen(payload) : 0;
		if (ask(a, payload, (size_t)n, a->jws, ACME_MAX_JWS) < 0) {
			err("%s: cannot sign the request", url);
			return -1;
		}
		if (http(a, "POST", url, accept, a->jws, msgs[1].body_len, payload == NULL) < 0)
			return -1;
		take_nonce(a);
		if (a->resp.status >= 200 && a->resp.status < 300)
			return 0;
		a->retry_after = a->resp.retry_after;
		problem_type(a);
		/* A tolerated problem is the caller's to word, not an error here
		 * (badNonce too, when the caller must know the nonce was spent). */
		if (tolerate != NULL && strcmp(a->problem_type, tolerate) == 0)
			return -2;
		if (strcmp(a->problem_type, ERR_PREFIX "badNonce") == 0 &&
		    attempt < ACME_BADNONCE_RETRIES) {
			vmsg("%s: badNonce, retrying with the fresh nonce", url);
			continue;
		}
		report_problem(a, url);
		return -1;
	}
}

/* Parses the last response body as a JSON object. 0 or -1 with an error. */
static int parse_body(struct acme *a, const char *url)
{
	if (json_parse(&a->doc, a->resp.body, a->resp.body_len) < 0 ||
	    a->doc.tok[0].type != JSMN_OBJECT) {
		err("%s: response is not a JSON object", url);
		return -1;
	}
	return 0;
}

/* Copies the https URL member key of obj into out. 0, or -1 with an error. */
static int get_url(struct acme *a, int obj, const char *key, char *out, size_t cap,
		   const char *from, int required)
{
	struct url u;

	out[0] = '\0';
	if (json_get(&a->doc, obj, key) < 0 && !required)
		return 0;
	if (json_get_string(&a->doc, obj, key, out, cap) < 0 || url_parse(out, &u) < 0) {
		err("%s: field \"%s\" is missing or not an https:// URL", from, key);
		out[0] = '\0';
		return -1;
	}
	return 0;
}

static int get_directory(struct acme *a, const char *url)
{
	int meta;

	/* another CA's account and nonce are not this one's */
	a->kid[0] = a->nonce[0] = '\0';
	if (http(a, "GET", url, "application/json", NULL, 0, 1) < 0)
		return -1;
	if (a->resp.status != 200) {
		err("%s: directory request failed with HTTP %d", url, a->resp.status);
		return -1;
	}
	take_nonce(a);
	if (parse_body(a, url) < 0)
		return -1;
	if (get_url(a, 0, "newNonce", a->dir.new_nonce, HTTP_MAX_URL, url, 1) < 0 ||
	    get_url(a, 0, "newAccount", a->dir.new_account, HTTP_MAX_URL, url, 1) < 0 ||
	    get_url(a, 0, "newOrder", a->dir.new_order, HTTP_MAX_URL, url, 1) < 0 ||
	    get_url(a, 0, "revokeCert", a->dir.revoke_cert, HTTP_MAX_URL, url, 0) < 0 ||
	    get_url(a, 0, "keyChange", a->dir.key_change, HTTP_MAX_URL, url, 0) < 0)
		return -1;
	if (get_url(a, 0, "renewalInfo", a->dir.renewal_info, HTTP_MAX_URL, url, 0) < 0)
		return -1;
	meta = json_get(&a->doc, 0, "meta");
	a->dir.terms_of_service[0] = '\0';
	if (json_get_string(&a->doc, meta, "termsOfService", a->dir.terms_of_service,
			    HTTP_MAX_URL) < 0)
		a->dir.terms_of_service[0] = '\0';
	a->dir.eab_required = json_true(&a->doc, json_get(&a->doc, meta, "externalAccountRequired"));
	a->dir.profiles[0] = '\0';
	{
		int p = json_get(&a->doc, meta, "profiles"), k, n = 0;
		size_t used = 0;

		if (p >= 0 && a->doc.tok[p].type == JSMN_OBJECT) {
			k = p + 1;
			for (int i = 0; i < a->doc.tok[p].size; i++, k = json_skip(&a->doc, k + 1)) {
				char name[64];

				if (json_string(&a->doc, k, name, sizeof name) < 0 ||
				    used + strlen(name) + 2 > sizeof a->dir.profiles)
					continue;
				used += (size_t)str_fmt(a->dir.profiles + used,
							 sizeof a->dir.profiles - used, "%s%s",
							 n++ ? " " : "", name);
			}
		}
	}
	msg("directory %s", url);
	return 0;
}

/* ---- account ---- */

/* Uses the stored account URL kid (nothing sent), or looks the account
 * up with onlyReturnExisting, or, when agree_tos is set, creates it
 * (contact "mailto:<email>" when email is not NULL; with eab, bound by the
 * key holder's credentials). Without agree_tos and with no existing account
 * it fails with an error that prints the CA's terms URL. On success a->kid
 * is the URL. 0, 1 when the account was newly created, or -1. */
static int account(struct acme *a, const char *kid, const char *email, int agree_tos, int eab)
{
	char tos[160], eab_jws[2048];
	struct jw w;
	int rc;

	if (kid[0] != '\0') {
		if (str_copy(a->kid, sizeof a->kid, kid) < 0) {
			err("stored account URL is too long");
			return -1;
		}
		return 0;
	}
	eab_jws[0] = '\0';
	if (agree_tos && eab) {
		str_copy(ask_new(ASK_EAB)->s[0], HTTP_MAX_URL, a->dir.new_account);
		if (ask(a, NULL, 0, eab_jws, sizeof eab_jws) < 0)
			return -1;
	} else if (agree_tos && a->dir.eab_required) {
		err("%s requires external account binding: pass --eab-kid and --eab-hmac-key",
		    a->dir.new_account);
		return -1;
	}
	jw_init(&w, a->payload, ACME_MAX_JWS);
	jw_obj_begin(&w);
	if (agree_tos) {
		jw_key(&w, "termsOfServiceAgreed");
		jw_bool(&w, 1);
		if (eab_jws[0] != '\0') {
			jw_key(&w, "externalAccountBinding");
			jw_raw(&w, eab_jws);
		}
		if (email != NULL) {
			char mailto[300];

			str_fmt(mailto, sizeof mailto, "mailto:%s", email);
			jw_key(&w, "contact");
			jw_arr_begin(&w);
			jw_str(&w, mailto);
			jw_arr_end(&w);
		}
	} else {
		jw_key(&w, "onlyReturnExisting");
		jw_bool(&w, 1);
	}
	jw_obj_end(&w);
	if (jw_finish(&w) < 0)
		return -1;
	rc = post(a, a->dir.new_account, a->payload, 1, NULL,
		  agree_tos ? NULL : ERR_PREFIX "accountDoesNotExist");
	if (rc == -2) {
		sanitize(tos, sizeof tos, a->dir.terms_of_service, HTTP_MAX_URL);
		err("no account for %s in %s: read the terms of service%s%s and pass --agree-tos "
		    "to create one", "this key", a->dir.new_account, tos[0] ? " at " : "", tos);
		return -1;
	}
	if (rc < 0)
		return -1;
	if (a->resp.location[0] == '\0') {
		err("%s: no account URL (Location) in the response", a->dir.new_account);
		return -1;
	}
	if (parse_body(a, a->dir.new_account) < 0)
		return -1;
	if (!json_streq(&a->doc, json_get(&a->doc, 0, "status"), "valid")) {
		err("%s: the account is not valid (deactivated or revoked)", a->resp.location);
		return -1;
	}
	str_copy(a->kid, sizeof a->kid, a->resp.location);
	msg("account %s (%s)", a->kid, a->resp.status == 201 ? "created" : "existing");
	return a->resp.status == 201 ? 1 : 0;
}

/* ---- order ---- */

struct authz {
	char *url;       /* authorization URL, malloc'd */
	char *challenge; /* challenge URL to POST, or NULL; malloc'd */
	char *ident;     /* its identifier as ordered, once known; malloc'd */
	int valid;       /* seen valid: not asked again */
};

static void authz_free(struct authz *az, size_t n)
{
	if (az == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(az[i].url);
		free(az[i].challenge);
		free(az[i].ident);
	}
	free(az);
}

static char *dup_string(struct acme *a, int tok, const char *what, const char *from)
{
	char buf[HTTP_MAX_URL];
	struct url u;
	char *s;

	if (json_string(&a->doc, tok, buf, sizeof buf) < 0 || url_parse(buf, &u) < 0) {
		err("%s: %s is not an https:// URL", from, what);
		return NULL;
	}
	s = strdup(buf);
	if (s == NULL)
		err("out of memory");
	return s;
}

int acme_ident_is_ip(const char *name)
{
	unsigned char b[16];

	return inet_pton(AF_INET, name, b) == 1 || inet_pton(AF_INET6, name, b) == 1;
}

/* Waits as the server asks (Retry-After, capped) or with a doubling delay;
 * ends early with an error when ch (may be NULL) stops serving. */
static int poll_wait(struct acme *a, int64_t deadline, int64_t *delay, const char *url)
{
	int64_t wait = *delay;

	if (a->resp.retry_after >= 0)
		wait = (a->resp.retry_after > ACME_RETRY_AFTER_CAP_S ? ACME_RETRY_AFTER_CAP_S
								     : a->resp.retry_after) * 1000;
	*delay = *delay * 2 > 4000 ? 4000 : *delay * 2;
	if (now_ms() + wait > deadline) {
		err("%s: still not done after %lld s; giving up", url,
		    (long long)(a->poll_timeout_ms / 1000));
		return -1;
	}
	ask_new(ASK_CH_WAIT)->c = wait;
	return ask_plain(a);
}

static int status_is(struct acme *a, const char *status)
{
	return json_streq(&a->doc, json_get(&a->doc, 0, "status"), status);
}

/* The identifier of the authorization in a->doc as ordered ("*." before a
 * wildcard's name), sanitized. */
static void authz_ident(struct acme *a, char *out, size_t cap)
{
	char v[ACME_MAX_NAME + 1] = "?";
	int wildcard = json_true(&a->doc, json_get(&a->doc, 0, "wildcard"));

	json_get_string(&a->doc, json_get(&a->doc, 0, "identifier"), "value", v, sizeof v);
	str_fmt(out, cap, "%s%s", wildcard ? "*." : "", v);
	sanitize(out, cap, out, cap);
}

/* Prints why the authorization or challenge object at obj in a->doc
 * failed: the error of each challenge (obj is an authorization) or its own. */
static void report_invalid(struct acme *a, const char *ident, int obj)
{
	char line[PROBLEM_LINE_MAX];
	int chs = json_get(&a->doc, obj, "challenges"), c = chs + 1, n = json_array_len(&a->doc, chs);
	int printed = 0;

	for (int k = -1; k < n; k++) {
		int e = json_get(&a->doc, k < 0 ? obj : c, "error");

		if (k >= 0)
			c = json_skip(&a->doc, c);
		if (e < 0)
			continue;
		acme_problem_line(a->doc.js + a->doc.tok[e].start,
				  (size_t)(a->doc.tok[e].end - a->doc.tok[e].start), line, sizeof line);
		err("%s: validation failed: %s", ident, line);
		str_fmt(a->last_error, sizeof a->last_error, "%s: validation failed: %s", ident, line);
		printed = 1;
	}
	if (!printed)
		err("%s: validation failed (the CA gives no reason)", ident);
}

/* Polls the order while its status is while_status, leaving the final
 * order in a->doc. With authorizations (az, n), while it stays pending the
 * ones not yet seen valid are read in turn up to the first pending one, so
 * that a CA that leaves the order pending after a failed validation is
 * noticed at once (RFC 8555 §7.5.1), and an invalid order is reported with
 * the errors of its invalid authorizations; ch (may be NULL) is watched.
 * 0, or -1 with an error. */
static int poll_order(struct acme *a, const char *order_url, const char *while_status,
		      struct authz *az, size_t n)
{
	int64_t deadline = now_ms() + a->poll_timeout_ms, delay = 100;
	int invalid;

	for (;;) {
		if (poll_wait(a, deadline, &delay, order_url) < 0)
			return -1;
		if (post(a, order_url, NULL, 0, NULL, NULL) < 0 || parse_body(a, order_url) < 0)
			return -1;
		if (!status_is(a, while_status) && !status_is(a, "invalid"))
			return 0;
		/* An invalid order: the reason is in its invalid authorizations. */
		invalid = status_is(a, "invalid");
		for (size_t i = 0; i < n; i++) {
			char ident[ACME_MAX_NAME + 3];

			if (az[i].valid)
				continue;
			if (post(a, az[i].url, NULL, 0, NULL, NULL) < 0 || parse_body(a, az[i].url) < 0)
				return -1;
			if (status_is(a, "valid")) {
				az[i].valid = 1;
				continue;
			}
			if (status_is(a, "pending") && !invalid)
				break;
			if (status_is(a, "pending"))
				continue;
			authz_ident(a, ident, sizeof ident);
			report_invalid(a, ident, 0);
			if (!invalid) {
				err("%s: authorization for %s is not valid", order_url, ident);
				return -1;
			}
		}
		if (invalid) {
			err("%s: order is invalid", order_url);
			return -1;
		}
	}
}

/* The offered challenge types of the authorization in a->doc, space
 * separated, into out. */
static void offered_types(struct acme *a, char *out, size_t cap)
{
	int chs = json_get(&a->doc, 0, "challenges"), c = chs + 1;
	size_t used = 0;

	out[0] = '\0';
	for (int k = 0; k < json_array_len(&a->doc, chs); k++, c = json_skip(&a->doc, c)) {
		char t[32];

		if (json_get_string(&a->doc, c, "type", t, sizeof t) > 0 && used + strlen(t) + 2 < cap)
			used += (size_t)str_fmt(out + used, cap - used, "%s%s", used ? " " : "",
						 sanitize(t, sizeof t, t, sizeof t));
	}
}

/* dns-persist-01's issuer-domain-names as one space separated list. */
static int issuer_names(struct acme *a, int chal, char *out, size_t cap, const char *ident)
{
	int arr = json_get(&a->doc, chal, "issuer-domain-names"), t = arr + 1;
	size_t used = 0;

	for (int k = 0; k < json_array_len(&a->doc, arr); k++, t = json_skip(&a->doc, t)) {
		char name[ACME_MAX_NAME + 1];

		if (json_string(&a->doc, t, name, sizeof name) < 0 || !acme_name_valid(name) ||
		    used + strlen(name) + 2 > cap) {
			err("%s: dns-persist-01 issuer-domain-names: malformed or too many", ident);
			return -1;
		}
		used += (size_t)str_fmt(out + used, cap - used, "%s%s", used ? " " : "", name);
	}
	if (used == 0) {
		err("%s: dns-persist-01 challenge without issuer-domain-names", ident);
		return -1;
	}
	return 0;
}

/* Fetches every authorization; hands each pending one's challenge to ch and
 * remembers its URL. 0 or -1. */
OWN_FRAME static int prepare_authz(struct acme *a, struct authz *az, size_t n, int method,
				   size_t *pending)
{
	*pending = 0;
	for (size_t i = 0; i < n; i++) {
		char ident[ACME_MAX_NAME + 3], token[CHALLENGE_TOKEN_MAX], offered[128];
		char issuers[DNS01_ISSUERS_MAX];
		const char *type;
		struct netmsg *q;
		int chs, c, found = -1, ip;

		if (post(a, az[i].url, NULL, 0, NULL, NULL) < 0 || parse_body(a, az[i].url) < 0)
			return -1;
		authz_ident(a, ident, sizeof ident);
		if (status_is(a, "valid")) {
			az[i].valid = 1;
			msg("%s: already authorized", ident);
			continue;
		}
		if (!status_is(a, "pending")) {
			err("%s: authorization is not pending (%s)", ident, az[i].url);
			return -1;
		}
		ip = json_streq(&a->doc, json_get(&a->doc, json_get(&a->doc, 0, "identifier"), "type"),
				"ip");
		type = challenge_type((enum challenge_method)method, ident, ip);
		if (type == NULL)
			return -1;
		chs = json_get(&a->doc, 0, "challenges");
		c = chs + 1;
		for (int k = 0; k < json_array_len(&a->doc, chs); k++, c = json_skip(&a->doc, c))
			if (json_streq(&a->doc, json_get(&a->doc, c, "type"), type))
				found = c;
		if (found < 0) {
			offered_types(a, offered, sizeof offered);
			err("%s: the CA offers no %s challenge (offered: %s)", ident, type,
			    offered[0] ? offered : "none");
			return -1;
		}
		issuers[0] = token[0] = '\0';
		if (strcmp(type, "dns-persist-01") == 0) {
			if (issuer_names(a, found, issuers, sizeof issuers, ident) < 0)
				return -1;
		} else if (json_get_string(&a->doc, found, "token", token, sizeof token) < 0 ||
			   !challenge_token_valid(token)) {
			err("%s: challenge token is missing or not base64url", ident);
			return -1;
		}
		q = ask_new(ASK_CH_ADD);
		q->a = ip;
		str_copy(q->s[0], sizeof q->s[0], ident);
		str_copy(q->s[1], sizeof q->s[1], token);
		str_copy(q->s[2], sizeof q->s[2], issuers);
		if (ask_plain(a) < 0)
			return -1;
		az[i].challenge = dup_string(a, json_get(&a->doc, found, "url"), "challenge url",
					     az[i].url);
		if (az[i].challenge == NULL)
			return -1;
		az[i].ident = strdup(ident);
		if (az[i].ident == NULL) {
			err("out of memory");
			return -1;
		}
		(*pending)++;
		msg("%s: %s", ident, type);
	}
	return 0;
}

/* After a POST answered with the problem it tolerated: the CA may have
 * acted on an earlier copy whose answer was lost with the connection (the
 * copy sent again then meets a challenge or order that moved on). Re-reads
 * url and goes on when the order is processing or valid, or the challenge
 * no longer pending; else that problem is the error. 0 or -1. */
static int reread_after(struct acme *a, const char *post_url, const char *url, int order)
{
	char line[PROBLEM_LINE_MAX];

	acme_problem_line(a->resp.body, a->resp.body_len, line, sizeof line);
	if (post(a, url, NULL, 0, NULL, NULL) < 0 || parse_body(a, url) < 0)
		return -1;
	if (order ? status_is(a, "processing") || status_is(a, "valid") : !status_is(a, "pending"))
		return 0;
	str_copy(a->last_error, sizeof a->last_error, line);
	err("%s: %s", post_url, line);
	return -1;
}

/* Tells the CA every answer is ready; a challenge that is already invalid
 * in the response ends it. 0 or -1. */
static int respond_challenges(struct acme *a, struct authz *az, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc;

		if (az[i].challenge == NULL)
			continue;
		rc = post(a, az[i].challenge, "{}", 0, NULL, ERR_PREFIX "malformed");
		if (rc == -2)
			rc = reread_after(a, az[i].challenge, az[i].challenge, 0);
		if (rc < 0 || parse_body(a, az[i].challenge) < 0)
			return -1;
		if (status_is(a, "invalid")) {
			report_invalid(a, az[i].ident, 0);
			return -1;
		}
	}
	return 0;
}

/* 1 when the order in a->doc is pending or ready for exactly these names
 * (and the profile asked for, if any), else 0. */
static int order_matches(struct acme *a, const char *const *names, size_t nnames,
			 const struct acme_order_opts *opts)
{
	char value[ACME_MAX_NAME + 1];
	int ids = json_get(&a->doc, 0, "identifiers"), i;
	size_t k, j;

	if (!(status_is(a, "pending") || status_is(a, "ready")) ||
	    json_array_len(&a->doc, ids) != (int)nnames)
		return 0;
	if (opts->profile != NULL && !json_streq(&a->doc, json_get(&a->doc, 0, "profile"), opts->profile))
		return 0;
	for (k = 0, i = ids + 1; k < nnames; k++, i = json_skip(&a->doc, i)) {
		if (json_get_string(&a->doc, i, "value", value, sizeof value) < 0)
			return 0;
		for (j = 0; j < nnames && strcmp(names[j], value) != 0; j++)
			;
		if (j == nnames)
			return 0;
	}
	return 1;
}

/* newOrder met badNonce: its nonce was spent, perhaps by an earlier copy
 * whose answer was lost with the connection and on which the CA acted.
 * Reads the account's orders list (RFC 8555 §7.1.2.1; Let's Encrypt keeps
 * none, and hands the same pending order back instead) to its last page
 * and adopts the last order there when it matches. 0 adopted (its body in
 * a->doc, its URL in order_url), 1 no such order, -1 error. */
static int find_lost_order(struct acme *a, const char *const *names, size_t nnames,
			   const struct acme_order_opts *opts, char *order_url)
{
	char page[HTTP_MAX_URL];
	struct url u;
	int pages = 0;

	order_url[0] = '\0';
	if (post(a, a->kid, NULL, 0, NULL, NULL) < 0 || parse_body(a, a->kid) < 0 ||
	    get_url(a, 0, "orders", page, sizeof page, a->kid, 0) < 0)
		return -1;
	while (page[0] != '\0' && pages++ < ACME_MAX_ORDER_PAGES) {
		int arr, n, last, i;

		if (post(a, page, NULL, 0, NULL, NULL) < 0 || parse_body(a, page) < 0)
			return -1;
		arr = json_get(&a->doc, 0, "orders");
		n = json_array_len(&a->doc, arr); /* -1: none */
		for (last = -1, i = arr + 1; n-- > 0; i = json_skip(&a->doc, i))
			last = i;
		if (last >= 0 &&
		    (json_string(&a->doc, last, order_url, HTTP_MAX_URL) < 0 || url_parse(order_url, &u) < 0)) {
			err("%s: an order in the list is not an https:// URL", page);
			return -1;
		}
		str_copy(page, sizeof page, a->resp.link_next);
	}
	if (order_url[0] == '\0')
		return 1;
	if (post(a, order_url, NULL, 0, NULL, NULL) < 0 || parse_body(a, order_url) < 0)
		return -1;
	if (!order_matches(a, names, nnames, opts)) {
		order_url[0] = '\0';
		return 1;
	}
	msg("adopting %s, made from an earlier copy of newOrder", order_url);
	return 0;
}

static int new_order(struct acme *a, const char *const *names, size_t nnames,
		     const struct acme_order_opts *opts, char *order_url)
{
	struct jw w;
	int rc;

	jw_init(&w, a->payload, ACME_MAX_JWS);
	jw_obj_begin(&w);
	jw_key(&w, "identifiers");
	jw_arr_begin(&w);
	for (size_t i = 0; i < nnames; i++) {
		jw_obj_begin(&w);
		jw_key(&w, "type");
		jw_str(&w, acme_ident_is_ip(names[i]) ? "ip" : "dns");
		jw_key(&w, "value");
		jw_str(&w, names[i]);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	if (opts->profile != NULL) {
		jw_key(&w, "profile");
		jw_str(&w, opts->profile);
	}
	if (opts->replaces != NULL) {
		jw_key(&w, "replaces");
		jw_str(&w, opts->replaces);
	}
	jw_obj_end(&w);
	if (jw_finish(&w) < 0) {
		err("order for %zu names does not fit in %d bytes", nnames, ACME_MAX_JWS);
		return -1;
	}
	rc = post(a, a->dir.new_order, a->payload, 0, NULL, ERR_PREFIX "badNonce");
	if (rc == -2) {
		vmsg("%s: badNonce: looking for an order made from an earlier copy", a->dir.new_order);
		rc = find_lost_order(a, names, nnames, opts, order_url);
		if (rc <= 0)
			return rc;
		rc = post(a, a->dir.new_order, a->payload, 0, NULL, NULL);
	}
	if (rc < 0 || parse_body(a, a->dir.new_order) < 0)
		return -1;
	if (a->resp.location[0] == '\0') {
		err("%s: no order URL (Location) in the response", a->dir.new_order);
		return -1;
	}
	str_copy(order_url, HTTP_MAX_URL, a->resp.location);
	return 0;
}

/* Finalizes with the CSR the key holder makes for the order's names. */
OWN_FRAME static int finalize(struct acme *a, const char *order_url, const char *finalize_url)
{
	struct jw w;
	int rc;

	/* the CSR (base64url) waits in the signed request's buffer, unused
	 * until the payload made of it is signed */
	ask_new(ASK_CSR);
	if (ask(a, NULL, 0, a->jws, ACME_MAX_JWS) < 0)
		return -1;
	jw_init(&w, a->payload, ACME_MAX_JWS);
	jw_obj_begin(&w);
	jw_key(&w, "csr");
	jw_str(&w, a->jws);
	jw_obj_end(&w);
	if (jw_finish(&w) < 0)
		return -1;
	msg("finalizing");
	rc = post(a, finalize_url, a->payload, 0, NULL, ERR_PREFIX "orderNotReady");
	if (rc == -2)
		rc = reread_after(a, finalize_url, order_url, 1);
	if (rc < 0 || parse_body(a, finalize_url) < 0 ||
	    (status_is(a, "processing") && poll_order(a, order_url, "processing", NULL, 0) < 0))
		return -1;
	if (!status_is(a, "valid")) {
		err("%s: order did not become valid after finalization", order_url);
		return -1;
	}
	return 0;
}

/* Topmost issuer CN of a PEM chain (the issuer of its last certificate). */
static int chain_top_issuer(const char *pem, size_t len, char *cn, size_t cap)
{
	unsigned char *der = malloc(len + 1);
	struct chain ch;
	struct cert_ids ids;
	int ret = -1;

	if (der != NULL && chain_from_pem(pem, len, der, len + 1, &ch) > 0 &&
	    cert_ids(der + ch.off[ch.n - 1], ch.len[ch.n - 1], &ids) == 0) {
		str_copy(cn, cap, ids.issuer_cn);
		ret = 0;
	}
	free(der);
	return ret;
}

/* Downloads the certificate chain, choosing the alternate whose topmost
 * issuer CN is `preferred` when one is offered. 0 or -1. */
OWN_FRAME static int download_chain(struct acme *a, const char *cert_url, const char *preferred)
{
	static const char accept[] = "application/pem-certificate-chain";
	char alt[HTTP_MAX_ALT][HTTP_MAX_URL], cn[128];
	int nalt;

	if (post(a, cert_url, NULL, 0, accept, NULL) < 0)
		return -1;
	if (preferred == NULL ||
	    (chain_top_issuer(a->resp.body, a->resp.body_len, cn, sizeof cn) == 0 &&
	     strcmp(cn, preferred) == 0))
		return 0;
	nalt = a->resp.nalt;
	memcpy(alt, a->resp.link_alt, sizeof alt);
	for (int i = 0; i < nalt; i++) {
		if (post(a, alt[i], NULL, 0, accept, NULL) < 0)
			return -1;
		if (chain_top_issuer(a->resp.body, a->resp.body_len, cn, sizeof cn) == 0 &&
		    strcmp(cn, preferred) == 0) {
			msg("using the alternate chain issued by \"%s\"", cn);
			return 0;
		}
	}
	msg("no chain issued by \"%s\" is offered; using the default chain", preferred);
	return nalt > 0 ? post(a, cert_url, NULL, 0, accept, NULL) : 0;
}

/* Orders a certificate for names (DNS names, "*." wildcards or IP
 * addresses; the first is the main one), has the key holder answer the
 * pending challenges and make the CSR, finalizes and downloads the chain.
 * On success the PEM chain is a->resp.body (a->resp.body_len bytes). 0 or -1. */
static int issue(struct acme *a, const char *const *names, size_t nnames, int method,
		 const struct acme_order_opts *opts)
{
	char order_url[HTTP_MAX_URL], finalize_url[HTTP_MAX_URL], cert_url[HTTP_MAX_URL];
	struct authz *az = NULL;
	size_t naz = 0, pending = 0;
	int arr, t, ret = -1;

	msg("ordering a certificate for %zu name%s (%s%s)%s%s%s%s", nnames, nnames == 1 ? "" : "s",
	    names[0], nnames > 1 ? ", ..." : "", opts->profile ? " profile " : "",
	    opts->profile ? opts->profile : "", opts->replaces ? " replacing " : "",
	    opts->replaces ? opts->replaces : "");
	if (new_order(a, names, nnames, opts, order_url) < 0)
		goto out;
	if (get_url(a, 0, "finalize", finalize_url, sizeof finalize_url, order_url, 1) < 0)
		goto out;
	arr = json_get(&a->doc, 0, "authorizations");
	if (json_array_len(&a->doc, arr) < 0 || a->doc.tok[arr].size > ACME_MAX_NAMES) {
		err("%s: missing or oversized authorizations list", order_url);
		goto out;
	}
	naz = (size_t)a->doc.tok[arr].size;
	az = alloc_zeroed(naz ? naz : 1, sizeof *az);
	if (az == NULL) {
		err("out of memory");
		goto out;
	}
	t = arr + 1;
	for (size_t i = 0; i < naz; i++, t = json_skip(&a->doc, t))
		if ((az[i].url = dup_string(a, t, "authorization", order_url)) == NULL)
			goto out;
	if (!status_is(a, "ready")) {
		if (!status_is(a, "pending")) {
			err("%s: new order is not pending", order_url);
			goto out;
		}
		if (prepare_authz(a, az, naz, method, &pending) < 0)
			goto out;
		if (pending > 0) {
			ask_new(ASK_CH_START);
			if (ask_plain(a) < 0)
				goto out;
			msg("validating %zu challenge%s", pending, pending == 1 ? "" : "s");
			if (respond_challenges(a, az, naz) < 0)
				goto out;
		}
		if (poll_order(a, order_url, "pending", az, naz) < 0)
			goto out;
		ask_new(ASK_CH_STOP);
		if (ask_plain(a) < 0)
			goto out;
		if (!status_is(a, "ready")) {
			err("%s: order is not ready after validation", order_url);
			goto out;
		}
	}
	if (finalize(a, order_url, finalize_url) < 0)
		goto out;
	if (get_url(a, 0, "certificate", cert_url, sizeof cert_url, order_url, 1) < 0)
		goto out;
	if (download_chain(a, cert_url, opts->preferred_chain) < 0)
		goto out;
	msg("certificate downloaded");
	ret = 0;
out:
	authz_free(az, naz);
	return ret;
}

/* ---- dns-persist-01 ---- */

/* The issuer domain names (space separated) of the dns-persist-01
 * challenge the CA offers for name, read from a new order. 0 or -1. */
static int persist_issuers(struct acme *a, const char *name, char *issuers, size_t cap)
{
	static const struct acme_order_opts none = { NULL, NULL, NULL };
	char order_url[HTTP_MAX_URL], authz_url[HTTP_MAX_URL], offered[128];
	int arr, chs, c;

	/* The issuer domain names come with a challenge: an order shows one. It
	 * stays pending and expires unused at the CA. */
	if (new_order(a, &name, 1, &none, order_url) < 0)
		return -1;
	arr = json_get(&a->doc, 0, "authorizations");
	if (json_array_len(&a->doc, arr) < 1 ||
	    json_string(&a->doc, arr + 1, authz_url, sizeof authz_url) < 0) {
		err("%s: order without authorizations", order_url);
		return -1;
	}
	if (post(a, authz_url, NULL, 0, NULL, NULL) < 0 || parse_body(a, authz_url) < 0)
		return -1;
	chs = json_get(&a->doc, 0, "challenges");
	c = chs + 1;
	for (int k = 0; k < json_array_len(&a->doc, chs); k++, c = json_skip(&a->doc, c))
		if (json_streq(&a->doc, json_get(&a->doc, c, "type"), "dns-persist-01"))
			return issuer_names(a, c, issuers, cap, name);
	offered_types(a, offered, sizeof offered);
	err("%s: the CA offers no dns-persist-01 challenge (offered: %s)", name,
	    offered[0] ? offered : "none");
	return -1;
}

/* ---- account management ---- */

/* POST-as-GET of the account; prints its status and contacts. 0 or -1. */
static int account_show(struct acme *a)
{
	char status[32] = "?", contact[300];
	int arr, c;

	if (post(a, a->kid, NULL, 0, NULL, NULL) < 0 || parse_body(a, a->kid) < 0)
		return -1;
	json_get_string(&a->doc, 0, "status", status, sizeof status);
	out_fmt("account: %s\nstatus: %s\n", a->kid, status);
	arr = json_get(&a->doc, 0, "contact");
	c = arr + 1;
	for (int i = 0; i < json_array_len(&a->doc, arr); i++, c = json_skip(&a->doc, c))
		if (json_string(&a->doc, c, contact, sizeof contact) > 0)
			out_fmt("contact: %s\n", sanitize(contact, sizeof contact, contact, sizeof contact));
	return 0;
}

/* Replaces the account's contacts with mailto: the given addresses. 0 or -1. */
static int account_contacts(struct acme *a, const char *const *emails, size_t n)
{
	struct jw w;

	jw_init(&w, a->payload, ACME_MAX_JWS);
	jw_obj_begin(&w);
	jw_key(&w, "contact");
	jw_arr_begin(&w);
	for (size_t i = 0; i < n; i++) {
		char mailto[300];

		str_fmt(mailto, sizeof mailto, "mailto:%s", emails[i]);
		jw_str(&w, mailto);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (jw_finish(&w) < 0 || post(a, a->kid, a->payload, 0, NULL, NULL) < 0)
		return -1;
	msg("account contacts updated");
	return 0;
}

/* Deactivates the account for good. 0 or -1. */
static int account_deactivate(struct acme *a)
{
	if (post(a, a->kid, "{\"status\":\"deactivated\"}", 0, NULL, NULL) < 0 ||
	    parse_body(a, a->kid) < 0)
		return -1;
	if (!json_streq(&a->doc, json_get(&a->doc, 0, "status"), "deactivated")) {
		err("%s: the CA did not deactivate the account", a->kid);
		return -1;
	}
	msg("account %s deactivated", a->kid);
	return 0;
}

/* RFC 8555 §7.3.5 key change from the account key (old_jwk) to the key
 * holder's new one; the parent uses and saves it after this returns 0. */
static int key_rollover(struct acme *a, const char *old_jwk)
{
	char *inner = NULL;
	struct jw w;
	int ret = -1;

	if (a->dir.key_change[0] == '\0') {
		err("the CA's directory has no keyChange URL");
		return -1;
	}
	inner = malloc(ACME_MAX_JWS);
	if (inner == NULL)
		goto out;
	jw_init(&w, a->payload, ACME_MAX_JWS);
	jw_obj_begin(&w);
	jw_key(&w, "account");
	jw_str(&w, a->kid);
	jw_key(&w, "oldKey");
	jw_raw(&w, old_jwk);
	jw_obj_end(&w);
	/* The inner JWS: new key, embedded jwk, no nonce (RFC 8555 §7.3.5). */
	if (jw_finish(&w) < 0)
		goto out;
	ask_new(ASK_SIGN)->a = SIGN_NEW_ACCOUNT;
	msgs[1].b = 1;
	str_copy(msgs[1].s[0], sizeof msgs[1].s[0], a->dir.key_change);
	if (ask(a, a->payload, strlen(a->payload), inner, ACME_MAX_JWS) < 0)
		goto out;
	if (post(a, a->dir.key_change, inner, 0, NULL, NULL) < 0)
		goto out;
	msg("account key changed");
	ret = 0;
out:
	free(inner);
	return ret;
}

/* Revokes a DER certificate, signed by the account or, by_cert_key, by the
 * certificate's key (jwk). reason < 0 omits it. 0; -2 when the account
 * may not revoke it (unauthorized: nothing printed); -1 with an error. */
static int revoke(struct acme *a, const unsigned char *der, size_t len, int reason, int by_cert_key)
{
	char *b64 = malloc(len * 4 / 3 + 4);
	struct jw w;
	int ret = -1;

	if (b64 == NULL || b64url_encode(b64, len * 4 / 3 + 4, der, len) < 0)
		goto out;
	jw_init(&w, a->payload, ACME_MAX_JWS);
	jw_obj_begin(&w);
	jw_key(&w, "certificate");
	jw_str(&w, b64);
	if (reason >= 0) {
		jw_key(&w, "reason");
		jw_int(&w, reason);
	}
	jw_obj_end(&w);
	if (jw_finish(&w) < 0)
		goto out;
	a->key = by_cert_key ? SIGN_CERT : SIGN_ACCOUNT;
	/* By the account, "unauthorized" is an answer (not its certificate) the
	 * caller acts on: -2, and no error printed. */
	ret = post(a, a->dir.revoke_cert, a->payload, by_cert_key, NULL,
		   by_cert_key ? NULL : ERR_PREFIX "unauthorized");
	a->key = SIGN_ACCOUNT;
out:
	free(b64);
	return ret;
}

/* ---- ARI ---- */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

int64_t acme_parse_time(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec;
	int64_t t;
	const char *p;

	for (size_t i = 0; i < sizeof shape - 1; i++)
		if (shape[i] == 'd' ? !is_digit(s[i])
				    : (s[i] != shape[i] && !(shape[i] == 'T' && s[i] == 't')))
			return -1;
#define NUM2(i) ((s[i] - '0') * 10 + (s[(i) + 1] - '0'))
	y = NUM2(0) * 100 + NUM2(2);
	mo = NUM2(5);
	d = NUM2(8);
	h = NUM2(11);
	mi = NUM2(14);
	sec = NUM2(17);
	p = s + sizeof shape - 1;
	if (*p == '.') { /* a fraction has at least one digit (RFC 3339 time-secfrac) */
		if (!is_digit(*++p))
			return -1;
		while (is_digit(*p))
			p++;
	}
	/* February 29th only in leap years; 60 seconds for a leap second */
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0))) || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	t = time_from_civil(y, mo, d, h, mi, sec);
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && is_digit(p[1]) && is_digit(p[2]) && p[3] == ':' &&
		   is_digit(p[4]) && is_digit(p[5])) {
		int64_t oh = NUM2(p - s + 1), om = NUM2(p - s + 4);

		if (oh > 23 || om > 59)
			return -1;
		t += *p == '+' ? -(oh * 3600 + om * 60) : oh * 3600 + om * 60;
		p += 6;
	} else {
		return -1;
	}
#undef NUM2
	return *p == '\0' ? t : -1;
}

/* RFC 9773: fetches the suggested renewal window for cert_id into *start
 * and *end (epoch seconds), its Retry-After into a->retry_after. 0 or -1. */
static int renewal_info(struct acme *a, const char *cert_id, int64_t *start, int64_t *end)
{
	char url[HTTP_MAX_URL], ts[64];
	int win;

	if (a->dir.renewal_info[0] == '\0')
		return -1;
	if ((size_t)str_fmt(url, sizeof url, "%s%s%s", a->dir.renewal_info,
			     a->dir.renewal_info[strlen(a->dir.renewal_info) - 1] == '/' ? "" : "/",
			     cert_id) >= sizeof url)
		return -1;
	if (http(a, "GET", url, "application/json", NULL, 0, 1) < 0)
		return -1;
	take_nonce(a);
	if (a->resp.status != 200) {
		report_problem(a, url);
		return -1;
	}
	if (parse_body(a, url) < 0)
		return -1;
	win = json_get(&a->doc, 0, "suggestedWindow");
	if (json_get_string(&a->doc, win, "start", ts, sizeof ts) < 0 ||
	    (*start = acme_parse_time(ts)) < 0 ||
	    json_get_string(&a->doc, win, "end", ts, sizeof ts) < 0 ||
	    (*end = acme_parse_time(ts)) < 0 || *end < *start) {
		err("%s: malformed suggestedWindow", url);
		return -1;
	}
	a->retry_after = a->resp.retry_after;
	return 0;
}

/* ---- the operations ---- */

int acme_serve(struct http_client *c, int rfd, int wfd)
{
	static struct acme a;
	struct netmsg *op = &msgs[0];
	const char *names[ACME_MAX_NAMES];
	char *in = a.op_body, issuers[DNS01_ISSUERS_MAX];
	int ret = -1;

	/* a is static, zero since the process started: nothing is cleared,
	 * so the pages of what is never used stay untouched */
	a.http = c;
	a.rfd = rfd;
	a.wfd = wfd;
	a.poll_timeout_ms = ACME_POLL_TIMEOUT_MS;
	/* end of input (the parent is done) is the normal end */
	while (netmsg_recv(rfd, op, in, NETPROC_MAX_BODY) == 0) {
		struct acme_order_opts opts = { op->s[0][0] ? op->s[0] : NULL, op->s[1][0] ? op->s[1] : NULL,
						op->s[2][0] ? op->s[2] : NULL };
		const char *out = NULL;
		size_t n = 0;
		int rc = -1;

		/* the parent's own texts, checked there; capped here all the same */
		for (int i = 0; i < NETMSG_TEXTS; i++)
			op->s[i][HTTP_MAX_URL - 1] = '\0';
		for (const char *p = in; n < ACME_MAX_NAMES && p < in + op->body_len; p += strlen(p) + 1)
			names[n++] = p;
		a.problem_type[0] = a.last_error[0] = '\0';
		a.retry_after = -1;
		a.key = SIGN_ACCOUNT;
		/* each result goes in the operation's place once its inputs are used */
		switch (op->type) {
		case OP_DIRECTORY:
			rc = get_directory(&a, op->s[0]);
			str_copy(op->s[0], HTTP_MAX_URL, a.dir.terms_of_service);
			str_copy(op->s[1], HTTP_MAX_URL, a.dir.profiles);
			op->c = a.dir.renewal_info[0] != '\0';
			break;
		case OP_ACCOUNT:
			rc = account(&a, op->s[0], op->s[1][0] ? op->s[1] : NULL, op->a, op->b);
			str_copy(op->s[0], HTTP_MAX_URL, a.kid);
			break;
		case OP_SHOW:
			rc = account_show(&a);
			break;
		case OP_CONTACTS:
			rc = account_contacts(&a, names, n);
			break;
		case OP_DEACTIVATE:
			rc = account_deactivate(&a);
			break;
		case OP_ROLLOVER:
			rc = key_rollover(&a, op->s[0]);
			break;
		case OP_REVOKE:
			rc = revoke(&a, (const unsigned char *)in, op->body_len, op->a, op->b);
			break;
		case OP_RENEWAL_INFO:
			rc = renewal_info(&a, op->s[0], &op->c, &op->d);
			break;
		case OP_ISSUE:
			/* the parent's own method, in range all the same */
			rc = n > 0 && op->a >= 0 && op->a <= CHALLENGE_DNS_PERSIST01
				     ? issue(&a, names, n, op->a, &opts) : -1;
			if (rc == 0)
				out = a.resp.body;
			break;
		case OP_PERSIST:
			rc = persist_issuers(&a, op->s[0], issuers, sizeof issuers);
			str_copy(op->s[0], HTTP_MAX_URL, rc == 0 ? issuers : "");
			break;
		}
		op->type = ASK_RESULT;
		op->a = rc;
		op->b = (int32_t)a.retry_after;
		op->connects = c->connects;
		op->requests = c->requests;
		op->body_len = out != NULL ? (uint32_t)a.resp.body_len : 0;
		sanitize(op->s[0], HTTP_MAX_URL, op->s[0], HTTP_MAX_URL);
		sanitize(op->s[1], HTTP_MAX_URL, op->s[1], HTTP_MAX_URL);
		sanitize(op->s[2], HTTP_MAX_URL, a.problem_type, sizeof a.problem_type);
		sanitize(op->line, NETMSG_LINE, a.last_error, sizeof a.last_error);
		if (netmsg_send(wfd, op, out) < 0)
			goto out;
	}
	ret = 0;
out:
	http_response_free(&a.resp);
	return ret;
}
