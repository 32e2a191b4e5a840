/* Fuzz target: the key holder's side of the network process. The input is
 * what a compromised network process sends over its pipe while the parent
 * runs an order: requests (signatures, the CSR, EAB, challenges) and a
 * result, each checked before anything uses it. */
#include "fuzz.h"

#include "../ca.h"
#include "../util.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct key account;
	static int have_key;
	static struct ca ca;
	static struct netmsg op;
	static const char *const names[] = { "example.org", "*.example.org", "192.0.2.1", "2001:db8::1" };
	static const struct acme_eab eab = { "kid-1", "c2VjcmV0LWhtYWMta2V5" };
	static struct challenger ch;
	struct challenge_task task;
	char keyauth[CHALLENGE_KEYAUTH_MAX];
	struct netproc np;
	int up[2];

	/* the whole input waits in the pipe (64 KiB) before the parent reads */
	if (size > 60000 || (!have_key && key_generate(&account, KEY_EC256) < 0) ||
	    pipe(up) < 0)
		return 0;
	have_key = 1;
	netproc_init(&np);
	np.wfd = open("/dev/null", O_WRONLY);
	if (np.wfd >= 0 && write(up[1], data, size) == (ssize_t)size) {
		close(up[1]);
		ca_init(&ca, &np);
		np.rfd = up[0];
		if (url_parse("https://ca.example/dir", &ca.origin) == 0) {
			str_copy(ca.kid, sizeof ca.kid, "https://ca.example/acct/1");
			ca.keys[SIGN_ACCOUNT] = &account;
			ca.csr_key = &account;
			ca.eab = &eab;
			ca.names = names;
			ca.nnames = sizeof names / sizeof names[0];
			/* the first message as a challenge, for each method */
			if (size >= sizeof op) {
				memcpy(&op, data, sizeof op);
				ch.method = (enum challenge_method)(data[12] & 3); /* padding after b */
				ca.ch = &ch;
				if (netmsg_check(&op) == 0 && ca_challenge_task(&ca, &op, &task, keyauth) == NULL &&
				    (strcmp(task.ident, op.s[0]) != 0 || (task.keyauth == NULL) == (task.issuers == NULL)))
					__builtin_trap();
				ca.ch = NULL;
			}
			memset(&op, 0, sizeof op);
			op.type = OP_ISSUE;
			if (ca_call(&ca, &op, NULL) >= 0 && ca.body[ca.body_len] != '\0')
				__builtin_trap();
		}
		netproc_stop(&np);
	} else {
		close(up[0]);
		close(up[1]);
		if (np.wfd >= 0)
			close(np.wfd);
	}
	return 0;
}
