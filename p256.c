/* p256.c - see p256.h */
#include "p256.h"

#ifdef P256_64

#include <string.h>

typedef unsigned __int128 u128;

/* Field elements: four 64-bit limbs, least significant first, in
 * Montgomery form (a*2^256 mod p), always fully reduced (< p). */
typedef uint64_t fe[4];

static const fe P = { 0xffffffffffffffffu, 0x00000000ffffffffu, 0, 0xffffffff00000001u };
static const fe R2 = { 3, 0xfffffffbffffffffu, 0xfffffffffffffffeu, 0x00000004fffffffdu };
static const fe ONE = { 1, 0xffffffff00000000u, 0xffffffffffffffffu, 0x00000000fffffffeu };
static const fe B = { 0xd89cdf6229c4bddfu, 0xacf005cd78843090u, 0xe5a220abf7212ed6u,
		      0xdc30061d04874834u };

/* All-ones when c is 1, zero when 0. */
static uint64_t mask_of(uint64_t c)
{
	return (uint64_t)0 - c;
}

/* Carry chains written out: with loops and 128-bit temporaries, gcc
 * spills to the stack and a product costs several times more. Inlining is
 * forced because the static build is -Os, which would call each step. */
#define ALWAYS_INLINE inline __attribute__((always_inline))

static ALWAYS_INLINE uint64_t adc(uint64_t a, uint64_t b, uint64_t *carry)
{
	u128 t = (u128)a + b + *carry;

	*carry = (uint64_t)(t >> 64);
	return (uint64_t)t;
}

static ALWAYS_INLINE uint64_t sbb(uint64_t a, uint64_t b, uint64_t *borrow)
{
	u128 t = (u128)a - b - *borrow;

	*borrow = (uint64_t)(t >> 64) & 1;
	return (uint64_t)t;
}

/* a*b + c + d, low half returned, high half in *hi (never overflows) */
static ALWAYS_INLINE uint64_t mac(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t *hi)
{
	u128 t = (u128)a * b + c + d;

	*hi = (uint64_t)(t >> 64);
	return (uint64_t)t;
}

/* r = t - P when that does not borrow (t is t[0..3] plus the carry hi), else t. */
static void reduce_once(fe r, const uint64_t t[4], uint64_t hi)
{
	uint64_t d[4], borrow = 0, keep;

	d[0] = sbb(t[0], P[0], &borrow);
	d[1] = sbb(t[1], P[1], &borrow);
	d[2] = sbb(t[2], P[2], &borrow);
	d[3] = sbb(t[3], P[3], &borrow);
	/* keep t when t < P: a borrow not covered by the carry */
	keep = mask_of(borrow & (hi ^ 1));
	r[0] = (t[0] & keep) | (d[0] & ~keep);
	r[1] = (t[1] & keep) | (d[1] & ~keep);
	r[2] = (t[2] & keep) | (d[2] & ~keep);
	r[3] = (t[3] & keep) | (d[3] & ~keep);
}

static void fe_add(fe r, const fe a, const fe b)
{
	uint64_t t[4], carry = 0;

	t[0] = adc(a[0], b[0], &carry);
	t[1] = adc(a[1], b[1], &carry);
	t[2] = adc(a[2], b[2], &carry);
	t[3] = adc(a[3], b[3], &carry);
	reduce_once(r, t, carry);
}

static void fe_sub(fe r, const fe a, const fe b)
{
	uint64_t t[4], borrow = 0, carry = 0, m;

	t[0] = sbb(a[0], b[0], &borrow);
	t[1] = sbb(a[1], b[1], &borrow);
	t[2] = sbb(a[2], b[2], &borrow);
	t[3] = sbb(a[3], b[3], &borrow);
	m = mask_of(borrow); /* went below zero: add P back */
	r[0] = adc(t[0], P[0] & m, &carry);
	r[1] = adc(t[1], P[1] & m, &carry);
	r[2] = adc(t[2], P[2] & m, &carry);
	r[3] = adc(t[3], P[3] & m, &carry);
}

/* t[0..4] += a * bi, where t[4] is still unset (one row of a product) */
static ALWAYS_INLINE void mul_row(uint64_t *t, const fe a, uint64_t bi)
{
	uint64_t h;

	t[0] = mac(a[0], bi, t[0], 0, &h);
	t[1] = mac(a[1], bi, t[1], h, &h);
	t[2] = mac(a[2], bi, t[2], h, &h);
	t[3] = mac(a[3], bi, t[3], h, &h);
	t[4] = h;
}

/* t += m*p with m = t[0]: clears t[0], carries up to t[4] and out through
 * *carry. p's shape makes it one multiply:
 * m*p = m*2^256 - m*2^224 + m*2^192 + m*2^96 - m. */
