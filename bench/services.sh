#!/usr/bin/env bash
# Service benchmark (issue 9): a one-node swarm of berthd next to one of
# Debian's dockerd in the same run, driven by the same docker CLI. For a
# replicated service of BENCH_REPLICAS tasks (default 50; `--network none`,
# `--init`, a busybox image imported from a tarball) it measures the time
#   - from `docker service create` until every replica runs,
#   - from `docker service scale` to twice as many until all of them run,
#   - from `docker service rm` until the service's containers are gone.
# "Runs" is the service's ServiceStatus.RunningTasks (GET /services?status=true),
# polled every 20 ms; "gone" is GET /containers/json?all=1 with the service's
# label answering an empty list. Rounds alternate between the daemons so load
# from elsewhere on the machine hits both alike; the best round counts.
# It prints numbers and the issue's targets (each at most a quarter of
# dockerd's time); it never fails on timing.
#
# Both daemons run in network and mount namespaces of their own (loopback
# only): in swarm mode dockerd claims fixed-name bridges and ports 2377/7946.
# dockerd gets DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 (its agent does not try
# to pull the local image) and the CLI --no-resolve-image, so neither daemon
# looks for a registry. See bench/lib.sh for the set-up and the clean-up.
#
#   bench/services.sh
#
# Environment: BERTHD, DOCKERD, DOCKER, BENCH_REPLICAS (50), BENCH_ROUNDS (2),
# BENCH_TIMEOUT (300 s per step), BENCH_BERTHD_ARGS (e.g. --debug),
# BENCH_SKIP_DOCKERD=1, BERTHD_BEFORE (another berthd build, in the same
# rounds, shown in a table of its own).
set -euo pipefail

N=${BENCH_REPLICAS:-50}
ROUNDS=${BENCH_ROUNDS:-2}
STEP_TIMEOUT=${BENCH_TIMEOUT:-300}
BENCH_PREFIX=berthsvc
source "$(dirname "$0")/lib.sh"

api() { # NAME PATH [curl args]: GET on the daemon's socket
	local name=$1 path=$2
	shift 2
	curl -sf --max-time 10 --unix-socket "${DIR[$name]}/sock" -G "$@" "http://localhost/v1.41$path"
}

running() { # NAME: running tasks of the service "bench"
	api "$1" /services -d status=true |
		jq '[.[] | select(.Spec.Name == "bench") | .ServiceStatus.RunningTasks][0] // 0'
}

containers() { # NAME: containers (any state) of the service "bench"
	api "$1" /containers/json -d all=1 \
		--data-urlencode 'filters={"label":["com.docker.swarm.service.name=bench"]}' | jq length
}

# until_count NAME WHAT WANT T0: waits until WHAT (running or containers)
# says WANT; prints the seconds since T0 (µs), or "timeout".
until_count() {
	local name=$1 what=$2 want=$3 t0=$4 n
	while :; do
		n=$("$what" "$name" 2>/dev/null || echo -1)
		[[ $n == "$want" ]] && break
		if (($(now_us) - t0 > STEP_TIMEOUT * 1000000)); then
			note "$name: $what stuck at $n (want $want) after ${STEP_TIMEOUT}s"
			echo timeout
			return
		fi
		sleep 0.02
	done
	secs $(($(now_us) - t0))
}

declare -A CREATE SCALE RM CREATE_CPU SCALE_CPU RM_CPU
record() { # ARRAY NAME VALUE: appends to the rounds' figures
	local -n arr=$1
	local cur=${arr[$2]:-}
	arr[$2]=$cur${cur:+ }$3
}

cpu_since() { # NAME NS0: the daemon's CPU seconds since NS0
	awk -v a="$2" -v b="$(daemon_cpu_ns "$1")" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'
}

cycle() { # NAME
	local name=$1 t0 c s r k0 kc ks kr
	local -a dk=("$DOCKER" -H "${HOST[$name]}")
	k0=$(daemon_cpu_ns "$name")
	t0=$(now_us)
	"${dk[@]}" service create -d -q --no-resolve-image --name bench --replicas "$N" \
		${NET[$name]} --init bb:bench sleep 1000000 >/dev/null
	c=$(until_count "$name" running "$N" "$t0")
	kc=$(cpu_since "$name" "$k0")
	k0=$(daemon_cpu_ns "$name")
	t0=$(now_us)
	"${dk[@]}" service scale -d bench=$((2 * N)) >/dev/null
	s=$(until_count "$name" running $((2 * N)) "$t0")
	ks=$(cpu_since "$name" "$k0")
	k0=$(daemon_cpu_ns "$name")
	t0=$(now_us)
	"${dk[@]}" service rm bench >/dev/null
	r=$(until_count "$name" containers 0 "$t0")
	kr=$(cpu_since "$name" "$k0")
	note "$name: create $c s, scale $s s, rm $r s; daemon CPU $kc, $ks, $kr s"
	record CREATE "$name" "$c"
	record SCALE "$name" "$s"
	record RM "$name" "$r"
	record CREATE_CPU "$name" "$kc"
	record SCALE_CPU "$name" "$ks"
	record RM_CPU "$name" "$kr"
}

