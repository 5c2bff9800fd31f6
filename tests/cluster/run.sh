#!/usr/bin/env bash
# Swarm cluster tests: 3 managers + 2 workers in network namespaces, formed
# and driven with the real docker CLI. Stages run in order on one cluster;
# each prints "ok - NAME". Needs root. See lib.sh for the layout.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

[[ $(id -u) -eq 0 ]] || { echo "cluster tests need root: skipped"; exit 0; }
[[ -x "$BERTHD" ]] || fail "no $BERTHD (make san)"

ok() { printf 'ok - %s\n' "$*"; }

# Encrypted overlays rotate their keys every 8 s instead of 12 h
# (test_encrypted sees a rotation; docs/swarm.md).
export BERTH_NETKEY_ROTATION=8

cl_switch
for i in 1 2 3 4 5 6; do cl_node "n$i" "$i"; done
for n in n1 n2 n3 n4 n5; do cl_start "$n"; done

# ---- formation ----
test_form() {
	local out
	out=$(dk n1 swarm init --advertise-addr "$IP_n1" --listen-addr "$IP_n1:2377" \
		--dispatcher-heartbeat 1s 2>&1) || fail "init: $out"
	[[ "$out" == *"Swarm initialized: current node ("*") is now a manager."* ]] || fail "init text: $out"
	[[ "$out" == *"docker swarm join --token SWMTKN-1-"*" $IP_n1:2377"* ]] || fail "init join line: $out"
	WTOKEN=$(dk n1 swarm join-token -q worker) || fail "join-token worker"
	MTOKEN=$(dk n1 swarm join-token -q manager) || fail "join-token manager"
	[[ "$WTOKEN" =~ ^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$ ]] || fail "token format $WTOKEN"
	for n in n2 n3; do
		local ip="IP_$n"
		out=$(dk "$n" swarm join --token "$MTOKEN" --advertise-addr "${!ip}" "$IP_n1:2377" 2>&1) ||
			fail "join $n: $out"
		[[ "$out" == "This node joined a swarm as a manager." ]] || fail "join text $n: $out"
	done
	for n in n4 n5; do
		local ip="IP_$n" data=()
		# n5 carries VXLAN on an address of its own (test_overlay).
		[[ $n == n5 ]] && data=(--data-path-addr "$DATA_IP_n5")
		out=$(dk "$n" swarm join --token "$WTOKEN" --advertise-addr "${!ip}" "${data[@]}" "$IP_n1:2377" 2>&1) ||
			fail "join $n: $out"
		[[ "$out" == "This node joined a swarm as a worker." ]] || fail "join text $n: $out"
	done
	wait_for 15 bash -c "[[ \$(dk n1 node ls -q | wc -l) == 5 ]]" || fail "5 nodes expected"
	local t1
	wait_for 15 bash -c "! node_table n1 | has -v ' Ready '" || fail "not all Ready: $(node_table n1)"
	t1=$(node_table n1)
	for n in n2 n3; do
		wait_for 10 bash -c "[[ \"\$(node_table $n)\" == \"$t1\" ]]" ||
			fail "node ls on $n differs: $(node_table $n) vs $t1"
	done
	# A manager that just joined may not know the leader for a moment.
	wait_for 20 bash -c '[[ $(leader_of n2) == n1 ]]' || fail "leader should be n1: $(dk n2 node ls)"
	[[ $(dk n1 node ls --format '{{.Self}} {{.Hostname}}' | awk '$1=="true"{print $2}') == n1 ]] || fail "self marker"
	[[ $(dk n1 node ls --filter role=manager -q | wc -l) == 3 ]] || fail "role filter"
	out=$(dk n4 node ls 2>&1) && fail "node ls on a worker must fail"
	[[ "$out" == *"This node is not a swarm manager. Worker nodes can't be used"* ]] || fail "worker msg: $out"
	dk n2 info --format '{{.Swarm.ControlAvailable}} {{.Swarm.Managers}} {{.Swarm.Nodes}}' | has -x 'true 3 5' ||
		fail "info: $(dk n2 info --format '{{json .Swarm}}')"
	ok "form a 3-manager + 2-worker swarm with the docker CLI; node ls agrees on every manager"
}
export -f dk node_table leader_of fail
export CL_TMP DOCKER BERTH

# Any manager's view of the leader (a manager that is down answers nothing).
current_leader() {
	local n l
	for n in n1 n2 n3 n4; do
		[[ -n "${CL_PID[$n]}" ]] || continue
		l=$(leader_of "$n" 2>/dev/null) && [[ -n "$l" ]] && { echo "$l"; return 0; }
	done
	return 1
}

label_of() { dk "$1" node inspect "$2" --format "{{index .Spec.Labels \"$3\"}}" 2>/dev/null; }

# ---- secrets and configs ----
test_secrets() {
	local id out plain=cluster-plaintext-5e6f7a since
	since=$(date +%s.%N)
	id=$(printf %s "$plain" | dk n1 secret create --label tier=db cl-pw -) || fail "secret create on n1"
	# Every manager has it once the commit reached it.
	for n in n2 n3; do
		wait_for 10 dk "$n" secret inspect cl-pw || fail "cl-pw not visible on $n"
		[[ $(dk "$n" secret inspect --format '{{.ID}} {{json .Spec.Labels}}' cl-pw) == "$id {\"tier\":\"db\"}" ]] ||
			fail "cl-pw on $n: $(dk "$n" secret inspect cl-pw)"
	done
	# A write on a follower goes through the leader.
	id=$(printf 'port: 1\n' | dk n2 config create cl-cfg -) || fail "config create on n2"
	wait_for 10 dk n3 config inspect cl-cfg || fail "cl-cfg not visible on n3"
	[[ $(dk n1 config inspect --format '{{.ID}}' cl-cfg) == "$id" ]] || fail "cl-cfg on n1"
	out=$(printf x | dk n3 secret create cl-pw - 2>&1) && fail "duplicate secret accepted on n3"
	[[ "$out" == *"secret cl-pw already exists"* ]] || fail "duplicate msg: $out"
	out=$(dk n4 secret ls 2>&1) && fail "secret ls on a worker must fail"
	[[ "$out" == *"This node is not a swarm manager. Worker nodes can't be used"* ]] || fail "worker msg: $out"
	# Events on a manager that did not take the request.
	out=$(dk n3 events --since "$since" --until "$(date +%s.%N)" --filter type=secret \
		--format '{{.Action}} {{.Actor.Attributes.name}}')
	[[ "$out" == "create cl-pw" ]] || fail "secret events on n3: $out"
	# Sealed at rest on every manager.
	for n in n1 n2 n3; do
		! grep -rqaF -- "$plain" "$CL_TMP/$n/root/swarm" || fail "plaintext secret on $n's disk"
	done
	dk n3 secret rm cl-pw >/dev/null || fail "secret rm on n3"
	dk n1 config rm cl-cfg >/dev/null || fail "config rm on n1"
	wait_for 10 bash -c "! dk n2 secret inspect cl-pw" || fail "cl-pw still on n2"
	ok "secrets and configs: created on any manager, visible on every manager, sealed at rest, removed"
}

# ---- tokens and certificates ----
test_tokens() {
	local out old="$WTOKEN"
	dk n1 swarm join-token --rotate worker >/dev/null || fail "rotate"
	# A follower answers reads from its own copy of the store: it has the
	# new token once the commit reached it (a heartbeat later).
	local i
	for i in $(seq 50); do
		WTOKEN=$(dk n2 swarm join-token -q worker)
		[[ "$WTOKEN" != "$old" ]] && break
		sleep 0.1
	done
	[[ "$WTOKEN" != "$old" ]] || fail "token not rotated"
	cl_start n6
	out=$(dk n6 swarm join --token "$old" --advertise-addr "$IP_n6" "$IP_n1:2377" 2>&1) &&
		fail "old token accepted"
	[[ "$out" == *"A valid join token is necessary to join this cluster"* ]] || fail "old token msg: $out"
	# A token whose digest names another CA: the node refuses the manager.
	local bad="SWMTKN-1-$(printf '%050d' 7)-${WTOKEN##*-}"
	out=$(dk n6 swarm join --token "$bad" --advertise-addr "$IP_n6" "$IP_n1:2377" 2>&1) &&
		fail "foreign digest accepted"
	[[ "$out" == *"remote CA does not match fingerprint"* ]] || fail "digest msg: $out"
	dk n6 info --format '{{.Swarm.LocalNodeState}}' | has -x inactive || fail "n6 half joined"
	ok "join tokens: rotation refuses the old token; a token of another CA is refused"
}

test_berth_cli() {
	local out id
	[[ -n "${CL_PID[n6]:-}" ]] || cl_start n6
	out=$(bt n6 swarm join --token "$WTOKEN" --advertise-addr "$IP_n6" "$IP_n1:2377" 2>&1) ||
		fail "berth swarm join: $out"
	[[ "$out" == "This node joined a swarm as a worker." ]] || fail "berth join text: $out"
	out=$(bt n1 node ls) || fail "berth node ls"
	[[ $(echo "$out" | head -1) == "ID"*"HOSTNAME"*"STATUS"*"AVAILABILITY"*"MANAGER STATUS"*"ENGINE VERSION" ]] ||
		fail "berth node ls header: $out"
	echo "$out" | has " n6 " || fail "n6 missing from berth node ls: $out"
	[[ $(bt n1 node ls -q | wc -l) == 6 ]] || fail "6 nodes expected"
	id=$(bt n1 node inspect n6 --format '{{.ID}}')
	bt n1 node update --label-add cli=berth n6 >/dev/null || fail "berth node update"
	[[ $(label_of n1 n6 cli) == berth ]] || fail "label: $(bt n1 node inspect n6 --format '{{json .Spec}}')"
	bt n6 swarm leave >/dev/null || fail "berth swarm leave"
	bt n1 node rm --force "$id" >/dev/null || fail "berth node rm --force"
	[[ $(bt n1 node ls -q | wc -l) == 5 ]] || fail "5 nodes expected after rm"
	ok "the berth CLI: swarm join, node ls/inspect/update/rm, swarm leave"
}

test_foreign_cert() {
	# n6 makes a swarm of its own; n5 then presents n6's certificate.
	dk n6 swarm init --advertise-addr "$IP_n6" >/dev/null || fail "n6 init"
	local c5="$CL_TMP/n5/root/swarm/certificates" c6="$CL_TMP/n6/root/swarm/certificates"
	cl_kill n5
	cp "$c5/swarm-node.crt" "$CL_TMP/n5.crt"
	cp "$c5/swarm-node.key" "$CL_TMP/n5.key"
	cp "$c6/swarm-node.crt" "$c5/swarm-node.crt"
	cp "$c6/swarm-node.key" "$c5/swarm-node.key"
	cl_start n5
	wait_for 20 bash -c "dk n1 node ls --format '{{.Hostname}} {{.Status}}' | has -x 'n5 Down'" ||
		fail "n5 with a foreign certificate should be Down: $(dk n1 node ls)"
	grep -q "certificate not valid for this swarm\|heartbeat failed" "$CL_TMP/n5/log" ||
		log "(n5's log does not name the refusal)"
	cl_kill n5
	cp "$CL_TMP/n5.crt" "$c5/swarm-node.crt"
	cp "$CL_TMP/n5.key" "$c5/swarm-node.key"
	cl_start n5
	wait_for 20 bash -c "dk n1 node ls --format '{{.Hostname}} {{.Status}}' | has -x 'n5 Ready'" ||
		fail "n5 back with its own certificate should be Ready"
	cl_kill n6
	ok "a node presenting another swarm's certificate is refused (Down); its own brings it back"
}

# ---- fail-over, partitions, quorum ----
test_failover() {
	local leader
	leader=$(current_leader) || fail "no leader"
	local other
	for other in n1 n2 n3; do [[ $other != "$leader" ]] && break; done
	local t0 t1
	t0=$(date +%s%N)
	cl_kill "$leader"
	wait_for 20 dk "$other" node update --label-add failover=1 n4 || fail "no write after killing the leader"
	t1=$(date +%s%N)
	log "write committed $(( (t1 - t0) / 1000000 )) ms after kill -9 of the leader $leader"
	local nl
	nl=$(leader_of "$other")
	[[ -n "$nl" && "$nl" != "$leader" ]] || fail "new leader expected, got '$nl'"
	# Workers talked to the old leader: they find the new one and stay Ready
	# past the Down grace (3 heartbeats of 1 s).
	sleep 4
	dk "$nl" node ls --format '{{.Hostname}} {{.Status}}' | has -x 'n5 Ready' ||
		fail "worker n5 did not reconnect to another manager: $(dk $nl node ls)"
	cl_start "$leader"
	wait_for 20 bash -c "[[ \$(label_of $leader n4 failover) == 1 ]]" || fail "$leader did not catch up"
	wait_for 20 bash -c "dk $nl node ls --format '{{.Hostname}} {{.ManagerStatus}}' | has -x '$leader Reachable'" ||
		fail "$leader not Reachable again: $(dk $nl node ls)"
	ok "kill -9 of the leader: a new leader is elected, writes work, the old one rejoins and catches up"
}
export -f label_of

test_partition() {
	local leader m
	leader=$(current_leader) || fail "no leader"
	for m in n1 n2 n3; do [[ $m != "$leader" ]] && break; done
	ip -n "${CL_PREFIX}-$m" link set eth0 down
	wait_for 10 dk "$leader" node update --label-add part=1 n4 || fail "write during a partition"
	wait_for 20 bash -c "dk $leader node ls --format '{{.Hostname}} {{.ManagerStatus}}' | has -x '$m Unreachable'" ||
		fail "$m should be Unreachable: $(dk $leader node ls)"
	ip -n "${CL_PREFIX}-$m" link set eth0 up
	wait_for 20 bash -c "[[ \$(label_of $m n4 part) == 1 ]]" || fail "$m did not catch up after the partition"
	wait_for 20 bash -c "dk $leader node ls --format '{{.Hostname}} {{.ManagerStatus}}' | has -x '$m Reachable'" ||
		fail "$m not Reachable after the partition"
	ok "a manager cut off (ip link set down) comes back, rejoins and catches up"
}

