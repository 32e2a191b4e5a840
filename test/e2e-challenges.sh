#!/bin/bash
# End-to-end tests of the challenge methods against Pebble 2.10 from Debian
# sid (dns-01, wildcards, dns-persist-01, IP identifiers) with
# pebble-challtestsrv as the DNS server both Pebble and picoacme ask:
#   test/e2e-challenges.sh BINARY
# BINARY must be a test build (PICOACME_TEST: a private resolv.conf and DNS
# port). Ends with "challenges: N passed, N failed".
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/.."
TMP=$PWD/test/tmp/challenges
PEB=$TMP/pebble
RUN=$TMP/run
rm -rf "$TMP"
mkdir -p "$TMP"
if ! test/fetch-sid.sh build pebble >"$TMP/fetch.log" 2>&1; then
	cat "$TMP/fetch.log"
	echo "challenges: 0 passed, 1 failed"
	exit 1
fi
export PEBBLE_BIN=$PWD/build/pebble-sid/usr/bin/pebble
export PEBBLE_VA_NOSLEEP=1 PEBBLE_AUTHZREUSE=0
test/pebble.sh start "$PEB" || { echo "challenges: 0 passed, 1 failed"; exit 1; }
trap 'test/pebble.sh stop "$PEB"' EXIT
SERVER=$(cat "$PEB/directory")
API=http://127.0.0.1:8055
HOOK=$PWD/test/dns-hook.sh
D=$TMP/cfg
curl -sfk https://127.0.0.1:15000/roots/0 >"$TMP/root.pem"
printf 'nameserver 127.0.0.1\n' >"$TMP/resolv.conf"
# picoacme asks challtestsrv too: the records the hook sets are what it sees.
export PICOACME_TEST_RESOLV_CONF=$TMP/resolv.conf PICOACME_TEST_DNS_PORT=8053
export DNS_HOOK_LOG=$TMP/hook.log

. test/lib.sh

pico() { "$BIN" "$@" --dir "$D" --run-dir "$RUN" --server "$SERVER" --ca "$PEB/ca.pem"; }

# sans FILE: the subjectAltName entries of a certificate, one per line
sans() { openssl x509 -in "$1" -noout -ext subjectAltName | tail -n +2 | tr -d ' ' | tr ',' '\n'; }

verify() { # DIR: the stored chain verifies and the key matches
	openssl verify -CAfile "$TMP/root.pem" -untrusted "$1/chain.pem" "$1/cert.pem" >/dev/null ||
		fail "$1: chain does not verify"
	[ "$(openssl pkey -in "$1/key.pem" -pubout)" = "$(openssl x509 -in "$1/cert.pem" -noout -pubkey)" ] ||
		fail "$1: key does not match"
}

# txt NAME: the TXT records challtestsrv serves for NAME
txt() {
	python3 - "$1" <<'EOF'
import socket, struct, sys
name = sys.argv[1]
q = struct.pack(">HHHHHH", 7, 0x100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 16, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, ("127.0.0.1", 8053))
r = s.recv(4096)
pos, an = len(q), struct.unpack(">H", r[6:8])[0]
for _ in range(an):
    while r[pos] and r[pos] < 0xc0:
        pos += r[pos] + 1
    pos += 2 if r[pos] >= 0xc0 else 1
    typ, _, _, rdlen = struct.unpack(">HHIH", r[pos:pos + 10])
    pos += 10
    if typ == 16:
        print(r[pos + 1:pos + 1 + r[pos]].decode())
    pos += rdlen
EOF
}

t_first_account() {
	pico account --agree-tos --email admin@example.org >/dev/null || fail "account"
}

