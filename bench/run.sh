#!/usr/bin/env bash
# Berth benchmark: berthd next to Debian's dockerd, in the same run.
#
# For each daemon it measures
#   - start-up: time from exec to the first `GET /_ping` answered 200 over TCP,
#   - idle resident memory (VmRSS) after start and after the load runs
#     (dockerd counts together with its containerd child),
#   - /_ping requests per second with wrk, keep-alive and one connection per
#     request (`Connection: close`).
# It prints numbers and whether the issue's targets are met; it never fails on
# timing. It builds nothing: `make bench` builds build/berthd first.
#
# Each daemon runs in a network namespace of its own (loopback only) with its
# own data root, exec root, pidfile, sockets and config file, and wrk runs in
# that namespace. As root that is `ip netns add berthbench-<pid>-<name>`,
# entered with nsenter, plus a private mount namespace for the daemon; as
# another user berthd runs in the current namespaces and dockerd is skipped.
# dockerd gets --bridge=none --iptables=false --ip-forward=false, the vfs
# storage driver and its trust key in its own directory: it touches nothing
# on the host. Daemons are stopped by pid (with containerd), also on failure.
#
# Both daemons run side by side and the wrk runs alternate between them, so
# load from elsewhere on the machine hits both alike; the best of the rounds
# counts, and every round's figure is printed.
#
# Environment: BERTHD, DOCKERD (binaries), BENCH_DURATION (seconds per wrk
# run, default 6), BENCH_ROUNDS (2), BENCH_THREADS (2), BENCH_CONNECTIONS (32),
# BENCH_PIN=1 (daemons on CPU 0, wrk on the others),
# BENCH_SKIP_DOCKERD=1, BENCH_INSTALL_DOCKER=0 (do not apt-get docker.io).
set -euo pipefail

# ---- inner mode: runs inside the daemon's namespaces, started by start() ----
# Execs the daemon, then polls /_ping over TCP until it answers 200 and writes
# the elapsed microseconds. Pure bash (no fork per probe), 1 ms between tries.
if [[ ${1:-} == __launch ]]; then
	out=$2 port=$3
	shift 3
	# In our private mount namespace (as root), a /run of its own: dockerd
	# and its shims write fixed paths there (docker/plugins, containerd/s)
	# that must not reach the host's, and a system containerd is hidden so
	# dockerd starts its own child, as on a host without one.
	if [[ $(basename "$1") == dockerd ]]; then
		mkdir -p "$out/run"
		mount --bind "$out/run" /run
	fi
	probe() {
		local line=
		{ exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
		printf 'GET /_ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3 2>/dev/null &&
			IFS= read -r -t 5 line <&3 2>/dev/null || true
		exec 3>&-
		[[ $line == HTTP/1.?' 200'* ]]
	}
	t0=${EPOCHREALTIME/./}
	"$@" >"$out/log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$out/pid"
	mkfifo "$out/tick" # never written: read -t on it sleeps without a fork
	exec 9<>"$out/tick"
	SECONDS=0
	until probe; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "exited before answering" >"$out/startup_error"
			exit 1
		fi
		if ((SECONDS > 60)); then
			echo "no answer on /_ping within 60 s" >"$out/startup_error"
			exit 1
		fi
		read -r -t 0.001 -u 9 || true
	done
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0)) >"$out/startup_us"
	exit 0
fi

cd "$(dirname "$0")/.."
SELF=$PWD/bench/run.sh
BERTHD=${BERTHD:-$PWD/build/berthd}
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
DURATION=${BENCH_DURATION:-6}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
# BENCH_PIN=1: daemons on CPU 0, wrk on the other CPUs, so the load generator
# does not take the daemon's CPU (dockerd then gets one CPU, as berthd uses).
PIN=0 DAEMON_CPUS=0 WRK_CPUS=
if [[ ${BENCH_PIN:-0} == 1 ]] && (($(nproc) >= 2)) && command -v taskset >/dev/null; then
	PIN=1
	WRK_CPUS=1-$(($(nproc) - 1))
	[[ $WRK_CPUS == 1-1 ]] && WRK_CPUS=1
fi

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

[[ -x $BERTHD ]] || die "$BERTHD not found: run 'make all' (or 'make bench') first"
command -v wrk >/dev/null || die "wrk not found: apt-get install wrk"

AS_ROOT=0
if [[ $(id -u) == 0 ]] && command -v ip >/dev/null; then
	AS_ROOT=1
fi

TMP=$(mktemp -d /tmp/berthbench.XXXXXX) # short: unix socket paths are limited
mkfifo "$TMP/tick" # never written: read -t on it sleeps without a fork
exec 8<>"$TMP/tick"
nap() { read -r -t "$1" -u 8 || true; }
NAMESPACES=()
DAEMON_PIDS=()

