# `berth service update` with docker's flags and the progress display of
# berth service create/update/rollback without --detach (issue 9), and
# secrets rotated by an update (--secret-rm old --secret-add new) and, beyond
# Docker, in place (POST /secrets/{id}/update with new Data rolls the services
# that use it).
# shellcheck source=swarm_lib.sh
. "$INTEG_DIR/swarm_lib.sh"

bsvc() { berth -H "$D_HOST" service "$@"; }

test_service_update_berth_progress() {
	swarm_one_node
	run_ok bsvc create --name bu --replicas 2 --stop-grace-period 1s busybox sleep 1000
	local id
	id=$(head -n1 <<<"$OUT")
	assert_match "$id" '^[0-9a-z]{25}$' "create prints the ID first"
	assert_contains "$OUT" "overall progress: 2 out of 2 tasks" "create progress"
	assert_contains "$OUT" "verify: Waiting 5 seconds to verify that tasks are stable..." "create verify"
	assert_eq "verify: Service $id converged" "$(tail -n1 <<<"$OUT")" "create converged"
	run_ok bsvc update --env-add A=2 --label-add team=x --container-label-add c=1 \
		--update-parallelism 2 --update-monitor 1s --constraint-add node.role==manager bu
	assert_eq bu "$(head -n1 <<<"$OUT")" "update prints the name"
	assert_contains "$OUT" "overall progress: 2 out of 2 tasks" "update progress"
	assert_eq "verify: Service bu converged" "$(tail -n1 <<<"$OUT")" "update converged"
	run_ok dk service inspect bu --format '{{json .Spec.TaskTemplate.ContainerSpec.Env}} {{.Spec.Labels.team}} {{index .Spec.TaskTemplate.ContainerSpec.Labels "c"}} {{.Spec.UpdateConfig.Parallelism}} {{.Spec.UpdateConfig.Monitor}} {{json .Spec.TaskTemplate.Placement.Constraints}}'
	assert_eq '["A=2"] x 1 2 1s ["node.role==manager"]' "$OUT" "spec after berth service update"
	run_ok dk service ps bu --filter desired-state=running --format '{{.CurrentState}}'
	assert_eq 2 "$(grep -c '^Running' <<<"$OUT")" "running after the update"
	run_ok bsvc update -d --env-rm A --env-add B=3 --label-rm team bu
	assert_eq bu "$OUT" "a detached update prints the name only"
	run_ok dk service inspect bu --format '{{json .Spec.TaskTemplate.ContainerSpec.Env}} {{json .Spec.Labels}}'
	assert_eq '["B=3"] {}' "$OUT" "env and label removed"
	run_ok bsvc rollback -q bu
	assert_eq bu "$OUT" "a quiet rollback prints the name only"
	run_ok dk service inspect bu --format '{{json .Spec.TaskTemplate.ContainerSpec.Env}}'
	assert_eq '["A=2"]' "$OUT" "rolled back spec"
	run_fails bsvc update --replicas 1 --update-delay 1x bu
	assert_contains "$ERR" 'invalid argument "1x" for "--update-delay" flag' "bad duration"
	run_fails bsvc update --image busybox nosuch
	assert_contains "$ERR" "service nosuch not found" "unknown service"
}

# An update whose tasks turn unhealthy: berth says the update paused, as
# docker's CLI does, and exits 1.
test_service_update_berth_paused() {
	swarm_one_node
	run_ok bsvc create -d --name bp --stop-grace-period 1s busybox sleep 1000
	wait_for 30 "1/1" bash -c "[[ \$(docker -H '$D_HOST' service ls --format '{{.Replicas}}' --filter name=bp) == 1/1 ]]"
	run_ok bsvc update -d --health-cmd false --health-retries 1 --health-interval 200ms bp
	run_fails bsvc update --force bp
	assert_contains "$ERR" "service update paused: update paused due to failure or early termination of task" "paused update"
}

