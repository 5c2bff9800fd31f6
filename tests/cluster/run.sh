#!/usr/bin/env bash
# Swarm cluster tests: 3 managers + 2 workers in network namespaces, formed
# and driven with the real docker CLI. Stages run in order on one cluster;
# each prints "ok - NAME". Needs root. See lib.sh for the layout.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

[[ $(id -u) -eq 0 ]] || { echo "cluster tests need root: skipped"; exit 0; }
[[ -x "$BERTHD" ]] || fail "no $BERTHD (make san)"

ok() { printf 'ok - %s\n' "$*"; }

cl_switch
for i in 1 2 3 4 5 6; do cl_node "n$i" "$i"; done
for n in n1 n2 n3 n4 n5; do cl_start "$n"; done

# ---- formation ----
test_form() {
	local out
	out=$(dk n1 swarm init --advertise-addr "$IP_n1" --listen-addr "$IP_n1:2377" \
		--dispatcher-heartbeat 1s 2>&1) || fail "init: $out"
	[[ "$out" == *"Swarm initialized: current node ("*") is now a manager."* ]] || fail "init text: $out"
	[[ "$out" == *"docker swarm join --token SWMTKN-1-"*" $IP_n1:2377"* ]] || fail "init join line: $out"
	WTOKEN=$(dk n1 swarm join-token -q worker) || fail "join-token worker"
	MTOKEN=$(dk n1 swarm join-token -q manager) || fail "join-token manager"
	[[ "$WTOKEN" =~ ^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$ ]] || fail "token format $WTOKEN"
	for n in n2 n3; do
		local ip="IP_$n"
		out=$(dk "$n" swarm join --token "$MTOKEN" --advertise-addr "${!ip}" "$IP_n1:2377" 2>&1) ||
			fail "join $n: $out"
		[[ "$out" == "This node joined a swarm as a manager." ]] || fail "join text $n: $out"
	done
	for n in n4 n5; do
		local ip="IP_$n"
		out=$(dk "$n" swarm join --token "$WTOKEN" --advertise-addr "${!ip}" "$IP_n1:2377" 2>&1) ||
			fail "join $n: $out"
		[[ "$out" == "This node joined a swarm as a worker." ]] || fail "join text $n: $out"
	done
	wait_for 15 bash -c "[[ \$(dk n1 node ls -q | wc -l) == 5 ]]" || fail "5 nodes expected"
	local t1
	wait_for 15 bash -c "! node_table n1 | grep -qv ' Ready '" || fail "not all Ready: $(node_table n1)"
	t1=$(node_table n1)
	for n in n2 n3; do
		wait_for 10 bash -c "[[ \"\$(node_table $n)\" == \"$t1\" ]]" ||
			fail "node ls on $n differs: $(node_table $n) vs $t1"
	done
	[[ $(leader_of n2) == n1 ]] || fail "leader should be n1: $(dk n2 node ls)"
	[[ $(dk n1 node ls --format '{{.Self}} {{.Hostname}}' | awk '$1=="true"{print $2}') == n1 ]] || fail "self marker"
	[[ $(dk n1 node ls --filter role=manager -q | wc -l) == 3 ]] || fail "role filter"
	out=$(dk n4 node ls 2>&1) && fail "node ls on a worker must fail"
	[[ "$out" == *"This node is not a swarm manager. Worker nodes can't be used"* ]] || fail "worker msg: $out"
	dk n2 info --format '{{.Swarm.ControlAvailable}} {{.Swarm.Managers}} {{.Swarm.Nodes}}' | grep -qx 'true 3 5' ||
		fail "info: $(dk n2 info --format '{{json .Swarm}}')"
	ok "form a 3-manager + 2-worker swarm with the docker CLI; node ls agrees on every manager"
}
export -f dk node_table leader_of fail
export CL_TMP DOCKER

test_form
check_sanitizers
