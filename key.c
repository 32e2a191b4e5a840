/* key.c - see key.h. The struct key holds pointers into its own buffers,
 * so it is never copied by value. */
#include "key.h"
#include "cert.h"
#include "pem.h"
#include "util.h"

#include <arpa/inet.h>
#include <string.h>

/* The one elliptic-curve implementation: P-256 and P-384 (BearSSL's generic
 * i31 code, constant-time). The curve-specialised m31 code is faster, but
 * with X25519 (which ACME never needs) it is 23 KiB of the binary. */
#define KEY_EC (&br_ec_prime_i31)

static const struct {
	const char *name;
	enum key_type type;
	unsigned bits;
} key_types[] = {
	{ "ec256", KEY_EC256, 256 },       { "ec384", KEY_EC384, 384 },
	{ "rsa2048", KEY_RSA2048, 2048 }, { "rsa3072", KEY_RSA3072, 3072 },
	{ "rsa4096", KEY_RSA4096, 4096 },
};

int key_type_parse(const char *name, enum key_type *type)
{
	for (size_t i = 0; i < sizeof key_types / sizeof key_types[0]; i++) {
		if (strcmp(name, key_types[i].name) == 0) {
			*type = key_types[i].type;
			return 0;
		}
	}
	return -1;
}

const char *key_type_name(enum key_type type)
{
	for (size_t i = 0; i < sizeof key_types / sizeof key_types[0]; i++)
		if (key_types[i].type == type)
			return key_types[i].name;
	return "?";
}

static int is_ec(enum key_type t) { return t == KEY_EC256 || t == KEY_EC384; }

static unsigned rsa_bits(enum key_type t)
{
	return t == KEY_RSA2048 ? 2048 : t == KEY_RSA3072 ? 3072 : 4096;
}

static const br_hash_class *hash_of(const struct key *k)
{
	return k->type == KEY_EC384 ? &br_sha384_vtable : &br_sha256_vtable;
}

void key_free(struct key *k)
{
	wipe(k, sizeof *k);
}

/* One DRBG for the process, seeded from the system source on first use. */
static br_hmac_drbg_context drbg;
static int drbg_ready;

static const br_prng_class **rng(void)
{
	br_prng_seeder seeder;

	if (drbg_ready)
		return &drbg.vtable;
	br_hmac_drbg_init(&drbg, &br_sha256_vtable, NULL, 0);
	seeder = br_prng_seeder_system(NULL);
	if (seeder == 0 || !seeder(&drbg.vtable))
		return NULL;
	drbg_ready = 1;
	return &drbg.vtable;
}

void key_forget_random(void)
{
	wipe(&drbg, sizeof drbg);
	drbg_ready = 0;
}

int key_random(void *buf, size_t n)
{
	const br_prng_class **r = rng();

	if (r == NULL)
		return -1;
	(*r)->generate(r, buf, n);
	return 0;
}

/* The public exponent as minimal big-endian bytes inside k->pub. */
static void rsa_set_e(struct key *k, uint32_t e, size_t off)
{
	unsigned char *p = k->pub + off;
	size_t n = 0;

	for (int s = 24; s >= 0; s -= 8)
		if (n || (e >> s) & 0xff || s == 0)
			p[n++] = (unsigned char)(e >> s);
	k->rsa_pk.e = p;
	k->rsa_pk.elen = n;
}

