#!/usr/bin/env bash
# What swarm networking berthd and Debian's dockerd each manage on this
# kernel (issue 10), side by side in the same run; prints a table, asserts
# nothing. Each swarm is one manager and two workers in network namespaces
# (berthd's from tests/cluster/lib.sh on 198.18.0.0/24, dockerd's from
# bench/dockerd-nodes.sh on a switch and subnet of their own, 198.18.1.0/24,
# with its default networking: docker0, docker_gwbridge and iptables, all
# inside the node's namespace), plus a client namespace with no daemon on
# each switch. dockerd's VIPs and routing mesh need IPVS: where the kernel
# has none (no /proc/net/ip_vs), what fails and the daemon's own words for
# it are printed. The checks, each retried until it passes or for
# BENCH_PROBE_TIMEOUT seconds (every single probe under `timeout`):
#   - an overlay network created (`network create -d overlay`);
#   - an attachable overlay: containers on the manager (c1) and on a worker
#     (c2) ping each other by address and by name;
#   - a service of 3 replicas on that network on the two workers (busybox
#     httpd, port 18090 published in ingress mode): all running; from c1,
#     the service's name resolves to its VIP and tasks.<svc> to the 3 task
#     addresses; an HTTP request to the VIP answers (busybox nc: Debian's
#     static busybox wget crashes in these containers);
#   - the published port from the client namespace (curl), on a worker (it
#     has a task) and on the manager (it has none: the mesh forwards);
#   - a service of 2 replicas in dnsrr mode: running, its name resolves to
#     the 2 task addresses, and a request by name answers.
# Result: "ok", or "fail [n]" with what the probe said in note n; then the
# distinct error and warning lines the daemons logged about IPVS, load
# balancing or ingress (dockerd's own reason where IPVS is missing).
# Everything is removed at exit, also on failure: services and containers
# through the API, then the daemons by pid (bench/dockerd-nodes.sh,
# tests/cluster/lib.sh).
# Environment: BERTHD (default build/berthd), DOCKERD (/usr/sbin/dockerd),
# BENCH_PROBE_TIMEOUT (30 s), BENCH_SKIP_DOCKERD=1 (berthd only).
set -uo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BERTHD:=$REPO_ROOT/build/berthd}"
export BERTHD
[[ $(id -u) -eq 0 ]] || { echo "swarm network bench needs root: skipped"; exit 0; }
source "$REPO_ROOT/tests/cluster/lib.sh"
source "$REPO_ROOT/bench/dockerd-nodes.sh"
: "${BENCH_PROBE_TIMEOUT:=30}"

KINDS=(berthd)
declare -A PFX=([berthd]=n [dockerd]=d) START=([berthd]=cl_start [dockerd]=dc_start)
if [[ ${BENCH_SKIP_DOCKERD:-0} == 1 ]]; then
	DC_NOTE="skipped (BENCH_SKIP_DOCKERD=1)"
elif dc_available; then
	KINDS+=(dockerd)
fi
if [[ -e /proc/net/ip_vs ]]; then IPVS="IPVS present"; else IPVS="no IPVS (/proc/net/ip_vs absent)"; fi

# A busybox root filesystem, one symlink per applet (httpd, ping,
# nslookup, wget).
mkdir -p "$CL_TMP/bb/bin" "$CL_TMP/bb/etc"
cp /bin/busybox "$CL_TMP/bb/bin/"
for a in $(/bin/busybox --list); do [[ -e $CL_TMP/bb/bin/$a ]] || ln -s busybox "$CL_TMP/bb/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$CL_TMP/bb/etc/passwd"
tar --numeric-owner --owner=0 --group=0 -C "$CL_TMP/bb" -cf "$CL_TMP/bb.tar" .

setup() { # KIND: three nodes, a swarm, the image on each
	local p=${PFX[$1]} n i ip wt mip="IP_${PFX[$1]}1"
	for i in 1 2 3; do "${START[$1]}" "$p$i"; done
	dk "${p}1" swarm init --advertise-addr "${!mip}" >/dev/null || fail "$1: swarm init"
	wt=$(dk "${p}1" swarm join-token -q worker)
	for i in 2 3; do
		ip="IP_$p$i"
		dk "$p$i" swarm join --token "$wt" --advertise-addr "${!ip}" "${!mip}:2377" >/dev/null ||
			fail "$1: join $p$i"
	done
	for i in 1 2 3; do dk "$p$i" import "$CL_TMP/bb.tar" bb:net >/dev/null || fail "import on $p$i"; done
}

