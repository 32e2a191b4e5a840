/* jws.c - see jws.h */
#include "jws.h"
#include "json.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static const char B64URL[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int b64url_encode(char *out, size_t cap, const void *in, size_t len)
{
	const unsigned char *p = in;
	size_t need = len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
	size_t n = 0, i;

	if (need + 1 > cap)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		out[n++] = B64URL[v >> 18];
		out[n++] = B64URL[(v >> 12) & 63];
		out[n++] = B64URL[(v >> 6) & 63];
		out[n++] = B64URL[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)p[i] << 16;

		out[n++] = B64URL[v >> 18];
		out[n++] = B64URL[(v >> 12) & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

		out[n++] = B64URL[v >> 18];
		out[n++] = B64URL[(v >> 12) & 63];
		out[n++] = B64URL[(v >> 6) & 63];
	}
	out[n] = '\0';
	return (int)n;
}

static int b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int b64url_valid(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (b64url_value(s[i]) < 0)
			return 0;
	return 1;
}

int b64url_decode(unsigned char *out, size_t cap, const char *in, size_t len)
{
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0;

	while (len > 0 && in[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = b64url_value(in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= cap)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* Leftover bits must be zero for a canonical encoding. */
	if (acc & ((1u << bits) - 1))
		return -1;
	return (int)n;
}

/* Emits "key":"base64url(data)" through the writer. */
static void jw_b64(struct jw *w, const char *key, const unsigned char *data, size_t len)
{
	char enc[700];
	int n = b64url_encode(enc, sizeof enc, data, len);

	if (n < 0) {
		w->err = 1;
		return;
	}
	jw_key(w, key);
	jw_strn(w, enc, (size_t)n);
}

int jws_jwk(const struct key *k, char *out, size_t cap)
{
	struct key_public pub;
	struct jw w;

	key_public(k, &pub);
	jw_init(&w, out, cap);
	jw_obj_begin(&w);
	if (pub.crv != NULL) {
		jw_key(&w, "crv");
		jw_str(&w, pub.crv);
		jw_key(&w, "kty");
		jw_str(&w, "EC");
		jw_b64(&w, "x", pub.x, pub.coord_len);
		jw_b64(&w, "y", pub.y, pub.coord_len);
	} else {
		jw_b64(&w, "e", pub.e, pub.elen);
		jw_key(&w, "kty");
		jw_str(&w, "RSA");
		jw_b64(&w, "n", pub.n, pub.nlen);
	}
	jw_obj_end(&w);
	return jw_finish(&w);
}

int jws_thumbprint(const struct key *k, char out[44])
{
	char jwk[1024];
	unsigned char h[32];
	br_sha256_context sc;
	int n = jws_jwk(k, jwk, sizeof jwk);

	if (n < 0)
		return -1;
	br_sha256_init(&sc);
	br_sha256_update(&sc, jwk, (size_t)n);
	br_sha256_out(&sc, h);
	return b64url_encode(out, 44, h, sizeof h) == 43 ? 0 : -1;
}

int jws_sign(const struct key *k, const char *kid, const char *nonce,
	     const char *url, const char *payload, char *out, size_t cap)
{
	char prot[1600], jwk[1024];
	unsigned char sig[KEY_MAX_SIG];
	struct jw w;
	size_t plen = payload ? strlen(payload) : 0;
	size_t n, signing_len;
	int m, siglen;

	jw_init(&w, prot, sizeof prot);
	jw_obj_begin(&w);
	jw_key(&w, "alg");
	jw_str(&w, key_jws_alg(k));
	if (kid != NULL) {
		jw_key(&w, "kid");
		jw_str(&w, kid);
	} else {
		if (jws_jwk(k, jwk, sizeof jwk) < 0)
			return -1;
		jw_key(&w, "jwk");
		jw_raw(&w, jwk);
	}
	if (nonce != NULL) {
		jw_key(&w, "nonce");
		jw_str(&w, nonce);
	}
	jw_key(&w, "url");
	jw_str(&w, url);
	jw_obj_end(&w);
	if (jw_finish(&w) < 0)
		return -1;

	/* Lay out {"protected":"P","payload":"Q","signature":"S"} directly in
	 * out so the signing input P.Q is contiguous and needs no copy. */
	static const char head[] = "{\"protected\":\"";
	static const char mid[] = "\",\"payload\":\"";
	static const char tail_sig[] = "\",\"signature\":\"";
	n = sizeof head - 1;
	if (cap < n + 1)
		return -1;
	memcpy(out, head, n);
	m = b64url_encode(out + n, cap - n, prot, w.len);
	if (m < 0)
		return -1;
	size_t sign_start = n;
	n += (size_t)m;
	if (cap - n < sizeof mid + 1)
		return -1;
	/* The signing input uses '.', swapped for the JSON separator after. */
	out[n] = '.';
	size_t dot = n;
	n += 1;
	m = b64url_encode(out + n, cap - n, payload ? payload : "", plen);
	if (m < 0)
		return -1;
	n += (size_t)m;
	signing_len = n - sign_start;
	siglen = key_sign(k, out + sign_start, signing_len, sig, sizeof sig);
	if (siglen < 0)
		return -1;
	/* Shift the payload right to make room for the JSON separator. */
	size_t payload_len = n - dot - 1;
	if (cap - n < sizeof mid - 1 - 1 + sizeof tail_sig)
		return -1;
	memmove(out + dot + sizeof mid - 1, out + dot + 1, payload_len);
	memcpy(out + dot, mid, sizeof mid - 1);
	n = dot + sizeof mid - 1 + payload_len;
	if (cap - n < sizeof tail_sig)
		return -1;
	memcpy(out + n, tail_sig, sizeof tail_sig - 1);
	n += sizeof tail_sig - 1;
	m = b64url_encode(out + n, cap - n, sig, (size_t)siglen);
	if (m < 0 || cap - n - (size_t)m < 3)
		return -1;
	n += (size_t)m;
	memcpy(out + n, "\"}", 3);
	return (int)(n + 2);
}

int jws_eab(const struct key *account, const char *kid, const unsigned char *hmac_key,
	    size_t key_len, const char *url, char *out, size_t cap)
{
	char prot[1024], jwk[1024], pb64[1400], jb64[1400], sb64[64];
	unsigned char mac[32];
	br_hmac_key_context kc;
	br_hmac_context hc;
	struct jw w;
	int plen, jlen, ret = -1;

	jw_init(&w, prot, sizeof prot);
	jw_obj_begin(&w);
	jw_key(&w, "alg");
	jw_str(&w, "HS256");
	jw_key(&w, "kid");
	jw_str(&w, kid);
	jw_key(&w, "url");
	jw_str(&w, url);
	jw_obj_end(&w);
	if (jw_finish(&w) < 0 || jws_jwk(account, jwk, sizeof jwk) < 0)
		goto out;
	plen = b64url_encode(pb64, sizeof pb64, prot, w.len);
	jlen = b64url_encode(jb64, sizeof jb64, jwk, strlen(jwk));
	if (plen < 0 || jlen < 0)
		goto out;
	br_hmac_key_init(&kc, &br_sha256_vtable, hmac_key, key_len);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, pb64, (size_t)plen);
	br_hmac_update(&hc, ".", 1);
	br_hmac_update(&hc, jb64, (size_t)jlen);
	br_hmac_out(&hc, mac);
	if (b64url_encode(sb64, sizeof sb64, mac, sizeof mac) < 0)
		goto out;
	jw_init(&w, out, cap);
	jw_obj_begin(&w);
	jw_key(&w, "protected");
	jw_str(&w, pb64);
	jw_key(&w, "payload");
	jw_str(&w, jb64);
	jw_key(&w, "signature");
	jw_str(&w, sb64);
	jw_obj_end(&w);
	ret = jw_finish(&w);
out:
	wipe(&kc, sizeof kc);
	wipe(&hc, sizeof hc);
	wipe(mac, sizeof mac);
	return ret;
}

int jws_key_authorization(const char *token, const char *thumbprint,
			  char *out, size_t cap)
{
	int n = str_fmt(out, cap, "%s.%s", token, thumbprint);

	return n < 0 || (size_t)n >= cap ? -1 : n;
}

void jws_key_authorization_digest(const char *keyauth, unsigned char out[32])
{
	br_sha256_context sc;

	br_sha256_init(&sc);
	br_sha256_update(&sc, keyauth, strlen(keyauth));
	br_sha256_out(&sc, out);
}
