/* resolve.c - see resolve.h */
#include "resolve.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DNS_MAX_NS 3
#define DNS_MAX_MSG 4096     /* a UDP reply; a larger one is asked again over TCP */
#define DNS_MAX_TCP_MSG 16384 /* a TCP reply: 8 addresses and CNAMEs fit many times */
#define DNS_RETRY_MS 1000
#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_NS 2
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_TXT 16

static const char *hosts_path = "/etc/hosts";
static const char *resolv_conf_path = "/etc/resolv.conf";

/* Appends an address unless it is already there or out is full. */
static void add_sockaddr(struct resolved *out, const struct sockaddr_storage *ss, socklen_t len)
{
	for (size_t i = 0; i < out->n; i++)
		if (out->len[i] == len && memcmp(&out->addr[i], ss, len) == 0)
			return;
	if (out->n == RESOLVE_MAX)
		return;
	out->addr[out->n] = *ss;
	out->len[out->n++] = len;
}

/* scope: the interface of a link-local IPv6 address, 0 for none */
static void add_addr(struct resolved *out, int family, const void *bytes, uint16_t port,
		     uint32_t scope)
{
	struct sockaddr_storage ss;
	socklen_t len;

	memset(&ss, 0, sizeof ss);
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, bytes, 4);
		len = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, bytes, 16);
		s6->sin6_scope_id = scope;
		len = sizeof *s6;
	}
	add_sockaddr(out, &ss, len);
}

/* An IPv4 or IPv6 address; IPv6 may name its interface ("fe80::1%eth0",
 * as resolv.conf lines for a link-local nameserver do). */
static int add_numeric(struct resolved *out, const char *text, uint16_t port)
{
	unsigned char bytes[16];
	char addr[INET6_ADDRSTRLEN];
	const char *pct = strchr(text, '%');
	uint32_t scope = 0;

	if (inet_pton(AF_INET, text, bytes) == 1) {
		add_addr(out, AF_INET, bytes, port, 0);
		return 0;
	}
	if (pct != NULL) {
		const char *end;
		int64_t v = str_to_i64(pct + 1, &end);

		if ((size_t)(pct - text) >= sizeof addr || pct[1] == '\0')
			return -1;
		memcpy(addr, text, (size_t)(pct - text));
		addr[pct - text] = '\0';
		scope = *end == '\0' && v > 0 && v <= 0x7fffffff ? (uint32_t)v : if_nametoindex(pct + 1);
		if (scope == 0)
			return -1;
		text = addr;
	}
	if (inet_pton(AF_INET6, text, bytes) != 1)
		return -1;
	add_addr(out, AF_INET6, bytes, port, scope);
	return 0;
}

int addr_text(const unsigned char *ip, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	int best = -1, best_len = 1; /* a single zero group is not shortened */

	if (len == 4)
		return (size_t)str_fmt(out, cap, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]) < cap ? 0 : -1;
	if (len != 16 || cap < 40)
		return -1;
	for (int i = 0; i < 8;) { /* the first longest run of zero groups */
		int run = 0;

		while (i + run < 8 && ip[2 * (i + run)] == 0 && ip[2 * (i + run) + 1] == 0)
			run++;
		if (run > best_len) {
			best = i;
			best_len = run;
		}
		i += run > 0 ? run : 1;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			n += (size_t)str_fmt(out + n, cap - n, "::");
			i += best_len - 1;
			continue;
		}
		n += (size_t)str_fmt(out + n, cap - n, "%s%x", n > 0 && out[n - 1] != ':' ? ":" : "",
				     (unsigned)(ip[2 * i] << 8 | ip[2 * i + 1]));
	}
	return 0;
}

int addr_numeric(const char *host, uint16_t port, struct sockaddr_storage *out, socklen_t *len)
{
	struct resolved r;

	r.n = 0;
	if (add_numeric(&r, host, port) < 0)
		return -1;
	*out = r.addr[0];
	*len = r.len[0];
	return 0;
}

/* ---- /etc/hosts and /etc/resolv.conf ---- */

