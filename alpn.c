/* alpn.c - see alpn.h */
#include "alpn.h"
#include "http.h"
#include "jws.h"
#include "responder.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define ALPN_CLIENT_TIMEOUT_MS 2500
#define ALPN_EVICT_MS CHALLENGE_EVICT_MS

void alpn_init(struct alpn_certs *a)
{
	a->have_key = 0;
	a->n = 0;
	a->text_len = 0;
	a->e = NULL;
	a->text = NULL;
}

int alpn_sni_name(const char *ident, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char ip[16];
	size_t n = 0;

	if (inet_pton(AF_INET, ident, ip) == 1)
		return (size_t)str_fmt(out, cap, "%u.%u.%u.%u.in-addr.arpa", ip[3], ip[2], ip[1],
				       ip[0]) < cap ? 0 : -1;
	if (inet_pton(AF_INET6, ident, ip) != 1)
		return str_copy(out, cap, ident);
	if (cap < 16 * 4 + sizeof "ip6.arpa")
		return -1;
	for (int i = 15; i >= 0; i--) { /* nibbles, lowest first (RFC 3596) */
		out[n++] = hex[ip[i] & 15];
		out[n++] = '.';
		out[n++] = hex[ip[i] >> 4];
		out[n++] = '.';
	}
	memcpy(out + n, "ip6.arpa", sizeof "ip6.arpa");
	return 0;
}

/* Appends s to a's text; its offset, or -1 when full. */
static long add_text(struct alpn_certs *a, const char *s)
{
	size_t len = strlen(s) + 1, at = a->text_len;

	if (len > ALPN_TEXT_MAX - a->text_len)
		return -1;
	memcpy(a->text + at, s, len);
	a->text_len += len;
	return (long)at;
}

int alpn_add(struct alpn_certs *a, const char *ident, const char *keyauth)
{
	char sni[ALPN_SNI_MAX];
	struct alpn_entry *e;
	long io, so;

	if (a->e == NULL) {
		a->e = malloc(ALPN_MAX_CERTS * sizeof *a->e);
		a->text = malloc(ALPN_TEXT_MAX);
		if (a->e == NULL || a->text == NULL) {
			err("out of memory");
			return -1;
		}
	}
	if (a->n >= ALPN_MAX_CERTS) {
		err("more than %d tls-alpn-01 identifiers in one order", ALPN_MAX_CERTS);
		return -1;
	}
	if (!a->have_key) {
		if (key_generate(&a->key, KEY_EC256) < 0) {
			err("tls-alpn-01: cannot generate a key");
			return -1;
		}
		a->have_key = 1;
	}
	e = &a->e[a->n];
	if (alpn_sni_name(ident, sni, sizeof sni) < 0 || (io = add_text(a, ident)) < 0 ||
	    (so = add_text(a, sni)) < 0) {
		err("%s: name too long for tls-alpn-01", ident);
		return -1;
	}
	e->ident = (unsigned)io;
	e->sni = (unsigned)so;
	jws_key_authorization_digest(keyauth, e->digest);
	a->n++;
	return 0;
}

/* The responder child's certificates, made once each: validators from
 * several vantage points ask for the same one. */
static struct cached_cert {
	unsigned short len;
	unsigned char der[ALPN_CERT_MAX];
} *cert_cache;

int alpn_cert_for(const struct alpn_certs *a, const char *sni, unsigned char *out, size_t cap)
{
	for (int i = 0; i < a->n; i++) {
		struct cached_cert *c = cert_cache != NULL ? &cert_cache[i] : NULL;
		int len;

		if (strcasecmp(sni, a->text + a->e[i].sni) != 0)
			continue;
		if (c != NULL && c->len > 0 && c->len <= cap) {
			memcpy(out, c->der, c->len);
			return c->len;
		}
		len = key_acme_tls_cert(&a->key, a->text + a->e[i].ident, a->e[i].digest, out, cap);
		if (len > 0 && c != NULL && (size_t)len <= sizeof c->der) {
			memcpy(c->der, out, (size_t)len);
			c->len = (unsigned short)len;
		}
		return len;
	}
	return -1;
}

void alpn_free(struct alpn_certs *a)
{
	if (a->have_key)
		key_free(&a->key);
	free(a->e);
	free(a->text);
	alpn_init(a);
}

/* The policy BearSSL asks for a certificate: it picks the chain by SNI,
 * refuses a client that did not negotiate acme-tls/1, and leaves the rest
 * (suite, signing) to BearSSL's own single-EC policy set up beside it. */
