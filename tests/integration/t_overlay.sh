# Swarm-scoped overlay networks on a one-node swarm (issue 10): docker
# network create -d overlay with its flags, list/inspect/rm as dockerd shows
# them, subnets from the swarm's --default-addr-pool, VXLAN IDs from 4096,
# and dockerd's messages for a worker or no swarm, overlaps, an exhausted
# pool and a network in use. Subnets: 10.231.0.0/16 (no other test uses it).

# shellcheck source=swarm_lib.sh
. "$INTEG_DIR/swarm_lib.sh"

ov_swarm() { # extra swarm init flags
	start_daemon
	OV_PORT=$(free_port)
	# A VXLAN port of its own: tests running beside it on this host use
	# VNIs from 4096 too.
	OV_DPORT=$((20000 + RANDOM % 20000))
	run_ok dk swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$OV_PORT" \
		--data-path-port "$OV_DPORT" "$@"
	add_cleanup ov_cleanup
}

ov_cleanup() {
	local s
	for s in $(dk service ls -q 2>/dev/null); do dk service rm "$s" >/dev/null 2>&1; done
	wait_for 30 "task containers to go" bash -c "[[ -z \$(docker -H '$D_HOST' ps -aq --filter label=com.docker.swarm.task.id) ]]" ||
		log "task containers left: $(dk ps -a)"
}

