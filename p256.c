/* p256.c - see p256.h */
#include "p256.h"

#ifdef P256_64

#include <string.h>

#include "util.h"

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

/* r = t - m when that does not borrow (t is t[0..3] plus the carry hi),
 * else t: brings a value below 2m under m. */
static void sub_if_above(uint64_t r[4], const uint64_t t[4], uint64_t hi, const uint64_t m[4])
{
	uint64_t d[4], borrow = 0, keep;

	d[0] = sbb(t[0], m[0], &borrow);
	d[1] = sbb(t[1], m[1], &borrow);
	d[2] = sbb(t[2], m[2], &borrow);
	d[3] = sbb(t[3], m[3], &borrow);
	/* keep t when t < m: a borrow not covered by the carry */
	keep = mask_of(borrow & (hi ^ 1));
	r[0] = (t[0] & keep) | (d[0] & ~keep);
	r[1] = (t[1] & keep) | (d[1] & ~keep);
	r[2] = (t[2] & keep) | (d[2] & ~keep);
	r[3] = (t[3] & keep) | (d[3] & ~keep);
}

#ifdef P256_ASM
/* x86_64: field and scalar arithmetic in assembly. gcc's code for the
 * 128-bit carry chains takes twice the instructions (375 against 186 a
 * field multiplication; 55 against 25 an addition), and this arithmetic is
 * most of an issuance's CPU time. The C versions stay for other 64-bit
 * hosts and, in test builds, as the reference the assembly is checked
 * against (p256_asm_mismatches). */

/* clang's analyzer does not see stores made by assembly */
#ifdef __clang_analyzer__
#define ASM_STORES(r) memset((r), 0, 32)
#else
#define ASM_STORES(r) ((void)0)
#endif

static void fe_add(fe r, const fe a, const fe b)
{
	ASM_STORES(r);
	__asm__ volatile("movq 0(%[a]), %%r8\n\tmovq 8(%[a]), %%r9\n\t"
			 "movq 16(%[a]), %%r10\n\tmovq 24(%[a]), %%r11\n\t"
			 "addq 0(%[b]), %%r8\n\tadcq 8(%[b]), %%r9\n\t"
			 "adcq 16(%[b]), %%r10\n\tadcq 24(%[b]), %%r11\n\t"
			 "movl $0, %%eax\n\tadcq $0, %%rax\n\t" /* the carry */
			 "movq %%r8, %%rcx\n\tmovq %%r9, %%rdx\n\tmovq %%r10, %%rsi\n\tmovq %%r11, %%r12\n\t"
			 "subq $-1, %%rcx\n\tsbbq %[p1], %%rdx\n\tsbbq $0, %%rsi\n\t"
			 "sbbq %[p3], %%r12\n\tsbbq $0, %%rax\n\t"
			 /* below p: keep the sum */
			 "cmovcq %%r8, %%rcx\n\tcmovcq %%r9, %%rdx\n\tcmovcq %%r10, %%rsi\n\t"
			 "cmovcq %%r11, %%r12\n\t"
			 "movq %%rcx, 0(%[r])\n\tmovq %%rdx, 8(%[r])\n\t"
			 "movq %%rsi, 16(%[r])\n\tmovq %%r12, 24(%[r])\n\t"
			 :
			 : [r] "D"(r), [a] "r"(a), [b] "r"(b), [p1] "m"(P[1]), [p3] "m"(P[3])
			 : "rax", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "cc", "memory");
}

