# --config-file (daemon.json): applied, conflicts, bad files, reload on SIGHUP.

info_json() { docker -H "$D_HOST" info --format '{{json .}}'; }

test_config_file_debug_and_labels() {
	new_daemon_dir d1
	echo '{"debug": true, "labels": ["a=b", "zone=test"]}' >"$D_CFG"
	start_daemon
	run_ok docker -H "$D_HOST" info
	# The server section's Debug Mode (the client has its own line).
	assert_match "$OUT" $'Server:(\n.*)*\n Debug Mode: true' "docker info server Debug Mode"
	assert_match "$OUT" $'\n Labels:\n  a=b\n  zone=test\n' "docker info Labels"
	local j
	j=$(info_json)
	assert_eq "true" "$(json_get "$j" 'j["Debug"]')" "info JSON Debug"
	assert_eq '["a=b", "zone=test"]' "$(json_get "$j" 'j["Labels"]')" "info JSON Labels"
	run_ok berth -H "$D_HOST" info
	assert_match "$OUT" $'\n Labels:\n  a=b\n  zone=test\n' "berth info Labels"
}

test_config_flags_without_file() {
	start_daemon -D --label from=flag --storage-driver vfs
	local j
	j=$(info_json)
	assert_eq "true" "$(json_get "$j" 'j["Debug"]')" "info JSON Debug with -D"
	assert_eq '["from=flag"]' "$(json_get "$j" 'j["Labels"]')" "info JSON Labels with --label"
	assert_eq "vfs" "$(json_get "$j" 'j["Driver"]')" "info JSON Driver with --storage-driver vfs"
}

test_config_conflict_flag_and_file() {
	new_daemon_dir d1
	echo '{"debug": true}' >"$D_CFG"
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG" --debug
	assert_contains "$START_LOG" "specified both as a flag and in the configuration file" "daemon output"
	assert_contains "$START_LOG" "debug" "daemon output names the key"
	assert_eq 1 "$START_RC" "exit code"
	assert_file_absent "$D_SOCK" "socket of a daemon that refused to start"

	new_daemon_dir d2
	echo '{"labels": ["a=b"]}' >"$D_CFG"
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG" --label c=d
	assert_contains "$START_LOG" "specified both as a flag and in the configuration file" "daemon output (labels)"
	assert_contains "$START_LOG" "labels" "daemon output names the key (labels)"

	new_daemon_dir d3
	echo "{\"hosts\": [\"$D_HOST\"]}" >"$D_CFG"
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG"
	assert_contains "$START_LOG" "specified both as a flag and in the configuration file" "daemon output (hosts)"
}

test_config_unknown_key() {
	new_daemon_dir d1
	echo '{"debug": false, "no-such-option": 1}' >"$D_CFG"
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG"
	assert_contains "$START_LOG" "don't match any configuration option" "daemon output"
	assert_contains "$START_LOG" "no-such-option" "daemon output names the key"
	assert_eq 1 "$START_RC" "exit code"
}

test_config_malformed_files() {
	new_daemon_dir d1
	local bad
	for bad in '{"debug": tru' '["debug"]' '{"debug": "yes"}' '{"labels": "a=b"}' \
		'{"labels": ["novalue"]}' '{"log-level": "loud"}' '{"debug": true, "debug": false}'; do
		printf '%s\n' "$bad" >"$D_CFG"
		: >"$D_LOG"
		expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
			-H "$D_HOST" --config-file "$D_CFG"
		assert_contains "$START_LOG" "" "output"
		[[ -n "$START_LOG" ]] || fail "daemon refused '$bad' silently"
		assert_file_absent "$D_SOCK" "socket after refusing '$bad'"
		assert_file_absent "$D_PIDFILE" "pidfile after refusing '$bad'"
	done
	# An explicitly named file that does not exist is an error too.
	: >"$D_LOG"
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_DIR/missing.json"
	assert_contains "$START_LOG" "missing.json" "daemon output for a missing --config-file"
	# And the same daemon starts once the file is valid.
	echo '{}' >"$D_CFG"
	start_daemon
}

