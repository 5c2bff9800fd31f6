#!/usr/bin/env bash
# Registry benchmark (issue 12): push of a 5-layer image of about 200 MB to an
# empty registry on loopback, pull of it with a cold cache, and a second pull
# with nothing new to fetch, for berthd and, side by side in the same run,
# Debian's dockerd (in its own network and mount namespaces, with its own
# registry inside them). Both registries are Debian's docker-registry
# (distribution 2.8). The second pull is timed twice: through the docker CLI
# (which alone costs tens of milliseconds) and as the bare API request with
# curl. Prints, never asserts.
#
#   bench/registry.sh
#
# Environment: BERTHD (default build/berthd), DOCKER (default
# docker on PATH), DOCKERD (default /usr/sbin/dockerd), REGISTRY
# (default /usr/bin/docker-registry), BENCH_LAYERS (default 5),
# BENCH_LAYER_MB (default 40), BENCH_ROUNDS (default 2, best counts),
# BENCH_SKIP_DOCKERD=1.
set -euo pipefail
BENCH_PREFIX=berthreg
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
REGISTRY=${REGISTRY:-/usr/bin/docker-registry}
LAYERS=${BENCH_LAYERS:-5}
LAYER_MB=${BENCH_LAYER_MB:-40}
ROUNDS=${BENCH_ROUNDS:-2}
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
IMGTOOL=$ROOT/tests/integration/imgtool.py

[[ -x $REGISTRY ]] || die "$REGISTRY not found: apt-get install docker-registry"