static void fe_sub(fe r, const fe a, const fe b)
{
	ASM_STORES(r);
	__asm__ volatile("movq 0(%[a]), %%r8\n\tmovq 8(%[a]), %%r9\n\t"
			 "movq 16(%[a]), %%r10\n\tmovq 24(%[a]), %%r11\n\t"
			 "subq 0(%[b]), %%r8\n\tsbbq 8(%[b]), %%r9\n\t"
			 "sbbq 16(%[b]), %%r10\n\tsbbq 24(%[b]), %%r11\n\t"
			 /* below zero: add p, masked limb by limb */
			 "sbbq %%rax, %%rax\n\tmovq %%rax, %%rcx\n\tshrq $32, %%rcx\n\t"
			 "movq %%rax, %%rdx\n\tandq %[p3], %%rdx\n\t"
			 "addq %%rax, %%r8\n\tadcq %%rcx, %%r9\n\tadcq $0, %%r10\n\tadcq %%rdx, %%r11\n\t"
			 "movq %%r8, 0(%[r])\n\tmovq %%r9, 8(%[r])\n\t"
			 "movq %%r10, 16(%[r])\n\tmovq %%r11, 24(%[r])\n\t"
			 :
			 : [r] "D"(r), [a] "S"(a), [b] "r"(b), [p3] "m"(P[3])
			 : "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "cc", "memory");
}
#endif

#if !defined(P256_ASM) || defined(PICOACME_TEST)
static void fe_add_c(fe r, const fe a, const fe b)
{
	uint64_t t[4], carry = 0;

	t[0] = adc(a[0], b[0], &carry);
	t[1] = adc(a[1], b[1], &carry);
	t[2] = adc(a[2], b[2], &carry);
	t[3] = adc(a[3], b[3], &carry);
	sub_if_above(r, t, carry, P);
}

static void fe_sub_c(fe r, const fe a, const fe b)
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

#endif

#ifndef P256_ASM
#define fe_add fe_add_c
#define fe_sub fe_sub_c
#endif

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

#ifdef P256_ASM
/* r8..r15 = rsi[0..3] * rbx[0..3]: schoolbook rows, rcx carrying between
 * columns (a row's columns never overflow 128 bits). */
#define ASM_ROW0(t0, t1, t2, t3, t4)                                                    \
	"movq 0(%%rsi), %%rax\n\tmulq 0(%%rbx)\n\tmovq %%rax, %%" t0 "\n\t"            \
	"movq %%rdx, %%" t1 "\n\t"                                                        \
	"movq 8(%%rsi), %%rax\n\tmulq 0(%%rbx)\n\taddq %%rax, %%" t1 "\n\t"            \
	"adcq $0, %%rdx\n\tmovq %%rdx, %%" t2 "\n\t"                                     \
	"movq 16(%%rsi), %%rax\n\tmulq 0(%%rbx)\n\taddq %%rax, %%" t2 "\n\t"           \
	"adcq $0, %%rdx\n\tmovq %%rdx, %%" t3 "\n\t"                                     \
	"movq 24(%%rsi), %%rax\n\tmulq 0(%%rbx)\n\taddq %%rax, %%" t3 "\n\t"           \
	"adcq $0, %%rdx\n\tmovq %%rdx, %%" t4 "\n\t"
#define ASM_COL(aoff, boff, t)                                                          \
	"movq " aoff "(%%rsi), %%rax\n\tmulq " boff "(%%rbx)\n\taddq %%rcx, %%" t "\n\t" \
	"adcq $0, %%rdx\n\taddq %%rax, %%" t "\n\tadcq $0, %%rdx\n\t"
#define ASM_ROW(boff, t0, t1, t2, t3, t4)                                               \
	"movq 0(%%rsi), %%rax\n\tmulq " boff "(%%rbx)\n\taddq %%rax, %%" t0 "\n\t"     \
	"adcq $0, %%rdx\n\tmovq %%rdx, %%rcx\n\t"                                        \
	ASM_COL("8", boff, t1) "movq %%rdx, %%rcx\n\t"                                    \
	ASM_COL("16", boff, t2) "movq %%rdx, %%rcx\n\t"                                   \
	ASM_COL("24", boff, t3) "movq %%rdx, %%" t4 "\n\t"
#define ASM_PRODUCT                                                                     \
	ASM_ROW0("r8", "r9", "r10", "r11", "r12")                                       \
	ASM_ROW("8", "r9", "r10", "r11", "r12", "r13")                                  \
	ASM_ROW("16", "r10", "r11", "r12", "r13", "r14")                                \
	ASM_ROW("24", "r11", "r12", "r13", "r14", "r15")
/* r12..r15 with the carry rbx is below 2m: subtract m = m0..m3 unless that
 * borrows past rbx, and store at rdi. */
#define ASM_SUB_STORE(m0, m1, m2, m3)                                                   \
	"movq %%r12, %%rax\n\tmovq %%r13, %%rcx\n\tmovq %%r14, %%rdx\n\tmovq %%r15, %%rsi\n\t" \
	"subq " m0 ", %%rax\n\tsbbq " m1 ", %%rcx\n\tsbbq " m2 ", %%rdx\n\t"             \
	"sbbq " m3 ", %%rsi\n\tsbbq $0, %%rbx\n\t"                                        \
	"cmovcq %%r12, %%rax\n\tcmovcq %%r13, %%rcx\n\tcmovcq %%r14, %%rdx\n\t"          \
	"cmovcq %%r15, %%rsi\n\t"                                                         \
	"movq %%rax, 0(%%rdi)\n\tmovq %%rcx, 8(%%rdi)\n\tmovq %%rdx, 16(%%rdi)\n\t"       \
	"movq %%rsi, 24(%%rdi)\n\t"
#define ASM_CLOBBERS "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "cc", "memory"

/* t += m*p with m = t0, as reduce_step; then the carry runs up to rbx */
#define ASM_RED_P(m, t1, t2, t3, t4)                                                    \
	"movq %%" m ", %%rax\n\tmulq %[p3]\n\t"                                            \
	"movq %%" m ", %%rcx\n\tshlq $32, %%rcx\n\tshrq $32, %%" m "\n\t"                  \
	"addq %%rcx, %%" t1 "\n\tadcq %%" m ", %%" t2 "\n\tadcq %%rax, %%" t3 "\n\t"       \
	"adcq %%rdx, %%" t4 "\n\t"

static void fe_mul(fe r, const fe a, const fe b)
{
	const uint64_t *ap = a, *bp = b;

	ASM_STORES(r);

	__asm__ volatile(ASM_PRODUCT
			 "xorl %%ebx, %%ebx\n\t"
			 ASM_RED_P("r8", "r9", "r10", "r11", "r12")
			 "adcq $0, %%r13\n\tadcq $0, %%r14\n\tadcq $0, %%r15\n\tadcq $0, %%rbx\n\t"
			 ASM_RED_P("r9", "r10", "r11", "r12", "r13")
			 "adcq $0, %%r14\n\tadcq $0, %%r15\n\tadcq $0, %%rbx\n\t"
			 ASM_RED_P("r10", "r11", "r12", "r13", "r14")
			 "adcq $0, %%r15\n\tadcq $0, %%rbx\n\t"
			 ASM_RED_P("r11", "r12", "r13", "r14", "r15")
			 "adcq $0, %%rbx\n\t"
			 ASM_SUB_STORE("$-1", "%[p1]", "$0", "%[p3]")
			 : "+S"(ap), "+b"(bp)
			 : "D"(r), [p1] "m"(P[1]), [p3] "m"(P[3])
			 : ASM_CLOBBERS);
}
#endif

#if !defined(P256_ASM) || defined(PICOACME_TEST)
/* t[0..7] = a*b */
static ALWAYS_INLINE void product(uint64_t t[8], const fe a, const fe b)
{
	mul_row(t, a, b[0]);
	mul_row(t + 1, a, b[1]);
	mul_row(t + 2, a, b[2]);
	mul_row(t + 3, a, b[3]);
}

/* Montgomery product a*b/2^256 mod p (-p^-1 mod 2^64 is 1 for this p). */
static void fe_mul_c(fe r, const fe a, const fe b)
{
	uint64_t t[8] = { 0 }, carry = 0;

	product(t, a, b);
	reduce_step(t, &carry);
	reduce_step(t + 1, &carry);
	reduce_step(t + 2, &carry);
	reduce_step(t + 3, &carry);
	sub_if_above(r, t + 4, carry, P);
}
#endif

#ifndef P256_ASM
#define fe_mul fe_mul_c
#endif

static void fe_sqr(fe r, const fe a)
{
	fe_mul(r, a, a);
}

static uint64_t fe_is_zero(const fe a)
{
	uint64_t z = a[0] | a[1] | a[2] | a[3];

	return ((z | ((uint64_t)0 - z)) >> 63) ^ 1;
}

static void fe_sqr_n(fe r, const fe a, int n)
{
	fe_sqr(r, a);
	while (--n > 0)
		fe_sqr(r, r);
}

/* a^(p-2) = 1/a (0 for 0) by an addition chain: 255 squarings and 12
 * multiplications. x_k below is a^(2^k - 1); p-2 in bits is 32 ones, 31
 * zeros, a one, 96 zeros, 94 ones, a zero and a one. */
static void fe_inv(fe r, const fe a)
{
	fe x2, x3, x6, x12, x15, x30, x32, t;

	fe_sqr(x2, a);
	fe_mul(x2, x2, a);
	fe_sqr(x3, x2);
	fe_mul(x3, x3, a);
	fe_sqr_n(x6, x3, 3);
	fe_mul(x6, x6, x3);
	fe_sqr_n(x12, x6, 6);
	fe_mul(x12, x12, x6);
	fe_sqr_n(x15, x12, 3);
	fe_mul(x15, x15, x3);
	fe_sqr_n(x30, x15, 15);
	fe_mul(x30, x30, x15);
	fe_sqr_n(x32, x30, 2);
	fe_mul(x32, x32, x2);
	fe_sqr_n(t, x32, 32);
	fe_mul(t, t, a);
	fe_sqr_n(t, t, 128);
	fe_mul(t, t, x32);
	fe_sqr_n(t, t, 32);
	fe_mul(t, t, x32);
	fe_sqr_n(t, t, 30);
	fe_mul(t, t, x30);
	fe_sqr_n(t, t, 2);
	fe_mul(r, t, a);
}

/* Big-endian 32 bytes to limbs; 1 when the value is below m. */
static uint64_t limbs_from_bytes(uint64_t r[4], const unsigned char *s, const uint64_t m[4])
{
	uint64_t borrow = 0;

	for (int i = 0; i < 4; i++) {
		uint64_t w = 0;

		for (int j = 0; j < 8; j++)
			w = w << 8 | s[(3 - i) * 8 + j];
		r[i] = w;
	}
	for (int i = 0; i < 4; i++)
		(void)sbb(r[i], m[i], &borrow);
	return borrow;
}

static void limbs_to_bytes(unsigned char *s, const uint64_t a[4])
{
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++)
			s[(3 - i) * 8 + j] = (unsigned char)(a[i] >> (56 - 8 * j));
}

