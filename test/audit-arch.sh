#!/bin/sh
# test/audit-arch.sh: the architecture word each seccomp filter compares
# (netproc.c's AUDIT_ARCH, which kills a process making system calls of
# another ABI) against the kernel's own definition in <linux/audit.h>, as
# each cross compiler sees both. The VM suites check the filters of ARM,
# ARM64 and mipsel at run time; big-endian MIPS (no Debian kernel) shares
# mipsel's system call table, so its word is the one thing left, and is
# checked here. A compiler that is not installed is skipped and said.
set -u
pass=0
fail=0
chain=$(sed -n '/^#if defined(__x86_64__)/,/^#endif/p' netproc.c)
if [ -z "$chain" ]; then
	echo "FAIL: no AUDIT_ARCH definitions found in netproc.c"
	echo "audit-arch: 0 passed, 1 failed"
	exit 1
fi
for pair in gcc:AUDIT_ARCH_X86_64 mips-linux-gnu-gcc:AUDIT_ARCH_MIPS \
	mipsel-linux-gnu-gcc:AUDIT_ARCH_MIPSEL arm-linux-gnueabihf-gcc:AUDIT_ARCH_ARM \
	aarch64-linux-gnu-gcc:AUDIT_ARCH_AARCH64; do
	cc=${pair%%:*}
	want=${pair#*:}
	if ! command -v "$cc" >/dev/null || { [ "$cc" = gcc ] && [ "$(uname -m)" != x86_64 ]; }; then
		echo "skip - $cc is not installed (or not an x86_64 compiler)"
		continue
	fi
	if printf '#include <linux/audit.h>\n%s\n_Static_assert(AUDIT_ARCH == %s, "%s");\n' \
		"$chain" "$want" "$want" | "$cc" -fsyntax-only -x c - 2>/tmp/audit-arch.$$; then
		echo "ok - $cc: AUDIT_ARCH is $want"
		pass=$((pass + 1))
	else
		echo "FAIL - $cc: AUDIT_ARCH is not $want"
		sed 's/^/    /' /tmp/audit-arch.$$
		fail=$((fail + 1))
	fi
	rm -f /tmp/audit-arch.$$
done
echo "audit-arch: $pass passed, $fail failed"
[ "$fail" = 0 ]
