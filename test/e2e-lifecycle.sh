#!/bin/bash
# End-to-end tests of the unattended lifecycle against Pebble 2.10 from
# Debian sid (ARI, profiles, alternate roots, Retry-After, EAB):
#   test/e2e-lifecycle.sh BINARY
# BINARY must be a test build (PICOACME_TEST) so PICOACME_TEST_NOW fakes the
# clock. Ends with "lifecycle: N passed, N failed".
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/.."
TMP=$PWD/test/tmp/lifecycle
PEB=$TMP/pebble
EABPEB=$TMP/pebble-eab
RUN=$TMP/run
rm -rf "$TMP"
mkdir -p "$TMP"
if ! test/fetch-sid.sh build pebble >"$TMP/fetch.log" 2>&1; then
	cat "$TMP/fetch.log"
	echo "lifecycle: 0 passed, 1 failed"
	exit 1
fi
export PEBBLE_BIN=$PWD/build/pebble-sid/usr/bin/pebble
export PEBBLE_VA_NOSLEEP=1 PEBBLE_ALTERNATE_ROOTS=1 PEBBLE_AUTHZREUSE=0
PROFILES='"profiles": {"default": {"description": "classic", "validityPeriod": 7776000},
    "shortlived": {"description": "six days", "validityPeriod": 518400}},
    "retryAfter": {"authz": 1, "order": 1}'
test/pebble.sh start "$PEB" "$PROFILES" || { echo "lifecycle: 0 passed, 1 failed"; exit 1; }
CHALLTESTSRV=0 PEBBLE_PORT=14100 MGMT_PORT=15100 test/pebble.sh start "$EABPEB" \
	'"externalAccountBindingRequired": true, "externalAccountMACKeys": {"kid-1": "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"}' ||
	{ echo "lifecycle: 0 passed, 1 failed"; exit 1; }
trap 'test/pebble.sh stop "$PEB"; test/pebble.sh stop "$EABPEB"' EXIT
SERVER=https://localhost:14000/dir
LISTEN=127.0.0.1:5002
D=$TMP/cfg

. test/lib.sh
pico() { "$BIN" "$@" --dir "$D" --run-dir "$RUN" --server "$SERVER" --ca "$PEB/ca.pem"; }
epoch() { date -u -d "$(openssl x509 -in "$1" -noout -"$2" | cut -d= -f2)" +%s; }
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

t_profile_shortlived() {
	pico issue -d ari.example.test --profile shortlived --agree-tos --email ops@example.org \
		--http-listen $LISTEN 2>"$TMP/err" || { cat "$TMP/err"; fail "issue failed"; }
	cat "$TMP/err"
	local c=$D/ari.example.test/cert.pem
	[ $(($(epoch "$c" enddate) - $(epoch "$c" startdate))) -lt 604800 ] || fail "not a short-lived certificate"
	grep -qx 'profile=shortlived' "$D/ari.example.test/settings" || fail "profile not recorded"
	grep -q 'profile shortlived' "$TMP/err" || fail "profile not sent"
}

t_bad_profile() {
	local before
	before=$(tree_state "$D")
	pico issue -d other.example.test --profile nosuch --http-listen $LISTEN 2>"$TMP/err" && fail "accepted"
	cat "$TMP/err"
	grep -q -- '--profile nosuch: not offered by https://localhost:14000/dir (offered: default shortlived)' "$TMP/err" ||
		fail "unclear error"
	[ "$before" = "$(tree_state "$D")" ] || fail "config directory changed"
}

t_renew_not_due_no_writes_no_connection() {
	local before rc
	before=$(tree_state "$D")
	# First run: one ARI check (a connection), verdict "not due", no write to --dir.
	pico renew -v 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 2 ] || fail "exit $rc, want 2"
	grep -q 'renewalInfo' "$TMP/err" || fail "no ARI check"
	[ "$before" = "$(tree_state "$D")" ] || fail "config directory changed"
	[ -f "$RUN/ari.example.test.state" ] || fail "no volatile state in --run-dir"
	# Second run with no network at all: nothing due, nothing contacted.
	unshare -n "$BIN" renew --dir "$D" --run-dir "$RUN" --ca "$PEB/ca.pem" 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 2 ] || fail "exit $rc without network, want 2 (it tried to connect?)"
	[ "$before" = "$(tree_state "$D")" ] || fail "config directory changed"
}

