#!/bin/bash
# The certificate store under crashes, hostile paths and concurrent runs,
# and the http-01 responder under abuse, against a real Pebble.
#   test/e2e-faults.sh BINARY
# Ends with "faults: N passed, N failed".
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/.." || exit 1
TMP=$PWD/test/tmp/faults
PEB=$TMP/pebble
RUN=$TMP/run
for m in "$TMP"/ro "$TMP"/full; do mountpoint -q "$m" 2>/dev/null && umount "$m"; done
rm -rf "$TMP"
mkdir -p "$TMP"
# No badNonce rejections here: a rejected challenge POST would be resent
# and held back a second time by the proxies below, and the timing tests
# would measure Pebble's dice (badNonce handling is tested in e2e.sh).
export PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0
test/pebble.sh start "$PEB" || { echo "faults: 0 passed, 1 failed"; exit 1; }
trap 'test/pebble.sh stop "$PEB"; kill ${BGPIDS:-} 2>/dev/null; for m in "$TMP"/ro "$TMP"/full; do mountpoint -q "$m" && umount "$m"; done' EXIT
SERVER=$(cat "$PEB/directory")
LISTEN=127.0.0.1:5002

. test/lib.sh

pico() { "$BIN" "$@" --server "$SERVER" --ca "$PEB/ca.pem" --run-dir "$RUN" --http-listen $LISTEN; }

# pair_ok DIR NAME: the published key and certificate belong together
pair_ok() {
	[ "$(openssl pkey -in "$1/$2/key.pem" -pubout 2>/dev/null)" = \
		"$(openssl x509 -in "$1/$2/cert.pem" -noout -pubkey 2>/dev/null)" ] || fail "$2: key and certificate differ"
}

D=$TMP/certs

t_first() {
	pico issue -d a.example.test --dir "$D" --agree-tos || fail "issue"
	pair_ok "$D" a.example.test
}

# A link planted in place of the certificate link, pointing at a foreign
# directory: refused, and nothing of the foreign directory removed.
t_planted_link() {
	local F=$TMP/foreign
	mkdir -p "$F/sub"
	echo precious >"$F/key.pem"
	echo precious >"$F/sub/file"
	ln -s "$F" "$D/victim.example.test"
	pico issue -d victim.example.test --dir "$D" --force 2>"$TMP/err"
	local rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] || fail "exit status $rc"
	grep -q "victim.example.test: exists and is not a picoacme certificate link" "$TMP/err" || fail "unclear error"
	[ -f "$F/key.pem" ] && [ -f "$F/sub/file" ] && [ -d "$F" ] || fail "foreign files removed"
	rm "$D/victim.example.test"
	# The same through a relative target that climbs out of the store.
	ln -s "../foreign" "$D/victim.example.test"
	pico issue -d victim.example.test --dir "$D" --force 2>/dev/null && fail "a ../ link was accepted"
	[ -f "$F/key.pem" ] || fail "foreign files removed through ../"
	rm "$D/victim.example.test"
}

# Leftovers of crashed runs are removed by the next run that writes: an
# unpublished generation (with its private key), a generation slot that is
# a link to a foreign directory (removed as a link), a temporary link, old
# temporaries in the store and an account directory.
t_leftovers() {
	local F=$TMP/foreign2 acct
	mkdir -p "$F" "$D/.a.example.test.g7"
	echo precious >"$F/key.pem"
	echo secret >"$D/.a.example.test.g7/key.pem"
	ln -s "$F" "$D/.a.example.test.g8"
	ln -s .a.example.test.g7 "$D/.a.example.test.link"
	acct=$(ls -d "$D"/accounts/*/ | head -1)
	[ -n "$acct" ] || fail "no account directory in $D"
	echo x >"${acct}key.pem.tmp12345"
	echo x >"$D/stray.tmp999"
	pico issue -d b.example.test --dir "$D" || fail "issue"
	[ ! -e "$D/.a.example.test.g7" ] || fail "unpublished generation left"
	[ ! -e "$D/.a.example.test.g8" ] || fail "planted generation link left"
	[ -f "$F/key.pem" ] || fail "foreign file removed through a generation link"
	[ ! -e "$D/.a.example.test.link" ] || fail "temporary link left"
	[ ! -e "${acct}key.pem.tmp12345" ] && [ ! -e "$D/stray.tmp999" ] || fail "temporaries left"
	pair_ok "$D" a.example.test
	pair_ok "$D" b.example.test
}

# A store others can write to, or a key others can read: refused before
# anything is sent.
t_permissions() {
	local W=$TMP/open acct
	mkdir -p "$W"
	chmod 777 "$W"
	pico issue -d c.example.test --dir "$W" --agree-tos 2>"$TMP/err" && fail "a world-writable store was used"
	cat "$TMP/err"
	grep -q "open: other users can write to it or it is not ours (owner 0, mode 777)" "$TMP/err" ||
		fail "unclear error"
	[ -z "$(ls -A "$W")" ] || fail "something was written"
	acct=$(ls -d "$D"/accounts/*/ | head -1)
	[ -n "$acct" ] || fail "no account directory in $D"
	chmod 644 "${acct}key.pem"
	pico issue -d c.example.test --dir "$D" 2>"$TMP/err" && fail "a readable account key was used"
	chmod 600 "${acct}key.pem"
	cat "$TMP/err"
	grep -q "key.pem: a private key that other users can read or that is not ours (mode 644)" "$TMP/err" ||
		fail "unclear error"
}

