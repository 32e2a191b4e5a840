#!/usr/bin/env python3
"""test/tcp_relay.py LISTEN_HOST LISTEN_PORT UPSTREAM_PORT: relays each TCP
connection on LISTEN_HOST:LISTEN_PORT (e.g. ::1) to 127.0.0.1:UPSTREAM_PORT,
bytes untouched (TLS ends at the upstream), so a server listening on IPv4
only can be reached as an IPv6 literal. Loopback only; at most 100
connections, and it exits after 120 seconds. RELAY_DELAY=SECONDS holds each
connection that long before it reaches the upstream. RELAY_SEGMENT=1 sends
every byte, both ways, as a TCP segment of its own (TCP_NODELAY, a pause
after each), as a very lossy or fragmenting link delivers them."""
import os
import socket
import sys
import threading
import time

host, port, upstream = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
delay = float(os.environ.get("RELAY_DELAY", "0"))
one_byte = os.environ.get("RELAY_SEGMENT") == "1"


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if not one_byte:
                dst.sendall(data)
                continue
            for i in range(len(data)):
                dst.send(data[i:i + 1])
                time.sleep(0.0002)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def main():
    srv = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(16)
    srv.settimeout(1)
    deadline = time.time() + 120
    served = 0
    while time.time() < deadline and served < 100:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        served += 1
        threading.Thread(target=relay, args=(conn,), daemon=True).start()


def relay(conn):
    time.sleep(delay)
    up = socket.create_connection(("127.0.0.1", upstream))
    for s in (conn, up):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=pump, args=(conn, up), daemon=True).start()
    pump(up, conn)


main()
