#!/bin/bash
# The OpenWrt package's contract (openwrt/) against Pebble 2.10 and
# pebble-challtestsrv: openwrt/files/hook get run under busybox sh exactly as
# acme-common's procd instance runs it (its 18 variables, empty ones
# included, plus credentials; cwd /, stdin /dev/null), the OpenWrt paths in
# a temporary root ($IPKG_INSTROOT), recording stand-ins for
# /usr/lib/acme/notify, nft and logger, and functions.sh written from the
# contract in ../shared/NOTES.md.
#   test/e2e-openwrt.sh BINARY   (a test build: its resolver asks challtestsrv)
# Ends with "openwrt: N passed, N failed".
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/.."
TMP=$PWD/test/tmp/openwrt
PEB=$TMP/pebble
R=$TMP/root
HOOK=$PWD/openwrt/files/hook
rm -rf "$TMP"
mkdir -p "$TMP"
if ! test/fetch-sid.sh build pebble >"$TMP/fetch.log" 2>&1; then
	cat "$TMP/fetch.log"
	echo "openwrt: 0 passed, 1 failed"
	exit 1
fi
export PEBBLE_BIN=$PWD/build/pebble-sid/usr/bin/pebble
export PEBBLE_VA_NOSLEEP=1 PEBBLE_AUTHZREUSE=0 PEBBLE_WFE_NONCEREJECT=0
PROFILES='"profiles": {"default": {"description": "classic", "validityPeriod": 7776000},
    "shortlived": {"description": "six days", "validityPeriod": 518400}}'
EABPEB=$TMP/pebble-eab
EAB_KEY=zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W
test/pebble.sh start "$PEB" "$PROFILES" || { echo "openwrt: 0 passed, 1 failed"; exit 1; }
CHALLTESTSRV=0 PEBBLE_PORT=14100 MGMT_PORT=15100 test/pebble.sh start "$EABPEB" \
	"\"externalAccountBindingRequired\": true, \"externalAccountMACKeys\": {\"kid-1\": \"$EAB_KEY\"}" ||
	{ test/pebble.sh stop "$PEB"; echo "openwrt: 0 passed, 1 failed"; exit 1; }
trap 'web_stop; test/pebble.sh stop "$PEB"; test/pebble.sh stop "$EABPEB"' EXIT
SERVER=$(cat "$PEB/directory")
printf 'nameserver 127.0.0.1\n' >"$TMP/resolv.conf"

. test/lib.sh

# new_root: an empty OpenWrt root with acme-common's pieces as stand-ins
new_root() {
	rm -rf "$R"
	mkdir -p "$R/usr/lib/acme/client/dnsapi" "$R/bin" "$R/etc/ssl/certs" "$R/etc/init.d" \
		"$R/var/run/acme/challenge"
	cp openwrt/files/picoacme-dnsapi "$R/usr/lib/acme/"
	cp test/openwrt/dns_pebble.sh "$R/usr/lib/acme/client/dnsapi/"
	cat /etc/ssl/certs/ca-certificates.crt "$PEB/ca.pem" "$EABPEB/ca.pem" >"$R/etc/ssl/certs/ca-certificates.crt"
	ln -s "$BIN" "$R/bin/picoacme"
	# functions.sh as acme-common defines it: log, add_nft_rule, del_nft_rule
	cat >"$R/usr/lib/acme/functions.sh" <<'EOF'
log() {
	prio=$1
	shift
	[ "$prio" != debug ] || [ "$debug" = 1 ] && logger -t "$LOG_TAG" -p "daemon.$prio" -- "$@"
	return 0
}
NFT_HANDLE=
add_nft_rule() {
	[ -n "$2" ] || return 0
	NFT_HANDLE=$(nft -a -e insert rule inet fw4 input tcp dport "$2" counter accept comment "\"ACME $1\"" |
		grep -o 'handle [0-9]\+') || return 1
	echo "$NFT_HANDLE"
}
del_nft_rule() {
	if [ -n "$NFT_HANDLE" ]; then
		# shellcheck disable=SC2086
		nft delete rule inet fw4 input $NFT_HANDLE
		NFT_HANDLE=
	fi
}
EOF
	printf '#!/bin/sh\necho "$1 $main_domain" >>"%s/notify.log"\n' "$R" >"$R/usr/lib/acme/notify"
	printf '#!/bin/sh\necho "$*" >>"%s/nft.log"\ncase "$*" in *insert*) echo "# handle 42" ;; esac\n' "$R" >"$R/bin/nft"
	printf '#!/bin/sh\necho "$*" >>"%s/logger.log"\n' "$R" >"$R/bin/logger"
	chmod +x "$R/usr/lib/acme/notify" "$R/bin/nft" "$R/bin/logger"
	: >"$R/notify.log"
	: >"$R/nft.log"
}

