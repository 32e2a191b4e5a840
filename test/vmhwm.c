/* test/vmhwm.c - `make bench` helper.
 *   vmhwm OUT COMMAND [ARG...]
 * Runs COMMAND, stops it as it exits (ptrace) and appends its peak resident
 * set, VmHWM in KiB from /proc/PID/status, as one line to OUT. Exits with
 * COMMAND's status.
 * Why not /usr/bin/time's %M: ru_maxrss also counts the forking process
 * before exec (time itself, about 450 KiB here), more than picoacme's own
 * peak, and on this kernel it read below VmHWM for a process that touched
 * 300 KiB. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static long read_vmhwm(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	fclose(f);
	return kib;
}

int main(int argc, char **argv)
{
	pid_t pid;
	int st = 0;
	long hwm = -1;
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
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL));
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	while (waitpid(pid, &st, 0) == pid && WIFSTOPPED(st)) {
		int sig = WSTOPSIG(st);

		if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
			hwm = read_vmhwm(pid); /* the image being left: exec starts a new one */
			sig = 0;
		} else if (sig == SIGTRAP) {
			sig = 0; /* the stop after execve */
		}
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
	out = fopen(argv[1], "a");
	if (out == NULL) {
		perror(argv[1]);
		return 2;
	}
	fprintf(out, "%ld\n", hwm);
	fclose(out);
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 2;
}