t_clock_not_set() {
	local before nb rc
	before=$(tree_state "$D")
	PICOACME_TEST_NOW=0 pico renew 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] || fail "exit $rc at 1970, want 1"
	grep -q 'clock is not set (it reads 1970-01-01' "$TMP/err" || fail "unclear error"
	nb=$(epoch "$D/ari.example.test/cert.pem" startdate)
	PICOACME_TEST_NOW=$((nb - 600)) pico renew 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] || fail "exit $rc before notBefore, want 1"
	grep -q 'clock is not set' "$TMP/err" || fail "unclear error"
	[ "$before" = "$(tree_state "$D")" ] || fail "config directory changed"
}

t_renew_ari_due_with_replaces() {
	local at old new rc
	at=$(sed -n 's/^renew_at=//p' "$RUN/ari.example.test.state")
	[ -n "$at" ] && [ "$at" -gt 0 ] || fail "no ARI moment recorded"
	old=$(serial "$D/ari.example.test/cert.pem")
	PICOACME_TEST_NOW=$at pico renew -v 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 0 ] || fail "exit $rc, want 0"
	grep -q 'ari.example.test: renewing' "$TMP/err" || fail "not renewed"
	grep -q 'replacing ' "$TMP/err" || fail "replaces not sent"
	new=$(serial "$D/ari.example.test/cert.pem")
	[ "$old" != "$new" ] || fail "certificate unchanged"
	[ ! -f "$RUN/ari.example.test.state" ] || fail "state not reset after success"
	grep -qx 'profile=shortlived' "$D/ari.example.test/settings" || fail "settings not replayed"
}

t_lifetime_third_without_ari_days() {
	# --days forces the day rule: 6-day certificate, --days 10 is due at once.
	pico renew --days 10 ari.example.test 2>"$TMP/err"
	local rc=$?
	cat "$TMP/err"
	[ $rc = 0 ] || fail "exit $rc, want 0"
}

