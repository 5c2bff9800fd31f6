#!/usr/bin/env bash
# Network benchmark (issue 5), berthd next to Debian's dockerd when it is
# installed:
#   - the time to create and start N containers (default 50) attached to one
#     user-defined bridge network, one `docker run -d` after the other, and
#     the time until the last one reaches the first by name (they are
#     connected to each other);
#   - TCP throughput between two containers on that bridge (busybox nc,
#     BENCH_MB megabytes of zeros, best of BENCH_ROUNDS).
# Each daemon runs in a network and mount namespace of its own (`unshare
# --net --mount --propagation private`), so bridges, veths and firewall rules
# stay there; nothing touches the host's network. Prints, never asserts.
#
#   bench/network.sh
#
# Environment: BERTHD (default build/berthd), DOCKER (/usr/local/bin/docker),
# DOCKERD (/usr/sbin/dockerd), BENCH_CONTAINERS (50), BENCH_MB (1000),
# BENCH_ROUNDS (3), BENCH_SKIP_DOCKERD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BERTHD=${BERTHD:-$ROOT/build/berthd}
DOCKER=${DOCKER:-$(command -v docker || echo /usr/bin/docker)}
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
N=${BENCH_CONTAINERS:-50}
MB=${BENCH_MB:-1000}
ROUNDS=${BENCH_ROUNDS:-3}

note() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

[[ -x $BERTHD ]] || die "$BERTHD not found: run 'make all' first"
[[ -x $DOCKER ]] || die "$DOCKER not found"
[[ $(id -u) == 0 ]] || die "needs root (network namespaces, bridges)"
[[ -x /bin/busybox ]] || die "/bin/busybox not found (apt-get install busybox-static)"

TMP=$(mktemp -d /tmp/berthnet.XXXXXX)
PIDS=()
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
export DOCKER_CONFIG=$TMP/docker-config
mkdir -p "$DOCKER_CONFIG"

descendants() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END {
			want[root] = 1; changed = 1
			while (changed) {
				changed = 0
				for (p in parent)
					if (!(p in want) && (parent[p] in want)) { want[p] = 1; changed = 1 }
			}
			for (p in want) if (p != root) print p
		}'
}