t_dns01_slow_hook() {
	local start
	: >"$DNS_HOOK_LOG"
	start=$(date +%s)
	pico issue -d dns1.example.test --dns-hook "$HOOK" 2>"$TMP/err" || { cat "$TMP/err"; fail "issue"; }
	cat "$TMP/err"
	verify "$D/dns1.example.test"
	grep -q 'waiting for the TXT record to appear' "$TMP/err" || fail "did not wait for the record"
	[ $(($(date +%s) - start)) -ge 2 ] || fail "answered before the record could be there"
	grep -qx 'challenge=dns-01' "$D/dns1.example.test/settings" || fail "method not recorded"
	grep -qx "dns_hook=$HOOK" "$D/dns1.example.test/settings" || fail "hook not recorded"
	[ "$(cut -d' ' -f1-3 "$DNS_HOOK_LOG")" = "add dns1.example.test _acme-challenge.dns1.example.test
remove dns1.example.test _acme-challenge.dns1.example.test" ] || fail "hook calls: $(cat "$DNS_HOOK_LOG")"
	[ -z "$(txt _acme-challenge.dns1.example.test)" ] || fail "record left behind"
}

t_wildcard_and_base() {
	: >"$DNS_HOOK_LOG"
	# No --challenge: a wildcard picks dns-01.
	pico issue -d '*.wild.example.test' -d wild.example.test --dns-hook "$HOOK" 2>"$TMP/err" ||
		{ cat "$TMP/err"; fail "issue"; }
	verify "$D/*.wild.example.test"
	[ "$(sans "$D/*.wild.example.test/cert.pem" | sort | tr '\n' ' ')" = \
		"DNS:*.wild.example.test DNS:wild.example.test " ] || fail "SANs: $(sans "$D/*.wild.example.test/cert.pem")"
	[ "$(grep -c '^add ' "$DNS_HOOK_LOG")" = 2 ] && [ "$(grep -c '^remove ' "$DNS_HOOK_LOG")" = 2 ] ||
		fail "hook calls: $(cat "$DNS_HOOK_LOG")"
	# Two values under one name, both published.
	[ "$(grep '^add ' "$DNS_HOOK_LOG" | cut -d' ' -f3 | sort -u)" = _acme-challenge.wild.example.test ] ||
		fail "record names"
}

t_wildcard_needs_dns() {
	local rc
	pico issue -d '*.w2.example.test' --challenge http-01 2>"$TMP/err"
	rc=$?
	[ $rc = 1 ] && [ "$(wc -l <"$TMP/err")" = 1 ] &&
		grep -q 'error: -d \*.NAME: a wildcard is validated by dns-01 or dns-persist-01 only' "$TMP/err" ||
		fail "exit $rc: $(cat "$TMP/err")"
	pico issue -d '*.w2.example.test' 2>"$TMP/err"
	rc=$?
	[ $rc = 1 ] && grep -q 'error: dns-01 needs --dns-hook PROGRAM' "$TMP/err" || fail "no hook: exit $rc"
	pico issue -d 192.0.2.1 --challenge dns-01 --dns-hook "$HOOK" 2>"$TMP/err"
	rc=$?
	[ $rc = 1 ] && grep -q 'error: -d: an IP address is validated by http-01 or tls-alpn-01 only, not dns-01' "$TMP/err" ||
		fail "IP with dns-01: exit $rc"
	[ ! -e "$D/*.w2.example.test" ] && [ ! -e "$D/192.0.2.1" ] || fail "something was written"
}

t_failing_hook() {
	local rc first
	: >"$DNS_HOOK_LOG"
	DNS_HOOK_FAIL=3 pico issue -d fail1.example.test -d fail2.example.test --dns-hook "$HOOK" 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] || fail "exit $rc"
	grep -q "error: --dns-hook $HOOK add _acme-challenge.fail[12].example.test failed with exit status 3" "$TMP/err" ||
		fail "the error does not give the hook's status"
	# the record whose add failed is removed too; the other was never added
	first=$(head -1 "$DNS_HOOK_LOG" | cut -d' ' -f2)
	[ "$(cut -d' ' -f1,2 "$DNS_HOOK_LOG")" = "add $first
remove $first" ] || fail "hook calls: $(cat "$DNS_HOOK_LOG")"
	[ ! -e "$D/fail1.example.test" ] || fail "something was installed"
}

t_hook_env() {
	local env_hook=$TMP/env-hook.sh
	printf '#!/bin/sh\nenv | grep ^PICOACME_DNS_ | sort >>"%s"\nexec "%s" "$@"\n' "$TMP/env.log" "$HOOK" >"$env_hook"
	chmod +x "$env_hook"
	: >"$TMP/env.log"
	pico issue -d env.example.test --dns-hook "$env_hook" 2>"$TMP/err" || { cat "$TMP/err"; fail "issue"; }
	grep -qx 'PICOACME_DNS_ACTION=add' "$TMP/env.log" && grep -qx 'PICOACME_DNS_ACTION=remove' "$TMP/env.log" &&
		grep -qx 'PICOACME_DNS_IDENTIFIER=env.example.test' "$TMP/env.log" &&
		grep -qx 'PICOACME_DNS_TXT_NAME=_acme-challenge.env.example.test' "$TMP/env.log" &&
		grep -q '^PICOACME_DNS_TXT_VALUE=[A-Za-z0-9_-]\{43\}$' "$TMP/env.log" || fail "environment: $(cat "$TMP/env.log")"
}

t_signal_removes_records() {
	local pid rc
	: >"$DNS_HOOK_LOG"
	DNS_HOOK_DELAY=60 exec "$BIN" issue -d sig.example.test --dns-hook "$HOOK" --dir "$D" --run-dir "$RUN" \
		--server "$SERVER" --ca "$PEB/ca.pem" 2>"$TMP/err" &
	pid=$!
	sleep 3
	kill -TERM $pid
	wait $pid
	rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] || fail "exit $rc"
	grep -q 'error: stopped by a signal' "$TMP/err" || fail "no clear error"
	grep -q '^remove sig.example.test ' "$DNS_HOOK_LOG" || fail "remove did not run: $(cat "$DNS_HOOK_LOG")"
}

t_dns_wait_timeout() {
	local rc start
	start=$(date +%s)
	DNS_HOOK_DELAY=60 pico issue -d late.example.test --dns-hook "$HOOK" --dns-wait 3 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] && grep -q 'error: dns-01: _acme-challenge.late.example.test does not show the TXT record' "$TMP/err" ||
		fail "exit $rc"
	[ $(($(date +%s) - start)) -le 10 ] || fail "did not stop at --dns-wait"
}

t_renew_replays_dns01() {
	local before
	# A new account: no valid authorization to reuse (Pebble reuses one now
	# and then even with PEBBLE_AUTHZREUSE=0).
	rm -r "$D/accounts"
	pico account --agree-tos >/dev/null 2>&1 || fail "new account"
	before=$(openssl x509 -in "$D/dns1.example.test/cert.pem" -noout -serial)
	: >"$DNS_HOOK_LOG"
	pico renew dns1.example.test --force 2>"$TMP/err" || { cat "$TMP/err"; fail "renew"; }
	[ "$before" != "$(openssl x509 -in "$D/dns1.example.test/cert.pem" -noout -serial)" ] || fail "not renewed"
	grep -q '^add dns1.example.test ' "$DNS_HOOK_LOG" || fail "the hook was not used"
}

persist_value() { # the TXT text from a printed record line
	sed 's/^.* IN TXT "\(.*\)"$/\1/'
}

t_dns_persist() {
	local rec rc
	rec=$(pico account --persist-record p.example.test 2>"$TMP/err") || { cat "$TMP/err"; fail "persist-record"; }
	echo "$rec"
	grep -qx '_validation-persist.p.example.test. IN TXT "pebble.letsencrypt.org; accounturi=https://localhost:14000/my-account/[0-9a-f]*"' <<<"$rec" ||
		fail "record: $rec"
	# Not there yet: a clear error that names the record to create.
	pico issue -d p.example.test --challenge dns-persist-01 --dns-wait 2 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] && grep -qF "error: dns-persist-01: _validation-persist.p.example.test has no TXT record for this account after 2 s; create: $rec" "$TMP/err" ||
		fail "missing record: exit $rc"
	[ ! -e "$D/p.example.test" ] || fail "something was installed"
	curl -sf -d "{\"host\":\"_validation-persist.p.example.test.\",\"value\":\"$(persist_value <<<"$rec")\"}" \
		$API/set-txt >/dev/null || fail "set-txt"
	pico issue -d p.example.test --challenge dns-persist-01 2>"$TMP/err" || { cat "$TMP/err"; fail "issue"; }
	verify "$D/p.example.test"
	grep -qx 'challenge=dns-persist-01' "$D/p.example.test/settings" || fail "method not recorded"
}

t_dns_persist_wildcard() {
	local rec rc
	# The plain record does not allow a wildcard.
	pico issue -d '*.p.example.test' --challenge dns-persist-01 --dns-wait 2 2>"$TMP/err"
	rc=$?
	[ $rc = 1 ] && grep -q 'has no TXT record for this account with policy=wildcard' "$TMP/err" ||
		fail "wildcard without policy: exit $rc: $(cat "$TMP/err")"
	rec=$(pico account --persist-record p.example.test --wildcard) || fail "persist-record --wildcard"
	grep -q '; policy=wildcard"$' <<<"$rec" || fail "record: $rec"
	curl -sf -d '{"host":"_validation-persist.p.example.test."}' $API/clear-txt >/dev/null
	curl -sf -d "{\"host\":\"_validation-persist.p.example.test.\",\"value\":\"$(persist_value <<<"$rec")\"}" \
		$API/set-txt >/dev/null || fail "set-txt"
	pico issue -d '*.p.example.test' -d p.example.test --challenge dns-persist-01 2>"$TMP/err" ||
		{ cat "$TMP/err"; fail "issue"; }
	[ "$(sans "$D/*.p.example.test/cert.pem" | sort | tr '\n' ' ')" = "DNS:*.p.example.test DNS:p.example.test " ] ||
		fail "SANs"
}

t_dns_persist_after_rollover() {
	local url
	url=$(cat "$D"/accounts/*/url)
	pico account --rollover >/dev/null 2>"$TMP/err" || { cat "$TMP/err"; fail "rollover"; }
	[ "$url" = "$(cat "$D"/accounts/*/url)" ] || fail "account URL changed"
	# The record names the account, not its key: it stays valid.
	pico renew p.example.test --force 2>"$TMP/err" || { cat "$TMP/err"; fail "renew after rollover"; }
	verify "$D/p.example.test"
}

t_ip_identifiers() {
	pico issue -d 127.0.0.1 --http-listen 127.0.0.1:5002 2>"$TMP/err" || { cat "$TMP/err"; fail "issue 127.0.0.1"; }
	verify "$D/127.0.0.1"
	[ "$(sans "$D/127.0.0.1/cert.pem")" = "IPAddress:127.0.0.1" ] || fail "SANs: $(sans "$D/127.0.0.1/cert.pem")"
	openssl x509 -in "$D/127.0.0.1/cert.pem" -noout -subject | grep -q CN && fail "an address as CN"
	if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
		# any spelling of the address is stored under its canonical one
		pico issue -d 0:0:0::1 --http-listen '[::1]:5002' 2>"$TMP/err" || { cat "$TMP/err"; fail "issue ::1"; }
		verify "$D/::1"
		[ "$(sans "$D/::1/cert.pem")" = "IPAddress:0:0:0:0:0:0:0:1" ] || fail "SANs: $(sans "$D/::1/cert.pem")"
	else
		echo "no ::1 here: IPv6 part skipped"
	fi
}

t_invalid_authz_is_reported_at_once() {
	local rc start
	start=$(date +%s)
	# The responder listens where Pebble does not look: validation fails.
	pico issue -d bad.example.test --http-listen 127.0.0.1:5003 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] && grep -q 'error: bad.example.test: validation failed: connection: ' "$TMP/err" ||
		fail "exit $rc"
	[ $(($(date +%s) - start)) -le 20 ] || fail "took too long"
}

