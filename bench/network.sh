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
BENCH_PREFIX=berthnet
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
N=${BENCH_CONTAINERS:-50}
MB=${BENCH_MB:-1000}
ROUNDS=${BENCH_ROUNDS:-3}

[[ -x /bin/busybox ]] || die "/bin/busybox not found (apt-get install busybox-static)"

make_rootfs
start_berthd --netns
# dockerd with its own networking (a bridge, iptables): that is what is measured.
DOCKERD_NETWORK=()
start_dockerd

best_max() { printf '%s\n' "$@" | awk '$1 != "-"' | sort -g | tail -n1; }

declare -A START REACH TPUT
for name in "${NAMES[@]}"; do
	dk() { "$DOCKER" -H "${HOST[$name]}" "$@"; }
	dk import "$TMP/rootfs.tar" bb:latest >/dev/null
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
