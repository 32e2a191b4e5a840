/* netproc.c - see netproc.h */
#include "netproc.h"
#include "acme.h"
#include "key.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void netproc_init(struct netproc *np)
{
	np->rfd = np->wfd = -1;
	np->pid = -1;
	np->connects = np->requests = 0;
}

/* ---- the network process ---- */

/* Linux's seccomp ABI (linux/filter.h, linux/seccomp.h, linux/audit.h),
 * spelled out: the static builds' libc ships no kernel headers. */
struct bpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};
struct bpf_prog {
	unsigned short len;
	struct bpf_insn *filter;
};
#define BPF_LOAD_WORD 0x20 /* BPF_LD | BPF_W | BPF_ABS */
#define BPF_JUMP_EQ 0x15   /* BPF_JMP | BPF_JEQ | BPF_K */
#define BPF_RETURN 0x06    /* BPF_RET | BPF_K */
#define SECCOMP_FILTER 2
#define SECCOMP_ALLOW 0x7fff0000U
#define SECCOMP_KILL_PROCESS 0x80000000U

#if defined(__x86_64__) && !defined(__ILP32__)
#define AUDIT_ARCH 0xc000003eU
#elif defined(__i386__)
#define AUDIT_ARCH 0x40000003U
#elif defined(__aarch64__) && !defined(__AARCH64EB__)
#define AUDIT_ARCH 0xc00000b7U
#elif defined(__arm__) && defined(__ARMEL__)
#define AUDIT_ARCH 0x40000028U
#elif defined(__mips__) && !defined(__mips64) && defined(__MIPSEL__)
#define AUDIT_ARCH 0x40000008U
#elif defined(__mips__) && !defined(__mips64)
#define AUDIT_ARCH 0x00000008U
#endif
/* Only `make bench`'s instruction counting build: valgrind's own system
 * calls in the network process would break any filter. */
#ifdef PICOACME_CALLGRIND
#undef AUDIT_ARCH
#endif

#ifdef AUDIT_ARCH
/* Every system call the network process makes once it serves: DNS over
 * UDP, TCP, poll, the clock, memory, entropy for TLS, stderr, exit. Which
 * names exist depends on the architecture. */
static const unsigned short allowed_calls[] = {
	SYS_read, SYS_write, SYS_writev, SYS_close, SYS_openat, SYS_munmap, SYS_mremap, SYS_madvise,
	SYS_brk, SYS_socket, SYS_connect, SYS_sendto, SYS_recvfrom, SYS_setsockopt, SYS_getsockopt,
	SYS_exit, SYS_exit_group, SYS_rt_sigreturn, SYS_rt_sigprocmask, SYS_getrandom, SYS_getpid,
	SYS_gettid,
#ifdef SYS_mmap
	SYS_mmap,
#endif
#ifdef SYS_mmap2
	SYS_mmap2,
#endif
#ifdef SYS_open
	SYS_open,
#endif
#ifdef SYS_poll
	SYS_poll,
#endif
#ifdef SYS_ppoll
	SYS_ppoll,
#endif
#ifdef SYS_ppoll_time64
	SYS_ppoll_time64,
#endif
#ifdef SYS_fcntl
	SYS_fcntl,
#endif
#ifdef SYS_fcntl64
	SYS_fcntl64,
#endif
#ifdef SYS_lseek
	SYS_lseek,
#endif
#ifdef SYS__llseek
	SYS__llseek,
#endif
#ifdef SYS_fstat
	SYS_fstat,
#endif
#ifdef SYS_fstat64
	SYS_fstat64,
#endif
#ifdef SYS_statx
	SYS_statx,
#endif
#ifdef SYS_newfstatat
	SYS_newfstatat,
#endif
#ifdef SYS_fstatat64
	SYS_fstatat64,
#endif
#ifdef SYS_clock_gettime
	SYS_clock_gettime,
#endif
#ifdef SYS_clock_gettime32
	SYS_clock_gettime32,
#endif
#ifdef SYS_clock_gettime64
	SYS_clock_gettime64,
#endif
#ifdef SYS_gettimeofday
	SYS_gettimeofday,
#endif
#ifdef SYS_gettimeofday_time32
	SYS_gettimeofday_time32,
#endif
#ifdef SYS_nanosleep
	SYS_nanosleep,
#endif
#ifdef SYS_clock_nanosleep
	SYS_clock_nanosleep,
#endif
#ifdef SYS_clock_nanosleep_time32
	SYS_clock_nanosleep_time32,
#endif
#ifdef SYS_clock_nanosleep_time64
	SYS_clock_nanosleep_time64,
#endif
#ifdef SYS_sigreturn
	SYS_sigreturn,
#endif
#ifdef SYS_send
	SYS_send,
#endif
#ifdef SYS_recv
	SYS_recv,
#endif
};
#define NCALLS (sizeof allowed_calls / sizeof allowed_calls[0])

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ARG1_LOW 28 /* seccomp_data.args[1], its low 32 bits */
#else
#define ARG1_LOW 24
#endif
#define SIOCGIFINDEX_ 0x8933

