#!/bin/sh
# Installs the Debian packages Berth builds, tests and benchmarks with.
# Idempotent and non-interactive: packages already present are skipped.
set -eu

packages="build-essential pkg-config libuv1-dev libhttp-parser-dev libjansson-dev
libssl-dev libcmocka-dev libarchive-dev libcurl4-openssl-dev libraft-dev
libnl-route-3-dev libnl-xfrm-3-dev libnftables-dev musl-tools nftables busybox-static runc openssl curl wrk python3 procps iproute2 util-linux
docker-registry apache2-utils zlib1g-dev python3-docker strace"

# The integration tests drive berthd with the real docker CLI, and compare
# with a real dockerd (interop tests, side-by-side benchmarks): Debian's
# docker.io carries both. A newer docker CLI already on PATH is kept first.
command -v dockerd >/dev/null 2>&1 || packages="$packages docker.io"

# The fuzz targets (make fuzz): clang with libFuzzer and the sanitizer
# runtimes (only recommended by clang-14, so named here).
packages="$packages clang-14 libclang-rt-14-dev libfuzzer-14-dev"

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