static ALWAYS_INLINE void reduce_step(uint64_t *t, uint64_t *carry)
{
	uint64_t m = t[0], c = 0, h;

	t[1] = adc(t[1], m << 32, &c);
	t[2] = adc(t[2], m >> 32, &c);
	t[3] = mac(m, P[3], t[3], c, &h);
	t[4] = adc(t[4], h, carry);
}

/* Montgomery product a*b/2^256 mod p (-p^-1 mod 2^64 is 1 for this p). */
static void fe_mul(fe r, const fe a, const fe b)
{
	uint64_t t[8] = { 0 }, carry = 0;

	mul_row(t, a, b[0]);
	mul_row(t + 1, a, b[1]);
	mul_row(t + 2, a, b[2]);
	mul_row(t + 3, a, b[3]);
	reduce_step(t, &carry);
	reduce_step(t + 1, &carry);
	reduce_step(t + 2, &carry);
	reduce_step(t + 3, &carry);
	reduce_once(r, t + 4, carry);
}

static void fe_sqr(fe r, const fe a)
{
	fe_mul(r, a, a);
}

static uint64_t fe_is_zero(const fe a)
{
	uint64_t z = a[0] | a[1] | a[2] | a[3];

	return ((z | ((uint64_t)0 - z)) >> 63) ^ 1;
}

/* a^(p-2) = 1/a (0 for 0); the exponent is public. */
static void fe_inv(fe r, const fe a)
{
	static const uint64_t E[4] = { 0xfffffffffffffffdu, 0x00000000ffffffffu, 0,
				       0xffffffff00000001u };
	fe x;

	memcpy(x, ONE, sizeof x);
	for (int i = 255; i >= 0; i--) {
		fe_sqr(x, x);
		if (E[i / 64] >> (i % 64) & 1)
			fe_mul(x, x, a);
	}
	memcpy(r, x, sizeof x);
}

/* Big-endian 32 bytes to limbs; 1 when the value is below p. */
static uint64_t fe_from_bytes(fe r, const unsigned char *s)
{
	uint64_t t[4], borrow = 0;

	for (int i = 0; i < 4; i++) {
		uint64_t w = 0;

		for (int j = 0; j < 8; j++)
			w = w << 8 | s[(3 - i) * 8 + j];
		t[i] = w;
	}
	for (int i = 0; i < 4; i++) {
		u128 x = (u128)t[i] - P[i] - borrow;

		borrow = (uint64_t)(x >> 64) & 1;
	}
	fe_mul(r, t, R2); /* into Montgomery form */
	return borrow;
}

static void fe_to_bytes(unsigned char *s, const fe a)
{
	static const fe one = { 1, 0, 0, 0 };
	fe t;

	fe_mul(t, a, one); /* out of Montgomery form */
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++)
			s[(3 - i) * 8 + j] = (unsigned char)(t[i] >> (56 - 8 * j));
}

static void fe_select(fe r, const fe a, uint64_t m) /* r = m ? a : r */
{
	for (int i = 0; i < 4; i++)
		r[i] ^= (r[i] ^ a[i]) & m;
}

/* ---- points: Jacobian (X/Z^2, Y/Z^3); Z = 0 is the point at infinity ---- */

struct pt {
	fe x, y, z;
};

static void pt_select(struct pt *r, const struct pt *a, uint64_t m)
{
	fe_select(r->x, a->x, m);
	fe_select(r->y, a->y, m);
	fe_select(r->z, a->z, m);
}

/* 2P with a = -3 (dbl-2001-b); infinity stays infinity. */
static void pt_double(struct pt *r, const struct pt *p)
{
	fe delta, gamma, beta, alpha, t1, t2;

	fe_sqr(delta, p->z);
	fe_sqr(gamma, p->y);
	fe_mul(beta, p->x, gamma);
	fe_sub(t1, p->x, delta);
	fe_add(t2, p->x, delta);
	fe_mul(alpha, t1, t2);
	fe_add(t1, alpha, alpha);
	fe_add(alpha, alpha, t1);
	fe_add(t1, p->y, p->z);
	fe_sqr(r->z, t1);
	fe_sub(r->z, r->z, gamma);
	fe_sub(r->z, r->z, delta);
	fe_add(beta, beta, beta);
	fe_add(beta, beta, beta); /* 4 beta */
	fe_sqr(r->x, alpha);
	fe_add(t1, beta, beta);
	fe_sub(r->x, r->x, t1);
	fe_sub(t1, beta, r->x);
	fe_mul(t1, alpha, t1);
	fe_sqr(t2, gamma);
	fe_add(t2, t2, t2);
	fe_add(t2, t2, t2);
	fe_add(t2, t2, t2); /* 8 gamma^2 */
	fe_sub(r->y, t1, t2);
}