# berth's task flags of service update give the spec docker's CLI gives for
# the same flags; berth service scale waits for convergence as docker's.
test_service_update_berth_task_flags() {
	swarm_one_node
	run_ok bsvc create -d --name bf --stop-grace-period 1s busybox sleep 1000
	run_ok dk service create -d --name df --stop-grace-period 1s busybox sleep 1000
	local fields='{{json .Spec.TaskTemplate.Resources}} {{json .Spec.TaskTemplate.ContainerSpec.Healthcheck}} {{json .Spec.TaskTemplate.ContainerSpec.Mounts}}'
	local flags=(--limit-cpu 0.5 --limit-memory 64m --limit-pids 100 --reserve-cpu 0.25
		--reserve-memory 16m --mount-add type=tmpfs,target=/scratch
		--mount-add type=volume,source=bfv,target=/data --health-cmd true
		--health-interval 1s --health-retries 2 --health-timeout 3s --health-start-period 1s)
	run_ok bsvc update -d "${flags[@]}" bf
	run_ok dk service update -d "${flags[@]}" df
	run_ok dk service inspect bf --format "$fields"
	local ours=$OUT
	run_ok dk service inspect df --format "$fields"
	assert_eq "$OUT" "$ours" "resources, health check and mounts set by berth and by docker"
	assert_contains "$ours" '"NanoCPUs":500000000' "--limit-cpu"
	flags=(--mount-rm /scratch --mount-add type=tmpfs,target=/data --health-cmd "" --limit-memory 32m)
	run_ok bsvc update -d "${flags[@]}" bf
	run_ok dk service update -d "${flags[@]}" df
	run_ok dk service inspect bf --format "$fields"
	ours=$OUT
	run_ok dk service inspect df --format "$fields"
	assert_eq "$OUT" "$ours" "after --mount-rm, a replaced mount and --health-cmd \"\""
	run_ok bsvc update -d --mount-rm /data --no-healthcheck bf
	run_ok dk service update -d --mount-rm /data --no-healthcheck df
	run_ok dk service inspect bf --format "$fields"
	ours=$OUT
	run_ok dk service inspect df --format "$fields"
	assert_eq "$OUT" "$ours" "after --no-healthcheck and the last --mount-rm"
	run_fails bsvc update --no-healthcheck --health-retries 1 bf
	assert_contains "$ERR" "--no-healthcheck conflicts with --health-* options" "conflicting health flags"
	run_fails bsvc update --limit-cpu lots bf
	assert_contains "$ERR" 'invalid argument "lots" for "--limit-cpu" flag' "bad --limit-cpu"
	run_ok bsvc scale bf=2
	assert_eq "bf scaled to 2" "$(head -n1 <<<"$OUT")" "scale prints the change first"
	assert_contains "$OUT" "overall progress: 2 out of 2 tasks" "scale waits"
	assert_eq "verify: Service bf converged" "$(tail -n1 <<<"$OUT")" "scale converged"
	run_ok bsvc scale -d bf=1
	assert_eq "bf scaled to 1" "$OUT" "a detached scale"
}

# Rotating a secret: the update replaces the task, whose container has the
# new file and not the old one.
test_service_update_secret_rotation() {
	swarm_one_node
	printf 'one' | dk secret create s1 - >/dev/null
	printf 'two' | dk secret create s2 - >/dev/null
	run_ok bsvc create --name sr --stop-grace-period 1s --secret s1 busybox sleep 1000
	local cid
	cid=$(dk ps -q --filter label=com.docker.swarm.service.name=sr)
	run_ok dk exec "$cid" cat /run/secrets/s1
	assert_eq one "$OUT" "s1 in the first task"
	run_ok bsvc update --secret-rm s1 --secret-add s2 --update-monitor 1s sr
	assert_eq "verify: Service sr converged" "$(tail -n1 <<<"$OUT")" "rotation converged"
	local cid2
	cid2=$(dk ps -q --filter label=com.docker.swarm.service.name=sr)
	assert_ne "$cid" "$cid2" "a new task"
	run_ok dk exec "$cid2" cat /run/secrets/s2
	assert_eq two "$OUT" "s2 in the new task"
	run_fails dk exec "$cid2" cat /run/secrets/s1
	run_ok dk service inspect sr --format '{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}} {{end}}'
	assert_eq "s2 " "$OUT" "the spec's secrets"
}

