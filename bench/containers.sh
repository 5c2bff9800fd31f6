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
#   - `GET /containers/json?all=1` with BENCH_PS containers: median of 10.
# It prints numbers and the issue's targets; it never fails on timing.
#
# dockerd runs in a network and mount namespace of its own (loopback only,
# --bridge=none, no iptables), with its own data root and containerd; both
# daemons use overlay2. Everything is stopped by pid and removed at exit.
#
# Environment: BERTHD, DOCKERD, DOCKER, BENCH_RUNS (20), BENCH_CONTAINERS (100),
# BENCH_PS (1000), BENCH_SKIP_DOCKERD=1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BERTHD=${BERTHD:-$ROOT/build/berthd}
DOCKER=${DOCKER:-$(command -v docker || echo /usr/local/bin/docker)}
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
RUNS=${BENCH_RUNS:-20}
NCONT=${BENCH_CONTAINERS:-100}
NPS=${BENCH_PS:-1000}

note() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

[[ -x $BERTHD ]] || die "$BERTHD not found: run 'make all' first"
[[ -x $DOCKER ]] || die "docker CLI not found"
[[ $(id -u) == 0 ]] || die "containers need root"

TMP=$(mktemp -d /tmp/berthct.XXXXXX)
PIDS=()
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
export DOCKER_CONFIG=$TMP/docker-config
mkdir -p "$DOCKER_CONFIG"

alive() {
	local stat
	IFS= read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# Processes whose command line mentions our temp dir: the daemons, their
# shims (berth-shim is detached from berthd), containerd and its shims.
ours() { ps -e -o pid=,args= | awk -v t="$TMP" 'index($0, t) && !/awk/ { print $1 }'; }

stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 200; i++)); do alive "$pid" || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
}

remove_all() { # HOST
	local ids
	ids=$("$DOCKER" -H "$1" ps -aq 2>/dev/null || true)
	[[ -z $ids ]] || "$DOCKER" -H "$1" rm -f $ids >/dev/null 2>&1 || true
}

cleanup() {
	local rc=$? pid h
	trap - EXIT INT TERM
	for h in "${HOSTS[@]:-}"; do [[ -n $h ]] && remove_all "$h"; done
	for pid in "${PIDS[@]:-}"; do [[ -n $pid ]] && stop_pid "$pid"; done
	for pid in $(ours); do kill -KILL "$pid" 2>/dev/null || true; done
	sleep 0.5
	awk -v t="$TMP" 'index($2, t) { print $2 }' /proc/self/mountinfo 2>/dev/null | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$TMP"
	exit "$rc"
}
HOSTS=()
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

# A busybox root filesystem (Debian's busybox-static), one symlink per applet.
make_rootfs() {
	local root=$TMP/rootfs a
	mkdir -p "$root"/{bin,etc,dev,proc,sys,tmp}
	cp /bin/busybox "$root/bin/busybox"
	for a in $(/bin/busybox --list); do [[ -e $root/bin/$a ]] || ln -s busybox "$root/bin/$a"; done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	tar --numeric-owner -C "$root" -cf "$TMP/rootfs.tar" .
}

declare -A HOST
NAMES=()
start_berthd() {
	local B=$TMP/berthd
	mkdir -p "$B"
	echo '{}' >"$B/daemon.json"
	"$BERTHD" --data-root "$B/data" --exec-root "$B/exec" --pidfile "$B/pid" -H "unix://$B/sock" \
		--config-file "$B/daemon.json" >"$B/log" 2>&1 </dev/null &
	PIDS+=("$!")
	wait_ping "$B/sock" "$!" || { tail -n 20 "$B/log" >&2; die "berthd did not start"; }
	NAMES+=(berthd)
	HOST[berthd]="unix://$B/sock"
	HOSTS+=("unix://$B/sock")
}

