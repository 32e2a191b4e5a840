/* pem.h - a streaming PEM reader: text in any pieces, BEGIN/END events and
 * decoded bytes out. About ten instructions a byte, where BearSSL's PEM
 * decoder (an interpreted state machine) spends over a thousand: reading a
 * 220 KB CA bundle with it cost more than a whole issuance. */
#ifndef PICOACME_PEM_H
#define PICOACME_PEM_H

#include <stddef.h>
#include <stdint.h>

#define PEM_LINE_MAX 128 /* longer lines inside an object are an error */
#define PEM_LABEL_MAX 48

enum { PEM_NONE, PEM_BEGIN, PEM_END, PEM_ERROR };

struct pem_reader {
	/* Set by the caller after PEM_BEGIN: where the object's bytes go (NULL
	 * skips them, without decoding). May be changed at any time. */
	void (*dest)(void *ctx, const void *buf, size_t len);
	void *dest_ctx;
	char label[PEM_LABEL_MAX]; /* of the current object, after PEM_BEGIN */
	uint64_t pos;              /* bytes consumed since init */
	int in_object;
	/* internal */
	uint32_t acc;
	unsigned bits, padded, line_len, line_long;
	char line[PEM_LINE_MAX];
};

/* Starts outside any object. */
void pem_init(struct pem_reader *r);

/* Starts inside an object labelled label, as if its BEGIN line had just
 * been read: for resuming at an offset pem_push reported. */
void pem_init_in_object(struct pem_reader *r, const char *label);

/* Consumes text up to and including the first line that makes an event,
 * or all of it. Returns the bytes consumed and sets *event: PEM_BEGIN
 * (label set; lines outside objects are ignored), PEM_END (after the
 * matching END line), PEM_ERROR (bad base64, an overlong line or a stray
 * BEGIN inside an object, an END that does not match; the reader is then
 * done with), or PEM_NONE. */
size_t pem_push(struct pem_reader *r, const char *buf, size_t len, int *event);

/* At the end of the input: the event of a last line without a newline,
 * or PEM_NONE. The input ended inside an object when r->in_object is
 * still set afterwards. */
int pem_finish(struct pem_reader *r);

/* For text held whole in memory: the next event, advancing *text and *len;
 * PEM_NONE once all of it has been read. */
int pem_next(struct pem_reader *r, const char **text, size_t *len);

#endif
