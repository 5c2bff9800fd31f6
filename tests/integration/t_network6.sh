# IPv6 dual stack on bridge networks (issue 11), driven by the docker CLI:
# network create --ipv6 with a v4 and a v6 subnet, addresses and routes in
# containers, --ip6 on run and connect, the embedded DNS's AAAA answers,
# published ports on ::, NAT66 off by default, a kill -9 restart, and
# nothing left behind. Uses t_network.sh's net_daemon (bridge names, the
# 10.NB block); IPv6 subnets are 2001:db8:NB:x::/64 of the same locked block,
# so parallel runs never share one. Traffic stays between the test's
# containers, its bridges and the host's own addresses.

# net6_daemon OCTET: net_daemon plus the cleanup of the ip6 table.
net6_daemon() {
	net_daemon "$@"
	[[ -n $NET_TABLE ]] && add_cleanup "nft delete table ip6 '$NET_TABLE' 2>/dev/null; true"
	P6="2001:db8:${NB}"
}

# Nothing of the IPv6 side is left either.
net6_assert_clean() {
	net_assert_clean "$@"
	nft list table ip6 "$NET_TABLE" >/dev/null 2>&1 && fail "nftables table ip6 $NET_TABLE is still there"
	assert_empty "$(ip -6 -o addr show | grep "$P6:")" "addresses of the test's IPv6 subnets"
	assert_empty "$(ip -6 route show | grep "$P6:")" "routes of the test's IPv6 subnets"
	return 0
}

ep6() { dk inspect -f "{{(index .NetworkSettings.Networks \"$2\").$3}}" "$1"; }

