#!/usr/bin/env bash
# Services on 3 nodes (issue 9; berthd only, prints numbers, asserts
# nothing): one manager and two workers in network namespaces, set up and
# removed by tests/cluster/lib.sh, with the release berthd by default.
#   - create of 6 replicas (`--network none --init`) until all run, and
#     their spread over the nodes (target 2/2/2 within 0.4 s);
#   - kill -9 of a worker's berthd until it is Down (its connection to the
#     leader closed: 2 s later) and until its tasks run on the other nodes
#     (target 5 s);
#   - a rolling update of 4 replicas (--update-parallelism 3
#     --update-delay 2s) until the 4 running tasks have the new spec (target
#     3 s), and until its UpdateStatus says completed (after the 5 s monitor
#     window that follows the last batch, as in SwarmKit);
#   - a worker cut off silently (its link set down) until it is Down (after
#     a period and 1 s without a heartbeat; agents beat three times a
#     period) and until its tasks run on the other nodes (target: heartbeat
#     period + 2 s), then its link back up.
# Times come from the leader's API (GET /services, /tasks), polled every 20 ms.
# Environment: BERTHD (default build/berthd), BENCH_HEARTBEAT (swarm init's
# --dispatcher-heartbeat, default 5s as Docker's).
set -uo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BERTHD:=$REPO_ROOT/build/berthd}"
export BERTHD
source "$REPO_ROOT/tests/cluster/lib.sh"
: "${BENCH_HEARTBEAT:=5s}"
[[ $(id -u) -eq 0 ]] || { echo "swarm services bench needs root: skipped"; exit 0; }

now_us() { echo "${EPOCHREALTIME/./}"; }
secs_since() { awk -v u=$(($(now_us) - $1)) 'BEGIN { printf "%.2f", u / 1e6 }'; }
api() { # PATH [curl args]: GET on n1's socket
	local path=$1
	shift
	curl -sf --max-time 10 --unix-socket "$CL_TMP/n1/d.sock" -G "$@" "http://localhost/v1.41$path"
}
# Running tasks of the service "bench" (desired running too) per node ID.
running_by_node() {
	api /tasks --data-urlencode 'filters={"service":["bench"],"desired-state":["running"]}' |
		jq -r '[.[] | select(.Status.State == "running") | .NodeID] | group_by(.) | map("\(.[0]) \(length)") | .[]'
}
running_total() { running_by_node | awk '{ t += $2 } END { print t + 0 }'; }
# until_true SECONDS CMD...: polls CMD every 20 ms; prints the seconds taken.
until_true() {
	local limit=$1 t0
	shift
	t0=$(now_us)
	until "$@" >/dev/null 2>&1; do
		(($(now_us) - t0 > limit * 1000000)) && { echo timeout; return; }
		sleep 0.02
	done
	secs_since "$t0"
}

cl_switch
for i in 1 2 3; do cl_node "n$i" "$i"; done
for n in n1 n2 n3; do cl_start "$n"; done
dk n1 swarm init --advertise-addr "$IP_n1" --dispatcher-heartbeat "$BENCH_HEARTBEAT" >/dev/null || fail "init"
WT=$(dk n1 swarm join-token -q worker)
for n in n2 n3; do
	ip="IP_$n"
	dk "$n" swarm join --token "$WT" --advertise-addr "${!ip}" "$IP_n1:2377" >/dev/null || fail "join $n"
done
mkdir -p "$CL_TMP/bb/bin"
cp /bin/busybox "$CL_TMP/bb/bin/"
for a in sh sleep; do ln -sf busybox "$CL_TMP/bb/bin/$a"; done
tar -C "$CL_TMP/bb" -cf "$CL_TMP/bb.tar" .
for n in n1 n2 n3; do dk "$n" import "$CL_TMP/bb.tar" bb:bench >/dev/null || fail "import on $n"; done
declare -A NAME_OF
for n in n1 n2 n3; do NAME_OF[$(node_id "$n")]=$n; done
spread() { running_by_node | while read -r id k; do echo "${NAME_OF[$id]:-?}=$k"; done | sort | paste -sd' '; }
six() { [[ $(running_total) == 6 ]]; }

t0=$(now_us)
dk n1 service create -d -q --no-resolve-image --name bench --replicas 6 --network none --init \
	bb:bench sleep 1000000 >/dev/null || fail "service create"
until_true 120 six >/dev/null
echo "6 replicas on 3 nodes: all running $(secs_since "$t0") s after service create; spread: $(spread)"

# note_down NODE_ID VAR: sets VAR to the seconds since t0 once the node is
# Down (the leader's decision, before its tasks start elsewhere).
note_down() {
	[[ -z ${!2} && $(api "/nodes/$1" | jq -r .Status.State) == down ]] && printf -v "$2" '%s' "$(secs_since "$t0")"
	return 0
}
W=$(node_id n3)
down3=
off_n3() {
	note_down "$W" down3
	[[ $(running_by_node | awk -v w="$W" '$1 != w { t += $2 } END { print t + 0 }') == 6 ]]
}
t0=$(now_us)
cl_kill n3
until_true 120 off_n3 >/dev/null
echo "kill -9 of worker n3 (heartbeat $BENCH_HEARTBEAT): Down after ${down3:-?} s, its tasks running elsewhere after $(secs_since "$t0") s; spread: $(spread)"

dk n1 service scale -d bench=4 >/dev/null || fail "scale"
four() { [[ $(running_total) == 4 ]]; }
until_true 120 four >/dev/null
new_spec() {
	[[ $(api /tasks --data-urlencode 'filters={"service":["bench"],"desired-state":["running"]}' |
		jq '[.[] | select(.Status.State == "running" and ((.Spec.ContainerSpec.Env // []) | index("X=1")))] | length') == 4 ]]
}
done_update() { [[ $(api /services/bench | jq -r '.UpdateStatus.State') == completed ]]; }
t0=$(now_us)
dk n1 service update -d -q --env-add X=1 --update-parallelism 3 --update-delay 2s bench >/dev/null ||
	fail "update"
until_true 120 new_spec >/dev/null
rolled=$(secs_since "$t0")
until_true 120 done_update >/dev/null
echo "rolling update of 4 replicas (parallelism 3, delay 2s): all 4 run the new spec after $rolled s;" \
	"UpdateStatus completed after $(secs_since "$t0") s (after the 5 s monitor window, as SwarmKit)"
W2=$(node_id n2)
down2=
off_n2() {
	note_down "$W2" down2
	[[ $(running_by_node | awk -v w="$W2" '$1 != w { t += $2 } END { print t + 0 }') == 4 ]]
}
before=$(spread)
t0=$(now_us)
ip -n "$CL_PREFIX-n2" link set eth0 down
until_true 120 off_n2 >/dev/null
echo "worker n2 cut off (link down, heartbeat $BENCH_HEARTBEAT; spread before: $before): Down after ${down2:-?} s, its tasks running elsewhere after $(secs_since "$t0") s; spread: $(spread)"
ip -n "$CL_PREFIX-n2" link set eth0 up
echo "load average $(cut -d' ' -f1-3 /proc/loadavg); targets: spread 0.4 s, kill -9 5 s, update 3 s, cut off heartbeat + 2 s (dockerd: 1.3 s, 18.6 s, about 8 s)"
# n3 comes back so that lib.sh removes its containers through its API.
cl_start n3
