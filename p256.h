/* p256.h - NIST P-256 point arithmetic and ECDSA on 64-bit limbs, for
 * hosts with a 64x64->128 multiply (x86_64, aarch64): BearSSL 0.6 only has
 * 15- and 31-bit versions, and P-256 is most of an issuance's CPU time (the
 * handshake's key exchange and signature checks, and every JWS signature).
 * Secret scalars get a fixed window and constant-time table lookups and
 * selections. On x86_64 the field and scalar products, additions and
 * subtractions are assembly. 32-bit targets keep br_ec_p256_m31 and
 * BearSSL's i31 ECDSA. */
#ifndef PICOACME_P256_H
#define PICOACME_P256_H

#include <bearssl.h>

#if defined(__SIZEOF_INT128__) && !defined(PICOACME_NO_P256_64)
#define P256_64 1
/* x86_64 (not x32): the field and scalar arithmetic in assembly */
#if defined(__x86_64__) && !defined(__ILP32__) && !defined(PICOACME_NO_ASM)
#define P256_ASM 1
#endif
/* A br_ec_impl for BR_EC_secp256r1 only; same contract as br_ec_p256_m31. */
extern const br_ec_impl p256_ec64;

/* ECDSA over P-256 with RFC 6979's deterministic k (HMAC_DRBG over hf):
 * writes r||s (64 bytes) to sig and returns 64, or 0 for a key that is not
 * a P-256 scalar in [1, n-1]. Constant time in the key and k. */
size_t p256_ecdsa_sign(const br_hash_class *hf, const void *hash, const br_ec_private_key *sk,
		       void *sig);

/* 1 when sig, r||s with equal halves of at most 32 bytes, is a valid
 * ECDSA signature of hash (its leftmost 256 bits) under the P-256 key pk.
 * Public data: not constant time. */
uint32_t p256_ecdsa_vrfy(const void *hash, size_t hash_len, const br_ec_public_key *pk,
			 const void *sig, size_t sig_len);

#if defined(PICOACME_TEST) && defined(P256_ASM)
/* Test builds: how many of rounds field and scalar products (edge values
 * and pseudo-random ones from seed) differ between the assembly and C. */
long p256_asm_mismatches(unsigned long rounds, uint64_t seed);
#endif
#endif

#endif