/* Calls fn for each line's whitespace-separated words (comments dropped). */
static void each_line(const char *text, size_t len, void (*fn)(char **words, int n, void *ctx),
		      void *ctx)
{
	const char *end = text + len;

	while (text < end) {
		const char *eol = memchr(text, '\n', (size_t)(end - text));
		char line[512], *words[16];
		size_t ll;
		int n = 0;

		if (eol == NULL)
			eol = end;
		ll = (size_t)(eol - text);
		if (ll < sizeof line) {
			memcpy(line, text, ll);
			line[ll] = '\0';
			line[strcspn(line, "#")] = '\0';
			for (char *save = NULL, *w = strtok_r(line, " \t\r", &save); w && n < 16;
			     w = strtok_r(NULL, " \t\r", &save))
				words[n++] = w;
			if (n > 0)
				fn(words, n, ctx);
		}
		text = eol + 1;
	}
}

struct hosts_ctx {
	const char *host;
	uint16_t port;
	struct resolved *out;
};

static void hosts_line(char **words, int n, void *ctx)
{
	struct hosts_ctx *h = ctx;

	for (int i = 1; i < n; i++)
		if (strcasecmp(words[i], h->host) == 0) {
			add_numeric(h->out, words[0], h->port);
			return;
		}
}

void hosts_lookup(const char *text, size_t len, const char *host, uint16_t port,
		  struct resolved *out)
{
	struct hosts_ctx h = { host, port, out };

	each_line(text, len, hosts_line, &h);
}

/* Streams path through each_line in pieces, so a large hosts file (ad
 * blocking lists reach megabytes) costs no memory. A missing file is empty. */
static void scan_file(const char *path, void (*fn)(char **words, int n, void *ctx), void *ctx)
{
	char buf[2048];
	size_t have = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), skipping = 0;

	while (fd >= 0) {
		ssize_t n = read(fd, buf + have, sizeof buf - have);
		const char *last;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!skipping)
				each_line(buf, have, fn, ctx);
			break;
		}
		have += (size_t)n;
		if (skipping) { /* the rest of a line longer than the buffer */
			const char *nl = memchr(buf, '\n', have);

			if (nl == NULL) {
				have = 0;
				continue;
			}
			skipping = 0;
			have -= (size_t)(nl - buf) + 1;
			memmove(buf, nl + 1, have);
		}
		last = memrchr(buf, '\n', have);
		if (last == NULL) {
			if (have == sizeof buf) { /* too long: skipped to its end, not read as lines */
				have = 0;
				skipping = 1;
			}
			continue;
		}
		each_line(buf, (size_t)(last - buf) + 1, fn, ctx);
		have -= (size_t)(last - buf) + 1;
		memmove(buf, last + 1, have);
	}
	if (fd >= 0)
		close(fd);
}

struct ns_ctx {
	struct resolved *ns;
	uint16_t port;
};

static void resolv_line(char **words, int n, void *ctx)
{
	struct ns_ctx *c = ctx;

	if (n >= 2 && strcmp(words[0], "nameserver") == 0 && c->ns->n < DNS_MAX_NS)
		add_numeric(c->ns, words[1], c->port);
}

/* ---- DNS ---- */

/* The query name in wire format; 0 when host cannot be one. */
static size_t dns_name(const char *host, unsigned char *out, size_t cap)
{
	size_t n = 0, hl = strlen(host);

	/* RFC 1035: 253 characters at most, 254 with a final dot */
	if (hl > 254 || (hl == 254 && host[253] != '.'))
		return 0;
	while (*host != '\0') {
		size_t label = strcspn(host, ".");

		if (label == 0 || label > 63 || n + label + 2 > cap)
			return 0;
		out[n++] = (unsigned char)label;
		memcpy(out + n, host, label);
		n += label;
		host += label;
		if (*host == '.')
			host++;
	}
	if (n == 0)
		return 0;
	out[n++] = 0;
	return n;
}