# hook_get MAIN "DOMAINS" METHOD [VAR=VALUE ...]: one "hook get" as procd
# starts it; VAR=VALUE replace acme-common's defaults or add credentials.
# $WRAP (unshare -n) runs it without a network.
hook_get() {
	local main=$1 domains=$2 method=$3
	shift 3
	(cd / && ${WRAP:-} env -i PATH="$R/bin:/usr/sbin:/usr/bin:/sbin:/bin" IPKG_INSTROOT="$R" \
		PICOACME_TEST_RESOLV_CONF="$TMP/resolv.conf" PICOACME_TEST_DNS_PORT=8053 \
		CHALLENGE_DIR="$R/var/run/acme/challenge" CERT_DIR="$R/etc/ssl/acme" state_dir="$R/etc/acme" \
		account_email=admin@example.org debug=0 dns= validation_method="$method" listen_port= \
		staging=0 calias= dalias= domains="$domains" main_domain="$main" key_type=ec256 \
		acme_server="$SERVER" days= cert_profile= dns_wait= "$@" \
		busybox sh "$HOOK" get </dev/null)
}

# The router's web server, serving the challenge directory on Pebble's
# port. Tests run in subshells: its pid is kept in a file.
web_start() {
	python3 -m http.server 5002 --bind 127.0.0.1 --directory "$R/var/run/acme/challenge" >/dev/null 2>&1 &
	echo $! >"$TMP/web.pid"
	wait_port 5002
}
web_stop() {
	[ -s "$TMP/web.pid" ] && kill "$(cat "$TMP/web.pid")" 2>/dev/null
	rm -f "$TMP/web.pid"
	for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/5002) 2>/dev/null || return 0; sleep 0.1; done
}

# published MAIN [MGMT-PORT]: the five files under CERT_DIR form a valid,
# matching set (issued by the Pebble with that management port)
published() {
	local c=$R/etc/ssl/acme/$1
	openssl verify -CAfile <(curl -sfk "https://127.0.0.1:${2:-15000}/roots/0") -untrusted "$c.chain.crt" "$c.crt" >/dev/null ||
		fail "$1: chain does not verify"
	[ "$(openssl pkey -in "$c.key" -pubout)" = "$(openssl x509 -in "$c.crt" -noout -pubkey)" ] ||
		fail "$1: key does not match"
	cmp -s "$c.fullchain.crt" <(cat "$c.crt" "$c.chain.crt") || fail "$1: fullchain"
	cmp -s "$c.combined.crt" <(cat "$c.fullchain.crt" "$c.key") || fail "$1: combined"
	[ "$(stat -L -c %a "$c.combined.crt")" = 600 ] || fail "$1: combined readable by others"
}

serial() { openssl x509 -in "$1" -noout -serial; }

t_webroot() {
	new_root
	web_start
	hook_get w.example.test "w.example.test www.w.example.test" webroot || fail "hook get: exit $?"
	published w.example.test
	[ "$(cat "$R/notify.log")" = "issued w.example.test" ] || fail "events: $(cat "$R/notify.log")"
	[ ! -s "$R/nft.log" ] || fail "a firewall rule for webroot"
	openssl x509 -in "$R/etc/ssl/acme/w.example.test.crt" -noout -ext subjectAltName |
		grep -q 'DNS:www.w.example.test' || fail "second name missing"
}

