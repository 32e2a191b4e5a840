/* test/vmhwm.c - `make bench` helper.
 *   vmhwm OUT COMMAND [ARG...]
 * Runs COMMAND and appends a line "EXACT KERNEL" to OUT for it and for each
 * process it forks (picoacme's network process, its responders): the peak
 * resident set in KiB as measured here, and VmHWM as the kernel reports it
 * at exit; COMMAND's own line first. Exits with COMMAND's status.
 * Why not VmHWM from /proc/PID/status: since Linux 6.2 the kernel keeps RSS
 * in per-CPU counters and records the high-water mark from their
 * approximate sum, which here read 336 or 384 KiB for the same issuance
 * depending on the CPUs it ran on (always 384 pinned to one). The resident
 * set only shrinks in munmap, mremap, madvise, brk and at exit, so its true
 * peak is the largest of the exact values (/proc/PID/smaps_rollup, a walk
 * of the page tables) read just before each of those calls and at exit:
 * the process is stopped there with ptrace. Forked processes are followed
 * (PTRACE_O_TRACEFORK); threads are not (a multi-threaded client's other
 * threads may unmap unseen).
 * Why not /usr/bin/time's %M: ru_maxrss also counts the forking process
 * before exec (time itself, about 450 KiB here). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The KiB value of the line starting with field in /proc/PID/FILE, or -1. */
static long read_field(pid_t pid, const char *file, const char *field)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			kib = strtol(line + strlen(field), NULL, 10);
	fclose(f);
	return kib;
}

static long read_rss(pid_t pid)
{
	return read_field(pid, "smaps_rollup", "Rss:");
}

static long read_status(pid_t pid, const char *field)
{
	return read_field(pid, "status", field);
}

static int shrinks(unsigned long long nr)
{
	return nr == SYS_munmap || nr == SYS_mremap || nr == SYS_madvise || nr == SYS_brk;
}

/* One traced process: its peak and VmHWM at exit. */
struct proc {
	pid_t pid;
	int execd; /* counts from its program's start: not vmhwm before exec */
	long peak, kernel;
};

static struct proc procs[256];
static int nprocs;

static struct proc *proc_of(pid_t pid)
{
	for (int i = 0; i < nprocs; i++)
		if (procs[i].pid == pid)
			return &procs[i];
	if (nprocs == (int)(sizeof procs / sizeof procs[0]))
		return NULL;
	procs[nprocs] = (struct proc){ pid, 1, -1, -1 };
	return &procs[nprocs++];
}

int main(int argc, char **argv)
{
	struct __ptrace_syscall_info info;
	pid_t pid, w;
	int st = 0, main_st = 0;
	long rss;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: vmhwm OUT COMMAND [ARG...]\n");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st))
		return 2;
	proc_of(pid)->execd = 0;
	ptrace(PTRACE_SETOPTIONS, pid, NULL,
	       (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC |
			      PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK));
	ptrace(PTRACE_SYSCALL, pid, NULL, NULL);
	while ((w = waitpid(-1, &st, __WALL)) > 0) {
		struct proc *p = proc_of(w);
		int sig;

		if (!WIFSTOPPED(st)) {
			if (w == pid)
				main_st = st;
			continue;
		}
		sig = WSTOPSIG(st);
		rss = -1;
		if (sig == (SIGTRAP | 0x80)) {
			sig = 0;
			if (p != NULL && p->execd &&
			    ptrace(PTRACE_GET_SYSCALL_INFO, w, (void *)sizeof info, &info) > 0 &&
			    info.op == PTRACE_SYSCALL_INFO_ENTRY && shrinks(info.entry.nr))
				rss = read_rss(w);
		} else if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) {
			if (p != NULL)
				p->execd = 1;
			sig = 0;
		} else if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_FORK << 8)) ||
			   st >> 8 == (SIGTRAP | (PTRACE_EVENT_VFORK << 8))) {
			sig = 0; /* the child is traced from here: it reports its own stop */
		} else if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
			rss = read_rss(w); /* the image being left: exec starts a new one */
			if (p != NULL)
				p->kernel = read_status(w, "VmHWM:");
			sig = 0;
		} else if (sig == SIGSTOP && p != NULL && p->peak < 0 && w != pid) {
			sig = 0; /* a new child's first stop */
		}
		if (p != NULL && rss > p->peak)
			p->peak = rss;
		ptrace(PTRACE_SYSCALL, w, NULL, (void *)(long)sig);
	}
	out = fopen(argv[1], "a");
	if (out == NULL) {
		perror(argv[1]);
		return 2;
	}
	for (int i = 0; i < nprocs; i++)
		if (procs[i].peak >= 0)
			fprintf(out, "%ld %ld\n", procs[i].peak, procs[i].kernel);
	fclose(out);
	if (WIFEXITED(main_st))
		return WEXITSTATUS(main_st);
	return WIFSIGNALED(main_st) ? 128 + WTERMSIG(main_st) : 2;
}
