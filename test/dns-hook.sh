#!/bin/sh
# A dns-01 hook for the tests: publishes TXT records through
# pebble-challtestsrv's management API, like a DNS provider's API would.
#   dns-hook.sh add|remove IDENTIFIER TXT-NAME TXT-VALUE
# DNS_HOOK_DELAY: seconds before an added record appears (default 2; the
# record is set in the background, as a slow provider would). DNS_HOOK_LOG:
# where each call is recorded. DNS_HOOK_FAIL=N: "add" exits with N.
action=$1 ident=$2 name=$3 value=$4
api=${DNS_HOOK_API:-http://127.0.0.1:8055}
echo "$action $ident $name $value" >>"${DNS_HOOK_LOG:-/dev/null}"
# The values become JSON below: only the characters names and base64url use.
case "$name$value" in
*[!A-Za-z0-9._*-]*) echo "dns-hook.sh: unexpected characters" >&2; exit 1 ;;
esac
case $action in
add)
	[ -n "${DNS_HOOK_FAIL:-}" ] && exit "$DNS_HOOK_FAIL"
	(
		sleep "${DNS_HOOK_DELAY:-2}"
		curl -sf -d "{\"host\":\"$name.\",\"value\":\"$value\"}" "$api/set-txt"
	) >/dev/null 2>&1 </dev/null &
	;;
remove)
	curl -sf -d "{\"host\":\"$name.\"}" "$api/clear-txt" >/dev/null
	;;
*)
	echo "dns-hook.sh: unknown action $action" >&2
	exit 1
	;;
esac
