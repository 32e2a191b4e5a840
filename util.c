/* util.c - see util.h */
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#ifndef PICOACME_BUILD_EPOCH
#define PICOACME_BUILD_EPOCH 1763769600 /* 2025-11-22 */
#endif

static int verbose_level;
static int use_syslog;

void log_use_syslog(void)
{
	openlog("picoacme", LOG_PID, LOG_DAEMON);
	use_syslog = 1;
}

void log_set_verbose(int verbose) { verbose_level = verbose; }
int log_verbose(void) { return verbose_level; }

__attribute__((format(printf, 3, 0)))
static void vline(int prio, const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof line, fmt, ap);
	fprintf(stderr, "picoacme: %s%s\n", prefix, line);
	if (use_syslog)
		syslog(prio, "%s%s", prefix, line);
}

void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void vmsg(const char *fmt, ...)
{
	va_list ap;

	if (!verbose_level)
		return;
	va_start(ap, fmt);
	vline(LOG_DEBUG, "", fmt, ap);
	va_end(ap);
}

void err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(LOG_ERR, "error: ", fmt, ap);
	va_end(ap);
}

void crit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(LOG_CRIT, "CRITICAL: ", fmt, ap);
	va_end(ap);
}

int64_t build_time(void) { return PICOACME_BUILD_EPOCH; }

int64_t wall_now(void)
{
#ifdef PICOACME_TEST
	const char *fake = getenv("PICOACME_TEST_NOW");

	if (fake != NULL && *fake != '\0')
		return strtoll(fake, NULL, 10);
#endif
	return (int64_t)time(NULL);
}

char *sanitize(char *out, size_t cap, const char *in, size_t len)
{
	size_t i;
	size_t n = 0;

	if (cap < 4) {
		if (cap)
			out[0] = '\0';
		return out;
	}
	for (i = 0; i < len && in[i] != '\0'; i++) {
		unsigned char c = (unsigned char)in[i];

		if (n + 1 >= cap) {
			memcpy(out + cap - 4, "...", 3);
			n = cap - 1;
			break;
		}
		out[n++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	out[n] = '\0';
	return out;
}

int str_copy(char *dst, size_t cap, const char *src)
{
	size_t len = strlen(src);

	if (cap == 0)
		return -1;
	if (len >= cap) {
		dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}
