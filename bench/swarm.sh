#!/usr/bin/env bash
# Swarm benchmark (prints numbers, asserts nothing): on a cluster of
# network namespaces like tests/cluster (lib.sh does the set-up and removes
# everything on exit), with the release berthd by default:
#   - join time of a manager and of a worker (`docker swarm join` wall time),
#   - store write throughput through Raft with 3 managers: node updates
#     (POST /nodes/{id}/update) from concurrent clients on the leader,
#   - fail-over: time from kill -9 of the leader until a write commits on
#     another manager, over BENCH_ROUNDS rounds (target: under 2 s).
# Environment: BERTHD (default build/berthd), BENCH_ROUNDS (3),
# BENCH_SECONDS (5, throughput run), BENCH_CLIENTS (16).
set -uo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BERTHD:=$REPO_ROOT/build/berthd}"
export BERTHD
source "$REPO_ROOT/tests/cluster/lib.sh"
: "${BENCH_ROUNDS:=3}" "${BENCH_SECONDS:=5}" "${BENCH_CLIENTS:=16}"
[[ $(id -u) -eq 0 ]] || { echo "swarm bench needs root: skipped"; exit 0; }

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

cl_switch
for i in 1 2 3 4; do cl_node "n$i" "$i"; done
for n in n1 n2 n3 n4; do cl_start "$n"; done
dk n1 swarm init --advertise-addr "$IP_n1" >/dev/null || fail "init"
MT=$(dk n1 swarm join-token -q manager)
WT=$(dk n1 swarm join-token -q worker)
for n in n2 n3; do
	ip="IP_$n"
	t0=$(date +%s%N)
	dk "$n" swarm join --token "$MT" --advertise-addr "${!ip}" "$IP_n1:2377" >/dev/null || fail "join $n"
	echo "join time, manager $n: $(ms_since "$t0") ms"
done
t0=$(date +%s%N)
dk n4 swarm join --token "$WT" --advertise-addr "$IP_n4" "$IP_n1:2377" >/dev/null || fail "join n4"
echo "join time, worker n4: $(ms_since "$t0") ms"

W=$(dk n1 node inspect n4 --format '{{.ID}}')
python3 - "$CL_TMP/n1/d.sock" "$W" "$BENCH_SECONDS" "$BENCH_CLIENTS" <<'PY'
import http.client, json, socket, sys, threading, time
sock, node, secs, clients = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(sock)
done, errors, lat = [0], [0], []
lock = threading.Lock()
end = time.time() + secs
def run(k):
    c = C("x")
    i = 0
    while time.time() < end:
        body = json.dumps({"Role": "worker", "Availability": "active",
                           "Labels": {"bench": "%d-%d" % (k, i)}})
        t = time.time()
        c.request("POST", "/v1.41/nodes/%s/update" % node, body,
                  {"Content-Type": "application/json"})
        r = c.getresponse(); r.read()
        with lock:
            if r.status == 200: done[0] += 1; lat.append(time.time() - t)
            else: errors[0] += 1
        i += 1
ts = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
[t.start() for t in ts]; [t.join() for t in ts]
lat.sort()
med = lat[len(lat)//2]*1000 if lat else 0
print("store writes through raft (3 managers, %d clients): %.0f entries/s, median %.1f ms, %d errors"
      % (clients, done[0]/secs, med, errors[0]))
PY

for r in $(seq "$BENCH_ROUNDS"); do
	leader=""
	for n in n1 n2 n3; do
		[[ -n "${CL_PID[$n]}" ]] && leader=$(leader_of "$n" 2>/dev/null) && [[ -n "$leader" ]] && break
	done
	[[ -n "$leader" ]] || fail "no leader"
	for other in n1 n2 n3; do [[ $other != "$leader" ]] && break; done
	t0=$(date +%s%N)
	cl_kill "$leader"
	until dk "$other" node update --label-add round="$r" n4 >/dev/null 2>&1; do
		(( $(ms_since "$t0") > 30000 )) && fail "no write 30 s after killing the leader"
		sleep 0.02
	done
	echo "fail-over round $r: first write committed $(ms_since "$t0") ms after kill -9 of the leader ($leader)"
	cl_start "$leader"
	sleep 2
done
