#!/bin/bash
# End-to-end tests against a real Pebble CA on loopback.
#   test/e2e.sh BINARY
# Pebble runs with its defaults (5% badNonce rejections, 50% authz reuse);
# only its random validation sleep is turned off. Prints "ok"/"not ok" per
# test and ends with "e2e: N passed, N failed".
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/.."
TMP=$PWD/test/tmp/e2e
PEB=$TMP/pebble
RUN=$TMP/run
rm -rf "$TMP"
mkdir -p "$TMP"
export PEBBLE_VA_NOSLEEP=1
test/pebble.sh start "$PEB" || { echo "e2e: 0 passed, 1 failed"; exit 1; }
trap 'test/pebble.sh stop "$PEB"; kill ${WEBPID:-} ${TLSPID:-} ${SRVPID:-} 2>/dev/null' EXIT
SERVER=$(cat "$PEB/directory")
LISTEN=127.0.0.1:5002
curl -sfk https://127.0.0.1:15000/roots/0 >"$TMP/root.pem"
curl -sfk https://127.0.0.1:15000/intermediates/0 >"$TMP/intermediate.pem"

. test/lib.sh

# pico ARGS...: picoacme against Pebble with the test CA file
pico() { "$BIN" "$@" --server "$SERVER" --ca "$PEB/ca.pem" --run-dir "$RUN"; }

mode() { stat -c %a "$1"; }

# check_cert DIR NAME...: the stored files form a valid chain for the names
check_cert() {
	local d=$1
	shift
	openssl verify -CAfile "$TMP/root.pem" -untrusted "$d/chain.pem" "$d/cert.pem" || fail "chain does not verify"
	cmp <(cat "$d/cert.pem" "$d/chain.pem") "$d/fullchain.pem" || fail "fullchain != cert + chain"
	[ "$(openssl pkey -in "$d/key.pem" -pubout)" = "$(openssl x509 -in "$d/cert.pem" -noout -pubkey)" ] ||
		fail "key.pem does not match cert.pem"
	local sans
	sans=$(openssl x509 -in "$d/cert.pem" -noout -ext subjectAltName)
	for n in "$@"; do
		grep -q "DNS:$n\(,\|$\)" <<<"$sans" || fail "certificate lacks $n"
	done
	[ "$(mode "$d/key.pem")" = 600 ] || fail "key.pem mode $(mode "$d/key.pem")"
	[ "$(mode "$(readlink -f "$d")")" = 700 ] || fail "certificate directory not 0700"
}

t_new_account_one_name() {
	local D=$TMP/s1
	pico issue -d one.example.test --dir "$D" --agree-tos --email admin@example.org \
		--http-listen $LISTEN || fail "issue failed"
	check_cert "$D/one.example.test" one.example.test
	[ "$(mode "$D")" = 700 ] || fail "config dir mode"
	local acct=$D/accounts/localhost_14000_dir
	[ "$(mode "$acct")" = 700 ] || fail "account dir mode"
	[ "$(mode "$acct/key.pem")" = 600 ] || fail "account key mode"
	grep -q '^https://localhost:14000/my-account/' "$acct/url" || fail "account url not stored"
	grep -qx 'names=one.example.test' "$D/one.example.test/settings" || fail "settings names"
	grep -qx 'key_type=ec256' "$D/one.example.test/settings" || fail "settings key_type"
	grep -qx "server=$SERVER" "$D/one.example.test/settings" || fail "settings server"
	openssl x509 -in "$D/one.example.test/cert.pem" -noout -text | grep -q 'id-ecPublicKey' || fail "not EC"
}

# webroot_issue WEBROOT ARGS...: issue ARGS with --webroot WEBROOT, served
# on the http-01 port by a web server of the test (its log: $TMP/web.log).
webroot_issue() {
	local W=$1 rc
	shift
	mkdir -p "$W"
	python3 -m http.server 5002 --bind 127.0.0.1 --directory "$W" >"$TMP/web.log" 2>&1 &
	WEBPID=$!
	wait_port 5002
	pico issue "$@" --webroot "$W"
	rc=$?
	kill $WEBPID
	wait $WEBPID 2>/dev/null
	WEBPID=
	return $rc
}

t_new_account_webroot() {
	local D=$TMP/s1
	webroot_issue "$TMP/www" -d one.example.test --dir "$D" --agree-tos || fail "issue failed"
	check_cert "$D/one.example.test" one.example.test
}

t_ten_names_existing_account() {
	local D=$TMP/s1 names=() args=()
	for i in $(seq 1 10); do names+=("n$i.example.test"); args+=(-d "n$i.example.test"); done
	# No --agree-tos: the account from the previous test is used.
	pico issue "${args[@]}" --dir "$D" --http-listen $LISTEN -v 2>"$TMP/ten.err" || { cat "$TMP/ten.err"; fail "issue failed"; }
	cat "$TMP/ten.err"
	grep -q 'sign-me-up' "$TMP/ten.err" && fail "created or looked up an account again"
	grep -q 'over 1 TCP connection$' "$TMP/ten.err" || fail "used more than one connection"
	check_cert "$D/n1.example.test" "${names[@]}"
}

