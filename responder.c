/* responder.c - see responder.h */
#include "responder.h"
#include "jws.h"
#include "netproc.h"
#include "resolve.h"
#include "store.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define WELL_KNOWN "/.well-known/acme-challenge/"

int challenge_token_valid(const char *token)
{
	size_t len = strlen(token);

	return len < CHALLENGE_TOKEN_MAX && b64url_valid(token, len);
}

void responder_init(struct responder *r)
{
	/* The token table and text are left untouched: memset would fault
	 * in 40 KiB of pages that a one-name order never uses. */
	r->mode = RESPONDER_NONE;
	r->nfds = 0;
	r->n = 0;
	r->text_len = 0;
	r->webroot[0] = '\0';
	r->ctl = -1;
	r->pid = -1;
	for (int i = 0; i < CHALLENGE_MAX_LISTEN; i++)
		r->fds[i] = -1;
}

static const char *method_name(const struct responder *r)
{
	return r->mode == RESPONDER_ALPN ? "tls-alpn-01 responder" : "http-01 responder";
}

static int bind_one(struct responder *r, int family, const struct sockaddr *sa,
		    socklen_t salen, int v6only, const char *spec)
{
	int fd, one = 1, defer_s = (CHALLENGE_CLIENT_TIMEOUT_MS + 999) / 1000;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
	/* A connection is handed over once its first bytes are there (a
	 * validator's request, a ClientHello): connections that send nothing
	 * wait in the kernel, not in a slot, and a validator is never taken
	 * in before its request has come, to be pushed out by a flood's.
	 * The waiting ones count against the backlog (4096: Linux's
	 * somaxconn, which caps it): past it the kernel answers with SYN
	 * cookies, whose connections come at once. */
	setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_s, sizeof defer_s);
	if (bind(fd, sa, salen) < 0 || listen(fd, 4096) < 0) {
		err("%s: cannot listen on %s: %s", method_name(r), spec, strerror(errno));
		close(fd);
		return -2;
	}
	r->fds[r->nfds++] = fd;
	return 0;
}