t_alternate_chain() {
	local cn top
	curl -sfk https://127.0.0.1:15000/roots/1 >"$TMP/root1.pem" || fail "no alternate root"
	cn=$(openssl x509 -in "$TMP/root1.pem" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= //p')
	[ -n "$cn" ] || fail "no CN"
	pico issue -d alt.example.test --preferred-chain "$cn" --http-listen $LISTEN 2>"$TMP/err" ||
		{ cat "$TMP/err"; fail "issue failed"; }
	cat "$TMP/err"
	top=$(awk '/BEGIN/{n++} {print > "'"$TMP"'/c" n ".pem"}' "$D/alt.example.test/chain.pem";
		openssl x509 -in "$(ls "$TMP"/c*.pem | sort | tail -1)" -noout -issuer -nameopt multiline |
		sed -n 's/^ *commonName *= //p')
	[ "$top" = "$cn" ] || fail "top issuer '$top', want '$cn'"
	openssl verify -CAfile "$TMP/root1.pem" -untrusted "$D/alt.example.test/chain.pem" \
		"$D/alt.example.test/cert.pem" || fail "alternate chain does not verify"
}

t_hook() {
	cat >"$TMP/hook.sh" <<EOF
#!/bin/sh
env | grep ^PICOACME_ | sort >"$TMP/hook.env"
exit \${HOOK_EXIT:-0}
EOF
	chmod +x "$TMP/hook.sh"
	pico issue -d hook.example.test -d www.hook.example.test --hook "$TMP/hook.sh" --http-listen $LISTEN ||
		fail "issue failed"
	grep -qx "PICOACME_DOMAIN=hook.example.test" "$TMP/hook.env" || fail "no domain"
	grep -qx "PICOACME_NAMES=hook.example.test www.hook.example.test" "$TMP/hook.env" || fail "no names"
	grep -qx "PICOACME_FULLCHAIN=$D/hook.example.test/fullchain.pem" "$TMP/hook.env" || fail "no fullchain"
	grep -qx "PICOACME_EVENT=issued" "$TMP/hook.env" || fail "wrong event"
	# A failing hook is reported; the new certificate stays.
	local old
	old=$(serial "$D/hook.example.test/cert.pem")
	HOOK_EXIT=3 pico renew --force hook.example.test 2>"$TMP/err"
	local rc=$?
	cat "$TMP/err"
	[ $rc = 0 ] || fail "exit $rc"
	grep -q 'warning: .*hook.sh renewed: exit status 3; the new certificate stays installed' "$TMP/err" ||
		fail "hook failure not reported"
	! grep -q 'error:' "$TMP/err" || fail "an error line with exit 0"
	[ "$old" != "$(serial "$D/hook.example.test/cert.pem")" ] || fail "certificate not renewed"
	grep -qx "PICOACME_EVENT=renewed" "$TMP/hook.env" || fail "wrong event"
}

# --publish and --notify (what the OpenWrt hook uses): five links that
# follow the store's one switch, an event for every attempt, nothing written
# and no event when nothing is due, a missing link mended.
t_publish_notify() {
	local P=$TMP/pub before after serial1 f
	mkdir -p "$P"
	printf '#!/bin/sh\necho "$1 $PICOACME_DOMAIN" >>"%s"\n' "$TMP/events" >"$TMP/notify.sh"
	chmod +x "$TMP/notify.sh"
	: >"$TMP/events"
	pico issue -d pub.example.test --publish "$P/pub.example.test" --notify "$TMP/notify.sh" \
		--http-listen $LISTEN 2>"$TMP/err" || { cat "$TMP/err"; fail "issue"; }
	[ "$(cat "$TMP/events")" = "issued pub.example.test" ] || fail "events: $(cat "$TMP/events")"
	for f in crt:cert.pem key:key.pem fullchain.crt:fullchain.pem chain.crt:chain.pem combined.crt:combined.pem; do
		[ "$(readlink "$P/pub.example.test.${f%%:*}")" = "$D/pub.example.test/${f#*:}" ] ||
			fail "$f: $(readlink "$P/pub.example.test.${f%%:*}")"
	done
	cmp -s "$P/pub.example.test.combined.crt" <(cat "$P/pub.example.test.fullchain.crt" "$P/pub.example.test.key") ||
		fail "combined is not fullchain then key"
	[ "$(stat -L -c %a "$P/pub.example.test.combined.crt")" = 600 ] || fail "combined not 0600"
	grep -qx "publish=$P/pub.example.test" "$D/pub.example.test/settings" || fail "publish not recorded"
	grep -qx "notify=$TMP/notify.sh" "$D/pub.example.test/settings" || fail "notify not recorded"
	# Nothing due: exit 2, no event, nothing written (links and files alike).
	before=$(tree_state "$P"; tree_state "$D")
	pico renew pub.example.test 2>"$TMP/err"
	[ $? = 2 ] || { cat "$TMP/err"; fail "renew not due: exit"; }
	[ "$before" = "$(tree_state "$P"; tree_state "$D")" ] || fail "a run with nothing due wrote"
	[ "$(wc -l <"$TMP/events")" = 1 ] || fail "an event when nothing was due"
	# A lost link is mended by the next run, without an event.
	rm "$P/pub.example.test.chain.crt"
	pico renew pub.example.test >/dev/null 2>&1
	[ "$(readlink "$P/pub.example.test.chain.crt")" = "$D/pub.example.test/chain.pem" ] || fail "link not mended"
	# A forced renewal: the same links show the new pair, all together.
	serial1=$(serial "$P/pub.example.test.crt")
	pico renew --force pub.example.test 2>"$TMP/err" || { cat "$TMP/err"; fail "renew --force"; }
	[ "$(tail -1 "$TMP/events")" = "renewed pub.example.test" ] || fail "no renewed event"
	[ "$serial1" != "$(serial "$P/pub.example.test.crt")" ] || fail "links still show the old certificate"
	[ "$(openssl pkey -in "$P/pub.example.test.key" -pubout)" = \
		"$(openssl x509 -in "$P/pub.example.test.crt" -noout -pubkey)" ] ||
		fail "published key does not match the published certificate"
	cmp -s "$P/pub.example.test.fullchain.crt" <(cat "$P/pub.example.test.crt" "$P/pub.example.test.chain.crt") ||
		fail "fullchain is not cert then chain"
	# A failed attempt: renew-failed, the published pair untouched.
	after=$(tree_state "$P"; readlink "$D/pub.example.test")
	"$BIN" issue -d pub.example.test --publish "$P/pub.example.test" --notify "$TMP/notify.sh" \
		--http-listen $LISTEN --dir "$D" --run-dir "$RUN" --ca "$PEB/ca.pem" \
		--server https://127.0.0.1:9/dir 2>"$TMP/err" && fail "issue against a dead CA succeeded"
	[ "$(tail -1 "$TMP/events")" = "renew-failed pub.example.test" ] || fail "no renew-failed event"
	[ "$after" = "$(tree_state "$P"; readlink "$D/pub.example.test")" ] || fail "published pair changed"
}

t_failure_backoff() {
	local before rc na
	pico issue -d back.example.test --http-listen $LISTEN || fail "setup issue failed"
	# A new account: no valid authorization to reuse. (Pebble reuses one
	# now and then even with PEBBLE_AUTHZREUSE=0: it makes a new one only
	# when rand.Intn(100) > 0.)
	rm -r "$D/accounts"
	pico account --agree-tos >/dev/null 2>&1 || fail "new account"
	# The responder moves where Pebble does not look: renewals fail validation.
	sed -i 's/^http_listen=.*/http_listen=127.0.0.1:5009/' "$(readlink -f "$D/back.example.test")/settings"
	before=$(tree_state "$D")
	pico renew --force back.example.test 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] || fail "exit $rc, want 1"
	grep -q 'validation failed' "$TMP/err" || fail "failure not reported"
	grep -q '^failures=1$' "$RUN/back.example.test.state" || fail "failure not counted"
	[ "$before" = "$(tree_state "$D")" ] || fail "config directory changed"
	# The next run backs off instead of hammering the CA.
	pico renew back.example.test 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 2 ] || fail "exit $rc during backoff, want 2"
	grep -q 'last attempt failed; next attempt after' "$TMP/err" || fail "no backoff"
	pico status | grep '^back.example.test ' | grep -q 'last_error=back.example.test: validation failed: connection: ' ||
		fail "status lacks the last error"
	# Close to expiry a failure is critical.
	na=$(epoch "$D/back.example.test/cert.pem" enddate)
	PICOACME_TEST_NOW=$((na - 3600)) pico renew back.example.test 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 1 ] || fail "exit $rc near expiry, want 1"
	grep -q 'CRITICAL: back.example.test: renewal failed and the certificate expires' "$TMP/err" ||
		fail "no critical message"
	grep -q '^failures=2$' "$RUN/back.example.test.state" || fail "second failure not counted"
	[ "$before" = "$(tree_state "$D")" ] || fail "config directory changed"
}

