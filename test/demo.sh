#!/bin/bash
# `make demo`: starts a local Pebble CA on loopback and has picoacme obtain a
# real certificate from it, answering the http-01 challenge itself.
#   test/demo.sh [BINARY]   (default ./picoacme)
set -eu
cd "$(dirname "$0")/.."
BIN=${1:-./picoacme}
TMP=$PWD/test/tmp/demo
rm -rf "$TMP"
mkdir -p "$TMP"
export PEBBLE_VA_NOSLEEP=1
test/pebble.sh start "$TMP/pebble"
trap 'test/pebble.sh stop "$TMP/pebble"' EXIT
echo "Pebble ACME server: $(cat "$TMP/pebble/directory")"
echo "+ $BIN issue -d demo.example.test -d www.demo.example.test --dir $TMP/state --agree-tos --email demo@example.org --server $(cat "$TMP/pebble/directory") --ca $TMP/pebble/ca.pem --http-listen 127.0.0.1:5002"
"$BIN" issue -d demo.example.test -d www.demo.example.test --dir "$TMP/state" --agree-tos \
	--email demo@example.org --server "$(cat "$TMP/pebble/directory")" --ca "$TMP/pebble/ca.pem" \
	--http-listen 127.0.0.1:5002 --run-dir "$TMP/run"
curl -sfk https://127.0.0.1:15000/roots/0 >"$TMP/root.pem"
echo
echo "Stored in $TMP/state/demo.example.test/:"
ls -l "$TMP/state/demo.example.test/"
openssl x509 -in "$TMP/state/demo.example.test/cert.pem" -noout -subject -issuer -dates -ext subjectAltName
openssl verify -CAfile "$TMP/root.pem" -untrusted "$TMP/state/demo.example.test/chain.pem" \
	"$TMP/state/demo.example.test/cert.pem"
echo "demo: certificate issued and verified against Pebble's root"
