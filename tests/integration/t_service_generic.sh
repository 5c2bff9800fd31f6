# Generic resources as SwarmKit has them: a node advertises them with
# --node-generic-resource, services reserve counts with --generic-resource,
# the scheduler places a task only where enough is left and its container
# learns what it got from DOCKER_RESOURCE_* variables. Also the node's engine
# labels (--label), which engine.labels.* constraints read.
# shellcheck source=swarm_lib.sh
. "$INTEG_DIR/swarm_lib.sh"

gr_env() { # SERVICE: the DOCKER_RESOURCE_* variables of its running containers, one line each
	local c
	for c in $(docker -H "$D_HOST" ps -q --filter "label=com.docker.swarm.service.name=$1"); do
		docker -H "$D_HOST" exec "$c" sh -c 'env | grep ^DOCKER_RESOURCE_ | sort | tr "\n" " "'
		echo
	done | sort
}

gr_env_is() { # SERVICE TEXT: gr_env SERVICE prints exactly TEXT
	[[ "$(gr_env "$1" 2>/dev/null)" == "$2" ]]
}

gr_running() { # SERVICE N: exactly N of its tasks run
	[[ $(docker -H "$D_HOST" service ps "$1" --filter desired-state=running --format '{{.CurrentState}}' |
		grep -c '^Running') == "$2" ]]
}

gr_generic_sorted() { # SERVICE: its reserved generic resources, sorted (docker sends them in a Go map's order)
	curl -sf --unix-socket "$D_SOCK" "http://localhost/v1.41/services/$1" |
		jq -cS '.Spec.TaskTemplate.Resources.Reservations.GenericResources // [] | sort_by(.DiscreteResourceSpec.Kind)'
}

test_generic_resources_placement() {
	swarm_one_node --node-generic-resource gpu=UUID1 --node-generic-resource gpu=UUID2 \
		--node-generic-resource ssd=3 --label zone=eu
	run_ok dk info --format '{{json .GenericResources}}'
	assert_eq '[{"NamedResourceSpec":{"Kind":"gpu","Value":"UUID1"}},{"NamedResourceSpec":{"Kind":"gpu","Value":"UUID2"}},{"DiscreteResourceSpec":{"Kind":"ssd","Value":3}}]' \
		"$OUT" "docker info's GenericResources"
	run_ok dk node inspect self --format '{{json .Description.Resources.GenericResources}} {{json .Description.Engine.Labels}}'
	assert_eq '[{"NamedResourceSpec":{"Kind":"gpu","Value":"UUID1"}},{"NamedResourceSpec":{"Kind":"gpu","Value":"UUID2"}},{"DiscreteResourceSpec":{"Kind":"ssd","Value":3}}]'' {"zone":"eu"}' \
		"$OUT" "the node's resources and engine labels"
	# Two GPUs: the third replica waits, and says why.
	run_ok berth -H "$D_HOST" service create -d --name g --replicas 3 --generic-resource gpu=1 \
		--generic-resource ssd=1 --constraint engine.labels.zone==eu --stop-grace-period 1s busybox sleep 1000
	wait_for 60 "two tasks running" gr_running g 2
	wait_for 30 "a pending task" bash -c "docker -H '$D_HOST' service ps g --no-trunc --format '{{.CurrentState}} {{.Error}}' | grep -q '^Pending.*insufficient resources on 1 node'"
	run_ok gr_env g
	assert_eq "DOCKER_RESOURCE_GPU=UUID1 DOCKER_RESOURCE_SSD=1 
DOCKER_RESOURCE_GPU=UUID2 DOCKER_RESOURCE_SSD=1 " "$OUT" "what each task got"
	run_ok dk inspect --format '{{json .GenericResources}}' "$(docker -H "$D_HOST" service ps -q --filter desired-state=running g | head -n1)"
	assert_contains "$OUT" '"NamedResourceSpec":{"Kind":"gpu","Value":"UUID' "a task's assigned resources"
	# Without the GPU all three fit (3 ssd).
	run_ok berth -H "$D_HOST" service update -d --generic-resource-rm gpu g
	# Until the update is over, old containers may still run (or be stopping).
	wait_for 90 "three tasks of the new spec" gr_env_is g "DOCKER_RESOURCE_SSD=1 
DOCKER_RESOURCE_SSD=1 
DOCKER_RESOURCE_SSD=1 "
	# A fourth ssd is one too many.
	run_ok dk service scale -d g=4
	wait_for 30 "the fourth task pending" bash -c "docker -H '$D_HOST' service ps g --no-trunc --format '{{.CurrentState}} {{.Error}}' | grep -q '^Pending.*insufficient resources on 1 node'"
	run_ok dk service rm g
}

