# /events: history with --since/--until, filters, JSON format, live streams.

now_ns_ts() { date +%s.%N; }

# Starts a daemon, triggers one reload and sets BEFORE/AFTER around it.
daemon_with_one_reload() {
	start_daemon "$@"
	BEFORE=$(date +%s)
	reload_daemon
	AFTER=$(now_ns_ts)
}

test_events_since_until_docker() {
	daemon_with_one_reload
	run_ok docker -H "$D_HOST" events --since "$BEFORE" --until "$AFTER"
	assert_contains "$OUT" " daemon reload " "docker events --since --until"
	assert_eq 1 "$(grep -c . <<<"$OUT")" "number of events printed"
	# The default layout: time, type, action, actor ID, (attributes).
	local id
	id=$(docker -H "$D_HOST" info --format '{{.ID}}')
	assert_match "$OUT" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[+-Z0-9:]* daemon reload $id \\(.*name=$(hostname).*\\)$" "docker events line"

	run_ok docker -H "$D_HOST" system events --since "$BEFORE" --until "$AFTER"
	assert_contains "$OUT" " daemon reload " "docker system events"

	# A window that ends before the reload shows nothing.
	run_ok docker -H "$D_HOST" events --since "$((BEFORE - 100))" --until "$((BEFORE - 50))"
	assert_empty "$OUT" "events before the reload"
}

test_events_filters_docker() {
	daemon_with_one_reload
	reload_daemon
	AFTER=$(now_ns_ts)
	run_ok docker -H "$D_HOST" events --since "$BEFORE" --until "$AFTER" --filter type=daemon
	assert_eq 2 "$(grep -c ' daemon reload ' <<<"$OUT")" "reload events with type=daemon"
	run_ok docker -H "$D_HOST" events --since "$BEFORE" --until "$AFTER" --filter event=reload
	assert_eq 2 "$(grep -c ' daemon reload ' <<<"$OUT")" "reload events with event=reload"
	run_ok docker -H "$D_HOST" events --since "$BEFORE" --until "$AFTER" --filter type=daemon --filter event=reload
	assert_eq 2 "$(grep -c ' daemon reload ' <<<"$OUT")" "reload events with type=daemon and event=reload"
	run_ok docker -H "$D_HOST" events --since "$BEFORE" --until "$AFTER" --filter type=container
	assert_empty "$OUT" "events with type=container"
	run_ok docker -H "$D_HOST" events --since "$BEFORE" --until "$AFTER" --filter event=start
	assert_empty "$OUT" "events with event=start"
	# Two values of one key are OR-ed.
	run_ok docker -H "$D_HOST" events --since "$BEFORE" --until "$AFTER" --filter type=container --filter type=daemon
	assert_eq 2 "$(grep -c ' daemon reload ' <<<"$OUT")" "events with type=container OR type=daemon"
	local id
	id=$(docker -H "$D_HOST" info --format '{{.ID}}')
	run_ok docker -H "$D_HOST" events --since "$BEFORE" --until "$AFTER" --filter "daemon=$id"
	assert_eq 2 "$(grep -c ' daemon reload ' <<<"$OUT")" "events with daemon=<engine id>"
	run_ok docker -H "$D_HOST" events --since "$BEFORE" --until "$AFTER" --filter "daemon=someone-else"
	assert_empty "$OUT" "events with daemon=someone-else"

	# berth sends the same filters.
	run_ok berth -H "$D_HOST" events --since "$BEFORE" --until "$AFTER" --filter type=daemon
	assert_eq 2 "$(grep -c ' daemon reload ' <<<"$OUT")" "berth events with type=daemon"
	run_ok berth -H "$D_HOST" events --since "$BEFORE" --until "$AFTER" --filter type=container
	assert_empty "$OUT" "berth events with type=container"
	run_ok berth -H "$D_HOST" system events --since "$BEFORE" --until "$AFTER" --filter event=reload
	assert_eq 2 "$(grep -c ' daemon reload ' <<<"$OUT")" "berth system events with event=reload"
}

