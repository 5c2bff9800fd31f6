# Containers (issue 4), administration: restart policies (back-off, counts,
# manual stop, daemon restart), pause/unpause, rename; through the real
# docker CLI and berth. Uses ct_daemon and helpers from t_containers.sh.

# ca_curl METHOD PATH [BODY]: "STATUS BODY" of a request on the daemon's socket.
ca_curl() {
	local body
	body=$(curl -s --max-time 10 --unix-socket "$D_SOCK" -X "$1" -H 'Content-Type: application/json' \
		${3:+--data "$3"} -w '\n%{http_code}' "http://localhost/v1.41$2")
	printf '%s %s\n' "${body##*$'\n'}" "${body%$'\n'*}"
}

ct_restart_count() { dk inspect --format '{{.RestartCount}}' "$1"; }

# ca_count_ge NAME N: RestartCount of NAME is at least N.
ca_count_ge() { [[ $(ct_restart_count "$1") -ge $2 ]]; }

test_containers_restart_policy_validation() {
	ct_daemon
	run_fails dk create --restart bogus --network none bb true
	assert_contains "$ERR" "invalid restart policy 'bogus'" "unknown policy"
	run ca_curl POST /containers/create \
		'{"Image":"bb","HostConfig":{"NetworkMode":"none","RestartPolicy":{"Name":"on-failure","MaximumRetryCount":-1}}}'
	assert_eq '400 {"message":"maximum retry count cannot be negative"}' "$OUT" "negative count"
	run_fails dk create --restart always:3 --network none bb true
	assert_contains "$ERR" "maximum retry count cannot be used with restart policy 'always'" "count with always"
	run_ok dk ps -aq
	assert_empty "$OUT" "nothing created by the bad requests"
	run_ok dk create --name ok --restart on-failure:2 --network none bb true
	run_ok dk inspect --format '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' ok
	assert_eq "on-failure 2" "$OUT" "RestartPolicy"
}

test_containers_restart_on_failure() {
	ct_daemon
	run_ok dk run -d --name flaky --restart on-failure:3 --network none bb sh -c 'exit 4'
	local id=$OUT
	wait_for 15 "three restarts" ca_count_ge flaky 3
	run_ok dk wait flaky
	assert_eq 4 "$OUT" "exit code after the retries"
	sleep 1
	assert_eq 3 "$(ct_restart_count flaky)" "RestartCount stops at MaximumRetryCount"
	ct_state flaky
	assert_eq "exited 4" "$CT_STATE" "state after the last retry"
	run_ok dk events --since 0 --until "$(($(date +%s) + 1))" --filter container="$id" --format '{{.Action}}'
	assert_match "$(echo $OUT)" '^create start die start die start die start die$' "events"
	# A clean exit is not a failure.
	run_ok dk run -d --name fine --restart on-failure --network none bb true
	run_ok dk wait fine
	sleep 0.5
	assert_eq 0 "$(ct_restart_count fine)" "no restart after exit 0"
	# A manual start resets the count.
	run_ok dk start flaky
	assert_match "$(ct_restart_count flaky)" '^[01]$' "RestartCount after docker start"
	run_ok dk rm -f flaky fine
	ct_gone "$id"
}

test_containers_restart_always_and_stop() {
	ct_daemon
	run_ok dk run -d --name loop --restart always --network none bb sh -c 'sleep 0.2; exit 0'
	local id=$OUT
	wait_for 15 "two restarts" ca_count_ge loop 2
	# The back-off doubles: 100, 200, 400 ms... so a few seconds hold few restarts.
	sleep 2
	local n
	n=$(ct_restart_count loop)
	[[ $n -le 8 ]] || fail "RestartCount $n in about 3 s: no back-off"
	run_ok dk stop -t 1 loop
	ct_state loop
	assert_match "$CT_STATE" '^exited ' "stopped by the user"
	n=$(ct_restart_count loop)
	sleep 1.5
	ct_state loop
	assert_match "$CT_STATE" '^exited ' "a manual stop is not followed by a restart"
	assert_eq "$n" "$(ct_restart_count loop)" "RestartCount after stop"
	# kill too.
	run_ok dk run -d --name killed --restart always --network none bb sleep 100
	run_ok dk kill killed
	sleep 1
	ct_state killed
	assert_eq "exited 137" "$CT_STATE" "a manual kill is not followed by a restart"
	run_ok dk rm -f loop killed
	ct_gone "$id"
}

