# docker service logs on a single-node swarm (issue 9): the real docker
# CLI's prefixes (name.slot.id@node), --tail, --timestamps, --raw,
# --no-task-ids, a task's logs, a task that ended, -f, and the API's errors.
# shellcheck source=swarm_lib.sh
. "$INTEG_DIR/swarm_lib.sh"

# lines_at_least N CMD...: CMD's stdout and stderr have N lines or more.
lines_at_least() {
	local n=$1
	shift
	(($("$@" 2>&1 | wc -l) >= n))
}

test_service_logs() {
	swarm_one_node
	run_ok dk service create -d --name talk --replicas 2 --stop-grace-period 1s busybox \
		sh -c 'echo one; echo two >&2; echo three; sleep 1000'
	wait_for 60 "6 lines of logs" lines_at_least 6 docker -H "$D_HOST" service logs talk
	local host
	host=$(dk node inspect self --format '{{.Description.Hostname}}')
	run_ok dk service logs talk
	assert_eq 4 "$(grep -cE "^talk\.[12]\.[0-9a-z]{12}@$host +\| (one|three)$" <<<"$OUT")" "stdout lines: $OUT"
	assert_eq 2 "$(grep -cE "^talk\.[12]\.[0-9a-z]{12}@$host +\| two$" <<<"$ERR")" "stderr lines: $ERR"
	run_ok dk service logs --no-trunc talk
	assert_eq 4 "$(grep -cE "^talk\.[12]\.[0-9a-z]{25}@$host +\| (one|three)$" <<<"$OUT")" "--no-trunc: $OUT"
	# The last line of each task: "three", or "two" when the shim read
	# stderr's pipe after stdout's.
	run_ok dk service logs --tail 1 talk
	local both
	both=$(printf '%s\n%s' "$OUT" "$ERR" | grep .)
	assert_eq 1 "$(grep -cE '^talk\.1\..*\| (two|three)$' <<<"$both")" "--tail 1, task 1: $both"
	assert_eq 1 "$(grep -cE '^talk\.2\..*\| (two|three)$' <<<"$both")" "--tail 1, task 2: $both"
	assert_eq 2 "$(wc -l <<<"$both")" "--tail 1 lines: $both"
	run_ok dk service logs --timestamps talk
	assert_eq 4 "$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z talk\.[12]\.' <<<"$OUT")" "--timestamps: $OUT"
	run_ok dk service logs --raw talk
	assert_eq "$(printf 'one\none\nthree\nthree')" "$(sort <<<"$OUT")" "--raw"
	run_ok dk service logs --no-task-ids talk
	assert_eq 4 "$(grep -cE "^talk\.[12]@$host +\| (one|three)$" <<<"$OUT")" "--no-task-ids: $OUT"
	run_ok dk service logs --since 1h talk
	assert_eq 4 "$(grep -c . <<<"$OUT")" "--since 1h: $OUT"
	run_ok dk service logs --since 2099-01-01T00:00:00Z talk
	assert_empty "$OUT$ERR" "--since in the future"
	local task
	task=$(dk service ps talk -q --filter desired-state=running | head -n1)
	run_ok dk service logs "$task"
	assert_eq 2 "$(grep -cE "^talk\.[12]\.${task:0:12}@$host +\| (one|three)$" <<<"$OUT")" "task logs: $OUT"
	assert_eq 1 "$(grep -c 'two$' <<<"$ERR")" "task logs stderr: $ERR"
	run_fails dk service logs nosuch
	assert_contains "$ERR" "no such task or service: nosuch" "unknown target"
}

test_service_logs_ended_task() {
	swarm_one_node
	run_ok dk service create -d --name once --restart-condition none busybox echo done-line
	wait_for 60 "the task to complete" bash -c "docker -H '$D_HOST' service ps once --format '{{.CurrentState}}' | grep -q '^Complete'"
	run_ok dk service logs once
	assert_match "$OUT" '^once\.1\.[0-9a-z]{12}@.* +\| done-line$' "ended task's logs"
}

test_service_logs_follow() {
	swarm_one_node
	run_ok dk service create -d --name tick --stop-grace-period 1s busybox \
		sh -c 'echo first; while ! [ -e /tmp/go ]; do sleep 0.2; done; echo second; sleep 1000'
	wait_for 60 "the first line" bash -c "docker -H '$D_HOST' service logs tick | grep -q first"
	local out="$TEST_TMP/follow.out" err="$TEST_TMP/follow.err"
	dk service logs -f tick >"$out" 2>"$err" &
	local pid=$!
	BG_PIDS+=("$pid")
	wait_for 30 "the follower to replay" grep -q first "$out"
	local cid
	cid=$(dk ps -q --filter label=com.docker.swarm.service.name=tick)
	run_ok dk exec "$cid" touch /tmp/go
	wait_for 30 "the followed line" grep -q '| second$' "$out"
	# A task that starts after the request is followed too.
	run_ok dk service scale -d tick=2
	wait_for 60 "the new task's line" grep -qE '^tick\.2\..*\| first$' "$out"
	kill -0 "$pid" || fail "the follower ended: $(cat "$err")"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}

