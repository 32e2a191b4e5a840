#!/bin/bash
# Runs a router binary on a real kernel of its architecture under
# qemu-system: qemu-user cannot install a seccomp filter, so this is where
# the filters for ARM, ARM64 and MIPS are checked at run time. Debian's own
# kernel (seccomp on, as OpenWrt's) and busybox boot an initramfs whose
# test/vm-init.sh issues one certificate with http-01 and one with
# tls-alpn-01 from the Pebble on this machine.
#   test/vm.sh arm|aarch64|mipsel BINARY
# Needs qemu-system-arm / qemu-system-mips and Debian's armhf, arm64 and
# mipsel packages reachable through apt-get download (.ci/run adds the
# architectures). Ends with "vm-ARCH: N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1
ARCH=$1
BIN=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
TMP=$PWD/test/tmp/vm-$ARCH
# shellcheck source=test/lib.sh
. test/lib.sh
KDIR=$PWD/build/vm-$ARCH

case $ARCH in
arm)
	DEB_ARCH=armhf KFLAVOUR=armmp QEMU=qemu-system-arm CONSOLE=ttyAMA0
	MACHINE="-M virt,highmem=off -cpu cortex-a15" ;;
aarch64)
	DEB_ARCH=arm64 KFLAVOUR=arm64 QEMU=qemu-system-aarch64 CONSOLE=ttyAMA0
	MACHINE="-M virt -cpu cortex-a53" ;;
mipsel)
	DEB_ARCH=mipsel KFLAVOUR=4kc-malta QEMU=qemu-system-mipsel CONSOLE=ttyS0
	MACHINE="-M malta" ;;
*)
	echo "vm.sh: no such architecture: $ARCH" >&2
	exit 2 ;;
esac

# The kernel, its network driver modules and a static busybox, once.
fetch() {
	local image
	[ -f "$KDIR/ready" ] && return 0
	rm -rf "$KDIR" && mkdir -p "$KDIR/deb" "$KDIR/x" || return 1
	image=$(apt-cache depends "linux-image-$KFLAVOUR:$DEB_ARCH" | awk '/Depends: linux-image-/{print $2; exit}')
	[ -n "$image" ] || { echo "vm.sh: apt-cache knows no linux-image-$KFLAVOUR:$DEB_ARCH" >&2; return 1; }
	(cd "$KDIR/deb" && apt-get download -q "$image" "busybox-static:$DEB_ARCH" >/dev/null 2>&1) ||
		{ echo "vm.sh: apt-get download $image busybox-static:$DEB_ARCH failed" >&2; return 1; }
	for d in "$KDIR"/deb/*.deb; do dpkg-deb -x "$d" "$KDIR/x" || return 1; done
	touch "$KDIR/ready"
}

t_vm_issuance() {
	local root="$TMP/root" kernel out
	fetch || fail "no kernel for $ARCH"
	rm -rf "$root" && mkdir -p "$root"/{bin,modules,proc,sys,dev,tmp,etc}
	cp "$KDIR/x/bin/busybox" "$root/bin/busybox"
	cp "$(find "$KDIR/x/lib/modules" -name mii.ko)" "$root/modules/1-mii.ko"
	cp "$(find "$KDIR/x/lib/modules" -name pcnet32.ko)" "$root/modules/2-pcnet32.ko"
	cp "$BIN" "$root/picoacme"
	cp "$PEB/ca.pem" "$root/ca.pem"
	cp test/vm-init.sh "$root/init"
	chmod 755 "$root/init" "$root/picoacme"
	(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$TMP/initrd.gz"
	kernel=$(ls "$KDIR"/x/boot/vmlinuz-*)
	out=$TMP/console
	# Pebble reaches the responders through relays that hold each of its
	# connections a second: the responders then live long enough to be
	# seen under their filters.
	RELAY_DELAY=1 python3 test/tcp_relay.py 127.0.0.1 5002 15080 &
	relays=$!
	RELAY_DELAY=1 python3 test/tcp_relay.py 127.0.0.1 5001 15443 &
	relays="$relays $!"
	wait_port 5002
	wait_port 5001
	# shellcheck disable=SC2086 # MACHINE is two options
	timeout 300 "$QEMU" $MACHINE -m 256 -nographic -no-reboot -monitor none \
		-kernel "$kernel" -initrd "$TMP/initrd.gz" \
		-append "console=$CONSOLE panic=-1 quiet epoch=$(date +%s)" \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:15080-:80,hostfwd=tcp:127.0.0.1:15443-:443" \
		-device pcnet,netdev=n0 </dev/null >"$out" 2>&1
	# shellcheck disable=SC2086 # two pids
	kill $relays 2>/dev/null
	tr -d '\r' <"$out" | grep '^VM-'
	grep -q 'VM-DONE' "$out" || fail "the guest did not finish (console: $out)"
	grep -q 'VM-RESULT http-01 0' "$out" || fail "http-01 issuance on $ARCH failed"
	grep -q 'VM-RESULT tls-alpn-01 0' "$out" || fail "tls-alpn-01 issuance on $ARCH failed"
	! grep -q 'unavailable\|no filter for this architecture' "$out" || fail "a confinement step was unavailable"
	# both confined processes of each run were seen under their filter, as
	# the --user uid, and nothing else was
	for c in http-01 tls-alpn-01; do
		for p in network responder; do
			grep -q "VM-FILTERED $c $p uid 4242" "$out" || fail "$c: no $p process was seen under a seccomp filter"
		done
	done
	[ "$(grep -c 'VM-FILTERED' "$out")" = 4 ] ||
		fail "other filtered processes or uids: $(tr -d '\r' <"$out" | grep 'VM-FILTERED' | tr '\n' ';')"
}

PEB=$TMP/pebble
mkdir -p "$TMP"
PEBBLE_VA_NOSLEEP=1 test/pebble.sh start "$PEB" >/dev/null || { echo "vm-$ARCH: 0 passed, 1 failed"; exit 1; }
run "$ARCH kernel: http-01 and tls-alpn-01 issuance under the seccomp filters" t_vm_issuance
test/pebble.sh stop "$PEB"
summary "vm-$ARCH"