test_quorum() {
	local leader a b out
	leader=$(current_leader) || fail "no leader"
	local others=()
	for a in n1 n2 n3; do [[ $a != "$leader" ]] && others+=("$a"); done
	dk "$leader" node update --label-add before=1 n4 >/dev/null || fail "write"
	cl_kill "${others[0]}"
	cl_kill "${others[1]}"
	export DK_LEADERLESS_OK=1
	wait_for 15 bash -c "! dk $leader node ls" || fail "node ls still works without quorum"
	out=$(dk "$leader" node ls 2>&1)
	[[ "$out" == *"The swarm does not have a leader. It's possible that too few managers are online."* ]] ||
		fail "no-quorum message: $out"
	out=$(dk "$leader" node update --label-add lost=1 n4 2>&1) && fail "write without quorum"
	[[ "$out" == *"does not have a leader"* ]] || fail "no-quorum write message: $out"
	unset DK_LEADERLESS_OK
	cl_start "${others[0]}"
	cl_start "${others[1]}"
	wait_for 30 dk "$leader" node update --label-add after=1 n4 || fail "no recovery with quorum back"
	[[ $(label_of "$leader" n4 before) == 1 ]] || fail "state lost"
	ok "losing quorum answers Docker's no-leader error, loses nothing, and recovers when managers return"
}

# ---- roles and nodes ----
test_roles() {
	local out
	dk n1 node promote n4 >/dev/null 2>&1 || wait_for 10 dk n2 node promote n4 || fail "promote"
	wait_for 30 bash -c "dk n4 info --format '{{.Swarm.ControlAvailable}}' | has -x true" ||
		fail "n4 did not become a manager"
	local l
	l=$(current_leader)
	wait_for 20 bash -c "dk $l node ls --format '{{.Hostname}} {{.ManagerStatus}}' | has -x 'n4 Reachable'" ||
		fail "n4 not Reachable: $(dk $l node ls)"
	dk n4 node ls >/dev/null || fail "node ls on the promoted node"
	openssl x509 -noout -subject -in "$CL_TMP/n4/root/swarm/certificates/swarm-node.crt" | has "OU *= *swarm-manager" ||
		fail "n4's certificate should say swarm-manager"
	dk "$l" node demote n4 >/dev/null || fail "demote"
	# Once n4 has learnt its demotion it answers in dockerd's words. (While
	# the leader has already taken it out of Raft and it has not yet applied
	# the demotion, it may say the swarm has no leader: see docs/swarm.md.)
	wait_for 30 bash -c "dk n4 node ls 2>&1 | has -F \"This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state.\"" ||
		fail "node ls on the demoted node: $(dk n4 node ls 2>&1)"
	wait_for 30 bash -c "dk n4 info --format '{{.Swarm.ControlAvailable}}' | has -x false" ||
		fail "n4 still a manager"
	wait_for 20 bash -c "[[ -z \$(dk $l node inspect n4 --format '{{if .ManagerStatus}}m{{end}}') ]]" ||
		fail "n4 keeps a manager status"
	wait_for 10 bash -c "openssl x509 -noout -subject -in $CL_TMP/n4/root/swarm/certificates/swarm-node.crt | has 'OU *= *swarm-worker'" ||
		fail "n4's certificate should say swarm-worker"
	out=$(dk "$l" node rm n5 2>&1) && fail "rm of a Ready node"
	[[ "$out" == *"is not down and can't be removed"* ]] || fail "rm msg: $out"
	out=$(dk "$l" node rm n2 2>&1) && fail "rm of a manager"
	[[ "$out" == *"is a cluster manager"* ]] || fail "rm manager msg: $out"
	dk "$l" node update --availability drain n5 >/dev/null || fail "drain"
	[[ $(dk "$l" node inspect n5 --format '{{.Spec.Availability}}') == drain ]] || fail "availability"
	dk "$l" node update --availability active --label-add zone=a n5 >/dev/null || fail "update"
	dk "$l" node update --label-rm zone n5 >/dev/null || fail "label-rm"
	ok "promote/demote move a node in and out of Raft; rm refuses managers and Ready nodes; update"
}

# moby/swarmkit#1991: a demoted manager that crashes right after and
# restarts must come back as a worker without taking Raft down.
test_demote_crash() {
	local l m
	l=$(current_leader) || fail "no leader"
	for m in n1 n2 n3; do [[ $m != "$l" ]] && break; done
	dk "$l" node demote "$m" >/dev/null || fail "demote $m"
	# The crash comes once the demotion is committed, before $m has settled.
	wait_for 10 bash -c "dk $l node ls --filter role=worker --format '{{.Hostname}}' | has -x $m" ||
		fail "demotion of $m not committed"
	cl_kill "$m"
	cl_start "$m"
	wait_for 30 bash -c "dk $m info --format '{{.Swarm.ControlAvailable}}' | has -x false" ||
		fail "$m came back as a manager"
	wait_for 20 dk "$l" node update --label-add after1991=1 n4 || fail "cluster lost its leader"
	[[ $(dk "$l" node ls --filter role=manager -q | wc -l) == 2 ]] || fail "managers: $(dk $l node ls)"
	wait_for 20 bash -c "dk $l node ls --format '{{.Hostname}} {{.Status}}' | has -x '$m Ready'" ||
		fail "$m not Ready as a worker"
	dk "$l" node promote "$m" >/dev/null || fail "promote back"
	wait_for 30 bash -c "dk $l node ls --format '{{.Hostname}} {{.ManagerStatus}}' | has -x '$m Reachable'" ||
		fail "$m not back as manager"
	ok "swarmkit#1991: demote, crash a second later, restart: a worker, and the swarm keeps its leader"
}

test_ca_rotate() {
	local l old new out n wt_old
	l=$(current_leader) || fail "no leader"
	old=$(dk "$l" swarm ca) || fail "swarm ca"
	wt_old=$(dk "$l" swarm join-token -q worker)
	out=$(timeout -k 2 90 "$DOCKER" -H "unix://$CL_TMP/$l/d.sock" swarm ca --rotate 2>&1) ||
		fail "ca --rotate: $out"
	new=$(dk "$l" swarm ca)
	[[ "$new" == *"BEGIN CERTIFICATE"* && "$new" != "$old" ]] || fail "root not replaced"
	[[ "$out" == *"$new"* ]] || fail "ca --rotate should print the new root: $out"
	echo "$new" >"$CL_TMP/newroot.pem"
	for n in n1 n2 n3 n4 n5; do
		openssl verify -CAfile "$CL_TMP/newroot.pem" "$CL_TMP/$n/root/swarm/certificates/swarm-node.crt" >/dev/null 2>&1 ||
			fail "$n has no certificate of the new root"
		cmp -s <(echo "$new") "$CL_TMP/$n/root/swarm/certificates/swarm-root-ca.crt" ||
			wait_for 10 cmp -s <(echo "$new") "$CL_TMP/$n/root/swarm/certificates/swarm-root-ca.crt" ||
			fail "$n still trusts the old root"
	done
	[[ $(dk "$l" swarm join-token -q worker) != "$wt_old" ]] || fail "tokens must name the new root"
	wait_for 10 dk "$l" node update --label-add rotated=1 n4 || fail "writes after the rotation"
	wait_for 10 bash -c "! dk $l node ls --format '{{.Status}}' | has -v Ready" || fail "nodes not Ready after rotation"
	ok "swarm ca --rotate: a new root, every node re-certified and trusting only it, new tokens"
}

# Short-lived certificates are renewed before they expire (a third of their
# life before), and the cluster keeps working through the renewals.
test_cert_renewal() {
	local l end1 end2
	l=$(current_leader) || fail "no leader"
	dk "$l" swarm update --cert-expiry 30s >/dev/null || fail "cert-expiry"
	# The certificates in use are long-lived: a CA rotation re-issues them
	# all with the new 30 s life; the agents must then renew them on time.
	timeout -k 2 90 "$DOCKER" -H "unix://$CL_TMP/$l/d.sock" swarm ca --rotate -q >/dev/null 2>&1 ||
		fail "ca rotate for short certificates"
	end1=$(openssl x509 -noout -enddate -in "$CL_TMP/n5/root/swarm/certificates/swarm-node.crt")
	wait_for 40 bash -c "[[ \"\$(openssl x509 -noout -enddate -in $CL_TMP/n5/root/swarm/certificates/swarm-node.crt)\" != '$end1' ]]" ||
		fail "n5's 30 s certificate was not renewed"
	end2=$(openssl x509 -noout -enddate -in "$CL_TMP/n5/root/swarm/certificates/swarm-node.crt")
	log "n5 renewed: $end1 -> $end2"
	dk "$l" swarm update --cert-expiry 2160h >/dev/null || fail "cert-expiry back"
	# The next renewal brings a long certificate again.
	wait_for 40 bash -c "openssl x509 -noout -checkend 86400 -in $CL_TMP/n5/root/swarm/certificates/swarm-node.crt" ||
		fail "n5 did not get a long certificate back"
	wait_for 20 bash -c "openssl x509 -noout -checkend 86400 -in $CL_TMP/n1/root/swarm/certificates/swarm-node.crt" ||
		fail "n1 did not get a long certificate back"
	wait_for 10 dk "$l" node update --label-add renewed=1 n4 || fail "writes after renewals"
	wait_for 10 bash -c "! dk $l node ls --format '{{.Status}}' | has -v Ready" || fail "nodes not Ready after renewals"
	ok "certificates are renewed before they expire (--cert-expiry 30s), the swarm keeps working"
}

test_down_and_rm() {
	local l
	l=$(current_leader) || fail "no leader"
	cl_kill n5
	wait_for 20 bash -c "dk $l node ls --format '{{.Hostname}} {{.Status}}' | has -x 'n5 Down'" ||
		fail "n5 not Down"
	dk "$l" node rm n5 >/dev/null || fail "rm of a Down node"
	[[ $(dk "$l" node ls -q | wc -l) == 4 ]] || fail "4 nodes expected"
	ok "a node that stops heartbeating is Down and can be removed"
}

test_restart_all() {
	local l before after n
	l=$(current_leader) || fail "no leader"
	before=$(dk "$l" node ls -q | sort)
	for n in n1 n2 n3 n4; do cl_kill "$n"; done
	for n in n1 n2 n3 n4; do cl_start "$n"; done
	wait_for 30 bash -c "dk n1 node ls >/dev/null" || fail "no cluster after restarting all"
	after=$(dk n1 node ls -q | sort)
	[[ "$before" == "$after" ]] || fail "IDs changed: $before vs $after"
	wait_for 20 bash -c "! dk n1 node ls --format '{{.Status}}' | has -v Ready" || fail "not all Ready"
	ok "restart every node: the cluster comes back with the same IDs"
}

test_leave() {
	local out
	out=$(dk n2 swarm leave 2>&1) && fail "manager left without --force"
	[[ "$out" == *"You are attempting to leave the swarm on a node that is participating as a manager."* ]] ||
		fail "leave msg: $out"
	dk n4 swarm leave >/dev/null || fail "worker leave"
	dk n4 info --format '{{.Swarm.LocalNodeState}}' | has -x inactive || fail "n4 still in a swarm"
	# The swarm's networks go with the leave (the tasks' with their containers).
	wait_for 60 bash -c '[[ -z $(dk n4 network ls -q --filter driver=overlay) ]]' ||
		fail "networks left on n4: $(dk n4 network ls)"
	ip -n "${CL_PREFIX}-n4" -o link show | has -E ': (ov|vx)-' && fail "overlay devices left on n4"
	ok "swarm leave: a manager needs --force, a worker leaves (its overlay networks go)"
}

test_autolock() {
	local l m key out
	l=$(current_leader) || fail "no leader"
	for m in n1 n2 n3; do [[ $m != "$l" ]] && break; done
	dk "$l" swarm update --autolock=true >/dev/null || fail "autolock on"
	key=$(dk "$l" swarm unlock-key -q)
	[[ "$key" == SWMKEY-1-* ]] || fail "unlock key: $key"
	wait_for 10 grep -q '"sealed"' "$CL_TMP/$m/root/swarm/keys.json" || fail "$m did not seal its keys"
	[[ ! -e "$CL_TMP/$m/root/swarm/certificates/swarm-node.key" ]] || fail "plain key left on $m"
	cl_kill "$m"
	cl_start "$m"
	[[ $(dk "$m" info --format '{{.Swarm.LocalNodeState}}') == locked ]] || fail "$m not locked"
	out=$(dk "$m" node ls 2>&1) && fail "node ls on a locked manager"
	[[ "$out" == *"Swarm is encrypted and needs to be unlocked"* ]] || fail "locked msg: $out"
	out=$(echo "SWMKEY-1-$(head -c 32 /dev/urandom | base64)" | dk "$m" swarm unlock 2>&1) && fail "bad key accepted"
	[[ "$out" == *"invalid key"* ]] || fail "bad key msg: $out"
	echo "$key" | dk "$m" swarm unlock >/dev/null || fail "unlock"
	wait_for 20 dk "$m" node update --label-add unlocked=1 n4 || fail "$m not working after unlock"
	# Rotation: the old key no longer opens a restarted manager.
	local sealed_before
	sealed_before=$(md5sum <"$CL_TMP/$m/root/swarm/keys.json")
	dk "$l" swarm unlock-key --rotate >/dev/null || fail "rotate"
	local key2
	key2=$(dk "$l" swarm unlock-key -q)
	[[ "$key2" != "$key" ]] || fail "key not rotated"
	wait_for 10 bash -c "[[ \$(dk $m swarm unlock-key -q) == '$key2' ]]" || fail "rotation not replicated"
	wait_for 10 bash -c "[[ \$(md5sum <'$CL_TMP/$m/root/swarm/keys.json') != '$sealed_before' ]]" ||
		fail "$m did not reseal its keys with the new unlock key"
	cl_kill "$m"
	cl_start "$m"
	echo "$key" | dk "$m" swarm unlock >/dev/null 2>&1 && fail "old key after rotation"
	echo "$key2" | dk "$m" swarm unlock >/dev/null || fail "unlock with the new key"
	dk "$l" swarm update --autolock=false >/dev/null || fail "autolock off"
	wait_for 10 test -e "$CL_TMP/$m/root/swarm/certificates/swarm-node.key" || fail "$m did not unseal"
	ok "autolock: managers seal their keys, start locked, unlock with the key; rotation; off again"
}

