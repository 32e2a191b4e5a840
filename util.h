/* util.h - logging, text sanitising, secret wiping and monotonic time.
 * Everything here is leaf code: no other picoacme module is used. */
#ifndef PICOACME_UTIL_H
#define PICOACME_UTIL_H

#include <stdarg.h>
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
/* Something went wrong that did not stop the run ("picoacme: warning: ..."). */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error that needs a person soon (syslog LOG_CRIT): a certificate close
 * to expiry that could not be renewed. */
void crit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Also send every line to syslog (facility daemon, ident picoacme). */
void log_use_syslog(void);
/* 1 once log_use_syslog was called. */
int log_uses_syslog(void);

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

/* snprintf for the conversions picoacme uses, without libc's stdio (whose
 * floating-point and wide-character code would double the binary's libc
 * share): %s %c %d %u %x %ld %lu %lx %lld %llu %zu %%. No flags or widths.
 * Writes at most cap bytes including the NUL (cap > 0 always terminates) and
 * returns the length the whole text needs, so ">= cap" means it was cut. */
int str_fmt(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int str_vfmt(char *out, size_t cap, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Writes s whole to standard output. Returns 0, or -1 on a write error. */
int out_str(const char *s);
/* Formats as str_fmt (at most 4 KiB) to standard output. */
void out_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Decimal integer like strtoll(s, end, 10) without leading blanks: optional
 * '-', then digits; *end (may be NULL) is set past the digits, or to s if
 * there are none. Saturates at INT64_MIN/INT64_MAX. */
int64_t str_to_i64(const char *s, const char **end);

/* First occurrence of needle (m > 0 bytes) in hay (n bytes), or NULL. */
const char *mem_find(const char *hay, size_t n, const char *needle, size_t m);

/* Seconds since the epoch of a UTC date and time (proleptic Gregorian);
 * mo 1-12, d 1-31. Fields are not range-checked here. */
int64_t time_from_civil(int64_t y, int mo, int d, int h, int mi, int s);
/* RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" for t; cap >= TIME_TEXT_MAX. */
#define TIME_TEXT_MAX 32
void time_format(int64_t t, char *out, size_t cap);

/* Overwrites n bytes at p with zeros in a way the compiler cannot elide. */
void wipe(void *p, size_t n);

/* Milliseconds from a monotonic clock. */
int64_t now_ms(void);

/* n zeroed elements of size bytes, as calloc (NULL when n * size
 * overflows); the caller frees. Without calloc: musl's is 0.6 KiB. */
void *alloc_zeroed(size_t n, size_t size);

/* Moves exactly n bytes to fd (writing) or from it, again after EINTR
 * (a request the caller waits for ends by its own deadline). 0, or -1 on
 * an error or end of file. */
int fd_full(int fd, void *buf, size_t n, int writing);

/* Closes every descriptor from 3 to 1023 but keep1 and keep2: what a child
 * inherited is not its own. */
void close_inherited(int keep1, int keep2);

/* Sleeps ms milliseconds (restarting on EINTR). */
void sleep_ms(int64_t ms);

/* Runs program directly (no shell) with argv, the caller's environment less
 * its PICOACME_* variables, plus env (n "NAME=value" strings), and waits.
 * Returns its exit status (0-255; 128+N for signal N), or -1 with an error
 * when it could not be started. */
int run_program(const char *program, char *const argv[], char *const env[], size_t n);

/* While on, SIGINT, SIGTERM and SIGHUP only set a flag (stop_requested),
 * so that what a run published is removed before it ends. */
void stop_on_signals(int on);
int stop_requested(void);

/* Where a forked child starts. In `make bench`'s instruction counting
 * build its count starts at zero: callgrind would otherwise copy the
 * parent's count so far into it. Nothing in every other build. */
#ifdef PICOACME_CALLGRIND
#include <valgrind/callgrind.h>
#define CHILD_STARTS() CALLGRIND_ZERO_STATS
#else
#define CHILD_STARTS() ((void)0)
#endif

/* For a function whose large locals must not stay on the stack while its
 * caller goes on to deeper calls (the stack-clash probes touch every page
 * of a frame, so a merged frame costs its whole size in resident memory). */
#define OWN_FRAME __attribute__((noinline))

#endif
