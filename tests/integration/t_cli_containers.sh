# berth's container commands at docker parity (issue 4, CLI side): run/create
# flags checked from inside the container, attached I/O (stdin, tty through a
# real pty, detach keys), start -a, attach, stats and update. Uses
# ct_daemon/ct_rootfs_tar/dk from t_containers.sh.

bt() { berth -H "$D_HOST" "$@"; }
cc_pty() { "$PYTHON" "$INTEG_DIR/ptyrun.py" "$@"; }
# docker's message as berth words it: only the program name changes.
as_berth() { sed -e 's/^docker: /berth: /' -e "s/'docker /'berth /g" -e 's/^Usage:  docker /Usage:  berth /' <<<"$1"; }

test_cli_containers_run_flags() {
	ct_daemon
	local dir=$TEST_TMP/cc
	mkdir -p "$dir/bind"
	echo from-host >"$dir/bind/f"
	printf 'FROM_FILE=1\n# comment\n\nSPACED=a b\nPASSED\n' >"$dir/env.list"
	printf 'lf=1\n' >"$dir/labels.list"
	# A seccomp profile that refuses mkdir; the CLI sends the file's content.
	printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}' >"$dir/sec.json"
	PASSED=yes run_ok bt run --rm --network none -e A=1 --env-file "$dir/env.list" -w /tmp -u 1000:50 \
		-h myhost --read-only --tmpfs /run:size=1m -v "$dir/bind:/b:ro" \
		--mount "type=tmpfs,target=/t2,tmpfs-size=2m" --mount "type=bind,source=$dir/bind,target=/b2,readonly" \
		--ulimit nofile=100:200 --sysctl net.ipv4.ip_forward=1 --shm-size 8m --oom-score-adj 123 \
		--cap-drop CHOWN --security-opt no-new-privileges --init \
		bb sh -c 'echo A=$A F=$FROM_FILE S=$SPACED P=$PASSED; pwd; id -u; id -g; hostname;
			touch /x 2>/dev/null && echo rw || echo ro; touch /run/ok && echo run-ok;
			cat /b/f; touch /b/g 2>/dev/null || echo bind-ro; touch /b2/g 2>/dev/null || echo mount-ro;
			df -k /t2 | tail -1; df -k /dev/shm | tail -1; ulimit -n; ulimit -Hn;
			cat /proc/sys/net/ipv4/ip_forward; cat /proc/self/oom_score_adj;
			grep -E "^(CapBnd|NoNewPrivs)" /proc/self/status; ps -o pid,comm | sed -n 2p'
	assert_contains "$OUT" "A=1 F=1 S=a b P=yes" "environment (-e, --env-file, passed-through name)"
	assert_contains "$OUT" $'/tmp\n1000\n50\nmyhost\nro\nrun-ok\nfrom-host\nbind-ro\nmount-ro' "workdir, user, hostname, read-only, tmpfs, binds"
	assert_match "$OUT" "tmpfs +2048 " "tmpfs mount size"
	assert_match "$OUT" "shm +8192 " "shm size"
	assert_contains "$OUT" $'100\n200\n1\n123' "ulimit, sysctl, oom score"
	assert_match "$OUT" "NoNewPrivs:[[:space:]]+1" "no-new-privileges"
	local bnd
	bnd=$(awk '/^CapBnd/ {print $2}' <<<"$OUT")
	(( (0x$bnd & 1) == 0 )) || fail "CAP_CHOWN was not dropped (CapBnd $bnd)"
	assert_match "$OUT" "1 (berth-init|init|docker-init)" "--init runs an init as pid 1"
	# The seccomp profile read from the file.
	run bt run --rm --network none --security-opt "seccomp=$dir/sec.json" bb mkdir /tmp/d
	assert_eq 1 "$RC" "mkdir under the custom seccomp profile"
	run_ok bt run --rm --network none --security-opt seccomp=unconfined bb mkdir /tmp/d
	run_ok bt run --rm --network none --privileged bb sh -c 'grep CapEff /proc/self/status'
	assert_match "$OUT" "CapEff:[[:space:]]+0*3?[0-9a-f]{9,}" "privileged capabilities"
	run_ok bt run --rm --network none --cap-add NET_ADMIN bb sh -c 'grep CapEff /proc/self/status'
	local eff
	eff=$(awk '{print $2}' <<<"$OUT")
	(( (0x$eff >> 12) & 1 )) || fail "NET_ADMIN not added (CapEff $eff)"
	# What the daemon stored for the rest.
	run_ok bt create --name cf1 --network none -l a=b --label-file "$dir/labels.list" -m 64m \
		--memory-swap 128m --cpus 1.5 --cpu-shares 512 --pids-limit 50 --restart on-failure:3 \
		--stop-signal SIGUSR1 --stop-timeout 7 --log-opt max-size=1m --entrypoint /bin/echo \
		--runtime runc bb hi
	run_ok dk inspect --format '{{.Config.Labels.a}} {{.Config.Labels.lf}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.Config.StopSignal}} {{.Config.StopTimeout}} {{index .HostConfig.LogConfig.Config "max-size"}} {{json .Config.Entrypoint}} {{.HostConfig.Runtime}}' cf1
	assert_eq 'b 1 67108864 134217728 1500000000 512 50 on-failure:3 SIGUSR1 7 1m ["/bin/echo"] runc' "$OUT" "create flags stored"
	# Devices and cpusets as docker's CLI sends them.
	local blkio=(--blkio-weight-device /dev/loop0:200 --device-read-bps /dev/loop0:1mb
		--device-write-bps /dev/loop1:512 --device-read-iops /dev/loop0:30 --device-write-iops /dev/loop1:10)
	run_ok bt create --name cf2 --network none --cpuset-cpus 0 --cpuset-mems 0 \
		--device /dev/loop0 --device /dev//loop1:r --device /dev/loop2:/dev/./l2:rw \
		--device-cgroup-rule 'c 1:3 mr' --device-cgroup-rule 'b *:* rwm' "${blkio[@]}" bb true
	run_ok dk create --name cf3 --network none --cpuset-cpus 0 --cpuset-mems 0 \
		--device /dev/loop0 --device /dev//loop1:r --device /dev/loop2:/dev/./l2:rw \
		--device-cgroup-rule 'c 1:3 mr' --device-cgroup-rule 'b *:* rwm' "${blkio[@]}" bb true
	local gb='{{json .HostConfig.BlkioWeightDevice}} {{json .HostConfig.BlkioDeviceReadBps}} {{json .HostConfig.BlkioDeviceWriteBps}} {{json .HostConfig.BlkioDeviceReadIOps}} {{json .HostConfig.BlkioDeviceWriteIOps}} {{json .HostConfig.DeviceCgroupRules}}'
	local want
	want=$(docker -H "$D_HOST" inspect --format "$gb" cf3)
	assert_contains "$want" '[{"Path":"/dev/loop0","Rate":1048576}]' "docker's read bps"
	assert_contains "$want" '["c 1:3 mr","b *:* rwm"]' "docker's cgroup rules"
	run_ok dk inspect --format "$gb" cf2
	assert_eq "$want" "$OUT" "berth's blkio lists and cgroup rules"
	run bt create --network none --device-cgroup-rule 'z 1:1 r' bb true
	local berr=$ERR brc=$RC
	run dk create --network none --device-cgroup-rule 'z 1:1 r' bb true
	assert_eq "$RC" "$brc" "exit code of a bad cgroup rule"
	assert_eq "$(as_berth "$ERR")" "$berr" "error of a bad cgroup rule"
	want=$(docker -H "$D_HOST" inspect --format '{{.HostConfig.CpusetCpus}} {{.HostConfig.CpusetMems}} {{json .HostConfig.Devices}}' cf3)
	assert_eq '0 0 [{"PathOnHost":"/dev/loop0","PathInContainer":"/dev/loop0","CgroupPermissions":"rwm"},{"PathOnHost":"/dev/loop1","PathInContainer":"/dev/loop1","CgroupPermissions":"r"},{"PathOnHost":"/dev/loop2","PathInContainer":"/dev/./l2","CgroupPermissions":"rw"}]' "$want" "docker's devices"
	run_ok dk inspect --format '{{.HostConfig.CpusetCpus}} {{.HostConfig.CpusetMems}} {{json .HostConfig.Devices}}' cf2
	assert_eq "$want" "$OUT" "berth's devices and cpusets"
	run_ok bt rm cf2 cf3
	run_ok bt start -a cf1
	assert_eq hi "$OUT" "start -a output"
	# Once it has exited, start -a runs it again and shows its output
	# (it attaches first; dockerd's attach waits for the start).
	run_ok dk start -a cf1
	assert_eq hi "$OUT" "docker start -a of an exited container"
	run_ok bt start -a cf1
	assert_eq hi "$OUT" "berth start -a of an exited container"
	run_ok bt rm cf1
}