t_hundred_names() {
	local D=$TMP/s1 args=()
	for i in $(seq 1 100); do args+=(-d "h$i.example.test"); done
	pico issue "${args[@]}" --dir "$D" --http-listen $LISTEN || fail "issue failed"
	check_cert "$D/h1.example.test" h1.example.test h50.example.test h100.example.test
	[ "$(openssl x509 -in "$D/h1.example.test/cert.pem" -noout -ext subjectAltName | grep -o 'DNS:' | wc -l)" = 100 ] ||
		fail "not 100 SANs"
}

t_reissue_replaces_pair() {
	local D=$TMP/s1 before after
	before=$(openssl x509 -in "$D/one.example.test/cert.pem" -noout -serial)
	cp "$D/one.example.test/key.pem" "$TMP/oldkey.pem"
	pico issue -d one.example.test --dir "$D" --http-listen $LISTEN --force || fail "reissue failed"
	after=$(openssl x509 -in "$D/one.example.test/cert.pem" -noout -serial)
	[ "$before" != "$after" ] || fail "certificate not replaced"
	cmp -s "$TMP/oldkey.pem" "$D/one.example.test/key.pem" && fail "key not replaced"
	check_cert "$D/one.example.test" one.example.test
	[ "$(readlink "$D/one.example.test")" = .one.example.test.g2 ] || fail "link not flipped to g2"
	[ ! -e "$D/.one.example.test.g1" ] || fail "old generation left behind"
}

t_rsa2048() {
	local D=$TMP/s1
	pico issue -d rsa.example.test --key-type rsa2048 --dir "$D" --http-listen $LISTEN || fail "issue failed"
	check_cert "$D/rsa.example.test" rsa.example.test
	openssl x509 -in "$D/rsa.example.test/cert.pem" -noout -text | grep -q 'Public-Key: (2048 bit)' || fail "not RSA 2048"
	grep -qx 'key_type=rsa2048' "$D/rsa.example.test/settings" || fail "settings key_type"
}

t_ec384() {
	local D=$TMP/s1
	pico issue -d p384.example.test --key-type ec384 --dir "$D" --http-listen $LISTEN || fail "issue failed"
	check_cert "$D/p384.example.test" p384.example.test
	openssl x509 -in "$D/p384.example.test/cert.pem" -noout -text | grep -q 'NIST CURVE: P-384' || fail "not P-384"
}

t_webroot() {
	local D=$TMP/s1 W=$TMP/www
	webroot_issue "$W" -d web.example.test -d www.web.example.test --dir "$D" || fail "issue failed"
	check_cert "$D/web.example.test" web.example.test www.web.example.test
	grep -q 'GET /.well-known/acme-challenge/' "$TMP/web.log" || fail "web server was not asked"
	[ -d "$W/.well-known/acme-challenge" ] || fail "challenge dir not created"
	[ -z "$(ls -A "$W/.well-known/acme-challenge")" ] || fail "token files left behind"
	grep -qx 'challenge=webroot' "$D/web.example.test/settings" || fail "settings challenge"
}

t_slow_client_does_not_block() {
	local D=$TMP/s1
	# A client that connects to the responder and never sends a byte.
	( exec 3<>/dev/tcp/127.0.0.1/5002 2>/dev/null; sleep 8 ) &
	local hog=$!
	( sleep 0.3; exec 3<>/dev/tcp/127.0.0.1/5002 2>/dev/null; printf 'GET /' >&3; sleep 8 ) &
	local hog2=$!
	pico issue -d slow.example.test --dir "$D" --http-listen $LISTEN
	local rc=$?
	kill $hog $hog2 2>/dev/null
	[ $rc = 0 ] || fail "issue failed with idle clients connected"
	check_cert "$D/slow.example.test" slow.example.test
}

# ---- bad input: clear one-line error, exit 1, nothing written ----

t_no_agree_tos() {
	local D=$TMP/fresh
	pico issue -d x.example.test --dir "$D" --http-listen $LISTEN 2>"$TMP/err" && fail "succeeded"
	cat "$TMP/err"
	grep -q -- '--agree-tos' "$TMP/err" || fail "no hint about --agree-tos"
	grep -q 'terms of service at data:text/plain,' "$TMP/err" || fail "terms URL not printed"
	[ ! -e "$D" ] || fail "something was written: $(find "$D")"
}

t_invalid_name() {
	local D=$TMP/s1 before
	before=$(tree_state "$D")
	for bad in 'bad_name.example' '-x.example' 'a..example' '*.*.wild.example' 'a.*.example' '*' '999.1.2.3' 'x.example/../../etc' "$(printf 'a\nb.example')"; do
		"$BIN" issue --run-dir "$RUN" -d "$bad" --dir "$D" --server "$SERVER" --ca "$PEB/ca.pem" 2>"$TMP/err" && fail "accepted $bad"
		cat "$TMP/err"
		[ "$(wc -l <"$TMP/err")" = 1 ] || fail "error is not one line for $bad"
		grep -q 'not a valid DNS name' "$TMP/err" || fail "unclear error for $bad"
	done
	[ "$before" = "$(tree_state "$D")" ] || fail "state changed"
}

