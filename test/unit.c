/* Unit tests with known-answer vectors. Prints one line per failed check and
 * ends with "N passed, N failed" (one count per test function). */
#include "acme.h"
#include "alpn.h"
#include "ca.h"
#include "cert.h"
#include "challenge.h"
#include "dns01.h"
#include "http.h"
#include "json.h"
#include "jws.h"
#include "key.h"
#include "pem.h"
#include "store.h"
#include "trust.h"
#include "renew.h"
#include "resolve.h"
#include "util.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int checks_failed;
static int tests_passed, tests_failed;
static const char *tmpdir = "test/tmp/unit";

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			checks_failed++;                                         \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                \
	} while (0)

#define RUN(fn)                                                                  \
	do {                                                                     \
		int before = checks_failed;                                      \
		fn();                                                            \
		if (checks_failed == before) {                                   \
			tests_passed++;                                          \
		} else {                                                         \
			tests_failed++;                                          \
			fprintf(stderr, "test %s failed\n", #fn);                \
		}                                                                \
	} while (0)

/* ---- base64url (RFC 4648 §10 vectors, url alphabet, no padding) ---- */

/* calloc's contract: zeroed, and NULL where n * size overflows. */
static void test_alloc_zeroed(void)
{
	unsigned char *p = alloc_zeroed(3, 5);
	int zero = p != NULL;

	for (size_t i = 0; p != NULL && i < 15; i++)
		zero &= p[i] == 0;
	CHECK(zero);
	free(p);
	CHECK(alloc_zeroed(SIZE_MAX / 2 + 1, 2) == NULL);
	CHECK(alloc_zeroed((size_t)1 << (sizeof(size_t) * 4), (size_t)1 << (sizeof(size_t) * 4)) == NULL);
}

static void test_b64url(void)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" },         { "f", "Zg" },         { "fo", "Zm8" },
		{ "foo", "Zm9v" },  { "foob", "Zm9vYg" },  { "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
	};
	char out[64];
	unsigned char dec[64];
	static const unsigned char bin[] = { 0xfb, 0xff, 0xbf, 0x03 };

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		int n = b64url_encode(out, sizeof out, v[i].in, strlen(v[i].in));

		CHECK(n == (int)strlen(v[i].out) && strcmp(out, v[i].out) == 0);
		n = b64url_decode(dec, sizeof dec, v[i].out, strlen(v[i].out));
		CHECK(n == (int)strlen(v[i].in) && memcmp(dec, v[i].in, (size_t)n) == 0);
	}
	/* The url alphabet: '-' and '_' instead of '+' and '/'. */
	CHECK(b64url_encode(out, sizeof out, bin, sizeof bin) == 6 && strcmp(out, "-_-_Aw") == 0);
	CHECK(b64url_decode(dec, sizeof dec, "-_-_Aw", 6) == 4 && memcmp(dec, bin, 4) == 0);
	CHECK(b64url_decode(dec, sizeof dec, "Zm9vYg==", 8) == 4);
	CHECK(b64url_decode(dec, sizeof dec, "+/+/", 4) == -1);
	CHECK(b64url_decode(dec, sizeof dec, "Zm9vY", 5) == -1);   /* impossible length */
	CHECK(b64url_decode(dec, sizeof dec, "Zh", 2) == -1);      /* non-zero pad bits */
	CHECK(b64url_decode(dec, 2, "Zm9v", 4) == -1);             /* does not fit */
	CHECK(b64url_encode(out, 4, "foo", 3) == -1);              /* needs 5 with NUL */
	CHECK(b64url_valid("abc-_09", 7) && !b64url_valid("ab/c", 4) && !b64url_valid("", 0));
}

/* ---- RFC 7638 §3.1 thumbprint of the example RSA key ---- */

static const char RFC7638_N[] =
	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
	"BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
	"FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
	"bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