/* P + Q (add-1998-cmo-2); infinity on either side is handled without
 * branching on the points. P = Q is handled only with may_double (the
 * final sum of a verification, public data): in a fixed-window
 * multiplication by k < n the sum of the accumulator and a table entry
 * never has equal terms, as every point has order n. */
static void pt_add(struct pt *r, const struct pt *p, const struct pt *q, int may_double)
{
	fe z1z1, z2z2, u1, u2, s1, s2, h, rr, hh, hhh, v, t;
	struct pt sum;
	uint64_t p_inf, q_inf;

	fe_sqr(z1z1, p->z);
	fe_sqr(z2z2, q->z);
	fe_mul(u1, p->x, z2z2);
	fe_mul(u2, q->x, z1z1);
	fe_mul(s1, p->y, q->z);
	fe_mul(s1, s1, z2z2);
	fe_mul(s2, q->y, p->z);
	fe_mul(s2, s2, z1z1);
	fe_sub(h, u2, u1);
	fe_sub(rr, s2, s1);
	fe_sqr(hh, h);
	fe_mul(hhh, hh, h);
	fe_mul(v, u1, hh);
	fe_sqr(sum.x, rr);
	fe_sub(sum.x, sum.x, hhh);
	fe_sub(sum.x, sum.x, v);
	fe_sub(sum.x, sum.x, v);
	fe_sub(t, v, sum.x);
	fe_mul(t, rr, t);
	fe_mul(sum.y, s1, hhh);
	fe_sub(sum.y, t, sum.y);
	fe_mul(sum.z, p->z, q->z);
	fe_mul(sum.z, sum.z, h);

	p_inf = mask_of(fe_is_zero(p->z));
	q_inf = mask_of(fe_is_zero(q->z));
	if (may_double && fe_is_zero(h) && fe_is_zero(rr) && !p_inf && !q_inf)
		pt_double(&sum, p);
	pt_select(&sum, q, p_inf);
	pt_select(&sum, p, q_inf);
	*r = sum;
}

/* Decodes an uncompressed point and checks y^2 = x^3 - 3x + b; 1 when valid. */
static uint64_t pt_decode(struct pt *r, const unsigned char *s, size_t len)
{
	fe y2, x3, t;
	uint64_t ok;

	if (len != 65 || s[0] != 0x04)
		return 0;
	ok = fe_from_bytes(r->x, s + 1) & fe_from_bytes(r->y, s + 33);
	memcpy(r->z, ONE, sizeof r->z);
	fe_sqr(y2, r->y);
	fe_sqr(x3, r->x);
	fe_mul(x3, x3, r->x);
	fe_add(t, r->x, r->x);
	fe_add(t, t, r->x);
	fe_sub(x3, x3, t);
	fe_add(x3, x3, B);
	fe_sub(t, y2, x3);
	return ok & fe_is_zero(t);
}

/* Affine encoding; 0 for the point at infinity (nothing written). */
static uint64_t pt_encode(unsigned char *s, const struct pt *p)
{
	fe zi, zi2, t;

	if (fe_is_zero(p->z))
		return 0;
	fe_inv(zi, p->z);
	fe_sqr(zi2, zi);
	fe_mul(t, p->x, zi2);
	s[0] = 0x04;
	fe_to_bytes(s + 1, t);
	fe_mul(zi2, zi2, zi);
	fe_mul(t, p->y, zi2);
	fe_to_bytes(s + 33, t);
	return 1;
}

/* kP with a fixed 4-bit window: the same operations and memory accesses
 * whatever the scalar k (big-endian, klen bytes). */
static void pt_mul(struct pt *r, const struct pt *p, const unsigned char *k, size_t klen)
{
	struct pt table[16], acc, sel;

	memset(&table[0], 0, sizeof table[0]);
	table[1] = *p;
	for (int i = 2; i < 16; i++) {
		if (i % 2 == 0)
			pt_double(&table[i], &table[i / 2]);
		else
			pt_add(&table[i], &table[i - 1], p, 0);
	}
	memset(&acc, 0, sizeof acc);
	for (size_t i = 0; i < 2 * klen; i++) {
		unsigned nibble = (k[i / 2] >> (i % 2 ? 0 : 4)) & 15;

		for (int d = 0; d < 4; d++)
			pt_double(&acc, &acc);
		memset(&sel, 0, sizeof sel);
		for (unsigned j = 1; j < 16; j++)
			pt_select(&sel, &table[j], mask_of(((uint64_t)(j ^ nibble) - 1) >> 63));
		pt_add(&acc, &acc, &sel, 0);
	}
	*r = acc;
	memset(table, 0, sizeof table);
}

