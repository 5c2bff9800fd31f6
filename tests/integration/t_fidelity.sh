# Engine API fidelity (issue 11): differences from dockerd that Docker SDK
# clients trip on. Uses ct_daemon, dk and ct_state from t_containers.sh;
# fidelity.py makes the requests the way SDK clients do.

fid() { "$PYTHON" "$INTEG_DIR/fidelity.py" "$1" "$D_SOCK" "${@:2}"; }

test_fidelity_kill_waits_for_exit() {
	ct_daemon
	local i
	# Several rounds: a reply that races the exit shows up on one of them.
	for i in 1 2 3; do
		run_ok dk run -d --name k$i --network none bb sleep 100
		run_ok fid kill_inspect k$i
	done
	run_ok dk run -d --name k4 --network none bb sleep 100
	run_ok dk kill k4
	ct_state k4
	assert_eq "exited 137" "$CT_STATE" "state after docker kill"
	run_ok dk rm k4
	# Another signal is answered at once and leaves the container running.
	run_ok dk run -d --name usr --network none bb sh -c 'trap "" USR1; sleep 100'
	run_ok dk kill -s USR1 usr
	ct_state usr
	assert_eq "running 0" "$CT_STATE" "state after kill -s USR1"
	run_ok dk rm -f usr
	run dk kill usr
	assert_ne 0 "$RC" "kill of a removed container"
}

test_fidelity_exec_framing() {
	ct_daemon
	run_ok dk run -d --name ex --network none bb sleep 100
	run_ok fid exec_framing ex
	# The CLI sends the create's Tty at start too: both ways still work.
	run_ok dk exec ex sh -c 'echo out; echo err >&2'
	assert_eq out "$OUT" "docker exec stdout"
	assert_eq err "$ERR" "docker exec stderr"
	run_ok dk rm -f ex
}

test_fidelity_log_drivers() {
	ct_daemon
	# none: nothing kept, and reading says so as dockerd does.
	run_ok dk run --name quiet --network none --log-driver none bb echo unseen
	assert_eq unseen "$OUT" "attached output with the none driver"
	run_ok dk inspect --format '{{.HostConfig.LogConfig.Type}}' quiet
	assert_eq none "$OUT" "inspect of the none driver"
	run dk logs quiet
	assert_ne 0 "$RC" "docker logs with the none driver"
	assert_contains "$ERR" "configured logging driver does not support reading" "logs error"
	run_ok curl -s -o /dev/null -w '%{http_code}' --unix-socket "$D_SOCK" \
		"http://localhost/v1.41/containers/quiet/logs?stdout=1"
	assert_eq 501 "$OUT" "status of logs with the none driver"
	local qid
	qid=$(dk inspect --format '{{.Id}}' quiet)
	assert_file_exists "$D_DATA/containers/$qid" "container directory"
	assert_file_absent "$D_DATA/containers/$qid/$qid-json.log" "json log of the none driver"
	# local: docker logs works and inspect says local.
	run_ok dk run --name loc --network none --log-driver local --log-opt max-size=1m bb echo kept
	run_ok dk logs loc
	assert_eq kept "$OUT" "docker logs with the local driver"
	run_ok dk inspect --format '{{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config "max-size"}}' loc
	assert_eq "local 1m" "$OUT" "inspect of the local driver"
	run dk create --log-driver local --log-opt tag=x bb true
	assert_ne 0 "$RC" "local with a json-file-only option"
	assert_contains "$ERR" "unknown log opt 'tag' for log driver local" "local option error"
	# max-file alone is accepted and echoed.
	run_ok dk run --name mf --network none --log-opt max-file=3 bb echo three
	run_ok dk inspect --format '{{index .HostConfig.LogConfig.Config "max-file"}}' mf
	assert_eq 3 "$OUT" "max-file without max-size"
	run_ok dk logs mf
	assert_eq three "$OUT" "logs with max-file alone"
	# An unknown driver: dockerd's words, nothing more.
	run dk create --log-driver nosuch bb true
	assert_ne 0 "$RC" "an unknown log driver"
	assert_match "$ERR" "logger: no log driver named 'nosuch' is registered\$" "unknown driver error"
	run_ok dk rm quiet loc mf
}