t_command_line() {
	local D=$TMP/s1 args want
	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086 # word splitting of the case is intended
		"$BIN" $args 2>"$TMP/err" && fail "accepted: $args"
		[ "$(wc -l <"$TMP/err")" = 1 ] || fail "error is not one line for: $args"
		grep -qF -- "$want" "$TMP/err" || fail "for '$args' expected '$want', got: $(cat "$TMP/err")"
	done <<-EOF
		issue --bogus -d a.example|--bogus: unknown option (try --help)
		issue --d a.example|--d: ambiguous option (try --help)
		issue -x|-x: unknown option (try --help)
		renew --force=yes|--force takes no value
		renew --dir|--dir needs a value
		status --key-type ec384|status: option --key-type is for issue
		issue -d a.example --timeout 0|--timeout 0: expected a number from 1 to 3600
		issue -d a.example --timeout 5x|--timeout 5x: expected a number from 1 to 3600
		renew --user 0|--user 0: expected UID[:GID], numbers other than 0
		renew --user nobody|--user nobody: expected UID[:GID], numbers other than 0
		renew --user 100:|--user 100:: expected UID[:GID], numbers other than 0
		renew --user 100:0|--user 100:0: expected UID[:GID], numbers other than 0
		renew --user 4294967296|--user 4294967296: expected UID[:GID], numbers other than 0
		frobnicate|unknown command 'frobnicate' (try --help)
	EOF
	# --name=value, an abbreviation and options after the names all work.
	"$BIN" status --dir="$D" --js >"$TMP/out" || fail "status --dir=DIR --js failed"
	grep -q '"name":"one.example.test"' "$TMP/out" || fail "status --json output: $(cat "$TMP/out")"
	"$BIN" renew one.example.test --dir "$D" --run-dir "$TMP/run-cl" --ca "$PEB/ca.pem" -- 2>"$TMP/err"
	[ $? = 2 ] || fail "renew NAME --dir DIR: $(cat "$TMP/err")"
}

t_untrusted_server() {
	local D=$TMP/s1 before
	before=$(tree_state "$D")
	"$BIN" issue --run-dir "$RUN" -d one.example.test --dir "$D" --server "$SERVER" --ca /etc/ssl/certs/ca-certificates.crt \
		--http-listen $LISTEN 2>"$TMP/err" && fail "succeeded"
	cat "$TMP/err"
	grep -q 'not trusted' "$TMP/err" || fail "unclear error"
	grep -q 'localhost:14000' "$TMP/err" || fail "error does not name the server"
	[ "$before" = "$(tree_state "$D")" ] || fail "state changed"
}

t_ca_bundle() {
	local D=$TMP/s1
	# Pebble's CA last in the full system bundle: indexed, and loaded only
	# when the server's chain names it.
	cat /etc/ssl/certs/ca-certificates.crt "$PEB/ca.pem" >"$TMP/bundle.pem"
	"$BIN" issue --run-dir "$RUN" -d bundle.example.test --dir "$D" --server "$SERVER" --ca "$TMP/bundle.pem" \
		--http-listen $LISTEN || fail "issue with the CA bundle"
	check_cert "$D/bundle.example.test" bundle.example.test
	# The server's own certificate (not a CA) as the only anchor: direct trust.
	"$BIN" issue --run-dir "$RUN" -d direct.example.test --dir "$D" --server "$SERVER" --ca "$PEB/cert.pem" \
		--http-listen $LISTEN || fail "issue trusting the server certificate directly"
	check_cert "$D/direct.example.test" direct.example.test
}

t_server_down() {
	local D=$TMP/s1 before
	before=$(tree_state "$D")
	"$BIN" issue --run-dir "$RUN" -d one.example.test --dir "$D" --server https://127.0.0.1:9/dir --ca "$PEB/ca.pem" \
		--http-listen $LISTEN 2>"$TMP/err" && fail "succeeded"
	cat "$TMP/err"
	grep -q 'https://127.0.0.1:9.*cannot connect' "$TMP/err" || fail "unclear error"
	[ "$before" = "$(tree_state "$D")" ] || fail "state changed"
}

t_silent_server_times_out() {
	local D=$TMP/s1 before start
	before=$(tree_state "$D")
	# Accepts TCP connections and never answers: the request deadline ends it.
	python3 -c 'import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 14999)); s.listen(5); c=s.accept(); time.sleep(30)' &
	local srv=$!
	wait_port 14999 # (its one accept takes this probe; picoacme waits in the backlog)
	start=$(date +%s)
	"$BIN" issue --run-dir "$RUN" -d one.example.test --dir "$D" --server https://localhost:14999/dir --ca "$PEB/ca.pem" \
		--http-listen $LISTEN --timeout 2 2>"$TMP/err" && { kill $srv; fail "succeeded"; }
	kill $srv 2>/dev/null
	cat "$TMP/err"
	[ $(($(date +%s) - start)) -le 6 ] || fail "deadline not honoured"
	grep -q 'timed out' "$TMP/err" || fail "unclear error"
	[ "$before" = "$(tree_state "$D")" ] || fail "state changed"
}