t_status_json() {
	pico status --json >"$TMP/status.json" || fail "status failed"
	python3 - "$TMP/status.json" <<'EOF' || fail "bad JSON"
import json, sys
d = json.load(open(sys.argv[1]))
names = {c["name"]: c for c in d}
assert "ari.example.test" in names and "alt.example.test" in names, names
c = names["hook.example.test"]
assert c["names"] == ["hook.example.test", "www.hook.example.test"], c
assert c["not_after"].endswith("Z") and c["due"].endswith("Z"), c
EOF
	pico status | grep -q '^alt.example.test names=alt.example.test not_after=' || fail "text status"
}

t_rollover_then_issue() {
	local acct=$D/accounts/localhost_14000_dir before
	before=$(sha256sum <"$acct/key.pem")
	pico account --rollover 2>"$TMP/err" || { cat "$TMP/err"; fail "rollover failed"; }
	cat "$TMP/err"
	[ "$before" != "$(sha256sum <"$acct/key.pem")" ] || fail "key on disk unchanged"
	[ "$(stat -c %a "$acct/key.pem")" = 600 ] || fail "key mode"
	pico issue -d rolled.example.test --http-listen $LISTEN 2>"$TMP/err" || { cat "$TMP/err"; fail "issue with new key failed"; }
	pico account 2>&1 | grep -q '^status: valid' || fail "account not valid"
}

t_account_contacts() {
	pico account --email a@example.org --email b@example.org >"$TMP/out" 2>&1 || { cat "$TMP/out"; fail "update failed"; }
	cat "$TMP/out"
	grep -qx 'contact: mailto:a@example.org' "$TMP/out" || fail "contact a"
	grep -qx 'contact: mailto:b@example.org' "$TMP/out" || fail "contact b"
}

t_revoke() {
	local s
	s=$(serial "$D/alt.example.test/cert.pem")
	pico revoke alt.example.test --reason 4 2>"$TMP/err" || { cat "$TMP/err"; fail "revoke failed"; }
	cat "$TMP/err"
	curl -sfk "https://127.0.0.1:15000/cert-status-by-serial/$(echo "$s" | tr 'A-F' 'a-f' | sed 's/^0*//')" >"$TMP/status" ||
		curl -sfk "https://127.0.0.1:15000/cert-status-by-serial/$s" >"$TMP/status" || fail "no status from Pebble"
	cat "$TMP/status"
	grep -qi '"Status": *"Revoked"' "$TMP/status" || fail "Pebble does not report it revoked"
	[ ! -e "$D/alt.example.test" ] || fail "files not moved aside"
	ls -d "$D"/.alt.example.test.revoked-* >/dev/null || fail "no revoked copy"
}

