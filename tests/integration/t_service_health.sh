# Health-aware services (issue 9): a task whose container has a health
# check runs once it is healthy, an unhealthy one fails ("dockerexec:
# unhealthy container"), and a rolling update whose new tasks turn unhealthy
# pauses or rolls back as SwarmKit's updater does.
# shellcheck source=swarm_lib.sh
. "$INTEG_DIR/swarm_lib.sh"

update_state() { # SERVICE
	docker -H "$D_HOST" service inspect "$1" --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}'
}

task_states() { # SERVICE: "state|error" of each task, newest first
	dk service ps "$1" --no-trunc --format '{{.CurrentState}}|{{.Error}}'
}

test_service_health_task_runs_once_healthy() {
	swarm_one_node
	run_ok dk service create -d --name hc --stop-grace-period 1s --health-cmd 'test -e /tmp/ok' \
		--health-interval 200ms --health-retries 1000 busybox sleep 1000
	local cid
	wait_for 30 "the task's container" bash -c "[[ -n \$(docker -H '$D_HOST' ps -q --filter label=com.docker.swarm.service.name=hc) ]]" ||
		fail "no container: $(task_states hc)"
	cid=$(dk ps -q --filter label=com.docker.swarm.service.name=hc)
	# Probes have failed (the file is not there) without making it unhealthy:
	# the task is still starting.
	wait_for 30 "failing probes" bash -c "[[ \$(docker -H '$D_HOST' inspect $cid --format '{{.State.Health.FailingStreak}}') -ge 3 ]]" ||
		fail "health: $(dk inspect "$cid" --format '{{json .State.Health}}')"
	run_ok task_states hc
	assert_match "$OUT" '^Starting' "task state while the health check says starting"
	run_ok dk exec "$cid" touch /tmp/ok
	wait_for 30 "the task running" bash -c "docker -H '$D_HOST' service ps hc --format '{{.CurrentState}}' | grep -q '^Running'" ||
		fail "not running once healthy: $(task_states hc)"
}

# An update to a health check that fails: the new task is stopped and fails,
# and the update pauses (the default failure action) with SwarmKit's message;
# the untouched replica keeps running.
test_service_health_update_pauses() {
	swarm_one_node
	run_ok dk service create -d --name up --replicas 2 --stop-grace-period 1s \
		--health-cmd true --health-interval 200ms --update-parallelism 1 --update-delay 5s \
		busybox sleep 1000
	wait_for 30 "2/2" bash -c "[[ \$(docker -H '$D_HOST' service ls --format '{{.Replicas}}' --filter name=up) == 2/2 ]]" ||
		fail "2/2 expected: $(task_states up)"
	run_ok dk service update -d --health-cmd false --health-retries 1 up
	wait_for 60 "paused" bash -c "[[ \$(docker -H '$D_HOST' service inspect up --format '{{.UpdateStatus.State}}') == paused ]]" ||
		fail "update not paused: $(dk service inspect up --format '{{json .UpdateStatus}}') $(task_states up)"
	run_ok dk service inspect up --format '{{.UpdateStatus.Message}}'
	assert_match "$OUT" '^update paused due to failure or early termination of task [0-9a-z]{25}$' "pause message"
	run_ok task_states up
	assert_match "$OUT" 'Failed [^|]*\|"?task: non-zero exit \([0-9]+\): dockerexec: unhealthy container' "failed task"
	run_ok dk service ps up --filter desired-state=running --format '{{.Name}} {{.CurrentState}}'
	assert_contains "$OUT" "Running" "the old replica runs"
}

# Failure action rollback: the spec goes back, the rollback completes, and
# there is no PreviousSpec left (SwarmKit's rollbackUpdate).
test_service_health_update_rolls_back() {
	swarm_one_node
	run_ok dk service create -d --name rb --replicas 2 --stop-grace-period 1s \
		--health-cmd true --health-interval 200ms --update-parallelism 1 \
		--update-failure-action rollback --rollback-monitor 1s busybox sleep 1000
	wait_for 30 "2/2" bash -c "[[ \$(docker -H '$D_HOST' service ls --format '{{.Replicas}}' --filter name=rb) == 2/2 ]]" ||
		fail "2/2 expected: $(task_states rb)"
	run_ok dk service update -d --health-cmd false --health-retries 1 rb
	wait_for 60 "rollback_completed" bash -c "[[ \$(docker -H '$D_HOST' service inspect rb --format '{{.UpdateStatus.State}}') == rollback_completed ]]" ||
		fail "not rolled back: $(dk service inspect rb --format '{{json .UpdateStatus}}') $(task_states rb)"
	run_ok dk service inspect rb --format '{{json .Spec.TaskTemplate.ContainerSpec.Healthcheck.Test}}|{{.PreviousSpec}}'
	assert_eq '["CMD-SHELL","true"]|<nil>' "$OUT" "spec after the rollback"
	wait_for 30 "2 running" bash -c "[[ \$(docker -H '$D_HOST' service ls --format '{{.Replicas}}' --filter name=rb) == 2/2 ]]" ||
		fail "2/2 after the rollback: $(task_states rb)"
	run_fails dk service rollback rb
	assert_contains "$ERR" "does not have a previous spec" "rollback after an automatic rollback"
}
