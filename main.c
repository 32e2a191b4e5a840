/* main.c - command line: picoacme issue ... Ties the store, the account,
 * the ACME exchange and the verification of the result together.
 * Exit codes: 0 a certificate was written, 1 error. */
#include "acme.h"
#include "cert.h"
#include "challenge.h"
#include "http.h"
#include "jws.h"
#include "key.h"
#include "store.h"
#include "util.h"

#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_DIR "/etc/picoacme"
#define DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define LE_PROD "https://acme-v02.api.letsencrypt.org/directory"
#define LE_STAGING "https://acme-staging-v02.api.letsencrypt.org/directory"
#define MAX_PEM (64 * 1024)

struct options {
	const char *names[ACME_MAX_NAMES];
	size_t nnames;
	const char *dir;
	const char *server;
	const char *ca_file;
	const char *email;
	const char *http_listen;
	const char *webroot;
	enum key_type key_type;
	int agree_tos;
	int timeout_s;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: picoacme issue -d NAME [-d NAME ...] [options]\n"
		"       picoacme --help | --version\n"
		"\n"
		"issue options:\n"
		"  -d, --domain NAME        a name for the certificate (repeat; first is the main one)\n"
		"      --dir DIR            state directory (default " DEFAULT_DIR ")\n"
		"      --server URL|NAME    ACME directory URL, or letsencrypt (default),\n"
		"                           letsencrypt-staging\n"
		"      --ca FILE            PEM trust anchors for the CA connection\n"
		"                           (default " DEFAULT_CA_FILE ")\n"
		"      --email ADDR         contact address for a new account\n"
		"      --agree-tos          agree to the CA's terms of service (new account)\n"
		"      --key-type TYPE      ec256 (default), ec384, rsa2048, rsa3072, rsa4096\n"
		"      --http-listen ADDR:PORT  where the built-in http-01 responder listens\n"
		"                           (default port 80 on every address)\n"
		"      --webroot DIR        write challenge files under DIR/.well-known/acme-challenge\n"
		"                           for a web server that already holds port 80\n"
		"      --timeout SECONDS    limit for each HTTP request, connect to last byte\n"
		"                           (default 30)\n"
		"  -v, --verbose            also print HTTP status lines\n"
		"\n"
		"exit status: 0 a certificate was written, 1 error\n");
}

static const char *server_url(const char *s)
{
	if (strcmp(s, "letsencrypt") == 0)
		return LE_PROD;
	if (strcmp(s, "letsencrypt-staging") == 0)
		return LE_STAGING;
	return s;
}

