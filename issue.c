/* issue.c - see issue.h */
#include "issue.h"
#include "cert.h"
#include "challenge.h"
#include "jws.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PEM (64 * 1024)

void run_init(struct run *r, const struct run_opts *o)
{
	r->o = o;
	netproc_init(&r->net);
	r->ca_ready = 0;
	r->server[0] = '\0';
	r->have_account = 0;
	memset(&r->account, 0, sizeof r->account);
}

void run_free(struct run *r)
{
	if (r->net.pid > 0) {
		vmsg("%u HTTP requests over %u TCP connection%s", r->net.requests, r->net.connects,
		     r->net.connects == 1 ? "" : "s");
		netproc_stop(&r->net);
	}
	r->ca_ready = 0;
	key_free(&r->account);
}

int run_directory(struct run *r, const char *server)
{
	if (r->ca_ready && r->server[0] != '\0' && strcmp(r->server, server) == 0)
		return 0;
	if (r->net.pid <= 0 &&
	    netproc_start(&r->net, r->o->ca_file, r->o->timeout_s * 1000, r->o->user_uid,
			  r->o->user_gid) < 0)
		return -1;
	r->have_account = 0;
	r->server[0] = '\0';
	if (!r->ca_ready)
		ca_init(&r->ca, &r->net);
	r->ca_ready = 1;
	/* the account and its key belong to the CA loaded before */
	if (ca_directory(&r->ca, server) < 0) {
		key_free(&r->account);
		return -1;
	}
	key_free(&r->account);
	str_copy(r->server, sizeof r->server, server);
	return 0;
}

/* Loads the account key, creating one only when an account may be created.
 * Returns 0 loaded, 1 created, 2 absent (and not created), -1 error. */