test_cli_containers_run_errors() {
	ct_daemon
	run bt run --rm --network none bb sh -c 'echo out; echo err >&2; exit 3'
	assert_eq 3 "$RC" "exit status of the command"
	assert_eq out "$OUT" "stdout"
	assert_eq err "$ERR" "stderr"
	run bt run --rm --network none bb /nonexistent
	assert_eq 127 "$RC" "missing command"
	local f
	for f in "-m xx" "--cpus abc" "--ulimit nofile=5:2" "--mount type=bind,source=/x" "--pids-limit x" "--sysctl foo" "--env-file $TEST_TMP/none" "--security-opt seccomp=$TEST_TMP/none" "--bogus" \
		"--device :/x" "--device /dev/loop0:rel" "--device /dev/loop0:/x:bogus" "--device a:b:c:d" "--cpuset-cpus 4000" \
		"--device-read-bps loop0:1" "--device-read-bps /dev/loop0:x" "--device-write-iops /dev/loop0:-1" \
		"--blkio-weight-device /dev/loop0:5" "--blkio-weight x" "--blkio-weight 70000" "--device-read-iops /dev/loop0"; do
		# shellcheck disable=SC2086
		run bt run $f --network none bb true
		local berr=$ERR brc=$RC
		# shellcheck disable=SC2086
		run dk run $f --network none bb true
		assert_eq "$RC" "$brc" "exit code for $f"
		assert_eq "$(as_berth "$ERR")" "$berr" "error for $f"
	done
	# Usage errors, missing images (docker pulls them) and -it without a terminal.
	local c
	for c in "run" "create" "exec" "run --network none nosuchimage" "run -it --network none bb true" "exec -it d0 true"; do
		# shellcheck disable=SC2086
		run bt $c
		local berr=$ERR brc=$RC
		# shellcheck disable=SC2086
		run dk $c
		assert_eq "$RC" "$brc" "exit code of $c"
		assert_eq "$(as_berth "$ERR")" "$berr" "error of $c"
	done
	# A device that is not there fails the start; --rm takes the container away.
	run bt run --rm --device /dev/nope --network none bb true
	local berr=$ERR brc=$RC
	run dk run --rm --device /dev/nope --network none bb true
	assert_eq "$RC" "$brc" "exit code of a missing device"
	assert_eq "$(as_berth "$ERR")" "$berr" "error of a missing device"
	run_ok bt run -d --name d1 --network none bb sleep 300
	assert_match "$OUT" "^[0-9a-f]{64}$" "run -d prints the id"
	run bt run -d --name d1 --network none bb true
	assert_eq 125 "$RC" "name conflict"
	assert_contains "$ERR" "Conflict" "name conflict message"
	run_ok bt rm -f d1
	run_ok dk ps -aq
	assert_empty "$OUT" "run --rm removed its containers"
}

