#!/bin/sh
# test/hardening.sh GLIBC-BINARY STATIC-BINARY: the hardening flags took
# effect (readelf, objdump). glibc build: PIE, full RELRO (GNU_RELRO and
# BIND_NOW), stack canaries and fortified libc calls imported, stack-clash
# probes. Static musl build (x86_64): canary checks and stack-clash probes in
# the code. Ends with "hardening: N passed, N failed".
passed=0
failed=0
check() { # NAME COMMAND...
	name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		passed=$((passed + 1))
		echo "ok - $name"
	else
		failed=$((failed + 1))
		echo "not ok - $name"
	fi
}
dyn=$1
static=$2
check "$dyn: position-independent executable" sh -c "readelf -hW '$dyn' | grep -q 'Type: *DYN'"
check "$dyn: GNU_RELRO segment" sh -c "readelf -lW '$dyn' | grep -q GNU_RELRO"
check "$dyn: BIND_NOW (full RELRO)" sh -c "readelf -dW '$dyn' | grep -q 'BIND_NOW'"
check "$dyn: stack protector (__stack_chk_fail)" sh -c "nm -D '$dyn' | grep -q __stack_chk_fail"
check "$dyn: _FORTIFY_SOURCE (__*_chk calls)" sh -c "nm -D '$dyn' | grep -v __stack_chk | grep -q '_chk@'"
check "$dyn: stack-clash probes" sh -c "objdump -d '$dyn' | grep -qE 'orq +\\\$0x0,\\(%rsp\\)'"
check "$static: statically linked" sh -c "! readelf -lW '$static' | grep -q INTERP"
check "$static: stack canaries checked" sh -c "[ \$(objdump -d '$static' | grep -c '%fs:0x28') -gt 100 ]"
check "$static: stack-clash probes" sh -c "objdump -d '$static' | grep -qE 'orq +\\\$0x0,\\(%rsp\\)'"
echo "hardening: $passed passed, $failed failed"
[ "$failed" = 0 ]
