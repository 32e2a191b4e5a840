/* Fuzz target: the stored settings file reader (renew replays what it
 * reads). Whatever parses must survive a round trip: formatted again and
 * parsed again, it describes the same certificate. */
#include "fuzz.h"

#include "../store.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cert_settings a, b;
	static char text[STORE_MAX_SETTINGS];
	int n;

	if (settings_parse(&a, (const char *)data, size, "fuzz") != 0)
		return 0;
	n = settings_format(&a, text, sizeof text);
	if (n < 0)
		return 0;
	if (settings_parse(&b, text, (size_t)n, "fuzz-again") != 0 ||
	    !settings_same_certificate(&a, &b) || a.days != b.days ||
	    strcmp(a.challenge, b.challenge) != 0 || strcmp(a.webroot, b.webroot) != 0 ||
	    strcmp(a.hook, b.hook) != 0 || strcmp(a.email, b.email) != 0)
		abort();
	return 0;
}