cl_switch
for i in 1 2 3 9; do cl_node "n$i" "$i"; done
if [[ " ${KINDS[*]} " == *" dockerd "* ]]; then
	dc_switch
	for i in 1 2 3 9; do dc_node "d$i" "$i"; done
fi
for k in "${KINDS[@]}"; do setup "$k"; done

# probe CMD...: retries CMD until it succeeds or BENCH_PROBE_TIMEOUT passes;
# OUT is its last output (stdout and stderr, one line).
probe() {
	local end=$((SECONDS + BENCH_PROBE_TIMEOUT))
	while :; do
		OUT=$("$@" 2>&1) && return 0
		((SECONDS < end)) || break
		sleep 0.5
	done
	OUT=$(tr '\n' ' ' <<<"$OUT" | sed 's/  */ /g; s/ $//' | cut -c1-100)
	[[ -n $OUT ]] || OUT="no output"
	return 1
}

declare -A RES
ORDER=()
NOTES=()
# check KIND LABEL CMD...: one row of the table.
check() {
	local k=$1 label=$2
	shift 2
	[[ " ${ORDER[*]} " == *" $label "* ]] || ORDER+=("$label")
	if probe "$@"; then
		RES[$k,$label]=ok
		return 0
	fi
	NOTES+=("$k, $label: $OUT")
	RES[$k,$label]="fail [${#NOTES[@]}]"
	return 1
}

M= # the manager of the swarm being checked; c1 runs there, c2 on node 2
in_c() { # CONTAINER CMD...
	local c=$1 node=$M
	shift
	[[ $c == c2 ]] && node=${M%1}2
	dk "$node" exec "$c" "$@"
}
pings() { in_c c1 ping -c1 -W2 "$2" && in_c c2 ping -c1 -W2 "$1"; } # C1-ADDR C2-ADDR, both ways
replicas() { [[ $(dk "$M" service ls --filter "name=$1" --format '{{.Replicas}}') == "$2" ]]; }
# resolves NAME N [ADDRESS]: c1's nslookup gives N addresses (ADDRESS among them)
resolves() {
	local out
	out=$(in_c c1 nslookup "$1" 2>&1 | awk '/^Name:/ { n = 1 } n && /^Address/ { print $NF }')
	[[ $(wc -w <<<"$out") == "$2" && ( -z ${3:-} || " $(echo $out) " == *" $3 "* ) ]] && return 0
	echo "nslookup $1: ${out:-no address}"
	return 1
}
http_c1() { # HOST: an HTTP request from c1 (busybox nc: its wget crashes here)
	local out
	out=$(in_c c1 sh -c "printf 'GET /hostname HTTP/1.0\r\n\r\n' | nc -w 3 $1 80" 2>&1)
	[[ $out == *"200 OK"* ]] && return 0
	echo "${out:-no answer}"
	return 1
}
http_ns() { ip netns exec "$1" curl -sS -f --max-time 3 -o /dev/null "http://$2:18090/hostname"; } # NETNS HOST

