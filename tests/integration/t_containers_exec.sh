# docker exec without a tty (issue 4): output and exit codes, stdin with
# half-close, -d, -e/-u/-w taking effect inside the container, the exec
# inspect shape, events, and exec on a stopped container. Uses ct_daemon
# and dk from t_containers.sh.

ct_exec_running() { # NAME: a running busybox container
	run_ok dk run -d --name "$1" --network none -e FROM_CT=ct -w /home bb sleep 100
}

ct_exec_ended() { # ID
	local j
	j=$(curl -sf --unix-socket "$D_SOCK" "http://localhost/v1.41/exec/$1/json") &&
		[[ $(json_get "$j" 'j["Running"]') == false ]]
}

test_containers_exec_basics() {
	ct_daemon
	ct_exec_running ex
	run_ok dk exec ex echo hi
	assert_eq hi "$OUT" "docker exec echo hi"
	run dk exec ex sh -c 'echo out; echo err >&2; exit 7'
	assert_eq 7 "$RC" "exit code of exec ... exit 7"
	assert_eq out "$OUT" "exec stdout"
	assert_eq err "$ERR" "exec stderr"
	OUT=$(echo data | dk exec -i ex cat)
	assert_eq data "$OUT" "stdin through exec -i (closed at EOF)"
	OUT=$(printf 'a\nb\nc\n' | dk exec -i ex wc -l)
	assert_eq 3 "$(echo $OUT)" "lines counted through exec -i"
	run_ok dk exec -d ex touch /x
	wait_for 10 "the file touched by exec -d" docker -H "$D_HOST" exec ex test -e /x
	# ExecIDs lists the execs that have not ended, null when none, as dockerd.
	wait_for 10 "ExecIDs null once the execs ended" \
		bash -c '[[ $(docker -H "$1" inspect --format "{{json .ExecIDs}}" ex) == null ]]' _ "$D_HOST"
	run_ok dk exec -d ex sh -c 'until [ -e /stop ]; do sleep 0.1; done'
	run_ok dk inspect --format '{{len .ExecIDs}}' ex
	assert_eq 1 "$OUT" "ExecIDs while an exec runs"
	run_ok dk exec ex touch /stop
	wait_for 10 "ExecIDs null after the exec ended" \
		bash -c '[[ $(docker -H "$1" inspect --format "{{json .ExecIDs}}" ex) == null ]]' _ "$D_HOST"
	# The container's environment and directory are the defaults...
	run_ok dk exec ex sh -c 'echo $FROM_CT $(pwd) $(id -u)'
	assert_eq "ct /home 0" "$OUT" "container env, workdir and user"
	# ...and -e, -w, -u take effect.
	run_ok dk exec -e A=b -e FROM_CT=over -w /tmp -u 1000 ex sh -c 'echo $A $FROM_CT $(pwd) $(id -u) $(id -g)'
	assert_eq "b over /tmp 1000 1000" "$OUT" "exec -e -w -u"
	run_ok dk exec -u alice ex id -G
	assert_eq "1000 50" "$OUT" "groups of exec -u alice"
	run dk exec ex nonexistent-cmd
	assert_eq 126 "$RC" "exit code of an exec the runtime cannot start"
	assert_contains "$OUT$ERR" "OCI runtime exec failed" "message of a failed exec"
	# The container keeps running through all of this.
	ct_state ex
	assert_eq "running 0" "$CT_STATE" "container state after execs"
	run_ok dk rm -f ex
}