# A read-only store: found before the first request (no order is placed).
t_read_only() {
	local R=$TMP/ro
	mkdir -p "$R"
	mount -t tmpfs -o ro,mode=0700,size=256k tmpfs "$R" || fail "cannot mount a tmpfs"
	pico issue -d d.example.test --dir "$R" --agree-tos -v 2>"$TMP/err"
	local rc=$?
	umount "$R"
	cat "$TMP/err"
	[ $rc = 1 ] || fail "exit status $rc"
	grep -q "ro: cannot write to the certificate directory: Read-only file system" "$TMP/err" ||
		fail "unclear error"
	! grep -q -- '-> ' "$TMP/err" || fail "requests were sent"
}

# A full disk: the published pair stays whole and published, one clear
# error. Completely full, the write probe finds it before any request; with
# three pages left, the new generation fails half-written after the CA has
# issued, and the next run (with room again) cleans up and succeeds.
t_disk_full() {
	local F=$TMP/full before rc
	mkdir -p "$F"
	mount -t tmpfs -o mode=0700,size=512k tmpfs "$F" || fail "cannot mount a tmpfs"
	pico issue -d full.example.test --dir "$F" --agree-tos 2>/dev/null || fail "first issue"
	before=$(readlink "$F/full.example.test")
	dd if=/dev/zero of="$F/filler" bs=4k 2>/dev/null
	pico issue -d full.example.test --dir "$F" --force -v 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] || fail "full: exit status $rc"
	[ "$(grep -c 'error:' "$TMP/err")" = 1 ] || fail "full: not one error line"
	grep -q 'cannot write to the certificate directory: No space left on device' "$TMP/err" ||
		fail "full: unclear error"
	! grep -q -- '-> ' "$TMP/err" || fail "full: requests were sent"
	[ "$(readlink "$F/full.example.test")" = "$before" ] || fail "full: the link moved"
	pair_ok "$F" full.example.test
	rm "$F/filler"
	dd if=/dev/zero of="$F/filler" bs=4k 2>/dev/null
	rm "$F/filler"
	dd if=/dev/zero of="$F/filler" bs=4k count=$(($(df -k --output=avail "$F" | tail -1) / 4 - 3)) 2>/dev/null
	pico issue -d full.example.test --dir "$F" --force 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] || fail "three pages: exit status $rc"
	[ "$(grep -c 'error:' "$TMP/err")" = 1 ] || fail "three pages: not one error line"
	grep -q 'No space left on device' "$TMP/err" || fail "three pages: unclear error"
	[ "$(readlink "$F/full.example.test")" = "$before" ] || fail "three pages: the link moved"
	pair_ok "$F" full.example.test
	rm "$F/filler"
	pico issue -d full.example.test --dir "$F" --force 2>/dev/null || fail "with room again"
	pair_ok "$F" full.example.test
	[ "$(find "$F" -name '.full.example.test.g*' | wc -l)" = 1 ] || fail "generations left: $(ls -a "$F")"
	umount "$F"
}