t_with_bare_domain() {
	pico issue -d www.bare.example.test --with-bare-domain --http-listen 127.0.0.1:5002 2>"$TMP/err" ||
		{ cat "$TMP/err"; fail "issue"; }
	[ "$(sans "$D/www.bare.example.test/cert.pem" | tr '\n' ' ')" = "DNS:www.bare.example.test DNS:bare.example.test " ] ||
		fail "SANs: $(sans "$D/www.bare.example.test/cert.pem")"
}

t_tls_alpn() {
	pico issue -d alpn.example.test --challenge tls-alpn-01 --alpn-listen 127.0.0.1:5001 2>"$TMP/err" ||
		{ cat "$TMP/err"; fail "issue"; }
	verify "$D/alpn.example.test"
	grep -qx 'challenge=tls-alpn-01' "$D/alpn.example.test/settings" &&
		grep -qx 'alpn_listen=127.0.0.1:5001' "$D/alpn.example.test/settings" || fail "settings"
	# an IP address: the validator's SNI is its in-addr.arpa name
	pico issue -d 127.0.0.2 --alpn-listen 127.0.0.2:5001 2>"$TMP/err" || { cat "$TMP/err"; fail "issue 127.0.0.2"; }
	[ "$(sans "$D/127.0.0.2/cert.pem")" = "IPAddress:127.0.0.2" ] || fail "SANs"
	pico issue -d '*.alpn.example.test' --challenge tls-alpn-01 2>"$TMP/err" && fail "wildcard accepted"
	grep -q 'a wildcard is validated by dns-01 or dns-persist-01 only, not tls-alpn-01' "$TMP/err" || fail "wildcard error"
}