static void test_thumbprint_rfc7638(void)
{
	static struct key k;
	unsigned char n[256], e[3];
	char tp[44], jwk[1024];

	memset(&k, 0, sizeof k);
	k.type = KEY_RSA2048;
	CHECK(b64url_decode(n, sizeof n, RFC7638_N, strlen(RFC7638_N)) == 256);
	CHECK(b64url_decode(e, sizeof e, "AQAB", 4) == 3);
	k.rsa_pk.n = n;
	k.rsa_pk.nlen = 256;
	k.rsa_pk.e = e;
	k.rsa_pk.elen = 3;
	CHECK(jws_jwk(&k, jwk, sizeof jwk) > 0);
	CHECK(strncmp(jwk, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7", 32) == 0);
	CHECK(jws_thumbprint(&k, tp) == 0);
	CHECK(strcmp(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs") == 0);
}

/* ---- RFC 7515 Appendix A.3: the ES256 example key and signature ---- */

static const char A3_X[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
static const char A3_Y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
static const char A3_INPUT[] =
	"eyJhbGciOiJFUzI1NiJ9"
	".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
static const char A3_SIG[] =
	"DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

static int verify_es256(const unsigned char *q, size_t qlen, const void *data, size_t len,
			const unsigned char *sig, size_t siglen, int sha384)
{
	br_ec_public_key pk = { sha384 ? BR_EC_secp384r1 : BR_EC_secp256r1, (unsigned char *)q, qlen };
	unsigned char h[64];
	br_hash_compat_context hc;
	const br_hash_class *hf = sha384 ? &br_sha384_vtable : &br_sha256_vtable;

	hf->init(&hc.vtable);
	hf->update(&hc.vtable, data, len);
	hf->out(&hc.vtable, h);
	return (int)br_ecdsa_i31_vrfy_raw(http_ec, h, sha384 ? 48 : 32, &pk, sig, siglen);
}

static void test_rfc7515_a3(void)
{
	static struct key k;
	unsigned char x[32], y[32], q[65], sig[64];
	char tp[44];

	CHECK(b64url_decode(x, sizeof x, A3_X, strlen(A3_X)) == 32);
	CHECK(b64url_decode(y, sizeof y, A3_Y, strlen(A3_Y)) == 32);
	q[0] = 4;
	memcpy(q + 1, x, 32);
	memcpy(q + 33, y, 32);
	/* The RFC's signature verifies over its signing input, and not when
	 * a bit of it changes: the check used on our own JWS can fail. */
	CHECK(b64url_decode(sig, sizeof sig, A3_SIG, strlen(A3_SIG)) == 64);
	CHECK(verify_es256(q, 65, A3_INPUT, strlen(A3_INPUT), sig, 64, 0) == 1);
	sig[10] ^= 1;
	CHECK(verify_es256(q, 65, A3_INPUT, strlen(A3_INPUT), sig, 64, 0) == 0);
	/* RFC 7638 thumbprint of the A.3 public key (EC member order). */
	memset(&k, 0, sizeof k);
	k.type = KEY_EC256;
	k.ec_pk.curve = BR_EC_secp256r1;
	k.ec_pk.q = q;
	k.ec_pk.qlen = 65;
	CHECK(jws_thumbprint(&k, tp) == 0);
	CHECK(strcmp(tp, "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U") == 0);
}

/* ---- JWS: sign, then parse and verify our own output ---- */

static void check_own_jws(struct key *k, const char *kid, const char *payload)
{
	static char out[8192];
	static struct json doc;
	char prot[2048], pay[2048], sigb64[1024], decoded[2048];
	unsigned char sig[600];
	static char input[6000];
	struct key_public pub;
	int n, siglen;

	n = jws_sign(k, kid, "nonce-abc_123", "https://ca.example/acme/new-order", payload, out,
		     sizeof out);
	CHECK(n > 0 && (size_t)n == strlen(out));
	CHECK(json_parse(&doc, out, (size_t)n) == 0);
	CHECK(json_get_string(&doc, 0, "protected", prot, sizeof prot) > 0);
	CHECK(json_get_string(&doc, 0, "payload", pay, sizeof pay) >= 0);
	CHECK(json_get_string(&doc, 0, "signature", sigb64, sizeof sigb64) > 0);
	n = b64url_decode((unsigned char *)decoded, sizeof decoded - 1, prot, strlen(prot));
	CHECK(n > 0);
	if (n <= 0)
		return;
	decoded[n] = '\0';
	{
		static struct json hdr;
		char v[256];

		CHECK(json_parse(&hdr, decoded, (size_t)n) == 0);
		CHECK(json_get_string(&hdr, 0, "alg", v, sizeof v) > 0 &&
		      strcmp(v, key_jws_alg(k)) == 0);
		CHECK(json_get_string(&hdr, 0, "nonce", v, sizeof v) > 0 &&
		      strcmp(v, "nonce-abc_123") == 0);
		CHECK(json_get_string(&hdr, 0, "url", v, sizeof v) > 0 &&
		      strcmp(v, "https://ca.example/acme/new-order") == 0);
		if (kid) {
			CHECK(json_get_string(&hdr, 0, "kid", v, sizeof v) > 0 && strcmp(v, kid) == 0);
			CHECK(json_get(&hdr, 0, "jwk") < 0);
		} else {
			CHECK(json_get(&hdr, json_get(&hdr, 0, "jwk"), "kty") > 0);
			CHECK(json_get(&hdr, 0, "kid") < 0);
		}
	}
	n = b64url_decode((unsigned char *)decoded, sizeof decoded - 1, pay, strlen(pay));
	CHECK(n == (int)(payload ? strlen(payload) : 0));
	CHECK(n < 0 || memcmp(decoded, payload ? payload : "", (size_t)n) == 0);
	snprintf(input, sizeof input, "%s.%s", prot, pay);
	siglen = b64url_decode(sig, sizeof sig, sigb64, strlen(sigb64));
	key_public(k, &pub);
	if (pub.crv != NULL) {
		unsigned char q[97];

		q[0] = 4;
		memcpy(q + 1, pub.x, pub.coord_len);
		memcpy(q + 1 + pub.coord_len, pub.y, pub.coord_len);
		CHECK(siglen == (int)pub.coord_len * 2);
		CHECK(verify_es256(q, 1 + 2 * pub.coord_len, input, strlen(input), sig,
				   (size_t)siglen, k->type == KEY_EC384) == 1);
	} else {
		br_rsa_public_key pk = { (unsigned char *)pub.n, pub.nlen, (unsigned char *)pub.e, pub.elen };
		unsigned char h[32], hout[32];
		br_sha256_context sc;

		br_sha256_init(&sc);
		br_sha256_update(&sc, input, strlen(input));
		br_sha256_out(&sc, h);
		CHECK(siglen == (int)pub.nlen);
		CHECK(br_rsa_i31_pkcs1_vrfy(sig, (size_t)siglen, BR_HASH_OID_SHA256, 32, &pk, hout) == 1);
		CHECK(memcmp(h, hout, 32) == 0);
	}
}

static void test_jws_own(void)
{
	static struct key ec, ec384, rsa;

	CHECK(key_generate(&ec, KEY_EC256) == 0);
	check_own_jws(&ec, NULL, "{\"termsOfServiceAgreed\":true}");
	check_own_jws(&ec, "https://ca.example/acct/1", NULL); /* POST-as-GET */
	check_own_jws(&ec, "https://ca.example/acct/1", "{}");
	CHECK(key_generate(&ec384, KEY_EC384) == 0);
	check_own_jws(&ec384, "https://ca.example/acct/2", "{\"a\":1}");
	CHECK(key_generate(&rsa, KEY_RSA2048) == 0);
	check_own_jws(&rsa, NULL, "{\"x\":\"y\"}");
	{
		char small[64];

		CHECK(jws_sign(&ec, NULL, "n", "https://a/b", "{}", small, sizeof small) == -1);
	}
	key_free(&ec);
	key_free(&ec384);
	key_free(&rsa);
}

static void test_key_authorization(void)
{
	char out[128];

	CHECK(jws_key_authorization("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA",
				    "nP1qzpXGymnAEoP6fMEmMzDdAwO1CAu0tNY1Eb2eZGQ", out, sizeof out) == 87);
	CHECK(strcmp(out, "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA."
			  "nP1qzpXGymnAEoP6fMEmMzDdAwO1CAu0tNY1Eb2eZGQ") == 0);
	CHECK(jws_key_authorization("tok", "tp", out, 6) == -1);
}

/* ---- JSON ---- */

static void test_json_read(void)
{
	static struct json doc;
	static const char js[] =
		"{\"status\":\"pending\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.example\"},"
		"{\"type\":\"dns\",\"value\":\"b.example\"}],\"nested\":{\"deep\":{\"x\":[1,2,{\"y\":3}]}},"
		"\"finalize\":\"https://x/fin\",\"flag\":true,\"no\":false}";
	char s[64];
	int arr, el;

	CHECK(json_parse(&doc, js, strlen(js)) == 0);
	CHECK(json_streq(&doc, json_get(&doc, 0, "status"), "pending"));
	arr = json_get(&doc, 0, "identifiers");
	CHECK(json_array_len(&doc, arr) == 2);
	el = json_skip(&doc, arr + 1);
	CHECK(json_get_string(&doc, el, "value", s, sizeof s) == 9 && strcmp(s, "b.example") == 0);
	/* Keys after a deeply nested value are still found. */
	CHECK(json_get_string(&doc, 0, "finalize", s, sizeof s) > 0 && strcmp(s, "https://x/fin") == 0);
	CHECK(json_true(&doc, json_get(&doc, 0, "flag")) && !json_true(&doc, json_get(&doc, 0, "no")));
	CHECK(json_get(&doc, 0, "absent") == -1);
	CHECK(json_get(&doc, arr, "value") == -1); /* not an object */
	/* The key "x" inside nested objects is not a top-level key. */
	CHECK(json_get(&doc, 0, "x") == -1);
	CHECK(json_get_string(&doc, 0, "finalize", s, 5) == -1); /* does not fit */
	CHECK(json_parse(&doc, "{\"a\":1} x", 9) == -1);         /* trailing garbage */
	CHECK(json_parse(&doc, "{\"a\":}", 6) == -1);
	CHECK(json_parse(&doc, "\"str\"", 5) == -1);              /* root not object/array */
	CHECK(json_parse(&doc, "{\"a\":1}\n", 8) == 0);
}

static void test_json_unescape(void)
{
	char out[64];

	CHECK(json_unescape("a\\\"b\\\\c\\/d", 10, out, sizeof out) == 7 && strcmp(out, "a\"b\\c/d") == 0);
	CHECK(json_unescape("\\n\\t\\r\\b\\f", 10, out, sizeof out) == 5 &&
	      strcmp(out, "\n\t\r\b\f") == 0);
	CHECK(json_unescape("\\u0041\\u00e9", 12, out, sizeof out) == 3 &&
	      strcmp(out, "A\xc3\xa9") == 0);
	CHECK(json_unescape("\\u20AC", 6, out, sizeof out) == 3 && strcmp(out, "\xe2\x82\xac") == 0);
	/* Surrogate pair U+1F600 */
	CHECK(json_unescape("\\ud83d\\ude00", 12, out, sizeof out) == 4 &&
	      strcmp(out, "\xf0\x9f\x98\x80") == 0);
	CHECK(json_unescape("\\ud83d", 6, out, sizeof out) == -1);  /* lone high */
	CHECK(json_unescape("\\ude00", 6, out, sizeof out) == -1);  /* lone low */
	CHECK(json_unescape("\\u0000", 6, out, sizeof out) == -1);  /* NUL */
	CHECK(json_unescape("\\u12G4", 6, out, sizeof out) == -1);
	CHECK(json_unescape("\\x", 2, out, sizeof out) == -1);
	CHECK(json_unescape("abc\\", 4, out, sizeof out) == -1);
	CHECK(json_unescape("abcdef", 6, out, 6) == -1);             /* no room for NUL */
	CHECK(json_unescape("abcde", 5, out, 6) == 5);
}

static void test_json_write(void)
{
	char buf[256];
	struct jw w;

	jw_init(&w, buf, sizeof buf);
	jw_obj_begin(&w);
	jw_key(&w, "identifiers");
	jw_arr_begin(&w);
	jw_obj_begin(&w);
	jw_key(&w, "value");
	jw_str(&w, "a\"b\\c\n\x01");
	jw_obj_end(&w);
	jw_int(&w, -42);
	jw_bool(&w, 0);
	jw_arr_end(&w);
	jw_key(&w, "ok");
	jw_bool(&w, 1);
	jw_obj_end(&w);
	CHECK(jw_finish(&w) > 0);
	CHECK(strcmp(buf, "{\"identifiers\":[{\"value\":\"a\\\"b\\\\c\\u000a\\u0001\"},-42,false],"
			  "\"ok\":true}") == 0);
	/* What the writer emits, the reader reads back. */
	{
		static struct json doc;
		char v[32];
		int arr;

		CHECK(json_parse(&doc, buf, strlen(buf)) == 0);
		arr = json_get(&doc, 0, "identifiers");
		CHECK(json_get_string(&doc, arr + 1, "value", v, sizeof v) == 7 &&
		      strcmp(v, "a\"b\\c\n\x01") == 0);
	}
	jw_init(&w, buf, 8);
	jw_obj_begin(&w);
	jw_key(&w, "long key");
	jw_str(&w, "value");
	jw_obj_end(&w);
	CHECK(jw_finish(&w) == -1);
}

/* ---- HTTP pieces ---- */

static void test_url_parse(void)
{
	struct url u;

	CHECK(url_parse("https://acme-v02.api.letsencrypt.org/directory", &u) == 0);
	CHECK(strcmp(u.host, "acme-v02.api.letsencrypt.org") == 0 && strcmp(u.port, "443") == 0 &&
	      strcmp(u.path, "/directory") == 0);
	CHECK(url_parse("https://localhost:14000/dir", &u) == 0 && strcmp(u.port, "14000") == 0);
	CHECK(url_parse("https://[::1]:8443/a/b?c=d", &u) == 0 && strcmp(u.host, "::1") == 0 &&
	      strcmp(u.port, "8443") == 0 && strcmp(u.path, "/a/b?c=d") == 0);
	CHECK(url_parse("https://example.org", &u) == 0 && strcmp(u.path, "/") == 0);
	CHECK(url_parse("http://example.org/", &u) == -1);
	CHECK(url_parse("ftp://example.org/", &u) == -1);
	CHECK(url_parse("https://user@example.org/", &u) == -1);
	CHECK(url_parse("https://example.org:0/", &u) == -1);
	CHECK(url_parse("https://example.org:65536/", &u) == -1);
	CHECK(url_parse("https://example.org:12a/", &u) == -1);
	CHECK(url_parse("https://example.org/a b", &u) == -1);
	CHECK(url_parse("https://example.org/a\r\nHost: evil", &u) == -1);
	CHECK(url_parse("https://example.org/#frag", &u) == -1);
	CHECK(url_parse("https:///path", &u) == -1);
	CHECK(url_parse("https://[::1/", &u) == -1);
	CHECK(url_parse("https://exa$mple.org/", &u) == -1);
}

static int decode_chunked(const char *in, size_t len, size_t step, char *out, size_t cap,
			  size_t *out_len)
{
	struct chunked ch;
	size_t off = 0;
	int rc = 0;

	*out_len = 0;
	chunked_init(&ch);
	while (off < len && rc == 0) {
		size_t n = len - off < step ? len - off : step, used = 0;

		rc = chunked_feed(&ch, (const unsigned char *)in + off, n, &used,
				  (unsigned char *)out, out_len, cap);
		off += used;
		if (rc == 0 && used != n)
			return -2; /* must consume all input when it needs more */
	}
	return rc;
}

static void test_chunked(void)
{
	static const char body[] =
		"4\r\nWiki\r\n5;name=value\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n";
	char out[64];
	size_t n;

	/* The RFC 9112-style example, fed whole and one byte at a time. */
	CHECK(decode_chunked(body, strlen(body), 1000, out, sizeof out, &n) == 1);
	CHECK(n == 23 && memcmp(out, "Wikipedia in\r\n\r\nchunks.", 23) == 0);
	CHECK(decode_chunked(body, strlen(body), 1, out, sizeof out, &n) == 1);
	CHECK(n == 23 && memcmp(out, "Wikipedia in\r\n\r\nchunks.", 23) == 0);
	CHECK(decode_chunked("0\r\n\r\n", 5, 1, out, sizeof out, &n) == 1 && n == 0);
	CHECK(decode_chunked("a\r\n0123456789\r\n0\r\n\r\n", 20, 3, out, sizeof out, &n) == 1 && n == 10);
	/* Bytes after the terminating chunk are not consumed. */
	{
		struct chunked ch;
		size_t used = 0;

		n = 0;
		chunked_init(&ch);
		CHECK(chunked_feed(&ch, (const unsigned char *)"1\r\nA\r\n0\r\n\r\nNEXT", 15, &used,
				   (unsigned char *)out, &n, sizeof out) == 1);
		CHECK(used == 11 && n == 1);
	}
	CHECK(decode_chunked("4\r\nWikiX\r\n", 10, 100, out, sizeof out, &n) == -1); /* no CRLF */
	CHECK(decode_chunked("g\r\n", 3, 100, out, sizeof out, &n) == -1);          /* not hex */
	CHECK(decode_chunked("\r\n", 2, 100, out, sizeof out, &n) == -1);           /* no size */
	CHECK(decode_chunked("4\nWiki", 6, 100, out, sizeof out, &n) == -1);        /* bare LF */
	CHECK(decode_chunked("ffffffffffffffff\r\n", 18, 100, out, sizeof out, &n) == -1);
	CHECK(decode_chunked("8\r\n01234567\r\n0\r\n\r\n", 18, 100, out, 4, &n) == -1); /* cap */
	CHECK(decode_chunked("4\r\nWik", 6, 100, out, sizeof out, &n) == 0);        /* incomplete */
}

/* ---- keys, CSR, certificates ---- */

static int run_cmd(const char *cmd)
{
	int rc = system(cmd);

	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	size_t w;

	if (f == NULL)
		return -1;
	w = fwrite(data, 1, len, f);
	return (fclose(f) == 0 && w == len) ? 0 : -1;
}

/* Reads a whole file into buf (cap - 1 bytes at most), NUL-terminated; its
 * length, or -1. */
static long read_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (long)n;
}

static void csr_round_trip(enum key_type t, const char *const *names, size_t n)
{
	static struct key k, k2;
	static unsigned char csr[ACME_MAX_CSR];
	static char pem[KEY_MAX_PEM], cmd[1024];
	char path[256], keypath[256], certpath[256], txt[256];
	int len, plen;

	CHECK(key_generate(&k, t) == 0);
	/* PEM round trip gives the same public key. */
	plen = key_to_pem(&k, pem, sizeof pem);
	CHECK(plen > 0 && strncmp(pem, "-----BEGIN PRIVATE KEY-----", 27) == 0);
	CHECK(key_from_pem(&k2, pem, (size_t)plen) == 0);
	CHECK(k2.type == t);
	{
		char a[1024], b[1024];

		CHECK(jws_jwk(&k, a, sizeof a) > 0 && jws_jwk(&k2, b, sizeof b) > 0 && strcmp(a, b) == 0);
	}
	len = key_csr(&k2, names, n, csr, sizeof csr);
	CHECK(len > 0);
	snprintf(path, sizeof path, "%s/csr-%s.der", tmpdir, key_type_name(t));
	snprintf(keypath, sizeof keypath, "%s/key-%s.pem", tmpdir, key_type_name(t));
	snprintf(certpath, sizeof certpath, "%s/cert-%s.pem", tmpdir, key_type_name(t));
	snprintf(txt, sizeof txt, "%s/csr-%s.txt", tmpdir, key_type_name(t));
	CHECK(write_file(path, csr, (size_t)len) == 0);
	CHECK(write_file(keypath, pem, (size_t)plen) == 0);
	/* openssl checks the CSR's own signature and lists its SANs. */
	snprintf(cmd, sizeof cmd, "openssl req -inform DER -in %s -verify -noout -text >%s 2>&1", path, txt);
	CHECK(run_cmd(cmd) == 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(cmd, sizeof cmd, "grep -q 'DNS:%s' %s", names[i], txt);
		CHECK(run_cmd(cmd) == 0);
	}
	/* openssl reads our PKCS#8 key file and agrees it is the CSR's key. */
	snprintf(cmd, sizeof cmd,
		 "test \"$(openssl pkey -in %s -pubout)\" = \"$(openssl req -inform DER -in %s -noout -pubkey)\"",
		 keypath, path);
	CHECK(run_cmd(cmd) == 0);
	/* A certificate openssl makes from the CSR passes our checks. */
	snprintf(cmd, sizeof cmd,
		 "openssl x509 -req -inform DER -in %s -key %s -days 30 -copy_extensions copy -out %s >/dev/null 2>&1",
		 path, keypath, certpath);
	CHECK(run_cmd(cmd) == 0);
	{
		static char cpem[16384];
		static unsigned char der[16384];
		struct chain ch;
		struct cert_info ci;
		FILE *f = fopen(certpath, "rb");
		size_t cl = f ? fread(cpem, 1, sizeof cpem - 1, f) : 0;
		static struct key other;

		if (f)
			fclose(f);
		CHECK(chain_from_pem(cpem, cl, der, sizeof der, &ch) == 1);
		CHECK(cert_key_matches(der, ch.len[0], &k));
		CHECK(key_generate(&other, KEY_EC256) == 0 && !cert_key_matches(der, ch.len[0], &other));
		key_free(&other);
		for (size_t i = 0; i < n; i++)
			CHECK(cert_has_dns_name(der, ch.len[0], names[i]) == 1);
		CHECK(cert_has_dns_name(der, ch.len[0], "not-there.example") == 0);
		CHECK(cert_validity(der, ch.len[0], &ci) == 0);
		CHECK(ci.not_after - ci.not_before == 30 * 86400);
	}
	key_free(&k);
	key_free(&k2);
}

static void test_csr_openssl(void)
{
	static const char *one[] = { "a.example.test" };
	static const char *many[] = { "www.example.test", "example.test", "mail.example.test" };
	static char longnames[100][96];
	static const char *hundred[100];

	csr_round_trip(KEY_EC256, one, 1);
	csr_round_trip(KEY_EC384, many, 3);
	csr_round_trip(KEY_RSA2048, many, 3);
	/* 100 names, the first longer than the 64-character CN limit. */
	for (int i = 0; i < 100; i++) {
		snprintf(longnames[i], sizeof longnames[i], "%s%d.example.test",
			 i == 0 ? "a-very-long-label-that-pushes-the-name-past-sixty-four-chars-" : "n", i);
		hundred[i] = longnames[i];
	}
	csr_round_trip(KEY_EC256, hundred, 100);
}

static void test_key_pem_errors(void)
{
	static struct key k;
	static const char junk[] = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n";

	CHECK(key_from_pem(&k, junk, strlen(junk)) == -1);
	CHECK(key_from_pem(&k, "hello", 5) == -1);
	CHECK(key_from_pem(&k, "", 0) == -1);
	/* A truncated key file. */
	CHECK(key_generate(&k, KEY_EC256) == 0);
	{
		char pem[KEY_MAX_PEM];
		int n = key_to_pem(&k, pem, sizeof pem);

		CHECK(n > 60 && key_from_pem(&k, pem, (size_t)n - 60) == -1);
	}
	{
		enum key_type t;

		CHECK(key_type_parse("rsa3072", &t) == 0 && t == KEY_RSA3072);
		CHECK(key_type_parse("ec521", &t) == -1);
	}
}

/* RSA keys made by OpenSSL: its primes are not always 3 mod 4, so the
 * public exponent must come from the key's own encoding. Eight PKCS#8 keys
 * (one in four would load if e were recomputed), one PKCS#1, one with e = 3;
 * the modulus must be OpenSSL's, the key must sign; an encoding whose
 * exponent does not belong to the primes is refused. */
static void test_rsa_keys_from_openssl(void)
{
	static struct key k;
	static char pem[8192], hex[1200], cmd[512], want[1200];
	char path[128];
	long n;
	unsigned char sig[KEY_MAX_SIG];
	FILE *f;

	for (int i = 0; i < 10; i++) {
		str_fmt(path, sizeof path, "%s/rsa%d.pem", tmpdir, i);
		str_fmt(cmd, sizeof cmd,
			"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 %s -out %s 2>/dev/null%s",
			i == 9 ? "-pkeyopt rsa_keygen_pubexp:3" : "", path,
			i == 8 ? " && openssl rsa -traditional -in " : "");
		if (i == 8)
			str_fmt(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "%s -out %s 2>/dev/null", path, path);
		CHECK(run_cmd(cmd) == 0);
		n = read_file(path, pem, sizeof pem);
		CHECK(n > 0);
		CHECK(key_from_pem(&k, pem, (size_t)n) == 0);
		CHECK(i != 8 || strstr(pem, "BEGIN RSA PRIVATE KEY") != NULL);
		CHECK(k.type == KEY_RSA2048 && k.rsa_pk.elen == (i == 9 ? 1u : 3u));
		CHECK(key_sign(&k, "x", 1, sig, sizeof sig) == 256);
		str_fmt(cmd, sizeof cmd, "openssl rsa -in %s -noout -modulus", path);
		f = popen(cmd, "r");
		CHECK(f != NULL && fgets(want, sizeof want, f) != NULL);
		if (f)
			pclose(f);
		for (size_t j = 0; j < k.rsa_pk.nlen; j++) {
			hex[2 * j] = "0123456789ABCDEF"[k.rsa_pk.n[j] >> 4];
			hex[2 * j + 1] = "0123456789ABCDEF"[k.rsa_pk.n[j] & 15];
		}
		CHECK(strncmp(want, "Modulus=", 8) == 0 && strncmp(want + 8, hex, 512) == 0);
		key_free(&k);
	}
	/* e = 65537 changed to 65539 in the PKCS#1 key: refused. */
	str_fmt(cmd, sizeof cmd,
		"cd %s && openssl rsa -in rsa8.pem -outform DER -out rsa8.der 2>/dev/null && "
		"python3 -c \"import sys;d=open('rsa8.der','rb').read();"
		"open('bad.der','wb').write(d.replace(bytes.fromhex('0203010001'),bytes.fromhex('0203010003'),1))\"",
		tmpdir);
	CHECK(run_cmd(cmd) == 0);
	str_fmt(cmd, sizeof cmd,
		"cd %s && { echo '-----BEGIN RSA PRIVATE KEY-----'; openssl base64 -in bad.der; "
		"echo '-----END RSA PRIVATE KEY-----'; } >bad.pem && ! cmp -s rsa8.der bad.der", tmpdir);
	CHECK(run_cmd(cmd) == 0);
	str_fmt(path, sizeof path, "%s/bad.pem", tmpdir);
	n = read_file(path, pem, sizeof pem);
	CHECK(n > 0 && key_from_pem(&k, pem, (size_t)n) == -1);
}

static void test_der_time(void)
{
	CHECK(der_time(0x17, (const unsigned char *)"700101000000Z", 13) == 0);
	CHECK(der_time(0x17, (const unsigned char *)"491231235959Z", 13) == 2524607999LL);
	CHECK(der_time(0x17, (const unsigned char *)"500101000000Z", 13) == -631152000LL);
	CHECK(der_time(0x18, (const unsigned char *)"20380119031408Z", 15) == 2147483648LL);
	CHECK(der_time(0x18, (const unsigned char *)"20240229120000Z", 15) == 1709208000LL);
	CHECK(der_time(0x17, (const unsigned char *)"701301000000Z", 13) == -1);
	CHECK(der_time(0x17, (const unsigned char *)"7001010000Z", 11) == -1);
	CHECK(der_time(0x18, (const unsigned char *)"2024022912000Z0", 15) == -1);
}

static void test_chain_pem(void)
{
	static unsigned char buf[64];
	struct chain ch;

	CHECK(chain_from_pem("nothing here", 12, buf, sizeof buf, &ch) == -1);
	CHECK(chain_from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n", 33, buf, sizeof buf, &ch) == -1);
	{
		static const char one[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

		CHECK(chain_from_pem(one, strlen(one), buf, sizeof buf, &ch) == 1);
	}
	CHECK(ch.len[0] == 3);
}

/* ---- ACME helpers ---- */

static void test_names(void)
{
	CHECK(acme_name_valid("example.org"));
	CHECK(acme_name_valid("a-b.c-d.example"));
	CHECK(acme_name_valid("xn--bcher-kva.example"));
	CHECK(!acme_name_valid("Example.org"));  /* main lowercases first */
	CHECK(!acme_name_valid("localhost"));
	CHECK(!acme_name_valid("-a.example"));
	CHECK(!acme_name_valid("a-.example"));
	CHECK(!acme_name_valid("a..example"));
	CHECK(!acme_name_valid(".example"));
	CHECK(!acme_name_valid("example."));
	CHECK(!acme_name_valid("1.2.3.999"));  /* all-digit top label: a mistyped address */
	CHECK(acme_name_valid("1.2.3.x9"));
	CHECK(acme_ident_is_ip("192.0.2.1") && acme_ident_is_ip("2001:db8::1") && !acme_ident_is_ip("192.0.2.1.example"));
	CHECK(!acme_name_valid("*.example.org"));
	CHECK(!acme_name_valid("a_b.example"));
	CHECK(!acme_name_valid("exa mple.org"));
	CHECK(!acme_name_valid("a.example/../x"));
	CHECK(!acme_name_valid(""));
	{
		char l[80];

		memset(l, 'a', 64);
		memcpy(l + 64, ".org", 5);
		CHECK(!acme_name_valid(l));     /* 64-character label */
		CHECK(acme_name_valid(l + 1));  /* 63 is the limit */
	}
}

static void test_problem_line(void)
{
	char out[512];
	static const char p1[] =
		"{\"type\":\"urn:ietf:params:acme:error:rejectedIdentifier\",\"detail\":\"Error creating new "
		"order\",\"subproblems\":[{\"type\":\"urn:ietf:params:acme:error:malformed\",\"detail\":\"bad "
		"name\",\"identifier\":{\"type\":\"dns\",\"value\":\"x.example\"}}]}";
	static const char p2[] =
		"{\"type\":\"urn:ietf:params:acme:error:malformed\",\"detail\":\"evil\\u001b[31m\\nline\"}";

	acme_problem_line(p1, strlen(p1), out, sizeof out);
	CHECK(strcmp(out, "rejectedIdentifier: Error creating new order (x.example: malformed: bad name)") == 0);
	/* Control characters from the network never reach the terminal. */
	acme_problem_line(p2, strlen(p2), out, sizeof out);
	CHECK(strcmp(out, "malformed: evil?[31m?line") == 0);
	acme_problem_line(p1, strlen(p1), out, 20);
	CHECK(strlen(out) == 19 && strcmp(out + 16, "...") == 0);
	acme_problem_line("not json \x07", 10, out, sizeof out);
	CHECK(strcmp(out, "not json ?") == 0);
}

static void test_sanitize(void)
{
	char out[8];

	CHECK(strcmp(sanitize(out, sizeof out, "ab\x01\xff", 4), "ab??") == 0);
	CHECK(strcmp(sanitize(out, sizeof out, "abcdefghij", 10), "abcd...") == 0);
	CHECK(strcmp(sanitize(out, sizeof out, "abcdefg", 7), "abcdefg") == 0);
}

/* ---- http-01 responder answers ---- */

static size_t answer(const struct responder *r, const char *req, char *out, size_t cap)
{
	return responder_answer(r, req, strlen(req), out, cap);
}

/* Sends len bytes of src through a pipe, as responder_start does, and reads
 * them back into dst as the responder's fresh image does. */
static int table_through_pipe(const void *src, size_t len, struct responder *dst)
{
	int p[2], rc = -1;

	if (pipe(p) < 0)
		return -1;
	memset(dst, 0, sizeof *dst);
	alpn_init(&dst->alpn);
	if (write(p[1], src, len) == (ssize_t)len) {
		close(p[1]);
		p[1] = -1;
		rc = responder_table_read(dst, p[0]);
	}
	close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	return rc;
}

static void test_responder_table(void)
{
	static struct responder src, bad, dst;
	const size_t head = offsetof(struct responder, text);
	unsigned char der[ALPN_CERT_MAX];
	char out[512];
	size_t n;

	responder_init(&src);
	src.mode = RESPONDER_HTTP;
	src.nfds = 1;
	src.fds[0] = 7;
	CHECK(responder_add(&src, "tok1", "tok1.TH") == 0 && responder_add(&src, "tok2", "tok2.TH") == 0);
	CHECK(table_through_pipe(&src, head + src.text_len, &dst) == 0);
	CHECK(dst.n == 2 && dst.nfds == 1 && dst.fds[0] == 7 && dst.mode == RESPONDER_HTTP);
	n = answer(&dst, "GET /.well-known/acme-challenge/tok2 HTTP/1.1\r\n\r\n", out, sizeof out);
	CHECK(n > 7 && strcmp(out + n - 7, "tok2.TH") == 0);
	/* what the checks refuse */
	CHECK(table_through_pipe(&src, 100, &dst) == -1); /* cut short */
	memcpy(&bad, &src, sizeof bad);
	bad.e[1].tail = (unsigned short)bad.text_len;
	CHECK(table_through_pipe(&bad, head + bad.text_len, &dst) == -1);
	memcpy(&bad, &src, sizeof bad);
	bad.text[bad.text_len - 1] = 'x';
	CHECK(table_through_pipe(&bad, head + bad.text_len, &dst) == -1);
	memcpy(&bad, &src, sizeof bad);
	bad.n = CHALLENGE_MAX_TOKENS + 1;
	CHECK(table_through_pipe(&bad, head + bad.text_len, &dst) == -1);
	memcpy(&bad, &src, sizeof bad);
	bad.nfds = 0;
	CHECK(table_through_pipe(&bad, head + bad.text_len, &dst) == -1);
	memcpy(&bad, &src, sizeof bad);
	bad.mode = RESPONDER_WEBROOT;
	CHECK(table_through_pipe(&bad, head + bad.text_len, &dst) == -1);
	memcpy(&bad, &src, sizeof bad);
	bad.text_len = sizeof bad.text + 1;
	CHECK(table_through_pipe(&bad, head, &dst) == -1);
	/* tls-alpn-01: identifiers in the token table become certificates there */
	responder_init(&src);
	src.mode = RESPONDER_ALPN;
	src.nfds = 2;
	src.fds[0] = 7;
	src.fds[1] = 8;
	CHECK(responder_add(&src, "a.example", "tokA.TH") == 0 &&
	      responder_add(&src, "192.0.2.1", "tokB.TH") == 0);
	CHECK(table_through_pipe(&src, head + src.text_len, &dst) == 0);
	CHECK(dst.alpn.n == 2 && dst.alpn.have_key);
	CHECK(alpn_cert_for(&dst.alpn, "1.2.0.192.in-addr.arpa", der, sizeof der) > 0);
	CHECK(alpn_cert_for(&dst.alpn, "b.example", der, sizeof der) == -1);
	alpn_free(&dst.alpn);
}

static void test_responder_answer(void)
{
	static struct responder r;
	char out[512];
	size_t n;

	responder_init(&r);
	CHECK(responder_add(&r, "tok_en-1", "tok_en-1.thumb") == 0);
	CHECK(responder_add(&r, "../etc/passwd", "x") == -1);
	CHECK(responder_add(&r, "a/b", "x") == -1);
	n = answer(&r, "GET /.well-known/acme-challenge/tok_en-1 HTTP/1.1\r\nHost: a\r\n\r\n", out, sizeof out);
	CHECK(n > 0 && strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(strstr(out, "Content-Type: text/plain\r\n") != NULL);
	CHECK(n > 14 && strcmp(out + n - 14, "tok_en-1.thumb") == 0);
	n = answer(&r, "HEAD /.well-known/acme-challenge/tok_en-1 HTTP/1.1\r\n\r\n", out,
			     sizeof out);
	CHECK(n > 0 && strncmp(out, "HTTP/1.1 200 OK", 15) == 0 && strstr(out, "thumb") == NULL &&
	      strstr(out, "Content-Length: 14") != NULL);
	n = answer(&r, "GET /.well-known/acme-challenge/other HTTP/1.1\r\n\r\n", out, sizeof out);
	CHECK(n > 0 && strncmp(out, "HTTP/1.1 404", 12) == 0);
	n = answer(&r, "GET /.well-known/acme-challenge/tok_en-12 HTTP/1.1\r\n\r\n", out, sizeof out);
	CHECK(n > 0 && strncmp(out, "HTTP/1.1 404", 12) == 0);
	n = answer(&r, "GET / HTTP/1.1\r\n\r\n", out, sizeof out);
	CHECK(n > 0 && strncmp(out, "HTTP/1.1 404", 12) == 0);
	n = answer(&r, "POST /.well-known/acme-challenge/tok_en-1 HTTP/1.1\r\n\r\n", out, sizeof out);
	CHECK(n > 0 && strncmp(out, "HTTP/1.1 405", 12) == 0);
	CHECK(answer(&r, "GET /.well-known/acme-challenge/tok_en-1 HTTP/1.1\r\n", out,
			       sizeof out) == 0); /* incomplete */
	responder_stop(&r);
	/* Consecutive key authorizations share their ".thumbprint" tail; one
	 * that does not start with its token is kept whole. */
	responder_init(&r);
	CHECK(responder_add(&r, "aaa", "aaa.TH") == 0 && responder_add(&r, "bbb", "bbb.TH") == 0 &&
	      responder_add(&r, "ccc", "other") == 0);
	CHECK(r.text_len == 4 + 4 + 4 + 4 + 6);
	n = answer(&r, "GET /.well-known/acme-challenge/bbb HTTP/1.1\r\n\r\n", out, sizeof out);
	CHECK(n > 6 && strcmp(out + n - 6, "bbb.TH") == 0 && strstr(out, "Content-Length: 6\r\n"));
	n = answer(&r, "GET /.well-known/acme-challenge/ccc HTTP/1.1\r\n\r\n", out, sizeof out);
	CHECK(n > 9 && strcmp(out + n - 9, "\r\n\r\nother") == 0 && strstr(out, "Content-Length: 5\r\n"));
	responder_stop(&r);
	/* A full table of the longest tokens and key authorizations: the packed
	 * text holds them all, the first and last still answer, one more fails. */
	{
		char tok[CHALLENGE_TOKEN_MAX], ka[CHALLENGE_KEYAUTH_MAX], req[256];
		int ok = 1;

		responder_init(&r);
		for (int i = 0; i < CHALLENGE_MAX_TOKENS; i++) {
			memset(tok, 'a', sizeof tok - 1);
			tok[sizeof tok - 1] = '\0';
			memcpy(tok, (char[3]){ (char)('0' + i / 100), (char)('0' + i / 10 % 10),
					       (char)('0' + i % 10) }, 3); /* distinct */
			memset(ka, 'k', sizeof ka - 1);
			ka[sizeof ka - 1] = '\0';
			memcpy(ka, tok, 3);
			ok &= responder_add(&r, tok, ka) == 0;
		}
		CHECK(ok && strlen(tok) == CHALLENGE_TOKEN_MAX - 1);
		CHECK(responder_add(&r, "one-more", "one-more.t") == -1);
		snprintf(req, sizeof req, "GET /.well-known/acme-challenge/%s HTTP/1.1\r\n\r\n", tok);
		n = answer(&r, req, out, sizeof out);
		CHECK(n > CHALLENGE_KEYAUTH_MAX && strncmp(out, "HTTP/1.1 200", 12) == 0 &&
		      strcmp(out + n - (CHALLENGE_KEYAUTH_MAX - 1), ka) == 0);
		memcpy(req + 32, "000", 3);
		n = answer(&r, req, out, sizeof out);
		CHECK(n > 0 && strncmp(out, "HTTP/1.1 200", 12) == 0 &&
		      strncmp(out + n - (CHALLENGE_KEYAUTH_MAX - 1), "000", 3) == 0);
		responder_stop(&r);
	}
}

/* ---- store ---- */

static void test_store(void)
{
	char dir[256], path[512], buf[64], link[512];
	struct stat st;
	size_t len;
	struct cert_files f1 = { "K1", "C1H1", 2, "S1", NULL }, f2 = { "K2", "C2H2", 2, "S2", NULL };

	snprintf(dir, sizeof dir, "%s/store", tmpdir);
	run_cmd("rm -rf test/tmp/unit/store");
	CHECK(store_mkdirs(dir, 0700) == 0);
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	snprintf(path, sizeof path, "%s/secret", dir);
	CHECK(store_write(path, "hello", 5, 0600) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 5);
	CHECK(store_read(path, buf, sizeof buf, &len) == 0 && len == 5 && strcmp(buf, "hello") == 0);
	CHECK(store_read(path, buf, 5, &len) == -1); /* larger than the cap */
	snprintf(path, sizeof path, "%s/absent", dir);
	CHECK(store_read(path, buf, sizeof buf, &len) == 1);
	CHECK(store_install(dir, "a.example", &f1) == 0);
	snprintf(path, sizeof path, "%s/a.example/key.pem", dir);
	CHECK(store_read(path, buf, sizeof buf, &len) == 0 && strcmp(buf, "K1") == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(store_install(dir, "a.example", &f2) == 0);
	CHECK(store_read(path, buf, sizeof buf, &len) == 0 && strcmp(buf, "K2") == 0);
	snprintf(path, sizeof path, "%s/a.example/fullchain.pem", dir);
	CHECK(store_read(path, buf, sizeof buf, &len) == 0 && strcmp(buf, "C2H2") == 0);
	snprintf(path, sizeof path, "%s/a.example/cert.pem", dir);
	CHECK(store_read(path, buf, sizeof buf, &len) == 0 && strcmp(buf, "C2") == 0);
	snprintf(path, sizeof path, "%s/a.example/chain.pem", dir);
	CHECK(store_read(path, buf, sizeof buf, &len) == 0 && strcmp(buf, "H2") == 0);
	snprintf(link, sizeof link, "%s/a.example", dir);
	len = (size_t)readlink(link, buf, sizeof buf - 1);
	CHECK(len == 13 && memcmp(buf, ".a.example.g2", 13) == 0);
	/* The previous generation is gone. */
	snprintf(path, sizeof path, "%s/.a.example.g1", dir);
	CHECK(stat(path, &st) == -1 && errno == ENOENT);
	/* A real directory in the way is not replaced. */
	snprintf(path, sizeof path, "%s/b.example", dir);
	CHECK(mkdir(path, 0700) == 0);
	CHECK(store_install(dir, "b.example", &f1) == -1);
	CHECK(store_account_dir(path, sizeof path, "/etc/picoacme", "https://localhost:14000/dir") == 0);
	CHECK(strcmp(path, "/etc/picoacme/accounts/localhost_14000_dir") == 0);
	/* A directory URL cannot walk out of accounts/: '/' becomes '_'. */
	CHECK(store_account_dir(path, sizeof path, "/d", "https://x/../../etc") == 0);
	CHECK(strcmp(path, "/d/accounts/x_.._.._etc") == 0);
}

/* ---- issue 3 pieces: settings, times, ARI CertID ---- */

static void test_settings(void)
{
	static struct cert_settings a, b;
	static char text[STORE_MAX_SETTINGS];
	int n;

	settings_init(&a);
	CHECK(settings_add_name(&a, "example.org") == 0);
	CHECK(settings_add_name(&a, "www.example.org") == 0);
	str_copy(a.server, sizeof a.server, "https://ca.example/dir");
	str_copy(a.key_type, sizeof a.key_type, "ec384");
	str_copy(a.challenge, sizeof a.challenge, "webroot");
	str_copy(a.webroot, sizeof a.webroot, "/www");
	str_copy(a.profile, sizeof a.profile, "shortlived");
	str_copy(a.hook, sizeof a.hook, "/usr/lib/acme/notify");
	str_copy(a.preferred_chain, sizeof a.preferred_chain, "ISRG Root X1");
	a.days = 20;
	n = settings_format(&a, text, sizeof text);
	CHECK(n > 0);
	CHECK(strstr(text, "names=example.org www.example.org\n") == text);
	CHECK(strstr(text, "preferred_chain=ISRG Root X1\n") != NULL);
	CHECK(settings_parse(&b, text, (size_t)n, "t") == 0);
	CHECK(b.nnames == 2 && strcmp(b.names[1], "www.example.org") == 0);
	CHECK(strcmp(b.profile, "shortlived") == 0 && strcmp(b.webroot, "/www") == 0 && b.days == 20);
	CHECK(settings_same_certificate(&a, &b));
	str_copy(b.key_type, sizeof b.key_type, "ec256");
	CHECK(!settings_same_certificate(&a, &b));
	CHECK(settings_parse(&b, "names=a.example\nserver=https://x/\nfuture_key=1\n", 46, "t") == 0);
	CHECK(settings_parse(&b, "names=a.example\n", 16, "t") == -1);              /* no server */
	CHECK(settings_parse(&b, "names=a\x01b\nserver=https://x/\n", 30, "t") == -1); /* control */
	CHECK(settings_parse(&b, "names=a.example\nserver=https://x/\ndays=-3\n", 42, "t") == -1);
	CHECK(settings_parse(&b, "garbage\n", 8, "t") == -1);
}

static void test_rfc3339(void)
{
	CHECK(acme_parse_time("2026-11-22T06:21:16Z") == 1795328476LL);
	CHECK(acme_parse_time("2026-11-22T06:21:16.123456Z") == 1795328476LL);
	CHECK(acme_parse_time("2026-11-22T08:21:16+02:00") == 1795328476LL);
	CHECK(acme_parse_time("2026-11-22t06:21:16z") == 1795328476LL);
	CHECK(acme_parse_time("1970-01-01T00:00:00Z") == 0);
	CHECK(acme_parse_time("2026-11-22 06:21:16Z") == -1);
	CHECK(acme_parse_time("2026-11-22T06:21:16") == -1);
	CHECK(acme_parse_time("2026-13-22T06:21:16Z") == -1);
	CHECK(acme_parse_time("2026-11-22T06:21:16Zjunk") == -1);
	CHECK(acme_parse_time("2026-11-22T00:51:16-05:30") == 1795328476LL);
	CHECK(acme_parse_time("2024-02-29T00:00:00Z") == 1709164800LL);
	/* RFC 3339 strictly: digits and ranges in offsets, real dates */
	CHECK(acme_parse_time("2026-11-22T08:21:16+ab:cd") == -1);
	CHECK(acme_parse_time("2026-11-22T08:21:16+99:99") == -1);
	CHECK(acme_parse_time("2026-11-22T08:21:16+24:00") == -1);
	CHECK(acme_parse_time("2026-11-22T08:21:16+02:60") == -1);
	CHECK(acme_parse_time("2026-11-22T08:21:16+2:00") == -1);
	CHECK(acme_parse_time("2025-02-31T00:00:00Z") == -1);
	CHECK(acme_parse_time("2025-02-29T00:00:00Z") == -1);
	CHECK(acme_parse_time("2100-02-29T00:00:00Z") == -1);
	CHECK(acme_parse_time("2000-02-29T00:00:00Z") == 951782400LL);
	CHECK(acme_parse_time("2026-04-31T00:00:00Z") == -1);
	CHECK(acme_parse_time("2026-11-22T06:21:16.Z") == -1);
	CHECK(acme_parse_time("2026-11-22T24:00:00Z") == -1);
}

/* RFC 9773 §4.1: keyIdentifier 69:88:5B:..:D4 and serial 00:87:65:43:21
 * give "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE". openssl builds a CA with that
 * SKI and a leaf with that serial. */
static void test_ari_cert_id(void)
{
	static char pem[8192];
	static unsigned char der[8192];
	char id[128];
	struct chain ch;
	struct cert_ids ids;
	FILE *f;
	size_t len;

	CHECK(run_cmd("cd test/tmp/unit && "
		      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ari-ca.key "
		      "-out ari-ca.pem -subj '/CN=ARI Test CA' -days 30 "
		      "-addext subjectKeyIdentifier=69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4 "
		      ">/dev/null 2>&1 && "
		      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ari-leaf.key "
		      "-out ari-leaf.csr -subj '/CN=a.example' >/dev/null 2>&1 && "
		      "printf 'authorityKeyIdentifier=keyid\\nsubjectAltName=DNS:a.example\\n' >ari.ext && "
		      "openssl x509 -req -in ari-leaf.csr -CA ari-ca.pem -CAkey ari-ca.key -set_serial 0x87654321 "
		      "-days 10 -extfile ari.ext -out ari-leaf.pem >/dev/null 2>&1") == 0);
	f = fopen("test/tmp/unit/ari-leaf.pem", "rb");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	len = fread(pem, 1, sizeof pem, f);
	fclose(f);
	CHECK(chain_from_pem(pem, len, der, sizeof der, &ch) == 1);
	CHECK(cert_ari_id(der, ch.len[0], id, sizeof id) > 0);
	CHECK(strcmp(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE") == 0);
	CHECK(cert_ids(der, ch.len[0], &ids) == 0 && strcmp(ids.issuer_cn, "ARI Test CA") == 0);
	/* Without an AKI there is no CertID. */
	CHECK(cert_ari_id(der, 10, id, sizeof id) == -1);
}

/* ---- RFC 6979 A.2.5 vectors through BearSSL's ECDSA as picoacme links it ---- */

static void hex_to(unsigned char *out, const char *hex)
{
	for (size_t i = 0; hex[2 * i]; i++) {
		unsigned v;

		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
}

static void test_p256_rfc6979(const br_ec_impl *impl)
{
	/* RFC 6979 A.2.5: P-256 key, SHA-256, messages "sample" and "test". */
	static const struct {
		const char *msg, *r, *s;
	} sigs[] = {
		{ "sample", "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
		  "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8" },
		{ "test", "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367",
		  "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083" },
	};
	unsigned char x[32], pub[65], want[65], sig[64], h[32], rs[64];
	br_ec_private_key sk = { BR_EC_secp256r1, x, 32 };
	br_ec_public_key pk = { BR_EC_secp256r1, pub, 65 };
	br_sha256_context sc;

	hex_to(x, "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721");
	want[0] = 4;
	hex_to(want + 1, "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
			 "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299");
	CHECK(impl->mulgen(pub, x, 32, BR_EC_secp256r1) == 65 && memcmp(pub, want, 65) == 0);
	for (size_t i = 0; i < 2; i++) {
		br_sha256_init(&sc);
		br_sha256_update(&sc, sigs[i].msg, strlen(sigs[i].msg));
		br_sha256_out(&sc, h);
		hex_to(rs, sigs[i].r);
		hex_to(rs + 32, sigs[i].s);
		CHECK(br_ecdsa_i31_sign_raw(impl, &br_sha256_vtable, h, &sk, sig) == 64 &&
		      memcmp(sig, rs, 64) == 0);
		CHECK(br_ecdsa_i31_vrfy_raw(impl, h, 32, &pk, sig, 64) == 1);
		sig[10] ^= 1;
		CHECK(br_ecdsa_i31_vrfy_raw(impl, h, 32, &pk, sig, 64) == 0);
	}
}

static void test_ecdsa_rfc6979(void)
{
	test_p256_rfc6979(http_ec);
}

/* The signatures that overflowed the stack of the hand-written verifier
 * (issue 10): DER whose r||s form is longer than the DER itself. Through the
 * ECDSA verifier the TLS engine and X.509 validation are given, for a P-256
 * and a P-384 key: rejected, and nothing written out of bounds (the
 * sanitizer builds link a BearSSL compiled with the same instrumentation). */
static void test_ecdsa_expanding_der(void)
{
	static const unsigned char q256[65] = {
		4, 0x60, 0xFE, 0xD4, 0xBA, 0x25, 0x5A, 0x9D, 0x31, 0xC9, 0x61, 0xEB, 0x74, 0xC6,
		0x35, 0x6D, 0x68, 0xC0, 0x49, 0xB8, 0x92, 0x3B, 0x61, 0xFA, 0x6C, 0xE6, 0x69,
		0x62, 0x2E, 0x60, 0xF2, 0x9F, 0xB6, 0x79, 0x03, 0xFE, 0x10, 0x08, 0xB8, 0xBC,
		0x99, 0xA4, 0x1A, 0xE9, 0xE9, 0x56, 0x28, 0xBC, 0x64, 0xF2, 0xF1, 0xB2, 0x0C,
		0x2D, 0x7E, 0x9F, 0x51, 0x77, 0xA3, 0xC2, 0x94, 0xD4, 0x46, 0x22, 0x99,
	};
	unsigned char sig[200], h[48] = { 1 }, q384[97];
	br_ec_public_key pk = { BR_EC_secp256r1, (unsigned char *)q256, sizeof q256 };
	br_ec_private_key sk;
	unsigned char x[48] = { 0 };
	size_t n;

	/* 30 81 81 02 00 02 7d + 125 bytes: 132 bytes of DER, 250 of r||s */
	memcpy(sig, "\x30\x81\x81\x02\x00\x02\x7d", 7);
	memset(sig + 7, 0x41, 125);
	CHECK(http_ecdsa_vrfy(http_ec, h, 32, &pk, sig, 132) == 0);
	/* 30 47 02 00 02 43 + 67 bytes: 73 bytes of DER, 134 of r||s */
	memcpy(sig, "\x30\x47\x02\x00\x02\x43", 6);
	memset(sig + 6, 0x41, 67);
	CHECK(http_ecdsa_vrfy(http_ec, h, 32, &pk, sig, 73) == 0);
	/* the same against a P-384 key */
	x[47] = 7;
	sk.curve = BR_EC_secp384r1;
	sk.x = x;
	sk.xlen = 48;
	n = http_ec->mulgen(q384, x, 48, BR_EC_secp384r1);
	CHECK(n == 97);
	pk.curve = BR_EC_secp384r1;
	pk.q = q384;
	pk.qlen = n;
	CHECK(http_ecdsa_vrfy(http_ec, h, 48, &pk, sig, 73) == 0);
	memcpy(sig, "\x30\x81\x81\x02\x00\x02\x7d", 7);
	memset(sig + 7, 0x41, 125);
	CHECK(http_ecdsa_vrfy(http_ec, h, 48, &pk, sig, 132) == 0);
	/* and a real P-384 signature still verifies through it */
	n = br_ecdsa_i31_sign_asn1(http_ec, &br_sha384_vtable, h, &sk, sig);
	CHECK(n > 0 && http_ecdsa_vrfy(http_ec, h, 48, &pk, sig, n) == 1);
	sig[n - 1] ^= 1;
	CHECK(http_ecdsa_vrfy(http_ec, h, 48, &pk, sig, n) == 0);
}

/* ---- the streaming PEM reader ---- */

struct pem_out {
	unsigned char buf[256];
	size_t len;
};

static void pem_out_push(void *ctx, const void *data, size_t len)
{
	struct pem_out *o = ctx;

	if (len <= sizeof o->buf - o->len) {
		memcpy(o->buf + o->len, data, len);
		o->len += len;
	}
}

/* Reads text whole, or byte by byte when split, up to an error; returns
 * the events as letters (B, E, X for an error, O when the text ended
 * inside an object) and the bytes of every object. */
static void pem_run(const char *text, int split, char *events, struct pem_out *o)
{
	struct pem_reader r;
	size_t len = strlen(text), e = 0;
	int ev;

	memset(o, 0, sizeof *o);
	pem_init(&r);
	for (size_t i = 0; i < len && e < 15;) {
		size_t n = pem_push(&r, text + i, split ? 1 : len - i, &ev);

		i += n;
		if (ev == PEM_BEGIN) {
			r.dest = pem_out_push;
			r.dest_ctx = o;
		}
		if (ev != PEM_NONE)
			events[e++] = ev == PEM_BEGIN ? 'B' : ev == PEM_END ? 'E' : 'X';
		if (ev == PEM_ERROR) {
			events[e] = '\0';
			return; /* callers stop at an error */
		}
	}
	ev = pem_finish(&r);
	if (ev != PEM_NONE)
		events[e++] = ev == PEM_BEGIN ? 'B' : ev == PEM_END ? 'E' : 'X';
	if (r.in_object)
		events[e++] = 'O';
	events[e] = '\0';
}

static void test_pem_reader(void)
{
	static const struct {
		const char *text, *events, *bytes;
	} cases[] = {
		{ "-----BEGIN X-----\nSGVsbG8sIFBFTSE=\n-----END X-----\n", "BE", "Hello, PEM!" },
		/* comments around, CRLF, no final newline, groups across lines */
		{ "# a bundle\r\n\r\n-----BEGIN X-----\r\nSGVsb\r\nG8sIFBF TSE=\r\n-----END X-----", "BE",
		  "Hello, PEM!" },
		{ "-----BEGIN A-----\nYQ==\n-----END A-----\n-----BEGIN B-----\nYg==\n-----END B-----\n",
		  "BEBE", "ab" },
		{ "-----BEGIN X-----\nSGVsbG8*\n-----END X-----\n", "BX", "" },      /* bad character */
		{ "-----BEGIN X-----\nYQ==YQ==\n-----END X-----\n", "BX", "" },      /* data after padding */
		{ "-----BEGIN X-----\nYQ==\n-----END Y-----\n", "BX", "a" },          /* END of another label */
		{ "-----BEGIN X-----\nYQ==\n-----BEGIN X-----\n", "BX", "a" },        /* BEGIN inside */
		{ "-----BEGIN X-----\nYQ==\n", "BO", "a" },                             /* truncated */
		{ "-----BEGIN X-----\n-----END X-----\n", "BE", "" },
	};
	char events[16], longline[400];
	struct pem_out o;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (int split = 0; split < 2; split++) {
			pem_run(cases[i].text, split, events, &o);
			if (strcmp(events, cases[i].events) != 0 || o.len != strlen(cases[i].bytes) ||
			    memcmp(o.buf, cases[i].bytes, o.len) != 0) {
				fprintf(stderr, "pem case %zu split %d: events %s, %zu bytes\n", i, split, events,
					o.len);
				CHECK(0);
			}
		}
	}
	/* An overlong line: ignored between objects, an error inside one. */
	memset(longline, 'A', sizeof longline - 1);
	longline[sizeof longline - 1] = '\0';
	{
		static char text[1024];

		snprintf(text, sizeof text, "%s\n-----BEGIN X-----\nYQ==\n-----END X-----\n", longline);
		pem_run(text, 0, events, &o);
		CHECK(strcmp(events, "BE") == 0 && o.len == 1);
		snprintf(text, sizeof text, "-----BEGIN X-----\n%s\n-----END X-----\n", longline);
		pem_run(text, 0, events, &o);
		CHECK(events[0] == 'B' && events[1] == 'X');
	}
}

/* ---- trust anchors: index of a CA file, lazy loading, the name walker ---- */

struct dn_copy {
	unsigned char data[1024];
	size_t len;
};

static void dn_copy_append(void *ctx, const void *buf, size_t len)
{
	struct dn_copy *d = ctx;

	if (len <= sizeof d->data - d->len) {
		memcpy(d->data + d->len, buf, len);
		d->len += len;
	}
}

/* Oracle: BearSSL's decoder gives the subject DN; its SHA-256 prefix is the
 * name hash. */
static void subject_hash(const unsigned char *der, size_t len, struct dn_copy *dn,
			 unsigned char *hash)
{
	br_x509_decoder_context dc;
	br_sha256_context h;
	unsigned char out[32];

	memset(dn, 0, sizeof *dn);
	br_x509_decoder_init(&dc, dn_copy_append, dn);
	br_x509_decoder_push(&dc, der, len);
	br_sha256_init(&h);
	br_sha256_update(&h, dn->data, dn->len);
	br_sha256_out(&h, out);
	memcpy(hash, out, TRUST_NAME_HASH);
}

struct names_seen {
	unsigned char issuer[TRUST_NAME_HASH], subject[TRUST_NAME_HASH];
	int n;
};

static void names_found(void *ctx, int is_subject, const unsigned char *hash)
{
	struct names_seen *s = ctx;

	memcpy(is_subject ? s->subject : s->issuer, hash, TRUST_NAME_HASH);
	s->n++;
}

static size_t load_der(const char *path, unsigned char *der, size_t cap)
{
	static char pem[16384];
	struct chain ch;
	FILE *f = fopen(path, "rb");
	size_t len = f ? fread(pem, 1, sizeof pem, f) : 0;

	if (f)
		fclose(f);
	if (chain_from_pem(pem, len, der, cap, &ch) != 1)
		return 0;
	return ch.len[0];
}

static void test_trust_anchors(void)
{
	static unsigned char leaf[8192], ca2[8192], ca3[8192];
	struct dn_copy dn;
	unsigned char ca2_hash[TRUST_NAME_HASH], ca3_hash[TRUST_NAME_HASH], leaf_hash[TRUST_NAME_HASH];
	struct names_seen seen;
	struct cert_names w;
	struct trust_anchors t;
	size_t leaf_len, ca2_len, ca3_len;
	int full_runs = 0;

	/* A bundle: text, a private key block, an EC CA, an RSA CA, a CA in
	 * OpenSSL's TRUSTED CERTIFICATE form (not used: what follows its
	 * certificate is no certificate) and a leaf issued by the RSA CA. */
	CHECK(run_cmd("cd test/tmp/unit && "
		      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ta1.key "
		      "-out ta1.pem -subj '/CN=Trust One' -days 30 >/dev/null 2>&1 && "
		      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ta2.key "
		      "-out ta2.pem -subj '/O=picoacme/CN=Trust Two' -days 30 >/dev/null 2>&1 && "
		      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout ta3.key "
		      "-out ta3-plain.pem -subj '/CN=Trust Three' -days 30 >/dev/null 2>&1 && "
		      "openssl x509 -in ta3-plain.pem -trustout -addtrust serverAuth -out ta3.pem && "
		      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tleaf.key "
		      "-out tleaf.csr -subj '/CN=leaf.example' >/dev/null 2>&1 && "
		      "openssl x509 -req -in tleaf.csr -CA ta2.pem -CAkey ta2.key -days 10 "
		      "-out tleaf.pem >/dev/null 2>&1 && "
		      "{ echo 'a comment line'; cat ta1.key ta1.pem ta2.pem ta3.pem tleaf.pem; } >bundle.pem") == 0);
	leaf_len = load_der("test/tmp/unit/tleaf.pem", leaf, sizeof leaf);
	ca2_len = load_der("test/tmp/unit/ta2.pem", ca2, sizeof ca2);
	ca3_len = load_der("test/tmp/unit/ta3-plain.pem", ca3, sizeof ca3);
	CHECK(leaf_len > 0 && ca2_len > 0 && ca3_len > 0);
	subject_hash(ca3, ca3_len, &dn, ca3_hash);
	subject_hash(leaf, leaf_len, &dn, leaf_hash);
	subject_hash(ca2, ca2_len, &dn, ca2_hash);

	/* The walker names the leaf's issuer (the RSA CA) and subject, fed
	 * whole or a byte at a time. */
	memset(&seen, 0, sizeof seen);
	cert_names_init(&w, names_found, &seen);
	cert_names_push(&w, leaf, leaf_len);
	CHECK(seen.n == 2 && memcmp(seen.issuer, ca2_hash, TRUST_NAME_HASH) == 0 &&
	      memcmp(seen.subject, leaf_hash, TRUST_NAME_HASH) == 0);
	memset(&seen, 0, sizeof seen);
	cert_names_init(&w, names_found, &seen);
	for (size_t i = 0; i < leaf_len; i++)
		cert_names_push(&w, leaf + i, 1);
	CHECK(seen.n == 2 && memcmp(seen.issuer, ca2_hash, TRUST_NAME_HASH) == 0);
	/* Every truncation reports at most what it has fully seen. */
	for (size_t cut = 0; cut < leaf_len; cut++) {
		memset(&seen, 0, sizeof seen);
		cert_names_init(&w, names_found, &seen);
		cert_names_push(&w, leaf, cut);
		full_runs += seen.n == 2;
		CHECK(seen.n <= 2);
	}
	CHECK(full_runs > 0 && full_runs < (int)leaf_len);
	/* Not a certificate: nothing reported. */
	memset(&seen, 0, sizeof seen);
	cert_names_init(&w, names_found, &seen);
	cert_names_push(&w, "\x31\x82\xff\xff\x30\x30", 6);
	CHECK(seen.n == 0);

	/* Indexing loads no anchor; wanting one loads it once, with its key. */
	CHECK(trust_anchors_load(&t, "test/tmp/unit/bundle.pem") == 0);
	CHECK(t.n_index == 3 && t.n == 0);
	CHECK(trust_anchors_want(&t, seen.issuer) == 0); /* unknown name */
	CHECK(trust_anchors_want(&t, ca2_hash) == 1);
	CHECK(t.n == 1 && t.ta[0].flags == BR_X509_TA_CA && t.ta[0].pkey.key_type == BR_KEYTYPE_RSA);
	subject_hash(ca2, ca2_len, &dn, ca2_hash);
	CHECK(t.n == 1 && t.ta[0].dn.len == dn.len && memcmp(t.ta[0].dn.data, dn.data, dn.len) == 0);
	CHECK(trust_anchors_want(&t, ca2_hash) == 0);
	CHECK(trust_anchors_want(&t, ca3_hash) == 0);
	CHECK(trust_anchors_want(&t, leaf_hash) == 1);
	CHECK(t.n == 2 && t.ta[1].flags == 0 && /* not a CA: direct trust only */
	      t.ta[1].pkey.key_type == BR_KEYTYPE_EC && t.ta[1].pkey.key.ec.curve == BR_EC_secp256r1);
	/* The file changed under the index: an error, nothing half-loaded. */
	trust_anchors_free(&t);
	CHECK(trust_anchors_load(&t, "test/tmp/unit/ta1.pem") == 0 && t.n_index == 1);
	CHECK(write_file("test/tmp/unit/ta1.pem", "x", 1) == 0);
	CHECK(t.index[0].offset > 1);
	{
		unsigned char h[TRUST_NAME_HASH];

		memcpy(h, t.index[0].subject, sizeof h);
		CHECK(trust_anchors_want(&t, h) == -1 && t.n == 0);
	}
	trust_anchors_free(&t);
	CHECK(trust_anchors_load(&t, "test/tmp/unit/ta1.key") == -1);
	CHECK(trust_anchors_load(&t, "test/tmp/unit/none.pem") == -1);
}

/* ---- the small libc replacements in util.c, against glibc as the oracle ---- */

static void test_str_fmt(void)
{
	char out[64], ref[64];
	static const long long nums[] = { 0, 1, -1, 42, -2147483647LL - 1, 2147483647LL,
					  -9223372036854775807LL - 1, 9223372036854775807LL };

	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		CHECK(str_fmt(out, sizeof out, "<%lld>", nums[i]) ==
			      snprintf(ref, sizeof ref, "<%lld>", nums[i]) &&
		      strcmp(out, ref) == 0);
		CHECK(str_fmt(out, sizeof out, "%llu|%lx", (unsigned long long)nums[i],
			      (unsigned long)nums[i]) ==
			      snprintf(ref, sizeof ref, "%llu|%lx", (unsigned long long)nums[i],
				       (unsigned long)nums[i]) &&
		      strcmp(out, ref) == 0);
	}
	CHECK(str_fmt(out, sizeof out, "a%sb%dc%ud%zue%ld%lu%c%%", "xy", -7, 4000000000U, (size_t)9,
		      -123456789L, 99UL, 'Q') == 34 &&
	      strcmp(out, "axyb-7c4000000000d9e-12345678999Q%") == 0);
	{
		const char *volatile none = NULL; /* hidden from the format checker */

		CHECK(str_fmt(out, sizeof out, "%s", none) == 6 && strcmp(out, "(null)") == 0);
	}
	/* Cut like snprintf: the result tells the length the whole text needs. */
	CHECK(str_fmt(out, 5, "%s-%d", "abcdef", 12) == 9 && strcmp(out, "abcd") == 0);
	CHECK(str_fmt(out, 1, "xyz") == 3 && out[0] == '\0');
	CHECK(str_fmt(NULL, 0, "%d", 12345) == 5);
}

static void test_str_to_i64(void)
{
	const char *end = NULL;

	CHECK(str_to_i64("12345x", &end) == 12345 && *end == 'x');
	CHECK(str_to_i64("-42", &end) == -42 && *end == '\0');
	CHECK(str_to_i64("x1", &end) == 0 && strcmp(end, "x1") == 0);
	CHECK(str_to_i64("-", &end) == 0 && strcmp(end, "-") == 0);
	CHECK(str_to_i64(" 1", &end) == 0 && strcmp(end, " 1") == 0); /* no blanks skipped */
	CHECK(str_to_i64("9223372036854775807", NULL) == INT64_MAX);
	CHECK(str_to_i64("9223372036854775808", NULL) == INT64_MAX);
	CHECK(str_to_i64("-9223372036854775808", NULL) == INT64_MIN);
	CHECK(str_to_i64("99999999999999999999999", &end) == INT64_MAX && *end == '\0');
	CHECK(mem_find("ab\r\n\r\ncd", 8, "\r\n\r\n", 4) != NULL);
	CHECK(mem_find("ab\0\r\n\r\n", 7, "\r\n\r\n", 4) != NULL); /* past a NUL */
	CHECK(mem_find("ab\r\n\r", 5, "\r\n\r\n", 4) == NULL);
	CHECK(mem_find("abc", 3, "abcd", 4) == NULL && mem_find("abc", 3, "c", 1) != NULL);
}

static void test_time_format(void)
{
	char out[TIME_TEXT_MAX], ref[TIME_TEXT_MAX];
	int64_t t;

	/* Every 7 hours 13 minutes from 1900 to 2400, against glibc's gmtime_r. */
	for (t = -2208988800LL; t < 13569465600LL; t += 7 * 3600 + 13 * 60 + 7) {
		time_t tt = (time_t)t;
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(ref, sizeof ref, "%Y-%m-%dT%H:%M:%SZ", &tm);
		time_format(t, out, sizeof out);
		if (strcmp(out, ref) != 0 ||
		    time_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
				    tm.tm_sec) != t) {
			fprintf(stderr, "time %lld: %s, glibc %s\n", (long long)t, out, ref);
			CHECK(strcmp(out, ref) == 0);
			break;
		}
	}
	time_format(0, out, sizeof out);
	CHECK(strcmp(out, "1970-01-01T00:00:00Z") == 0);
	time_format(951782400, out, sizeof out);
	CHECK(strcmp(out, "2000-02-29T00:00:00Z") == 0);
}

static void test_retry_after(void)
{
	static const struct {
		const char *value;
		long want; /* seconds; with PICOACME_TEST_NOW=784111777 (1994-11-06 08:49:37) */
	} v[] = {
		{ "120", 120 },
		{ "Sun, 06 Nov 1994 08:49:37 GMT", 0 },
		{ "Sun, 06 Nov 1994 08:51:37 GMT", 120 },
		{ "Mon, 07 Nov 1994 08:49:37 GMT", 86400 },
		{ "Sun, 06 Nov 1994 08:49:37 UTC", -1 },
		{ "Sun, 06 Foo 1994 08:49:37 GMT", -1 },
		{ "Sun, 06 ovD 1994 08:49:37 GMT", -1 },
		{ "Sun, 6 Nov 1994 08:49:37 GMT", -1 },
		{ "Sun, 06 Nov 1994 08:49:-7 GMT", -1 },
		{ "12x", -1 },
	};
	struct http_client c;
	struct http_response r;
	struct http_framing f;
	char head[256];

	memset(&c, 0, sizeof c);
	strcpy(c.host, "ca.example");
	strcpy(c.port, "443");
	setenv("PICOACME_TEST_NOW", "784111777", 1);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		int n = snprintf(head, sizeof head,
				 "HTTP/1.1 503 Busy\r\nRetry-After: %s\r\nContent-Length: 0\r\n\r\n",
				 v[i].value);

		memset(&r, 0, sizeof r);
		CHECK(http_parse_head(&c, &r, head, (size_t)n, &f) == 0);
		if (r.retry_after != v[i].want)
			fprintf(stderr, "Retry-After %s: got %ld\n", v[i].value, r.retry_after);
		CHECK(r.retry_after == v[i].want);
	}
	unsetenv("PICOACME_TEST_NOW");
}

/* Link: the relations the client follows (up, alternate, next) become
 * absolute URLs on the CA; a relation that only starts like one does not. */
static void test_link_header(void)
{
	static const char head[] =
		"HTTP/1.1 200 OK\r\n"
		"Link: </dir>;rel=\"index\", <https://ca.example/list/2>;rel=\"next\"\r\n"
		"Link: </issuer>; rel=up, </alt/1>;rel=\"alternate\", </n>;rel=nextish\r\n"
		"Content-Length: 0\r\n\r\n";
	struct http_client c;
	struct http_response r;
	struct http_framing f;

	memset(&c, 0, sizeof c);
	strcpy(c.host, "ca.example");
	strcpy(c.port, "443");
	memset(&r, 0, sizeof r);
	CHECK(http_parse_head(&c, &r, head, sizeof head - 1, &f) == 0);
	CHECK(strcmp(r.link_next, "https://ca.example/list/2") == 0);
	CHECK(strcmp(r.link_up, "https://ca.example:443/issuer") == 0);
	CHECK(r.nalt == 1 && strcmp(r.link_alt[0], "https://ca.example:443/alt/1") == 0);
}

/* ---- resolve.c: DNS answers and hosts files ---- */

/* A response to query 0x1234 for ca.example: a CNAME through a compression
 * pointer, then the A record (192.0.2.7) and one of another type. */
static const unsigned char dns_answer[] = {
	0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0,
	2, 'C', 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1,
	0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, 'c', 'd', 'n', 0xc0, 15,
	0xc0, 40, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7,
	0xc0, 40, 0, 16, 0, 1, 0, 0, 0, 60, 0, 2, 1, 'x',
};

/* ---- the key holder's checks of the network process's requests ---- */

/* Runs one order's ca_call over pipes fed with msgs (n of them, then a
 * result). Returns ca_call's value; the answers are left in *answers. */
static int key_holder_call(struct ca *ca, struct netmsg *msgs, size_t n, int answers[2])
{
	static struct netmsg op, result;
	struct netproc np;
	int in[2];

	netproc_init(&np);
	if (pipe(in) < 0 || pipe(answers) < 0)
		return -2;
	memset(&result, 0, sizeof result);
	result.type = ASK_RESULT;
	result.b = -1;
	for (size_t i = 0; i < n; i++)
		netmsg_send(in[1], &msgs[i], NULL);
	netmsg_send(in[1], &result, NULL);
	close(in[1]);
	np.rfd = in[0];
	np.wfd = answers[1];
	ca->net = &np;
	memset(&op, 0, sizeof op);
	op.type = OP_ISSUE;
	int rc = ca_call(ca, &op, NULL);
	netproc_stop(&np); /* closes in[0] and answers[1] */
	return rc;
}

static void test_key_holder_checks(void)
{
	static struct key account, cert_key;
	static struct ca ca;
	static struct netmsg q[2], answer;
	static char body[ACME_MAX_JWS];
	static const char *const names[] = { "example.org", "*.example.org", "2001:db8::1" };
	struct challenger ch;
	struct challenge_task task;
	char keyauth[CHALLENGE_KEYAUTH_MAX], prot[512];
	int answers[2], n;

	CHECK(key_generate(&account, KEY_EC256) == 0 && key_generate(&cert_key, KEY_EC256) == 0);
	ca_init(&ca, NULL);
	CHECK(url_parse("https://ca.example:14000/dir", &ca.origin) == 0);
	str_copy(ca.kid, sizeof ca.kid, "https://ca.example:14000/acct/1");
	ca.keys[SIGN_ACCOUNT] = &account;
	CHECK(jws_thumbprint(&account, ca.thumbprint) == 0);

	/* a good request is signed: the header names the kid, nonce and URL asked */
	memset(q, 0, sizeof q);
	q[0].type = ASK_SIGN;
	str_copy(q[0].s[0], HTTP_MAX_URL, "https://ca.example:14000/order/1");
	str_copy(q[0].s[1], HTTP_MAX_URL, "AbC-_9");
	CHECK(key_holder_call(&ca, q, 1, answers) == 0);
	/* the operation sent, then the answer */
	CHECK(netmsg_recv(answers[0], &answer, body, sizeof body) == 0 && answer.type == OP_ISSUE);
	CHECK(netmsg_recv(answers[0], &answer, body, sizeof body) == 0 && answer.type == 0);
	close(answers[0]);
	n = strchr(body + 14, '"') ? (int)(strchr(body + 14, '"') - (body + 14)) : -1;
	n = n > 0 ? b64url_decode((unsigned char *)prot, sizeof prot - 1, body + 14, (size_t)n) : -1;
	CHECK(n > 0);
	prot[n > 0 ? n : 0] = '\0';
	CHECK(strstr(prot, "\"kid\":\"https://ca.example:14000/acct/1\"") != NULL &&
	      strstr(prot, "\"nonce\":\"AbC-_9\"") != NULL &&
	      strstr(prot, "\"url\":\"https://ca.example:14000/order/1\"") != NULL);

	/* each refusal ends the call without an answer */
	str_copy(q[0].s[0], HTTP_MAX_URL, "https://ca.example:14001/order/1"); /* another port */
	CHECK(key_holder_call(&ca, q, 1, answers) == -1);
	CHECK(netmsg_recv(answers[0], &answer, body, sizeof body) == 0 && answer.type == OP_ISSUE &&
	      read(answers[0], body, 1) == 0);
	close(answers[0]);
	str_copy(q[0].s[0], HTTP_MAX_URL, "https://evil.example:14000/order/1");
	CHECK(key_holder_call(&ca, q, 1, answers) == -1);
	close(answers[0]);
	str_copy(q[0].s[0], HTTP_MAX_URL, "https://ca.example:14000/order/1");
	str_copy(q[0].s[1], HTTP_MAX_URL, "AbC\",\"x"); /* not base64url */
	CHECK(key_holder_call(&ca, q, 1, answers) == -1);
	close(answers[0]);
	q[0].s[1][0] = '\0'; /* no nonce but for the inner key change */
	CHECK(key_holder_call(&ca, q, 1, answers) == -1);
	close(answers[0]);
	str_copy(q[0].s[1], HTTP_MAX_URL, "AbC");
	q[0].a = SIGN_CERT; /* no certificate key in use */
	CHECK(key_holder_call(&ca, q, 1, answers) == -1);
	close(answers[0]);
	ca.keys[SIGN_CERT] = &cert_key; /* in use, but never with the account's kid */
	CHECK(key_holder_call(&ca, q, 1, answers) == -1);
	close(answers[0]);
	q[0].b = 1; /* with its jwk, as revocation by it signs */
	CHECK(key_holder_call(&ca, q, 1, answers) == 0);
	close(answers[0]);
	ca.keys[SIGN_CERT] = NULL;
	q[0].a = 9;
	CHECK(key_holder_call(&ca, q, 1, answers) == -1);
	close(answers[0]);
	memset(q, 0, sizeof q);
	q[0].type = ASK_CSR; /* outside an order */
	CHECK(key_holder_call(&ca, q, 1, answers) == -1);
	close(answers[0]);
	q[0].type = ASK_CH_WAIT;
	q[0].c = 1; /* outside an order */
	CHECK(key_holder_call(&ca, q, 1, answers) == -1);
	close(answers[0]);
	q[0].type = ASK_RESULT;
	q[0].line[0] = '\n'; /* a control character in the line */
	CHECK(key_holder_call(&ca, q, 1, answers) == -1);
	close(answers[0]);

	/* challenges: only for the names ordered, the key authorization made here */
	challenger_init(&ch);
	ca.ch = &ch;
	memset(q, 0, sizeof q);
	q[0].type = ASK_CH_WAIT;
	q[0].c = 1; /* within an order: waited */
	CHECK(key_holder_call(&ca, q, 1, answers) == 0);
	CHECK(netmsg_recv(answers[0], &answer, body, sizeof body) == 0 &&
	      netmsg_recv(answers[0], &answer, body, sizeof body) == 0 && answer.type == 0);
	close(answers[0]);
	q[0].c = 3600 * 1000; /* longer than any Retry-After is honoured */
	CHECK(key_holder_call(&ca, q, 1, answers) == -1);
	close(answers[0]);
	ca.names = names;
	ca.nnames = 3;
	memset(q, 0, sizeof q);
	str_copy(q[0].s[0], HTTP_MAX_URL, "example.org");
	str_copy(q[0].s[1], HTTP_MAX_URL, "tok_1");
	CHECK(ca_challenge_task(&ca, &q[0], &task, keyauth) == NULL && strcmp(task.keyauth, keyauth) == 0 &&
	      strncmp(keyauth, "tok_1.", 6) == 0 && strcmp(keyauth + 6, ca.thumbprint) == 0);
	str_copy(q[0].s[0], HTTP_MAX_URL, "2001:DB8:0::1"); /* the same address */
	q[0].a = 1;
	CHECK(ca_challenge_task(&ca, &q[0], &task, keyauth) == NULL && task.ip == 1);
	q[0].a = 0; /* as a name it is not one ordered */
	CHECK(ca_challenge_task(&ca, &q[0], &task, keyauth) != NULL);
	str_copy(q[0].s[0], HTTP_MAX_URL, "other.example.org");
	CHECK(ca_challenge_task(&ca, &q[0], &task, keyauth) != NULL);
	str_copy(q[0].s[0], HTTP_MAX_URL, "*.example.org");
	str_copy(q[0].s[1], HTTP_MAX_URL, "tok/../1");
	CHECK(ca_challenge_task(&ca, &q[0], &task, keyauth) != NULL);
	ch.method = CHALLENGE_DNS_PERSIST01;
	str_copy(q[0].s[2], HTTP_MAX_URL, "letsencrypt.org ca.example");
	CHECK(ca_challenge_task(&ca, &q[0], &task, keyauth) == NULL && task.keyauth == NULL &&
	      strcmp(task.account_url, ca.kid) == 0);
	str_copy(q[0].s[2], HTTP_MAX_URL, "ca.example; rm");
	CHECK(ca_challenge_task(&ca, &q[0], &task, keyauth) != NULL);
	q[0].s[2][0] = '\0';
	CHECK(ca_challenge_task(&ca, &q[0], &task, keyauth) != NULL);
	ca.ch = NULL;
	CHECK(ca_challenge_task(&ca, &q[0], &task, keyauth) != NULL);
	key_free(&account);
	key_free(&cert_key);
}

static void test_dns_response(void)
{
	unsigned char m[sizeof dns_answer];
	struct resolved out = { .n = 0 };
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&out.addr[0];

	CHECK(dns_parse_response(dns_answer, sizeof dns_answer, 0x1234, "ca.example", 1, 443, &out) == 0);
	CHECK(out.n == 1 && s4->sin_family == AF_INET && ntohs(s4->sin_port) == 443 &&
	      memcmp(&s4->sin_addr, "\xc0\x00\x02\x07", 4) == 0);
	/* The same record twice is kept once. */
	CHECK(dns_parse_response(dns_answer, sizeof dns_answer, 0x1234, "CA.EXAMPLE", 1, 443, &out) == 0 &&
	      out.n == 1);
	out.n = 0;
	CHECK(dns_parse_response(dns_answer, sizeof dns_answer, 0x1235, "ca.example", 1, 443, &out) == -1);
	CHECK(dns_parse_response(dns_answer, sizeof dns_answer, 0x1234, "cb.example", 1, 443, &out) == -1);
	CHECK(dns_parse_response(dns_answer, sizeof dns_answer, 0x1234, "ca.example", 28, 443, &out) == -1);
	for (size_t cut = 0; cut < sizeof dns_answer; cut++)
		CHECK(dns_parse_response(dns_answer, cut, 0x1234, "ca.example", 1, 443, &out) == -1);
	CHECK(out.n == 0);
	memcpy(m, dns_answer, sizeof m);
	m[2] &= 0x7f; /* a query, not a response */
	CHECK(dns_parse_response(m, sizeof m, 0x1234, "ca.example", 1, 443, &out) == -1);
	memcpy(m, dns_answer, sizeof m);
	m[3] = 0x83; /* NXDOMAIN */
	m[7] = 0;
	CHECK(dns_parse_response(m, 28, 0x1234, "ca.example", 1, 443, &out) == 3 && out.n == 0);
	memcpy(m, dns_answer, sizeof m);
	m[46] = 0x80; /* a reserved label type in an owner name */
	CHECK(dns_parse_response(m, sizeof m, 0x1234, "ca.example", 1, 443, &out) == -1);
}

/* A TXT answer for _acme-challenge.a.example: a record of two strings, a
 * CNAME, a record of one string. */
static const unsigned char txt_answer[] = {
	0x42, 0x42, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0,
	15, '_', 'a', 'c', 'm', 'e', '-', 'c', 'h', 'a', 'l', 'l', 'e', 'n', 'g', 'e',
	1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 16, 0, 1,
	0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 6, 2, 'a', 'b', 2, 'c', 'd',
	0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 28,
	0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 4, 3, 'x', 'y', 'z',
};

/* An NS answer for example: ns1.example through a pointer, a name that
 * points at itself, a name with a space. */
static const unsigned char ns_answer[] = {
	0x42, 0x42, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0,
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 2, 0, 1,
	0xc0, 12, 0, 2, 0, 1, 0, 0, 0, 60, 0, 6, 3, 'n', 's', '1', 0xc0, 12,
	0xc0, 12, 0, 2, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 55,
	0xc0, 12, 0, 2, 0, 1, 0, 0, 0, 60, 0, 4, 2, 'a', ' ', 0,
};

static void test_dns_txt_ns(void)
{
	char txt[64], names[DNS_MAX_AUTH][DNS_NAME_TEXT];
	size_t n = 9;
	int cname = 0;

	CHECK(dns_parse_txt(txt_answer, sizeof txt_answer, 0x4242, "_acme-challenge.a.example", txt,
			    sizeof txt, &n, &cname) == 0);
	CHECK(n == 2 && cname == 1 && strcmp(txt, "abcd") == 0 && strcmp(txt + 5, "xyz") == 0);
	/* a record that does not fit is left out whole */
	CHECK(dns_parse_txt(txt_answer, sizeof txt_answer, 0x4242, "_acme-challenge.a.example", txt,
			    6, &n, &cname) == 0 && n == 1 && strcmp(txt, "abcd") == 0);
	CHECK(dns_parse_txt(txt_answer, sizeof txt_answer, 0x4242, "_acme-challenge.a.example", txt,
			    4, &n, &cname) == 0 && n == 1 && strcmp(txt, "xyz") == 0);
	for (size_t cut = 0; cut < sizeof txt_answer; cut++)
		CHECK(dns_parse_txt(txt_answer, cut, 0x4242, "_acme-challenge.a.example", txt, sizeof txt,
				    &n, &cname) == -1 && n == 0);
	CHECK(dns_parse_txt(txt_answer, sizeof txt_answer, 0x4242, "_acme-challenge.b.example", txt,
			    sizeof txt, &n, &cname) == -1);
	CHECK(dns_parse_ns(ns_answer, sizeof ns_answer, 0x4242, "example", names, DNS_MAX_AUTH, &n) == 0);
	CHECK(n == 1 && strcmp(names[0], "ns1.example") == 0);
	CHECK(dns_parse_ns(ns_answer, sizeof ns_answer, 0x4242, "example", names, 0, &n) == 0 && n == 0);
	for (size_t cut = 0; cut < sizeof ns_answer; cut++)
		CHECK(dns_parse_ns(ns_answer, cut, 0x4242, "example", names, DNS_MAX_AUTH, &n) == -1);
}

static void test_dns_persist_match(void)
{
	static const char url[] = "https://ca.example/acct/1";
	static const char issuers[] = "other.example ca.example";
	char line[256];

	CHECK(dns_persist_match("ca.example; accounturi=https://ca.example/acct/1", issuers, url, 0));
	CHECK(dns_persist_match("CA.Example.;accounturi=https://ca.example/acct/1", issuers, url, 0));
	CHECK(!dns_persist_match("ca.example; accounturi=https://ca.example/acct/1", issuers, url, 1));
	CHECK(dns_persist_match("ca.example; accounturi=https://ca.example/acct/1; policy=wildcard",
				issuers, url, 1));
	CHECK(dns_persist_match("ca.example ;Policy = WILDCARD ; accounturi = https://ca.example/acct/1",
				issuers, url, 1));
	CHECK(!dns_persist_match("ca.example; accounturi=https://ca.example/acct/12", issuers, url, 0));
	CHECK(!dns_persist_match("ca.example; accounturi=https://ca.example/acct/", issuers, url, 0));
	CHECK(!dns_persist_match("ca.example; accounturi=HTTPS://ca.example/acct/1", issuers, url, 0));
	CHECK(!dns_persist_match("ca.exampl; accounturi=https://ca.example/acct/1", issuers, url, 0));
	CHECK(!dns_persist_match("example; accounturi=https://ca.example/acct/1", issuers, url, 0));
	CHECK(!dns_persist_match("", issuers, url, 0));
	CHECK(!dns_persist_match("ca.example", issuers, url, 0));
	CHECK(dns_persist_record(line, sizeof line, "a.example", "ca.example", url, 1) > 0);
	CHECK(strcmp(line, "_validation-persist.a.example. IN TXT \"ca.example; "
			   "accounturi=https://ca.example/acct/1; policy=wildcard\"") == 0);
	CHECK(dns_persist_record(line, 40, "a.example", "ca.example", url, 0) == -1);
}

static void test_dns01_value(void)
{
	static struct dns_challenges d;
	char name[DNS01_NAME_MAX];

	dns_challenges_init(&d, "/bin/true", 0, 0);
	/* the value: base64url(SHA-256(key authorization)), here from Python's hashlib */
	CHECK(dns01_add(&d, "*.a.example", "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA."
					   "nP1qzpXGymHBrUEepNY9HCsQk7K8KhOypzEt62jcerQ") == 0);
	dns_record_name(&d, &d.r[0], name);
	CHECK(d.n == 1 && d.r[0].wildcard && strcmp(name, "_acme-challenge.a.example") == 0);
	CHECK(strcmp(d.r[0].value, "NGwKoXBgCT8JhEa0bK7AwfSqHyu_ZWeugV07fLGIVq0") == 0);
	CHECK(d.wait_s == DNS01_DEFAULT_WAIT_S);
}

static void test_alpn_cert(void)
{
	static struct alpn_certs a;
	static const unsigned char oid[] = { 0x06, 8, 0x2b, 6, 1, 5, 5, 7, 1, 0x1f, 0x01, 1, 0xff,
					     0x04, 34, 0x04, 32 };
	static const unsigned char v4[] = { 192, 0, 2, 1 };
	unsigned char digest[32], der[ALPN_CERT_MAX], der2[ALPN_CERT_MAX];
	br_sha256_context h;
	char sni[ALPN_SNI_MAX];
	const unsigned char *p;
	int len, len2;

	CHECK(alpn_sni_name("a.example", sni, sizeof sni) == 0 && strcmp(sni, "a.example") == 0);
	CHECK(alpn_sni_name("192.0.2.1", sni, sizeof sni) == 0 && strcmp(sni, "1.2.0.192.in-addr.arpa") == 0);
	CHECK(alpn_sni_name("2001:db8::1", sni, sizeof sni) == 0 &&
	      strcmp(sni, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa") == 0);
	CHECK(alpn_sni_name("2001:db8::1", sni, 60) == -1);
	alpn_init(&a);
	CHECK(alpn_add(&a, "a.example", "tok.thumb") == 0 && alpn_add(&a, "192.0.2.1", "tok2.thumb") == 0);
	CHECK(a.n == 2);
	len = alpn_cert_for(&a, "A.Example", der, sizeof der);
	CHECK(len > 0);
	br_sha256_init(&h);
	br_sha256_update(&h, "tok.thumb", 9);
	br_sha256_out(&h, digest);
	/* the critical acmeIdentifier extension holds the digest */
	p = memmem(der, (size_t)len, oid, sizeof oid);
	CHECK(p != NULL && memcmp(p + sizeof oid, digest, 32) == 0);
	CHECK(cert_has_dns_name(der, (size_t)len, "a.example") == 1);
	CHECK(cert_has_dns_name(der, (size_t)len, "b.example") == 0);
	CHECK(cert_key_matches(der, (size_t)len, &a.key));
	len2 = alpn_cert_for(&a, "1.2.0.192.in-addr.arpa", der2, sizeof der2);
	CHECK(len2 > 0 && cert_has_ip_address(der2, (size_t)len2, v4, 4) == 1);
	CHECK(cert_has_dns_name(der2, (size_t)len2, "192.0.2.1") == 0);
	CHECK(alpn_cert_for(&a, "192.0.2.1", der2, sizeof der2) == -1); /* by its SNI name only */
	CHECK(alpn_cert_for(&a, "a.example", der2, 100) == -1);
	alpn_free(&a);
	CHECK(a.e == NULL && a.n == 0);
}

static void test_csr_ip(void)
{
	static struct key k;
	static const char *const names[] = { "192.0.2.1", "2001:db8::1", "a.example" };
	static const unsigned char v4[] = { 0x87, 4, 192, 0, 2, 1 };
	static const unsigned char v6[] = { 0x87, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					    0, 0, 0, 0, 0, 0, 0, 1 };
	static const unsigned char cn[] = { 0x06, 3, 0x55, 4, 3 };
	unsigned char csr[2048];
	int len;

	CHECK(key_generate(&k, KEY_EC256) == 0);
	len = key_csr(&k, names, 3, csr, sizeof csr);
	CHECK(len > 0);
	CHECK(memmem(csr, (size_t)len, v4, sizeof v4) != NULL);
	CHECK(memmem(csr, (size_t)len, v6, sizeof v6) != NULL);
	CHECK(memmem(csr, (size_t)len, "\x82\x09" "a.example", 11) != NULL);
	CHECK(memmem(csr, (size_t)len, cn, sizeof cn) == NULL); /* no CN for an address */
	key_free(&k);
}

static void test_addr_text(void)
{
	/* RFC 5952 §4 */
	static const char *const v[][2] = {
		{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
		{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" }, /* one zero group stays */
		{ "2001:0:0:1:0:0:0:1", "2001:0:0:1::1" },           /* the longest run */
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },     /* the first of equal runs */
		{ "0:0:0:0:0:0:0:0", "::" },
		{ "0::1", "::1" },
		{ "1:0:0:0:0:0:0:0", "1::" },
		{ "FE80:0:0:0:0:0:0:ABCD", "fe80::abcd" },
		{ "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
	};
	unsigned char ip[16];
	char out[64];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		CHECK(inet_pton(AF_INET6, v[i][0], ip) == 1);
		CHECK(addr_text(ip, 16, out, sizeof out) == 0);
		if (strcmp(out, v[i][1]) != 0)
			fprintf(stderr, "%s: got %s, want %s\n", v[i][0], out, v[i][1]);
		CHECK(strcmp(out, v[i][1]) == 0);
	}
	CHECK(inet_pton(AF_INET, "192.0.2.255", ip) == 1 && addr_text(ip, 4, out, sizeof out) == 0 &&
	      strcmp(out, "192.0.2.255") == 0);
	CHECK(addr_text(ip, 4, out, 11) == -1 && addr_text(ip, 16, out, 39) == -1);
}

static void test_hosts_lookup(void)
{
	static const char hosts[] = "# comment ca.example\n"
				    "127.0.0.1 localhost\n"
				    "192.0.2.1\tother ca.example # trailing comment\r\n"
				    "2001:db8::5 CA.Example\n"
				    "not-an-address ca.example\n"
				    "192.0.2.9 ca.example.org\n"
				    "192.0.2.1 ca.example";
	struct resolved out = { .n = 0 };
	struct sockaddr_storage ss;
	socklen_t len;

	hosts_lookup(hosts, sizeof hosts - 1, "ca.example", 80, &out);
	CHECK(out.n == 2 && out.addr[0].ss_family == AF_INET && out.addr[1].ss_family == AF_INET6);
	CHECK(addr_numeric("::1", 1, &ss, &len) == 0 && ss.ss_family == AF_INET6 && len == sizeof(struct sockaddr_in6));
	CHECK(addr_numeric("10.0.0.1", 1, &ss, &len) == 0 && len == sizeof(struct sockaddr_in));
	CHECK(addr_numeric("10.0.0", 1, &ss, &len) == -1 && addr_numeric("ca.example", 1, &ss, &len) == -1);
	/* Link-local nameservers name their interface (resolv.conf). */
	CHECK(addr_numeric("fe80::1%lo", 53, &ss, &len) == 0 &&
	      ((struct sockaddr_in6 *)&ss)->sin6_scope_id == if_nametoindex("lo") &&
	      if_nametoindex("lo") != 0);
	CHECK(addr_numeric("fe80::1%7", 53, &ss, &len) == 0 &&
	      ((struct sockaddr_in6 *)&ss)->sin6_scope_id == 7);
	CHECK(addr_numeric("fe80::1%", 53, &ss, &len) == -1);
	CHECK(addr_numeric("fe80::1%no-such-if0", 53, &ss, &len) == -1);
	CHECK(addr_numeric("10.0.0.1%lo", 53, &ss, &len) == -1);
}

/* resolve_host on files: a comment line longer than the read buffer is
 * skipped whole (its tail is no entry); names longer than DNS allows are
 * refused before any query. */
static void test_resolve_files(void)
{
	static char big[4096];
	char why[128], name[300];
	struct resolved out;
	size_t n;

	n = (size_t)str_fmt(big, sizeof big, "#");
	memset(big + n, 'x', 2047);
	n += 2047;
	n += (size_t)str_fmt(big + n, sizeof big - n,
			     "127.0.0.1 victim.test\n192.0.2.7 other.test\n");
	CHECK(write_file("test/tmp/unit/hosts", big, n) == 0);
	CHECK(write_file("test/tmp/unit/resolv.conf", "nameserver 127.0.0.1\n", 21) == 0);
	setenv("PICOACME_TEST_HOSTS", "test/tmp/unit/hosts", 1);
	setenv("PICOACME_TEST_RESOLV_CONF", "test/tmp/unit/resolv.conf", 1);
	setenv("PICOACME_TEST_DNS_PORT", "9", 1); /* nothing answers there */
	CHECK(resolve_host("other.test", 443, now_ms() + 200, &out, why, sizeof why) == 0 && out.n == 1);
	CHECK(resolve_host("victim.test", 443, now_ms() + 200, &out, why, sizeof why) == -1);
	/* 253 characters: a valid name, asked (nobody answers); 254: refused. */
	memset(name, 'a', 253);
	for (int i = 63; i < 253; i += 64)
		name[i] = '.';
	name[253] = '\0';
	CHECK(resolve_host(name, 443, now_ms() + 200, &out, why, sizeof why) == -1 &&
	      strstr(why, "no answer") != NULL);
	name[253] = 'a';
	name[254] = '\0';
	CHECK(resolve_host(name, 443, now_ms() + 200, &out, why, sizeof why) == -1 &&
	      strcmp(why, "not a valid host name") == 0);
	name[253] = '.';
	CHECK(resolve_host(name, 443, now_ms() + 200, &out, why, sizeof why) == -1 &&
	      strstr(why, "no answer") != NULL);
	unsetenv("PICOACME_TEST_HOSTS");
	unsetenv("PICOACME_TEST_RESOLV_CONF");
	unsetenv("PICOACME_TEST_DNS_PORT");
}

int main(void)
{
	run_cmd("mkdir -p test/tmp/unit");
	RUN(test_alloc_zeroed);
	RUN(test_b64url);
	RUN(test_thumbprint_rfc7638);
	RUN(test_rfc7515_a3);
	RUN(test_jws_own);
	RUN(test_key_authorization);
	RUN(test_json_read);
	RUN(test_json_unescape);
	RUN(test_json_write);
	RUN(test_url_parse);
	RUN(test_chunked);
	RUN(test_csr_openssl);
	RUN(test_key_pem_errors);
	RUN(test_rsa_keys_from_openssl);
	RUN(test_der_time);
	RUN(test_chain_pem);
	RUN(test_names);
	RUN(test_problem_line);
	RUN(test_sanitize);
	RUN(test_responder_answer);
	RUN(test_responder_table);
	RUN(test_store);
	RUN(test_settings);
	RUN(test_rfc3339);
	RUN(test_ari_cert_id);
	RUN(test_str_fmt);
	RUN(test_str_to_i64);
	RUN(test_time_format);
	RUN(test_retry_after);
	RUN(test_link_header);
	RUN(test_key_holder_checks);
	RUN(test_dns_response);
	RUN(test_dns_txt_ns);
	RUN(test_addr_text);
	RUN(test_dns_persist_match);
	RUN(test_dns01_value);
	RUN(test_csr_ip);
	RUN(test_alpn_cert);
	RUN(test_hosts_lookup);
	RUN(test_resolve_files);
	RUN(test_ecdsa_rfc6979);
	RUN(test_ecdsa_expanding_der);
	RUN(test_pem_reader);
	RUN(test_trust_anchors);
	printf("unit: %d passed, %d failed\n", tests_passed, tests_failed);
	return tests_failed ? 1 : 0;
}