/* Kills the process on any other call than the list and extra, or on
 * another architecture's ABI. ioctl only as SIOCGIFINDEX: the scope of a
 * link-local name server. */
static int seccomp_confine(long extra)
{
	struct bpf_insn f[NCALLS + 10];
	struct bpf_prog prog = { (unsigned short)(NCALLS + 10), f };
	size_t i;

	f[0] = (struct bpf_insn){ BPF_LOAD_WORD, 0, 0, 4 }; /* seccomp_data.arch */
	f[1] = (struct bpf_insn){ BPF_JUMP_EQ, 1, 0, AUDIT_ARCH };
	f[2] = (struct bpf_insn){ BPF_RETURN, 0, 0, SECCOMP_KILL_PROCESS };
	f[3] = (struct bpf_insn){ BPF_LOAD_WORD, 0, 0, 0 }; /* seccomp_data.nr */
	for (i = 0; i < NCALLS; i++) /* a match jumps to the last instruction */
		f[4 + i] = (struct bpf_insn){ BPF_JUMP_EQ, (uint8_t)(NCALLS + 4 - i), 0, allowed_calls[i] };
	f[4 + NCALLS] = (struct bpf_insn){ BPF_JUMP_EQ, 4, 0, (uint32_t)extra };
	f[5 + NCALLS] = (struct bpf_insn){ BPF_JUMP_EQ, 0, 2, SYS_ioctl };
	f[6 + NCALLS] = (struct bpf_insn){ BPF_LOAD_WORD, 0, 0, ARG1_LOW };
	f[7 + NCALLS] = (struct bpf_insn){ BPF_JUMP_EQ, 1, 0, SIOCGIFINDEX_ };
	f[8 + NCALLS] = (struct bpf_insn){ BPF_RETURN, 0, 0, SECCOMP_KILL_PROCESS };
	f[9 + NCALLS] = (struct bpf_insn){ BPF_RETURN, 0, 0, SECCOMP_ALLOW };
	return prctl(PR_SET_SECCOMP, SECCOMP_FILTER, &prog, 0, 0);
}
#endif

/* The 32-bit ids' calls where the old 16-bit ones kept the plain names. */
#ifdef SYS_setresuid32
#define SET_GROUPS SYS_setgroups32
#define SET_RESGID SYS_setresgid32
#define SET_RESUID SYS_setresuid32
#else
#define SET_GROUPS SYS_setgroups
#define SET_RESGID SYS_setresgid
#define SET_RESUID SYS_setresuid
#endif

/* The system calls directly: the process is single-threaded, and libc's
 * setuid family brings 4 KiB of code that keeps threads in step. */