test_cli_containers_stdin() {
	ct_daemon
	run_ok bash -c 'printf "one\ntwo\n" | "$0" -H "$1" run -i --rm --network none bb sh -c "cat; echo done"' "$BERTH" "$D_HOST"
	assert_eq $'one\ntwo\ndone' "$OUT" "stdin forwarded and closed at EOF"
	run_ok bt create -i --name si1 --network none bb sh -c 'read x; echo got-$x'
	run_ok bash -c 'echo hello | "$0" -H "$1" start -a -i si1' "$BERTH" "$D_HOST"
	assert_eq got-hello "$OUT" "start -a -i"
	# Without -i the container's stdin is empty.
	run_ok bash -c 'echo hidden | "$0" -H "$1" run --rm --network none bb cat' "$BERTH" "$D_HOST"
	assert_empty "$OUT" "stdin not forwarded without -i"
	run_ok bt rm si1
}

test_cli_containers_tty() {
	ct_daemon
	run cc_pty --rows 33 --cols 101 --wait-for '/ # ' --send 'stty size; echo $((6*7))\n' --send 'exit 3\n' -- \
		"$BERTH" -H "$D_HOST" run -it --name it1 --network none bb sh
	assert_eq 3 "$RC" "exit status of berth run -it"
	assert_contains "$OUT" "33 101" "terminal size inside the container"
	assert_contains "$OUT" "42" "command typed at the terminal"
	run_ok bt logs it1
	assert_contains "$OUT" "33 101" "logs of a tty container (raw stream)"
	run_ok bt rm it1
	run_ok bt run --rm -t --network none bb sh -c 'tty; echo err >&2'
	assert_contains "$OUT" "/dev/pts/0" "tty inside run -t"
	assert_contains "$OUT" $'err\r' "stderr through the terminal"
	# Detach keys leave the container running.
	run cc_pty --rows 20 --cols 70 --wait-for '/ # ' --send 'echo first\n' --send $'\x10\x11' -- \
		"$BERTH" -H "$D_HOST" run -it --name it1 --network none bb sh
	assert_eq 0 "$RC" "exit status after detaching"
	assert_contains "$OUT" "read escape sequence" "docker's detach message"
	run_ok dk inspect --format '{{.State.Running}}' it1
	assert_eq true "$OUT" "running after ctrl-p ctrl-q"
	run_ok bt rm -f it1
	# attach comes back to a running container (-dit: berthd closes the
	# stdin of StdinOnce containers after their first attach).
	run_ok bt run -dit --name it2 --network none bb sh
	run cc_pty --rows 21 --cols 71 --send 'echo attached-$((2+3)); stty size\n' --send 'x' --send 'ctrl' -- \
		"$BERTH" -H "$D_HOST" attach --detach-keys x it2
	assert_contains "$OUT" "attached-5" "output through berth attach"
	assert_contains "$OUT" "21 71" "attach resizes the terminal"
	run_ok dk inspect --format '{{.State.Running}}' it2
	assert_eq true "$OUT" "running after --detach-keys"
	run cc_pty --send 'exit 6\n' -- "$BERTH" -H "$D_HOST" attach it2
	assert_eq 6 "$RC" "attach returns the exit status"
	run bt attach it2
	assert_eq 1 "$RC" "attach to a stopped container"
	assert_eq "You cannot attach to a stopped container, start it first" "$ERR" "message"
	run_ok bt rm it2
	# exec -t and -it with resize on SIGWINCH.
	run_ok bt run -d --name ex2 --network none bb sleep 300
	run cc_pty --rows 30 --cols 90 --wait-for '/ # ' --send 'stty size; exit 4\n' -- \
		"$BERTH" -H "$D_HOST" exec -it ex2 sh
	assert_eq 4 "$RC" "exit status of exec -it"
	assert_contains "$OUT" "30 90" "size at start"
	# ptyrun resizes its terminal after the first line it types.
	run cc_pty --rows 30 --cols 90 --resize 40x100 --wait-for '/ # ' --send '\n' --send 'stty size; exit 0\n' -- \
		"$BERTH" -H "$D_HOST" exec -it ex2 sh
	assert_contains "$OUT" "40 100" "size after SIGWINCH"
	run_ok bt exec -t ex2 sh -c 'tty'
	assert_match "$OUT" "/dev/pts/[0-9]+" "tty inside exec -t"
	run_ok bt rm -f ex2
}

