#!/usr/bin/env sh
# A "provider" for the OpenWrt contract test that calls the helpers of
# picoacme-dnsapi the way acme.sh's provider scripts do and writes one
# "name=result" line each to $HELPERS_OUT; the test compares them with
# values computed independently.
# shellcheck disable=SC2154

dns_helpers_add() {
	{
		echo "args=$1 $2"
		echo "digest=$(printf 'abc' | _digest sha256)"
		echo "digest_hex=$(printf 'abc' | _digest sha256 hex)"
		echo "hmac_hex=$(printf 'abc' | _hmac sha256 6b6579 hex)"
		echo "hmac=$(printf 'abc' | _hmac sha256 6b6579)"
		echo "base64=$(printf 'hello?' | _base64)"
		echo "dbase64=$(printf 'aGVsbG8/' | _dbase64)"
		echo "url_encode=$(printf 'a b/c~d&e=é' | _url_encode)"
		echo "lower=$(printf 'AbC.Example' | _lower_case)"
		echo "upper=$(printf 'AbC.Example' | _upper_case)"
		echo "math=$(_math 2 + 3 \* 4)"
		echo "egrep_o=$(printf 'x "id":"42", "id":"7"' | _egrep_o '"id":"[0-9]+"' | _head_n 1)"
		echo "tail=$(printf 'a\nb\nc\n' | _tail_n 1)"
		echo "normalize=$(printf '{ "a" : 1 ,\n  "b": [ 2, 3 ] }' | _normalizeJson)"
		_contains "zone.example.test" "example" && echo "contains=yes"
		_startswith "_acme-challenge.x" "_acme" && echo "startswith=yes"
		_endswith "x.example.test" ".test" && echo "endswith=yes"
		_contains "zone" "nope" || echo "contains_not=yes"
		_exists sh && echo "exists=yes"
		_saveaccountconf_mutable HELPER_ID "first"
		_saveaccountconf_mutable HELPER_ID "second"
		_saveaccountconf_mutable HELPER_OTHER "kept"
		echo "saved=$(_readaccountconf_mutable HELPER_ID) $(_readaccountconf_mutable HELPER_OTHER)"
	} >"$HELPERS_OUT"
}

dns_helpers_rm() {
	echo "rm=$1 $2" >>"$HELPERS_OUT"
}
