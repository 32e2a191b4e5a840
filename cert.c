/* cert.c - see cert.h */
#include "cert.h"
#include "jws.h"
#include "pem.h"
#include "util.h"

#include <string.h>
#include <strings.h>

#include <bearssl.h>

/* ---- PEM chain ---- */

struct der_sink {
	unsigned char *buf;
	size_t cap;
	size_t len;
	int overflow;
};

static void sink_push(void *ctx, const void *data, size_t len)
{
	struct der_sink *s = ctx;

	if (len > s->cap - s->len) {
		s->overflow = 1;
		return;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
}

int chain_from_pem(const char *pem, size_t len, unsigned char *buf, size_t cap,
		   struct chain *ch)
{
	struct pem_reader pr;
	struct der_sink sink = { .buf = buf, .cap = cap };
	size_t start = 0;
	int in_cert = 0, ev;

	memset(ch, 0, sizeof *ch);
	ch->buf = buf;
	pem_init(&pr);
	while ((ev = pem_next(&pr, &pem, &len)) != PEM_NONE) {
		switch (ev) {
		case PEM_BEGIN:
			in_cert = strcmp(pr.label, "CERTIFICATE") == 0;
			if (in_cert && ch->n == CERT_MAX_CHAIN)
				return -1;
			start = sink.len;
			pr.dest = in_cert ? sink_push : NULL;
			pr.dest_ctx = &sink;
			break;
		case PEM_END:
			if (in_cert) {
				if (sink.overflow || sink.len == start)
					return -1;
				ch->off[ch->n] = start;
				ch->len[ch->n] = sink.len - start;
				ch->n++;
			}
			in_cert = 0;
			break;
		default:
			return -1;
		}
	}
	/* A block that began but never ended is a truncated download. */
	if (pr.in_object || ch->n == 0)
		return -1;
	return ch->n;
}

int chain_to_pem(const struct chain *ch, int first, int count, char *out, size_t cap)
{
	size_t n = 0;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	for (int i = first; i < first + count && i < ch->n; i++) {
		const unsigned char *der = ch->buf + ch->off[i];
		size_t need = br_pem_encode(NULL, der, ch->len[i], "CERTIFICATE", BR_PEM_LINE64);

		if (need + 1 > cap - n)
			return -1;
		br_pem_encode(out + n, der, ch->len[i], "CERTIFICATE", BR_PEM_LINE64);
		n += need;
	}
	return (int)n;
}

/* ---- DER reading ---- */

int der_next(struct der_in *in, unsigned char *tag, struct der_in *val)
{
	size_t l, hl = 2;

	if (in->len < 2)
		return -1;
	*tag = in->p[0];
	if ((*tag & 0x1f) == 0x1f)
		return -1; /* high tag numbers do not occur in certificates */
	l = in->p[1];
	if (l & 0x80) {
		size_t nb = l & 0x7f;

		if (nb == 0 || nb > 3 || in->len < 2 + nb)
			return -1;
		l = 0;
		for (size_t i = 0; i < nb; i++)
			l = (l << 8) | in->p[2 + i];
		hl += nb;
	}
	if (l > in->len - hl)
		return -1;
	val->p = in->p + hl;
	val->len = l;
	in->p += hl + l;
	in->len -= hl + l;
	return 0;
}

int der_enter(struct der_in *in, unsigned char want, struct der_in *val)
{
	unsigned char tag;

	if (der_next(in, &tag, val) < 0 || tag != want)
		return -1;
	return 0;
}

static int digits(const unsigned char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

int64_t der_time(unsigned char tag, const unsigned char *p, size_t len)
{
	int y, mo, d, h, mi, s;

	if (tag == 0x17 && len == 13 && p[12] == 'Z') {
		y = digits(p, 2);
		if (y < 0)
			return -1;
		y += y < 50 ? 2000 : 1900;
		p += 2;
	} else if (tag == 0x18 && len == 15 && p[14] == 'Z') {
		y = digits(p, 4);
		if (y < 0)
			return -1;
		p += 4;
	} else {
		return -1;
	}
	mo = digits(p, 2);
	d = digits(p + 2, 2);
	h = digits(p + 4, 2);
	mi = digits(p + 6, 2);
	s = digits(p + 8, 2);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    s < 0 || s > 60)
		return -1;
	return time_from_civil(y, mo, d, h, mi, s);
}

/* Positions *tbs at the TBSCertificate content just after the validity;
 * serial and issuer (may be NULL) receive those elements. */
static int tbs_open_ids(const unsigned char *der, size_t len, struct der_in *tbs,
			struct cert_info *ci, struct der_in *serial, struct der_in *issuer)
{
	struct der_in in = { der, len }, cert, val, t, sv, iv;
	unsigned char tag;

	if (der_enter(&in, 0x30, &cert) < 0 || der_enter(&cert, 0x30, tbs) < 0)
		return -1;
	if (tbs->len > 0 && tbs->p[0] == 0xa0 && der_next(tbs, &tag, &val) < 0)
		return -1; /* version */
	if (der_enter(tbs, 0x02, &sv) < 0 ||   /* serial */
	    der_enter(tbs, 0x30, &val) < 0 ||  /* signature */
	    der_enter(tbs, 0x30, &iv) < 0 ||   /* issuer */
	    der_enter(tbs, 0x30, &val) < 0)    /* validity */
		return -1;
	if (serial != NULL)
		*serial = sv;
	if (issuer != NULL)
		*issuer = iv;
	if (der_next(&val, &tag, &t) < 0)
		return -1;
	ci->not_before = der_time(tag, t.p, t.len);
	if (der_next(&val, &tag, &t) < 0)
		return -1;
	ci->not_after = der_time(tag, t.p, t.len);
	if (ci->not_before < 0 || ci->not_after < 0)
		return -1;
	return 0;
}

static int tbs_open(const unsigned char *der, size_t len, struct der_in *tbs,
		    struct cert_info *ci)
{
	return tbs_open_ids(der, len, tbs, ci, NULL, NULL);
}

int cert_validity(const unsigned char *der, size_t len, struct cert_info *ci)
{
	struct der_in tbs;

	return tbs_open(der, len, &tbs, ci);
}

/* Finds the extension with the given OID after the validity in *tbs and
 * returns its extnValue content in *val. 1 found, 0 absent, -1 malformed. */
static int find_extension(struct der_in tbs, const unsigned char *oid_want, size_t oid_len,
			  struct der_in *val)
{
	struct der_in v, exts, ext, oid;
	unsigned char tag = 0;

	for (int skip = 0; skip < 2; skip++) /* subject, subjectPublicKeyInfo */
		if (der_enter(&tbs, 0x30, &v) < 0)
			return -1;
	while (tbs.len > 0) {
		if (der_next(&tbs, &tag, &v) < 0)
			return -1;
		if (tag == 0xa3)
			break;
	}
	if (tag != 0xa3 || der_enter(&v, 0x30, &exts) < 0)
		return 0;
	while (exts.len > 0) {
		if (der_enter(&exts, 0x30, &ext) < 0 || der_enter(&ext, 0x06, &oid) < 0)
			return -1;
		if (oid.len != oid_len || memcmp(oid.p, oid_want, oid_len) != 0)
			continue;
		if (ext.len > 0 && ext.p[0] == 0x01 && der_next(&ext, &tag, &v) < 0)
			return -1; /* critical flag */
		if (der_enter(&ext, 0x04, val) < 0)
			return -1;
		return 1;
	}
	return 0;
}

/* 1 if the subjectAltName has a GeneralName of this tag whose value is
 * val (ASCII case-insensitively when fold), 0 if not, -1 if malformed. */
static int san_has(const unsigned char *der, size_t len, unsigned char want,
		   const void *val, size_t vlen, int fold)
{
	static const unsigned char OID_SAN[] = { 0x55, 0x1d, 0x11 };
	struct der_in tbs, ext, names, gn;
	struct cert_info ci;
	unsigned char tag;
	int rc;

	if (tbs_open(der, len, &tbs, &ci) < 0)
		return -1;
	rc = find_extension(tbs, OID_SAN, sizeof OID_SAN, &ext);
	if (rc <= 0)
		return rc;
	if (der_enter(&ext, 0x30, &names) < 0)
		return -1;
	while (names.len > 0) {
		if (der_next(&names, &tag, &gn) < 0)
			return -1;
		if (tag == want && gn.len == vlen &&
		    (fold ? strncasecmp((const char *)gn.p, val, vlen) : memcmp(gn.p, val, vlen)) == 0)
			return 1;
	}
	return 0;
}

int cert_has_dns_name(const unsigned char *der, size_t len, const char *name)
{
	return san_has(der, len, 0x82, name, strlen(name), 1);
}

int cert_has_ip_address(const unsigned char *der, size_t len, const unsigned char *ip, size_t iplen)
{
	return san_has(der, len, 0x87, ip, iplen, 0);
}

int cert_ids(const unsigned char *der, size_t len, struct cert_ids *ids)
{
	static const unsigned char OID_AKI[] = { 0x55, 0x1d, 0x23 };
	static const unsigned char OID_CN[] = { 0x55, 0x04, 0x03 };
	struct der_in tbs, serial, issuer, val, aki, rdn, atv, oid, s;
	struct cert_info ci;
	unsigned char tag;
	int rc;

	memset(ids, 0, sizeof *ids);
	if (tbs_open_ids(der, len, &tbs, &ci, &serial, &issuer) < 0 || serial.len == 0)
		return -1;
	ids->serial = serial.p;
	ids->serial_len = serial.len;
	/* The last CN in the issuer name is the most specific one. */
	while (issuer.len > 0) {
		if (der_enter(&issuer, 0x31, &rdn) < 0)
			return -1;
		while (rdn.len > 0) {
			if (der_enter(&rdn, 0x30, &atv) < 0 || der_enter(&atv, 0x06, &oid) < 0 ||
			    der_next(&atv, &tag, &s) < 0)
				return -1;
			if (oid.len == sizeof OID_CN && memcmp(oid.p, OID_CN, sizeof OID_CN) == 0)
				sanitize(ids->issuer_cn, sizeof ids->issuer_cn, (const char *)s.p, s.len);
		}
	}
	rc = find_extension(tbs, OID_AKI, sizeof OID_AKI, &val);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		if (der_enter(&val, 0x30, &aki) < 0)
			return -1;
		while (aki.len > 0) {
			if (der_next(&aki, &tag, &s) < 0)
				return -1;
			if (tag == 0x80) { /* [0] keyIdentifier */
				ids->aki = s.p;
				ids->aki_len = s.len;
			}
		}
	}
	return 0;
}

int cert_ari_id(const unsigned char *der, size_t len, char *out, size_t cap)
{
	struct cert_ids ids;
	int a, b;

	if (cert_ids(der, len, &ids) < 0 || ids.aki == NULL)
		return -1;
	a = b64url_encode(out, cap, ids.aki, ids.aki_len);
	if (a < 0 || (size_t)a + 2 > cap)
		return -1;
	out[a] = '.';
	b = b64url_encode(out + a + 1, cap - (size_t)a - 1, ids.serial, ids.serial_len);
	return b < 0 ? -1 : a + 1 + b;
}

int cert_key_matches(const unsigned char *der, size_t len, const struct key *k)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;

	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, der, len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (pk == NULL || br_x509_decoder_last_error(&dc) != 0)
		return 0;
	return key_matches(k, pk);
}