t_deactivate() {
	local D2=$TMP/deact
	"$BIN" issue -d deact.example.test --dir "$D2" --run-dir "$RUN" --server "$SERVER" --ca "$PEB/ca.pem" \
		--agree-tos --http-listen $LISTEN || fail "setup failed"
	"$BIN" account --deactivate --dir "$D2" --run-dir "$RUN" --server "$SERVER" --ca "$PEB/ca.pem" 2>"$TMP/err" ||
		{ cat "$TMP/err"; fail "deactivate failed"; }
	cat "$TMP/err"
	grep -q 'deactivated' "$TMP/err" || fail "no confirmation"
	"$BIN" issue -d deact2.example.test --dir "$D2" --run-dir "$RUN" --server "$SERVER" --ca "$PEB/ca.pem" \
		--http-listen $LISTEN 2>"$TMP/err" && fail "issued with a deactivated account"
	cat "$TMP/err"
	grep -q 'unauthorized\|deactivated' "$TMP/err" || fail "unclear error"
}

t_eab() {
	local D3=$TMP/eab E=https://localhost:14100/dir
	"$BIN" issue -d eab.example.test --dir "$D3" --run-dir "$RUN" --server $E --ca "$EABPEB/ca.pem" \
		--agree-tos --http-listen $LISTEN 2>"$TMP/err" && fail "no EAB accepted"
	cat "$TMP/err"
	grep -q 'requires external account binding: pass --eab-kid' "$TMP/err" || fail "unclear error without EAB"
	"$BIN" issue -d eab.example.test --dir "$D3" --run-dir "$RUN" --server $E --ca "$EABPEB/ca.pem" \
		--agree-tos --http-listen $LISTEN --eab-kid kid-1 \
		--eab-hmac-key bm90LXRoZS1yaWdodC1rZXktbm90LXRoZS1yaWdodC1rZXktbm90LXRoZS1yaWdodA 2>"$TMP/err" &&
		fail "wrong EAB key accepted"
	cat "$TMP/err"
	grep -q 'https://localhost:14100/.*: unauthorized\|externalAccount\|eab' "$TMP/err" || fail "unclear error for a wrong key"
	"$BIN" issue -d eab.example.test --dir "$D3" --run-dir "$RUN" --server $E --ca "$EABPEB/ca.pem" \
		--agree-tos --http-listen $LISTEN --eab-kid kid-1 \
		--eab-hmac-key zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W 2>"$TMP/err" ||
		{ cat "$TMP/err"; fail "issue with EAB failed"; }
	[ -f "$D3/eab.example.test/cert.pem" ] || fail "no certificate"
}

t_changed_settings_reissue() {
	local old rc
	pico issue -d chg.example.test --http-listen $LISTEN || fail "setup issue failed"
	old=$(serial "$D/chg.example.test/cert.pem")
	pico issue -d chg.example.test --http-listen $LISTEN 2>"$TMP/err"
	rc=$?
	[ $rc = 2 ] || fail "identical re-issue: exit $rc, want 2"
	pico issue -d chg.example.test -d www.chg.example.test --key-type ec384 --http-listen $LISTEN 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 0 ] || fail "changed settings: exit $rc, want 0"
	[ "$old" != "$(serial "$D/chg.example.test/cert.pem")" ] || fail "not re-issued"
	grep -qx 'names=chg.example.test www.chg.example.test' "$D/chg.example.test/settings" || fail "names"
	grep -qx 'key_type=ec384' "$D/chg.example.test/settings" || fail "key type"
}

t_short_names() {
	# No network at all: the error names the URL the short name stands for.
	for pair in zerossl=https://acme.zerossl.com/v2/DV90 google=https://dv.acme-v02.api.pki.goog/directory \
		letsencrypt-staging=https://acme-staging-v02.api.letsencrypt.org/directory; do
		unshare -n "$BIN" account --server "${pair%%=*}" --dir "$TMP/short" --run-dir "$RUN" 2>"$TMP/err" &&
			fail "${pair%%=*} succeeded offline"
		cat "$TMP/err"
		grep -q "${pair#*=}" "$TMP/err" || fail "${pair%%=*} does not map to ${pair#*=}"
	done
	[ ! -e "$TMP/short" ] || fail "something was written"
}