test_force_new_cluster() {
	local id1 out
	id1=$(node_id n1)
	cl_kill n2
	cl_kill n3
	wait_for 15 bash -c "! dk n1 node ls" || fail "n1 should have lost quorum"
	out=$(dk n1 swarm init --force-new-cluster 2>&1) || fail "force-new-cluster: $out"
	wait_for 15 dk n1 node update --label-add forced=1 "$id1" || fail "no writes after force-new-cluster"
	[[ $(node_id n1) == "$id1" ]] || fail "node ID changed"
	[[ $(label_of n1 "$id1" forced) == 1 && $(label_of n1 n4 before) == 1 ]] || fail "state lost"
	ok "swarm init --force-new-cluster recovers a single surviving manager with its state"
}

# ---- services and tasks ----
svc_running_on() { # NODE: containers of service web running on NODE
	dk "$1" ps -q --filter label=com.docker.swarm.service.name=web | wc -l
}
svc_running_all() {
	local n t=0
	for n in "$@"; do t=$((t + $(svc_running_on "$n"))); done
	echo "$t"
}
svc_replicas() { dk n1 service ls --format '{{.Replicas}}' --filter name=web; }
svc_state() { dk n1 service inspect web --format '{{.UpdateStatus.State}}'; }
svc_env() { dk n1 service inspect web --format '{{.Spec.TaskTemplate.ContainerSpec.Env}}'; }
svc_node_events() { # NODE SINCE
	dk "$1" events --since "$2" --until "$(date +%s.%N)" --filter type=service --filter type=node \
		--format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{index .Actor.Attributes "availability.new"}}'
}
export -f svc_running_on svc_running_all svc_replicas svc_state svc_env svc_node_events

# A task on the worker n4 gets a secret: the file is there with its mode,
# and the plaintext is nowhere on n4's disk (the agent keeps it in memory,
# the container's copy is on a tmpfs).
svc_secret_on_worker() {
	local plain=worker-plaintext-9a8b7c c
	printf %s "$plain" >"$CL_TMP/svcpw"
	wait_for 60 bash -c "dk n1 secret inspect svcpw >/dev/null 2>&1 || dk n1 secret create svcpw '$CL_TMP/svcpw'" ||
		fail "secret create"
	wait_for 60 bash -c 'dk n1 service inspect sec >/dev/null 2>&1 ||
		dk n1 service create -d --name sec --network none --stop-grace-period 1s --constraint node.hostname==n4 \
			--secret source=svcpw,target=p,uid=5,mode=0400 busybox sleep 1000' || fail "service create with a secret"
	wait_for 90 bash -c '[[ -n $(dk n4 ps -q --filter label=com.docker.swarm.service.name=sec --filter status=running) ]]' ||
		fail "sec not running on n4: $(dk n1 service ps --no-trunc sec)"
	c=$(dk n4 ps -q --filter label=com.docker.swarm.service.name=sec --filter status=running)
	[[ $(dk n4 exec "$c" cat /run/secrets/p) == "$plain" ]] || fail "secret content on n4"
	[[ $(dk n4 exec "$c" stat -c '%u %a' /run/secrets/p) == "5 400" ]] || fail "secret owner/mode on n4"
	! grep -rqaF --exclude-dir=secrets -- "$plain" "$CL_TMP/n4/root" || fail "plaintext secret on n4's disk"
	wait_for 60 bash -c '! dk n1 service inspect sec >/dev/null 2>&1 || dk n1 service rm sec' || fail "service rm sec"
	wait_for 60 bash -c '[[ -z $(dk n4 ps -aq --filter label=com.docker.swarm.service.name=sec) ]]' ||
		fail "containers of sec left on n4"
	wait_for 60 bash -c '! dk n1 secret inspect svcpw >/dev/null 2>&1 || dk n1 secret rm svcpw' || fail "secret rm"
}

import_busybox_all() { # busybox:latest on every node, once
	local n
	[[ -e "$CL_TMP/bb.tar" ]] && return 0
	mkdir -p "$CL_TMP/bb/bin"
	cp /bin/busybox "$CL_TMP/bb/bin/"
	for n in sh sleep cat stat; do ln -sf busybox "$CL_TMP/bb/bin/$n"; done
	tar -C "$CL_TMP/bb" -cf "$CL_TMP/bb.tar" .
	for n in n1 n2 n3 n4 n5; do
		dk "$n" import "$CL_TMP/bb.tar" busybox:latest >/dev/null || fail "import on $n"
	done
}

# Writes are retried while the managers elect a leader (a loaded machine
# makes elections happen); each write here is idempotent.
test_services() {
	local n out t0
	t0=$(date +%s.%N)
	import_busybox_all
	wait_for 60 bash -c 'dk n1 service inspect web >/dev/null 2>&1 ||
		dk n1 service create -d --name web --replicas 6 --network none --stop-grace-period 1s busybox sleep 1000' ||
		fail "service create"
	wait_for 90 bash -c '[[ $(svc_replicas) == 6/6 ]]' || fail "6/6: $(dk n1 service ps web)"
	wait_for 60 dk n2 service ps web >/dev/null || fail "service ps"
	out=$(dk n2 service ps web --filter desired-state=running --format '{{.Node}}' | sort | uniq -c | awk '{print $1}' | sort -n | paste -sd' ')
	log "6 tasks over 5 nodes: $out"
	[[ $(wc -w <<<"$out") -ge 3 ]] || fail "6 tasks should spread over the nodes: $out"
	wait_for 60 dk n1 service scale -d web=3 || fail "scale"
	wait_for 90 bash -c '[[ $(svc_replicas) == 3/3 && $(svc_running_all n1 n2 n3 n4 n5) == 3 ]]' ||
		fail "scale to 3: $(dk n1 service ps web)"
	wait_for 60 dk n1 node update --availability drain n4 || fail "drain"
	wait_for 60 dk n1 service scale -d web=4 || fail "scale 4"
	wait_for 90 bash -c '[[ $(svc_replicas) == 4/4 && $(svc_running_on n4) == 0 ]]' ||
		fail "drain: $(dk n1 service ps web)"
	wait_for 60 dk n1 node update --availability active n4 || fail "activate"
	# Every manager publishes the store's changes as events, not only the
	# one that took the request (once it has applied them: a follower may lag).
	for n in n2 n3; do
		wait_for 30 bash -c "svc_node_events $n $t0 | has 'service create web ' &&
			svc_node_events $n $t0 | has 'node update n4 drain' &&
			svc_node_events $n $t0 | has 'node update n4 active'" ||
			fail "service and node events on $n: $(svc_node_events $n "$t0")"
	done
	wait_for 60 dk n1 service scale -d web=8 || fail "scale 8"
	wait_for 90 bash -c '[[ $(svc_replicas) == 8/8 && $(svc_running_on n5) -ge 1 ]]' ||
		fail "8/8 with tasks on n5: $(dk n1 service ps web)"
	cl_kill n5
	wait_for 90 bash -c '[[ $(dk n1 service ps web --filter desired-state=running --format "{{.Node}} {{.CurrentState}}" | grep -c "^n[1-4] Running") == 8 ]]' ||
		fail "tasks of the killed n5 not rescheduled: $(dk n1 service ps web)"
	# A write whose answer was lost (an election) may have been applied:
	# each retry reads first, and a failed read applies nothing, so the
	# update and the rollback are never applied twice.
	wait_for 60 bash -c 'e=$(svc_env) || exit 1; [[ $e == *X=1* ]] ||
		dk n1 service update -d --env-add X=1 --update-parallelism 3 --update-monitor 1s web' ||
		fail "update"
	wait_for 90 bash -c '[[ $(svc_state) == completed ]]' || fail "update: $(dk n1 service inspect web --format '{{json .UpdateStatus}}')"
	wait_for 60 bash -c 'st=$(svc_state) || exit 1; [[ $st == rollback* ]] || dk n1 service rollback -d web' ||
		fail "rollback"
	wait_for 90 bash -c '[[ $(svc_state) == rollback_completed && $(svc_replicas) == 8/8 ]]' ||
		fail "rollback: $(dk n1 service inspect web --format '{{json .UpdateStatus}}')"
	# A read too can meet an election on a loaded machine: retried.
	wait_for 60 bash -c '[[ $(svc_env) == "[]" ]]' ||
		fail "rolled back spec: $(dk n1 service inspect web --format '{{json .Spec.TaskTemplate}}')"
	svc_secret_on_worker
	wait_for 60 bash -c '! dk n1 service inspect web >/dev/null 2>&1 || dk n1 service rm web' || fail "service rm"
	wait_for 60 bash -c '[[ $(svc_running_all n1 n2 n3 n4) == 0 ]]' || fail "containers left after service rm"
	cl_start n5
	wait_for 60 bash -c '[[ -z $(dk n5 ps -aq --filter label=com.docker.swarm.service.name=web) ]]' ||
		fail "n5 kept the containers of a removed service: $(dk n5 ps -a)"
	ok "services: create spreads 6 tasks over the nodes, scale, drain, a worker killed -9, rolling update, rollback, a secret on a worker, rm"
}

# ---- liveness: kill -9, a cut link, and a loaded machine ----
live_running() { # LEADER: "NODE TASK" of live's running tasks
	dk "$1" service ps live --filter desired-state=running --format '{{.Node}} {{.ID}} {{.CurrentState}}' |
		awk '$3 == "Running" { print $1, $2 }' | sort
}
live_containers() { # NODE...: running containers of live on them
	local n t=0
	for n in "$@"; do t=$((t + $(dk "$n" ps -q --filter label=com.docker.swarm.service.name=live | wc -l))); done
	echo "$t"
}
live_downs() { # LEADER SINCE: the nodes that went Down since then, from the node events
	dk "$1" events --since "$2" --until "$(date +%s.%N)" --filter type=node \
		--format '{{.Actor.Attributes.name}} {{index .Actor.Attributes "state.new"}}' | awk '$2 == "down" { print $1 }'
}
secs_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
export -f live_running live_containers live_downs

# A worker whose berthd is killed -9 is Down soon after its connection to
# the leader closes, and one cut off silently (link down) once it missed
# its heartbeats: their tasks then run elsewhere, Docker's node events say
# so, and back again each one's stale task stops. A busy loop on every core
# for a while moves nothing: no node Down, the same tasks running.
test_liveness() {
	local l t0 before after i out pids=()
	import_busybox_all
	l=$(current_leader) || fail "no leader"
	wait_for 60 bash -c "dk $l service inspect live >/dev/null 2>&1 ||
		dk $l service create -d --name live --replicas 5 --network none --stop-grace-period 1s busybox sleep 100000" ||
		fail "service create live"
	wait_for 90 bash -c "[[ \$(live_running $l | wc -l) == 5 ]] && live_running $l | has '^n4 ' && live_running $l | has '^n5 '" ||
		fail "5 tasks of live with some on n4 and n5: $(dk "$l" service ps live)"
	before=$(live_running "$l")
	t0=$(date +%s.%N)
	for i in $(seq "$(nproc)"); do
		(while :; do :; done) &
		pids+=($!)
		CL_BG+=($!)
	done
	for i in $(seq 20); do
		out=$(dk "$l" node ls --format '{{.Hostname}} {{.Status}}')
		[[ $out == *Down* ]] && break
		sleep 1
	done
	kill "${pids[@]}"
	wait "${pids[@]}" 2>/dev/null
	[[ $out != *Down* ]] || fail "a node went Down under CPU load: $out"
	out=$(live_downs "$l" "$t0")
	[[ -z $out ]] || fail "node events of a Down under CPU load: $out"
	after=$(live_running "$l")
	[[ $after == "$before" ]] || fail "tasks moved under CPU load: before: $before; after: $after"
	log "busy loops on $(nproc) cores for 20 s: no node Down, no task moved (load $(cut -d' ' -f1 /proc/loadavg))"

	# Deadlines of a minute: a leader elected meanwhile (a loaded machine
	# sees elections) gives every node twice the grace again, and a leader
	# that stalled gives that time back (docs/swarm.md, Nodes and heartbeats).
	t0=$(date +%s.%N)
	cl_kill n4
	wait_for 60 bash -c "dk $l node ls --format '{{.Hostname}} {{.Status}}' | has -x 'n4 Down'" ||
		fail "n4 not Down after kill -9: $(dk "$l" node ls)"
	wait_for 60 bash -c "[[ \$(live_running $l | grep -vc '^n4 ') == 5 ]]" ||
		fail "the task of the killed n4 not moved: $(dk "$l" service ps live)"
	log "kill -9 of n4: its task running elsewhere after $(secs_since "$t0") s"
	wait_for 10 bash -c "live_downs $l $t0 | has -x n4" || fail "no node event of n4 down: $(live_downs "$l" "$t0")"
	dk "$l" node inspect n4 --format '{{.Status.State}} {{.Status.Message}}' | has -x 'down heartbeat failure' ||
		fail "n4's status: $(dk "$l" node inspect n4 --format '{{json .Status}}')"
	cl_start n4
	wait_for 30 bash -c "dk $l node ls --format '{{.Hostname}} {{.Status}}' | has -x 'n4 Ready'" || fail "n4 not Ready again"
	wait_for 60 bash -c '[[ $(live_containers n1 n2 n3 n4 n5) == 5 ]]' ||
		fail "n4's stale task still runs: $(live_containers n1 n2 n3 n4 n5) containers; $(dk "$l" service ps live)"

	wait_for 60 bash -c "live_running $l | has '^n5 '" || fail "no task of live on n5: $(dk "$l" service ps live)"
	t0=$(date +%s.%N)
	ip -n "${CL_PREFIX}-n5" link set eth0 down
	wait_for 60 bash -c "dk $l node ls --format '{{.Hostname}} {{.Status}}' | has -x 'n5 Down'" ||
		fail "n5 not Down after its link went down: $(dk "$l" node ls)"
	wait_for 60 bash -c "[[ \$(live_running $l | grep -vc '^n5 ') == 5 ]]" ||
		fail "the task of the cut off n5 not moved: $(dk "$l" service ps live)"
	log "n5 cut off (link down): its task running elsewhere after $(secs_since "$t0") s"
	ip -n "${CL_PREFIX}-n5" link set eth0 up
	wait_for 30 bash -c "dk $l node ls --format '{{.Hostname}} {{.Status}}' | has -x 'n5 Ready'" || fail "n5 not Ready again"
	wait_for 60 bash -c '[[ $(live_containers n1 n2 n3 n4 n5) == 5 ]]' ||
		fail "n5's stale task still runs: $(live_containers n1 n2 n3 n4 n5) containers; $(dk "$l" service ps live)"
	wait_for 60 bash -c "! dk $l service inspect live >/dev/null 2>&1 || dk $l service rm live" || fail "service rm live"
	wait_for 60 bash -c '[[ $(live_containers n1 n2 n3 n4 n5) == 0 ]]' || fail "containers of live left after rm"
	ok "liveness: a worker killed -9 and one cut off are Down and their tasks move; busy loops on every core move nothing"
}

