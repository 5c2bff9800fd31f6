# Swarm services and tasks on a single-node swarm (issue 9): the real
# docker CLI's service create/ls/ps/inspect/scale/update/rollback/rm and
# node ps, the API's errors, and the containers the agent runs.
# shellcheck source=swarm_lib.sh
. "$INTEG_DIR/swarm_lib.sh"

running_tasks() { # SERVICE: tasks of SERVICE running
	dk service ps "$1" --filter desired-state=running --format '{{.CurrentState}}' | grep -c '^Running' || true
}

test_service_create_scale_rm() {
	swarm_one_node
	run_ok dk service create -d --name web --replicas 2 --stop-grace-period 1s busybox sleep 1000
	local id=$OUT
	assert_match "$id" '^[0-9a-z]{25}$' "service ID"
	wait_for 30 "a condition" bash -c "[[ \$(docker -H '$D_HOST' service ls --format '{{.Replicas}}' --filter name=web) == 2/2 ]]" ||
		fail "2/2 expected: $(dk service ls) $(dk service ps web --no-trunc)"
	run_ok dk service ls --format '{{.Name}} {{.Mode}} {{.Replicas}} {{.Image}}'
	assert_eq "web replicated 2/2 busybox:latest" "$OUT" "service ls"
	run_ok dk ps --filter label=com.docker.swarm.service.name=web --format '{{.Names}}'
	assert_eq 2 "$(grep -c '^web\.[12]\.[0-9a-z]\{25\}$' <<<"$OUT")" "container names: $OUT"
	run_ok dk service ps web --format '{{.Name}} {{.DesiredState}}'
	assert_eq "$(printf 'web.1 Running\nweb.2 Running')" "$(sort <<<"$OUT")" "service ps"
	run_ok dk node ps --format '{{.Name}}'
	assert_eq 2 "$(grep -c '^web\.' <<<"$OUT")" "node ps"
	run_ok dk service inspect --pretty web
	assert_contains "$OUT" "Replicated" "inspect --pretty mode"
	run_ok dk service scale web=4
	wait_for 30 "a condition" bash -c "[[ \$(docker -H '$D_HOST' service ls --format '{{.Replicas}}') == 4/4 ]]" ||
		fail "4/4 expected: $(dk service ps web)"
	run_ok dk service scale web=1
	wait_for 30 "a condition" bash -c "[[ \$(docker -H '$D_HOST' ps -q --filter label=com.docker.swarm.service.name=web | wc -l) == 1 ]]" ||
		fail "1 container expected: $(dk ps)"
	run_ok dk service rm web
	assert_eq web "$OUT" "service rm"
	wait_for 30 "a condition" bash -c "[[ -z \$(docker -H '$D_HOST' ps -aq --filter label=com.docker.swarm.service.name=web) ]]" ||
		fail "containers of web left: $(dk ps -a)"
}

test_service_errors() {
	swarm_one_node
	run_ok dk service create -d --name dup busybox sleep 1000
	run_fails dk service create -d --name dup busybox sleep 1000
	assert_contains "$ERR" "service dup already exists" "duplicate name"
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Name":"dup","TaskTemplate":{"ContainerSpec":{"Image":"busybox"}}}' http://localhost/v1.41/services/create)
	assert_eq 409 "$code" "duplicate name status"
	run_fails dk service create -d --name bad --constraint 'node.labels.a=b' busybox
	assert_contains "$ERR" "constraint expected one operator from ==, !=" "bad constraint"
	code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Name":"g","Mode":{"Global":{},"Replicated":{"Replicas":2}},"TaskTemplate":{"ContainerSpec":{"Image":"busybox"}}}' \
		http://localhost/v1.41/services/create)
	assert_eq 400 "$code" "replicas on a global service"
	run_fails dk service create -d --name m --mount type=bind,source=rel,target=/x busybox
	assert_contains "$ERR" "source path not absolute" "relative bind mount"
	run_fails dk service inspect nosuch
	assert_contains "$ERR" "no such service: nosuch" "inspect unknown"
	local v
	v=$(dk service inspect dup --format '{{.Version.Index}}')
	code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Name":"dup","TaskTemplate":{"ContainerSpec":{"Image":"busybox"}}}' \
		"http://localhost/v1.41/services/dup/update?version=$((v - 1))")
	assert_eq 400 "$code" "stale version"
	run_fails dk service rollback dup
	assert_contains "$ERR" "does not have a previous spec" "rollback without previous spec"
}

