#!/usr/bin/env python3
"""memscan.py PID OUT: copies every readable mapping of process PID
(/proc/PID/maps, /proc/PID/mem) into the file OUT, so that a test can
later look for key material in what that process held at that moment.
Needs the right to trace PID (root, or the same user without
no-new-privileges). Mappings over 1 GiB (a sanitizer's shadow memory,
reserved, never written) are passed over. Exits 1 when nothing could be
read."""
import sys


def main():
    pid, out = sys.argv[1], sys.argv[2]
    total = 0
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem, \
            open(out, "wb") as dump:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if not fields[1].startswith("r") or (len(fields) > 5 and fields[5] == "[vvar]"):
                continue
            if end - start > 1 << 30:
                continue
            for at in range(start, end, 1 << 20):
                try:
                    mem.seek(at)
                    data = mem.read(min(1 << 20, end - at))
                except OSError:
                    continue
                dump.write(data)
                total += len(data)
    print(f"memscan: {total} bytes of process {pid}")
    return 0 if total else 1


if __name__ == "__main__":
    sys.exit(main())