t_nothing_due() {
	local before
	before=$(tree_state "$R/etc"; tree_state "$R/var/run/acme/challenge")
	hook_get w.example.test "w.example.test www.w.example.test" webroot || fail "hook get: exit $?"
	[ "$before" = "$(tree_state "$R/etc"; tree_state "$R/var/run/acme/challenge")" ] ||
		fail "a run with nothing due wrote"
	[ "$(wc -l <"$R/notify.log")" = 1 ] || fail "an event: $(cat "$R/notify.log")"
	# That run may have asked the CA's ARI when to renew (once, noted under
	# /var/run); the next one needs no network at all and writes nothing.
	before=$(tree_state "$R/etc"; tree_state "$R/var/run/acme")
	WRAP="unshare -n" hook_get w.example.test "w.example.test www.w.example.test" webroot 2>"$TMP/err" ||
		{ cat "$TMP/err"; fail "a run with nothing due wanted the network: exit $?"; }
	[ "$before" = "$(tree_state "$R/etc"; tree_state "$R/var/run/acme")" ] || fail "the offline run wrote"
	[ "$(wc -l <"$R/notify.log")" = 1 ] || fail "an event: $(cat "$R/notify.log")"
}

t_forced_renewal() {
	local old
	old=$(serial "$R/etc/ssl/acme/w.example.test.crt")
	# days: renew that many days before expiry, so a 90-day certificate is due
	hook_get w.example.test "w.example.test www.w.example.test" webroot days=100 || fail "hook get: exit $?"
	[ "$(tail -1 "$R/notify.log")" = "renewed w.example.test" ] || fail "events: $(cat "$R/notify.log")"
	[ "$old" != "$(serial "$R/etc/ssl/acme/w.example.test.crt")" ] || fail "not renewed"
	published w.example.test
}

t_failure_keeps_files() {
	local before
	before=$(tree_state "$R/etc/ssl/acme"; readlink "$R/etc/acme/w.example.test")
	hook_get w.example.test "w.example.test www.w.example.test" webroot acme_server=https://127.0.0.1:9/dir &&
		fail "succeeded against a dead CA"
	[ "$(tail -1 "$R/notify.log")" = "renew-failed w.example.test" ] || fail "events: $(cat "$R/notify.log")"
	[ "$before" = "$(tree_state "$R/etc/ssl/acme"; readlink "$R/etc/acme/w.example.test")" ] ||
		fail "published files changed"
	published w.example.test
	web_stop
}

t_standalone_ec384() {
	: >"$R/nft.log"
	hook_get s.example.test s.example.test standalone listen_port=5002 key_type=ec384 ||
		fail "hook get: exit $?"
	published s.example.test
	openssl x509 -in "$R/etc/ssl/acme/s.example.test.crt" -noout -text | grep -q 'NIST CURVE: P-384' ||
		fail "not P-384"
	grep -q 'insert rule inet fw4 input tcp dport 5002 counter accept comment "ACME s.example.test"' "$R/nft.log" &&
		grep -q 'delete rule inet fw4 input handle 42' "$R/nft.log" || fail "nft: $(cat "$R/nft.log")"
	[ "$(tail -1 "$R/notify.log")" = "issued s.example.test" ] || fail "events"
}

# A failing run with a listener: the firewall rule is removed all the same.
t_standalone_failure() {
	: >"$R/nft.log"
	hook_get sf.example.test sf.example.test standalone listen_port=5002 \
		acme_server=https://127.0.0.1:9/dir && fail "succeeded against a dead CA"
	grep -q 'insert rule inet fw4 input tcp dport 5002' "$R/nft.log" &&
		grep -q 'delete rule inet fw4 input handle 42' "$R/nft.log" || fail "nft: $(cat "$R/nft.log")"
	[ "$(tail -1 "$R/notify.log")" = "issue-failed sf.example.test" ] || fail "events: $(cat "$R/notify.log")"
}

t_alpn_rsa2048() {
	: >"$R/nft.log"
	hook_get a.example.test a.example.test alpn listen_port=5001 key_type=rsa2048 || fail "hook get: exit $?"
	published a.example.test
	openssl x509 -in "$R/etc/ssl/acme/a.example.test.crt" -noout -text | grep -q 'Public-Key: (2048 bit)' ||
		fail "not RSA 2048"
	grep -q 'dport 5001' "$R/nft.log" && grep -q 'delete rule inet fw4 input handle 42' "$R/nft.log" ||
		fail "nft: $(cat "$R/nft.log")"
	grep -qx 'challenge=tls-alpn-01' "$R/etc/acme/a.example.test/settings" || fail "not tls-alpn-01"
}

