/* Common declaration of the fuzz entry point. Each fuzz/<name>.c defines it;
 * built with clang -fsanitize=fuzzer it is a libFuzzer target, built with
 * fuzz/driver.c it replays a corpus (how `make test` runs it with gcc). */
#ifndef PICOACME_FUZZ_H
#define PICOACME_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
