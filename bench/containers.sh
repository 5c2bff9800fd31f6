#!/usr/bin/env bash
# Berth container benchmark: berthd next to Debian's dockerd in the same run,
# every container with --network none, driven by the same docker CLI.
#
# It measures, for each daemon:
#   - `docker run --rm IMAGE true`: median and best latency of BENCH_RUNS runs,
#   - create+start of BENCH_CONTAINERS detached containers (`docker run -d`),
#   - resident memory with those containers running: the daemon plus every
#     process serving them (berthd + berth-shims; dockerd + containerd +
#     containerd-shims),
#   - `GET /containers/json?all=1` with BENCH_PS containers: median of 10,
#     timed in one Python process (a new connection per request).
# It prints numbers and the issue's targets; it never fails on timing.
#
# dockerd runs in a network and mount namespace of its own (loopback only,
# --bridge=none, no iptables), with its own data root and containerd; both
# daemons use overlay2. Everything is stopped by pid and removed at exit.
#
# Environment: BERTHD, DOCKERD, DOCKER, BENCH_RUNS (20), BENCH_CONTAINERS (100),
# BENCH_PS (1000), BENCH_SKIP_DOCKERD=1, BERTHD_BEFORE (another berthd build,
# measured in the same run and shown in a table of its own).
set -euo pipefail

RUNS=${BENCH_RUNS:-20}
NCONT=${BENCH_CONTAINERS:-100}
NPS=${BENCH_PS:-1000}
BENCH_PREFIX=berthct
source "$(dirname "$0")/lib.sh"

# Resident memory (KiB) of the daemon's process tree and of everything else
# that mentions its directory (detached shims, containerd's shims).
rss_kib() { # NAME
	local dir=$TMP/$1 pid total=0 rss
	for pid in $(ps -e -o pid=,args= | awk -v t="$dir" 'index($0, t) && !/awk/ { print $1 }'); do
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
		total=$((total + ${rss:-0}))
	done
	echo "$total"
}

declare -A RUN_MED RUN_BEST RUN_CPU CREATE RSS RSS_IDLE PS_MS
bench_daemon() {
	local name=$1 h=${HOST[$1]} i t0 t1 k0 times=()
	"$DOCKER" -H "$h" import "$TMP/rootfs.tar" bb:bench >/dev/null
	RSS_IDLE[$name]=$(rss_kib "$name")
	"$DOCKER" -H "$h" run --rm --network none bb:bench true # warm-up
	k0=$(daemon_cpu_ns "$name")
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now_us)
		"$DOCKER" -H "$h" run --rm --network none bb:bench true
		t1=$(now_us)
		times+=($((t1 - t0)))
	done
	RUN_CPU[$name]=$(awk -v a="$k0" -v b="$(daemon_cpu_ns "$name")" -v n="$RUNS" \
		'BEGIN { printf "%.1f", (b - a) / 1e6 / n }')
	RUN_MED[$name]=$(ms "$(median "${times[@]}")")
	RUN_BEST[$name]=$(ms "$(best "${times[@]}")")
	note "$name: run --rm median ${RUN_MED[$name]} ms, daemon CPU ${RUN_CPU[$name]} ms per run"
	t0=$(now_us)
	for ((i = 0; i < NCONT; i++)); do
		"$DOCKER" -H "$h" run -d --network none bb:bench sleep 3600 >/dev/null
	done
	t1=$(now_us)
	CREATE[$name]=$(awk -v u=$((t1 - t0)) 'BEGIN { printf "%.2f", u / 1e6 }')
	note "$name: $NCONT detached containers in ${CREATE[$name]} s"
	sleep 2
	RSS[$name]=$(rss_kib "$name")
	remove_all "$h"
	note "$name: creating $NPS containers for ps -a"
	for ((i = 0; i < NPS; i++)); do
		"$DOCKER" -H "$h" create --network none bb:bench true >/dev/null
	done
	# Timed inside one Python process: a curl per request would time
	# curl's own start (tens of ms here), not the daemon.
	local sock=${h#unix://} pt
	pt=$(python3 - "$sock" <<-'EOF'
		import socket, sys, time
		def get(path):
		    s = socket.socket(socket.AF_UNIX)
		    s.connect(sys.argv[1])
		    s.sendall(b"GET " + path + b" HTTP/1.0\r\nHost: localhost\r\n\r\n")
		    while s.recv(1 << 16):
		        pass
		    s.close()
		times = []
		for _ in range(10):
		    t = time.perf_counter()
		    get(b"/v1.41/containers/json?all=1")
		    times.append(time.perf_counter() - t)
		print(int(sorted(times)[5] * 1e6))
	EOF
	)
	PS_MS[$name]=$(ms "$pt")
	note "$name: ps -a of $NPS containers ${PS_MS[$name]} ms"
	remove_all "$h"
}

