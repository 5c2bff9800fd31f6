# -D logs every request (method, path, status, duration); the normal level does not.

# make_requests: a few requests with different outcomes.
make_requests() {
	curl -s --unix-socket "$D_SOCK" http://localhost/_ping >/dev/null
	curl -s --unix-socket "$D_SOCK" http://localhost/v1.41/info >/dev/null
	curl -s --unix-socket "$D_SOCK" -X POST http://localhost/v1.41/nope >/dev/null
	curl -s --unix-socket "$D_SOCK" http://localhost/v1.99/version >/dev/null
}

# Docker-style durations: 12ms, 1.5ms, 250µs, 2s, ...
DURATION_RE='[0-9]+(\.[0-9]+)?(ns|us|µs|ms|s)'

request_logged() { # method path status
	grep -Eq "$1 $2\\??[^ ]* $3 $DURATION_RE" "$D_LOG"
}

expect_requests_logged() {
	wait_for 10 "GET /_ping 200 in the debug log" request_logged GET /_ping 200
	wait_for 10 "GET /v1.41/info 200 in the debug log" request_logged GET /v1.41/info 200
	wait_for 10 "POST /v1.41/nope 404 in the debug log" request_logged POST /v1.41/nope 404
	wait_for 10 "GET /v1.99/version 400 in the debug log" request_logged GET /v1.99/version 400
}

test_debug_log_requests_with_D() {
	start_daemon -D
	make_requests
	expect_requests_logged
	# The docker CLI's requests too.
	run_ok docker -H "$D_HOST" version
	wait_for 10 "the CLI's /version request in the debug log" request_logged GET /v1.41/version 200
	grep -q 'level=debug' "$D_LOG" || fail "no level=debug line with -D"
}

test_debug_log_requests_with_log_level_debug() {
	start_daemon --log-level debug
	make_requests
	expect_requests_logged
}

test_no_request_log_without_debug() {
	start_daemon
	make_requests
	run_ok docker -H "$D_HOST" version
	run_ok docker -H "$D_HOST" info
	# Stop the daemon so that everything it would log has been written.
	stop_daemon
	local log
	log=$(cat "$D_LOG")
	assert_not_contains "$log" "level=debug" "daemon log without -D"
	assert_not_contains "$log" "/_ping" "daemon log without -D"
	assert_not_contains "$log" "/v1.41/info" "daemon log without -D"
	assert_contains "$log" "level=info" "daemon log (operator information is still logged)"
}

test_debug_log_toggled_by_reload() {
	start_daemon
	echo '{"debug": true}' >"$D_CFG"
	reload_daemon
	make_requests
	expect_requests_logged
	echo '{}' >"$D_CFG"
	reload_daemon
	curl -s --unix-socket "$D_SOCK" http://localhost/v1.41/version?after=reload >/dev/null
	stop_daemon
	assert_not_contains "$(cat "$D_LOG")" "after=reload" "daemon log after debug was turned off by reload"
}
