#!/usr/bin/env python3
"""test/evil_chain.py DIR: a P-256 root, intermediate and leaf (SAN localhost,
127.0.0.1, ::1) made by openssl in DIR, plus the leaf with its signature
replaced by DER ECDSA signatures whose r||s form is longer than the DER
(the stack overflow of issue 10):
  root.pem root.key inter.pem inter.key leaf.pem leaf.key   the good chain
  evil132.pem  signature 30 81 81 02 00 02 7d + 125 x 0x41 (132 bytes)
  evil73.pem   signature 30 47 02 00 02 43 + 67 x 0x41 (73 bytes)
  noip.pem     a good leaf naming localhost only
  *.der        each leaf and the intermediate as DER"""
import base64
import os
import subprocess
import sys

d = sys.argv[1]
os.makedirs(d, exist_ok=True)


def sh(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def path(name):
    return os.path.join(d, name)


def key(name):
    sh("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-out", path(name + ".key"))


def signed(name, subj, issuer, ext):
    key(name)
    with open(path(name + ".ext"), "w") as f:
        f.write(ext)
    sh("openssl", "req", "-new", "-key", path(name + ".key"), "-subj", subj, "-out", path(name + ".csr"))
    sh("openssl", "x509", "-req", "-in", path(name + ".csr"), "-CA", path(issuer + ".pem"),
       "-CAkey", path(issuer + ".key"), "-CAcreateserial", "-days", "3650", "-extfile",
       path(name + ".ext"), "-out", path(name + ".pem"))


def der_of(pem_name):
    out = subprocess.run(["openssl", "x509", "-in", path(pem_name), "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return out


def length(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, content):
    return bytes([tag]) + length(len(content)) + content


def children(der):
    """The TLVs inside the outer SEQUENCE of der."""
    i = 1
    n = der[i]
    i += 1
    if n & 0x80:
        k = n & 0x7f
        i += k
    out = []
    while i < len(der):
        start = i
        i += 1
        n = der[i]
        i += 1
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(der[i:i + k], "big")
            i += k
        i += n
        out.append(der[start:i])
    return out


def write_pem(name, der):
    b = base64.b64encode(der).decode()
    with open(path(name), "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\n")
        for i in range(0, len(b), 64):
            f.write(b[i:i + 64] + "\n")
        f.write("-----END CERTIFICATE-----\n")


key("root")
sh("openssl", "req", "-x509", "-new", "-key", path("root.key"), "-subj", "/CN=evil chain test root",
   "-days", "3650", "-out", path("root.pem"))
signed("inter", "/CN=evil chain test intermediate", "root",
       "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n")
signed("leaf", "/CN=localhost", "inter",
       "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\n"
       "extendedKeyUsage=serverAuth\n")
signed("noip", "/CN=localhost", "inter",
       "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
leaf = der_of("leaf.pem")
tbs, alg, _sig = children(leaf)
for name, sig in (("evil132", b"\x30\x81\x81\x02\x00\x02\x7d" + b"\x41" * 125),
                  ("evil73", b"\x30\x47\x02\x00\x02\x43" + b"\x41" * 67)):
    evil = tlv(0x30, tbs + alg + tlv(0x03, b"\x00" + sig))
    write_pem(name + ".pem", evil)
    open(path(name + ".der"), "wb").write(evil)
for name in ("leaf", "noip", "inter", "root"):
    open(path(name + ".der"), "wb").write(der_of(name + ".pem"))
