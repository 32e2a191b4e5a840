#!/bin/bash
# The whole suite behind `make test`: unit tests in a plain -Werror build and
# in an ASan+UBSan build, Wycheproof's signature vectors, the fuzz corpora,
# then the end-to-end tests against Pebble with the
# sanitizer build of picoacme and a smoke run with the plain binary.
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
total_pass=0
total_fail=0

count() { # log: adds the "N passed, N failed" of its last summary line
	local line p f
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
	if [ -z "$line" ]; then
		total_fail=$((total_fail + 1))
		echo "(no summary line: counted as one failure)"
		return
	fi
	p=$(sed -E 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*$/\2/' <<<"$line")
	f=$(sed -E 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*$/\3/' <<<"$line")
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

suite() { # title command...
	local title=$1 log start=$SECONDS
	shift
	log=$(mktemp)
	echo "== $title"
	"$@" 2>&1 | tee "$log" | grep -v '^picoacme: ' || true
	count "$log"
	rm -f "$log"
	echo "   ($((SECONDS - start)) s)"
}

mkdir -p test/tmp
# The router builds (musl and BearSSL for each architecture, then an LTO
# link each: about six minutes of two cores) go on in the background at the
# lowest priority from here, while the suites against Pebble spend most of
# their time waiting; the suites that need them wait for them.
cross_targets=""
if command -v mips-linux-gnu-gcc >/dev/null && command -v qemu-mips >/dev/null; then
	cross_targets="build/unit-mips picoacme-mips"
fi
for arch in arm:armhf:arm-linux-gnueabihf aarch64:arm64:aarch64-linux-gnu mipsel:mipsel:mipsel-linux-gnu; do
	IFS=: read -r a deb cc <<<"$arch"
	if command -v "$cc-gcc" >/dev/null && dpkg --print-foreign-architectures | grep -qx "$deb"; then
		cross_targets="$cross_targets picoacme-$a"
	fi
done
command -v dpkg-source >/dev/null && cross_targets="$cross_targets picoacme-static"
# shellcheck disable=SC2086 # a list of targets
nice -n 19 make -s -k -j"$(nproc)" $cross_targets >build/cross.log 2>&1 &
cross_pid=$!
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
suite "unit (plain, -Werror)" build/unit
suite "unit (ASan+UBSan)" build/unit-san
suite "Wycheproof signature vectors through the TLS/X.509 verifiers (ASan+UBSan)" \
	sh -c 'build/wycheproof <build/wycheproof.txt'
fuzz_replay() {
	local p=0 f=0 t
	for t in $FUZZ_TARGETS; do
		if build/fuzz-$t-replay fuzz/corpus/$t/*; then p=$((p + 1)); else f=$((f + 1)); echo "fuzz corpus $t: FAILED"; fi
	done
	echo "fuzz corpora: $p passed, $f failed"
}
suite "fuzz corpora replayed (ASan+UBSan)" fuzz_replay
suite "end-to-end against Pebble (ASan+UBSan binary)" test/e2e.sh build/picoacme-test
suite "lifecycle against Pebble 2.10 from sid (ASan+UBSan binary)" test/e2e-lifecycle.sh build/picoacme-test
suite "challenge methods against Pebble 2.10 from sid (ASan+UBSan binary)" \
	test/e2e-challenges.sh build/picoacme-test
suite "store and responder faults against Pebble (ASan+UBSan binary)" \
	test/e2e-faults.sh build/picoacme-test
suite "OpenWrt package: acme-common's hook contract under busybox sh (ASan+UBSan binary)" \
	test/e2e-openwrt.sh build/picoacme-test
# The background builds' failures show below, where each is made again.
wait "$cross_pid"
# Big-endian MIPS, like many routers: unit tests under qemu-user, whenever
# the cross compiler is installed (.ci/run installs it).
if command -v mips-linux-gnu-gcc >/dev/null && command -v qemu-mips >/dev/null; then
	if make -s -j"$(nproc)" build/unit-mips >/dev/null 2>&1; then
		suite "unit (big-endian MIPS under qemu-mips)" qemu-mips -L /usr/mips-linux-gnu build/unit-mips
		if make -s -j"$(nproc)" picoacme-mips >/dev/null 2>&1; then
			printf '#!/bin/sh\nexec qemu-mips -L /usr/mips-linux-gnu "%s/picoacme-mips" "$@"\n' "$PWD" \
				>build/picoacme-mips-qemu
			chmod +x build/picoacme-mips-qemu
			suite "one issuance by picoacme-mips under qemu-mips" env E2E_ONLY=one test/e2e.sh build/picoacme-mips-qemu
		else
			echo "== picoacme-mips: build failed"
			total_fail=$((total_fail + 1))
		fi
	else
		echo "== unit (big-endian MIPS): build failed"
		total_fail=$((total_fail + 1))
	fi
fi
suite "seccomp architecture words against each compiler's <linux/audit.h>" test/audit-arch.sh
# ARM, ARM64 and little-endian MIPS routers' kernels under qemu-system:
# their seccomp filters at run time (qemu-user cannot install one), whenever
# the cross compilers, qemu-system and Debian's armhf/arm64/mipsel packages are
# there (.ci/run sets them up; test/vm.sh downloads the kernels).
for arch in arm:armhf:arm-linux-gnueabihf:qemu-system-arm aarch64:arm64:aarch64-linux-gnu:qemu-system-aarch64 \
	mipsel:mipsel:mipsel-linux-gnu:qemu-system-mipsel; do
	IFS=: read -r a deb cc qemu <<<"$arch"
	if ! command -v "$cc-gcc" >/dev/null || ! command -v "$qemu" >/dev/null ||
		! dpkg --print-foreign-architectures | grep -qx "$deb"; then
		continue
	fi
	if make -s -j"$(nproc)" "picoacme-$a" >/dev/null 2>&1; then
		suite "picoacme-$a on Debian's $a kernel under $qemu (seccomp filters at run time)" test/vm.sh "$a" "./picoacme-$a"
	else
		echo "== picoacme-$a: build failed"
		total_fail=$((total_fail + 1))
	fi
done
suite "end-to-end smoke (plain binary)" env E2E_ONLY=smoke test/e2e.sh ./picoacme
if command -v strace >/dev/null; then
	suite "kill -9 at every file-system call (plain binary)" test/kill-trials.sh ./picoacme
else
	echo "== kill trials: strace is missing"
	total_fail=$((total_fail + 1))
fi
# The shipped binary: musl, its own resolver (`make static`; musl and
# BearSSL built from Debian's source, which dpkg-dev unpacks).
if command -v dpkg-source >/dev/null; then
	if make -s -j"$(nproc)" picoacme-static >/dev/null 2>&1; then
		suite "end-to-end smoke (./picoacme-static, what routers run)" env E2E_ONLY=smoke test/e2e.sh ./picoacme-static
		if [ "$(uname -m)" = x86_64 ]; then
			suite "hardened builds (readelf, objdump)" test/hardening.sh ./picoacme ./picoacme-static
		fi
	else
		echo "== picoacme-static: build failed"
		total_fail=$((total_fail + 1))
	fi
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
