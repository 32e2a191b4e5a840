/* http.c - see http.h */
#include "http.h"
#include "key.h"
#include "resolve.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- URLs ---- */

static int url_char_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '#';
}

int url_parse(const char *s, struct url *u)
{
	const char *p, *host_end, *path;
	size_t hl;

	memset(u, 0, sizeof *u);
	if (strncmp(s, "https://", 8) != 0)
		return -1;
	for (p = s; *p; p++)
		if (!url_char_ok((unsigned char)*p))
			return -1;
	p = s + 8;
	path = strchr(p, '/');
	if (path == NULL)
		path = p + strlen(p);
	if (memchr(p, '@', (size_t)(path - p)) != NULL || memchr(p, '?', (size_t)(path - p)) != NULL)
		return -1;
	if (*p == '[') {
		host_end = memchr(p, ']', (size_t)(path - p));
		if (host_end == NULL)
			return -1;
		hl = (size_t)(host_end - p - 1);
		if (hl == 0 || hl >= sizeof u->host)
			return -1;
		memcpy(u->host, p + 1, hl);
		host_end++;
	} else {
		host_end = memchr(p, ':', (size_t)(path - p));
		if (host_end == NULL)
			host_end = path;
		hl = (size_t)(host_end - p);
		if (hl == 0 || hl >= sizeof u->host)
			return -1;
		memcpy(u->host, p, hl);
		for (size_t i = 0; i < hl; i++)
			if (!isalnum((unsigned char)u->host[i]) && u->host[i] != '-' &&
			    u->host[i] != '.' && u->host[i] != '_')
				return -1;
	}
	if (*host_end == ':') {
		size_t pl = (size_t)(path - host_end - 1);
		int64_t port;
		const char *end;

		if (pl == 0 || pl > 5)
			return -1;
		memcpy(u->port, host_end + 1, pl);
		port = str_to_i64(u->port, &end);
		if (*end != '\0' || port < 1 || port > 65535)
			return -1;
	} else if (host_end != path) {
		return -1;
	} else {
		memcpy(u->port, "443", 4);
	}
	if (*path == '\0')
		path = "/";
	if (str_copy(u->path, sizeof u->path, path) < 0)
		return -1;
	return 0;
}

/* ---- chunked ---- */

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF,
       CH_TRAILER, CH_TRAILER_LF, CH_DONE };

void chunked_init(struct chunked *ch)
{
	memset(ch, 0, sizeof *ch);
	ch->state = CH_SIZE;
}

int chunked_feed(struct chunked *ch, const unsigned char *in, size_t in_len,
		 size_t *used, unsigned char *out, size_t *out_len, size_t out_cap)
{
	size_t i = 0;
	int ret = 0;

	while (i < in_len && ch->state != CH_DONE) {
		unsigned char c = in[i];

		switch (ch->state) {
		case CH_SIZE:
			if (isxdigit(c)) {
				int v = isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10);

				if (ch->remaining > (HTTP_MAX_BODY >> 4) + 1) {
					ret = -1;
					goto out;
				}
				ch->remaining = ch->remaining * 16 + (size_t)v;
				ch->saw_digit = 1;
				i++;
			} else if (c == '\r' && ch->saw_digit) {
				ch->state = CH_SIZE_LF;
				i++;
			} else if (ch->saw_digit && (c == ';' || c == ' ' || c == '\t')) {
				ch->state = CH_EXT;
				ch->line_len = 0;
			} else {
				ret = -1;
				goto out;
			}
			break;
		case CH_EXT:
			/* Chunk extensions are ignored but bounded. */
			if (c == '\r') {
				ch->state = CH_SIZE_LF;
			} else if (++ch->line_len > 256 || c == '\n') {
				ret = -1;
				goto out;
			}
			i++;
			break;
		case CH_SIZE_LF:
			if (c != '\n') {
				ret = -1;
				goto out;
			}
			i++;
			ch->saw_digit = 0;
			ch->line_len = 0;
			ch->state = ch->remaining == 0 ? CH_TRAILER : CH_DATA;
			break;
		case CH_DATA: {
			size_t n = in_len - i;

			if (n > ch->remaining)
				n = ch->remaining;
			if (n > out_cap - *out_len) {
				ret = -1;
				goto out;
			}
			memcpy(out + *out_len, in + i, n);
			*out_len += n;
			i += n;
			ch->remaining -= n;
			if (ch->remaining == 0)
				ch->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
		case CH_DATA_LF:
			if (c != (ch->state == CH_DATA_CR ? '\r' : '\n')) {
				ret = -1;
				goto out;
			}
			i++;
			ch->state = ch->state == CH_DATA_CR ? CH_DATA_LF : CH_SIZE;
			break;
		case CH_TRAILER:
			/* Trailer fields are skipped; an empty line ends the body. */
			if (c == '\r') {
				ch->state = CH_TRAILER_LF;
			} else if (++ch->line_len > HTTP_MAX_HEADER || c == '\n') {
				ret = -1;
				goto out;
			}
			i++;
			break;
		case CH_TRAILER_LF:
			if (c != '\n') {
				ret = -1;
				goto out;
			}
			i++;
			if (ch->line_len == 0)
				ch->state = CH_DONE;
			else
				ch->state = CH_TRAILER;
			ch->line_len = 0;
			break;
		default:
			ret = -1;
			goto out;
		}
	}
	if (ch->state == CH_DONE)
		ret = 1;
out:
	*used = i;
	return ret;
}


