/* renew.h - deciding when certificates are due and renewing them.
 *
 * Due: with --days N, N days before notAfter. Otherwise, when the CA offers
 * ACME Renewal Information (RFC 9773), at a random moment inside its
 * suggested window; without ARI, when a third of the lifetime remains. A
 * certificate with a sixth of its lifetime left is always due.
 *
 * Volatile state (ARI window and next check, failures and backoff, last
 * error) lives in <run_dir>/<name>.state, never in the config directory, so
 * a run with nothing due writes nothing to flash and, when no ARI check is
 * due, opens no connection. */
#ifndef PICOACME_RENEW_H
#define PICOACME_RENEW_H

#include <stdint.h>

#include "issue.h"
#include "store.h"

#define RENEW_DEFAULT_ARI_RECHECK_S (6 * 3600)
#define RENEW_BACKOFF_BASE_S 300
#define RENEW_BACKOFF_MAX_S (24 * 3600)

struct renew_state {
	int64_t cert_not_before; /* the certificate this state belongs to */
	int ari;                 /* 1 CA has ARI, 0 it has none, -1 unknown */
	int64_t ari_next;        /* next ARI check */
	int64_t renew_at;        /* chosen moment (ARI) */
	int failures;
	int64_t retry_at;        /* backoff after a failure */
	char last_error[200];
};

/* Reads/writes the state of name under run_dir. A missing or unreadable file
 * gives an empty state. Writing creates run_dir. 0 or -1. */
void renew_state_load(const char *run_dir, const char *name, struct renew_state *st);
int renew_state_save(const char *run_dir, const char *name, const struct renew_state *st);

/* Exit codes of renew and issue. */
enum { EXIT_ISSUED = 0, EXIT_ERROR = 1, EXIT_NOTHING_DUE = 2 };

/* Renews every certificate recorded under the config directory, or only
 * those named (main names). Returns one of the exit codes above. */
int renew_all(struct run *r, const char *const *only, size_t nonly);

/* issue: issues s unless an identical certificate is installed and not due
 * (then EXIT_NOTHING_DUE), or with --force. */
int issue_one(struct run *r, const struct cert_settings *s);

/* Prints one line per certificate (or a JSON array with json set). 0 or 1. */
int status_all(const struct run_opts *o, int json);

#endif