t_dns_provider() {
	hook_get d.example.test d.example.test dns dns=dns_pebble dns_wait=30 \
		PEBBLE_API=http://127.0.0.1:8055 || fail "hook get: exit $?"
	published d.example.test
	grep -qx 'challenge=dns-01' "$R/etc/acme/d.example.test/settings" || fail "not dns-01"
	[ "$(tail -1 "$R/notify.log")" = "issued d.example.test" ] || fail "events"
	# the record is gone again (the provider's _rm ran)
	[ -z "$(curl -s -d '{"host":"_acme-challenge.d.example.test."}' http://127.0.0.1:8055/clear-txt)" ] ||
		fail "clear-txt"
}

t_profile_debug() {
	local c=$R/etc/ssl/acme/p.example.test.crt
	hook_get p.example.test p.example.test standalone listen_port=5002 cert_profile=shortlived debug=1 \
		2>"$TMP/err" || { cat "$TMP/err"; fail "hook get: exit"; }
	grep -qx 'profile=shortlived' "$R/etc/acme/p.example.test/settings" || fail "profile not recorded"
	[ $(($(date -d "$(openssl x509 -in "$c" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s))) -lt 604800 ] ||
		fail "not a short-lived certificate"
	grep -q 'HTTP requests over 1 TCP connection' "$TMP/err" || fail "debug=1 is not -v"
}

t_eab_credentials() {
	hook_get e.example.test e.example.test standalone listen_port=5002 \
		acme_server=https://localhost:14100/dir EAB_KID=kid-1 EAB_HMAC_KEY=$EAB_KEY 2>"$TMP/err" ||
		{ cat "$TMP/err"; fail "hook get with EAB credentials: exit"; }
	published e.example.test 15100
	! grep -q "$EAB_KEY" "$R/logger.log" "$TMP/err" || fail "the EAB key was logged"
}

t_server_names_offline() {
	local pair
	for pair in letsencrypt_test=https://acme-staging-v02.api.letsencrypt.org/directory \
		googletest=https://dv.acme-v02.test-api.pki.goog/directory \
		actalis=https://acme-api.actalis.com/acme/directory zerossl=https://acme.zerossl.com/v2/DV90; do
		WRAP="unshare -n" hook_get o.example.test o.example.test webroot acme_server="${pair%%=*}" \
			2>"$TMP/err" && fail "${pair%%=*} succeeded offline"
		grep -q "${pair#*=}" "$TMP/err" || { cat "$TMP/err"; fail "${pair%%=*} is not ${pair#*=}"; }
	done
	WRAP="unshare -n" hook_get o.example.test o.example.test webroot acme_server= staging=1 2>"$TMP/err" &&
		fail "staging succeeded offline"
	grep -q https://acme-staging-v02.api.letsencrypt.org/directory "$TMP/err" || fail "staging=1 is not staging"
	[ ! -e "$R/etc/acme/o.example.test" ] || fail "something was installed"
}

# acme.sh's aliases: the user's CNAME from _acme-challenge.NAME leads to
# _acme-challenge.<calias> (challenge alias) or to <dalias> itself (domain
# alias), where the provider script sets the record.
t_dns_aliases() {
	local conf=$R/var/run/acme/picoacme/dnsapi-dns_pebble.conf
	curl -sf -d '{"host":"_acme-challenge.ca.example.test.","target":"_acme-challenge.alias.example.net."}' \
		http://127.0.0.1:8055/set-cname >/dev/null || fail "set-cname"
	hook_get ca.example.test ca.example.test dns dns=dns_pebble dns_wait=30 calias=alias.example.net \
		PEBBLE_API=http://127.0.0.1:8055 2>"$TMP/err" || { cat "$TMP/err"; fail "calias: exit"; }
	published ca.example.test
	grep -qx 'PEBBLE_LAST=_acme-challenge.alias.example.net' "$conf" || fail "calias: $(cat "$conf")"
	curl -sf -d '{"host":"_acme-challenge.da.example.test.","target":"da.alias.example.net."}' \
		http://127.0.0.1:8055/set-cname >/dev/null || fail "set-cname"
	hook_get da.example.test da.example.test dns dns=dns_pebble dns_wait=30 dalias=da.alias.example.net \
		PEBBLE_API=http://127.0.0.1:8055 2>"$TMP/err" || { cat "$TMP/err"; fail "dalias: exit"; }
	published da.example.test
	grep -qx 'PEBBLE_LAST=da.alias.example.net' "$conf" || fail "dalias: $(cat "$conf")"
	[ "$(stat -c %a "$conf")" = 600 ] || fail "saved settings readable by others"
}

# The acme.sh helpers of picoacme-dnsapi, called as provider scripts call
# them, against values computed here by Python and OpenSSL.
t_dnsapi_helpers() {
	local out=$TMP/helpers.out want
	cp test/openwrt/dns_helpers.sh "$R/usr/lib/acme/client/dnsapi/"
	(cd / && env -i PATH="$R/bin:/usr/sbin:/usr/bin:/sbin:/bin" IPKG_INSTROOT="$R" dns=dns_helpers \
		HELPERS_OUT="$out" busybox sh "$R/usr/lib/acme/picoacme-dnsapi" add h.example.test \
		_acme-challenge.h.example.test VALUE </dev/null) || fail "add: exit $?"
	want=$(python3 - <<'EOF'
import base64, hashlib, hmac, urllib.parse
d = hashlib.sha256(b"abc").digest()
m = hmac.new(b"key", b"abc", hashlib.sha256).digest()
print("args=_acme-challenge.h.example.test VALUE")
print("digest=" + base64.b64encode(d).decode())
print("digest_hex=" + d.hex())
print("hmac_hex=" + m.hex())
print("hmac=" + base64.b64encode(m).decode())
print("base64=" + base64.b64encode(b"hello?").decode())
print("dbase64=hello?")
print("url_encode=" + urllib.parse.quote("a b/c~d&e=\u00e9", safe="~"))
print("lower=abc.example\nupper=ABC.EXAMPLE\nmath=14")
print('egrep_o="id":"42"\ntail=c\nnormalize={"a":1,"b":[2,3]}')
print("contains=yes\nstartswith=yes\nendswith=yes\ncontains_not=yes\nexists=yes")
print("saved=second kept")
EOF
)
	[ "$(cat "$out")" = "$want" ] || { diff <(echo "$want") "$out"; fail "helpers differ"; }
	[ "$(stat -c %a "$R/var/run/acme/picoacme/dnsapi-dns_helpers.conf")" = 600 ] || fail "saved settings mode"
	(cd / && env -i PATH="$R/bin:/usr/sbin:/usr/bin:/sbin:/bin" IPKG_INSTROOT="$R" dns=dns_helpers \
		HELPERS_OUT="$out" calias=alias.example.net busybox sh "$R/usr/lib/acme/picoacme-dnsapi" remove \
		h.example.test _acme-challenge.h.example.test VALUE </dev/null) || fail "remove: exit $?"
	[ "$(tail -1 "$out")" = "rm=_acme-challenge.alias.example.net VALUE" ] || fail "remove: $(tail -1 "$out")"
}

t_issue_failed() {
	hook_get f.example.test f.example.test carrier-pigeon && fail "an unknown method succeeded"
	[ "$(tail -1 "$R/notify.log")" = "issue-failed f.example.test" ] || fail "events: $(cat "$R/notify.log")"
	grep -q "unsupported validation_method 'carrier-pigeon'" "$R/logger.log" || fail "not logged"
}

t_three_at_once() {
	local p1 p2 p3
	new_root
	web_start
	hook_get t1.example.test t1.example.test webroot & p1=$!
	hook_get t2.example.test t2.example.test webroot & p2=$!
	hook_get t3.example.test t3.example.test webroot & p3=$!
	wait $p1 || fail "t1: exit"
	wait $p2 || fail "t2: exit"
	wait $p3 || fail "t3: exit"
	web_stop
	for n in t1 t2 t3; do
		published $n.example.test
		grep -qx "issued $n.example.test" "$R/notify.log" || fail "$n: no event"
	done
	[ "$(find "$R/etc/acme/accounts" -name key.pem | wc -l)" = 1 ] || fail "more than one account"
}

t_ntp_hotplug() {
	local root=$TMP/ntp
	rm -rf "$root"
	mkdir -p "$root/etc/init.d"
	printf '#!/bin/sh\ncase $1 in enabled) exit ${ACME_DISABLED:-0} ;; esac\necho "$1" >>"%s/init.log"\n' "$root" \
		>"$root/etc/init.d/acme"
	chmod +x "$root/etc/init.d/acme"
	# acme disabled: nothing, not even the mark of a first sync... nothing runs
	ACTION=step IPKG_INSTROOT=$root busybox sh openwrt/files/ntp-hotplug
	[ ! -e "$root/init.log" ] || fail "ran on ACTION=step"
	ACTION=stratum IPKG_INSTROOT=$root busybox sh openwrt/files/ntp-hotplug
	ACTION=stratum IPKG_INSTROOT=$root busybox sh openwrt/files/ntp-hotplug
	[ "$(cat "$root/init.log")" = renew ] || fail "init calls: $(cat "$root/init.log")"
	# after a reboot (an empty /var/run) with acme disabled: no renewal
	rm -rf "$root/var" "$root/init.log"
	ACME_DISABLED=1 ACTION=stratum IPKG_INSTROOT=$root busybox sh openwrt/files/ntp-hotplug
	[ ! -e "$root/init.log" ] || fail "renewed with acme disabled"
}

t_package_fields() {
	local m=openwrt/Makefile f
	for f in 'include $(TOPDIR)/rules.mk' 'PKG_NAME:=picoacme' 'PKG_SOURCE:=bearssl-0.6.tar.gz' \
		'PKG_SOURCE_URL:=https://bearssl.org/' \
		'PKG_HASH:=6705bba1714961b41a728dfc5debbe348d2966c117649392f8c8139efc83ff14' \
		'include $(INCLUDE_DIR)/package.mk' 'DEPENDS:=+acme-common +ca-bundle' 'PROVIDES:=@acme' \
		'CONFLICTS:=acme-acmesh uacme' '$(eval $(call BuildPackage,picoacme))' \
		'$(INSTALL_BIN) ./files/hook $(1)/usr/lib/acme/hook' \
		'$(INSTALL_BIN) ./files/picoacme-dnsapi $(1)/usr/lib/acme/picoacme-dnsapi' \
		'$(INSTALL_DATA) ./files/ntp-hotplug $(1)/etc/hotplug.d/ntp/25-picoacme'; do
		grep -qF -- "$f" "$m" || fail "openwrt/Makefile lacks: $f"
	done
	for f in PKG_VERSION PKG_RELEASE PKG_LICENSE PKG_MAINTAINER; do
		grep -q "^$f:=." "$m" || fail "openwrt/Makefile lacks $f"
	done
	# every installed file exists and every file is installed
	for f in openwrt/files/*; do
		grep -q "./files/$(basename "$f") " "$m" || fail "$f is not installed"
	done
}

run "webroot: five files published, issued" t_webroot
run "nothing due: no event, nothing written" t_nothing_due
run "forced renewal: renewed, files switched together" t_forced_renewal
run "failure: renew-failed, old files intact" t_failure_keeps_files
run "standalone on listen_port, nft rule added and removed, ec384" t_standalone_ec384
run "standalone failure: the nft rule is removed all the same" t_standalone_failure
run "alpn on listen_port, rsa2048" t_alpn_rsa2048
run "dns through an acme.sh-style provider script" t_dns_provider
run "dns challenge and domain aliases (calias, dalias)" t_dns_aliases
run "cert_profile and debug" t_profile_debug
run "EAB through credentials" t_eab_credentials
run "staging and acme.sh's CA short names" t_server_names_offline
run "the acme.sh helpers of the DNS adapter" t_dnsapi_helpers
run "unsupported method: issue-failed" t_issue_failed
run "three certificates at once on a fresh state dir" t_three_at_once
run "ntp hotplug: one renewal at the first sync" t_ntp_hotplug
run "package Makefile fields" t_package_fields
summary openwrt
