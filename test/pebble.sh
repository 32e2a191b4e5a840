#!/bin/bash
# Starts or stops a local Pebble CA and pebble-challtestsrv (DNS answering
# 127.0.0.1 for every name) on loopback, for tests and the demo.
#   test/pebble.sh start DIR [pebble-config-extra-json]   # writes DIR/ca.pem, DIR/env
#   test/pebble.sh stop DIR
# Environment passed through to Pebble: PEBBLE_VA_NOSLEEP, PEBBLE_WFE_NONCEREJECT,
# PEBBLE_AUTHZREUSE, PEBBLE_ALTERNATE_ROOTS (Pebble's own defaults apply when
# unset). PEBBLE_BIN picks the binary (default: pebble on PATH); CHALLTESTSRV=0
# skips the DNS server when another instance already runs one.
set -eu
cmd=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
extra=${3:-}
PEBBLE_PORT=${PEBBLE_PORT:-14000}
MGMT_PORT=${MGMT_PORT:-15000}
HTTP01_PORT=${HTTP01_PORT:-5002}
DNS_PORT=${DNS_PORT:-8053}

wait_port() { # port seconds
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "pebble.sh: nothing listens on 127.0.0.1:$1" >&2
	return 1
}

stop() {
	for f in "$dir"/pebble.pid "$dir"/challtestsrv.pid; do
		[ -f "$f" ] || continue
		kill "$(cat "$f")" 2>/dev/null || true
		rm -f "$f"
	done
}

case $cmd in
start)
	stop
	# Pebble's own HTTPS certificate, issued by a throw-away CA that the
	# client trusts through --ca. ca.picoacme.test is the name the resolver
	# test looks up through test/dns_server.py (with big. and tc.); 127.0.0.1
	# and ::1 for the IP-literal test.
	if ! grep -qs 'IP:::1' "$dir/ext.cnf"; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$dir/ca.key" -out "$dir/ca.pem" -days 3650 \
			-subj "/CN=picoacme test CA" >/dev/null 2>&1
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$dir/key.pem" -out "$dir/server.csr" -subj "/CN=localhost" >/dev/null 2>&1
		printf 'subjectAltName=DNS:localhost,DNS:ca.picoacme.test,DNS:big.picoacme.test,DNS:tc.picoacme.test,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$dir/ext.cnf"
		openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
			-CAcreateserial -days 3650 -extfile "$dir/ext.cnf" -out "$dir/cert.pem" >/dev/null 2>&1
	fi
	cat >"$dir/pebble.json" <<EOF
{ "pebble": {
    "listenAddress": "127.0.0.1:$PEBBLE_PORT",
    "managementListenAddress": "127.0.0.1:$MGMT_PORT",
    "certificate": "$dir/cert.pem",
    "privateKey": "$dir/key.pem",
    "httpPort": $HTTP01_PORT,
    "tlsPort": 5001,
    "ocspResponderURL": ""${extra:+,
    $extra}
} }
EOF
	if [ "${CHALLTESTSRV:-1}" = 1 ]; then
	pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 ":$DNS_PORT" \
		-http01 "" -https01 "" -tlsalpn01 "" -management ":8055" \
		>"$dir/challtestsrv.log" 2>&1 &
	echo $! >"$dir/challtestsrv.pid"
	fi
	"${PEBBLE_BIN:-pebble}" -config "$dir/pebble.json" -dnsserver "127.0.0.1:$DNS_PORT" >"$dir/pebble.log" 2>&1 &
	echo $! >"$dir/pebble.pid"
	wait_port "$PEBBLE_PORT" 20
	wait_port "$MGMT_PORT" 20
	echo "https://localhost:$PEBBLE_PORT/dir" >"$dir/directory"
	;;
stop)
	stop
	;;
*)
	echo "usage: $0 start|stop DIR [extra-config-json]" >&2
	exit 2
	;;
esac