OWN_FRAME static int account_key(const char *acct_dir, int agree_tos, struct key *k)
{
	char path[STORE_MAX_PATH], pem[KEY_MAX_PEM + 1024];
	size_t len = 0;
	int rc, ret = -1;

	if (store_path(path, sizeof path, acct_dir, "key.pem") < 0)
		goto out;
	rc = store_read_secret(path, pem, sizeof pem, &len);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		if (key_from_pem(k, pem, len) < 0) {
			err("%s: not a valid private key (PEM PKCS#8, SEC1 or PKCS#1)", path);
			goto out;
		}
		if (k->type != KEY_EC256) {
			err("%s: account key must be EC P-256", path);
			key_free(k);
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (!agree_tos) {
		ret = 2;
		goto out;
	}
	if (key_generate(k, KEY_EC256) < 0) {
		err("cannot generate the account key");
		goto out;
	}
	if (store_mkdirs(acct_dir, 0700) < 0 || (rc = key_to_pem(k, pem, sizeof pem)) < 0 ||
	    store_write(path, pem, (size_t)rc, 0600) < 0) {
		key_free(k);
		goto out;
	}
	msg("new account key %s", path);
	ret = 1;
out:
	wipe(pem, sizeof pem);
	return ret;
}

int run_account(struct run *r, const char *email)
{
	char acct_dir[STORE_MAX_PATH], url_path[STORE_MAX_PATH], kid[HTTP_MAX_URL];
	struct acme_eab eab = { r->o->eab_kid, r->o->eab_hmac_key };
	int rc;

	if (r->have_account)
		return 0;
	if (store_account_dir(acct_dir, sizeof acct_dir, r->o->dir, r->server) < 0 ||
	    store_path(url_path, sizeof url_path, acct_dir, "url") < 0) {
		err("--dir %s: path too long", r->o->dir);
		return -1;
	}
	rc = account_key(acct_dir, r->o->agree_tos, &r->account);
	if (rc < 0)
		return -1;
	if (rc == 2) {
		char tos[160];

		sanitize(tos, sizeof tos, r->ca.terms_of_service, sizeof r->ca.terms_of_service);
		err("no account for %s in %s: read the terms of service%s%s and pass --agree-tos "
		    "to create one", r->server, r->o->dir, tos[0] ? " at " : "", tos);
		return -1;
	}
	kid[0] = '\0';
	rc = store_read(url_path, kid, sizeof kid, NULL);
	if (rc < 0)
		return -1;
	kid[strcspn(kid, "\r\n")] = '\0';
	if (ca_account(&r->ca, &r->account, kid, email, r->o->agree_tos, eab.kid ? &eab : NULL) < 0)
		return -1;
	if (kid[0] == '\0' && store_write(url_path, r->ca.kid, strlen(r->ca.kid), 0600) < 0)
		return -1;
	r->have_account = 1;
	return 0;
}

int read_installed_cert(const char *dir, const char *name, unsigned char *buf, size_t cap)
{
	char path[STORE_MAX_PATH];
	char *pem = malloc(MAX_PEM);
	struct chain ch;
	size_t len = 0;
	int rc, ret = -1;

	if (pem == NULL) {
		err("out of memory");
		return -1;
	}
	if ((size_t)str_fmt(path, sizeof path, "%s/%s/cert.pem", dir, name) >= sizeof path) {
		err("%s/%s: path too long", dir, name);
		goto out;
	}
	rc = store_read(path, pem, MAX_PEM, &len);
	if (rc != 0) {
		ret = rc == 1 ? 0 : -1;
		goto out;
	}
	if (chain_from_pem(pem, len, buf, cap, &ch) < 1) {
		err("%s: not a PEM certificate", path);
		goto out;
	}
	memmove(buf, buf + ch.off[0], ch.len[0]);
	ret = (int)ch.len[0];
out:
	free(pem);
	return ret;
}

/* Checks the downloaded chain against the order and our key, and that it is
 * not older than the installed certificate. 0 or -1. */
static int verify_chain(const struct cert_settings *s, const struct chain *ch,
			const struct key *k, const struct cert_info *installed,
			struct cert_info *ci)
{
	const unsigned char *leaf = ch->buf + ch->off[0];
	size_t leaf_len = ch->len[0];

	if (cert_validity(leaf, leaf_len, ci) < 0) {
		err("issued certificate: cannot read its validity");
		return -1;
	}
	if (!cert_key_matches(leaf, leaf_len, k)) {
		err("issued certificate: public key is not the one we sent in the CSR");
		return -1;
	}
	for (size_t i = 0; i < s->nnames; i++) {
		unsigned char ip[16];
		int v4 = inet_pton(AF_INET, s->names[i], ip) == 1;

		if ((v4 || inet_pton(AF_INET6, s->names[i], ip) == 1
			     ? cert_has_ip_address(leaf, leaf_len, ip, v4 ? 4 : 16)
			     : cert_has_dns_name(leaf, leaf_len, s->names[i])) != 1) {
			err("issued certificate: does not cover %s", s->names[i]);
			return -1;
		}
	}
	if (ci->not_after <= ci->not_before) {
		err("issued certificate: notAfter is not after notBefore");
		return -1;
	}
	if (installed != NULL && installed->not_before > ci->not_before) {
		err("issued certificate is older than the installed one; keeping %s", s->names[0]);
		return -1;
	}
	return 0;
}

/* Writes the verified chain and key as the new generation for names[0]. */
static int install(const struct run *r, const struct cert_settings *s, const char *pem,
		   size_t pem_len, const struct key *k, const struct cert_info *ci)
{
	char *full = NULL, *settings = NULL, *combined = NULL, keypem[KEY_MAX_PEM];
	unsigned char *der = NULL;
	struct chain ch;
	struct cert_files files;
	char when[TIME_TEXT_MAX];
	int leaf_len, ret = -1;

	der = malloc(pem_len + 1);
	full = malloc(MAX_PEM);
	settings = malloc(STORE_MAX_SETTINGS);
	if (der == NULL || full == NULL || settings == NULL) {
		err("out of memory");
		goto out;
	}
	/* The leaf alone first: its length splits fullchain into cert and chain. */
	if (chain_from_pem(pem, pem_len, der, pem_len + 1, &ch) < 0 ||
	    (leaf_len = chain_to_pem(&ch, 0, 1, full, MAX_PEM)) < 0 ||
	    chain_to_pem(&ch, 0, ch.n, full, MAX_PEM) < 0) {
		err("issued chain does not fit in %d bytes", MAX_PEM);
		goto out;
	}
	if (key_to_pem(k, keypem, sizeof keypem) < 0 ||
	    settings_format(s, settings, STORE_MAX_SETTINGS) < 0) {
		err("cannot encode the key or settings");
		goto out;
	}
	files = (struct cert_files){ keypem, full, (size_t)leaf_len, settings, NULL };
	if (s->publish[0]) {
		size_t fl = strlen(full), kl = strlen(keypem);

		combined = malloc(fl + kl + 1);
		if (combined == NULL) {
			err("out of memory");
			goto out;
		}
		memcpy(combined, full, fl);
		memcpy(combined + fl, keypem, kl + 1);
		files.combined = combined;
	}
	if (store_mkdirs(r->o->dir, 0700) < 0 || store_install(r->o->dir, s->names[0], &files) < 0)
		goto out;
	time_format(ci->not_after, when, sizeof when);
	msg("certificate for %s installed in %s/%s (expires %s)", s->names[0], r->o->dir,
	    s->names[0], when);
	ret = 0;
out:
	wipe(keypem, sizeof keypem);
	if (combined != NULL) {
		wipe(combined, strlen(combined));
		free(combined);
	}
	free(der);
	free(full);
	free(settings);
	return ret;
}

/* Runs program directly (no shell) as "program event" with the caller's
 * environment plus PICOACME_* variables naming the files. Its failure is a
 * warning: the certificate's state is what it is. */
static void run_event(const struct run *r, const struct cert_settings *s, const char *program,
		      const char *event)
{
	static char names_var[STORE_MAX_SETTINGS + 64]; /* up to 100 names */
	char vars[6][STORE_MAX_PATH + 64];
	static const char *const files[][2] = { { "KEY", "key.pem" }, { "CERT", "cert.pem" },
						 { "CHAIN", "chain.pem" }, { "FULLCHAIN", "fullchain.pem" } };
	char *env[7], *argv[3];
	size_t n;
	int bad = 0, rc;

	if (program[0] == '\0')
		return;
	str_fmt(vars[0], sizeof vars[0], "PICOACME_EVENT=%s", event);
	str_fmt(vars[1], sizeof vars[1], "PICOACME_DOMAIN=%s", s->names[0]);
	n = (size_t)str_fmt(names_var, sizeof names_var, "PICOACME_NAMES=");
	for (size_t i = 0; i < s->nnames; i++)
		n += (size_t)str_fmt(names_var + n, sizeof names_var - n, "%s%s", i ? " " : "",
				      s->names[i]);
	for (int i = 0; i < 4; i++)
		bad |= (size_t)str_fmt(vars[2 + i], sizeof vars[2 + i], "PICOACME_%s=%s/%s/%s",
					files[i][0], r->o->dir, s->names[0], files[i][1]) >= sizeof vars[2 + i];
	if (bad) {
		warn("%s: paths too long; not run", program);
		return;
	}
	for (int i = 0; i < 6; i++)
		env[i] = vars[i];
	env[6] = names_var;
	argv[0] = (char *)program;
	argv[1] = (char *)event;
	argv[2] = NULL;
	rc = run_program(program, argv, env, 7);
	if (rc > 0)
		warn("%s %s: exit status %d%s", program, event, rc,
		     strchr(event, '-') ? "" : "; the new certificate stays installed");
	else if (rc == 0)
		msg("%s %s done", program, event);
}

int run_issue(struct run *r, const struct cert_settings *s, const char *replaces,
	      const struct cert_info *installed)
{
	static struct challenger chal;
	static struct key cert_key;
	struct acme_order_opts opts = { s->profile[0] ? s->profile : NULL, replaces,
					s->preferred_chain[0] ? s->preferred_chain : NULL };
	enum key_type kt = KEY_EC256;
	unsigned char *der = NULL;
	struct chain ch;
	struct cert_info ci;
	int ret = -1;

	struct challenge_config cc = { s->challenge, s->http_listen[0] ? s->http_listen : NULL,
				       s->alpn_listen[0] ? s->alpn_listen : NULL, s->webroot, s->dns_hook,
				       s->dns_wait, r->o->user_uid, r->o->user_gid };

	challenger_init(&chal);
	if (s->key_type[0] && key_type_parse(s->key_type, &kt) < 0) {
		err("%s: unknown key type %s", s->names[0], s->key_type);
		goto out;
	}
	/* Local problems first: nothing is sent before they are ruled out. */
	if (store_prepare(r->o->dir) < 0)
		goto out;
	if (challenger_setup(&chal, &cc) < 0)
		goto out;
	if (run_directory(r, s->server) < 0 || run_account(r, s->email[0] ? s->email : NULL) < 0)
		goto out;
	if (opts.profile != NULL) {
		const char *p = r->ca.profiles;
		size_t pl = strlen(opts.profile);
		int found = 0;

		while (*p) {
			size_t l = strcspn(p, " ");

			found |= l == pl && strncmp(p, opts.profile, pl) == 0;
			p += l + (p[l] == ' ');
		}
		if (!found) {
			err("--profile %s: not offered by %s (offered: %s)", opts.profile, r->server,
			    r->ca.profiles[0] ? r->ca.profiles : "none");
			goto out;
		}
	}
	if (key_generate(&cert_key, kt) < 0) {
		err("cannot generate a %s certificate key", key_type_name(kt));
		goto out;
	}
	if (ca_issue(&r->ca, s->names, s->nnames, &cert_key, &chal, &opts) < 0)
		goto out;
	der = malloc(r->ca.body_len + 1);
	if (der == NULL) {
		err("out of memory");
		goto out;
	}
	if (chain_from_pem(r->ca.body, r->ca.body_len, der, r->ca.body_len + 1, &ch) < 0) {
		err("downloaded certificate chain is not valid PEM");
		goto out;
	}
	if (verify_chain(s, &ch, &cert_key, installed, &ci) < 0 ||
	    install(r, s, r->ca.body, r->ca.body_len, &cert_key, &ci) < 0)
		goto out;
	if (s->publish[0] && store_publish(r->o->dir, s->names[0], s->publish) < 0)
		goto out;
	ret = 0;
	run_event(r, s, s->hook, installed ? "renewed" : "issued");
out:
	free(der);
	/* the listeners and DNS records are gone before anyone is told */
	challenger_stop(&chal);
	if (ret < 0)
		run_event(r, s, s->notify, installed ? "renew-failed" : "issue-failed");
	else
		run_event(r, s, s->notify, installed ? "renewed" : "issued");
	key_free(&cert_key);
	return ret;
}
