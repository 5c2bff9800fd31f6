# `berth service create` with docker's task flags: the spec berth sends is
# the one the docker CLI sends for the same flags (compared as stored, names
# aside), and a few of them at work (issue 9).
# shellcheck source=swarm_lib.sh
. "$INTEG_DIR/swarm_lib.sh"

# The docker CLI turns a port range into ports in the order of a Go map's
# walk, a different one each run: ports are compared as a set.
sc_raw_spec() { # SERVICE: the stored spec as GET /services/{id} gives it, Name dropped
	curl -sf --unix-socket "$D_SOCK" "http://localhost/v1.41/services/$1" |
		jq -S 'del(.Spec.Name) | .Spec | if .EndpointSpec.Ports then .EndpointSpec.Ports |= sort_by(.PublishedPort, .TargetPort, .Protocol) else . end'
}

# same_spec THEIRS OURS MESSAGE: the two services' stored specs are equal.
same_spec() {
	local theirs ours
	theirs=$(sc_raw_spec "$1")
	ours=$(sc_raw_spec "$2")
	[[ "$theirs" == "$ours" ]] || {
		diff <(echo "$theirs") <(echo "$ours") | head -40 >&2
		fail "$3"
	}
}

# create_both NAME FLAGS...: the same service by docker (dNAME), removed
# again (its ports), then by berth (bNAME); their specs must be equal.
create_both() {
	local name=$1
	shift
	run_ok dk service create -d --no-resolve-image --name "d$name" "$@"
	local theirs ours
	theirs=$(sc_raw_spec "d$name")
	[[ -n $theirs ]] || fail "no spec for d$name"
	run_ok dk service rm "d$name"
	run_ok berth -H "$D_HOST" service create -d --name "b$name" "$@"
	ours=$(sc_raw_spec "b$name")
	[[ "$theirs" == "$ours" ]] || {
		diff <(echo "$theirs") <(echo "$ours") | head -40 >&2
		fail "spec of b$name (berth) differs from d$name (docker)"
	}
	run_ok dk service rm "b$name"
}

test_service_create_flags_match_docker() {
	swarm_one_node
	net_block
	run_ok dk network create -d overlay --attachable --subnet "10.$NB.7.0/24" scov
	printf 's' | dk secret create scs - >/dev/null
	printf 'c' | dk config create scc - >/dev/null
	printf 'F=1\n# c\nG=2\n' >"$TEST_TMP/env"
	create_both plain busybox sleep 1000
	create_both all --mount type=volume,source=v1,target=/data,volume-label=a=b,volume-driver=local,volume-opt=o=1 \
		--mount type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=700 --mount type=bind,source=/tmp,target=/h,readonly,bind-propagation=rslave \
		-p 8080:80 -p published=9090,target=90,protocol=udp,mode=host -p 7000-7001:70-71/udp -p 60 \
		--health-cmd true --health-interval 2s --health-retries 3 --health-timeout 1s --health-start-period 3s \
		--reserve-cpu 0.1 --reserve-memory 10m --limit-cpu 1 --limit-memory 100m --limit-pids 50 \
		--restart-condition on-failure --restart-delay 2s --restart-max-attempts 3 --restart-window 10s \
		--update-parallelism 2 --update-delay 1s --update-monitor 2s --update-failure-action continue \
		--update-max-failure-ratio 0.5 --update-order start-first \
		--rollback-parallelism 3 --rollback-delay 2s --rollback-monitor 3s --rollback-failure-action continue \
		--rollback-max-failure-ratio 0.25 --rollback-order stop-first \
		--constraint node.role==manager --placement-pref spread=node.labels.zone --replicas-max-per-node 2 \
		--hostname '{{.Service.Name}}-{{.Task.Slot}}' --user 1000:1000 --workdir /tmp --entrypoint "sh -c" \
		--container-label c=1 --stop-signal SIGUSR1 --stop-grace-period 3s --init --read-only \
		--cap-add net_admin --cap-add CAP_SYS_TIME --cap-drop CHOWN --sysctl net.core.somaxconn=1024 \
		--ulimit nofile=100:200 --network name=scov,alias=x1 --endpoint-mode vip -e A=1 --env-file "$TEST_TMP/env" -e F=3 \
		--label l=2 --group 10 --dns 192.0.2.1 --dns-search x.com --dns-option ndots:2 --host h:192.0.2.4 \
		--tty --replicas 2 --secret source=scs,target=s,mode=0400 --config source=scc,target=/c \
		--log-driver json-file --log-opt max-size=1m \
		busybox sleep 1000
	create_both job --mode replicated-job --replicas 3 --max-concurrent 2 busybox true
	create_both gjob --mode global-job busybox true
	create_both glob --mode global --no-healthcheck --endpoint-mode dnsrr busybox sleep 1000
	create_both rep1 --replicas 0 --restart-condition none --update-order start-first busybox sleep 1000

	# docker's messages for bad values.
	run_fails berth -H "$D_HOST" service create --mode global --replicas 2 busybox
	assert_contains "$ERR" "replicas can only be used with replicated or replicated-job mode" "global with replicas"
	run_fails berth -H "$D_HOST" service create --mode replicated-job --update-delay 1s busybox
	assert_contains "$ERR" "update and rollback configuration is not supported for jobs" "job with an update config"
	run_fails berth -H "$D_HOST" service create --mode nosuch busybox
	assert_contains "$ERR" "unknown mode: nosuch, only replicated and global supported" "unknown mode"
	run_fails berth -H "$D_HOST" service create -p published=1,mode=bridge,target=2 busybox
	assert_contains "$ERR" "invalid publish mode value (bridge): must be either 'ingress' or 'host'" "bad publish mode"
	run_fails berth -H "$D_HOST" service create --placement-pref binpack=x busybox
	assert_contains "$ERR" "unsupported placement preference binpack (only spread is supported)" "bad placement pref"
	run_fails berth -H "$D_HOST" service create --no-healthcheck --health-cmd true busybox
	assert_contains "$ERR" "--no-healthcheck conflicts with --health-* options" "conflicting health flags"
	run_fails berth -H "$D_HOST" service create --mount type=tmpfs,target=/x,volume-label=a=b busybox
	assert_contains "$ERR" "cannot mix 'volume-*' options with mount type 'tmpfs'" "volume option on a tmpfs"
	for s in $(dk service ls -q); do dk service rm "$s" >/dev/null; done
	dk secret rm scs >/dev/null
	dk config rm scc >/dev/null
	wait_for 30 "tasks gone" bash -c "[[ -z \$(docker -H '$D_HOST' ps -aq --filter label=com.docker.swarm.task.id) ]]"
	run_ok dk network rm scov
}

