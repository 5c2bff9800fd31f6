# Shared helpers of the integration tests. Sourced by run.sh and by every
# test process; each test runs in its own bash process (see run.sh), so the
# globals below belong to one test.
#
# A test gets $TEST_TMP (removed at exit), starts daemons with start_daemon
# (stopped at exit by pid, whatever happens), and fails with fail/assert_*.

INTEG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$INTEG_DIR/../.." && pwd)

: "${BERTHD:=$REPO_ROOT/build/san/berthd}"
: "${BERTH:=$REPO_ROOT/build/san/berth}"
: "${DOCKER:=$(command -v docker || echo /usr/bin/docker)}"
# The system python starts much faster than a version-manager shim.
if [[ -z "${PYTHON:-}" ]]; then
	if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
export BERTHD BERTH DOCKER PYTHON

# Sanitizers: abort on the first report. The daemon writes its reports to its
# log (stderr); client processes write them to $TEST_TMP/san-client.<pid>.
# intercept_tls_get_addr=0: LeakSanitizer (GCC 12) misreads glibc's dynamic
# TLS and its tracer crashed on it at exit (google/sanitizers#1322); the
# sanitizer build also loads the libraries whose TLS was dynamic at start
# (SANLINK in the Makefile).
DAEMON_ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:intercept_tls_get_addr=0"
DAEMON_UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

# Nothing from the caller's environment may steer a client elsewhere.
unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_CONTEXT DOCKER_API_VERSION \
      DOCKER_TLS BERTH_HOST

SANITIZER_RE='Assertion .* failed|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer'

# ---- messages and assertions ----

log() { printf '    %s\n' "$*" >&2; }

