/* trust.c - see trust.h */
#include "trust.h"
#include "cert.h"
#include "pem.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- streaming walk to the issuer and subject names ---- */

enum { E_CERT, E_TBS, E_VERSION, E_SERIAL, E_SIGALG, E_ISSUER, E_VALIDITY, E_SUBJECT, E_DONE };
enum { P_TAG, P_LEN, P_LEN_BYTES, P_CONTENT };

void cert_names_init(struct cert_names *w,
		     void (*found)(void *ctx, int is_subject, const unsigned char *hash),
		     void *ctx)
{
	memset(w, 0, sizeof *w);
	w->found = found;
	w->ctx = ctx;
}

static void element_done(struct cert_names *w)
{
	if (w->hashing) {
		unsigned char h[32];

		br_sha256_out(&w->hash, h);
		w->hashing = 0;
		w->found(w->ctx, w->elem == E_SUBJECT, h);
	}
	w->phase = P_TAG;
	w->elem++;
}

static void header_done(struct cert_names *w)
{
	if (w->elem == E_CERT || w->elem == E_TBS) {
		/* step into the SEQUENCE */
		w->elem++;
		w->phase = P_TAG;
		return;
	}
	w->remain = w->len;
	w->phase = P_CONTENT;
	if (w->remain == 0)
		element_done(w);
}

void cert_names_push(struct cert_names *w, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0 && w->elem < E_DONE) {
		unsigned char b;

		if (w->phase == P_CONTENT) {
			size_t n = len < w->remain ? len : w->remain;

			if (w->hashing)
				br_sha256_update(&w->hash, p, n);
			p += n;
			len -= n;
			w->remain -= (uint32_t)n;
			if (w->remain == 0)
				element_done(w);
			continue;
		}
		b = *p++;
		len--;
		switch (w->phase) {
		case P_TAG:
			if (w->elem == E_VERSION && b != 0xa0)
				w->elem = E_SERIAL; /* version absent (v1) */
			if ((w->elem <= E_TBS || w->elem == E_ISSUER || w->elem == E_SUBJECT) &&
			    b != 0x30) {
				w->elem = E_DONE;
				break;
			}
			if (w->elem == E_SUBJECT || (w->elem == E_ISSUER && !w->subject_only)) {
				br_sha256_init(&w->hash);
				w->hashing = 1;
			}
			w->phase = P_LEN;
			break;
		case P_LEN:
			if (b < 0x80) {
				w->len = b;
				header_done(w);
			} else if (b == 0x80 || b > 0x84) {
				w->elem = E_DONE; /* indefinite or absurd length */
			} else {
				w->len_bytes = b & 0x7f;
				w->len = 0;
				w->phase = P_LEN_BYTES;
			}
			break;
		default: /* P_LEN_BYTES */
			w->len = w->len << 8 | b;
			if (--w->len_bytes == 0)
				header_done(w);
			break;
		}
		if (w->hashing)
			br_sha256_update(&w->hash, &b, 1);
	}
}

/* ---- the CA file: index, and loading single anchors ---- */

struct dn_buf {
	unsigned char data[1024];
	size_t len;
	int overflow;
};

static void dn_append(void *ctx, const void *buf, size_t len)
{
	struct dn_buf *d = ctx;

	if (len > sizeof d->data - d->len) {
		d->overflow = 1;
		return;
	}
	memcpy(d->data + d->len, buf, len);
	d->len += len;
}

static void x509_push(void *ctx, const void *buf, size_t len)
{
	br_x509_decoder_context *dc = ctx;

	/* BearSSL's decoder must not be fed once it has failed: it would
	 * resume past the failure and, at its end, run off a NULL pointer. */
	if (dc->err == 0)
		br_x509_decoder_push(dc, buf, len);
}

static void names_push(void *ctx, const void *buf, size_t len)
{
	cert_names_push(ctx, buf, len);
}

static void *memdup(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);

	if (q != NULL && n)
		memcpy(q, p, n);
	return q;
}

/* realloc's job for the two growing arrays here: a new block of want bytes
 * holding the first have bytes of old, old freed; NULL (old kept) when out of
 * memory. musl's realloc would add 1.2 KiB to the static binary for these. */
static void *grow(void *old, size_t have, size_t want)
{
	void *p = malloc(want);

	if (p == NULL)
		return NULL;
	if (have)
		memcpy(p, old, have);
	free(old);
	return p;
}

