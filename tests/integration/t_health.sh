# Container health checks (issue 9): docker run --health-*, HEALTHCHECK from
# the image, State.Health with its log, health_status events, the status in
# docker ps and its health filter, timeouts, the start period, probing that
# stops with the container and resumes after a berthd restart. Uses ct_daemon
# and dk from t_containers.sh.

h_status() { dk inspect --format '{{.State.Health.Status}}' "$1" 2>/dev/null; }
h_is() { [[ $(h_status "$1") == "$2" ]]; }
h_json() { dk inspect --format '{{json .State.Health}}' "$1"; }
# h_probes NAME: how many results the log holds.
h_probes() { json_get "$(h_json "$1")" 'len(j["Log"] or [])'; }
h_probes_at_least() { (($(h_probes "$1") >= $2)); }
# Probes counted by their exec_create events (the log keeps only 5).
h_execs() {
	docker -H "$D_HOST" events --since "$H_T0" --until "$(date +%s.%N)" \
		--filter "container=$1" --filter event=exec_create | grep -c exec_create
}
h_execs_at_least() { (($(h_execs "$1") >= $2)); }

h_daemon() {
	ct_daemon "$@"
	H_T0=$(date +%s.%N)
}

test_health_run_flags() {
	h_daemon
	run_ok dk run -d --name hc --network none --health-cmd 'test -e /tmp/ok' \
		--health-interval 1s --health-timeout 5s --health-retries 2 bb sleep 300
	local id=$OUT
	run_ok dk inspect --format '{{json .Config.Healthcheck}}' hc
	assert_eq '{"Test":["CMD-SHELL","test -e /tmp/ok"],"Interval":1000000000,"Timeout":5000000000,"Retries":2}' \
		"$OUT" "Config.Healthcheck of docker run --health-*"
	# Starting until a probe has run, then unhealthy after two failures.
	wait_for 30 "hc to become unhealthy" h_is hc unhealthy
	local j
	j=$(h_json hc)
	assert_eq 2 "$(json_get "$j" 'j["FailingStreak"]')" "FailingStreak when it turned unhealthy"
	assert_eq 1 "$(json_get "$j" 'j["Log"][-1]["ExitCode"]')" "ExitCode of a failed probe"
	assert_match "$(json_get "$j" 'j["Log"][-1]["Start"]')" '^20[0-9-]+T[0-9:.]+Z$' "Start of a result"
	run_ok dk ps --format '{{.Names}} {{.Status}}'
	assert_match "$OUT" 'hc Up .* \(unhealthy\)' "docker ps status of an unhealthy container"
	run_ok dk ps -q --no-trunc --filter health=unhealthy
	assert_eq "$id" "$OUT" "ps --filter health=unhealthy"
	run_ok dk ps -q --filter health=healthy
	assert_empty "$OUT" "ps --filter health=healthy while unhealthy"

	# The probe's output is kept.
	run_ok dk exec hc sh -c 'echo "echo probe-says-hi; test -e /tmp/ok" >/tmp/p.sh; touch /tmp/ok'
	wait_for 30 "hc to become healthy" h_is hc healthy
	j=$(h_json hc)
	assert_eq 0 "$(json_get "$j" 'j["FailingStreak"]')" "FailingStreak once healthy"
	assert_eq 0 "$(json_get "$j" 'j["Log"][-1]["ExitCode"]')" "ExitCode of a passing probe"
	run_ok dk ps --format '{{.Names}} {{.Status}}'
	assert_match "$OUT" 'hc Up .* \(healthy\)' "docker ps status of a healthy container"
	run_ok dk ps -q --no-trunc --filter health=healthy
	assert_eq "$id" "$OUT" "ps --filter health=healthy"

	# At most five results are kept.
	wait_for 30 "six probes" h_execs_at_least hc 6
	assert_eq 5 "$(h_probes hc)" "results in State.Health.Log"

	# health_status events as dockerd sends them, and the probes' exec events.
	run_ok dk events --since "$H_T0" --until "$(date +%s.%N)" --filter container=hc \
		--filter event=health_status --format '{{.Action}}'
	assert_eq "health_status: unhealthy
health_status: healthy" "$OUT" "health_status events"
	run_ok dk events --since "$H_T0" --until "$(date +%s.%N)" --filter container=hc \
		--filter event=exec_start --format '{{.Action}}'
	assert_contains "$OUT" "exec_start: /bin/sh -c test -e /tmp/ok" "exec_start event of a probe"
	run_ok dk rm -f hc
}