# Two runs at once on one store: the second waits, both succeed, the files
# are whole.
t_concurrent() {
	pico issue -d e1.example.test --dir "$D" -v 2>"$TMP/err1" &
	local p1=$!
	pico issue -d e2.example.test --dir "$D" -v 2>"$TMP/err2" &
	local p2=$!
	pico issue -d e3.example.test --dir "$D" -v 2>"$TMP/err3"
	local r3=$?
	wait $p1
	local r1=$?
	wait $p2
	local r2=$?
	cat "$TMP/err1" "$TMP/err2" "$TMP/err3" | grep -E 'error|waiting'
	[ $r1 = 0 ] && [ $r2 = 0 ] && [ $r3 = 0 ] || fail "exit statuses $r1 $r2 $r3"
	cat "$TMP/err1" "$TMP/err2" "$TMP/err3" | grep -q 'another picoacme run is using it; waiting' ||
		fail "no run waited"
	for n in e1 e2 e3; do pair_ok "$D" $n.example.test; done
}

# The hook gets standard input, output and error only: no descriptor of the
# run (the responder's control pipe, the store lock) that a daemon it leaves
# behind could hold.
t_hook_descriptors() {
	cat >"$TMP/hook.sh" <<HOOK
#!/bin/sh
ls -l /proc/\$\$/fd >"$TMP/hook.all"
grep -E 'pipe:|socket:|/certs\$' "$TMP/hook.all" | grep -vE ' [012] -> ' >"$TMP/hook.fds"
HOOK
	chmod +x "$TMP/hook.sh"
	# started with no descriptor but 0-2, as cron starts it
	python3 -c 'import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:], close_fds=True))' \
		"$BIN" issue -d f.example.test --dir "$D" --hook "$TMP/hook.sh" --server "$SERVER" \
		--ca "$PEB/ca.pem" --run-dir "$RUN" --http-listen $LISTEN || fail "issue"
	[ ! -s "$TMP/hook.fds" ] || fail "the hook inherited: $(cat "$TMP/hook.fds")"
}

# Started with standard input, output and error closed (a careless init
# script): the files and sockets the run opens would take descriptors 0-2,
# and its messages could go into a key file, a listener or the network
# process's pipe. picoacme opens /dev/null on them first; the run
# completes, and no file of the store holds a message.
t_closed_std_descriptors() {
	local rc pid srv fd
	CLOSED_STD=1 held_issue 2 -d closed.example.test
	for fd in 0 1 2; do
		[ "$(readlink "/proc/$pid/fd/$fd")" = /dev/null ] || { kill $srv $pid; fail "descriptor $fd: $(readlink "/proc/$pid/fd/$fd")"; }
	done
	wait $pid
	rc=$?
	kill $srv 2>/dev/null
	[ $rc = 0 ] || fail "issue failed"
	pair_ok "$D" closed.example.test
	! grep -rl 'picoacme' "$D" || fail "a message went into a file"
}

# held_issue SECONDS -d NAME...: starts an issuance through a proxy that
# holds the challenge POST back SECONDS and returns once the proxy has it:
# the responder is up and the CA has not been told. Sets $srv and $pid.
# (With --challenge tls-alpn-01 in NAME..., the responder listens on
# Pebble's tls-alpn-01 port instead.)
held_issue() {
	local hold=$1 listen="--http-listen $LISTEN"
	shift
	case " $* " in *" tls-alpn-01 "*) listen="--alpn-listen 127.0.0.1:5001" ;; esac
	: >"$TMP/hold.log"
	COUNT_LOG=$TMP/hold.log HOLD=$hold python3 test/tls_server.py hold 14446 "$PEB/cert.pem" "$PEB/key.pem" \
		14000 >"$TMP/tls-hold.log" 2>&1 &
	srv=$!
	BGPIDS=$srv
	wait_port 14446
	# shellcheck disable=SC2086 # $listen: an option and its value
	if [ -n "${CLOSED_STD:-}" ]; then
		"$BIN" issue "$@" --dir "$D" --agree-tos --server https://localhost:14446/dir --ca "$PEB/ca.pem" \
			--run-dir "$RUN" $listen <&- >&- 2>&- &
	else
		"$BIN" issue "$@" --dir "$D" --agree-tos --server https://localhost:14446/dir --ca "$PEB/ca.pem" \
			--run-dir "$RUN" $listen 2>"$TMP/err" &
	fi
	pid=$!
	for _ in $(seq 200); do grep -q challenge "$TMP/hold.log" && break; sleep 0.05; done
}

