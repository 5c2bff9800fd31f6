# Ports published in host mode by services (issue 9): the spec and Endpoint
# as dockerd shows them, the task's container bound to the port on its node,
# `service ps` PORTS, the scheduler keeping two tasks off one host port,
# SwarmKit's checks with dockerd's messages, and an update of the port.
# shellcheck source=swarm_lib.sh
. "$INTEG_DIR/swarm_lib.sh"

test_service_ports_host_mode() {
	swarm_one_node
	local p q
	p=$(free_port)
	q=$(free_port)
	run_ok dk service create -d --name web --publish "mode=host,published=$p,target=80" \
		--stop-grace-period 1s busybox httpd -f -p 80 -h /etc
	local id=$OUT
	wait_for 60 "httpd on port $p" curl -sf "http://127.0.0.1:$p/hostname" ||
		fail "nothing on $p: $(dk service ps web --no-trunc)"
	local cid
	cid=$(dk ps -q --filter label=com.docker.swarm.service.name=web)
	assert_eq "$cid" "$(curl -sf "http://127.0.0.1:$p/hostname")" "the task's container answers"
	run_ok dk service inspect web --format '{{json .Endpoint.Ports}}|{{json .Spec.EndpointSpec}}'
	assert_eq "[{\"Protocol\":\"tcp\",\"TargetPort\":80,\"PublishedPort\":$p,\"PublishMode\":\"host\"}]|{\"Mode\":\"vip\",\"Ports\":[{\"Protocol\":\"tcp\",\"TargetPort\":80,\"PublishedPort\":$p,\"PublishMode\":\"host\"}]}" \
		"$OUT" "Endpoint and EndpointSpec"
	wait_for 30 "PORTS in service ps" bash -c "docker -H '$D_HOST' service ps web --format '{{.Ports}}' | grep -qx '\*:$p->80/tcp'" ||
		fail "service ps PORTS: $(dk service ps web --format '{{.Ports}}')"
	# A second task cannot have the port on the only node.
	run_ok dk service scale -d web=2
	wait_for 30 "a pending task" bash -c "docker -H '$D_HOST' service ps web --no-trunc --format '{{.Error}}' | grep -q 'host-mode port'" ||
		fail "no pending task: $(dk service ps web --no-trunc)"
	run_ok dk service ps web --no-trunc --format '{{.CurrentState}}|{{.Error}}'
	assert_contains "$OUT" "no suitable node (host-mode port already in use on 1 node)" "why pending"
	run_ok dk service scale -d web=1
	# A new published port rolls the task onto it (the CLI removes a
	# host-mode port only when told its mode).
	run_ok dk service update -d --publish-rm mode=host,target=80 --publish-add "mode=host,published=$q,target=80" web
	wait_for 60 "httpd on port $q" curl -sf "http://127.0.0.1:$q/hostname" ||
		fail "nothing on $q: $(dk service ps web --no-trunc)"
	wait_for 30 "port $p closed" bash -c "! curl -sf 'http://127.0.0.1:$p/hostname'"
	run_ok dk service inspect web --format '{{json .Endpoint.Ports}}'
	assert_eq "[{\"Protocol\":\"tcp\",\"TargetPort\":80,\"PublishedPort\":$q,\"PublishMode\":\"host\"}]" "$OUT" "Endpoint after the update"
	[[ "$id" =~ ^[0-9a-z]{25}$ ]] || fail "service ID: $id"
}

test_service_ports_errors() {
	swarm_one_node
	local p
	p=$(free_port)
	run_ok dk service create -d --name h --publish "mode=host,published=$p,target=80" busybox sleep 1000
	local hid=$OUT
	run_fails dk service create -d --name i --publish "published=$p,target=80" busybox sleep 1000
	assert_contains "$ERR" "port '$p' is already in use by service 'h' ($hid) as a host-published port" "ingress on a host-mode port"
	run_fails dk service create -d --name d --endpoint-mode dnsrr --publish "published=$p,target=80" busybox sleep 1000
	assert_contains "$ERR" "EndpointSpec: port published with ingress mode can't be used with dnsrr mode" "dnsrr and ingress"
	local code body
	body='{"Name":"dup","TaskTemplate":{"ContainerSpec":{"Image":"busybox"}},"EndpointSpec":{"Ports":[{"TargetPort":80,"PublishedPort":9999,"PublishMode":"host"},{"TargetPort":81,"PublishedPort":9999,"PublishMode":"host"}]}}'
	code=$(curl -s -o "$TEST_TMP/out" -w '%{http_code}' --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d "$body" http://localhost/v1.41/services/create)
	assert_eq 400 "$code" "duplicate published ports status"
	assert_contains "$(cat "$TEST_TMP/out")" "rpc error: code = InvalidArgument desc = EndpointSpec: duplicate published ports provided" "duplicate ports"
	code=$(curl -s -o "$TEST_TMP/out" -w '%{http_code}' --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Name":"rm","TaskTemplate":{"ContainerSpec":{"Image":"busybox"}},"EndpointSpec":{"Mode":"rr"}}' \
		http://localhost/v1.41/services/create)
	assert_eq 400 "$code" "bad resolution mode status"
	assert_contains "$(cat "$TEST_TMP/out")" 'invalid resolution mode: \"rr\"' "bad resolution mode"
	# Two services may both publish a host-mode port; the scheduler keeps
	# their tasks apart (the second stays pending on this one node).
	run_ok dk service create -d --name h2 --publish "mode=host,published=$p,target=80" busybox sleep 1000
}