fail() {
	printf '    FAIL: %s\n' "$*" >&2
	local i
	for ((i = 1; i < ${#FUNCNAME[@]} - 1; i++)); do
		printf '      at %s (%s:%s)\n' "${FUNCNAME[$i]}" "$(basename "${BASH_SOURCE[$i + 1]:-?}")" \
			"${BASH_LINENO[$i - 1]}" >&2
	done
	exit 1
}

# skip REASON: ends the test as passed, with a SKIP line run.sh reports.
skip() {
	printf '    SKIP: %s\n' "$*" >&2
	exit 0
}

# Shows a (possibly long) text indented, for failure messages.
show() { printf '%s\n' "$1" | head -n "${2:-40}" | sed 's/^/      | /'; }

assert_eq() { # expected actual what
	[[ "$1" == "$2" ]] || fail "${3:-value}: expected '$1', got '$2'"
}

assert_ne() { # unexpected actual what
	[[ "$1" != "$2" ]] || fail "${3:-value}: did not expect '$1'"
}

assert_contains() { # haystack needle what
	[[ "$1" == *"$2"* ]] || fail "${3:-output} does not contain '$2'; it was:
$(show "$1")"
}

assert_not_contains() { # haystack needle what
	[[ "$1" != *"$2"* ]] || fail "${3:-output} unexpectedly contains '$2'; it was:
$(show "$1")"
}

assert_match() { # haystack regex what
	[[ "$1" =~ $2 ]] || fail "${3:-output} does not match /$2/; it was:
$(show "$1")"
}

assert_empty() { # value what
	[[ -z "$1" ]] || fail "${2:-output} should be empty; it was:
$(show "$1")"
}

assert_file_exists() { [[ -e "$1" ]] || fail "${2:-file} $1 should exist"; }
assert_file_absent() { [[ ! -e "$1" ]] || fail "${2:-file} $1 should not exist"; }

# run CMD...: runs a command, capturing stdout in $OUT, stderr in $ERR and the
# exit code in $RC. Never fails by itself.
run() {
	local o e
	o="$TEST_TMP/run.out.$$" e="$TEST_TMP/run.err.$$"
	"$@" >"$o" 2>"$e" </dev/null
	RC=$?
	OUT=$(<"$o")
	ERR=$(<"$e")
	rm -f "$o" "$e"
	check_client_sanitizers
}

# run_ok CMD...: like run, and fails unless the exit code is 0.
run_ok() {
	run "$@"
	[[ $RC -eq 0 ]] || fail "command failed (exit $RC): $*
  stdout:
$(show "$OUT")
  stderr:
$(show "$ERR")"
}

# run_fails CMD...: like run, and fails if the exit code is 0.
run_fails() {
	run "$@"
	[[ $RC -ne 0 ]] || fail "command should have failed but exited 0: $*
  stdout:
$(show "$OUT")"
}

# Clients under test. Their sanitizer reports go to files checked after each call.
berth() {
	DOCKER_CONFIG="$TEST_TMP/docker-config" \
	ASAN_OPTIONS="$DAEMON_ASAN_OPTIONS:log_path=$TEST_TMP/san-client" \
	UBSAN_OPTIONS="$DAEMON_UBSAN_OPTIONS:log_path=$TEST_TMP/san-client" \
		"$BERTH" "$@"
}
docker() { DOCKER_CONFIG="$TEST_TMP/docker-config" "$DOCKER" "$@"; }

check_client_sanitizers() {
	local f
	for f in "$TEST_TMP"/san-client*; do
		[[ -e "$f" ]] || continue
		fail "sanitizer report from a client process:
$(show "$(cat "$f")" 60)"
	done
}

# wait_for DEADLINE_SECONDS WHAT CMD...: polls CMD until it succeeds. A
# deadline only catches a hang: on a loaded machine (CI beside a parallel
# build) a container start alone can take seconds, so none is below 60 s.
wait_for() {
	local secs=$1 what=$2
	shift 2
	((secs >= 60)) || secs=60
	local end=$((SECONDS + secs))
	while ! "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || fail "timed out after ${secs}s waiting for $what"
		sleep 0.05
	done
}

# ---- temp dirs and cleanup ----

DAEMON_PIDS=()
BG_PIDS=()
DAEMON_LOGS=()
# Commands (eval'ed, in reverse order) run first by test_cleanup; a test adds
# its own with add_cleanup, e.g. to stop a dockerd it started.
CLEANUP_HOOKS=()
add_cleanup() { CLEANUP_HOOKS+=("$1"); }

test_setup() {
	TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/berth-integ.XXXXXX") || exit 1
	mkdir -p "$TEST_TMP/docker-config"
	export TEST_TMP
	trap test_cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
}

# Overlay devices outlive berthd on purpose (a restart takes them up
# again), and a daemon killed or failing leaves its table and bridge; the
# test's daemons are gone for good, and so must be what their logs say
# they made (names of their own: data-root hashes and network IDs).
remove_daemon_networking() {
	local f dev t
	for f in "${DAEMON_LOGS[@]}"; do
		[[ -f "$f" ]] || continue
		for dev in $(grep -oE '(bridge ov|vxlan vx|default bridge berth|bridge gwbr)-[a-z0-9]+' "$f" | awk '{print $NF}' | sort -u); do
			ip link del "$dev" 2>/dev/null
		done
		for t in $(grep -oE 'nftables table berth_[0-9a-f]+' "$f" | awk '{print $3}' | sort -u); do
			nft delete table ip "$t" 2>/dev/null
			nft delete table ip6 "$t" 2>/dev/null
			nft delete table ip "${t}_mesh" 2>/dev/null # the routing mesh's
		done
	done
	return 0
}

# A test that failed half-way may leave services and containers: they
# outlive berthd, so each daemon still up removes them through its API
# (bounded) before it is stopped.
remove_daemon_containers() {
	local f sock host ids end
	for f in "${DAEMON_LOGS[@]}"; do
		sock="$(dirname "$f")/berth.sock"
		[[ -S $sock ]] && ping_unix "$sock" || continue
		host="unix://$sock"
		ids=$(DOCKER_CONFIG="$TEST_TMP/docker-config" timeout 20 "$DOCKER" -H "$host" service ls -q 2>/dev/null)
		[[ -z $ids ]] || DOCKER_CONFIG="$TEST_TMP/docker-config" timeout 30 "$DOCKER" -H "$host" service rm $ids >/dev/null 2>&1
		end=$((SECONDS + 60))
		while ids=$(DOCKER_CONFIG="$TEST_TMP/docker-config" timeout 20 "$DOCKER" -H "$host" ps -aq 2>/dev/null) && [[ -n $ids ]]; do
			if ((SECONDS >= end)); then
				printf '    note: containers left on %s: %s\n' "$host" "$(echo $ids)" >&2
				break
			fi
			DOCKER_CONFIG="$TEST_TMP/docker-config" timeout 60 "$DOCKER" -H "$host" rm -f -v $ids >/dev/null 2>&1 || sleep 0.5
		done
	done
	return 0
}

# Kills what this test started (by pid), checks daemon logs for sanitizer
# reports, removes the temp dir. Runs on every exit path.
test_cleanup() {
	local rc=$? pid f i
	trap - EXIT
	for ((i = ${#CLEANUP_HOOKS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUP_HOOKS[$i]}" || rc=1
	done
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	[[ $rc -eq 0 ]] || remove_daemon_containers
	for pid in "${DAEMON_PIDS[@]}"; do
		stop_daemon_pid "$pid" quiet || rc=1
	done
	remove_daemon_networking
	for f in "${DAEMON_LOGS[@]}"; do
		if [[ -f "$f" ]] && grep -Eq "$SANITIZER_RE" "$f"; then
			printf '    FAIL: sanitizer report or assertion failure in daemon log %s:\n' "$f" >&2
			grep -E -A30 "$SANITIZER_RE" "$f" | head -60 | sed 's/^/      | /' >&2
			rc=1
		fi
	done
	for f in "$TEST_TMP"/san-client*; do
		[[ -e "$f" ]] || continue
		printf '    FAIL: sanitizer report from a client:\n' >&2
		head -60 "$f" | sed 's/^/      | /' >&2
		rc=1
	done
	if [[ $rc -ne 0 && -n "${KEEP_TMP:-}" ]]; then
		printf '    (kept %s)\n' "$TEST_TMP" >&2
	elif [[ $rc -ne 0 ]]; then
		for f in "${DAEMON_LOGS[@]}"; do
			[[ -s "$f" ]] || continue
			printf '    --- daemon log %s (last 15 lines):\n' "${f#"$TEST_TMP"/}" >&2
			tail -n 15 "$f" | sed 's/^/      | /' >&2
		done
		rm -rf "$TEST_TMP"
	else
		rm -rf "$TEST_TMP"
	fi
	exit "$rc"
}

# ---- daemons ----

free_port() {
	"$PYTHON" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# new_daemon_dir NAME: makes $TEST_TMP/NAME with the usual layout, sets
#   D_DIR D_DATA D_EXEC D_PIDFILE D_SOCK D_HOST D_LOG D_CFG
new_daemon_dir() {
	D_DIR="$TEST_TMP/$1"
	mkdir -p "$D_DIR"
	D_DATA="$D_DIR/data" D_EXEC="$D_DIR/exec" D_PIDFILE="$D_DIR/berthd.pid"
	D_SOCK="$D_DIR/berth.sock" D_HOST="unix://$D_DIR/berth.sock" D_LOG="$D_DIR/daemon.log"
	D_CFG="$D_DIR/daemon.json"
	[[ -e "$D_CFG" ]] || echo '{}' >"$D_CFG"
}

# launch_daemon ARGS...: starts $BERTHD with exactly ARGS in the background,
# stderr+stdout to $D_LOG; sets D_PID. Does not wait.
# Registries are only reached on loopback: anything else goes to a proxy on
# a closed loopback port (libcurl's variables, which dockerd honours too), so
# no name is looked up and nothing leaves the machine. docker's CLI asks the
# daemon for the digest of every service image, docker.io's busybox too.
DAEMON_PROXY_ENV=(http_proxy=http://127.0.0.1:1 https_proxy=http://127.0.0.1:1
	HTTPS_PROXY=http://127.0.0.1:1 no_proxy=127.0.0.1,localhost,::1 NO_PROXY=127.0.0.1,localhost,::1)

launch_daemon() {
	env "${DAEMON_PROXY_ENV[@]}" ASAN_OPTIONS="$DAEMON_ASAN_OPTIONS" UBSAN_OPTIONS="$DAEMON_UBSAN_OPTIONS" \
		"$BERTHD" "$@" >>"$D_LOG" 2>&1 </dev/null &
	D_PID=$!
	DAEMON_PIDS+=("$D_PID")
	DAEMON_LOGS+=("$D_LOG")
}

# start_daemon [--name N] [--no-unix] [EXTRA FLAGS...]: starts a daemon with its
# own data root, exec root, pidfile and unix socket in $TEST_TMP/N (default
# "d1"), and --config-file $D_CFG unless the extras name one. Waits until it
# answers /_ping on its unix socket (or, with --no-unix, until it logs that it
# started). Sets D_* (see new_daemon_dir) and D_PID.
start_daemon() {
	local name=d1 unix=1
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--name) name=$2; shift 2 ;;
		--no-unix) unix=0; shift ;;
		*) break ;;
		esac
	done
	new_daemon_dir "$name"
	local args=(--data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE")
	[[ $unix -eq 1 ]] && args+=(-H "$D_HOST")
	[[ " $* " == *" --config-file"* ]] || args+=(--config-file "$D_CFG")
	launch_daemon "${args[@]}" "$@"
	wait_daemon_ready "$unix"
}

# top_count_at_least CONTAINER TEXT N: at least N of the container's processes
# have TEXT in their command line (for wait_for: "the exec has started").
top_count_at_least() {
	local n
	n=$(dk top "$1" 2>/dev/null | grep -cF -- "$2")
	((n >= $3))
}

# net_block: sets NB to a 10.NB.0.0/16 block that no other test process on this
# machine holds. The lock lives as long as the test's process, so parallel runs
# of the network tests never put the same subnet on two bridges.
net_block() {
	[[ -n ${NB:-} ]] && return 0
	local b fd
	for ((b = 200; b < 240; b++)); do
		exec {fd}>"/tmp/berth-netblock-$b.lock"
		# A block with routes is in use outside the locks (a run killed
		# before its cleanup left its bridges): skip it.
		if flock -n "$fd" && [[ -z $(ip -4 route show root "10.$b.0.0/16" 2>/dev/null) ]]; then
			NB=$b
			return 0
		fi
		exec {fd}>&-
	done
	fail "no free 10.200-239.0.0/16 block for a network test (all locked under /tmp/berth-netblock-*)"
}

no_containers_left() { [[ -z $(dk ps -aq 2>/dev/null) ]]; }

daemon_alive() { kill -0 "${1:-$D_PID}" 2>/dev/null; }

daemon_started_logged() { grep -q 'daemon .* started' "$D_LOG"; }

ping_unix() { curl -sf --max-time 2 --unix-socket "${1:-$D_SOCK}" http://localhost/_ping | grep -qx OK; }

wait_daemon_ready() {
	local unix=${1:-1} end=$((SECONDS + ${DAEMON_START_TIMEOUT:-20}))
	while :; do
		if ! daemon_alive "$D_PID"; then
			fail "daemon exited during startup; its log:
$(show "$(cat "$D_LOG")")"
		fi
		if [[ $unix -eq 1 ]]; then
			[[ -S "$D_SOCK" ]] && ping_unix "$D_SOCK" && return 0
		else
			daemon_started_logged && return 0
		fi
		((SECONDS < end)) || fail "daemon did not become ready in time; its log:
$(show "$(cat "$D_LOG")")"
		sleep 0.05
	done
}

# wait_exit PID SECONDS: waits for a child to exit; sets EXIT_RC. Returns 1 on timeout.
wait_exit() {
	local pid=$1 end=$((SECONDS + $2))
	while kill -0 "$pid" 2>/dev/null; do
		# A zombie child still answers kill -0; `wait` reaps it below.
		if [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" == Z* ]]; then
			break
		fi
		((SECONDS < end)) || return 1
		sleep 0.05
	done
	wait "$pid" 2>/dev/null
	EXIT_RC=$?
	return 0
}

forget_pid() {
	local p keep=()
	for p in "${DAEMON_PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	DAEMON_PIDS=("${keep[@]}")
}

# stop_daemon_pid PID [quiet]: SIGTERM, wait (bounded), then SIGKILL.
stop_daemon_pid() {
	local pid=$1
	if ! kill -0 "$pid" 2>/dev/null; then
		# It died before we stopped it: a crash unless it exited 0.
		wait "$pid" 2>/dev/null
		EXIT_RC=$?
		forget_pid "$pid"
		[[ $EXIT_RC -eq 0 ]] && return 0
		[[ "${2:-}" == quiet ]] && { printf '    FAIL: daemon %s died on its own (exit %s) during the test\n' "$pid" "$EXIT_RC" >&2; return 1; }
		fail "daemon $pid died on its own (exit $EXIT_RC)"
	fi
	kill -TERM "$pid" 2>/dev/null
	if ! wait_exit "$pid" 15; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		forget_pid "$pid"
		[[ "${2:-}" == quiet ]] && { printf '    FAIL: daemon %s ignored SIGTERM\n' "$pid" >&2; return 1; }
		fail "daemon $pid did not exit within 15s of SIGTERM"
	fi
	forget_pid "$pid"
	if [[ $EXIT_RC -ne 0 ]]; then
		[[ "${2:-}" == quiet ]] && { printf '    FAIL: daemon %s exited %s after SIGTERM (sanitizer?)\n' "$pid" "$EXIT_RC" >&2; return 1; }
		fail "daemon $pid exited $EXIT_RC after SIGTERM (want 0)"
	fi
	return 0
}

stop_daemon() { stop_daemon_pid "${1:-$D_PID}"; }

# expect_start_failure ARGS...: runs the daemon with ARGS (exactly), expects it
# to exit non-zero by itself; sets START_RC and START_LOG (its output).
expect_start_failure() {
	launch_daemon "$@"
	local pid=$D_PID
	if ! wait_exit "$pid" 20; then
		fail "daemon should have refused to start but is still running with: $*"
	fi
	forget_pid "$pid"
	START_RC=$EXIT_RC
	START_LOG=$(cat "$D_LOG")
	[[ $START_RC -ne 0 ]] || fail "daemon should have exited non-zero (args: $*); log:
$(show "$START_LOG")"
}

# Sends SIGHUP and waits until the daemon logged one more reload than before.
reload_daemon() {
	local before
	before=$(grep -c 'reloaded configuration' "$D_LOG")
	kill -HUP "$D_PID"
	wait_for 10 "the daemon to log its reload" \
		bash -c '[ "$(grep -c "reloaded configuration" "$1")" -gt "$2" ]' _ "$D_LOG" "$before"
}

# py SCRIPT_ARGS...: runs the raw-socket helper.
py() { "$PYTHON" "$INTEG_DIR/rawhttp.py" "$@"; }

# json_get JSON EXPR: evaluates a Python expression on parsed JSON `j`.
json_get() {
	"$PYTHON" -c 'import json, sys
j = json.loads(sys.argv[1])
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1" "$2"
}