test_containers_exec_api() {
	ct_daemon
	ct_exec_running api
	local id cid
	cid=$(dk inspect --format '{{.Id}}' api)
	run_ok curl -sf --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Cmd":["sh","-c","exit 3"],"AttachStdout":true,"User":"1000"}' \
		http://localhost/v1.41/containers/api/exec
	id=$(json_get "$OUT" 'j["Id"]')
	assert_match "$id" '^[0-9a-f]{64}$' "exec Id"
	run_ok curl -sf --unix-socket "$D_SOCK" "http://localhost/v1.41/exec/$id/json"
	assert_eq false "$(json_get "$OUT" 'j["Running"]')" "Running before start"
	assert_eq null "$(json_get "$OUT" 'j["ExitCode"]')" "ExitCode before start"
	assert_eq 0 "$(json_get "$OUT" 'j["Pid"]')" "Pid before start"
	assert_eq "$cid" "$(json_get "$OUT" 'j["ContainerID"]')" "ContainerID"
	assert_eq sh "$(json_get "$OUT" 'j["ProcessConfig"]["entrypoint"]')" "ProcessConfig.entrypoint"
	assert_eq 1000 "$(json_get "$OUT" 'j["ProcessConfig"]["user"]')" "ProcessConfig.user"
	run_ok curl -sf --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Detach":true,"Tty":false}' "http://localhost/v1.41/exec/$id/start"
	wait_for 10 "the exec to end" ct_exec_ended "$id"
	run_ok curl -sf --unix-socket "$D_SOCK" "http://localhost/v1.41/exec/$id/json"
	assert_eq 3 "$(json_get "$OUT" 'j["ExitCode"]')" "ExitCode"
	# Starting it again is refused.
	run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Detach":true}' "http://localhost/v1.41/exec/$id/start"
	assert_eq 409 "$OUT" "second start"
	run curl -s -w '%{http_code}' --unix-socket "$D_SOCK" http://localhost/v1.41/exec/nope/json
	assert_match "$OUT" 'No such exec instance: nope.*404$' "unknown exec"
	# Events.
	run_ok dk events --since 0 --until "$(($(date +%s) + 1))" --filter container=api --format '{{.Action}} {{index .Actor.Attributes "exitCode"}}'
	assert_contains "$OUT" "exec_create: sh -c exit 3" "exec_create event"
	assert_contains "$OUT" "exec_start: sh -c exit 3" "exec_start event"
	assert_contains "$OUT" "exec_die 3" "exec_die event with exitCode"
	# A stopped container takes no exec.
	run_ok dk stop -t 0 api
	run dk exec api echo hi
	assert_ne 0 "$RC" "exec on a stopped container"
	assert_contains "$ERR" "is not running" "message of exec on a stopped container"
	run curl -s -w '%{http_code}' --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Cmd":["true"]}' http://localhost/v1.41/containers/api/exec
	assert_match "$OUT" "Container $cid is not running.*409\$" "409 of exec create on a stopped container"
	run_ok dk rm api
}

test_containers_exec_berth_cli() {
	ct_daemon
	ct_exec_running bx
	run_ok berth -H "$D_HOST" exec bx echo hi
	assert_eq hi "$OUT" "berth exec echo hi"
	run berth -H "$D_HOST" exec bx sh -c 'echo out; echo err >&2; exit 5'
	assert_eq 5 "$RC" "berth exec exit code"
	assert_eq out "$OUT" "berth exec stdout"
	assert_eq err "$ERR" "berth exec stderr"
	OUT=$(printf 'x\ny\n' | berth -H "$D_HOST" exec -i bx wc -l)
	assert_eq 2 "$(echo $OUT)" "berth exec -i"
	run_ok berth -H "$D_HOST" exec -e K=v -u 1000 -w /tmp bx sh -c 'echo $K $(id -u) $(pwd)'
	assert_eq "v 1000 /tmp" "$OUT" "berth exec -e -u -w"
	run_ok berth -H "$D_HOST" exec -d bx touch /from-berth
	wait_for 10 "the file touched by berth exec -d" docker -H "$D_HOST" exec bx test -e /from-berth
	run berth -H "$D_HOST" exec nope true
	assert_ne 0 "$RC" "berth exec on an unknown container"
	assert_contains "$ERR" "No such container: nope" "message"
	run_ok dk rm -f bx
}

