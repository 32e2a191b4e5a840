/* json.c - see json.h */
#undef JSMN_HEADER
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>
#define JSMN_HEADER
#include "json.h"
#include "util.h"

#include <string.h>

/* jsmn leaves some malformed input unflagged (a key without a value, as in
 * {"a":}); every object member must be a string key with exactly one value. */
static int json_well_formed(const struct json *doc)
{
	for (int i = 0; i < doc->ntok; i++) {
		const jsmntok_t *t = &doc->tok[i];

		if (t->type == JSMN_OBJECT) {
			int k = i + 1;

			for (int m = 0; m < t->size; m++) {
				if (k >= doc->ntok || doc->tok[k].type != JSMN_STRING ||
				    doc->tok[k].size != 1)
					return 0;
				k = json_skip(doc, k);
			}
		} else if (t->type == JSMN_STRING && t->size > 1) {
			return 0;
		}
	}
	return 1;
}

int json_parse(struct json *doc, const char *js, size_t len)
{
	jsmn_parser p;
	int n;

	doc->js = js;
	doc->len = len;
	doc->ntok = 0;
	jsmn_init(&p);
	n = jsmn_parse(&p, js, len, doc->tok, JSON_MAX_TOKENS);
	if (n < 1)
		return -1;
	if (doc->tok[0].type != JSMN_OBJECT && doc->tok[0].type != JSMN_ARRAY)
		return -1;
	/* jsmn accepts trailing garbage after the root; we do not. */
	if (doc->tok[0].end < 0 || (size_t)doc->tok[0].end > len)
		return -1;
	for (size_t k = (size_t)doc->tok[0].end; k < len; k++) {
		char c = js[k];

		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			return -1;
	}
	doc->ntok = n;
	if (!json_well_formed(doc)) {
		doc->ntok = 0;
		return -1;
	}
	return 0;
}

int json_skip(const struct json *doc, int i)
{
	int pending = 1;

	/* An object's size counts keys and each key's size is 1 (its value),
	 * so summing sizes walks the subtree without parent links. */
	while (pending > 0 && i < doc->ntok) {
		pending += doc->tok[i].size;
		pending--;
		i++;
	}
	return i;
}

static int tok_len(const jsmntok_t *t) { return t->end - t->start; }

int json_streq(const struct json *doc, int i, const char *s)
{
	const jsmntok_t *t;
	size_t n = strlen(s);

	if (i < 0 || i >= doc->ntok)
		return 0;
	t = &doc->tok[i];
	return t->type == JSMN_STRING && (size_t)tok_len(t) == n &&
	       memcmp(doc->js + t->start, s, n) == 0;
}

int json_get(const struct json *doc, int obj, const char *key)
{
	int i, k, nkeys;

	if (obj < 0 || obj >= doc->ntok || doc->tok[obj].type != JSMN_OBJECT)
		return -1;
	nkeys = doc->tok[obj].size;
	i = obj + 1;
	for (k = 0; k < nkeys && i + 1 < doc->ntok; k++) {
		if (json_streq(doc, i, key))
			return i + 1;
		i = json_skip(doc, i + 1);
	}
	return -1;
}

int json_array_len(const struct json *doc, int arr)
{
	if (arr < 0 || arr >= doc->ntok || doc->tok[arr].type != JSMN_ARRAY)
		return -1;
	return doc->tok[arr].size;
}

int json_true(const struct json *doc, int i)
{
	const jsmntok_t *t;

	if (i < 0 || i >= doc->ntok)
		return 0;
	t = &doc->tok[i];
	return t->type == JSMN_PRIMITIVE && tok_len(t) == 4 &&
	       memcmp(doc->js + t->start, "true", 4) == 0;
}