static uint16_t be16(const unsigned char *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* One resource record of an answer, for the per-record callbacks. */
struct dns_rr {
	uint16_t type, class;
	size_t rdoff, rdlen; /* rdata within the message */
};

/* Checks msg is a response to (id, qname, qtype) and walks its answer
 * section; fn (may be NULL) sees each record, only once the whole section
 * is known to be well-formed. Returns the rcode, or -1. */
static int dns_walk(const unsigned char *msg, size_t len, uint16_t id, const char *qname,
		    uint16_t qtype, void (*fn)(void *ctx, const unsigned char *msg, size_t len,
					       const struct dns_rr *rr),
		    void *ctx)
{
	unsigned char want[256];
	size_t wl = dns_name(qname, want, sizeof want), first, pos = 12;
	unsigned an;

	if (wl == 0 || len < 12 || be16(msg) != id || !(msg[2] & 0x80) || (msg[2] & 0x78) != 0 ||
	    be16(msg + 4) != 1 || len < pos + wl + 4)
		return -1;
	for (size_t i = 0; i < wl; i++)
		if (msg[pos + i] != want[i] && (msg[pos + i] | 0x20) != (want[i] | 0x20))
			return -1;
	pos += wl;
	if (be16(msg + pos) != qtype || be16(msg + pos + 2) != 1)
		return -1;
	first = pos + 4;
	an = be16(msg + 6);
	for (int pass = 0; pass < (fn != NULL ? 2 : 1); pass++) {
		pos = first;
		for (unsigned i = 0; i < an; i++) {
			struct dns_rr rr;

			for (;;) { /* the owner name: labels, ending in 0 or a pointer */
				if (pos >= len)
					return -1;
				if (msg[pos] == 0) {
					pos++;
					break;
				}
				if ((msg[pos] & 0xc0) == 0xc0) {
					pos += 2;
					break;
				}
				if (msg[pos] & 0xc0)
					return -1;
				pos += 1u + msg[pos];
			}
			if (pos + 10 > len)
				return -1;
			rr.type = be16(msg + pos);
			rr.class = be16(msg + pos + 2);
			rr.rdlen = be16(msg + pos + 8);
			rr.rdoff = pos + 10;
			pos += 10;
			if (pos + rr.rdlen > len)
				return -1;
			if (pass == 1)
				fn(ctx, msg, len, &rr);
			pos += rr.rdlen;
		}
	}
	return msg[3] & 0x0f;
}

struct addr_ctx {
	uint16_t qtype, port;
	struct resolved *out;
};

static void addr_rr(void *ctx, const unsigned char *msg, size_t len, const struct dns_rr *rr)
{
	struct addr_ctx *c = ctx;

	(void)len;
	/* CNAME records may precede the addresses; only the type is used. */
	if (rr->class == 1 && rr->type == c->qtype &&
	    rr->rdlen == (rr->type == DNS_TYPE_A ? 4u : 16u) &&
	    (rr->type == DNS_TYPE_A || rr->type == DNS_TYPE_AAAA))
		add_addr(c->out, rr->type == DNS_TYPE_A ? AF_INET : AF_INET6, msg + rr->rdoff, c->port, 0);
}

int dns_parse_response(const unsigned char *msg, size_t len, uint16_t id, const char *qname,
		       uint16_t qtype, uint16_t port, struct resolved *out)
{
	struct addr_ctx c = { qtype, port, out };

	return dns_walk(msg, len, id, qname, qtype, addr_rr, &c);
}

struct txt_ctx {
	char *out;
	size_t cap, used, n;
	int cname, full;
};

/* A TXT record's character-strings joined into one NUL-terminated text. */
static void txt_rr(void *ctx, const unsigned char *msg, size_t len, const struct dns_rr *rr)
{
	struct txt_ctx *c = ctx;
	size_t p = rr->rdoff, end = rr->rdoff + rr->rdlen, start = c->used;

	(void)len;
	if (rr->class != 1)
		return;
	if (rr->type == DNS_TYPE_CNAME)
		c->cname = 1;
	if (rr->type != DNS_TYPE_TXT)
		return;
	while (p < end) {
		size_t sl = msg[p++];

		if (p + sl > end || c->used + sl + 1 > c->cap) {
			c->full |= p + sl <= end;
			c->used = start; /* the record is dropped whole */
			return;
		}
		for (size_t i = 0; i < sl; i++) /* a NUL inside would cut the text short */
			c->out[c->used++] = msg[p + i] == '\0' ? '?' : (char)msg[p + i];
		p += sl;
	}
	c->out[c->used++] = '\0';
	c->n++;
}

int dns_parse_txt(const unsigned char *msg, size_t len, uint16_t id, const char *qname,
		  char *out, size_t cap, size_t *n, int *cname)
{
	struct txt_ctx c = { out, cap, 0, 0, 0, 0 };
	int rc = dns_walk(msg, len, id, qname, DNS_TYPE_TXT, txt_rr, &c);

	*n = c.n;
	*cname = c.cname;
	return rc;
}

/* The (possibly compressed) name at off as dotted text without the final
 * dot. 0, or -1 when it is malformed, loops or does not fit. */
static int dns_name_text(const unsigned char *msg, size_t len, size_t off, char *out, size_t cap)
{
	size_t n = 0;
	int hops = 0;

	for (;;) {
		if (off >= len)
			return -1;
		if ((msg[off] & 0xc0) == 0xc0) {
			if (off + 1 >= len || ++hops > 32)
				return -1;
			off = (size_t)(msg[off] & 0x3f) << 8 | msg[off + 1];
			continue;
		}
		if (msg[off] & 0xc0)
			return -1;
		if (msg[off] == 0)
			break;
		if (off + 1 + msg[off] > len || n + msg[off] + 2 > cap || n + msg[off] > 253)
			return -1;
		if (n > 0)
			out[n++] = '.';
		for (size_t i = 0; i < msg[off]; i++) {
			unsigned char ch = msg[off + 1 + i];

			/* a host name: letters, digits, '-' and '_' only */
			if (!((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') && !(ch >= '0' && ch <= '9') &&
			    ch != '-' && ch != '_')
				return -1;
			out[n++] = (char)ch;
		}
		off += 1u + msg[off];
	}
	if (n == 0)
		return -1;
	out[n] = '\0';
	return 0;
}

struct ns_names {
	char (*names)[DNS_NAME_TEXT];
	size_t max, n;
};

static void ns_rr(void *ctx, const unsigned char *msg, size_t len, const struct dns_rr *rr)
{
	struct ns_names *c = ctx;

	if (rr->class == 1 && rr->type == DNS_TYPE_NS && c->n < c->max &&
	    dns_name_text(msg, len, rr->rdoff, c->names[c->n], DNS_NAME_TEXT) == 0 &&
	    rr->rdoff + rr->rdlen <= len)
		c->n++;
}

int dns_parse_ns(const unsigned char *msg, size_t len, uint16_t id, const char *qname,
		 char (*names)[DNS_NAME_TEXT], size_t max, size_t *n)
{
	struct ns_names c = { names, max, 0 };
	int rc = dns_walk(msg, len, id, qname, DNS_TYPE_NS, ns_rr, &c);

	*n = c.n;
	return rc;
}

struct dns_query {
	uint16_t type, id;
	unsigned char msg[12 + 256 + 4];
	size_t len;
	int done;         /* 1 answered (NOERROR/NXDOMAIN) or every server refused */
	unsigned refused; /* bit i: nameserver i answered with another error */
	int rcode;
};

static void query_init(struct dns_query *q, uint16_t type, const unsigned char *name, size_t nl,
		       int recursion)
{
	unsigned char rnd[2] = { 0, 0 };

	if (getentropy(rnd, sizeof rnd) < 0) {
		int64_t t = now_ms() ^ (int64_t)getpid() * 7919;

		rnd[0] = (unsigned char)t;
		rnd[1] = (unsigned char)(t >> 8);
	}
	memset(q, 0, sizeof *q);
	q->type = type;
	q->id = (uint16_t)(rnd[0] << 8 | rnd[1]);
	q->msg[0] = rnd[0];
	q->msg[1] = rnd[1];
	q->msg[2] = recursion ? 0x01 : 0x00; /* RD */
	q->msg[5] = 1;	  /* one question */
	memcpy(q->msg + 12, name, nl);
	q->msg[12 + nl + 1] = (unsigned char)type;
	q->msg[12 + nl + 3] = 1; /* class IN */
	q->len = 12 + nl + 4;
}

/* The index of the nameserver from is, or -1 for another sender. Family,
 * address and port are compared; a scope only routes the query. */
static int from_server(const struct resolved *ns, const struct sockaddr_storage *from, socklen_t fl)
{
	for (size_t i = 0; i < ns->n; i++) {
		const struct sockaddr_storage *a = &ns->addr[i];

		if (a->ss_family != from->ss_family || ns->len[i] != fl)
			continue;
		if (a->ss_family == AF_INET) {
			const struct sockaddr_in *x = (const void *)a, *y = (const void *)from;

			if (x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr)
				return (int)i;
		} else {
			const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)from;

			if (x->sin6_port == y->sin6_port &&
			    memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0)
				return (int)i;
		}
	}
	return -1;
}

/* Waits until fd is ready for events or deadline passes. 0 or -1. */
static int wait_until(int fd, short events, int64_t deadline)
{
	struct pollfd p = { fd, events, 0 };

	for (;;) {
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return -1;
		r = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* Asks q again over TCP (RFC 7766) when a nameserver's UDP answer was
 * truncated. The reply goes into buf (cap bytes); returns its length, or -1
 * (no connection, a reply longer than cap, the deadline). */
static ssize_t dns_tcp(const struct sockaddr_storage *ns, socklen_t nl, const struct dns_query *q,
		       int64_t deadline, unsigned char *buf, size_t cap)
{
	unsigned char req[2 + sizeof q->msg], len2[2];
	size_t sent = 0, got = 0, want = 0;
	ssize_t ret = -1;
	int fd = socket(ns->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		goto out;
	req[0] = (unsigned char)(q->len >> 8);
	req[1] = (unsigned char)q->len;
	memcpy(req + 2, q->msg, q->len);
	if (connect(fd, (const struct sockaddr *)ns, nl) < 0 && errno != EINPROGRESS)
		goto out;
	while (sent < q->len + 2) {
		ssize_t n;

		if (wait_until(fd, POLLOUT, deadline) < 0)
			goto out;
		n = send(fd, req + sent, q->len + 2 - sent, MSG_NOSIGNAL);
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			goto out;
		if (n > 0)
			sent += (size_t)n;
	}
	for (;;) { /* the 2-byte length, then exactly that many bytes */
		ssize_t n;

		if (wait_until(fd, POLLIN, deadline) < 0)
			goto out;
		if (got < 2)
			n = read(fd, len2 + got, 2 - got);
		else
			n = read(fd, buf + got - 2, want - (got - 2));
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			goto out;
		if (n < 0)
			continue;
		got += (size_t)n;
		if (got == 2) {
			want = (size_t)len2[0] << 8 | len2[1];
			if (want == 0 || want > cap)
				goto out;
		}
		if (got >= 2 && got - 2 == want)
			break;
	}
	ret = (ssize_t)want;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* One round of questions (A and AAAA together, or one TXT or NS) to a set
 * of nameservers; parse reads an answer to q[k] into ctx and returns its
 * rcode, or -1 when it is not a well-formed answer. */
struct dns_ask {
	struct dns_query q[2];
	int nq;
	int (*parse)(void *ctx, const struct dns_query *q, const unsigned char *msg, size_t len);
	void *ctx;
	const size_t *found; /* when > 0 and one query is done, the other gets 300 ms */
};

/* Sends every query to every nameserver at once, resending each second,
 * until each is answered (NOERROR/NXDOMAIN, or an error from every server)
 * or the deadline passes. -1 (with why) only when no socket can be opened.
 * Not inlined: its 4 KiB answer buffer is on the stack only when DNS is
 * asked, not for every name /etc/hosts or a literal answers. */
OWN_FRAME static int dns_exchange(struct dns_ask *a, const struct resolved *ns, int64_t deadline,
				  char *why, size_t cap)
{
	static unsigned char tcp_buf[DNS_MAX_TCP_MSG]; /* touched only for a TCP answer */
	unsigned char buf[DNS_MAX_MSG];
	int fds[2] = { -1, -1 }, ret = -1; /* [0] IPv4, [1] IPv6 sockets */
	int64_t next_send = 0;

	for (size_t i = 0; i < ns->n; i++) {
		int v6 = ns->addr[i].ss_family == AF_INET6;

		if (fds[v6] < 0)
			fds[v6] = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
					 0);
	}
	if (fds[0] < 0 && fds[1] < 0) {
		str_fmt(why, cap, "cannot open a DNS socket: %s", strerror(errno));
		goto out;
	}
	ret = 0;
	for (;;) {
		struct pollfd pfd[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };
		int64_t now = now_ms(), wait;
		int pending = 0, any_done = 0;

		for (int k = 0; k < a->nq; k++) {
			pending |= !a->q[k].done;
			any_done |= a->q[k].done;
		}
		if (!pending || now >= deadline)
			break; /* with what arrived so far, if anything */
		/* One family answered: the other gets a moment, not the whole deadline. */
		if (a->found != NULL && *a->found > 0 && any_done && deadline > now + 300)
			deadline = now + 300;
		if (now >= next_send) {
			for (int k = 0; k < a->nq; k++)
				for (size_t i = 0; !a->q[k].done && i < ns->n; i++)
					sendto(fds[ns->addr[i].ss_family == AF_INET6], a->q[k].msg, a->q[k].len,
					       MSG_NOSIGNAL, (const struct sockaddr *)&ns->addr[i], ns->len[i]);
			next_send = now + DNS_RETRY_MS;
		}
		wait = (next_send < deadline ? next_send : deadline) - now;
		if (poll(pfd, 2, (int)wait) < 0 && errno != EINTR)
			break;
		for (int f = 0; f < 2; f++) {
			struct sockaddr_storage from = { .ss_family = AF_UNSPEC };
			socklen_t fl = sizeof from;
			ssize_t n;

			if (fds[f] < 0 || !(pfd[f].revents & POLLIN))
				continue;
			while ((n = recvfrom(fds[f], buf, sizeof buf, MSG_TRUNC, (struct sockaddr *)&from,
					     &fl)) >= 0) {
				int server = from_server(ns, &from, fl);

				for (int k = 0; k < a->nq && server >= 0; k++) {
					struct dns_query *q = &a->q[k];
					const unsigned char *msg = buf;
					ssize_t ml = n > (ssize_t)sizeof buf ? (ssize_t)sizeof buf : n;
					int rc;

					if (q->done || ml < 12 || be16(buf) != q->id)
						continue;
					/* Truncated (TC, or larger than the buffer): ask that
					 * server again over TCP for the whole answer. */
					if ((buf[2] & 0x02) || n > (ssize_t)sizeof buf) {
						ml = dns_tcp(&from, fl, q, deadline, tcp_buf, DNS_MAX_TCP_MSG);
						if (ml < 0)
							continue;
						msg = tcp_buf;
					}
					rc = a->parse(a->ctx, q, msg, (size_t)ml);
					if (rc < 0)
						continue;
					/* NOERROR and NXDOMAIN are final; another code only once
					 * every server has given one (REFUSED by one of them, a
					 * SERVFAIL, while another would answer). */
					if (rc != 0 && rc != 3)
						q->refused |= 1u << server;
					if (rc == 0 || rc == 3 || q->refused == (1u << ns->n) - 1) {
						q->done = 1;
						q->rcode = rc;
					}
				}
				fl = sizeof from;
			}
		}
	}
out:
	for (int f = 0; f < 2; f++)
		if (fds[f] >= 0)
			close(fds[f]);
	return ret;
}

struct lookup_ctx {
	const char *host;
	uint16_t port;
	struct resolved *out;
};

static int parse_addr(void *ctx, const struct dns_query *q, const unsigned char *msg, size_t len)
{
	struct lookup_ctx *c = ctx;

	return dns_parse_response(msg, len, q->id, c->host, q->type, c->port, c->out);
}

/* Asks the nameservers for A and AAAA at once. */
static int dns_lookup(const char *host, uint16_t port, int64_t deadline, const struct resolved *ns,
		      struct resolved *out, char *why, size_t cap)
{
	struct lookup_ctx c = { host, port, out };
	struct dns_ask a;
	unsigned char name[256];
	size_t nl = dns_name(host, name, sizeof name);

	if (nl == 0) {
		str_fmt(why, cap, "not a valid host name");
		return -1;
	}
	query_init(&a.q[0], DNS_TYPE_A, name, nl, 1);
	query_init(&a.q[1], DNS_TYPE_AAAA, name, nl, 1);
	a.nq = 2;
	a.parse = parse_addr;
	a.ctx = &c;
	a.found = &out->n;
	if (dns_exchange(&a, ns, deadline, why, cap) < 0)
		return -1;
	if (out->n > 0)
		return 0;
	if (a.q[0].rcode == 3 || a.q[1].rcode == 3)
		str_fmt(why, cap, "no such host (NXDOMAIN)");
	else if (a.q[0].rcode > 0)
		str_fmt(why, cap, "nameserver error (DNS rcode %d)", a.q[0].rcode);
	else if (a.q[0].done && a.q[1].done)
		str_fmt(why, cap, "the name has no IPv4 or IPv6 address");
	else
		str_fmt(why, cap, "no answer from the nameservers of %s", resolv_conf_path);
	return -1;
}

/* The DNS port; test builds also take a private resolv.conf and hosts file
 * for the test servers from the environment. */
static uint16_t dns_port(void)
{
#ifdef PICOACME_TEST
	if (getenv("PICOACME_TEST_RESOLV_CONF") != NULL)
		resolv_conf_path = getenv("PICOACME_TEST_RESOLV_CONF");
	if (getenv("PICOACME_TEST_HOSTS") != NULL)
		hosts_path = getenv("PICOACME_TEST_HOSTS");
	if (getenv("PICOACME_TEST_DNS_PORT") != NULL)
		return (uint16_t)str_to_i64(getenv("PICOACME_TEST_DNS_PORT"), NULL);
#endif
	return 53;
}

/* The nameservers of resolv.conf (127.0.0.1 when it names none, as libc
 * does), with the DNS port. */
static void configured_nameservers(struct resolved *ns, uint16_t *port)
{
	static const unsigned char lo4[4] = { 127, 0, 0, 1 };
	struct ns_ctx nc = { ns, 53 };

	ns->n = 0;
	nc.port = dns_port();
	scan_file(resolv_conf_path, resolv_line, &nc);
	if (ns->n == 0)
		add_addr(ns, AF_INET, lo4, nc.port, 0);
	*port = nc.port;
}

struct one_ctx {
	const char *name;
	char *out;
	size_t cap, n;
	int cname;
	char (*names)[DNS_NAME_TEXT];
};

static int parse_txt(void *ctx, const struct dns_query *q, const unsigned char *msg, size_t len)
{
	struct one_ctx *c = ctx;

	return dns_parse_txt(msg, len, q->id, c->name, c->out, c->cap, &c->n, &c->cname);
}

static int parse_ns(void *ctx, const struct dns_query *q, const unsigned char *msg, size_t len)
{
	struct one_ctx *c = ctx;

	return dns_parse_ns(msg, len, q->id, c->name, c->names, DNS_MAX_AUTH, &c->n);
}

/* Asks ns one question of type about name; the answer is in c. Returns its
 * rcode, or -1 with why when none came. */
static int dns_ask_one(const char *name, uint16_t type, int recursion, const struct resolved *ns,
		       int64_t deadline, struct one_ctx *c, char *why, size_t cap)
{
	struct dns_ask a;
	unsigned char wire[256];
	size_t nl = dns_name(name, wire, sizeof wire);

	if (nl == 0) {
		str_fmt(why, cap, "%s: not a valid DNS name", name);
		return -1;
	}
	query_init(&a.q[0], type, wire, nl, recursion);
	a.nq = 1;
	a.parse = type == DNS_TYPE_TXT ? parse_txt : parse_ns;
	a.ctx = c;
	a.found = NULL;
	c->name = name;
	c->n = 0;
	c->cname = 0;
	if (dns_exchange(&a, ns, deadline, why, cap) < 0)
		return -1;
	if (!a.q[0].done) {
		str_fmt(why, cap, "no answer from the nameservers asked about %s", name);
		return -1;
	}
	return a.q[0].rcode;
}

/* The addresses of the nameservers of the zone that holds name: NS asked
 * through the configured resolver for name and each parent in turn, up to
 * the first with NS records. 0 with ns->n > 0, or -1 (none found). */
OWN_FRAME static int zone_nameservers(const char *name, const struct resolved *conf, uint16_t port,
				      int64_t deadline, struct resolved *ns)
{
	char names[DNS_MAX_AUTH][DNS_NAME_TEXT], why[128];
	struct one_ctx c = { .names = names };
	const char *zone = name;

	ns->n = 0;
	while (strchr(zone, '.') != NULL) { /* a top-level domain is not asked */
		int rc = dns_ask_one(zone, DNS_TYPE_NS, 1, conf, deadline, &c, why, sizeof why);

		if (rc != 0 && rc != 3)
			return -1; /* a resolver that answers no NS questions */
		if (rc == 0 && c.n > 0)
			break;
		zone = strchr(zone, '.') + 1;
	}
	for (size_t i = 0; i < c.n && ns->n < RESOLVE_MAX; i++) {
		struct resolved one = { .n = 0 };

		if (resolve_host(names[i], port, deadline, &one, why, sizeof why) == 0)
			for (size_t k = 0; k < one.n; k++)
				add_sockaddr(ns, &one.addr[k], one.len[k]);
	}
	return ns->n > 0 ? 0 : -1;
}

int resolve_txt(const char *name, int64_t deadline_ms, char *out, size_t cap, size_t *n,
		char *why, size_t whycap)
{
	static struct resolved conf, auth;
	struct one_ctx c = { .out = out, .cap = cap };
	uint16_t port;
	int rc;

	*n = 0;
	configured_nameservers(&conf, &port);
	/* The zone's own servers see a new record first; a CNAME (a delegated
	 * _acme-challenge) is followed by the configured resolver instead. */
	if (zone_nameservers(name, &conf, port, deadline_ms, &auth) == 0) {
		rc = dns_ask_one(name, DNS_TYPE_TXT, 0, &auth, deadline_ms, &c, why, whycap);
		if ((rc == 0 || rc == 3) && !c.cname) {
			*n = c.n;
			return 0;
		}
	}
	rc = dns_ask_one(name, DNS_TYPE_TXT, 1, &conf, deadline_ms, &c, why, whycap);
	if (rc < 0)
		return -1;
	if (rc != 0 && rc != 3) {
		str_fmt(why, whycap, "%s: nameserver error (DNS rcode %d)", name, rc);
		return -1;
	}
	*n = c.n;
	return 0;
}

int resolve_host(const char *host, uint16_t port, int64_t deadline_ms, struct resolved *out,
		 char *why, size_t cap)
{
	static const unsigned char lo4[4] = { 127, 0, 0, 1 }, lo6[16] = { [15] = 1 };
	struct resolved ns = { .n = 0 };
	struct hosts_ctx hc = { host, port, out };
	uint16_t ns_port;
	size_t hl = strlen(host);

	out->n = 0;
	if (add_numeric(out, host, port) == 0)
		return 0;
	/* RFC 6761: localhost and its subdomains are the loopback, always. */
	if (strcasecmp(host, "localhost") == 0 ||
	    (hl > 10 && strcasecmp(host + hl - 10, ".localhost") == 0)) {
		add_addr(out, AF_INET, lo4, port, 0);
		add_addr(out, AF_INET6, lo6, port, 0);
		return 0;
	}
	dns_port(); /* picks a test build's files */
	scan_file(hosts_path, hosts_line, &hc);
	if (out->n > 0)
		return 0;
	configured_nameservers(&ns, &ns_port);
	if (dns_lookup(host, port, deadline_ms, &ns, out, why, cap) < 0)
		return -1;
	/* Families alternate, IPv4 first (RFC 8305 §4 interleaving; a router's
	 * IPv6 is more often configured than working): the connect loop starts
	 * the next address 250 ms after the last, so neither family can stall
	 * the other. */
	{
		static struct resolved all; /* not on the stack: see dns_lookup */
		size_t i4 = 0, i6 = 0;

		all = *out;
		out->n = 0;
		while (i4 < all.n || i6 < all.n) {
			while (i4 < all.n && all.addr[i4].ss_family != AF_INET)
				i4++;
			if (i4 < all.n) {
				add_sockaddr(out, &all.addr[i4], all.len[i4]);
				i4++;
			}
			while (i6 < all.n && all.addr[i6].ss_family != AF_INET6)
				i6++;
			if (i6 < all.n) {
				add_sockaddr(out, &all.addr[i6], all.len[i6]);
				i6++;
			}
		}
	}
	return 0;
}
