/* Fuzz target: the parent's side of the network process. The input is
 * what a compromised network process sends back over its pipe: a reply
 * head and a body, checked before anything uses them. */
#include "fuzz.h"

#include "../netproc.h"

#include <fcntl.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_response r;
	struct netproc np;
	int up[2];

	/* the whole input waits in the pipe (64 KiB) before the parent reads */
	if (size > 60000 || pipe(up) < 0)
		return 0;
	netproc_init(&np);
	np.wfd = open("/dev/null", O_WRONLY);
	if (np.wfd >= 0 && write(up[1], data, size) == (ssize_t)size) {
		close(up[1]);
		np.rfd = up[0];
		if (netproc_request(&np, "POST", "https://ca.example/acme/new-order",
				    "application/jose+json", NULL, "{}", 2, 0, &r) == 0 &&
		    r.body[r.body_len] != '\0')
			__builtin_trap();
		netproc_stop(&np);
	} else {
		close(up[0]);
		close(up[1]);
		if (np.wfd >= 0)
			close(np.wfd);
	}
	return 0;
}