# While Pebble's validation is held for 6 s by a relay on its tlsPort, the
# responder is asked directly, as a validator and as other clients would.
t_tls_alpn_clients() {
	local pid relay ok=0 out
	RELAY_DELAY=6 python3 test/tcp_relay.py 127.0.0.1 5001 5011 &
	relay=$!
	wait_port 5001
	pico issue -d peek.example.test --alpn-listen 127.0.0.1:5011 2>"$TMP/err" &
	pid=$!
	for _ in $(seq 1 40); do
		out=$(openssl s_client -connect 127.0.0.1:5011 -alpn acme-tls/1 -servername peek.example.test \
			-showcerts </dev/null 2>/dev/null) && ok=1 && break
		sleep 0.1
	done
	[ $ok = 1 ] || { kill $pid $relay; fail "no handshake with ALPN acme-tls/1"; }
	grep -q '^ALPN protocol: acme-tls/1' <<<"$out" || { kill $pid $relay; fail "ALPN not negotiated"; }
	openssl x509 -noout -text <<<"$out" >"$TMP/alpn-cert.txt"
	grep -q '1.3.6.1.5.5.7.1.31: critical' "$TMP/alpn-cert.txt" &&
		grep -q 'DNS:peek.example.test' "$TMP/alpn-cert.txt" || { kill $pid $relay; fail "certificate: $(cat "$TMP/alpn-cert.txt")"; }
	# without the ALPN, or for another name, no certificate is shown
	openssl s_client -connect 127.0.0.1:5011 -servername peek.example.test </dev/null >"$TMP/noalpn" 2>&1 &&
		{ kill $pid $relay; fail "a client without ALPN got a handshake"; }
	openssl s_client -connect 127.0.0.1:5011 -alpn acme-tls/1 -servername other.example.test \
		</dev/null >"$TMP/othersni" 2>&1 && { kill $pid $relay; fail "another SNI got a handshake"; }
	openssl s_client -connect 127.0.0.1:5011 -alpn http/1.1 -servername peek.example.test \
		</dev/null >"$TMP/h11" 2>&1 && { kill $pid $relay; fail "ALPN http/1.1 got a handshake"; }
	# plain HTTP on the TLS port: an alert or a reset, and the responder lives on
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 5 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", 5011))
s.sendall(sys.stdin.buffer.read())
s.settimeout(4)
try:
    data = s.recv(100)
except ConnectionResetError:
    data = b""
sys.exit(0 if not data or data[0] == 21 else 1)' >"$TMP/plain" 2>&1 || { kill $pid $relay; fail "plain HTTP: $(cat "$TMP/plain")"; }
	wait $pid || { kill $relay; cat "$TMP/err"; fail "issuance after the probes"; }
	kill $relay 2>/dev/null
	verify "$D/peek.example.test"
}