# Every pid below pid (children, grandchildren...), from ps's pid/ppid table.
descendants() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END {
			n = 1; want[root] = 1; changed = 1
			while (changed) {
				changed = 0
				for (p in parent)
					if (!(p in want) && (parent[p] in want)) { want[p] = 1; changed = 1 }
			}
			for (p in want) if (p != root) print p
		}'
}

# True while pid runs. A zombie counts as gone: the daemons are reparented
# when their launcher exits, and some inits reap late.
alive() {
	local stat
	IFS= read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# Stops pid and what it spawned: SIGTERM, up to 20 s, then SIGKILL. Prints the
# milliseconds the daemon took to exit after SIGTERM.
stop_tree() {
	local pid=$1 kids p start
	kids=$(descendants "$pid")
	start=${EPOCHREALTIME/./}
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 20000); do
		alive "$pid" || break
		nap 0.001
	done
	local took=$(((${EPOCHREALTIME/./} - start) / 1000))
	if alive "$pid"; then
		note "pid $pid ignored SIGTERM for 20 s: killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	for p in $kids; do
		for _ in $(seq 5000); do
			alive "$p" || break
			nap 0.001
		done
		if alive "$p"; then
			note "child pid $p still running: killing it"
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	echo "$took"
}

cleanup() {
	local rc=$? pid ns
	trap - EXIT INT TERM
	for pid in "${DAEMON_PIDS[@]}"; do
		alive "$pid" && stop_tree "$pid" >/dev/null
	done
	for ns in "${NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Sum of VmRSS (kB) over pid and its descendants.
rss_tree_kb() {
	local total=0 p kb
	for p in "$1" $(descendants "$1"); do
		kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
		total=$((total + ${kb:-0}))
	done
	echo "$total"
}

# Runs a command in the daemon's namespace (or here, without root).
in_ns() {
	local ns=$1
	shift
	if [[ -n $ns ]]; then
		nsenter --net="/run/netns/$ns" -- "$@"
	else
		"$@"
	fi
}

free_port() {
	local p
	for p in $(seq 23750 23850); do
		[[ -z $(ss -Hltn "sport = :$p" 2>/dev/null) ]] && { echo "$p"; return; }
	done
	die "no free TCP port in 23750-23850"
}

# wrk run: prints "rps avg_latency p99_latency errors".
run_wrk() {
	local ns=$1 port=$2 secs=$3 out
	shift 3
	local pin=()
	((PIN)) && pin=(taskset -c "$WRK_CPUS")
	out=$(in_ns "$ns" "${pin[@]}" wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --latency "$@" \
		"http://127.0.0.1:$port/_ping" 2>&1) || true
	echo "$out" >>"$TMP/wrk.log"
	awk '
		/^ +Latency / && !lat { lat = $2 }
		/^ +99% / { p99 = $2 }
		/^Requests\/sec:/ { rps = $2 }
		/Socket errors:/ { gsub(/[^0-9 ]/, ""); for (i = 1; i <= NF; i++) err += $i }
		/Non-2xx or 3xx responses:/ { err += $NF }
		END { printf "%s %s %s %d\n", rps ? rps : "n/a", lat ? lat : "n/a", p99 ? p99 : "n/a", err }
	' <<<"$out"
}

# start NAME PORT CMD...: starts a daemon (CMD must listen on
# tcp://127.0.0.1:PORT) in its own namespaces and records in $TMP/NAME: ns,
# port, pid, startup_us. Fails when it does not answer /_ping.
start() {
	local name=$1 port=$2
	shift 2
	local dir=$TMP/$name ns=
	mkdir -p "$dir"
	if ((AS_ROOT)); then
		ns=berthbench-$$-$name
		ip netns add "$ns"
		NAMESPACES+=("$ns")
		ip -n "$ns" link set lo up
	fi
	echo "$ns" >"$dir/ns"
	echo "$port" >"$dir/port"
	note "$name: starting"
	# A private mount namespace: what dockerd mounts stays with it. (Not `ip
	# netns exec`: it remounts /sys, which hides the cgroup v1 mounts.)
	local private=()
	((AS_ROOT)) && private=(unshare --mount --propagation private --)
	((PIN)) && private+=(taskset -c "$DAEMON_CPUS")
	if ! in_ns "$ns" "${private[@]}" bash "$SELF" __launch "$dir" "$port" "$@"; then
		[[ -s $dir/pid ]] && DAEMON_PIDS+=("$(cat "$dir/pid")")
		note "$name: $(cat "$dir/startup_error" 2>/dev/null || echo "failed to start"); its log:"
		tail -n 20 "$dir/log" >&2 || true
		return 1
	fi
	DAEMON_PIDS+=("$(cat "$dir/pid")")
	RUNNING+=("$name")
	put "$name" startup_ms "$(awk -v u="$(cat "$dir/startup_us")" 'BEGIN { printf "%.1f", u / 1000 }')"
	note "$name: answering /_ping after $(get "$name" startup_ms) ms"
}

put() { echo "$2=$3" >>"$TMP/$1/result"; } # put NAME KEY VALUE
get() { # get NAME KEY: the last value, or "-"
	local f=$TMP/$1/result
	[[ -f $f ]] || { echo "-"; return; }
	awk -F= -v k="$2" '$1 == k { v = substr($0, length(k) + 2) } END { print v == "" ? "-" : v }' "$f"
}

# wrk_round NAME VARIANT [wrk args]: one measured run; keeps the best req/s.
wrk_round() {
	local name=$1 variant=$2 rps lat p99 err
	shift 2
	read -r rps lat p99 err <<<"$(run_wrk "$(cat "$TMP/$name/ns")" "$(cat "$TMP/$name/port")" "$DURATION" "$@")"
	note "$name: $variant: $rps req/s (avg $lat, p99 $p99, $err errors)"
	put "$name" "${variant}_all" "$(get "$name" "${variant}_all" | sed 's/^-$//')${rps} "
	local best
	best=$(get "$name" "${variant}_rps")
	if [[ $best == - ]] || awk -v a="$rps" -v b="$best" 'BEGIN { exit !(a + 0 > b + 0) }'; then
		put "$name" "${variant}_rps" "$rps"
		put "$name" "${variant}_lat" "$lat / $p99"
		put "$name" "${variant}_err" "$err"
	fi
}

RUNNING=()
ROUNDS=${BENCH_ROUNDS:-2}

# ---- berthd ----
PORT=2375
((AS_ROOT)) || PORT=$(free_port)
mkdir -p "$TMP/berthd"
echo '{}' >"$TMP/berthd/daemon.json"
start berthd "$PORT" "$BERTHD" \
	-H "unix://$TMP/berthd/berth.sock" -H "tcp://127.0.0.1:$PORT" \
	--data-root "$TMP/berthd/data" --exec-root "$TMP/berthd/exec" \
	--pidfile "$TMP/berthd/berthd.pid" --config-file "$TMP/berthd/daemon.json" ||
	die "berthd did not start"

# ---- dockerd ----
DOCKER_NOTE=
if [[ ${BENCH_SKIP_DOCKERD:-0} == 1 ]]; then
	DOCKER_NOTE="dockerd skipped (BENCH_SKIP_DOCKERD=1)"
elif ((!AS_ROOT)); then
	DOCKER_NOTE="dockerd skipped: it needs root (and its own network namespace)"
else
	if [[ ! -x $DOCKERD && ${BENCH_INSTALL_DOCKER:-1} == 1 ]] && command -v apt-get >/dev/null; then
		note "installing docker.io (set BENCH_INSTALL_DOCKER=0 to skip)"
		# RUNLEVEL=1: the package's service is not started.
		DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -q docker.io >&2 ||
			note "apt-get install docker.io failed"
	fi
	if [[ ! -x $DOCKERD ]]; then
		DOCKER_NOTE="dockerd skipped: $DOCKERD not installed (apt-get install docker.io)"
	else
		D=$TMP/dockerd
		mkdir -p "$D"
		# dockerd 20.10 writes a trust key to /etc/docker/key.json unless told
		# otherwise; that key has no flag, only this daemon.json setting.
		echo "{\"deprecated-key-path\": \"$D/key.json\"}" >"$D/daemon.json"
		start dockerd 2375 "$DOCKERD" \
			-H "unix://$D/docker.sock" -H "tcp://127.0.0.1:2375" \
			--data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/docker.pid" \
			--config-file "$D/daemon.json" \
			--bridge=none --iptables=false --ip6tables=false --ip-forward=false \
			--ip-masq=false --storage-driver=vfs ||
			DOCKER_NOTE="dockerd failed to start (see above)"
		DOCKER_VERSION=$("$DOCKERD" --version 2>/dev/null | sed 's/^Docker version //')
	fi
fi

# ---- measure: both daemons run; wrk runs alternate between them, so load
# from elsewhere on the machine hits both alike; the best round counts. ----
sleep 2
for name in "${RUNNING[@]}"; do
	put "$name" rss0_kb "$(rss_tree_kb "$(cat "$TMP/$name/pid")")"
	note "$name: idle RSS $(($(get "$name" rss0_kb) / 1024)) MB; warming up"
	run_wrk "$(cat "$TMP/$name/ns")" "$(cat "$TMP/$name/port")" 2 >/dev/null
done
for ((round = 1; round <= ROUNDS; round++)); do
	for name in "${RUNNING[@]}"; do
		wrk_round "$name" ka
	done
	for name in "${RUNNING[@]}"; do
		wrk_round "$name" close -H "Connection: close"
	done
done
sleep 1
for name in "${RUNNING[@]}"; do
	pid=$(cat "$TMP/$name/pid")
	put "$name" rss1_kb "$(rss_tree_kb "$pid")"
	put "$name" procs "$(($(descendants "$pid" | wc -l) + 1))"
	put "$name" stop_ms "$(stop_tree "$pid")"
	note "$name: stopped"
done

# ---- report ----
mb() { [[ $1 == - ]] && echo - || awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
ratio() { # ratio A B: A/B
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || a == "n/a" || b == "n/a" || b + 0 == 0) print "-"
		else printf "%.2fx", a / b }'
}
row() { printf '%-34s | %18s | %18s | %8s\n' "$@"; }
b() { get berthd "$1"; }
d() { get dockerd "$1"; }