test_config_reload_on_sighup() {
	new_daemon_dir d1
	echo '{"labels": ["a=b"]}' >"$D_CFG"
	start_daemon
	assert_eq '["a=b"]' "$(json_get "$(info_json)" 'j["Labels"]')" "labels before reload"
	local before
	before=$(date +%s)
	echo '{"labels": ["c=d", "e=f"], "debug": true}' >"$D_CFG"
	reload_daemon
	local j
	j=$(info_json)
	assert_eq '["c=d", "e=f"]' "$(json_get "$j" 'j["Labels"]')" "labels after reload"
	assert_eq "true" "$(json_get "$j" 'j["Debug"]')" "debug after reload"
	run_ok docker -H "$D_HOST" info
	assert_match "$OUT" $'\n Labels:\n  c=d\n  e=f\n' "docker info Labels after reload"
	# The reload event carries the new settings.
	run_ok docker -H "$D_HOST" events --since "$before" --until "$(date +%s.%N)" --format '{{json .Actor.Attributes}}'
	assert_contains "$OUT" '"debug":"true"' "reload event attributes"
	assert_contains "$OUT" 'c=d' "reload event attributes (labels)"

	# A broken file on reload: the daemon keeps running with what it had.
	echo '{"labels": [' >"$D_CFG"
	kill -HUP "$D_PID"
	wait_for 10 "the daemon to log the failed reload" grep -q 'reload failed' "$D_LOG"
	daemon_alive || fail "daemon died on a reload of a malformed file"
	assert_eq '["c=d", "e=f"]' "$(json_get "$(info_json)" 'j["Labels"]')" "labels after a failed reload"

	# Back to debug off and no labels.
	echo '{}' >"$D_CFG"
	reload_daemon
	j=$(info_json)
	assert_eq '[]' "$(json_get "$j" 'j["Labels"]')" "labels after reload to {}"
	assert_eq "false" "$(json_get "$j" 'j["Debug"]')" "debug after reload to {}"
}

test_config_reload_conflict_keeps_settings() {
	new_daemon_dir d1
	echo '{}' >"$D_CFG"
	start_daemon --label from=flag
	echo '{"labels": ["from=file"]}' >"$D_CFG"
	local n
	n=$(grep -c 'reload failed' "$D_LOG")
	kill -HUP "$D_PID"
	wait_for 10 "the daemon to refuse the reload" \
		bash -c '[ "$(grep -c "reload failed" "$1")" -gt "$2" ]' _ "$D_LOG" "$n"
	daemon_alive || fail "daemon died on a conflicting reload"
	assert_contains "$(cat "$D_LOG")" "specified both as a flag and in the configuration file" "daemon log"
	assert_eq '["from=flag"]' "$(json_get "$(info_json)" 'j["Labels"]')" "labels after a conflicting reload"
}

# Listeners and TLS from daemon.json alone (no -H flag), as dockerd allows.
test_config_file_hosts_and_tls() {
	gen_certs
	new_daemon_dir d1
	local port
	port=$(free_port)
	cat >"$D_CFG" <<JSON
{"hosts": ["$D_HOST", "tcp://127.0.0.1:$port"], "tlsverify": true,
 "tlscacert": "$CERTS/ca.pem", "tlscert": "$CERTS/server.pem", "tlskey": "$CERTS/server-key.pem"}
JSON
	start_daemon --no-unix
	run_ok env DOCKER_CERT_PATH="$CERTS/client" DOCKER_TLS_VERIFY=1 DOCKER_HOST="tcp://127.0.0.1:$port" \
		DOCKER_CONFIG="$TEST_TMP/docker-config" "$DOCKER" version
	assert_contains "$OUT" "Server: Berth Engine" "docker over TLS configured in daemon.json"
	run curl -sS --max-time 10 --cacert "$CERTS/ca.pem" "https://127.0.0.1:$port/_ping"
	assert_ne "OK" "$OUT" "client without certificate (tlsverify from daemon.json)"
	assert_file_exists "$D_SOCK" "unix socket from daemon.json hosts"
}

