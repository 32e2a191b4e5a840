/* pem.c - see pem.h */
#include "pem.h"

#include <string.h>

void pem_init(struct pem_reader *r)
{
	memset(r, 0, sizeof *r);
}

void pem_init_in_object(struct pem_reader *r, const char *label)
{
	size_t n = strlen(label);

	pem_init(r);
	if (n < sizeof r->label) {
		memcpy(r->label, label, n + 1);
		r->in_object = 1;
	}
}

/* base64 digit values; 64 marks everything else */
static const unsigned char B64[256] = {
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 62,
	64, 64, 64, 63, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 64, 64, 64, 64, 64, 64, 64, 0,
	1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
	23, 24, 25, 64, 64, 64, 64, 64, 64, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38,
	39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
};

/* Decodes one base64 line into dest; the bit accumulator carries over, so
 * lines need not be multiples of four characters. */
static int decode_line(struct pem_reader *r, const char *s, size_t n)
{
	unsigned char out[PEM_LINE_MAX];
	size_t o = 0, i = 0;

	/* Whole groups of four digits while the accumulator is empty: the
	 * usual line, at a quarter of the per-character loop's cost. */
	while (r->bits == 0 && !r->padded && i + 4 <= n) {
		const unsigned char *g = (const unsigned char *)s + i;
		unsigned v0 = B64[g[0]], v1 = B64[g[1]], v2 = B64[g[2]], v3 = B64[g[3]];
		uint32_t v;

		if ((v0 | v1 | v2 | v3) & 64)
			break; /* padding, blanks or bad input: the loop below */
		v = (uint32_t)v0 << 18 | (uint32_t)v1 << 12 | (uint32_t)v2 << 6 | v3;
		out[o++] = (unsigned char)(v >> 16);
		out[o++] = (unsigned char)(v >> 8);
		out[o++] = (unsigned char)v;
		i += 4;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int v;

		if (c == ' ' || c == '\t')
			continue;
		if (c == '=') {
			r->padded = 1;
			continue;
		}
		v = B64[c];
		if (v == 64 || r->padded)
			return -1;
		r->acc = r->acc << 6 | (uint32_t)v;
		r->bits += 6;
		if (r->bits >= 8) {
			r->bits -= 8;
			out[o++] = (unsigned char)(r->acc >> r->bits);
		}
	}
	if (o > 0)
		r->dest(r->dest_ctx, out, o);
	return 0;
}

static int starts_with(const char *s, size_t n, const char *prefix, size_t plen)
{
	return n >= plen && memcmp(s, prefix, plen) == 0;
}

static int line_done(struct pem_reader *r)
{
	const char *s = r->line;
	size_t n = r->line_len;
	int long_line = r->line_long;

	r->line_len = r->line_long = 0;
	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (long_line)
		return r->in_object ? PEM_ERROR : PEM_NONE;
	if (starts_with(s, n, "-----BEGIN ", 11) && n > 16 && memcmp(s + n - 5, "-----", 5) == 0) {
		if (r->in_object || n - 16 >= sizeof r->label)
			return PEM_ERROR;
		memcpy(r->label, s + 11, n - 16);
		r->label[n - 16] = '\0';
		r->in_object = 1;
		r->acc = r->bits = r->padded = 0;
		r->dest = NULL;
		return PEM_BEGIN;
	}
	if (!r->in_object)
		return PEM_NONE; /* text between objects: bundles carry comments */
	if (starts_with(s, n, "-----END ", 9)) {
		size_t l = strlen(r->label);

		r->in_object = 0;
		if (n != 14 + l || memcmp(s + 9, r->label, l) != 0 ||
		    memcmp(s + 9 + l, "-----", 5) != 0)
			return PEM_ERROR;
		return PEM_END;
	}
	if (starts_with(s, n, "-----", 5))
		return PEM_ERROR;
	if (r->dest != NULL && decode_line(r, s, n) < 0)
		return PEM_ERROR;
	return PEM_NONE;
}

size_t pem_push(struct pem_reader *r, const char *buf, size_t len, int *event)
{
	size_t used = 0;

	*event = PEM_NONE;
	while (used < len) {
		const char *nl = memchr(buf + used, '\n', len - used);
		size_t end = nl != NULL ? (size_t)(nl - buf) : len;
		size_t seg = end - used, room = sizeof r->line - r->line_len;

		if (r->in_object && r->dest == NULL && r->line_len == 0 && nl != NULL &&
		    buf[used] != '-' && seg <= sizeof r->line) {
			/* a whole body line nobody wants: not even looked at */
			used = end + 1;
			continue;
		}

		if (seg > room) {
			seg = room;
			r->line_long = 1;
		}
		memcpy(r->line + r->line_len, buf + used, seg);
		r->line_len += (unsigned)seg;
		used = nl != NULL ? end + 1 : len;
		if (nl == NULL)
			break;
		*event = line_done(r);
		if (*event != PEM_NONE)
			break;
	}
	r->pos += used;
	return used;
}

int pem_finish(struct pem_reader *r)
{
	if (r->line_len == 0 && !r->line_long)
		return PEM_NONE;
	return line_done(r);
}

int pem_next(struct pem_reader *r, const char **text, size_t *len)
{
	int ev;

	while (*len > 0) {
		size_t n = pem_push(r, *text, *len, &ev);

		*text += n;
		*len -= n;
		if (ev != PEM_NONE)
			return ev;
	}
	return pem_finish(r);
}
