# docker_gwbridge on a one-node swarm (issue 10): the local bridge network
# that gives containers on overlay networks their way out, as dockerd's.
# Made at swarm init (or used as the user made it), an interface after the
# overlays with the default route, NAT to an "outside" address in a
# namespace of the test's own, no traffic between containers on it,
# published ports through it, not among the container's networks, none for
# --internal, kept through kill -9, gone after swarm leave. Subnets: the
# test's block (net_block): local pools 10.NB.64.0/18, swarm 10.NB.128.0/17,
# the outside link 10.NB.250.0/30.

# shellcheck source=swarm_lib.sh
. "$INTEG_DIR/swarm_lib.sh"

gw_swarm() { # EXTRA daemon flags...
	net_block
	start_daemon --default-address-pool "base=10.$NB.64.0/18,size=24" "$@"
	import_busybox busybox:latest
	add_cleanup gw_cleanup
}

gw_init() {
	run_ok dk swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$(free_port)" \
		--data-path-port "$((20000 + RANDOM % 20000))" --default-addr-pool "10.$NB.128.0/17"
}

gw_cleanup() {
	local ids
	ids=$(dk ps -aq 2>/dev/null)
	[[ -z $ids ]] || dk rm -f $ids >/dev/null 2>&1
	[[ -n ${GW_NS:-} ]] && ip netns del "$GW_NS" 2>/dev/null
	[[ -n ${GW_HOSTIF:-} ]] && ip link del "$GW_HOSTIF" 2>/dev/null
	true
}

# An "outside" host: a namespace of the test's own behind a veth, with no
# route back to any container subnet: only NAT'ed traffic gets answers.
gw_outside() {
	GW_NS="gwo$$" GW_HOSTIF="gwh$NB"
	GW_OUT="10.$NB.250.2" GW_HOSTIP="10.$NB.250.1"
	run_ok ip netns add "$GW_NS"
	run_ok ip link add "$GW_HOSTIF" type veth peer name eth0 netns "$GW_NS"
	run_ok ip addr add "$GW_HOSTIP/30" dev "$GW_HOSTIF"
	run_ok ip link set "$GW_HOSTIF" up
	run_ok ip -n "$GW_NS" addr add "$GW_OUT/30" dev eth0
	run_ok ip -n "$GW_NS" link set eth0 up
	run_ok ip -n "$GW_NS" link set lo up
}

# gw_peer_of CONTAINER: the source address the outside sees for a TCP
# connection the container opens to it.
gw_peer_of() {
	local port=$((30000 + RANDOM % 20000)) out="$TEST_TMP/peer.$RANDOM"
	ip netns exec "$GW_NS" "$PYTHON" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); s.settimeout(20)
c, a = s.accept(); print(a[0]); c.close()' "$GW_OUT" "$port" >"$out" 2>&1 &
	local pid=$!
	BG_PIDS+=("$pid")
	local i
	for i in $(seq 50); do
		ip netns exec "$GW_NS" ss -ltn 2>/dev/null | grep -q ":$port " && break
		sleep 0.1
	done
	dk exec "$1" sh -c "echo hi | nc $GW_OUT $port" >/dev/null 2>&1
	wait "$pid" 2>/dev/null
	cat "$out"
}