test_fidelity_cpu_realtime_echoed() {
	ct_daemon
	run_ok curl -sf --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Image":"bb","Cmd":["true"],"HostConfig":{"CpuRealtimePeriod":1000,"CpuRealtimeRuntime":500}}' \
		"http://localhost/v1.41/containers/create?name=rt"
	run_ok dk inspect --format '{{.HostConfig.CpuRealtimePeriod}} {{.HostConfig.CpuRealtimeRuntime}}' rt
	assert_eq "1000 500" "$OUT" "CpuRealtimePeriod and CpuRealtimeRuntime in inspect"
	run_ok dk create --name rt2 --cpu-rt-period 2000 --cpu-rt-runtime 700 bb true
	run_ok dk inspect --format '{{.HostConfig.CpuRealtimePeriod}} {{.HostConfig.CpuRealtimeRuntime}}' rt2
	assert_eq "2000 700" "$OUT" "docker create --cpu-rt-period --cpu-rt-runtime"
	# Not sent at all: inspect still has both, as dockerd's.
	run_ok curl -sf --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Image":"bb","Cmd":["true"]}' "http://localhost/v1.41/containers/create?name=rt3"
	run_ok curl -sf --unix-socket "$D_SOCK" "http://localhost/v1.41/containers/rt3/json"
	assert_eq "0 0" "$(json_get "$OUT" '"%s %s" % (j["HostConfig"]["CpuRealtimePeriod"], j["HostConfig"]["CpuRealtimeRuntime"])')" "defaults in inspect"
	run_ok dk rm rt rt2 rt3
}

test_fidelity_group_add() {
	ct_daemon
	# A gid and a name of the container's /etc/group (staff is 50); the kernel
	# sorts supplementary groups.
	run_ok dk run --rm --network none --group-add 4242 --group-add staff bb id -G
	assert_eq "0 50 4242" "$OUT" "groups of --group-add 4242 --group-add staff"
	run_ok dk run --rm --network none -u alice --group-add 777 bb id -G
	assert_eq "1000 50 777" "$OUT" "groups of -u alice --group-add 777"
	# Execs with a user get them too, as dockerd's.
	run_ok dk run -d --name ga --network none --group-add 31 bb sleep 100
	run_ok dk exec -u alice ga id -G
	assert_eq "1000 31 50" "$OUT" "exec -u alice groups"
	run_ok dk exec ga id -G
	assert_eq "0 31" "$OUT" "exec groups"
	run_ok dk rm -f ga
	run dk run --rm --network none --group-add nosuch bb true
	assert_ne 0 "$RC" "--group-add of an unknown group"
	assert_contains "$ERR" "Unable to find group nosuch" "unknown group error"
}

test_fidelity_load_stream() {
	ct_daemon
	run_ok dk save -o "$TEST_TMP/bb.tar" bb
	head -c 3000 "$TEST_TMP/bb.tar" >"$TEST_TMP/cut.tar"
	run_ok fid load_chunks "$TEST_TMP/bb.tar" "$TEST_TMP/cut.tar"
	run dk load -i "$TEST_TMP/cut.tar"
	assert_ne 0 "$RC" "docker load of a cut archive"
	assert_not_contains "$ERR" "Error response from daemon" "load error (from the stream)"
	assert_ne "" "$ERR" "load error"
}