echo
echo "Berth benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "berthd:  $BERTHD ($("$BERTHD" --version 2>/dev/null || echo '?'))"
echo "dockerd: ${DOCKER_VERSION:+$DOCKERD ($DOCKER_VERSION, with its containerd) }${DOCKER_NOTE}"
echo "wrk -t$THREADS -c$CONNS -d${DURATION}s http://127.0.0.1:PORT/_ping, best of $ROUNDS alternating rounds; each daemon in its own netns"
((PIN)) && echo "pinned: daemons on CPU $DAEMON_CPUS, wrk on CPUs $WRK_CPUS (BENCH_PIN=1)"
echo
row "metric" "berthd" "dockerd" "ratio"
row "----------------------------------" "------------------" "------------------" "--------"
row "start-up: exec to /_ping 200 (ms)" "$(b startup_ms)" "$(d startup_ms)" "$(ratio "$(b startup_ms)" "$(d startup_ms)")"
row "idle RSS after start" "$(mb "$(b rss0_kb)")" "$(mb "$(d rss0_kb)")" "$(ratio "$(b rss0_kb)" "$(d rss0_kb)")"
row "idle RSS after load" "$(mb "$(b rss1_kb)")" "$(mb "$(d rss1_kb)")" "$(ratio "$(b rss1_kb)" "$(d rss1_kb)")"
row "processes counted" "$(b procs)" "$(d procs)" ""
row "/_ping req/s, keep-alive" "$(b ka_rps)" "$(d ka_rps)" "$(ratio "$(b ka_rps)" "$(d ka_rps)")"
row "  latency avg / p99" "$(b ka_lat)" "$(d ka_lat)" ""
row "  errors" "$(b ka_err)" "$(d ka_err)" ""
row "/_ping req/s, Connection: close" "$(b close_rps)" "$(d close_rps)" "$(ratio "$(b close_rps)" "$(d close_rps)")"
row "  latency avg / p99" "$(b close_lat)" "$(d close_lat)" ""
row "  errors" "$(b close_err)" "$(d close_err)" ""
row "shutdown after SIGTERM (ms)" "$(b stop_ms)" "$(d stop_ms)" "$(ratio "$(b stop_ms)" "$(d stop_ms)")"
echo "ratio = berthd / dockerd"
echo "req/s of every round: berthd  keep-alive $(b ka_all)  close $(b close_all)"
[[ $(d ka_all) == - ]] || echo "                      dockerd keep-alive $(d ka_all)  close $(d close_all)"
echo

# Targets from issue 2, reported, not asserted.
verdict() { [[ $1 == 1 ]] && echo "met" || echo "NOT met"; }
echo "targets (issue 2):"
rss_max=$(b rss0_kb)
[[ $(b rss1_kb) != - && $(b rss1_kb) -gt $rss_max ]] && rss_max=$(b rss1_kb)
printf '  %-48s %s (%s)\n' "berthd idle RSS under 8 MB:" \
	"$(verdict "$(awk -v k="$rss_max" 'BEGIN { print (k < 8192) }')")" "$(mb "$rss_max") at most"
ka_ratio=$(ratio "$(b ka_rps)" "$(d ka_rps)")
if [[ $ka_ratio == - ]]; then
	printf '  %-48s %s\n' "/_ping throughput at least 3x dockerd's:" "not measured (no dockerd)"
else
	printf '  %-48s %s (%s keep-alive, %s Connection: close)\n' \
		"/_ping throughput at least 3x dockerd's:" \
		"$(verdict "$(awk -v r="${ka_ratio%x}" 'BEGIN { print (r >= 3) }')")" \
		"$ka_ratio" "$(ratio "$(b close_rps)" "$(d close_rps)")"
fi
