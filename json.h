/* json.h - JSON reading over a fixed jsmn token array, and a bounded writer
 * that escapes every string it emits. No allocation anywhere. */
#ifndef PICOACME_JSON_H
#define PICOACME_JSON_H

#include <stddef.h>

#define JSMN_STRICT
#define JSMN_HEADER
#include <jsmn.h>

/* An order for 100 names needs about 620 tokens; 1024 leaves headroom while
 * keeping the array at 16 KiB. */
#ifndef JSON_MAX_TOKENS
#define JSON_MAX_TOKENS 1024
#endif

struct json {
	const char *js; /* the text, borrowed: must outlive the struct */
	size_t len;
	int ntok;
	jsmntok_t tok[JSON_MAX_TOKENS];
};

/* Parses len bytes of js; the root must be an object or array.
 * Returns 0, or -1 when the text is not valid JSON or has too many tokens. */
int json_parse(struct json *doc, const char *js, size_t len);

/* Index of the token after the whole value at index i (its subtree skipped). */
int json_skip(const struct json *doc, int i);

/* Value of key in the object at index obj, or -1 if obj is not an object or
 * the key is absent. Keys are compared raw (ACME keys need no unescaping). */
int json_get(const struct json *doc, int obj, const char *key);

/* Number of elements of the array at index arr, or -1 if not an array. */
int json_array_len(const struct json *doc, int arr);

/* 1 if token i is a string whose raw text equals s, else 0. */
int json_streq(const struct json *doc, int i, const char *s);

/* Unescapes string token i (\uXXXX and surrogate pairs to UTF-8) into out.
 * Returns the length, or -1 if i is not a string, the escape is invalid,
 * it decodes to NUL, or it does not fit in cap (including the NUL). */
int json_string(const struct json *doc, int i, char *out, size_t cap);

/* json_string on the value of key in obj; -1 if absent or not a string. */
int json_get_string(const struct json *doc, int obj, const char *key,
		    char *out, size_t cap);

/* 1 for the primitive true, 0 for anything else. */
int json_true(const struct json *doc, int i);

/* Unescapes the raw body of a JSON string (no quotes) of length len.
 * Same return contract as json_string. */
int json_unescape(const char *in, size_t len, char *out, size_t cap);

/* Bounded writer. Any overflow sets err and later calls do nothing; check
 * jw_finish. Commas are placed automatically. */
struct jw {
	char *buf;
	size_t cap;
	size_t len;
	int err;
	int need_comma;
};

void jw_init(struct jw *w, char *buf, size_t cap);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_bool(struct jw *w, int v);
void jw_int(struct jw *w, long v);
/* Emits already-serialised JSON produced by this writer (e.g. a JWK). */
void jw_raw(struct jw *w, const char *json);
/* NUL-terminates; returns the length, or -1 if anything overflowed. */
int jw_finish(struct jw *w);

#endif
