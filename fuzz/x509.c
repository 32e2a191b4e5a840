/* Fuzz target: a server's certificate chain through X.509 validation exactly
 * as http.c sets it up (http_x509_setup: the trust index over a CA file, the
 * hashes, BearSSL's RSA and ECDSA verifiers), with the anchors loaded as the
 * chain names them and the iPAddress check of IP-literal servers.
 * Input: one byte choosing the name check (localhost, none, 127.0.0.1,
 * ::1), then certificates, each as a 2-byte big-endian length and its DER.
 * Anchors: $PICOACME_FUZZ_ANCHORS, or fuzz/x509-anchors.pem (the root the
 * seeds in fuzz/corpus/x509 chain to, and two public roots). */
#define FUZZ_WITH_ANCHORS
#include "fuzz.h"

#include "../http.h"
#include "../trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct trust_x509 x;
	static const unsigned char ip4[4] = { 127, 0, 0, 1 };
	static const unsigned char ip6[16] = { [15] = 1 };
	const br_x509_class **vt = &x.vtable;
	unsigned mode, rc;
	size_t i;

	if (size < 1)
		return 0;
	mode = data[0] & 3;
	http_x509_setup(&x, fuzz_anchors());
	if (mode == 2)
		trust_x509_expect_ip(&x, ip4, sizeof ip4);
	if (mode == 3)
		trust_x509_expect_ip(&x, ip6, sizeof ip6);
	(*vt)->start_chain(vt, mode == 0 ? "localhost" : NULL);
	for (i = 1; i + 2 <= size;) {
		size_t len = (size_t)data[i] << 8 | data[i + 1], half;

		i += 2;
		if (len > size - i)
			len = size - i;
		(*vt)->start_cert(vt, (uint32_t)len);
		/* in two pieces, as records split a certificate */
		half = len / 2;
		(*vt)->append(vt, data + i, half);
		(*vt)->append(vt, data + i + half, len - half);
		(*vt)->end_cert(vt);
		i += len;
	}
	rc = (*vt)->end_chain(vt);
	if (rc == 0) {
		unsigned usages;

		(*vt)->get_pkey(vt, &usages);
	}
	/* To check what the seeds reach: 0 is a valid chain, else BR_ERR_X509_* */
	if (getenv("PICOACME_FUZZ_VERBOSE"))
		fprintf(stderr, "x509: end_chain %u\n", rc);
	return 0;
}
