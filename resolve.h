/* resolve.h - host names to socket addresses without libc's resolver:
 * numeric addresses, "localhost", /etc/hosts, then DNS over UDP (A and AAAA,
 * TCP when truncated) to the nameservers of /etc/resolv.conf. libc's getaddrinfo brings a fifth
 * of the static binary (sorting, service names, IDN, stdio); a router asks
 * its own dnsmasq one question, so this does exactly that. */
#ifndef PICOACME_RESOLVE_H
#define PICOACME_RESOLVE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RESOLVE_MAX 8 /* addresses kept per name */

struct resolved {
	struct sockaddr_storage addr[RESOLVE_MAX];
	socklen_t len[RESOLVE_MAX];
	size_t n;
};

/* A numeric IPv4 or IPv6 address (no brackets; IPv6 may end in %interface)
 * with port into *out.
 * Returns 0, or -1 if host is not one. */
int addr_numeric(const char *host, uint16_t port, struct sockaddr_storage *out, socklen_t *len);

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

/* Adds the addresses /etc/hosts-format text (len bytes) gives host. */
void hosts_lookup(const char *text, size_t len, const char *host, uint16_t port,
		  struct resolved *out);

#endif