# The spec berth's CLI sends for the flags is docker's; its refusals are
# docker's; bad node resources keep berthd from starting, as dockerd.
test_generic_resources_cli_and_errors() {
	swarm_one_node --node-generic-resource ssd=1
	local s
	for s in dg bg; do
		local cli=(dk)
		[[ $s == bg ]] && cli=(berth -H "$D_HOST")
		run_ok "${cli[@]}" service create -d --no-resolve-image --name $s --replicas 0 \
			--generic-resource gpu=2 --generic-resource ssd=1 busybox sleep 1000
	done
	assert_eq "$(gr_generic_sorted dg)" "$(gr_generic_sorted bg)" "GenericResources after create"
	run_ok dk service update -d --generic-resource-add gpu=3 --generic-resource-add fpga=1 --generic-resource-rm ssd dg
	run_ok berth -H "$D_HOST" service update -d --generic-resource-add gpu=3 --generic-resource-add fpga=1 --generic-resource-rm ssd bg
	assert_eq "$(gr_generic_sorted dg)" "$(gr_generic_sorted bg)" "GenericResources after update"
	assert_contains "$(gr_generic_sorted bg)" '"Kind":"gpu","Value":3' "the new count"
	local bad
	for bad in "--generic-resource gpu" "--generic-resource gpu=UUID1" "--generic-resource gpu=1 --generic-resource gpu=x" \
		"--generic-resource gpu=-1" "--generic-resource a=b=c"; do
		# shellcheck disable=SC2086
		run_fails dk service create -d --no-resolve-image --name x $bad busybox true
		local theirs=${ERR%%$'\n'*}
		# shellcheck disable=SC2086
		run_fails berth -H "$D_HOST" service create -d --name x $bad busybox true
		assert_eq "$theirs" "${ERR%%$'\n'*}" "berth's refusal of $bad"
	done
	run_fails berth -H "$D_HOST" service update -d --generic-resource-rm nope bg
	assert_contains "$ERR" 'could not find generic-resource `nope` to remove it' "rm of a kind not reserved"
	run_ok dk service rm dg bg
	# As dockerd's config validation.
	new_daemon_dir bad
	run_fails "$BERTHD" --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" -H "$D_HOST" \
		--node-generic-resource gpu=1 --node-generic-resource gpu=x
	assert_contains "$ERR" "could not parse GenericResource: mixed discrete and named resources in expression 'gpu=[1 x]'" "berthd's refusal"
	echo '{"node-generic-resources": ["gpu"]}' >"$D_CFG"
	run_fails "$BERTHD" --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" -H "$D_HOST" --config-file "$D_CFG"
	assert_contains "$ERR" "could not parse GenericResource: incorrect term gpu, missing '=' or malformed expression" "daemon.json"
	[[ ! -S "$D_SOCK" ]] || fail "berthd left a socket behind"
}

# A reload (SIGHUP) that changes --label's list changes the node's engine
# labels too: the node describes itself from the daemon's current labels on
# each heartbeat, as dockerd's executor asks the daemon each time.
test_swarm_engine_labels_follow_reload() {
	# Labels in the file: a --label flag would make the reload a conflict.
	new_daemon_dir d1
	echo '{"labels": ["zone=eu"]}' >"$D_CFG"
	swarm_one_node
	run_ok dk node inspect self --format '{{json .Description.Engine.Labels}}'
	assert_eq '{"zone":"eu"}' "$OUT" "the node's engine labels at start"
	echo '{"labels": ["zone=us", "disk=ssd"]}' >"$D_CFG"
	reload_daemon
	wait_for 30 "the node's engine labels after the reload" bash -c \
		"[[ \$(docker -H '$D_HOST' node inspect self --format '{{json .Description.Engine.Labels}}') == '{\"disk\":\"ssd\",\"zone\":\"us\"}' ]]"
}