test_network_ipv6_dual_stack() {
	net6_daemon 70
	local br=${NET_TAG}v6
	run_ok dk network create --ipv6 --subnet "10.${NB}.71.0/24" --subnet "$P6:71::/64" \
		-o "com.docker.network.bridge.name=$br" n6
	run_ok dk network inspect -f '{{.EnableIPv6}}' n6
	assert_eq "true" "$OUT" "EnableIPv6"
	run_ok dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}};{{end}}' n6
	assert_eq "10.${NB}.71.0/24 10.${NB}.71.1;$P6:71::/64 $P6:71::1;" "$OUT" "both IPAM configs"
	run_ok dk network ls --filter name=n6 --format '{{.Name}} {{.IPv6}}'
	assert_eq "n6 true" "$OUT" "network ls IPv6 column"
	run_ok ip -6 addr show dev "$br"
	assert_contains "$OUT" "$P6:71::1/64" "the bridge's IPv6 gateway address"

	run_ok dk run -d --name ca --network n6 --dns 127.0.0.1 bb httpd -f -p 80 -h /etc
	local a=$OUT
	run_ok dk run -d --name cb --network n6 --dns 127.0.0.1 --ip6 "$P6:71::99" bb sleep 100
	local b=$OUT
	assert_eq "$P6:71::2" "$(ep6 ca n6 GlobalIPv6Address)" "a's IPv6 address (lowest free)"
	assert_eq "64" "$(ep6 ca n6 GlobalIPv6PrefixLen)" "GlobalIPv6PrefixLen"
	assert_eq "$P6:71::1" "$(ep6 ca n6 IPv6Gateway)" "IPv6Gateway"
	assert_eq "10.${NB}.71.2" "$(ep6 ca n6 IPAddress)" "a's IPv4 address"
	assert_eq "$P6:71::99" "$(ep6 cb n6 GlobalIPv6Address)" "b's --ip6 address"
	assert_eq "$P6:71::99" "$(ep6 cb n6 IPAMConfig.IPv6Address)" "IPAMConfig.IPv6Address"
	run_ok dk inspect -f '{{json (index .NetworkSettings.Networks "n6").IPAMConfig}}' ca
	assert_eq "null" "$OUT" "no IPAMConfig when nothing was asked for"
	run_ok dk network inspect -f "{{(index .Containers \"$a\").IPv6Address}}" n6
	assert_eq "$P6:71::2/64" "$OUT" "network inspect Containers IPv6Address"

	# Inside: the address, the default route via the gateway.
	run_ok dk exec ca ip -6 addr show eth0
	assert_contains "$OUT" "inet6 $P6:71::2/64" "eth0's IPv6 address"
	run_ok dk exec ca ip -6 route
	assert_contains "$OUT" "default via $P6:71::1 dev eth0" "IPv6 default route"
	run_ok dk exec cb cat /etc/hosts
	assert_contains "$OUT" "$P6:71::99" "/etc/hosts has the IPv6 address"

	# Between the containers over IPv6, and to the gateway.
	run_ok dk exec cb ping -6 -c 1 -W 3 "$P6:71::2"
	run_ok dk exec cb ping -6 -c 1 -W 3 "$P6:71::1"
	run_ok dk exec cb timeout 5 wget -qO- "http://[$P6:71::2]:80/hostname"
	assert_eq "${a:0:12}" "$OUT" "wget over IPv6"
	# From the host to a container's IPv6 address (on-link through the bridge).
	run_ok curl -sf --max-time 5 -g "http://[$P6:71::2]:80/hostname"
	assert_eq "${a:0:12}" "$OUT" "host -> container over IPv6"

	# The embedded DNS answers AAAA with the IPv6 address, A with the IPv4.
	run_ok dk exec cb nslookup -type=AAAA ca 127.0.0.11
	assert_contains "$OUT" "$P6:71::2" "AAAA answer"
	run_ok dk exec cb nslookup -type=A ca 127.0.0.11
	assert_contains "$OUT" "10.${NB}.71.2" "A answer"
	run_ok dk exec cb timeout 5 wget -qO- "http://ca:80/hostname"
	assert_eq "${a:0:12}" "$OUT" "wget by name"

	# connect --ip6 to a second dual-stack network; disconnect.
	run_ok dk network create --ipv6 --subnet "10.${NB}.72.0/24" --subnet "$P6:72::/64" \
		-o "com.docker.network.bridge.name=${NET_TAG}v7" n7
	run_ok dk network connect --ip6 "$P6:72::7" n7 cb
	assert_eq "$P6:72::7" "$(ep6 cb n7 GlobalIPv6Address)" "connect --ip6"
	assert_eq "$P6:72::7" "$(ep6 cb n7 IPAMConfig.IPv6Address)" "connect --ip6 IPAMConfig"
	run_ok dk exec cb ip -6 addr show eth1
	assert_contains "$OUT" "inet6 $P6:72::7/64" "eth1's IPv6 address"
	run_ok dk exec cb ip -6 route
	assert_contains "$OUT" "default via $P6:71::1 dev eth0" "one IPv6 default route, the first network's"
	assert_not_contains "$OUT" "default via $P6:72::1" "no second default route"
	# Isolation: a's network and n7 do not reach each other over IPv6.
	run_ok dk run -d --name cc --network n7 bb sleep 100
	run_fails dk exec cc ping -6 -c 1 -W 1 "$P6:71::2"
	run_ok dk network disconnect n7 cb
	run dk exec cb ip -6 addr show eth1
	assert_ne 0 "$RC" "eth1 gone after disconnect"
	# The address is free again.
	run_ok dk network connect n7 cb
	assert_eq "$P6:72::3" "$(ep6 cb n7 GlobalIPv6Address)" "next free address after c's ::2"

	# NAT66 is off by default; the option turns it on.
	run_ok nft list table ip6 "$NET_TABLE"
	assert_not_contains "$OUT" "ip6 saddr $P6:71::/64 oifname != \"$br\" masquerade" "no NAT66"
	assert_contains "$OUT" "iifname \"$br\" oifname" "IPv6 isolation rules"

	run_ok dk rm -f ca cb cc
	run_ok dk network rm n6 n7
	run dk network inspect n6
	assert_ne 0 "$RC" "n6 gone"
	assert_empty "$(net_links | grep "^$br")" "the bridge of n6"
	stop_daemon
	net6_assert_clean "$a" "$b"
}