int confine_process(const char *who, unsigned uid, unsigned gid, long extra_call)
{
#ifdef PICOACME_CALLGRIND
	/* `make bench`'s count of a process is written at its exit to the
	 * file valgrind created as root when it started */
	if (1) {
		(void)uid;
		(void)gid;
	} else
#endif
	if (geteuid() != 0) {
		vmsg("not root: the %s keeps uid %u", who, (unsigned)getuid());
	} else if (syscall(SET_GROUPS, 0, NULL) < 0 || syscall(SET_RESGID, gid, gid, gid) < 0 ||
		   syscall(SET_RESUID, uid, uid, uid) < 0) {
		/* root without the capability (a container): unavailable, as the
		 * other steps may be */
		if (errno != EPERM) {
			err("--user %u:%u: %s", uid, gid, strerror(errno));
			return -1;
		}
		vmsg("--user %u:%u: %s; the %s stays root", uid, gid, strerror(errno), who);
	} else if (syscall(SET_RESUID, 0, 0, 0) == 0) {
		err("--user %u:%u: root could be regained", uid, gid);
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		vmsg("%s unavailable: %s", "no-new-privileges", strerror(errno));
#ifdef AUDIT_ARCH
	else if (seccomp_confine(extra_call) < 0)
		vmsg("%s unavailable: %s", "seccomp", strerror(errno));
#else
	else
		vmsg("seccomp: no filter for this architecture");
	(void)extra_call;
#endif
	return 0;
}

/* The network process: never returns. */
static void serve(int rfd, int wfd, const char *ca_file, int timeout_ms, unsigned uid, unsigned gid)
{
	static struct trust_anchors tas;
	struct http_client *c = malloc(sizeof *c);
	int status = 1;

	if (c == NULL) {
		err("out of memory");
		goto out;
	}
	if (trust_anchors_load(&tas, ca_file) < 0 || confine_process("network process", uid, gid, -1) < 0)
		goto out;
#ifdef PICOACME_TEST
	/* the tests' way to make a confined process break its allowlist */
	if (getenv("PICOACME_TEST_FORBIDDEN_CALL") != NULL)
		(void)syscall(SYS_getppid);
#endif
	http_init(c, &tas);
	c->timeout_ms = timeout_ms;
	status = acme_serve(c, rfd, wfd) < 0;
	http_close(c);
out:
	/* _exit: no atexit work (a sanitizer's leak check is not on the allowlist) */
	_exit(status);
}

int netmsg_send(int fd, const struct netmsg *m, const void *body)
{
	return fd_full(fd, (void *)m, sizeof *m, 1) < 0 || fd_full(fd, (void *)body, m->body_len, 1) < 0
		       ? -1 : 0;
}

int netmsg_recv(int fd, struct netmsg *m, char *body, size_t cap)
{
	if (fd_full(fd, m, sizeof *m, 0) < 0 || m->body_len >= cap ||
	    fd_full(fd, body, m->body_len, 0) < 0)
		return -1;
	body[m->body_len] = '\0';
	return 0;
}

int netmsg_check(const struct netmsg *m)
{
	if (m->type < ASK_RESULT || m->type > ASK_LAST)
		return -1;
	for (size_t i = 0; i <= NETMSG_TEXTS; i++) {
		size_t cap = i < NETMSG_TEXTS ? HTTP_MAX_URL : NETMSG_LINE;
		const char *p = i < NETMSG_TEXTS ? m->s[i] : m->line, *end = memchr(p, '\0', cap);

		if (end == NULL)
			return -1;
		for (; p < end; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return -1;
	}
	return 0;
}

/* ---- the parent's side ---- */

int netproc_start(struct netproc *np, const char *ca_file, int timeout_ms, unsigned uid,
		  unsigned gid)
{
	int down[2] = { -1, -1 }, up[2] = { -1, -1 };

	if (pipe2(down, O_CLOEXEC) < 0 || pipe2(up, O_CLOEXEC) < 0 || (np->pid = _Fork()) < 0) {
		err("network process: %s", strerror(errno));
		np->pid = -1;
		close(down[0]);
		close(down[1]);
		close(up[0]);
		close(up[1]);
		return -1;
	}
	if (np->pid == 0) {
		CHILD_STARTS();
		/* The parent's random generator state is not the child's to
		 * know; nor are its descriptors (responder control, listeners). */
		key_forget_random();
		close_inherited(down[0], up[1]);
		/* gone with the parent (a parent gone before this reads end of input) */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		stop_on_signals(0); /* a stop signal ends it: the parent reports it */
		serve(down[0], up[1], ca_file, timeout_ms, uid, gid);
	}
	close(down[0]);
	close(up[1]);
	np->wfd = down[1];
	np->rfd = up[0];
	return 0;
}

/* Closes the parent's ends: the network process reads end of input. */
static void netproc_close(struct netproc *np)
{
	if (np->rfd >= 0) {
		close(np->rfd);
		close(np->wfd);
	}
	np->rfd = np->wfd = -1;
}

void netproc_end_failed(struct netproc *np, int said)
{
	int st = 0;

	/* killed before its pipes close: it has nothing more to say */
	if (said && np->pid > 0)
		kill(np->pid, SIGKILL);
	netproc_close(np);
	if (np->pid <= 0)
		return;
	if (waitpid(np->pid, &st, 0) == np->pid && !said) {
		if (WIFSIGNALED(st))
			err("the network process was killed by signal %d%s", WTERMSIG(st),
			    WTERMSIG(st) == SIGSYS ? " (a system call outside its seccomp allowlist)"
						   : "");
		else if (WEXITSTATUS(st) == 0)
			err("the network process ended unexpectedly");
	}
	np->pid = -1;
}

void netproc_stop(struct netproc *np)
{
	netproc_close(np);
	if (np->pid > 0) {
		waitpid(np->pid, NULL, 0);
		np->pid = -1;
	}
}
