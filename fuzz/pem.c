/* Fuzz target: PEM certificate chains, the DER certificate walker, and
 * private key PEM decoding. Also feeds the input as raw DER, to the
 * issuer/subject name walker, and as a CA file to the trust anchor index
 * (loading every anchor it lists). */
#include "fuzz.h"

#include "../cert.h"
#include "../key.h"
#include "../trust.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void inspect(const unsigned char *der, size_t len, const struct key *k)
{
	struct cert_info ci;

	cert_validity(der, len, &ci);
	cert_has_dns_name(der, len, "a.example");
	cert_key_matches(der, len, k);
}

static void found(void *ctx, int is_subject, const unsigned char *hash)
{
	(void)is_subject;
	(void)hash;
	++*(int *)ctx;
}

static void trust_file(const uint8_t *data, size_t size)
{
	static char path[64];
	struct trust_anchors t;
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof path, "/tmp/picoacme-fuzz-ca-%ld.pem", (long)getpid());
	f = fopen(path, "wb");
	if (f == NULL)
		return;
	fwrite(data, 1, size, f);
	fclose(f);
	if (trust_anchors_load(&t, path) == 0) {
		for (size_t i = 0; i < t.n_index; i++) {
			unsigned char h[TRUST_NAME_HASH];

			memcpy(h, t.index[i].subject, sizeof h);
			trust_anchors_want(&t, h);
		}
		trust_anchors_free(&t);
	}
	unlink(path);
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
	{
		struct cert_names w;
		int n = 0;

		cert_names_init(&w, found, &n);
		cert_names_push(&w, data, size / 2);
		cert_names_push(&w, data + size / 2, size - size / 2);
	}
	trust_file(data, size);
	if (key_from_pem(&parsed, (const char *)data, size) == 0)
		key_free(&parsed);
	return 0;
}
