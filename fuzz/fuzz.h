/* Common declaration of the fuzz entry point. Each fuzz/<name>.c defines it;
 * built with clang -fsanitize=fuzzer it is a libFuzzer target, built with
 * fuzz/driver.c it replays a corpus (how `make test` runs it with gcc). */
#ifndef PICOACME_FUZZ_H
#define PICOACME_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef FUZZ_WITH_ENGINE
#include <string.h>

#include <bearssl.h>

/* Runs a TLS engine on the peer's bytes data[0..size), handed over in
 * pieces of at most piece bytes: what it sends is discarded, application
 * data is dropped, and a finished handshake is closed. */
static inline void fuzz_feed_engine(br_ssl_engine_context *eng, const uint8_t *data, size_t size,
				    size_t piece)
{
	size_t at = 0;

	for (;;) {
		unsigned st = br_ssl_engine_current_state(eng);
		unsigned char *buf;
		size_t len, n;

		if (st & BR_SSL_CLOSED)
			break;
		if (st & BR_SSL_SENDREC) {
			br_ssl_engine_sendrec_buf(eng, &len);
			br_ssl_engine_sendrec_ack(eng, len);
			continue;
		}
		if (st & BR_SSL_RECVAPP) {
			br_ssl_engine_recvapp_buf(eng, &len);
			br_ssl_engine_recvapp_ack(eng, len);
			continue;
		}
		if (st & BR_SSL_SENDAPP) {
			br_ssl_engine_close(eng);
			continue;
		}
		if (!(st & BR_SSL_RECVREC) || at >= size)
			break;
		buf = br_ssl_engine_recvrec_buf(eng, &len);
		n = size - at;
		if (n > len)
			n = len;
		if (n > piece)
			n = piece;
		memcpy(buf, data + at, n);
		br_ssl_engine_recvrec_ack(eng, n);
		at += n;
	}
}
#endif

#ifdef FUZZ_WITH_ANCHORS
#include <stdlib.h>

#include "../trust.h"

/* The trust anchors of the x509 and tls targets, indexed on first use:
 * $PICOACME_FUZZ_ANCHORS, or fuzz/x509-anchors.pem (the root the seeds
 * chain to, and two public roots). */
static inline struct trust_anchors *fuzz_anchors(void)
{
	static struct trust_anchors tas;
	static int loaded;

	if (!loaded) {
		const char *p = getenv("PICOACME_FUZZ_ANCHORS");

		if (trust_anchors_load(&tas, p ? p : "fuzz/x509-anchors.pem") < 0)
			abort();
		loaded = 1;
	}
	return &tas;
}
#endif

#endif
