#!/usr/bin/env sh
# A DNS provider written the way acme.sh's dnsapi scripts are, for the
# OpenWrt contract test: its "DNS API" is pebble-challtestsrv's management
# interface. Credentials: PEBBLE_API (http://127.0.0.1:8055).
# shellcheck disable=SC2154

dns_pebble_add() {
	fulldomain=$1
	txtvalue=$2
	PEBBLE_API="${PEBBLE_API:-$(_readaccountconf_mutable PEBBLE_API)}"
	if [ -z "$PEBBLE_API" ]; then
		_err "You did not specify the API address: PEBBLE_API"
		return 1
	fi
	_saveaccountconf_mutable PEBBLE_API "$PEBBLE_API"
	_info "Adding record $fulldomain"
	_debug txtvalue "$txtvalue"
	export _H1="Accept: application/json"
	if ! response="$(_post "{\"host\":\"$fulldomain.\",\"value\":\"$txtvalue\"}" "$PEBBLE_API/set-txt" "" POST "application/json")"; then
		_err "set-txt failed: $response"
		return 1
	fi
	_saveaccountconf_mutable PEBBLE_LAST "$(printf '%s' "$fulldomain" | _lower_case)"
	return 0
}

dns_pebble_rm() {
	fulldomain=$1
	PEBBLE_API="${PEBBLE_API:-$(_readaccountconf_mutable PEBBLE_API)}"
	_info "Removing record $fulldomain"
	if ! _post "{\"host\":\"$fulldomain.\"}" "$PEBBLE_API/clear-txt" "" POST "application/json" >/dev/null; then
		_err "clear-txt failed"
		return 1
	fi
	return 0
}