test_health_output_timeout_and_filters() {
	h_daemon
	run_ok dk run -d --name out --network none \
		--health-cmd 'echo line1; echo err >&2; exit 3' --health-interval 1s \
		--health-retries 1 bb sleep 300
	wait_for 30 "out to become unhealthy" h_is out unhealthy
	local j
	j=$(h_json out)
	assert_eq 3 "$(json_get "$j" 'j["Log"][0]["ExitCode"]')" "exit code 3 of a probe"
	# Both streams are kept; their order is the order their pipes are read
	# in, which neither berthd nor dockerd (two goroutines) makes certain.
	assert_eq "$(printf 'err\nline1\n')" "$(json_get "$j" '"".join(sorted(j["Log"][0]["Output"].splitlines(True)))')" \
		"stdout and stderr of the probe"

	# A probe past its timeout is killed and counts as a failure (-1).
	run_ok dk run -d --name slow --network none --health-cmd 'sleep 30' \
		--health-interval 1s --health-timeout 300ms --health-retries 1 bb sleep 300
	wait_for 30 "slow to become unhealthy" h_is slow unhealthy
	j=$(h_json slow)
	assert_eq -1 "$(json_get "$j" 'j["Log"][0]["ExitCode"]')" "exit code of a timed-out probe"
	assert_eq "Health check exceeded timeout (300ms)" "$(json_get "$j" 'j["Log"][0]["Output"]')" \
		"output of a timed-out probe"

	# CMD form, and no health check at all.
	run_ok dk run -d --name cmdform --network none --health-cmd 'true' bb sleep 300
	run_ok curl -sf --unix-socket "$D_SOCK" -X POST -H 'Content-Type: application/json' \
		-d '{"Image":"bb","Cmd":["sleep","300"],"HostConfig":{"NetworkMode":"none"},"Healthcheck":{"Test":["CMD","/bin/true"],"Interval":1000000000}}' \
		"http://localhost/v1.41/containers/create?name=exec-form"
	run_ok dk start exec-form
	wait_for 30 "exec-form to become healthy" h_is exec-form healthy
	run_ok dk run -d --name plain --network none bb sleep 300
	run_ok dk inspect --format '{{json .State.Health}}' plain
	assert_eq null "$OUT" "State.Health of a container without a health check"
	run_ok dk ps --format '{{.Names}}' --filter health=none
	assert_eq plain "$OUT" "ps --filter health=none"
	run_ok dk ps --format '{{.Names}}' --filter health=starting
	assert_eq cmdform "$OUT" "ps --filter health=starting (30s default interval)"
	run_ok dk ps --format '{{.Status}}' --filter name=cmdform
	assert_match "$OUT" '^Up .* \(health: starting\)$' "docker ps status while starting"

	run_fails dk ps --filter health=sick
	assert_contains "$ERR" "invalid filter 'health=sick': invalid value for health (sick): must be one of none, starting, healthy, unhealthy" \
		"ps --filter health=sick"
	# dockerd's validation of the durations and retries.
	local body
	for body in '"Interval":100' '"Timeout":5' '"StartPeriod":999' '"Retries":-1'; do
		run curl -s --unix-socket "$D_SOCK" -o "$TEST_TMP/body" -w '%{http_code}' -X POST \
			-H 'Content-Type: application/json' \
			-d "{\"Image\":\"bb\",\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"],$body}}" \
			"http://localhost/v1.41/containers/create"
		assert_eq 400 "$OUT" "status of a create with $body"
	done
	assert_contains "$(cat "$TEST_TMP/body")" "Retries in Healthcheck cannot be negative" "message for Retries -1"
	run curl -s --unix-socket "$D_SOCK" -X POST -H 'Content-Type: application/json' \
		-d '{"Image":"bb","Healthcheck":{"Test":["CMD","true"],"Interval":100}}' \
		"http://localhost/v1.41/containers/create"
	assert_contains "$OUT" "Interval in Healthcheck cannot be less than 1ms" "message for Interval 100ns"
	run_ok dk rm -f out slow cmdform exec-form plain
}

test_health_start_period() {
	h_daemon
	# Failures within the start period do not count while it never was healthy.
	run_ok dk run -d --name sp --network none --health-cmd false --health-interval 1s \
		--health-retries 1 --health-start-period 60s bb sleep 300
	wait_for 30 "a first probe of sp" h_probes_at_least sp 1
	local j
	j=$(h_json sp)
	assert_eq starting "$(json_get "$j" 'j["Status"]')" "status after a failure in the start period"
	assert_eq 0 "$(json_get "$j" 'j["FailingStreak"]')" "FailingStreak in the start period"
	assert_eq 1 "$(json_get "$j" 'j["Log"][0]["ExitCode"]')" "the failure is logged"
	run_ok dk rm -f sp
}

