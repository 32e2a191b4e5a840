#!/usr/bin/env python3
"""A DNS server for picoacme's resolver tests (UDP and TCP, loopback only).

  dns_server.py PORT LOGFILE [ADDRESS [MODE]]

Listens on ADDRESS (default 127.0.0.1; ::1 works too) port PORT.
MODE "refuse" answers REFUSED to every query (one of several nameservers
that will not serve us); MODE "late" ignores the first query for each name
and type (a slow upstream). MODE "zone" is a resolver that knows the zone
zone.picoacme.test only by its NS (ns.zone.picoacme.test, A 127.0.0.2) and
answers every TXT question empty; MODE "auth" is that zone's nameserver:
each line of the file $DNS_TXT_FILE is a TXT record of every name asked.
Otherwise, names (case-insensitive):
  ca.picoacme.test       A: first a reply with a wrong id (must be ignored),
                         then a CNAME to cdn.picoacme.test and A 127.0.0.1;
                         AAAA: NOERROR without records
  big.picoacme.test      A: 120 records (1.9 KB, more than 1232 bytes over
                         UDP): 127.0.0.1, then loopback addresses nothing
                         listens on
  tc.picoacme.test       A over UDP: truncated (TC) and empty; over TCP:
                         A 127.0.0.1
  silent.picoacme.test   never answered
  anything else          NXDOMAIN
Each query is logged as "TYPE NAME" ("TCP TYPE NAME" over TCP). Exits
after 120 seconds in any case.
"""
import os
import socket
import struct
import sys
import threading
import time

port, logfile = int(sys.argv[1]), sys.argv[2]
addr = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
mode = sys.argv[4] if len(sys.argv) > 4 else ""
family = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.bind((addr, port))
s.settimeout(1)
log_lock = threading.Lock()
seen = set()


def name_wire(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def parse_question(q):
    pos, labels = 12, []
    while q[pos]:
        labels.append(q[pos + 1:pos + 1 + q[pos]].decode())
        pos += 1 + q[pos]
    qtype = struct.unpack("!H", q[pos + 1:pos + 3])[0]
    return ".".join(labels), qtype, q[12:pos + 5]


def reply(q, rcode, answers, tc=False):
    head = q[:2] + struct.pack("!HHHHH", 0x8180 | rcode | (0x0200 if tc else 0), 1, len(answers), 0, 0)
    return head + parse_question(q)[2] + b"".join(answers)


def rr(name_ptr_or_wire, rtype, data):
    return name_ptr_or_wire + struct.pack("!HHIH", rtype, 1, 60, len(data)) + data


def log(line):
    with log_lock, open(logfile, "a") as f:
        f.write(line + "\n")


def answers(q, tcp):
    """The replies to send to query q, in order."""
    name, qtype, _ = parse_question(q)
    log("%s%s %s%s" % ("TCP " if tcp else "", {1: "A", 28: "AAAA", 2: "NS", 16: "TXT"}.get(qtype, qtype),
                       name, "" if q[2] & 1 else " norecurse"))
    name = name.lower()
    if mode == "refuse":
        return [reply(q, 5, [])]
    if mode == "zone":
        if qtype == 2 and name == "zone.picoacme.test":
            return [reply(q, 0, [rr(b"\xc0\x0c", 2, name_wire("ns.zone.picoacme.test"))])]
        if qtype == 1 and name == "ns.zone.picoacme.test":
            return [reply(q, 0, [rr(b"\xc0\x0c", 1, bytes([127, 0, 0, 2]))])]
        return [reply(q, 0 if name.endswith("zone.picoacme.test") else 3, [])]
    if mode == "auth":
        with open(os.environ["DNS_TXT_FILE"]) as f:
            texts = [t.strip().encode() for t in f if t.strip()]
        return [reply(q, 0, [rr(b"\xc0\x0c", 16, bytes([len(t)]) + t) for t in texts if qtype == 16])]
    if mode == "late" and (name, qtype) not in seen:
        seen.add((name, qtype))
        return []
    if name == "silent.picoacme.test":
        return []
    if name == "big.picoacme.test" and qtype == 1:
        return [reply(q, 0, [rr(b"\xc0\x0c", 1, bytes([127, 0, 0, 1]))] +
                      [rr(b"\xc0\x0c", 1, bytes([127, 1, i // 256, i % 256])) for i in range(119)])]
    if name == "tc.picoacme.test" and qtype == 1:
        if tcp:
            return [reply(q, 0, [rr(b"\xc0\x0c", 1, bytes([127, 0, 0, 1]))])]
        return [reply(q, 0, [], tc=True)]
    if name in ("big.picoacme.test", "tc.picoacme.test"):
        return [reply(q, 0, [])]
    if name != "ca.picoacme.test":
        return [reply(q, 3, [])]
    if qtype == 1:
        bad = bytes([q[0] ^ 0xff, q[1]]) + q[2:]
        return [reply(bad, 0, [rr(b"\xc0\x0c", 1, bytes([10, 9, 9, 9]))]),
                reply(q, 0, [rr(b"\xc0\x0c", 5, name_wire("cdn.picoacme.test")),
                             rr(name_wire("cdn.picoacme.test"), 1, bytes([127, 0, 0, 1]))])]
    return [reply(q, 0, [])]


def tcp_server():
    t = socket.socket(family, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, port))
    t.listen(8)
    t.settimeout(1)
    while time.time() < deadline:
        try:
            c, _ = t.accept()
        except socket.timeout:
            continue
        try:
            c.settimeout(5)
            data = b""
            while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
                chunk = c.recv(4096)
                if not chunk:
                    break
                data += chunk
            for r in answers(data[2:], True):
                c.sendall(struct.pack("!H", len(r)) + r)
        except OSError:
            pass
        finally:
            c.close()


deadline = time.time() + 120
threading.Thread(target=tcp_server, daemon=True).start()
while time.time() < deadline:
    try:
        q, peer = s.recvfrom(2048)
    except socket.timeout:
        continue
    for r in answers(q, False):
        s.sendto(r, peer)
