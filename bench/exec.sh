#!/usr/bin/env bash
# Berth exec benchmark: the latency of `docker exec c true` (create, start,
# attach, exit) against a running busybox container, median and best of
# BENCH_RUNS runs, for berthd and, side by side, Debian's dockerd. Set
# BERTHD_BEFORE to a second berthd binary (e.g. one built from an older
# commit, with its berth-shim beside it) to compare two builds in one run.
# It prints numbers; it never fails on timing.
#
# Environment: BERTHD, BERTHD_BEFORE, DOCKERD, DOCKER, BENCH_RUNS (30),
# BENCH_SKIP_DOCKERD=1.
set -euo pipefail

RUNS=${BENCH_RUNS:-30}
BENCH_PREFIX=berthex
source "$(dirname "$0")/lib.sh"

declare -A MED BEST CPU
bench_daemon() {
	local name=$1 h=${HOST[$1]} i t0 t1 k0 times=()
	"$DOCKER" -H "$h" import "$TMP/rootfs.tar" bb:bench >/dev/null
	"$DOCKER" -H "$h" run -d --name ex --network none bb:bench sleep 3600 >/dev/null
	"$DOCKER" -H "$h" exec ex true # warm-up
	k0=$(daemon_cpu_ns "$name")
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now_us)
		"$DOCKER" -H "$h" exec ex true
		t1=$(now_us)
		times+=($((t1 - t0)))
	done
	CPU[$name]=$(awk -v a="$k0" -v b="$(daemon_cpu_ns "$name")" -v n="$RUNS" \
		'BEGIN { printf "%.1f", (b - a) / 1e6 / n }')
	MED[$name]=$(ms "$(median "${times[@]}")")
	BEST[$name]=$(ms "$(best "${times[@]}")")
	note "$name: exec true median ${MED[$name]} ms, best ${BEST[$name]} ms, daemon CPU ${CPU[$name]} ms"
	remove_all "$h"
}

make_rootfs
start_berthd # and BERTHD_BEFORE's, as "before"
start_dockerd
# Alternating rounds would be fairer under load; one pass each keeps it short.
for name in "${NAMES[@]}"; do bench_daemon "$name"; done

v() { local -n arr=$1; echo "${arr[$2]:--}"; }
row() { printf '%-36s | %10s | %10s | %10s\n' "$@"; }
echo
echo "Berth exec benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "berthd: $BERTHD; before: ${BERTHD_BEFORE:-none}; dockerd: ${DOCKER_NOTE}; client: $("$DOCKER" --version)"
row "docker exec c true ($RUNS runs)" "berthd" "before" "dockerd"
row "median (ms)" "$(v MED berthd)" "$(v MED before)" "$(v MED dockerd)"
row "best (ms)" "$(v BEST berthd)" "$(v BEST before)" "$(v BEST dockerd)"
row "the daemon's CPU per exec (ms)" "$(v CPU berthd)" "$(v CPU before)" "$(v CPU dockerd)"