# check_event_json LINE ENGINE_ID: one event in Docker's JSON format.
check_event_json() {
	"$PYTHON" - "$1" "$2" <<'EOF' || fail "event JSON is not Docker's: $1"
import json, sys
e = json.loads(sys.argv[1])
assert e["Type"] == "daemon", e
assert e["Action"] == "reload", e
assert e["Actor"]["ID"] == sys.argv[2], e
assert isinstance(e["Actor"]["Attributes"], dict), e
assert e["scope"] == "local", e
assert isinstance(e["time"], int) and isinstance(e["timeNano"], int), e
assert e["timeNano"] // 10**9 == e["time"], e
EOF
}

test_events_json_format() {
	daemon_with_one_reload
	local id
	id=$(docker -H "$D_HOST" info --format '{{.ID}}')
	run_ok docker -H "$D_HOST" events --since "$BEFORE" --until "$AFTER" --format '{{json .}}'
	assert_eq 1 "$(grep -c . <<<"$OUT")" "number of JSON events"
	check_event_json "$OUT" "$id"
	run_ok berth -H "$D_HOST" events --since "$BEFORE" --until "$AFTER" --format '{{json .}}'
	assert_eq 1 "$(grep -c . <<<"$OUT")" "number of JSON events from berth"
	check_event_json "$OUT" "$id"
	run_ok docker -H "$D_HOST" events --since "$BEFORE" --until "$AFTER" --format '{{.Type}}/{{.Action}}'
	assert_eq "daemon/reload" "$OUT" "docker events --format with fields"
	run_ok berth -H "$D_HOST" events --since "$BEFORE" --until "$AFTER" --format '{{.Type}}/{{.Action}}'
	assert_eq "daemon/reload" "$OUT" "berth events --format with fields"

	# The raw stream (what docker-py reads) also has the legacy-free shape.
	run_ok curl -sS --unix-socket "$D_SOCK" "http://localhost/v1.41/events?since=$BEFORE&until=$AFTER"
	check_event_json "$(head -n 1 <<<"$OUT")" "$id"
}

test_events_since_until_berth() {
	daemon_with_one_reload
	run_ok berth -H "$D_HOST" events --since "$BEFORE" --until "$AFTER"
	assert_contains "$OUT" " daemon reload " "berth events --since --until"
	assert_eq 1 "$(grep -c . <<<"$OUT")" "number of events printed by berth"
	run_ok docker -H "$D_HOST" events --since "$BEFORE" --until "$AFTER"
	assert_eq "$OUT" "$(berth -H "$D_HOST" events --since "$BEFORE" --until "$AFTER")" "berth events output vs docker's"
	# DOCKER_HOST works for events as well.
	run_ok env DOCKER_HOST="$D_HOST" ASAN_OPTIONS="$DAEMON_ASAN_OPTIONS:log_path=$TEST_TMP/san-client" \
		"$BERTH" events --since "$BEFORE" --until "$AFTER"
	assert_contains "$OUT" " daemon reload " "berth events via DOCKER_HOST"
}

# live_events_receive_reload NAME CMD...: starts CMD (an events follower) in the
# background, sends SIGHUP until its output shows a reload, stops it by pid.
live_events_receive_reload() {
	local name=$1
	shift
	local out="$TEST_TMP/$name.out" err="$TEST_TMP/$name.err"
	"$@" >"$out" 2>"$err" &
	local pid=$!
	BG_PIDS+=("$pid")
	# The follower may subscribe after a given SIGHUP; keep reloading until
	# one reaches it.
	local end=$((SECONDS + 20))
	while ! grep -q '"Action":"reload"' "$out"; do
		kill -0 "$pid" 2>/dev/null || fail "$name exited early; stderr: $(cat "$err")"
		((SECONDS < end)) || fail "$name received no reload event in 20s; stdout: $(cat "$out") stderr: $(cat "$err")"
		reload_daemon
		local t=$((SECONDS + 1))
		while ((SECONDS <= t)) && ! grep -q '"Action":"reload"' "$out"; do sleep 0.05; done
	done
	kill -0 "$pid" 2>/dev/null || fail "$name exited after the first event; stderr: $(cat "$err")"
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	check_event_json "$(grep -m1 '"Action":"reload"' "$out")" "$(docker -H "$D_HOST" info --format '{{.ID}}')"
	assert_empty "$(grep -Ev '^\{' "$out")" "$name output lines that are not JSON"
}