t_syslog() {
	[ -e /dev/log ] && { echo "skipped: /dev/log belongs to a running syslog"; return 0; }
	python3 - "$BIN" "$D" "$RUN" "$PEB/ca.pem" <<'EOF'
import os, socket, subprocess, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
try:
    s.settimeout(5)
    r = subprocess.run([sys.argv[1], "renew", "--syslog", "--dir", sys.argv[2], "--run-dir", sys.argv[3],
                        "--ca", sys.argv[4], "ari.example.test"], capture_output=True, text=True)
    got = s.recv(4096).decode()
    print(got)
    assert "picoacme[" in got and "ari.example.test" in got, got
finally:
    s.close()
    os.unlink("/dev/log")
EOF
}

t_revoke_by_cert_key() {
	# Another account holds a copy: the CA refuses that account, the
	# certificate's own key revokes it.
	local D4=$TMP/other s
	mkdir -p "$D4"
	chmod 700 "$D4"
	cp -a "$D/chg.example.test" "$D"/.chg.example.test.g* "$D4/"
	"$BIN" account --agree-tos --dir "$D4" --run-dir "$RUN" --server "$SERVER" --ca "$PEB/ca.pem" >/dev/null 2>&1 ||
		fail "second account"
	s=$(serial "$D4/chg.example.test/cert.pem")
	"$BIN" revoke chg.example.test --dir "$D4" --run-dir "$RUN" --server "$SERVER" --ca "$PEB/ca.pem" 2>"$TMP/err" ||
		{ cat "$TMP/err"; fail "revoke failed"; }
	cat "$TMP/err"
	grep -q 'revoking with the certificate.s key' "$TMP/err" || fail "certificate key not used"
	! grep -q 'error:' "$TMP/err" || fail "a run that succeeds printed an error line"
	curl -sfk "https://127.0.0.1:15000/cert-status-by-serial/$(echo "$s" | tr 'A-F' 'a-f' | sed 's/^0*//')" |
		grep -qi '"Status": *"Revoked"' || fail "Pebble does not report it revoked"
}

t_rate_limited() {
	local P=https://localhost:14446/dir D5=$TMP/rl rc now at
	RATELIMIT_FILE=$TMP/ratelimit-on python3 test/tls_server.py ratelimit 14446 "$PEB/cert.pem" "$PEB/key.pem" 14000 \
		>"$TMP/rl.log" 2>&1 &
	local srv=$!
	wait_port 14446
	"$BIN" issue -d rl.example.test --dir "$D5" --run-dir "$RUN" --server $P --ca "$PEB/ca.pem" --agree-tos \
		--http-listen $LISTEN || { kill $srv; fail "setup issue failed"; }
	touch "$TMP/ratelimit-on"
	now=$(date +%s)
	"$BIN" renew --force rl.example.test --dir "$D5" --run-dir "$RUN" --ca "$PEB/ca.pem" 2>"$TMP/err"
	rc=$?
	kill $srv
	cat "$TMP/err"
	[ $rc = 1 ] || fail "exit $rc, want 1"
	grep -q 'rateLimited: too many certificates' "$TMP/err" || fail "problem not reported"
	at=$(sed -n 's/^retry_at=//p' "$RUN/rl.example.test.state")
	[ $((at - now)) -ge 7000 ] || fail "Retry-After not honoured: retry in $((at - now)) s"
}

run "shortlived profile recorded and sent" t_profile_shortlived
run "unknown profile lists the offered ones" t_bad_profile
run "renew with nothing due: exit 2, no writes, then no connection" t_renew_not_due_no_writes_no_connection
run "clock before build time or notBefore: refuse" t_clock_not_set
run "ARI window reached: renewed with replaces" t_renew_ari_due_with_replaces
run "--days overrides the automatic rule" t_lifetime_third_without_ari_days
run "preferred alternate chain" t_alternate_chain
run "hook environment, failing hook keeps the certificate" t_hook
run "--publish links and --notify events" t_publish_notify
run "failed renewal: backoff, state in --run-dir, critical near expiry" t_failure_backoff
run "status --json" t_status_json
run "account contacts update" t_account_contacts
run "key rollover, then issue with the new key" t_rollover_then_issue
run "revoke: Pebble reports it revoked, files moved aside" t_revoke
run "deactivate the account" t_deactivate
run "external account binding: missing, wrong, right" t_eab
run "issue with changed settings re-issues, identical exits 2" t_changed_settings_reissue
run "revoke with the certificate key when another account asks" t_revoke_by_cert_key
run "rateLimited with Retry-After stretches the backoff" t_rate_limited
run "short CA names map to their directory URLs" t_short_names
run "--syslog sends the lines to syslog" t_syslog

summary lifecycle