/* Adds the decoded certificate as an anchor: 1, 0 when the certificate is
 * unusable (skipped, like other clients do), or -1 on allocation failure. */
static int anchor_add(struct trust_anchors *t, br_x509_decoder_context *dc,
		      const struct dn_buf *dn)
{
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(dc);
	br_x509_trust_anchor *ta, *grown;

	if (br_x509_decoder_last_error(dc) != 0 || pk == NULL || dn->overflow)
		return 0;
	grown = grow(t->ta, t->n * sizeof *t->ta, (t->n + 1) * sizeof *t->ta);
	if (grown == NULL)
		return -1;
	t->ta = grown;
	ta = &t->ta[t->n];
	memset(ta, 0, sizeof *ta);
	ta->flags = br_x509_decoder_isCA(dc) ? BR_X509_TA_CA : 0;
	ta->dn.data = memdup(dn->data, dn->len);
	ta->dn.len = dn->len;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = memdup(pk->key.rsa.n, pk->key.rsa.nlen);
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = memdup(pk->key.rsa.e, pk->key.rsa.elen);
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
		t->n++;
		if (!ta->dn.data || !ta->pkey.key.rsa.n || !ta->pkey.key.rsa.e)
			return -1;
	} else {
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = memdup(pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
		t->n++;
		if (!ta->dn.data || !ta->pkey.key.ec.q)
			return -1;
	}
	return 1;
}

/* One pass over the CA file. Without want, indexes every certificate from
 * the start of the file. With want, decodes the one certificate at
 * want->offset and adds it as an anchor. */
struct scan {
	struct trust_anchors *t;
	const struct trust_entry *want;
	struct pem_reader pr;
	uint64_t base;      /* file offset where pr started */
	uint64_t begin_pos; /* of the current certificate, past its BEGIN line */
	int in_cert, added;
	struct cert_names names;
	unsigned char subject[TRUST_NAME_HASH];
	int have_subject;
	br_x509_decoder_context dc;
	struct dn_buf dn;
};

static void scan_found(void *ctx, int is_subject, const unsigned char *hash)
{
	struct scan *s = ctx;

	if (is_subject) {
		memcpy(s->subject, hash, TRUST_NAME_HASH);
		s->have_subject = 1;
		s->pr.dest = NULL; /* the rest of the certificate need not be decoded */
	}
}

static int index_add(struct scan *s, uint64_t offset)
{
	struct trust_anchors *t = s->t;
	struct trust_entry *grown;

	if (!s->have_subject || offset >= UINT32_MAX)
		return 0;
	if (t->n_index == t->cap_index) {
		size_t cap = t->cap_index ? 2 * t->cap_index : 32;

		grown = grow(t->index, t->n_index * sizeof *t->index, cap * sizeof *t->index);
		if (grown == NULL)
			return -1;
		t->index = grown;
		t->cap_index = cap;
	}
	grown = t->index;
	memcpy(grown[t->n_index].subject, s->subject, TRUST_NAME_HASH);
	grown[t->n_index].offset = (uint32_t)offset;
	t->n_index++;
	return 0;
}

/* Starts decoding the certificate whose BEGIN line was just read. */
static void scan_begin(struct scan *s)
{
	if (s->want != NULL) {
		memset(&s->dn, 0, sizeof s->dn);
		br_x509_decoder_init(&s->dc, dn_append, &s->dn);
		s->pr.dest = x509_push;
		s->pr.dest_ctx = &s->dc;
	} else {
		s->have_subject = 0;
		cert_names_init(&s->names, scan_found, s);
		s->names.subject_only = 1; /* the index is by subject */
		s->pr.dest = names_push;
		s->pr.dest_ctx = &s->names;
	}
}

static int name_matches(const struct dn_buf *dn, const unsigned char *want)
{
	br_sha256_context h;
	unsigned char out[32];

	br_sha256_init(&h);
	br_sha256_update(&h, dn->data, dn->len);
	br_sha256_out(&h, out);
	return !dn->overflow && memcmp(out, want, TRUST_NAME_HASH) == 0;
}

/* Acts on one PEM event: 0 to go on, 1 when the wanted certificate has
 * been decoded (s->added set), -1 on error. */