test_fidelity_plugins() {
	start_daemon
	run_ok curl -sf --unix-socket "$D_SOCK" "http://localhost/v1.41/plugins"
	assert_eq "[]" "$OUT" "GET /plugins"
	run_ok curl -sf --unix-socket "$D_SOCK" -G --data-urlencode 'filters={"enable":["true"],"capability":["volumedriver"]}' \
		"http://localhost/v1.41/plugins"
	assert_eq "[]" "$OUT" "GET /plugins with filters"
	run_ok curl -s -w ' %{http_code}' --unix-socket "$D_SOCK" -G --data-urlencode 'filters={"colour":["red"]}' \
		"http://localhost/v1.41/plugins"
	assert_contains "$OUT" "invalid filter 'colour'" "a bad plugin filter"
	assert_contains "$OUT" " 400" "status of a bad plugin filter"
	run_ok docker -H "$D_HOST" plugin ls
	assert_eq "ID        NAME      DESCRIPTION   ENABLED" "$OUT" "docker plugin ls"
	run_ok docker -H "$D_HOST" plugin ls -q
	assert_empty "$OUT" "docker plugin ls -q"
	run docker -H "$D_HOST" plugin inspect vieux/sshfs
	assert_ne 0 "$RC" "plugin inspect of an unknown plugin"
	assert_contains "$ERR" 'plugin "vieux/sshfs" not found' "plugin inspect error"
	local p
	for p in "DELETE /plugins/vieux/sshfs:latest" "POST /plugins/x/enable" "POST /plugins/x/disable" \
		"POST /plugins/x/set" "POST /plugins/x/push" "POST /plugins/x/upgrade"; do
		run_ok curl -s -o /dev/null -w '%{http_code}' --unix-socket "$D_SOCK" -X "${p% *}" "http://localhost/v1.41${p#* }"
		assert_eq 404 "$OUT" "$p"
	done
	run_ok curl -s -w ' %{http_code}' --unix-socket "$D_SOCK" -X POST "http://localhost/v1.41/plugins/pull?remote=vieux/sshfs"
	assert_contains "$OUT" "plugins are not supported" "plugin pull"
	assert_contains "$OUT" " 501" "status of plugin pull"
	run docker -H "$D_HOST" plugin install --grant-all-permissions vieux/sshfs
	assert_ne 0 "$RC" "docker plugin install"
	assert_contains "$ERR" "not supported" "docker plugin install error"
}

test_fidelity_network_scope() {
	net_daemon 171
	run_ok dk network create --subnet 10.${NB}.172.0/24 -o "com.docker.network.bridge.name=${NET_TAG}f1" fn1
	local p
	# The predefined networks are found with scope=swarm (services use them).
	for p in "fn1" "fn1?scope=local" "bridge?scope=local" "none?scope=swarm" "host?scope=swarm" "bridge?scope=swarm"; do
		run_ok curl -s -o /dev/null -w '%{http_code}' --unix-socket "$D_SOCK" "http://localhost/v1.41/networks/$p"
		assert_eq 200 "$OUT" "GET /networks/$p"
	done
	for p in "fn1?scope=global" "fn1?scope=swarm" "bridge?scope=global"; do
		run_ok curl -s -w ' %{http_code}' --unix-socket "$D_SOCK" "http://localhost/v1.41/networks/$p"
		assert_contains "$OUT" "network ${p%%\?*} not found" "GET /networks/$p"
		assert_contains "$OUT" " 404" "status of GET /networks/$p"
	done
	run_ok dk network rm fn1
}

test_fidelity_network_check_duplicate() {
	net_daemon 173
	local body id1 id2
	body='{"Name":"dup","CheckDuplicate":false,"IPAM":{"Config":[{"Subnet":"10.'"$NB"'.174.0/24"}]},"Options":{"com.docker.network.bridge.name":"'${NET_TAG}d1'"}}'
	run_ok curl -sf --unix-socket "$D_SOCK" -H 'Content-Type: application/json' -d "$body" \
		http://localhost/v1.41/networks/create
	id1=$(json_get "$OUT" 'j["Id"]')
	assert_eq "" "$(json_get "$OUT" 'j["Warning"]')" "warning of the first network"
	body='{"Name":"dup","CheckDuplicate":false,"IPAM":{"Config":[{"Subnet":"10.'"$NB"'.175.0/24"}]},"Options":{"com.docker.network.bridge.name":"'${NET_TAG}d2'"}}'
	run_ok curl -sf --unix-socket "$D_SOCK" -H 'Content-Type: application/json' -d "$body" \
		http://localhost/v1.41/networks/create
	id2=$(json_get "$OUT" 'j["Id"]')
	assert_ne "$id1" "$id2" "a second network of the same name"
	assert_eq "Network with name dup (id : $id1) already exists" "$(json_get "$OUT" 'j["Warning"]')" "warning"
	# The name is ambiguous now; the IDs are not.
	run dk network inspect dup
	assert_ne 0 "$RC" "inspect by an ambiguous name"
	assert_contains "$ERR" "network dup is ambiguous (2 matches found based on name)" "ambiguous name"
	run_ok dk network inspect --format '{{.Name}}' "$id1"
	assert_eq dup "$OUT" "inspect by ID"
	# CheckDuplicate true (the docker CLI and berth send it) refuses a third.
	run dk network create --subnet 10.${NB}.176.0/24 dup
	assert_ne 0 "$RC" "docker network create of a used name"
	assert_contains "$ERR" "network with name dup already exists" "duplicate refused"
	run berth -H "$D_HOST" network create --subnet 10.${NB}.176.0/24 dup
	assert_ne 0 "$RC" "berth network create of a used name"
	# A pre-defined name is refused either way.
	run_ok curl -s -w ' %{http_code}' --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Name":"bridge","CheckDuplicate":false}' http://localhost/v1.41/networks/create
	assert_contains "$OUT" "bridge is a pre-defined network and cannot be created" "create bridge"
	assert_contains "$OUT" " 403" "status of create bridge"
	run_ok dk network rm "$id1" "$id2"
}

