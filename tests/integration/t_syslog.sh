# The syslog log driver, as dockerd's: each line a message to the address
# of --log-opt syslog-address (udp, tcp, unix, unixgram sockets; receivers
# of our own on loopback and in the test's dir), in dockerd's formats, and
# a local cache that docker logs reads (dual logging).

# sl_listen PROTO PORT-OR-PATH NAME: a receiver; $SL_PORT for udp and tcp,
# messages in $TEST_TMP/NAME.
sl_listen() {
	local out="$TEST_TMP/$3"
	"$PYTHON" "$INTEG_DIR/syslogd.py" "$1" "$2" "$out" 2>"$out.err" &
	BG_PIDS+=("$!")
	wait_for 60 "the $1 receiver" test -e "$out.ready" || fail "receiver: $(cat "$out.err")"
	SL_PORT=$(cat "$out.ready")
}

sl_lines() { [[ -e "$TEST_TMP/$1" ]] && wc -l <"$TEST_TMP/$1" || echo 0; }

test_syslog_formats_and_cache() {
	ct_daemon
	local host
	host=$(hostname)
	sl_listen udp 0 udp.log
	local udp=$SL_PORT
	run_ok dk run --name su --network none --log-driver syslog \
		--log-opt "syslog-address=udp://127.0.0.1:$SL_PORT" bb sh -c 'echo out1; echo; echo err1 >&2'
	local id
	id=$(dk inspect --format '{{.Id}}' su)
	wait_for 60 "two messages over udp" bash -c "(( \$(wc -l <'$TEST_TMP/udp.log') >= 2 ))"
	# dockerd's default format (srslog's UnixFormatter), facility daemon;
	# the empty line is not sent.
	run_ok sort "$TEST_TMP/udp.log"
	assert_match "$OUT" "^<27>[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} ${id:0:12}\[[0-9]+\]: err1
<30>[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} ${id:0:12}\[[0-9]+\]: out1\$" "messages over udp"
	# The cache: docker logs reads it, streams apart.
	run_ok dk logs su
	assert_eq out1 "$OUT" "docker logs stdout of a syslog container"
	assert_eq err1 "$ERR" "docker logs stderr of a syslog container"
	assert_eq 2 "$(docker -H "$D_HOST" logs su 2>/dev/null | wc -l)" "lines of stdout in the cache (one empty)"
	run_ok dk inspect --format '{{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config "syslog-address"}} [{{.LogPath}}]' su
	assert_eq "syslog udp://127.0.0.1:$SL_PORT []" "$OUT" "inspect of the syslog driver (no LogPath, as dockerd)"
	run_ok berth -H "$D_HOST" run --name sb --network none --log-driver syslog \
		--log-opt "syslog-address=udp://127.0.0.1:$SL_PORT" bb echo via berth
	wait_for 60 "berth run's message" grep -q ': via berth$' "$TEST_TMP/udp.log"

	# rfc5424 over tcp, a facility and a tag template.
	sl_listen tcp 0 tcp.log
	run_ok dk run --name st --network none --log-driver syslog \
		--log-opt "syslog-address=tcp://127.0.0.1:$SL_PORT" --log-opt syslog-facility=local3 \
		--log-opt syslog-format=rfc5424 --log-opt 'tag={{.Name}}/{{.ImageName}}/{{.ImageID}}' \
		bb sh -c 'echo hello tcp'
	local img
	img=$(dk image inspect --format '{{.Id}}' bb)
	img=${img#sha256:}
	wait_for 60 "a message over tcp" bash -c "(( \$(wc -l <'$TEST_TMP/tcp.log') >= 1 ))"
	assert_match "$(cat "$TEST_TMP/tcp.log")" "^<158>1 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(Z|[+-][0-9]{2}:[0-9]{2}) $host st/bb/${img:0:12} [0-9]+ st/bb/${img:0:12} - hello tcp\$" \
		"an rfc5424 message over tcp"

	# rfc3164 and rfc5424micro on unix sockets, a numeric facility.
	sl_listen unixgram "$TEST_TMP/dgram.sock" dgram.log
	# A long tag: 600 bytes of it.
	local long
	long=$(printf 'x%.0s' {1..600})
	run_ok dk run --name sl --network none --log-driver syslog --log-opt "tag=$long" \
		--log-opt "syslog-address=udp://127.0.0.1:$udp" bb echo long tag
	wait_for 60 "the message of a long tag" grep -q "^<30>.* $long\[[0-9]*\]: long tag\$" "$TEST_TMP/udp.log"
	run_ok dk run --name sg --network none --log-driver syslog \
		--log-opt "syslog-address=unixgram://$TEST_TMP/dgram.sock" --log-opt syslog-facility=1 \
		--log-opt syslog-format=rfc3164 bb sh -c 'echo to dgram >&2'
	wait_for 60 "a message on the unixgram socket" bash -c "(( \$(wc -l <'$TEST_TMP/dgram.log') >= 1 ))"
	id=$(dk inspect --format '{{.Id}}' sg)
	assert_match "$(cat "$TEST_TMP/dgram.log")" "^<11>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} $host ${id:0:12}\[[0-9]+\]: to dgram\$" \
		"an rfc3164 message on a unixgram socket"
	sl_listen unix "$TEST_TMP/stream.sock" stream.log
	run_ok dk run --name sx --network none --log-driver syslog \
		--log-opt "syslog-address=unix://$TEST_TMP/stream.sock" --log-opt syslog-format=rfc5424micro \
		--log-opt cache-disabled=true bb sh -c 'echo micro'
	wait_for 60 "a message on the unix socket" bash -c "(( \$(wc -l <'$TEST_TMP/stream.log') >= 1 ))"
	id=$(dk inspect --format '{{.Id}}' sx)
	assert_match "$(cat "$TEST_TMP/stream.log")" "^<30>1 [0-9-]{10}T[0-9:]{8}\.[0-9]{6}(Z|[+-][0-9:]{5}) $host ${id:0:12} [0-9]+ ${id:0:12} - micro\$" \
		"an rfc5424micro message on a unix socket"
	# Without its cache the driver cannot be read, as dockerd.
	run_fails dk logs sx
	assert_contains "$ERR" "configured logging driver does not support reading" "logs without the cache"
	assert_file_absent "$D_DATA/containers/$id/$id-json.log" "the cache of cache-disabled"
	run_ok dk rm su sb sl st sg sx
}

# The shim sends: a container goes on logging while berthd is down.
test_syslog_without_berthd() {
	ct_daemon
	sl_listen udp 0 udp.log
	run_ok dk run -d --name tick --network none --log-driver syslog \
		--log-opt "syslog-address=udp://127.0.0.1:$SL_PORT" bb sh -c 'while :; do echo tick; sleep 0.2; done'
	wait_for 60 "ticks" bash -c "(( \$(wc -l <'$TEST_TMP/udp.log') >= 2 ))"
	kill -9 "$D_PID"
	wait "$D_PID" 2>/dev/null
	forget_pid "$D_PID"
	local n
	n=$(sl_lines udp.log)
	wait_for 60 "ticks while berthd is down" bash -c "(( \$(wc -l <'$TEST_TMP/udp.log') >= $n + 3 ))"
	ct_restart_daemon
	run_ok dk logs tick
	assert_contains "$OUT" tick "the cache after berthd's restart"
	run_ok dk rm -f tick
}

test_syslog_bad_options() {
	ct_daemon
	run_ok dk info --format '{{.Plugins.Log}} {{.Plugins.Volume}}'
	assert_eq "[gelf json-file local syslog] [local]" "$OUT" "the log drivers docker info lists"
	local o=(--network none --log-driver syslog)
	run_fails dk create "${o[@]}" --log-opt colour=red bb true
	assert_contains "$ERR" "unknown log opt 'colour' for syslog log driver" "unknown option"
	run_fails dk create "${o[@]}" --log-opt syslog-facility=local9 bb true
	assert_contains "$ERR" "invalid syslog facility" "bad facility"
	run_fails dk create "${o[@]}" --log-opt syslog-facility=24 bb true
	assert_contains "$ERR" "invalid syslog facility" "facility 24"
	run_fails dk create "${o[@]}" --log-opt syslog-format=json bb true
	assert_contains "$ERR" "Invalid syslog format" "bad format"
	run_fails dk create "${o[@]}" --log-opt syslog-address=http://127.0.0.1:1 bb true
	assert_contains "$ERR" "unsupported scheme: 'http'" "bad scheme"
	run_fails dk create "${o[@]}" --log-opt syslog-address=127.0.0.1:514 bb true
	assert_contains "$ERR" 'parse "127.0.0.1:514": first path segment in URL cannot contain colon' "no scheme"
	run_fails dk create "${o[@]}" --log-opt "syslog-address=unix://$TEST_TMP/nope.sock" bb true
	assert_contains "$ERR" "stat $TEST_TMP/nope.sock: no such file or directory" "missing socket"
	run_fails dk create "${o[@]}" --log-opt cache-disabled=maybe bb true
	assert_contains "$ERR" "invalid value for option cache-disabled: maybe" "bad cache-disabled"
	run_fails dk create "${o[@]}" --log-opt cache-max-size=lots bb true
	assert_contains "$ERR" "invalid size: 'lots'" "bad cache-max-size"
	run_ok dk ps -aq
	assert_empty "$OUT" "containers of refused creates"
	# Checked at the start, as dockerd's logger: nothing listens, a bad tag.
	local port
	port=$(free_port)
	run_fails dk run --name nolisten "${o[@]}" --log-opt "syslog-address=tcp://127.0.0.1:$port" bb true
	assert_contains "$ERR" "failed to initialize logging driver: dial tcp 127.0.0.1:$port: connect: connection refused" \
		"a tcp address nobody listens on"
	run_ok dk inspect --format '{{.State.Status}}' nolisten
	assert_eq created "$OUT" "the container whose start failed"
	run_fails dk run --name badtag "${o[@]}" --log-opt syslog-address=udp://127.0.0.1:9 --log-opt 'tag={{.Nope}}' bb true
	assert_contains "$ERR" "failed to initialize logging driver: template: log-tag:1:2: executing \"log-tag\" at <.Nope>: can't evaluate field Nope in type *logger.Info" \
		"a tag template with an unknown field"
	run_ok dk rm nolisten badtag
}

# A service's --log-driver and --log-opt reach its tasks' containers (as
# swarmkit's executor), here syslog over udp.
test_syslog_service() {
	# shellcheck source=swarm_lib.sh
	. "$INTEG_DIR/swarm_lib.sh"
	swarm_one_node
	sl_listen udp 0 udp.log
	run_ok dk service create -d --name slog --log-driver syslog \
		--log-opt "syslog-address=udp://127.0.0.1:$SL_PORT" --log-opt 'tag={{.Name}}' \
		busybox:latest sh -c 'echo from the task; sleep 600'
	wait_for 60 "the task's message" grep -q ': from the task$' "$TEST_TMP/udp.log" ||
		fail "messages: $(cat "$TEST_TMP/udp.log"); tasks: $(dk service ps --no-trunc slog)"
	local cid name
	cid=$(dk ps -q --filter label=com.docker.swarm.service.name=slog)
	name=$(dk inspect --format '{{.Name}}' "$cid")
	assert_match "$(grep ': from the task$' "$TEST_TMP/udp.log")" "^<30>.* ${name#/}\[[0-9]+\]: from the task\$" \
		"the task's message, tagged with its container's name"
	run_ok dk inspect --format '{{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config "tag"}}' "$cid"
	assert_eq "syslog {{.Name}}" "$OUT" "the task container's log config"
	run_ok dk service logs --raw slog
	assert_eq "from the task" "$OUT" "service logs from syslog's cache"
	run_ok dk service rm slog
}