alive() {
	local stat
	IFS= read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# Stops pid and its children (containerd, shims, containers) by pid.
stop_tree() {
	local pid=$1 kids p i
	kids=$(descendants "$pid")
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do alive "$pid" || break; sleep 0.1; done
	alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for p in $kids; do alive "$p" && kill -KILL "$p" 2>/dev/null || true; done
}

cleanup() {
	local rc=$? pid m
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do alive "$pid" && stop_tree "$pid"; done
	for m in $(awk -v r="$TMP" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$TMP" 2>/dev/null || true
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_ping() { # SOCK PID
	local i
	for ((i = 0; i < 300; i++)); do
		alive "$2" || return 1
		curl -sf --max-time 2 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# A busybox root filesystem as an image tarball.
root=$TMP/rootfs
mkdir -p "$root"/{bin,etc,dev,proc,sys,root,tmp}
cp /bin/busybox "$root/bin/"
for a in $(/bin/busybox --list); do [[ -e $root/bin/$a ]] || ln -s busybox "$root/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$TMP/bb.tar" .

# in_netns CMD...: runs CMD in new network and mount namespaces (lo up).
in_netns() {
	unshare --net --mount --propagation private sh -c 'ip link set lo up && exec "$@"' _ "$@"
}

NAMES=()
declare -A HOST
mkdir -p "$TMP/berthd"
echo '{}' >"$TMP/berthd/daemon.json"
in_netns "$BERTHD" --data-root "$TMP/berthd/data" --exec-root "$TMP/berthd/exec" \
	--pidfile "$TMP/berthd/pid" -H "unix://$TMP/berthd/sock" \
	--config-file "$TMP/berthd/daemon.json" >"$TMP/berthd/log" 2>&1 </dev/null &
PIDS+=("$!")
wait_ping "$TMP/berthd/sock" "$!" || { tail -n 20 "$TMP/berthd/log" >&2; die "berthd did not start"; }
NAMES+=(berthd)
HOST[berthd]="unix://$TMP/berthd/sock"

DOCKER_NOTE=
if [[ ${BENCH_SKIP_DOCKERD:-0} == 1 ]]; then
	DOCKER_NOTE="skipped (BENCH_SKIP_DOCKERD=1)"
elif [[ ! -x $DOCKERD ]]; then
	DOCKER_NOTE="skipped: $DOCKERD not installed"
else
	D=$TMP/dockerd
	mkdir -p "$D"
	echo "{}" >"$D/daemon.json"
	in_netns "$DOCKERD" --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/pid" \
		-H "unix://$D/sock" --config-file "$D/daemon.json" >"$D/log" 2>&1 </dev/null &
	PIDS+=("$!")
	if wait_ping "$D/sock" "$!"; then
		NAMES+=(dockerd)
		HOST[dockerd]="unix://$D/sock"
		DOCKER_NOTE="$("$DOCKERD" --version 2>/dev/null | sed 's/^Docker version //')"
	else
		tail -n 20 "$D/log" >&2
		DOCKER_NOTE="failed to start (log above)"
	fi
fi

now_us() { echo "${EPOCHREALTIME/./}"; }
secs() { awk -v d="$1" 'BEGIN { printf "%.2f", d / 1e6 }'; }
best_max() { printf '%s\n' "$@" | grep -v '^-$' | sort -g | tail -n1; }

declare -A START REACH TPUT
for name in "${NAMES[@]}"; do
	dk() { "$DOCKER" -H "${HOST[$name]}" "$@"; }
	dk import "$TMP/bb.tar" bb:latest >/dev/null
	dk network create --subnet 10.213.200.0/24 benchnet >/dev/null
	note "$name: starting $N containers on benchnet"
	t0=$(now_us)
	for ((i = 1; i <= N; i++)); do
		dk run -d --network benchnet --name "c$i" bb sleep 100000 >/dev/null
	done
	t1=$(now_us)
	START[$name]=$(secs $((t1 - t0)))
	# The last one reaches the first by name.
	for ((i = 0; i < 100; i++)); do
		dk exec "c$N" ping -c 1 -W 1 c1 >/dev/null 2>&1 && break
		sleep 0.1
	done
	t2=$(now_us)
	REACH[$name]=$(secs $((t2 - t0)))
	note "$name: $N containers started in ${START[$name]}s"
	dk rm -f $(dk ps -aq) >/dev/null
	# Throughput between two containers on the bridge.
	dk run -d --network benchnet --name srv bb sh -c 'while true; do nc -l -p 5001 >/dev/null; done' >/dev/null
	dk run -d --network benchnet --name cli bb sleep 100000 >/dev/null
	ip=$(dk inspect -f '{{(index .NetworkSettings.Networks "benchnet").IPAddress}}' srv)
	sleep 0.5
	rates=()
	for ((r = 1; r <= ROUNDS; r++)); do
		t0=$(now_us)
		dk exec cli sh -c "dd if=/dev/zero bs=64k count=$((MB * 16)) 2>/dev/null | nc $ip 5001" || true
		t1=$(now_us)
		rate=$(awk -v mb="$MB" -v d=$((t1 - t0)) 'BEGIN { printf "%.0f", mb * 8 / (d / 1e6) }')
		note "$name: TCP round $r: $rate Mbit/s"
		rates+=("$rate")
		sleep 0.3
	done
	TPUT[$name]=$(best_max "${rates[@]}")
	dk rm -f srv cli >/dev/null
	dk network rm benchnet >/dev/null 2>&1 || true
done
for pid in "${PIDS[@]}"; do alive "$pid" && stop_tree "$pid"; done
PIDS=()

ratio() { [[ -z $1 || -z $2 || $1 == - || $2 == - ]] && echo - || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
row() { printf '%-52s | %10s | %10s | %8s\n' "$@"; }
v() { local -n arr=$1; echo "${arr[$2]:--}"; }

echo
echo "Berth network benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "berthd:  $BERTHD"
echo "dockerd: $DOCKER_NOTE"
echo "each daemon in its own network namespace; $N x docker run -d on one user bridge; TCP: busybox nc, $MB MB, best of $ROUNDS"
echo
row "metric" "berthd" "dockerd" "ratio"
row "----------------------------------------------------" "----------" "----------" "--------"
row "create+start $N containers on a user network (s)" "$(v START berthd)" "$(v START dockerd)" "$(ratio "$(v START berthd)" "$(v START dockerd)")"
row "  ... until the last pings the first by name (s)" "$(v REACH berthd)" "$(v REACH dockerd)" "$(ratio "$(v REACH berthd)" "$(v REACH dockerd)")"
row "TCP container to container, one bridge (Mbit/s)" "$(v TPUT berthd)" "$(v TPUT dockerd)" "$(ratio "$(v TPUT berthd)" "$(v TPUT dockerd)")"
echo "ratio = berthd / dockerd (times: lower is better; Mbit/s: higher is better)"
