# The gelf log driver, as dockerd's (go-gelf): GELF 1.1 messages with
# dockerd's fields to a receiver of our own on loopback (tests/integration/
# gelfd.py), over UDP (gzip, zlib, none; chunked when long) and TCP, and
# the local cache docker logs reads.

# gl_listen udp|tcp NAME: a receiver; $GL_PORT, messages in $TEST_TMP/NAME.
gl_listen() {
	local out="$TEST_TMP/$2"
	"$PYTHON" "$INTEG_DIR/gelfd.py" "$1" "$out" 2>"$out.err" &
	BG_PIDS+=("$!")
	wait_for 60 "the gelf receiver" test -e "$out.ready" || fail "receiver: $(cat "$out.err")"
	GL_PORT=$(cat "$out.ready")
}

gl_count() { bash -c "(( \$(cat '$TEST_TMP/$1' 2>/dev/null | wc -l) >= $2 ))"; }

test_gelf_messages() {
	ct_daemon
	gl_listen udp udp.log
	local udp=$GL_PORT
	run_ok dk run --name g1 --network none --label team=blue -e E1=x -e E2=y --log-driver gelf \
		--log-opt "gelf-address=udp://127.0.0.1:$udp" --log-opt labels=team --log-opt env=E1 \
		--log-opt 'tag={{.Name}}' bb sh -c 'echo out1; echo; echo err1 >&2'
	wait_for 60 "two gelf messages" gl_count udp.log 2
	local id img
	id=$(dk inspect --format '{{.Id}}' g1)
	img=$(dk inspect --format '{{.Image}}' g1)
	run_ok "$PYTHON" - "$TEST_TMP/udp.log" "$id" "$img" "$(hostname)" <<'PY'
import json, sys, time
path, cid, img, host = sys.argv[1:5]
msgs = sorted((json.loads(l) for l in open(path)), key=lambda m: m["short_message"])
assert [m["short_message"] for m in msgs] == ["err1", "out1"], msgs
err, out = msgs
assert (out["level"], err["level"]) == (6, 3), msgs
for m in msgs:
    assert m["version"] == "1.1" and m["host"] == host, m
    assert abs(m["timestamp"] - time.time()) < 600, m
    want = {"_container_id": cid, "_container_name": "g1", "_image_id": img, "_image_name": "bb",
            "_command": "sh -c echo out1; echo; echo err1 >&2", "_tag": "g1", "_team": "blue",
            "_E1": "x", "_wire": "gzip"}
    for k, v in want.items():
        assert m.get(k) == v, (k, m.get(k), v)
    assert "_E2" not in m and m["_created"].startswith("20"), m
PY
	run_ok dk logs g1
	assert_eq out1 "$OUT" "docker logs of a gelf container (the cache)"
	assert_eq err1 "$ERR" "docker logs stderr of a gelf container"
	# zlib, and no compression with a line long enough for chunks.
	run_ok dk run --name g2 --network none --log-driver gelf --log-opt "gelf-address=udp://127.0.0.1:$udp" \
		--log-opt gelf-compression-type=zlib --log-opt gelf-compression-level=9 bb echo zipped
	run_ok dk run --name g3 --network none --log-driver gelf --log-opt "gelf-address=udp://127.0.0.1:$udp" \
		--log-opt gelf-compression-type=none bb sh -c 'head -c 5000 /dev/zero | tr "\0" a; echo'
	wait_for 60 "four gelf messages" gl_count udp.log 4
	run_ok "$PYTHON" -c '
import json, sys
wire = {m["short_message"][:6]: m["_wire"] for m in map(json.loads, open(sys.argv[1]))}
assert wire["zipped"] == "zlib", wire
assert wire["aaaaaa"] == "chunked/plain", wire
long = [m for m in map(json.loads, open(sys.argv[1])) if m["short_message"][:1] == "a"][0]
assert long["short_message"] == "a" * 5000, len(long["short_message"])' "$TEST_TMP/udp.log"
	# TCP: as it is, ended by a NUL.
	gl_listen tcp tcp.log
	run_ok dk run --name g4 --network none --log-driver gelf --log-opt "gelf-address=tcp://127.0.0.1:$GL_PORT" \
		bb sh -c 'echo over tcp'
	wait_for 60 "a gelf message over tcp" gl_count tcp.log 1
	run_ok "$PYTHON" -c '
import json, sys
m = json.loads(open(sys.argv[1]).readline())
assert m["short_message"] == "over tcp" and m["_wire"] == "tcp" and m["_tag"] == sys.argv[2][:12], m' \
		"$TEST_TMP/tcp.log" "$(dk inspect --format '{{.Id}}' g4)"
	run_ok dk rm g1 g2 g3 g4
}

test_gelf_bad_options() {
	ct_daemon
	local o=(--network none --log-driver gelf)
	run_fails dk create "${o[@]}" bb true
	assert_contains "$ERR" "gelf-address is a required parameter" "no address"
	run_fails dk create "${o[@]}" --log-opt gelf-address=http://127.0.0.1:1 bb true
	assert_contains "$ERR" "gelf: endpoint needs to be TCP or UDP" "bad scheme"
	run_fails dk create "${o[@]}" --log-opt gelf-address=udp://127.0.0.1 bb true
	assert_contains "$ERR" "gelf: please provide gelf-address as proto://host:port" "no port"
	run_fails dk create "${o[@]}" --log-opt gelf-address=tcp://127.0.0.1:1 --log-opt gelf-compression-type=gzip bb true
	assert_contains "$ERR" "compression is only supported on UDP" "compression over tcp"
	run_fails dk create "${o[@]}" --log-opt gelf-address=udp://127.0.0.1:1 --log-opt gelf-compression-level=10 bb true
	assert_contains "$ERR" 'unknown value "10" for log opt "gelf-compression-level" for gelf log driver' "level 10"
	run_fails dk create "${o[@]}" --log-opt gelf-address=udp://127.0.0.1:1 --log-opt gelf-tcp-max-reconnect=3 bb true
	assert_contains "$ERR" '"gelf-tcp-max-reconnect" is only valid for TCP' "a tcp option over udp"
	run_fails dk create "${o[@]}" --log-opt gelf-address=udp://127.0.0.1:1 --log-opt colour=red bb true
	assert_contains "$ERR" 'unknown log opt "colour" for gelf log driver' "unknown option"
	run_ok dk ps -aq
	assert_empty "$OUT" "containers of refused creates"
	local port
	port=$(free_port)
	run_fails dk run --name nolisten "${o[@]}" --log-opt "gelf-address=tcp://127.0.0.1:$port" bb true
	assert_contains "$ERR" "failed to initialize logging driver: gelf: cannot connect to GELF endpoint: 127.0.0.1:$port dial tcp 127.0.0.1:$port: connect: connection refused" \
		"a tcp address nobody listens on"
	run_ok dk rm nolisten
	run_ok dk info --format '{{.Plugins.Log}}'
	assert_eq "[gelf json-file local syslog]" "$OUT" "the log drivers docker info lists"
}