static int scan_event(struct scan *s, int ev)
{
	switch (ev) {
	case PEM_BEGIN:
		/* Not OpenSSL's TRUSTED CERTIFICATE: its trailing trust
		 * settings are no certificate. */
		s->in_cert = strcmp(s->pr.label, "CERTIFICATE") == 0;
		s->begin_pos = s->base + s->pr.pos;
		if (s->in_cert)
			scan_begin(s);
		return 0;
	case PEM_END:
		if (s->in_cert && s->want != NULL) {
			s->added = 0;
			/* A name that differs: the file changed since indexing. */
			if (name_matches(&s->dn, s->want->subject))
				s->added = anchor_add(s->t, &s->dc, &s->dn);
			if (s->added < 0)
				goto nomem;
			return 1;
		}
		if (s->in_cert && index_add(s, s->begin_pos) < 0)
			goto nomem;
		s->in_cert = 0;
		return 0;
	case PEM_ERROR:
		err("%s: malformed PEM in CA file", s->t->path);
		return -1;
	default:
		return 0;
	}
nomem:
	err("%s: out of memory loading CA certificates", s->t->path);
	return -1;
}

/* One pass over the CA file: see struct scan. Returns 0 (index), what
 * anchor_add returned (want), or -1 with an error naming the file. */
static int scan_file(struct scan *s, int fd)
{
	char chunk[1024];
	int r = 0;

	if (s->want != NULL) {
		/* Resume at the recorded offset, past the BEGIN line. */
		s->base = s->want->offset;
		if (lseek(fd, (off_t)s->base, SEEK_SET) < 0) {
			err("%s: cannot seek: %s", s->t->path, strerror(errno));
			return -1;
		}
		pem_init_in_object(&s->pr, "CERTIFICATE");
		s->in_cert = 1;
		scan_begin(s);
	} else {
		pem_init(&s->pr);
	}
	while (r == 0) {
		ssize_t got = read(fd, chunk, sizeof chunk);
		const char *p = chunk;
		size_t left;
		int ev;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err("%s: read error: %s", s->t->path, strerror(errno));
			return -1;
		}
		if (got == 0) {
			r = scan_event(s, pem_finish(&s->pr));
			if (r == 0 && s->want != NULL) {
				err("%s: malformed PEM in CA file", s->t->path);
				r = -1; /* the file ended inside the certificate */
			}
			break;
		}
		left = (size_t)got;
		while (left > 0 && r == 0) {
			size_t n = pem_push(&s->pr, p, left, &ev);

			p += n;
			left -= n;
			r = scan_event(s, ev);
		}
	}
	if (r < 0)
		return -1;
	return s->want != NULL ? s->added : 0;
}

static int open_ca(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		err("%s: cannot open CA file: %s", path, strerror(errno));
	return fd;
}

int trust_anchors_load(struct trust_anchors *t, const char *path)
{
	struct scan *s = NULL;
	int fd = -1, ret = -1;

	memset(t, 0, sizeof *t);
	t->path = path;
	fd = open_ca(path);
	if (fd < 0)
		goto out;
	s = alloc_zeroed(1, sizeof *s);
	if (s == NULL) {
		err("%s: out of memory loading CA certificates", path);
		goto out;
	}
	s->t = t;
	if (scan_file(s, fd) < 0)
		goto out;
	if (t->n_index == 0) {
		err("%s: no usable CA certificate found", path);
		goto out;
	}
	ret = 0;
out:
	free(s);
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		trust_anchors_free(t);
	return ret;
}

int trust_anchors_want(struct trust_anchors *t, const unsigned char *hash)
{
	struct scan *s = NULL;
	int fd = -1, added = 0;

	for (size_t i = 0; i < t->n_index; i++) {
		struct trust_entry *e = &t->index[i];
		int r;

		if (memcmp(e->subject, hash, TRUST_NAME_HASH) != 0 || e->offset == UINT32_MAX)
			continue;
		if (fd < 0 && (fd = open_ca(t->path)) < 0)
			goto fail;
		if (s == NULL && (s = malloc(sizeof *s)) == NULL) {
			err("%s: out of memory loading CA certificates", t->path);
			goto fail;
		}
		memset(s, 0, sizeof *s);
		s->t = t;
		s->want = e;
		r = scan_file(s, fd);
		e->offset = UINT32_MAX; /* loaded, or not loadable: never again */
		if (r < 0)
			goto fail;
		added += r;
	}
	goto out;
fail:
	added = -1;
out:
	free(s);
	if (fd >= 0)
		close(fd);
	return added;
}

