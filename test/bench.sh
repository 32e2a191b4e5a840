#!/bin/bash
# `make bench`: picoacme beside uacme and lego against the same local Pebble.
# A benchmark, not a test: it prints a markdown table and never fails on a
# number. Scenarios: (a) new account + 1 name, (b) 10 names with an existing
# account, (c) 100 names with an existing account. For each: median wall and
# CPU seconds over BENCH_RUNS runs (default 3), peak RSS of the client
# process itself (test/vmhwm.c: exact, with the kernel's VmHWM beside it), and, from one run through a counting keep-alive proxy, the TCP
# connections to the CA and the ACME requests made.
set -eu
cd "$(dirname "$0")/.."
RUNS=${BENCH_RUNS:-3}
RUNS_C=${BENCH_RUNS_C:-1} # 100 names: lego alone needs minutes a run
LIMIT=${BENCH_LIMIT:-300}  # seconds one client command may take
TMP=$PWD/test/tmp/bench
PEB=$TMP/pebble
PICO=$PWD/picoacme-static
PICO_CG=$PWD/build/picoacme-callgrind # the same but for the seccomp filter (valgrind)
VMHWM=$PWD/build/vmhwm
rm -rf "$TMP"
mkdir -p "$TMP/www/.well-known/acme-challenge"
export PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
test/pebble.sh start "$PEB" >/dev/null
WEB= PROXY=
cleanup() {
	kill $WEB $PROXY 2>/dev/null || true
	test/pebble.sh stop "$PEB"
}
trap cleanup EXIT
DIRECT=https://localhost:14000/dir
COUNTED=https://localhost:14445/dir
# picoacme and uacme trust the full Debian CA bundle with Pebble's CA last.
cat /etc/ssl/certs/ca-certificates.crt "$PEB/ca.pem" >"$TMP/bundle.pem"
LISTEN=127.0.0.1:5002

clients=(picoacme)
command -v uacme >/dev/null && clients+=(uacme)
command -v lego >/dev/null && clients+=(lego)
# BENCH_CLIENTS="picoacme uacme" measures only those (lego alone takes minutes).
[ -n "${BENCH_CLIENTS:-}" ] && read -r -a clients <<<"$BENCH_CLIENTS"

# uacme has no CA-file option: it sees a bundle with Pebble's CA through a
# private mount namespace (unshare -m), leaving the machine's trust store alone.

web_start() { # static server for uacme's webroot hook
	python3 -m http.server 5002 --bind 127.0.0.1 --directory "$TMP/www" >/dev/null 2>&1 &
	WEB=$!
	for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/5002) 2>/dev/null && return; sleep 0.1; done
}
web_stop() { kill $WEB 2>/dev/null || true; wait $WEB 2>/dev/null || true; WEB=; }

names() { # prefix count -> "-d a -d b" style list for the client
	local i
	for i in $(seq 1 "$2"); do echo "$1-$i.bench.test"; done
}

# measured COMMAND...: runs COMMAND; with MEASURE_FILE set, /usr/bin/time
# (wall and CPU seconds) and test/vmhwm (the process's own VmHWM, into
# MEASURE_FILE.hwm) sit directly in front of it, so wrappers (bash, timeout)
# are not measured.
measured() {
	if [ -n "${MEASURE_FILE:-}" ]; then
		/usr/bin/time -q -a -f "%e %U %S" -o "$MEASURE_FILE" "$VMHWM" "$MEASURE_FILE.hwm" "$@"
	else
		"$@"
	fi
}

