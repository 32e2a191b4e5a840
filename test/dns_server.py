#!/usr/bin/env python3
"""A DNS server for picoacme's resolver tests (UDP, loopback only).

  dns_server.py PORT LOGFILE

Names (case-insensitive):
  ca.picoacme.test       A: first a reply with a wrong id (must be ignored),
                         then a CNAME to cdn.picoacme.test and A 127.0.0.1;
                         AAAA: NOERROR without records
  silent.picoacme.test   never answered
  anything else          NXDOMAIN
Each query is logged as "TYPE NAME". Exits after 120 seconds in any case.
"""
import socket
import struct
import sys
import time

port, logfile = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(1)


def name_wire(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def parse_question(q):
    pos, labels = 12, []
    while q[pos]:
        labels.append(q[pos + 1:pos + 1 + q[pos]].decode())
        pos += 1 + q[pos]
    qtype = struct.unpack("!H", q[pos + 1:pos + 3])[0]
    return ".".join(labels), qtype, q[12:pos + 5]


def reply(q, rcode, answers):
    head = q[:2] + struct.pack("!HHHHH", 0x8180 | rcode, 1, len(answers), 0, 0)
    return head + parse_question(q)[2] + b"".join(answers)


def rr(name_ptr_or_wire, rtype, data):
    return name_ptr_or_wire + struct.pack("!HHIH", rtype, 1, 60, len(data)) + data


deadline = time.time() + 120
while time.time() < deadline:
    try:
        q, peer = s.recvfrom(2048)
    except socket.timeout:
        continue
    name, qtype, _ = parse_question(q)
    with open(logfile, "a") as f:
        f.write("%s %s\n" % ({1: "A", 28: "AAAA"}.get(qtype, qtype), name))
    name = name.lower()
    if name == "silent.picoacme.test":
        continue
    if name != "ca.picoacme.test":
        s.sendto(reply(q, 3, []), peer)
        continue
    if qtype == 1:
        bad = bytes([q[0] ^ 0xff, q[1]]) + q[2:]
        s.sendto(reply(bad, 0, [rr(b"\xc0\x0c", 1, bytes([10, 9, 9, 9]))]), peer)
        s.sendto(reply(q, 0, [rr(b"\xc0\x0c", 5, name_wire("cdn.picoacme.test")),
                              rr(name_wire("cdn.picoacme.test"), 1, bytes([127, 0, 0, 1]))]), peer)
    else:
        s.sendto(reply(q, 0, []), peer)