test_events_live_docker() {
	start_daemon
	live_events_receive_reload docker-events docker -H "$D_HOST" events --format '{{json .}}'
	# The daemon is still fine after the follower went away.
	run_ok docker -H "$D_HOST" version
	# A follower with a filter that matches nothing gets nothing.
	docker -H "$D_HOST" events --filter type=container >"$TEST_TMP/none.out" 2>&1 &
	local pid=$!
	BG_PIDS+=("$pid")
	reload_daemon
	# Its own reload must have been delivered before this second follower sees
	# one: check with an unfiltered one-shot query that the reload is logged.
	run_ok docker -H "$D_HOST" events --since 0 --until "$(now_ns_ts)" --filter event=reload
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	assert_empty "$(cat "$TEST_TMP/none.out")" "filtered follower output"
}

test_events_live_berth() {
	start_daemon
	live_events_receive_reload berth-events berth -H "$D_HOST" events --format '{{json .}}'
	live_events_receive_reload berth-system-events berth -H "$D_HOST" system events --format '{{json .}}'
	run_ok berth -H "$D_HOST" version
}

test_events_until_in_future_ends_stream() {
	start_daemon
	local until=$(($(date +%s) + 2))
	docker -H "$D_HOST" events --until "$until" >"$TEST_TMP/ev.out" 2>&1 &
	local pid=$!
	BG_PIDS+=("$pid")
	wait_exit "$pid" 20 || fail "docker events --until <2s from now> still running after 20s"
	assert_eq 0 "$EXIT_RC" "docker events --until exit code"
}

test_events_bad_requests() {
	start_daemon
	run curl -sS --unix-socket "$D_SOCK" -w '\n%{http_code}' "http://localhost/v1.41/events?filters=notjson"
	assert_eq 400 "$(tail -n 1 <<<"$OUT")" "status for filters=notjson"
	local body
	body=$(head -n -1 <<<"$OUT")
	assert_ne "" "$(json_get "$body" 'j["message"]')" "error message for filters=notjson"

	run curl -sS --unix-socket "$D_SOCK" -w '\n%{http_code}' -G "http://localhost/v1.41/events" \
		--data-urlencode 'filters={"type":["container"],"until":}' --data-urlencode "until=1"
	assert_eq 400 "$(tail -n 1 <<<"$OUT")" "status for truncated filters JSON"

	run curl -sS --unix-socket "$D_SOCK" -w '\n%{http_code}' "http://localhost/v1.41/events?since=yesterday"
	assert_eq 400 "$(tail -n 1 <<<"$OUT")" "status for since=yesterday"

	run curl -sS --unix-socket "$D_SOCK" -w '\n%{http_code}' "http://localhost/v1.41/events?since=200&until=100"
	assert_eq 400 "$(tail -n 1 <<<"$OUT")" "status for since after until"

	# The CLI reports the error and exits non-zero.
	# dockerd does not validate filter keys on /events; a bad filter string is
	# the CLI's own usage error.
	run berth -H "$D_HOST" events --filter novalue
	assert_eq 125 "$RC" "berth events --filter without '=' (docker: bad format of filter, exit 125)"
	# The daemon still answers.
	ping_unix || fail "daemon stopped answering after bad /events requests"
}