# cmd CLIENT SERVER STATE NEWACCOUNT NAMES...: one issuance
cmd() {
	local client=$1 server=$2 state=$3 new=$4
	shift 4
	local args=() n
	case $client in
	picoacme)
		for n in "$@"; do args+=(-d "$n"); done
		measured "$PICO" issue "${args[@]}" --dir "$state" --server "$server" --ca "$TMP/bundle.pem" \
			--agree-tos --email bench@example.org --http-listen $LISTEN --run-dir "$TMP/run-pico"
		;;
	uacme)
		if [ "$new" = 1 ]; then
			measured unshare -m sh -c 'mount --bind "$0" /etc/ssl/certs/ca-certificates.crt && exec "$@"' \
				"$TMP/bundle.pem" uacme -c "$state" -a "$server" -t EC -b 256 -y new bench@example.org \
				>/dev/null || return 1
		fi
		measured env UACME_CHALLENGE_PATH=$TMP/www/.well-known/acme-challenge \
			unshare -m sh -c 'mount --bind "$0" /etc/ssl/certs/ca-certificates.crt && exec "$@"' \
			"$TMP/bundle.pem" uacme -c "$state" \
			-a "$server" -t EC -b 256 -h /usr/share/uacme/uacme.sh issue "$@"
		;;
	lego)
		for n in "$@"; do args+=(-d "$n"); done
		measured env LEGO_CA_CERTIFICATES="$PEB/ca.pem" lego --server "$server" --accept-tos \
			--email bench@example.org --path "$state" --key-type ec256 --http \
			--http.port $LISTEN "${args[@]}" run
		;;
	esac
}

export -f cmd measured
export PICO PEB TMP LISTEN VMHWM

median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "-")}'; }
# The second field of the line median picks: the kernel's VmHWM of that run.
median2() { sort -n | awk '{a[NR]=$2} END {print (NR ? a[int((NR+1)/2)] : "-")}'; }

declare -A WALL CPU RSS RSSK CONNS REQS INSTR
scen_count=(1 10 100)
scen_name=("a: new account + 1 name" "b: 10 names, existing account" "c: 100 names, existing account")

for client in "${clients[@]}"; do
	[ "$client" = uacme ] && web_start
	# Accounts for scenarios b and c, created outside the measurements.
	cmd "$client" "$DIRECT" "$TMP/$client-acct" 1 "setup-$client.bench.test" >"$TMP/log" 2>&1 ||
		{ echo "bench: $client could not get a first certificate:"; tail -5 "$TMP/log"; exit 1; }
	for s in 0 1 2; do
		: >"$TMP/wall" && : >"$TMP/cpu" && : >"$TMP/rss"
		runs=$RUNS
		[ $s = 2 ] && runs=$RUNS_C
		for r in $(seq 1 "$runs"); do
			if [ $s = 0 ]; then state=$TMP/$client-new-$r new=1; else state=$TMP/$client-acct new=0; fi
			: >"$TMP/time" && : >"$TMP/time.hwm"
			# shellcheck disable=SC2046
			if ! MEASURE_FILE=$TMP/time timeout "$LIMIT" bash -c 'cmd "$@"' _ \
				"$client" "$DIRECT" "$state" $new $(names "$client-$s-$r" "${scen_count[$s]}") >"$TMP/log" 2>&1; then
				echo "bench: $client failed or passed ${LIMIT}s in scenario ${scen_name[$s]}:" >&2
				tail -3 "$TMP/log" >&2
				echo "failed" >>"$TMP/wall"
				continue
			fi
			# One line per measured command (uacme's scenario a has two):
			# times add up, the peak is the largest process's.
			read -r e c < <(awk '{w += $1; c += $2 + $3} END {printf "%.2f %.2f\n", w, c}' "$TMP/time")
			m=$(sort -n "$TMP/time.hwm" | tail -1)
			echo "$e" >>"$TMP/wall"
			echo "$c" >>"$TMP/cpu"
			echo "$m" >>"$TMP/rss"
		done
		if grep -q failed "$TMP/wall"; then
			WALL[$client,$s]=failed CPU[$client,$s]=- RSS[$client,$s]=- RSSK[$client,$s]=-
		else
			WALL[$client,$s]=$(median <"$TMP/wall")
			CPU[$client,$s]=$(median <"$TMP/cpu")
			RSS[$client,$s]=$(median <"$TMP/rss")
			RSSK[$client,$s]=$(median2 <"$TMP/rss")
		fi
	done
	[ "$client" = uacme ] && web_stop
done