test_service_update_rollback() {
	swarm_one_node
	run_ok dk service create --name up --replicas 2 --stop-grace-period 1s --update-delay 0s \
		--update-monitor 1s --rollback-monitor 1s --detach=false busybox sleep 1000
	assert_match "$OUT" "verify: Service [0-9a-z]+ converged" "create progress"
	run_ok dk service update --env-add V=2 --update-parallelism 1 --detach=false up
	# The CLI returns quietly once UpdateStatus says completed, even before it
	# has seen the tasks converge (docker/cli's progress.go): on a loaded
	# machine it may never print the verify line, with dockerd as well.
	assert_contains "$OUT" "overall progress:" "update progress"
	wait_for 30 "completed" bash -c "docker -H '$D_HOST' service inspect up --format '{{.UpdateStatus.State}}' | grep -qx completed" ||
		fail "update: $(dk service inspect up --format '{{json .UpdateStatus}}')"
	run_ok dk service inspect up --format '{{index .Spec.TaskTemplate.ContainerSpec.Env 0}}'
	assert_eq "V=2" "$OUT" "updated spec"
	[[ $(running_tasks up) == 2 ]] || fail "2 running after the update: $(dk service ps up)"
	run_ok dk service rollback --detach=false up
	wait_for 30 "rollback_completed" bash -c "docker -H '$D_HOST' service inspect up --format '{{.UpdateStatus.State}}' | grep -qx rollback_completed" ||
		fail "rollback: $(dk service inspect up --format '{{json .UpdateStatus}}')"
	run_ok dk service inspect up --format '{{.Spec.TaskTemplate.ContainerSpec.Env}}'
	assert_eq "[]" "$OUT" "rollback spec"
	run_ok dk service ps up --format '{{.DesiredState}}'
	assert_eq 2 "$(grep -c Running <<<"$OUT")" "running after rollback"
	assert_eq 4 "$(grep -c Shutdown <<<"$OUT")" "history after update and rollback"
}

test_service_global_and_pending() {
	swarm_one_node
	run_ok dk service create -d --name g --mode global --stop-grace-period 1s busybox sleep 1000
	wait_for 30 "a condition" bash -c "[[ \$(docker -H '$D_HOST' service ls --format '{{.Replicas}}' --filter name=g) == 1/1 ]]" ||
		fail "global 1/1: $(dk service ls)"
	run_ok dk service create -d --name p --constraint node.labels.zone==eu busybox sleep 1000
	wait_for 20 "a condition" bash -c "docker -H '$D_HOST' service ps p --no-trunc --format '{{.Error}}' | grep -q 'no suitable node'" ||
		fail "pending: $(dk service ps p --no-trunc)"
	run_ok dk service ps p --no-trunc --format '{{.CurrentState}}|{{.Error}}'
	assert_contains "$OUT" "Pending" "pending state"
	assert_contains "$OUT" "no suitable node (1 node fails constraint node.labels.zone==eu)" "why pending"
	local node
	node=$(dk node ls -q)
	run_ok dk node update --label-add zone=eu "$node"
	wait_for 30 "a condition" bash -c "[[ \$(docker -H '$D_HOST' service ls --format '{{.Replicas}}' --filter name=p) == 1/1 ]]" ||
		fail "p placed after the label: $(dk service ps p --no-trunc)"
	# Leaving the swarm takes the task containers along, as dockerd does.
	run_ok dk swarm leave --force
	wait_for 30 "task containers gone" bash -c "[[ -z \$(docker -H '$D_HOST' ps -aq --filter label=com.docker.swarm.task.id) ]]" ||
		fail "task containers left after leave: $(dk ps -a)"
}

test_service_restart_and_events() {
	swarm_one_node
	local since
	since=$(date +%s)
	run_ok dk service create -d --name r --restart-delay 100ms --restart-max-attempts 2 busybox sh -c 'exit 3'
	wait_for 30 "a condition" bash -c "[[ \$(docker -H '$D_HOST' service ps r -q | wc -l) == 3 ]]" ||
		fail "3 tasks (1 + 2 restarts): $(dk service ps r --no-trunc)"
	run_ok dk service ps r --no-trunc --format '{{.CurrentState}}|{{.Error}}'
	assert_contains "$OUT" 'task: non-zero exit (3)' "failure message"
	run_ok dk service rm r
	run_ok timeout 10 docker -H "$D_HOST" events --since "$since" --until "$(($(date +%s) + 1))" \
		--filter type=service --format '{{.Action}} {{.Actor.Attributes.name}}'
	assert_eq "$(printf 'create r\nremove r')" "$OUT" "service events"
}

