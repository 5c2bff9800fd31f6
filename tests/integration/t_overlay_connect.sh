# docker network connect/disconnect of containers to and from attachable
# swarm networks, and docker network prune of swarm networks on a manager
# (issue 10), with dockerd's messages. Subnets from net_block.

# shellcheck source=swarm_lib.sh
. "$INTEG_DIR/swarm_lib.sh"

oc_swarm() {
	start_daemon
	import_busybox busybox:latest
	net_block
	local port
	port=$(free_port)
	# A VXLAN port of its own: overlay tests beside it use VNIs from 4096 too.
	run_ok dk swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$port" \
		--data-path-port $((20000 + RANDOM % 20000)) --default-addr-pool "10.$NB.128.0/17"
	add_cleanup oc_cleanup
}

oc_cleanup() {
	local c
	for c in $(dk ps -aq 2>/dev/null); do dk rm -f "$c" >/dev/null 2>&1; done
}

oc_ip() { # CONTAINER NETWORK
	dk inspect --format "{{with index .NetworkSettings.Networks \"$2\"}}{{.IPAddress}}{{end}}" "$1"
}

test_overlay_connect_disconnect() {
	oc_swarm
	run_ok dk network create -d overlay --attachable --subnet "10.$NB.5.0/24" ova
	local id=$OUT
	run_ok dk network create -d overlay --subnet "10.$NB.6.0/24" ovn
	local nid=$OUT
	run_ok dk run -d --name c1 busybox:latest sleep 600
	run_ok dk run -d --name c2 --network ova busybox:latest sleep 600

	# A running container joins with an address from the swarm.
	run_ok dk network connect ova c1
	local ip1
	ip1=$(oc_ip c1 ova)
	assert_match "$ip1" "^10\\.$NB\\.5\\.[0-9]+$" "c1's address on ova"
	assert_match "$(oc_ip c1 bridge)" '^[0-9.]+$' "c1 keeps its bridge address"
	run_ok dk exec c1 ping -c1 -W2 "$(oc_ip c2 ova)"
	run_ok dk exec c2 ping -c1 -W2 "$ip1"
	run_fails dk network connect ova c1
	assert_contains "$ERR" "c1 is already attached to network ova" "a second connect"
	run_fails dk network connect ovn c1
	assert_contains "$ERR" "Could not attach to network ovn: rpc error: code = PermissionDenied desc = network $nid not manually attachable" \
		"a network that is not attachable"
	run_fails dk network connect nosuchnet c1
	assert_contains "$ERR" "network nosuchnet not found" "an unknown network"
	run_fails dk network connect ova nosuchcontainer
	assert_contains "$ERR" "No such container: nosuchcontainer" "an unknown container"

	# A stopped container gets the address asked for, and has it once started.
	run_ok dk create --name c3 busybox:latest sleep 600
	run_ok dk network connect --ip "10.$NB.5.77" ova c3
	run_ok dk start c3
	assert_eq "10.$NB.5.77" "$(oc_ip c3 ova)" "c3's address (--ip)"
	run_ok dk exec c2 ping -c1 -W2 "10.$NB.5.77"

	# Disconnected, c1 leaves the network and its address goes back to the
	# swarm: another container can have it.
	run_ok dk network disconnect ova c1
	assert_empty "$(oc_ip c1 ova)" "c1 on ova after disconnect"
	run_fails dk exec c2 ping -c1 -W1 "$ip1"
	run_ok dk create --name c4 busybox:latest sleep 600
	wait_for 30 "c1's address to be free" dk network connect --ip "$ip1" ova c4
	run_ok dk rm -f c2 c3 c4
	wait_for 30 "ova's devices to go" bash -c "[[ \$(ip -o link show | grep -cE ': (ov|vx)-${id:0:12}[@:]') == 0 ]]" ||
		fail "devices of ova left: $(ip -o link show | grep -E "(ov|vx)-${id:0:12}")"
	wait_for 30 "ova to be free" dk network rm ova
	run_ok dk network rm ovn
}

test_overlay_network_prune() {
	oc_swarm
	run_ok dk network create -d overlay --attachable --label keep=yes pa
	run_ok dk network create -d overlay --label keep=no pb
	run_ok dk network create -d overlay pc
	run_ok dk network create --subnet "10.$NB.7.0/24" loc1
	run_ok dk run -d --name p1 --network pa busybox:latest sleep 600
	run_ok dk network prune -f --filter until=1h
	assert_empty "$OUT" "a prune until an hour ago (all are newer)"
	# As dockerd on a manager: the swarm's networks nothing uses, then the
	# local ones; label filters apply to both.
	run_ok dk network prune -f --filter label!=keep=no
	assert_eq "Deleted Networks:
pc
loc1" "$OUT" "network prune"
	run_ok dk network ls --filter driver=overlay --format '{{.Name}}'
	assert_eq "ingress
pa
pb" "$(sort <<<"$OUT")" "the networks left (prune keeps the ingress network)"
	run_ok dk rm -f p1
	wait_for 30 "pa to be pruned" bash -c "docker -H '$D_HOST' network prune -f --filter label=keep=yes | grep -qx pa"
	run_ok dk network prune -f
	assert_eq "Deleted Networks:
pb" "$OUT" "the last prune"
	run_ok dk network ls --filter driver=overlay --format '{{.Name}}'
	assert_eq ingress "$OUT" "overlay networks after prune"
}

# swarm init --data-path-addr: VXLAN's local address is that one, not the
# advertise address; dockerd shows it nowhere in node inspect.
test_overlay_data_path_addr() {
	start_daemon
	import_busybox busybox:latest
	net_block
	local port
	port=$(free_port)
	run_ok dk swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$port" \
		--data-path-port $((20000 + RANDOM % 20000)) --data-path-addr 127.0.0.2 \
		--default-addr-pool "10.$NB.128.0/17"
	add_cleanup oc_cleanup
	run_ok dk node inspect self
	assert_not_contains "$OUT" "127.0.0.2" "node inspect"
	run_ok dk network create -d overlay --attachable --subnet "10.$NB.8.0/24" ovd
	local id=$OUT
	run_ok dk run -d --name d1 --network ovd busybox:latest sleep 600
	run_ok ip -d link show "vx-${id:0:12}"
	assert_contains "$OUT" "local 127.0.0.2 " "the vxlan device's local address"
	run_ok dk rm -f d1
	wait_for 30 "ovd to be free" dk network rm ovd
}
