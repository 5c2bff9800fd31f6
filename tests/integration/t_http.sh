# HTTP server edge cases over the unix socket, with raw sockets (rawhttp.py).

# http_case NAME: runs one rawhttp.py case against a fresh daemon, then checks
# that the daemon still answers.
http_case() {
	start_daemon "${@:2}"
	run py "$1" "$D_SOCK"
	[[ $RC -eq 0 && "$OUT" == *ok ]] || fail "rawhttp case '$1':
$(show "$OUT$ERR")"
	daemon_alive || fail "daemon died during '$1'"
	ping_unix || fail "daemon stopped answering after '$1'"
}

test_http_keepalive() { http_case keepalive; }
test_http_pipelined_requests() { http_case pipelined; }
test_http_chunked_request_body() { http_case chunked_body; }
test_http_chunked_body_over_limit() { http_case chunked_too_big; }
test_http_garbage_gets_400() { http_case garbage; }
test_http_oversized_headers_431() { http_case oversized_headers; }
test_http_huge_content_length_413() { http_case huge_content_length; }
test_http_wrong_method_and_unknown_path_404() { http_case not_found; }
test_http_api_version_paths() { http_case versions; }
test_http_ping_get_and_head() { http_case ping; }
test_http_silent_and_half_clients_do_not_block() { http_case silent_clients; }
test_http_200_concurrent_connections() { http_case many_connections; }
test_http_http10_and_connection_close() { http_case http10; }

# The same checks over TCP with curl, which is what most tools use.
test_http_errors_over_tcp_with_curl() {
	local port
	port=$(free_port)
	start_daemon -H "tcp://127.0.0.1:$port"
	local base="http://127.0.0.1:$port"
	run curl -sS -w '\n%{http_code}' "$base/v1.99/info"
	assert_eq 400 "$(tail -n 1 <<<"$OUT")" "status of /v1.99/info"
	assert_eq "client version 1.99 is too new. Maximum supported API version is 1.41" \
		"$(json_get "$(head -n -1 <<<"$OUT")" 'j["message"]')" "message of /v1.99/info"
	run curl -sS -w '\n%{http_code}' -X POST "$base/info"
	assert_eq 404 "$(tail -n 1 <<<"$OUT")" "status of POST /info"
	assert_eq '{"message":"page not found"}' "$(head -n -1 <<<"$OUT")" "body of POST /info"
	run curl -sS -I "$base/_ping"
	assert_match "$OUT" $'(^|\n)HTTP/1.1 200' "HEAD /_ping status"
	assert_match "$OUT" $'\n[Aa][Pp][Ii]-[Vv]ersion: 1.41' "HEAD /_ping API-Version"
	run_ok curl -sS "$base/_ping"
	assert_eq "OK" "$OUT" "GET /_ping over TCP"
}

test_http_request_byte_by_byte() { http_case byte_by_byte; }
test_http_head_responses_have_no_body() { http_case head_no_body; }
test_http_large_bodies_consumed() { http_case large_body; }

test_events_since_until_inclusive_nanoseconds() {
	start_daemon
	reload_daemon
	local t
	t=$(docker -H "$D_HOST" events --since 0 --until "$(date +%s.%N)" --format '{{.TimeNano}}')
	[[ "$t" =~ ^[0-9]+$ ]] || fail "no TimeNano from docker events: '$t'"
	run py events_boundaries "$D_SOCK" "$t"
	[[ $RC -eq 0 ]] || fail "$OUT"
}

# Several unix sockets and a TCP port at once; all removed at shutdown.
test_multiple_listeners() {
	local port
	port=$(free_port)
	new_daemon_dir d1
	local s2="$D_DIR/nested/dir/second.sock"
	start_daemon -H "unix://$s2" -H "tcp://127.0.0.1:$port"
	run_ok docker -H "$D_HOST" version
	run_ok docker -H "unix://$s2" version
	run_ok docker -H "tcp://127.0.0.1:$port" version
	stop_daemon
	assert_file_absent "$D_SOCK" "first socket after shutdown"
	assert_file_absent "$s2" "second socket after shutdown"
}
test_http_expect_100_continue() { http_case expect_continue; }
