/* http.h - HTTP/1.1 over BearSSL TLS, https:// only, one keep-alive
 * connection reused for every request of a run and reopened transparently
 * when the server closes it. Every request has one deadline covering
 * connect, send and the whole response; headers and bodies have hard caps. */
#ifndef PICOACME_HTTP_H
#define PICOACME_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

#include "trust.h"

#ifndef HTTP_MAX_HEADER
#define HTTP_MAX_HEADER (16 * 1024)
#endif
#ifndef HTTP_MAX_BODY
#define HTTP_MAX_BODY (1024 * 1024)
#endif
#define HTTP_MAX_URL 1024
#define HTTP_MAX_HOST 256
#define HTTP_MAX_ALT 4
#define HTTP_DEFAULT_TIMEOUT_MS 30000
/* Output records are kept small: requests are a few KiB at most. */
#define HTTP_OBUF_SIZE (4096 + 85)

struct url {
	char host[HTTP_MAX_HOST]; /* without brackets for IPv6 literals */
	char port[6];
	char path[HTTP_MAX_URL]; /* starts with '/', may include the query */
};

/* Parses an https:// URL. Rejects other schemes, userinfo, fragments,
 * control characters and spaces. Returns 0 or -1. */
int url_parse(const char *s, struct url *u);

/* Incremental chunked transfer-coding decoder (RFC 9112 §7.1). */
struct chunked {
	int state;
	size_t remaining;
	size_t line_len;
	int saw_digit;
};
void chunked_init(struct chunked *ch);
/* Consumes bytes from in, appending decoded data to out (len *out_len, cap
 * out_cap). Sets *used to the bytes consumed. Returns 1 when the final chunk
 * and trailers are complete, 0 when more input is needed, -1 on malformed
 * input or when the output cap is reached. */
int chunked_feed(struct chunked *ch, const unsigned char *in, size_t in_len,
		 size_t *used, unsigned char *out, size_t *out_len, size_t out_cap);

struct http_response {
	int status;
	char nonce[256];
	char location[HTTP_MAX_URL];
	char link_up[HTTP_MAX_URL];
	char link_next[HTTP_MAX_URL]; /* rel="next": the next page of a list */
	char link_alt[HTTP_MAX_ALT][HTTP_MAX_URL];
	int nalt;
	char content_type[128];
	long retry_after; /* seconds, or -1 when absent or unparsable */
	/* NUL-terminated body, owned by the response: grown on demand up to
	 * HTTP_MAX_BODY and released by http_response_free. */
	char *body;
	size_t body_len;
	size_t body_cap;
};

/* Releases the body buffer; the struct may be reused afterwards. */
void http_response_free(struct http_response *r);

struct http_client {
	int fd;
	int tls_open;
	char host[HTTP_MAX_HOST];
	char port[6];
	int64_t deadline;
	int timeout_ms;
	int io_timed_out;
	int resend; /* the next request has no effect: asked again once if its answer breaks off */
	unsigned connects; /* TCP connections opened, for the benchmark */
	unsigned requests;
	struct trust_anchors *tas;
	br_ssl_client_context sc;
	struct trust_x509 tx;
	br_sslio_context io;
	unsigned char ibuf[BR_SSL_BUFSIZE_INPUT];
	unsigned char obuf[HTTP_OBUF_SIZE];
	char hdr[HTTP_MAX_HEADER];
};

/* The verifiers and curves of the TLS engine and of X.509 validation,
 * BearSSL's own: i31 ECDSA (DER), i31 RSA PKCS#1 v1.5, the generic i31 curves. Named
 * here so tests and fuzzers reach exactly these entry points. */
extern const br_ecdsa_vrfy http_ecdsa_vrfy;
extern const br_rsa_pkcs1_vrfy http_rsa_vrfy;
extern const br_ec_impl *const http_ec;

/* Sets x up to validate a server's chain over tas exactly as a connection
 * does: SHA-256/384/512, the verifiers above. tas must outlive x. */
void http_x509_setup(struct trust_x509 *x, struct trust_anchors *tas);

/* The parts of a TLS engine every picoacme connection shares, client or
 * tls-alpn-01 server: TLS 1.2, SHA-256/384, ECDHE on BearSSL's curves,
 * AES-GCM. Suites, certificates and keys are the caller's. */
void http_tls_engine(br_ssl_engine_context *eng);

/* Configures c's TLS client engine as every connection does (TLS 1.2,
 * ECDHE with AES-GCM, the X.509 engine of http_x509_setup); buffers and the
 * reset are left to the caller. Exposed for fuzzing the engine. */
void http_tls_setup(struct http_client *c);

/* Prepares a client (no connection yet). tas must outlive it. */
void http_init(struct http_client *c, struct trust_anchors *tas);

/* Sends one request and reads the whole response into r (r's body buffer
 * is reused). method is GET, HEAD or POST; content_type/body may be NULL;
 * accept may be NULL. GET follows up to 3 redirects that stay on the
 * origin (host and port) of url; a redirect elsewhere is an error.
 * Returns 0 when a response was read (any status), or -1 with an error
 * naming the URL. */
int http_request(struct http_client *c, const char *method, const char *url,
		 const char *content_type, const char *accept,
		 const char *body, size_t body_len, struct http_response *r);

/* How the body of a response is delimited. */
struct http_framing {
	long long content_length; /* -1 when absent */
	int chunked;
	int close;
};

/* Parses a response head (status line and header fields, hlen bytes, up to
 * and including the blank line) into r and f. Relative Location/Link
 * targets resolve against c's host and port; non-https ones are dropped.
 * Returns 0, or -1 when the head is malformed. Exposed for fuzzing. */
int http_parse_head(const struct http_client *c, struct http_response *r,
		    const char *hdr, size_t hlen, struct http_framing *f);

/* Closes the connection (TLS close_notify when possible). */
void http_close(struct http_client *c);

#endif
