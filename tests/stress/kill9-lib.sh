# shellcheck shell=bash
# Shared by the kill -9 stress scripts (kill9-churn.sh, kill9-images-swarm.sh):
# a berthd on roots of its own, workload loops that pause for the checks,
# kill -9 rounds, and the checks after every restart and at the end.
#
# A script sets KC_NAME, defines its loops and lists them in KC_LOOP_FNS,
# may add daemon flags (KC_DAEMON_ARGS) and hooks (KC_HOOKS_*: function
# names), then calls kc_setup, kc_rounds and kc_finish.
set -u
STRESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
. "$STRESS_DIR/../integration/lib.sh"
# ct_rootfs_tar, dk, ct_force_cleanup; net_force_cleanup, net_links.
# shellcheck source=../integration/t_containers.sh
. "$STRESS_DIR/../integration/t_containers.sh"
# shellcheck source=../integration/t_network.sh
. "$STRESS_DIR/../integration/t_network.sh"

ROUNDS=${ROUNDS:-10}
MIN_SECS=${MIN_SECS:-1}
MAX_SECS=${MAX_SECS:-6}
LOOPS=${LOOPS:-3}
STARTUP_KILL_PCT=${STARTUP_KILL_PCT:-30}
[[ $(id -u) -eq 0 ]] || { echo "$KC_NAME: needs root" >&2; exit 2; }
for b in "$BERTHD" "$DOCKER"; do
	[[ -x $b ]] || { echo "$KC_NAME: missing $b (make all san)" >&2; exit 2; }
done

VIOLATIONS=0
EVIDENCE=${EVIDENCE:-$(mktemp -d /tmp/kill9-evidence.XXXXXX)}
mkdir -p "$EVIDENCE"

say() { printf '[%s] %s\n' "$(date -u +%T)" "$*" >&2; }

# violation WHAT DETAILS: counts it, prints it and keeps the evidence.
violation() {
	VIOLATIONS=$((VIOLATIONS + 1))
	local dir="$EVIDENCE/v$VIOLATIONS"
	mkdir -p "$dir"
	say "VIOLATION $VIOLATIONS (round $ROUND): $1"
	[[ -n ${2:-} ]] && show "$2" 30 >&2
	{
		echo "round $ROUND: $1"
		printf '%s\n' "${2:-}"
	} >"$dir/what"
	cp "$D_LOG" "$dir/daemon.log" 2>/dev/null
	grep -F -- "$TEST_TMP" /proc/self/mountinfo >"$dir/mountinfo"
	nft list table ip "$KC_TABLE" >"$dir/nft.txt" 2>&1
	ls -la "$D_DATA/containers" "$D_DATA/overlay2" "$D_DATA/volumes" "$D_EXEC/runc" \
		>"$dir/listings" 2>&1
	pgrep -af -- "--runtime-root $D_EXEC/runc" >"$dir/shims" 2>&1
	dk ps -a --no-trunc >"$dir/ps" 2>&1
	cp "$KC_OPS" "$dir/ops.log" 2>/dev/null
	return 0
}

# ---- the daemon ----

# Extra daemon flags of a script.
KC_DAEMON_ARGS=()

kc_launch() {
	launch_daemon --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG" -b "${KC_TAG}0" --bip "10.$NB.1.1/24" \
		"${KC_DAEMON_ARGS[@]}"
}

kc_start() {
	kc_launch
	local end=$((SECONDS + ${START_DEADLINE:-60}))
	while ! ping_unix "$D_SOCK"; do
		if ! daemon_alive "$D_PID" || ((SECONDS >= end)); then
			violation "berthd did not start again (alive: $(daemon_alive "$D_PID" && echo yes || echo no))" \
				"$(tail -n 30 "$D_LOG")"
			return 1
		fi
		sleep 0.05
	done
}

kc_kill() {
	kill -9 "$D_PID"
	wait "$D_PID" 2>/dev/null
	forget_pid "$D_PID"
}

# ---- the workload ----
#
# Each loop runs docker commands one by one; before each it waits while
# $KC_PAUSE exists, touching its ack file, so that the checks see a quiet
# daemon. Failures are expected (the daemon dies under them) and ignored;
# every command is logged with its exit status to $KC_OPS.