/* ---- sockets with a request deadline ---- */

static int remaining_ms(const struct http_client *c)
{
	int64_t left = c->deadline - now_ms();

	if (left <= 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

static int wait_fd(struct http_client *c, short events)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };

	for (;;) {
		int left = remaining_ms(c);
		int r;

		if (left == 0) {
			c->io_timed_out = 1;
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&pfd, 1, left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int sock_read(void *ctx, unsigned char *buf, size_t len)
{
	struct http_client *c = ctx;

	for (;;) {
		ssize_t n;

		if (wait_fd(c, POLLIN) < 0)
			return -1;
		n = read(c->fd, buf, len);
		if (n > 0)
			return (int)n;
		if (n == 0)
			return -1;
		if (errno != EINTR && errno != EAGAIN)
			return -1;
	}
}

static int sock_write(void *ctx, const unsigned char *buf, size_t len)
{
	struct http_client *c = ctx;

	for (;;) {
		ssize_t n;

		if (wait_fd(c, POLLOUT) < 0)
			return -1;
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n > 0)
			return (int)n;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -1;
	}
}

/* RFC 8305's Connection Attempt Delay: the next address is tried this long
 * after the previous one (or at once when it fails), while earlier attempts
 * go on; the first connection wins. A blackholed address then costs 250 ms,
 * not the whole deadline. */
#define HAPPY_EYEBALLS_MS 250

/* Starts a non-blocking connect to sa. The socket, or -1 with errno. */
static int connect_start(const struct sockaddr_storage *sa, socklen_t len)
{
	int one = 1, fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (const struct sockaddr *)sa, len) < 0 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Connects c->fd to one of the addresses, attempts staggered as above, all
 * within the request deadline. 0, or -1 with the last error in errno
 * (ETIMEDOUT and c->io_timed_out when the deadline passed). */
static int connect_any(struct http_client *c, const struct resolved *a)
{
	int fds[RESOLVE_MAX], last_err = ECONNREFUSED, ret = -1;
	size_t started = 0;
	int64_t next_start = 0;

	for (size_t i = 0; i < RESOLVE_MAX; i++)
		fds[i] = -1;
	while (ret < 0) {
		struct pollfd pfd[RESOLVE_MAX];
		size_t idx[RESOLVE_MAX], np = 0;
		int64_t now = now_ms(), until;

		for (size_t i = 0; i < started; i++)
			if (fds[i] >= 0) {
				pfd[np].fd = fds[i];
				pfd[np].events = POLLOUT;
				pfd[np].revents = 0;
				idx[np++] = i;
			}
		if (started < a->n && (now >= next_start || np == 0)) {
			fds[started] = connect_start(&a->addr[started], a->len[started]);
			if (fds[started] < 0)
				last_err = errno; /* the next one starts at once */
			else
				next_start = now + HAPPY_EYEBALLS_MS;
			started++;
			continue;
		}
		if (np == 0)
			break; /* every address failed */
		if (now >= c->deadline) {
			c->io_timed_out = 1;
			last_err = ETIMEDOUT;
			break;
		}
		until = started < a->n && next_start < c->deadline ? next_start : c->deadline;
		if (poll(pfd, np, (int)(until - now)) < 0 && errno != EINTR) {
			last_err = errno;
			break;
		}
		for (size_t j = 0; j < np && ret < 0; j++) {
			int soerr = 0;
			socklen_t sl = sizeof soerr;

			if (pfd[j].revents == 0)
				continue;
			if (getsockopt(pfd[j].fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) {
				c->fd = pfd[j].fd;
				fds[idx[j]] = -1;
				ret = 0;
			} else {
				last_err = soerr ? soerr : errno;
				close(pfd[j].fd);
				fds[idx[j]] = -1;
				next_start = now; /* a failure starts the next address at once */
			}
		}
	}
	for (size_t i = 0; i < started; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (ret < 0)
		errno = last_err;
	return ret;
}

static const char *tls_error_text(int e)
{
	switch (e) {
	case BR_ERR_X509_NOT_TRUSTED:
		return "server certificate is not trusted by the CA file (see --ca)";
	case BR_ERR_X509_EXPIRED:
		return "server certificate expired or not yet valid (is the clock set?)";
	case BR_ERR_X509_BAD_SERVER_NAME:
		return "server certificate does not match the host name";
	case BR_ERR_X509_BAD_SIGNATURE:
		return "server certificate chain has a bad signature";
	case BR_ERR_IO:
		return "connection failed during TLS";
	default:
		return NULL;
	}
}

/* TLS 1.2 with ECDHE and AES-GCM only: what every ACME CA serves (Let's
 * Encrypt, ZeroSSL, Google, Buypass), and far less code than
 * br_ssl_client_init_full links in. ChaCha20-Poly1305 would add 2.6 KiB for
 * the few kilobytes an issuance encrypts. The X.509
 * engine keeps SHA-256/384/512 and P-256/P-384 (Let's Encrypt's ECDSA chains
 * need SHA-384 and P-384) and RSA. */
const br_ecdsa_vrfy http_ecdsa_vrfy = &br_ecdsa_i31_vrfy_asn1;
const br_rsa_pkcs1_vrfy http_rsa_vrfy = &br_rsa_i31_pkcs1_vrfy;
const br_ec_impl *const http_ec = &br_ec_prime_i31;

static const struct {
	int id;
	const br_hash_class *impl;
} tls_hashes[] = {
	{ br_sha256_ID, &br_sha256_vtable },
	{ br_sha384_ID, &br_sha384_vtable },
	{ br_sha512_ID, &br_sha512_vtable },
};

void http_x509_setup(struct trust_x509 *x, struct trust_anchors *tas)
{
	trust_x509_init(x, tas);
	for (size_t i = 0; i < sizeof tls_hashes / sizeof tls_hashes[0]; i++)
		br_x509_minimal_set_hash(&x->minimal, tls_hashes[i].id, tls_hashes[i].impl);
	br_x509_minimal_set_rsa(&x->minimal, http_rsa_vrfy);
	br_x509_minimal_set_ecdsa(&x->minimal, http_ec, http_ecdsa_vrfy);
}

void http_tls_setup(struct http_client *c)
{
	static const uint16_t suites[] = {
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	};
	br_ssl_client_context *cc = &c->sc;
	br_ssl_engine_context *eng = &cc->eng;

	br_ssl_client_zero(cc);
	http_tls_engine(eng);
	br_ssl_engine_set_suites(eng, suites, sizeof suites / sizeof suites[0]);
	http_x509_setup(&c->tx, c->tas);
	br_ssl_engine_set_x509(eng, &c->tx.vtable);
	br_ssl_client_set_rsapub(cc, &br_rsa_i31_public);
	br_ssl_engine_set_rsavrfy(eng, http_rsa_vrfy);
	br_ssl_engine_set_ecdsa(eng, http_ecdsa_vrfy);
}

void http_tls_engine(br_ssl_engine_context *eng)
{
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	for (size_t i = 0; i < sizeof tls_hashes / sizeof tls_hashes[0]; i++)
		br_ssl_engine_set_hash(eng, tls_hashes[i].id, tls_hashes[i].impl);
	br_ssl_engine_set_ec(eng, http_ec);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_gcm(eng, &br_sslrec_in_gcm_vtable, &br_sslrec_out_gcm_vtable);
	br_ssl_engine_set_aes_ctr(eng, &br_aes_ct_ctr_vtable);
	br_ssl_engine_set_ghash(eng, &br_ghash_ctmul);
}

/* The address bytes of an IPv4 or IPv6 literal host into ip; its length
 * (4 or 16), or 0 for a DNS name. */
static size_t host_ip(const char *host, unsigned char ip[16])
{
	if (inet_pton(AF_INET, host, ip) == 1)
		return 4;
	if (inet_pton(AF_INET6, host, ip) == 1)
		return 16;
	return 0;
}

static int tls_open(struct http_client *c, const struct url *u, const char *url)
{
	static struct resolved addrs;
	int ret = -1, resume;
	char why[128] = "no address";
	unsigned char ip[16];
	size_t iplen;

	resume = strcmp(c->host, u->host) == 0 && strcmp(c->port, u->port) == 0;
	if (resolve_host(u->host, (uint16_t)str_to_i64(u->port, NULL), c->deadline, &addrs, why,
			 sizeof why) < 0) {
		err("%s: cannot resolve host %s: %s", url, u->host, why);
		goto out;
	}
	if (connect_any(c, &addrs) < 0) {
		str_fmt(why, sizeof why, "%s", c->io_timed_out ? "connect timed out" : strerror(errno));
		err("%s: cannot connect: %s", url, why);
		goto out;
	}
	c->connects++;
	/* A fresh x509 engine per handshake; anchors are shared. */
	http_tls_setup(c);
	br_ssl_engine_set_buffers_bidi(&c->sc.eng, c->ibuf, sizeof c->ibuf,
				       c->obuf, sizeof c->obuf);
	/* An IP literal is never sent as SNI (RFC 6066 §3); BearSSL matches
	 * DNS names only, so the trust engine checks the iPAddress names. */
	iplen = host_ip(u->host, ip);
	if (iplen != 0)
		trust_x509_expect_ip(&c->tx, ip, iplen);
	if (!br_ssl_client_reset(&c->sc, iplen != 0 ? NULL : u->host, resume)) {
		err("%s: TLS setup failed", url);
		goto out;
	}
	br_sslio_init(&c->io, &c->sc.eng, sock_read, c, sock_write, c);
	/* Drive the handshake now so certificate errors are reported as such. */
	if (br_sslio_flush(&c->io) < 0) {
		int e = br_ssl_engine_last_error(&c->sc.eng);
		const char *t = tls_error_text(e);

		if (c->io_timed_out)
			err("%s: TLS handshake timed out", url);
		else if (t)
			err("%s: %s", url, t);
		else
			err("%s: TLS handshake failed (BearSSL error %d)", url, e);
		goto out;
	}
	c->tls_open = 1;
	str_copy(c->host, sizeof c->host, u->host);
	str_copy(c->port, sizeof c->port, u->port);
	ret = 0;
out:
	if (ret < 0 && c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	return ret;
}

/* Sends close_notify without waiting for the peer's (RFC 5246 §7.2.1 allows
 * it). br_sslio_close is not used: it waits for the peer and can spin when
 * unread application data is left in the engine. */
static void tls_shutdown(struct http_client *c)
{
	br_ssl_engine_context *eng = &c->sc.eng;

	c->deadline = now_ms() + 500;
	br_ssl_engine_close(eng);
	for (int i = 0; i < 4; i++) {
		unsigned char *buf;
		size_t len;
		int w;

		if (!(br_ssl_engine_current_state(eng) & BR_SSL_SENDREC))
			break;
		buf = br_ssl_engine_sendrec_buf(eng, &len);
		w = sock_write(c, buf, len);
		if (w <= 0)
			break;
		br_ssl_engine_sendrec_ack(eng, (size_t)w);
	}
}

void http_close(struct http_client *c)
{
	if (c->fd < 0)
		return;
	if (c->tls_open)
		tls_shutdown(c);
	close(c->fd);
	c->fd = -1;
	c->tls_open = 0;
}

void http_init(struct http_client *c, struct trust_anchors *tas)
{
	/* The I/O buffers are not cleared: they are written before they are read. */
	c->tls_open = 0;
	c->host[0] = c->port[0] = '\0';
	c->io_timed_out = c->resend = 0;
	c->connects = c->requests = 0;
	c->fd = -1;
	c->tas = tas;
	c->timeout_ms = HTTP_DEFAULT_TIMEOUT_MS;
}

void http_response_free(struct http_response *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = r->body_cap = 0;
}

/* Makes room for at least need more body bytes (plus the NUL); -1 past the
 * cap. The buffer is the whole cap from the start: a block that large is
 * mapped on its own, and only the pages responses fill are ever touched,
 * where growing by doubling left every smaller copy behind (60 KiB of them
 * for a 100-name order). */
static int body_reserve(struct http_response *r, size_t need)
{
	if (r->body_len + need + 1 > HTTP_MAX_BODY + 1)
		return -1;
	if (r->body == NULL) {
		r->body = malloc(HTTP_MAX_BODY + 1);
		if (r->body == NULL)
			return -1;
		r->body_cap = HTTP_MAX_BODY + 1;
	}
	return 0;
}

/* ---- response header parsing ---- */

static void trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

static void copy_value(char *dst, size_t cap, const char *s, const char *e)
{
	size_t n = (size_t)(e - s);

	if (n >= cap)
		n = 0; /* oversized values are dropped rather than truncated */
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Resolves a Location/Link target against the current origin. Only https://
 * results are accepted; anything else leaves dst empty. */
static void set_url(const struct http_client *c, char *dst, size_t cap, const char *s, const char *e)
{
	char tmp[HTTP_MAX_URL];
	struct url u;

	copy_value(tmp, sizeof tmp, s, e);
	dst[0] = '\0';
	if (tmp[0] == '/' && tmp[1] != '/') {
		int v6 = strchr(c->host, ':') != NULL;

		if ((size_t)str_fmt(dst, cap, "https://%s%s%s:%s%s", v6 ? "[" : "", c->host,
				     v6 ? "]" : "", c->port, tmp) >= cap)
			dst[0] = '\0';
	} else if (str_copy(dst, cap, tmp) < 0) {
		return;
	}
	if (dst[0] && url_parse(dst, &u) < 0)
		dst[0] = '\0';
}

/* 1 when the relation at v (up to end) is name, quoted or not. */
static int rel_is(const char *v, const char *end, const char *name)
{
	size_t n = strlen(name);

	return (size_t)(end - v) >= n && strncasecmp(v, name, n) == 0 &&
	       (v + n == end || v[n] == '"' || v[n] == ';' || v[n] == ' ');
}

/* Link: <url>;rel="up", <url2>; rel=alternate, <url3>;rel="next" */
static void parse_link(const struct http_client *c, struct http_response *r, const char *s, const char *e)
{
	while (s < e) {
		const char *lt = memchr(s, '<', (size_t)(e - s)), *gt, *p, *next;
		int up = 0, alt = 0, more = 0;

		if (lt == NULL)
			return;
		gt = memchr(lt, '>', (size_t)(e - lt));
		if (gt == NULL)
			return;
		next = memchr(gt, ',', (size_t)(e - gt));
		if (next == NULL)
			next = e;
		for (p = gt; p < next; p++) {
			if ((size_t)(next - p) >= 6 && strncasecmp(p, "rel=", 4) == 0) {
				const char *v = p + 4;

				if (*v == '"')
					v++;
				up |= rel_is(v, next, "up");
				alt |= rel_is(v, next, "alternate");
				more |= rel_is(v, next, "next");
			}
		}
		if (up)
			set_url(c, r->link_up, sizeof r->link_up, lt + 1, gt);
		if (more)
			set_url(c, r->link_next, sizeof r->link_next, lt + 1, gt);
		if (alt && r->nalt < HTTP_MAX_ALT) {
			set_url(c, r->link_alt[r->nalt], sizeof r->link_alt[0], lt + 1, gt);
			if (r->link_alt[r->nalt][0])
				r->nalt++;
		}
		s = next + (next < e);
	}
}

static long parse_retry_after(const char *s, const char *e)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char buf[64] = { 0 };
	const char *end, *m;
	int64_t v, f[5];

	copy_value(buf, sizeof buf, s, e);
	if (buf[0] >= '0' && buf[0] <= '9') {
		v = str_to_i64(buf, &end);
		return *end == '\0' && v <= 1000000000 ? (long)v : -1;
	}
	/* IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" */
	if (strlen(buf) != 29 || buf[3] != ',' || buf[4] != ' ' || buf[7] != ' ' || buf[11] != ' ' ||
	    buf[16] != ' ' || buf[19] != ':' || buf[22] != ':' || strcmp(buf + 25, " GMT") != 0)
		return -1;
	buf[7] = buf[11] = '\0';
	m = mem_find(months, sizeof months - 1, buf + 8, 3);
	if (strlen(buf + 8) != 3 || m == NULL || (m - months) % 3 != 0)
		return -1;
	for (int i = 0; i < 5; i++) {
		static const unsigned char at[5] = { 5, 12, 17, 20, 23 }, len[5] = { 2, 4, 2, 2, 2 };

		f[i] = str_to_i64(buf + at[i], &end);
		if (end != buf + at[i] + len[i] || buf[at[i]] == '-')
			return -1;
	}
	v = time_from_civil(f[1], (int)(m - months) / 3 + 1, (int)f[0], (int)f[2], (int)f[3], (int)f[4]) -
	    wall_now();
	return v < 0 ? 0 : v > 1000000000 ? -1 : (long)v;
}

int http_parse_head(const struct http_client *c, struct http_response *r,
		    const char *hdr, size_t hlen, struct http_framing *f)
{
	const char *line = hdr, *end = hdr + hlen, *eol, *sp;

	f->content_length = -1;
	f->chunked = 0;
	f->close = 0;
	r->status = 0;
	r->nonce[0] = r->location[0] = r->link_up[0] = r->link_next[0] = r->content_type[0] = '\0';
	r->nalt = 0;
	r->retry_after = -1;
	eol = memchr(line, '\n', (size_t)(end - line));
	if (eol == NULL || hlen < 8 || strncmp(line, "HTTP/1.", 7) != 0)
		return -1;
	sp = memchr(line, ' ', (size_t)(eol - line));
	if (sp == NULL || eol - sp < 4 || !isdigit((unsigned char)sp[1]) ||
	    !isdigit((unsigned char)sp[2]) || !isdigit((unsigned char)sp[3]))
		return -1;
	r->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
	if (line[7] == '0')
		f->close = 1; /* HTTP/1.0 defaults to close */
	for (line = eol + 1; line < end; line = eol + 1) {
		const char *name = line, *colon, *vs, *ve;

		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL)
			eol = end;
		ve = eol;
		if (ve > line && ve[-1] == '\r')
			ve--;
		if (ve == line)
			break;
		colon = memchr(line, ':', (size_t)(ve - line));
		if (colon == NULL)
			return -1;
		vs = colon + 1;
		trim(&vs, &ve);
#define IS(h) ((size_t)(colon - name) == sizeof(h) - 1 && strncasecmp(name, h, sizeof(h) - 1) == 0)
		if (IS("Replay-Nonce")) {
			copy_value(r->nonce, sizeof r->nonce, vs, ve);
		} else if (IS("Location")) {
			set_url(c, r->location, sizeof r->location, vs, ve);
		} else if (IS("Link")) {
			parse_link(c, r, vs, ve);
		} else if (IS("Retry-After")) {
			r->retry_after = parse_retry_after(vs, ve);
		} else if (IS("Content-Type")) {
			copy_value(r->content_type, sizeof r->content_type, vs, ve);
		} else if (IS("Content-Length")) {
			char num[24];
			const char *e2;

			copy_value(num, sizeof num, vs, ve);
			f->content_length = str_to_i64(num, &e2);
			if (num[0] < '0' || num[0] > '9' || *e2 != '\0')
				return -1;
		} else if (IS("Transfer-Encoding")) {
			if ((size_t)(ve - vs) >= 7 && strncasecmp(ve - 7, "chunked", 7) == 0)
				f->chunked = 1;
			else
				return -1;
		} else if (IS("Connection")) {
			if ((size_t)(ve - vs) == 5 && strncasecmp(vs, "close", 5) == 0)
				f->close = 1;
		}
#undef IS
	}
	return 0;
}

/* ---- one exchange on an open connection ---- */

/* What one read from the TLS engine copies into c->hdr at most: the head is
 * small, and chunked bodies pass through on their way to the body buffer. */
#define HTTP_READ_PIECE 2048

enum { XCH_OK = 0, XCH_FAIL = -1, XCH_RETRY = -2, XCH_LOST = -3 };

static int exchange(struct http_client *c, const char *method, const struct url *u,
		    const char *url, const char *content_type, const char *accept,
		    const char *body, size_t body_len, struct http_response *r)
{
	char req[HTTP_MAX_URL + 512];
	int v6 = strchr(u->host, ':') != NULL;
	int n, got_any = 0, head = strcmp(method, "HEAD") == 0;
	size_t hlen = 0, hend = 0;
	struct http_framing f;

	n = str_fmt(req, sizeof req,
		     "%s %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\n"
		     "User-Agent: picoacme/" PICOACME_VERSION "\r\n"
		     "%s%s%s%s%s%s"
		     "Content-Length: %zu\r\n\r\n",
		     method, u->path, v6 ? "[" : "", u->host, v6 ? "]" : "",
		     strcmp(u->port, "443") ? ":" : "", strcmp(u->port, "443") ? u->port : "",
		     accept ? "Accept: " : "", accept ? accept : "", accept ? "\r\n" : "",
		     content_type ? "Content-Type: " : "", content_type ? content_type : "",
		     content_type ? "\r\n" : "", body_len);
	if (n < 0 || (size_t)n >= sizeof req) {
		err("%s: request too long", url);
		return XCH_FAIL;
	}
	if (br_sslio_write_all(&c->io, req, (size_t)n) < 0 ||
	    (body_len && br_sslio_write_all(&c->io, body, body_len) < 0) ||
	    br_sslio_flush(&c->io) < 0)
		goto io_error;

	/* Headers: read until the blank line, capped. */
	for (;;) {
		const char *p;
		int m;

		if (hlen >= sizeof c->hdr - 1) {
			err("%s: response headers exceed %d bytes", url, HTTP_MAX_HEADER);
			return XCH_FAIL;
		}
		/* In pieces: a record holding the head and a large body would
		 * otherwise be copied here whole, touching all 16 KiB. */
		m = br_sslio_read(&c->io, c->hdr + hlen,
				  sizeof c->hdr - 1 - hlen < HTTP_READ_PIECE ? sizeof c->hdr - 1 - hlen
									     : HTTP_READ_PIECE);
		if (m < 0)
			goto io_error;
		got_any = 1;
		hlen += (size_t)m;
		c->hdr[hlen] = '\0';
		p = mem_find(c->hdr, hlen, "\r\n\r\n", 4);
		if (p != NULL) {
			hend = (size_t)(p - c->hdr) + 4;
			break;
		}
	}
	if (http_parse_head(c, r, c->hdr, hend, &f) < 0) {
		err("%s: malformed HTTP response", url);
		return XCH_FAIL;
	}
	vmsg("%s %s -> %d", method, url, r->status);

	/* Body */
	if (head || r->status == 204 || r->status == 304 || (r->status >= 100 && r->status < 200)) {
		f.content_length = 0;
		f.chunked = 0;
	}
	if (f.chunked) {
		const unsigned char *src = (unsigned char *)c->hdr + hend;
		size_t srclen = hlen - hend;
		struct chunked ch;

		chunked_init(&ch);
		for (;;) {
			while (srclen > 0) {
				/* Decoded data never exceeds its input, so reserving the
				 * input size (up to the cap) always leaves enough room. */
				size_t room = HTTP_MAX_BODY - r->body_len, used = 0;
				size_t want = srclen < room ? srclen : room;
				int rc;

				if (body_reserve(r, want) < 0)
					goto too_big;
				rc = chunked_feed(&ch, src, srclen, &used, (unsigned char *)r->body,
						  &r->body_len, r->body_len + want);
				if (rc < 0)
					goto bad_or_big;
				src += used;
				srclen -= used;
				if (rc == 1)
					goto body_done;
			}
			int m = br_sslio_read(&c->io, c->hdr, HTTP_READ_PIECE);

			if (m < 0)
				goto io_error;
			src = (unsigned char *)c->hdr;
			srclen = (size_t)m;
		}
	} else if (f.content_length >= 0) {
		size_t want = (size_t)f.content_length, have = hlen - hend;

		if (f.content_length > HTTP_MAX_BODY)
			goto too_big;
		if (body_reserve(r, want) < 0)
			goto too_big;
		if (have > want)
			have = want;
		memcpy(r->body, c->hdr + hend, have);
		r->body_len = have;
		if (want > have && br_sslio_read_all(&c->io, r->body + have, want - have) < 0)
			goto io_error;
		r->body_len = want;
	} else {
		/* No framing: the body runs to the end of the connection. */
		size_t have = hlen - hend;

		if (body_reserve(r, have) < 0)
			goto too_big;
		memcpy(r->body, c->hdr + hend, have);
		r->body_len = have;
		for (;;) {
			int m;

			if (body_reserve(r, 4096) < 0)
				goto too_big;
			m = br_sslio_read(&c->io, r->body + r->body_len, r->body_cap - 1 - r->body_len);
			if (m < 0)
				break;
			r->body_len += (size_t)m;
		}
		if (c->io_timed_out)
			goto io_error;
		f.close = 1;
	}
body_done:
	if (body_reserve(r, 0) < 0)
		goto too_big;
	r->body[r->body_len] = '\0';
	if (f.close)
		http_close(c);
	return XCH_OK;
bad_or_big:
	if (r->body_len >= HTTP_MAX_BODY)
		goto too_big;
	err("%s: malformed chunked body", url);
	return XCH_FAIL;
too_big:
	err("%s: response body exceeds %d bytes", url, HTTP_MAX_BODY);
	return XCH_FAIL;
io_error:
	if (c->io_timed_out) {
		err("%s: timed out after %d ms", url, c->timeout_ms);
		return XCH_FAIL;
	}
	/* A reused connection the server closed before answering: reopen.
	 * An answer that broke off: the caller's to judge (and word). */
	return got_any ? XCH_LOST : XCH_RETRY;
}

/* Takes r->location as the next URL (into cur and u) when it stays on the
 * origin (host, port) of origin_url; else -1 with an error. Its own frame:
 * the parsed URLs are not on the stack while the request goes on. */
OWN_FRAME static int follow_redirect(const char *origin_url, const struct http_response *r,
				     char *cur, size_t cap, struct url *u)
{
	static struct url origin, next; /* 2.6 KiB, off the stack of every request */

	if (url_parse(origin_url, &origin) < 0 || url_parse(r->location, &next) < 0 ||
	    strcasecmp(next.host, origin.host) != 0 || strcmp(next.port, origin.port) != 0) {
		err("%s: redirect leaves the server's origin (to %s); not followed", cur, r->location);
		return -1;
	}
	if (str_copy(cur, cap, r->location) < 0)
		return -1;
	*u = next;
	return 0;
}

int http_request(struct http_client *c, const char *method, const char *url,
		 const char *content_type, const char *accept,
		 const char *body, size_t body_len, struct http_response *r)
{
	char cur[HTTP_MAX_URL];
	int redirects = 0, attempts = 0, ret = -1;
	struct url u;

	if (str_copy(cur, sizeof cur, url) < 0 || url_parse(cur, &u) < 0) {
		err("%s: not a valid https:// URL", url);
		return -1;
	}
	c->deadline = now_ms() + c->timeout_ms;
	c->io_timed_out = 0;
	for (;;) {
		int fresh = 0, x;

		r->status = 0;
		r->body_len = 0;
		if (c->fd >= 0 && (strcmp(c->host, u.host) != 0 || strcmp(c->port, u.port) != 0))
			http_close(c);
		if (c->fd < 0) {
			if (tls_open(c, &u, cur) < 0)
				goto out;
			fresh = 1;
		}
		c->requests++;
		x = exchange(c, method, &u, cur, content_type, accept, body, body_len, r);
		/* A request without effect is asked again once when its answer
		 * broke off (on a new connection). */
		if (((x == XCH_RETRY && !fresh) || (x == XCH_LOST && c->resend)) && attempts++ == 0) {
			vmsg("%s: %s; reconnecting", cur,
			     x == XCH_LOST ? "the answer broke off" : "server closed the connection");
			http_close(c);
			/* The close spent its own short deadline (close_notify): the
			 * new connection gets a whole one, as on a slow link it needs. */
			c->deadline = now_ms() + c->timeout_ms;
			c->io_timed_out = 0;
			continue;
		}
		if (x == XCH_RETRY) {
			const char *t = tls_error_text(br_ssl_engine_last_error(&c->sc.eng));

			err("%s: connection closed by server%s%s", cur, t ? ": " : "", t ? t : "");
		}
		if (x == XCH_LOST)
			err("%s: connection lost while reading the response", cur);
		if (x != XCH_OK) {
			http_close(c);
			goto out;
		}
		if (strcmp(method, "GET") == 0 && r->status >= 301 && r->status <= 308 &&
		    r->status != 304 && r->status != 305 && r->status != 306) {
			if (r->location[0] == '\0') {
				err("%s: redirect to a missing or non-https location", cur);
				goto out;
			}
			if (++redirects > 3) {
				err("%s: too many redirects", url);
				goto out;
			}
			/* Never off the origin the user configured: a CA's redirect
			 * must not make the router fetch from elsewhere. */
			if (follow_redirect(url, r, cur, sizeof cur, &u) < 0)
				goto out;
			continue;
		}
		break;
	}
	ret = 0;
out:
	return ret;
}