void trust_anchors_free(struct trust_anchors *t)
{
	for (size_t i = 0; i < t->n; i++) {
		br_x509_trust_anchor *ta = &t->ta[i];

		free(ta->dn.data);
		if (ta->pkey.key_type == BR_KEYTYPE_RSA) {
			free(ta->pkey.key.rsa.n);
			free(ta->pkey.key.rsa.e);
		} else {
			free(ta->pkey.key.ec.q);
		}
	}
	free(t->ta);
	free(t->index);
	memset(t, 0, sizeof *t);
}

/* ---- the X.509 engine ---- */

static struct trust_x509 *tx_of(const br_x509_class **ctx)
{
	return (struct trust_x509 *)(void *)ctx;
}

static void tx_sync(struct trust_x509 *x)
{
	x->minimal.trust_anchors = x->tas->ta;
	x->minimal.trust_anchors_num = x->tas->n;
}

static void tx_found(void *ctx, int is_subject, const unsigned char *hash)
{
	struct trust_x509 *x = ctx;

	/* A subject is only looked up for the server's own certificate: BearSSL
	 * trusts a non-CA anchor directly only for that one. */
	if (is_subject && x->minimal.num_certs != 0)
		return;
	if (trust_anchors_want(x->tas, hash) > 0)
		tx_sync(x);
}

static void tx_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct trust_x509 *x = tx_of(ctx);

	tx_sync(x);
	x->leaf_len = 0;
	x->minimal.vtable->start_chain(&x->minimal.vtable, server_name);
}

static void tx_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct trust_x509 *x = tx_of(ctx);

	cert_names_init(&x->names, tx_found, x);
	x->minimal.vtable->start_cert(&x->minimal.vtable, length);
}

static void tx_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct trust_x509 *x = tx_of(ctx);

	/* Names first: BearSSL consults the anchors only after the subject. */
	cert_names_push(&x->names, buf, len);
	if (x->ip_len != 0 && x->minimal.num_certs == 0 && x->leaf_len <= TRUST_LEAF_MAX) {
		/* Past the cap leaf_len says so, and the name check fails. */
		if (len > TRUST_LEAF_MAX - x->leaf_len) {
			x->leaf_len = TRUST_LEAF_MAX + 1;
		} else {
			memcpy(x->leaf + x->leaf_len, buf, len);
			x->leaf_len += len;
		}
	}
	x->minimal.vtable->append(&x->minimal.vtable, buf, len);
}

static void tx_end_cert(const br_x509_class **ctx)
{
	struct trust_x509 *x = tx_of(ctx);

	x->minimal.vtable->end_cert(&x->minimal.vtable);
}

static unsigned tx_end_chain(const br_x509_class **ctx)
{
	struct trust_x509 *x = tx_of(ctx);
	unsigned rc = x->minimal.vtable->end_chain(&x->minimal.vtable);

	if (rc == 0 && x->ip_len != 0 &&
	    (x->leaf_len > TRUST_LEAF_MAX ||
	     cert_has_ip_address(x->leaf, x->leaf_len, x->ip, x->ip_len) != 1))
		rc = BR_ERR_X509_BAD_SERVER_NAME;
	return rc;
}

static const br_x509_pkey *tx_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const struct trust_x509 *x = (const struct trust_x509 *)(const void *)ctx;

	return x->minimal.vtable->get_pkey(&x->minimal.vtable, usages);
}

static const br_x509_class trust_x509_vtable = {
	sizeof(struct trust_x509), tx_start_chain, tx_start_cert, tx_append,
	tx_end_cert, tx_end_chain, tx_get_pkey,
};

void trust_x509_init(struct trust_x509 *x, struct trust_anchors *tas)
{
	x->vtable = &trust_x509_vtable;
	x->tas = tas;
	x->ip_len = 0;
	x->leaf = NULL;
	x->leaf_len = 0;
	br_x509_minimal_init(&x->minimal, &br_sha256_vtable, tas->ta, tas->n);
}

void trust_x509_expect_ip(struct trust_x509 *x, const unsigned char *ip, size_t len)
{
	/* Outside struct http_client, so a run by name never touches it. */
	static unsigned char leaf[TRUST_LEAF_MAX];

	x->leaf = leaf;
	if (len != 4 && len != 16)
		len = 0;
	memcpy(x->ip, ip, len);
	x->ip_len = len;
}
