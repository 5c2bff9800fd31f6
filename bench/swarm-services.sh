#!/usr/bin/env bash
# Services on 3 nodes (issue 9), berthd and Debian's dockerd side by side in
# the same run (prints numbers, asserts nothing). Each swarm is one manager
# and two workers in network namespaces: berthd's set up by
# tests/cluster/lib.sh (198.18.0.0/24, the release berthd by default),
# dockerd's by bench/dockerd-nodes.sh (a switch and subnet of their own,
# 198.18.1.0/24; each dockerd with its own containerd, data root, exec root,
# pidfile, socket and /run, never in the host's network namespace). Both
# swarms stay up; each round runs the same steps on one swarm, then on the
# other (the order alternates between rounds):
#   - create of 6 replicas (`--init`, berthd's `--network none`, dockerd's
#     with no network as it runs --bridge=none: 20.10 has no `none` network
#     for services) until all run, and their spread over the nodes (target
#     2/2/2 within 0.4 s; dockerd 1.3 s in the issue);
#   - kill -9 of a worker's daemon until it is Down and until its tasks run
#     on the other nodes (target 5 s; dockerd 18.6 s);
#   - a rolling update of 4 replicas (--update-parallelism 3
#     --update-delay 2s) until the 4 running tasks have the new spec (target
#     3 s; dockerd about 8 s), and until its UpdateStatus says completed
#     (after the 5 s monitor window that follows the last batch);
#   - the other worker cut off silently (its link set down) until it is
#     Down and until its tasks run on the manager (target: heartbeat period
#     + 2 s), then its link back up.
# A round ends by removing the service, restarting the killed daemon and
# waiting until the three nodes are Ready and the containers gone. Times
# come from the manager's API (GET /services, /tasks, /nodes), polled every
# 20 ms; a step that takes over BENCH_TIMEOUT seconds shows "timeout". Both
# swarms are made with the same `swarm init --dispatcher-heartbeat`.
# The table has the best (lowest) of the rounds and berthd / dockerd.
# Environment: BERTHD (default build/berthd), DOCKERD (/usr/sbin/dockerd),
# BENCH_HEARTBEAT (default 5s, Docker's default), BENCH_ROUNDS (1),
# BENCH_TIMEOUT (120 s per step), BENCH_SKIP_DOCKERD=1 (berthd only).
set -uo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BERTHD:=$REPO_ROOT/build/berthd}"
export BERTHD
[[ $(id -u) -eq 0 ]] || { echo "swarm services bench needs root: skipped"; exit 0; }
source "$REPO_ROOT/tests/cluster/lib.sh"
source "$REPO_ROOT/bench/dockerd-nodes.sh"
: "${BENCH_HEARTBEAT:=5s}" "${BENCH_ROUNDS:=1}" "${BENCH_TIMEOUT:=120}"

now_us() { echo "${EPOCHREALTIME/./}"; }
secs_since() { awk -v u=$(($(now_us) - $1)) 'BEGIN { printf "%.2f", u / 1e6 }'; }

# Per swarm: the node names' prefix (node 1 manages), how a node's daemon
# starts and dies, the tasks' network flag.
KINDS=(berthd)
declare -A PFX=([berthd]=n [dockerd]=d) START=([berthd]=cl_start [dockerd]=dc_start)
declare -A KILL=([berthd]=cl_kill [dockerd]=dc_kill) NET=([berthd]="--network none" [dockerd]="")
if [[ ${BENCH_SKIP_DOCKERD:-0} == 1 ]]; then
	DC_NOTE="skipped (BENCH_SKIP_DOCKERD=1)"
elif dc_available; then
	KINDS+=(dockerd)
fi
# --bridge=none: its tasks get no network, as berthd's with --network none.
DC_ARGS=--bridge=none

M= # the manager of the swarm being measured
api() { # PATH [curl args]: GET on the manager's socket
	local path=$1
	shift
	curl -sf --max-time 10 --unix-socket "$CL_TMP/$M/d.sock" -G "$@" "http://localhost/v1.41$path"
}
# Running tasks of the service "bench" (desired running too) per node ID.
running_by_node() {
	api /tasks --data-urlencode 'filters={"service":["bench"],"desired-state":["running"]}' |
		jq -r '[.[] | select(.Status.State == "running") | .NodeID] | group_by(.) | map("\(.[0]) \(length)") | .[]'
}
running_total() { running_by_node | awk '{ t += $2 } END { print t + 0 }'; }
# until_true CMD...: polls CMD every 20 ms (in this shell: CMD may set
# variables); sets T to the seconds taken, or "timeout" after BENCH_TIMEOUT.
until_true() {
	local t0
	t0=$(now_us)
	until "$@" >/dev/null 2>&1; do
		(($(now_us) - t0 > BENCH_TIMEOUT * 1000000)) && { T=timeout; return; }
		sleep 0.02
	done
	T=$(secs_since "$t0")
}
note() { echo "bench: $*" >&2; }