# The record is looked up where the zone's nameserver serves it: the
# configured resolver (test/dns_server.py "zone") knows only the NS, the
# authoritative one ("auth" on 127.0.0.2) the record.
t_dns_authoritative() {
	local rec rc zone auth
	rec=$(pico account --persist-record a.zone.picoacme.test) || fail "persist-record"
	persist_value <<<"$rec" >"$TMP/auth-txt"
	curl -sf -d "{\"host\":\"_validation-persist.a.zone.picoacme.test.\",\"value\":\"$(persist_value <<<"$rec")\"}" \
		$API/set-txt >/dev/null || fail "set-txt"
	: >"$TMP/zone.log"
	: >"$TMP/auth.log"
	python3 test/dns_server.py 15354 "$TMP/zone.log" 127.0.0.1 zone &
	zone=$!
	DNS_TXT_FILE=$TMP/auth-txt python3 test/dns_server.py 15354 "$TMP/auth.log" 127.0.0.2 auth &
	auth=$!
	sleep 0.5
	PICOACME_TEST_DNS_PORT=15354 PICOACME_TEST_HOSTS=/dev/null pico issue -d a.zone.picoacme.test \
		--challenge dns-persist-01 --dns-wait 5 2>"$TMP/err"
	rc=$?
	kill $zone $auth
	cat "$TMP/err" "$TMP/zone.log" "$TMP/auth.log"
	[ $rc = 0 ] || fail "exit $rc"
	grep -qx 'NS _validation-persist.a.zone.picoacme.test' "$TMP/zone.log" &&
		grep -qx 'NS zone.picoacme.test' "$TMP/zone.log" && grep -qx 'A ns.zone.picoacme.test' "$TMP/zone.log" ||
		fail "the zone's nameserver was not looked up"
	grep -qx 'TXT _validation-persist.a.zone.picoacme.test norecurse' "$TMP/auth.log" ||
		fail "the authoritative server was not asked"
	grep -q '^TXT' "$TMP/zone.log" && fail "the resolver was asked for the record"
	verify "$D/a.zone.picoacme.test"
}