# Service and node events come from the store's changes, with the
# attributes dockerd adds to an update.
test_service_node_events() {
	swarm_one_node
	local since node
	since=$(date +%s)
	run_ok dk service create -d --name ev --replicas 1 busybox sleep 300
	run_ok dk service scale -d ev=2
	run_ok dk service update -d --image busybox:other ev
	node=$(dk info --format '{{.Swarm.NodeID}}')
	run_ok dk node update --availability drain "$node"
	run_ok dk node update --availability active "$node"
	run_ok dk service rm ev
	run_ok timeout 10 docker -H "$D_HOST" events --since "$since" --until "$(($(date +%s) + 1))" \
		--filter type=service --format '{{.Action}} {{.Actor.Attributes.name}} {{index .Actor.Attributes "replicas.old"}}{{index .Actor.Attributes "replicas.new"}} {{index .Actor.Attributes "image.new"}}'
	assert_match "$(head -1 <<<"$OUT")" '^create ev  $' "first service event"
	assert_contains "$OUT" "update ev 12 " "a scale event with replicas.old and replicas.new"
	assert_contains "$OUT" "update ev  busybox:other" "an update event with image.new"
	assert_match "$(tail -1 <<<"$OUT")" '^remove ev  $' "last service event"
	run_ok timeout 10 docker -H "$D_HOST" events --since "$since" --until "$(($(date +%s) + 1))" \
		--filter type=node --format '{{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "availability.old"}}>{{index .Actor.Attributes "availability.new"}} {{.Scope}}'
	assert_contains "$OUT" "update $node active>drain swarm" "node event of drain"
	assert_contains "$OUT" "update $node drain>active swarm" "node event of activate"
}

test_service_berth_cli() {
	swarm_one_node
	run_ok berth -H "$D_HOST" service create -d --name bc --replicas 2 --stop-grace-period 1s \
		-e A=1 --label team=x busybox sleep 1000
	assert_match "$OUT" '^[0-9a-z]{25}$' "berth service create prints the ID"
	run_ok dk service inspect bc --format '{{.Spec.Labels.team}} {{index .Spec.TaskTemplate.ContainerSpec.Env 0}}'
	assert_eq "x A=1" "$OUT" "spec sent by berth"
	wait_for 30 "2/2" bash -c "[[ \$(docker -H '$D_HOST' service ls --format '{{.Replicas}}' --filter name=bc) == 2/2 ]]" ||
		fail "2/2: $(dk service ps bc)"
	run_ok berth -H "$D_HOST" service ls
	local berth_ls=$OUT
	run_ok dk service ls
	assert_eq "$OUT" "$berth_ls" "berth service ls matches docker's"
	run_ok berth -H "$D_HOST" service ps bc --format '{{.Name}} {{.Node}} {{.DesiredState}}'
	local bps=$OUT
	run_ok dk service ps bc --format '{{.Name}} {{.Node}} {{.DesiredState}}'
	assert_eq "$OUT" "$bps" "berth service ps matches docker's"
	run_ok berth -H "$D_HOST" node ps --format '{{.Name}}'
	assert_eq 2 "$(grep -c '^bc\.' <<<"$OUT")" "berth node ps"
	local nf='{{.ID}} {{.Self}} {{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}} {{.EngineVersion}} {{.TLSStatus}}'
	run_ok berth -H "$D_HOST" node ls --format "$nf"
	local bnl=$OUT
	run_ok dk node ls --format "$nf"
	assert_eq "$OUT" "$bnl" "berth node ls --format matches docker's"
	run_ok berth -H "$D_HOST" node ls --format "table {{.Hostname}}\t{{.ManagerStatus}}"
	local bnt=$OUT
	run_ok dk node ls --format "table {{.Hostname}}\t{{.ManagerStatus}}"
	assert_eq "$OUT" "$bnt" "berth node ls --format table matches docker's"
	run_ok berth -H "$D_HOST" service scale bc=1
	assert_eq "bc scaled to 1" "$(head -n1 <<<"$OUT")" "berth service scale"
	assert_eq "verify: Service bc converged" "$(tail -n1 <<<"$OUT")" "berth service scale waits"
	run_ok berth -H "$D_HOST" service inspect --format '{{.Spec.Mode.Replicated.Replicas}}' bc
	assert_eq 1 "$OUT" "scaled spec"
	run_fails berth -H "$D_HOST" service ps nosuch
	assert_contains "$ERR" "no such service: nosuch" "berth service ps of an unknown service"
	run_ok berth -H "$D_HOST" service rm bc
	assert_eq bc "$OUT" "berth service rm"
}

