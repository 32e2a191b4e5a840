/* util.c - see util.h */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#ifndef PICOACME_BUILD_EPOCH
#define PICOACME_BUILD_EPOCH 1763769600 /* 2025-11-22 */
#endif

static int verbose_level;
static int use_syslog;
static int syslog_fd = -1;

/* ---- formatting ---- */

struct fmt_sink {
	char *p;
	size_t room; /* bytes that may be stored, the NUL excluded */
	size_t len;  /* bytes the whole text needs */
};

static void sink_put(struct fmt_sink *o, const char *s, size_t n)
{
	if (o->len < o->room)
		memcpy(o->p + o->len, s, n < o->room - o->len ? n : o->room - o->len);
	o->len += n;
}

static void sink_num(struct fmt_sink *o, unsigned long long v, int neg, unsigned base)
{
	char digits[24];
	size_t i = sizeof digits;

	do {
		digits[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	if (neg)
		digits[--i] = '-';
	sink_put(o, digits + i, sizeof digits - i);
}

int str_vfmt(char *out, size_t cap, const char *fmt, va_list ap)
{
	struct fmt_sink o = { out, cap ? cap - 1 : 0, 0 };

	for (; *fmt != '\0'; fmt++) {
		int size = 0; /* 0 int, 1 long, 2 long long, 3 size_t */
		long long sv;

		if (*fmt != '%') {
			const char *lit = fmt;

			while (fmt[1] != '\0' && fmt[1] != '%')
				fmt++;
			sink_put(&o, lit, (size_t)(fmt - lit) + 1);
			continue;
		}
		fmt++;
		if (*fmt == 'l') {
			size = 1;
			if (*++fmt == 'l') {
				size = 2;
				fmt++;
			}
		} else if (*fmt == 'z') {
			size = 3;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (s == NULL)
				s = "(null)";
			sink_put(&o, s, strlen(s));
			break;
		}
		case 'c': {
			char ch = (char)va_arg(ap, int);

			sink_put(&o, &ch, 1);
			break;
		}
		case 'd':
			sv = size == 0 ? va_arg(ap, int) : size == 2 ? va_arg(ap, long long) : va_arg(ap, long);
			sink_num(&o, sv < 0 ? 0ULL - (unsigned long long)sv : (unsigned long long)sv, sv < 0,
				 10);
			break;
		case 'u':
		case 'x':
			sink_num(&o,
				 size == 0   ? va_arg(ap, unsigned)
				 : size == 1 ? va_arg(ap, unsigned long)
				 : size == 2 ? va_arg(ap, unsigned long long)
					     : va_arg(ap, size_t),
				 0, *fmt == 'u' ? 10 : 16);
			break;
		case '%':
			sink_put(&o, "%", 1);
			break;
		default: /* not supported: visible in the output, never silent */
			sink_put(&o, "%?", 2);
			if (*fmt == '\0')
				fmt--;
			break;
		}
	}
	if (cap)
		out[o.len < o.room ? o.len : o.room] = '\0';
	return o.len > INT_MAX ? INT_MAX : (int)o.len;
}

int str_fmt(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = str_vfmt(out, cap, fmt, ap);
	va_end(ap);
	return n;
}

void *alloc_zeroed(size_t n, size_t size)
{
	void *p = size == 0 || n <= SIZE_MAX / size ? malloc(n * size) : NULL;

	if (p != NULL)
		memset(p, 0, n * size);
	return p;
}

int fd_full(int fd, void *buf, size_t n, int writing)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t m = writing ? write(fd, p, n) : read(fd, p, n);

		if (m < 0 && errno == EINTR)
			continue;
		if (m <= 0)
			return -1;
		p += m;
		n -= (size_t)m;
	}
	return 0;
}

void close_inherited(int keep1, int keep2)
{
	for (int fd = 3; fd < 1024; fd++)
		if (fd != keep1 && fd != keep2)
			close(fd);
}

int out_str(const char *s) { return fd_full(1, (void *)s, strlen(s), 1); }

void out_fmt(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	str_vfmt(buf, sizeof buf, fmt, ap);
	va_end(ap);
	out_str(buf);
}

int64_t str_to_i64(const char *s, const char **end)
{
	const char *p = s + (*s == '-');
	uint64_t v = 0, lim = *s == '-' ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	if (*p < '0' || *p > '9') {
		if (end != NULL)
			*end = s;
		return 0;
	}
	for (; *p >= '0' && *p <= '9'; p++)
		v = v > (lim - (uint64_t)(*p - '0')) / 10 ? lim : v * 10 + (uint64_t)(*p - '0');
	if (end != NULL)
		*end = p;
	return *s == '-' ? (int64_t)(0 - v) : (int64_t)v;
}

