#!/usr/bin/env python3
"""Misbehaving HTTPS servers for picoacme's end-to-end tests (loopback only).

  tls_server.py MODE PORT CERT KEY [UPSTREAM_PORT]

MODE:
  proxy-close  forwards each request to Pebble on 127.0.0.1:UPSTREAM_PORT and
               closes the client connection after every response, without
               announcing it (no "Connection: close")
  drip         sends a response head one byte per second
  big-header   sends 20 KiB of response header fields
  big-body     announces and sends a 2 MiB body
  http-links   serves a directory whose URLs are http://
  proxy-count  keep-alive proxy to Pebble that appends "conn" per accepted
               connection and "METHOD PATH" per request to $COUNT_LOG
  ratelimit    keep-alive proxy to Pebble that answers new orders with 429
               rateLimited and Retry-After: 7200 once $RATELIMIT_FILE exists
  hold         keep-alive proxy to Pebble that holds each challenge POST
               (/chalZ/) back for $HOLD seconds and appends "challenge" to
               $COUNT_LOG when one arrives
  redirect     keep-alive proxy to Pebble that answers GET /moved with 302 to
               /dir (the same origin) and GET /elsewhere with 302 to
               $REDIRECT_TO (another origin); GET /postdir serves a directory
               whose newAccount is /redir-post, which answers POST with 307
               to /followed, and a request for /followed appends "followed"
               to $COUNT_LOG
  pending-order keep-alive proxy to Pebble that reports an invalid order as
               pending (without its error), as smallstep's step-ca 0.19 does
               after a failed validation, and appends "rewritten" to
               $COUNT_LOG each time
  drop-answer  keep-alive proxy to Pebble that forwards the first POST whose
               path starts with $DROP_PATH and then closes the connection
               without its answer (the CA acted, the client cannot know),
               appending "dropped" to $COUNT_LOG
  fault        keep-alive proxy to Pebble that breaks the exchange of the first
               request whose "METHOD /path" starts with $FAULT_PATH, at
               $FAULT_AT: "before" (reset, the request never reaches Pebble),
               "head" or "body" (Pebble answers; the connection is reset half
               way through the response head, or half way through the
               body), "stall-head" or "stall-body" (the same point, then
               nothing more for 60 seconds); appends "faulted" to $COUNT_LOG
$HANDSHAKE_DELAY (seconds) holds every handshake back that long, as a slow
link does. Serves at most 200 connections and exits after 120 seconds in
any case.
"""
import json
import os
import socket
import ssl
import sys
import threading
import time

mode, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
upstream = int(sys.argv[5]) if len(sys.argv) > 5 else 0


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        body += chunk
    return head, body


def upstream_exchange(request):
    """Sends a complete request to Pebble over TLS and reads until EOF."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    resp = b""
    with socket.create_connection(("127.0.0.1", upstream)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as up:
            up.sendall(request)
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    break
                resp += chunk
    return resp


def forward(head, body):
    lines = [l for l in head.split(b"\r\n") if not l.lower().startswith(b"connection:")]
    resp = upstream_exchange(b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n" + body)
    # Drop the upstream's Connection: close so the client expects keep-alive.
    rhead, _, rbody = resp.partition(b"\r\n\r\n")
    lines = [l for l in rhead.split(b"\r\n") if not l.lower().startswith(b"connection:")]
    return b"\r\n".join(lines) + b"\r\n\r\n" + rbody


def forward_keepalive(head, body):
    """One request upstream as HTTP/1.0 (so the body ends at EOF), answered
    downstream as HTTP/1.1 with a Content-Length the client can keep alive on."""
    lines = [l for l in head.split(b"\r\n") if not l.lower().startswith(b"connection:")]
    method, path, _ = lines[0].split(b" ", 2)
    lines[0] = method + b" " + path + b" HTTP/1.0"
    resp = upstream_exchange(b"\r\n".join(lines) + b"\r\n\r\n" + body)
    rhead, _, rbody = resp.partition(b"\r\n\r\n")
    out = [l for l in rhead.split(b"\r\n") if l.split(b":")[0].strip().lower()
           not in (b"content-length", b"transfer-encoding", b"connection")]
    out[0] = b"HTTP/1.1" + out[0][8:]
    if method != b"HEAD":
        out.append(b"Content-Length: %d" % len(rbody))
    return b"\r\n".join(out) + b"\r\n\r\n" + rbody


def order_left_pending(resp):
    """An invalid order in a response, rewritten as pending without error."""
    rhead, _, rbody = resp.partition(b"\r\n\r\n")
    try:
        order = json.loads(rbody)
    except ValueError:
        return resp
    if order.get("status") != "invalid":
        return resp
    order["status"] = "pending"
    order.pop("error", None)
    count(b"rewritten")
    rbody = json.dumps(order).encode()
    lines = [l for l in rhead.split(b"\r\n") if not l.lower().startswith(b"content-length:")]
    return b"\r\n".join(lines) + b"\r\nContent-Length: %d\r\n\r\n" % len(rbody) + rbody


count_lock = threading.Lock()
dropped = threading.Event()
faulted = threading.Event()


def reset(conn):
    """Closes with a TCP reset: no close_notify, no FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn.close()


