#!/bin/sh
# Runs each fuzz target for SECONDS on its committed corpus
# (tests/fuzz/corpus/<target>/, read only) plus what earlier runs found
# (build/fuzz/corpus/<target>/). Fails on the first crash, leak or timeout;
# the input is kept as build/fuzz/artifacts/<target>-crash-* and the log as
# build/fuzz/logs/<target>.log.
# Usage: tests/fuzz/run.sh SECONDS build/fuzz/fuzz_x...
set -eu

seconds=$1
shift
mkdir -p build/fuzz/logs build/fuzz/artifacts
for bin in "$@"; do
	name=${bin##*/fuzz_}
	seeds="tests/fuzz/corpus/$name"
	# Raw requests collected by the bad-input tests seed the HTTP target.
	if [ "$name" = http ] && [ -d tests/fuzz/corpus/badinput ]; then
		seeds="$seeds tests/fuzz/corpus/badinput"
	fi
	mkdir -p "build/fuzz/corpus/$name"
	log="build/fuzz/logs/$name.log"
	printf '== fuzz %-10s %ss ... ' "$name" "$seconds"
	# shellcheck disable=SC2086
	if ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$name-" \
		"build/fuzz/corpus/$name" $seeds >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "ok ($execs execs)"
	else
		echo "FAILED"
		tail -n 40 "$log"
		exit 1
	fi
done
