# Locks, signals, stale state after a crash, listen policy, daemon flags.

# Saves the D_* of the current daemon under a prefix: save_daemon A -> A_PID...
save_daemon() {
	local v
	for v in DIR DATA EXEC PIDFILE SOCK HOST LOG CFG PID; do
		printf -v "${1}_$v" '%s' "$(eval "echo \"\$D_$v\"")"
	done
}

first_still_serving() { # prefix-less: uses A_*
	daemon_alive "$A_PID" || fail "the first daemon died"
	ping_unix "$A_SOCK" || fail "the first daemon stopped answering on $A_SOCK"
	assert_eq "$A_PID" "$(head -n 1 "$A_PIDFILE" 2>/dev/null)" "pid in the first daemon's pidfile"
}

test_lock_second_daemon_same_data_root() {
	start_daemon --name a
	save_daemon A
	new_daemon_dir b
	expect_start_failure --data-root "$A_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG"
	assert_contains "$START_LOG" "$A_PID" "second daemon's message names the first's pid"
	assert_file_absent "$D_SOCK" "second daemon's socket"
	first_still_serving
	run_ok docker -H "$A_HOST" version
}

test_lock_second_daemon_same_pidfile() {
	start_daemon --name a
	save_daemon A
	new_daemon_dir b
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$A_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG"
	assert_contains "$START_LOG" "$A_PID" "second daemon's message names the first's pid"
	assert_file_absent "$D_SOCK" "second daemon's socket"
	first_still_serving
	# The second one may run once it has its own pidfile.
	start_daemon --name c
	ping_unix "$D_SOCK" || fail "third daemon (own everything) does not answer"
	first_still_serving
}

test_lock_second_daemon_same_socket() {
	start_daemon --name a
	save_daemon A
	new_daemon_dir b
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$A_HOST" --config-file "$D_CFG"
	assert_contains "$START_LOG" "$A_SOCK" "second daemon's message names the socket"
	first_still_serving
	assert_file_absent "$D_PIDFILE" "pidfile of the daemon that refused"
}

test_lock_second_daemon_same_tcp_port() {
	local port
	port=$(free_port)
	start_daemon --name a -H "tcp://127.0.0.1:$port"
	save_daemon A
	new_daemon_dir b
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" -H "tcp://127.0.0.1:$port" --config-file "$D_CFG"
	assert_contains "$START_LOG" "$port" "second daemon's message names the port"
	assert_file_absent "$D_SOCK" "unix socket of the daemon that refused (listeners are cleaned up)"
	assert_file_absent "$D_PIDFILE" "pidfile of the daemon that refused"
	first_still_serving
	run_ok docker -H "tcp://127.0.0.1:$port" version
}

# signal_shutdown SIG: the daemon exits 0 and removes its socket and pidfile.
signal_shutdown() {
	local port
	port=$(free_port)
	start_daemon -H "tcp://127.0.0.1:$port"
	assert_file_exists "$D_PIDFILE" "pidfile"
	assert_eq "$D_PID" "$(head -n 1 "$D_PIDFILE")" "pid in the pidfile"
	kill "-$1" "$D_PID"
	wait_exit "$D_PID" 15 || fail "daemon still running 15s after SIG$1"
	forget_pid "$D_PID"
	assert_eq 0 "$EXIT_RC" "exit code after SIG$1"
	assert_file_absent "$D_SOCK" "socket after SIG$1"
	assert_file_absent "$D_PIDFILE" "pidfile after SIG$1"
	# The TCP port is free again.
	"$PYTHON" -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$port" || fail "port $port still bound after SIG$1"
}

test_shutdown_sigterm() { signal_shutdown TERM; }
test_shutdown_sigint() { signal_shutdown INT; }

