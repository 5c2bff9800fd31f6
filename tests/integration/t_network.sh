# Networking (issue 5): the default bridge, user-defined bridge networks with
# their API and commands, embedded DNS, isolation, --internal, published
# ports, live connect/disconnect, daemon restarts and kill -9, cleanup and bad
# input. Every test uses its own bridge names (bt<pid>...), its own subnets
# (10.<block>.<test>.0/24, the block locked by net_block) and removes its
# links and nftables table even when it fails. No traffic leaves the host:
# containers only talk to each other, to the bridge addresses and to the
# host's loopback, and containers on user networks get --dns 127.0.0.1 so that
# names the embedded DNS does not know are forwarded to the host's loopback
# (where nothing or a test server answers), never to a real resolver.

# net_daemon OCTET [FLAGS...]: a daemon whose default bridge is $NET_BR with
# 10.NB.OCTET.1/24; NET_TAG prefixes every bridge name of the test.
net_daemon() {
	local oct=$1
	shift
	net_block
	NET_TAG=$(printf 'bt%04x' $(($$ % 65536)))
	NET_BR=${NET_TAG}0
	ct_rootfs_tar
	add_cleanup "net_force_cleanup '$NET_TAG'"
	NET_ARGS=(-b "$NET_BR" --bip "10.${NB}.$oct.1/24" "$@")
	# A bridge left by a killed run with the same subnet takes the test's
	# traffic: say so instead of failing later on a lost ping.
	local taken
	taken=$(ip -4 -o addr show to "10.${NB}.$oct.0/24" | awk '{print $2}' | head -n 1)
	[[ -z $taken ]] || fail "10.${NB}.$oct.0/24 is already on $taken (left by a killed test run? ip link del $taken)"
	start_daemon "${NET_ARGS[@]}"
	NET_TABLE=$(sed -n 's/.*nftables table \(berth[a-z0-9_]*\).*/\1/p' "$D_LOG" | head -n 1)
	[[ -n $NET_TABLE ]] && add_cleanup "nft delete table ip '$NET_TABLE' 2>/dev/null; true"
	add_cleanup "ct_force_cleanup '$TEST_TMP' '$D_EXEC'"
	run_ok dk import "$CT_TAR" bb:latest
}

# Restarts the current daemon with the same roots and flags.
net_restart_daemon() {
	launch_daemon --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG" "${NET_ARGS[@]}"
	wait_daemon_ready 1
}