t_corrupt_account_key() {
	local D=$TMP/corrupt acct
	mkdir -p "$D"
	cp -a "$TMP/s1/accounts" "$D/"
	acct=$(echo "$D"/accounts/*)
	printf -- '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n' >"$acct/key.pem"
	local before
	before=$(tree_state "$D")
	pico issue -d one.example.test --dir "$D" --agree-tos --http-listen $LISTEN 2>"$TMP/err" && fail "succeeded"
	cat "$TMP/err"
	grep -q "$acct/key.pem: not a valid private key" "$TMP/err" || fail "unclear error"
	[ "$before" = "$(tree_state "$D")" ] || fail "state changed"
}

t_failed_validation_keeps_old_pair() {
	# A fresh account has no valid authorizations Pebble could reuse, so
	# validation really happens, and fails: the responder listens where
	# Pebble does not look.
	local D=$TMP/keep before
	mkdir -p "$D"
	chmod 700 "$D"
	cp -a "$TMP/s1/one.example.test" "$TMP"/s1/.one.example.test.g* "$D/"
	before=$(tree_state "$D/one.example.test"; readlink "$D/one.example.test")
	pico issue -d one.example.test --dir "$D" --agree-tos --http-listen 127.0.0.1:5009 --force 2>"$TMP/err" && fail "succeeded"
	cat "$TMP/err"
	grep -q 'one.example.test: validation failed: connection' "$TMP/err" || fail "validation error not reported"
	[ "$before" = "$(tree_state "$D/one.example.test"; readlink "$D/one.example.test")" ] ||
		fail "certificate files changed"
	check_cert "$D/one.example.test" one.example.test
}

# A CA that leaves the order pending after a failed validation (step-ca
# 0.19; here a proxy rewrites Pebble's invalid order): the failed
# authorization ends the run with its reason, long before the 5-minute
# validation deadline.
t_order_left_pending() {
	local D=$TMP/pending start rc
	: >"$TMP/pending.log"
	COUNT_LOG=$TMP/pending.log tls_server pending-order 14446
	start=$(date +%s)
	"$BIN" issue --run-dir "$RUN" -d pending.example.test --dir "$D" --server https://localhost:14446/dir \
		--ca "$PEB/ca.pem" --agree-tos --http-listen 127.0.0.1:5009 2>"$TMP/err"
	rc=$?
	kill $TLSPID 2>/dev/null
	cat "$TMP/err"
	[ $rc = 1 ] || fail "exit status $rc"
	grep -q 'error: pending.example.test: validation failed: connection' "$TMP/err" || fail "reason not reported"
	grep -q rewritten "$TMP/pending.log" || fail "the proxy never reported a pending order"
	[ $(($(date +%s) - start)) -le 30 ] || fail "took $(($(date +%s) - start)) s"
	[ ! -e "$D/pending.example.test" ] || fail "something was installed"
}

# A challenge type the CA does not offer (Pebble 2.4 predates dns-persist-01):
# the error names the types it does offer.
t_type_not_offered() {
	local D=$TMP/s1 before rc
	before=$(tree_state "$D")
	pico issue -d offered.example.test --dir "$D" --challenge dns-persist-01 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] || fail "exit status $rc"
	grep -Eq '^picoacme: error: offered.example.test: the CA offers no dns-persist-01 challenge \(offered: ([a-z0-9-]+ ?){3}\)$' \
		"$TMP/err" || fail "offered types not named"
	grep -q 'http-01' "$TMP/err" && grep -q 'tls-alpn-01' "$TMP/err" || fail "offered types incomplete"
	[ "$before" = "$(tree_state "$D")" ] || fail "state changed"
}

t_port_in_use() {
	local D=$TMP/s1 before
	before=$(tree_state "$D")
	python3 -c 'import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 5011)); s.listen(1); time.sleep(10)' &
	local srv=$!
	wait_port 5011
	pico issue -d one.example.test --dir "$D" --http-listen 127.0.0.1:5011 --force 2>"$TMP/err" && { kill $srv; fail "succeeded"; }
	kill $srv
	cat "$TMP/err"
	grep -q "cannot listen on 127.0.0.1:5011" "$TMP/err" || fail "unclear error"
	[ "$before" = "$(tree_state "$D")" ] || fail "state changed"
}

# tls_server MODE PORT: starts test/tls_server.py with Pebble's certificate
tls_server() {
	python3 test/tls_server.py "$1" "$2" "$PEB/cert.pem" "$PEB/key.pem" 14000 >"$TMP/tls-$1.log" 2>&1 &
	TLSPID=$!
	wait_port "$2"
}

t_reconnect_when_server_closes() {
	local D=$TMP/s1
	tls_server proxy-close 14443
	"$BIN" issue --run-dir "$RUN" -d reconnect.example.test --dir "$D" --server https://localhost:14443/dir --agree-tos \
		--ca "$PEB/ca.pem" --http-listen $LISTEN -v 2>"$TMP/err"
	local rc=$?
	kill $TLSPID 2>/dev/null
	cat "$TMP/err"
	[ $rc = 0 ] || fail "issue through a closing proxy failed"
	grep -q 'server closed the connection; reconnecting' "$TMP/err" || fail "no transparent reconnect"
	grep -q 'localhost:14443/' "$TMP/err" || fail "did not go through the proxy"
	check_cert "$D/reconnect.example.test" reconnect.example.test
}

# A slow link (each handshake takes 0.7 s) and a server that closes every
# connection: each reconnect gets a whole request deadline, not what was
# left of the 500 ms the close allows itself.
t_reconnect_slow_link() {
	local D=$TMP/s1
	HANDSHAKE_DELAY=0.7 tls_server proxy-close 14443
	"$BIN" issue --run-dir "$RUN" -d slow.example.test --dir "$D" --server https://localhost:14443/dir --agree-tos \
		--ca "$PEB/ca.pem" --http-listen $LISTEN -v 2>"$TMP/err"
	local rc=$?
	kill $TLSPID 2>/dev/null
	grep -v '^picoacme: [A-Z]' "$TMP/err" | tail -5
	[ $rc = 0 ] || fail "issue over a slow link with reconnects failed"
	grep -q 'server closed the connection; reconnecting' "$TMP/err" || fail "no reconnect"
	check_cert "$D/slow.example.test" slow.example.test
}

# bad_server MODE EXPECTED-ERROR: picoacme fails with that error, writes nothing
bad_server() {
	local D=$TMP/s1 before start
	before=$(tree_state "$D")
	tls_server "$1" 14444
	start=$(date +%s)
	"$BIN" issue --run-dir "$RUN" -d one.example.test --dir "$D" --server https://localhost:14444/dir --ca "$PEB/ca.pem" \
		--http-listen $LISTEN --timeout 3 2>"$TMP/err"
	local rc=$?
	kill $TLSPID 2>/dev/null
	cat "$TMP/err"
	[ $rc = 1 ] || fail "exit status $rc"
	grep -q "$2" "$TMP/err" || fail "expected error: $2"
	[ $(($(date +%s) - start)) -le 8 ] || fail "took too long"
	[ "$before" = "$(tree_state "$D")" ] || fail "state changed"
}
t_drip_server() { bad_server drip 'https://localhost:14444/dir: timed out after 3000 ms'; }
t_big_header() { bad_server big-header 'response headers exceed 16384 bytes'; }
t_big_body() { bad_server big-body 'response body exceeds 1048576 bytes'; }
t_http_links() { bad_server http-links 'field "newNonce" is missing or not an https:// URL'; }

t_own_resolver() {
	local D=$TMP/dns start rc
	printf '# test resolver\nnameserver 127.0.0.1\n' >"$TMP/resolv.conf"
	: >"$TMP/dns.log"
	python3 test/dns_server.py 15353 "$TMP/dns.log" &
	local dns=$!
	sleep 0.5
	dnsenv() { env PICOACME_TEST_RESOLV_CONF="$TMP/resolv.conf" PICOACME_TEST_DNS_PORT=15353 \
		PICOACME_TEST_HOSTS=/dev/null "$@"; }
	# A CNAME, a forged reply with the wrong id first, an empty AAAA answer.
	dnsenv "$BIN" issue --run-dir "$RUN" -d dns.example.test --dir "$D" --agree-tos \
		--server https://CA.picoacme.test:14000/dir --ca "$PEB/ca.pem" --http-listen $LISTEN \
		2>"$TMP/err" || { kill $dns; cat "$TMP/err"; fail "issue through the DNS server failed"; }
	check_cert "$D/dns.example.test" dns.example.test
	grep -qix 'A ca.picoacme.test' "$TMP/dns.log" && grep -qix 'AAAA ca.picoacme.test' "$TMP/dns.log" ||
		{ kill $dns; fail "queries: $(cat "$TMP/dns.log")"; }
	dnsenv "$BIN" issue --run-dir "$RUN" -d dns.example.test --dir "$TMP/dns2" --agree-tos \
		--server https://nx.picoacme.test:14000/dir --ca "$PEB/ca.pem" 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] && grep -q 'cannot resolve host nx.picoacme.test: no such host (NXDOMAIN)' "$TMP/err" ||
		{ kill $dns; fail "NXDOMAIN: exit $rc"; }
	start=$(date +%s)
	dnsenv "$BIN" issue --run-dir "$RUN" -d dns.example.test --dir "$TMP/dns2" --agree-tos --timeout 3 \
		--server https://silent.picoacme.test:14000/dir --ca "$PEB/ca.pem" 2>"$TMP/err"
	rc=$?
	kill $dns
	cat "$TMP/err"
	[ $rc = 1 ] && grep -q 'silent.picoacme.test: no answer from the nameservers' "$TMP/err" ||
		fail "silent nameserver: exit $rc"
	[ "$(grep -c '^A silent.picoacme.test' "$TMP/dns.log")" -ge 2 ] || fail "query not resent"
	[ $(($(date +%s) - start)) -le 6 ] || fail "took longer than --timeout"
	[ "$(wc -l <"$TMP/err")" = 1 ] || fail "error is not one line"
	[ ! -e "$TMP/dns2" ] || fail "something was written"
}

t_account_recovery() {
	# The key is there but its URL was lost: found again with
	# onlyReturnExisting, no --agree-tos needed, URL stored again.
	local D=$TMP/s1 acct=$TMP/s1/accounts/localhost_14000_dir url
	url=$(cat "$acct/url")
	rm "$acct/url"
	pico issue -d one.example.test --dir "$D" --http-listen $LISTEN --force 2>"$TMP/err" || { cat "$TMP/err"; fail "issue failed"; }
	cat "$TMP/err"
	grep -q "account $url (existing)" "$TMP/err" || fail "account not recovered"
	[ "$(cat "$acct/url")" = "$url" ] || fail "account URL not stored again"
}

t_duplicate_and_uppercase_names() {
	local D=$TMP/s1
	pico issue -d Dup.Example.Test -d dup.example.test. -d www.dup.example.test -d DUP.example.test \
		--dir "$D" --http-listen $LISTEN || fail "issue failed"
	check_cert "$D/dup.example.test" dup.example.test www.dup.example.test
	grep -qx 'names=dup.example.test www.dup.example.test' "$D/dup.example.test/settings" || fail "names not normalised"
}


# s_server CERT KEY LOG: openssl's TLS server on 127.0.0.1:14447 with the
# chain test/evil_chain.py made, logging the client's TLS extensions
s_server() {
	openssl s_server -accept 127.0.0.1:14447 -cert "$1" -key "$2" -cert_chain "$TMP/evil/inter.pem" \
		-tls1_2 -www -tlsextdebug >"$3" 2>&1 </dev/null &
	SRVPID=$!
	wait_port 14447
}

# A server whose certificate signature expands when BearSSL converts it from
# DER (issue 10: the old verifier overflowed the stack): a one-line TLS
# error naming the URL, exit 1, nothing written. The good chain from the same
# server gets past TLS (the page it serves is no ACME directory).
t_evil_signature() {
	local D=$TMP/s1 before rc sig
	[ -f "$TMP/evil/evil73.pem" ] || python3 test/evil_chain.py "$TMP/evil" || fail "cannot make the chains"
	before=$(tree_state "$D")
	for sig in evil132 evil73 leaf; do
		s_server "$TMP/evil/$sig.pem" "$TMP/evil/leaf.key" "$TMP/s_server.log"
		"$BIN" issue --run-dir "$RUN" -d one.example.test --dir "$D" --server https://localhost:14447/dir \
			--ca "$TMP/evil/root.pem" --http-listen $LISTEN --timeout 5 2>"$TMP/err"
		rc=$?
		kill $SRVPID 2>/dev/null
		wait $SRVPID 2>/dev/null
		cat "$TMP/err"
		[ $rc = 1 ] || fail "$sig: exit status $rc (139 was the stack overflow)"
		[ "$(wc -l <"$TMP/err")" = 1 ] || fail "$sig: not one line"
		if [ $sig = leaf ]; then
			grep -q 'https://localhost:14447/dir: response is not a JSON object' "$TMP/err" ||
				fail "the good chain did not get past TLS"
		else
			grep -q 'error: https://localhost:14447/dir: server certificate chain has a bad signature' \
				"$TMP/err" || fail "$sig: unclear error"
		fi
	done
	[ "$before" = "$(tree_state "$D")" ] || fail "state changed"
}

# The CA addressed by an IP literal (a step-ca on the LAN): the certificate's
# iPAddress names are matched, and no SNI is sent (RFC 6066).
t_ip_literal_ca() {
	local D=$TMP/ip rc
	[ -f "$TMP/evil/noip.pem" ] || python3 test/evil_chain.py "$TMP/evil" || fail "cannot make the chains"
	"$BIN" issue --run-dir "$RUN" -d ip4.example.test --dir "$D" --server https://127.0.0.1:14000/dir \
		--agree-tos --ca "$PEB/ca.pem" --http-listen $LISTEN || fail "Pebble as https://127.0.0.1:14000/dir"
	check_cert "$D/ip4.example.test" ip4.example.test
	python3 test/tcp_relay.py ::1 14448 14000 &
	local relay=$!
	wait_port 14448 ::1
	"$BIN" issue --run-dir "$RUN" -d ip6.example.test --dir "$D" --server "https://[::1]:14448/dir" \
		--agree-tos --ca "$PEB/ca.pem" --http-listen $LISTEN
	rc=$?
	kill $relay 2>/dev/null
	[ $rc = 0 ] || fail "Pebble as https://[::1]:14448/dir"
	check_cert "$D/ip6.example.test" ip6.example.test
	# A certificate naming localhost but not 127.0.0.1: refused.
	s_server "$TMP/evil/noip.pem" "$TMP/evil/noip.key" "$TMP/s_server.log"
	"$BIN" issue --run-dir "$RUN" -d one.example.test --dir "$D" --server https://127.0.0.1:14447/dir \
		--agree-tos --ca "$TMP/evil/root.pem" --http-listen $LISTEN --timeout 5 2>"$TMP/err"
	rc=$?
	kill $SRVPID 2>/dev/null
	wait $SRVPID 2>/dev/null
	cat "$TMP/err"
	[ $rc = 1 ] || fail "a certificate without the address was accepted"
	grep -q 'https://127.0.0.1:14447/dir: server certificate does not match the host name' "$TMP/err" ||
		fail "unclear error"
	grep -q 'TLS client extension' "$TMP/s_server.log" || fail "s_server logged no client extensions"
	! grep -q 'server name' "$TMP/s_server.log" || fail "SNI sent for an IP literal"
	# The same server by name: SNI is sent.
	s_server "$TMP/evil/noip.pem" "$TMP/evil/noip.key" "$TMP/s_server.log"
	"$BIN" issue --run-dir "$RUN" -d one.example.test --dir "$D" --server https://localhost:14447/dir \
		--agree-tos --ca "$TMP/evil/root.pem" --http-listen $LISTEN --timeout 5 2>/dev/null
	kill $SRVPID 2>/dev/null
	wait $SRVPID 2>/dev/null
	grep -q 'server name' "$TMP/s_server.log" || fail "no SNI for a DNS name"
}

# Redirects are followed only on the origin of the URL asked for, and only
# for GET: a directory that points at a cloud metadata address is refused
# without a connection there.
t_redirect_origin() {
	local D=$TMP/redir rc
	rm -f "$TMP/elsewhere.log"
	python3 -c 'import socket,time,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.2", 14449)); s.listen(5); s.settimeout(8)
try:
    s.accept(); open(sys.argv[1], "w").write("connected\n")
except socket.timeout:
    pass' "$TMP/elsewhere.log" &
	local other=$!
	REDIRECT_TO=https://127.0.0.2:14449/latest/meta-data/ tls_server redirect 14445
	"$BIN" issue --run-dir "$RUN" -d redir.example.test --dir "$D" --server https://localhost:14445/elsewhere \
		--agree-tos --ca "$PEB/ca.pem" --http-listen $LISTEN --timeout 5 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] || { kill $TLSPID $other; fail "off-origin redirect: exit status $rc"; }
	grep -q "https://localhost:14445/elsewhere: redirect leaves the server's origin" "$TMP/err" ||
		{ kill $TLSPID $other; fail "unclear error"; }
	# The same origin: followed.
	"$BIN" issue --run-dir "$RUN" -d redir.example.test --dir "$D" --server https://localhost:14445/moved \
		--agree-tos --ca "$PEB/ca.pem" --http-listen $LISTEN 2>"$TMP/err"
	rc=$?
	kill $TLSPID 2>/dev/null
	cat "$TMP/err"
	[ $rc = 0 ] || { kill $other; fail "same-origin redirect not followed"; }
	check_cert "$D/redir.example.test" redir.example.test
	kill $other 2>/dev/null
	wait $other 2>/dev/null
	[ ! -e "$TMP/elsewhere.log" ] || fail "picoacme connected to the other origin"
	# A POST answered with 307 is not followed, even on the same origin.
	: >"$TMP/redirect.log"
	COUNT_LOG=$TMP/redirect.log tls_server redirect 14445
	"$BIN" issue --run-dir "$RUN" -d redir2.example.test --dir "$D" --server https://localhost:14445/postdir \
		--agree-tos --ca "$PEB/ca.pem" --http-listen $LISTEN --timeout 5 2>"$TMP/err"
	rc=$?
	kill $TLSPID 2>/dev/null
	cat "$TMP/err"
	[ $rc = 1 ] || fail "POST redirect: exit status $rc"
	grep -q 'https://localhost:14445/redir-post: HTTP 307' "$TMP/err" || fail "POST redirect: unclear error"
	! grep -q followed "$TMP/redirect.log" || fail "a POST redirect was followed"
}

# Pebble rejecting half of all nonces: every issuance still succeeds.
t_badnonce_half() {
	local D=$TMP/nonce ok=0 i
	test/pebble.sh stop "$PEB"
	PEBBLE_WFE_NONCEREJECT=50 test/pebble.sh start "$PEB" || fail "Pebble did not start"
	for i in $(seq 20); do
		if pico issue -d "n$i-a.example.test" -d "n$i-b.example.test" -d "n$i-c.example.test" --dir "$D" \
			--agree-tos --http-listen $LISTEN 2>"$TMP/err"; then
			ok=$((ok + 1))
		else
			cat "$TMP/err"
		fi
	done
	test/pebble.sh stop "$PEB"
	test/pebble.sh start "$PEB" || fail "Pebble did not restart"
	echo "$ok of 20 issuances succeeded"
	[ $ok = 20 ] || fail "only $ok of 20"
	grep -q 'badNonce' "$PEB/pebble.log" 2>/dev/null || true
}

# The resolver and the connect loop, through test/dns_server.py and a hosts
# file: one nameserver REFUSED while another answers late, a UDP answer over
# 1232 bytes, a truncated answer asked again over TCP, a nameserver given as
# "::1%lo"; a name whose IPv4 address is blackholed (an accept queue that is
# full drops SYNs) reached over IPv6 within a second.
t_resolver_faults() {
	local D=$TMP/dnsf rc start
	: >"$TMP/dns.log"
	python3 test/dns_server.py 15353 "$TMP/dns.log" 127.0.0.2 refuse &
	local refuse=$!
	python3 test/dns_server.py 15353 "$TMP/dns.log" 127.0.0.1 late &
	local late=$!
	python3 test/dns_server.py 15354 "$TMP/dns.log" ::1 &
	local v6=$!
	sleep 0.5
	dnsenv() { env PICOACME_TEST_RESOLV_CONF="$TMP/resolv.conf" PICOACME_TEST_DNS_PORT=$1 \
		PICOACME_TEST_HOSTS="${HOSTS:-/dev/null}" "${@:2}"; }
	printf 'nameserver 127.0.0.2\nnameserver 127.0.0.1\n' >"$TMP/resolv.conf"
	dnsenv 15353 "$BIN" issue --run-dir "$RUN" -d f1.example.test --dir "$D" --agree-tos \
		--server https://ca.picoacme.test:14000/dir --ca "$PEB/ca.pem" --http-listen $LISTEN \
		2>"$TMP/err" || { cat "$TMP/err"; kill $refuse $late $v6; fail "REFUSED by one, late answer by another"; }
	printf 'nameserver ::1%%lo\n' >"$TMP/resolv.conf"
	for name in big tc ca; do
		dnsenv 15354 "$BIN" issue --run-dir "$RUN" -d "f-$name.example.test" --dir "$D" --agree-tos \
			--server "https://$name.picoacme.test:14000/dir" --ca "$PEB/ca.pem" --http-listen $LISTEN \
			2>"$TMP/err" || { cat "$TMP/err"; kill $refuse $late $v6; fail "$name.picoacme.test"; }
	done
	kill $refuse $late $v6
	grep -q '^TCP A tc.picoacme.test' "$TMP/dns.log" || fail "no TCP query after TC"
	# Blackholed IPv4, working IPv6 (a relay to Pebble) under one name.
	python3 -c 'import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.3", 14450)); s.listen(0)
held=[]
for _ in range(4):
    c=socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.3", 14450))
    except BlockingIOError: pass
    held.append(c)
time.sleep(40)' &
	local hole=$!
	python3 test/tcp_relay.py ::1 14450 14000 &
	local relay=$!
	wait_port 14450 ::1
	printf '127.0.0.3 ca.picoacme.test\n::1 ca.picoacme.test\n' >"$TMP/hosts"
	start=$(date +%s)
	HOSTS=$TMP/hosts dnsenv 15354 "$BIN" issue --run-dir "$RUN" -d f-he.example.test --dir "$D" --agree-tos \
		--server https://ca.picoacme.test:14450/dir --ca "$PEB/ca.pem" --http-listen $LISTEN --timeout 10 \
		2>"$TMP/err"
	rc=$?
	kill $hole $relay 2>/dev/null
	cat "$TMP/err"
	[ $rc = 0 ] || fail "blackholed IPv4 with working IPv6"
	[ $(($(date +%s) - start)) -le 6 ] || fail "took $(($(date +%s) - start)) s"
	check_cert "$D/f-he.example.test" f-he.example.test
}

if [ "${E2E_ONLY:-}" = one ]; then
	# Under qemu-user the responder's fresh image (an execve of
	# /proc/self/exe) is a MIPS program the host cannot start without
	# binfmt_misc: the web server of the test answers for it.
	run "new account + 1 name (webroot)" t_new_account_webroot
	summary e2e
	exit
fi
run "new account + 1 name" t_new_account_one_name
if [ "${E2E_ONLY:-}" = smoke ]; then
	run "10 names with the existing account, one connection" t_ten_names_existing_account
	run "no --agree-tos for a new account" t_no_agree_tos
	run "full CA bundle; server certificate as the anchor" t_ca_bundle
	run "a signature that expands from DER is refused (no overflow)" t_evil_signature
	summary e2e
	exit
fi
run "10 names with the existing account, one connection" t_ten_names_existing_account
run "100 names in one certificate" t_hundred_names
run "re-issue replaces key and certificate together" t_reissue_replaces_pair
run "RSA 2048 certificate key" t_rsa2048
run "EC P-384 certificate key" t_ec384
run "webroot mode with a separate web server" t_webroot
run "idle clients do not block the responder" t_slow_client_does_not_block
run "no --agree-tos for a new account" t_no_agree_tos
run "invalid domain names" t_invalid_name
run "command-line errors are one line; --opt=value, abbreviations" t_command_line
run "untrusted server certificate" t_untrusted_server
run "full CA bundle; server certificate as the anchor" t_ca_bundle
run "server down" t_server_down
run "silent server hits the request deadline" t_silent_server_times_out
run "corrupt account key file" t_corrupt_account_key
run "failed validation keeps the installed pair" t_failed_validation_keeps_old_pair
run "an order left pending after a failed validation ends with its reason" t_order_left_pending
run "a challenge type the CA does not offer names the offered ones" t_type_not_offered
run "responder port already in use" t_port_in_use
run "transparent reconnect when the server closes" t_reconnect_when_server_closes
run "reconnects over a slow link get a whole deadline" t_reconnect_slow_link
run "server dripping one byte a second hits the deadline" t_drip_server
run "oversized response headers" t_big_header
run "oversized response body" t_big_body
run "directory with http:// URLs" t_http_links
run "own resolver: CNAME, forged id, NXDOMAIN, silent nameserver" t_own_resolver
run "account recovered with onlyReturnExisting" t_account_recovery
run "duplicate and uppercase names" t_duplicate_and_uppercase_names
run "a signature that expands from DER is refused (no overflow)" t_evil_signature
run "the CA as https://127.0.0.1 and https://[::1]: iPAddress names, no SNI" t_ip_literal_ca
run "redirects stay on the origin" t_redirect_origin
run "resolver: REFUSED, >1232 bytes, TC over TCP, ::1%lo; blackholed IPv4" t_resolver_faults
run "half of all nonces rejected: 20 of 20 issuances" t_badnonce_half

summary e2e