# ---- a secret rotated in place (beyond Docker) ----
rot_on() { # NODE CONTENT: NODE runs a task of rot, and each one's secret has CONTENT
	local c cs
	cs=$(dk "$1" ps -q --filter label=com.docker.swarm.service.name=rot --filter status=running)
	[[ -n $cs ]] || return 1
	for c in $cs; do [[ $(dk "$1" exec "$c" cat /run/secrets/rot) == "$2" ]] || return 1; done
}
rot_version() { dk "$1" secret inspect --format '{{.Version.Index}}' rot; }
rot_state() { dk "$1" service inspect rot --format '{{.UpdateStatus.State}} {{.Spec.TaskTemplate.ForceUpdate}}'; }
export -f rot_on rot_version rot_state

# POST /secrets/{id}/update with new data on a follower: the same ID and
# name, a new version, and the service that uses it rolls one task at a
# time; the leader is killed -9 between two batches and the new leader
# finishes the roll, so that every task on the workers has the new content.
test_secret_rotation() {
	import_busybox_all
	local leader m id v
	wait_for 60 bash -c "dk n1 secret inspect rot >/dev/null 2>&1 || printf rot-one | dk n1 secret create rot -" ||
		fail "secret create"
	wait_for 60 bash -c 'dk n1 service inspect rot >/dev/null 2>&1 ||
		dk n1 service create -d --name rot --replicas 2 --network none --stop-grace-period 1s \
			--constraint node.role==worker --update-parallelism 1 --update-delay 6s --update-monitor 1s \
			--secret rot busybox sleep 1000' || fail "service create with a secret"
	wait_for 120 bash -c 'rot_on n4 rot-one && rot_on n5 rot-one' || fail "rot not on n4 and n5: $(dk n1 service ps rot)"
	leader=$(current_leader) || fail "no leader"
	for m in n1 n2 n3; do [[ $m != "$leader" ]] && break; done
	id=$(dk "$m" secret inspect --format '{{.ID}}' rot) || fail "secret inspect on $m"
	v=$(rot_version "$m") || fail "secret version on $m"
	local body
	body="{\"Name\":\"rot\",\"Data\":\"$(printf rot-two | base64)\"}"
	wait_for 60 bash -c "[[ \$(rot_version $m) -gt $v ]] || curl -sf --unix-socket '$CL_TMP/$m/d.sock' \
		-H 'Content-Type: application/json' -d '$body' 'http://localhost/v1.41/secrets/$id/update?version=$v'" ||
		fail "secret update on $m"
	[[ $(dk "$m" secret inspect --format '{{.ID}} {{.Spec.Name}}' rot) == "$id rot" ]] || fail "ID or name changed"
	wait_for 90 bash -c "rot_on n4 rot-two || rot_on n5 rot-two" || fail "no task rolled: $(dk "$m" service ps rot)"
	[[ $(rot_state "$m") == "updating 1" ]] || fail "roll over too soon to kill the leader: $(rot_state "$m")"
	cl_kill "$leader"
	wait_for 120 bash -c "[[ \$(rot_state $m) == 'completed 1' ]]" ||
		fail "the new leader did not finish the roll: $(dk "$m" service inspect rot --format '{{json .UpdateStatus}}')"
	wait_for 60 bash -c 'rot_on n4 rot-two && rot_on n5 rot-two' || fail "old content left: $(dk "$m" service ps rot)"
	cl_start "$leader"
	wait_for 30 bash -c "[[ \$(rot_version $leader) -gt $v ]]" || fail "$leader did not catch up"
	wait_for 60 bash -c '! dk n1 service inspect rot >/dev/null 2>&1 || dk n1 service rm rot' || fail "service rm rot"
	wait_for 60 bash -c '[[ -z $(dk n4 ps -aq --filter label=com.docker.swarm.service.name=rot) && -z $(dk n5 ps -aq --filter label=com.docker.swarm.service.name=rot) ]]' ||
		fail "containers of rot left"
	wait_for 60 bash -c '! dk n1 secret inspect rot >/dev/null 2>&1 || dk n1 secret rm rot' || fail "secret rm rot"
	ok "secret rotated in place: same ID and name, new version, its service rolled one task at a time, finished by a new leader after kill -9 of the old one"
}

talk_logs_ok() { # NODE: the 3 lines of talk's task on n4, with their prefix
	[[ $(dk "$1" service logs talk 2>&1 | grep -cE '^talk\.1\.[0-9a-z]{12}@n4 +\| (from|err|end)-n4$') == 3 ]]
}
export -f talk_logs_ok

# A task on a worker: its lines through the leader and the worker's agent,
# on every manager (the leader and the others).
test_services_logs() {
	local n out
	import_busybox_all
	wait_for 60 bash -c 'dk n1 service inspect talk >/dev/null 2>&1 ||
		dk n1 service create -d --name talk --constraint node.hostname==n4 --network none busybox sh -c "echo from-n4; echo err-n4 >&2; echo end-n4; sleep 1000"' ||
		fail "service create talk"
	wait_for 90 bash -c '[[ $(dk n4 ps -q --filter label=com.docker.swarm.service.name=talk | wc -l) == 1 ]]' ||
		fail "talk on n4: $(dk n1 service ps talk)"
	# Retried: an election on a loaded machine makes a read fail for a while.
	for n in n1 n2 n3; do
		wait_for 60 talk_logs_ok "$n" || fail "logs of a task on n4 from $n: $(dk "$n" service logs talk 2>&1)"
	done
	wait_for 60 bash -c '[[ $(dk n2 service logs --tail 1 --raw talk 2>&1) =~ ^[a-z]+-n4$ ]]' ||
		fail "--tail 1 --raw: $(dk n2 service logs --tail 1 --raw talk 2>&1)"
	local task="" i
	for i in $(seq 60); do
		task=$(dk n1 service ps -q talk 2>/dev/null) && [[ -n $task ]] && break
		sleep 1
	done
	wait_for 60 bash -c "[[ \$(dk n3 service logs $task 2>/dev/null | grep -c -- '-n4\$') == 2 ]]" ||
		fail "task logs on stdout: $(dk n3 service logs "$task")"
	# -f from a manager: a line the task prints later arrives.
	local pid cid
	timeout -k 2 120 "$DOCKER" -H "unix://$CL_TMP/n2/d.sock" service logs -f talk >"$CL_TMP/follow.out" 2>&1 &
	pid=$!
	wait_for 60 grep -q end-n4 "$CL_TMP/follow.out" || fail "follow replay: $(cat "$CL_TMP/follow.out")"
	cid=$(dk n4 ps -q --filter label=com.docker.swarm.service.name=talk)
	dk n4 exec "$cid" sh -c 'echo later-n4 >/proc/1/fd/1' || fail "exec on n4"
	wait_for 60 grep -qE '@n4 +\| later-n4$' "$CL_TMP/follow.out" || fail "followed line: $(cat "$CL_TMP/follow.out")"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	wait_for 60 bash -c '! dk n1 service inspect talk >/dev/null 2>&1 || dk n1 service rm talk' || fail "service rm talk"
	wait_for 60 bash -c '[[ -z $(dk n4 ps -aq --filter label=com.docker.swarm.service.name=talk) ]]' ||
		fail "talk left on n4"
	ok "service logs: a task on a worker, read from each manager, with --tail, --raw, a task ID and -f"
}

# ---- images from a registry ----
# A registry with TLS and basic auth in n1's namespace (the nodes take
# 198.18.0.0/24 as insecure: TLS unverified); the image is only there.
reg_start() {
	local d=$CL_TMP/reg
	mkdir -p "$d/storage"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=198.18.0.1 \
		-addext subjectAltName=IP:198.18.0.1 -keyout "$d/key" -out "$d/crt" >/dev/null 2>&1 || fail "openssl"
	htpasswd -Bbn alice s3cret >"$d/htpasswd" 2>/dev/null || fail "htpasswd"
	cat >"$d/config.yml" <<-EOC
		version: 0.1
		log:
		  level: warn
		  accesslog:
		    disabled: true
		storage:
		  filesystem:
		    rootdirectory: $d/storage
		http:
		  addr: 198.18.0.1:5043
		  secret: berth-cluster
		  tls:
		    certificate: $d/crt
		    key: $d/key
		auth:
		  htpasswd:
		    realm: berth-cluster
		    path: $d/htpasswd
	EOC
	nsenter --net="/run/netns/${CL_PREFIX}-n1" -- docker-registry serve "$d/config.yml" >"$d/log" 2>&1 </dev/null &
	REG_PID=$!
	CL_BG+=("$REG_PID")
	wait_for 30 bash -c "nsenter --net=/run/netns/${CL_PREFIX}-n1 -- curl -sk -o /dev/null -w '%{http_code}' https://198.18.0.1:5043/v2/ | has 401" ||
		fail "the registry did not come up: $(cat "$d/log")"
}

reg_stop() {
	[[ -n ${REG_PID:-} ]] && { kill "$REG_PID"; wait "$REG_PID"; } 2>/dev/null
	REG_PID=
}

test_service_pull() {
	command -v docker-registry >/dev/null && command -v htpasswd >/dev/null ||
		{ log "docker-registry or htpasswd missing: skipped"; return 0; }
	import_busybox_all
	reg_start
	local img=198.18.0.1:5043/app:1 cfg=$CL_TMP/docker-config
	dk n1 tag busybox:latest "$img" || fail "tag"
	DOCKER_CONFIG=$cfg dk n1 login -u alice -p s3cret 198.18.0.1:5043 >/dev/null || fail "login"
	DOCKER_CONFIG=$cfg dk n1 push "$img" >/dev/null || fail "push"
	dk n1 rmi "$img" >/dev/null || fail "rmi"
	! dk n4 image inspect "$img" >/dev/null 2>&1 || fail "n4 has the image before the service"
	wait_for 60 bash -c "dk n1 service inspect pulled >/dev/null 2>&1 ||
		DOCKER_CONFIG=$cfg dk n1 service create -d --name pulled --with-registry-auth --network none \
			--constraint node.hostname==n4 --stop-grace-period 1s $img sleep 1000" || fail "service create"
	wait_for 90 bash -c '[[ -n $(dk n4 ps -q --filter label=com.docker.swarm.service.name=pulled --filter status=running) ]]' ||
		fail "pulled does not run on n4: $(dk n1 service ps --no-trunc pulled)"
	# The CLI pins the image by digest; a pull by digest tags nothing (as dockerd's).
	local pinned
	pinned=$(dk n1 service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' pulled)
	[[ $pinned == "$img@sha256:"* ]] || fail "service image not pinned: $pinned"
	dk n4 image inspect "$pinned" >/dev/null || fail "n4 did not pull $pinned"
	[[ $(dk n1 service inspect pulled) != *RegistryAuth* ]] || fail "service inspect shows the credentials"
	wait_for 60 bash -c '! dk n1 service inspect pulled >/dev/null 2>&1 || dk n1 service rm pulled' || fail "service rm pulled"
	wait_for 60 bash -c '[[ -z $(dk n4 ps -aq --filter label=com.docker.swarm.service.name=pulled) ]]' ||
		fail "containers of pulled left on n4"
	reg_stop
	ok "images from a registry: a worker pulls a service's image from a registry with auth, with the credentials of --with-registry-auth"
}

# ---- overlay networks ----
ov_devices() { # NODE: overlay bridges and vxlan devices in the node's namespace
	ip -n "${CL_PREFIX}-$1" -o link show | grep -cE ': (ov|vx)-'
}
ov_task_ip() { # NODE: the overlay address of the ovs task running there
	local c
	c=$(dk "$1" ps -q --filter label=com.docker.swarm.service.name=ovs --filter status=running | head -1)
	[[ -n $c ]] && dk "$1" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$c"
}
ov_ping() { # FROM-NODE IP: the ovs task on FROM-NODE reaches IP over the overlay
	local c
	c=$(dk "$1" ps -q --filter label=com.docker.swarm.service.name=ovs --filter status=running | head -1)
	[[ -n $c ]] && dk "$1" exec "$c" busybox ping -c1 -W2 "$2"
}
# An address outside the swarm: on the test switch, whose namespace has no
# route to any container subnet, so only NAT'ed traffic gets answers.
CL_OUTSIDE=198.18.0.250
ov_outside() { # NODE: the source address the outside sees for a connection of the ovs task on NODE
	local c port=$((30000 + RANDOM % 20000)) out="$CL_TMP/outside.$RANDOM" pid i
	c=$(dk "$1" ps -q --filter label=com.docker.swarm.service.name=ovs --filter status=running | head -1)
	[[ -n $c ]] || return 1
	ip netns exec "$CL_SW" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); s.settimeout(15)
c, a = s.accept(); print(a[0]); c.close()' "$CL_OUTSIDE" "$port" >"$out" 2>&1 &
	pid=$!
	for i in $(seq 50); do
		ip netns exec "$CL_SW" ss -ltn 2>/dev/null | has ":$port " && break
		sleep 0.1
	done
	dk "$1" exec "$c" busybox sh -c "echo hi | busybox nc $CL_OUTSIDE $port" >/dev/null 2>&1
	wait "$pid" 2>/dev/null
	cat "$out"
}
export -f ov_devices ov_task_ip ov_ping
export CL_PREFIX