# Deletes the veths enslaved to the test's bridges, then the bridges.
net_force_cleanup() {
	local tag=$1 br l
	for br in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^$tag"); do
		for l in $(ip -o link show master "$br" 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'); do
			ip link delete "$l" 2>/dev/null
		done
		ip link delete "$br" 2>/dev/null
	done
	return 0
}

net_links() { ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'; }

# Nothing of the daemon's networking is left: bridges, veths, table.
net_assert_clean() {
	local ids=("$@") id
	assert_empty "$(net_links | grep "^$NET_TAG")" "bridges of the test"
	for id in "${ids[@]}"; do
		assert_empty "$(net_links | grep "^vb${id:0:10}")" "veth of container ${id:0:12}"
	done
	nft list table ip "$NET_TABLE" >/dev/null 2>&1 && fail "nftables table $NET_TABLE is still there"
	assert_empty "$(ls "$D_EXEC/netns" 2>/dev/null)" "network namespaces"
	return 0
}

ip_of() { dk inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"; }

test_network_default_bridge() {
	net_daemon 10
	run_ok dk run --rm bb ip -4 addr show eth0
	assert_match "$OUT" 'inet 10\.'"$NB"'\.10\.[0-9]+/24' "eth0's address"
	run_ok dk run -d --name ca bb sleep 100
	local a=$OUT
	run_ok dk run -d --name cb bb sleep 100
	local b=$OUT ipa ipb
	ipa=$(dk inspect -f '{{.NetworkSettings.IPAddress}}' ca)
	ipb=$(ip_of cb bridge)
	assert_match "$ipa" '^10\.'"$NB"'\.10\.[0-9]+$' "a's IPAddress"
	assert_ne "$ipa" "$ipb" "addresses of a and b"
	assert_eq 10.${NB}.10.1 "$(dk inspect -f '{{.NetworkSettings.Gateway}}' ca)" "Gateway"
	run_ok dk exec ca ping -c 1 -W 2 "$ipb"
	run_ok dk exec cb ping -c 1 -W 2 10.${NB}.10.1
	# The default route goes through the bridge.
	run_ok dk exec ca ip route
	assert_contains "$OUT" "default via 10.${NB}.10.1 dev eth0" "routes"
	# Docker's default bridge: no name resolution, /etc/hosts knows itself.
	run_ok dk exec ca cat /etc/resolv.conf
	assert_not_contains "$OUT" 127.0.0.11 "resolv.conf on the default bridge"
	run_ok dk exec ca cat /etc/hosts
	assert_contains "$OUT" "$ipa	${a:0:12}" "/etc/hosts"
	# The bridge and the masquerade rule.
	assert_contains "$(ip -4 addr show "$NET_BR")" "10.${NB}.10.1/24" "bridge address"
	run_ok nft list table ip "$NET_TABLE"
	assert_contains "$OUT" "ip saddr 10.${NB}.10.0/24 oifname != \"$NET_BR\" masquerade" "masquerade rule"
	run_ok dk network inspect bridge
	assert_contains "$OUT" "\"IPv4Address\": \"$ipa/24\"" "network inspect bridge"
	assert_contains "$OUT" "\"com.docker.network.bridge.name\": \"$NET_BR\"" "bridge option"
	# host and none.
	run_ok dk run --rm --network none bb ip -o link
	assert_not_contains "$OUT" eth0 "links with --network none"
	run_ok dk run --rm --network host bb cat /proc/net/dev
	assert_contains "$OUT" "$NET_BR" "host network sees the host's links"
	# --network container:ca shares a's namespace.
	run_ok dk run --rm --network container:ca bb ip -4 addr show eth0
	assert_contains "$OUT" "$ipa/24" "container:a's address"
	run_ok dk rm -f ca cb
	stop_daemon
	net_assert_clean "$a" "$b"
}

test_network_iptables_false() {
	net_daemon 11 --iptables=false
	assert_contains "$(cat "$D_LOG")" "--iptables=false" "log"
	run_ok dk run --rm bb ip -4 addr show eth0
	assert_match "$OUT" 'inet 10\.'"$NB"'\.11\.' "address"
	nft list tables | grep -q "berth_" && nft list tables | grep -q "$(basename "$D_EXEC")" && fail "a table was made"
	return 0
}

test_network_user_dns() {
	net_daemon 20
	run_ok dk network create --subnet 10.${NB}.21.0/24 -o "com.docker.network.bridge.name=${NET_TAG}u1" \
		--label purpose=test n1
	local nid=$OUT
	assert_match "$nid" '^[0-9a-f]{64}$' "network id"
	assert_contains "$(ip -4 addr show "${NET_TAG}u1")" "10.${NB}.21.1/24" "user bridge"
	run_ok dk run -d --name web --network n1 --network-alias www --dns 127.0.0.1 bb httpd -f -p 80 -h /etc
	local web=$OUT
	run_ok dk run -d --name cli --network n1 --dns 127.0.0.1 bb sleep 100
	local cli=$OUT ipweb
	ipweb=$(ip_of web n1)
	assert_match "$ipweb" '^10\.'"$NB"'\.21\.[0-9]+$' "web's address on n1"
	run_ok dk exec cli cat /etc/resolv.conf
	assert_contains "$OUT" "nameserver 127.0.0.11" "resolv.conf on a user network"
	# By name, alias and short ID.
	local n
	for n in web www "${web:0:12}"; do
		run_ok dk exec cli nslookup "$n" 127.0.0.11
		assert_contains "$OUT" "Address: $ipweb" "nslookup $n"
		run_ok dk exec cli ping -c 1 -W 2 "$n"
	done
	run_ok dk exec cli wget -qO- http://web/hostname
	assert_eq "${web:0:12}" "$OUT" "web's /etc/hostname over HTTP by name"
	run_ok dk exec cli wget -qO- http://www/hostname
	assert_eq "${web:0:12}" "$OUT" "by alias"
	run_ok dk network inspect n1
	assert_contains "$OUT" "\"Name\": \"web\"" "inspect lists web"
	assert_contains "$OUT" "\"IPv4Address\": \"$ipweb/24\"" "inspect shows web's address"
	assert_contains "$OUT" '"purpose": "test"' "labels"
	run_ok dk inspect -f '{{json (index .NetworkSettings.Networks "n1").Aliases}}' web
	assert_eq '["www"]' "$OUT" "Aliases"
	# berth's own commands.
	run_ok berth -H "$D_HOST" network inspect -f '{{.Name}} {{.Driver}}' n1
	assert_eq "n1 bridge" "$OUT" "berth network inspect"
	run_ok berth -H "$D_HOST" network ls --filter name=n1 --format '{{.Name}}'
	assert_eq n1 "$OUT" "berth network ls"
	# Another network: no route to n1, names unknown there.
	run_ok dk network create --subnet 10.${NB}.22.0/24 -o "com.docker.network.bridge.name=${NET_TAG}u2" n2
	run_ok dk run -d --name other --network n2 --dns 127.0.0.1 bb sleep 100
	local other=$OUT
	run_fails dk exec other ping -c 1 -W 1 "$ipweb"
	run_fails dk exec other timeout 3 wget -qO- "http://$ipweb/hostname"
	run dk exec other nslookup web 127.0.0.11
	assert_not_contains "$OUT" "$ipweb" "web resolved from n2"
	# The default bridge does not resolve names either.
	run dk run --rm --dns 127.0.0.1 bb ping -c 1 -W 1 web
	assert_ne 0 "$RC" "ping web from the default bridge"
	run_ok dk rm -f web cli other
	run_ok dk network rm n1 n2
	assert_empty "$(net_links | grep "^${NET_TAG}u")" "user bridges after network rm"
	stop_daemon
	net_assert_clean "$web" "$cli" "$other"
}

# A tiny DNS server on the host's loopback: berthd forwards names it does not
# know there (from the host's namespace), over UDP and answers TCP queries
# itself.
test_network_dns_forward() {
	net_daemon 25
	"$PYTHON" - 2>/dev/null <<'PY' || skip "port 53 on 127.0.0.1 is taken"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 53)); s.close()
PY
	"$PYTHON" -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
while True:
    q, a = s.recvfrom(512)
    end = 12
    while q[end]: end += q[end] + 1
    end += 5
    ans = q[:2] + b"\x81\x80" + q[4:6] + b"\x00\x01\x00\x00\x00\x00" + q[12:end]
    ans += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([198, 18, 7, 7])
    s.sendto(ans, a)
' &
	BG_PIDS+=($!)
	run_ok dk network create --subnet 10.${NB}.26.0/24 -o "com.docker.network.bridge.name=${NET_TAG}u1" n1
	run_ok dk run -d --name c1 --network n1 --dns 127.0.0.1 bb sleep 100
	wait_for 5 "the test DNS server" bash -c "docker -H '$D_HOST' exec c1 nslookup upstream.test 127.0.0.11 | grep -q 198.18.7.7"
	run_ok dk exec c1 nslookup upstream.test 127.0.0.11
	assert_contains "$OUT" "198.18.7.7" "forwarded answer"
	# TCP on 127.0.0.11:53 inside the namespace, from the host's python.
	local pid
	pid=$(dk inspect -f '{{.State.Pid}}' c1)
	run_ok nsenter -t "$pid" -n "$PYTHON" -c '
import socket, struct
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x02c1\x00\x00\x01\x00\x01"
s = socket.create_connection(("127.0.0.11", 53), timeout=3)
s.sendall(struct.pack(">H", len(q)) + q)
n = struct.unpack(">H", s.recv(2))[0]
a = s.recv(n)
print(".".join(str(b) for b in a[-4:]))'
	assert_eq "$(ip_of c1 n1)" "$OUT" "A record over TCP"
	run_ok dk rm -f c1
}

test_network_ports() {
	net_daemon 30
	local p1 p2 p3
	p1=$(free_port)
	p2=$(free_port)
	run_ok dk run -d --name web -p "127.0.0.1:$p1:80" -p "$p2:80" bb httpd -f -p 80 -h /etc
	local web=$OUT
	wait_for 5 "httpd on 127.0.0.1:$p1" curl -sf "http://127.0.0.1:$p1/hostname"
	assert_eq "${web:0:12}" "$(curl -sf "http://127.0.0.1:$p1/hostname")" "curl loopback"
	assert_eq "${web:0:12}" "$(curl -sf "http://127.0.0.1:$p2/hostname")" "curl 0.0.0.0 binding via loopback"
	assert_eq "${web:0:12}" "$(curl -sf "http://10.${NB}.30.1:$p2/hostname")" "curl via the bridge address"
	# From another container through the host's address (hairpin on the bridge).
	run_ok dk run --rm bb timeout 3 wget -qO- "http://10.${NB}.30.1:$p2/hostname"
	assert_eq "${web:0:12}" "$OUT" "container -> host address -> container"
	run_ok dk exec web timeout 3 wget -qO- "http://10.${NB}.30.1:$p2/hostname"
	assert_eq "${web:0:12}" "$OUT" "a container reaching its own published port (hairpin)"
	run_ok dk port web
	assert_contains "$OUT" "80/tcp -> 127.0.0.1:$p1" "docker port"
	assert_contains "$OUT" "80/tcp -> 0.0.0.0:$p2" "docker port"
	run_ok dk port web 80/tcp
	run_ok dk ps --format '{{.Ports}}'
	assert_contains "$OUT" "127.0.0.1:$p1->80/tcp" "ps Ports"
	run_ok dk inspect -f "{{json .NetworkSettings.Ports}}" web
	assert_contains "$OUT" "\"HostPort\":\"$p1\"" "NetworkSettings.Ports"
	# A port already in use: a clear error, nothing half-made.
	run dk run -d --name clash -p "127.0.0.1:$p1:80" bb sleep 100
	assert_ne 0 "$RC" "run with a taken port"
	assert_contains "$ERR" "Bind for 127.0.0.1:$p1 failed: port is already allocated" "error"
	local clash
	clash=$(dk inspect -f '{{.Id}}' clash)
	assert_empty "$(net_links | grep "^vb${clash:0:10}")" "veth of the failed start"
	assert_file_absent "$D_EXEC/netns/$clash" "netns of the failed start"
	run_ok dk rm clash
	# A port another program holds.
	local px
	px=$(free_port)
	"$PYTHON" -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(60)' "$px" &
	BG_PIDS+=($!)
	wait_for 5 "the listener on $px" bash -c "ss -ltn | grep -q ':$px '"
	run dk run -d --name clash2 -p "127.0.0.1:$px:80" bb sleep 100
	assert_ne 0 "$RC" "run with a port another program holds"
	assert_contains "$ERR" "Bind for 127.0.0.1:$px failed: port is already allocated" "error"
	run_ok dk rm clash2
	# -P with exposed ports gets ephemeral host ports; udp too.
	run_ok dk run -d --name pub --expose 80 --expose 81/udp -P bb httpd -f -p 80 -h /etc
	run_ok dk port pub 80/tcp
	p3=${OUT##*:}
	assert_match "$p3" '^[0-9]+$' "ephemeral port"
	wait_for 5 "httpd on :$p3" curl -sf "http://127.0.0.1:$p3/hostname"
	run_ok dk port pub 81/udp
	assert_match "$OUT" '^0\.0\.0\.0:[0-9]+$' "udp port"
	# A host port range: the first free one is taken.
	local lo=$((p1 + 0))
	run_ok dk run -d --name rng -p "127.0.0.1:$lo-$((lo + 1)):80" bb httpd -f -p 80 -h /etc
	run_ok dk port rng 80
	assert_eq "127.0.0.1:$((lo + 1))" "$OUT" "port from the range"
	# The rules go with the container.
	run_ok dk stop -t 1 web
	run_ok nft list table ip "$NET_TABLE"
	assert_not_contains "$OUT" "dport $p2 " "rule of the stopped container"
	run_fails curl -sf --max-time 2 "http://127.0.0.1:$p1/hostname"
	run_ok dk rm -f web pub rng
	stop_daemon
	net_assert_clean "$web"
}

test_network_connect_disconnect() {
	net_daemon 40
	run_ok dk network create --subnet 10.${NB}.41.0/24 -o "com.docker.network.bridge.name=${NET_TAG}u1" n1
	run_ok dk network create --subnet 10.${NB}.42.0/24 --ip-range 10.${NB}.42.128/25 \
		-o "com.docker.network.bridge.name=${NET_TAG}u2" n2
	run_ok dk run -d --name ca --network n1 --dns 127.0.0.1 bb sleep 100
	local a=$OUT
	run_ok dk run -d --name cb --network n2 --dns 127.0.0.1 bb sleep 100
	local ipb
	ipb=$(ip_of cb n2)
	assert_match "$ipb" '^10\.'"$NB"'\.42\.(12[89]|1[3-9][0-9]|2[0-9][0-9])$' "address from the ip-range"
	run_fails dk exec ca ping -c 1 -W 1 "$ipb"
	# Live connect with --ip and --alias.
	run_ok dk network connect --ip 10.${NB}.42.200 --alias ali n2 ca
	run_ok dk exec ca ip -4 addr show eth1
	assert_contains "$OUT" "10.${NB}.42.200/24" "eth1 after connect"
	run_ok dk exec ca ping -c 1 -W 2 "$ipb"
	run_ok dk exec cb nslookup ali 127.0.0.11
	assert_contains "$OUT" "10.${NB}.42.200" "alias on n2"
	run_ok dk inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}' ca
	assert_eq "n1=$(ip_of ca n1) n2=10.${NB}.42.200 " "$OUT" "networks of a"
	# The address is taken.
	run dk network connect --ip 10.${NB}.42.200 n2 "$(dk run -d --network n1 --dns 127.0.0.1 bb sleep 100)"
	assert_ne 0 "$RC" "second connect with the same --ip"
	assert_contains "$ERR" "Address already in use" "error"
	# Disconnect: eth1 goes, the address comes back.
	run_ok dk network disconnect n2 ca
	run_fails dk exec ca ip link show eth1
	run_fails dk exec ca ping -c 1 -W 1 "$ipb"
	run_ok dk run -d --name cc --network n2 --ip 10.${NB}.42.200 --dns 127.0.0.1 bb sleep 100
	assert_eq 10.${NB}.42.200 "$(ip_of cc n2)" "address reused after disconnect"
	run_fails dk network disconnect n2 ca
	assert_contains "$ERR" "is not connected to network n2" "disconnect twice"
	# Connect a stopped container: it joins at start.
	run_ok dk stop -t 1 ca
	run_ok dk network connect n2 ca
	run_ok dk start ca
	run_ok dk exec ca ping -c 1 -W 2 "$ipb"
	run_ok dk events --since 0 --until "$(($(date +%s) + 1))" --filter type=network --format '{{.Action}}'
	assert_contains "$(echo $OUT)" "create create connect connect connect" "network events"
	assert_contains "$OUT" "disconnect" "disconnect event"
	run_ok dk rm -f $(dk ps -aq)
	run_ok dk network rm n1 n2
	run_ok dk events --since 0 --until "$(($(date +%s) + 1))" --filter type=network --filter event=destroy --format '{{.Actor.Attributes.name}}'
	assert_eq "n1 n2" "$(echo $OUT)" "destroy events"
	stop_daemon
	net_assert_clean "$a"
}

test_network_internal() {
	net_daemon 50
	run_ok dk network create --internal --subnet 10.${NB}.51.0/24 -o "com.docker.network.bridge.name=${NET_TAG}u1" inner
	run_ok dk run -d --name i1 --network inner --dns 127.0.0.1 bb sleep 100
	run_ok dk run -d --name i2 --network inner --dns 127.0.0.1 bb sleep 100
	run_ok dk run -d --name out bb sleep 100
	run_ok dk exec i1 ping -c 1 -W 2 i2
	run_ok dk exec i1 ip route
	assert_not_contains "$OUT" default "routes on an internal network"
	run_fails dk exec i1 ping -c 1 -W 1 "$(ip_of out bridge)"
	run_fails dk exec out ping -c 1 -W 1 "$(ip_of i1 inner)"
	run_ok nft list table ip "$NET_TABLE"
	assert_contains "$OUT" "iifname \"${NET_TAG}u1\" oifname != \"${NET_TAG}u1\" drop" "internal rule"
	assert_not_contains "$OUT" "ip saddr 10.${NB}.51.0/24 oifname != \"${NET_TAG}u1\" masquerade" "no masquerade"
	run_ok dk network inspect -f '{{.Internal}}' inner
	assert_eq true "$OUT" "Internal"
	run_ok dk rm -f i1 i2 out
}

# $1: TERM or KILL.
net_restart() {
	net_daemon "$2"
	local oct=$(($2 + 1)) port
	port=$(free_port)
	run_ok dk network create --subnet "10.${NB}.$oct.0/24" -o "com.docker.network.bridge.name=${NET_TAG}u1" n1
	run_ok dk run -d --name web --network n1 --dns 127.0.0.1 -p "127.0.0.1:$port:80" bb httpd -f -p 80 -h /etc
	local web=$OUT
	run_ok dk run -d --name cli --network n1 --dns 127.0.0.1 bb sleep 100
	local cli=$OUT
	# brief ends when told to, while berthd is down.
	mkdir -p "$TEST_TMP/sig"
	run_ok dk run -d --name brief --network n1 --dns 127.0.0.1 -p "127.0.0.1:$((port + 1)):80" \
		-v "$TEST_TMP/sig:/sig" bb sh -c 'until [ -e /sig/go ]; do sleep 0.1; done'
	local brief=$OUT ipweb ipcli ipdef
	run_ok dk run -d --name def bb sleep 100
	local def=$OUT
	ipdef=$(ip_of def bridge)
	ipweb=$(ip_of web n1)
	ipcli=$(ip_of cli n1)
	wait_for 5 "httpd" curl -sf "http://127.0.0.1:$port/hostname"
	if [[ $1 == KILL ]]; then
		kill -9 "$D_PID"
		wait "$D_PID" 2>/dev/null
		forget_pid "$D_PID"
	else
		stop_daemon
	fi
	# brief ends while berthd is down; its rule must not survive the restart.
	touch "$TEST_TMP/sig/go"
	wait_for 20 "brief to exit" test -e "$D_DATA/containers/$brief/exit.json"
	net_restart_daemon
	wait_for 10 "brief's exit to be recorded" bash -c "[[ \$(docker -H '$D_HOST' inspect -f '{{.State.Status}}' brief) == exited ]]"
	assert_eq "$ipweb" "$(ip_of web n1)" "web's address after the restart"
	assert_eq "$ipcli" "$(ip_of cli n1)" "cli's address after the restart"
	assert_eq "$ipdef" "$(ip_of def bridge)" "def's address on the default bridge after the restart"
	run_ok dk exec def ping -c 1 -W 2 "10.${NB}.$2.1"
	assert_eq "${web:0:12}" "$(curl -sf "http://127.0.0.1:$port/hostname")" "published port after the restart"
	run_ok dk exec cli timeout 3 wget -qO- http://web/hostname
	assert_eq "${web:0:12}" "$OUT" "DNS after the restart"
	run_ok nft list table ip "$NET_TABLE"
	assert_contains "$OUT" "dport $port dnat to $ipweb:80" "web's rule rebuilt"
	assert_not_contains "$OUT" "dport $((port + 1)) " "brief's rule"
	assert_empty "$(net_links | grep "^vb${brief:0:10}")" "brief's veth"
	# A new container gets a new address.
	run_ok dk run -d --name new --network n1 --dns 127.0.0.1 bb sleep 100
	local ipnew
	ipnew=$(ip_of new n1)
	[[ $ipnew != "$ipweb" && $ipnew != "$ipcli" ]] || fail "address $ipnew handed out twice"
	run_ok dk rm -f web cli brief new def
	run_ok dk network rm n1
	stop_daemon
	net_assert_clean "$web" "$cli" "$brief" "$def"
}

test_network_restart_term() { net_restart TERM 60; }
test_network_restart_kill9() { net_restart KILL 62; }

# all_tasks_traced PID: every thread of PID has a tracer (strace attached).
all_tasks_traced() {
	local f
	for f in /proc/"$1"/task/*/status; do
		grep -q '^TracerPid:[[:space:]]*[1-9]' "$f" || return 1
	done
}

# kill -9 of berthd while it saves a new network (strace sends SIGKILL at its
# first rename, the state file's): found by tests/stress/kill9-churn.sh. The
# bridge used to be made before the file was saved, and stayed on the host
# with no network for it; its name then refused every later create.
test_network_kill9_mid_create() {
	command -v strace >/dev/null || fail "strace is not installed (scripts/install-deps.sh)"
	net_daemon 100
	local br=${NET_TAG}k strace_pid
	strace -f -qq -o /dev/null -p "$D_PID" -e trace=rename,renameat,renameat2 \
		-e inject=rename,renameat,renameat2:signal=KILL:when=1 &
	strace_pid=$!
	BG_PIDS+=("$strace_pid")
	wait_for 20 "strace to attach to every thread" all_tasks_traced "$D_PID"
	run_fails dk network create --subnet "10.${NB}.101.0/24" -o "com.docker.network.bridge.name=$br" nk
	wait_exit "$D_PID" 20 || fail "berthd survived strace's SIGKILL"
	forget_pid "$D_PID"
	wait "$strace_pid" 2>/dev/null
	net_restart_daemon
	# Either the network is there with its bridge, or neither is.
	if dk network inspect nk >/dev/null 2>&1; then
		net_links | grep -qx "$br" || fail "network nk came back without its bridge $br"
	else
		assert_empty "$(net_links | grep -x "$br")" "bridge of a network that does not exist"
	fi
	assert_empty "$(ls -A "$D_DATA/network" | grep -F .tmp-)" "temporary files in the network store"
	run dk network rm nk
	run_ok dk network create --subnet "10.${NB}.101.0/24" -o "com.docker.network.bridge.name=$br" nk
	run_ok dk network rm nk
	assert_empty "$(net_links | grep -x "$br")" "bridge after network rm"
}

# main_thread_traced PID: PID's main thread has a tracer (strace -p without -f).
main_thread_traced() { grep -q '^TracerPid:[[:space:]]*[1-9]' "/proc/$1/status"; }

# kill -9 of berthd after the shim started a container but before berthd
# saved it as running (strace sends SIGKILL at the loop thread's second
# rename: the sandbox's file, then config.v2.json): found by
# tests/stress/kill9-images-swarm.sh on swarm tasks. The restart took the
# container for stopped and removed its network under the live process,
# then re-attached to it as running, with no start time ("Up 56 years").
test_network_kill9_before_running_saved() {
	command -v strace >/dev/null || fail "strace is not installed (scripts/install-deps.sh)"
	net_daemon 102
	run_ok dk create --name kr bb sleep 300
	local id=$OUT strace_pid
	strace -qq -o /dev/null -p "$D_PID" -e trace=rename,renameat,renameat2 \
		-e inject=rename,renameat,renameat2:signal=KILL:when=2 &
	strace_pid=$!
	BG_PIDS+=("$strace_pid")
	wait_for 20 "strace to attach" main_thread_traced "$D_PID"
	run_fails dk start kr
	wait_exit "$D_PID" 20 || fail "berthd survived strace's SIGKILL"
	forget_pid "$D_PID"
	wait "$strace_pid" 2>/dev/null
	# The window: the container runs, the disk says it does not.
	assert_eq false "$(json_get "$(cat "$D_DATA/containers/$id/config.v2.json")" 'j["State"]["Running"]')" \
		"the saved state"
	run_ok runc --root "$D_EXEC/runc" state "$id"
	assert_contains "$OUT" '"status": "running"' "runc state"
	net_restart_daemon
	wait_for 20 "kr to be adopted as running" \
		bash -c "[[ \$(docker -H '$D_HOST' inspect -f '{{.State.Status}}' kr) == running ]]"
	run_ok dk inspect -f '{{.State.StartedAt}} {{.NetworkSettings.IPAddress}}' kr
	local started ip
	read -r started ip <<<"$OUT"
	assert_not_contains "$started" "0001-01-01" "StartedAt"
	assert_match "$ip" "^10\.${NB}\.102\.[0-9]+$" "the address"
	assert_contains "$(ip -o link show master "$NET_BR")" "vb${id:0:10}" "the veth on $NET_BR"
	run_ok dk exec kr ip -4 -o addr show eth0
	assert_contains "$OUT" "$ip/24" "eth0 in the container"
	run_ok dk rm -f kr
	assert_empty "$(ip -o link show master "$NET_BR")" "interfaces on $NET_BR after rm"
}

test_network_bad_input() {
	net_daemon 70
	run_ok dk network create --subnet 10.${NB}.71.0/24 -o "com.docker.network.bridge.name=${NET_TAG}u1" n1
	local before
	before=$(ls "$D_DATA/network" | wc -l)
	run_fails dk network create --subnet 10.${NB}.71.128/25 -o "com.docker.network.bridge.name=${NET_TAG}u2" n2
	assert_contains "$ERR" "Pool overlaps with other one on this address space" "overlap"
	run_fails dk network create --subnet 10.${NB}.70.0/24 n3
	assert_contains "$ERR" "Pool overlaps" "overlap with the default bridge"
	run_fails dk network create --subnet 10.${NB}.300.0/24 n4
	assert_contains "$ERR" "invalid CIDR address: 10.${NB}.300.0/24" "invalid CIDR"
	run_fails dk network create --subnet 10.${NB}.72.0/24 --gateway 10.${NB}.73.1 n5
	assert_match "$ERR" "no matching subnet for gateway|is not within subnet" "gateway outside"
	run_fails dk network create --subnet 10.${NB}.72.0/24 n1
	assert_contains "$ERR" "network with name n1 already exists" "duplicate name"
	run_fails dk network create --subnet 10.${NB}.72.0/24 -o "com.docker.network.bridge.name=${NET_TAG}u1" n6
	assert_contains "$ERR" "already used by network n1" "bridge name in use"
	run_fails dk network create -o "com.docker.network.bridge.name=thisnameistoolong" n7
	assert_contains "$ERR" "invalid bridge name" "long bridge name"
	assert_eq "$before" "$(ls "$D_DATA/network" | wc -l)" "network files after the failures"
	assert_empty "$(net_links | grep "^${NET_TAG}u2")" "bridge of a failed create"
	run_ok dk network ls --format '{{.Name}}'
	assert_eq "bridge host n1 none" "$(echo $OUT)" "networks"
	# In use.
	run_ok dk run -d --name cc --network n1 --dns 127.0.0.1 bb sleep 100
	run_fails dk network rm n1
	assert_contains "$ERR" "has active endpoints" "rm in use"
	run_fails dk network rm bridge
	assert_contains "$ERR" "pre-defined network and cannot be removed" "rm bridge"
	run_fails dk run --rm --network nosuchnet bb true
	assert_contains "$ERR" "network nosuchnet not found" "unknown network"
	run_fails dk run --rm --network n1 --ip 10.${NB}.99.5 bb true
	assert_contains "$ERR" "10.${NB}.99.5" "--ip outside the subnet"
	run_fails dk run --rm --ip 10.${NB}.70.9 bb true
	assert_contains "$ERR" "user specified IP address is supported on user defined networks only" "--ip on bridge"
	run_fails dk network connect nosuchnet cc
	assert_contains "$ERR" "not found" "connect to an unknown network"
	run_fails dk network connect n1 cc
	assert_contains "$ERR" "already exists in network n1" "connect twice"
	# HTTP statuses of the API.
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$D_SOCK" -X POST \
		-H 'Content-Type: application/json' -d '{"Name":"x1","IPAM":{"Config":[{"Subnet":"bad"}]}}' \
		http://localhost/v1.41/networks/create)
	assert_eq 400 "$code" "status of an invalid subnet"
	code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$D_SOCK" -X POST \
		-H 'Content-Type: application/json' -d '{"Name":"n1","CheckDuplicate":true}' http://localhost/v1.41/networks/create)
	assert_eq 409 "$code" "status of a duplicate name"
	code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$D_SOCK" -X DELETE http://localhost/v1.41/networks/n1)
	assert_eq 403 "$code" "status of rm in use"
	code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$D_SOCK" http://localhost/v1.41/networks/nosuch)
	assert_eq 404 "$code" "status of an unknown network"
	run_ok dk rm -f cc
	run_ok dk network rm n1
}

test_network_ls_prune() {
	net_daemon 80
	run_ok dk network create --subnet 10.${NB}.81.0/24 -o "com.docker.network.bridge.name=${NET_TAG}u1" --label keep=yes k1
	run_ok dk network create --subnet 10.${NB}.82.0/24 -o "com.docker.network.bridge.name=${NET_TAG}u2" p1
	run_ok dk network create --subnet 10.${NB}.83.0/24 -o "com.docker.network.bridge.name=${NET_TAG}u3" used
	run_ok dk network ls --filter type=custom --format '{{.Name}}'
	assert_eq "k1 p1 used" "$(echo $OUT | tr ' ' '\n' | sort | xargs)" "custom networks"
	run_ok dk network ls --filter label=keep=yes -q
	assert_eq 1 "$(echo "$OUT" | wc -l)" "label filter"
	run_ok dk network ls --filter driver=null --format '{{.Name}}'
	assert_eq none "$OUT" "driver filter"
	run_ok dk run -d --name cc --network used --dns 127.0.0.1 bb sleep 100
	# until: only networks created before it go (these are all newer).
	run_ok dk network prune -f --filter until=1h
	assert_empty "$OUT" "a prune until an hour ago"
	run dk network prune -f --filter until=soon
	assert_eq 1 "$RC" "a prune with a bad until"
	assert_contains "$ERR" "invalid filter 'until=soon'" "a prune with a bad until"
	run_ok dk network prune -f --filter label!=keep=yes --filter until=$(($(date +%s) + 60))
	assert_contains "$OUT" p1 "pruned"
	assert_not_contains "$OUT" k1 "kept by label"
	assert_not_contains "$OUT" used "kept: in use"
	run_ok dk network ls --format '{{.Name}}'
	assert_eq "bridge host k1 none used" "$(echo $OUT | tr ' ' '\n' | sort | xargs)" "after prune"
	assert_empty "$(net_links | grep "^${NET_TAG}u2")" "pruned bridge"
	run_ok dk rm -f cc
	run_ok berth -H "$D_HOST" network prune -f
	run_ok dk network ls --filter type=custom -q
	assert_empty "$OUT" "custom networks after the second prune"
}

test_network_berth_cli() {
	net_daemon 90
	local B=(berth -H "$D_HOST") port
	port=$(free_port)
	run_ok "${B[@]}" network create --subnet 10.${NB}.91.0/24 -o "com.docker.network.bridge.name=${NET_TAG}u1" bn
	run_ok "${B[@]}" run -d --name web --network bn --network-alias www --ip 10.${NB}.91.50 \
		--dns 127.0.0.1 -p "127.0.0.1:$port:80" bb httpd -f -p 80 -h /etc
	local web=$OUT
	wait_for 5 "httpd" curl -sf "http://127.0.0.1:$port/hostname"
	run_ok "${B[@]}" port web
	assert_eq "80/tcp -> 127.0.0.1:$port" "$OUT" "berth port"
	run_ok "${B[@]}" port web 80
	assert_eq "127.0.0.1:$port" "$OUT" "berth port web 80"
	run_ok "${B[@]}" ps --format '{{.Ports}}'
	assert_eq "127.0.0.1:$port->80/tcp" "$OUT" "berth ps Ports"
	run_ok "${B[@]}" run --rm --network bn --dns 127.0.0.1 bb wget -qO- http://www/hostname
	assert_eq "${web:0:12}" "$OUT" "by alias"
	run_ok "${B[@]}" run -d --name other bb sleep 100
	run_ok "${B[@]}" network connect --alias second bn other
	run_ok "${B[@]}" exec other ping -c 1 -W 2 10.${NB}.91.50
	run_ok "${B[@]}" network disconnect bn other
	run_fails "${B[@]}" exec other ping -c 1 -W 1 10.${NB}.91.50
	run_fails "${B[@]}" network rm bn
	assert_contains "$ERR" "has active endpoints" "rm in use"
	run_ok "${B[@]}" rm -f web other
	run_ok "${B[@]}" network rm bn
	assert_eq bn "$OUT" "network rm prints the name"
}

# Subnets from --default-address-pool, skipping what the host routes;
# --fixed-cidr on the default bridge.
test_network_pools() {
	net_block
	NET_TAG=$(printf 'bt%04x' $(($$ % 65536)))
	NET_BR=${NET_TAG}0
	ct_rootfs_tar
	add_cleanup "net_force_cleanup '$NET_TAG'"
	# A route of the host's inside the pool, on a link of the test.
	ip link add "${NET_TAG}d" type bridge || fail "cannot make a test link"
	ip addr add 10.${NB}.97.1/24 dev "${NET_TAG}d"
	ip link set "${NET_TAG}d" up
	NET_ARGS=(-b "$NET_BR" --default-address-pool base=10.${NB}.96.0/22,size=24
		--fixed-cidr 10.${NB}.96.64/26)
	start_daemon "${NET_ARGS[@]}"
	NET_TABLE=$(sed -n 's/.*nftables table \(berth[a-z0-9_]*\).*/\1/p' "$D_LOG" | head -n 1)
	add_cleanup "nft delete table ip '$NET_TABLE' 2>/dev/null; true"
	add_cleanup "ct_force_cleanup '$TEST_TMP' '$D_EXEC'"
	run_ok dk import "$CT_TAR" bb:latest
	run_ok dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' bridge
	assert_eq "10.${NB}.96.0/24 10.${NB}.96.1" "$OUT" "default bridge from the pool"
	run_ok dk run --rm bb ip -4 addr show eth0
	assert_contains "$OUT" "inet 10.${NB}.96.64/24" "address from --fixed-cidr"
	run_ok dk network create -o "com.docker.network.bridge.name=${NET_TAG}u1" p1
	run_ok dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' p1
	assert_eq "10.${NB}.98.0/24" "$OUT" "skips the host's 10.${NB}.97.0/24"
	run_ok dk network create -o "com.docker.network.bridge.name=${NET_TAG}u2" p2
	run_ok dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' p2
	assert_eq "10.${NB}.99.0/24" "$OUT" "next subnet"
	run_fails dk network create -o "com.docker.network.bridge.name=${NET_TAG}u3" p3
	assert_contains "$ERR" "could not find an available, non-overlapping IPv4 address pool" "pool exhausted"
	run_ok dk network rm p1 p2
	# Restart: the default bridge keeps its subnet.
	stop_daemon
	net_restart_daemon
	run_ok dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' bridge
	assert_eq "10.${NB}.96.0/24" "$OUT" "default bridge after a restart"
}

# The networking settings from daemon.json.
test_network_daemon_json() {
	net_block
	NET_TAG=$(printf 'bt%04x' $(($$ % 65536)))
	NET_BR=${NET_TAG}0
	ct_rootfs_tar
	add_cleanup "net_force_cleanup '$NET_TAG'"
	new_daemon_dir d1
	cat >"$D_CFG" <<JSON
{"bridge": "$NET_BR", "bip": "10.${NB}.110.1/24", "iptables": true,
 "default-address-pools": [{"base": "10.${NB}.112.0/22", "size": 24}]}
JSON
	NET_ARGS=()
	start_daemon
	NET_TABLE=$(sed -n 's/.*nftables table \(berth[a-z0-9_]*\).*/\1/p' "$D_LOG" | head -n 1)
	add_cleanup "nft delete table ip '$NET_TABLE' 2>/dev/null; true"
	add_cleanup "ct_force_cleanup '$TEST_TMP' '$D_EXEC'"
	assert_contains "$(cat "$D_LOG")" "default bridge $NET_BR" "bridge from daemon.json"
	run_ok dk import "$CT_TAR" bb:latest
	run_ok dk run --rm bb ip -4 addr show eth0
	assert_contains "$OUT" "inet 10.${NB}.110.2/24" "address from bip"
	run_ok dk network create -o "com.docker.network.bridge.name=${NET_TAG}u1" p1
	run_ok dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' p1
	assert_eq "10.${NB}.112.0/24" "$OUT" "subnet from default-address-pools"
	run_ok dk network rm p1
	# A bad pool is refused at start.
	stop_daemon
	echo '{"default-address-pools": [{"base": "10.'"$NB"'.112.0/22", "size": 20}]}' >"$D_CFG"
	launch_daemon --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG"
	wait_exit "$D_PID" 20 || fail "berthd kept running with a bad pool"
	forget_pid "$D_PID"
	assert_ne 0 "$EXIT_RC" "exit code with a bad pool"
	assert_contains "$(cat "$D_LOG")" "invalid default address pool" "message"
}