# Many reloads: the history is bounded (dockerd keeps 256 events) and holds
# the newest ones; live followers, including one that does not read for a
# while, get every event once and in order.
test_events_history_bounded_and_followers_complete() {
	start_daemon
	local n=300 i
	docker -H "$D_HOST" events --format '{{.TimeNano}}' >"$TEST_TMP/f1.out" 2>&1 &
	BG_PIDS+=("$!")
	local f1=$!
	berth -H "$D_HOST" events --format '{{.TimeNano}}' >"$TEST_TMP/f2.out" 2>&1 &
	BG_PIDS+=("$!")
	local f2=$!
	# A follower that stops reading (SIGSTOP) until all events are sent.
	curl -sN --unix-socket "$D_SOCK" http://localhost/v1.41/events >"$TEST_TMP/f3.out" 2>&1 &
	BG_PIDS+=("$!")
	local f3=$!
	# Make sure all three are subscribed: reload until each has seen one.
	local start
	start=$(date +%s)
	local end=$((SECONDS + 20))
	while ! bash -c '[ -s "$1/f1.out" ] && [ -s "$1/f2.out" ] && grep -q reload "$1/f3.out"' _ "$TEST_TMP"; do
		((SECONDS < end)) || fail "followers did not all see a reload within 20s"
		reload_daemon
		local t=$((SECONDS + 1))
		while ((SECONDS <= t)) && ! bash -c '[ -s "$1/f1.out" ] && [ -s "$1/f2.out" ] && grep -q reload "$1/f3.out"' _ "$TEST_TMP"; do
			sleep 0.05
		done
	done
	kill -STOP "$f3"
	# Every event of the storm is newer than this.
	local mark
	mark=$(date +%s%N)
	local base
	base=$(grep -c 'reloaded configuration' "$D_LOG")
	for ((i = 1; i <= n; i++)); do
		kill -HUP "$D_PID"
		# Signals do not queue: wait for each reload before the next.
		while [ "$(grep -c 'reloaded configuration' "$D_LOG")" -lt $((base + i)) ]; do
			daemon_alive || fail "daemon died during reload $i"
			sleep 0.01
		done
	done
	kill -CONT "$f3"
	# storm_events FILE: the TimeNano of each event after the mark, one a line.
	storm_events() {
		grep -o '[0-9]\{19\}' "$1" | awk -v m="$mark" '$1 > m'
	}
	local f
	for f in f1 f2 f3; do
		wait_for 30 "follower $f to get $n events" bash -c '[ "$(grep -o "[0-9]\{19\}" "$1" | awk -v m="$2" "\$1 > m" | wc -l)" -ge "$3" ]' \
			_ "$TEST_TMP/$f.out" "$mark" "$n"
		assert_eq "$n" "$(storm_events "$TEST_TMP/$f.out" | wc -l)" "events received by $f"
		storm_events "$TEST_TMP/$f.out" | sort -n -c 2>/dev/null || fail "$f received events out of order"
		assert_eq "$n" "$(storm_events "$TEST_TMP/$f.out" | sort -u | wc -l)" "distinct events received by $f"
	done
	# History: bounded, the newest kept.
	run_ok docker -H "$D_HOST" events --since "$start" --until "$(date +%s.%N)" --format '{{.TimeNano}}'
	local hist
	hist=$(grep -c . <<<"$OUT")
	[[ $hist -le 256 && $hist -ge 200 ]] || fail "history holds $hist events; want a bound near dockerd's 256"
	assert_eq "$(tail -n 1 "$TEST_TMP/f1.out")" "$(tail -n 1 <<<"$OUT")" "newest event in the history"
	assert_eq "$(tail -n "$hist" "$TEST_TMP/f1.out")" "$OUT" "history = the newest $hist live events"
}

# Clients that hang up while the daemon finishes a response it will close
# (Connection: close), e.g. `berth events --since --until` whose --format
# fails on the first event.
test_events_client_hangs_up_with_connection_close() {
	start_daemon
	local before
	before=$(date +%s)
	reload_daemon
	run py close_races "$D_SOCK" "$before" "$(date +%s.%N)"
	[[ $RC -eq 0 ]] || fail "$OUT"
	daemon_alive || fail "daemon died"
}
