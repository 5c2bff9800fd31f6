# Shared by the benchmarks that drive berthd and Debian's dockerd with the
# real docker CLI (containers.sh, services.sh). Source it from a script that
# runs `set -euo pipefail`, after setting BENCH_PREFIX (the temp directory's
# name). It sets ROOT, BERTHD, DOCKER, DOCKERD and TMP (removed at exit),
# and gives:
#   - start_berthd [--netns] [ARGS...] and start_dockerd [ARGS...]: a daemon
#     with its own data root, exec root, pidfile, socket and config file
#     (dockerd always, berthd with --netns, in network and mount namespaces
#     of their own, loopback only); each appends to NAMES and sets
#     HOST[name] and DIR[name]; DOCKER_NOTE says what became of dockerd;
#     with BERTHD_BEFORE=path, start_berthd also starts that berthd as
#     "before" (another build, its shim beside it, compared in the same
#     run: containers.sh, services.sh and exec.sh report it);
#     DOCKERD_WRAP (an array, may be empty) is a command dockerd is started
#     through, inside its namespaces (it ends with exec "$@"); DOCKERD_DRIVER
#     its storage driver (default overlay2); DOCKERD_NETWORK its networking
#     flags (default: no bridge, no iptables);
#   - make_rootfs: $TMP/rootfs.tar, a busybox root filesystem to import;
#   - timing (now_us, ms, secs, median, best), ratio, and daemon_cpu_ns NAME
#     (the CPU the daemon itself used, less sensitive to the machine's load).
# At exit, services then containers are removed through each daemon's API,
# the daemons stopped by pid and whatever mentions $TMP (shims, containerd)
# killed, mounts under $TMP unmounted.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BERTHD=${BERTHD:-$ROOT/build/berthd}
DOCKER=${DOCKER:-$(command -v docker || echo /usr/local/bin/docker)}
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}

note() { echo "bench: $*" >&2; }
die() {
	echo "bench: $*" >&2
	exit 1
}

[[ -x $BERTHD ]] || die "$BERTHD not found: run 'make all' first"
[[ -x $DOCKER ]] || die "docker CLI not found"
[[ $(id -u) == 0 ]] || die "containers need root"

TMP=$(mktemp -d "/tmp/${BENCH_PREFIX:-berthbench}.XXXXXX") # short: socket paths are limited
PIDS=()
HOSTS=()
NAMES=()
declare -A HOST DIR
DOCKER_NOTE=
DOCKERD_WRAP=()
DOCKERD_NETWORK=(--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false)
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
export DOCKER_CONFIG=$TMP/docker-config
mkdir -p "$DOCKER_CONFIG"

alive() {
	local stat
	IFS= read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# Processes whose command line mentions our temp dir: the daemons, their
# shims (berth-shim is detached from berthd), containerd and its shims.
ours() { ps -e -o pid=,args= | awk -v t="$TMP" 'index($0, t) && !/awk/ { print $1 }'; }

stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 200; i++)); do
		alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# Services first (their tasks would come back), then every container.
remove_all() { # HOST
	local ids
	ids=$("$DOCKER" -H "$1" service ls -q 2>/dev/null || true)
	[[ -z $ids ]] || "$DOCKER" -H "$1" service rm $ids >/dev/null 2>&1 || true
	ids=$("$DOCKER" -H "$1" ps -aq 2>/dev/null || true)
	[[ -z $ids ]] || "$DOCKER" -H "$1" rm -f $ids >/dev/null 2>&1 || true
}

