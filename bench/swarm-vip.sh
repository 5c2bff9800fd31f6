#!/usr/bin/env bash
# How long a dead task's address stays in DNS and in the VIP balancer
# (issue 10; berthd only, prints numbers, asserts nothing; target under
# 1 s). One manager and two workers in network namespaces, set up and
# removed by tests/cluster/lib.sh, with the release berthd by default. A
# service of 3 replicas (busybox httpd) on an overlay network, a client
# container on the manager. Each round kills one task's container on a
# worker (kill -9 of its process) and polls, every 20 ms from inside the
# client's namespace, until its address is gone from `tasks.<svc>` in the
# embedded DNS and from the client's nftables VIP map; then waits until the
# service has 3 serving tasks again. Columns (seconds from the kill):
# exited_s, the time of the container's die event on its node;
# noticed_s, the Timestamp of the agent's report (the task's Status);
# records_s, when n1's daemon logged the network's new service records
# (both read from the daemons, free of the probes' own delay); store_s,
# dns_s and balancer_s, when the probes saw the task not running in the
# leader's API and its address gone from DNS and from the client's map
# (each probe spawns processes: on a loaded machine they lag).
# Environment: BERTHD (default build/berthd), BENCH_ROUNDS (default 5).
set -uo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BERTHD:=$REPO_ROOT/build/berthd}"
# With --debug: the daemons log when a network's service records change.
BENCH_WRAP=$(mktemp /tmp/berthd-debug.XXXXXX)
printf '#!/bin/sh\nexec %s --debug "$@"\n' "$BERTHD" >"$BENCH_WRAP"
chmod +x "$BENCH_WRAP"
BERTHD=$BENCH_WRAP
export BERTHD
source "$REPO_ROOT/tests/cluster/lib.sh"
: "${BENCH_ROUNDS:=5}"
[[ $(id -u) -eq 0 ]] || { echo "swarm VIP bench needs root: skipped"; exit 0; }

now_us() { echo "${EPOCHREALTIME/./}"; }
secs_since() { awk -v u=$(($1 - $2)) 'BEGIN { printf "%.2f", u / 1e6 }'; }

cl_switch
for i in 1 2 3; do cl_node "n$i" "$i"; done
for n in n1 n2 n3; do cl_start "$n"; done
dk n1 swarm init --advertise-addr "$IP_n1" >/dev/null || fail "init"
WT=$(dk n1 swarm join-token -q worker)
for n in n2 n3; do
	ip="IP_$n"
	dk "$n" swarm join --token "$WT" --advertise-addr "${!ip}" "$IP_n1:2377" >/dev/null || fail "join $n"
done
mkdir -p "$CL_TMP/bb/bin"
cp /bin/busybox "$CL_TMP/bb/bin/"
for a in sh sleep; do ln -sf busybox "$CL_TMP/bb/bin/$a"; done
tar -C "$CL_TMP/bb" -cf "$CL_TMP/bb.tar" .
for n in n1 n2 n3; do dk "$n" import "$CL_TMP/bb.tar" busybox:latest >/dev/null || fail "import"; done

dk n1 network create -d overlay --subnet 10.232.9.0/24 --attachable bvip >/dev/null || fail "network"
dk n1 service create -d --name bv --replicas 3 --network bvip --constraint node.role==worker \
	--stop-grace-period 1s busybox busybox httpd -f -p 80 -h /etc >/dev/null || fail "service"