resolves_on_n2() { # NAME: oc-n2's DNS answers NAME
	dk n2 exec oc-n2 busybox nslookup "$1" 127.0.0.11 >/dev/null 2>&1
}
gone_on_n2() { ! resolves_on_n2 "$1"; }
# ADDR: no attachment holds ADDR on ovc (a container created there with it
# gets it), and none is left behind.
ov_addr_free() {
	dk n2 create --name oc-probe --network ovc --ip "$1" busybox true >/dev/null 2>&1 || return 1
	dk n2 rm oc-probe >/dev/null 2>&1
}
export -f resolves_on_n2 gone_on_n2 ov_addr_free

# As dockerd, an attached container holds its attachment only while it
# runs: at a stop (docker stop, an exit of its own, docker restart, one that
# ended while its node's berthd was killed -9) the address goes back and
# its name and alias leave the other nodes' DNS; a start asks again, and
# fails with dockerd's message when the network is gone. ADDR: oc-n4's.
ov_attach_stop_start() {
	local out pid
	dk n4 stop -t 1 oc-n4 >/dev/null || fail "stop of the attached oc-n4"
	wait_for 30 gone_on_n2 oc-n4 || fail "oc-n4 still resolves on n2 after its stop"
	gone_on_n2 al-n4 || fail "oc-n4's alias still resolves on n2 after its stop"
	out=$(dk n4 inspect --format '{{with index .NetworkSettings.Networks "ovc"}}{{.IPAddress}}|{{json .IPAMConfig}}|{{.EndpointID}}|{{.Aliases}}{{end}}' oc-n4)
	[[ $out == "|null||[al-n4]" ]] || fail "the stopped oc-n4's ovc endpoint: $out"
	wait_for 30 ov_addr_free "$1" || fail "oc-n4's address $1 is still held after its stop"
	dk n4 start oc-n4 >/dev/null || fail "start of the stopped attached oc-n4"
	out=$(dk n4 inspect --format '{{with index .NetworkSettings.Networks "ovc"}}{{.IPAddress}} {{.IPAMConfig.IPv4Address}}{{end}}' oc-n4)
	[[ $out =~ ^(10\.232\.1\.[0-9]+)\ (10\.232\.1\.[0-9]+)$ && ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]] ||
		fail "the started oc-n4's ovc endpoint: $out"
	wait_for 30 dk n2 exec oc-n2 busybox ping -c1 -W2 oc-n4 || fail "n2 -> oc-n4 by name after its start"
	wait_for 30 dk n2 exec oc-n2 busybox ping -c1 -W2 al-n4 || fail "n2 -> oc-n4 by alias after its start"
	wait_for 30 dk n4 exec oc-n4 busybox ping -c1 -W2 oc-n2 || fail "oc-n4 -> n2 by name after its start"
	# An exit of its own.
	dk n4 run -d --name oc-exit --network ovc busybox \
		busybox sh -c 'while [ ! -e /go ]; do busybox sleep 0.1; done' >/dev/null || fail "run oc-exit"
	wait_for 30 resolves_on_n2 oc-exit || fail "oc-exit does not resolve on n2"
	dk n4 exec oc-exit busybox touch /go || fail "exec in oc-exit"
	wait_for 30 gone_on_n2 oc-exit || fail "oc-exit still resolves on n2 after its exit"
	dk n4 rm oc-exit >/dev/null || fail "rm oc-exit"
	# docker restart with --ip: the address it asked for again, at once.
	dk n4 run -d --name oc-ip --network ovc --ip 10.232.1.200 busybox sleep 1000 >/dev/null || fail "run --ip"
	dk n4 restart -t 0 oc-ip >/dev/null || fail "restart of a container attached with --ip"
	[[ $(dk n4 inspect --format '{{.NetworkSettings.Networks.ovc.IPAddress}}' oc-ip) == 10.232.1.200 ]] ||
		fail "oc-ip's address after restart: $(dk n4 inspect --format '{{json .NetworkSettings.Networks}}' oc-ip)"
	wait_for 30 dk n2 exec oc-n2 busybox ping -c1 -W2 oc-ip || fail "n2 -> oc-ip after its restart"
	# It ends while berthd is down: the attachment goes back at the start.
	pid=$(dk n4 inspect --format '{{.State.Pid}}' oc-ip)
	[[ $pid =~ ^[0-9]+$ && $pid != 0 ]] || fail "oc-ip's pid: $pid"
	cl_kill n4
	kill -9 "$pid"
	cl_start n4
	wait_for 30 gone_on_n2 oc-ip || fail "oc-ip still resolves on n2 after it ended while berthd was down"
	wait_for 30 ov_addr_free 10.232.1.200 || fail "oc-ip's address is still held after berthd's restart"
	dk n4 rm oc-ip >/dev/null || fail "rm oc-ip"
	# The network is gone when it starts again: dockerd's message.
	dk n1 network create -d overlay --subnet 10.232.2.0/24 --attachable ovd >/dev/null || fail "create ovd"
	wait_for 60 bash -c "[[ -n \$(dk n4 ps -aq --filter name=oc-gone) ]] || dk n4 run -d --name oc-gone --network ovd busybox sleep 1000" ||
		fail "run on ovd"
	dk n4 stop -t 0 oc-gone >/dev/null || fail "stop oc-gone"
	wait_for 30 dk n1 network rm ovd || fail "rm of ovd once its only container stopped"
	out=$(dk n4 start oc-gone 2>&1) && fail "start with its network gone must fail"
	[[ $out == *"Could not attach to network ovd: rpc error: code = NotFound desc = network ovd not found"* ]] ||
		fail "start with its network gone: $out"
	dk n4 rm oc-gone >/dev/null || fail "rm oc-gone"
}

