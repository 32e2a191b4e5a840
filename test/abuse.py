#!/usr/bin/env python3
"""test/abuse.py PORT: hostile requests to picoacme's http-01 responder on
127.0.0.1:PORT, one connection each: path traversal (plain and
percent-encoded), an oversized request line, a wrong Host, a method other
than GET/HEAD, a TLS ClientHello. Prints one line per probe with what came
back; exits 1 if any answer is a 200 or holds anything but an empty 404/405/
4xx body (no file content such as /etc/passwd's "root:"), else 0. The
responder must stay up: the run that owns it still has to pass validation."""
import socket
import sys

port = int(sys.argv[1])

# A TLS 1.2 ClientHello's first bytes: record header, handshake header,
# version, 32 bytes of random, no session, one suite, no compression.
CLIENT_HELLO = (bytes.fromhex("16030100310100002d0303") + bytes(32) +
                bytes.fromhex("000002c02f0100"))

probes = [
    ("traversal", b"GET /.well-known/acme-challenge/../../../../etc/passwd HTTP/1.1\r\n"
                  b"Host: t.example.test\r\n\r\n"),
    ("encoded traversal", b"GET /.well-known/acme-challenge/%2e%2e%2f%2e%2e%2fetc%2fpasswd HTTP/1.1\r\n"
                          b"Host: t.example.test\r\n\r\n"),
    ("root traversal", b"GET /../../etc/passwd HTTP/1.1\r\nHost: t.example.test\r\n\r\n"),
    ("oversized request line", b"GET /.well-known/acme-challenge/" + b"A" * 20000 +
                               b" HTTP/1.1\r\nHost: t.example.test\r\n\r\n"),
    ("wrong Host", b"GET /.well-known/acme-challenge/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n"
                   b"Host: evil.example\r\n\r\n"),
    ("POST", b"POST /.well-known/acme-challenge/x HTTP/1.1\r\nHost: t.example.test\r\n"
             b"Content-Length: 3\r\n\r\nabc"),
    ("TLS ClientHello", CLIENT_HELLO),
]

bad = 0
for name, data in probes:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    answer = b""
    try:
        s.sendall(data)
        while len(answer) < 65536:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    except OSError as e:  # a reset is a fine answer to garbage
        answer += b"<%s>" % type(e).__name__.encode()
    s.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status = head.split(b"\r\n")[0].decode(errors="replace")
    print("%s: %s, %d body bytes" % (name, status or "(closed)", len(body)))
    if b" 200 " in head or b"root:" in answer or (body and not answer.startswith(b"HTTP/1.1 4")):
        print("  BAD: %r" % answer[:200])
        bad = 1
sys.exit(bad)
