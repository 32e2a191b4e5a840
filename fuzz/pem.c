/* Fuzz target: PEM certificate chains, the DER certificate walker, and
 * private key PEM decoding. Also feeds the input as raw DER. */
#include "fuzz.h"

#include "../cert.h"
#include "../key.h"

#include <string.h>

static void inspect(const unsigned char *der, size_t len, const struct key *k)
{
	struct cert_info ci;

	cert_validity(der, len, &ci);
	cert_has_dns_name(der, len, "a.example");
	cert_key_matches(der, len, k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char der[1 << 16];
	static char pem[1 << 17];
	static struct key k, parsed;
	static int have_key;
	struct chain ch;

	if (!have_key)
		have_key = key_generate(&k, KEY_EC256) == 0;
	if (size < sizeof der && chain_from_pem((const char *)data, size, der, sizeof der, &ch) > 0) {
		for (int i = 0; i < ch.n; i++)
			inspect(der + ch.off[i], ch.len[i], &k);
		chain_to_pem(&ch, 0, ch.n, pem, sizeof pem);
	}
	inspect(data, size, &k);
	if (key_from_pem(&parsed, (const char *)data, size) == 0)
		key_free(&parsed);
	return 0;
}
