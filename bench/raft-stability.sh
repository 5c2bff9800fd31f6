#!/usr/bin/env bash
# Does the short Raft election timeout (300 ms, heartbeats every 30 ms, with
# pre-vote) cause spurious elections on a busy machine? Three managers in
# network namespaces (tests/cluster/lib.sh), one CPU hog per core, a store
# write every second, for STABILITY_SECONDS (default 600); then it prints how
# many times any node became leader after the first election. Prints
# numbers, asserts nothing. Environment: BERTHD (default build/berthd),
# STABILITY_SECONDS, HOGS (default: one per CPU).
set -uo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BERTHD:=$REPO_ROOT/build/berthd}"
export BERTHD
source "$REPO_ROOT/tests/cluster/lib.sh"
: "${STABILITY_SECONDS:=600}" "${HOGS:=$(nproc)}"
[[ $(id -u) -eq 0 ]] || { echo "raft stability bench needs root: skipped"; exit 0; }

HOG_PIDS=()
stop_hogs() {
	local p
	for p in "${HOG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	HOG_PIDS=()
}
trap 'stop_hogs; cl_cleanup' EXIT

cl_switch
for i in 1 2 3; do cl_node "n$i" "$i"; done
for n in n1 n2 n3; do cl_start "$n"; done
dk n1 swarm init --advertise-addr "$IP_n1" >/dev/null || fail "init"
MT=$(dk n1 swarm join-token -q manager)
for n in n2 n3; do
	ip="IP_$n"
	dk "$n" swarm join --token "$MT" --advertise-addr "${!ip}" "$IP_n1:2377" >/dev/null || fail "join $n"
done
leaders_logged() { cat "$CL_TMP"/n{1,2,3}/log | grep -c 'swarm: this node is the leader'; }
before=$(leaders_logged)

for ((i = 0; i < HOGS; i++)); do
	sh -c 'while :; do :; done' &
	HOG_PIDS+=($!)
done
echo "raft stability: 3 managers, $HOGS CPU hogs, ${STABILITY_SECONDS}s, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
end=$((SECONDS + STABILITY_SECONDS)) writes=0 failed=0
while ((SECONDS < end)); do
	if dk n1 node update --label-add tick="$SECONDS" n3 >/dev/null 2>&1; then
		writes=$((writes + 1))
	else
		failed=$((failed + 1))
	fi
	sleep 1
done
stop_hogs
changes=$(($(leaders_logged) - before))
echo "raft stability: $changes leader changes, $writes writes committed, $failed failed, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
dk n1 node ls >/dev/null 2>&1 || true