/* Binds spec, or every address on default_port; opt names the option in errors. */
static int listen_on(struct responder *r, const char *spec, const char *default_port,
		     const char *opt)
{
	char host[128] = "";
	const char *port = default_port, *colon;
	int rc, ret = -1;
	const char *end;
	int64_t pn;

	if (spec != NULL && spec[0] != '\0') {
		colon = strrchr(spec, ':');
		if (colon == NULL || colon[1] == '\0' || (size_t)(colon - spec) >= sizeof host) {
			err("%s %s: expected ADDR:PORT, [V6ADDR]:PORT or :PORT", opt, spec);
			goto out;
		}
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		port = colon + 1;
		if (host[0] == '[') {
			size_t hl = strlen(host);

			if (hl < 3 || host[hl - 1] != ']') {
				err("%s %s: unbalanced brackets", opt, spec);
				goto out;
			}
			memmove(host, host + 1, hl - 2);
			host[hl - 2] = '\0';
		}
	}
	pn = str_to_i64(port, &end);
	if (*end != '\0' || pn < 1 || pn > 65535) {
		err("%s %s: invalid port", opt, spec);
		goto out;
	}
	if (host[0] == '\0') {
		/* Every address: one dual-stack IPv6 socket, or IPv4 alone on a
		 * kernel without IPv6. */
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
		struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
		char what[64];

		str_fmt(what, sizeof what, "port %ld", (long)pn);
		s6.sin6_port = htons((uint16_t)pn);
		s4.sin_port = htons((uint16_t)pn);
		rc = bind_one(r, AF_INET6, (struct sockaddr *)&s6, sizeof s6, 0, what);
		if (rc == -1)
			rc = bind_one(r, AF_INET, (struct sockaddr *)&s4, sizeof s4, 0, what);
		if (rc < 0) {
			if (rc == -1)
				err("%s: cannot create a socket: %s", method_name(r), strerror(errno));
			goto out;
		}
	} else {
		struct sockaddr_storage sa;
		socklen_t sl;

		if (addr_numeric(host, (uint16_t)pn, &sa, &sl) < 0) {
			err("%s %s: %s is not a numeric IPv4 or IPv6 address", opt, spec, host);
			goto out;
		}
		if (bind_one(r, sa.ss_family, (struct sockaddr *)&sa, sl, 1, spec) < 0)
			goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		responder_stop(r);
	return ret;
}

int responder_listen(struct responder *r, const char *spec)
{
	responder_init(r);
	r->mode = RESPONDER_HTTP;
	return listen_on(r, spec, "80", "--http-listen");
}

int responder_alpn(struct responder *r, const char *spec)
{
	responder_init(r);
	r->mode = RESPONDER_ALPN;
	return listen_on(r, spec, "443", "--alpn-listen");
}

int responder_webroot(struct responder *r, const char *dir)
{
	responder_init(r);
	r->mode = RESPONDER_WEBROOT;
	if ((size_t)str_fmt(r->webroot, sizeof r->webroot, "%s%s", dir, WELL_KNOWN) >=
	    sizeof r->webroot) {
		err("--webroot %s: path too long", dir);
		return -1;
	}
	return 0;
}

static int webroot_file(const struct responder *r, const char *token, char *out, size_t cap)
{
	return (size_t)str_fmt(out, cap, "%s%s", r->webroot, token) >= cap ? -1 : 0;
}

static const char *entry_text(const struct responder *r, unsigned short off)
{
	return r->text + off;
}

int responder_add(struct responder *r, const char *token, const char *keyauth)
{
	struct challenge_entry *e;
	size_t tl = strlen(token), kl = strlen(keyauth), taill;
	const char *tail;

	/* tls-alpn-01 keeps identifiers here, checked as ordered */
	if (r->mode != RESPONDER_ALPN && !challenge_token_valid(token)) {
		err("challenge token is not base64url; refusing it");
		return -1;
	}
	if (kl >= CHALLENGE_KEYAUTH_MAX || r->n >= CHALLENGE_MAX_TOKENS ||
	    tl + kl + 2 > sizeof r->text - r->text_len) {
		err("too many or too long challenge tokens");
		return -1;
	}
	e = &r->e[r->n];
	e->keyauth_has_token = strncmp(keyauth, token, tl) == 0;
	tail = e->keyauth_has_token ? keyauth + tl : keyauth;
	taill = kl - (e->keyauth_has_token ? tl : 0);
	e->written = 0;
	e->token = (unsigned short)r->text_len;
	memcpy(r->text + r->text_len, token, tl + 1);
	r->text_len += tl + 1;
	if (r->n > 0 && strcmp(entry_text(r, r->e[r->n - 1].tail), tail) == 0) {
		e->tail = r->e[r->n - 1].tail;
	} else {
		e->tail = (unsigned short)r->text_len;
		memcpy(r->text + r->text_len, tail, taill + 1);
		r->text_len += taill + 1;
	}
	if (r->mode == RESPONDER_WEBROOT) {
		char path[1024];

		if (store_mkdirs(r->webroot, 0755) < 0)
			return -1;
		if (webroot_file(r, token, path, sizeof path) < 0) {
			err("%s: path too long", r->webroot);
			return -1;
		}
		if (store_write(path, keyauth, strlen(keyauth), 0644) < 0)
			return -1;
		e->written = 1;
	}
	r->n++;
	return 0;
}

size_t responder_answer(const struct responder *r, const char *req, size_t len,
			char *out, size_t cap)
{
	const char *eol, *path, *sp, *prefix = "", *body = NULL;
	int head = 0, n;
	size_t plen;
	const char *status = "404 Not Found";

	if (len < 4 || mem_find(req, len, "\r\n\r\n", 4) == NULL)
		return 0;
	eol = memchr(req, '\r', len);
	if (strncmp(req, "GET ", 4) == 0) {
		path = req + 4;
	} else if (strncmp(req, "HEAD ", 5) == 0) {
		path = req + 5;
		head = 1;
	} else {
		status = "405 Method Not Allowed";
		goto reply;
	}
	sp = memchr(path, ' ', (size_t)(eol - path));
	if (sp == NULL)
		goto reply;
	plen = (size_t)(sp - path);
	if (plen > sizeof WELL_KNOWN - 1 && strncmp(path, WELL_KNOWN, sizeof WELL_KNOWN - 1) == 0) {
		const char *tok = path + sizeof WELL_KNOWN - 1;
		size_t tl = plen - (sizeof WELL_KNOWN - 1);

		for (int i = 0; i < r->n; i++) {
			const char *t = entry_text(r, r->e[i].token);

			if (strlen(t) == tl && memcmp(t, tok, tl) == 0) {
				status = "200 OK";
				if (r->e[i].keyauth_has_token)
					prefix = t;
				body = entry_text(r, r->e[i].tail);
				break;
			}
		}
	}
reply:
	if (body == NULL)
		body = "";
	n = str_fmt(out, cap,
		     "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n%s%s",
		     status, strlen(prefix) + strlen(body), head ? "" : prefix,
		     head ? "" : body);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

struct client {
	int fd;
	size_t len;
	int64_t since, deadline;
	char *buf; /* CHALLENGE_MAX_REQUEST bytes, apart: only the pages of clients that came are touched */
};

static void client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
}

/* Reads what a client has sent and answers it once its request head is
 * complete (or too large); the client is closed when answered or gone. */
static void client_read(const struct responder *r, struct client *c)
{
	char out[CHALLENGE_KEYAUTH_MAX + 256];
	size_t olen;
	ssize_t n = read(c->fd, c->buf + c->len, CHALLENGE_MAX_REQUEST - 1 - c->len);

	if (n <= 0 && !(n < 0 && errno == EAGAIN)) {
		client_close(c);
		return;
	}
	if (n > 0)
		c->len += (size_t)n;
	olen = responder_answer(r, c->buf, c->len, out, sizeof out);
	if (olen > 0) {
		/* Small response into an empty socket buffer. */
		if (send(c->fd, out, olen, MSG_NOSIGNAL) < 0) {
			/* nothing more to do for this client */
		}
		client_close(c);
		return;
	}
	if (c->len >= CHALLENGE_MAX_REQUEST - 1) {
		static const char big[] = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
					  "Content-Length: 0\r\nConnection: close\r\n\r\n";

		if (send(c->fd, big, sizeof big - 1, MSG_NOSIGNAL) < 0) {
			/* closing anyway */
		}
		client_close(c);
	}
}

/* The responder process: serves until the control pipe reaches EOF. */
static void serve(const struct responder *r, int ctl)
{
	static struct client cl[CHALLENGE_MAX_CLIENTS];
	static char bufs[CHALLENGE_MAX_CLIENTS][CHALLENGE_MAX_REQUEST];
	struct pollfd pfd[1 + CHALLENGE_MAX_LISTEN + CHALLENGE_MAX_CLIENTS];

	for (int i = 0; i < CHALLENGE_MAX_CLIENTS; i++) {
		cl[i].fd = -1;
		cl[i].buf = bufs[i];
	}
	for (;;) {
		int np = 0, timeout = 1000;
		int64_t now = now_ms();

		pfd[np++] = (struct pollfd){ .fd = ctl, .events = POLLIN };
		for (int i = 0; i < r->nfds; i++)
			pfd[np++] = (struct pollfd){ .fd = r->fds[i], .events = POLLIN };
		for (int i = 0; i < CHALLENGE_MAX_CLIENTS; i++) {
			pfd[np++] = (struct pollfd){ .fd = cl[i].fd, .events = POLLIN };
			if (cl[i].fd >= 0 && cl[i].deadline - now < timeout)
				timeout = (int)(cl[i].deadline - now > 0 ? cl[i].deadline - now : 0);
		}
		if (poll(pfd, (nfds_t)np, timeout) < 0 && errno != EINTR)
			return;
		if (pfd[0].revents)
			return; /* parent closed the pipe or died */
		/* Clients before new connections: a validator whose request
		 * has arrived is answered before this round's accepts could
		 * push it out (read after them, a storm of 64 evicted it). */
		now = now_ms();
		for (int i = 0; i < CHALLENGE_MAX_CLIENTS; i++) {
			struct client *c = &cl[i];

			if (c->fd < 0)
				continue;
			if (pfd[1 + r->nfds + i].revents & (POLLIN | POLLHUP | POLLERR))
				client_read(r, c);
			if (c->fd >= 0 && now >= c->deadline)
				client_close(c);
		}
		for (int i = 0; i < r->nfds; i++) {
			int fd, accepted = 0;

			if (!(pfd[1 + i].revents & POLLIN))
				continue;
			/* Every connection is taken; when the slots are full the
			 * longest-held client goes, so idle or slow connections (a
			 * slowloris) cannot lock the CA's validator out. A new
			 * client is read at once: a validator's request is usually
			 * there already. Half the slots per round at most: one
			 * whose request is still on its way lives to be read in
			 * the next round, not pushed out by this one's accepts. */
			while (accepted++ < CHALLENGE_MAX_CLIENTS / 2 &&
			       (fd = accept4(r->fds[i], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				int slot = 0;

				for (int k = 0; k < CHALLENGE_MAX_CLIENTS; k++) {
					if (cl[k].fd < 0) {
						slot = k;
						break;
					}
					if (cl[k].since < cl[slot].since)
						slot = k;
				}
				if (cl[slot].fd >= 0)
					client_close(&cl[slot]);
				cl[slot].fd = fd;
				cl[slot].len = 0;
				cl[slot].since = now_ms();
				cl[slot].deadline = cl[slot].since + CHALLENGE_CLIENT_TIMEOUT_MS;
				client_read(r, &cl[slot]);
			}
		}
	}
}

int responder_table_read(struct responder *r, int fd)
{
	if (fd_full(fd, r, offsetof(struct responder, text), 0) < 0 ||
	    (r->mode != RESPONDER_HTTP && r->mode != RESPONDER_ALPN) || r->nfds < 1 ||
	    r->nfds > CHALLENGE_MAX_LISTEN || r->n < 0 || r->n > CHALLENGE_MAX_TOKENS ||
	    r->text_len > sizeof r->text || fd_full(fd, r->text, r->text_len, 0) < 0 ||
	    (r->text_len > 0 && r->text[r->text_len - 1] != '\0'))
		goto bad;
	for (int i = 0; i < r->n; i++) {
		char ka[CHALLENGE_KEYAUTH_MAX];
		const struct challenge_entry *e = &r->e[i];

		/* inside the text, which ends with a NUL */
		if (e->token >= r->text_len || e->tail >= r->text_len)
			goto bad;
		if (r->mode == RESPONDER_ALPN &&
		    ((size_t)str_fmt(ka, sizeof ka, "%s%s", e->keyauth_has_token ? r->text + e->token : "",
				     r->text + e->tail) >= sizeof ka ||
		     alpn_add(&r->alpn, r->text + e->token, ka) < 0))
			return -1;
	}
	return 0;
bad:
	err("%s: not a responder table", RESPONDER_ARG);
	return -1;
}

int responder_process(void)
{
	static struct responder r; /* static: its alpn part starts empty */

	if (responder_table_read(&r, 0) < 0)
		return 1;
	/* an invoker's descriptors are not the responder's */
	close_inherited(r.fds[0], r.fds[1]);
	log_set_verbose(r.verbose);
	if (r.syslog)
		log_use_syslog();
	if (confine_process(method_name(&r), r.uid, r.gid, SYS_accept4) < 0)
		return 1;
	if (r.mode == RESPONDER_ALPN)
		alpn_serve(&r.alpn, r.fds, r.nfds, 0);
	else
		serve(&r, 0);
	return 0;
}

/* The responder child: a fresh image of this program with the table on
 * descriptor 0 (main keeps 0-2 open, so no listener is there) and the
 * listeners where they are, the only descriptors it keeps across exec.
 * Never returns. */
static void responder_exec(const struct responder *r, int table)
{
	char *argv[] = { (char *)"picoacme", (char *)RESPONDER_ARG, NULL }, *envp[] = { NULL };

	if (dup2(table, 0) >= 0) {
		for (int i = 0; i < r->nfds; i++)
			ioctl(r->fds[i], FIONCLEX);
#ifdef PICOACME_CALLGRIND
		{
			/* `make bench` under valgrind, which resolves the link for
			 * readlink but not for execve */
			char self[512];
			ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

			if (n > 0) {
				self[n] = '\0';
				execve(self, argv, envp);
			}
		}
#endif
		execve("/proc/self/exe", argv, envp);
	}
	/* no copy of this process serves: it holds the keys */
	err("%s: /proc/self/exe: %s", method_name(r), strerror(errno));
	_exit(1);
}

int responder_start(struct responder *r)
{
	int p[2];
	pid_t pid;

	if (r->mode != RESPONDER_HTTP && r->mode != RESPONDER_ALPN)
		return 0;
	if (pipe2(p, O_CLOEXEC) < 0) {
		err("%s: pipe: %s", method_name(r), strerror(errno));
		return -1;
	}
	pid = _Fork();
	if (pid < 0) {
		err("%s: fork: %s", method_name(r), strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		CHILD_STARTS();
		responder_exec(r, p[0]);
	}
	close(p[0]);
	r->ctl = p[1];
	r->pid = pid;
	r->verbose = log_verbose();
	r->syslog = log_uses_syslog();
	if (fd_full(p[1], r, offsetof(struct responder, text) + r->text_len, 1) < 0) {
		err("%s: pipe: %s", method_name(r), strerror(errno));
		return -1;
	}
	return 0;
}

int responder_wait(struct responder *r, int64_t ms)
{
	struct pollfd p;
	int64_t until = now_ms() + ms;

	if (r == NULL || r->ctl < 0) {
		sleep_ms(ms);
		return 0;
	}
	/* The child holds the only read end of the control pipe: POLLERR on
	 * the write end means it is gone. */
	p.fd = r->ctl;
	p.events = 0;
	for (;;) {
		int64_t left = until - now_ms();
		int st = 0;

		if (left <= 0)
			return 0;
		p.revents = 0;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return 0;
		if (!(p.revents & (POLLERR | POLLHUP)))
			continue;
		while (waitpid(r->pid, &st, 0) < 0 && errno == EINTR)
			;
		r->pid = -1;
		err("%s stopped during validation (%s %d)",
		    method_name(r), WIFSIGNALED(st) ? "signal" : "exit status",
		    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		return -1;
	}
}

void responder_stop(struct responder *r)
{
	if (r->ctl >= 0) {
		close(r->ctl);
		r->ctl = -1;
	}
	if (r->pid > 0) {
		int st;

		while (waitpid(r->pid, &st, 0) < 0 && errno == EINTR)
			;
		r->pid = -1;
	}
	for (int i = 0; i < r->nfds; i++) {
		if (r->fds[i] >= 0)
			close(r->fds[i]);
		r->fds[i] = -1;
	}
	r->nfds = 0;
	for (int i = 0; i < r->n; i++) {
		char path[1024];

		if (r->e[i].written &&
		    webroot_file(r, entry_text(r, r->e[i].token), path, sizeof path) == 0)
			unlink(path);
		r->e[i].written = 0;
	}
}