test_containers_restart_daemon_boot() {
	ct_daemon
	run_ok dk run -d --name always --restart always --network none bb sleep 100
	run_ok dk run -d --name unless --restart unless-stopped --network none bb sleep 100
	run_ok dk run -d --name unless_stopped --restart unless-stopped --network none bb sleep 100
	run_ok dk run -d --name never --network none bb sleep 100
	run_ok dk stop -t 1 unless_stopped
	local n ids=() pids=()
	for n in always unless never; do
		ids+=("$(dk inspect --format '{{.Id}}' "$n")")
		pids+=("$(dk inspect --format '{{.State.Pid}}' "$n")")
	done
	stop_daemon
	# The containers outlive berthd; they end while it is down.
	kill -9 "${pids[@]}"
	for n in "${ids[@]}"; do
		wait_for 10 "the exit of $n" test -e "$D_DATA/containers/$n/exit.json"
	done
	ct_restart_daemon
	wait_for 10 "always to run again" bash -c "[[ \$(docker -H '$D_HOST' inspect --format '{{.State.Status}}' always) == running ]]"
	wait_for 10 "unless to run again" bash -c "[[ \$(docker -H '$D_HOST' inspect --format '{{.State.Status}}' unless) == running ]]"
	ct_state never
	assert_eq "exited 137" "$CT_STATE" "no policy: stays exited"
	ct_state unless_stopped
	assert_match "$CT_STATE" '^exited ' "unless-stopped, stopped by the user: stays exited"
	run_ok dk rm -f always unless unless_stopped never
}

test_containers_pause_unpause() {
	ct_daemon
	run_ok dk run -d --name frozen --network none bb sh -c 'while :; do date +%s%N >/tmp/t; sleep 0.05; done'
	local id=$OUT
	run_ok dk pause frozen
	assert_eq frozen "$OUT" "pause prints the name"
	run_ok dk inspect --format '{{.State.Status}} {{.State.Paused}} {{.State.Running}}' frozen
	assert_eq "paused true true" "$OUT" "state when paused"
	assert_eq FROZEN "$(cat /sys/fs/cgroup/freezer/berth/$id/freezer.state)" "freezer state"
	run_ok dk ps --format '{{.Names}} {{.Status}}'
	assert_match "$OUT" '^frozen Up .* \(Paused\)$' "ps status"
	run_ok dk ps --filter status=paused --format '{{.Names}}'
	assert_eq frozen "$OUT" "status=paused filter"
	run_fails dk pause frozen
	assert_contains "$ERR" "Container $id is already paused" "pause twice"
	run_ok dk unpause frozen
	run_ok dk inspect --format '{{.State.Status}} {{.State.Paused}}' frozen
	assert_eq "running false" "$OUT" "state after unpause"
	run_fails dk unpause frozen
	assert_contains "$ERR" "Container $id is not paused" "unpause a running one"
	# stop of a paused container works.
	run_ok dk pause frozen
	run_ok dk stop -t 1 frozen
	ct_state frozen
	assert_match "$CT_STATE" '^exited (137|143)$' "stop of a paused container"
	run_fails dk pause frozen
	assert_contains "$ERR" "Container $id is not running" "pause a stopped one"
	# rm -f of a paused container too.
	run_ok dk start frozen
	run_ok dk pause frozen
	run_ok dk rm -f frozen
	ct_gone "$id"
	run_ok dk events --since 0 --until "$(($(date +%s) + 1))" --filter container="$id" --format '{{.Action}}'
	assert_match "$(echo $OUT)" '^create start pause unpause pause ' "events"
}

test_containers_rename() {
	ct_daemon
	run_ok dk create --name old --network none bb true
	local id=$OUT
	run_ok dk create --name other --network none bb true
	run_ok dk rename old new
	run_ok dk inspect --format '{{.Name}}' "$id"
	assert_eq /new "$OUT" "name after rename"
	run_fails dk inspect old
	run_fails dk rename new other
	assert_contains "$ERR" 'Conflict. The container name "/other" is already in use by container' "conflict"
	run ca_curl POST "/containers/new/rename?name=other"
	assert_match "$OUT" '^409 ' "conflict status"
	run_fails dk rename new 'bad name'
	assert_contains "$ERR" "Invalid container name (bad name)" "bad name"
	run_fails dk rename nosuch x
	assert_contains "$ERR" "No such container: nosuch" "unknown container"
	run_ok dk events --since 0 --until "$(($(date +%s) + 1))" --filter event=rename --format '{{.Actor.Attributes.oldName}} {{.Actor.Attributes.name}}'
	assert_eq "/old new" "$OUT" "rename event"
	# The new name survives a daemon restart.
	stop_daemon
	ct_restart_daemon
	run_ok dk inspect --format '{{.Name}}' "$id"
	assert_eq /new "$OUT" "name after the daemon restarted"
	run_ok dk rm new other
}

