#!/usr/bin/env python3
"""test/wycheproof.py DIR: turns the C2SP Wycheproof signature vectors that
picoacme's verifiers can face (ECDSA P-256/P-384 in DER and P1363 form, RSA
PKCS#1 v1.5) into lines for test/wycheproof.c:
  F <file> <kind>                  kind: ecdsa-der, ecdsa-p1363, rsa
  K <hash> <curve|n> <q|e>         hex; curve 23 = P-256, 24 = P-384
  T <tcId> <result> <msg> <sig> <flags>
Only hashes BearSSL implements are taken (SHA-224/256/384/512)."""
import json
import os
import re
import sys

HASHES = {"SHA-224": "sha224", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
CURVES = {"secp256r1": 23, "secp384r1": 24}


def main():
    d = sys.argv[1]
    out = sys.stdout
    names = sorted(os.listdir(d))
    picked = [n for n in names
              if re.fullmatch(r"ecdsa_secp(256|384)r1_sha(224|256|384|512)(_p1363)?_test\.json", n)
              or re.fullmatch(r"rsa_signature_\d+_sha(224|256|384|512)_test\.json", n)]
    if not picked:
        sys.exit("wycheproof.py: no vector files in " + d)
    for name in picked:
        doc = json.load(open(os.path.join(d, name)))
        if name.startswith("ecdsa"):
            kind = "ecdsa-p1363" if "_p1363_" in name else "ecdsa-der"
        else:
            kind = "rsa"
        out.write("F %s %s\n" % (name, kind))
        for g in doc["testGroups"]:
            h = HASHES.get(g.get("sha"))
            if h is None:
                sys.exit("wycheproof.py: %s: unexpected hash %s" % (name, g.get("sha")))
            if kind == "rsa":
                pk = g["publicKey"]
                out.write("K %s %s %s\n" % (h, pk["modulus"], pk["publicExponent"]))
            else:
                pk = g["publicKey"]
                out.write("K %s %d %s\n" % (h, CURVES[pk["curve"]], pk["uncompressed"]))
            for t in g["tests"]:
                out.write("T %d %s %s %s %s\n" % (t["tcId"], t["result"], t["msg"] or "-",
                                                  t["sig"] or "-", ",".join(t["flags"]) or "-"))


main()