# Counting runs: the same scenarios through the counting proxy.
export COUNT_LOG=$TMP/count.log SERVER_SECONDS=7200 SERVER_CONNECTIONS=1000000
python3 test/tls_server.py proxy-count 14445 "$PEB/cert.pem" "$PEB/key.pem" 14000 >"$TMP/proxy.log" 2>&1 &
PROXY=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/14445) 2>/dev/null && break; sleep 0.1; done
for client in "${clients[@]}"; do
	[ "$client" = uacme ] && web_start
	if ! timeout "$LIMIT" bash -c 'cmd "$@"' _ "$client" "$COUNTED" "$TMP/$client-cacct" 1 \
		"csetup-$client.bench.test" >"$TMP/log" 2>&1; then
		echo "bench: $client failed through the counting proxy:" >&2
		tail -3 "$TMP/log" >&2
		for s in 0 1 2; do CONNS[$client,$s]=failed REQS[$client,$s]=failed; done
		[ "$client" = uacme ] && web_stop
		continue
	fi
	for s in 0 1 2; do
		if [ $s = 0 ]; then state=$TMP/$client-cnew new=1; else state=$TMP/$client-cacct new=0; fi
		: >"$COUNT_LOG"
		# shellcheck disable=SC2046
		if timeout "$LIMIT" bash -c 'cmd "$@"' _ "$client" "$COUNTED" "$state" $new \
			$(names "$client-c$s" "${scen_count[$s]}") >"$TMP/log" 2>&1; then
			CONNS[$client,$s]=$(grep -c '^conn$' "$COUNT_LOG" || true)
			REQS[$client,$s]=$(grep -vc '^conn$' "$COUNT_LOG" || true)
		else
			CONNS[$client,$s]=failed REQS[$client,$s]=failed
		fi
	done
	[ "$client" = uacme ] && web_stop
done

# d: a no-op renew, what the daily cron costs when nothing is due, over every
# certificate the runs above left in picoacme's state directory. Measured on
# the second run (the first of a day may ask the CA's ARI endpoint); the
# network connections and bytes written to files (stdout and stderr aside)
# are counted with strace.
noop_renew() { "$PICO" renew --dir "$TMP/picoacme-acct" --ca "$TMP/bundle.pem" --run-dir "$TMP/run-pico"; }
export -f noop_renew
NOOP_CERTS=$(find "$TMP/picoacme-acct" -maxdepth 1 -type l | wc -l)
noop_renew >/dev/null 2>&1 || true
: >"$TMP/time" && : >"$TMP/time.hwm"
for r in $(seq 1 "$RUNS"); do
	MEASURE_FILE=$TMP/time measured "$PICO" renew --dir "$TMP/picoacme-acct" \
		--ca "$TMP/bundle.pem" --run-dir "$TMP/run-pico" >/dev/null 2>&1 || true
done
NOOP_WALL=$(awk '{print $1}' "$TMP/time" | median)
NOOP_CPU=$(awk '{printf "%.2f\n", $2 + $3}' "$TMP/time" | median)
NOOP_RSS=$(median <"$TMP/time.hwm")
NOOP_RSSK=$(median2 <"$TMP/time.hwm")
strace -f -qq -o "$TMP/noop.strace" -e trace=connect,write,pwrite64,writev "$PICO" renew \
	--dir "$TMP/picoacme-acct" --ca "$TMP/bundle.pem" --run-dir "$TMP/run-pico" >/dev/null 2>&1 || NOOP_RC=$?
