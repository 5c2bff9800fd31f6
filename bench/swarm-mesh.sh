#!/usr/bin/env bash
# New connections per second through the routing mesh (issue 10; berthd
# only, prints numbers, asserts nothing). One manager (n1, runs no task)
# and one worker (n2) in network namespaces, set up and removed by
# tests/cluster/lib.sh, with the release berthd by default; a client in a
# namespace of its own (n3, no berthd) on the same switch. A service of one
# busybox httpd task on n2 publishes port 18090 in ingress mode and 18091
# in host mode. A Python client opens one TCP connection per request
# (HTTP/1.0 GET, read to the end) for BENCH_SECONDS and counts them:
#   direct     from n2's namespace to the task's own address, port 80
#   host-mode  from n3 to n2:18091 (the engine's DNAT on the task's node)
#   mesh-local from n3 to n2:18090 (the mesh, task on the receiving node)
#   mesh-remote from n3 to n1:18090 (the mesh on a node without the task:
#              DNAT there, over the ingress overlay, replies routed back)
# Environment: BERTHD (default build/berthd), BENCH_SECONDS (default 5).
set -uo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BERTHD:=$REPO_ROOT/build/berthd}"
export BERTHD
source "$REPO_ROOT/tests/cluster/lib.sh"
: "${BENCH_SECONDS:=5}"
[[ $(id -u) -eq 0 ]] || { echo "swarm mesh bench needs root: skipped"; exit 0; }

cl_switch
for i in 1 2 3; do cl_node "n$i" "$i"; done
for n in n1 n2; do cl_start "$n"; done
dk n1 swarm init --advertise-addr "$IP_n1" --availability drain >/dev/null || fail "init"
dk n2 swarm join --token "$(dk n1 swarm join-token -q worker)" --advertise-addr "$IP_n2" "$IP_n1:2377" >/dev/null ||
	fail "join n2"
mkdir -p "$CL_TMP/bb/bin"
cp /bin/busybox "$CL_TMP/bb/bin/"
for a in sh sleep; do ln -sf busybox "$CL_TMP/bb/bin/$a"; done
tar -C "$CL_TMP/bb" -cf "$CL_TMP/bb.tar" .
for n in n1 n2; do dk "$n" import "$CL_TMP/bb.tar" busybox:latest >/dev/null || fail "import"; done
dk n1 service create -d --name bm --replicas 1 --publish published=18090,target=80 \
	--publish mode=host,published=18091,target=80 --stop-grace-period 1s \
	busybox busybox httpd -f -p 80 -h /etc >/dev/null 2>&1 || fail "service"

answers() { ip netns exec "${CL_PREFIX}-$1" curl -sf --max-time 3 "http://$2/hostname" >/dev/null; }
wait_for 120 answers n3 "$IP_n1:18090" || fail "no answer through the mesh on n1"
wait_for 60 answers n3 "$IP_n2:18091" || fail "no answer on the host-mode port"
C=$(dk n2 ps -q --filter label=com.docker.swarm.service.name=bm | head -1)
TASK_IP=$(dk n2 inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$C")

# rate NODE HOST PORT: connections per second from NODE's namespace.
rate() {
	ip netns exec "${CL_PREFIX}-$1" python3 - "$2" "$3" "$BENCH_SECONDS" <<'PY'
import socket, sys, time
host, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
n, end = 0, time.monotonic() + secs
start = time.monotonic()
while time.monotonic() < end:
    s = socket.create_connection((host, port), timeout=3)
    s.sendall(b"GET /hostname HTTP/1.0\r\n\r\n")
    while s.recv(4096):
        pass
    s.close()
    n += 1
print("%.0f" % (n / (time.monotonic() - start)))
PY
}

printf '%-12s %-22s %s\n' path target conn_per_s
printf '%-12s %-22s %s\n' direct "$TASK_IP:80" "$(rate n2 "$TASK_IP" 80)"
printf '%-12s %-22s %s\n' host-mode "$IP_n2:18091" "$(rate n3 "$IP_n2" 18091)"
printf '%-12s %-22s %s\n' mesh-local "$IP_n2:18090" "$(rate n3 "$IP_n2" 18090)"
printf '%-12s %-22s %s\n' mesh-remote "$IP_n1:18090" "$(rate n3 "$IP_n1" 18090)"
dk n1 service rm bm >/dev/null
