# docker stack deploy/ls/ps/services/rm on a one-node swarm (issue 10). The
# docker CLI does stacks itself: it lists, creates and updates networks,
# secrets, configs and services carrying the com.docker.stack.namespace
# label. A compose v3 file with two services, two overlay networks, a secret,
# a config, a named volume, deploy settings and a host-mode published port is
# deployed, checked as dockerd shows it, deployed again with a change (the
# services are updated in place) and removed with nothing left. Subnets come
# from net_block (10.$NB.0.0/16).

# shellcheck source=swarm_lib.sh
. "$INTEG_DIR/swarm_lib.sh"

stack_swarm() {
	start_daemon
	import_busybox busybox:latest
	net_block
	local port
	port=$(free_port)
	# A VXLAN port of its own: overlay tests beside it use VNIs from 4096 too.
	run_ok dk swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$port" \
		--data-path-port $((20000 + RANDOM % 20000)) --default-addr-pool "10.$NB.128.0/17"
	add_cleanup stack_cleanup
}

stack_cleanup() {
	local s
	for s in $(dk service ls -q 2>/dev/null); do dk service rm "$s" >/dev/null 2>&1; done
	wait_for 30 "task containers to go" bash -c "[[ -z \$(docker -H '$D_HOST' ps -aq --filter label=com.docker.swarm.task.id) ]]" ||
		log "task containers left: $(dk ps -a)"
}

# stack_file PORT MODE WORKERS: the compose file, with the worker's MODE
# variable and replica count as given.
stack_file() {
	echo s3cret >"$TEST_TMP/db_pass.txt"
	echo 'listen 80' >"$TEST_TMP/app.conf"
	cat >"$TEST_TMP/stack.yml" <<EOF
version: "3.8"
services:
  web:
    image: busybox:latest
    command: ["httpd", "-f", "-p", "80", "-h", "/etc"]
    stop_grace_period: 1s
    networks: [front]
    secrets: [db_pass]
    configs:
      - source: app_conf
        target: /etc/app.conf
    volumes:
      - data:/data
    ports:
      - target: 80
        published: $1
        protocol: tcp
        mode: host
    deploy:
      replicas: 1
      labels:
        tier: front
      placement:
        constraints: [node.role == manager]
      update_config:
        parallelism: 1
        delay: 1s
        order: start-first
      restart_policy:
        condition: on-failure
        delay: 2s
        max_attempts: 3
      resources:
        limits: {cpus: "0.5", memory: 64M}
        reservations: {memory: 16M}
  worker:
    image: busybox:latest
    command: sleep 3600
    stop_grace_period: 1s
    environment: [MODE=$2]
    networks: [front, back]
    deploy:
      replicas: $3
networks:
  front:
    driver: overlay
    ipam:
      config: [{subnet: 10.$NB.1.0/24}]
  back:
    driver: overlay
    attachable: true
secrets:
  db_pass:
    file: $TEST_TMP/db_pass.txt
configs:
  app_conf:
    file: $TEST_TMP/app.conf
volumes:
  data:
EOF
}

# The CLI resolves images against Docker Hub unless told not to: tests
# never leave the host.
stack_deploy() {
	run_ok timeout -k 5 180 "$DOCKER" -H "$D_HOST" stack deploy --detach=false --resolve-image never \
		-c "$TEST_TMP/stack.yml" "$@"
}