# 500 idle connections and 500 slowloris clients on the responder's port
# during a real validation of three names: the CA's validator still gets in
# (more slots, a 2.5 s limit for the request head, the oldest client evicted
# when the slots are full, connections handed over only with their first
# bytes). Meanwhile five clients that each send their request 300 ms after
# connecting (a validator slowed down, as a loaded CI machine slows Pebble)
# are all answered.
t_responder_flood() {
	local rc pid srv late=
	# the challenge POSTs are held back 3 s: the floods are on when the CA
	# validates
	held_issue 3 -d g1.example.test -d g2.example.test -d g3.example.test
	python3 test/flood.py 5002 500 idle 30 &
	local f1=$!
	python3 test/flood.py 5002 500 slowloris 30 &
	local f2=$!
	BGPIDS="$srv $f1 $f2"
	sleep 1
	python3 test/flood.py 5002 5 late 0.3 || late=1
	wait $pid
	rc=$?
	kill $srv $f1 $f2 2>/dev/null
	cat "$TMP/err"
	[ $rc = 0 ] || fail "validation under a flood failed"
	[ -z "$late" ] || fail "a client sending its request 300 ms after connecting was dropped"
	pair_ok "$D" g1.example.test
}

# Hostile requests to the responder while the CA validates (the challenge
# POST is held back 3 s): traversal, an oversized request line, a wrong
# Host, a POST and a TLS ClientHello get 4xx or a closed connection and no
# file content; the responder stays up and the CA's validation succeeds.
t_responder_abuse() {
	local rc pid srv ab
	held_issue 3 -d ab.example.test
	python3 test/abuse.py 5002 >"$TMP/abuse.log" 2>&1
	ab=$?
	wait $pid
	rc=$?
	kill $srv 2>/dev/null
	cat "$TMP/abuse.log" "$TMP/err"
	[ $ab = 0 ] || fail "the responder answered a hostile request with content"
	[ "$(grep -c ': HTTP/1.1 4\|: (closed)\|<' "$TMP/abuse.log")" = 7 ] || fail "not every probe was answered or refused"
	[ $rc = 0 ] || fail "validation failed after the probes"
	pair_ok "$D" ab.example.test
}

# The answer to newOrder, the challenge POST, then the finalize POST, is
# lost with the connection after the CA acted on it: picoacme sends it
# again, the CA refuses the copy (its nonce was spent; the challenge or
# order moved on), picoacme finds the order in the account's list or
# re-reads the resource and carries on; no error line.
t_lost_answers() {
	local path n=0
	for path in /order-plz /chalZ/ /finalize-order/; do
		n=$((n + 1))
		: >"$TMP/drop.log"
		COUNT_LOG=$TMP/drop.log DROP_PATH=$path python3 test/tls_server.py drop-answer 14446 \
			"$PEB/cert.pem" "$PEB/key.pem" 14000 >"$TMP/tls-drop.log" 2>&1 &
		local srv=$!
		BGPIDS=$srv
		wait_port 14446
		"$BIN" issue -d lost$n.example.test --dir "$TMP/lost$n" --agree-tos --server https://localhost:14446/dir \
			--ca "$PEB/ca.pem" --run-dir "$RUN" --http-listen $LISTEN -v 2>"$TMP/err"
		local rc=$?
		kill $srv 2>/dev/null
		grep -v '^picoacme: [A-Z]' "$TMP/err" | tail -6
		grep -q dropped "$TMP/drop.log" || fail "$path: no answer was dropped"
		[ $rc = 0 ] || fail "$path: a lost answer ended the run"
		! grep -q 'error:' "$TMP/err" || fail "$path: an error line"
		pair_ok "$TMP/lost$n" lost$n.example.test
		if [ $path = /order-plz ]; then
			# the order the lost answer made is found in the account's
			# list and used; no second order is made
			grep -q 'adopting https://localhost:14446/my-order/.*, made from an earlier copy of newOrder' "$TMP/err" ||
				fail "newOrder: the lost order was not adopted"
			! grep -q 'order-plz -> 201' "$TMP/err" || fail "newOrder: a second order was made"
		fi
	done
}

