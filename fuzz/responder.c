/* Fuzz target: the responder process's table (responder.c), as its fresh
 * image reads it from the parent over descriptor 0: the head of struct
 * responder, then its token text; for tls-alpn-01 the certificate entries
 * made from it. Input: the bytes on that descriptor. */
#include "fuzz.h"

#include "../responder.h"

#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct responder r;
	int p[2];

	/* the whole input waits in the pipe (64 KiB) before it is read */
	if (size > 60000 || pipe(p) < 0)
		return 0;
	if (write(p[1], data, size) == (ssize_t)size) {
		close(p[1]);
		p[1] = -1;
		memset(&r, 0, sizeof r);
		alpn_init(&r.alpn);
		if (responder_table_read(&r, p[0]) == 0 &&
		    (r.n > CHALLENGE_MAX_TOKENS || r.text_len > sizeof r.text || r.alpn.n > r.n))
			__builtin_trap();
		alpn_free(&r.alpn);
	}
	close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	return 0;
}