# The logs of a tty container running cat hold what its terminal echoed.
fid_logs() { dk logs "$1" 2>&1 | tr -d '\r'; }

test_fidelity_detach_keys() {
	ct_daemon
	run_ok dk run -d -it --name dt --network none bb cat
	# The default ctrl-p ctrl-q, typed key by key and in one write.
	run_ok fid detach_attach dt "" 1011 one 1
	run_ok fid detach_attach dt "" 1011 two 0
	# detachKeys: letters and ctrl-<x>, comma-separated.
	run_ok fid detach_attach dt "ctrl-a,x" 0178 three 1
	# A key that starts the sequence and breaks it goes to the container.
	run_ok fid detach_attach dt "" 10781011 four 1
	run_ok dk inspect --format '{{.State.Running}}' dt
	assert_eq true "$OUT" "container after the detaches"
	local logs
	logs=$(fid_logs dt)
	assert_contains "$logs" "three" "container's echo"
	assert_contains "$logs" "^Px" "the broken sequence's keys"
	assert_not_contains "$logs" "^Q" "container's echo (detach keys)"
	assert_not_contains "$logs" "^A" "container's echo (custom detach keys)"
	# --until is in whole seconds: the next one, so this second's events count.
	run_ok dk events --since 0 --until "$(($(date +%s) + 1))" --filter container=dt --filter event=detach \
		--format '{{.Action}}'
	assert_eq 4 "$(grep -c '^detach$' <<<"$OUT")" "detach events"
	# A bad spec is refused before anything else, with dockerd's words.
	run_ok curl -s -w ' %{http_code}' --unix-socket "$D_SOCK" -X POST \
		"http://localhost/v1.41/containers/dt/attach?stream=1&stdin=1&detachKeys=ctrl-foo"
	assert_contains "$OUT" "Invalid detach keys (ctrl-foo) provided" "bad detachKeys"
	assert_contains "$OUT" " 400" "status of bad detachKeys"
	# Exec: its DetachKeys, or the default.
	run_ok fid detach_exec dt "ctrl-e,e" 0565
	run_ok fid detach_exec dt "" 1011
	run_ok curl -s -w ' %{http_code}' --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Cmd":["cat"],"DetachKeys":"ctrl-"}' http://localhost/v1.41/containers/dt/exec
	assert_contains "$OUT" "Invalid escape keys (ctrl-) provided" "bad exec DetachKeys"
	assert_contains "$OUT" " 500" "status of bad exec DetachKeys"
	# The docker CLI: --detach-keys, and detachKeys from its config file (it
	# sends them as the parameter). The ticks say the CLI is attached; the
	# CLI itself says "read escape sequence" on a detach (and exits 1).
	run_ok dk run -dit --name tick --network none bb sh -c 'while sleep 0.2; do echo tick; done'
	run ptyrun --wait-for tick --send '\x18' --send 'y' -- \
		"$DOCKER" -H "$D_HOST" attach --detach-keys ctrl-x,y tick
	assert_contains "$OUT" "read escape sequence" "docker attach --detach-keys"
	echo '{"detachKeys":"ctrl-e,e"}' >"$TEST_TMP/docker-config/config.json"
	run ptyrun --wait-for tick --send '\x05' --send 'e' -- \
		env DOCKER_CONFIG="$TEST_TMP/docker-config" "$DOCKER" -H "$D_HOST" attach tick
	assert_contains "$OUT" "read escape sequence" "docker attach with detachKeys in config.json"
	echo '{"detachKeys":"ctrl-nope"}' >"$TEST_TMP/docker-config/config.json"
	run ptyrun -- env DOCKER_CONFIG="$TEST_TMP/docker-config" "$DOCKER" -H "$D_HOST" attach tick
	assert_ne 0 "$RC" "docker attach with bad detachKeys in config.json"
	# The CLI reads no body from a refused upgrade (with dockerd too).
	assert_contains "$OUT" "unable to upgrade to tcp, received 400" "bad config detachKeys"
	rm -f "$TEST_TMP/docker-config/config.json"
	run_ok dk inspect --format '{{.State.Running}}' tick
	assert_eq true "$OUT" "container after the CLI detaches"
	run_ok dk rm -f dt tick
}