struct sni_policy {
	const br_ssl_server_policy_class *vtable;
	br_ssl_server_policy_ec_context *ec;
	const struct alpn_certs *certs;
	br_x509_certificate chain;
	unsigned char der[ALPN_CERT_MAX];
};

static int sni_choose(const br_ssl_server_policy_class **pctx, const br_ssl_server_context *cc,
		      br_ssl_server_choices *choices)
{
	struct sni_policy *p = (struct sni_policy *)(void *)pctx;
	int len;

	/* RFC 8737 §3: acme-tls/1 negotiated, or no certificate at all */
	if (cc->eng.selected_protocol != 1)
		return 0;
	len = alpn_cert_for(p->certs, cc->eng.server_name, p->der, sizeof p->der);
	if (len < 0)
		return 0;
	p->chain.data = p->der;
	p->chain.data_len = (size_t)len;
	p->ec->chain = &p->chain;
	return p->ec->vtable->choose(&p->ec->vtable, cc, choices);
}

static uint32_t sni_do_keyx(const br_ssl_server_policy_class **pctx, unsigned char *data,
			    size_t *len)
{
	struct sni_policy *p = (struct sni_policy *)(void *)pctx;

	return p->ec->vtable->do_keyx(&p->ec->vtable, data, len);
}

static size_t sni_do_sign(const br_ssl_server_policy_class **pctx, unsigned algo_id,
			  unsigned char *data, size_t hv_len, size_t len)
{
	struct sni_policy *p = (struct sni_policy *)(void *)pctx;

	return p->ec->vtable->do_sign(&p->ec->vtable, algo_id, data, hv_len, len);
}

static const br_ssl_server_policy_class sni_policy_vtable = {
	sizeof(struct sni_policy), sni_choose, sni_do_keyx, sni_do_sign
};

size_t alpn_policy_size(void)
{
	return sizeof(struct sni_policy);
}

void alpn_server_setup(const struct alpn_certs *a, br_ssl_server_context *cc, void *policy,
		       unsigned char *iobuf)
{
	static const char *protocols[] = { ALPN_PROTOCOL };
	struct sni_policy *p = policy;

	static const uint16_t suites[] = {
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	};

	br_ssl_server_zero(cc);
	http_tls_engine(&cc->eng);
	br_ssl_engine_set_suites(&cc->eng, suites, sizeof suites / sizeof suites[0]);
	p->chain.data = p->der; /* the chain is chosen by SNI */
	p->chain.data_len = 0;
	key_tls_server(&a->key, cc, &p->chain);
	br_ssl_engine_set_protocol_names(&cc->eng, protocols, 1);
	br_ssl_engine_add_flags(&cc->eng, BR_OPT_FAIL_ON_ALPN_MISMATCH);
	br_ssl_engine_set_buffer(&cc->eng, iobuf, ALPN_IOBUF, 0);
	p->vtable = &sni_policy_vtable;
	p->ec = &cc->chain_handler.single_ec;
	p->certs = a;
	br_ssl_server_set_policy(cc, &p->vtable);
	br_ssl_server_reset(cc);
}

/* A client's engine, apart from the slot table: only the engines of
 * clients that came are touched (16 of them are 200 KiB). */
struct tls_engine {
	br_ssl_server_context sc;
	struct sni_policy policy;
	unsigned char iobuf[ALPN_IOBUF];
};

struct tls_client {
	int fd;
	int64_t since;
	struct tls_engine *t;
};

/* Moves one client's handshake as far as its socket allows. Returns the
 * poll events it waits for, or 0 when it is done (or failed). */
static short tls_step(struct tls_client *c)
{
	br_ssl_engine_context *eng = &c->t->sc.eng;

	for (;;) {
		unsigned st = br_ssl_engine_current_state(eng);
		unsigned char *buf;
		size_t len;
		ssize_t n;

		if (st & BR_SSL_CLOSED)
			return 0;
		if (st & BR_SSL_SENDREC) {
			buf = br_ssl_engine_sendrec_buf(eng, &len);
			n = send(c->fd, buf, len, MSG_NOSIGNAL);
			if (n < 0)
				return errno == EAGAIN || errno == EINTR ? POLLOUT : 0;
			br_ssl_engine_sendrec_ack(eng, (size_t)n);
			continue;
		}
		if (st & BR_SSL_RECVAPP) { /* a validator sends nothing; drop it */
			br_ssl_engine_recvapp_buf(eng, &len);
			br_ssl_engine_recvapp_ack(eng, len);
			continue;
		}
		if (st & BR_SSL_SENDAPP) { /* handshake done: the validator has seen the certificate */
			br_ssl_engine_close(eng);
			continue;
		}
		if (st & BR_SSL_RECVREC) {
			buf = br_ssl_engine_recvrec_buf(eng, &len);
			n = read(c->fd, buf, len);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				return 0;
			if (n < 0)
				return POLLIN;
			br_ssl_engine_recvrec_ack(eng, (size_t)n);
			continue;
		}
		return 0;
	}
}

