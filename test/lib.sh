# Shared by the end-to-end suites: sourced, not run. Expects $TMP.
passed=0
failed=0
LOG=$TMP/log

# run NAME FUNCTION: runs FUNCTION in a subshell, prints ok/not ok with its
# output on failure, and counts it.
# With ONLY="t_a t_b" set, only those functions run (a debugging aid: later
# tests may need what earlier ones made, so list those too).
run() {
	local name=$1
	shift
	case " ${ONLY:-$1} " in *" $1 "*) ;; *) return 0 ;; esac
	if ("$@") >"$LOG" 2>&1; then
		passed=$((passed + 1))
		echo "ok - $name"
	else
		failed=$((failed + 1))
		echo "not ok - $name"
		sed 's/^/    /' "$LOG" | tail -25
	fi
}

fail() { echo "FAILED: $*"; exit 1; }

# wait_port PORT [HOST]: until something listens there (5 s at most)
wait_port() {
	for _ in $(seq 50); do (exec 3<>/dev/tcp/"${2:-127.0.0.1}"/"$1") 2>/dev/null && return; sleep 0.1; done
	fail "nothing listens on ${2:-127.0.0.1}:$1"
}

# tree_state DIR: every path with type, mode, size and mtime, and every
# file's hash: equal output means nothing in DIR was written. DIR's own mtime
# is left out: a run that issues checks the store takes a write (a probe
# entry created and removed) before its first request.
tree_state() {
	(cd "$1" 2>/dev/null && stat -c '. %F %a' . && find . -mindepth 1 -printf '%p %y %m %s %T@\n' | sort &&
		find . -type f -exec sha256sum {} + | sort)
}

# summary SUITE: the closing line the test runner reads, and the exit status.
summary() {
	echo "$1: $passed passed, $failed failed"
	[ "$failed" = 0 ]
}
