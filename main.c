/* main.c - the command line: issue, renew, status, account, revoke.
 * Exit codes: 0 a certificate was issued or renewed (or the command did
 * what it was asked), 1 error, 2 nothing was due. */
#include "acme.h"
#include "challenge.h"
#include "cert.h"
#include "issue.h"
#include "jws.h"
#include "renew.h"
#include "resolve.h"
#include "store.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_DIR "/etc/picoacme"
#define DEFAULT_RUN_DIR "/var/run/picoacme"
#define DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

static const struct {
	const char *name, *url;
} known_cas[] = {
	{ "letsencrypt", "https://acme-v02.api.letsencrypt.org/directory" },
	{ "letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory" },
	{ "zerossl", "https://acme.zerossl.com/v2/DV90" },
	{ "google", "https://dv.acme-v02.api.pki.goog/directory" },
};

struct options {
	struct run_opts run;
	struct cert_settings *cert; /* issue: the certificate asked for */
	const char *emails[8];
	size_t nemails;
	int deactivate;
	int rollover;
	int json;
	int reason;
	int days;
	int bare_domain;
	const char *challenge;      /* --challenge, or NULL */
	const char *persist_record; /* account --persist-record NAME */
	int wildcard;
	size_t nargs; /* names after the options, at argv[1..] of the command */
};

static void usage(int fd)
{
	/* Terse: every option, one line each; README.md explains them. */
	static const char text[] =
		"usage: picoacme issue -d NAME [-d NAME ...] [options]\n"
		"       picoacme renew [NAME ...] [options]\n"
		"       picoacme status [--json] [--dir DIR]\n"
		"       picoacme account [--email ADDR ...] [--deactivate] [--rollover] [options]\n"
		"       picoacme account --persist-record NAME [--wildcard] [options]\n"
		"       picoacme revoke NAME [--reason N] [options]\n"
		"options:\n"
		" --dir DIR         (default " DEFAULT_DIR ")\n"
		" --run-dir DIR     (default " DEFAULT_RUN_DIR ")\n"
		" --server URL|NAME letsencrypt (default), letsencrypt-staging, zerossl, google\n"
		" --ca FILE         (default " DEFAULT_CA_FILE ")\n"
		" --email ADDR, --agree-tos  (a new account)\n"
		" --eab-kid KID --eab-hmac-key KEY\n"
		" --timeout SECONDS (default 30)\n"
		" --user UID[:GID]  the network and responder processes', when root (default 65534)\n"
		" --syslog, -v\n"
		"issue options, recorded for renewals:\n"
		" -d NAME           DNS name, *.NAME or IP address (repeat; the first is the main one)\n"
		" --with-bare-domain  for each www.NAME also NAME\n"
		" --key-type TYPE   ec256 (default), ec384, rsa2048, rsa3072, rsa4096\n"
		" --challenge TYPE  http-01 (default), tls-alpn-01, dns-01, dns-persist-01\n"
		" --http-listen ADDR:PORT, --alpn-listen ADDR:PORT\n"
		" --webroot DIR     http-01 by files in DIR\n"
		" --dns-hook PROGRAM  PROGRAM add|remove NAME TXT-NAME TXT-VALUE\n"
		" --dns-wait SECONDS  (default 120)\n"
		" --profile NAME, --preferred-chain CN, --days N\n"
		" --hook PROGRAM    PROGRAM issued|renewed\n"
		" --notify PROGRAM  PROGRAM issued|renewed|issue-failed|renew-failed\n"
		" --publish PREFIX  keep PREFIX.crt .key .chain.crt .fullchain.crt .combined.crt\n"
		" --force           even when not due\n"
		"exit status: 0 issued (or done), 1 error, 2 nothing was due\n";

	if (write(fd, text, sizeof text - 1) < 0)
		return; /* nowhere left to report it */
}