test_health_image_healthcheck() {
	h_daemon
	"$PYTHON" "$INTEG_DIR/imgtool.py" healthcheck "$TEST_TMP/hc.tar" hcimg:1 "$CT_TAR" \
		'["CMD-SHELL", "test -e /etc/passwd"]' 1000000000 >/dev/null || fail "imgtool healthcheck"
	run_ok dk load -i "$TEST_TMP/hc.tar"
	run_ok dk run -d --name fromimg --network none hcimg:1 sleep 300
	wait_for 30 "fromimg to become healthy" h_is fromimg healthy
	# The user's flags override the image's, the rest is the image's.
	run_ok dk run -d --name override --network none --health-cmd 'exit 1' --health-retries 1 \
		hcimg:1 sleep 300
	run_ok dk inspect --format '{{json .Config.Healthcheck}}' override
	assert_eq '{"Test":["CMD-SHELL","exit 1"],"Interval":1000000000,"Retries":1}' "$OUT" \
		"Healthcheck merged from the flags and the image"
	wait_for 30 "override to become unhealthy" h_is override unhealthy
	# --no-healthcheck disables the image's.
	run_ok dk run -d --name nohc --network none --no-healthcheck hcimg:1 sleep 300
	run_ok dk inspect --format '{{json .Config.Healthcheck.Test}} {{json .State.Health}}' nohc
	assert_eq '["NONE"] null' "$OUT" "Healthcheck and State.Health with --no-healthcheck"
	run_ok dk rm -f fromimg override nohc
}

test_health_berth_cli() {
	h_daemon
	run_ok berth -H "$D_HOST" run -d --name bh --network none --health-cmd 'exit 0' \
		--health-interval 1s --health-retries 2 bb sleep 300
	run_ok dk inspect --format '{{json .Config.Healthcheck}}' bh
	assert_eq '{"Test":["CMD-SHELL","exit 0"],"Interval":1000000000,"Retries":2}' "$OUT" \
		"Healthcheck sent by berth run --health-*"
	wait_for 30 "bh to become healthy" h_is bh healthy
	run_ok berth -H "$D_HOST" ps --format '{{.Names}} {{.Status}}' --filter health=healthy
	assert_match "$OUT" '^bh Up .* \(healthy\)$' "berth ps --filter health=healthy"
	run_fails berth -H "$D_HOST" run -d --no-healthcheck --health-retries 1 bb true
	assert_contains "$ERR" "--no-healthcheck conflicts with --health-* options" "berth run --no-healthcheck --health-retries"
	run_fails berth -H "$D_HOST" run -d --health-interval 5x bb true
	assert_contains "$ERR" 'invalid argument "5x" for "--health-interval" flag: time: invalid duration "5x"' \
		"berth run --health-interval 5x"
	run_ok dk rm -f bh
}

test_health_stop_pause_restart() {
	h_daemon
	run_ok dk run -d --name st --network none --health-cmd 'test ! -e /tmp/bad' \
		--health-interval 1s --health-retries 1 bb sleep 300
	wait_for 30 "st to become healthy" h_is st healthy
	# Stopped: no probes, and dockerd's "unhealthy" (no event for it).
	run_ok dk stop -t 1 st
	assert_eq unhealthy "$(h_status st)" "health status of a stopped container"
	local logged
	logged=$(h_json st)
	# Another container's probes are the clock: three of them later, st
	# has not probed.
	run_ok dk run -d --name clock --network none --health-cmd true --health-interval 1s bb sleep 300
	wait_for 30 "three probes of clock" h_execs_at_least clock 3
	assert_eq "$logged" "$(h_json st)" "State.Health of a stopped container"
	# Started again: starting, then probing again.
	run_ok dk start st
	wait_for 30 "st to become healthy again" h_is st healthy

	# Paused: probing stops; unpaused: it resumes.
	run_ok dk pause st
	run_ok dk ps --format '{{.Status}}' --filter name=st
	assert_match "$OUT" '^Up .* \(Paused\)$' "docker ps status of a paused container"
	run_ok dk unpause st
	run_ok dk exec st touch /tmp/bad
	wait_for 30 "st to become unhealthy after unpause" h_is st unhealthy
	run_ok dk exec st rm /tmp/bad
	wait_for 30 "st healthy again" h_is st healthy

	# A berthd restart (kill -9) keeps the state, and probes resume.
	kill -9 "$D_PID"
	wait "$D_PID" 2>/dev/null
	forget_pid "$D_PID"
	ct_restart_daemon
	assert_eq healthy "$(h_status st)" "health status after a berthd restart"
	run_ok dk exec st touch /tmp/bad
	wait_for 30 "st to become unhealthy after the restart" h_is st unhealthy
	run_ok dk rm -f st clock
}

test_health_pause_mid_probe() {
	h_daemon
	run_ok dk run -d --name slowp --network none --health-cmd 'sleep 20' --health-interval 1s \
		--health-timeout 60s bb sleep 300
	wait_for 30 "a probe of slowp to start" h_execs_at_least slowp 1
	# The probe in flight is frozen with the container: berthd must still
	# stop at once, and come back to a container it can thaw and remove.
	run_ok dk pause slowp
	assert_eq unhealthy "$(h_status slowp)" "health status of a paused container"
	stop_daemon
	ct_restart_daemon
	run_ok dk unpause slowp
	run_ok dk rm -f slowp
}
