/* issue.h - one run of picoacme: trust anchors, one HTTP client and one
 * account per CA shared by every certificate the run handles; issuing a
 * certificate for recorded settings, verifying it, installing it with its
 * key, and running the hook. */
#ifndef PICOACME_ISSUE_H
#define PICOACME_ISSUE_H

#include "acme.h"
#include "ca.h"
#include "cert.h"
#include "http.h"
#include "key.h"
#include "store.h"

struct run_opts {
	const char *dir;     /* config directory (flash) */
	const char *run_dir; /* volatile state (tmpfs) */
	const char *ca_file;
	unsigned user_uid, user_gid; /* the network process's ids when run as root */
	int agree_tos;
	int force;
	int timeout_s;
	const char *eab_kid;
	const char *eab_hmac_key;
	int days; /* renew: overrides the recorded --days when > 0 */
};

struct run {
	const struct run_opts *o;
	struct netproc net; /* started by the first run_directory */
	struct ca ca;
	int ca_ready;
	char server[HTTP_MAX_URL]; /* CA whose directory is loaded */
	int have_account;
	struct key account;
};

void run_init(struct run *r, const struct run_opts *o);
/* Ends the network process and wipes keys. */
void run_free(struct run *r);

/* Fetches server's directory unless it is the one already loaded; starts
 * the network process on first use, before any key is loaded. 0 or -1. */
int run_directory(struct run *r, const char *server);

/* Loads (or, with --agree-tos, creates) the account for the loaded CA;
 * email is used for a new account. Nothing is written unless an account may
 * be created. 0 or -1. */
int run_account(struct run *r, const char *email);

/* Issues a certificate for s (replaces: ARI CertID of the certificate being
 * renewed, or NULL), verifies it, installs it with a fresh key and runs the
 * hook. installed is the validity of the certificate now installed (NULL if
 * none): an older new one is refused. 0 or -1; on -1 the installed files
 * are untouched. */
int run_issue(struct run *r, const struct cert_settings *s, const char *replaces,
	      const struct cert_info *installed);

/* Reads the current leaf certificate of <dir>/<name>/cert.pem as DER into
 * buf (cap bytes). Returns its length, 0 when there is none, -1 on error. */
int read_installed_cert(const char *dir, const char *name, unsigned char *buf, size_t cap);

#endif