test_containers_admin_berth_cli() {
	ct_daemon
	run_ok berth -H "$D_HOST" run -d --name b1 --restart on-failure:2 --network none bb sleep 100
	run_ok dk inspect --format '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' b1
	assert_eq "on-failure 2" "$OUT" "berth run --restart"
	run_fails berth -H "$D_HOST" create --restart on-failure:x --network none bb true
	assert_contains "$ERR" "maximum retry count must be an integer" "bad count"
	run_fails berth -H "$D_HOST" run --rm --restart always --network none bb true
	assert_contains "$ERR" "conflicting options: cannot specify both --restart and --rm" "--rm and --restart"
	run_ok berth -H "$D_HOST" pause b1
	assert_eq b1 "$OUT" "berth pause output"
	assert_eq paused "$(dk inspect --format '{{.State.Status}}' b1)" "paused by berth"
	run_ok berth -H "$D_HOST" container unpause b1
	assert_eq b1 "$OUT" "berth container unpause output"
	run_fails berth -H "$D_HOST" unpause b1 nosuch
	assert_contains "$ERR" "is not paused" "unpause of a running one"
	assert_contains "$ERR" "No such container: nosuch" "unpause of a missing one"
	run_ok berth -H "$D_HOST" rename b1 b2
	assert_empty "$OUT" "rename prints nothing"
	assert_eq /b2 "$(dk inspect --format '{{.Name}}' b2)" "renamed by berth"
	run_fails berth -H "$D_HOST" rename b2
	run_ok dk rm -f b2
}

# rm -f of a container in a crash loop: whether it is waiting to restart
# or in the middle of a start, it goes, with nothing left.
test_containers_restart_rm_force() {
	ct_daemon
	local i id
	for i in 1 2 3 4; do
		run_ok dk run -d --name crash$i --restart always --network none bb true
		id=$OUT
		sleep "0.$((i * 2))"
		run_ok dk rm -f crash$i
		ct_gone "$id"
	done
}

test_containers_prune() {
	ct_daemon
	run_ok dk run -d --name up --network none bb sleep 100
	run_ok dk create --name fresh --network none -l keep=yes bb true
	local fresh=$OUT
	run_ok dk run --name done1 --network none bb sh -c 'echo x >/big; true'
	local done1
	done1=$(dk inspect --format '{{.Id}}' done1)
	run_ok dk run --name done2 --network none -l keep=yes bb true
	run_ok dk container prune -f --filter label!=keep=yes
	assert_contains "$OUT" "Deleted Containers:" "heading"
	assert_contains "$OUT" "$done1" "done1 pruned"
	assert_match "$OUT" 'Total reclaimed space: [0-9.]+k?B' "total"
	run_ok dk ps -a --format '{{.Names}}'
	assert_eq "$(printf 'done2\nfresh\nup' | sort)" "$(echo "$OUT" | sort)" "left after label! prune"
	assert_file_absent "$D_DATA/containers/$done1" "pruned container directory"
	run_ok dk container prune -f --filter until=1h
	assert_eq "Total reclaimed space: 0B" "$OUT" "nothing older than an hour"
	run_fails dk container prune -f --filter bogus=1
	assert_contains "$ERR" "invalid filter 'bogus'" "bad filter key"
	run_ok berth -H "$D_HOST" container prune -f --filter label=keep=yes
	assert_contains "$OUT" "$fresh" "berth container prune"
	run_ok dk ps -a --format '{{.Names}}'
	assert_eq up "$OUT" "only the running one is left"
	run_ok dk rm -f up
}

test_containers_top() {
	ct_daemon
	run_ok dk run -d --name busy --network none bb sh -c 'sleep 101 & exec sleep 102'
	local id=$OUT
	wait_for 10 "two processes" bash -c "[[ \$(wc -l </sys/fs/cgroup/pids/berth/$id/cgroup.procs) -ge 2 ]]"
	run_ok dk top busy
	assert_match "$(head -n 1 <<<"$OUT")" '^UID +PID +PPID +C +STIME +TTY +TIME +CMD$' "titles"
	assert_contains "$OUT" "sleep 101" "background process"
	assert_contains "$OUT" "sleep 102" "main process"
	assert_eq 3 "$(wc -l <<<"$OUT")" "only the container's processes"
	run_ok dk top busy -o pid,comm
	assert_match "$(head -n 1 <<<"$OUT")" '^PID +COMMAND$' "custom ps_args"
	run_fails dk top busy -o comm
	assert_contains "$ERR" "Couldn't find PID field in ps output" "no PID column"
	run_ok dk top busy -o pid,args
	local want=$OUT
	run_ok berth -H "$D_HOST" top busy -o pid,args
	assert_eq "$want" "$OUT" "berth top like docker top"
	run_ok dk stop -t 0 busy
	run_fails dk top busy
	assert_contains "$ERR" "Container $id is not running" "top of a stopped container"
	run_ok dk rm busy
}