mkdir -p "$CL_TMP/bb/bin"
cp /bin/busybox "$CL_TMP/bb/bin/"
for a in sh sleep; do ln -sf busybox "$CL_TMP/bb/bin/$a"; done
tar -C "$CL_TMP/bb" -cf "$CL_TMP/bb.tar" .

declare -A NAME_OF
setup() { # KIND: three nodes, a swarm, the image on each
	local p=${PFX[$1]} n i ip wt mip="IP_${PFX[$1]}1"
	for i in 1 2 3; do "${START[$1]}" "$p$i"; done
	dk "${p}1" swarm init --advertise-addr "${!mip}" \
		--dispatcher-heartbeat "$BENCH_HEARTBEAT" >/dev/null || fail "$1: swarm init"
	wt=$(dk "${p}1" swarm join-token -q worker)
	for i in 2 3; do
		ip="IP_$p$i"
		dk "$p$i" swarm join --token "$wt" --advertise-addr "${!ip}" "${!mip}:2377" >/dev/null ||
			fail "$1: join $p$i"
	done
	for i in 1 2 3; do
		n=$p$i
		dk "$n" import "$CL_TMP/bb.tar" bb:bench >/dev/null || fail "import on $n"
		NAME_OF[$(node_id "$n")]=$n
	done
}

cl_switch
for i in 1 2 3; do cl_node "n$i" "$i"; done
if [[ " ${KINDS[*]} " == *" dockerd "* ]]; then
	dc_switch
	for i in 1 2 3; do dc_node "d$i" "$i"; done
fi
for k in "${KINDS[@]}"; do setup "$k"; done

spread() { running_by_node | while read -r id k; do echo "${NAME_OF[$id]:-?}=$k"; done | sort | paste -sd' '; }
six() { [[ $(running_total) == 6 ]]; }
four() { [[ $(running_total) == 4 ]]; }
# note_down NODE_ID VAR: sets VAR to the seconds since t0 once the node is
# Down (the leader's decision, before its tasks start elsewhere).
note_down() {
	[[ -z ${!2} && $(api "/nodes/$1" | jq -r .Status.State) == down ]] && printf -v "$2" '%s' "$(secs_since "$t0")"
	return 0
}
# off NODE_ID WANT: WANT tasks run on other nodes than NODE_ID (noting Down).
off() {
	note_down "$1" down
	[[ $(running_by_node | awk -v w="$1" '$1 != w { t += $2 } END { print t + 0 }') == "$2" ]]
}
new_spec() {
	[[ $(api /tasks --data-urlencode 'filters={"service":["bench"],"desired-state":["running"]}' |
		jq '[.[] | select(.Status.State == "running" and ((.Spec.ContainerSpec.Env // []) | index("X=1")))] | length') == 4 ]]
}
done_update() { [[ $(api /services/bench | jq -r '.UpdateStatus.State') == completed ]]; }
all_ready() { [[ $(api /nodes | jq '[.[] | select(.Status.State == "ready")] | length') == 3 ]]; }
no_containers() {
	local n
	for n in "$@"; do
		[[ -z $(dk "$n" ps -aq --filter label=com.docker.swarm.service.name=bench) ]] || return 1
	done
}

declare -A R # R[kind,figure]: the rounds' values, space-separated
record() { R[$1,$2]="${R[$1,$2]:-}${R[$1,$2]:+ }$3"; }

