# Multi-node swarm tests on one machine: every node is a network namespace
# with its own address on a test switch (a bridge inside a namespace of its
# own, so the host's interfaces, routes and firewall stay untouched) and its
# own berthd, started as docs/notes say: nsenter into the netns, then a
# private mount and UTS namespace (own hostname, the host's /sys kept).
# Addresses come from 198.18.0.0/24; node namespaces have no default route.
# Everything made here is removed by pid and by name on exit, also on failure.

CL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CL_DIR/../.." && pwd)
: "${BERTHD:=$REPO_ROOT/build/san/berthd}"
: "${DOCKER:=$(command -v docker || echo /usr/bin/docker)}"
: "${BERTH:=$REPO_ROOT/build/san/berth}"
unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_CONTEXT DOCKER_API_VERSION

CL_PREFIX="bsw$$"
CL_SW="${CL_PREFIX}-sw"
CL_TMP=$(mktemp -d /var/tmp/berth-cluster.XXXXXX)
declare -A CL_PID
CL_NODES=()
SANITIZER_RE='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer'

log() { printf '    %s\n' "$*" >&2; }
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# Containers outlive berthd: services go first, then every container (tasks
# and the ones tests run),
# also on a node whose berthd a test killed (it is started again for that).
cl_remove_tasks() {
	local n m ids
	for m in n1 n2 n3; do
		[[ -n "${CL_PID[$m]:-}" ]] && dk "$m" service rm $(dk "$m" service ls -q 2>/dev/null) >/dev/null 2>&1 && break
	done
	for n in "${CL_NODES[@]}"; do
		[[ -n "$(ls "$CL_TMP/$n/root/containers" 2>/dev/null)" ]] || continue
		[[ -n "${CL_PID[$n]:-}" ]] || (cl_start "$n") >/dev/null 2>&1 || continue
		[[ -n "${CL_PID[$n]:-}" ]] || CL_PID[$n]=$(cat "$CL_TMP/$n/pid" 2>/dev/null)
		ids=$(dk "$n" ps -aq 2>/dev/null)
		[[ -z "$ids" ]] || dk "$n" rm -f $ids >/dev/null 2>&1
	done
}

# Background processes a stage started (a registry), killed by pid at exit.
CL_BG=()

cl_cleanup() {
	local rc=$?
	cl_remove_tasks
	for p in "${CL_BG[@]}"; do
		{ kill "$p"; wait "$p"; } 2>/dev/null
	done
	for n in "${!CL_PID[@]}"; do
		local p=${CL_PID[$n]}
		[[ -n "$p" ]] && { kill -9 "$p"; wait "$p"; } 2>/dev/null
	done
	# Shims of tasks no daemon answered for (an election storm): found by
	# their bundle under this run's directory, killed by pid with their
	# container's init (which takes its pid namespace along).
	for p in $(pgrep -f -- "--bundle $CL_TMP/"); do
		pkill -9 -P "$p"
		kill -9 "$p"
	done 2>/dev/null
	sleep 0.3
	for n in "${CL_NODES[@]}"; do
		ip netns del "${CL_PREFIX}-$n" 2>/dev/null
	done
	ip netns del "$CL_SW" 2>/dev/null
	if [[ $rc -ne 0 ]]; then
		for n in "${CL_NODES[@]}"; do
			[[ -f "$CL_TMP/$n/log" ]] && { echo "--- log of $n (tail)"; tail -25 "$CL_TMP/$n/log"; }
		done >&2
	fi
	[[ -n ${CL_KEEP_LOGS:-} ]] && { mkdir -p "$CL_KEEP_LOGS"; for n in "${CL_NODES[@]}"; do cp "$CL_TMP/$n/log" "$CL_KEEP_LOGS/$n.log" 2>/dev/null; done; }
	rm -rf "$CL_TMP"
	exit $rc
}
trap cl_cleanup EXIT
trap 'exit 130' INT TERM

cl_switch() {
	ip netns add "$CL_SW"
	ip -n "$CL_SW" link add br0 type bridge
	ip -n "$CL_SW" link set br0 up
}