/* ---- br_ec_impl ---- */

/* The curve's public parameters (FIPS 186-4 D.1.2.3), kept here so that
 * BearSSL's 31-bit implementation is not linked in at all. */
static const unsigned char GEN[65] = {
	0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5,
	0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4,
	0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a,
	0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33,
	0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};
static const unsigned char ORDER[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

static const unsigned char *api_generator(int curve, size_t *len)
{
	(void)curve;
	*len = sizeof GEN;
	return GEN;
}

static const unsigned char *api_order(int curve, size_t *len)
{
	(void)curve;
	*len = sizeof ORDER;
	return ORDER;
}

static size_t api_xoff(int curve, size_t *len)
{
	(void)curve;
	*len = 32;
	return 1;
}

static uint32_t api_mul(unsigned char *g, size_t glen, const unsigned char *k, size_t klen,
			int curve)
{
	struct pt p;
	uint64_t ok;

	(void)curve;
	ok = pt_decode(&p, g, glen);
	if (!ok)
		return 0;
	pt_mul(&p, &p, k, klen);
	return (uint32_t)pt_encode(g, &p);
}

/* kG by a comb over four 64-bit blocks of k: 64 doublings and 64
 * additions instead of 256 and 64. gtable[i] = sum of 2^(64t) G over the
 * bits t of i, built on first use (1.5 KiB). */
static struct pt gtable[16];
static int gtable_ready;

static void pt_mulgen(struct pt *r, const unsigned char *k32)
{
	struct pt acc, sel;

	if (!gtable_ready) {
		size_t glen = 0;
		const unsigned char *g = api_generator(BR_EC_secp256r1, &glen);

		pt_decode(&gtable[1], g, glen);
		for (int t = 1; t < 4; t++) {
			struct pt *top = &gtable[1 << t];

			*top = gtable[1 << (t - 1)];
			for (int d = 0; d < 64; d++)
				pt_double(top, top);
			for (int i = 1; i < 1 << t; i++)
				pt_add(&gtable[(1 << t) + i], top, &gtable[i], 0);
		}
		gtable_ready = 1;
	}
	memset(&acc, 0, sizeof acc);
	for (int j = 63; j >= 0; j--) {
		unsigned idx = 0;

		for (int t = 0; t < 4; t++) /* bit 64t+j; byte 31 is the lowest */
			idx |= (unsigned)(k32[31 - (64 * t + j) / 8] >> ((64 * t + j) % 8) & 1) << t;
		pt_double(&acc, &acc);
		memset(&sel, 0, sizeof sel);
		for (unsigned i = 1; i < 16; i++)
			pt_select(&sel, &gtable[i], mask_of(((uint64_t)(i ^ idx) - 1) >> 63));
		pt_add(&acc, &acc, &sel, 0);
	}
	*r = acc;
}

static size_t api_mulgen(unsigned char *r, const unsigned char *k, size_t klen, int curve)
{
	unsigned char k32[32] = { 0 };
	struct pt p;
	size_t glen = 0;
	const unsigned char *g = api_generator(curve, &glen);

	if (klen > 32) { /* not below the order: the generic way */
		memcpy(r, g, glen);
		return api_mul(r, glen, k, klen, curve) ? glen : 0;
	}
	memcpy(k32 + 32 - klen, k, klen);
	pt_mulgen(&p, k32);
	memset(k32, 0, sizeof k32);
	return pt_encode(r, &p) ? glen : 0;
}

/* Used for signature verification: public scalars. */
static uint32_t api_muladd(unsigned char *a, const unsigned char *b, size_t len,
			   const unsigned char *x, size_t xlen, const unsigned char *y, size_t ylen,
			   int curve)
{
	struct pt pa, pb;
	unsigned char y32[32] = { 0 };

	if (!pt_decode(&pa, a, len))
		return 0;
	if (b == NULL && ylen <= 32) {
		memcpy(y32 + 32 - ylen, y, ylen);
		pt_mulgen(&pb, y32);
	} else {
		size_t glen = 0;

		if (b == NULL)
			b = api_generator(curve, &glen);
		if (!pt_decode(&pb, b, len))
			return 0;
		pt_mul(&pb, &pb, y, ylen);
	}
	pt_mul(&pa, &pa, x, xlen);
	if (fe_is_zero(pa.z) || fe_is_zero(pb.z))
		return 0; /* a zero multiplier */
	pt_add(&pa, &pa, &pb, 1);
	return (uint32_t)pt_encode(a, &pa);
}

const br_ec_impl p256_ec64 = {
	(uint32_t)1 << BR_EC_secp256r1,
	api_generator, api_order, api_xoff, api_mul, api_mulgen, api_muladd,
};

#endif