cycle() { # KIND
	local k=$1 p=${PFX[$1]} t0 down w
	M=${p}1
	t0=$(now_us)
	dk "$M" service create -d -q --no-resolve-image --name bench --replicas 6 ${NET[$k]} --init \
		bb:bench sleep 1000000 >/dev/null || fail "$k: service create"
	until_true six
	record "$k" create "$T"
	record "$k" spread "$(spread | tr ' ' /)"

	w=$(node_id "${p}3")
	down=
	t0=$(now_us)
	"${KILL[$k]}" "${p}3"
	until_true off "$w" 6
	record "$k" kill_down "${down:-timeout}"
	record "$k" kill_moved "$T"

	dk "$M" service scale -d bench=4 >/dev/null || fail "$k: scale"
	until_true four
	t0=$(now_us)
	dk "$M" service update -d -q --env-add X=1 --update-parallelism 3 --update-delay 2s bench >/dev/null ||
		fail "$k: update"
	until_true new_spec
	record "$k" update_spec "$T"
	until_true done_update
	record "$k" update_done "$(secs_since "$t0")"

	w=$(node_id "${p}2")
	down=
	t0=$(now_us)
	ip -n "$CL_PREFIX-${p}2" link set eth0 down
	until_true off "$w" 4
	record "$k" cut_down "${down:-timeout}"
	record "$k" cut_moved "$T"
	ip -n "$CL_PREFIX-${p}2" link set eth0 up
	note "$k: create ${R[$k,create]##* } s, spread ${R[$k,spread]##* }, kill -9 ${R[$k,kill_moved]##* } s," \
		"update ${R[$k,update_spec]##* } s, cut off ${R[$k,cut_moved]##* } s"

	# Back to three Ready nodes and no containers, for the next round and
	# so that every container is removed through its node's API at exit.
	dk "$M" service rm bench >/dev/null || fail "$k: service rm"
	"${START[$k]}" "${p}3"
	until_true all_ready
	[[ $T != timeout ]] || note "$k: not all nodes Ready again"
	until_true no_containers "${p}1" "${p}2" "${p}3"
	[[ $T != timeout ]] || note "$k: containers left"
}

for ((round = 1; round <= BENCH_ROUNDS; round++)); do
	order=("${KINDS[@]}")
	((round % 2 == 0 && ${#KINDS[@]} == 2)) && order=(dockerd berthd)
	for k in "${order[@]}"; do cycle "$k"; done
done

# The lowest of the rounds; "timeout" only when every round timed out.
least() { awk '{ for (i = 1; i <= NF; i++) if ($i != "timeout" && (m == "" || $i + 0 < m + 0)) m = $i }
	END { print m == "" ? "timeout" : m }' <<<"$1"; }
row() { printf '%-52s | %14s | %14s | %6s | %s\n' "$@"; }
line() { # LABEL FIGURE TARGET
	local b d q=-
	b=$(least "${R[berthd,$2]:-}")
	d=-
	[[ -n ${R[dockerd,$2]:-} ]] && d=$(least "${R[dockerd,$2]}")
	[[ $b != timeout && $d != timeout && $d != - ]] && q=$(awk -v a="$b" -v b="$d" 'BEGIN { printf "%.2fx", a / b }')
	row "$1" "$b" "$d" "$q" "$3"
}
echo
echo "Berth swarm services on 3 nodes  $(date -u +%FT%TZ)  $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "berthd: $BERTHD; dockerd: $DC_NOTE; heartbeat $BENCH_HEARTBEAT on both; best of $BENCH_ROUNDS round(s)"
row "seconds" "berthd" "dockerd" "ratio" "target (issue 9's dockerd)"
line "6 replicas: all running after service create" create "0.4 (1.3)"
d=${R[dockerd,spread]:--}
row "  spread (first round)" "${R[berthd,spread]%% *}" "${d%% *}" "" "2/2/2"
line "kill -9 of a worker's daemon: node Down" kill_down ""
line "kill -9: its tasks running elsewhere" kill_moved "5 (18.6)"
line "rolling update of 4 (par. 3, delay 2s): new spec" update_spec "3 (about 8)"
line "rolling update: UpdateStatus completed" update_done ""
line "worker cut off (link down): node Down" cut_down ""
line "cut off: its tasks running elsewhere" cut_moved "heartbeat + 2"
echo "ratio = berthd / dockerd (lower is better)"
for k in "${KINDS[@]}"; do
	echo "every round, $k: create ${R[$k,create]}; spread ${R[$k,spread]}; kill -9 Down ${R[$k,kill_down]}," \
		"moved ${R[$k,kill_moved]}; update ${R[$k,update_spec]}, completed ${R[$k,update_done]};" \
		"cut off Down ${R[$k,cut_down]}, moved ${R[$k,cut_moved]}"
done