DOCKER_NOTE=
start_dockerd() {
	if [[ ${BENCH_SKIP_DOCKERD:-0} == 1 ]]; then
		DOCKER_NOTE="skipped (BENCH_SKIP_DOCKERD=1)"
		return
	fi
	if [[ ! -x $DOCKERD ]]; then
		DOCKER_NOTE="skipped: $DOCKERD not installed (apt-get install docker.io)"
		return
	fi
	local D=$TMP/dockerd
	mkdir -p "$D"
	echo "{\"deprecated-key-path\": \"$D/key.json\"}" >"$D/daemon.json"
	# A private /run/containerd hides a system containerd: dockerd starts its own.
	unshare --net --mount --propagation private sh -c \
		'ip link set lo up; [ -S /run/containerd/containerd.sock ] && mount -t tmpfs bench /run/containerd; exec "$@"' _ \
		"$DOCKERD" --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/pid" \
		-H "unix://$D/sock" --config-file "$D/daemon.json" --storage-driver overlay2 \
		--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
		>"$D/log" 2>&1 </dev/null &
	PIDS+=("$!")
	if wait_ping "$D/sock" "$!"; then
		NAMES+=(dockerd)
		HOST[dockerd]="unix://$D/sock"
		HOSTS+=("unix://$D/sock")
		DOCKER_NOTE=$("$DOCKERD" --version 2>/dev/null | sed 's/^Docker version //')
	else
		tail -n 20 "$D/log" >&2
		DOCKER_NOTE="failed to start (log above)"
	fi
}

now_us() { echo "${EPOCHREALTIME/./}"; }
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best() { printf '%s\n' "$@" | sort -g | head -n1; }

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

declare -A RUN_MED RUN_BEST CREATE RSS RSS_IDLE PS_MS
bench_daemon() {
	local name=$1 h=${HOST[$1]} i t0 t1 times=()
	"$DOCKER" -H "$h" import "$TMP/rootfs.tar" bb:bench >/dev/null
	RSS_IDLE[$name]=$(rss_kib "$name")
	"$DOCKER" -H "$h" run --rm --network none bb:bench true # warm-up
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now_us)
		"$DOCKER" -H "$h" run --rm --network none bb:bench true
		t1=$(now_us)
		times+=($((t1 - t0)))
	done
	RUN_MED[$name]=$(ms "$(median "${times[@]}")")
	RUN_BEST[$name]=$(ms "$(best "${times[@]}")")
	note "$name: run --rm median ${RUN_MED[$name]} ms"
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
	local sock=${h#unix://} pt=()
	for ((i = 0; i < 10; i++)); do
		t0=$(now_us)
		curl -sf --unix-socket "$sock" "http://localhost/v1.41/containers/json?all=1" -o /dev/null
		t1=$(now_us)
		pt+=($((t1 - t0)))
	done
	PS_MS[$name]=$(ms "$(median "${pt[@]}")")
	note "$name: ps -a of $NPS containers ${PS_MS[$name]} ms"
	remove_all "$h"
}

make_rootfs
start_berthd
start_dockerd
for name in "${NAMES[@]}"; do bench_daemon "$name"; done

v() { local -n arr=$1; echo "${arr[$2]:--}"; }
ratio() { [[ $1 == - || $2 == - ]] && echo - || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
mib() { [[ $1 == - ]] && echo - || awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
row() { printf '%-52s | %12s | %12s | %8s\n' "$@"; }

echo
echo "Berth container benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "berthd:  $BERTHD; dockerd: ${DOCKER_NOTE}; client: $("$DOCKER" --version)"
row "metric" "berthd" "dockerd" "ratio"
row "run --rm true, median (ms)" "$(v RUN_MED berthd)" "$(v RUN_MED dockerd)" "$(ratio "$(v RUN_MED berthd)" "$(v RUN_MED dockerd)")"
row "run --rm true, best (ms)" "$(v RUN_BEST berthd)" "$(v RUN_BEST dockerd)" "$(ratio "$(v RUN_BEST berthd)" "$(v RUN_BEST dockerd)")"
row "run -d of $NCONT containers (s)" "$(v CREATE berthd)" "$(v CREATE dockerd)" "$(ratio "$(v CREATE berthd)" "$(v CREATE dockerd)")"
row "RSS idle, daemon and helpers (MiB)" "$(mib "$(v RSS_IDLE berthd)")" "$(mib "$(v RSS_IDLE dockerd)")" "$(ratio "$(v RSS_IDLE berthd)" "$(v RSS_IDLE dockerd)")"
row "RSS with $NCONT running, daemon and shims (MiB)" "$(mib "$(v RSS berthd)")" "$(mib "$(v RSS dockerd)")" "$(ratio "$(v RSS berthd)" "$(v RSS dockerd)")"
row "GET /containers/json?all=1, $NPS containers (ms)" "$(v PS_MS berthd)" "$(v PS_MS dockerd)" "$(ratio "$(v PS_MS berthd)" "$(v PS_MS dockerd)")"
echo "ratio = berthd / dockerd (lower is better)"
echo "targets: run --rm at least 4x faster than dockerd; ps -a of 1000 under 30 ms;"
echo "         berthd and its shims at $NCONT containers under a tenth of dockerd's total"