run_checks() { # KIND
	local k=$1 p=${PFX[$1]} ip1 ip2 vip
	local ipm="IP_${p}1" ipw="IP_${p}2" cns="${CL_PREFIX}-${p}9"
	M=${p}1
	check "$k" overlay_create dk "$M" network create -d overlay --subnet 10.232.21.0/24 bplain
	check "$k" attachable_create dk "$M" network create -d overlay --attachable --subnet 10.232.20.0/24 batt
	dk "$M" run -d --name c1 --network batt bb:net sleep 100000 >/dev/null
	dk "${p}2" run -d --name c2 --network batt bb:net sleep 100000 >/dev/null
	ip1=$(dk "$M" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' c1 2>/dev/null)
	ip2=$(dk "${p}2" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' c2 2>/dev/null)
	check "$k" containers_on_two_nodes test -n "$ip1" -a -n "$ip2"
	check "$k" ping_ip pings "${ip1:-none}" "${ip2:-none}"
	check "$k" ping_name pings c1 c2

	dk "$M" service create -d -q --no-resolve-image --name web --replicas 3 --network batt \
		--constraint node.role==worker --publish published=18090,target=80 --stop-grace-period 1s \
		bb:net httpd -f -p 80 -h /etc >/dev/null
	check "$k" service_running replicas web 3/3
	vip=$(dk "$M" service inspect --format '{{range .Endpoint.VirtualIPs}}{{.Addr}} {{end}}' web 2>/dev/null |
		tr ' ' '\n' | grep '^10\.232\.20\.' | cut -d/ -f1)
	check "$k" dns_vip resolves web 1 "${vip:-novip}"
	check "$k" dns_tasks resolves tasks.web 3
	check "$k" vip_connect http_c1 "${vip:-novip}"
	check "$k" ingress_task_node http_ns "$cns" "${!ipw}"
	check "$k" ingress_other_node http_ns "$cns" "${!ipm}"

	dk "$M" service create -d -q --no-resolve-image --name rr --replicas 2 --network batt --endpoint-mode dnsrr \
		--constraint node.role==worker --stop-grace-period 1s bb:net httpd -f -p 80 -h /etc >/dev/null
	check "$k" dnsrr_running replicas rr 2/2
	check "$k" dnsrr_dns resolves rr 2
	check "$k" dnsrr_connect http_c1 rr

	# Services, then containers, through the API (before the daemons stop).
	dk "$M" service rm web rr >/dev/null
	dk "$M" rm -f c1 >/dev/null
	dk "${p}2" rm -f c2 >/dev/null
}

for k in "${KINDS[@]}"; do run_checks "$k"; done

declare -A LABEL=(
	[overlay_create]="overlay network create"
	[attachable_create]="attachable overlay network create"
	[containers_on_two_nodes]="containers on it on two nodes"
	[ping_ip]="ping each other by address (both ways)"
	[ping_name]="ping each other by name (both ways)"
	[service_running]="service of 3 replicas running (on the workers)"
	[dns_vip]="DNS: service name -> its VIP"
	[dns_tasks]="DNS: tasks.<svc> -> the 3 task addresses"
	[vip_connect]="HTTP to the VIP from a container"
	[ingress_task_node]="published port on a node with a task"
	[ingress_other_node]="published port on a node without (mesh)"
	[dnsrr_running]="dnsrr service of 2 replicas running"
	[dnsrr_dns]="dnsrr: name -> the 2 task addresses"
	[dnsrr_connect]="dnsrr: HTTP by name from a container"
)
row() { printf '%-48s | %-10s | %s\n' "$@"; }
echo
echo "Berth swarm networking on 3 nodes  $(date -u +%FT%TZ)  $(uname -r), $IPVS, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "berthd: $BERTHD; dockerd: $DC_NOTE; each probe retried for up to ${BENCH_PROBE_TIMEOUT} s"
row check berthd dockerd
for l in "${ORDER[@]}"; do row "${LABEL[$l]:-$l}" "${RES[berthd,$l]:--}" "${RES[dockerd,$l]:--}"; done
for ((i = 0; i < ${#NOTES[@]}; i++)); do echo "[$((i + 1))] ${NOTES[$i]}"; done
# What the daemons logged about load balancing (distinct messages, with the
# number of times and the first node): dockerd's IPVS errors, if any.
for k in "${KINDS[@]}"; do
	p=${PFX[$k]}
	for i in 1 2 3; do
		grep -aiE 'level=(error|warning)' "$CL_TMP/$p$i/log" 2>/dev/null | grep -aiE 'ipvs|ip_vs|balanc|ingress' |
			grep -av 'kernel parameter' | sed "s/^time=\"[^\"]*\" /$p$i: /"
	done | awk '{ m = $0; sub(/^[^ ]* /, "", m); if (!(m in n)) { first[m] = $1; order[++k] = m } n[m]++ }
		END { for (i = 1; i <= k; i++) printf "%s log, %dx, first on %s %s\n", "'"$k"'", n[order[i]], first[order[i]], substr(order[i], 1, 200) }'
done
