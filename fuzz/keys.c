/* Fuzz target: the private key readers (PKCS#8, SEC1, PKCS#1 PEM) and the
 * writers. A key that loads must survive the round trip through key_to_pem
 * and key_from_pem with the same public key, sign, and make a CSR for names
 * taken from the input whose DER framing is exact. */
#include "fuzz.h"

#include "../key.h"
#include "../util.h"

#include <stdlib.h>
#include <string.h>

/* 1 if der is exactly one DER element (short or long definite length). */
static int one_element(const unsigned char *der, size_t len)
{
	size_t n, i = 2;

	if (len < 2)
		return 0;
	n = der[1];
	if (n & 0x80) {
		size_t k = n & 0x7f;

		if (k == 0 || k > 3 || len < 2 + k)
			return 0;
		n = 0;
		for (size_t j = 0; j < k; j++)
			n = n << 8 | der[2 + j];
		i += k;
	}
	return i + n == len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct key k, again;
	static char pem[KEY_MAX_PEM];
	static unsigned char csr[8192], sig[KEY_MAX_SIG];
	char names_buf[4][64];
	const char *names[4];
	size_t nnames = 0;
	struct key_public p1, p2;
	int n;

	if (key_from_pem(&k, (const char *)data, size) != 0)
		return 0;
	n = key_to_pem(&k, pem, sizeof pem);
	if (n < 0 || key_from_pem(&again, pem, (size_t)n) != 0)
		abort();
	key_public(&k, &p1);
	key_public(&again, &p2);
	if (p1.coord_len != p2.coord_len || p1.nlen != p2.nlen || p1.elen != p2.elen ||
	    (p1.x && memcmp(p1.x, p2.x, p1.coord_len) != 0) ||
	    (p1.n && memcmp(p1.n, p2.n, p1.nlen) != 0) ||
	    (p1.e && memcmp(p1.e, p2.e, p1.elen) != 0))
		abort();
	if (key_sign(&k, data, size, sig, sizeof sig) <= 0)
		abort();
	/* Up to four names from the last bytes of the input. */
	for (size_t i = 0; i < 4 && i < size; i++) {
		size_t len = 1 + data[size - 1 - i] % 60;

		for (size_t j = 0; j < len; j++)
			names_buf[i][j] = "abcdefghijklmnopqrstuvwxyz0123456789-."[(data[(i * 7 + j) % size]) % 38];
		names_buf[i][len] = '\0';
		names[nnames++] = names_buf[i];
	}
	n = key_csr(&k, names, nnames, csr, sizeof csr);
	if (n <= 0 || !one_element(csr, (size_t)n) || csr[0] != 0x30)
		abort();
	key_free(&k);
	key_free(&again);
	wipe(pem, sizeof pem);
	return 0;
}