static int email_valid(const char *e)
{
	const char *at = strchr(e, '@');
	size_t len = strlen(e);

	if (len < 3 || len > 254 || at == NULL || at == e || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (; *e; e++)
		if (*e <= 0x20 || *e >= 0x7f || *e == ',' || *e == '<' || *e == '>' || *e == '"')
			return 0;
	return 1;
}

/* Printable ASCII without spaces: safe in the flat settings file. */
static int path_valid(const char *p)
{
	if (*p == '\0')
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			return 0;
	return 1;
}

static int name_listed(const struct options *o, const char *name)
{
	for (size_t i = 0; i < o->nnames; i++)
		if (strcmp(o->names[i], name) == 0)
			return 1;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "dir", required_argument, NULL, 'D' },
		{ "server", required_argument, NULL, 'S' },
		{ "ca", required_argument, NULL, 'C' },
		{ "email", required_argument, NULL, 'E' },
		{ "agree-tos", no_argument, NULL, 'A' },
		{ "key-type", required_argument, NULL, 'K' },
		{ "http-listen", required_argument, NULL, 'L' },
		{ "webroot", required_argument, NULL, 'W' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof *o);
	o->dir = DEFAULT_DIR;
	o->server = LE_PROD;
	o->ca_file = DEFAULT_CA_FILE;
	o->key_type = KEY_EC256;
	o->timeout_s = HTTP_DEFAULT_TIMEOUT_MS / 1000;
	while ((c = getopt_long(argc, argv, "d:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': {
			char *name = optarg;

			for (char *p = name; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			if (strlen(name) > 0 && name[strlen(name) - 1] == '.')
				name[strlen(name) - 1] = '\0';
			if (!acme_name_valid(name)) {
				char safe[80];

				err("-d %s: not a valid DNS name%s", sanitize(safe, sizeof safe, name, strlen(name)),
				    name[0] == '*' ? " (wildcards need dns-01, which is not supported)" : "");
				return -1;
			}
			if (name_listed(o, name))
				break; /* a repeated -d adds nothing */
			if (o->nnames == ACME_MAX_NAMES) {
				err("-d: at most %d names per certificate", ACME_MAX_NAMES);
				return -1;
			}
			o->names[o->nnames++] = name;
			break;
		}
		case 'D': o->dir = optarg; break;
		case 'S': o->server = server_url(optarg); break;
		case 'C': o->ca_file = optarg; break;
		case 'E': o->email = optarg; break;
		case 'A': o->agree_tos = 1; break;
		case 'K':
			if (key_type_parse(optarg, &o->key_type) < 0) {
				err("--key-type %s: expected ec256, ec384, rsa2048, rsa3072 or rsa4096", optarg);
				return -1;
			}
			break;
		case 'L': o->http_listen = optarg; break;
		case 'W': o->webroot = optarg; break;
		case 'T': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end != '\0' || v < 1 || v > 3600) {
				err("--timeout %s: expected 1 to 3600 seconds", optarg);
				return -1;
			}
			o->timeout_s = (int)v;
			break;
		}
		case 'v': log_set_verbose(1); break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		err("unexpected argument: %s", argv[optind]);
		return -1;
	}
	if (o->nnames == 0) {
		err("issue: give at least one name with -d NAME");
		return -1;
	}
	if (o->email != NULL && !email_valid(o->email)) {
		err("--email: not a valid address");
		return -1;
	}
	if (o->http_listen != NULL && o->webroot != NULL) {
		err("--http-listen and --webroot exclude each other");
		return -1;
	}
	if (!path_valid(o->dir) || (o->webroot && !path_valid(o->webroot)) ||
	    (o->http_listen && !path_valid(o->http_listen))) {
		err("a path or address option is empty or contains control characters");
		return -1;
	}
	{
		struct url u;

		if (url_parse(o->server, &u) < 0) {
			err("--server %s: not an https:// URL or a known CA name", o->server);
			return -1;
		}
	}
	return 0;
}

/* Loads the account key, creating one only when an account may be created.
 * Returns 0 loaded, 1 created, -1 error. */
