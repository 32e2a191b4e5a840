#!/bin/bash
# test/fetch-sid.sh BUILD PACKAGE: unpacks PACKAGE from Debian sid into
# BUILD/PACKAGE-sid without installing it (a private apt configuration with a
# sid source is used for `apt-get download`, then `dpkg -x`). For what the
# suite needs newer than the running release: Pebble 2.10 (ARI, profiles,
# alternate roots, dns-persist-01) and the C2SP Wycheproof vectors.
set -eu
build=$(mkdir -p "$1" && cd "$1" && pwd)
pkg=$2
dest=$build/$pkg-sid
[ -f "$dest/.ready" ] && exit 0
work=$build/$pkg-sid-apt
rm -rf "$work"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
cat >"$work/sid.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
opts=(-o "Dir::Etc::SourceList=$work/sid.sources" -o Dir::Etc::SourceParts=-
	-o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Get::List-Cleanup=0)
apt-get "${opts[@]}" update -qq
(cd "$work" && apt-get "${opts[@]}" download "$pkg/sid" >/dev/null 2>&1)
rm -rf "$dest"
dpkg -x "$work"/"${pkg}"_*.deb "$dest"
rm -rf "$work"
touch "$dest/.ready"