test_cli_containers_signals() {
	ct_daemon
	# sig-proxy: SIGTERM to berth run reaches the container's process.
	"$BERTH" -H "$D_HOST" run --rm --name sp1 --network none bb sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done' >"$TEST_TMP/sp.out" 2>&1 &
	local pid=$!
	# "ready" comes through the attach stream once the trap is set.
	wait_for 20 "the container's trap" grep -q ready "$TEST_TMP/sp.out"
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	assert_eq 7 "$rc" "exit status after the forwarded SIGTERM"
	assert_contains "$(<"$TEST_TMP/sp.out")" got-term "trap ran in the container"
	# attach proxies signals too (not with --sig-proxy=false), and
	# --no-stdin leaves the container's stdin alone.
	run_ok bt run -di --name sp2 --network none bb sh -c 'trap "echo got-int; exit 8" INT; while :; do echo tick; sleep 0.1; done'
	"$BERTH" -H "$D_HOST" attach --no-stdin sp2 >"$TEST_TMP/sp2.out" 2>&1 </dev/null &
	pid=$!
	wait_for 20 "output through attach" grep -q tick "$TEST_TMP/sp2.out"
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	assert_eq 8 "$rc" "attach exits with the status after the forwarded SIGINT"
	assert_contains "$(<"$TEST_TMP/sp2.out")" got-int "output through attach"
	run_ok bt rm sp2
}

