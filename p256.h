/* p256.h - NIST P-256 point arithmetic on 64-bit limbs, for hosts with a
 * 64x64->128 multiply (x86_64, aarch64): BearSSL 0.6 only has 15- and
 * 31-bit versions, and P-256 is most of an issuance's CPU time (the
 * handshake's key exchange and signature check, and every JWS signature).
 * Scalar multiplication uses a fixed window and constant-time table
 * lookups and selections. 32-bit targets keep br_ec_p256_m31. */
#ifndef PICOACME_P256_H
#define PICOACME_P256_H

#include <bearssl.h>

#if defined(__SIZEOF_INT128__) && !defined(PICOACME_NO_P256_64)
#define P256_64 1
/* A br_ec_impl for BR_EC_secp256r1 only; same contract as br_ec_p256_m31. */
extern const br_ec_impl p256_ec64;
#endif

#endif