make_rootfs
start_berthd
start_dockerd
for name in "${NAMES[@]}"; do bench_daemon "$name"; done

v() { local -n arr=$1; echo "${arr[$2]:--}"; }
mib() { [[ $1 == - ]] && echo - || awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
row() { printf '%-52s | %12s | %12s | %8s\n' "$@"; }

echo
echo "Berth container benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "berthd:  $BERTHD; dockerd: ${DOCKER_NOTE}; client: $("$DOCKER" --version)"
row "metric" "berthd" "dockerd" "ratio"
row "run --rm true, median (ms)" "$(v RUN_MED berthd)" "$(v RUN_MED dockerd)" "$(ratio "$(v RUN_MED berthd)" "$(v RUN_MED dockerd)")"
row "run --rm true, best (ms)" "$(v RUN_BEST berthd)" "$(v RUN_BEST dockerd)" "$(ratio "$(v RUN_BEST berthd)" "$(v RUN_BEST dockerd)")"
row "run --rm true, daemon CPU per run (ms)" "$(v RUN_CPU berthd)" "$(v RUN_CPU dockerd)" "$(ratio "$(v RUN_CPU berthd)" "$(v RUN_CPU dockerd)")"
row "run -d of $NCONT containers (s)" "$(v CREATE berthd)" "$(v CREATE dockerd)" "$(ratio "$(v CREATE berthd)" "$(v CREATE dockerd)")"
row "RSS idle, daemon and helpers (MiB)" "$(mib "$(v RSS_IDLE berthd)")" "$(mib "$(v RSS_IDLE dockerd)")" "$(ratio "$(v RSS_IDLE berthd)" "$(v RSS_IDLE dockerd)")"
row "RSS with $NCONT running, daemon and shims (MiB)" "$(mib "$(v RSS berthd)")" "$(mib "$(v RSS dockerd)")" "$(ratio "$(v RSS berthd)" "$(v RSS dockerd)")"
row "GET /containers/json?all=1, $NPS containers (ms)" "$(v PS_MS berthd)" "$(v PS_MS dockerd)" "$(ratio "$(v PS_MS berthd)" "$(v PS_MS dockerd)")"
if [[ -n ${HOST[before]:-} ]]; then
	echo "before: $BERTHD_BEFORE, in the same run"
	row "metric" "before" "dockerd" "ratio"
	row "run --rm true, median (ms)" "$(v RUN_MED before)" "$(v RUN_MED dockerd)" "$(ratio "$(v RUN_MED before)" "$(v RUN_MED dockerd)")"
	row "run --rm true, best (ms)" "$(v RUN_BEST before)" "$(v RUN_BEST dockerd)" "$(ratio "$(v RUN_BEST before)" "$(v RUN_BEST dockerd)")"
	row "run --rm true, daemon CPU per run (ms)" "$(v RUN_CPU before)" "$(v RUN_CPU dockerd)" "$(ratio "$(v RUN_CPU before)" "$(v RUN_CPU dockerd)")"
	row "run -d of $NCONT containers (s)" "$(v CREATE before)" "$(v CREATE dockerd)" "$(ratio "$(v CREATE before)" "$(v CREATE dockerd)")"
	row "RSS with $NCONT running, daemon and shims (MiB)" "$(mib "$(v RSS before)")" "$(mib "$(v RSS dockerd)")" "$(ratio "$(v RSS before)" "$(v RSS dockerd)")"
fi
echo "ratio = berthd / dockerd (lower is better)"
echo "targets: run --rm at least 4x faster than dockerd; ps -a of 1000 under 30 ms;"
echo "         berthd and its shims at $NCONT containers under a tenth of dockerd's total"
