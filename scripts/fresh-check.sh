#!/bin/sh
# Proves the README's run command on a fresh Debian 12 machine: builds a
# minimal bookworm root from the package mirror (debootstrap, with only make
# and git added), copies a clean clone of this repository's HEAD in, and runs
# `make run` inside it until berthd answers /_ping; then stops it and removes
# everything it made. Needs root and the Debian mirror; takes several minutes,
# so it is not part of `make test`: run it whenever the build or the list of
# dependencies changes.
#
#   scripts/fresh-check.sh            KEEP=1 keeps the root for a look inside
#
# Package installs and the build run in the host's network namespace (they
# need the mirror); berthd itself runs in a network namespace of its own, so
# its bridge and nftables table never touch the host's.
set -eu

MIRROR=${MIRROR:-http://deb.debian.org/debian}
REPO=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "fresh-check needs root" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }

ROOT=$(mktemp -d /var/tmp/berth-fresh.XXXXXX)
RUN_PID=""
MOUNTS=""

cleanup() {
	rc=$?
	set +e # every step runs, whatever the one before it did
	if [ -n "$RUN_PID" ]; then
		# berthd first (by its pidfile inside the root), then make.
		p=$(cat "$ROOT/run/berth/berth.pid" 2>/dev/null || true)
		[ -n "$p" ] && kill -TERM "$p" 2>/dev/null
		i=0
		while [ -n "$p" ] && kill -0 "$p" 2>/dev/null && [ $i -lt 200 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		[ -n "$p" ] && kill -KILL "$p" 2>/dev/null
		kill -TERM "$RUN_PID" 2>/dev/null
		wait "$RUN_PID" 2>/dev/null || true
	fi
	for m in $MOUNTS; do
		umount -R "$m" 2>/dev/null || umount -R -l "$m"
	done
	if grep -q " $ROOT/" /proc/mounts; then
		echo "fresh-check: mounts left under $ROOT, not removing it" >&2
		exit 1
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $ROOT"
	else
		rm -rf --one-file-system "$ROOT"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bind() { # bind SRC DST: an rbind mount inside the root, undone at exit
	mkdir -p "$ROOT$2"
	mount --rbind "$1" "$ROOT$2"
	mount --make-rslave "$ROOT$2"
	MOUNTS="$ROOT$2 $MOUNTS"
}

echo "== debootstrap bookworm (minbase + make, git) into $ROOT"
debootstrap --variant=minbase --include=make,git,ca-certificates bookworm "$ROOT" "$MIRROR" \
	>"$ROOT.debootstrap.log" 2>&1 || { tail -20 "$ROOT.debootstrap.log" >&2; rm -f "$ROOT.debootstrap.log"; exit 1; }
rm -f "$ROOT.debootstrap.log"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"

echo "== clean clone of $(git -C "$REPO" rev-parse --short HEAD)"
git clone --quiet --no-hardlinks "$REPO" "$ROOT/root/berth"

mount -t proc proc "$ROOT/proc"
MOUNTS="$ROOT/proc $MOUNTS"
bind /sys /sys
bind /dev /dev
mkdir -p "$ROOT/run"
mount -t tmpfs tmpfs "$ROOT/run"
MOUNTS="$ROOT/run $MOUNTS"

in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }

echo "== the README's packages and build: make deps, with the mirror"
in_root sh -c 'cd /root/berth && make deps' >"$ROOT/root/deps.log" 2>&1 ||
	{ tail -30 "$ROOT/root/deps.log" >&2; exit 1; }

echo "== make run (berthd in a network namespace of its own)"
unshare --net chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	sh -c 'ip link set lo up 2>/dev/null; cd /root/berth && exec make run' >"$ROOT/root/run.log" 2>&1 &
RUN_PID=$!

SOCK="$ROOT/run/berth/berth.sock"
i=0
while :; do
	if ! kill -0 "$RUN_PID" 2>/dev/null; then
		echo "make run ended before berthd answered; its output:" >&2
		tail -40 "$ROOT/root/run.log" >&2
		exit 1
	fi
	if [ -S "$SOCK" ] && [ "$(curl -s --max-time 2 --unix-socket "$SOCK" http://localhost/_ping)" = OK ]; then
		break
	fi
	i=$((i + 1))
	[ $i -lt 6000 ] || { echo "no /_ping answer after 10 minutes" >&2; tail -40 "$ROOT/root/run.log" >&2; exit 1; }
	sleep 0.1
done
echo "== berthd answered /_ping: $(curl -s --unix-socket "$SOCK" http://localhost/version | head -c 160)"
echo "fresh-check: PASS"