test_cli_containers_stats_update() {
	ct_daemon
	run_ok bt run -d --name st1 --network none -m 64m bb sleep 300
	run_ok bt stats --no-stream st1
	assert_match "$(head -1 <<<"$OUT")" "^CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS$" "stats header"
	assert_match "$(sed -n 2p <<<"$OUT")" "^[0-9a-f]{12} +st1 +[0-9.]+% +[0-9.]+[KMG]?i?B / 64MiB +[0-9.]+% +[0-9.]+k?B / [0-9.]+k?B +[0-9.]+[kMG]?B / [0-9.]+[kMG]?B +1$" "stats row"
	run_ok bt stats --no-stream --format '{{.Name}} {{.PIDs}} {{.MemUsage}}' st1
	assert_match "$OUT" "^st1 1 .* / 64MiB$" "stats --format"
	run_ok bt stats --no-stream
	assert_contains "$OUT" st1 "stats of all running containers"
	# The streaming table is redrawn.
	run timeout 3 "$BERTH" -H "$D_HOST" stats st1
	assert_contains "$OUT" $'\033[H' "cursor home between frames"
	[[ $(grep -c "st1" <<<"$OUT") -ge 2 ]] || fail "stats redrew less than twice: $OUT"
	run bt stats --no-stream nosuch
	assert_eq 1 "$RC" "stats of a missing container"
	assert_contains "$ERR" "No such container: nosuch" "message"
	run_ok bt update --memory 128m --memory-swap 256m --cpus 0.5 --pids-limit 20 --restart always st1
	assert_eq st1 "$OUT" "update prints the names"
	run_ok dk inspect --format '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}' st1
	assert_eq "134217728 500000000 20 always" "$OUT" "updated settings"
	run bt update st1
	assert_eq 1 "$RC" "update without flags"
	run dk update st1
	assert_eq "$ERR" "$(bt update st1 2>&1)" "update without flags: docker's message"
	run bt update --memory 1m nosuch
	assert_eq 1 "$RC" "update of a missing container"
	run_ok bt rm -f st1
}

# A wait client that leaves while its auto-remove container is being removed
# (what `run --rm` does when the start fails and the user gives up) must not
# crash berthd (the waiter stayed registered after it was freed).
test_cli_containers_wait_client_leaves() {
	ct_daemon
	run_ok "$PYTHON" - "$D_SOCK" <<'PY'
import json, socket, sys
sock = sys.argv[1]
def send(method, path, body=b"", hijack=False):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    extra = b"Connection: Upgrade\r\nUpgrade: tcp\r\n" if hijack else b""
    s.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(body)}\r\n".encode() + extra + b"\r\n" + body)
    if hijack:
        return s
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.split(b"\r\n\r\n", 1)[1]
body = json.dumps({"Image": "bb", "Cmd": ["/nonexistent"], "AttachStdout": True,
                   "HostConfig": {"AutoRemove": True, "NetworkMode": "none"}}).encode()
cid = json.loads(send("POST", "/v1.41/containers/create", body))["Id"]
a = send("POST", f"/v1.41/containers/{cid}/attach?stream=1&stdout=1&stderr=1", hijack=True)
w = send("POST", f"/v1.41/containers/{cid}/wait?condition=removed", hijack=True)
# Both answer their headers once attached and registered.
for sock in (a, w):
    sock.settimeout(10)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