bench_cleanup() {
	local rc=$? pid h
	trap - EXIT INT TERM
	for h in "${HOSTS[@]:-}"; do [[ -n $h ]] && remove_all "$h"; done
	for pid in "${PIDS[@]:-}"; do [[ -n $pid ]] && stop_pid "$pid"; done
	for pid in $(ours); do kill -KILL "$pid" 2>/dev/null || true; done
	sleep 0.5
	awk -v t="$TMP" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo 2>/dev/null | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$TMP"
	exit "$rc"
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_ping() { # SOCK PID
	local i
	for ((i = 0; i < 300; i++)); do
		alive "$2" || return 1
		curl -sf --max-time 2 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# in_netns CMD...: CMD in new network and mount namespaces, loopback up. With
# BENCH_RUN_DIR set, that directory is bound on /run there: dockerd and its
# shims write fixed paths under /run (docker/plugins, containerd/s), and none
# may reach the host's; it also hides a system containerd, so dockerd starts
# its own.
in_netns() {
	unshare --net --mount --propagation private sh -c \
		'ip link set lo up; [ -z "${BENCH_RUN_DIR:-}" ] || mount --bind "$BENCH_RUN_DIR" /run; exec "$@"' _ "$@"
}

# A busybox root filesystem (Debian's busybox-static), one symlink per applet.
make_rootfs() {
	local root=$TMP/rootfs a
	mkdir -p "$root"/{bin,etc,dev,proc,sys,root,tmp}
	cp /bin/busybox "$root/bin/busybox"
	for a in $(/bin/busybox --list); do [[ -e $root/bin/$a ]] || ln -s busybox "$root/bin/$a"; done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	echo 'root:x:0:' >"$root/etc/group"
	tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$TMP/rootfs.tar" .
}

# started NAME: records a daemon that answers on $TMP/NAME/sock.
started() {
	NAMES+=("$1")
	DIR[$1]=$TMP/$1
	HOST[$1]="unix://$TMP/$1/sock"
	HOSTS+=("unix://$TMP/$1/sock")
}

start_berthd() { # [--netns] [ARGS...]
	start_berthd_as berthd "$BERTHD" "$@"
	# A second berthd to compare with in the same run (e.g. the build
	# before a change): BERTHD_BEFORE=path/to/berthd, its shim beside it.
	if [[ -n ${BERTHD_BEFORE:-} ]]; then
		[[ -x $BERTHD_BEFORE ]] || die "$BERTHD_BEFORE not found"
		start_berthd_as before "$BERTHD_BEFORE" "$@"
	fi
}

start_berthd_as() { # NAME BINARY [--netns] [ARGS...]
	local name=$1 bin=$2 B=$TMP/$1 wrap=()
	shift 2
	[[ ${1:-} == --netns ]] && wrap=(in_netns) && shift
	mkdir -p "$B"
	echo '{}' >"$B/daemon.json"
	"${wrap[@]}" "$bin" --data-root "$B/data" --exec-root "$B/exec" --pidfile "$B/pid" \
		-H "unix://$B/sock" --config-file "$B/daemon.json" "$@" >"$B/log" 2>&1 </dev/null &
	PIDS+=("$!")
	wait_ping "$B/sock" "$!" || {
		tail -n 20 "$B/log" >&2
		die "$name did not start"
	}
	started "$name"
}

start_dockerd() { # [ARGS...]
	if [[ ${BENCH_SKIP_DOCKERD:-0} == 1 ]]; then
		DOCKER_NOTE="skipped (BENCH_SKIP_DOCKERD=1)"
		return
	fi
	if [[ ! -x $DOCKERD ]]; then
		DOCKER_NOTE="skipped: $DOCKERD not installed (apt-get install docker.io)"
		return
	fi
	local D=$TMP/dockerd
	mkdir -p "$D"
	echo "{\"deprecated-key-path\": \"$D/key.json\"}" >"$D/daemon.json"
	mkdir -p "$D/run"
	BENCH_RUN_DIR=$D/run in_netns "${DOCKERD_WRAP[@]}" "$DOCKERD" --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/pid" \
		-H "unix://$D/sock" --config-file "$D/daemon.json" --storage-driver "${DOCKERD_DRIVER:-overlay2}" \
		"${DOCKERD_NETWORK[@]}" "$@" >"$D/log" 2>&1 </dev/null &
	PIDS+=("$!")
	if wait_ping "$D/sock" "$!"; then
		started dockerd
		DOCKER_NOTE=$("$DOCKERD" --version 2>/dev/null | sed 's/^Docker version //')
	else
		tail -n 20 "$D/log" >&2
		DOCKER_NOTE="failed to start (log above)"
	fi
}

# CPU time (ns) the daemon NAME has used, summed over its threads: berthd
# alone; dockerd with the containerd it started (not the shims of either).
# A loaded machine stretches wall times several-fold, these hardly.
daemon_cpu_ns() { # NAME
	local pid pids
	pid=$(cat "${DIR[$1]}/pid" 2>/dev/null) || {
		echo 0
		return
	}
	pids="$pid $(ps -o pid= --ppid "$pid" -o comm= 2>/dev/null | awk '$2 == "containerd" { print $1 }')"
	for pid in $pids; do cat "/proc/$pid"/task/*/schedstat 2>/dev/null; done |
		awk '{ n += $1 } END { printf "%.0f\n", n }'
}

now_us() { echo "${EPOCHREALTIME/./}"; }
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
secs() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1e6 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best() { printf '%s\n' "$@" | awk '$1 != "-"' | sort -g | head -n1; } # "-": a failed run
ratio() { [[ -z $1 || -z $2 || $1 == - || $2 == - ]] && echo - || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
