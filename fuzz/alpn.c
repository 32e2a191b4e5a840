/* Fuzz target: the tls-alpn-01 responder's TLS server (alpn.c: BearSSL's
 * server engine, ALPN, the per-SNI certificate policy) fed a client's side
 * of a handshake through the engine API, no sockets. Input: one byte (the
 * low 3 bits pick the size of the pieces it is fed in), then the client's
 * bytes. Certificates for a.example and 192.0.2.1 are made once. */
#define FUZZ_WITH_ENGINE
#include "fuzz.h"

#include "../alpn.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t pieces[8] = { 1, 5, 64, 300, 1024, 4096, 17000, 65536 };
	static struct alpn_certs certs;
	static int ready;
	static br_ssl_server_context sc;
	static unsigned char iobuf[ALPN_IOBUF];
	static void *policy;
	br_ssl_engine_context *eng = &sc.eng;
	size_t piece;

	if (!ready) {
		alpn_init(&certs);
		policy = malloc(alpn_policy_size());
		if (policy == NULL || alpn_add(&certs, "a.example", "tok.thumb") < 0 ||
		    alpn_add(&certs, "192.0.2.1", "tok2.thumb") < 0)
			abort();
		ready = 1;
	}
	if (size < 1)
		return 0;
	piece = pieces[data[0] & 7];
	alpn_server_setup(&certs, &sc, policy, iobuf);
	fuzz_feed_engine(eng, data + 1, size - 1, piece);
	return 0;
}
