#!/bin/bash
# Puts Pebble 2.10 from Debian sid (ARI, profiles, alternate roots) in
# BUILD/pebble-sid/usr/bin without installing it: a private apt configuration
# with a sid source is used for `apt-get download`, then `dpkg -x`.
set -eu
build=$(mkdir -p "$1" && cd "$1" && pwd)
dest=$build/pebble-sid
[ -x "$dest/usr/bin/pebble" ] && exit 0
work=$build/pebble-sid-apt
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
(cd "$work" && apt-get "${opts[@]}" download pebble/sid >/dev/null 2>&1)
rm -rf "$dest"
dpkg -x "$work"/pebble_*.deb "$dest"
rm -rf "$work"
"$dest/usr/bin/pebble" -version >/dev/null 2>&1 || true
test -x "$dest/usr/bin/pebble"
