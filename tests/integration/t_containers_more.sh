# Containers (issue 4): log rotation, ps before/since, runtimes, OOM.

test_containers_log_rotation() {
	ct_daemon
	run_ok dk run -d --name rot --network none --log-opt max-size=1k --log-opt max-file=3 bb \
		sh -c 'i=0; while [ $i -lt 200 ]; do echo "line $i ........................................"; i=$((i+1)); done; sleep 300'
	wait_for 10 "the container's output" bash -c "DOCKER_CONFIG=$TEST_TMP/docker-config $DOCKER -H $D_HOST logs rot | grep -q 'line 199 '"
	local dir
	dir=$(dirname "$(dk inspect --format '{{.LogPath}}' rot)")
	local files
	files=$(ls "$dir" | grep -c -- '-json.log\(\.[0-9]\)\?$')
	assert_eq 3 "$files" "log files kept with max-file=3"
	local f size
	for f in "$dir"/*-json.log*; do
		[[ $f == *.base ]] && continue
		size=$(stat -c %s "$f")
		((size <= 1024)) || fail "$f is $size bytes, above max-size=1k"
	done
	# docker logs reads across the files, oldest first, without gaps.
	run_ok dk logs rot
	local n first last
	n=$(grep -c . <<<"$OUT")
	((n > 10 && n < 200)) || fail "expected the newest lines only, got $n"
	first=$(head -n 1 <<<"$OUT" | awk '{print $2}') last=$(tail -n 1 <<<"$OUT" | awk '{print $2}')
	assert_eq 199 "$last" "last line"
	assert_eq $((200 - first)) "$n" "lines from $first to 199 without gaps"
	run_ok dk logs --tail 2 rot
	assert_eq "line 198" "$(head -n 1 <<<"$OUT" | cut -c1-8)" "--tail across files"
	run_ok dk rm -f rot
	# logs -f while the log rotates: every line once, in order.
	run_ok dk run -d --name rot2 --network none --log-opt max-size=2k --log-opt max-file=2 bb \
		sh -c 'sleep 1; i=0; while [ $i -lt 300 ]; do echo "n $i"; i=$((i+1)); usleep 5000; done'
	run_ok timeout -k 5 30 "$DOCKER" -H "$D_HOST" logs -f rot2
	run_ok "$PYTHON" -c 'import sys
nums = [int(l.split()[1]) for l in sys.argv[1].splitlines() if l.startswith("n ")]
assert nums == list(range(nums[0], 300)), nums[:5]' "$OUT"
	run_ok dk rm -f rot2
	# Bad options: nothing is created.
	run_fails dk run -d --network none --log-opt max-size=lots bb true
	assert_contains "$ERR" "invalid size: 'lots'" "bad max-size"
	run_fails dk run -d --network none --log-opt max-file=0 bb true
	assert_contains "$ERR" "max-file cannot be less than 1" "max-file 0"
	run_fails dk run -d --network none --log-opt colour=red bb true
	assert_contains "$ERR" "unknown log opt 'colour' for json-file log driver" "unknown log opt"
	run_fails dk run -d --network none --log-driver fluentd bb true
	assert_contains "$ERR" "logger: no log driver named 'fluentd' is registered" "unknown log driver"
	run_ok dk ps -aq
	assert_empty "$OUT" "containers left by refused creates"
}

test_containers_ps_before_since() {
	ct_daemon
	local a b c
	a=$(dk create --name ca --network none bb true) && b=$(dk create --name cb --network none bb true) &&
		c=$(dk create --name cc --network none bb true) || fail "create"
	run_ok dk ps -a --filter before=cc --format '{{.Names}}'
	assert_eq "cb ca" "$(echo $OUT)" "before=cc"
	run_ok dk ps -a --filter since=ca --format '{{.Names}}'
	assert_eq "cc cb" "$(echo $OUT)" "since=ca"
	run_ok dk ps -a --filter since=ca --filter before=cc --format '{{.Names}}'
	assert_eq "cb" "$(echo $OUT)" "since=ca before=cc"
	run_ok dk ps -a --filter before=${b:0:12} -q
	assert_eq "${a:0:12}" "$OUT" "before= by short ID"
	run_fails dk ps -a --filter before=nosuch
	assert_contains "$ERR" "No such container: nosuch" "before= an unknown container"
	run_ok dk rm ca cb cc
}

test_containers_runtimes() {
	ct_rootfs_tar
	# A runtime of our own: a wrapper that records its use and runs runc.
	local wrap=$TEST_TMP/myrunc
	printf '#!/bin/sh\necho "$*" >>%s/myrunc.calls\nexec /usr/sbin/runc "$@"\n' "$TEST_TMP" >"$wrap"
	chmod +x "$wrap"
	ct_daemon --add-runtime "myrunc=$wrap"
	run_ok dk info --format '{{json .Runtimes}} {{.DefaultRuntime}}'
	assert_contains "$OUT" "\"myrunc\":{\"path\":\"$wrap\"}" "info lists the added runtime"
	assert_contains "$OUT" " runc" "default runtime"
	run_ok dk run --rm --network none --runtime myrunc bb echo via-myrunc
	assert_eq via-myrunc "$OUT" "output of a container on the added runtime"
	grep -q " run --detach " "$TEST_TMP/myrunc.calls" || fail "the added runtime was not used"
	run_ok dk run -d --name onrunc --network none bb sleep 300
	run_ok dk inspect --format '{{.HostConfig.Runtime}}' onrunc
	assert_eq runc "$OUT" "HostConfig.Runtime of a default container"
	run_ok dk rm -f onrunc
	run_fails dk run --rm --network none --runtime nosuch bb true
	assert_contains "$ERR" "Unknown runtime specified nosuch" "unknown runtime"
	# As the default runtime, with exec and update going through it too.
	stop_daemon
	: >"$TEST_TMP/myrunc.calls"
	ct_restart_daemon --add-runtime "myrunc=$wrap" --default-runtime myrunc
	run_ok dk run -d --name onmy --network none bb sleep 300
	run_ok dk inspect --format '{{.HostConfig.Runtime}}' onmy
	assert_eq myrunc "$OUT" "HostConfig.Runtime with --default-runtime"
	run_ok dk exec onmy echo in-exec
	run_ok dk update --memory 64m onmy
	run_ok dk rm -f onmy
	assert_contains "$(cat "$TEST_TMP/myrunc.calls")" " exec " "exec through the default runtime"
	assert_contains "$(cat "$TEST_TMP/myrunc.calls")" " update " "update through the default runtime"
	stop_daemon
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG" --default-runtime nope
	assert_contains "$START_LOG" "specified default runtime 'nope' does not exist" "unknown default runtime"
}

test_containers_oom() {
	ct_daemon
	local since
	since=$(date +%s)
	run dk run --name oomer --network none -m 8m --memory-swap 8m bb sh -c 'x=$(head -c 64000000 /dev/zero | tr "\0" a); echo survived'
	assert_eq 137 "$RC" "exit code of an OOM-killed container"
	run_ok dk inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' oomer
	assert_eq "true 137" "$OUT" "State.OOMKilled"
	run_ok timeout -k 5 10 "$DOCKER" -H "$D_HOST" events --since "$since" --until "$(($(date +%s) + 1))" \
		--filter container=oomer --format '{{.Action}}'
	assert_contains "$(echo $OUT)" "oom die" "oom event before die"
	# It stays with the container across a daemon restart.
	run_ok dk run --name fine --network none -m 8m bb true
	run_ok dk inspect --format '{{.State.OOMKilled}}' fine
	assert_eq false "$OUT" "OOMKilled of a container within its limit"
	stop_daemon
	ct_restart_daemon
	run_ok dk inspect --format '{{.State.OOMKilled}}' oomer
	assert_eq true "$OUT" "OOMKilled after a daemon restart"
	run_ok dk rm oomer fine
}

# kill -9 of berthd while `docker run -d` calls are under way, at several
# moments: after a restart every container on disk is listed and usable,
# running ones run, and rm -f of all of them leaves nothing behind.
test_containers_kill9_mid_create() {
	ct_daemon
	local round delay ids id pid
	for round in 1 2 3; do
		delay=$(awk -v r="$round" 'BEGIN { srand(); printf "%.2f", 0.05 * r + rand() * 0.2 }')
		(
			for i in 1 2 3 4 5 6 7 8; do
				DOCKER_CONFIG="$TEST_TMP/docker-config" timeout 20 "$DOCKER" -H "$D_HOST" \
					run -d --network none -v "vol$i:/v" bb sleep 300 >/dev/null 2>&1
			done
		) &
		local loop=$! before
		# Once one more container exists, the next creates are under way.
		before=$(ls "$D_DATA/containers" | wc -l)
		wait_for 30 "a container to be created" bash -c "(( \$(ls '$D_DATA/containers' | wc -l) > $before ))"
		sleep "$delay"
		kill -9 "$D_PID"
		wait "$D_PID" 2>/dev/null
		forget_pid "$D_PID"
		wait "$loop" 2>/dev/null
		ct_restart_daemon
		# Every container the daemon knows of answers inspect; the
		# running ones really run.
		run_ok dk ps -aq --no-trunc
		ids=$OUT
		for id in $ids; do
			run_ok dk inspect --format '{{.State.Status}} {{.State.Pid}}' "$id"
			if [[ $OUT == running* ]]; then
				pid=${OUT#running }
				kill -0 "$pid" 2>/dev/null || fail "container $id is listed as running but pid $pid is gone"
			fi
		done
		# Containers created before the kill can be started and exec'd into.
		for id in $ids; do
			run_ok dk inspect --format '{{.State.Status}}' "$id"
			[[ $OUT == created ]] && run_ok dk start "$id"
		done
		for id in $ids; do
			run_ok dk exec "$id" true
		done
	done
	# Everything goes away cleanly.
	run_ok dk ps -aq --no-trunc
	ids=$OUT
	[[ -n $ids ]] || fail "no container survived three rounds of kill -9"
	run_ok dk rm -f -v $ids
	for id in $ids; do ct_gone "$id"; done
	run_ok dk ps -aq
	assert_empty "$OUT" "containers after rm -f"
	assert_empty "$(ls "$D_DATA/containers")" "container directories left on disk"
	assert_empty "$(ls "$D_EXEC/runc" 2>/dev/null)" "runc state left"
	assert_empty "$(pgrep -f -- "--runtime-root $D_EXEC/runc" 2>/dev/null)" "shims left"
	local c
	for c in memory pids cpu freezer; do
		assert_empty "$(ls -d /sys/fs/cgroup/$c/berth/*/ 2>/dev/null | xargs -r -n1 basename | grep -Fx -f <(echo "$ids"))" \
			"$c cgroups of the removed containers"
	done
}