int key_generate(struct key *k, enum key_type type)
{
	const br_prng_class **r = rng();
	int ret = -1;

	memset(k, 0, sizeof *k);
	k->type = type;
	if (r == NULL)
		goto out;
	if (is_ec(type)) {
		int curve = type == KEY_EC256 ? BR_EC_secp256r1 : BR_EC_secp384r1;

		if (br_ec_keygen(r, KEY_EC, &k->ec_sk, k->priv, curve) == 0)
			goto out;
		if (br_ec_compute_pub(KEY_EC, &k->ec_pk, k->pub, &k->ec_sk) == 0)
			goto out;
	} else {
		br_rsa_keygen gen = &br_rsa_i31_keygen;

		if (!gen(r, &k->rsa_sk, k->priv, &k->rsa_pk, k->pub, rsa_bits(type), 65537))
			goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		key_free(k);
	return ret;
}

/* ---- PEM in ---- */

/* Largest private key DER kept to read the RSA public exponent from
 * (RSA 4096 in PKCS#8 is at most about 2,380 bytes). */
#define KEY_MAX_DER 2560

struct skey_sink {
	br_skey_decoder_context dc;
	unsigned char der[KEY_MAX_DER];
	size_t len;
	int too_long;
};

static void skey_push(void *ctx, const void *data, size_t len)
{
	struct skey_sink *s = ctx;

	/* Like BearSSL's other decoders, it must not be fed after failing. */
	if (s->dc.err == 0)
		br_skey_decoder_push(&s->dc, data, len);
	if (len > sizeof s->der - s->len)
		s->too_long = 1;
	else if (!s->too_long) {
		memcpy(s->der + s->len, data, len);
		s->len += len;
	}
}

/* The publicExponent of a PKCS#1 RSAPrivateKey, bare or inside PKCS#8:
 * BearSSL's decoder drops it, and recomputing it from the primes works only
 * when both are 3 mod 4 (as BearSSL's own generator makes them, and about
 * one OpenSSL key in four). Returns it, or 0 if absent or not an odd value
 * from 3 to 2^32-1. */
static uint32_t rsa_exponent(const unsigned char *der, size_t len)
{
	struct der_in in = { der, len }, seq, v, alg, oct, n, e;
	uint32_t x = 0;

	if (der_enter(&in, 0x30, &seq) < 0 || der_enter(&seq, 0x02, &v) < 0)
		return 0;
	if (seq.len > 0 && seq.p[0] == 0x30) { /* PKCS#8: algorithm, then the key */
		if (der_enter(&seq, 0x30, &alg) < 0 || der_enter(&seq, 0x04, &oct) < 0 ||
		    der_enter(&oct, 0x30, &seq) < 0 || der_enter(&seq, 0x02, &v) < 0)
			return 0;
	}
	if (der_enter(&seq, 0x02, &n) < 0 || der_enter(&seq, 0x02, &e) < 0)
		return 0;
	while (e.len > 0 && e.p[0] == 0) {
		e.p++;
		e.len--;
	}
	if (e.len == 0 || e.len > 4)
		return 0;
	for (size_t i = 0; i < e.len; i++)
		x = x << 8 | e.p[i];
	return x >= 3 && (x & 1) ? x : 0;
}

/* 1 if the public half (n, e) undoes a signature made with the private half:
 * a key whose stored exponent does not belong to its primes is refused. */
static int rsa_consistent(const struct key *k)
{
	static const unsigned char h[32] = { 0x70, 0x69, 0x63, 0x6f };
	unsigned char sig[KEY_MAX_SIG], back[32];
	int ok;

	ok = k->rsa_pk.nlen <= sizeof sig &&
	     br_rsa_i31_pkcs1_sign(BR_HASH_OID_SHA256, h, sizeof h, &k->rsa_sk, sig) == 1 &&
	     br_rsa_i31_pkcs1_vrfy(sig, k->rsa_pk.nlen, BR_HASH_OID_SHA256, sizeof back, &k->rsa_pk,
				   back) == 1 &&
	     memcmp(back, h, sizeof h) == 0;
	wipe(sig, sizeof sig);
	return ok;
}

static int adopt_rsa(struct key *k, const br_rsa_private_key *sk, uint32_t e)
{
	size_t off = 0;
	unsigned char *p = k->priv;
	size_t nlen;
	int bits;

	if (sk->n_bitlen == 2048)
		bits = KEY_RSA2048;
	else if (sk->n_bitlen == 3072)
		bits = KEY_RSA3072;
	else if (sk->n_bitlen == 4096)
		bits = KEY_RSA4096;
	else
		return -1;
	if (sk->plen + sk->qlen + sk->dplen + sk->dqlen + sk->iqlen > sizeof k->priv)
		return -1;
	k->type = (enum key_type)bits;
	k->rsa_sk.n_bitlen = sk->n_bitlen;
#define TAKE(f, fl)                                   \
	do {                                          \
		memcpy(p + off, sk->f, sk->fl);       \
		k->rsa_sk.f = p + off;                \
		k->rsa_sk.fl = sk->fl;                \
		off += sk->fl;                        \
	} while (0)
	TAKE(p, plen);
	TAKE(q, qlen);
	TAKE(dp, dplen);
	TAKE(dq, dqlen);
	TAKE(iq, iqlen);
#undef TAKE
	br_rsa_compute_modulus modulus = &br_rsa_i31_compute_modulus;

	nlen = modulus(NULL, &k->rsa_sk);
	if (nlen == 0 || nlen + 4 > sizeof k->pub)
		return -1;
	modulus(k->pub, &k->rsa_sk);
	k->rsa_pk.n = k->pub;
	k->rsa_pk.nlen = nlen;
	if (e == 0)
		return -1;
	rsa_set_e(k, e, nlen);
	return rsa_consistent(k) ? 0 : -1;
}

static int adopt_ec(struct key *k, const br_ec_private_key *sk)
{
	if (sk->curve == BR_EC_secp256r1)
		k->type = KEY_EC256;
	else if (sk->curve == BR_EC_secp384r1)
		k->type = KEY_EC384;
	else
		return -1;
	if (sk->xlen > sizeof k->priv)
		return -1;
	memcpy(k->priv, sk->x, sk->xlen);
	k->ec_sk.curve = sk->curve;
	k->ec_sk.x = k->priv;
	k->ec_sk.xlen = sk->xlen;
	if (br_ec_compute_pub(KEY_EC, &k->ec_pk, k->pub, &k->ec_sk) == 0)
		return -1;
	return 0;
}

int key_from_pem(struct key *k, const char *pem, size_t len)
{
	struct pem_reader pr;
	/* On the stack, not static: deeper calls reuse these pages later, where
	 * a static copy would stay resident for the whole run. */
	struct skey_sink sink;
	int in_key = 0, ret = -1, ev;

	memset(k, 0, sizeof *k);
	pem_init(&pr);
	br_skey_decoder_init(&sink.dc);
	sink.len = 0;
	sink.too_long = 0;
	while ((ev = pem_next(&pr, &pem, &len)) != PEM_NONE) {
		if (ev == PEM_ERROR)
			goto out;
		if (ev == PEM_END && in_key)
			goto decoded;
		if (ev == PEM_BEGIN && !in_key &&
		    (strcmp(pr.label, "PRIVATE KEY") == 0 ||
		     strcmp(pr.label, "EC PRIVATE KEY") == 0 ||
		     strcmp(pr.label, "RSA PRIVATE KEY") == 0)) {
			in_key = 1;
			pr.dest = skey_push;
			pr.dest_ctx = &sink;
		}
	}
	goto out;
decoded:
	if (br_skey_decoder_last_error(&sink.dc) != 0)
		goto out;
	if (br_skey_decoder_key_type(&sink.dc) == BR_KEYTYPE_EC)
		ret = adopt_ec(k, br_skey_decoder_get_ec(&sink.dc));
	else if (br_skey_decoder_key_type(&sink.dc) == BR_KEYTYPE_RSA && !sink.too_long)
		ret = adopt_rsa(k, br_skey_decoder_get_rsa(&sink.dc),
				rsa_exponent(sink.der, sink.len));
out:
	wipe(&sink, sizeof sink);
	wipe(&pr, sizeof pr);
	if (ret < 0)
		key_free(k);
	return ret;
}

/* ---- PEM out ---- */

int key_to_pem(const struct key *k, char *out, size_t cap)
{
	unsigned char der[2600];
	unsigned char d[512];
	size_t dlen = 0, len, plen;
	int ret = -1;

	if (is_ec(k->type)) {
		len = br_encode_ec_pkcs8_der(NULL, &k->ec_sk, &k->ec_pk);
		if (len == 0 || len > sizeof der)
			goto out;
		br_encode_ec_pkcs8_der(der, &k->ec_sk, &k->ec_pk);
	} else {
		br_rsa_compute_privexp privexp = &br_rsa_i31_compute_privexp;
		uint32_t e = 0;

		for (size_t i = 0; i < k->rsa_pk.elen; i++)
			e = (e << 8) | k->rsa_pk.e[i];
		dlen = privexp(NULL, &k->rsa_sk, e);
		if (dlen == 0 || dlen > sizeof d || privexp(d, &k->rsa_sk, e) != dlen)
			goto out;
		len = br_encode_rsa_pkcs8_der(NULL, &k->rsa_sk, &k->rsa_pk, d, dlen);
		if (len == 0 || len > sizeof der)
			goto out;
		br_encode_rsa_pkcs8_der(der, &k->rsa_sk, &k->rsa_pk, d, dlen);
	}
	plen = br_pem_encode(NULL, der, len, BR_ENCODE_PEM_PKCS8, BR_PEM_LINE64);
	if (plen + 1 > cap)
		goto out;
	br_pem_encode(out, der, len, BR_ENCODE_PEM_PKCS8, BR_PEM_LINE64);
	ret = (int)plen;
out:
	wipe(der, sizeof der);
	wipe(d, sizeof d);
	return ret;
}

/* ---- signing ---- */

const char *key_jws_alg(const struct key *k)
{
	return k->type == KEY_EC256 ? "ES256" : k->type == KEY_EC384 ? "ES384" : "RS256";
}

static size_t digest(const struct key *k, const void *data, size_t len,
		     unsigned char *h)
{
	br_hash_compat_context hc;
	const br_hash_class *hf = hash_of(k);

	hf->init(&hc.vtable);
	hf->update(&hc.vtable, data, len);
	hf->out(&hc.vtable, h);
	return (hf->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK;
}

/* asn1: DER ECDSA signature (for X.509/CSR) instead of the JWS r||s form. */
static int sign_hash(const struct key *k, const unsigned char *h, size_t hlen,
		     unsigned char *sig, size_t cap, int asn1)
{
	if (is_ec(k->type)) {
		size_t clen = k->type == KEY_EC256 ? 32 : 48, n;

		/* raw r||s, or DER: two INTEGERs with possible sign bytes */
		if (cap < (asn1 ? 2 * clen + 9 : 2 * clen))
			return -1;
		n = br_ecdsa_i31_sign_raw(KEY_EC, hash_of(k), h, &k->ec_sk, sig);
		if (n != 0 && asn1)
			n = br_ecdsa_raw_to_asn1(sig, n);
		return n == 0 ? -1 : (int)n;
	}
	if (cap < k->rsa_pk.nlen || hlen != 32)
		return -1;
	if (!br_rsa_i31_pkcs1_sign(BR_HASH_OID_SHA256, h, hlen, &k->rsa_sk, sig))
		return -1;
	return (int)k->rsa_pk.nlen;
}

int key_sign(const struct key *k, const void *data, size_t len,
	     unsigned char *sig, size_t cap)
{
	unsigned char h[64];
	size_t hlen = digest(k, data, len, h);

	return sign_hash(k, h, hlen, sig, cap, 0);
}

void key_public(const struct key *k, struct key_public *pub)
{
	memset(pub, 0, sizeof *pub);
	if (is_ec(k->type)) {
		pub->crv = k->type == KEY_EC256 ? "P-256" : "P-384";
		pub->coord_len = (k->ec_pk.qlen - 1) / 2;
		pub->x = k->ec_pk.q + 1;
		pub->y = k->ec_pk.q + 1 + pub->coord_len;
	} else {
		pub->n = k->rsa_pk.n;
		pub->nlen = k->rsa_pk.nlen;
		pub->e = k->rsa_pk.e;
		pub->elen = k->rsa_pk.elen;
	}
}

/* Compares big-endian integers ignoring leading zero bytes. */
static int same_uint(const unsigned char *a, size_t alen,
		     const unsigned char *b, size_t blen)
{
	while (alen > 0 && *a == 0) {
		a++;
		alen--;
	}
	while (blen > 0 && *b == 0) {
		b++;
		blen--;
	}
	return alen == blen && memcmp(a, b, alen) == 0;
}

int key_matches(const struct key *k, const br_x509_pkey *pk)
{
	if (is_ec(k->type))
		return pk->key_type == BR_KEYTYPE_EC &&
		       pk->key.ec.curve == k->ec_pk.curve &&
		       pk->key.ec.qlen == k->ec_pk.qlen &&
		       memcmp(pk->key.ec.q, k->ec_pk.q, k->ec_pk.qlen) == 0;
	return pk->key_type == BR_KEYTYPE_RSA &&
	       same_uint(pk->key.rsa.n, pk->key.rsa.nlen, k->rsa_pk.n, k->rsa_pk.nlen) &&
	       same_uint(pk->key.rsa.e, pk->key.rsa.elen, k->rsa_pk.e, k->rsa_pk.elen);
}

/* ---- DER writer for the CSR ----
 * Constructed values reserve a 3-byte length (enough for 64 KiB) and are
 * compacted to the minimal DER length form when closed. */

struct der {
	unsigned char *buf;
	size_t cap;
	size_t len;
	int err;
	int depth;
	size_t open[12];
};

static void der_bytes(struct der *d, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (d->err || n > d->cap - d->len) {
		d->err = 1;
		return;
	}
	memcpy(d->buf + d->len, p, n);
	d->len += n;
}

static void der_begin(struct der *d, unsigned char tag)
{
	static const unsigned char hdr[3] = { 0x82, 0, 0 };

	if (d->depth >= (int)(sizeof d->open / sizeof d->open[0])) {
		d->err = 1;
		return;
	}
	der_bytes(d, &tag, 1);
	d->open[d->depth++] = d->len;
	der_bytes(d, hdr, 3);
}

static void der_end(struct der *d)
{
	size_t start, clen, hlen;

	if (d->err || d->depth == 0) {
		d->err = 1;
		return;
	}
	start = d->open[--d->depth];
	clen = d->len - start - 3;
	if (clen > 0xffff) {
		d->err = 1;
		return;
	}
	hlen = clen < 0x80 ? 1 : clen < 0x100 ? 2 : 3;
	if (hlen == 1) {
		d->buf[start] = (unsigned char)clen;
	} else {
		d->buf[start] = (unsigned char)(0x80 | (hlen - 1));
		if (hlen == 2) {
			d->buf[start + 1] = (unsigned char)clen;
		} else {
			d->buf[start + 1] = (unsigned char)(clen >> 8);
			d->buf[start + 2] = (unsigned char)clen;
		}
	}
	memmove(d->buf + start + hlen, d->buf + start + 3, clen);
	d->len = start + hlen + clen;
}

static void der_prim(struct der *d, unsigned char tag, const void *p, size_t n)
{
	der_begin(d, tag);
	der_bytes(d, p, n);
	der_end(d);
}

static void der_uint(struct der *d, const unsigned char *p, size_t n)
{
	static const unsigned char zero = 0;

	while (n > 1 && *p == 0) {
		p++;
		n--;
	}
	der_begin(d, 0x02);
	if (n == 0 || (p[0] & 0x80))
		der_bytes(d, &zero, 1);
	der_bytes(d, p, n);
	der_end(d);
}

static const unsigned char OID_EC_PUBKEY[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const unsigned char OID_P256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const unsigned char OID_P384[] = { 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const unsigned char OID_RSA[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
static const unsigned char OID_ECDSA_SHA256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const unsigned char OID_ECDSA_SHA384[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };
static const unsigned char OID_RSA_SHA256[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b };
static const unsigned char OID_EXT_REQ[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e };
static const unsigned char OID_SAN[] = { 0x55, 0x1d, 0x11 };
static const unsigned char OID_CN[] = { 0x55, 0x04, 0x03 };

static void der_spki(struct der *d, const struct key *k)
{
	static const unsigned char zero = 0;

	der_begin(d, 0x30);
	der_begin(d, 0x30);
	if (is_ec(k->type)) {
		der_prim(d, 0x06, OID_EC_PUBKEY, sizeof OID_EC_PUBKEY);
		if (k->type == KEY_EC256)
			der_prim(d, 0x06, OID_P256, sizeof OID_P256);
		else
			der_prim(d, 0x06, OID_P384, sizeof OID_P384);
		der_end(d);
		der_begin(d, 0x03);
		der_bytes(d, &zero, 1);
		der_bytes(d, k->ec_pk.q, k->ec_pk.qlen);
		der_end(d);
	} else {
		der_prim(d, 0x06, OID_RSA, sizeof OID_RSA);
		der_prim(d, 0x05, NULL, 0);
		der_end(d);
		der_begin(d, 0x03);
		der_bytes(d, &zero, 1);
		der_begin(d, 0x30);
		der_uint(d, k->rsa_pk.n, k->rsa_pk.nlen);
		der_uint(d, k->rsa_pk.e, k->rsa_pk.elen);
		der_end(d);
		der_end(d);
	}
	der_end(d);
}

static void der_sigalg(struct der *d, const struct key *k)
{
	der_begin(d, 0x30);
	if (k->type == KEY_EC256) {
		der_prim(d, 0x06, OID_ECDSA_SHA256, sizeof OID_ECDSA_SHA256);
	} else if (k->type == KEY_EC384) {
		der_prim(d, 0x06, OID_ECDSA_SHA384, sizeof OID_ECDSA_SHA384);
	} else {
		der_prim(d, 0x06, OID_RSA_SHA256, sizeof OID_RSA_SHA256);
		der_prim(d, 0x05, NULL, 0);
	}
	der_end(d);
}

/* A subjectAltName entry: RFC 8738's iPAddress (network order) for an
 * address, else a dNSName. */
static void der_general_name(struct der *d, const char *name)
{
	unsigned char ip[16];

	if (inet_pton(AF_INET, name, ip) == 1)
		der_prim(d, 0x87, ip, 4);
	else if (inet_pton(AF_INET6, name, ip) == 1)
		der_prim(d, 0x87, ip, 16);
	else
		der_prim(d, 0x82, name, strlen(name));
}

/* Signs the DER from start to the end of d and closes the outer SEQUENCE
 * with the algorithm and the signature (a CSR or certificate). */
static void der_sign(struct der *d, const struct key *k, size_t start)
{
	static const unsigned char zero = 0;
	unsigned char h[64], sig[KEY_MAX_SIG];
	size_t hlen;
	int siglen;

	if (d->err)
		return;
	hlen = digest(k, d->buf + start, d->len - start, h);
	siglen = sign_hash(k, h, hlen, sig, sizeof sig, 1);
	if (siglen < 0) {
		d->err = 1;
		return;
	}
	der_sigalg(d, k);
	der_begin(d, 0x03);
	der_bytes(d, &zero, 1);
	der_bytes(d, sig, (size_t)siglen);
	der_end(d);
	der_end(d);
}

static const unsigned char OID_ACME_IDENTIFIER[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x1f };

int key_acme_tls_cert(const struct key *k, const char *ident, const unsigned char digest32[32],
		      unsigned char *out, size_t cap)
{
	/* Fixed, wide validity: the CA does not check it, and a router's
	 * clock may not be set yet. */
	static const char not_before[] = "000101000000Z", not_after[] = "491231235959Z";
	static const unsigned char v3 = 2, yes = 0xff;
	static const char cn[] = "picoacme tls-alpn-01";
	struct der d = { .buf = out, .cap = cap };
	unsigned char serial[16];

	if (key_random(serial, sizeof serial) < 0)
		return -1;
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x01); /* positive, 16 bytes */
	der_begin(&d, 0x30); /* Certificate */
	der_begin(&d, 0x30); /* TBSCertificate */
	der_begin(&d, 0xa0);
	der_prim(&d, 0x02, &v3, 1);
	der_end(&d);
	der_prim(&d, 0x02, serial, sizeof serial);
	der_sigalg(&d, k);
	for (int i = 0; i < 3; i++) { /* issuer, validity, subject */
		der_begin(&d, 0x30);
		if (i == 1) {
			der_prim(&d, 0x17, not_before, sizeof not_before - 1);
			der_prim(&d, 0x17, not_after, sizeof not_after - 1);
		} else {
			der_begin(&d, 0x31);
			der_begin(&d, 0x30);
			der_prim(&d, 0x06, OID_CN, sizeof OID_CN);
			der_prim(&d, 0x0c, cn, sizeof cn - 1);
			der_end(&d);
			der_end(&d);
		}
		der_end(&d);
	}
	der_spki(&d, k);
	der_begin(&d, 0xa3);
	der_begin(&d, 0x30); /* Extensions */
	der_begin(&d, 0x30);
	der_prim(&d, 0x06, OID_SAN, sizeof OID_SAN);
	der_begin(&d, 0x04);
	der_begin(&d, 0x30);
	der_general_name(&d, ident);
	der_end(&d);
	der_end(&d);
	der_end(&d);
	der_begin(&d, 0x30); /* RFC 8737 §3: acmeIdentifier, critical */
	der_prim(&d, 0x06, OID_ACME_IDENTIFIER, sizeof OID_ACME_IDENTIFIER);
	der_prim(&d, 0x01, &yes, 1);
	der_begin(&d, 0x04);
	der_prim(&d, 0x04, digest32, 32);
	der_end(&d);
	der_end(&d);
	der_end(&d);
	der_end(&d);
	der_end(&d); /* TBSCertificate */
	der_sign(&d, k, 4);
	return d.err ? -1 : (int)d.len;
}

void key_tls_server(const struct key *k, br_ssl_server_context *cc, const br_x509_certificate *chain)
{
	br_ssl_server_set_single_ec(cc, chain, 1, &k->ec_sk, BR_KEYTYPE_SIGN, 0, KEY_EC,
				    br_ecdsa_i31_sign_asn1);
}

int key_csr(const struct key *k, const char *const *names, size_t nnames,
	    unsigned char *out, size_t cap)
{
	static const unsigned char zero = 0;
	struct der d = { .buf = out, .cap = cap };
	unsigned char ip[16];
	size_t info_start;

	if (nnames == 0)
		return -1;
	der_begin(&d, 0x30); /* CertificationRequest */
	info_start = d.len;
	der_begin(&d, 0x30); /* CertificationRequestInfo */
	der_prim(&d, 0x02, &zero, 1);
	der_begin(&d, 0x30); /* subject */
	if (strlen(names[0]) <= 64 && !inet_pton(AF_INET, names[0], ip) &&
	    !inet_pton(AF_INET6, names[0], ip)) {
		der_begin(&d, 0x31);
		der_begin(&d, 0x30);
		der_prim(&d, 0x06, OID_CN, sizeof OID_CN);
		der_prim(&d, 0x0c, names[0], strlen(names[0]));
		der_end(&d);
		der_end(&d);
	}
	der_end(&d);
	der_spki(&d, k);
	der_begin(&d, 0xa0); /* attributes */
	der_begin(&d, 0x30);
	der_prim(&d, 0x06, OID_EXT_REQ, sizeof OID_EXT_REQ);
	der_begin(&d, 0x31);
	der_begin(&d, 0x30); /* Extensions */
	der_begin(&d, 0x30);
	der_prim(&d, 0x06, OID_SAN, sizeof OID_SAN);
	der_begin(&d, 0x04);
	der_begin(&d, 0x30);
	for (size_t i = 0; i < nnames; i++)
		der_general_name(&d, names[i]);
	der_end(&d);
	der_end(&d);
	der_end(&d);
	der_end(&d);
	der_end(&d);
	der_end(&d);
	der_end(&d);
	der_end(&d); /* CertificationRequestInfo */
	der_sign(&d, k, info_start);
	return d.err ? -1 : (int)d.len;
}
