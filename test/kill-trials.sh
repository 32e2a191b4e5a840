#!/bin/bash
# Kill -9 at every file-system call of a first issuance (new account, new
# store) and of a forced renewal, one trial per call: strace counts the
# calls of one clean run, then kills a run at the Nth call of each kind in
# turn. After each kill the published key and certificate (if any) belong
# together and the chain verifies; then a normal run completes and leaves
# nothing behind (no temporaries, no generation but the published one).
#   test/kill-trials.sh BINARY
# Ends with "kill trials: N passed, N failed" (one per trial).
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/.." || exit 1
TMP=$PWD/test/tmp/kill
PEB=$TMP/pebble
RUN=$TMP/run
rm -rf "$TMP"
mkdir -p "$TMP"
export PEBBLE_VA_NOSLEEP=1
test/pebble.sh start "$PEB" || { echo "kill trials: 0 passed, 1 failed"; exit 1; }
trap 'test/pebble.sh stop "$PEB"' EXIT
SERVER=$(cat "$PEB/directory")
curl -sfk https://127.0.0.1:15000/roots/0 >"$TMP/root.pem"
LISTEN=127.0.0.1:5002
CALLS=openat,mkdir,rename,symlink,unlink,unlinkat,fsync,fchmod,write,close
passed=0
failed=0

pico() { "$BIN" "$@" --server "$SERVER" --ca "$PEB/ca.pem" --run-dir "$RUN" --http-listen $LISTEN; }

# state_ok DIR NAME: a published pair, if any, matches and verifies; with
# "clean", nothing but published generations and no temporaries remain
state_ok() {
	local d=$1 n=$2 link
	if [ -e "$d/$n" ]; then
		[ "$(openssl pkey -in "$d/$n/key.pem" -pubout 2>/dev/null)" = \
			"$(openssl x509 -in "$d/$n/cert.pem" -noout -pubkey 2>/dev/null)" ] ||
			{ echo "key and certificate differ"; return 1; }
		openssl verify -CAfile "$TMP/root.pem" -untrusted "$d/$n/chain.pem" "$d/$n/cert.pem" >/dev/null 2>&1 ||
			{ echo "the chain does not verify"; return 1; }
	fi
	[ "${3:-}" = clean ] || return 0
	link=$(readlink "$d/$n")
	if [ -n "$(find "$d" -name '*.tmp[0-9]*' -o -name '.*.link' -o -name '.probe*')" ]; then
		echo "leftovers: $(find "$d" -name '*.tmp[0-9]*' -o -name '.*.link' -o -name '.probe*')"
		return 1
	fi
	for g in "$d"/."$n".g*; do
		[ -e "$g" ] || continue
		[ "$(basename "$g")" = "$link" ] || { echo "generation left: $g"; return 1; }
	done
}

# trials SCENARIO SETUP RUN...: counts the calls of one run, then one trial
# per call
trials() {
	local scenario=$1 setup=$2
	shift 2
	local sc n count log=$TMP/count.log
	$setup
	strace -o "$log" -e trace=$CALLS "$@" >/dev/null 2>&1 || { echo "not ok - $scenario: clean run failed"; failed=$((failed + 1)); return; }
	for sc in ${CALLS//,/ }; do
		count=$(grep -c "^$sc(" "$log")
		for n in $(seq "$count"); do
			$setup
			strace -o /dev/null -e trace="$sc" -e inject="$sc":signal=KILL:when="$n" "$@" >/dev/null 2>&1
			if ! why=$(state_ok "$D" k.example.test); then
				echo "not ok - $scenario: killed at $sc #$n: $why"
				failed=$((failed + 1))
				continue
			fi
			if ! pico issue -d k.example.test --dir "$D" --agree-tos --force >"$TMP/recover.log" 2>&1; then
				echo "not ok - $scenario: killed at $sc #$n: the next run failed: $(tail -1 "$TMP/recover.log")"
				failed=$((failed + 1))
				continue
			fi
			if ! why=$(state_ok "$D" k.example.test clean); then
				echo "not ok - $scenario: killed at $sc #$n, then a run: $why"
				failed=$((failed + 1))
				continue
			fi
			passed=$((passed + 1))
		done
	done
	echo "ok - $scenario: $passed trials so far"
}

D=$TMP/store
fresh() { rm -rf "$D"; }
existing() { [ -e "$D/k.example.test" ] || pico issue -d k.example.test --dir "$D" --agree-tos >/dev/null 2>&1; }
trials "first issuance on a new store" fresh \
	"$BIN" issue -d k.example.test --dir "$D" --agree-tos --server "$SERVER" --ca "$PEB/ca.pem" \
	--run-dir "$RUN" --http-listen $LISTEN
trials "forced renewal" existing \
	"$BIN" issue -d k.example.test --dir "$D" --force --server "$SERVER" --ca "$PEB/ca.pem" \
	--run-dir "$RUN" --http-listen $LISTEN
echo "kill trials: $passed passed, $failed failed"
[ "$failed" = 0 ]
