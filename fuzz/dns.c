/* Fuzz target: DNS responses and hosts-file text (resolve.c), and the
 * dns-persist-01 record check (dns01.c). The first two bytes are the
 * expected query id and the third picks the question (A, AAAA, TXT, NS),
 * so inputs reach past the header checks. */
#include "fuzz.h"
#include "../dns01.h"
#include "../resolve.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char txt[4096], names[DNS_MAX_AUTH][DNS_NAME_TEXT];
	struct resolved out = { .n = 0 };
	uint16_t id;
	size_t n = 0;
	int cname = 0;

	if (size < 3)
		return 0;
	id = (uint16_t)(data[0] << 8 | data[1]);
	switch (data[2] & 3) {
	case 0:
	case 1:
		dns_parse_response(data + 3, size - 3, id, "ca.example", (data[2] & 1) ? 28 : 1, 443,
				   &out);
		if (out.n > RESOLVE_MAX)
			__builtin_trap();
		break;
	case 2:
		if (dns_parse_txt(data + 3, size - 3, id, "_acme-challenge.a.example", txt,
				  (data[2] & 4) ? 16 : sizeof txt, &n, &cname) >= 0) {
			const char *t = txt;

			for (size_t i = 0; i < n; i++, t += strlen(t) + 1)
				dns_persist_match(t, "ca.example other.example", "https://ca.example/acct/1",
						  (data[2] & 8) != 0);
		}
		break;
	default:
		if (dns_parse_ns(data + 3, size - 3, id, "example", names, DNS_MAX_AUTH, &n) >= 0) {
			if (n > DNS_MAX_AUTH)
				__builtin_trap();
			for (size_t i = 0; i < n; i++)
				if (strlen(names[i]) >= DNS_NAME_TEXT)
					__builtin_trap();
		}
		break;
	}
	out.n = 0;
	hosts_lookup((const char *)data, size, "ca.example", 443, &out);
	return 0;
}