# A few of the flags at work: a host-mode published port, a tmpfs mount,
# the environment from a file, the hostname template, the health check, and
# a replicated job that runs to completion.
test_service_create_berth_behaviour() {
	swarm_one_node
	printf 'FROMFILE=yes\n' >"$TEST_TMP/env"
	local port
	port=$(free_port)
	run_ok berth -H "$D_HOST" service create --name bb --env-file "$TEST_TMP/env" \
		--mount type=tmpfs,target=/scratch --hostname '{{.Service.Name}}-{{.Task.Slot}}' \
		-p "published=$port,target=80,mode=host" --health-cmd true --health-interval 1s \
		--update-monitor 1s --stop-grace-period 1s busybox sh -c 'mkdir -p /www && echo hi >/www/index.html && httpd -f -p 80 -h /www'
	assert_contains "$OUT" "verify: Service" "create waited for the service"
	local cid
	cid=$(dk ps -q --filter label=com.docker.swarm.service.name=bb)
	run_ok dk exec "$cid" sh -c 'echo $FROMFILE $(hostname) $(grep -c " /scratch tmpfs" /proc/mounts)'
	assert_eq "yes bb-1 1" "$OUT" "env file, hostname template, tmpfs mount"
	wait_for 30 "healthy" bash -c "[[ \$(docker -H '$D_HOST' inspect -f '{{.State.Health.Status}}' $cid) == healthy ]]"
	wait_for 30 "the host-mode port" bash -c "[[ \$(curl -s --max-time 2 http://127.0.0.1:$port/) == hi ]]"
	# dockerd's always-present Runtime and Isolation; sent back by docker's
	# update, they change nothing (the task stays).
	run_ok dk service inspect bb --format '{{.Spec.TaskTemplate.Runtime}} {{.Spec.TaskTemplate.ContainerSpec.Isolation}}'
	assert_eq "container default" "$OUT" "Runtime and Isolation"
	run_ok dk inspect --format '{{.Spec.Runtime}}' "$(docker -H "$D_HOST" service ps -q bb)"
	assert_eq "container" "$OUT" "a task's Runtime"
	run_ok dk service update -d --label-add x=1 bb
	run_ok dk service ps -q bb
	assert_eq 1 "$(wc -l <<<"$OUT")" "tasks after an update of a label"
	run_ok berth -H "$D_HOST" service create -d --name bj --mode replicated-job --replicas 2 busybox true
	wait_for 60 "the job to complete" bash -c "[[ \$(docker -H '$D_HOST' service ps bj --format '{{.CurrentState}}' | grep -c ^Complete) == 2 ]]"
	run_ok dk service rm bb bj
}