test_fidelity_device_cgroup_rules() {
	ct_daemon
	local try='mknod /tmp/lc c 10 237 && exec 3</tmp/lc && echo opened'
	run dk run --rm --network none bb sh -c "$try"
	assert_ne 0 "$RC" "opening a device no rule allows"
	run_ok dk run --name dr --network none --device-cgroup-rule 'c 10:237 rw' bb sh -c "$try"
	assert_eq opened "$OUT" "a device the rule allows"
	run_ok dk inspect --format '{{json .HostConfig.DeviceCgroupRules}}' dr
	assert_eq '["c 10:237 rw"]' "$OUT" "inspect of DeviceCgroupRules"
	run_ok dk rm dr
	# dockerd checks the rules when it builds the spec: the start fails.
	run_ok curl -s --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Image":"bb","Cmd":["true"],"HostConfig":{"NetworkMode":"none","DeviceCgroupRules":["c 1:1  rwm"]}}' \
		http://localhost/v1.41/containers/create?name=bad
	run_ok curl -s -w ' %{http_code}' --unix-socket "$D_SOCK" -X POST http://localhost/v1.41/containers/bad/start
	assert_contains "$OUT" "invalid device cgroup rule format: 'c 1:1  rwm'" "start with a bad rule"
	assert_contains "$OUT" " 500" "status of a start with a bad rule"
	run_ok dk rm bad
}