test_config_log_level_reload() {
	new_daemon_dir d1
	echo '{"log-level": "warn"}' >"$D_CFG"
	start_daemon
	assert_not_contains "$(cat "$D_LOG")" "level=info" "log at level warn"
	echo '{"log-level": "debug"}' >"$D_CFG"
	reload_daemon
	curl -s --unix-socket "$D_SOCK" "http://localhost/_ping?marker=after-reload" >/dev/null
	wait_for 10 "the request to be logged at debug level" grep -q 'marker=after-reload' "$D_LOG"
}

# The containers' default log driver and options (daemon.json "log-driver",
# "log-opts"; --log-driver, --log-opt), merged at create as dockerd's
# mergeAndVerifyLogConfig; bad ones stop the start with dockerd's prefix.
test_config_default_log_driver() {
	new_daemon_dir d1
	echo '{"log-driver": "local", "log-opts": {"max-size": "1m", "mode": "non-blocking"}}' >"$D_CFG"
	ct_rootfs_tar
	start_daemon
	run_ok dk import "$CT_TAR" bb:latest
	run_ok dk info --format '{{.LoggingDriver}}'
	assert_eq local "$OUT" "docker info's LoggingDriver"
	local f='{{.HostConfig.LogConfig.Type}} {{json .HostConfig.LogConfig.Config}}'
	run_ok dk run --name l1 --network none bb echo one
	run_ok dk inspect --format "$f" l1
	assert_eq 'local {"max-size":"1m","mode":"non-blocking"}' "$OUT" "a container without log options"
	run_ok dk logs l1
	assert_eq one "$OUT" "docker logs with the daemon's driver"
	run_ok dk create --name l2 --network none --log-opt max-file=2 --log-opt max-size=2m bb true
	run_ok dk inspect --format "$f" l2
	assert_eq 'local {"max-file":"2","max-size":"2m","mode":"non-blocking"}' "$OUT" "options merged, the container's first"
	run_ok dk create --name l3 --network none --log-driver json-file bb true
	run_ok dk inspect --format "$f" l3
	assert_eq 'json-file {}' "$OUT" "another driver takes none of the daemon's options"
	run_ok dk rm l1 l2 l3
	stop_daemon
	# Flags, and what dockerd refuses.
	echo '{}' >"$D_CFG"
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG" --log-driver json-file --log-opt max-size=lots
	assert_contains "$START_LOG" "failed to set log opts: invalid size: 'lots'" "a bad default option"
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG" --log-driver nosuch
	assert_contains "$START_LOG" "logger: no log driver named 'nosuch' is registered" "an unknown default driver"
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG" --log-opt novalue
	assert_contains "$START_LOG" "invalid key value pair format in log-opt" "a --log-opt without ="
	echo '{"log-opts": {"max-size": 10}}' >"$D_CFG"
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG"
	assert_contains "$START_LOG" "log-opts" "log-opts of another type"
	echo '{"log-driver": "json-file"}' >"$D_CFG"
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG" --log-driver local
	assert_contains "$START_LOG" "log-driver: (from flag: local, from file: \"json-file\")" "flag and file"
	echo '{}' >"$D_CFG"
	start_daemon --log-driver json-file --log-opt max-size=5k --log-opt mode=blocking
	run_ok dk import "$CT_TAR" bb:latest
	run_ok dk create --name l4 --network none bb true
	run_ok dk inspect --format "$f" l4
	assert_eq 'json-file {"max-size":"5k","mode":"blocking"}' "$OUT" "defaults from flags"
	run_fails dk create --network none --log-opt mode=sometimes bb true
	assert_contains "$ERR" "logger: logging mode not supported: sometimes" "a bad mode"
	run_ok dk rm l4
}