test_network_ipv6_ports() {
	net6_daemon 73
	local br=${NET_TAG}v6 p1 p2
	run_ok dk network create --ipv6 --subnet "10.${NB}.74.0/24" --subnet "$P6:74::/64" \
		-o "com.docker.network.bridge.name=$br" \
		-o com.docker.network.bridge.gateway_mode_ipv6=nat n6
	p1=$(free_port)
	p2=$(free_port)
	run_ok dk run -d --name web --network n6 -p "$p1:80" -p "[::1]:$p2:80" bb httpd -f -p 80 -h /etc
	local web=$OUT
	run_ok dk port web 80/tcp
	assert_contains "$OUT" "0.0.0.0:$p1" "IPv4 binding"
	assert_contains "$OUT" "[::]:$p1" "IPv6 binding on the same port"
	assert_contains "$OUT" "[::1]:$p2" "::1 binding"
	# Through the host's IPv6 addresses: the bridge's, and a global one if the
	# host has one (both local, so the output hook DNATs them). ::1 cannot be
	# forwarded to a container (no route_localnet for IPv6; dockerd needs its
	# userland proxy for it): it is held and listed, as dockerd without the
	# proxy does.
	wait_for 5 "httpd over the bridge's IPv6 address" curl -sf --max-time 2 -g "http://[$P6:74::1]:$p1/hostname"
	assert_eq "${web:0:12}" "$(curl -sf --max-time 5 -g "http://[$P6:74::1]:$p1/hostname")" "curl [gateway] -> :: binding"
	local host6
	host6=$(ip -6 -o addr show scope global | grep -v "$P6:" | awk '{print $4}' | cut -d/ -f1 | head -n 1)
	if [[ -n $host6 ]]; then
		assert_eq "${web:0:12}" "$(curl -sf --max-time 5 -g "http://[$host6]:$p1/hostname")" "curl [$host6] -> :: binding"
	fi
	assert_eq "${web:0:12}" "$(curl -sf --max-time 5 "http://127.0.0.1:$p1/hostname")" "curl IPv4 still"
	run_fails curl -sf --max-time 2 "http://127.0.0.1:$p2/hostname"
	run_fails curl -sf --max-time 2 -g "http://[$P6:74::1]:$p2/hostname"
	# A sibling reaches the published port through the bridge's IPv6 address.
	run_ok dk run --rm --network n6 bb timeout 5 wget -qO- "http://[$P6:74::1]:$p1/hostname"
	assert_eq "${web:0:12}" "$OUT" "container -> host IPv6 address -> container"
	run_ok nft list table ip6 "$NET_TABLE"
	assert_contains "$OUT" "dnat to [$P6:74::2]:80" "IPv6 DNAT rule"
	assert_contains "$OUT" "ip6 saddr $P6:74::/64 oifname != \"$br\" masquerade" "NAT66 with gateway_mode_ipv6=nat"

	# kill -9 and a restart: the rules and ports come back from the state.
	kill -9 "$D_PID"
	wait "$D_PID" 2>/dev/null
	forget_pid "$D_PID"
	net_restart_daemon
	run_ok nft list table ip6 "$NET_TABLE"
	assert_contains "$OUT" "dnat to [$P6:74::2]:80" "IPv6 DNAT rule after kill -9"
	wait_for 5 "httpd over IPv6 after restart" curl -sf --max-time 2 -g "http://[$P6:74::1]:$p1/hostname"
	assert_eq "$P6:74::2" "$(ep6 web n6 GlobalIPv6Address)" "the address after kill -9"
	# The address stays taken across the restart.
	run_ok dk run -d --name second --network n6 bb sleep 100
	assert_eq "$P6:74::3" "$(ep6 second n6 GlobalIPv6Address)" "next address after a restart"
	run_ok dk stop -t 1 web
	run_ok nft list table ip6 "$NET_TABLE"
	assert_not_contains "$OUT" "dport $p1 " "rule of the stopped container"
	run_ok dk rm -f web second
	run_ok dk network rm n6
	stop_daemon
	net6_assert_clean "$web"
}

