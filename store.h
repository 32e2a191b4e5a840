/* store.h - state in flat files under the config directory.
 *
 * Layout (all directories 0700):
 *   <dir>/accounts/<ca-id>/key.pem   account key (0600)
 *   <dir>/accounts/<ca-id>/url       account URL
 *   <dir>/<name>  -> .<name>.g<N>    symlink to the current generation
 *   <dir>/.<name>.g<N>/{key.pem,cert.pem,chain.pem,fullchain.pem,settings}
 *                      and combined.pem (fullchain then key) when published
 * A new certificate and key are written into a fresh generation directory
 * and published by renaming one symlink, so readers and crashes see either
 * the old pair or the new pair, never a mix. Every file is written to a
 * temporary name, fsync'ed and renamed. */
#ifndef PICOACME_STORE_H
#define PICOACME_STORE_H

#include <stddef.h>
#include <sys/types.h>

#define STORE_MAX_PATH 1024
#define STORE_MAX_NAMES 100
#define STORE_MAX_NAME 253
#define STORE_MAX_SETTINGS (STORE_MAX_NAMES * (STORE_MAX_NAME + 1) + 4096)

/* How a certificate was issued: replayed by renew. Stored as the flat file
 * <dir>/<name>/settings, one "key=value" per line. */
struct cert_settings {
	char names_buf[STORE_MAX_NAMES * (STORE_MAX_NAME + 1)];
	const char *names[STORE_MAX_NAMES]; /* into names_buf; [0] is the main name */
	size_t nnames;
	char server[1024];
	char key_type[16];
	char challenge[16]; /* "http-01", "webroot" (http-01 by files), "tls-alpn-01", "dns-01",
			     * "dns-persist-01" */
	char webroot[STORE_MAX_PATH];
	char http_listen[128];
	char alpn_listen[128];
	char dns_hook[STORE_MAX_PATH];
	int dns_wait; /* seconds; 0 = the default */
	char email[256];
	char profile[64];
	char hook[STORE_MAX_PATH];
	char notify[STORE_MAX_PATH];  /* run with the outcome of every attempt */
	char publish[STORE_MAX_PATH]; /* prefix of the published links, or "" */
	char preferred_chain[128];
	int days; /* renew this many days before expiry; 0 = automatic */
};

/* Empties s. */
void settings_init(struct cert_settings *s);

/* Appends name to s (copied). 0, or -1 when full. */
int settings_add_name(struct cert_settings *s, const char *name);

/* Serialises s. Returns the length, or -1 if it does not fit. */
int settings_format(const struct cert_settings *s, char *out, size_t cap);

/* Parses a settings file's text; unknown keys are ignored (newer versions),
 * a value with control characters or an oversize field is an error naming
 * path and the line. 0 or -1. */
int settings_parse(struct cert_settings *s, const char *text, size_t len, const char *path);

/* Reads and parses <dir>/<name>/settings. 0, or -1 with an error naming the
 * file. */
int settings_load(const char *dir, const char *name, struct cert_settings *s);

/* 1 if a and b would issue the same certificate (names in order, key type,
 * server, profile), else 0. */
int settings_same_certificate(const struct cert_settings *a, const struct cert_settings *b);

/* Creates path and its missing parents with mode. 0, or -1 with an error. */
int store_mkdirs(const char *path, mode_t mode);

/* Reads a whole file of at most cap-1 bytes into buf, NUL-terminated.
 * Returns 0; 1 if it does not exist; -1 with an error naming the file
 * (unreadable, or larger than cap-1). */
int store_read(const char *path, char *buf, size_t cap, size_t *len);

/* store_read for a private key: the file must be ours and closed to group
 * and others, or -1 with an error naming it. */
int store_read_secret(const char *path, char *buf, size_t cap, size_t *len);

/* Atomically replaces path with data (temp file, fsync, rename, fsync of
 * the directory). 0, or -1 with an error naming the file. */
int store_write(const char *path, const void *data, size_t len, mode_t mode);

/* Joins dir and name into out; -1 if it does not fit. */
int store_path(char *out, size_t cap, const char *dir, const char *name);

/* The account directory for a CA: <dir>/accounts/<host>[_<port>]<path with
 * '/' as '_'>, restricted to [A-Za-z0-9._-]. 0 or -1. */
int store_account_dir(char *out, size_t cap, const char *dir, const char *directory_url);

struct cert_files {
	const char *key;       /* PEM private key (secret) */
	const char *fullchain; /* leaf PEM then issuer chain PEM: fullchain.pem */
	size_t leaf_len;       /* its first leaf_len bytes are cert.pem, the rest chain.pem */
	const char *settings;  /* flat key=value lines */
	const char *combined;  /* fullchain then key (secret): combined.pem, or NULL */
};

/* Publishes a new generation for <dir>/<name> as described above and removes
 * the previous generation. 0, or -1 with an error (the old files stay). */
int store_install(const char *dir, const char *name, const struct cert_files *f);

/* Makes prefix.crt, .key, .fullchain.crt, .chain.crt and .combined.crt
 * symlinks to cert.pem, key.pem, fullchain.pem, chain.pem and combined.pem
 * under <dir>/<name> (absolute), so that all five follow the store's one
 * atomic switch to a new generation. Links already right are left alone
 * (a run with nothing to do writes nothing); a wrong one is replaced
 * atomically. 0, or -1 with an error naming the link. */
int store_publish(const char *dir, const char *name, const char *prefix);

/* Calls fn for each certificate (NAME -> .NAME.gN link) in dir. Returns
 * how many, 0 when dir does not exist, or -1 with an error. */
int store_each_cert(const char *dir, int (*fn)(void *ctx, const char *name), void *ctx);

/* Before a run writes under dir, holding its lock (store_lock): creates it
 * (0700) if missing, refuses it when it is not ours or others can write to
 * it, removes what killed runs left (unpublished generations, temporaries of
 * other processes) and checks it takes a write. 0, or -1 with an error. */
int store_prepare(const char *dir);

/* How long a run waits for another one on the same store (store_lock). */
#define STORE_LOCK_WAIT_S 900

/* Takes the store's lock (flock on the directory itself: no file is
 * written), waiting up to STORE_LOCK_WAIT_S for another run. Returns the
 * descriptor to keep open while writing, -2 when dir does not exist yet, or
 * -1 with an error. */
int store_lock(const char *dir);

#endif