/* The slot a new connection may take: a free one, else the longest-held
 * client once it has had ALPN_EVICT_MS (a handshake takes milliseconds;
 * an idle or slow client goes, a burst of validators waits in the backlog
 * instead of pushing each other out). -1 when none may be taken yet;
 * *wait is then how long until one may. */
static int free_slot(const struct tls_client *cl, int64_t now, int *wait)
{
	int oldest = 0;

	for (int k = 0; k < ALPN_MAX_CLIENTS; k++) {
		if (cl[k].fd < 0)
			return k;
		if (cl[k].since < cl[oldest].since)
			oldest = k;
	}
	if (now - cl[oldest].since >= ALPN_EVICT_MS)
		return oldest;
	*wait = (int)(cl[oldest].since + ALPN_EVICT_MS - now);
	return -1;
}

void alpn_serve(const struct alpn_certs *a, const int *fds, int nfds, int ctl)
{
	static struct tls_client cl[ALPN_MAX_CLIENTS];
	static struct tls_engine engines[ALPN_MAX_CLIENTS];
	struct pollfd pfd[1 + 2 + ALPN_MAX_CLIENTS];
	short want[ALPN_MAX_CLIENTS];
	int nl = nfds < 2 ? nfds : 2;

	cert_cache = alloc_zeroed((size_t)a->n, sizeof *cert_cache); /* NULL: made every time */
	for (int i = 0; i < ALPN_MAX_CLIENTS; i++) {
		cl[i].fd = -1;
		cl[i].t = &engines[i];
		want[i] = 0;
	}
	for (;;) {
		int np = 0, timeout = 1000, wait = 0;
		int64_t now = now_ms();
		int admit = free_slot(cl, now, &wait) >= 0;

		if (!admit && wait < timeout)
			timeout = wait;
		pfd[np++] = (struct pollfd){ .fd = ctl, .events = POLLIN };
		for (int i = 0; i < nl; i++)
			pfd[np++] = (struct pollfd){ .fd = fds[i], .events = admit ? POLLIN : 0 };
		for (int i = 0; i < ALPN_MAX_CLIENTS; i++) {
			int64_t left = cl[i].since + ALPN_CLIENT_TIMEOUT_MS - now;

			pfd[np++] = (struct pollfd){ .fd = cl[i].fd, .events = cl[i].fd >= 0 ? want[i] : 0 };
			if (cl[i].fd >= 0 && left < timeout)
				timeout = left > 0 ? (int)left : 0;
		}
		if (poll(pfd, (nfds_t)np, timeout) < 0 && errno != EINTR)
			return;
		if (pfd[0].revents)
			return; /* the parent closed the pipe or died */
		for (int i = 0; i < nl; i++) {
			int fd, slot;

			if (!(pfd[1 + i].revents & POLLIN))
				continue;
			while ((slot = free_slot(cl, now_ms(), &wait)) >= 0 &&
			       (fd = accept4(fds[i], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				if (cl[slot].fd >= 0)
					close(cl[slot].fd);
				cl[slot].fd = fd;
				cl[slot].since = now_ms();
				alpn_server_setup(a, &cl[slot].t->sc, &cl[slot].t->policy, cl[slot].t->iobuf);
				want[slot] = tls_step(&cl[slot]);
				pfd[1 + nl + slot].revents = 0;
				if (want[slot] == 0) {
					close(fd);
					cl[slot].fd = -1;
				}
			}
		}
		now = now_ms();
		for (int i = 0; i < ALPN_MAX_CLIENTS; i++) {
			struct tls_client *c = &cl[i];

			if (c->fd < 0)
				continue;
			if (pfd[1 + nl + i].revents)
				want[i] = tls_step(c);
			if (want[i] == 0 || now - c->since >= ALPN_CLIENT_TIMEOUT_MS) {
				close(c->fd);
				c->fd = -1;
			}
		}
	}
}