const char *mem_find(const char *hay, size_t n, const char *needle, size_t m)
{
	for (size_t i = 0; m > 0 && i + m <= n; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
			return hay + i;
	return NULL;
}

/* ---- time ---- */

int64_t time_from_civil(int64_t y, int mo, int d, int h, int mi, int s)
{
	int64_t era, yoe, doy, doe;

	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468) * 86400 + (int64_t)h * 3600 + mi * 60 + s;
}

void time_format(int64_t t, char *out, size_t cap)
{
	int64_t days = (t >= 0 ? t : t - 86399) / 86400, sec = t - days * 86400;
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1, mo = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (mo <= 2);
	char two[5][3]; /* two digits each: the formatter has no zero padding */
	int64_t part[5] = { mo, d, sec / 3600, sec / 60 % 60, sec % 60 };

	for (int i = 0; i < 5; i++) {
		two[i][0] = (char)('0' + part[i] / 10);
		two[i][1] = (char)('0' + part[i] % 10);
		two[i][2] = '\0';
	}
	str_fmt(out, cap, "%lld-%s-%sT%s:%s:%sZ", (long long)y, two[0], two[1], two[2], two[3],
		two[4]);
}

/* ---- logging ---- */

void log_use_syslog(void) { use_syslog = 1; }
int log_uses_syslog(void) { return use_syslog; }

void log_set_verbose(int verbose) { verbose_level = verbose; }
int log_verbose(void) { return verbose_level; }

/* RFC 3164 without a timestamp, which syslogd adds: busybox syslogd, OpenWrt's
 * logd, rsyslog and journald all accept "<PRI>ident[pid]: text". */
static void syslog_line(int prio, const char *text)
{
	struct sockaddr_un sa;
	char buf[1200];
	int n;

	n = str_fmt(buf, sizeof buf, "<%d>picoacme[%d]: %s", LOG_DAEMON | prio, (int)getpid(), text);
	if (n >= (int)sizeof buf)
		n = (int)sizeof buf - 1;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (syslog_fd < 0) {
			memset(&sa, 0, sizeof sa);
			sa.sun_family = AF_UNIX;
			memcpy(sa.sun_path, "/dev/log", sizeof "/dev/log");
			syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (syslog_fd < 0)
				return;
			if (connect(syslog_fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
				close(syslog_fd);
				syslog_fd = -1;
				return;
			}
		}
		if (send(syslog_fd, buf, (size_t)n, MSG_NOSIGNAL) >= 0)
			return;
		/* syslogd restarted: reconnect once */
		close(syslog_fd);
		syslog_fd = -1;
	}
}

__attribute__((format(printf, 3, 0)))
static void vline(int prio, const char *prefix, const char *fmt, va_list ap)
{
	char line[1024], out[1100];
	int n;

	str_vfmt(line, sizeof line, fmt, ap);
	n = str_fmt(out, sizeof out, "picoacme: %s%s\n", prefix, line);
	fd_full(2, out, (size_t)(n < (int)sizeof out ? n : (int)sizeof out - 1), 1);
	if (use_syslog) {
		str_fmt(out, sizeof out, "%s%s", prefix, line);
		syslog_line(prio, out);
	}
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

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(LOG_WARNING, "warning: ", fmt, ap);
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
		return str_to_i64(fake, NULL);
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
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stop_requested())
		;
}

extern char **environ;

int run_program(const char *program, char *const argv[], char *const env[], size_t n)
{
	char **envp = NULL;
	size_t ne = 0;
	pid_t pid;
	int st = 0, ret = -1;

	for (char **e = environ; *e; e++)
		ne++;
	envp = alloc_zeroed(ne + n + 1, sizeof *envp);
	if (envp == NULL) {
		err("%s: out of memory", program);
		goto out;
	}
	ne = 0;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "PICOACME_", 9) != 0)
			envp[ne++] = *e;
	for (size_t i = 0; i < n; i++)
		envp[ne++] = env[i];
	pid = _Fork();
	if (pid < 0) {
		err("%s: fork: %s", program, strerror(errno));
		goto out;
	}
	if (pid == 0) {
		execve(program, argv, envp);
		err("%s: %s", program, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			err("%s: wait: %s", program, strerror(errno));
			goto out;
		}
	}
	ret = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
out:
	free(envp);
	return ret;
}

static volatile sig_atomic_t stop_signal;

static void note_signal(int sig)
{
	stop_signal = sig;
}

void stop_on_signals(int on)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	static struct sigaction saved[3];
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = note_signal; /* no SA_RESTART: a blocked wait returns */
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++) {
		if (on)
			sigaction(sigs[i], &sa, &saved[i]);
		else
			sigaction(sigs[i], &saved[i], NULL);
	}
}

int stop_requested(void)
{
	return stop_signal != 0;
}
