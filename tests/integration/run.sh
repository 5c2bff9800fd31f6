#!/usr/bin/env bash
# Integration tests: real berthd daemons on temporary roots and sockets, driven
# by the docker CLI, by berth, by curl/openssl and by raw sockets (python3).
#
#   tests/integration/run.sh             run every test
#   tests/integration/run.sh tls events  run the tests whose name contains a word
#   tests/integration/run.sh -l          list the tests
#
# Environment: BERTHD, BERTH (default: the sanitizer builds in build/san/),
# DOCKER (default: docker on PATH), TEST_TIMEOUT (seconds per test,
# default 60), KEEP_TMP=1 keeps the temp dir of a failed test, JOBS=N runs N
# tests at a time (default: CPUs, 2 to 4).
# Exits non-zero if any test fails.
set -u
INTEG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$INTEG_DIR/lib.sh"
for f in "$INTEG_DIR"/t_*.sh; do
	# shellcheck disable=SC1090
	. "$f"
done

mapfile -t ALL < <(declare -F | awk '$3 ~ /^test_/ && $3 != "test_setup" && $3 != "test_cleanup" {print $3}')

if [[ "${1:-}" == -l ]]; then
	printf '%s\n' "${ALL[@]}"
	exit 0
fi

SELECTED=()
if [[ $# -eq 0 ]]; then
	SELECTED=("${ALL[@]}")
else
	for t in "${ALL[@]}"; do
		for w in "$@"; do
			[[ "$t" == *"$w"* ]] && { SELECTED+=("$t"); break; }
		done
	done
fi
[[ ${#SELECTED[@]} -gt 0 ]] || { echo "no test matches: $*" >&2; exit 2; }

for b in "$BERTHD" "$BERTH" "$DOCKER"; do
	[[ -x "$b" ]] || { echo "missing binary: $b (run 'make all san' first)" >&2; exit 2; }
done
for tool in curl openssl "$PYTHON" timeout; do
	command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 2; }
done

TIMEOUT=${TEST_TIMEOUT:-60}
BERTHD_ORIG=$BERTHD BERTH_ORIG=$BERTH
JOBS=${JOBS:-$(( $(nproc) > 4 ? 4 : ($(nproc) < 2 ? 2 : $(nproc)) ))}
RESULTS=$(mktemp -d "${TMPDIR:-/tmp}/berth-integ-results.XXXXXX")
# Files built once per run and shared by tests (e.g. the busybox rootfs).
export BERTH_INTEG_CACHE="$RESULTS/cache"
RUNNING=()

# runc makes the parent cgroup /berth in every hierarchy; a run that created
# it removes it again (rmdir only succeeds once no container is left in it).
CGROUP_PARENTS_EXISTED=0
compgen -G '/sys/fs/cgroup/*/berth' >/dev/null && CGROUP_PARENTS_EXISTED=1
[[ -d /sys/fs/cgroup/berth ]] && CGROUP_PARENTS_EXISTED=1

# Snapshot the binaries under test so a rebuild during the run cannot swap
# them out from under a test.
mkdir -p "$RESULTS/bin"
# berthd finds berth-shim and berth-init beside itself.
cp "$BERTHD" "$RESULTS/bin/berthd" && cp "$BERTH" "$RESULTS/bin/berth" &&
	cp "$(dirname "$BERTHD")/berth-shim" "$RESULTS/bin/berth-shim" &&
	cp "$(dirname "$BERTHD")/berth-init" "$RESULTS/bin/berth-init" ||
	{ echo "cannot copy the binaries under test" >&2; exit 2; }
export BERTHD="$RESULTS/bin/berthd" BERTH="$RESULTS/bin/berth"

on_interrupt() {
	local p
	for p in "${RUNNING[@]}"; do kill -TERM "$p" 2>/dev/null; done
	wait
	rm -rf "$RESULTS"
	exit 130
}
trap on_interrupt INT TERM

echo "berthd: $BERTHD_ORIG (snapshot in $RESULTS/bin)"
echo "berth:  $BERTH_ORIG"
echo "docker: $DOCKER ($("$DOCKER" --version 2>/dev/null))"
echo "running ${#SELECTED[@]} tests, $JOBS at a time, ${TIMEOUT}s timeout each"
START=$SECONDS

# One test = one bash process under timeout(1), which puts it in its own
# process group and signals the whole group on expiry; the test's trap then
# stops its daemons and removes its temp dir.
run_one() {
	local t=$1
	local begin=$SECONDS
	timeout -k 10 "$TIMEOUT" bash -c '
		set -u
		. "$1/lib.sh"
		for f in "$1"/t_*.sh; do . "$f"; done
		test_setup
		"$2"
	' _ "$INTEG_DIR" "$t" >"$RESULTS/$t.log" 2>&1
	local rc=$?
	[[ $rc -eq 124 || $rc -eq 137 ]] && echo "    FAIL: timed out after ${TIMEOUT}s" >>"$RESULTS/$t.log"
	echo "$rc $((SECONDS - begin))" >"$RESULTS/$t.rc"
}

report() {
	local t=$1 rc secs
	read -r rc secs <"$RESULTS/$t.rc"
	if [[ $rc -eq 0 ]] && grep -q '^    SKIP: ' "$RESULTS/$t.log"; then
		printf 'SKIP  %-50s %3ss  %s\n' "$t" "$secs" "$(grep -m1 '^    SKIP: ' "$RESULTS/$t.log" | sed 's/^    SKIP: //')"
	elif [[ $rc -eq 0 ]]; then
		printf 'PASS  %-50s %3ss\n' "$t" "$secs"
	else
		printf 'FAIL  %-50s %3ss\n' "$t" "$secs"
		cat "$RESULTS/$t.log"
	fi
}

# A small job pool; results are printed in the order tests finish.
declare -A PID_TEST=()
for t in "${SELECTED[@]}"; do
	while [[ ${#RUNNING[@]} -ge $JOBS ]]; do
		wait -n
		NEW=()
		for p in "${RUNNING[@]}"; do
			if kill -0 "$p" 2>/dev/null; then NEW+=("$p"); else wait "$p"; report "${PID_TEST[$p]}"; fi
		done
		RUNNING=("${NEW[@]}")
	done
	run_one "$t" &
	PID_TEST[$!]=$t
	RUNNING+=("$!")
done
for p in "${RUNNING[@]}"; do
	wait "$p"
	report "${PID_TEST[$p]}"
done
RUNNING=()

PASSED=() FAILED=()
for t in "${SELECTED[@]}"; do
	read -r rc _ <"$RESULTS/$t.rc"
	if [[ $rc -eq 0 ]]; then PASSED+=("$t"); else FAILED+=("$t"); fi
done
rm -rf "$RESULTS"
if [[ $CGROUP_PARENTS_EXISTED -eq 0 ]]; then
	for d in /sys/fs/cgroup/*/berth /sys/fs/cgroup/berth; do
		[[ -d "$d" ]] && rmdir "$d" 2>/dev/null
	done
fi

echo
echo "== summary: ${#PASSED[@]} passed, ${#FAILED[@]} failed, $((SECONDS - START))s"
for t in "${FAILED[@]}"; do echo "   FAILED: $t"; done
[[ ${#FAILED[@]} -eq 0 ]]