test_service_logs_api() {
	swarm_one_node
	run_ok dk service create -d --name api busybox sh -c 'echo hello; sleep 1000'
	wait_for 60 "the line" bash -c "docker -H '$D_HOST' service logs api | grep -q hello"
	local id
	id=$(dk service inspect api --format '{{.ID}}')
	run_ok curl -s -w '\n%{http_code}' --unix-socket "$D_SOCK" http://localhost/v1.41/services/api/logs
	assert_eq 400 "$(tail -n1 <<<"$OUT")" "no stream: $OUT"
	assert_contains "$OUT" "Bad parameters: you must choose at least one stream" "no stream"
	run_ok curl -s -w '\n%{http_code}' --unix-socket "$D_SOCK" "http://localhost/v1.41/services/nosuch/logs?stdout=1"
	assert_eq 404 "$(tail -n1 <<<"$OUT")" "unknown service: $OUT"
	assert_contains "$OUT" "service nosuch not found" "unknown service"
	run_ok curl -s -w '\n%{http_code}' --unix-socket "$D_SOCK" "http://localhost/v1.41/tasks/nosuch/logs?stdout=1"
	assert_eq 404 "$(tail -n1 <<<"$OUT")" "unknown task: $OUT"
	run_ok curl -s -w '\n%{http_code}' --unix-socket "$D_SOCK" "http://localhost/v1.41/services/api/logs?stdout=1&tail=-1"
	assert_contains "$OUT" "negative tail values not supported" "negative tail"
	run_ok curl -s -w '\n%{http_code}' --unix-socket "$D_SOCK" "http://localhost/v1.41/services/api/logs?stdout=1&tail=x"
	assert_contains "$OUT" 'tail value must be a positive integer or \"all\"' "bad tail"
	# The details dockerd attaches, after the 8-byte stream header.
	run_ok bash -c "curl -s --unix-socket '$D_SOCK' 'http://localhost/v1.41/services/$id/logs?stdout=1&details=1' | tail -c +9"
	assert_match "$OUT" "^com\.docker\.swarm\.node\.id=[0-9a-z]{25},com\.docker\.swarm\.service\.id=$id,com\.docker\.swarm\.task\.id=[0-9a-z]{25} hello$" "details"
}

test_berth_service_logs() {
	swarm_one_node
	run_ok dk service create -d --name bt --stop-grace-period 1s busybox \
		sh -c 'echo alpha; echo beta >&2; sleep 1000'
	wait_for 60 "2 lines of logs" lines_at_least 2 docker -H "$D_HOST" service logs bt
	local host task
	host=$(dk node inspect self --format '{{.Description.Hostname}}')
	task=$(dk service ps bt -q --no-trunc | head -n1)
	local f
	for f in "" --no-trunc --no-task-ids --raw --timestamps "--tail 1" --no-resolve; do
		# shellcheck disable=SC2086
		run_ok dk service logs $f bt
		local d_out=$OUT d_err=$ERR
		# shellcheck disable=SC2086
		run_ok berth -H "$D_HOST" service logs $f bt
		if [[ $f == --timestamps ]]; then
			assert_eq "$d_out" "$OUT" "berth service logs $f (stdout)"
		elif [[ $f == "--tail 1" ]]; then
			assert_eq "$(printf '%s\n%s' "$d_out" "$d_err" | grep -c .)" "$(printf '%s\n%s' "$OUT" "$ERR" | grep -c .)" "berth service logs $f"
		else
			assert_eq "$d_out" "$OUT" "berth service logs $f (stdout)"
			assert_eq "$d_err" "$ERR" "berth service logs $f (stderr)"
		fi
	done
	assert_contains "$OUT" "@$(dk node inspect self --format '{{.ID}}')" "--no-resolve shows the node ID"
	run_ok berth -H "$D_HOST" service logs "$task"
	assert_match "$OUT" "^bt\.1\.${task:0:12}@$host +\| alpha$" "berth service logs TASK"
	run_fails berth -H "$D_HOST" service logs nosuch
	assert_contains "$ERR" "no such task or service: nosuch" "berth: unknown target"
}
