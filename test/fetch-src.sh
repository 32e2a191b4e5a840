#!/bin/bash
# test/fetch-src.sh BUILD PACKAGE: puts PACKAGE's Debian source tree in
# BUILD/PACKAGE-src. The static builds need BearSSL compiled against musl
# (Debian's libbearssl.a is built against glibc) and, for routers, musl itself
# built for the cross targets. Uses apt's deb-src index, adding one for the
# running release when the machine has none.
set -eu
build=$1
pkg=$2
mkdir -p "$build"
build=$(cd "$build" && pwd)
dest=$build/$pkg-src
[ -f "$dest/.ready" ] && exit 0
work=$build/$pkg-fetch
rm -rf "$work" "$dest"
mkdir -p "$work"
if ! (cd "$work" && apt-get source --download-only "$pkg" >/dev/null 2>&1); then
	if [ "$(id -u)" != 0 ]; then
		echo "fetch-src: 'apt-get source $pkg' failed; enable deb-src in apt's sources (as root)" >&2
		exit 1
	fi
	src=/etc/apt/sources.list.d/picoacme-deb-src.sources
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$src"
	else
		grep -h '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' >/etc/apt/sources.list.d/picoacme-deb-src.list
	fi
	apt-get update -qq
	(cd "$work" && apt-get source --download-only "$pkg" >/dev/null)
fi
(cd "$work" && dpkg-source --no-check -x ./*.dsc src >/dev/null)
mv "$work/src" "$dest"
rm -rf "$work"
touch "$dest/.ready"
