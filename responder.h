/* responder.h - answering http-01 challenges, either with a built-in
 * responder (a forked process serving GET/HEAD
 * /.well-known/acme-challenge/<token> for the current order's tokens only)
 * or by writing token files under a webroot served by another web server. */
#ifndef PICOACME_RESPONDER_H
#define PICOACME_RESPONDER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "alpn.h"

#define CHALLENGE_MAX_TOKENS 128
#define CHALLENGE_TOKEN_MAX 128
#define CHALLENGE_KEYAUTH_MAX (CHALLENGE_TOKEN_MAX + 48)
#define CHALLENGE_MAX_CLIENTS 64
#define CHALLENGE_MAX_REQUEST 2048
/* A client has this long to send its request head; a CA's validator sends
 * it at once, a slowloris never. */
#define CHALLENGE_CLIENT_TIMEOUT_MS 2500
/* tls-alpn-01: when every slot is taken, the longest-held client makes room
 * once it has had this long (a handshake takes milliseconds). */
#define CHALLENGE_EVICT_MS 500
#define CHALLENGE_MAX_LISTEN 2

enum responder_mode { RESPONDER_NONE, RESPONDER_HTTP, RESPONDER_WEBROOT, RESPONDER_ALPN };

/* A token and its key authorization, as offsets into the responder's
 * text: packed, so that an order touches only the memory its tokens use.
 * A key authorization is the token and a tail (".<thumbprint>") that
 * consecutive entries share. */
struct challenge_entry {
	unsigned short token, tail;
	unsigned char keyauth_has_token; /* key authorization = token + tail, else tail */
	unsigned char written;           /* webroot file exists */
};

struct responder {
	/* From mode to the end of text[text_len]: what the responder process
	 * gets, as it lies here (responder_start). */
	enum responder_mode mode;
	unsigned uid, gid; /* the responder process runs as these when started as root */
	int verbose, syslog; /* the parent's logging */
	int nfds;
	int fds[CHALLENGE_MAX_LISTEN];
	int n;
	size_t text_len;
	struct challenge_entry e[CHALLENGE_MAX_TOKENS];
	char text[CHALLENGE_MAX_TOKENS * (CHALLENGE_TOKEN_MAX + CHALLENGE_KEYAUTH_MAX)];
	pid_t pid;
	int ctl; /* write end of the pipe whose EOF stops the child */
	char webroot[768];
	struct alpn_certs alpn; /* tls-alpn-01, made in the responder process; last, paged in only there */
};

/* 1 if token is 1..CHALLENGE_TOKEN_MAX-1 base64url characters, else 0.
 * Tokens come from the network and end up in paths and responses. */
int challenge_token_valid(const char *token);

/* Empties r; stopping it is then a no-op. Call before anything else. */
void responder_init(struct responder *r);

/* Prepares the built-in responder: binds spec ("ADDR:PORT", "[V6]:PORT",
 * ":PORT"; NULL means port 80 on every IPv6 and IPv4 address).
 * 0, or -1 with an error naming the address. */
int responder_listen(struct responder *r, const char *spec);

/* Prepares the tls-alpn-01 responder on spec (as responder_listen; NULL
 * means port 443 everywhere). 0, or -1 with an error naming the address. */
int responder_alpn(struct responder *r, const char *spec);

/* Prepares webroot mode: files go to DIR/.well-known/acme-challenge/. 0 or -1. */
int responder_webroot(struct responder *r, const char *dir);

/* Registers a token and its key authorization; in webroot mode the file is
 * written at once (0644). tls-alpn-01 registers the identifier in place of
 * the token (its certificate is made in the responder process). 0, or -1
 * with an error. */
int responder_add(struct responder *r, const char *token, const char *keyauth);

/* Starts serving: the http-01 and tls-alpn-01 modes fork the responder
 * process, which runs a fresh image of this program (RESPONDER_ARG) that
 * gets the listening sockets and its table, never the parent's memory and
 * keys. 0 or -1. */
int responder_start(struct responder *r);

/* The argument that makes main run responder_process(). */
#define RESPONDER_ARG "--internal-responder"

/* The responder process: reads its table from descriptor 0 (whose EOF then
 * stops it), which names the listening sockets it inherited, switches to
 * the table's uid:gid with no new privileges and a seccomp allowlist (when
 * root), and serves. Returns an exit status: 0, or 1 for a bad table. */
int responder_process(void);

/* Reads a table as responder_start sends it from fd into r (its alpn part
 * empty), checks every count and offset, and makes the tls-alpn-01
 * certificates' entries. 0, or -1 with an error. Exposed for fuzzing. */
int responder_table_read(struct responder *r, int fd);

/* Waits ms milliseconds (r may be NULL). 0, or -1 with an error as soon as
 * the responder process has ended: the CA could not reach it any more. */
int responder_wait(struct responder *r, int64_t ms);

/* Stops the responder, removes webroot files, closes sockets. Idempotent. */
void responder_stop(struct responder *r);

/* Builds the HTTP response for one request (request line and headers in
 * req, len bytes) into out. Exposed for tests and fuzzing. Returns the
 * response length, or 0 when the request is incomplete. */
size_t responder_answer(const struct responder *r, const char *req, size_t len,
			char *out, size_t cap);

#endif