gw_field() { dk network inspect --format "$1" docker_gwbridge; }
gw_dev() { gw_field '{{index .Options "com.docker.network.bridge.name"}}'; }
gw_nets_of() { dk inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$1"; }
gw_table() { nft list table ip "berth_$(grep -oE 'nftables table berth_[0-9a-f]+' "$D_LOG" | head -1 | sed 's/.*berth_//')"; }

test_gwbridge_swarm() {
	gw_swarm
	run_ok dk network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'
	assert_not_contains "$OUT" docker_gwbridge "network ls before swarm init"
	gw_init
	run_ok dk network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'
	assert_contains "$OUT" "docker_gwbridge bridge local" "network ls of a swarm node"
	local dev sub gwip
	dev=$(gw_dev)
	assert_match "$dev" '^gwbr-[0-9a-f]{8}$' "the device of a daemon with its own exec root"
	run_ok ip link show "$dev"
	assert_eq "false true" "$(gw_field '{{index .Options "com.docker.network.bridge.enable_icc"}} {{index .Options "com.docker.network.bridge.enable_ip_masquerade"}}')" "options"
	sub=$(gw_field '{{(index .IPAM.Config 0).Subnet}}')
	assert_match "$sub" "^10\\.$NB\\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\\.0/24$" "subnet from the local pools"
	gwip=$(gw_field '{{(index .IPAM.Config 0).Gateway}}')
	run_fails dk network rm docker_gwbridge
	assert_contains "$ERR" "has active endpoints" "rm of docker_gwbridge in a swarm"

	run_ok dk network create -d overlay --attachable --subnet "10.$NB.129.0/24" ovg
	run_ok dk run -d --name g1 --network ovg --dns 127.0.0.1 busybox:latest sleep 600
	local g1=$OUT
	run_ok dk run -d --name g2 --network ovg --dns 127.0.0.1 busybox:latest sleep 600
	assert_eq "ovg " "$(gw_nets_of g1)" "a container's networks (docker_gwbridge is not one)"
	run_ok dk exec g1 ip -4 route
	assert_contains "$OUT" "default via $gwip dev eth1" "default route through docker_gwbridge"
	run_ok dk exec g1 ip -4 -o addr show eth1
	local g1gw g2gw g2ip
	g1gw=$(awk '{print $4}' <<<"$OUT" | cut -d/ -f1)
	assert_match "$g1gw" "^${sub%.0/24}\\." "eth1's address on docker_gwbridge"
	run_ok dk network inspect --format '{{range $k, $v := .Containers}}{{$k}} {{$v.Name}} {{$v.IPv4Address}}{{"\n"}}{{end}}' docker_gwbridge
	assert_contains "$OUT" "$g1 gateway_${g1:0:12} $g1gw/24" "docker_gwbridge's Containers"
	# Out through NAT: the outside sees the host's address.
	gw_outside
	assert_eq "$GW_HOSTIP" "$(gw_peer_of g1)" "source address seen outside"
	run_ok gw_table
	assert_contains "$OUT" "ip saddr $sub oifname != \"$dev\" masquerade" "docker_gwbridge's NAT"
	assert_not_contains "$OUT" "ip saddr 10.$NB.129.0/24 oifname !=" "the overlay's NAT"
	# enable_icc=false: not to each other over docker_gwbridge, over the overlay yes.
	g2gw=$(dk exec g2 ip -4 -o addr show eth1 | awk '{print $4}' | cut -d/ -f1)
	g2ip=$(dk inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' g2)
	run_ok dk exec g1 ping -c1 -W2 "$g2ip"
	run_fails dk exec g1 ping -c1 -W1 "$g2gw"
	run_ok bridge -d link show master "$dev"
	assert_contains "$OUT" "isolated on" "docker_gwbridge's ports"
	# A published port goes to the docker_gwbridge address.
	local port
	port=$(free_port)
	run_ok dk run -d --name gweb --network ovg -p "$port:80" busybox:latest httpd -f -p 80 -h /etc
	wait_for 10 "the published port" curl -sf "http://127.0.0.1:$port/hostname"
	# --internal: no way out.
	run_ok dk network create -d overlay --attachable --internal --subnet "10.$NB.130.0/24" ovi
	run_ok dk run -d --name gi --network ovi busybox:latest sleep 600
	run_ok dk exec gi ip -4 route
	assert_not_contains "$OUT" default "route of a container on an internal overlay"
	run_ok dk exec gi ip -o link
	assert_not_contains "$OUT" eth1 "interfaces on an internal overlay"
	# Connected to a bridge network, the container goes out there instead.
	run_ok dk network create --subnet "10.$NB.131.0/24" gwb
	run_ok dk network connect gwb g2
	run_ok dk exec g2 ip -4 route
	assert_contains "$OUT" "default via 10.$NB.131.1" "default route after connect to a bridge network"
	local g2id
	g2id=$(dk inspect -f '{{.Id}}' g2)
	assert_not_contains "$(gw_field '{{range .Containers}}{{.Name}} {{end}}')" "gateway_${g2id:0:12}" "g2 on docker_gwbridge after connect"
	run_ok dk network disconnect gwb g2
	run_ok dk exec g2 ip -4 route
	assert_contains "$OUT" "default via $gwip" "default route after disconnect"
	run_ok dk rm -f g2 gweb gi
	run_ok dk network rm gwb
	wait_for 30 "ovi to be free" dk network rm ovi

	# kill -9: the way out survives; a gateway endpoint of a container that
	# ended meanwhile goes.
	kill -9 "$D_PID"
	wait "$D_PID" 2>/dev/null
	forget_pid "$D_PID"
	launch_daemon --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG" --default-address-pool "base=10.$NB.64.0/18,size=24"
	wait_daemon_ready 1
	assert_eq "$GW_HOSTIP" "$(gw_peer_of g1)" "source address seen outside after kill -9"
	assert_eq "gateway_${g1:0:12} " "$(gw_field '{{range .Containers}}{{.Name}} {{end}}')" "docker_gwbridge's Containers after kill -9"
	run_ok dk rm -f g1
	assert_eq "" "$(gw_field '{{range .Containers}}{{.Name}} {{end}}')" "docker_gwbridge's Containers after rm"
	assert_eq "" "$(ip -o link show master "$dev")" "ports of docker_gwbridge after rm"
	wait_for 30 "ovg to be free" dk network rm ovg

	# Leave: nothing of it stays.
	run_ok dk swarm leave --force
	run_ok dk network ls --format '{{.Name}}'
	assert_not_contains "$OUT" docker_gwbridge "network ls after leave"
	run_fails ip link show "$dev"
	run gw_table # gone with the last bridge
	assert_not_contains "$OUT" "$dev" "rules of docker_gwbridge after leave"
}

# A docker_gwbridge the user made first is used as it is, and kept.
test_gwbridge_user_made() {
	gw_swarm
	run_ok dk network create --subnet "10.$NB.70.0/24" -o "com.docker.network.bridge.name=gwu$NB" \
		-o com.docker.network.bridge.enable_icc=false docker_gwbridge
	local id=$OUT
	gw_init
	assert_eq "$id" "$(gw_field '{{.Id}}')" "the user's docker_gwbridge"
	run_ok dk network create -d overlay --attachable --subnet "10.$NB.129.0/24" ovu
	run_ok dk run -d --name u1 --network ovu busybox:latest sleep 600
	run_ok dk exec u1 ip -4 route
	assert_contains "$OUT" "default via 10.$NB.70.1 dev eth1" "default route through the user's docker_gwbridge"
	run_ok dk rm -f u1
	wait_for 30 "ovu to be free" dk network rm ovu
	run_ok dk swarm leave --force
	assert_eq "$id" "$(gw_field '{{.Id}}')" "the user's docker_gwbridge after leave"
	run_ok dk network rm docker_gwbridge
	run_fails ip link show "gwu$NB"
}
