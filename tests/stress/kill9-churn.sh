#!/usr/bin/env bash
# kill -9 churn: berthd under a mixed docker workload is killed with SIGKILL at
# random moments and started again on the same roots; after every restart and
# at the end the host must hold nothing half-made. A stress tool, not part of
# `make test` (see docs/testing.md). Needs root and `make all san`.
#
#   tests/stress/kill9-churn.sh
#
# Environment:
#   ROUNDS=10      kill -9 rounds
#   MIN_SECS=1     shortest run of the workload between two kills (seconds)
#   MAX_SECS=6     longest
#   LOOPS=3        background workload loops (1-3)
#   STARTUP_KILL_PCT=30  how often (percent of rounds) berthd is killed once
#                  more while it starts up again
#   BERTHD BERTH   default: the sanitizer builds in build/san/
#   EVIDENCE=DIR   where violations are kept (default /tmp/kill9-evidence.XXXXXX)
#
# Exits 0 when every check held, 1 otherwise; on violations the daemon log,
# the mount table, the nftables table and the listings are copied to
# $EVIDENCE and its path is printed. The daemon uses the integration
# tests' helpers: its own roots in a temp dir, a locked 10.NB.0.0/16 block,
# bridge names kc<pid>...
KC_NAME=kill9-churn
# shellcheck source=kill9-lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kill9-lib.sh"

# ---- the workload ----
#
# Each loop runs docker commands one by one through kc_op (kill9-lib.sh),
# which waits while the checks run. Failures are expected (the daemon dies
# under them) and ignored; every command is logged with its exit status.

# Containers on a user network with published ports and volumes.
kc_loop_containers() {
	local me=L1 i=0 n
	while :; do
		i=$((i + 1)) n=kc1_$i
		kc_op $me run -d --name $n --network kcnet -p 127.0.0.1::80 -p 127.0.0.1::81/udp \
			-v kcvol$((i % 3)):/v -v /anon bb sh -c 'httpd -p 80 -h /etc; exec sleep 300'
		kc_op $me exec $n sh -c 'echo $RANDOM >/v/x'
		kc_op $me stop -t 1 $n
		kc_op $me restart -t 1 $n
		kc_op $me cp "$TEST_TMP/kc-file" $n:/tmp/f
		kc_op $me cp $n:/etc/passwd "$TEST_TMP/kc-out.$me"
		kc_op $me commit $n kcimg:$i
		kc_op $me rm -f -v $n
		kc_op $me rmi kcimg:$i
		kc_op $me run --rm --network kcnet -v kcvol$((i % 3)):/v bb cat /v/x
	done
}

# Networks come and go, containers join and leave them.
kc_loop_networks() {
	local me=L2 i=0 net
	while :; do
		i=$((i + 1)) net=kcn_$((i % 4))
		kc_op $me network create --subnet "10.$NB.$((10 + i % 4)).0/24" \
			-o "com.docker.network.bridge.name=${KC_TAG}n$((i % 4))" $net
		kc_op $me run -d --name kc2_$i --network $net -p 127.0.0.1::80 bb sleep 300
		kc_op $me network connect kcnet kc2_$i
		kc_op $me exec kc2_$i true
		kc_op $me network disconnect kcnet kc2_$i
		kc_op $me run --rm --network $net bb true
		kc_op $me rm -f kc2_$i
		kc_op $me network rm $net
	done
}

# Volumes, tags, short-lived containers on the default bridge.
kc_loop_misc() {
	local me=L3 i=0
	while :; do
		i=$((i + 1))
		kc_op $me volume create kcv3_$i
		kc_op $me run --rm -v kcv3_$i:/d -p 127.0.0.1::80 bb sh -c 'echo hi >/d/f'
		kc_op $me tag bb kcbb:$i
		kc_op $me run -d --name kc3_$i -v /anon3 kcbb:$i sleep 300
		kc_op $me rmi kcbb:$i
		kc_op $me stop -t 1 kc3_$i
		kc_op $me rm -v kc3_$i
		kc_op $me volume rm kcv3_$i
	done
}

KC_LOOP_FNS=(kc_loop_containers kc_loop_networks kc_loop_misc)

kc_setup
kc_rounds
kc_finish