static int hex4(const char *p, unsigned *v)
{
	unsigned r = 0;

	for (int k = 0; k < 4; k++) {
		char c = p[k];

		r <<= 4;
		if (c >= '0' && c <= '9')
			r |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			r |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			r |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*v = r;
	return 0;
}

/* Appends the UTF-8 form of code point cp; -1 when it does not fit. */
static int put_utf8(char *out, size_t cap, size_t *n, unsigned cp)
{
	unsigned char b[4];
	size_t len;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		len = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		len = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		len = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		len = 4;
	}
	if (*n + len >= cap)
		return -1;
	memcpy(out + *n, b, len);
	*n += len;
	return 0;
}

int json_unescape(const char *in, size_t len, char *out, size_t cap)
{
	size_t i = 0, n = 0;

	if (cap == 0)
		return -1;
	while (i < len) {
		unsigned cp;
		char c = in[i++];

		if (c == '\0')
			return -1;
		if (c != '\\') {
			if (n + 1 >= cap)
				return -1;
			out[n++] = c;
			continue;
		}
		if (i >= len)
			return -1;
		c = in[i++];
		switch (c) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (i + 4 > len || hex4(in + i, &cp) < 0)
				return -1;
			i += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1; /* lone low surrogate */
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned lo;

				if (i + 6 > len || in[i] != '\\' || in[i + 1] != 'u' ||
				    hex4(in + i + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return -1;
				i += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp == 0)
				return -1;
			break;
		default:
			return -1;
		}
		if (put_utf8(out, cap, &n, cp) < 0)
			return -1;
	}
	out[n] = '\0';
	return (int)n;
}

int json_string(const struct json *doc, int i, char *out, size_t cap)
{
	const jsmntok_t *t;

	if (i < 0 || i >= doc->ntok || doc->tok[i].type != JSMN_STRING)
		return -1;
	t = &doc->tok[i];
	return json_unescape(doc->js + t->start, (size_t)tok_len(t), out, cap);
}

int json_get_string(const struct json *doc, int obj, const char *key,
		    char *out, size_t cap)
{
	return json_string(doc, json_get(doc, obj, key), out, cap);
}

/* ---- writer ---- */

void jw_init(struct jw *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = cap == 0;
	w->need_comma = 0;
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (w->err)
		return;
	if (w->len + n >= w->cap) {
		w->err = 1;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void comma(struct jw *w)
{
	if (w->need_comma)
		put(w, ",", 1);
}

void jw_obj_begin(struct jw *w) { comma(w); put(w, "{", 1); w->need_comma = 0; }
void jw_obj_end(struct jw *w) { put(w, "}", 1); w->need_comma = 1; }
void jw_arr_begin(struct jw *w) { comma(w); put(w, "[", 1); w->need_comma = 0; }
void jw_arr_end(struct jw *w) { put(w, "]", 1); w->need_comma = 1; }

static void escaped(struct jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	put(w, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[6];

		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			put(w, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			e[0] = '\\';
			e[1] = 'u';
			e[2] = '0';
			e[3] = '0';
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			put(w, e, 6);
		} else {
			put(w, (const char *)&s[i], 1);
		}
	}
	put(w, "\"", 1);
}

void jw_key(struct jw *w, const char *key)
{
	comma(w);
	escaped(w, key, strlen(key));
	put(w, ":", 1);
	w->need_comma = 0;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
	comma(w);
	escaped(w, s, n);
	w->need_comma = 1;
}

void jw_str(struct jw *w, const char *s) { jw_strn(w, s, strlen(s)); }

void jw_bool(struct jw *w, int v)
{
	comma(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
	w->need_comma = 1;
}

void jw_int(struct jw *w, long v)
{
	char num[24];
	int n = str_fmt(num, sizeof num, "%ld", v);

	comma(w);
	put(w, num, (size_t)n);
	w->need_comma = 1;
}

void jw_raw(struct jw *w, const char *json)
{
	comma(w);
	put(w, json, strlen(json));
	w->need_comma = 1;
}

int jw_finish(struct jw *w)
{
	if (w->err || w->len >= w->cap)
		return -1;
	w->buf[w->len] = '\0';
	return (int)w->len;
}
