/* Fuzz target: the TLS client engine as every connection sets it up
 * (http_tls_setup), fed a server's side of a handshake through BearSSL's
 * engine API, no sockets: what the client sends is discarded, the input is
 * given as received records. Input: one byte (the low 3 bits pick the size
 * of the pieces the input is fed in, bit 3 whether the server name is
 * "localhost" or an IP literal's none), then the server's bytes. Anchors as
 * in fuzz/x509.c. */
#define FUZZ_WITH_ANCHORS
#define FUZZ_WITH_ENGINE
#include "fuzz.h"

#include "../http.h"
#include "../trust.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t pieces[8] = { 1, 5, 64, 300, 1024, 4096, 17000, 65536 };
	static struct http_client c;
	br_ssl_engine_context *eng = &c.sc.eng;
	size_t piece;

	if (size < 1)
		return 0;
	piece = pieces[data[0] & 7];
	http_init(&c, fuzz_anchors());
	http_tls_setup(&c);
	br_ssl_engine_set_buffers_bidi(eng, c.ibuf, sizeof c.ibuf, c.obuf, sizeof c.obuf);
	if (!br_ssl_client_reset(&c.sc, data[0] & 8 ? NULL : "localhost", 0))
		return 0;
	fuzz_feed_engine(eng, data + 1, size - 1, piece);
	return 0;
}