run "account" t_first_account
run "dns-01 through a hook whose record appears after 2 s" t_dns01_slow_hook
run "a wildcard and its base name through dns-01 (chosen for the wildcard)" t_wildcard_and_base
run "wildcard with http-01, dns-01 without a hook, IP with dns-01: clear errors" t_wildcard_needs_dns
run "a failing hook aborts with its exit status; remove still runs" t_failing_hook
run "the hook's PICOACME_DNS_* environment" t_hook_env
run "SIGTERM while waiting for DNS: records removed" t_signal_removes_records
run "a record that never appears ends at --dns-wait" t_dns_wait_timeout
run "renew replays dns-01 with its hook" t_renew_replays_dns01
run "dns-persist-01: record printed, missing record named, then issued" t_dns_persist
run "dns-persist-01 wildcard needs policy=wildcard" t_dns_persist_wildcard
run "dns-persist-01 after an account key rollover" t_dns_persist_after_rollover
run "DNS records are checked at the zone's own nameserver" t_dns_authoritative
run "IP address identifiers (RFC 8738)" t_ip_identifiers
run "tls-alpn-01 (RFC 8737) for a name and an address" t_tls_alpn
run "tls-alpn-01 responder: acme-tls/1 and its SNI only; other clients refused" t_tls_alpn_clients
run "a failed validation is reported from the authorization" t_invalid_authz_is_reported_at_once
run "--with-bare-domain" t_with_bare_domain
summary challenges