test_shutdown_with_clients_connected() {
	start_daemon
	# A live events stream, an idle keep-alive connection and a half request.
	docker -H "$D_HOST" events >"$TEST_TMP/ev.out" 2>&1 &
	local ev=$!
	BG_PIDS+=("$ev")
	py hold "$D_SOCK" 30 >"$TEST_TMP/hold.out" 2>&1 &
	local hold=$!
	BG_PIDS+=("$hold")
	wait_for 10 "the holding client to connect" grep -q connected "$TEST_TMP/hold.out"
	kill -TERM "$D_PID"
	wait_exit "$D_PID" 15 || fail "daemon with open client connections still running 15s after SIGTERM"
	forget_pid "$D_PID"
	assert_eq 0 "$EXIT_RC" "exit code"
	assert_file_absent "$D_SOCK" "socket"
	# The events follower notices that the daemon is gone.
	wait_exit "$ev" 15 || fail "docker events still running after the daemon stopped"
}

test_restart_after_kill9() {
	start_daemon
	local data=$D_DATA id
	id=$(docker -H "$D_HOST" info --format '{{.ID}}')
	kill -KILL "$D_PID"
	wait "$D_PID" 2>/dev/null
	forget_pid "$D_PID"
	assert_file_exists "$D_SOCK" "stale socket after kill -9"
	assert_file_exists "$D_PIDFILE" "stale pidfile after kill -9"
	start_daemon
	assert_eq "$data" "$D_DATA" "same data root"
	run_ok docker -H "$D_HOST" version
	assert_eq "$D_PID" "$(head -n 1 "$D_PIDFILE")" "new pid in the pidfile"
	# The engine ID persists in the data root.
	assert_eq "$id" "$(docker -H "$D_HOST" info --format '{{.ID}}')" "engine ID after restart"
	stop_daemon
	assert_file_absent "$D_SOCK" "socket after a clean stop"
}

test_stale_pidfile_with_dead_pid() {
	new_daemon_dir d1
	# A pidfile left behind by a process that is long gone (not locked).
	echo 999999 >"$D_PIDFILE"
	start_daemon
	assert_eq "$D_PID" "$(head -n 1 "$D_PIDFILE")" "pid in the pidfile"
}

test_socket_path_not_a_socket() {
	new_daemon_dir d1
	echo "precious" >"$D_SOCK"
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG"
	assert_eq "precious" "$(cat "$D_SOCK")" "a regular file at the socket path is left alone"
}

test_listen_policy_tcp_without_tls() {
	local port
	port=$(free_port)
	new_daemon_dir d1
	local h
	# (tcp://:port means localhost, as in dockerd, and is allowed.)
	for h in "tcp://0.0.0.0:$port" "tcp://[::]:$port"; do
		: >"$D_LOG"
		expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
			-H "$D_HOST" -H "$h" --config-file "$D_CFG"
		assert_contains "$START_LOG" "TLS" "refusal message for $h"
		assert_contains "$START_LOG" "--tlsverify" "refusal message for $h says how to enable TLS"
		assert_file_absent "$D_SOCK" "socket after refusing $h"
	done
	# Loopback is fine, and an empty host means localhost.
	start_daemon -H "tcp://127.0.0.1:$port"
	run_ok docker -H "tcp://127.0.0.1:$port" version
	run_ok berth -H "tcp://127.0.0.1:$port" version
	stop_daemon
	port=$(free_port)
	start_daemon --name d2 -H "tcp://:$port"
	run_ok docker -H "tcp://127.0.0.1:$port" version
}

test_daemon_flags_usage() {
	run "$BERTHD" --version
	assert_eq 0 "$RC" "berthd --version exit code"
	assert_match "$OUT" "^Berth version [0-9]" "berthd --version"
	run "$BERTHD" --help
	assert_eq 0 "$RC" "berthd --help exit code"
	assert_contains "$OUT" "--config-file" "berthd --help"
	run "$BERTHD" --bogus
	assert_eq 125 "$RC" "berthd --bogus exit code (dockerd: 125)"
	assert_contains "$ERR" "unknown flag: --bogus" "berthd --bogus"
	run "$BERTHD" --debug=maybe
	assert_eq 125 "$RC" "berthd --debug=maybe exit code"
	new_daemon_dir d1
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG" --log-level loud
	assert_contains "$START_LOG" "loud" "message for a bad --log-level"
	: >"$D_LOG"
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "bogus://x" --config-file "$D_CFG"
	assert_contains "$START_LOG" "bogus://x" "message for a bad -H"
}