# An overlay network made on a manager, refused on a worker; a global
# service on it with a task on each worker; the tasks reach each other
# across the vxlan, also after a worker's berthd is killed -9 and started
# again; after rm nothing is left on any node.
test_overlay() {
	local out ip4 ip5 n
	import_busybox_all
	out=$(dk n4 network create -d overlay ovw 2>&1) && fail "overlay create on a worker must fail"
	[[ "$out" == *'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join"'* ]] ||
		fail "worker message: $out"
	wait_for 60 bash -c 'dk n1 network inspect ovc >/dev/null 2>&1 ||
		dk n1 network create -d overlay --subnet 10.232.1.0/24 --attachable ovc' || fail "overlay create"
	[[ $(dk n2 network inspect --format '{{.Scope}} {{.Driver}} {{(index .IPAM.Config 0).Subnet}}' ovc) == "swarm overlay 10.232.1.0/24" ]] ||
		fail "network inspect on another manager: $(dk n2 network inspect ovc)"
	# Attachable: containers on a worker and on another manager.
	for n in n4 n2; do
		wait_for 60 bash -c "[[ -n \$(dk $n ps -q --filter name=oc-$n) ]] || dk $n run -d --name oc-$n --network ovc --network-alias al-$n busybox sleep 1000" ||
			fail "docker run --network ovc on $n"
	done
	ip4=$(dk n4 inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' oc-n4)
	ip5=$(dk n2 inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' oc-n2)
	[[ $ip4 == 10.232.1.* && $ip5 == 10.232.1.* && $ip4 != "$ip5" ]] || fail "attached addresses $ip4 $ip5"
	wait_for 30 dk n4 exec oc-n4 busybox ping -c1 -W2 "$ip5" || fail "attached container n4 -> n2"
	wait_for 30 dk n2 exec oc-n2 busybox ping -c1 -W2 "$ip4" || fail "attached container n2 -> n4"
	# And by name, each node's DNS knowing the other's container.
	wait_for 30 dk n4 exec oc-n4 busybox ping -c1 -W2 oc-n2 || fail "attached container n4 -> n2 by name"
	wait_for 30 dk n2 exec oc-n2 busybox ping -c1 -W2 oc-n4 || fail "attached container n2 -> n4 by name"
	# And by --network-alias.
	wait_for 30 dk n4 exec oc-n4 busybox ping -c1 -W2 al-n2 || fail "attached container n4 -> n2 by alias"
	wait_for 30 dk n2 exec oc-n2 busybox ping -c1 -W2 al-n4 || fail "attached container n2 -> n4 by alias"
	dk n4 exec oc-n4 busybox nslookup tasks.oc-n2 127.0.0.11 >/dev/null 2>&1 && fail "tasks.<container> resolved"
	ov_attach_stop_start "$ip4"
	dk n4 rm -f oc-n4 >/dev/null && dk n2 rm -f oc-n2 >/dev/null || fail "rm of the attached containers"
	wait_for 60 bash -c 'dk n1 service inspect ovs >/dev/null 2>&1 ||
		dk n1 service create -d --name ovs --mode global --constraint node.role==worker --network ovc \
			--stop-grace-period 1s busybox sleep 1000' || fail "service create on ovc"
	wait_for 90 bash -c '[[ -n $(ov_task_ip n4) && -n $(ov_task_ip n5) ]]' ||
		fail "ovs tasks on n4 and n5: $(dk n1 service ps --no-trunc ovs)"
	ip4=$(ov_task_ip n4)
	ip5=$(ov_task_ip n5)
	[[ $ip4 == 10.232.1.* && $ip5 == 10.232.1.* && $ip4 != "$ip5" ]] || fail "task addresses $ip4 $ip5"
	wait_for 30 ov_ping n4 "$ip5" || fail "n4 -> n5 over the overlay"
	wait_for 30 ov_ping n5 "$ip4" || fail "n5 -> n4 over the overlay"
	# The way out: each task reaches an address outside the swarm through
	# its node's docker_gwbridge (its eth1 and default route), NAT'ed to the
	# node's address; the overlay's bridge no longer masquerades.
	ip -n "$CL_SW" addr add "$CL_OUTSIDE/24" dev br0 2>/dev/null
	for n in n4 n5; do
		dk "$n" network ls --format '{{.Name}} {{.Driver}} {{.Scope}}' | has -x 'docker_gwbridge bridge local' ||
			fail "docker_gwbridge on $n: $(dk "$n" network ls)"
		out=$(dk "$n" ps -q --filter label=com.docker.swarm.service.name=ovs --filter status=running | head -1)
		dk "$n" exec "$out" busybox ip -4 route | has -E '^default via [0-9.]+ dev eth1' ||
			fail "the route of the task on $n: $(dk "$n" exec "$out" busybox ip -4 route)"
		ip=IP_$n
		[[ $(ov_outside "$n") == "${!ip}" ]] || fail "the outside from the task on $n: '$(ov_outside "$n")'"
		ip netns exec "${CL_PREFIX}-$n" nft list ruleset | has 'ip saddr 10.232.1.0/24 oifname !=' &&
			fail "the overlay's bridge masquerades on $n"
	done
	# n5 joined with --data-path-addr: its vxlan device sends from there and
	# n4 sends n5's endpoints there.
	ip -n "${CL_PREFIX}-n5" -d link show | has "local $DATA_IP_n5 " ||
		fail "n5's vxlan device: $(ip -n "${CL_PREFIX}-n5" -d link show | grep -A2 ': vx-')"
	ip -n "${CL_PREFIX}-n4" -d link show | has "local $IP_n4 " ||
		fail "n4's vxlan device: $(ip -n "${CL_PREFIX}-n4" -d link show | grep -A2 ': vx-')"
	bridge -n "${CL_PREFIX}-n4" fdb show | has "dst $DATA_IP_n5 " ||
		fail "n4's FDB entries for n5: $(bridge -n "${CL_PREFIX}-n4" fdb show | grep dst)"
	out=$(dk n1 service ps -q ovs | head -1)
	[[ $(dk n1 inspect --format '{{range .NetworksAttachments}}{{.Network.Spec.Name}} {{.Addresses}}{{end}}' "$out") == "ovc ["10.232.1.* ]] ||
		fail "NetworksAttachments: $(dk n1 inspect --format '{{json .NetworksAttachments}}' "$out")"
	ip -n "${CL_PREFIX}-n1" -o link show | has -E ': (ov|vx)-' && fail "n1 runs no task of ovc yet has its devices"
	cl_kill n4
	cl_start n4
	# If n4 was Down meanwhile (its connection to the leader closed, and a
	# loaded machine restarts berthd slowly), its global task was replaced:
	# n5 reaches whichever runs there now.
	wait_for 60 bash -c 'ip4=$(ov_task_ip n4) && ov_ping n5 "$ip4"' ||
		fail "n5 -> n4 after n4's berthd was killed -9 ($(ov_task_ip n4))"
	wait_for 30 ov_ping n4 "$ip5" || fail "n4 -> n5 after its berthd was killed -9"
	[[ $(ov_outside n4) == "$IP_n4" ]] || fail "the outside from the task on n4 after kill -9: '$(ov_outside n4)'"
	out=$(dk n1 network rm ovc 2>&1) && fail "rm of a network in use must fail"
	[[ "$out" == *"is in use by service"* ]] || fail "in use message: $out"
	wait_for 60 bash -c '! dk n1 service inspect ovs >/dev/null 2>&1 || dk n1 service rm ovs' || fail "service rm ovs"
	wait_for 60 bash -c '! dk n1 network inspect ovc >/dev/null 2>&1 || dk n1 network rm ovc' || fail "network rm ovc"
	for n in n1 n2 n3 n4 n5; do
		wait_for 30 bash -c "[[ \$(ov_devices $n) == 0 ]]" || fail "overlay devices left on $n: $(ip -n "${CL_PREFIX}-$n" -o link show)"
		if command -v nft >/dev/null; then
			# The devices go first, the table is rebuilt right after.
			wait_for 10 bash -c "! ip netns exec ${CL_PREFIX}-$n nft list ruleset 2>/dev/null | has ov-" ||
				fail "nftables rules of ovc left on $n"
		fi
	done
	ok "overlay: create on a manager (refused on a worker), attachable containers on a worker and a manager ping each other (by address, by name and by --network-alias) and give their attachment back while stopped (stop, exit, restart --ip, kill -9; a start without its network fails as dockerd's), a service's tasks on two workers reach each other over the vxlan (n5's on its --data-path-addr; also after kill -9) and an outside address through their node's docker_gwbridge, rm leaves nothing on any node"
}

# ---- encrypted overlay networks ----
enc_cid() { dk "$1" ps -q --filter label=com.docker.swarm.service.name=oes --filter status=running | head -1; }
enc_task_ip() { # NODE: the overlay address of the oes task running there
	local c
	c=$(enc_cid "$1")
	[[ -n $c ]] && dk "$1" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$c"
}
enc_ping() { # FROM-NODE IP
	local c
	c=$(enc_cid "$1")
	[[ -n $c ]] && dk "$1" exec "$c" busybox ping -c1 -W2 "$2"
}
enc_spi() { # NODE PEER: the SPI the node's outbound policy to PEER sends with
	ip -n "${CL_PREFIX}-$1" xfrm policy | grep -A3 "dst $2/32 proto udp dport 4789" | grep -o 'spi 0x[0-9a-f]*'
}
enc_count() { # NODE: the xfrm states and policies in the node's namespace
	echo $(($(ip -n "${CL_PREFIX}-$1" xfrm state | grep -c '^src') + $(ip -n "${CL_PREFIX}-$1" xfrm policy | grep -c '^src')))
}
enc_wire() { # COUNTER: packets the switch forwarded from n4 to n5's data path address
	ip netns exec "$CL_SW" nft list chain bridge encw wire | grep "comment \"$1\"" | grep -o 'packets [0-9]*' | cut -d' ' -f2
}
export -f enc_cid enc_task_ip enc_ping enc_spi enc_count enc_wire

# Whether this kernel does ESP with AES-GCM (CONFIG_INET_ESP, CONFIG_CRYPTO_GCM):
# a state added in a namespace of its own.
esp_supported() {
	local ns="${CL_PREFIX}-esp" r
	ip netns add "$ns" || return 1
	ip -n "$ns" xfrm state add src 198.18.0.250 dst 198.18.0.251 proto esp spi 0x100 mode transport \
		aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128 >/dev/null 2>&1
	r=$?
	ip netns del "$ns"
	return $r
}

# -o encrypted: per pair of nodes, an outbound policy (ESP with the primary
# key) and an inbound one (ESP required) on the VXLAN traffic. With ESP in
# the kernel, the tasks of a service on two workers talk over ESP (the
# switch between the nodes sees ESP from n4 to n5 and no VXLAN in clear)
# and keep talking, without a lost ping, while the keys rotate
# (BERTH_NETKEY_ROTATION, set for this run). Without ESP in the kernel (as on
# the machines this was written on), nothing goes in clear: the tasks
# cannot talk, the switch sees no VXLAN, berthd says why; the keys still
# rotate. After kill -9, the restarted berthd removes stale policies and
# states of its own, never another's; after rm nothing is left on any node.
test_encrypted() {
	local ip4 ip5 c4 spi0 rq n esp=1 ns4="${CL_PREFIX}-n4"
	local key=0x0102030405060708090a0b0c0d0e0f1011121314
	import_busybox_all
	esp_supported || esp=0
	((esp)) || log "this kernel has no ESP: encrypted overlay traffic must be dropped, not sent in clear"
	wait_for 60 bash -c 'dk n1 network inspect ove >/dev/null 2>&1 ||
		dk n1 network create -d overlay -o encrypted --subnet 10.232.2.0/24 ove' || fail "encrypted overlay create"
	[[ $(dk n2 network inspect --format '{{index .Options "encrypted"}}|{{.Driver}}' ove) == "|overlay" ]] ||
		fail "network inspect: $(dk n2 network inspect --format '{{json .Options}}' ove)"
	# Not Berth's: a policy of someone else in n4's namespace.
	ip -n "$ns4" xfrm policy add src "$IP_n4/32" dst 198.19.0.98/32 proto udp dport 4789 dir out \
		tmpl src "$IP_n4" dst 198.19.0.98 proto esp reqid 7 mode transport || fail "foreign xfrm policy"
	wait_for 60 bash -c 'dk n1 service inspect oes >/dev/null 2>&1 ||
		dk n1 service create -d --name oes --mode global --constraint node.role==worker --network ove \
			--stop-grace-period 1s busybox sleep 1000' || fail "service create on ove"
	wait_for 90 bash -c '[[ -n $(enc_task_ip n4) && -n $(enc_task_ip n5) ]]' ||
		fail "oes tasks on n4 and n5: $(dk n1 service ps --no-trunc oes)"
	ip4=$(enc_task_ip n4)
	ip5=$(enc_task_ip n5)
	c4=$(enc_cid n4)
	[[ $(dk n4 exec "$c4" busybox cat /sys/class/net/eth0/mtu) == 1410 ]] ||
		fail "MTU of the task on an encrypted overlay (1500 - 50 - 40): $(dk n4 exec "$c4" busybox cat /sys/class/net/eth0/mtu)"
	wait_for 30 bash -c "[[ -n \$(enc_spi n4 $DATA_IP_n5) && -n \$(enc_spi n5 $IP_n4) ]]" ||
		fail "outbound policies: $(ip -n "$ns4" xfrm policy)"
	ip -n "$ns4" xfrm policy | grep -A3 "src $DATA_IP_n5/32 dst $IP_n4/32 proto udp dport 4789" | grep -q 'dir in' ||
		fail "n4's inbound policy from n5: $(ip -n "$ns4" xfrm policy)"
	# The wire: counters on the switch between the nodes.
	ip netns exec "$CL_SW" nft -f - <<-EOF || fail "switch counters"
		table bridge encw {
			chain wire {
				type filter hook forward priority 0;
				ip saddr $IP_n4 ip daddr $DATA_IP_n5 meta l4proto esp counter comment "esp"
				ip saddr $IP_n4 ip daddr $DATA_IP_n5 udp dport 4789 counter comment "vxlan"
			}
		}
	EOF
	if ((esp)); then
		wait_for 30 enc_ping n4 "$ip5" || fail "n4 -> n5 over the encrypted overlay: $(ip -n "$ns4" xfrm state)"
		wait_for 30 enc_ping n5 "$ip4" || fail "n5 -> n4 over the encrypted overlay"
		dk n4 exec "$c4" busybox ping -c5 -i 0.2 -W2 "$ip5" >/dev/null || fail "ping with the switch counting"
		(($(enc_wire esp) >= 5)) || fail "ESP on the wire: $(enc_wire esp) packets"
	else
		dk n4 exec "$c4" busybox ping -c3 -W2 "$ip5" >/dev/null && fail "a ping went through without ESP"
		grep -q 'this kernel cannot do ESP' "$CL_TMP/n4/log" || fail "n4 does not say why: $(grep -i encrypt "$CL_TMP/n4/log")"
	fi
	(($(enc_wire vxlan) == 0)) || fail "VXLAN in clear on the wire: $(enc_wire vxlan) packets"
	# Rotation: the policies move to the next key (with ESP: pings all along).
	spi0=$(enc_spi n4 "$DATA_IP_n5")
	if ((esp)); then
		timeout -k 2 300 "$DOCKER" -H "unix://$CL_TMP/n4/d.sock" exec "$c4" sh -c \
			"while [ ! -e /stop ]; do busybox ping -c1 -W5 $ip5 >/dev/null && echo SENT || echo LOST; done" \
			>"$CL_TMP/rotation.log" 2>&1 &
		local pinger=$!
		CL_BG+=("$pinger")
	fi
	wait_for 120 bash -c "[[ -n \$(enc_spi n4 $DATA_IP_n5) && \$(enc_spi n4 $DATA_IP_n5) != '$spi0' ]]" ||
		fail "no key rotation seen on n4 (still $spi0)"
	if ((esp)); then
		n=$(grep -c SENT "$CL_TMP/rotation.log")
		wait_for 60 bash -c "(( \$(grep -c SENT $CL_TMP/rotation.log) >= $n + 3 ))" || fail "pings after the rotation"
		dk n4 exec "$c4" busybox touch /stop || fail "stop the pings"
		wait "$pinger"
		[[ $(grep -c SENT "$CL_TMP/rotation.log") -ge 3 && $(grep -c LOST "$CL_TMP/rotation.log") == 0 ]] ||
			fail "pings during the rotation: $(sort "$CL_TMP/rotation.log" | uniq -c)"
	fi
	# kill -9: stale policies and states of this daemon (its reqid) go at
	# the restart, the others' stay.
	rq=$(ip -n "$ns4" xfrm policy | grep -v 'reqid 7 ' | sed -n 's/.*reqid \([0-9]*\).*/\1/p' | head -1)
	[[ -n $rq ]] || fail "n4's reqid: $(ip -n "$ns4" xfrm policy)"
	cl_kill n4
	ip -n "$ns4" xfrm policy add src "$IP_n4/32" dst 198.19.0.99/32 proto udp dport 4789 dir out \
		tmpl src "$IP_n4" dst 198.19.0.99 proto esp spi 0x4343 reqid "$rq" mode transport || fail "stale xfrm policy"
	if ((esp)); then
		ip -n "$ns4" xfrm state add src "$IP_n4" dst 198.19.0.99 proto esp spi 0x4343 reqid "$rq" mode transport \
			aead 'rfc4106(gcm(aes))' "$key" 128 || fail "stale xfrm state"
	fi
	cl_start n4
	wait_for 60 bash -c "! ip -n $ns4 xfrm state | grep -q 'dst 198.19.0.99' && ! ip -n $ns4 xfrm policy | grep -q 'dst 198.19.0.99'" ||
		fail "stale xfrm of n4 left after its restart: $(ip -n "$ns4" xfrm state; ip -n "$ns4" xfrm policy)"
	wait_for 30 bash -c "[[ -n \$(enc_spi n4 $DATA_IP_n5) ]]" || fail "n4's policy to n5 after its restart"
	if ((esp)); then
		# (n4's task may have been replaced while it was Down, as in test_overlay)
		wait_for 60 bash -c 'ip4=$(enc_task_ip n4) && enc_ping n5 "$ip4"' ||
			fail "n5 -> n4 after n4's berthd was killed -9"
		wait_for 30 enc_ping n4 "$ip5" || fail "n4 -> n5 after its berthd was killed -9"
	fi
	wait_for 60 bash -c '! dk n1 service inspect oes >/dev/null 2>&1 || dk n1 service rm oes' || fail "service rm oes"
	wait_for 60 bash -c '! dk n1 network inspect ove >/dev/null 2>&1 || dk n1 network rm ove' || fail "network rm ove: $(dk n1 network rm ove 2>&1; dk n1 service ls)"
	for n in n1 n2 n3 n5; do
		wait_for 30 bash -c "[[ \$(enc_count $n) == 0 ]]" ||
			fail "xfrm left on $n: $(ip -n "${CL_PREFIX}-$n" xfrm state; ip -n "${CL_PREFIX}-$n" xfrm policy)"
	done
	wait_for 30 bash -c "[[ \$(enc_count n4) == 1 ]]" ||
		fail "xfrm left on n4: $(ip -n "$ns4" xfrm state; ip -n "$ns4" xfrm policy)"
	ip -n "$ns4" xfrm policy | grep -q 'dst 198.19.0.98/32' || fail "the policy that is not Berth's is gone"
	ip -n "$ns4" xfrm policy flush
	ip netns exec "$CL_SW" nft delete table bridge encw
	if ((esp)); then
		ok "encrypted overlay: tasks on two workers talk over ESP (ESP on the wire, no VXLAN in clear), through a key rotation without a lost ping, after kill -9 (stale xfrm of its own removed, others' kept); rm leaves no xfrm state or policy"
	else
		ok "encrypted overlay on a kernel without ESP: policies both ways, nothing in clear on the wire (the tasks cannot talk, berthd says why), keys rotate, after kill -9 stale policies of its own removed (others' kept); rm leaves no xfrm policy"
	fi
}

hp_answers() { # FROM_NODE IP: the name a task's httpd serves on port 18080 there
	ip netns exec "${CL_PREFIX}-$1" curl -sf --max-time 3 "http://$2:18080/name"
}
export -f hp_answers

# Host-mode published ports on several nodes: each worker's task answers on
# its own node's address (reached from another node), and a second service
# that wants the same port finds no node for its tasks.
test_host_ports() {
	local n ip out
	import_busybox_all
	wait_for 60 bash -c 'dk n1 service inspect hp >/dev/null 2>&1 ||
		dk n1 service create -d --name hp --mode global --constraint node.role==worker \
			--publish mode=host,published=18080,target=80 --stop-grace-period 1s \
			busybox sh -c "mkdir -p /www && hostname >/www/name && exec busybox httpd -f -p 80 -h /www"' ||
		fail "service create hp"
	for n in n4 n5; do
		ip="IP_$n"
		wait_for 90 hp_answers n1 "${!ip}" || fail "no answer on $n:18080: $(dk n1 service ps --no-trunc hp)"
		out=$(dk "$n" ps -q --filter label=com.docker.swarm.service.name=hp)
		[[ $(hp_answers n1 "${!ip}") == "$out" ]] || fail "$n:18080 is not its own task $out"
	done
	wait_for 30 bash -c '[[ $(dk n1 service ps hp --filter desired-state=running --format "{{.Ports}}" | sort -u) == "*:18080->80/tcp" ]]' ||
		fail "PORTS: $(dk n1 service ps hp)"
	wait_for 60 bash -c 'dk n1 service inspect hq >/dev/null 2>&1 ||
		dk n1 service create -d --name hq --replicas 1 --constraint node.role==worker \
			--publish mode=host,published=18080,target=80 busybox sleep 1000' || fail "service create hq"
	wait_for 60 bash -c 'dk n1 service ps hq --no-trunc --format "{{.Error}}" | has "host-mode port already in use on"' ||
		fail "hq should find no node: $(dk n1 service ps --no-trunc hq)"
	for s in hq hp; do
		wait_for 60 bash -c "! dk n1 service inspect $s >/dev/null 2>&1 || dk n1 service rm $s" || fail "service rm $s"
	done
	for n in n4 n5; do
		ip="IP_$n"
		wait_for 60 bash -c "! hp_answers n1 ${!ip}" || fail "$n still answers on 18080 after rm"
	done
	ok "host-mode ports: a global service's tasks answer on each worker's own address, a second service wanting the port stays pending, rm closes them"
}

# ---- service discovery and VIPs ----
vip_lookup() { # NAME: the addresses the embedded DNS of vc (on n2) answers, sorted
	dk n2 exec vc busybox nslookup "$1" 127.0.0.11 2>/dev/null |
		awk '/^Name:/{n=1} n&&/^Address/{print $NF}' | sort | paste -sd' '
}
vip_task_ips() { # SERVICE: the overlay addresses of its running tasks, sorted
	local n c
	for n in n1 n2 n3 n4 n5; do
		for c in $(dk "$n" ps -q --filter "label=com.docker.swarm.service.name=$1" --filter status=running); do
			dk "$n" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$c"
		done
	done | sort | paste -sd' '
}
vip_task_hosts() { # SERVICE: "node:hostname" of each of its running tasks
	local n c
	for n in n1 n2 n3 n4 n5; do
		for c in $(dk "$n" ps -q --filter "label=com.docker.swarm.service.name=$1" --filter status=running); do
			echo "$n:$(dk "$n" exec "$c" cat /etc/hostname)"
		done
	done | sort | paste -sd' '
}
vip_get() { # ADDRESS: the hostname the httpd behind ADDRESS answers vc (on n2) with
	dk n2 exec vc sh -c "printf 'GET /hostname HTTP/1.0\r\n\r\n' | busybox nc -w 3 $1 80" 2>/dev/null | tail -1
}
vip_of() { dk n1 service inspect --format '{{range .Endpoint.VirtualIPs}}{{.Addr}}{{end}}' "$1"; }
vip_nft() { # the VIP table in vc's namespace on n2
	local pid
	pid=$(dk n2 inspect --format '{{.State.Pid}}' vc) || return 1
	nsenter -t "$pid" -n nft list ruleset 2>/dev/null
}
vip_backends() { # VIP: how many addresses vc's table balances it over
	local line
	line=$(vip_nft | grep "ip daddr $1 dnat") || { echo 0; return; }
	if [[ $line == *numgen* ]]; then grep -o ' : ' <<<"$line" | wc -l; else echo 1; fi
}
vip_inspect() { # NODE: "name name ...|hostname=ip ..." of ovv's Containers and Peers there
	dk "$1" network inspect --format '{{range $id, $c := .Containers}}{{$c.Name}} {{end}}|{{range .Peers}}{{.Name}}={{.IP}} {{end}}' ovv
}
vip_node_lookup() { # NODE NAME: what the embedded DNS answers in a container on ovv on NODE, sorted ("-": none there)
	local c
	c=$({
		dk "$1" ps -q --filter label=com.docker.swarm.service.name=vs --filter status=running
		dk "$1" ps -q --filter label=com.docker.swarm.service.name=vr --filter status=running
		dk "$1" ps -q --filter name=vc --filter status=running
	} | head -1)
	[[ -n $c ]] || { echo -; return; }
	dk "$1" exec "$c" busybox nslookup "$2" 127.0.0.11 2>/dev/null |
		awk '/^Name:/{n=1} n&&/^Address/{print $NF}' | sort | paste -sd' '
}
vip_dead_gone() { # TASK-NAME ADDRESS VIP: the dead task is out of every node's DNS and vc's map
	local n live a r
	live=" $(vip_task_ips vs) "
	for n in n1 n2 n3 n4 n5; do
		r=$(vip_node_lookup "$n" "$1")
		[[ -z $r || $r == - ]] || return 1
		# Its address may be a new task's by now.
		[[ " $(vip_node_lookup "$n" tasks.vs) " != *" $2 "* || $live == *" $2 "* ]] || return 1
	done
	for a in $(vip_nft | grep "ip daddr $3 dnat" | grep -o '10\.232\.2\.[0-9]*' | grep -vx "$3"); do
		[[ $live == *" $a "* ]] || return 1
	done
}
export -f vip_of vip_lookup vip_task_ips vip_task_hosts vip_get vip_nft vip_backends vip_node_lookup vip_dead_gone vip_inspect

# A service of 3 replicas on an attachable overlay: a client container on
# another node resolves it to its VIP and tasks.<svc> to the 3 tasks, its
# connections to the VIP reach tasks on several nodes; dnsrr answers the
# tasks; a scale down leaves DNS and the balancer; rm leaves nothing.
test_vip() {
	local vip seen=" " h i out hosts
	import_busybox_all
	wait_for 60 bash -c 'dk n1 network inspect ovv >/dev/null 2>&1 ||
		dk n1 network create -d overlay --subnet 10.232.2.0/24 --attachable ovv' || fail "overlay create"
	wait_for 60 bash -c 'dk n1 service inspect vs >/dev/null 2>&1 ||
		dk n1 service create -d --name vs --replicas 3 --network name=ovv,alias=vsa \
			--stop-grace-period 1s busybox busybox httpd -f -p 80 -h /etc' || fail "service create vs"
	wait_for 90 bash -c '[[ $(vip_task_ips vs | wc -w) == 3 ]]' || fail "3 tasks of vs: $(dk n1 service ps vs)"
	wait_for 30 bash -c '[[ $(vip_of vs) == 10.232.2.*/24 ]]' || fail "Endpoint.VirtualIPs: $(dk n1 service inspect --format '{{json .Endpoint}}' vs)"
	vip=$(vip_of vs)
	vip=${vip%/24}
	wait_for 60 bash -c '[[ -n $(dk n2 ps -q --filter name=vc) ]] || dk n2 run -d --name vc --network ovv busybox sleep 1000' ||
		fail "client container on n2"
	wait_for 30 bash -c "[[ \$(vip_lookup vs) == $vip && \$(vip_lookup vsa) == $vip ]]" ||
		fail "vs and its alias should resolve to the VIP $vip: $(vip_lookup vs) / $(vip_lookup vsa)"
	wait_for 30 bash -c '[[ $(vip_lookup tasks.vs) == "$(vip_task_ips vs)" ]]' ||
		fail "tasks.vs: $(vip_lookup tasks.vs), tasks $(vip_task_ips vs)"
	# Tasks may move while the machine is loaded (a node that misses its
	# heartbeats): an answer is checked against the tasks as they are then.
	for i in $(seq 40); do
		h=$(vip_get "$vip")
		[[ -n $h ]] || continue
		hosts=$(vip_task_hosts vs)
		[[ " $hosts " == *":$h "* ]] || fail "the VIP answered $h, not a task of vs ($hosts)"
		h=$(grep -o "[a-z0-9]*:$h" <<<"$hosts")
		[[ $seen == *" $h "* ]] || seen="$seen$h "
		[[ $(wc -w <<<"$seen") -ge 3 ]] && break
	done
	log "VIP $vip reached tasks (node:hostname):$seen"
	[[ $(wc -w <<<"$seen") -ge 2 ]] || fail "connections to the VIP should reach several tasks: $seen"
	[[ $seen == *" n"[13-5]":"* ]] || fail "no connection to the VIP reached a task on another node than n2: $seen"
	# network inspect where ovv is in use (as dockerd): that node's
	# containers on it and the nodes it spans; a worker lists it too.
	wait_for 30 bash -c "[[ \$(vip_inspect n2) == *'vc '*'|'*'n2=$IP_n2 '* ]]" ||
		fail "network inspect ovv on n2 (Containers|Peers): $(vip_inspect n2)"
	for n in n4 n5; do
		h=$(dk "$n" ps --filter label=com.docker.swarm.service.name=vs --filter status=running --format '{{.Names}}' | head -1)
		[[ -n $h ]] || continue
		i="IP_$n"
		wait_for 30 bash -c "[[ \$(vip_inspect $n) == *'$h '*'|'*'$n=${!i} '* ]]" ||
			fail "network inspect ovv on the worker $n (Containers|Peers): $(vip_inspect "$n")"
		dk "$n" network ls --format '{{.Name}} {{.Driver}} {{.Scope}}' | has -x 'ovv overlay swarm' ||
			fail "network ls on the worker $n: $(dk "$n" network ls)"
		log "network inspect ovv on $n: $(vip_inspect "$n")"
	done
	# dnsrr: the name answers the tasks themselves.
	wait_for 60 bash -c 'dk n1 service inspect vr >/dev/null 2>&1 ||
		dk n1 service create -d --name vr --replicas 2 --endpoint-mode dnsrr --network ovv \
			--stop-grace-period 1s busybox sleep 1000' || fail "service create vr"
	wait_for 90 bash -c '[[ $(vip_task_ips vr | wc -w) == 2 ]]' || fail "2 tasks of vr: $(dk n1 service ps vr)"
	wait_for 30 bash -c '[[ $(vip_lookup vr) == "$(vip_task_ips vr)" ]]' ||
		fail "dnsrr vr: $(vip_lookup vr), tasks $(vip_task_ips vr)"
	wait_for 30 bash -c '[[ $(dk n1 service inspect --format "{{len .Endpoint.VirtualIPs}}" vr) == 0 ]]' ||
		fail "a dnsrr service has no VIP: $(dk n1 service inspect --format '{{json .Endpoint}}' vr)"
	# Scale down: the address leaves DNS and the balancer.
	wait_for 30 bash -c "[[ \$(vip_backends $vip) == 3 ]]" || fail "3 backends: $(vip_nft)"
	wait_for 60 dk n1 service scale -d vs=2 || fail "scale vs=2"
	wait_for 60 bash -c '[[ $(vip_task_ips vs | wc -w) == 2 && $(vip_lookup tasks.vs) == "$(vip_task_ips vs)" ]]' ||
		fail "tasks.vs after scale down: $(vip_lookup tasks.vs), tasks $(vip_task_ips vs)"
	wait_for 30 bash -c "[[ \$(vip_backends $vip) == 2 ]]" || fail "2 backends after scale down: $(vip_nft)"
	for i in 1 2 3 4 5 6; do
		h=$(vip_get "$vip")
		[[ -n $h ]] || fail "VIP after scale down"
		[[ " $(vip_task_hosts vs) " == *":$h "* ]] || fail "the VIP answered $h after scale down"
	done
	# A task's container killed: its name and address leave the DNS of
	# every node that uses ovv, and vc's map (its address may come back
	# with the task that replaces it).
	local dn dc dname dip
	for dn in n1 n3 n4 n5 n2; do
		dc=$(dk "$dn" ps -q --filter label=com.docker.swarm.service.name=vs --filter status=running | head -1)
		[[ -n $dc ]] && break
	done
	[[ -n $dc ]] || fail "no running task of vs: $(dk n1 service ps vs)"
	dname=$(dk "$dn" inspect --format '{{index .Config.Labels "com.docker.swarm.task.name"}}' "$dc")
	dip=$(dk "$dn" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$dc")
	wait_for 30 bash -c "[[ \$(vip_node_lookup $dn $dname) == $dip ]]" ||
		fail "the task name $dname on $dn: $(vip_node_lookup "$dn" "$dname")"
	kill -9 "$(dk "$dn" inspect --format '{{.State.Pid}}' "$dc")" || fail "kill the task $dname on $dn"
	wait_for 60 vip_dead_gone "$dname" "$dip" "$vip" ||
		fail "the killed task $dname ($dip) left in DNS or the map: tasks.vs on n2 $(vip_lookup tasks.vs), running $(vip_task_ips vs), $(vip_nft | grep "ip daddr $vip dnat")"
	log "killed task $dname ($dip) on $dn: out of every node's DNS and of the map"
	for out in vs vr; do
		wait_for 60 bash -c "! dk n1 service inspect $out >/dev/null 2>&1 || dk n1 service rm $out" || fail "service rm $out"
	done
	wait_for 30 bash -c '[[ -z $(vip_lookup vs) && -z $(vip_lookup tasks.vr) ]]' || fail "names left after rm: $(vip_lookup vs)"
	wait_for 30 bash -c "! vip_nft | has $vip" || fail "VIP rules left in vc after rm: $(vip_nft)"
	dk n2 rm -f vc >/dev/null || fail "rm vc"
	wait_for 60 bash -c '! dk n1 network inspect ovv >/dev/null 2>&1 || dk n1 network rm ovv' || fail "network rm ovv"
	for n in n1 n2 n3 n4 n5; do
		wait_for 30 bash -c "[[ \$(ov_devices $n) == 0 ]]" || fail "overlay devices left on $n"
	done
	ok "vip: a VIP per service, <svc>, its alias and tasks.<svc> in DNS, connections to the VIP over tasks on several nodes (nftables numgen in the client's namespace), dnsrr, network inspect shows Containers and Peers on a manager and a worker, scale down leaves DNS and the balancer, a killed task leaves them on every node, rm leaves nothing"
}

# ---- the routing mesh ----
mesh_image() { # meshbox:latest on every node: busybox and a UDP server
	local n
	[[ -e "$CL_TMP/mesh.tar" ]] && return 0
	mkdir -p "$CL_TMP/mesh/bin"
	cp /bin/busybox "$CL_TMP/mesh/bin/"
	for n in sh cat mkdir chmod; do ln -sf busybox "$CL_TMP/mesh/bin/$n"; done
	cc -static -O2 -o "$CL_TMP/mesh/bin/udp_echo" "$CL_DIR/udp_echo.c" || fail "build udp_echo"
	tar -C "$CL_TMP/mesh" -cf "$CL_TMP/mesh.tar" .
	for n in n1 n2 n3 n4 n5; do
		dk "$n" import "$CL_TMP/mesh.tar" meshbox:latest >/dev/null || fail "import on $n"
	done
}
# The CGI script the tasks' httpd runs: the client address it saw, and who
# answered.
MESH_CMD='mkdir -p /www/cgi-bin && printf "#!/bin/sh\necho Content-Type: text/plain\necho\necho \$REMOTE_ADDR \$(cat /etc/hostname)\n" >/www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && (udp_echo 81 &) && exec busybox httpd -f -p 80 -h /www'
mesh_tcp() { # NODE-IP [FROM-NS [PORT]]: "client-address task-hostname" of one connection
	local out
	out=$(ip netns exec "${2:-${CL_PREFIX}-n7}" curl -sf --max-time 3 "http://$1:${3:-18090}/cgi-bin/ip") || return 1
	# busybox httpd listens on IPv6 and shows IPv4 clients mapped.
	out=${out#\[::ffff:}
	echo "${out/\]/}"
}
mesh_udp() { # NODE-IP: "client-address task-hostname" of one datagram from n7
	ip netns exec "${CL_PREFIX}-n7" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(b"hi", (sys.argv[1], 18091))
print(s.recv(512).decode().strip())' "$1" 2>/dev/null
}
mesh_task_hosts() { # the hostnames of the running tasks of mesh
	local n c
	for n in n1 n2 n3 n4 n5; do
		for c in $(dk "$n" ps -q --filter label=com.docker.swarm.service.name=mesh --filter status=running); do
			dk "$n" exec "$c" cat /etc/hostname
		done
	done | sort | paste -sd' '
}
mesh_left() { # NODE: what of the mesh is left there (tables, devices)
	local ns="${CL_PREFIX}-$1"
	ip netns exec "$ns" nft list tables 2>/dev/null | grep _mesh
	ip -n "$ns" -o link show | grep -oE ': (ov|vx)-[^:@]*'
}
export -f mesh_tcp mesh_udp mesh_task_hosts mesh_left
export CL_PREFIX

# Published ports in ingress mode: every node answers, also managers that
# run no task, connections reach the tasks on both workers, and each task
# sees the client's own address; TCP and UDP; the ingress network can be
# replaced; rm leaves nothing on any node.
test_mesh() {
	local n ip out seen=" " tasks=" " i want
	cl_node n7 7 # a client of its own on the switch, no berthd
	mesh_image
	out=$(dk n1 network inspect ingress --format '{{.Driver}} {{.Scope}} {{.Ingress}} {{.Attachable}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}') ||
		fail "no ingress network after init"
	[[ $out == "overlay swarm true false 10.0.0.0/24 10.0.0.1" ]] || fail "ingress as dockerd shows it: $out"
	dk n1 network ls --filter name=ingress --format '{{.Name}} {{.Driver}} {{.Scope}}' | has -x 'ingress overlay swarm' ||
		fail "network ls: $(dk n1 network ls)"
	wait_for 60 bash -c "dk n1 service inspect mesh >/dev/null 2>&1 ||
		dk n1 service create -d --name mesh --replicas 2 --constraint node.role==worker \
			--publish published=18090,target=80 --publish published=18091,target=81,protocol=udp \
			--publish target=80 --stop-grace-period 1s meshbox sh -c '$MESH_CMD'" || fail "service create mesh"
	wait_for 90 bash -c '[[ $(mesh_task_hosts | wc -w) == 2 ]]' || fail "2 tasks of mesh: $(dk n1 service ps mesh)"
	[[ -n $(dk n4 ps -q --filter label=com.docker.swarm.service.name=mesh) &&
		-n $(dk n5 ps -q --filter label=com.docker.swarm.service.name=mesh) ]] ||
		fail "one task on each worker: $(dk n1 service ps mesh)"
	# A loaded machine may see a leader election: the reads are retried.
	wait_for 30 bash -c '[[ $(dk n1 service ls --filter name=mesh --format "{{.Ports}}") == "*:18090->80/tcp, *:30000->80/tcp, *:18091->81/udp" ]]' ||
		fail "service ls PORTS: $(dk n1 service ls --filter name=mesh)"
	wait_for 30 bash -c '[[ $(dk n1 service inspect --format "{{len .Endpoint.VirtualIPs}} {{range .Endpoint.Ports}}{{.PublishMode}}:{{.PublishedPort}}->{{.TargetPort}}/{{.Protocol}} {{end}}" mesh) == "1 ingress:18090->80/tcp ingress:18091->81/udp ingress:30000->80/tcp " ]]' ||
		fail "Endpoint: $(dk n1 service inspect --format '{{json .Endpoint}}' mesh)"
	out=$(dk n4 inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}}{{end}}' \
		"$(dk n4 ps -q --filter label=com.docker.swarm.service.name=mesh | head -1)")
	[[ $out == "ingress 10.0.0."* ]] || fail "the task's ingress endpoint: $out"
	wait_for 30 bash -c '[[ $(dk n1 service ps mesh --filter desired-state=running --format "{{.Name}}" | wc -l) == 2 ]]' ||
		fail "service ps: $(dk n1 service ps mesh)"
	want=$(mesh_task_hosts)
	for n in n1 n2 n3 n4 n5; do
		ip="IP_$n"
		wait_for 60 mesh_tcp "${!ip}" || fail "no TCP answer on $n:18090 ($(mesh_left $n))"
		for i in $(seq 12); do
			out=$(mesh_tcp "${!ip}") || continue
			[[ ${out%% *} == "$IP_n7" ]] || fail "the task saw ${out%% *}, not the client's $IP_n7 (through $n)"
			# Tasks may move while the machine is loaded (a node that
			# misses its heartbeats): checked against the tasks as they are.
			[[ " $want " == *" ${out#* } "* ]] || want=$(mesh_task_hosts)
			[[ " $want " == *" ${out#* } "* ]] || fail "$n:18090 answered ${out#* }, not a task of mesh ($want)"
			[[ $seen == *" $n:${out#* } "* ]] || seen="$seen$n:${out#* } "
			[[ $tasks == *" ${out#* } "* ]] || tasks="$tasks${out#* } "
		done
		wait_for 30 mesh_udp "${!ip}" || fail "no UDP answer on $n:18091"
		out=$(mesh_udp "${!ip}")
		[[ ${out%% *} == "$IP_n7" ]] || fail "the UDP task saw ${out%% *}, not $IP_n7 (through $n)"
	done
	# The port SwarmKit's allocator would have picked for --publish target=80.
	wait_for 30 mesh_tcp "$IP_n2" "${CL_PREFIX}-n7" 30000 || fail "no TCP answer on n2:30000"
	log "connections (node:task):$seen"
	[[ $(wc -w <<<"$tasks") -ge 2 ]] || fail "connections should reach both tasks: $seen"
	# From a node itself (the output path): the task sees the node's address.
	out=$(mesh_tcp "$IP_n1" "${CL_PREFIX}-n1") || fail "no answer to n1 from itself"
	[[ ${out%% *} == "$IP_n1" ]] || fail "from n1 itself the task saw ${out%% *}"
	# kill -9 of a worker with a task: restarted, it rebuilds its mesh (table,
	# bridge address, the routes back in its task) from what its agent gets.
	cl_kill n4
	cl_start n4
	wait_for 60 bash -c "out=\$(mesh_tcp $IP_n4) && [[ \${out%% *} == $IP_n7 ]]" ||
		fail "n4 after kill -9: $(mesh_tcp "$IP_n4") ($(mesh_left n4))"
	for i in $(seq 6); do
		out=$(mesh_tcp "$IP_n1") || continue
		[[ ${out%% *} == "$IP_n7" ]] || fail "after n4's restart the task saw ${out%% *}"
	done
	# The ingress network is held by the service, then replaced.
	# (retried: a loaded machine may be electing a leader)
	want="ingress network cannot be removed because service $(dk n1 service inspect --format '{{.ID}}' mesh) depends on it"
	wait_for 30 bash -c "echo y | dk n1 network rm ingress 2>&1 | grep -qF '$want'" ||
		fail "rm ingress in use: $(echo y | dk n1 network rm ingress 2>&1)"
	dk n1 network inspect ingress >/dev/null || fail "the ingress network went"
	wait_for 60 bash -c '! dk n1 service inspect mesh >/dev/null 2>&1 || dk n1 service rm mesh' || fail "service rm mesh"
	for n in n1 n2 n3 n4 n5; do
		wait_for 60 bash -c "[[ -z \$(mesh_left $n) ]]" || fail "mesh left on $n after service rm: $(mesh_left $n)"
		ip="IP_$n"
		mesh_tcp "${!ip}" >/dev/null && fail "$n still answers on 18090 after rm"
	done
	wait_for 30 bash -c '! dk n1 network inspect ingress >/dev/null 2>&1 || echo y | dk n1 network rm ingress' ||
		fail "rm ingress: $(echo y | dk n1 network rm ingress 2>&1)"
	wait_for 30 bash -c "dk n1 service create -d --name mesh2 -p 18092:80 meshbox sleep 100 2>&1 |
		grep -qF 'service needs ingress network, but no ingress network is present'" ||
		fail "no ingress: $(dk n1 service create -d --name mesh2 -p 18092:80 meshbox sleep 100 2>&1)"
	wait_for 30 bash -c 'dk n1 network inspect my-ingress >/dev/null 2>&1 ||
		dk n1 network create -d overlay --ingress --subnet 10.233.0.0/24 my-ingress' || fail "create my-ingress"
	want="ingress network ($(dk n1 network inspect --format '{{.Id}}' my-ingress)) is already present"
	wait_for 30 bash -c "dk n1 network create -d overlay --ingress other-ingress 2>&1 | grep -qF '$want'" ||
		fail "second ingress: $(dk n1 network create -d overlay --ingress other-ingress 2>&1)"
	wait_for 60 bash -c "dk n1 service inspect mesh >/dev/null 2>&1 ||
		dk n1 service create -d --name mesh --replicas 1 --constraint node.role==worker -p 18090:80 \
			--stop-grace-period 1s meshbox sh -c '$MESH_CMD'" || fail "service create on my-ingress"
	wait_for 90 mesh_tcp "$IP_n2" || fail "no answer through my-ingress on n2"
	out=$(mesh_tcp "$IP_n2")
	[[ ${out%% *} == "$IP_n7" ]] || fail "through my-ingress the task saw ${out%% *}"
	wait_for 60 bash -c '! dk n1 service inspect mesh >/dev/null 2>&1 || dk n1 service rm mesh' || fail "service rm mesh"
	for n in n1 n2 n3 n4 n5; do
		wait_for 60 bash -c "[[ -z \$(mesh_left $n) ]]" || fail "mesh left on $n: $(mesh_left $n)"
	done
	ok "routing mesh: ingress network at init; published TCP and UDP ports (and one SwarmKit-style dynamic port) answer on every node (managers without a task too), over tasks on both workers, and the tasks see the client's own address; ingress rm refused while used, replaced by --ingress; rm leaves nothing"
}

STAGES=(test_form test_secrets test_services test_liveness test_secret_rotation test_services_logs test_service_pull test_host_ports test_overlay test_encrypted test_vip test_mesh test_tokens test_berth_cli test_foreign_cert test_failover test_partition test_quorum
	test_roles test_demote_crash test_ca_rotate test_cert_renewal test_down_and_rm test_restart_all test_autolock test_leave test_force_new_cluster)
for s in "${STAGES[@]}"; do
	if [[ -n "${1:-}" && "$s" != test_form && "$s" != *"$1"* ]]; then continue; fi
	"$s"
	check_sanitizers
done