test_network_ipv6_bad_input() {
	net6_daemon 76
	run_ok dk network create --ipv6 --subnet "$P6:76::/64" -o "com.docker.network.bridge.name=${NET_TAG}v1" n1
	run dk network create --ipv6 --subnet "$P6:76::/80" -o "com.docker.network.bridge.name=${NET_TAG}v2" n2
	assert_ne 0 "$RC" "overlapping IPv6 subnet"
	assert_contains "$ERR" "Pool overlaps with other one on this address space" "overlap"
	run dk network create --ipv6 --subnet "$P6:77::1/64" n2
	assert_ne 0 "$RC" "host bits"
	assert_contains "$ERR" "invalid subnet $P6:77::1/64: it should be $P6:77::/64" "host bits"
	run dk network create --ipv6 --subnet "$P6:77::/129" n2
	assert_ne 0 "$RC" "bad prefix"
	# The CLI pairs gateways and ranges with subnets; the API checks them too.
	local st
	API_BODY=$TEST_TMP/api.body
	st=$(api_status POST /networks/create -H 'Content-Type: application/json' \
		-d "{\"Name\":\"n2\",\"EnableIPv6\":true,\"IPAM\":{\"Config\":[{\"Subnet\":\"$P6:78::/64\",\"Gateway\":\"$P6:79::1\"}]}}")
	assert_eq 400 "$st" "gateway outside the subnet"
	assert_contains "$(cat "$API_BODY")" "invalid gateway $P6:79::1: parent subnet $P6:78::/64 doesn't contain this address" "gateway message"
	st=$(api_status POST /networks/create -H 'Content-Type: application/json' \
		-d "{\"Name\":\"n2\",\"EnableIPv6\":true,\"IPAM\":{\"Config\":[{\"Subnet\":\"$P6:78::/64\",\"IPRange\":\"$P6:79::/80\"}]}}")
	assert_eq 400 "$st" "ip-range outside the subnet"
	assert_contains "$(cat "$API_BODY")" "invalid ip-range $P6:79::/80: parent subnet $P6:78::/64 doesn't contain ip-range" "range message"
	st=$(api_status POST /networks/create -H 'Content-Type: application/json' \
		-d "{\"Name\":\"n2\",\"EnableIPv6\":true,\"IPAM\":{\"Config\":[{\"Subnet\":\"$P6:78::/64\",\"Gateway\":\"10.${NB}.78.1\"}]}}")
	assert_eq 400 "$st" "IPv4 gateway of an IPv6 subnet"
	assert_contains "$(cat "$API_BODY")" "parent subnet is an IPv6 block" "family message"
	run dk network inspect n2
	assert_ne 0 "$RC" "nothing made by the refused creates"
	# --ipv6 without an IPv6 subnet: a /64 of the engine's ULA pool, as dockerd 28.
	run_ok dk network create --ipv6 --subnet "10.${NB}.80.0/24" -o "com.docker.network.bridge.name=${NET_TAG}v3" n3
	run_ok dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}};{{end}}' n3
	assert_match "$OUT" "^10\.${NB}\.80\.0/24;fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::/64;$" "ULA subnet"
	# An IPv6 subnet without --ipv6 is kept, not used.
	run_ok dk network create --subnet "10.${NB}.81.0/24" --subnet "$P6:81::/64" -o "com.docker.network.bridge.name=${NET_TAG}v4" n4
	run_ok dk network inspect -f '{{.EnableIPv6}}' n4
	assert_eq "false" "$OUT" "EnableIPv6 without --ipv6"
	run_ok dk run --rm --network n4 bb ip -6 addr show eth0
	assert_not_contains "$OUT" "$P6:81::" "no IPv6 address without --ipv6"
	# Endpoint addresses.
	run dk run --rm --network n4 --ip6 "$P6:81::5" bb true
	assert_ne 0 "$RC" "--ip6 on an IPv4-only network"
	assert_contains "$ERR" "user specified IP address is supported only when connecting to networks with user configured subnets" "--ip6 without IPv6"
	run dk run --rm --network n1 --ip6 "$P6:99::5" bb true
	assert_ne 0 "$RC" "--ip6 outside the subnet"
	assert_contains "$ERR" "no configured subnet or ip-range contain the IP address $P6:99::5" "outside"
	run dk run --rm --network n1 --ip6 "$P6:76::1" bb true
	assert_ne 0 "$RC" "--ip6 of the gateway"
	assert_contains "$ERR" "Address already in use" "gateway taken"
	run dk run --rm --ip6 "$P6:76::5" bb true
	assert_ne 0 "$RC" "--ip6 on the default bridge"
	run_ok dk run -d --name cx --network n1 --ip6 "$P6:76::5" bb sleep 100
	run dk run --rm --network n1 --ip6 "$P6:76::5" bb true
	assert_ne 0 "$RC" "--ip6 in use"
	assert_contains "$ERR" "Address already in use" "in use"
	run_ok dk rm -f cx
	run_ok dk network rm n1 n3 n4
	stop_daemon
	net6_assert_clean
}

test_network_ipv6_berth_cli() {
	net6_daemon 82
	local B=(berth -H "$D_HOST")
	run_ok "${B[@]}" network create --ipv6 --subnet "10.${NB}.83.0/24" --subnet "$P6:83::/64" \
		--gateway "$P6:83::fe" --ip-range "$P6:83::100/120" -o "com.docker.network.bridge.name=${NET_TAG}b6" bn6
	run_ok "${B[@]}" network ls --filter name=bn6 --format '{{.Name}} {{.IPv6}}'
	assert_eq "bn6 true" "$OUT" "berth network ls IPv6"
	run_ok dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}};{{end}}' bn6
	assert_eq "10.${NB}.83.0/24 10.${NB}.83.1 ;$P6:83::/64 $P6:83::fe $P6:83::100/120;" "$OUT" "configs paired by family"
	run_ok "${B[@]}" run -d --name ca --network bn6 bb sleep 100
	assert_eq "$P6:83::100" "$(ep6 ca bn6 GlobalIPv6Address)" "first address of the ip-range"
	run_ok "${B[@]}" run -d --name cb --network bn6 --ip6 "$P6:83::5" bb sleep 100
	assert_eq "$P6:83::5" "$(ep6 cb bn6 GlobalIPv6Address)" "berth run --ip6"
	run_ok "${B[@]}" exec cb ping -6 -c 1 -W 3 "$P6:83::100"
	run_ok "${B[@]}" run -d --name cc bb sleep 100
	run_ok "${B[@]}" network connect --ip6 "$P6:83::6" bn6 cc
	assert_eq "$P6:83::6" "$(ep6 cc bn6 GlobalIPv6Address)" "berth network connect --ip6"
	run_ok "${B[@]}" exec cc ping -6 -c 1 -W 3 "$P6:83::5"
	run_ok "${B[@]}" rm -f ca cb cc
	run_ok "${B[@]}" network rm bn6
	stop_daemon
	net6_assert_clean
}