# cl_node NAME INDEX: a namespace with eth0 = 198.18.0.INDEX/24 on the switch,
# and 198.19.0.INDEX/24 beside it for VXLAN (--data-path-addr).
cl_node() {
	local n=$1 i=$2 ns="${CL_PREFIX}-$1"
	CL_NODES+=("$n")
	ip netns add "$ns"
	ip -n "$CL_SW" link add "v$i" type veth peer name eth0 netns "$ns"
	ip -n "$CL_SW" link set "v$i" master br0 up
	ip -n "$ns" addr add "198.18.0.$i/24" dev eth0
	ip -n "$ns" addr add "198.19.0.$i/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	mkdir -p "$CL_TMP/$n"
	eval "IP_$n=198.18.0.$i DATA_IP_$n=198.19.0.$i"
}

# cl_start NAME: starts (or restarts) the node's berthd and waits for its API.
cl_start() {
	local n=$1 d="$CL_TMP/$1"
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		nsenter --net="/run/netns/${CL_PREFIX}-$n" -- unshare --mount --uts --propagation private -- \
		sh -c "echo $n >/proc/sys/kernel/hostname && exec $BERTHD --data-root $d/root --exec-root $d/exec -H unix://$d/d.sock --pidfile $d/pid --storage-driver vfs --insecure-registry 198.18.0.0/24" \
		>>"$d/log" 2>&1 &
	CL_PID[$n]=$!
	local i
	for i in $(seq 100); do
		[[ -S "$d/d.sock" ]] && dk "$n" version >/dev/null 2>&1 && return 0
		kill -0 "${CL_PID[$n]}" 2>/dev/null || fail "berthd of $n died at start"
		sleep 0.1
	done
	fail "berthd of $n did not come up"
}

cl_kill() {
	local n=$1
	{ kill -9 "${CL_PID[$n]}"; wait "${CL_PID[$n]}"; } 2>/dev/null
	CL_PID[$n]=""
	rm -f "$CL_TMP/$n/d.sock"
}

# dk NAME ARGS...: the real docker CLI against the node.
# An answer that the swarm has no leader is asked again for up to 10 s: an
# election on a loaded machine is not what a test is about. Not when stdin
# is a pipe (it was read), nor with DK_LEADERLESS_OK=1 (the answer is).
dk() {
	local n=$1 rc errf deadline=$((SECONDS + 10))
	shift
	errf=$(mktemp "$CL_TMP/dk.XXXXXX") || return 1
	while :; do
		timeout -k 2 30 "$DOCKER" -H "unix://$CL_TMP/$n/d.sock" "$@" 2>"$errf"
		rc=$?
		((rc != 0)) && [[ -z ${DK_LEADERLESS_OK:-} && ! -p /dev/stdin ]] && ((SECONDS < deadline)) &&
			grep -q "does not have a leader" "$errf" || break
		sleep 0.5
	done
	cat "$errf" >&2
	rm -f "$errf"
	return "$rc"
}

# bt NAME ARGS...: our own CLI against the node.
bt() {
	local n=$1
	shift
	timeout -k 2 30 "$BERTH" -H "unix://$CL_TMP/$n/d.sock" "$@"
}

# has ARGS...: grep -q that reads all its input. grep -q quits at the first
# match, and under pipefail the writer's SIGPIPE then fails the pipeline.
has() { grep "$@" >/dev/null; }
export -f has

# wait_for SECONDS CMD...: retries until CMD succeeds, for SECONDS however
# long each try takes.
wait_for() {
	# A deadline only catches a hang (every caller fails on it): under load a
	# node's answer can take seconds, so none is below 60 s.
	local secs=$1
	((secs >= 60)) || secs=60
	local end=$((SECONDS + secs))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		((SECONDS < end)) || return 1
		sleep 0.2
	done
}

node_id() { dk "$1" info --format '{{.Swarm.NodeID}}'; }

# The sorted node table of a manager without the self marker and the
# leader column (which differs per viewpoint or moment).
node_table() { dk "$1" node ls --format '{{.ID}} {{.Hostname}} {{.Status}} {{.Availability}}' | sort; }

leader_of() { dk "$1" node ls --format '{{.Hostname}} {{.ManagerStatus}}' | awk '$2=="Leader"{print $1}'; }

check_sanitizers() {
	for n in "${CL_NODES[@]}"; do
		if grep -Eq "$SANITIZER_RE" "$CL_TMP/$n/log" 2>/dev/null; then
			grep -E -A20 "$SANITIZER_RE" "$CL_TMP/$n/log" | head -40 >&2
			fail "sanitizer report in the log of $n"
		fi
	done
}
