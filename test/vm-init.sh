#!/bin/busybox sh
# /init of the initramfs test/vm.sh boots: a router's kernel (seccomp on)
# under qemu-system. Issues one certificate with each built-in responder
# from the Pebble on the host (10.0.2.2 through qemu's user network) and
# prints what the test reads on the console: the runs' exit statuses and
# which processes were under a seccomp filter meanwhile.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
for m in /modules/*.ko; do insmod "$m"; done
read -r cmdline </proc/cmdline
for w in $cmdline; do
	case $w in epoch=*) date -s "@${w#epoch=}" >/dev/null ;; esac
done
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
echo '10.0.2.2 ca.picoacme.test' >/etc/hosts

# Samples the filter modes of the processes a run starts (the pids after
# its own, on this quiet machine) while it goes on; ash builtins only, as a
# fork per sample under emulation would miss the short-lived ones.
watch_filters() { # challenge first-pid
	while :; do
		p=$2
		while [ "$p" -lt $(($2 + 8)) ]; do
			p=$((p + 1))
			mode='' uid=''
			while read -r k v rest; do
				case $k in Uid:) uid=$v ;; Seccomp:) mode=$v ;; esac
			done 2>/dev/null <"/proc/$p/status"
			[ "$mode" = 2 ] || continue
			cmd=''
			read -r cmd 2>/dev/null <"/proc/$p/cmdline"
			# A process exiting while its command line is read (a byte
			# per read) leaves the line cut short: a start of one of
			# the two lines counts as that line.
			what="other($cmd)" responder_line=picoacme--internal-responder network_line=/picoacmeissue
			case $cmd in
			'') continue ;; # exited, not yet reaped: no command line left
			picoacme--*) what=responder ;;
			/picoacmeissue*) what=network ;;
			esac
			case $responder_line in "$cmd"*) what=responder ;; esac
			case $network_line in "$cmd"*) what=network ;; esac
			echo "$1 $what uid $uid"
		done
	done
}

issue() { # name challenge listen-option address
	sleep 1 &
	watch_filters "$2" "$!" >"/tmp/filtered-$2" &
	watcher=$!
	/picoacme issue -d "$1" --challenge "$2" "$3" "$4" --dir /tmp/certs --run-dir /tmp/run \
		--server https://ca.picoacme.test:14000/dir --ca /ca.pem --agree-tos --user 4242:4343 -v \
		>/tmp/out 2>&1
	echo "VM-RESULT $2 $?"
	kill "$watcher"
	sed 's/^/VM-LOG /' /tmp/out
	sort -u "/tmp/filtered-$2" | sed 's/^/VM-FILTERED /'
}
issue vm-http.example.test http-01 --http-listen 0.0.0.0:80
issue vm-alpn.example.test tls-alpn-01 --alpn-listen 0.0.0.0:443
echo VM-DONE
poweroff -f
