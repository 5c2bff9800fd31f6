#!/usr/bin/env bash
# Registry benchmark (issue 12): push of a 5-layer image of about 200 MB to an
# empty registry on loopback, pull of it with a cold cache, and a second pull
# with nothing new to fetch, for berthd and, side by side in the same run,
# Debian's dockerd (in its own network and mount namespaces, with its own
# registry inside them). Both registries are Debian's docker-registry
# (distribution 2.8). Prints, never asserts.
#
#   bench/registry.sh
#
# Environment: BERTHD (default build/berthd), DOCKER (default
# /usr/local/bin/docker), DOCKERD (default /usr/sbin/dockerd), REGISTRY
# (default /usr/bin/docker-registry), BENCH_LAYERS (default 5),
# BENCH_LAYER_MB (default 40), BENCH_ROUNDS (default 2, best counts),
# BENCH_SKIP_DOCKERD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BERTHD=${BERTHD:-$ROOT/build/berthd}
DOCKER=${DOCKER:-/usr/local/bin/docker}
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
REGISTRY=${REGISTRY:-/usr/bin/docker-registry}
LAYERS=${BENCH_LAYERS:-5}
LAYER_MB=${BENCH_LAYER_MB:-40}
ROUNDS=${BENCH_ROUNDS:-2}
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
IMGTOOL=$ROOT/tests/integration/imgtool.py

note() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

[[ -x $BERTHD ]] || die "$BERTHD not found: run 'make all' first"
[[ -x $DOCKER ]] || die "$DOCKER not found"
[[ -x $REGISTRY ]] || die "$REGISTRY not found: apt-get install docker-registry"

TMP=$(mktemp -d /tmp/berthreg.XXXXXX) # short: unix socket paths are limited
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
	for p in $kids; do kill -TERM "$p" 2>/dev/null || true; done
	for ((i = 0; i < 200; i++)); do alive "$pid" || break; sleep 0.1; done
	alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
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
	for ((i = 0; i < 300; i++)); do
		alive "$2" || return 1
		curl -sf --max-time 2 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

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

# ---- berthd and its registry on the host's loopback ----
NAMES=()
declare -A HOST REG REGDIR
mkdir -p "$TMP/berthd" "$TMP/reg-berthd"
echo '{}' >"$TMP/berthd/daemon.json"
"$BERTHD" --data-root "$TMP/berthd/data" --exec-root "$TMP/berthd/exec" \
	--pidfile "$TMP/berthd/pid" -H "unix://$TMP/berthd/sock" \
	--config-file "$TMP/berthd/daemon.json" >"$TMP/berthd/log" 2>&1 </dev/null &
PIDS+=("$!")
wait_ping "$TMP/berthd/sock" "$!" || { tail -n 20 "$TMP/berthd/log" >&2; die "berthd did not start"; }
NAMES+=(berthd)
HOST[berthd]="unix://$TMP/berthd/sock"
REG[berthd]=127.0.0.1:$(free_port)
REGDIR[berthd]=$TMP/reg-berthd

DOCKER_NOTE=
if [[ ${BENCH_SKIP_DOCKERD:-0} == 1 ]]; then
	DOCKER_NOTE="skipped (BENCH_SKIP_DOCKERD=1)"
elif [[ ! -x $DOCKERD ]]; then
	DOCKER_NOTE="skipped: $DOCKERD not installed (apt-get install docker.io)"
elif [[ $(id -u) != 0 ]] || ! command -v unshare >/dev/null; then
	DOCKER_NOTE="skipped: needs root and unshare(1)"
else
	# dockerd's registry lives in dockerd's network namespace, on its loopback.
	D=$TMP/dockerd
	mkdir -p "$D" "$TMP/reg-dockerd"
	REG[dockerd]=127.0.0.1:5000
	REGDIR[dockerd]=$TMP/reg-dockerd
	registry_config "$TMP/reg-dockerd" 5000
	echo "{\"deprecated-key-path\": \"$D/key.json\"}" >"$D/daemon.json"
	unshare --net --mount --propagation private sh -c \
		'ip link set lo up && { "$1" serve "$2" >"$3" 2>&1 & } && shift 3 && exec "$@"' _ \
		"$REGISTRY" "$TMP/reg-dockerd/config.yml" "$TMP/reg-dockerd/log" \
		"$DOCKERD" --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/pid" \
		-H "unix://$D/sock" --config-file "$D/daemon.json" \
		--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
		>"$D/log" 2>&1 </dev/null &
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