su_api() { # METHOD PATH [BODY]: status in OUT
	local args=(-s --unix-socket "$D_SOCK" -o "$TEST_TMP/su.body" -w '%{http_code}' -X "$1")
	[[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' -d "$3")
	run curl "${args[@]}" "http://localhost/v1.41$2"
}

task_file_is() { # SERVICE FILE CONTENT: every running task's container has it
	local cids cid
	cids=$(docker -H "$D_HOST" ps -q --filter "label=com.docker.swarm.service.name=$1")
	[[ $(wc -l <<<"$cids") -eq 2 ]] || return 1
	for cid in $cids; do
		[[ $(docker -H "$D_HOST" exec "$cid" cat "$2" 2>/dev/null) == "$3" ]] || return 1
	done
}

# Beyond Docker: a secret (and a config) updated in place with new data
# keeps its name, gets a new version, and the services that use it roll as
# a forced update would (UpdateConfig, UpdateStatus, service events), so
# that their running tasks end up with the new content.
test_service_update_secret_in_place() {
	swarm_one_node
	local t0 sid cid v
	t0=$(date +%s.%N)
	sid=$(printf 'one' | dk secret create ip -)
	cid=$(printf 'c1' | dk config create ipc -)
	run_ok dk service create -d --name ipr --replicas 2 --stop-grace-period 1s \
		--update-parallelism 1 --update-delay 1s --update-monitor 1s \
		--secret ip --config source=ipc,target=/ipc busybox sleep 1000
	run_ok dk service create -d --name ipo --stop-grace-period 1s busybox sleep 1000
	wait_for 60 "two tasks with the first secret" task_file_is ipr /run/secrets/ip one
	local before other
	before=$(dk ps -q --filter label=com.docker.swarm.service.name=ipr | sort)
	other=$(dk service inspect ipo --format '{{.Version.Index}}')
	v=$(dk secret inspect --format '{{.Version.Index}}' ip)
	su_api POST "/secrets/$sid/update?version=$v" "{\"Name\":\"ip\",\"Data\":\"$(printf two | base64)\"}"
	assert_eq 200 "$OUT" "status of the rotation"
	run_ok dk secret inspect --format '{{.ID}} {{.Spec.Name}}' ip
	assert_eq "$sid ip" "$OUT" "same ID and name"
	(($(dk secret inspect --format '{{.Version.Index}}' ip) > v)) || fail "the version did not grow"
	run_ok dk service inspect ipr --format '{{.Spec.TaskTemplate.ForceUpdate}} {{.PreviousSpec.TaskTemplate.ForceUpdate}}'
	assert_eq "1 0" "$OUT" "the roll is a forced update"
	wait_for 90 "the roll to complete" bash -c \
		"[[ \$(docker -H '$D_HOST' service inspect ipr --format '{{.UpdateStatus.State}}') == completed ]]"
	wait_for 30 "two tasks with the new secret" task_file_is ipr /run/secrets/ip two
	local after
	after=$(dk ps -q --filter label=com.docker.swarm.service.name=ipr | sort)
	assert_empty "$(comm -12 <(echo "$before") <(echo "$after"))" "no container of before the roll runs"
	assert_eq "$other" "$(dk service inspect ipo --format '{{.Version.Index}}')" "a service without the secret is left alone"
	run_ok dk events --since "$t0" --until "$(date +%s.%N)" --filter type=service \
		--filter event=update --format '{{.Actor.Attributes.name}}'
	assert_contains "$OUT" "ipr" "a service update event for the roll"

	# A config: the same.
	v=$(dk config inspect --format '{{.Version.Index}}' ipc)
	su_api POST "/configs/$cid/update?version=$v" "{\"Name\":\"ipc\",\"Data\":\"$(printf c2 | base64)\"}"
	assert_eq 200 "$OUT" "status of the config rotation"
	wait_for 90 "two tasks with the new config" task_file_is ipr /ipc c2
	wait_for 60 "the config roll to complete" bash -c \
		"[[ \$(docker -H '$D_HOST' service inspect ipr --format '{{.UpdateStatus.State}} {{.Spec.TaskTemplate.ForceUpdate}}') == 'completed 2' ]]"
	run_ok dk service rm ipr ipo
}
