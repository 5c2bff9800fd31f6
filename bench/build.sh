#!/usr/bin/env bash
# Build benchmark (issue 13): berthd next to Debian's dockerd in the same run,
# both driven by the same docker CLI with the classic builder
# (DOCKER_BUILDKIT=0). It measures
#   - a 10-step Dockerfile (5 RUNs, 3 COPYs) built cold (--no-cache),
#   - the same build again with every step cached,
#   - `docker cp` of a 100 MB tree (100 files of 1 MiB) out of a stopped container.
# Builds run with --network none (dockerd here has no bridge). Rounds
# alternate between the daemons so load from elsewhere hits both alike; the
# best round counts. It prints numbers beside the issue's targets and never
# fails on timing. Both daemons run in network and mount namespaces of their
# own (bench/lib.sh).
#
#   bench/build.sh
#
# Environment: BERTHD, DOCKERD, DOCKER, BENCH_ROUNDS (3), BENCH_SKIP_DOCKERD=1.
set -euo pipefail

ROUNDS=${BENCH_ROUNDS:-3}
BENCH_PREFIX=berthbuild
source "$(dirname "$0")/lib.sh"
export DOCKER_BUILDKIT=0

dk() { "$DOCKER" -H "${HOST[$1]}" "${@:2}"; }

make_context() {
	local ctx=$TMP/ctx i
	mkdir -p "$ctx/dir"
	head -c 1048576 /dev/urandom >"$ctx/a.bin"
	for i in $(seq 20); do head -c 65536 /dev/urandom >"$ctx/dir/f$i"; done
	head -c 4194304 /dev/urandom >"$ctx/c.bin"
	cat >"$ctx/Dockerfile" <<-'EOF'
		FROM bb
		COPY a.bin /a/
		RUN echo one > /one
		COPY dir /dir
		RUN for i in 1 2 3 4 5; do echo $i; done > /five
		ENV X=1
		RUN cat /a/a.bin > /b.bin
		COPY c.bin /c.bin
		RUN ls /dir > /dirlist
		RUN rm /b.bin
	EOF
}

timed() { # CMD...: prints the microseconds CMD took; fails with it
	local t0
	t0=$(now_us)
	"$@" >"$TMP/last.out" 2>&1 || {
		tail -n 20 "$TMP/last.out" >&2
		return 1
	}
	echo $(($(now_us) - t0))
}

declare -A COLD WARM CP
record() { # ARRAY NAME VALUE
	local -n arr=$1
	arr[$2]="${arr[$2]:-} $3"
}

round() { # NAME
	local n=$1 t
	t=$(timed dk "$n" build -q --network none --no-cache -t bench:cold "$TMP/ctx") || die "$n: cold build failed"
	record COLD "$n" "$t"
	t=$(timed dk "$n" build -q --network none -t bench:cold "$TMP/ctx") || die "$n: cached build failed"
	record WARM "$n" "$t"
	rm -rf "$TMP/out-$n"
	t=$(timed dk "$n" cp cpsrc:/tree "$TMP/out-$n") || die "$n: docker cp failed"
	record CP "$n" "$t"
	[[ $(du -sm "$TMP/out-$n" | cut -f1) -ge 100 ]] || die "$n: docker cp copied too little"
}

prepare() { # NAME: the base image and the container docker cp reads
	local n=$1
	dk "$n" import "$TMP/rootfs.tar" bb:latest >/dev/null
	dk "$n" run --network none --name cpsrc bb sh -c \
		'mkdir /tree && for i in $(seq 100); do head -c 1048576 /dev/urandom > /tree/f$i; done' ||
		die "$n: could not make the tree for docker cp"
}

make_rootfs
make_context
start_berthd --netns
start_dockerd
for n in "${NAMES[@]}"; do prepare "$n"; done
for ((r = 0; r < ROUNDS; r++)); do
	for n in "${NAMES[@]}"; do round "$n"; done
done

v() { # ARRAY NAME: the best round in ms, or -
	local -n arr=$1
	[[ -n ${arr[$2]:-} ]] && ms "$(best ${arr[$2]})" || echo -
}
row() { printf '%-46s | %10s | %10s | %8s | %s\n' "$@"; }
echo
echo "classic builder and docker cp, best of $ROUNDS rounds (ms); dockerd: ${DOCKER_NOTE:-}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
row "figure" berthd dockerd "ratio" "target"
row "10-step build, cold (--no-cache)" "$(v COLD berthd)" "$(v COLD dockerd)" \
	"$(ratio "$(v COLD dockerd)" "$(v COLD berthd)")" "berthd at least 3x faster"
row "the same build, every step cached" "$(v WARM berthd)" "$(v WARM dockerd)" \
	"$(ratio "$(v WARM dockerd)" "$(v WARM berthd)")" "berthd at most 150 ms"
row "docker cp of a 100 MB tree out of a container" "$(v CP berthd)" "$(v CP dockerd)" \
	"$(ratio "$(v CP dockerd)" "$(v CP berthd)")" "compared"
echo "(ratio: dockerd's time / berthd's; above 1 berthd is faster)"