make_rootfs
# shellcheck disable=SC2086 # BENCH_BERTHD_ARGS holds several flags
start_berthd --netns ${BENCH_BERTHD_ARGS:-}
DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 start_dockerd
for name in "${NAMES[@]}"; do
	"$DOCKER" -H "${HOST[$name]}" swarm init --advertise-addr 127.0.0.1 >/dev/null ||
		die "$name: swarm init failed"
	"$DOCKER" -H "${HOST[$name]}" import "$TMP/rootfs.tar" bb:bench >/dev/null
done
# dockerd 20.10 has no "none" network for services ("network none not
# found"): its tasks then get no network at all, as it runs --bridge=none.
declare -A NET
for name in "${NAMES[@]}"; do
	NET[$name]="--network none"
	if ! "$DOCKER" -H "${HOST[$name]}" service create -d -q --no-resolve-image --name probe \
		--replicas 0 --network none bb:bench true >/dev/null 2>&1; then
		NET[$name]=
		note "$name: no --network none for services: its tasks run with no network attached"
	fi
	"$DOCKER" -H "${HOST[$name]}" service rm probe >/dev/null 2>&1 || true
done
for ((round = 1; round <= ROUNDS; round++)); do
	for name in "${NAMES[@]}"; do cycle "$name"; done
done

# The best (lowest) of the rounds; "timeout" only when every round timed out.
least() { awk '{ for (i = 1; i <= NF; i++) if ($i != "timeout" && (m == "" || $i + 0 < m + 0)) m = $i }
	END { print m == "" ? "timeout" : m }' <<<"$1"; }
v() {
	local -n arr=$1
	[[ -n ${arr[$2]:-} ]] && least "${arr[$2]}" || echo -
}
row() { printf '%-44s | %10s | %10s | %8s | %s\n' "$@"; }
met() { # RATIO: the target is at most 0.25x
	[[ $1 == - ]] && echo "-" && return
	awk -v r="${1%x}" 'BEGIN { print (r <= 0.25) ? "met" : "NOT met" }'
}
line() { # LABEL ARRAY [NAME]: NAME (default berthd) against dockerd
	local b d q
	b=$(v "$2" "${3:-berthd}") d=$(v "$2" dockerd)
	[[ $b == timeout || $d == timeout ]] && q=- || q=$(ratio "$b" "$d")
	row "$1" "$b" "$d" "$q" "$(met "$q")"
}

echo
echo "Berth service benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "berthd:  $BERTHD ${BENCH_BERTHD_ARGS:-}; dockerd: ${DOCKER_NOTE}; client: $("$DOCKER" --version)"
echo "one-node swarm, --init tasks (berthd: ${NET[berthd]:-no network}; dockerd: ${NET[dockerd]:-no network}), best of $ROUNDS alternating rounds"
row "seconds" "berthd" "dockerd" "ratio" "target: at most 0.25x"
line "create until $N replicas run" CREATE
line "scale $N to $((2 * N)) until all run" SCALE
line "rm until its containers are gone" RM
if [[ -n ${HOST[before]:-} ]]; then
	echo "before: $BERTHD_BEFORE, in the same run"
	row "seconds" "before" "dockerd" "ratio" "target: at most 0.25x"
	line "create until $N replicas run" CREATE before
	line "scale $N to $((2 * N)) until all run" SCALE before
	line "rm until its containers are gone" RM before
fi
echo "CPU seconds of the daemon itself during each step (berthd; dockerd and its containerd;"
echo "not the shims or runc), least of the rounds:"
row "CPU seconds" "berthd" "dockerd" "ratio" ""
cpu_line() { # LABEL ARRAY NAME
	local b d
	b=$(v "$2" "$3") d=$(v "$2" dockerd)
	row "$1 ($3)" "$b" "$d" "$(ratio "$b" "$d")" ""
}
for name in "${NAMES[@]}"; do
	[[ $name == dockerd ]] && continue
	cpu_line "create" CREATE_CPU "$name"
	cpu_line "scale" SCALE_CPU "$name"
	cpu_line "rm" RM_CPU "$name"
done
for name in "${NAMES[@]}"; do
	echo "every round, $name: create ${CREATE[$name]}; scale ${SCALE[$name]}; rm ${RM[$name]}"
	echo "             CPU: create ${CREATE_CPU[$name]}; scale ${SCALE_CPU[$name]}; rm ${RM_CPU[$name]}"
done
echo "ratio = berthd / dockerd (lower is better)"
