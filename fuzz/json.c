/* Fuzz target: JSON parsing, lookups, unescaping and the problem formatter. */
#include "fuzz.h"

#include "../acme.h"
#include "../json.h"

#include <string.h>

static void walk(const struct json *doc)
{
	char s[512];

	for (int i = 0; i < doc->ntok; i++) {
		json_string(doc, i, s, sizeof s);
		json_get(doc, i, "type");
		json_array_len(doc, i);
		json_true(doc, i);
		json_skip(doc, i);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json doc;
	char out[512];
	const char *js = (const char *)data;

	if (json_parse(&doc, js, size) == 0)
		walk(&doc);
	json_unescape(js, size, out, sizeof out);
	acme_problem_line(js, size, out, sizeof out);
	return 0;
}
