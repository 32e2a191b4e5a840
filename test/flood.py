#!/usr/bin/env python3
"""test/flood.py PORT COUNT MODE SECONDS: holds COUNT connections to
127.0.0.1:PORT for SECONDS, reopening any the server closes. MODE idle
sends nothing; MODE slowloris sends a request head one byte a second and
never ends it. MODE late makes COUNT clients one after another, each
sending a whole request SECONDS after it connected (a validator slowed
down), and exits 1 unless every one got an answer. Loopback only; stops by
itself."""
import selectors
import socket
import sys
import time

port, count, mode, seconds = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
HEAD = b"GET /.well-known/acme-challenge/x HTTP/1.1\r\nHost: a\r\nX-a: " + b"b" * 4000

if mode == "late":
    answered = 0
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        time.sleep(seconds)
        try:
            s.sendall(b"GET /.well-known/acme-challenge/late HTTP/1.1\r\nHost: a\r\n\r\n")
            got = s.recv(64)
            answered += got.startswith(b"HTTP/1.1 ")
            if not got:
                print("late client: closed without an answer")
        except OSError as e:
            print("late client: %s" % e)
        s.close()
    print("late clients answered: %d of %d" % (answered, count))
    sys.exit(answered != count)

sel = selectors.DefaultSelector()
conns = {}


def open_one():
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    except OSError:
        s.close()
        return
    conns[s] = 0
    sel.register(s, selectors.EVENT_READ)


end = time.time() + seconds
next_drip = time.time()
while time.time() < end:
    reopen = count - len(conns)
    if reopen > count // 2 and reopen < count:
        time.sleep(0.05)  # most were closed at once: do not spin
    for _ in range(reopen):
        open_one()
    for key, _ in sel.select(timeout=0.2):
        s = key.fileobj
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:
            sel.unregister(s)
            s.close()
            del conns[s]
    if mode == "slowloris" and time.time() >= next_drip:
        next_drip = time.time() + 1
        for s in list(conns):
            i = conns[s]
            try:
                s.send(HEAD[i:i + 1])
                conns[s] = i + 1
            except OSError:
                pass
for s in conns:
    s.close()