NOOP_RC=${NOOP_RC:-0}
NOOP_CONNS=$(grep -c 'connect(.*AF_INET' "$TMP/noop.strace" || true)
NOOP_BYTES=$(awk '{ sub(/^[0-9]+ +/, "") }
	/^(write|pwrite64|writev)\(/ { fd = $0; sub(/^[a-z0-9]+\(/, "", fd); sub(/,.*/, "", fd)
		if (fd + 0 > 2 && $NF ~ /^[0-9]+$/) s += $NF }
	END { print s + 0 }' "$TMP/noop.strace")
NOOP_REQS=-
[ "$NOOP_CONNS" = 0 ] && NOOP_REQS=0

# CPU as instructions, counted by callgrind: repeatable where seconds are
# not. A scenario-a issuance by picoacme (all its processes: the parent,
# the network process, the http-01 responder's image) beside one handshake of
# `openssl s_client`, each trusting the full bundle and Pebble's CA alone.
instructions() { # NAME COMMAND...: instructions of COMMAND's process and the ones it forks
	local out=$TMP/callgrind/$1
	shift
	# world-writable: picoacme's network process writes its count as --user
	mkdir -p "$TMP/callgrind" && chmod 1777 "$TMP/callgrind"
	rm -f "$out".*
	# --trace-children: the responder is a fresh image (an execve)
	valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$out.%p" "$@" </dev/null \
		>/dev/null 2>&1 || true
	# summary and totals say the same: the first of them, per process
	awk 'FNR == 1 {seen = 0} /^(summary|totals):/ && !seen {n += $2; seen = f = 1}
		END {print (f ? n : "-")}' "$out".* 2>/dev/null || echo -
}
for ca in bundle pebble; do
	cafile=$TMP/bundle.pem
	[ $ca = pebble ] && cafile=$PEB/ca.pem
	INSTR[pico,$ca]=$(instructions "pico-$ca" "$PICO_CG" issue -d "cpu-$ca.bench.test" \
		--dir "$TMP/pico-cpu-$ca" --server "$DIRECT" --ca "$cafile" --agree-tos \
		--email bench@example.org --http-listen $LISTEN --run-dir "$TMP/run-pico")
	INSTR[sclient,$ca]=$(instructions "sclient-$ca" openssl s_client -connect localhost:14000 \
		-servername localhost -CAfile "$cafile" -verify_return_error)
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }

size_of() { stat -L -c %s "$1"; }
pico_size=$(size_of "$PICO")
pico_xz=$(xz -9 -c "$PICO" | wc -c)
echo
echo "### picoacme vs uacme and lego against Pebble ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), median of $RUNS runs, $RUNS_C for c)"
echo
echo "| scenario | client | wall s | CPU s | peak RSS KiB (kernel's VmHWM) | TCP connections | ACME requests |"
echo "|---|---|---|---|---|---|---|"
for s in 0 1 2; do
	for client in "${clients[@]}"; do
		echo "| ${scen_name[$s]} | $client | ${WALL[$client,$s]} | ${CPU[$client,$s]} | ${RSS[$client,$s]} (${RSSK[$client,$s]}) | ${CONNS[$client,$s]} | ${REQS[$client,$s]} |"
	done
	for client in "${clients[@]}"; do
		[ "$client" = picoacme ] && continue
		echo "| ${scen_name[$s]} | picoacme/$client | $(ratio "${WALL[picoacme,$s]}" "${WALL[$client,$s]}") | $(ratio "${CPU[picoacme,$s]}" "${CPU[$client,$s]}") | $(ratio "${RSS[picoacme,$s]}" "${RSS[$client,$s]}") | $(ratio "${CONNS[picoacme,$s]}" "${CONNS[$client,$s]}") | $(ratio "${REQS[picoacme,$s]}" "${REQS[$client,$s]}") |"
	done
done
echo
echo "| d: no-op renew, $NOOP_CERTS certificates (exit $NOOP_RC, $NOOP_BYTES bytes written to files) | picoacme | $NOOP_WALL | $NOOP_CPU | $NOOP_RSS ($NOOP_RSSK) | $NOOP_CONNS | $NOOP_REQS |"
echo
echo "| instructions (callgrind) | trusting the full bundle | trusting Pebble's CA alone |"
echo "|---|---|---|"
echo "| picoacme: new account + 1 name, whole issuance | ${INSTR[pico,bundle]} | ${INSTR[pico,pebble]} |"
echo "| openssl s_client: one TLS handshake | ${INSTR[sclient,bundle]} | ${INSTR[sclient,pebble]} |"
echo "| ratio | $(ratio "${INSTR[pico,bundle]}" "${INSTR[sclient,bundle]}") | $(ratio "${INSTR[pico,pebble]}" "${INSTR[sclient,pebble]}") |"
echo
echo "| client | binary bytes | with shared libraries | xz -9 bytes |"
echo "|---|---|---|---|"
echo "| picoacme-static | $pico_size | $pico_size (static) | $pico_xz |"
for client in "${clients[@]}"; do
	[ "$client" = picoacme ] && continue
	bin=$(command -v "$client")
	libs=$(ldd "$bin" 2>/dev/null | awk '/=> \// {print $3}' | xargs -r stat -L -c %s | awk '{s+=$1} END {print s+0}')
	echo "| $client | $(size_of "$bin") | $(($(size_of "$bin") + libs)) | $(xz -9 -c "$bin" | wc -c) |"
done
