/* netproc.h - the network process. Everything the CA's side sends (DNS
 * answers for its host, TLS records, X.509 chains, HTTP) is parsed in a
 * child forked before the first request, while no private key has been
 * loaded. Started as root it runs as an unprivileged user with no new
 * privileges and a seccomp allowlist; it writes no file. The parent, which
 * owns the keys and the store, hands it one HTTP request at a time over a
 * pair of pipes and checks every reply before using it.
 *
 *   parent (root): settings, keys, JWS, CSR, ACME, store, hooks, challenges
 *      | pipes: request -> <- reply (checked, capped)
 *   network process (--user, NoNewPrivs, seccomp): DNS, TCP, TLS, HTTP
 */
#ifndef PICOACME_NETPROC_H
#define PICOACME_NETPROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "http.h"

/* The largest request body: a signed ACME request. */
#define NETPROC_MAX_BODY (64 * 1024)

struct netproc {
	int rfd, wfd; /* the parent's ends of the two pipes; -1 when not running */
	pid_t pid;
	unsigned connects, requests; /* as the network process counted them */
};

/* A reply as it crosses the pipe: the response head, then body_len
 * bytes of body. head.body, body_len and body_cap are not used. */
struct netproc_reply {
	int32_t rc;
	uint32_t connects, requests;
	uint32_t body_len;
	struct http_response head;
};

/* Empties np; stopping it is then a no-op. */
void netproc_init(struct netproc *np);

/* Forks the network process. It loads the trust anchors of ca_file, drops
 * to uid and gid when run as root, sets no-new-privileges and its seccomp filter
 * (saying at -v what it could not do), and serves requests with deadlines
 * of timeout_ms. 0, or -1 with an error. */
int netproc_start(struct netproc *np, const char *ca_file, int timeout_ms, unsigned uid,
		  unsigned gid);

/* http_request (see http.h), made by the network process. r's body buffer
 * is r's own, as there. resend: the request has no effect (GET, HEAD,
 * POST-as-GET), so it is asked again once, on a new connection, when its
 * answer breaks off. 0 when a response was read, -1 with an error. */
int netproc_request(struct netproc *np, const char *method, const char *url,
		    const char *content_type, const char *accept, const char *body,
		    size_t body_len, int resend, struct http_response *r);

/* Ends the network process (it closes its connection) and reaps it. */
void netproc_stop(struct netproc *np);

/* Runs the calling process as uid:gid (when root), with no new privileges
 * and the seccomp allowlist of the network process plus extra_call (-1:
 * none);
 * what is unavailable is said at -v, naming who. 0, or -1 with an error
 * when a step that must work failed. */
int confine_process(const char *who, unsigned uid, unsigned gid, long extra_call);

/* Checks a reply head from the network process before anything reads it:
 * rc 0 or -1, every string NUL-terminated in its field and free of control
 * characters, counts and body length within their caps. 0 or -1. Exposed
 * for fuzzing. */
int netproc_check_reply(const struct netproc_reply *rep);

#endif