test_service_jobs() {
	swarm_one_node
	run_ok dk service create --name j --mode replicated-job --replicas 3 --max-concurrent 2 \
		busybox sh -c 'sleep 0.2'
	assert_contains "$OUT" "job complete" "replicated job progress"
	run_ok dk service ls --format '{{.Mode}} {{.Replicas}}' --filter name=j
	assert_eq "replicated job 0/0 (3/3 completed)" "$OUT" "service ls of a job"
	run_ok dk service ps j --format '{{.DesiredState}} {{.CurrentState}}'
	assert_eq 3 "$(grep -c '^Complete Complete' <<<"$OUT")" "three completed tasks"
	run_ok dk service create --name gj --mode global-job busybox sh -c 'exit 0'
	assert_contains "$OUT" "job complete" "global job progress"
}

# docker-py (Debian's python3-docker) drives services as on Docker's swarm:
# a secret, a service from its types, its tasks and logs, scale, an update
# that keeps the rest of the spec, a duplicate refused with 409, rm.
test_services_docker_py() {
	local py
	docker_py
	swarm_one_node
	cat >"$TEST_TMP/svc.py" <<'PY'
import sys, time, docker
from docker.types import (RestartPolicy, Resources, SecretReference, ServiceMode,
                          UpdateConfig)

c = docker.DockerClient(base_url=sys.argv[1], version="1.41")


def wait(what, cond, secs=60):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return
        time.sleep(0.1)
    raise SystemExit("timed out waiting for " + what)


secret = c.secrets.create(name="pysecret", data=b"s3cr3t", labels={"a": "b"})
svc = c.services.create(
    "busybox", ["sh", "-c", "echo $A $(cat /run/secrets/pysecret); sleep 1000"],
    name="py", env=["A=1"], labels={"l": "v"}, mode=ServiceMode("replicated", replicas=2),
    resources=Resources(mem_reservation=8 * 1024 * 1024),
    restart_policy=RestartPolicy(condition="on-failure"),
    update_config=UpdateConfig(parallelism=2, order="start-first"),
    secrets=[SecretReference(secret.id, "pysecret")], stop_grace_period=1000000000)


def running(env):
    return sum(1 for t in svc.tasks(filters={"desired-state": "running"})
               if t["Status"]["State"] == "running"
               and t["Spec"]["ContainerSpec"]["Env"] == [env])


wait("2 running", lambda: running("A=1") == 2)
svc.reload()
spec = svc.attrs["Spec"]
print(svc.name, spec["Mode"]["Replicated"]["Replicas"], spec["Labels"]["l"],
      spec["TaskTemplate"]["ContainerSpec"]["Secrets"][0]["SecretName"])
wait("the logs", lambda: b"1 s3cr3t" in b"".join(svc.logs(stdout=True)))
print(sorted(set(b"".join(svc.logs(stdout=True)).decode().split())))
svc.scale(3)
wait("3 running", lambda: running("A=1") == 3)
svc.reload()  # as with dockerd: an update names the version it changes
svc.update(env=["A=2"])
wait("3 running with A=2", lambda: running("A=2") == 3)
svc.reload()
spec = svc.attrs["Spec"]
print(spec["Mode"]["Replicated"]["Replicas"], spec["UpdateConfig"]["Order"],
      spec["TaskTemplate"]["Resources"]["Reservations"]["MemoryBytes"])
try:
    c.services.create("busybox", ["true"], name="py")
except docker.errors.APIError as e:
    print("duplicate:", e.status_code)
print([s.name for s in c.services.list(filters={"name": "py"})])
svc.remove()
wait("no service", lambda: not c.services.list())
secret.remove()
print([s.name for s in c.secrets.list()])
PY
	run_ok "$py" "$TEST_TMP/svc.py" "$D_HOST"
	assert_eq "py 2 v pysecret
['1', 's3cr3t']
3 start-first 8388608
duplicate: 409
['py']
[]" "$OUT" "docker-py services"
}