static const char *server_url(const char *s)
{
	for (size_t i = 0; i < sizeof known_cas / sizeof known_cas[0]; i++)
		if (strcmp(s, known_cas[i].name) == 0)
			return known_cas[i].url;
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

/* No control characters: safe in the flat settings file and in messages. */
static int text_valid(const char *p)
{
	if (*p == '\0')
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			return 0;
	return 1;
}

static int name_listed(const struct cert_settings *s, const char *name)
{
	for (size_t i = 0; i < s->nnames; i++)
		if (strcmp(s->names[i], name) == 0)
			return 1;
	return 0;
}

static int add_domain(struct cert_settings *s, char *name)
{
	char canonical[INET6_ADDRSTRLEN];
	size_t len;

	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		name[len - 1] = '\0';
	if (acme_ident_is_ip(name)) {
		unsigned char b[16];
		int v4 = inet_pton(AF_INET, name, b) == 1;

		/* one spelling for each address (RFC 5952, as RFC 8738 asks) */
		if ((v4 || inet_pton(AF_INET6, name, b) == 1) &&
		    addr_text(b, v4 ? 4 : 16, canonical, sizeof canonical) == 0)
			name = canonical;
	} else if (!acme_name_valid(strncmp(name, "*.", 2) == 0 ? name + 2 : name)) {
		char safe[80];

		err("-d %s: not a valid DNS name or IP address",
		    sanitize(safe, sizeof safe, name, strlen(name)));
		return -1;
	}
	if (name_listed(s, name))
		return 0; /* a repeated -d adds nothing */
	if (settings_add_name(s, name) < 0) {
		err("-d: at most %d names per certificate", ACME_MAX_NAMES);
		return -1;
	}
	return 0;
}

/* Settles the method from --challenge, --webroot and the names, and adds
 * the bare names --with-bare-domain asks for. 0, or -1 with an error. */
static int choose_challenge(struct options *o)
{
	struct cert_settings *s = o->cert;
	const char *method = o->challenge;
	int wildcard = 0, ip = 0;

	for (size_t i = 0, n = s->nnames; o->bare_domain && i < n; i++)
		if (strncmp(s->names[i], "www.", 4) == 0 && acme_name_valid(s->names[i] + 4) &&
		    !name_listed(s, s->names[i] + 4) && settings_add_name(s, s->names[i] + 4) < 0) {
			err("--with-bare-domain: at most %d names per certificate", ACME_MAX_NAMES);
			return -1;
		}
	for (size_t i = 0; i < s->nnames; i++) {
		wildcard |= s->names[i][0] == '*';
		ip |= acme_ident_is_ip(s->names[i]);
	}
	/* a wildcard or a DNS hook means dns-01, --alpn-listen tls-alpn-01,
	 * unless http-01 is asked for */
	if (method == NULL && s->alpn_listen[0])
		method = "tls-alpn-01";
	if (method == NULL)
		method = (wildcard || s->dns_hook[0]) && !s->webroot[0] && !s->http_listen[0] ? "dns-01"
											  : "http-01";
	if (s->webroot[0] && strcmp(method, "http-01") != 0) {
		err("--webroot serves http-01, not %s", method);
		return -1;
	}
	if (wildcard && strncmp(method, "dns-", 4) != 0) {
		err("%s: a wildcard is validated by dns-01 or dns-persist-01 only, not %s", "-d *.NAME",
		    method);
		return -1;
	}
	if (ip && strncmp(method, "dns-", 4) == 0) {
		err("%s: an IP address is validated by http-01 or tls-alpn-01 only, not %s", "-d", method);
		return -1;
	}
	if ((s->http_listen[0] && strcmp(method, "http-01") != 0) ||
	    (s->alpn_listen[0] && strcmp(method, "tls-alpn-01") != 0)) {
		err("--%s-listen does not go with --challenge %s", s->http_listen[0] ? "http" : "alpn",
		    method);
		return -1;
	}
	if (strcmp(method, "dns-01") == 0 && s->dns_hook[0] == '\0') {
		err("dns-01 needs --dns-hook PROGRAM to publish the TXT records");
		return -1;
	}
	str_copy(s->challenge, sizeof s->challenge, s->webroot[0] ? "webroot" : method);
	return 0;
}

static int copy_opt(char *dst, size_t cap, const char *opt, const char *v)
{
	if (!text_valid(v) || strlen(v) >= cap) {
		err("%s: empty, too long or contains control characters", opt);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int parse_int(const char *opt, const char *v, int lo, int hi, int *out)
{
	const char *end;
	int64_t n = str_to_i64(v, &end);

	if (*v == '\0' || *end != '\0' || n < lo || n > hi) {
		err("%s %s: expected a number from %d to %d", opt, v, lo, hi);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* --user UID[:GID] takes numbers: a name lookup would bring 8 KiB of libc
 * (stdio, nscd) into the static binary. Root's ids are refused. */
static int parse_user(const char *v, struct run_opts *r)
{
	const char *end = v;
	int64_t uid = str_to_i64(v, &end), gid = uid;

	if (*end == ':' && end[1] >= '0' && end[1] <= '9')
		gid = str_to_i64(end + 1, &end);
	if (*v < '0' || *v > '9' || *end != '\0' || uid < 1 || gid < 1 || uid > 0x7fffffff ||
	    gid > 0x7fffffff) {
		err("--user %s: expected UID[:GID], numbers other than 0", v);
		return -1;
	}
	r->user_uid = (unsigned)uid;
	r->user_gid = (unsigned)gid;
	return 0;
}

struct opt_def {
	char name[17]; /* in place: no pointer and string apart per option */
	char code;    /* the switch case in parse_options */
	char has_arg; /* 1: takes a value */
};

static const struct opt_def opt_defs[] = {
	{ "domain", 'd', 1 },	    { "dir", 'D', 1 },	       { "run-dir", 'R', 1 },
	{ "server", 'S', 1 },	    { "ca", 'C', 1 },	       { "email", 'E', 1 },
	{ "agree-tos", 'A', 0 },    { "key-type", 'K', 1 },    { "http-listen", 'L', 1 },
	{ "webroot", 'W', 1 },	    { "timeout", 'T', 1 },     { "profile", 'P', 1 },
	{ "hook", 'H', 1 },	    { "preferred-chain", 'c', 1 }, { "days", 'y', 1 },
	{ "force", 'f', 0 },	    { "eab-kid", 'k', 1 },     { "eab-hmac-key", 'm', 1 },
	{ "syslog", 's', 0 },	    { "json", 'j', 0 },	       { "deactivate", 'x', 0 },
	{ "rollover", 'r', 0 },	    { "reason", 'N', 1 },      { "verbose", 'v', 0 },
	{ "help", 'h', 0 },	    { "challenge", 'g', 1 },   { "dns-hook", 'o', 1 },
	{ "dns-wait", 'w', 1 },	    { "with-bare-domain", 'b', 0 }, { "persist-record", 'p', 1 },
	{ "wildcard", 'z', 0 },	    { "alpn-listen", 'l', 1 },     { "notify", 'n', 1 },
	{ "publish", 'u', 1 },	    { "user", 'U', 1 },
};

/* The definition for "--name" (name may end in "=value"): an exact match, else
 * the one option it abbreviates. NULL, with the error reported, otherwise. */
static const struct opt_def *long_opt(const char *arg)
{
	const char *name = arg + 2;
	size_t len = strcspn(name, "=");
	const struct opt_def *found = NULL;
	int matches = 0;

	for (size_t i = 0; i < sizeof opt_defs / sizeof opt_defs[0]; i++) {
		if (strncmp(opt_defs[i].name, name, len) != 0)
			continue;
		if (opt_defs[i].name[len] == '\0')
			return &opt_defs[i];
		found = &opt_defs[i];
		matches++;
	}
	if (matches == 1 && len > 0)
		return found;
	{
		char shown[64];

		err("%s: %s option (try --help)", sanitize(shown, sizeof shown, arg, len + 2),
		    matches > 1 ? "ambiguous" : "unknown");
	}
	return NULL;
}

/* Options may come before or after the names (as with GNU getopt_long);
 * "--" ends them. The names are gathered in order at argv[1..], their count
 * in o->nargs. Returns 0, 1 after --help, or -1 with the error reported. */
static int parse_options(int argc, char **argv, const char *cmd, struct options *o)
{
	struct cert_settings *s = o->cert;
	const char *server = known_cas[0].url;
	static char no_value[] = "";
	int issue = strcmp(cmd, "issue") == 0, options_done = 0;

	o->run.dir = DEFAULT_DIR;
	o->run.run_dir = DEFAULT_RUN_DIR;
	o->run.ca_file = DEFAULT_CA_FILE;
	o->run.user_uid = o->run.user_gid = 65534;
	o->run.timeout_s = HTTP_DEFAULT_TIMEOUT_MS / 1000;
	o->reason = -1;
	str_copy(s->key_type, sizeof s->key_type, "ec256");
	str_copy(s->challenge, sizeof s->challenge, "http-01");
	o->nargs = 0;
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i], *optarg = NULL, opt[24]; /* "--name" for messages */
		const struct opt_def *def = NULL;
		char c;

		if (options_done || arg[0] != '-' || arg[1] == '\0') {
			argv[1 + o->nargs++] = argv[i]; /* never ahead of i: safe in place */
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			options_done = 1;
			continue;
		}
		if (arg[1] == '-') {
			def = long_opt(arg);
			if (def == NULL)
				return -1;
			optarg = strchr(arg, '=');
			if (optarg != NULL && !def->has_arg) {
				err("--%s takes no value", def->name);
				return -1;
			}
			if (optarg != NULL)
				optarg++;
		} else {
			for (size_t k = 0; strchr("dvh", arg[1]) != NULL && k < sizeof opt_defs / sizeof opt_defs[0];
			     k++)
				if (opt_defs[k].code == arg[1])
					def = &opt_defs[k];
			if (def == NULL || (!def->has_arg && arg[2] != '\0')) {
				err("%s: unknown option (try --help)", arg);
				return -1;
			}
			if (arg[2] != '\0')
				optarg = arg + 2;
		}
		if (def->has_arg && optarg == NULL) {
			if (i + 1 == argc) {
				err("--%s needs a value", def->name);
				return -1;
			}
			optarg = argv[++i];
		}
		if (optarg == NULL)
			optarg = no_value; /* options without a value never read it */
		c = def->code;
		str_fmt(opt, sizeof opt, "--%s", def->name);
		/* Certificate options only make sense where a certificate is issued. */
		if (!issue && strchr("dKLWPHcgowbl", c) != NULL) {
			err("%s: option --%s is for issue", cmd, def->name);
			return -1;
		}
		switch (c) {
		case 'd':
			if (add_domain(s, optarg) < 0)
				return -1;
			break;
		case 'D': o->run.dir = optarg; break;
		case 'R': o->run.run_dir = optarg; break;
		case 'S': server = server_url(optarg); break;
		case 'C': o->run.ca_file = optarg; break;
		case 'U':
			if (parse_user(optarg, &o->run) < 0)
				return -1;
			break;
		case 'E':
			if (!email_valid(optarg)) {
				err("--email: not a valid address");
				return -1;
			}
			if (o->nemails == sizeof o->emails / sizeof o->emails[0]) {
				err("--email: at most 8 addresses");
				return -1;
			}
			o->emails[o->nemails++] = optarg;
			break;
		case 'A': o->run.agree_tos = 1; break;
		case 'K': {
			enum key_type t;

			if (key_type_parse(optarg, &t) < 0) {
				err("--key-type %s: expected ec256, ec384, rsa2048, rsa3072 or rsa4096", optarg);
				return -1;
			}
			str_copy(s->key_type, sizeof s->key_type, key_type_name(t));
			break;
		}
		case 'L':
			if (copy_opt(s->http_listen, sizeof s->http_listen, opt, optarg) < 0)
				return -1;
			break;
		case 'W':
			if (copy_opt(s->webroot, sizeof s->webroot, opt, optarg) < 0)
				return -1;
			str_copy(s->challenge, sizeof s->challenge, "webroot");
			break;
		case 'T':
			if (parse_int(opt, optarg, 1, 3600, &o->run.timeout_s) < 0)
				return -1;
			break;
		case 'P':
			if (copy_opt(s->profile, sizeof s->profile, opt, optarg) < 0)
				return -1;
			break;
		case 'H':
		case 'n':
		case 'o': {
			/* the programs run later: each must be there now */
			char *dst = c == 'H' ? s->hook : c == 'n' ? s->notify : s->dns_hook;

			if (copy_opt(dst, STORE_MAX_PATH, opt, optarg) < 0)
				return -1;
			if (access(optarg, X_OK) < 0) {
				err("%s %s: not an executable file", opt, optarg);
				return -1;
			}
			break;
		}
		case 'u':
			if (optarg[0] != '/') {
				err("--publish %s: not an absolute path", optarg);
				return -1;
			}
			if (copy_opt(s->publish, sizeof s->publish, opt, optarg) < 0)
				return -1;
			break;
		case 'c':
			if (copy_opt(s->preferred_chain, sizeof s->preferred_chain, opt,
				     optarg) < 0)
				return -1;
			break;
		case 'y':
			if (parse_int(opt, optarg, 1, 3650, &o->days) < 0)
				return -1;
			break;
		case 'f': o->run.force = 1; break;
		case 'k': o->run.eab_kid = optarg; break;
		case 'm': o->run.eab_hmac_key = optarg; break;
		case 's': log_use_syslog(); break;
		case 'j': o->json = 1; break;
		case 'x': o->deactivate = 1; break;
		case 'r': o->rollover = 1; break;
		case 'N':
			if (parse_int(opt, optarg, 0, 10, &o->reason) < 0)
				return -1;
			break;
		case 'g': {
			enum challenge_method cm;

			if (challenge_method_parse(optarg, &cm) < 0 || strcmp(optarg, "webroot") == 0) {
				err("--challenge %s: expected http-01, tls-alpn-01, dns-01 or dns-persist-01",
				    optarg);
				return -1;
			}
			o->challenge = optarg;
			break;
		}
		case 'w':
			if (parse_int(opt, optarg, 1, 3600, &s->dns_wait) < 0)
				return -1;
			break;
		case 'b': o->bare_domain = 1; break;
		case 'l':
			if (copy_opt(s->alpn_listen, sizeof s->alpn_listen, opt, optarg) < 0)
				return -1;
			break;
		case 'p': o->persist_record = optarg; break;
		case 'z': o->wildcard = 1; break;
		case 'v': log_set_verbose(1); break;
		case 'h': usage(1); return 1;
		default: return -1; /* a definition without a case: not reached */
		}
	}
	if ((o->run.eab_kid == NULL) != (o->run.eab_hmac_key == NULL)) {
		err("--eab-kid and --eab-hmac-key go together");
		return -1;
	}
	if (s->http_listen[0] && s->webroot[0]) {
		err("--http-listen and --webroot exclude each other");
		return -1;
	}
	if (issue && choose_challenge(o) < 0)
		return -1;
	if (!text_valid(o->run.dir) || !text_valid(o->run.run_dir)) {
		err("--dir/--run-dir: empty or contains control characters");
		return -1;
	}
	{
		struct url u;

		if (url_parse(server, &u) < 0 || copy_opt(s->server, sizeof s->server, "--server", server) < 0) {
			err("--server %s: not an https:// URL or a known CA name", server);
			return -1;
		}
	}
	s->days = o->days;
	o->run.days = o->days;
	if (o->nemails > 0)
		str_copy(s->email, sizeof s->email, o->emails[0]);
	if (issue && s->nnames == 0) {
		err("issue: give at least one name with -d NAME");
		return -1;
	}
	return 0;
}

static int cmd_account(struct run *r, const struct options *o)
{
	static struct key new_key;
	char acct_dir[STORE_MAX_PATH], path[STORE_MAX_PATH], pem[KEY_MAX_PEM];
	int n, ret = EXIT_ERROR;

	if (run_directory(r, o->cert->server) < 0 || run_account(r, o->cert->email[0] ? o->cert->email : NULL) < 0)
		goto out;
	if (o->nemails > 0 && ca_account_contacts(&r->ca, o->emails, o->nemails) < 0)
		goto out;
	if (o->rollover) {
		if (store_account_dir(acct_dir, sizeof acct_dir, o->run.dir, r->server) < 0 ||
		    store_path(path, sizeof path, acct_dir, "key.pem") < 0)
			goto out;
		if (key_generate(&new_key, KEY_EC256) < 0 || (n = key_to_pem(&new_key, pem, sizeof pem)) < 0) {
			err("cannot generate the new account key");
			goto out;
		}
		/* The new key replaces the old one on disk only once the CA took it. */
		if (ca_key_rollover(&r->ca, &new_key) < 0)
			goto out;
		if (store_write(path, pem, (size_t)n, 0600) < 0) {
			crit("the CA now knows the account by a key that could not be saved");
			goto out;
		}
	}
	if (o->persist_record != NULL) {
		char issuers[DNS01_ISSUERS_MAX], line[DNS01_URL_MAX + 600], name[ACME_MAX_NAME + 1];

		str_copy(name, sizeof name, o->persist_record);
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!acme_name_valid(name)) {
			err("--persist-record %s: not a valid DNS name", name);
			goto out;
		}
		if (ca_persist_issuers(&r->ca, name, issuers, sizeof issuers) < 0)
			goto out;
		issuers[strcspn(issuers, " ")] = '\0';
		if (dns_persist_record(line, sizeof line, name, issuers, r->ca.kid, o->wildcard) < 0) {
			err("--persist-record %s: the record does not fit", name);
			goto out;
		}
		out_fmt("%s\n", line);
		ret = 0;
		goto out;
	}
	if (o->deactivate && ca_account_deactivate(&r->ca) < 0)
		goto out;
	if (!o->deactivate && ca_account_show(&r->ca) < 0)
		goto out;
	ret = 0;
out:
	wipe(pem, sizeof pem);
	key_free(&new_key);
	return ret;
}

static int cmd_revoke(struct run *r, struct options *o, const char *name)
{
	static unsigned char der[16384];
	static struct key cert_key;
	static struct cert_settings s;
	char path[STORE_MAX_PATH], aside[STORE_MAX_PATH], pem[KEY_MAX_PEM + 1024];
	size_t len = 0;
	int n, ret = EXIT_ERROR;

	n = read_installed_cert(o->run.dir, name, der, sizeof der);
	if (n <= 0) {
		if (n == 0)
			err("%s/%s: no certificate to revoke", o->run.dir, name);
		goto out;
	}
	if (settings_load(o->run.dir, name, &s) < 0)
		goto out;
	if (run_directory(r, s.server) < 0)
		goto out;
	/* The issuing account revokes; without one, or when the CA says this
	 * account did not issue it, the certificate's own key does. */
	if (run_account(r, NULL) == 0 && ca_revoke(&r->ca, der, (size_t)n, o->reason, NULL) == 0) {
		/* revoked by the account */
	} else if (r->ca_ready && r->ca.problem_type[0] != '\0' &&
		   strcmp(r->ca.problem_type, "urn:ietf:params:acme:error:unauthorized") != 0) {
		goto out; /* a refusal that the certificate key would not change */
	} else {
		str_fmt(path, sizeof path, "%s/%s/key.pem", o->run.dir, name);
		if (store_read_secret(path, pem, sizeof pem, &len) != 0 ||
		    key_from_pem(&cert_key, pem, len) < 0) {
			err("%s: cannot use the certificate key", path);
			goto out;
		}
		msg("the account may not revoke it; revoking with the certificate's key");
		if (ca_revoke(&r->ca, der, (size_t)n, o->reason, &cert_key) < 0)
			goto out;
	}
	msg("%s: certificate revoked", name);
	str_fmt(path, sizeof path, "%s/%s", o->run.dir, name);
	str_fmt(aside, sizeof aside, "%s/.%s.revoked-%lld", o->run.dir, name, (long long)wall_now());
	if (rename(path, aside) < 0) {
		err("%s: revoked, but could not be moved aside", path);
		goto out;
	}
	msg("%s moved to %s", path, aside);
	ret = 0;
out:
	wipe(pem, sizeof pem);
	key_free(&cert_key);
	return ret;
}

int main(int argc, char **argv)
{
	static struct cert_settings cert;
	static struct options o;
	static struct run r;
	const char *cmd;
	int rc, lock, created = 0;

	/* Standard descriptors closed by whoever started us would be taken by
	 * the first files opened here, and messages would be written into a
	 * key file or a listening socket. */
	while ((rc = open("/dev/null", O_RDWR)) >= 0 && rc <= 2)
		;
	if (rc > 2)
		close(rc);
	/* sigaction, not signal(): the same call without a wrapper */
	sigaction(SIGPIPE, &(struct sigaction){ .sa_handler = SIG_IGN }, NULL);
	/* _exit: under a seccomp filter, atexit work may not run */
	if (argc == 2 && strcmp(argv[1], RESPONDER_ARG) == 0)
		_exit(responder_process());
	if (argc < 2) {
		usage(2);
		return EXIT_ERROR;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		out_str("picoacme " PICOACME_VERSION "\n");
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(1);
		return 0;
	}
	if (strcmp(cmd, "issue") != 0 && strcmp(cmd, "renew") != 0 && strcmp(cmd, "status") != 0 &&
	    strcmp(cmd, "account") != 0 && strcmp(cmd, "revoke") != 0) {
		err("unknown command '%s' (try --help)", cmd);
		return EXIT_ERROR;
	}
	settings_init(&cert);
	o.cert = &cert;
	rc = parse_options(argc - 1, argv + 1, cmd, &o);
	if (rc != 0)
		return rc < 0 ? EXIT_ERROR : 0;
	argc = (int)o.nargs;
	argv += 2;
	if (strcmp(cmd, "status") == 0)
		return argc ? (err("status takes no names"), EXIT_ERROR) : status_all(&o.run, o.json);
	if (strcmp(cmd, "issue") == 0 && argc) {
		err("unexpected argument: %s", argv[0]);
		return EXIT_ERROR;
	}
	if (strcmp(cmd, "revoke") == 0 && argc != 1) {
		err("revoke takes exactly one certificate name");
		return EXIT_ERROR;
	}
	/* One run at a time on a store (cron's renew beside a user's issue,
	 * acme-common's parallel instances); a missing store has nothing to
	 * guard yet, and issue creates it first (and removes it again, empty,
	 * when the run fails: a failed first run leaves nothing behind). */
	if (strcmp(cmd, "issue") == 0 && access(o.run.dir, F_OK) < 0) {
		if (store_mkdirs(o.run.dir, 0700) < 0)
			return EXIT_ERROR;
		created = 1;
	}
	lock = store_lock(o.run.dir);
	if (lock == -1)
		return EXIT_ERROR;
	run_init(&r, &o.run);
	if (strcmp(cmd, "issue") == 0)
		rc = issue_one(&r, &cert);
	else if (strcmp(cmd, "renew") == 0)
		rc = renew_all(&r, (const char *const *)argv, (size_t)argc);
	else if (strcmp(cmd, "account") == 0)
		rc = cmd_account(&r, &o);
	else
		rc = cmd_revoke(&r, &o, argv[0]);
	run_free(&r);
	if (rc != 0 && created)
		rmdir(o.run.dir); /* only if still empty */
	if (lock >= 0)
		close(lock);
	return rc;
}
