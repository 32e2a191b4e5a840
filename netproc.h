/* netproc.h - the network process. Everything the CA's side sends (DNS
 * answers for its host, TLS records, X.509 chains, HTTP, the ACME JSON) is
 * parsed in a child forked before the first request, while no private key
 * has been loaded. Started as root it runs as an unprivileged user with no
 * new privileges and a seccomp allowlist; it writes no file and never holds
 * a private key. The parent, which owns the keys and the store, asks it for
 * one ACME operation at a time (acme.h); while one runs, the network
 * process asks back for what needs a key or root (ca.h): a signature, the
 * CSR, a challenge set up. Each side reads the other's messages with caps.
 *
 *   parent (root): settings, keys, signatures, CSR, store, hooks, challenges
 *      | pipes: operation ->   <- sign, CSR, challenge ... ->   <- result
 *   network process (--user, NoNewPrivs, seccomp): ACME, JSON, DNS, TCP, TLS, HTTP
 */
#ifndef PICOACME_NETPROC_H
#define PICOACME_NETPROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "http.h"

/* The largest body of a message to the network process (a signed request,
 * the names of an order) and of a request from it (a payload to sign). */
#define NETPROC_MAX_BODY (64 * 1024)
#define NETMSG_TEXTS 3
#define NETMSG_LINE 976 /* what is left of a page */

struct netproc {
	int rfd, wfd; /* the parent's ends of the two pipes; -1 when not running */
	pid_t pid;
	unsigned connects, requests; /* as the network process counted them */
};

/* One message either way: this head, then body_len bytes of body. One
 * page, page-aligned: each process keeps two and touches two pages. */
struct netmsg {
	int32_t type; /* an operation, a request, or the answer's result */
	int32_t a, b;
	int64_t c, d;
	uint32_t connects, requests; /* the network process's counts, in its messages */
	uint32_t body_len;
	char s[NETMSG_TEXTS][HTTP_MAX_URL];
	char line[NETMSG_LINE]; /* a result's last problem, one line */
};
_Static_assert(sizeof(struct netmsg) == 4096, "a message is one page");

/* The parent's operations (see acme_serve in acme.h for their fields). */
enum { OP_DIRECTORY = 1, OP_ACCOUNT, OP_SHOW, OP_CONTACTS, OP_DEACTIVATE, OP_ROLLOVER, OP_REVOKE,
       OP_RENEWAL_INFO, OP_ISSUE, OP_PERSIST };
/* The network process's messages: an operation's result, or a request
 * (see ca.c for their fields). */
enum { ASK_RESULT = 1, ASK_SIGN, ASK_EAB, ASK_CSR, ASK_CH_ADD, ASK_CH_START, ASK_CH_WAIT,
       ASK_CH_STOP, ASK_LAST = ASK_CH_STOP };
/* The keys a signature may be asked of. */
enum { SIGN_ACCOUNT, SIGN_CERT, SIGN_NEW_ACCOUNT, SIGN_KEYS };

/* Writes m and its body_len bytes of body to fd. 0 or -1. */
int netmsg_send(int fd, const struct netmsg *m, const void *body);

/* Reads a message from fd into m and its body into body, NUL-terminated
 * (cap bytes, so at most cap - 1 of body). 0, or -1 at end of input, on a
 * short read or on a body over cap (the rest of it left unread). */
int netmsg_recv(int fd, struct netmsg *m, char *body, size_t cap);

/* Checks a message from the network process before anything reads it: a
 * known type, every text and the line NUL-terminated in its field and free
 * of control characters. 0 or -1. */
int netmsg_check(const struct netmsg *m);

/* Empties np; stopping it is then a no-op. */
void netproc_init(struct netproc *np);

/* Forks the network process. It loads the trust anchors of ca_file, drops
 * to uid and gid when run as root, sets no-new-privileges and its seccomp
 * filter (saying at -v what it could not do), and serves operations with
 * HTTP deadlines of timeout_ms. 0, or -1 with an error. */
int netproc_start(struct netproc *np, const char *ca_file, int timeout_ms, unsigned uid,
		  unsigned gid);

/* Ends the network process after a failed exchange and says why, unless
 * said (the caller did; the process is killed). */
void netproc_end_failed(struct netproc *np, int said);

/* Ends the network process (it closes its connection) and reaps it. */
void netproc_stop(struct netproc *np);

/* Runs the calling process as uid:gid (when root), with no new privileges
 * and the seccomp allowlist of the network process plus extra_call (-1:
 * none);
 * what is unavailable is said at -v, naming who. 0, or -1 with an error
 * when a step that must work failed. */
int confine_process(const char *who, unsigned uid, unsigned gid, long extra_call);

#endif
