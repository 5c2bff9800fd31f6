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

# A second berthd under its own name (start_berthd names its one "berthd").
start_berthd_named() { # NAME BINARY
	local B=$TMP/$1
	mkdir -p "$B"
	echo '{}' >"$B/daemon.json"
	BERTH_SHIM="$(dirname "$2")/berth-shim" "$2" --data-root "$B/data" --exec-root "$B/exec" \
		--pidfile "$B/pid" -H "unix://$B/sock" --config-file "$B/daemon.json" >"$B/log" 2>&1 </dev/null &
	PIDS+=("$!")
	wait_ping "$B/sock" "$!" || die "$2 did not start"
	started "$1"
}

declare -A MED BEST
bench_daemon() {
	local name=$1 h=${HOST[$1]} i t0 t1 times=()
	"$DOCKER" -H "$h" import "$TMP/rootfs.tar" bb:bench >/dev/null
	"$DOCKER" -H "$h" run -d --name ex --network none bb:bench sleep 3600 >/dev/null
	"$DOCKER" -H "$h" exec ex true # warm-up
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now_us)
		"$DOCKER" -H "$h" exec ex true
		t1=$(now_us)
		times+=($((t1 - t0)))
	done
	MED[$name]=$(ms "$(median "${times[@]}")")
	BEST[$name]=$(ms "$(best "${times[@]}")")
	note "$name: exec true median ${MED[$name]} ms, best ${BEST[$name]} ms"
	remove_all "$h"
}

make_rootfs
start_berthd_named berthd "$BERTHD"
[[ -n ${BERTHD_BEFORE:-} ]] && start_berthd_named before "$BERTHD_BEFORE"
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
