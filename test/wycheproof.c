/* The C2SP Wycheproof signature vectors through the verifiers picoacme's
 * TLS engine and X.509 validation use (http.h): ECDSA P-256/P-384, DER as
 * servers send them and P1363 through BearSSL's raw verifier (the one the DER
 * entry point ends in), and RSA PKCS#1 v1.5 as br_x509_minimal checks it
 * (the recovered hash compared with the computed one).
 *   build/wycheproof < lines of test/wycheproof.py
 * Every valid vector must verify and every invalid one must be rejected,
 * except the invalid vectors listed in accepted_ber[]: BearSSL reads some
 * non-canonical encodings of a correct signature (malleability, not
 * forgery). RSA keys above BearSSL's 4096-bit limit reject everything. An accepted invalid vector not listed, or a
 * listed one that is rejected, fails the run. Prints per file the vectors
 * run, rejected and excepted, then "N passed, N failed" (one per file). */
#include "../http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Invalid vectors BearSSL accepts, every one a non-canonical encoding of a
 * correct signature, by tcId. DER (through br_ecdsa_asn1_to_raw): a missing
 * sign byte (MissingZero), a long-form length (BerEncodedSignature), zeros
 * prepended to r or s (InvalidEncoding). P1363: halves shorter than the
 * curve's size ("incorrect size of signature": small r and s written short),
 * which br_ecdsa_i31_vrfy_raw reads as the same numbers. */
#define MAX_EXCEPTED 16
/* BearSSL's i31 RSA code takes moduli up to 4096 bits (BR_MAX_RSA_SIZE,
 * internal to its sources). */
#define RSA_MAX_BITS 4096
static const struct {
	const char *file;
	int tc[MAX_EXCEPTED];
} accepted_ber[] = {
	{ "ecdsa_secp256r1_sha256_p1363_test.json",
	  { 121, 123, 125, 127, 129, 131, 133, 135, 145, 147, 149, 151 } },
	{ "ecdsa_secp256r1_sha256_test.json", { 6, 8, 84, 128 } },
	{ "ecdsa_secp256r1_sha512_p1363_test.json",
	  { 191, 193, 195, 197, 199, 201, 203, 205, 215, 217, 219, 221 } },
	{ "ecdsa_secp256r1_sha512_test.json", { 6, 8, 84, 128 } },
	{ "ecdsa_secp384r1_sha256_test.json", { 6, 8, 84, 127 } },
	{ "ecdsa_secp384r1_sha384_p1363_test.json",
	  { 153, 155, 157, 159, 161, 163, 173, 175, 177, 179 } },
	{ "ecdsa_secp384r1_sha384_test.json", { 6, 8, 84, 128 } },
	{ "ecdsa_secp384r1_sha512_p1363_test.json",
	  { 191, 193, 195, 197, 199, 201, 211, 213, 215, 217 } },
	{ "ecdsa_secp384r1_sha512_test.json", { 6, 7, 9, 85, 128 } },
};

struct hexbuf {
	unsigned char b[8192];
	size_t len;
};

static int unhex(const char *s, struct hexbuf *h)
{
	size_t n = strlen(s);

	h->len = 0;
	if (strcmp(s, "-") == 0)
		return 0;
	if (n % 2 || n / 2 > sizeof h->b)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		unsigned v;

		if (sscanf(s + i, "%2x", &v) != 1)
			return -1;
		h->b[h->len++] = (unsigned char)v;
	}
	return 0;
}

