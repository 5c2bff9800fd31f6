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
BENCH_PREFIX=berthimg
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
BIG_MB=${BENCH_BIG_MB:-300}
LAYERS=${BENCH_LAYERS:-10}
LAYER_MB=${BENCH_LAYER_MB:-10}
ROUNDS=${BENCH_ROUNDS:-2}
DOCKERD_DRIVER=${BENCH_DOCKERD_DRIVER:-overlay2}
BD_DRIVER=${BENCH_BERTHD_DRIVER:-overlay2}
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
IMGTOOL=$ROOT/tests/integration/imgtool.py

# ---- test data, built once ----
note "building a ${BIG_MB} MB single-layer image and a ${LAYERS}-layer image (${LAYER_MB} MB each)"
"$PYTHON" "$IMGTOOL" big "$TMP/big.tar" big:1 "$BIG_MB" >"$TMP/big.json"
"$PYTHON" "$IMGTOOL" multi "$TMP/multi.tar" multi:1 "$LAYERS" $((LAYER_MB * 1024)) >"$TMP/multi.json"
BIG_BYTES=$(tar -xOf "$TMP/big.tar" layer0/layer.tar | wc -c)
MULTI_BYTES=$(stat -c %s "$TMP/multi.tar")

# ---- daemons ----
declare -A DRIVER
start_berthd --storage-driver "$BD_DRIVER"
DRIVER[berthd]=$BD_DRIVER
start_dockerd
[[ -n ${HOST[dockerd]:-} ]] && DRIVER[dockerd]=$DOCKERD_DRIVER

# load_secs NAME FILE: seconds one `docker load` took (the image is removed after).
load_secs() {
	local name=$1 file=$2 t0 t1 ref
	t0=$(now_us)
	"$DOCKER" -H "${HOST[$name]}" load -q -i "$file" >"$TMP/load.out" 2>&1 || {
		cat "$TMP/load.out" >&2
		echo "-"
		return 0
	}
	t1=$(now_us)
	ref=$(sed -n 's/^Loaded image: //p' "$TMP/load.out" | head -n1)
	"$DOCKER" -H "${HOST[$name]}" rmi -f "$ref" >/dev/null 2>&1 || true
	secs $((t1 - t0))
}

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
mbs() { [[ -z $1 || $1 == - ]] && echo - || awk -v b="$BIG_BYTES" -v s="$1" 'BEGIN { printf "%.1f", b / 1048576 / s }'; }
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