us() { echo "${EPOCHREALTIME/./}"; }
secs() { awk -v d="$1" 'BEGIN { printf "%.3f", d / 1e6 }'; }
dk() { "$DOCKER" -H "${HOST[$1]}" "${@:2}"; }

# One round for daemon NAME: a fresh registry, push, rmi, pull, pull again.
declare -A PUSH PULL REPULL
round() {
	local name=$1 dir=${REGDIR[$1]} ref=${REG[$1]}/bench:1 t0 t1 pid=
	rm -rf "$dir/storage"
	if [[ $name == berthd ]]; then
		registry_config "$dir" "${REG[berthd]#*:}"
		"$REGISTRY" serve "$dir/config.yml" >"$dir/log" 2>&1 </dev/null &
		pid=$!
		PIDS+=("$pid")
		local i
		for ((i = 0; i < 100; i++)); do
			curl -sf -o /dev/null "http://${REG[berthd]}/v2/" && break
			sleep 0.1
		done
	fi
	dk "$name" load -q -i "$TMP/multi.tar" >/dev/null
	dk "$name" tag bench:1 "$ref"
	t0=$(us)
	dk "$name" push "$ref" >"$TMP/push.out" 2>&1 || { cat "$TMP/push.out" >&2; die "$name: push failed"; }
	t1=$(us)
	PUSH[$name]+=" $(secs $((t1 - t0)))"
	dk "$name" rmi -f bench:1 "$ref" >/dev/null 2>&1 || true
	t0=$(us)
	dk "$name" pull -q "$ref" >"$TMP/pull.out" 2>&1 || { cat "$TMP/pull.out" >&2; die "$name: pull failed"; }
	t1=$(us)
	PULL[$name]+=" $(secs $((t1 - t0)))"
	t0=$(us)
	dk "$name" pull -q "$ref" >/dev/null 2>&1 || die "$name: second pull failed"
	t1=$(us)
	REPULL[$name]+=" $(secs $((t1 - t0)))"
	dk "$name" rmi -f "$ref" >/dev/null 2>&1 || true
	if [[ -n $pid ]]; then
		stop_tree "$pid"
	else
		# dockerd's registry keeps running; empty it for the next round.
		rm -rf "$dir/storage"/*
	fi
}

for name in "${NAMES[@]}"; do
	for ((r = 1; r <= ROUNDS; r++)); do
		round "$name"
		note "$name round $r: push/pull/second pull (s):$(echo "${PUSH[$name]}" | awk '{print $NF}') $(echo "${PULL[$name]}" | awk '{print $NF}') $(echo "${REPULL[$name]}" | awk '{print $NF}')"
	done
done
for pid in "${PIDS[@]}"; do alive "$pid" && stop_tree "$pid"; done
PIDS=()

best() { [[ -z ${1:-} ]] && echo - || printf '%s\n' $1 | sort -g | head -n1; }
ratio() { [[ $1 == - || $2 == - ]] && echo - || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", b / a }'; }
row() { printf '%-44s | %10s | %10s | %14s\n' "$@"; }
v() { local -n arr=$1; best "${arr[$2]:-}"; }

echo
echo "Berth registry benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "berthd:   $BERTHD ($("$BERTHD" --version 2>/dev/null || echo '?'))"
echo "dockerd:  $DOCKER_NOTE"
echo "registry: $("$REGISTRY" --version 2>/dev/null | head -n1), on loopback, empty before each push"
echo "data:     $LAYERS layers of ~$LAYER_MB MB (${TOTAL_MB} MB archive); best of $ROUNDS; docker CLI for both daemons"
echo
row "metric (seconds, lower is better)" "berthd" "dockerd" "berthd faster by"
row "--------------------------------------------" "----------" "----------" "--------------"
row "push to an empty registry" "$(v PUSH berthd)" "$(v PUSH dockerd)" "$(ratio "$(v PUSH berthd)" "$(v PUSH dockerd)")"
row "pull, cold cache" "$(v PULL berthd)" "$(v PULL dockerd)" "$(ratio "$(v PULL berthd)" "$(v PULL dockerd)")"
row "second pull, nothing new" "$(v REPULL berthd)" "$(v REPULL dockerd)" "$(ratio "$(v REPULL berthd)" "$(v REPULL dockerd)")"
echo "targets (issue 12): pull 2x faster, push 1.5x faster, second pull at most 0.050 s"