test_stack_deploy_update_rm() {
	stack_swarm
	local p
	p=$(free_port)
	stack_file "$p" one 1
	stack_deploy st
	local line
	for line in "Creating network st_front" "Creating network st_back" "Creating secret st_db_pass" \
		"Creating config st_app_conf" "Creating service st_web" "Creating service st_worker"; do
		assert_contains "$OUT" "$line" "stack deploy"
	done
	assert_contains "$OUT" "converged" "stack deploy --detach=false"

	run_ok dk stack ls --format '{{.Name}} {{.Services}}'
	assert_eq "st 2" "$OUT" "stack ls"
	run_ok dk stack services st --format '{{.Name}} {{.Mode}} {{.Replicas}} {{.Image}}|{{.Ports}}|'
	# As dockerd: host-mode ports are not listed there (only ingress ones).
	assert_eq "st_web replicated 1/1 busybox:latest||
st_worker replicated 1/1 busybox:latest||" "$(sort <<<"$OUT")" "stack services"
	run_ok dk stack ps st --filter desired-state=running --format '{{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}} {{.Ports}}'
	assert_match "$(sort <<<"$OUT")" "^st_web\\.1 [^ ]+ Running Running .* ago \\*:$p->80/tcp
st_worker\\.1 [^ ]+ Running Running .* ago $" "stack ps"
	run_ok dk stack ps -q st
	assert_eq 2 "$(wc -l <<<"$OUT")" "stack ps -q"

	# Networks, secret and config carry the stack's label.
	run_ok dk network ls --filter label=com.docker.stack.namespace=st --format '{{.Name}} {{.Driver}} {{.Scope}}'
	assert_eq "st_back overlay swarm
st_front overlay swarm" "$(sort <<<"$OUT")" "the stack's networks"
	# st_back's subnet is the pool's second: the ingress network made at
	# init has the first, as Docker's.
	run_ok dk network inspect st_front st_back --format '{{.Name}} {{(index .IPAM.Config 0).Subnet}} {{.Attachable}} {{json .Labels}}'
	assert_eq "st_front 10.$NB.1.0/24 false {\"com.docker.stack.namespace\":\"st\"}
st_back 10.$NB.129.0/24 true {\"com.docker.stack.namespace\":\"st\"}" "$OUT" "network settings"
	local nets
	nets=$(dk network ls -q --no-trunc --filter label=com.docker.stack.namespace=st)
	run_ok dk secret ls --filter label=com.docker.stack.namespace=st --format '{{.Name}}'
	assert_eq st_db_pass "$OUT" "the stack's secret"
	run_ok dk config ls --filter label=com.docker.stack.namespace=st --format '{{.Name}}'
	assert_eq st_app_conf "$OUT" "the stack's config"

	# The deploy settings, as the CLI converted them.
	run_ok dk service inspect st_web --format '{{json .Spec.Labels}}|{{.Spec.TaskTemplate.Placement.Constraints}}|{{json .Spec.UpdateConfig}}|{{json .Spec.TaskTemplate.RestartPolicy}}|{{json .Spec.TaskTemplate.Resources}}'
	assert_eq '{"com.docker.stack.image":"busybox:latest","com.docker.stack.namespace":"st","tier":"front"}|[node.role == manager]|{"Parallelism":1,"Delay":1000000000,"FailureAction":"pause","Monitor":5000000000,"MaxFailureRatio":0,"Order":"start-first"}|{"Condition":"on-failure","Delay":2000000000,"MaxAttempts":3}|{"Limits":{"NanoCPUs":500000000,"MemoryBytes":67108864},"Reservations":{"MemoryBytes":16777216}}' \
		"$OUT" "st_web's spec"
	local web_id worker_id web_task
	web_id=$(dk service inspect --format '{{.ID}}' st_web)
	worker_id=$(dk service inspect --format '{{.ID}}' st_worker)
	web_task=$(dk stack ps -q st --filter name=st_web --filter desired-state=running)

	# The task's container: published port, secret, config, volume, limits.
	wait_for 60 "httpd on port $p" curl -sf "http://127.0.0.1:$p/hostname" ||
		fail "nothing on $p: $(dk stack ps --no-trunc st)"
	local web
	web=$(dk ps -q --filter label=com.docker.swarm.service.name=st_web)
	assert_eq listen "$(curl -sf "http://127.0.0.1:$p/app.conf" | cut -d' ' -f1)" "the config, served by the task"
	run_ok dk exec "$web" cat /run/secrets/db_pass
	assert_eq s3cret "$OUT" "the secret in the task"
	run_ok dk inspect "$web" --format '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{index .Config.Labels "com.docker.stack.namespace"}} {{range .Mounts}}{{.Type}}:{{.Name}}:{{.Destination}}{{end}}'
	assert_eq "67108864 500000000 st volume:st_data:/data" "$OUT" "the task's container"
	run_ok dk volume inspect st_data --format '{{json .Labels}}'
	assert_eq '{"com.docker.stack.namespace":"st"}' "$OUT" "the named volume's labels"
	# The worker reaches web over the overlay they share.
	local worker web_ip
	worker=$(dk ps -q --filter label=com.docker.swarm.service.name=st_worker)
	web_ip=$(dk inspect "$web" --format '{{(index .NetworkSettings.Networks "st_front").IPAddress}}')
	assert_match "$web_ip" "^10\\.$NB\\.1\\.[0-9]+$" "web's address on st_front"
	run_ok dk exec "$worker" ping -c1 -W2 "$web_ip"

	# Deployed again with a change: the services are updated, not made again;
	# web, unchanged, keeps its task.
	stack_file "$p" two 2
	stack_deploy st
	assert_contains "$OUT" "Updating service st_web (id: $web_id)" "redeploy"
	assert_contains "$OUT" "Updating service st_worker (id: $worker_id)" "redeploy"
	assert_not_contains "$OUT" "Creating" "redeploy"
	wait_for 60 "2 workers with MODE=two" bash -c "
		ids=\$(docker -H '$D_HOST' ps -q --filter label=com.docker.swarm.service.name=st_worker)
		[[ \$(wc -w <<<\"\$ids\") == 2 ]] &&
		[[ \$(docker -H '$D_HOST' inspect --format '{{.Config.Env}}' \$ids | grep -c MODE=two) == 2 ]]" ||
		fail "workers: $(dk stack ps --no-trunc st)"
	wait_for 60 "st_worker's update to complete" bash -c \
		"[[ \$(docker -H '$D_HOST' service inspect --format '{{.UpdateStatus.State}}' st_worker) == completed ]]"
	run_ok dk stack ps -q st --filter name=st_web --filter desired-state=running
	assert_eq "$web_task" "$OUT" "st_web's task after a redeploy that left it as it was"
	run_ok dk stack services st --format '{{.Name}} {{.Replicas}}'
	assert_eq "st_web 1/1
st_worker 2/2" "$(sort <<<"$OUT")" "stack services after the redeploy"

	# stack rm: services, secret, config and networks go; the volume stays
	# (as with dockerd).
	run_ok dk stack rm st
	for line in "Removing service st_web" "Removing service st_worker" "Removing secret st_db_pass" \
		"Removing config st_app_conf" "Removing network st_front" "Removing network st_back"; do
		assert_contains "$OUT" "$line" "stack rm"
	done
	assert_empty "$ERR" "stack rm errors"
	run_ok dk stack ls --format '{{.Name}}'
	assert_empty "$OUT" "stack ls after rm"
	run_ok dk network ls -q --filter label=com.docker.stack.namespace=st
	assert_empty "$OUT" "networks after stack rm"
	run_ok dk secret ls -q
	assert_empty "$OUT" "secrets after stack rm"
	run_ok dk config ls -q
	assert_empty "$OUT" "configs after stack rm"
	wait_for 60 "the stack's containers to go" bash -c "[[ -z \$(docker -H '$D_HOST' ps -aq) ]]" ||
		fail "containers left: $(dk ps -a)"
	# shellcheck disable=SC2086
	wait_for 60 "the networks' devices to go" bash -c "[[ \$(ip -o link show | grep -cE ': (ov|vx)-($(echo $nets | sed -E 's/([a-z0-9]{12})[a-z0-9]*/\1/g; s/ /|/g'))[@:]') == 0 ]]" ||
		fail "devices left: $(ip -o link show | grep -E ': (ov|vx)-')"
	run_ok dk volume ls -q
	assert_eq st_data "$OUT" "the named volume is kept"
	run_ok dk stack rm st
	assert_contains "$ERR" "Nothing found in stack: st" "stack rm of a removed stack"
}

test_stack_external_networks() {
	stack_swarm
	run_ok dk network create -d overlay --subnet "10.$NB.2.0/24" ext
	run_ok dk network create --subnet "10.$NB.3.0/24" loc
	cat >"$TEST_TMP/stack.yml" <<EOF
version: "3.8"
services:
  app:
    image: busybox:latest
    command: sleep 3600
    stop_grace_period: 1s
    networks: [ext]
networks:
  ext:
    external: true
EOF
	stack_deploy ex
	assert_not_contains "$OUT" "Creating network" "an external network is not created"
	run_ok dk service inspect ex_app --format '{{range .Spec.TaskTemplate.Networks}}{{.Target}} {{.Aliases}}{{end}}'
	assert_eq "$(dk network inspect --format '{{.Id}}' ext) [app]" "$OUT" "the service's network, by ID"
	run_ok dk stack rm ex
	assert_not_contains "$OUT" "Removing network" "stack rm keeps an external network"
	wait_for 60 "ex_app's containers to go" bash -c "[[ -z \$(docker -H '$D_HOST' ps -aq) ]]"
	run_ok dk network inspect --format '{{.Scope}}' ext
	assert_eq swarm "$OUT" "the external network after stack rm"

	# A local network cannot be a stack's external network, nor a missing one.
	sed -i 's/\bext\b/loc/g' "$TEST_TMP/stack.yml"
	run_fails "$DOCKER" -H "$D_HOST" stack deploy --resolve-image never -c "$TEST_TMP/stack.yml" ex
	assert_contains "$ERR" 'network "loc" is declared as external, but it is not in the right scope: "local" instead of "swarm"' \
		"a local external network"
	sed -i 's/\bloc\b/nowhere/g' "$TEST_TMP/stack.yml"
	run_fails "$DOCKER" -H "$D_HOST" stack deploy --resolve-image never -c "$TEST_TMP/stack.yml" ex
	assert_contains "$ERR" 'network "nowhere" is declared as external, but could not be found.' "a missing external network"
	run_ok dk network rm ext loc
}