/* Big-endian 32 bytes to a field element; 1 when the value is below p. */
static uint64_t fe_from_bytes(fe r, const unsigned char *s)
{
	uint64_t t[4], below = limbs_from_bytes(t, s, P);

	fe_mul(r, t, R2); /* into Montgomery form */
	return below;
}

static void fe_to_bytes(unsigned char *s, const fe a)
{
	static const fe one = { 1, 0, 0, 0 };
	fe t;

	fe_mul(t, a, one); /* out of Montgomery form */
	limbs_to_bytes(s, t);
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

/* r = table[idx], or the point at infinity for idx 0, reading every entry
 * of table[1..n-1] alike. */
static void pt_lookup(struct pt *r, const struct pt *table, unsigned n, unsigned idx)
{
	memset(r, 0, sizeof *r);
	for (unsigned j = 1; j < n; j++) {
		uint64_t m = mask_of(((uint64_t)(j ^ idx) - 1) >> 63);

		for (int i = 0; i < 4; i++) {
			r->x[i] |= table[j].x[i] & m;
			r->y[i] |= table[j].y[i] & m;
			r->z[i] |= table[j].z[i] & m;
		}
	}
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
		pt_lookup(&sel, table, 16, nibble);
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
		pt_lookup(&sel, gtable, 16, idx);
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


/* ---- ECDSA: scalars modulo the group order n ---- */

/* Scalars: four 64-bit limbs, least significant first, below n; in
 * Montgomery form (a*2^256 mod n) only where a comment says so. */
typedef uint64_t sc[4];

static const sc N = { 0xf3b9cac2fc632551u, 0xbce6faada7179e84u, 0xffffffffffffffffu,
		      0xffffffff00000000u };
static const sc RN2 = { 0x83244c95be79eea2u, 0x4699799c49bd6fa6u, 0x2845b2392b6bec59u,
			0x66e12d94f3d95620u }; /* 2^512 mod n */
static const uint64_t N0 = 0xccd1c8aaee00bc4fu; /* -n^-1 mod 2^64 */

#ifdef P256_ASM
/* t += m*n with m = t0*N0 (clears t0), carry up to rbx; rcx holds m,
 * rsi (free after the product) carries between columns */
#define ASM_RED_N(t0, t1, t2, t3, t4)                                                   \
	"movq %%" t0 ", %%rax\n\timulq %[n0inv], %%rax\n\tmovq %%rax, %%rcx\n\t"           \
	"mulq %[n0]\n\taddq %%rax, %%" t0 "\n\tadcq $0, %%rdx\n\tmovq %%rdx, %%rsi\n\t"  \
	ASM_RED_N_COL("%[n1]", t1) "movq %%rdx, %%rsi\n\t"                                 \
	ASM_RED_N_COL("%[ones]", t2) "movq %%rdx, %%rsi\n\t"                                   \
	ASM_RED_N_COL("%[n3]", t3) "addq %%rdx, %%" t4 "\n\t"
#define ASM_RED_N_COL(n, t)                                                             \
	"movq %%rcx, %%rax\n\tmulq " n "\n\taddq %%rsi, %%" t "\n\tadcq $0, %%rdx\n\t"       \
	"addq %%rax, %%" t "\n\tadcq $0, %%rdx\n\t"

/* Montgomery product a*b/2^256 mod n. */
static void sc_mul(sc r, const sc a, const sc b)
{
	static const uint64_t all_ones = ~(uint64_t)0;
	const uint64_t *ap = a, *bp = b;

	ASM_STORES(r);

	__asm__ volatile(ASM_PRODUCT
			 "xorl %%ebx, %%ebx\n\t"
			 ASM_RED_N("r8", "r9", "r10", "r11", "r12")
			 "adcq $0, %%r13\n\tadcq $0, %%r14\n\tadcq $0, %%r15\n\tadcq $0, %%rbx\n\t"
			 ASM_RED_N("r9", "r10", "r11", "r12", "r13")
			 "adcq $0, %%r14\n\tadcq $0, %%r15\n\tadcq $0, %%rbx\n\t"
			 ASM_RED_N("r10", "r11", "r12", "r13", "r14")
			 "adcq $0, %%r15\n\tadcq $0, %%rbx\n\t"
			 ASM_RED_N("r11", "r12", "r13", "r14", "r15")
			 "adcq $0, %%rbx\n\t"
			 ASM_SUB_STORE("%[n0]", "%[n1]", "$-1", "%[n3]")
			 : "+S"(ap), "+b"(bp)
			 : "D"(r), [n0] "m"(N[0]), [n1] "m"(N[1]), [n3] "m"(N[3]), [n0inv] "m"(N0),
			   [ones] "m"(all_ones)
			 : ASM_CLOBBERS);
}
#endif

#if !defined(P256_ASM) || defined(PICOACME_TEST)
/* t += (t[0]*N0 mod 2^64) * n: clears t[0] (the Montgomery step for n) */
static ALWAYS_INLINE void reduce_step_n(uint64_t *t, uint64_t *carry)
{
	uint64_t m = t[0] * N0, h;

	(void)mac(m, N[0], t[0], 0, &h);
	t[1] = mac(m, N[1], t[1], h, &h);
	t[2] = mac(m, N[2], t[2], h, &h);
	t[3] = mac(m, N[3], t[3], h, &h);
	t[4] = adc(t[4], h, carry);
}

/* Montgomery product a*b/2^256 mod n. */
static void sc_mul_c(sc r, const sc a, const sc b)
{
	uint64_t t[8] = { 0 }, carry = 0;

	product(t, a, b);
	reduce_step_n(t, &carry);
	reduce_step_n(t + 1, &carry);
	reduce_step_n(t + 2, &carry);
	reduce_step_n(t + 3, &carry);
	sub_if_above(r, t + 4, carry, N);
}
#endif

#ifndef P256_ASM
#define sc_mul sc_mul_c
#endif

/* 1/a = a^(n-2) with a fixed 4-bit window; a and r in Montgomery form.
 * The exponent is public, so the window's table index may be too. */
static void sc_inv(sc r, const sc a)
{
	static const sc E = { 0xf3b9cac2fc63254fu, 0xbce6faada7179e84u, 0xffffffffffffffffu,
			      0xffffffff00000000u };
	sc table[16], x;

	memcpy(table[1], a, sizeof table[1]);
	for (int i = 2; i < 16; i++)
		sc_mul(table[i], table[i - 1], a);
	memcpy(x, table[E[3] >> 60], sizeof x);
	for (int i = 62; i >= 0; i--) {
		unsigned nibble = (unsigned)(E[i / 16] >> (i % 16 * 4)) & 15;

		for (int d = 0; d < 4; d++)
			sc_mul(x, x, x);
		if (nibble != 0)
			sc_mul(x, x, table[nibble]);
	}
	memcpy(r, x, sizeof x);
	wipe(table, sizeof table);
	wipe(x, sizeof x);
}

/* The hash as an integer modulo n: its leftmost 256 bits (SEC 1 4.1.3). */
static void sc_from_hash(sc r, const void *hash, size_t len)
{
	unsigned char h[32] = { 0 };

	if (len > 32)
		len = 32;
	memcpy(h + 32 - len, hash, len);
	(void)limbs_from_bytes(r, h, N);
	sub_if_above(r, r, 0, N);
}

static uint64_t sc_is_zero(const sc a)
{
	return fe_is_zero(a);
}

size_t p256_ecdsa_sign(const br_hash_class *hf, const void *hash, const br_ec_private_key *sk,
		       void *sig)
{
	sc x, e, k, t;
	unsigned char buf[65];
	br_hmac_drbg_context drbg;
	size_t hlen = (hf->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK, ret = 0;
	uint64_t carry = 0;
	struct pt rp;

	memset(buf, 0, sizeof buf);
	if (sk->curve != BR_EC_secp256r1 || sk->xlen > 32)
		goto out;
	memcpy(buf + 32 - sk->xlen, sk->x, sk->xlen);
	if (!limbs_from_bytes(x, buf, N) || sc_is_zero(x))
		goto out;
	/* RFC 6979 k: HMAC_DRBG seeded with the key and the reduced hash */
	sc_from_hash(e, hash, hlen);
	limbs_to_bytes(buf + 32, e);
	br_hmac_drbg_init(&drbg, hf, buf, 64);
	do {
		br_hmac_drbg_generate(&drbg, buf, 32);
	} while (!limbs_from_bytes(k, buf, N) || sc_is_zero(k));
	/* r = x(kG) mod n; x(kG) < p < 2n */
	pt_mulgen(&rp, buf);
	if (!pt_encode(buf, &rp))
		goto out;
	(void)limbs_from_bytes(t, buf + 1, N);
	sub_if_above(t, t, 0, N);
	if (sc_is_zero(t))
		goto out;
	limbs_to_bytes(sig, t);
	/* s = (e + r*x)/k */
	sc_mul(t, t, x);
	sc_mul(t, t, RN2);
	for (int i = 0; i < 4; i++)
		t[i] = adc(t[i], e[i], &carry);
	sub_if_above(t, t, carry, N);
	sc_mul(k, k, RN2);
	sc_inv(k, k);
	sc_mul(t, t, k);
	if (sc_is_zero(t))
		goto out;
	limbs_to_bytes((unsigned char *)sig + 32, t);
	ret = 64;
out:
	wipe(x, sizeof x);
	wipe(k, sizeof k);
	wipe(t, sizeof t);
	wipe(buf, sizeof buf);
	wipe(&drbg, sizeof drbg);
	return ret;
}

/* 1 when the affine x of p (zz = Z^2) is the big-endian x32: X = x Z^2,
 * without an inversion. */
static int x_equals(const unsigned char *x32, const struct pt *p, const fe zz)
{
	fe x, t;

	if (!fe_from_bytes(x, x32))
		return 0;
	fe_mul(t, x, zz);
	return ((t[0] ^ p->x[0]) | (t[1] ^ p->x[1]) | (t[2] ^ p->x[2]) | (t[3] ^ p->x[3])) == 0;
}

uint32_t p256_ecdsa_vrfy(const void *hash, size_t hash_len, const br_ec_public_key *pk,
			 const void *sig, size_t sig_len)
{
	const unsigned char *s8 = sig;
	unsigned char rs[64] = { 0 }, u[32];
	size_t half = sig_len / 2;
	sc r, s, e, w;
	fe zz;
	uint64_t carry = 0;
	struct pt q, sum;

	if (pk->curve != BR_EC_secp256r1 || sig_len % 2 != 0 || half > 32 ||
	    !pt_decode(&q, pk->q, pk->qlen))
		return 0;
	memcpy(rs + 32 - half, s8, half);
	memcpy(rs + 64 - half, s8 + half, half);
	if (!limbs_from_bytes(r, rs, N) || !limbs_from_bytes(s, rs + 32, N) || sc_is_zero(r) ||
	    sc_is_zero(s))
		return 0;
	/* u1 G + u2 Q with u1 = e/s, u2 = r/s */
	sc_from_hash(e, hash, hash_len);
	sc_mul(w, s, RN2);
	sc_inv(w, w);
	sc_mul(e, e, w);
	limbs_to_bytes(u, e);
	pt_mulgen(&sum, u);
	sc_mul(w, r, w);
	limbs_to_bytes(u, w);
	pt_mul(&q, &q, u, 32);
	pt_add(&sum, &sum, &q, 1);
	if (fe_is_zero(sum.z))
		return 0;
	/* x(sum) mod n = r: x(sum) is r, or r + n when that is below p */
	fe_sqr(zz, sum.z);
	if (x_equals(rs, &sum, zz))
		return 1;
	for (int i = 0; i < 4; i++)
		r[i] = adc(r[i], N[i], &carry);
	limbs_to_bytes(rs, r);
	if (carry == 0 && x_equals(rs, &sum, zz))
		return 1;
	return 0;
}


#if defined(P256_ASM) && defined(PICOACME_TEST)
/* Some values below m that stress carries: 0, 1, m-1, m-2, 2^255, limbs
 * of all ones; the rest pseudo-random. */
static void test_value(uint64_t x[4], const uint64_t m[4], unsigned i, uint64_t *state)
{
	for (int j = 0; j < 4; j++) {
		*state ^= *state << 13;
		*state ^= *state >> 7;
		*state ^= *state << 17;
		x[j] = *state;
	}
	switch (i % 16) {
	case 0: memset(x, 0, 32); break;
	case 1: memcpy(x, (const uint64_t[4]){ 1, 0, 0, 0 }, 32); break;
	case 2: memcpy(x, m, 32); x[0] -= 1; break;
	case 3: memcpy(x, m, 32); x[0] -= 2; break;
	case 4: memcpy(x, (const uint64_t[4]){ 0, 0, 0, (uint64_t)1 << 63 }, 32); break;
	case 5: x[0] = x[1] = x[2] = ~(uint64_t)0; break;
	case 6: x[3] |= 0xffffffff00000000u; break;
	case 7: x[1] = x[2] = ~(uint64_t)0; x[3] = m[3]; break;
	default: break;
	}
	sub_if_above(x, x, 0, m);
}

long p256_asm_mismatches(unsigned long rounds, uint64_t seed)
{
	long bad = 0;

	for (unsigned long i = 0; i < rounds; i++) {
		uint64_t a[4], b[4], r1[4], r2[4];

		test_value(a, P, (unsigned)i, &seed);
		test_value(b, P, (unsigned)(i / 16), &seed);
		fe_add(r1, a, b);
		fe_add_c(r2, a, b);
		bad += memcmp(r1, r2, sizeof r1) != 0;
		fe_sub(r1, a, b);
		fe_sub_c(r2, a, b);
		bad += memcmp(r1, r2, sizeof r1) != 0;
		fe_sub(r1, b, a);
		fe_sub_c(r2, b, a);
		bad += memcmp(r1, r2, sizeof r1) != 0;
		fe_mul(r1, a, b);
		fe_mul_c(r2, a, b);
		bad += memcmp(r1, r2, sizeof r1) != 0;
		memcpy(a, r1, sizeof a);
		fe_mul(a, a, a); /* in place */
		fe_mul_c(r2, r1, r1);
		bad += memcmp(a, r2, sizeof a) != 0;
		test_value(a, N, (unsigned)i, &seed);
		test_value(b, N, (unsigned)(i / 16), &seed);
		sc_mul(r1, a, b);
		sc_mul_c(r2, a, b);
		bad += memcmp(r1, r2, sizeof r1) != 0;
	}
	return bad;
}
#endif

#endif