def break_exchange(conn, head, body):
    """The fault of mode "fault" on one request: see the module text."""
    at = os.environ["FAULT_AT"]
    count(b"faulted")
    if at == "before":
        reset(conn)
        return
    resp = forward_keepalive(head, body)
    rhead, _, rbody = resp.partition(b"\r\n\r\n")
    cut = len(rhead) // 2 if at.endswith("head") else len(rhead) + 4 + len(rbody) // 2
    conn.sendall(resp[:cut])
    if at.startswith("stall"):
        time.sleep(60)
    reset(conn)


def count(line):
    with count_lock, open(os.environ["COUNT_LOG"], "ab") as f:
        f.write(line + b"\n")


def handle(conn):
    try:
        if mode in ("proxy-count", "ratelimit", "redirect", "hold", "pending-order", "drop-answer",
                    "fault"):
            if mode == "proxy-count":
                count(b"conn")
            while True:
                req = read_request(conn)
                if req is None:
                    return
                head, body = req
                line = b" ".join(head.split(b"\r\n")[0].split(b" ")[:2])
                if mode == "proxy-count":
                    count(line)
                if mode == "hold" and line.startswith(b"POST /chalZ/"):
                    count(b"challenge")
                    time.sleep(float(os.environ["HOLD"]))
                if mode == "redirect" and line == b"GET /postdir":
                    base = b"https://localhost:%d" % port
                    js = (b'{"newNonce":"' + base + b'/nonce-plz","newAccount":"' + base +
                          b'/redir-post","newOrder":"' + base + b'/redir-post"}')
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: %d\r\n\r\n" % len(js) + js)
                    continue
                if mode == "redirect" and line == b"POST /redir-post":
                    conn.sendall(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /followed\r\n"
                                 b"Content-Length: 0\r\n\r\n")
                    continue
                if mode == "redirect" and line.endswith(b" /followed"):
                    count(b"followed")
                if mode == "redirect" and line in (b"GET /moved", b"GET /elsewhere"):
                    to = b"/dir" if line == b"GET /moved" else os.environ["REDIRECT_TO"].encode()
                    conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: " + to + b"\r\nContent-Length: 0\r\n\r\n")
                    continue
                if (mode == "ratelimit" and line == b"POST /order-plz"
                        and os.path.exists(os.environ["RATELIMIT_FILE"])):
                    js = (b'{"type":"urn:ietf:params:acme:error:rateLimited",'
                          b'"detail":"too many certificates","status":429}')
                    nonce = forward_keepalive(b"HEAD /nonce-plz HTTP/1.1\r\nHost: localhost\r\n", b"")
                    rn = [l for l in nonce.split(b"\r\n") if l.lower().startswith(b"replay-nonce:")]
                    conn.sendall(b"HTTP/1.1 429 Too Many Requests\r\n"
                                 b"Content-Type: application/problem+json\r\nRetry-After: 7200\r\n" +
                                 b"".join(l + b"\r\n" for l in rn) +
                                 b"Content-Length: %d\r\n\r\n" % len(js) + js)
                    continue
                if (mode == "drop-answer" and line.startswith(b"POST " + os.environ["DROP_PATH"].encode())
                        and not dropped.is_set()):
                    dropped.set()
                    forward_keepalive(head, body)
                    count(b"dropped")
                    return
                if (mode == "fault" and line.startswith(os.environ["FAULT_PATH"].encode())
                        and not faulted.is_set()):
                    faulted.set()
                    break_exchange(conn, head, body)
                    return
                if mode == "pending-order" and line.startswith(b"POST /my-order/"):
                    conn.sendall(order_left_pending(forward_keepalive(head, body)))
                    continue
                conn.sendall(forward_keepalive(head, body))
        req = read_request(conn)
        if req is None:
            return
        head, body = req
        if mode == "proxy-close":
            conn.sendall(forward(head, body))
        elif mode == "drip":
            for b in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}":
                conn.sendall(bytes([b]))
                time.sleep(1)
        elif mode == "big-header":
            conn.sendall(b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"a" * 20480 + b"\r\n\r\n")
        elif mode == "big-body":
            size = 2 * 1024 * 1024
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % size)
            conn.sendall(b" " * size)
        elif mode == "http-links":
            base = b"http://localhost:%d" % port
            js = (b'{"newNonce":"' + base + b'/nonce","newAccount":"' + base +
                  b'/acct","newOrder":"' + base + b'/order"}')
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(js) + js)
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    srv.settimeout(1)
    deadline = time.time() + float(os.environ.get("SERVER_SECONDS", "120"))
    served = 0
    while time.time() < deadline and served < int(os.environ.get("SERVER_CONNECTIONS", "200")):
        try:
            raw, _ = srv.accept()
        except socket.timeout:
            continue
        served += 1
        time.sleep(float(os.environ.get("HANDSHAKE_DELAY", "0")))
        try:
            conn = ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            continue
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


main()