test_fidelity_endpoint_settings() {
	net_daemon 180
	# AuxiliaryAddresses: kept from allocation, shown by inspect.
	# (the docker CLI checks this one itself.)
	run_ok curl -s -w ' %{http_code}' --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Name":"en0","IPAM":{"Config":[{"Subnet":"10.213.182.0/24","AuxiliaryAddresses":{"far":"10.9.9.9"}}]}}' \
		http://localhost/v1.41/networks/create
	assert_contains "$OUT" "auxiliary address: (far:10.9.9.9) must belong to the master pool: 10.213.182.0/24" "aux error"
	assert_contains "$OUT" " 403" "status of the aux error"
	run_ok dk network create --subnet 10.213.181.0/24 --aux-address host2=10.213.181.2 \
		-o "com.docker.network.bridge.name=${NET_TAG}e1" en1
	run_ok dk network inspect --format '{{json (index .IPAM.Config 0).AuxiliaryAddresses}}' en1
	assert_eq '{"host2":"10.213.181.2"}' "$OUT" "inspect of AuxiliaryAddresses"
	# EndpointSettings.MacAddress (the docker CLI sends it from API 1.44 on).
	run_ok curl -sf --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Image":"bb","Cmd":["sleep","100"],"HostConfig":{"NetworkMode":"en1"},"NetworkingConfig":{"EndpointsConfig":{"en1":{"MacAddress":"02:aa:bb:cc:dd:ee"}}}}' \
		http://localhost/v1.41/containers/create?name=m1
	run_ok dk start m1
	run_ok dk exec m1 cat /sys/class/net/eth0/address
	assert_eq 02:aa:bb:cc:dd:ee "$OUT" "MAC address in the container"
	run_ok dk inspect --format '{{.NetworkSettings.Networks.en1.MacAddress}} {{.NetworkSettings.Networks.en1.IPAddress}}' m1
	assert_eq "02:aa:bb:cc:dd:ee 10.213.181.3" "$OUT" "inspect of MAC and IP (.2 is auxiliary)"
	# Config.MacAddress of the older APIs, on the default bridge (the docker
	# CLI 28 sends --mac-address only per network, from API 1.44 on).
	run_ok curl -sf --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Image":"bb","Cmd":["sleep","100"],"MacAddress":"02:11:22:33:44:55"}' \
		http://localhost/v1.41/containers/create?name=m2
	run_ok dk start m2
	run_ok dk exec m2 cat /sys/class/net/eth0/address
	assert_eq 02:11:22:33:44:55 "$OUT" "MAC address from Config.MacAddress"
	run_ok curl -s -w ' %{http_code}' --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Image":"bb","Cmd":["true"],"HostConfig":{"NetworkMode":"en1"},"NetworkingConfig":{"EndpointsConfig":{"en1":{"MacAddress":"02:zz"}}}}' \
		http://localhost/v1.41/containers/create
	assert_contains "$OUT" "invalid MAC address" "bad endpoint MAC"
	assert_contains "$OUT" " 400" "status of a bad endpoint MAC"
	# Links, DriverOpts and LinkLocalIPs are kept and shown, at create and connect.
	run_ok curl -sf --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Image":"bb","Cmd":["sleep","100"],"HostConfig":{"NetworkMode":"en1"},"NetworkingConfig":{"EndpointsConfig":{"en1":{"Links":["m1:peer"],"DriverOpts":{"k":"v"},"IPAMConfig":{"LinkLocalIPs":["169.254.7.7"]}}}}}' \
		http://localhost/v1.41/containers/create?name=m3
	run_ok dk inspect --format '{{json .NetworkSettings.Networks.en1.Links}} {{json .NetworkSettings.Networks.en1.DriverOpts}} {{json .NetworkSettings.Networks.en1.IPAMConfig}}' m3
	assert_eq '["m1:peer"] {"k":"v"} {"LinkLocalIPs":["169.254.7.7"]}' "$OUT" "endpoint settings at create"
	run_ok dk network disconnect en1 m3
	run_ok dk network connect --link-local-ip 169.254.8.8 --driver-opt x=y en1 m3
	run_ok dk inspect --format '{{json .NetworkSettings.Networks.en1.DriverOpts}} {{json .NetworkSettings.Networks.en1.IPAMConfig.LinkLocalIPs}}' m3
	assert_eq '{"x":"y"} ["169.254.8.8"]' "$OUT" "endpoint settings at connect"
	run_ok curl -s -w ' %{http_code}' --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Container":"m2","EndpointConfig":{"IPAMConfig":{"LinkLocalIPs":["nope"]}}}' \
		http://localhost/v1.41/networks/en1/connect
	assert_contains "$OUT" "invalid link-local IP address: nope" "bad link-local address"
	# They survive a restart of the daemon.
	stop_daemon
	net_restart_daemon
	run_ok dk inspect --format '{{.NetworkSettings.Networks.en1.MacAddress}}' m1
	assert_eq 02:aa:bb:cc:dd:ee "$OUT" "MAC address after a restart"
	run_ok dk inspect --format '{{json .NetworkSettings.Networks.en1.DriverOpts}}' m3
	assert_eq '{"x":"y"}' "$OUT" "DriverOpts after a restart"
	run_ok dk rm -f m1 m2 m3
	run_ok dk network rm en1
}

