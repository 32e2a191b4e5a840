/* resolve.h - host names to socket addresses without libc's resolver:
 * numeric addresses, "localhost", /etc/hosts, then DNS over UDP (A and AAAA,
 * TCP when truncated) to the nameservers of /etc/resolv.conf; and the TXT
 * records that dns-01 and dns-persist-01 publish, as the zone's own
 * nameservers serve them. libc's getaddrinfo brings a fifth
 * of the static binary (sorting, service names, IDN, stdio); a router asks
 * its own dnsmasq one question, so this does exactly that. */
#ifndef PICOACME_RESOLVE_H
#define PICOACME_RESOLVE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RESOLVE_MAX 8 /* addresses kept per name */
#define DNS_NAME_TEXT 254 /* a name as dotted text, NUL included */
#define DNS_MAX_AUTH 4   /* nameservers of a zone asked */

struct resolved {
	struct sockaddr_storage addr[RESOLVE_MAX];
	socklen_t len[RESOLVE_MAX];
	size_t n;
};

/* A numeric IPv4 or IPv6 address (no brackets; IPv6 may end in %interface)
 * with port into *out.
 * Returns 0, or -1 if host is not one. */
int addr_numeric(const char *host, uint16_t port, struct sockaddr_storage *out, socklen_t *len);

/* The text of an IPv4 (len 4) or IPv6 (len 16) address as RFC 5952 §4
 * writes it (lowercase, the longest run of zero groups as "::") into out.
 * 0, or -1 if it does not fit. */
int addr_text(const unsigned char *ip, size_t len, char *out, size_t cap);

/* The addresses of host, IPv4 and IPv6 alternating (IPv4 first), each with
 * port. DNS is asked only when host is neither numeric, localhost nor in
 * /etc/hosts, over UDP and, for a truncated answer, TCP; it waits until
 * deadline_ms (now_ms() clock) at most. Returns 0 with out->n > 0, or -1 with
 * a one-line reason in why (cap bytes). */
int resolve_host(const char *host, uint16_t port, int64_t deadline_ms, struct resolved *out,
		 char *why, size_t cap);

/* Adds to out the A and AAAA answers of the DNS response msg (len bytes) to
 * the query (id, qname, qtype). Returns the response code (0 NOERROR, 3
 * NXDOMAIN, ...), or -1 if msg is not a well-formed answer to that query.
 * Exposed for the fuzzer. */
int dns_parse_response(const unsigned char *msg, size_t len, uint16_t id, const char *qname,
		       uint16_t qtype, uint16_t port, struct resolved *out);

/* The TXT records of name, each record's strings joined, as NUL-terminated
 * texts one after another in out (cap bytes; a record that does not fit is
 * left out); *n is how many. Asked of the zone's authoritative nameservers
 * (found through the configured resolver), else of the configured resolver.
 * Returns 0 (*n may be 0: no record yet), or -1 with a one-line reason. */
int resolve_txt(const char *name, int64_t deadline_ms, char *out, size_t cap, size_t *n,
		char *why, size_t whycap);

/* dns_parse_response for a TXT answer: the records as resolve_txt gives
 * them; *cname set when the answer holds a CNAME. rcode or -1. */
int dns_parse_txt(const unsigned char *msg, size_t len, uint16_t id, const char *qname,
		  char *out, size_t cap, size_t *n, int *cname);

/* dns_parse_response for an NS answer: up to max nameserver host names
 * (letters, digits, '-', '_'). rcode or -1. Exposed for tests and fuzzing. */
int dns_parse_ns(const unsigned char *msg, size_t len, uint16_t id, const char *qname,
		 char (*names)[DNS_NAME_TEXT], size_t max, size_t *n);

/* Adds the addresses /etc/hosts-format text (len bytes) gives host. */
void hosts_lookup(const char *text, size_t len, const char *host, uint16_t port,
		  struct resolved *out);

#endif