dk n1 run -d --name cli --network bvip busybox sleep 100000 >/dev/null || fail "client"
CPID=$(dk n1 inspect --format '{{.State.Pid}}' cli)
VIP=$(dk n1 service inspect --format '{{range .Endpoint.VirtualIPs}}{{.Addr}}{{end}}' bv)
VIP=${VIP%/*}

task_state() { # TASK-ID: its state in the leader's store
	curl -sf --max-time 5 --unix-socket "$CL_TMP/n1/d.sock" "http://localhost/v1.41/tasks/$1" | jq -r .Status.State
}
in_cli() { nsenter -t "$CPID" -n "$@"; }
dns_tasks() { in_cli busybox nslookup tasks.bv 127.0.0.11 2>/dev/null | awk '/^Name:/{n=1} n&&/^Address/{print $NF}'; }
lb_line() { in_cli nft list ruleset 2>/dev/null | grep "ip daddr $VIP dnat"; }
serving() { [[ $(dns_tasks | wc -l) == 3 && $(lb_line) == *"mod 3"* ]]; }
wait_for 120 serving || fail "3 serving tasks: $(dk n1 service ps bv)"

# poll_until NAME CONDITION: evaluates CONDITION every 20 ms from t0 for
# up to 30 s; writes the seconds it took to $CL_TMP/t_NAME.
poll_until() {
	local t
	while t=$(now_us) && ((t - t0 < 30000000)); do
		if eval "$2" >/dev/null 2>&1; then
			secs_since "$(now_us)" "$t0" >"$CL_TMP/t_$1"
			return
		fi
		sleep 0.02
	done
}

ts_secs() { date -d "$1" +%s.%N; }
# records_after T0_WALL: n1's first record change of bvip after T0_WALL.
records_after() {
	local ts
	grep -a 'overlay network bvip: service records changed' "$CL_TMP/n1/log" |
		sed -n 's/^time="\([^"]*\)".*/\1/p' | while read -r ts; do
		awk -v a="$(ts_secs "$ts")" -v b="$1" 'BEGIN { if (a > b) { printf "%.2f\n", a - b; exit 0 } exit 1 }' && break
	done | head -1
}

printf '%-6s %-14s %-9s %-10s %-10s %-8s %-8s %-10s\n' round address exited_s noticed_s records_s store_s dns_s balancer_s
for r in $(seq "$BENCH_ROUNDS"); do
	wait_for 120 serving || { echo "round $r: the service did not come back to 3 tasks"; break; }
	node=n$((2 + r % 2))
	c=$(dk "$node" ps -q --filter label=com.docker.swarm.service.name=bv --filter status=running | head -1)
	ip=$(dk "$node" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$c")
	task=$(dk "$node" inspect --format '{{index .Config.Labels "com.docker.swarm.task.id"}}' "$c")
	pid=$(dk "$node" inspect --format '{{.State.Pid}}' "$c")
	# One poller per figure, each on its own, so that one slow probe does
	# not delay the others' reading; all count from the kill.
	rm -f "$CL_TMP"/t_*
	t0=$(now_us)
	w0=$(date +%s.%N)
	kill -9 "$pid"
	poll_until store "[[ \$(task_state $task) != running ]]" &
	p1=$!
	poll_until dns "! dns_tasks | grep -qx $ip" &
	p2=$!
	poll_until lb "! lb_line | grep -q '$ip\b'" &
	p3=$!
	wait "$p1" "$p2" "$p3"
	t_store=$(cat "$CL_TMP/t_store" 2>/dev/null)
	t_dns=$(cat "$CL_TMP/t_dns" 2>/dev/null)
	t_lb=$(cat "$CL_TMP/t_lb" 2>/dev/null)
	noticed=$(curl -sf --unix-socket "$CL_TMP/n1/d.sock" "http://localhost/v1.41/tasks/$task" | jq -r .Status.Timestamp)
	noticed=$(awk -v a="$(ts_secs "$noticed")" -v b="$w0" 'BEGIN { printf "%.2f", a - b }')
	records=$(records_after "$w0")
	exited=$(dk "$node" events --since "${w0%.*}" --until "$(date +%s)" --filter event=die \
		--filter "container=$c" --format '{{.TimeNano}}' | head -1)
	exited=$(awk -v a="$exited" -v b="$w0" 'BEGIN { printf "%.2f", a / 1e9 - b }')
	printf '%-6s %-14s %-9s %-10s %-10s %-8s %-8s %-10s\n' "$r" "$ip" "$exited" "$noticed" "${records:-none}" "${t_store:-timeout}" "${t_dns:-timeout}" "${t_lb:-timeout}"
done
dk n1 rm -f cli >/dev/null
dk n1 service rm bv >/dev/null
rm -f "$BENCH_WRAP"