# ov_api METHOD PATH [BODY]: the HTTP status in $OUT, the body in $OV_BODY.
ov_api() {
	local args=(-s --unix-socket "$D_SOCK" -o "$TEST_TMP/ov.body" -w '%{http_code}' -X "$1")
	[[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' -d "$3")
	run curl "${args[@]}" "http://localhost/v1.41$2"
	OV_BODY=$(cat "$TEST_TMP/ov.body" 2>/dev/null)
}

test_overlay_not_a_manager() {
	start_daemon
	run_fails dk network create -d overlay ov1
	assert_contains "$ERR" 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join"' \
		"overlay create outside a swarm"
	run_ok dk network ls --format '{{.Name}}'
	assert_not_contains "$OUT" ov1 "network ls"
}

test_overlay_create_inspect_ls_rm() {
	ov_swarm
	run_ok dk network create -d overlay --subnet 10.231.1.0/24 --gateway 10.231.1.254 \
		--ip-range 10.231.1.128/25 --attachable --internal --label team=blue \
		-o com.docker.network.driver.mtu=1400 ov1
	local id=$OUT
	assert_match "$id" '^[a-z0-9]{25}$' "ID printed by docker network create"
	run_ok dk network inspect ov1
	local j=$OUT
	assert_eq "$id" "$(json_get "$j" 'j[0]["Id"]')" "Id"
	assert_eq swarm "$(json_get "$j" 'j[0]["Scope"]')" "Scope"
	assert_eq overlay "$(json_get "$j" 'j[0]["Driver"]')" "Driver"
	assert_eq true "$(json_get "$j" 'j[0]["Attachable"]')" "Attachable"
	assert_eq true "$(json_get "$j" 'j[0]["Internal"]')" "Internal"
	assert_eq false "$(json_get "$j" 'j[0]["Ingress"]')" "Ingress"
	assert_eq '{"team": "blue"}' "$(json_get "$j" 'j[0]["Labels"]')" "Labels"
	assert_eq '[{"Subnet": "10.231.1.0/24", "Gateway": "10.231.1.254", "IPRange": "10.231.1.128/25"}]' \
		"$(json_get "$j" 'j[0]["IPAM"]["Config"]')" "IPAM.Config"
	assert_eq 1400 "$(json_get "$j" 'j[0]["Options"]["com.docker.network.driver.mtu"]')" "mtu option"
	assert_eq 4097 "$(json_get "$j" 'j[0]["Options"]["com.docker.network.driver.overlay.vxlanid_list"]')" \
		"first VXLAN ID after the ingress network's"

	# A second one takes the pool's first free subnet (the ingress network
	# has the first) and the next VNI.
	run_ok dk network create -d overlay ov2
	run_ok dk network inspect --format '{{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}} {{index .Options "com.docker.network.driver.overlay.vxlanid_list"}}' ov2
	assert_eq "10.0.1.0/24 10.0.1.1 4098" "$OUT" "subnet, gateway and VNI from the default pool"

	run_ok dk network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'
	assert_contains "$OUT" "ov1 overlay swarm" "network ls"
	assert_contains "$OUT" "ov2 overlay swarm" "network ls"
	assert_contains "$OUT" "bridge bridge local" "network ls keeps the local networks"
	run_ok dk network ls --filter driver=overlay --filter label=team=blue --format '{{.Name}}'
	assert_eq ov1 "$OUT" "network ls --filter driver=overlay --filter label"
	run_ok dk network ls --filter scope=swarm -q
	assert_eq 3 "$(wc -l <<<"$OUT")" "network ls --filter scope=swarm (ingress, ov1, ov2)"
	run_ok dk network inspect --format '{{.Name}}' "${id:0:6}"
	assert_eq ov1 "$OUT" "inspect by ID prefix"

	run_ok dk network rm ov1 ov2
	run_fails dk network inspect ov1
	assert_contains "$ERR" "network ov1 not found" "inspect after rm"
	run_ok dk network ls --filter driver=overlay --format '{{.Name}}'
	assert_eq ingress "$OUT" "overlay networks after rm"
}

test_overlay_bad_input() {
	ov_swarm
	run_ok dk network create -d overlay --subnet 10.231.2.0/24 ov1
	run_fails dk network create -d overlay ov1
	assert_contains "$ERR" "network with name ov1 already exists" "same name"
	run_fails dk network create ov1
	assert_contains "$ERR" "network with name ov1 already exists" "a local network of a swarm network's name"
	run_fails dk network create -d overlay --subnet 10.231.2.128/25 ov2
	assert_contains "$ERR" "Pool overlaps with other one on this address space" "overlapping subnet"
	# The CLI checks the gateway itself; berthd does too, as dockerd.
	ov_api POST /networks/create '{"Name":"ov3","Driver":"overlay","IPAM":{"Config":[{"Subnet":"10.231.3.0/24","Gateway":"10.231.4.1"}]}}'
	assert_eq 400 "$OUT" "status of a gateway outside the subnet"
	assert_contains "$OV_BODY" "invalid gateway 10.231.4.1: parent subnet 10.231.3.0/24 doesn't contain this address" \
		"gateway outside the subnet"
	ov_api POST /networks/create '{"Name":"ov3","Driver":"overlay","IPAM":{"Config":[{"Subnet":"10.231.3.1/24"}]}}'
	assert_contains "$OV_BODY" "invalid subnet 10.231.3.1/24: it should be 10.231.3.0/24" "subnet with host bits"
	run_fails dk network create -d overlay -o com.docker.network.driver.mtu=abc ov4
	assert_contains "$ERR" 'invalid MTU "abc"' "bad MTU"
	run_fails dk network create -d overlay --attachable --ingress ov5
	assert_contains "$ERR" "ingress network cannot be attachable" "ingress and attachable"
	run_fails dk network rm nosuchnet
	assert_contains "$ERR" "network nosuchnet not found" "rm of an unknown network"

	# In use by a service: swarmkit's FailedPrecondition.
	import_busybox busybox:latest
	run_ok dk service create --detach --name s1 --network ov1 busybox:latest sleep 600
	local sid=$OUT
	run_fails dk network rm ov1
	assert_contains "$ERR" "network" "rm of a network in use"
	assert_contains "$ERR" "is in use by service $sid" "rm of a network in use"
	local nid
	nid=$(dk network inspect --format '{{.Id}}' ov1)
	run_ok dk service rm s1
	run_ok dk network rm ov1
	# The node tears the network's devices down once its task is gone.
	wait_for 30 "ov1's devices removed" bash -c "! ip -o link show | grep -qE ': (ov|vx)-${nid:0:12}'" ||
		fail "devices of ov1 left: $(ip -o link show | grep -E ': (ov|vx)-')"
}

test_overlay_default_addr_pool() {
	ov_swarm --default-addr-pool 10.231.64.0/22 --default-addr-pool-mask-length 24
	run_ok dk info --format '{{.Swarm.Cluster.DefaultAddrPool}} {{.Swarm.Cluster.SubnetSize}}'
	assert_eq "[10.231.64.0/22] 24" "$OUT" "the pool in docker info"
	run_ok dk network inspect --format '{{(index .IPAM.Config 0).Subnet}}' ingress
	assert_eq "10.231.64.0/24" "$OUT" "the ingress network takes the pool's first subnet"
	run_ok dk network create -d overlay p1
	run_ok dk network create -d overlay p2
	run_ok dk network create -d overlay p3
	run_ok dk network inspect --format '{{(index .IPAM.Config 0).Subnet}}' p1 p2 p3
	assert_eq "10.231.65.0/24
10.231.66.0/24
10.231.67.0/24" "$OUT" "subnets carved from --default-addr-pool"
	run_fails dk network create -d overlay p4
	assert_contains "$ERR" "all predefined address pools have been fully subnetted" "exhausted pool"
	run_ok dk network rm p1
	run_ok dk network create -d overlay p4
	run_ok dk network inspect --format '{{(index .IPAM.Config 0).Subnet}}' p4
	assert_eq "10.231.65.0/24" "$OUT" "a freed subnet is used again"
	run_ok dk network rm p2 p3 p4
}

test_overlay_swarm_init_bad_pool() {
	start_daemon
	local port
	port=$(free_port)
	run_fails dk swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$port" \
		--default-addr-pool 10.231.0.0/16 --default-addr-pool-mask-length 30
	assert_contains "$ERR" "subnet size is out of range: 30" "mask length 30"
	run_fails dk swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$port" \
		--default-addr-pool 10.231.0.0/16 --default-addr-pool-mask-length 12
	assert_contains "$ERR" 'invalid CIDR: "10.231.0.0/16". Subnet size is too small for pool: 12' \
		"mask length shorter than the pool's"
	run_fails dk swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$port" \
		--data-path-port 80
	assert_contains "$ERR" "Datapath port number is not in valid range (1024-49151) : 80" "data path port"
	run_ok dk info --format '{{.Swarm.LocalNodeState}}'
	assert_eq inactive "$OUT" "no swarm after the refusals"
}

ov_devices_of() { # NETWORK-ID: its bridge and vxlan device on this host
	ip -o link show | grep -cE ": (ov|vx)-${1:0:12}[@:]"
}

ov_cip() { dk inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }

test_overlay_attachable_containers() {
	ov_swarm
	import_busybox busybox:latest
	run_ok dk network create -d overlay --attachable --subnet 10.231.5.0/24 ova
	local id=$OUT
	run_ok dk network create -d overlay --subnet 10.231.6.0/24 ovn
	run_fails dk run -d --network ovn busybox:latest sleep 600
	assert_contains "$ERR" "not manually attachable" "a container on a network that is not attachable"
	run_ok dk run -d --name oa1 --network ova busybox:latest sleep 600
	run_ok dk run -d --name oa2 --network ova --ip 10.231.5.77 busybox:latest sleep 600
	assert_match "$(ov_cip oa1)" '^10\.231\.5\.[0-9]+$' "address of oa1"
	assert_eq 10.231.5.77 "$(ov_cip oa2)" "address asked for with --ip"
	run_ok dk exec oa1 ping -c1 -W2 10.231.5.77
	# As dockerd, a stopped container gives its attachment back (a
	# disconnect event of type overlay), shows only the address it asked
	# for, and asks again at its start.
	local ip1 before after
	ip1=$(ov_cip oa1)
	before=$(date +%s.%N)
	run_ok dk stop -t 0 oa1 oa2
	after=$(date +%s.%N)
	run_ok dk events --since "$before" --until "$after" --filter type=network --filter event=disconnect \
		--format '{{.Actor.Attributes.type}} {{.Actor.Attributes.name}}'
	assert_eq "overlay ova
overlay ova" "$OUT" "the disconnect events of the stops"
	local f='{{with index .NetworkSettings.Networks "ova"}}{{.IPAddress}}|{{json .IPAMConfig}}|{{.EndpointID}}{{end}}'
	run_ok dk inspect --format "$f" oa1 oa2
	assert_eq '|null|
|{"IPv4Address":"10.231.5.77"}|' "$OUT" "the stopped containers' endpoints on ova"
	wait_for 30 "oa1's address to be free" dk create --name oa4 --network ova --ip "$ip1" busybox:latest true
	run_ok dk rm oa4
	run_ok dk start oa2 oa1
	assert_eq 10.231.5.77 "$(ov_cip oa2)" "oa2's address after its start"
	run_ok dk inspect --format '{{.NetworkSettings.Networks.ova.IPAMConfig.IPv4Address}}' oa1
	assert_eq "$(ov_cip oa1)" "$OUT" "oa1's IPAMConfig once started"
	run_ok dk exec oa1 ping -c1 -W2 oa2
	# An alias DNS cannot hold is refused before anything is made.
	local long
	long=$(printf 'a%.0s' {1..300})
	run_fails dk run -d --name oa3 --network ova --network-alias "$long" busybox:latest true
	assert_contains "$ERR" "invalid network alias" "a 300-byte alias"
	run dk inspect oa3
	assert_contains "$ERR" "No such" "the container of a refused attach"
	assert_eq 2 "$(ov_devices_of "$id")" "the bridge and vxlan device of ova"
	run_ok ip -d link show "vx-${id:0:12}"
	assert_contains "$OUT" "dstport $OV_DPORT" "the vxlan device's port (--data-path-port)"
	assert_contains "$OUT" "nolearning" "no learning on the vxlan device"
	run_fails dk network rm ova
	assert_contains "$ERR" "is in use by task" "rm of a network containers use"
	run_ok dk rm -f oa1 oa2
	wait_for 30 "ova's devices to go" bash -c "[[ \$(ip -o link show | grep -cE ': (ov|vx)-${id:0:12}[@:]') == 0 ]]" ||
		fail "devices of ova left: $(ip -o link show | grep -E "(ov|vx)-${id:0:12}")"
	wait_for 30 "ova to be free" dk network rm ova
	run_ok dk network rm ovn
}

# A container with a restart policy on an attachable network that ends
# while berthd is down (killed -9) runs again after berthd's start, with an
# attachment asked for again (dockerd starts such containers once the
# cluster is up).
test_overlay_attached_restart_kill9() {
	ov_swarm
	import_busybox busybox:latest
	run_ok dk network create -d overlay --attachable --subnet 10.231.11.0/24 ovr
	run_ok dk run -d --name or1 --restart always --network ovr busybox:latest sleep 600
	run_ok dk run -d --name or2 --network ovr busybox:latest sleep 600
	local pid
	pid=$(dk inspect --format '{{.State.Pid}}' or1)
	[[ $pid =~ ^[0-9]+$ && $pid != 0 ]] || fail "or1's pid: $pid"
	kill -9 "$D_PID"
	wait "$D_PID" 2>/dev/null
	forget_pid "$D_PID"
	kill -9 "$pid"
	launch_daemon --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG"
	wait_daemon_ready 1
	wait_for 60 "or1 to run again on ovr" bash -c "[[ \$(docker -H '$D_HOST' inspect --format \
		'{{.State.Running}} {{.NetworkSettings.Networks.ovr.IPAddress}}' or1) =~ ^true\ 10\.231\.11\. ]]"
	wait_for 30 "or2 to reach or1 by name" dk exec or2 ping -c1 -W2 or1
	# One waiting out its restart back-off (its attachment given back at
	# its exit) when berthd is killed: started once the swarm answers, not
	# at berthd's start, where it could not have its attachment.
	run_ok dk run -d --name or3 --restart always --network ovr busybox:latest false
	wait_for 60 "or3 to wait out a back-off of 1.6 s" bash -c "[[ \$(docker -H '$D_HOST' inspect \
		--format '{{.State.Restarting}} {{.RestartCount}}' or3) =~ ^true\ ([4-9]|[1-9][0-9]+)$ ]]"
	kill -9 "$D_PID"
	wait "$D_PID" 2>/dev/null
	forget_pid "$D_PID"
	local since
	since=$(date +%s)
	launch_daemon --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG"
	wait_daemon_ready 1
	wait_for 60 "or3 to start again" bash -c "(( \$(date -d \"\$(docker -H '$D_HOST' inspect \
		--format '{{.State.StartedAt}}' or3)\" +%s) >= $since ))"
	assert_not_contains "$(cat "$D_LOG")" "Could not attach to network ovr" "or3's starts"
	run_ok dk rm -f or1 or2 or3
	wait_for 30 "ovr to be free" dk network rm ovr
}

test_overlay_service_tasks() {
	ov_swarm
	import_busybox busybox:latest
	run_ok dk network create -d overlay --subnet 10.231.7.0/24 ovs
	local id=$OUT
	run_ok dk service create --detach --name os1 --replicas 2 --network ovs --stop-grace-period 1s \
		busybox:latest sleep 600
	wait_for 60 "2 tasks running" bash -c "[[ \$(docker -H '$D_HOST' ps -q --filter label=com.docker.swarm.service.name=os1 | wc -l) == 2 ]]" ||
		fail "tasks of os1: $(dk service ps --no-trunc os1)"
	local c1 c2 ip2 task
	c1=$(dk ps -q --filter label=com.docker.swarm.service.name=os1 | head -1)
	c2=$(dk ps -q --filter label=com.docker.swarm.service.name=os1 | tail -1)
	ip2=$(ov_cip "$c2")
	assert_match "$ip2" '^10\.231\.7\.[0-9]+$' "task address"
	run_ok dk exec "$c1" ping -c1 -W2 "$ip2"
	task=$(dk service ps -q os1 | head -1)
	run_ok dk inspect --format '{{range .NetworksAttachments}}{{.Network.ID}} {{.Network.Spec.Name}} {{.Addresses}}{{end}}' "$task"
	assert_match "$OUT" "^$id ovs \\[10\\.231\\.7\\.[0-9]+/24\\]$" "NetworksAttachments of a task"
	run_ok dk service rm os1
	wait_for 60 "os1's devices to go" bash -c "[[ \$(ip -o link show | grep -cE ': (ov|vx)-${id:0:12}[@:]') == 0 ]]" ||
		fail "devices of ovs left: $(ip -o link show | grep -E "(ov|vx)-${id:0:12}")"
	run_ok dk network rm ovs
}

# Service discovery and VIPs on one node: the VIP in service inspect, the
# embedded DNS of an attached container (<svc>, an alias, tasks.<svc>,
# dnsrr), connections to the VIP balanced by the nftables table in the
# client's namespace, a scale down out of DNS and the table, nothing left
# after rm.
ov_lookup() { # CONTAINER NAME: the addresses its embedded DNS answers, sorted
	dk exec "$1" nslookup "$2" 127.0.0.11 2>/dev/null | awk '/^Name:/{n=1} n&&/^Address/{print $NF}' | sort | paste -sd' '
}
ov_svc_ips() { # SERVICE: the addresses of its running task containers, sorted
	local c
	for c in $(dk ps -q --filter "label=com.docker.swarm.service.name=$1"); do ov_cip "$c"; done | sort | paste -sd' '
}
ov_vip_table() { # CONTAINER: the nftables ruleset in its network namespace
	nsenter -t "$(dk inspect --format '{{.State.Pid}}' "$1")" -n nft list ruleset
}
ov_get() { # CONTAINER ADDRESS: what httpd behind ADDRESS answers for /hostname
	dk exec "$1" sh -c "printf 'GET /hostname HTTP/1.0\r\n\r\n' | nc -w 3 $2 80" | tail -1
}

test_overlay_vip_dns() {
	ov_swarm
	import_busybox busybox:latest
	run_ok dk network create -d overlay --attachable --subnet 10.231.8.0/24 ovd
	local id=$OUT vip hosts h seen=" " i
	run_ok dk service create --detach --name web --replicas 2 --network name=ovd,alias=front \
		--stop-grace-period 1s busybox:latest httpd -f -p 80 -h /etc
	wait_for 60 "2 tasks of web" bash -c "[[ \$(docker -H '$D_HOST' ps -q --filter label=com.docker.swarm.service.name=web | wc -l) == 2 ]]" ||
		fail "tasks of web: $(dk service ps --no-trunc web)"
	run_ok dk service inspect --format '{{range .Endpoint.VirtualIPs}}{{.NetworkID}} {{.Addr}}{{end}}' web
	assert_match "$OUT" "^$id 10\\.231\\.8\\.2/24$" "Endpoint.VirtualIPs"
	vip=10.231.8.2
	# Names the records do not hold go to --dns: loopback, nothing leaves.
	run_ok dk run -d --name cl --network ovd --dns 127.0.0.1 busybox:latest sleep 600
	wait_for 10 "web and front to answer the VIP" bash -c \
		"[[ \$(docker -H '$D_HOST' exec cl nslookup web 127.0.0.11 | grep -c 'Address: $vip') == 1 ]]"
	assert_eq "$vip" "$(ov_lookup cl web)" "web answers the VIP"
	# As dockerd where the network is in use: its containers here, and
	# the nodes it spans (hostname and address).
	run_ok dk network inspect --format '{{range $id, $c := .Containers}}{{$c.Name}} {{end}}|{{range .Peers}}{{.Name}}={{.IP}} {{end}}' ovd
	assert_contains "$OUT" "cl " "network inspect: the client in Containers"
	assert_contains "$OUT" "|$(hostname)=127.0.0.1 " "network inspect: this node in Peers"
	assert_eq "$vip" "$(ov_lookup cl front)" "the alias answers the VIP"
	assert_eq "$(ov_svc_ips web)" "$(ov_lookup cl tasks.web)" "tasks.web answers the tasks"
	run_ok ov_vip_table cl
	assert_contains "$OUT" "ip daddr $vip dnat to numgen random mod 2 map" "the VIP map in the client's namespace"
	hosts=" $(for c in $(dk ps -q --filter label=com.docker.swarm.service.name=web); do dk exec "$c" cat /etc/hostname; done | paste -sd' ') "
	for i in $(seq 30); do
		h=$(ov_get cl "$vip")
		[[ $hosts == *" $h "* ]] || fail "the VIP answered '$h', not a task of web ($hosts)"
		[[ $seen == *" $h "* ]] || seen="$seen$h "
		[[ $(wc -w <<<"$seen") -ge 2 ]] && break
	done
	assert_eq 2 "$(wc -w <<<"$seen")" "connections to the VIP reach both tasks"
	# dnsrr: no VIP, the name answers the tasks.
	run_ok dk service create --detach --name rr --replicas 2 --endpoint-mode dnsrr --network ovd \
		--stop-grace-period 1s busybox:latest sleep 600
	wait_for 60 "rr in DNS" bash -c "[[ \$(docker -H '$D_HOST' exec cl nslookup rr 127.0.0.11 | grep -c '^Address: ') == 2 ]]" ||
		fail "rr: $(ov_lookup cl rr)"
	assert_eq "$(ov_svc_ips rr)" "$(ov_lookup cl rr)" "dnsrr answers the tasks"
	run_ok dk service inspect --format '{{len .Endpoint.VirtualIPs}}' rr
	assert_eq 0 "$OUT" "a dnsrr service has no VIP"
	# Scale down: out of DNS and out of the map.
	run_ok dk service scale --detach web=1
	wait_for 30 "one task in tasks.web" bash -c "[[ \$(docker -H '$D_HOST' exec cl nslookup tasks.web 127.0.0.11 | grep -c '^Address: ') == 1 ]]" ||
		fail "tasks.web after scale down: $(ov_lookup cl tasks.web)"
	wait_for 30 "one backend" bash -c "nsenter -t \$(docker -H '$D_HOST' inspect --format '{{.State.Pid}}' cl) -n nft list ruleset | grep -q 'ip daddr $vip dnat to 10.231.8.[0-9]*\$'" ||
		fail "the map after scale down: $(ov_vip_table cl)"
	run_ok ov_get cl "$vip"
	[[ -n $OUT ]] || fail "the VIP after scale down"
	run_ok dk service rm web rr
	wait_for 30 "the VIP table to go" bash -c "! nsenter -t \$(docker -H '$D_HOST' inspect --format '{{.State.Pid}}' cl) -n nft list ruleset | grep -q '$vip'" ||
		fail "VIP rules left: $(ov_vip_table cl)"
	assert_eq "" "$(ov_lookup cl web)" "web is gone from DNS"
	run_ok dk rm -f cl
	wait_for 30 "ovd's devices to go" bash -c "[[ \$(ip -o link show | grep -cE ': (ov|vx)-${id:0:12}[@:]') == 0 ]]" ||
		fail "devices of ovd left: $(ip -o link show | grep -E "(ov|vx)-${id:0:12}")"
	wait_for 30 "ovd to be free" dk network rm ovd
}

# ov_udp_ask CONTAINER ADDRESS SRCPORT: the hostname the UDP server behind
# ADDRESS:7000 answers a datagram from SRCPORT with.
ov_udp_ask() { dk exec "$1" udphost ask "$2" 7000 "$3"; }

# A UDP flow to a VIP keeps its backend through its conntrack entry, which
# a client sending from the same port keeps alive: when the backend's task
# is killed, the entry goes with it from the map, and the flow's next
# datagram reaches a task that serves.
test_overlay_vip_udp_backend_dies() {
	ov_swarm
	busybox_tar
	mkdir -p "$TEST_TMP/udp/bin"
	musl-gcc -static -O2 -o "$TEST_TMP/udp/bin/udphost" "$INTEG_DIR/udphost.c" ||
		fail "building udphost (musl-tools)"
	cp "$BUSYBOX_TAR" "$TEST_TMP/udp.tar"
	tar --numeric-owner --owner=0 --group=0 -C "$TEST_TMP/udp" -rf "$TEST_TMP/udp.tar" ./bin/udphost
	run_ok dk import "$TEST_TMP/udp.tar" udphost:latest
	run_ok dk network create -d overlay --attachable --subnet 10.231.9.0/24 ovu
	# Not restarted: the dead task's address is not handed to a new one.
	run_ok dk service create --detach --name ud --replicas 2 --network ovu \
		--restart-condition none --stop-grace-period 1s udphost:latest udphost serve 7000
	run_ok dk run -d --name ucl --network ovu udphost:latest sleep 600
	add_cleanup "docker -H '$D_HOST' rm -f ucl >/dev/null 2>&1"
	local vip=10.231.9.2 first c h pid=
	wait_for 60 "2 backends of ud" bash -c "nsenter -t \$(docker -H '$D_HOST' inspect --format '{{.State.Pid}}' ucl) -n nft list ruleset | grep -q 'ip daddr $vip dnat to numgen random mod 2'" ||
		fail "the map: $(ov_vip_table ucl)"
	wait_for 30 "ud to answer UDP" ov_udp_ask ucl "$vip" 40123
	first=$(ov_udp_ask ucl "$vip" 40123)
	for c in $(dk ps -q --filter label=com.docker.swarm.service.name=ud); do
		h=$(dk exec "$c" cat /etc/hostname)
		[[ $h == "$first" ]] && pid=$(dk inspect --format '{{.State.Pid}}' "$c")
	done
	[[ -n $pid ]] || fail "no task of ud is named '$first'"
	assert_eq "$first" "$(ov_udp_ask ucl "$vip" 40123)" "the flow from port 40123 keeps its backend"
	kill -9 "$pid"
	wait_for 30 "the flow from port 40123 to reach the other task" bash -c \
		"h=\$(docker -H '$D_HOST' exec ucl udphost ask $vip 7000 40123) && [[ -n \$h && \$h != '$first' ]]" ||
		fail "UDP after the backend died: $(ov_vip_table ucl)"
	run_ok ov_vip_table ucl
	assert_contains "$OUT" "ip daddr $vip dnat to 10.231.9." "one backend left in the map"
	run_ok dk rm -f ucl
	run_ok dk service rm ud
	wait_for 30 "ovu to be free" dk network rm ovu
}

# The routing mesh's network: made at init as dockerd's, held by a service
# that publishes in ingress mode, replaced by another --ingress network
# (only one at a time), and missed by a service that needs it.
test_overlay_ingress() {
	# The ingress network gets wired on this host: a subnet of our own.
	ov_swarm --default-addr-pool 10.231.80.0/22
	import_busybox busybox:latest
	run_ok dk network inspect --format '{{.Driver}} {{.Scope}} {{.Ingress}} {{.Attachable}} {{.Internal}} {{len .Labels}} {{index .Options "com.docker.network.driver.overlay.vxlanid_list"}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' ingress
	assert_eq "overlay swarm true false false 0 4096 10.231.80.0/24 10.231.80.1" "$OUT" "the ingress network after init"
	run_fails dk network create -d overlay --ingress --subnet 10.231.10.0/24 ing2
	assert_contains "$ERR" "ingress network ($(dk network inspect --format '{{.Id}}' ingress)) is already present" \
		"a second ingress network"
	run_ok dk service create --detach --name web -p 18099:80 busybox:latest sleep 600
	local sid=$OUT
	run_ok dk service ls --filter name=web --format '{{.Ports}}'
	assert_eq "*:18099->80/tcp" "$OUT" "PORTS of service ls"
	wait_for 30 "the VIP of web on ingress" bash -c "[[ \$(docker -H '$D_HOST' service inspect --format '{{len .Endpoint.VirtualIPs}}' web) == 1 ]]" ||
		fail "Endpoint: $(dk service inspect --format '{{json .Endpoint}}' web)"
	# Ingress ports without a published port get one of 30000-32767, as
	# SwarmKit's allocator gives, kept across updates; the spec stays as given.
	run_ok dk service create --detach --name dyn --replicas 0 -p 80 -p 81/udp busybox:latest sleep 600
	run_ok dk service inspect --format '{{range .Endpoint.Ports}}{{.PublishedPort}}->{{.TargetPort}}/{{.Protocol}} {{end}}|{{range .Spec.EndpointSpec.Ports}}{{.PublishedPort}} {{end}}' dyn
	assert_eq "30000->80/tcp 30001->81/udp |0 0 " "$OUT" "dynamic ports of dyn"
	run_ok dk service update --detach --publish-add target=443 --publish-rm 81/udp dyn
	run_ok dk service inspect --format '{{range .Endpoint.Ports}}{{.PublishedPort}}->{{.TargetPort}} {{end}}' dyn
	assert_eq "30001->443 30000->80 " "$OUT" "dynamic ports after an update"
	run_fails dk service create --detach --name taken --replicas 0 -p 30000:80 busybox:latest sleep 600
	assert_contains "$ERR" "port '30000' is already in use by service 'dyn'" "a dynamic port asked for"
	run_ok dk service rm dyn
	ov_api DELETE /networks/ingress
	assert_eq 400 "$OUT" "status of rm of the ingress network in use"
	assert_contains "$OV_BODY" "ingress network cannot be removed because service $sid depends on it" \
		"rm of the ingress network in use"
	run_ok dk service rm web
	run_ok sh -c "echo y | docker -H '$D_HOST' network rm ingress"
	run_fails dk service create --detach --name web2 -p 18099:80 busybox:latest sleep 600
	assert_contains "$ERR" "service needs ingress network, but no ingress network is present" "no ingress"
	run_ok dk network create -d overlay --ingress --subnet 10.231.10.0/24 ing2
	run_ok dk network inspect --format '{{.Ingress}}' ing2
	assert_eq true "$OUT" "the new ingress network"
	run_ok dk network prune -f
	run_ok dk network inspect --format '{{.Name}}' ing2
	assert_eq ing2 "$OUT" "prune keeps the ingress network"
}

# As dockerd at swarm leave (clearAttachableNetworks): a running container
# leaves the swarm's networks (a disconnect event), the networks go with
# their devices, the ingress network with its routing mesh, and nothing of
# them is left to fail a later start.
test_overlay_leave_clears_networks() {
	ov_swarm --default-addr-pool 10.231.84.0/22
	import_busybox busybox:latest
	local table
	table=$(grep -oE 'nftables table berth_[0-9a-f]+' "$D_LOG" | head -1 | awk '{print $3}')
	[[ -n $table ]] || fail "no nftables table in the daemon's log"
	run_ok dk network create -d overlay --attachable --subnet 10.231.12.0/24 ovl
	local ovl=$OUT
	run_ok dk network create --subnet 10.231.13.0/24 brl
	run_ok dk run -d --name ol1 --network ovl busybox:latest sleep 600
	run_ok dk network connect brl ol1
	run_ok dk run -d --name ol2 --network ovl busybox:latest sleep 600
	run_ok dk stop -t 0 ol2
	run_ok dk network create -d overlay --subnet 10.231.14.0/24 ovs
	local ovs=$OUT port
	port=$(free_port)
	run_ok dk service create -d --name sl --network ovs -p "$port:80" busybox:latest sleep 600
	wait_for 60 "the task of sl to run" bash -c "[[ -n \$(docker -H '$D_HOST' ps -q --filter label=com.docker.swarm.task.id) ]]"
	local ingress
	ingress=$(dk network inspect --format '{{.Id}}' ingress)
	wait_for 60 "the routing mesh of this node" nft list table ip "${table}_mesh"
	assert_eq 2 "$(ov_devices_of "$ovs")" "the bridge and vxlan device of ovs"
	local before after
	before=$(date +%s.%N)
	run_ok dk swarm leave --force
	wait_for 60 "the task container to go" bash -c "[[ -z \$(docker -H '$D_HOST' ps -aq --filter label=com.docker.swarm.task.id) ]]"
	wait_for 60 "ovs and ingress to go" bash -c "[[ \$(docker -H '$D_HOST' network ls -q --filter driver=overlay) == '' ]]" ||
		fail "networks left: $(dk network ls)"
	after=$(date +%s.%N)
	run_ok dk events --since "$before" --until "$after" --filter type=network \
		--format '{{.Action}} {{.Actor.Attributes.type}} {{.Actor.Attributes.name}} {{.Actor.Attributes.container}}'
	assert_contains "$OUT" "disconnect overlay ovl $(dk inspect --format '{{.Id}}' ol1)" "ol1's disconnect event"
	assert_not_contains "$OUT" "disconnect overlay ovl $(dk inspect --format '{{.Id}}' ol2)" "a stopped container's"
	local n
	for n in ovl ovs ingress; do
		assert_contains "$OUT" "destroy overlay $n" "the destroy event of $n"
	done
	run_ok dk inspect --format '{{.State.Running}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' ol1
	assert_eq "true brl " "$OUT" "ol1 after the leave"
	for n in "$ovl" "$ovs" "$ingress"; do
		assert_eq 0 "$(ov_devices_of "$n")" "devices of network $n"
	done
	run_fails nft list table ip "${table}_mesh"
	run_ok dk network ls --format '{{.Name}}'
	assert_not_contains "$OUT" docker_gwbridge "networks after the leave"
	run_ok dk restart -t 0 ol1
	run_ok dk start ol2
	run_ok dk rm -f ol1 ol2
	run_ok dk network rm brl
}
