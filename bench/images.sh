#!/usr/bin/env bash
# Image benchmark (issue 3): `docker load` of a large single-layer image
# (unpack throughput, MB/s of uncompressed layer data) and of a multi-layer
# image, for berthd and, side by side in the same run, Debian's dockerd when
# it is installed (own network and mount namespaces, its default overlay2
# driver unless BENCH_DOCKERD_DRIVER says otherwise). Prints, never asserts.
#
#   bench/images.sh
#
# Environment: BERTHD (default build/berthd), DOCKER (default
# /usr/local/bin/docker), DOCKERD (default /usr/sbin/dockerd),
# BENCH_BIG_MB (default 300), BENCH_LAYERS (default 10), BENCH_LAYER_MB
# (default 10), BENCH_ROUNDS (default 2, best counts), BENCH_SKIP_DOCKERD=1,
# BENCH_DOCKERD_DRIVER (default overlay2), BENCH_BERTHD_DRIVER (default
# overlay2).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BERTHD=${BERTHD:-$ROOT/build/berthd}
DOCKER=${DOCKER:-$(command -v docker || echo /usr/bin/docker)}
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
BIG_MB=${BENCH_BIG_MB:-300}
LAYERS=${BENCH_LAYERS:-10}
LAYER_MB=${BENCH_LAYER_MB:-10}
ROUNDS=${BENCH_ROUNDS:-2}
DD_DRIVER=${BENCH_DOCKERD_DRIVER:-overlay2}
BD_DRIVER=${BENCH_BERTHD_DRIVER:-overlay2}
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
IMGTOOL=$ROOT/tests/integration/imgtool.py

note() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

[[ -x $BERTHD ]] || die "$BERTHD not found: run 'make all' first"
[[ -x $DOCKER ]] || die "$DOCKER not found"

TMP=$(mktemp -d /tmp/berthimg.XXXXXX) # short: unix socket paths are limited
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

# Stops pid and its children by pid: SIGTERM, 20 s, then SIGKILL.
stop_tree() {
	local pid=$1 kids p i
	kids=$(descendants "$pid")
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do alive "$pid" || break; sleep 0.1; done
	alive "$pid" && { note "pid $pid ignored SIGTERM: killing it"; kill -KILL "$pid" 2>/dev/null || true; }
	wait "$pid" 2>/dev/null || true
	for p in $kids; do
		for ((i = 0; i < 50; i++)); do alive "$p" || break; sleep 0.1; done
		alive "$p" && kill -KILL "$p" 2>/dev/null || true
	done
}

cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do alive "$pid" && stop_tree "$pid"; done
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_ping() { # SOCK PID
	local i
	for ((i = 0; i < 200; i++)); do
		alive "$2" || return 1
		curl -sf --max-time 2 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# ---- test data, built once ----
note "building a ${BIG_MB} MB single-layer image and a ${LAYERS}-layer image (${LAYER_MB} MB each)"
"$PYTHON" "$IMGTOOL" big "$TMP/big.tar" big:1 "$BIG_MB" >"$TMP/big.json"
"$PYTHON" "$IMGTOOL" multi "$TMP/multi.tar" multi:1 "$LAYERS" $((LAYER_MB * 1024)) >"$TMP/multi.json"
BIG_BYTES=$(tar -xOf "$TMP/big.tar" layer0/layer.tar | wc -c)
MULTI_BYTES=$(stat -c %s "$TMP/multi.tar")

# ---- daemons ----
NAMES=()
mkdir -p "$TMP/berthd"
echo '{}' >"$TMP/berthd/daemon.json"
"$BERTHD" --data-root "$TMP/berthd/data" --exec-root "$TMP/berthd/exec" \
	--pidfile "$TMP/berthd/pid" -H "unix://$TMP/berthd/sock" \
	--config-file "$TMP/berthd/daemon.json" --storage-driver "$BD_DRIVER" \
	>"$TMP/berthd/log" 2>&1 </dev/null &
PIDS+=("$!")
wait_ping "$TMP/berthd/sock" "$!" || { tail -n 20 "$TMP/berthd/log" >&2; die "berthd did not start"; }
NAMES+=(berthd)
declare -A HOST=([berthd]="unix://$TMP/berthd/sock")
declare -A DRIVER=([berthd]="$BD_DRIVER")

DOCKER_NOTE=
if [[ ${BENCH_SKIP_DOCKERD:-0} == 1 ]]; then
	DOCKER_NOTE="skipped (BENCH_SKIP_DOCKERD=1)"
elif [[ ! -x $DOCKERD ]]; then
	DOCKER_NOTE="skipped: $DOCKERD not installed (apt-get install docker.io)"
elif [[ $(id -u) != 0 ]] || ! command -v unshare >/dev/null; then
	DOCKER_NOTE="skipped: needs root and unshare(1)"
else
	D=$TMP/dockerd
	mkdir -p "$D"
	echo "{\"deprecated-key-path\": \"$D/key.json\"}" >"$D/daemon.json"
	unshare --net --mount --propagation private sh -c 'ip link set lo up && exec "$@"' _ \
		"$DOCKERD" --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/pid" \
		-H "unix://$D/sock" --config-file "$D/daemon.json" --storage-driver "$DD_DRIVER" \
		--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
		>"$D/log" 2>&1 </dev/null &
	PIDS+=("$!")
	if wait_ping "$D/sock" "$!"; then
		NAMES+=(dockerd)
		HOST[dockerd]="unix://$D/sock"
		DRIVER[dockerd]=$DD_DRIVER
		DOCKER_NOTE="$("$DOCKERD" --version 2>/dev/null | sed 's/^Docker version //')"
	else
		tail -n 20 "$D/log" >&2
		DOCKER_NOTE="failed to start (log above)"
	fi
fi

# load_secs NAME FILE: seconds one `docker load` took (the image is removed after).
load_secs() {
	local name=$1 file=$2 t0 t1 ref
	t0=${EPOCHREALTIME/./}
	"$DOCKER" -H "${HOST[$name]}" load -q -i "$file" >"$TMP/load.out" 2>&1 || {
		cat "$TMP/load.out" >&2
		echo "-"
		return 0
	}
	t1=${EPOCHREALTIME/./}
	ref=$(sed -n 's/^Loaded image: //p' "$TMP/load.out" | head -n1)
	"$DOCKER" -H "${HOST[$name]}" rmi -f "$ref" >/dev/null 2>&1 || true
	awk -v d=$((t1 - t0)) 'BEGIN { printf "%.2f", d / 1e6 }'
}

best() { printf '%s\n' "$@" | grep -v '^-$' | sort -g | head -n1; }

declare -A BIG MULTI
for name in "${NAMES[@]}"; do
	big_times=() multi_times=()
	for ((r = 1; r <= ROUNDS; r++)); do
		t=$(load_secs "$name" "$TMP/big.tar")
		note "$name: load of the ${BIG_MB} MB image, round $r: ${t}s"
		big_times+=("$t")
		t=$(load_secs "$name" "$TMP/multi.tar")
		note "$name: load of the ${LAYERS}-layer image, round $r: ${t}s"
		multi_times+=("$t")
	done
	BIG[$name]=$(best "${big_times[@]}")
	MULTI[$name]=$(best "${multi_times[@]}")
done
for pid in "${PIDS[@]}"; do alive "$pid" && stop_tree "$pid"; done
PIDS=()

mbs() { [[ -z $1 || $1 == - ]] && echo - || awk -v b="$BIG_BYTES" -v s="$1" 'BEGIN { printf "%.1f", b / 1048576 / s }'; }
ratio() { [[ -z $1 || -z $2 || $1 == - || $2 == - ]] && echo - || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
row() { printf '%-46s | %14s | %14s | %8s\n' "$@"; }
v() { local -n arr=$1; echo "${arr[$2]:--}"; }

echo
echo "Berth image benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "berthd:  $BERTHD ($("$BERTHD" --version 2>/dev/null || echo '?')), storage driver $BD_DRIVER"
echo "dockerd: $DOCKER_NOTE${DRIVER[dockerd]:+, storage driver ${DRIVER[dockerd]}}"
echo "data:    $(awk -v b="$BIG_BYTES" 'BEGIN { printf "%.0f", b / 1048576 }') MB layer tar ($(json() { "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }; json "$TMP/big.json" files) files of 1 kB..8 MB, random-ish);" \
	"$LAYERS layers of ~$LAYER_MB MB ($(awk -v b="$MULTI_BYTES" 'BEGIN { printf "%.0f", b / 1048576 }') MB archive); best of $ROUNDS, docker load -i over the unix socket"
echo
row "metric" "berthd" "dockerd" "ratio"
row "----------------------------------------------" "--------------" "--------------" "--------"
row "load ${BIG_MB} MB single layer (s)" "$(v BIG berthd)" "$(v BIG dockerd)" "$(ratio "$(v BIG berthd)" "$(v BIG dockerd)")"
row "  unpack throughput (MB/s, higher is better)" "$(mbs "$(v BIG berthd)")" "$(mbs "$(v BIG dockerd)")" "$(ratio "$(mbs "$(v BIG berthd)")" "$(mbs "$(v BIG dockerd)")")"
row "load ${LAYERS}-layer image (s)" "$(v MULTI berthd)" "$(v MULTI dockerd)" "$(ratio "$(v MULTI berthd)" "$(v MULTI dockerd)")"
echo "ratio = berthd / dockerd (times: lower is better)"