test_fidelity_storage_opts_and_driver_switch() {
	ct_daemon
	local args=(--data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" -H "$D_HOST" --config-file "$D_CFG")
	run dk create --network none --storage-opt size=1G bb true
	assert_ne 0 "$RC" "storage-opt size on overlay2 without project quotas"
	assert_contains "$ERR" "--storage-opt is supported only for overlay over xfs with 'pquota' mount option" "size error"
	run dk create --network none --storage-opt foo=1 bb true
	assert_contains "$ERR" "Unknown option foo" "unknown storage-opt on overlay2"
	assert_empty "$(dk ps -aq)" "containers after the refused creates"
	run_ok dk create --name ov --network none bb true
	# Under vfs, overlay2's containers are hidden, as its images are.
	stop_daemon
	launch_daemon "${args[@]}" --storage-driver vfs
	wait_daemon_ready 1
	run_ok dk ps -a --format '{{.Names}}'
	assert_empty "$OUT" "containers seen under vfs"
	run_ok dk import "$CT_TAR" bb:latest
	run dk create --network none --storage-opt size=1G bb true
	assert_contains "$ERR" "Filesystem does not support, or has not enabled quotas" "size on vfs"
	run_ok dk create --name vf --network none bb true
	# Back on overlay2: its container again, not vfs's.
	stop_daemon
	launch_daemon "${args[@]}"
	wait_daemon_ready 1
	run_ok dk ps -a --format '{{.Names}}'
	assert_eq ov "$OUT" "containers seen under overlay2 again"
	run_ok dk rm ov
	stop_daemon
	launch_daemon "${args[@]}" --storage-driver vfs
	wait_daemon_ready 1
	run_ok dk ps -a --format '{{.Names}}'
	assert_eq vf "$OUT" "containers seen under vfs again"
	run_ok dk rm vf
}

test_fidelity_legacy_links() {
	net_daemon 183
	run_ok dk run -d --name db --hostname dbhost -e SECRET=s3 -e HOME=/nope --expose 5432 \
		--expose 8000-8001 --expose 53/udp bb sleep 100
	local ip
	ip=$(dk inspect --format '{{.NetworkSettings.IPAddress}}' db)
	run_ok dk run --name web --link db:my-db -e MY_DB_ENV_SECRET=mine bb sh -c 'env | grep ^MY_DB | sort; grep my-db /etc/hosts'
	local want
	want="MY_DB_ENV_SECRET=mine
MY_DB_NAME=/web/my-db
MY_DB_PORT=tcp://$ip:5432
MY_DB_PORT_53_UDP=udp://$ip:53
MY_DB_PORT_53_UDP_ADDR=$ip
MY_DB_PORT_53_UDP_PORT=53
MY_DB_PORT_53_UDP_PROTO=udp
MY_DB_PORT_5432_TCP=tcp://$ip:5432
MY_DB_PORT_5432_TCP_ADDR=$ip
MY_DB_PORT_5432_TCP_PORT=5432
MY_DB_PORT_5432_TCP_PROTO=tcp
MY_DB_PORT_8000_TCP=tcp://$ip:8000
MY_DB_PORT_8000_TCP_ADDR=$ip
MY_DB_PORT_8000_TCP_END=tcp://$ip:8001
MY_DB_PORT_8000_TCP_PORT=8000
MY_DB_PORT_8000_TCP_PORT_END=8001
MY_DB_PORT_8000_TCP_PORT_START=8000
MY_DB_PORT_8000_TCP_PROTO=tcp
MY_DB_PORT_8000_TCP_START=tcp://$ip:8000
MY_DB_PORT_8001_TCP=tcp://$ip:8001
MY_DB_PORT_8001_TCP_ADDR=$ip
MY_DB_PORT_8001_TCP_PORT=8001
MY_DB_PORT_8001_TCP_PROTO=tcp
$ip	my-db dbhost db"
	assert_eq "$want" "$OUT" "the link's variables and hosts line"
	run_ok dk inspect --format '{{json .HostConfig.Links}}' web
	assert_eq '["/db:/web/my-db"]' "$OUT" "HostConfig.Links"
	# A link needs a running container, and a container to begin with.
	run_ok dk stop -t 0 db
	run dk start web
	assert_contains "$ERR" "Cannot link to a non running container: /db AS /web/my-db" "start with a stopped link"
	run dk create --link nope:x bb true
	assert_contains "$ERR" "could not get container for nope" "link to a missing container"
	# docker rm --link: DELETE /containers/web/my-db?link=1.
	run_ok dk rm --link /web/my-db
	run_ok dk inspect --format '{{json .HostConfig.Links}}' web
	assert_eq '[]' "$OUT" "HostConfig.Links after rm --link"
	# Its link gone, web starts with db still stopped.
	run_ok dk start web
	run_ok dk wait web
	# (1: its grep finds no my-db line in /etc/hosts any more)
	assert_eq 1 "$OUT" "exit code of web without its link"
	run_ok dk logs web
	assert_eq 1 "$(grep -c MY_DB_NAME <<<"$OUT")" "runs that saw the link's variables"
	assert_eq 2 "$(grep -c MY_DB_ENV_SECRET=mine <<<"$OUT")" "runs that saw their own variable"
	run dk rm --link /web/my-db
	assert_contains "$ERR" "No such container: web/my-db" "rm --link of a removed link"
	run_ok dk rm -f db web
}

test_fidelity_swarm_data_path_addr() {
	start_daemon
	local port bad
	port=$(free_port)
	for bad in nosuchif0 0.0.0.0 127.0.0.1:4789; do
		run dk swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$port" --data-path-addr "$bad"
		assert_ne 0 "$RC" "swarm init --data-path-addr $bad"
		assert_contains "$ERR" "data path address must be a non-zero IP address or network interface (without a port number)" "data path error"
		run_ok dk info --format '{{.Swarm.LocalNodeState}}'
		assert_eq inactive "$OUT" "swarm state after a refused init"
	done
	# An interface of the host, by name.
	run_ok dk swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$port" --data-path-addr lo
	run_ok dk swarm leave --force
}

test_fidelity_metrics() {
	local port
	port=$(free_port)
	# Plain HTTP elsewhere than on loopback is refused.
	new_daemon_dir bad
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG" --metrics-addr "0.0.0.0:$port"
	assert_contains "$START_LOG" "refusing to serve metrics on 0.0.0.0:$port without TLS" "non-loopback metrics"
	# metrics-addr in daemon.json, as dockerd reads it.
	new_daemon_dir d1
	echo "{\"metrics-addr\": \"127.0.0.1:$port\"}" >"$D_CFG"
	ct_daemon
	run_ok dk run -d --name mr --network none bb sleep 100
	run_ok dk create --name mc --network none bb true
	run_ok dk ps
	run dk inspect nosuch
	local url="http://127.0.0.1:$port/metrics"
	run_ok "$PYTHON" "$INTEG_DIR/metrics_check.py" "$url" \
		'engine_daemon_container_states_containers{state="running"}==1' \
		'engine_daemon_container_states_containers{state="stopped"}==1' \
		'engine_daemon_images==1' \
		'engine_daemon_engine_info{os_type="linux",graphdriver="overlay2"}==1' \
		'engine_daemon_events_total>=3' \
		'engine_daemon_api_requests_total{method="GET",route="/containers/json",status="200"}>=1' \
		'engine_daemon_api_requests_total{method="GET",route="/containers/{id}/json",status="404"}>=1' \
		'engine_daemon_api_request_duration_seconds_count{method="POST",route="/containers/create",status="201"}>=2' \
		'engine_daemon_container_actions_seconds_count{action="start"}>=1' \
		'engine_daemon_container_actions_seconds_count{action="create"}>=2' \
		'swarm_node_manager==0' \
		'process_open_fds>=3' 'process_resident_memory_bytes>=1000000' 'process_cpu_seconds_total>=0'
	assert_eq ok "$OUT" "metrics check"
	run_ok curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/other"
	assert_eq 404 "$OUT" "another path of the metrics listener"
	# On a swarm manager, the swarm's figures.
	local sport
	sport=$(free_port)
	run_ok dk swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$sport"
	run_ok "$PYTHON" "$INTEG_DIR/metrics_check.py" "$url" 'swarm_node_manager==1' \
		'swarm_manager_leader==1' 'swarm_raft_term>=1' 'swarm_raft_commit_index>=1' \
		'swarm_manager_nodes{state="ready"}==1'
	assert_eq ok "$OUT" "swarm metrics check"
	run_ok dk swarm leave --force
	run_ok dk rm -f mr mc
}