# Execs running while their client goes, their container stops, or berthd
# stops: nothing hangs and nothing leaks (the daemon runs under ASan).
test_containers_exec_interrupted() {
	ct_daemon
	ct_exec_running iv
	# The client goes away mid-exec.
	dk exec iv sh -c 'while :; do echo tick; sleep 0.1; done' >"$TEST_TMP/ticks" 2>&1 &
	local client=$!
	wait_for 10 "exec output" test -s "$TEST_TMP/ticks"
	kill "$client"
	wait "$client" 2>/dev/null
	run_ok dk exec iv echo still-fine
	assert_eq still-fine "$OUT" "exec after a client went away"
	# The container stops under an attached exec: the client gets the end.
	dk exec iv sleep 100 >/dev/null 2>&1 &
	client=$!
	run_ok dk exec -d iv sleep 100
	wait_for 10 "both execs running" top_count_at_least iv 'sleep 100' 3
	run_ok dk stop -t 0 iv
	wait_exit "$client" 10 || fail "docker exec did not end when its container stopped"
	assert_eq 137 "$EXIT_RC" "exit code of an exec killed with its container"
	# berthd stops cleanly with execs running.
	run_ok dk start iv
	run_ok dk exec -d iv sleep 100
	dk exec iv sleep 100 >/dev/null 2>&1 &
	client=$!
	wait_for 10 "both execs running" top_count_at_least iv 'sleep 100' 3
	stop_daemon
	wait_exit "$client" 10 || fail "docker exec did not end when berthd stopped"
	ct_restart_daemon
	run_ok dk exec iv echo after-restart
	assert_eq after-restart "$OUT" "exec after a daemon restart"
	run_ok dk rm -f iv
}

# ---- execs outlive berthd (an exec-mode berth-shim holds each) ----

ct_exec_json() { # ID: sets OUT to GET /exec/ID/json
	run_ok curl -sf --unix-socket "$D_SOCK" "http://localhost/v1.41/exec/$1/json"
}

ct_exec_id() { # CONTAINER CMD-TEXT: the ID of the exec whose command has CMD-TEXT
	dk events --since 0 --until "$(($(date +%s) + 1))" --filter "container=$1" \
		--format '{{index .Actor.Attributes "execID"}} {{.Action}}' |
		grep -F -- " exec_start: " | grep -F -- "$2" | head -n1 | cut -d' ' -f1
}

ct_exec_shim_gone() { # ID: neither the exec's shim nor its socket is left
	! pgrep -f -- "--exec-id $1" >/dev/null && [[ ! -e "$D_EXEC/shims/x${1:0:16}.sock" ]]
}

ct_daemon_down() { # TERM or KILL
	if [[ $1 == KILL ]]; then
		kill -9 "$D_PID"
		wait "$D_PID" 2>/dev/null
		forget_pid "$D_PID"
	else
		stop_daemon
	fi
}