# The rarer flags of berth service update change the spec as docker's do.
test_service_update_task_flags_match_docker() {
	swarm_one_node
	local s
	for s in dtf btf; do
		run_ok dk service create -d --no-resolve-image --name $s --replicas 0 --dns 192.0.2.1 \
			--dns-search a.example --host h1:192.0.2.5 --group 10 --placement-pref spread=node.labels.a \
			--restart-delay 3s --tty --read-only --cap-add NET_ADMIN --cap-add cap_sys_time --cap-drop CHOWN \
			--sysctl net.core.somaxconn=1024 --ulimit nofile=100:200 --ulimit core=1:2 busybox sleep 1000
	done
	local flags=(--dns-add 192.0.2.2 --dns-rm 192.0.2.1 --dns-search-add b.example --dns-option-add ndots:3
		--host-add h2:192.0.2.6 --host-rm h1:192.0.2.5 --group-add 20 --group-rm 10
		--placement-pref-add spread=node.labels.b --placement-pref-rm spread=node.labels.a --hostname hx
		--user 1:1 --workdir /w --stop-signal SIGTERM --endpoint-mode dnsrr --log-driver json-file
		--log-opt max-size=2m --args "sleep 999" --entrypoint "sh -c" --restart-condition on-failure
		--restart-max-attempts 4 --tty=false --init --cap-add chown --cap-drop net_admin --cap-drop MKNOD
		--cap-add SYS_PTRACE --sysctl-add net.ipv4.ip_forward=1 --sysctl-rm net.core.somaxconn
		--ulimit-add nproc=10:20 --ulimit-add core=3:4 --ulimit-rm nofile --replicas-max-per-node 3
		--isolation default)
	run_ok dk service update -d "${flags[@]}" dtf
	run_ok berth -H "$D_HOST" service update -d "${flags[@]}" btf
	same_spec dtf btf "spec after berth's update differs from docker's"
	# Without a policy before: docker's default one, then the flag.
	for s in dtf btf; do
		run_ok dk service create -d --no-resolve-image --name ${s}2 --replicas 0 busybox sleep 1000
	done
	local more=(--restart-window 7s --args "" --hostname "" --init=false -t --cap-drop ALL --cap-add RESET)
	run_ok dk service update -d "${more[@]}" dtf2
	run_ok berth -H "$D_HOST" service update -d "${more[@]}" btf2
	[[ "$(sc_raw_spec dtf2)" == "$(sc_raw_spec btf2)" ]] || {
		diff <(sc_raw_spec dtf2) <(sc_raw_spec btf2) >&2
		fail "restart policy from none differs"
	}
	run_ok dk service rm dtf btf dtf2 btf2
}

# berth service update --publish-add/rm and --network-add/rm change the spec
# as docker's update does (host-mode ports, no tasks: the twins do not
# conflict).
test_service_update_ports_networks_match_docker() {
	swarm_one_node
	net_block
	run_ok dk network create -d overlay --subnet "10.$NB.8.0/24" upa
	run_ok dk network create -d overlay --subnet "10.$NB.9.0/24" upb
	local s
	for s in dpn bpn; do
		run_ok dk service create -d --no-resolve-image --name $s --replicas 0 --network upa \
			-p published=8080,target=80,mode=host -p published=53,target=53,protocol=udp,mode=host busybox sleep 1000
	done
	local flags=(--publish-add published=9090,target=90,mode=host --publish-rm 53/udp --publish-rm target=80,mode=host
		--publish-add published=7070,target=70,mode=host --network-add name=upb,alias=b1 --network-rm upa)
	run_ok dk service update -d "${flags[@]}" dpn
	run_ok berth -H "$D_HOST" service update -d "${flags[@]}" bpn
	same_spec dpn bpn "spec after berth's update differs from docker's"
	run_ok dk service inspect bpn --format '{{range .Spec.EndpointSpec.Ports}}{{.PublishedPort}}:{{.TargetPort}} {{end}}'
	# 53/udp names an ingress port: the host-mode one stays, as with docker.
	assert_eq "53:53 7070:70 9090:90 " "$OUT" "ports after the update"
	run_fails berth -H "$D_HOST" service update --network-add upb bpn
	assert_contains "$ERR" "service is already attached to network upb" "a network added twice"
	run_ok dk service rm dpn bpn
	run_ok dk network rm upa upb
}