kc_op() {
	local me=$1
	shift
	while [[ -e $KC_PAUSE ]]; do
		[[ -e $KC_STOP ]] && exit 0
		touch "$KC_ACK.$me"
		sleep 0.05
	done
	[[ -e $KC_STOP ]] && exit 0
	local rc
	timeout 60 "$DOCKER" -H "$D_HOST" "$@" >/dev/null 2>&1 </dev/null
	rc=$?
	printf '%s %s rc=%s %s\n' "$(date -u +%T.%N | cut -c1-12)" "$me" "$rc" "$*" >>"$KC_OPS"
	return $rc
}

KC_LOOP_PIDS=()
# The first $LOOPS of KC_LOOP_FNS run; the loop number k (L1, L2...) is
# the name each passes to kc_op.
kc_start_loops() {
	rm -f "$KC_PAUSE" "$KC_STOP"
	local k
	for ((k = 0; k < LOOPS && k < ${#KC_LOOP_FNS[@]}; k++)); do
		"${KC_LOOP_FNS[$k]}" &
		KC_LOOP_PIDS+=($!)
		BG_PIDS+=($!)
	done
}

# Pauses the loops and waits until each stands before its next command.
kc_pause_loops() {
	touch "$KC_PAUSE"
	rm -f "$KC_ACK".*
	local end=$((SECONDS + 120)) k n
	while :; do
		n=0
		for ((k = 1; k <= ${#KC_LOOP_PIDS[@]}; k++)); do
			[[ -e $KC_ACK.L$k ]] && n=$((n + 1))
		done
		((n == ${#KC_LOOP_PIDS[@]})) && return 0
		((SECONDS < end)) || { say "loops did not pause in 120s"; return 1; }
		sleep 0.05
	done
}

# ---- checks ----

# Overlay mount points under the data root.
kc_overlay_mounts() {
	awk -v r="$D_DATA" '$0 ~ / - overlay / && index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort
}

# Invariants of a freshly started daemon with a quiet workload.
kc_check_restart() {
	local ids id st pid want=() m cids c ips=
	ids=$(dk ps -aq --no-trunc 2>&1) || { violation "ps -a failed" "$ids"; return; }
	for id in $ids; do
		if ! st=$(dk inspect --format '{{.State.Status}} {{.State.Pid}}' "$id" 2>&1); then
			violation "container $id is listed but inspect fails" "$st"
			continue
		fi
		read -r st pid <<<"$st"
		# The loops never pause a container: one paused here was
		# paused by a commit that kill -9 cut short. It stays paused
		# (the freezer's state is the truth); whether a restart should
		# resume it is a design question, so say so, not fail.
		[[ $st == paused ]] && say "NOTE (round $ROUND): container $id is paused after the restart (an interrupted commit?)"
		# A paused container is live: its processes, mounts and
		# published ports stay.
		if [[ $st == running || $st == paused ]]; then
			kill -0 "$pid" 2>/dev/null || violation "container $id is running with pid $pid, which is gone"
			# The container's overlay2 entry is named by its id
			# (inspect's GraphDriver.Data is null).
			want+=("$D_DATA/overlay2/$id/merged")
			ips+=" $(dk inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$id" 2>/dev/null)"
		fi
	done
	# Published ports lead only to live containers.
	local ip
	for ip in $(nft list table ip "$KC_TABLE" 2>/dev/null | grep -oE 'dnat to [0-9.]+' | awk '{print $3}' | sort -u); do
		[[ " $ips " == *" $ip "* ]] ||
			violation "nftables DNAT to $ip, which no live container has" \
				"$(nft list table ip "$KC_TABLE" | grep -F "dnat to $ip:")"
	done
	# Every overlay mount belongs to a running container.
	for m in $(kc_overlay_mounts); do
		printf '%s\n' "${want[@]}" | grep -qxF -- "$m" ||
			violation "overlay mount $m belongs to no live container after start-up" \
				"$(grep -F -- "$m" /proc/self/mountinfo)"
	done
	# Crash leftovers are removed at start-up.
	local tmps
	tmps=$(find "$D_DATA" "$D_EXEC" -xdev -name '*.tmp-*' -o -xdev -name '.tmp-*' 2>/dev/null |
		grep -v '/merged/\|/diff/\|/_data/')
	[[ -z $tmps ]] || violation "*.tmp-* leftovers after start-up" "$tmps"
	# A shim runs only for a running container (one that just exited may
	# still be finishing: give it a moment).
	local end=$((SECONDS + 10)) bad
	while :; do
		bad=
		cids=$(pgrep -af -- "--runtime-root $D_EXEC/runc" | grep -o -- '--id [0-9a-f]*' | awk '{print $2}' | sort -u)
		for c in $cids; do
			st=$(dk inspect --format '{{.State.Status}}' "$c" 2>&1)
			[[ $st == running || $st == restarting || $st == paused ]] || bad+="shim of $c ($st)"$'\n'
		done
		[[ -z $bad ]] && break
		((SECONDS < end)) || { violation "shims of containers that do not run" "$bad"; break; }
		sleep 0.1
	done
	# Every runc container is one the daemon knows.
	for c in "$D_EXEC"/runc/*; do
		[[ -e $c ]] || continue
		c=${c##*/}
		grep -qxF "$c" <<<"$ids" || violation "runc state $c of an unknown container"
	done
	# Every container dir on disk is listed.
	for c in "$D_DATA"/containers/*; do
		[[ -e $c ]] || continue
		c=${c##*/}
		grep -qxF "$c" <<<"$ids" || violation "container dir $c on disk but not listed"
	done
	# Every interface on our bridges belongs to a listed container.
	local br l
	for br in $(net_links | grep "^$KC_TAG"); do
		for l in $(ip -o link show master "$br" 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'); do
			grep -q "^${l:2:10}" <<<"$ids" || violation "interface $l on $br belongs to no listed container"
		done
	done
}

# Removes everything through the API; then nothing may be left.
kc_final_cleanup() {
	local ids n out
	ids=$(dk ps -aq --no-trunc)
	if [[ -n $ids ]]; then
		out=$(dk rm -f -v $ids 2>&1) || violation "rm -f -v of every container failed" "$out"
	fi
	for n in $(dk network ls --format '{{.Name}}' | grep '^kc'); do
		out=$(dk network rm "$n" 2>&1) || violation "network rm $n failed" "$out"
	done
	for n in $(dk volume ls -q); do
		out=$(dk volume rm "$n" 2>&1) || violation "volume rm $n failed" "$out"
	done
	for n in $(dk images --format '{{.Repository}}:{{.Tag}}' | grep -vx 'bb:latest' | grep -v ':<none>$'); do
		out=$(dk rmi -f "$n" 2>&1) || violation "rmi $n failed" "$out"
	done
	# Untagged images a build or commit cut short left (dockerd leaves
	# them too), and pushed ones whose tag moved on: they keep their
	# repository digest (repo:<none>, no name rmi takes), so by ID.
	out=$(dk image prune -f 2>&1) || violation "image prune failed" "$out"
	local bb
	bb=$(dk image inspect --format '{{.Id}}' bb:latest)
	for n in $(dk images -q --no-trunc | sort -u | grep -vxF "$bb"); do
		out=$(dk rmi -f "$n" 2>&1) || violation "rmi -f $n failed" "$out"
	done
	out=$(dk images -aq --no-trunc | sort -u)
	[[ $(wc -w <<<"$out") -le 1 ]] || violation "images other than bb left" "$out"
}

kc_check_final() {
	local out c layers
	out=$(dk ps -aq)
	[[ -z $out ]] || violation "containers left" "$out"
	out=$(awk -v r="$D_DATA" -v e="$D_EXEC" 'index($5, r) == 1 || index($5, e) == 1 { print $5 }' /proc/self/mountinfo)
	[[ -z $out ]] || violation "mounts left under the roots" "$out"
	out=$(ls -A "$D_DATA/containers" 2>/dev/null)
	[[ -z $out ]] || violation "container dirs left" "$out"
	# overlay2: the one layer of bb (and its short link dir "l").
	layers=$(ls -A "$D_DATA/overlay2" 2>/dev/null | grep -vx l)
	[[ $(wc -w <<<"$layers") -le 1 ]] || violation "overlay2 entries beyond bb's layer" "$layers"
	out=$(find "$D_DATA/overlay2/l" -mindepth 1 2>/dev/null)
	[[ $(wc -w <<<"$out") -le 1 ]] || violation "overlay2 short links beyond bb's layer" "$out"
	out=$(ls -A "$D_DATA/volumes" 2>/dev/null | grep -v '^metadata\|^\.lock$')
	[[ -z $out ]] || violation "volume dirs left" "$out"
	out=$(pgrep -af -- "--runtime-root $D_EXEC/runc")
	[[ -z $out ]] || violation "shims left" "$out"
	out=$(ls -A "$D_EXEC/runc" 2>/dev/null)
	[[ -z $out ]] || violation "runc state left" "$out"
	for c in memory pids cpu freezer; do
		out=$(ls -d /sys/fs/cgroup/$c/berth/*/ 2>/dev/null | xargs -r -n1 basename | grep -Fx -f "$KC_SEEN_IDS")
		[[ -z $out ]] || violation "$c cgroups of removed containers" "$out"
	done
	out=$(net_links | grep -E "^${KC_TAG}[nu]")
	[[ -z $out ]] || violation "bridges of removed networks" "$out"
	out=$(ip -o link show master "${KC_TAG}0" 2>/dev/null)
	[[ -z $out ]] || violation "interfaces left on the default bridge" "$out"
	for c in $(sed 's/^\(..........\).*/\1/' "$KC_SEEN_IDS" | sort -u); do
		out=$(net_links | grep "^vb$c")
		[[ -z $out ]] || violation "veth of removed container $c" "$out"
	done
	# nftables: nothing names a removed network's bridge or subnet, or a
	# removed container's address on the default bridge.
	local rules
	rules=$(nft list table ip "$KC_TABLE" 2>&1)
	out=$(grep -nE "${KC_TAG}[nu]|10\.$NB\.(2|1[0-9])\.|10\.$NB\.1\.([2-9]|[1-9][0-9]+)\b" <<<"$rules")
	[[ -z $out ]] || violation "nftables rules of removed networks or containers" "$out"
	out=$(grep -nE 'elements = \{' <<<"$rules")
	[[ -z $out ]] || violation "nftables set elements left" "$out"
	[[ -z $(ls -A "$D_EXEC/netns" 2>/dev/null) ]] || violation "network namespaces left" "$(ls -A "$D_EXEC/netns")"
}

# ---- the run ----

# Hooks of a script (function names), run in order:
KC_HOOKS_SETTLE=()  # after each restart, before its checks (wait for what the daemon resumes)
KC_HOOKS_RESTART=() # after each restart's checks, the loops still paused
KC_HOOKS_CLEANUP=() # at the end, before containers, networks, volumes and images go
KC_HOOKS_FINAL=()   # after the final checks (twice: before and after a clean restart)

kc_hooks() {
	local h
	for h in "$@"; do "$h"; done
}

# Roots, names and the first start; bb:latest imported, network kcnet made.
kc_setup() {
	test_setup
	KEEP_TMP=1
	ROUND=setup
	ct_rootfs_tar
	net_block
	KC_TAG=$(printf 'kc%04x' $(($$ % 65536)))
	NET_TAG=$KC_TAG
	new_daemon_dir kc
	KC_PAUSE=$TEST_TMP/pause KC_STOP=$TEST_TMP/stop KC_ACK=$TEST_TMP/ack KC_OPS=$TEST_TMP/ops.log
	KC_SEEN_IDS=$TEST_TMP/seen-ids
	: >"$KC_SEEN_IDS"
	echo "some bytes" >"$TEST_TMP/kc-file"
	add_cleanup "touch '$KC_STOP' '$KC_PAUSE'"
	add_cleanup "ct_force_cleanup '$TEST_TMP' '$D_EXEC'"
	add_cleanup "net_force_cleanup '$KC_TAG'"
	kc_start || exit 1
	KC_TABLE=$(sed -n 's/.*nftables table \(berth[a-z0-9_]*\).*/\1/p' "$D_LOG" | head -n 1)
	add_cleanup "nft delete table ip '$KC_TABLE' 2>/dev/null; true"
	say "berthd $D_PID, roots in $TEST_TMP, bridges $KC_TAG*, 10.$NB.0.0/16, table $KC_TABLE"
	dk import "$CT_TAR" bb:latest >/dev/null || { echo "import failed" >&2; exit 1; }
	dk network create --subnet "10.$NB.2.0/24" -o "com.docker.network.bridge.name=${KC_TAG}u" kcnet >/dev/null ||
		{ echo "network create failed" >&2; exit 1; }
}

# ROUNDS kill -9 rounds under the loops, with the checks after each restart.
kc_rounds() {
	local delay d
	kc_start_loops
	for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
		delay=$(awk -v a="$MIN_SECS" -v b="$MAX_SECS" 'BEGIN { srand(); printf "%.2f", a + rand() * (b - a) }')
		sleep "$delay"
		dk ps -aq --no-trunc >>"$KC_SEEN_IDS" 2>/dev/null
		echo "--- kill -9 round $ROUND" >>"$KC_OPS"
		# What was under way: the last command each loop started.
		say "round $ROUND: kill -9 after ${delay}s; under way: $(pgrep -af -- "$DOCKER -H $D_HOST" | sed "s|.*$D_HOST ||" | paste -sd'|')"
		kc_kill
		kc_pause_loops || violation "workload loops hang after kill -9"
		# Sometimes once more while it starts up (recovering what the kill left).
		if ((RANDOM % 100 < STARTUP_KILL_PCT)); then
			d=$(awk 'BEGIN { srand(); printf "%.2f", 0.05 + rand() * 0.6 }')
			say "round $ROUND: kill -9 again ${d}s into start-up"
			kc_launch
			sleep "$d"
			kc_kill
		fi
		kc_start || break
		say "round $ROUND: berthd answers again"
		ls "$D_DATA/containers" >>"$KC_SEEN_IDS" 2>/dev/null
		kc_hooks "${KC_HOOKS_SETTLE[@]}"
		kc_check_restart
		kc_hooks "${KC_HOOKS_RESTART[@]}"
		rm -f "$KC_PAUSE"
	done
}

# Stops the loops, removes everything through the API and checks what is
# left, also after one more clean restart; exits 0 or 1.
kc_finish() {
	local pid ok all
	ROUND=final
	touch "$KC_STOP" "$KC_PAUSE"
	for pid in "${KC_LOOP_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	if daemon_alive "$D_PID"; then
		dk ps -aq --no-trunc >>"$KC_SEEN_IDS" 2>/dev/null
		sort -u -o "$KC_SEEN_IDS" "$KC_SEEN_IDS"
		kc_hooks "${KC_HOOKS_CLEANUP[@]}"
		kc_final_cleanup
		kc_check_final
		kc_hooks "${KC_HOOKS_FINAL[@]}"
		# A clean restart after the cleanup finds nothing to do either.
		stop_daemon_pid "$D_PID" quiet || violation "berthd did not stop cleanly"
		kc_start && kc_check_final && kc_hooks "${KC_HOOKS_FINAL[@]}"
	fi
	if grep -Eq "$SANITIZER_RE" "$D_LOG"; then
		violation "sanitizer report in the daemon log" "$(grep -E -A20 "$SANITIZER_RE" "$D_LOG" | head -40)"
	fi
	ok=$(grep -c ' rc=0 ' "$KC_OPS")
	all=$(grep -c ' rc=' "$KC_OPS")
	say "done: $ROUNDS rounds, $ok of $all docker commands succeeded, $VIOLATIONS violation(s), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	if ((VIOLATIONS > 0)); then
		cp "$KC_OPS" "$EVIDENCE/ops.log"
		cp "$D_LOG" "$EVIDENCE/daemon.log"
		say "evidence in $EVIDENCE"
		exit 1
	fi
	rm -rf "$EVIDENCE"
	KEEP_TMP=
	exit 0
}
