#!/usr/bin/env bash
# TCP throughput over a swarm overlay against the same over the underlay
# (issue 10; berthd only, prints numbers, asserts nothing; target: the
# overlay within 20% of the underlay). One manager (n1) and one worker (n2)
# in network namespaces on a veth switch, set up and removed by
# tests/cluster/lib.sh, with the release berthd by default. An attachable
# overlay network, a container on each node. The same Python sender and
# receiver (the host's python3, run in the namespaces with nsenter, so the
# containers need nothing) send BENCH_MB megabytes over one connection:
#   underlay  from n1's namespace to n2's address (veths and the switch)
#   overlay   from the container on n1 to the one on n2 (bridge, vxlan
#             on the same veths, bridge)
# BENCH_ROUNDS rounds each, alternating; the best of each is compared.
# Environment: BERTHD (default build/berthd), BENCH_MB (default 1024),
# BENCH_ROUNDS (default 3).
set -uo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BERTHD:=$REPO_ROOT/build/berthd}"
export BERTHD
source "$REPO_ROOT/tests/cluster/lib.sh"
: "${BENCH_MB:=1024}" "${BENCH_ROUNDS:=3}"
[[ $(id -u) -eq 0 ]] || { echo "swarm overlay bench needs root: skipped"; exit 0; }

cl_switch
for i in 1 2; do cl_node "n$i" "$i"; done
for n in n1 n2; do cl_start "$n"; done
dk n1 swarm init --advertise-addr "$IP_n1" >/dev/null || fail "init"
dk n2 swarm join --token "$(dk n1 swarm join-token -q worker)" --advertise-addr "$IP_n2" "$IP_n1:2377" >/dev/null ||
	fail "join n2"
mkdir -p "$CL_TMP/bb/bin"
cp /bin/busybox "$CL_TMP/bb/bin/"
ln -sf busybox "$CL_TMP/bb/bin/sleep"
tar -C "$CL_TMP/bb" -cf "$CL_TMP/bb.tar" .
for n in n1 n2; do dk "$n" import "$CL_TMP/bb.tar" busybox:latest >/dev/null || fail "import"; done
dk n1 network create -d overlay --attachable --subnet 10.232.11.0/24 bov >/dev/null || fail "network"
for n in n1 n2; do
	dk "$n" run -d --name "c$n" --network bov busybox sleep 100000 >/dev/null || fail "container on $n"
done
PID1=$(dk n1 inspect --format '{{.State.Pid}}' cn1)
PID2=$(dk n2 inspect --format '{{.State.Pid}}' cn2)
IP2=$(dk n2 inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' cn2)

# receive PID PORT: accepts one connection, reads it to the end, prints MB/s
# from the first byte to the last.
RECV='
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(1)
c, _ = s.accept(); n = 0; buf = bytearray(1 << 20); t0 = None
while True:
    k = c.recv_into(buf)
    if not k: break
    if t0 is None: t0 = time.monotonic()
    n += k
print("%.0f" % (n / (time.monotonic() - t0) / 1e6))'
SEND='
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
b = bytes(1 << 20)
for _ in range(int(sys.argv[3])): c.sendall(b)
c.close()'

# run_once SENDER-PID RECEIVER-PID ADDRESS: MB/s of one transfer
run_once() {
	local out=$CL_TMP/recv.out port=$((5000 + RANDOM % 1000)) rp i
	nsenter -t "$2" -n python3 -c "$RECV" "$port" >"$out" &
	rp=$!
	for i in $(seq 50); do
		nsenter -t "$1" -n python3 -c "$SEND" "$3" "$port" "$BENCH_MB" 2>/dev/null && break
		sleep 0.1
	done
	wait "$rp"
	cat "$out"
}
N1PID=$(cat "$CL_TMP/n1/pid") N2PID=$(cat "$CL_TMP/n2/pid")
wait_for 60 dk n1 exec cn1 busybox ping -c1 -W1 "$IP2" || fail "cn1 cannot reach cn2 ($IP2) over the overlay"

best_u=0 best_o=0 all_u= all_o=
for r in $(seq "$BENCH_ROUNDS"); do
	u=$(run_once "$N1PID" "$N2PID" "$IP_n2")
	o=$(run_once "$PID1" "$PID2" "$IP2")
	all_u="$all_u $u" all_o="$all_o $o"
	((u > best_u)) && best_u=$u
	((o > best_o)) && best_o=$o
done
for n in n1 n2; do dk "$n" rm -f "c$n" >/dev/null; done

echo "Berth overlay throughput  $(date -u +%FT%TZ)  $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "berthd: $BERTHD; ${BENCH_MB} MB per transfer, one TCP connection, Python sender and receiver"
printf '%-10s | %10s | %s\n' path "best MB/s" "rounds"
printf '%-10s | %10s |%s\n' underlay "$best_u" "$all_u"
printf '%-10s | %10s |%s\n' overlay "$best_o" "$all_o"
awk -v u="$best_u" -v o="$best_o" 'BEGIN { printf "overlay / underlay: %.2f (target: at least 0.80)\n", u ? o / u : 0 }'