# kill -9 between writing a state file's temporary copy and renaming it
# over the file leaves <file>.tmp-<pid> beside it (found by
# tests/stress/kill9-churn.sh in container dirs, the network and the image
# store); the next start removes them, but not one whose writer still runs
# (a shim writes in its container's directory too).
test_containers_kill9_tmp_leftovers() {
	ct_daemon
	run_ok dk create --name stale --network none -v stalevol:/v bb true
	local id=$OUT dead dir img chain f files=()
	dir=$D_DATA/containers/$id
	img=$(dk image inspect --format '{{.Id}}' bb)
	img=${img#sha256:}
	# bb has one layer: its chain ID is its diff ID.
	chain=$(dk image inspect --format '{{index .RootFS.Layers 0}}' bb)
	chain=${chain#sha256:}
	(exit 0) &
	dead=$!
	wait "$dead"
	kill -9 "$D_PID"
	wait "$D_PID" 2>/dev/null
	forget_pid "$D_PID"
	files=("$dir/config.v2.json.tmp-$dead"
		"$D_DATA/network/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.json.tmp-$dead"
		"$D_DATA/image/overlay2/repositories.json.tmp-$dead"
		"$D_DATA/image/overlay2/imagedb/content/sha256/$img.tmp-$dead"
		"$D_DATA/image/overlay2/imagedb/metadata/sha256/$img/lastUpdated.tmp-$dead"
		"$D_DATA/image/overlay2/layerdb/sha256/$chain/cache-id.tmp-$dead"
		"$D_DATA/volumes/stalevol/meta.json.tmp-$dead"
		"$D_DATA/engine-id.tmp-$dead")
	for f in "${files[@]}"; do
		mkdir -p "$(dirname "$f")"
		printf '{"half' >"$f"
	done
	printf '{"live' >"$dir/hostconfig.json.tmp-$$"
	ct_restart_daemon
	for f in "${files[@]}"; do
		assert_file_absent "$f" "temporary file of a dead writer"
	done
	assert_file_exists "$dir/hostconfig.json.tmp-$$" "temporary file of a live writer"
	rm -f "$dir/hostconfig.json.tmp-$$"
	run_ok dk rm -v stale
	run_ok dk volume rm stalevol
	ct_gone "$id"
}

# rmi -f of the image of a stopped container removes the image but not the
# layers the container stands on, also across a restart; they go with it.
test_containers_pin_image_layers() {
	ct_daemon
	run_ok dk create --name pinned --network none bb:latest echo alive
	run_ok dk rmi -f bb:latest
	assert_contains "$OUT" "Untagged: bb:latest" "rmi -f output"
	run_ok dk images -aq
	assert_empty "$OUT" "images after rmi -f"
	stop_daemon
	ct_restart_daemon
	run_ok dk start -a pinned
	assert_eq alive "$OUT" "a container whose image was removed still runs"
	[[ -n $(ls "$D_DATA/image/overlay2/layerdb/sha256") ]] || fail "the pinned layer is gone"
	run_ok dk rm pinned
	wait_for 5 "the layer to be removed" bash -c "[[ -z \$(ls '$D_DATA/image/overlay2/layerdb/sha256') ]]"
	assert_empty "$(ls "$D_DATA/overlay2" | grep -v '^l$')" "storage entries left"
}

# GET /containers/json streams its array in chunks, one entry at a time: with
# many containers the document is still exactly one JSON array, newest first,
# and limit/filters still apply.
test_containers_list_many() {
	ct_daemon
	local i n=150
	for ((i = 0; i < n; i++)); do
		curl -sf --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
			-d '{"Image":"bb","Cmd":["true"],"Labels":{"k":"v'$i'"},"HostConfig":{"NetworkMode":"none"}}' \
			"http://localhost/v1.41/containers/create?name=many$i" >/dev/null || fail "create many$i"
	done
	run_ok curl -sf -D "$TEST_TMP/head" -o "$TEST_TMP/body" --unix-socket "$D_SOCK" \
		"http://localhost/v1.41/containers/json?all=1"
	assert_contains "$(tr -d '\r' <"$TEST_TMP/head")" "Transfer-Encoding: chunked" "a chunked answer"
	run_ok "$PYTHON" - "$TEST_TMP/body" "$n" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
n = int(sys.argv[2])
assert raw.endswith(b"]\n"), raw[-20:]
v = json.loads(raw)
# The same bytes as one compact document (what the whole-array reply sent).
assert raw == json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
names = [c["Names"][0] for c in v]
assert names == ["/many%d" % i for i in reversed(range(n))], names[:5]
assert all(c["Labels"] == {"k": "v%d" % (n - 1 - j)} for j, c in enumerate(v))
assert all(c["State"] == "created" and c["HostConfig"]["NetworkMode"] == "none" for c in v)
PY
	run_ok curl -sf --unix-socket "$D_SOCK" "http://localhost/v1.41/containers/json?all=1&limit=3"
	assert_eq '["/many149", "/many148", "/many147"]' "$(json_get "$OUT" '[c["Names"][0] for c in j]')" "limit=3"
	run_ok curl -sf --unix-socket "$D_SOCK" "http://localhost/v1.41/containers/json"
	assert_eq "[]" "$OUT" "no running container"
	run_ok dk ps -aq
	assert_eq "$n" "$(grep -c . <<<"$OUT")" "docker ps -aq"
	run_ok dk container prune -f
}

# --init where berth-init is not installed (not beside berthd, not on
# PATH): dockerd's refusal at the start, and nothing of the container left.
test_containers_init_missing() {
	mkdir -p "$TEST_TMP/noinit"
	cp "$BERTHD" "$(dirname "$BERTHD")/berth-shim" "$TEST_TMP/noinit/"
	BERTHD=$TEST_TMP/noinit/$(basename "$BERTHD") PATH=/usr/sbin:/usr/bin:/sbin:/bin ct_daemon
	run_fails dk run --rm --network none --init bb true
	assert_contains "$ERR" 'exec: "berth-init": executable file not found in $PATH' "--init without berth-init"
	run_ok dk run --rm --network none bb echo fine
	assert_eq fine "$OUT" "a container without --init"
	wait_for 10 "the --rm container gone" no_containers_left
}

# docker logs --details: json-file's attributes (labels, env, a tag asked
# for) before each line, as dockerd writes them; a space alone without.
test_containers_logs_details() {
	ct_daemon
	run_ok dk run --name d1 --network none --label team=blue -e 'E1=x y' -e E2=z \
		--log-opt labels=team --log-opt env=E1 --log-opt 'tag={{.Name}}' bb echo hi
	run_ok dk logs --details d1
	assert_eq "E1=x+y,tag=d1,team=blue hi" "$OUT" "details of a container with attributes"
	run_ok dk run --name d2 --network none bb sh -c 'echo out; echo err >&2'
	run_ok dk logs --details d2
	assert_eq " out" "$OUT" "details without attributes (stdout)"
	assert_eq " err" "$ERR" "details without attributes (stderr)"
	run_ok dk run --name d3 --network none --log-driver local bb echo loc
	run_ok dk logs --details --timestamps d3
	assert_match "$OUT" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z  loc$' "details of the local driver, with timestamps"
	# Following: the lines that come later carry them too.
	run_ok dk run -d --name d4 --network none --label team=red --log-opt labels=team bb sh -c 'sleep 1; echo late'
	run_ok dk logs -f --details d4
	assert_eq "team=red late" "$OUT" "details of a followed line"
	# berth logs sends what docker logs sends.
	run_ok berth -H "$D_HOST" logs --details d1
	assert_eq "E1=x+y,tag=d1,team=blue hi" "$OUT" "berth logs --details"
	run_ok berth -H "$D_HOST" logs --details d2
	assert_eq " out" "$OUT" "berth logs --details without attributes"
	local t
	t=$(dk inspect --format '{{.State.FinishedAt}}' d2)
	run_ok berth -H "$D_HOST" logs --until 2000-01-01T00:00:00Z d2
	assert_empty "$OUT" "berth logs --until before the container ran"
	run_ok berth -H "$D_HOST" logs --since 1h --until "$t" d2
	assert_eq out "$OUT" "berth logs --since 1h --until its end"
	run_fails berth -H "$D_HOST" logs --since yesterday d2
	run dk logs --since yesterday d2
	assert_eq "$ERR" "$(berth -H "$D_HOST" logs --since yesterday d2 2>&1 >/dev/null)" "the error of a bad --since"
	run_ok dk rm -f d1 d2 d3 d4
}