free_port() {
	"$PYTHON" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# registry_config DIR PORT: a config for a registry storing under DIR.
registry_config() {
	mkdir -p "$1/storage"
	printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
		"$1/storage" "$2" >"$1/config.yml"
}

note "building a ${LAYERS}-layer image of ~${LAYER_MB} MB layers"
"$PYTHON" "$IMGTOOL" multi "$TMP/multi.tar" bench:1 "$LAYERS" $((LAYER_MB * 1024)) >/dev/null
TOTAL_MB=$(awk -v b="$(stat -c %s "$TMP/multi.tar")" 'BEGIN { printf "%.0f", b / 1048576 }')

# berthd and its registry on the host's loopback (the registry is started
# afresh each round); dockerd's registry lives in dockerd's namespaces.
declare -A REG REGDIR
start_berthd
REG[berthd]=127.0.0.1:$(free_port)
REGDIR[berthd]=$TMP/reg-berthd
REG[dockerd]=127.0.0.1:5000
REGDIR[dockerd]=$TMP/reg-dockerd
registry_config "$TMP/reg-dockerd" 5000
# shellcheck disable=SC2016
DOCKERD_WRAP=(sh -c '"$1" serve "$2" >"$3" 2>&1 & shift 3; exec "$@"' _
	"$REGISTRY" "$TMP/reg-dockerd/config.yml" "$TMP/reg-dockerd/log")
start_dockerd

dk() { "$DOCKER" -H "${HOST[$1]}" "${@:2}"; }
# The second pull as the bare API request, timed by curl itself (starting
# a process is slow on a loaded machine): what the daemon takes. Appends
# to REPULL_API[NAME] and REPULL_API_CPU[NAME].
api_pull() { # NAME REF
	local c0 c1 t
	c0=$(cpu_ns "$1")
	t=$(curl -sf -o /dev/null -w '%{time_total}' -X POST --unix-socket "${DIR[$1]}/sock" \
		"http://localhost/images/create?fromImage=${2%:*}&tag=${2##*:}") || die "$1: API pull failed"
	c1=$(cpu_ns "$1")
	REPULL_API[$1]+=" $(awk -v t="$t" 'BEGIN { printf "%.3f", t }')"
	REPULL_API_CPU[$1]+=" $(cpu_secs $((c1 - c0)))"
}
# CPU time the daemon NAME has used (the sum over its threads), in ns.
cpu_ns() {
	cat "/proc/$(cat "${DIR[$1]}/pid")"/task/*/schedstat 2>/dev/null | awk '{ n += $1 } END { printf "%.0f\n", n }'
}
cpu_secs() { awk -v n="$1" 'BEGIN { printf "%.3f", n / 1e9 }'; }
# timed VAR NAME CMD...: runs CMD, appends its seconds to VAR[NAME] and the
# daemon's CPU seconds meanwhile to VAR_CPU[NAME] (a loaded machine
# stretches the first, hardly the second).
timed() {
	local -n into=$1 cpu=${1}_CPU
	local t0 t1 c0 c1
	c0=$(cpu_ns "$2")
	t0=$(now_us)
	"${@:3}" >"$TMP/out" 2>&1 || { cat "$TMP/out" >&2; die "$2: $3 ${*:4} failed"; }
	t1=$(now_us)
	c1=$(cpu_ns "$2")
	into[$2]+=" $(awk -v u=$((t1 - t0)) 'BEGIN { printf "%.3f", u / 1e6 }')"
	cpu[$2]+=" $(cpu_secs $((c1 - c0)))"
}

# One round for daemon NAME: a fresh registry, push, rmi, pull, pull again.
declare -A PUSH PULL REPULL REPULL_API PUSH_CPU PULL_CPU REPULL_CPU REPULL_API_CPU
round() {
	local name=$1 dir=${REGDIR[$1]} ref=${REG[$1]}/bench:1 pid= i
	rm -rf "${dir:?}/storage"
	if [[ $name == berthd ]]; then
		registry_config "$dir" "${REG[berthd]#*:}"
		"$REGISTRY" serve "$dir/config.yml" >"$dir/log" 2>&1 </dev/null &
		pid=$!
		PIDS+=("$pid")
		for ((i = 0; i < 100; i++)); do
			curl -sf -o /dev/null "http://${REG[berthd]}/v2/" && break
			sleep 0.1
		done
	fi
	dk "$name" load -q -i "$TMP/multi.tar" >/dev/null
	dk "$name" tag bench:1 "$ref"
	timed PUSH "$name" dk "$name" push "$ref"
	dk "$name" rmi -f bench:1 "$ref" >/dev/null 2>&1 || true
	timed PULL "$name" dk "$name" pull -q "$ref"
	timed REPULL "$name" dk "$name" pull -q "$ref"
	api_pull "$name" "$ref"
	dk "$name" rmi -f "$ref" >/dev/null 2>&1 || true
	if [[ -n $pid ]]; then
		stop_pid "$pid"
	else
		# dockerd's registry keeps running; empty it for the next round.
		rm -rf "${dir:?}/storage"/*
	fi
}

last() { local -n arr=$1; echo "${arr[$2]}" | awk '{ print $NF }'; }
for name in "${NAMES[@]}"; do
	for ((r = 1; r <= ROUNDS; r++)); do
		round "$name"
		note "$name round $r: push/pull/second pull/second pull API (s): $(last PUSH "$name") $(last PULL "$name") $(last REPULL "$name") $(last REPULL_API "$name"); CPU push/pull/second pull API: $(last PUSH_CPU "$name") $(last PULL_CPU "$name") $(last REPULL_API_CPU "$name")"
	done
done

v() {
	local -n arr=$1
	[[ -n ${arr[$2]:-} ]] && best ${arr[$2]} || echo -
}
row() { printf '%-44s | %10s | %10s | %14s\n' "$@"; }
line() { row "$1" "$(v "$2" berthd)" "$(v "$2" dockerd)" "$(ratio "$(v "$2" dockerd)" "$(v "$2" berthd)")"; }

echo
echo "Berth registry benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "berthd:   $BERTHD ($("$BERTHD" --version 2>/dev/null || echo '?'))"
echo "dockerd:  ${DOCKER_NOTE:-?}"
echo "registry: $("$REGISTRY" --version 2>/dev/null | head -n1), on loopback, empty before each push"
echo "data:     $LAYERS layers of ~$LAYER_MB MB (${TOTAL_MB} MB archive); best of $ROUNDS"
echo
row "metric (seconds, lower is better)" "berthd" "dockerd" "berthd faster by"
row "--------------------------------------------" "----------" "----------" "--------------"
line "push to an empty registry (docker CLI)" PUSH
line "pull, cold cache (docker CLI)" PULL
line "second pull, nothing new (docker CLI)" REPULL
line "second pull, nothing new (API, curl)" REPULL_API
line "  CPU of the daemon: push" PUSH_CPU
line "  CPU of the daemon: pull, cold cache" PULL_CPU
line "  CPU of the daemon: second pull (API)" REPULL_API_CPU
echo "targets (issue 12): pull 2x faster, push 1.5x faster, second pull at most 0.050 s"