send("POST", f"/v1.41/containers/{cid}/start")
a.close()
w.close()
PY
	daemon_alive || fail "berthd died"
	wait_for 10 "the auto-remove container to go" no_containers_left
	daemon_alive || fail "berthd died"
}

# berth sends the create body the docker CLI sends for the same flags: both
# talk to a loopback HTTP server that logs each create and refuses it.
test_cli_containers_create_body_like_docker() {
	local port dir=$TEST_TMP/body
	mkdir -p "$dir"
	port=$(free_port)
	"$PYTHON" - "$port" "$dir/log" <<'PY' &
import http.server, socketserver, sys
log = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Api-Version", "1.41")
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_HEAD(self):
        self.reply(200, b"")
    def do_GET(self):
        if "_ping" in self.path:
            return self.reply(200, b"OK", "text/plain")
        self.reply(404, b'{"message":"no"}')
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(log, "a") as f:
            f.write(self.path + "\n" + body.decode().strip() + "\n")
        self.reply(500, b'{"message":"logged"}')
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
	local spid=$!
	add_cleanup "kill $spid 2>/dev/null"
	wait_for 10 "logging server" curl -sf "http://127.0.0.1:$port/_ping"
	printf 'A=1\n# c\nPASSED\n\nC=x y\n' >"$dir/env.list"
	printf 'la=1\n' >"$dir/lab.list"
	printf '{\n  "defaultAction": "SCMP_ACT_ALLOW"\n}\n' >"$dir/sec.json"
	local flags=(-i -t -e X=1 --env-file "$dir/env.list" -w /w -u 1000:50 --entrypoint /bin/sh
		-h hh -l k=v --label-file "$dir/lab.list" -v /tmp:/mnt:ro -v vol1:/data -v /anon
		--mount type=bind,source=/tmp,target=/m2,readonly --mount type=volume,source=v2,target=/v2
		--mount type=tmpfs,target=/t2,tmpfs-size=1m --tmpfs /run:size=1m,mode=1777 --read-only
		--restart on-failure:3 -m 64m --memory-swap 128m --cpus 1.5 --cpu-shares 512
		--pids-limit 50 --cap-add NET_ADMIN --cap-drop chown --privileged
		--security-opt "seccomp=$dir/sec.json" --security-opt no-new-privileges --init
		--stop-signal SIGUSR1 --stop-timeout 7 --ulimit nofile=100:200 --ulimit nproc=10
		--sysctl net.ipv4.ip_forward=1 --shm-size 32m --oom-score-adj 100 --log-opt max-size=1m
		--runtime runc --health-cmd 'test -e /x' --health-interval 2s --health-timeout 500ms
		--health-retries 4 --health-start-period 1m30s --name nm --network none bb sh -c 'echo hi')
	PASSED=yes run docker -H "tcp://127.0.0.1:$port" create "${flags[@]}"
	PASSED=yes run berth -H "tcp://127.0.0.1:$port" create "${flags[@]}"
	assert_eq "Error response from daemon: logged" "$ERR" "berth's error"
	run_ok "$PYTHON" - "$dir/log" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]).read().split("\n") if l]
assert len(lines) == 4, lines
assert lines[0] == lines[2], (lines[0], lines[2])
docker, berth = json.loads(lines[1]), json.loads(lines[3])
# Fields docker sends that berth leaves out: zero values, and what needs
# features berth does not have yet (networking config).
skip = {"NetworkingConfig"}
def zero(v):
    return v in (None, "", 0, False, [], {}) or v == [0, 0]
bad = []
def cmp(d, b, path):
    if isinstance(d, dict) and isinstance(b, dict):
        for k in set(d) | set(b):
            p = path + "." + k if path else k
            if p in skip:
                continue
            if k not in b:
                if not zero(d[k]):
                    bad.append("missing %s=%r" % (p, d[k]))
            elif k not in d:
                bad.append("extra %s=%r" % (p, b[k]))
            else:
                cmp(d[k], b[k], p)
    elif d != b:
        bad.append("%s: docker %r, berth %r" % (path, d, b))
cmp(docker, berth, "")
if bad:
    sys.exit("\n".join(bad))
PY
}
