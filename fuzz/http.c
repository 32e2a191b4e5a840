/* Fuzz target: HTTP response heads, chunked bodies, URLs and the http-01
 * responder's request handling. The first byte picks where to split the
 * input so chunked decoding is also driven in pieces. */
#include "fuzz.h"

#include "../responder.h"
#include "../http.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_client c;
	static struct http_response r;
	static struct responder resp;
	static unsigned char out[4096];
	static char text[2048], answer[1024];
	struct http_framing f;
	struct chunked ch;
	struct url u;
	size_t split, out_len = 0, used = 0;

	if (size == 0)
		return 0;
	split = data[0] % (size + 1);
	data++;
	size--;
	if (split > size)
		split = size;

	strcpy(c.host, "ca.example");
	strcpy(c.port, "443");
	http_parse_head(&c, &r, (const char *)data, size, &f);

	chunked_init(&ch);
	if (chunked_feed(&ch, data, split, &used, out, &out_len, sizeof out) == 0 && used == split)
		chunked_feed(&ch, data + split, size - split, &used, out, &out_len, sizeof out);

	if (size < sizeof text) {
		memcpy(text, data, size);
		text[size] = '\0';
		url_parse(text, &u);
		challenge_token_valid(text);
	}

	responder_init(&resp);
	responder_add(&resp, "dG9rZW4", "dG9rZW4.thumbprint");
	responder_answer(&resp, (const char *)data, size, answer, sizeof answer);
	return 0;
}