static const br_hash_class *hash_named(const char *name, const unsigned char **oid)
{
	static const struct {
		const char *name;
		const br_hash_class *impl;
		const unsigned char *oid;
	} t[] = {
		{ "sha224", &br_sha224_vtable, BR_HASH_OID_SHA224 },
		{ "sha256", &br_sha256_vtable, BR_HASH_OID_SHA256 },
		{ "sha384", &br_sha384_vtable, BR_HASH_OID_SHA384 },
		{ "sha512", &br_sha512_vtable, BR_HASH_OID_SHA512 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(name, t[i].name) == 0) {
			*oid = t[i].oid;
			return t[i].impl;
		}
	return NULL;
}

static int listed(const char *file, int tc)
{
	for (size_t i = 0; i < sizeof accepted_ber / sizeof accepted_ber[0]; i++) {
		if (strcmp(file, accepted_ber[i].file) != 0)
			continue;
		for (size_t j = 0; j < MAX_EXCEPTED && accepted_ber[i].tc[j]; j++)
			if (accepted_ber[i].tc[j] == tc)
				return 1;
	}
	return 0;
}

struct file_state {
	char name[128], kind[16];
	int run, rejected, excepted, bad;
	int too_big; /* an RSA key above BearSSL's limit: all must be rejected */
};

static int file_end(struct file_state *f)
{
	int ok;

	if (!f->name[0])
		return 1;
	ok = f->bad == 0 && f->run > 0;
	printf("%s %s: %d run, %d rejected, %d excepted%s%s\n", ok ? "ok -" : "not ok -", f->name,
	       f->run, f->rejected, f->excepted, f->run == 0 ? " (no vectors)" : "",
	       f->too_big ? " (key above BearSSL's 4096-bit RSA limit: all must fail)" : "");
	return ok;
}

int main(void)
{
	static char line[20000];
	static struct hexbuf key, key2, msg, sig;
	static struct file_state f;
	static unsigned char rsa_e[8];
	const br_hash_class *hf = NULL;
	const unsigned char *oid = NULL;
	int passed = 0, failed = 0;
	br_ec_public_key ecpk;
	br_rsa_public_key rsapk;

	memset(&ecpk, 0, sizeof ecpk);
	memset(&rsapk, 0, sizeof rsapk);
	while (fgets(line, sizeof line, stdin)) {
		char a[64], b[64], c[16384], d[16384], e[512];
		int tc = 0;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == 'F') {
			if (file_end(&f))
				passed += f.name[0] != 0;
			else
				failed++;
			memset(&f, 0, sizeof f);
			if (sscanf(line, "F %127s %15s", f.name, f.kind) != 2)
				goto bad_line;
		} else if (line[0] == 'K') {
			if (sscanf(line, "K %63s %16383s %16383s", a, c, d) != 3 ||
			    (hf = hash_named(a, &oid)) == NULL)
				goto bad_line;
			if (strcmp(f.kind, "rsa") == 0) {
				if (unhex(c, &key) < 0 || unhex(d, &key2) < 0 || key2.len > sizeof rsa_e)
					goto bad_line;
				memcpy(rsa_e, key2.b, key2.len);
				/* modulus as Wycheproof gives it: a sign byte may lead */
				rsapk.n = key.b;
				rsapk.nlen = key.len;
				while (rsapk.nlen > 1 && rsapk.n[0] == 0) {
					rsapk.n++;
					rsapk.nlen--;
				}
				rsapk.e = rsa_e;
				rsapk.elen = key2.len;
				f.too_big = rsapk.nlen > RSA_MAX_BITS / 8;
			} else {
				if (unhex(d, &key) < 0)
					goto bad_line;
				ecpk.curve = atoi(c);
				ecpk.q = key.b;
				ecpk.qlen = key.len;
			}
		} else if (line[0] == 'T') {
			unsigned char h[64], rec[64];
			br_hash_compat_context hc;
			size_t hlen;
			int accepted, want_valid, invalid;

			if (sscanf(line, "T %d %63s %16383s %16383s %511s", &tc, b, c, d, e) != 5 ||
			    hf == NULL || unhex(c, &msg) < 0 || unhex(d, &sig) < 0)
				goto bad_line;
			hf->init(&hc.vtable);
			hf->update(&hc.vtable, msg.b, msg.len);
			hf->out(&hc.vtable, h);
			hlen = (hf->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK;
			if (strcmp(f.kind, "ecdsa-der") == 0)
				accepted = http_ecdsa_vrfy(http_ec, h, hlen, &ecpk, sig.b, sig.len) == 1;
			else if (strcmp(f.kind, "ecdsa-p1363") == 0)
				accepted = br_ecdsa_i31_vrfy_raw(http_ec, h, hlen, &ecpk, sig.b, sig.len) == 1;
			else
				accepted = http_rsa_vrfy(sig.b, sig.len, oid, hlen, &rsapk, rec) == 1 &&
					   memcmp(rec, h, hlen) == 0;
			want_valid = strcmp(b, "valid") == 0 && !f.too_big;
			invalid = strcmp(b, "invalid") == 0;
			f.run++;
			f.rejected += !accepted;
			if (want_valid && !accepted) {
				printf("  %s tcId %d: valid signature rejected (%s)\n", f.name, tc, e);
				f.bad++;
			} else if (f.too_big && accepted) {
				printf("  %s tcId %d: accepted with a key above the limit\n", f.name, tc);
				f.bad++;
			} else if (invalid && accepted && listed(f.name, tc)) {
				f.excepted++;
			} else if (invalid && accepted) {
				printf("  %s tcId %d: invalid signature ACCEPTED (%s)\n", f.name, tc, e);
				f.bad++;
			} else if (invalid && listed(f.name, tc)) {
				printf("  %s tcId %d: listed as accepted but rejected: update the list\n",
				       f.name, tc);
				f.bad++;
			}
		}
		continue;
bad_line:
		printf("not ok - malformed input line: %.60s\n", line);
		return 1;
	}
	if (file_end(&f))
		passed += f.name[0] != 0;
	else
		failed++;
	printf("wycheproof: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