# The exchange with the CA broken at chosen points of chosen responses: a
# reset before the request reaches the CA, half way through the response
# head or body, or a stall there. Each run completes, or ends within its
# deadline with one clear error and nothing installed; the next run then
# completes.
t_wire_faults() {
	local n=0 spec path at rc t0 t1 outcome srv summary="" expect
	# PATH:POINT:EXPECTED, c = completes, f = fails cleanly. Completes: a
	# request that never reached the CA (sent again on a new connection)
	# and a POST-as-GET whose answer broke off (asked again); fails: a
	# stall (the deadline) and a broken answer to a POST with an effect.
	for spec in "GET /dir:stall-body:f" "HEAD /nonce-plz:before:c" "POST /sign-me-up:head:f" \
		"POST /order-plz:before:c" "POST /order-plz:body:f" "POST /authZ/:head:c" "POST /chalZ/:stall-head:f" \
		"POST /my-order/:body:c" "POST /finalize-order/:head:f" "POST /certZ/:body:c" "POST /certZ/:stall-body:f"; do
		n=$((n + 1))
		expect=${spec##*:}
		spec=${spec%:*}
		path=${spec%:*}
		at=${spec##*:}
		: >"$TMP/fault.log"
		COUNT_LOG=$TMP/fault.log FAULT_PATH=$path FAULT_AT=$at python3 test/tls_server.py fault 14448 \
			"$PEB/cert.pem" "$PEB/key.pem" 14000 >"$TMP/tls-fault.log" 2>&1 &
		srv=$!
		BGPIDS=$srv
		wait_port 14448
		t0=$(date +%s)
		"$BIN" issue -d wire$n.example.test --dir "$TMP/wire$n" --agree-tos --server https://localhost:14448/dir \
			--ca "$PEB/ca.pem" --run-dir "$RUN" --http-listen $LISTEN --timeout 3 2>"$TMP/err"
		rc=$?
		t1=$(date +%s)
		kill $srv 2>/dev/null
		wait $srv 2>/dev/null
		grep -q faulted "$TMP/fault.log" || fail "$spec: the fault was not applied"
		[ "$expect" = c ] && [ $rc != 0 ] && fail "$spec: expected to complete: $(cat "$TMP/err")"
		[ "$expect" = f ] && [ $rc = 0 ] && fail "$spec: expected to fail"
		if [ $rc = 0 ]; then
			outcome=completed
			! grep -q 'error:' "$TMP/err" || fail "$spec: exit 0 with an error line"
			pair_ok "$TMP/wire$n" wire$n.example.test
		else
			outcome="failed cleanly"
			cat "$TMP/err"
			[ $rc = 1 ] && [ "$(grep -c 'error:' "$TMP/err")" -ge 1 ] || fail "$spec: exit $rc without a clear error"
			[ ! -e "$TMP/wire$n/wire$n.example.test" ] || fail "$spec: something was installed"
			[ $((t1 - t0)) -le 15 ] || fail "$spec: took $((t1 - t0)) s"
			pico issue -d wire$n.example.test --dir "$TMP/wire$n" --agree-tos 2>"$TMP/err2" ||
				{ cat "$TMP/err2"; fail "$spec: the next run failed"; }
			pair_ok "$TMP/wire$n" wire$n.example.test
		fi
		summary="$summary$spec: $outcome in $((t1 - t0)) s; "
	done
	echo "$summary" | tr ';' '\n' | sed 's/^ //'
}

# Every byte to and from the CA in a TCP segment of its own: TLS records and
# HTTP heads arrive in pieces; the issuance completes.
t_one_byte_segments() {
	RELAY_SEGMENT=1 python3 test/tcp_relay.py 127.0.0.1 14447 14000 >"$TMP/relay.log" 2>&1 &
	local srv=$! rc
	BGPIDS=$srv
	wait_port 14447
	"$BIN" issue -d seg.example.test --dir "$TMP/seg" --agree-tos --server https://localhost:14447/dir \
		--ca "$PEB/ca.pem" --run-dir "$RUN" --http-listen $LISTEN 2>"$TMP/err"
	rc=$?
	kill $srv 2>/dev/null
	cat "$TMP/err"
	[ $rc = 0 ] || fail "issuance over 1-byte segments failed"
	pair_ok "$TMP/seg" seg.example.test
}

# network_child PID: the child of PID that is the network process (under
# seccomp, not the responder), or nothing.
network_child() {
	local c
	for c in $(pgrep -P "$1"); do
		grep -q '^Seccomp:[[:space:]]*2' "/proc/$c/status" 2>/dev/null &&
			! grep -q -- --internal-responder "/proc/$c/cmdline" 2>/dev/null && echo "$c"
	done
}

# responder_child PID: the child of PID that is the responder process.
responder_child() {
	local c
	for c in $(pgrep -P "$1"); do
		grep -q -- --internal-responder "/proc/$c/cmdline" 2>/dev/null && echo "$c"
	done
}

# scalar KEYFILE: the private scalar of an EC key, as hex
scalar() {
	openssl pkey -in "$1" -noout -text | awk '/^priv:/ {on = 1; next} /^pub:/ {on = 0} on' |
		tr -d ' :\n' | sed 's/^00\(.\{64\}\)$/\1/'
}

# holds DUMP HEX: the memory copy DUMP contains the bytes HEX
holds() { python3 -c 'import sys; sys.exit(bytes.fromhex(sys.argv[2]) not in open(sys.argv[1], "rb").read())' "$1" "$2"; }

# confined STATUS: /proc/PID/status as copied shows --user 4242:4343 with
# no groups (when the test runs as root), NoNewPrivs 1 and Seccomp 2.
confined() {
	grep -E '^(Uid|Gid|Groups|NoNewPrivs|Seccomp):' "$1"
	if [ "$(id -u)" = 0 ]; then
		grep -q '^Uid:[[:space:]]*4242[[:space:]]*4242[[:space:]]*4242[[:space:]]*4242$' "$1" &&
			grep -q '^Gid:[[:space:]]*4343[[:space:]]*4343[[:space:]]*4343[[:space:]]*4343$' "$1" &&
			grep -q '^Groups:[[:space:]]*$' "$1" || fail "$1: not running as --user 4242:4343"
	fi
	grep -q '^NoNewPrivs:[[:space:]]*1$' "$1" || fail "$1: NoNewPrivs is not 1"
	grep -q '^Seccomp:[[:space:]]*2$' "$1" || fail "$1: Seccomp is not 2"
}

# The network process (DNS, TCP, TLS, HTTP) and the responder (what any
# client on the Internet sends) run confined and hold no key: during a real
# issuance (tls-alpn-01: alpn=1) their /proc status shows the --user ids
# with no groups, NoNewPrivs 1 and Seccomp 2, and a copy of their memory
# holds neither the account key's nor the new certificate key's private
# scalar, where the parent's memory, copied the same way, holds both.
t_network_process() {
	local rc pid srv np rp k name=np.example.test
	[ "${1:-0}" = 1 ] && name=npalpn.example.test
	if [ "${1:-0}" = 1 ]; then
		held_issue 2 -d $name --user 4242:4343 --challenge tls-alpn-01
	else
		held_issue 2 -d $name --user 4242:4343
	fi
	np=$(network_child $pid)
	rp=$(responder_child $pid)
	[ -n "$np" ] && [ -n "$rp" ] || { kill $srv $pid; fail "no network process ($np) or responder ($rp)"; }
	cp "/proc/$np/status" "$TMP/np.status"
	cp "/proc/$rp/status" "$TMP/rp.status"
	python3 test/memscan.py "$np" "$TMP/np.mem" && python3 test/memscan.py "$rp" "$TMP/rp.mem" &&
		python3 test/memscan.py "$pid" "$TMP/parent.mem" || { kill $srv $pid; fail "memory not readable"; }
	wait $pid
	rc=$?
	kill $srv 2>/dev/null
	cat "$TMP/err"
	[ $rc = 0 ] || fail "issuance failed"
	confined "$TMP/np.status"
	confined "$TMP/rp.status"
	for k in "$D/accounts/localhost_14446_dir/key.pem" "$D/$name/key.pem"; do
		holds "$TMP/parent.mem" "$(scalar "$k")" || fail "the scan does not find $k in the parent"
		! holds "$TMP/np.mem" "$(scalar "$k")" || fail "the network process holds the key of $k"
		! holds "$TMP/rp.mem" "$(scalar "$k")" || fail "the responder holds the key of $k"
	done
	rm -f "$TMP/np.mem" "$TMP/rp.mem" "$TMP/parent.mem"
}

# ended_by VARIABLE LINE: a forced issuance with the test build's hook
# VARIABLE set exits 1 with exactly one error line, LINE, and the published
# pair stays as it was.
ended_by() {
	local before rc
	before=$(cat "$D/a.example.test/cert.pem" "$D/a.example.test/key.pem" | sha256sum)
	(export "$1=1" && pico issue -d a.example.test --dir "$D" --force) 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] || fail "exit status $rc"
	grep -qxF "picoacme: error: $2" "$TMP/err" || fail "unclear error"
	[ "$(grep -c 'error:' "$TMP/err")" = 1 ] || fail "not one error line"
	[ "$(cat "$D/a.example.test/cert.pem" "$D/a.example.test/key.pem" | sha256sum)" = "$before" ] ||
		fail "the published pair changed"
}

# A system call outside the allowlist kills the network process: the run
# ends with one clear error and the published pair stays as it was.
t_forbidden_call() {
	ended_by PICOACME_TEST_FORBIDDEN_CALL \
		'the network process was killed by signal 31 (a system call outside its seccomp allowlist)'
}

# A network process that asks the parent to sign a request to another host
# (as a compromised one could): refused, the network process ended, one
# clear error, nothing signed or sent, the published pair as it was.
t_hostile_request() {
	ended_by PICOACME_TEST_HOSTILE_SIGN \
		"the network process asked for a signature for a URL off the CA's origin (https://attacker.example/acme/new-order); it is ended"
}

# Root without the capability to switch users (a container's root): that
# step is unavailable, -v says so, and the run completes (the network
# process still gets no-new-privileges and its seccomp filter).
t_no_setuid_capability() {
	local rc
	[ "$(id -u)" = 0 ] || return 0
	setpriv --bounding-set=-setuid,-setgid "$BIN" issue -d nocap.example.test --dir "$D" --agree-tos \
		--server "$SERVER" --ca "$PEB/ca.pem" --run-dir "$RUN" --http-listen $LISTEN -v 2>"$TMP/err"
	rc=$?
	grep -v '^picoacme: [A-Z]' "$TMP/err" | grep -i 'user\|error'
	[ $rc = 0 ] || fail "the run failed without the capability"
	grep -q -- '--user 65534:65534: Operation not permitted; the network process stays root' "$TMP/err" ||
		fail "-v does not say the switch was unavailable"
	pair_ok "$D" nocap.example.test
}

t_responder_dies() {
	local rc pid srv child t0 t1
	held_issue 2 -d h.example.test
	child=$(responder_child $pid)
	[ -n "$child" ] || { kill $srv; fail "no responder process"; }
	kill -9 "$child"
	t0=$(date +%s%N)
	wait $pid
	rc=$?
	t1=$(date +%s%N)
	kill $srv 2>/dev/null
	cat "$TMP/err"
	[ $rc = 1 ] || fail "exit status $rc"
	grep -q 'http-01 responder stopped during validation (signal 9)' "$TMP/err" || fail "unclear error"
	[ $(((t1 - t0) / 1000000)) -lt 4000 ] || fail "took $(((t1 - t0) / 1000000)) ms"
	[ ! -e "$D/h.example.test" ] || fail "something was installed"
}

run "first issuance" t_first
run "a planted link is neither followed nor removed" t_planted_link
run "leftovers of crashed runs are removed" t_leftovers
run "a store others can write, a key others can read: refused" t_permissions
run "a read-only store is found before any request" t_read_only
run "a full disk: one clear error, the published pair intact" t_disk_full
run "three runs at once: they wait for each other" t_concurrent
run "the hook inherits no descriptors of the run" t_hook_descriptors
run "standard descriptors closed at start" t_closed_std_descriptors
run "idle and slowloris floods during validation" t_responder_flood
run "hostile requests to the responder during validation" t_responder_abuse
run "a lost answer to newOrder (the order adopted), the challenge or finalize POST (re-read): carry on" t_lost_answers
run "1-byte TCP segments to and from the CA" t_one_byte_segments
run "resets and stalls at chosen points of chosen responses" t_wire_faults
run "the responder dies during validation: a clear error at once" t_responder_dies
run "network process and http-01 responder: --user, NoNewPrivs, seccomp, no key in memory" t_network_process
run "the same with the tls-alpn-01 responder" t_network_process 1
run "a forbidden system call ends the run cleanly" t_forbidden_call
run "a network process asking to sign for another host is refused and ended" t_hostile_request
run "root without the capability to switch users: said at -v, the run completes" t_no_setuid_capability
summary faults
