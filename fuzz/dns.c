/* Fuzz target: DNS responses and hosts-file text (resolve.c). The first two
 * bytes are the expected query id and the third picks A or AAAA, so inputs
 * reach past the header checks. */
#include "fuzz.h"
#include "../resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resolved out = { .n = 0 };

	if (size < 3)
		return 0;
	dns_parse_response(data + 3, size - 3, (uint16_t)(data[0] << 8 | data[1]), "ca.example",
			   (data[2] & 1) ? 28 : 1, 443, &out);
	if (out.n > RESOLVE_MAX)
		__builtin_trap();
	out.n = 0;
	hosts_lookup((const char *)data, size, "ca.example", 443, &out);
	return 0;
}