static int account_key(const char *acct_dir, int agree_tos, struct key *k, int *absent)
{
	char path[STORE_MAX_PATH], pem[KEY_MAX_PEM + 1024];
	size_t len = 0;
	int rc, ret = -1;

	*absent = 0;
	if (store_path(path, sizeof path, acct_dir, "key.pem") < 0)
		goto out;
	rc = store_read(path, pem, sizeof pem, &len);
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
	*absent = 1;
	if (!agree_tos) {
		ret = 1; /* caller reports with the terms URL */
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

/* Checks the downloaded chain against the order and our key, and that it is
 * newer than what is installed. 0 or -1. */
static int verify_chain(const struct options *o, const struct chain *ch, const struct key *k,
			struct cert_info *ci)
{
	const unsigned char *leaf = ch->buf + ch->off[0];
	size_t leaf_len = ch->len[0];
	char path[STORE_MAX_PATH], *old = NULL;
	size_t old_len = 0;
	int ret = -1;

	if (cert_validity(leaf, leaf_len, ci) < 0) {
		err("issued certificate: cannot read its validity");
		goto out;
	}
	if (!cert_key_matches(leaf, leaf_len, k)) {
		err("issued certificate: public key is not the one we sent in the CSR");
		goto out;
	}
	for (size_t i = 0; i < o->nnames; i++) {
		if (cert_has_dns_name(leaf, leaf_len, o->names[i]) != 1) {
			err("issued certificate: does not cover %s", o->names[i]);
			goto out;
		}
	}
	if (ci->not_after <= ci->not_before) {
		err("issued certificate: notAfter is not after notBefore");
		goto out;
	}
	/* Never replace an installed certificate with an older one. */
	old = malloc(MAX_PEM);
	if (old == NULL || snprintf(path, sizeof path, "%s/%s/cert.pem", o->dir, o->names[0]) >=
				   (int)sizeof path) {
		err("out of memory");
		goto out;
	}
	if (store_read(path, old, MAX_PEM, &old_len) == 0) {
		struct chain och;
		struct cert_info oci;
		unsigned char *der = malloc(old_len + 1);

		if (der != NULL && chain_from_pem(old, old_len, der, old_len + 1, &och) > 0 &&
		    cert_validity(der + och.off[0], och.len[0], &oci) == 0 &&
		    oci.not_before > ci->not_before) {
			free(der);
			err("issued certificate is older than the installed one; keeping %s", path);
			goto out;
		}
		free(der);
	}
	ret = 0;
out:
	free(old);
	return ret;
}

static int settings_text(const struct options *o, char *out, size_t cap)
{
	size_t n = 0;
	int w;

	w = snprintf(out, cap, "names=");
	n = (size_t)w;
	for (size_t i = 0; i < o->nnames && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? " " : "", o->names[i]);
	if (n < cap)
		n += (size_t)snprintf(out + n, cap - n,
				      "\nkey_type=%s\nserver=%s\nchallenge=%s\n%s%s%s%s%s%s",
				      key_type_name(o->key_type), o->server,
				      o->webroot ? "webroot" : "http-01",
				      o->webroot ? "webroot=" : "", o->webroot ? o->webroot : "",
				      o->webroot ? "\n" : "",
				      o->http_listen ? "http_listen=" : "",
				      o->http_listen ? o->http_listen : "",
				      o->http_listen ? "\n" : "");
	if (n < cap && o->email)
		n += (size_t)snprintf(out + n, cap - n, "email=%s\n", o->email);
	return n < cap ? 0 : -1;
}

/* Writes the verified chain and key as the new generation for names[0]. */
static int install(const struct options *o, const char *pem, size_t pem_len,
		   const struct key *k, const struct cert_info *ci)
{
	char *cert = NULL, *chain = NULL, *full = NULL, keypem[KEY_MAX_PEM];
	char settings[ACME_MAX_NAMES * (ACME_MAX_NAME + 1) + 2048];
	unsigned char *der = NULL;
	struct chain ch;
	struct cert_files files;
	char when[32];
	struct tm tm;
	time_t na = (time_t)ci->not_after;
	int ret = -1;

	der = malloc(pem_len + 1);
	cert = malloc(MAX_PEM);
	chain = malloc(MAX_PEM);
	full = malloc(MAX_PEM);
	if (der == NULL || cert == NULL || chain == NULL || full == NULL) {
		err("out of memory");
		goto out;
	}
	if (chain_from_pem(pem, pem_len, der, pem_len + 1, &ch) < 0 ||
	    chain_to_pem(&ch, 0, 1, cert, MAX_PEM) < 0 ||
	    chain_to_pem(&ch, 1, ch.n - 1, chain, MAX_PEM) < 0 ||
	    chain_to_pem(&ch, 0, ch.n, full, MAX_PEM) < 0) {
		err("issued chain does not fit in %d bytes", MAX_PEM);
		goto out;
	}
	if (key_to_pem(k, keypem, sizeof keypem) < 0 ||
	    settings_text(o, settings, sizeof settings) < 0) {
		err("cannot encode the key or settings");
		goto out;
	}
	files = (struct cert_files){ keypem, cert, chain, full, settings };
	if (store_mkdirs(o->dir, 0700) < 0 || store_install(o->dir, o->names[0], &files) < 0)
		goto out;
	gmtime_r(&na, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
	msg("certificate for %s installed in %s/%s (expires %s)", o->names[0], o->dir,
	    o->names[0], when);
	ret = 0;
out:
	wipe(keypem, sizeof keypem);
	free(der);
	free(cert);
	free(chain);
	free(full);
	return ret;
}

static int cmd_issue(const struct options *o)
{
	static struct http_client http; /* ~40 KiB of TLS and header buffers */
	static struct responder resp;
	static struct key account, cert_key;
	struct trust_anchors tas = { NULL, 0 };
	struct acme a;
	char acct_dir[STORE_MAX_PATH], url_path[STORE_MAX_PATH], kid[HTTP_MAX_URL];
	struct chain ch;
	struct cert_info ci;
	unsigned char *der = NULL;
	int have_key = 0, absent = 0, rc, ret = 1, acme_ready = 0;

	responder_init(&resp);
	if (store_account_dir(acct_dir, sizeof acct_dir, o->dir, o->server) < 0 ||
	    store_path(url_path, sizeof url_path, acct_dir, "url") < 0) {
		err("--dir %s: path too long", o->dir);
		goto out;
	}
	/* Local problems first: nothing is sent before they are ruled out. */
	if (o->webroot ? responder_webroot(&resp, o->webroot) < 0
		       : responder_listen(&resp, o->http_listen) < 0)
		goto out;
	rc = account_key(acct_dir, o->agree_tos, &account, &absent);
	if (rc < 0)
		goto out;
	have_key = !absent || o->agree_tos;
	kid[0] = '\0';
	if (have_key && (rc = store_read(url_path, kid, sizeof kid, NULL)) < 0)
		goto out;
	if (have_key && rc == 0)
		kid[strcspn(kid, "\r\n")] = '\0';
	if (trust_anchors_load(&tas, o->ca_file) < 0)
		goto out;
	http_init(&http, &tas);
	http.timeout_ms = o->timeout_s * 1000;
	if (acme_init(&a, &http) < 0)
		goto out;
	acme_ready = 1;
	if (acme_get_directory(&a, o->server) < 0)
		goto out;
	if (!have_key) {
		char tos[160];

		sanitize(tos, sizeof tos, a.dir.terms_of_service, sizeof a.dir.terms_of_service);
		err("no account for %s in %s: read the terms of service%s%s and pass --agree-tos "
		    "to create one", o->server, o->dir, tos[0] ? " at " : "", tos);
		goto out;
	}
	rc = acme_account(&a, &account, kid, o->email, o->agree_tos);
	if (rc < 0)
		goto out;
	if (kid[0] == '\0' && store_write(url_path, a.kid, strlen(a.kid), 0600) < 0)
		goto out;
	if (key_generate(&cert_key, o->key_type) < 0) {
		err("cannot generate a %s certificate key", key_type_name(o->key_type));
		goto out;
	}
	if (acme_issue(&a, o->names, o->nnames, &cert_key, &resp) < 0)
		goto out;
	der = malloc(a.resp.body_len + 1);
	if (der == NULL) {
		err("out of memory");
		goto out;
	}
	if (chain_from_pem(a.resp.body, a.resp.body_len, der, a.resp.body_len + 1, &ch) < 0) {
		err("downloaded certificate chain is not valid PEM");
		goto out;
	}
	if (verify_chain(o, &ch, &cert_key, &ci) < 0)
		goto out;
	if (install(o, a.resp.body, a.resp.body_len, &cert_key, &ci) < 0)
		goto out;
	vmsg("%u ACME requests over %u TCP connection%s", http.requests, http.connects,
	     http.connects == 1 ? "" : "s");
	ret = 0;
out:
	free(der);
	responder_stop(&resp);
	if (acme_ready) {
		http_close(&http);
		acme_free(&a);
	}
	trust_anchors_free(&tas);
	key_free(&account);
	key_free(&cert_key);
	return ret;
}

int main(int argc, char **argv)
{
	struct options o;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("picoacme " PICOACME_VERSION "\n");
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "issue") != 0) {
		err("unknown command '%s' (try --help)", argv[1]);
		return 1;
	}
	rc = parse_options(argc - 1, argv + 1, &o);
	if (rc != 0)
		return rc < 0 ? 1 : 0;
	return cmd_issue(&o);
}
