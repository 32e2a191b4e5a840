/* util.h - logging, text sanitising, secret wiping and monotonic time.
 * Everything here is leaf code: no other picoacme module is used. */
#ifndef PICOACME_UTIL_H
#define PICOACME_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define PICOACME_VERSION "0.1.0"

/* Set once from main: verbosity 0 (progress) or 1 (adds HTTP status lines). */
void log_set_verbose(int verbose);
int log_verbose(void);

/* One progress line to stderr ("picoacme: ..."). */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like msg, only when -v was given. */
void vmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One error line to stderr ("picoacme: error: ..."). */
void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error that needs a person soon (syslog LOG_CRIT): a certificate close
 * to expiry that could not be renewed. */
void crit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Also send every line to syslog (facility daemon, ident picoacme). */
void log_use_syslog(void);

/* Wall-clock seconds since the epoch. Test builds (PICOACME_TEST) honour
 * PICOACME_TEST_NOW=<seconds> so clock checks can be exercised. */
int64_t wall_now(void);

/* Earliest plausible time: the build time. A clock before it is not set. */
int64_t build_time(void);

/* Copies at most len bytes of untrusted text into out (cap > 4), replacing
 * control characters and non-ASCII bytes by '?' and ending with "..." when cut.
 * Always NUL-terminates. Returns out. */
char *sanitize(char *out, size_t cap, const char *in, size_t len);

/* Copies src into dst of size cap. Returns 0, or -1 (dst emptied) if it does
 * not fit. */
int str_copy(char *dst, size_t cap, const char *src);

/* Overwrites n bytes at p with zeros in a way the compiler cannot elide. */
void wipe(void *p, size_t n);

/* Milliseconds from a monotonic clock. */
int64_t now_ms(void);

/* Sleeps ms milliseconds (restarting on EINTR). */
void sleep_ms(int64_t ms);

#endif