# $1: how berthd goes away (TERM or KILL). A detached exec runs on through
# the restart; one killed while berthd is down has its exit code after it.
ct_exec_restart() {
	ct_daemon
	ct_exec_running er
	run_ok dk exec -d er sh -c 'sleep 1000'
	run_ok dk exec -d er sh -c 'sleep 999'
	wait_for 10 "the first exec running" top_count_at_least er 'sleep 1000' 1
	wait_for 10 "the second exec running" top_count_at_least er 'sleep 999' 1
	local keep gone pid_keep pid_gone
	keep=$(ct_exec_id er 'sleep 1000')
	gone=$(ct_exec_id er 'sleep 999')
	assert_match "$keep $gone" '^[0-9a-f]{64} [0-9a-f]{64}$' "exec IDs from the events"
	ct_exec_json "$keep"
	pid_keep=$(json_get "$OUT" 'j["Pid"]')
	ct_exec_json "$gone"
	pid_gone=$(json_get "$OUT" 'j["Pid"]')
	((pid_keep > 0 && pid_gone > 0)) || fail "exec pids: $pid_keep $pid_gone"
	ct_daemon_down "$1"
	kill -0 "$pid_keep" || fail "the exec died with berthd"
	kill -9 "$pid_gone"
	wait_for 10 "the killed exec's shim to record its exit" ct_exec_shim_gone "$gone"
	ct_restart_daemon
	run_ok dk top er
	assert_contains "$OUT" "sleep 1000" "the exec in docker top after the restart"
	ct_exec_json "$keep"
	assert_eq true "$(json_get "$OUT" 'j["Running"]')" "Running after the restart"
	assert_eq "$pid_keep" "$(json_get "$OUT" 'j["Pid"]')" "Pid after the restart"
	assert_eq null "$(json_get "$OUT" 'j["ExitCode"]')" "ExitCode while running"
	ct_exec_json "$gone"
	assert_eq false "$(json_get "$OUT" 'j["Running"]')" "Running of the exec killed meanwhile"
	assert_eq 137 "$(json_get "$OUT" 'j["ExitCode"]')" "ExitCode of the exec killed meanwhile"
	# The restored exec ends under the new daemon: exit code and exec_die.
	kill "$pid_keep"
	wait_for 10 "the exec to end" ct_exec_ended "$keep"
	ct_exec_json "$keep"
	assert_eq 143 "$(json_get "$OUT" 'j["ExitCode"]')" "ExitCode after the restart"
	run_ok dk events --since 0 --until "$(($(date +%s) + 1))" --filter container=er \
		--format '{{index .Actor.Attributes "execID"}} {{index .Actor.Attributes "exitCode"}}'
	assert_contains "$OUT" "$keep 143" "exec_die of the restored exec"
	wait_for 10 "the exec's shim to go" ct_exec_shim_gone "$keep"
	# A second restart still knows both, from their state files.
	stop_daemon
	ct_restart_daemon
	ct_exec_json "$keep"
	assert_eq 143 "$(json_get "$OUT" 'j["ExitCode"]')" "ExitCode after a second restart"
	local bundle=$D_EXEC/containers/$(dk inspect --format '{{.Id}}' er)
	assert_file_exists "$bundle/exec-$keep.state.json" "exec state file"
	run_ok dk rm -f er
	assert_file_absent "$bundle/exec-$keep.state.json" "exec state file after rm"
	run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$D_SOCK" "http://localhost/v1.41/exec/$keep/json"
	assert_eq 404 "$OUT" "exec inspect after its container was removed"
}

test_containers_exec_survives_restart() { ct_exec_restart TERM; }
test_containers_exec_survives_kill9() { ct_exec_restart KILL; }

# An attached exec: its client's stream ends with berthd, the process runs on.
test_containers_exec_attached_survives_restart() {
	ct_daemon
	ct_exec_running ea
	dk exec ea sh -c 'while :; do echo x; sleep 0.1; done' >"$TEST_TMP/xs" 2>&1 &
	local client=$! id pid
	wait_for 10 "exec output" test -s "$TEST_TMP/xs"
	id=$(ct_exec_id ea 'while :')
	ct_exec_json "$id"
	pid=$(json_get "$OUT" 'j["Pid"]')
	stop_daemon
	wait_exit "$client" 10 || fail "docker exec did not end when berthd stopped"
	kill -0 "$pid" || fail "the attached exec died with berthd"
	ct_restart_daemon
	run_ok dk top ea
	assert_contains "$OUT" "while :" "the attached exec after the restart"
	ct_exec_json "$id"
	assert_eq true "$(json_get "$OUT" 'j["Running"]')" "Running after the restart"
	kill -9 "$pid"
	wait_for 10 "the exec to end" ct_exec_ended "$id"
	ct_exec_json "$id"
	assert_eq 137 "$(json_get "$OUT" 'j["ExitCode"]')" "ExitCode"
	wait_for 10 "the exec's shim to go" ct_exec_shim_gone "$id"
	run_ok dk rm -f ea
}
