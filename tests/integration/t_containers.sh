# Containers (issue 4): run/create/start/stop/kill/rm/logs/inspect/ps through
# the real docker CLI and berth, berthd restarts and kill -9 while containers
# run, cleanup (mounts, cgroups, processes) and bad input.

# ct_rootfs_tar: sets CT_TAR to a busybox rootfs (Debian's busybox-static,
# one symlink per applet) with users root and alice (1000, also in group
# staff 50), built once per run.
ct_rootfs_tar() {
	local cache=${BERTH_INTEG_CACHE:-$TEST_TMP/cache} bb=/bin/busybox
	[[ -x $bb ]] || fail "$bb not found (apt-get install busybox-static)"
	mkdir -p "$cache"
	CT_TAR=$cache/containers-rootfs.tar
	(
		flock 9
		[[ -s $CT_TAR ]] && exit 0
		local root a
		root=$(mktemp -d "$cache/ctroot.XXXXXX")
		mkdir -p "$root"/{bin,etc,dev,proc,sys,root,tmp,var,home/alice}
		chmod 1777 "$root/tmp"
		cp "$bb" "$root/bin/busybox"
		for a in $("$bb" --list); do
			[[ $a == busybox || -e $root/bin/$a ]] || ln -s busybox "$root/bin/$a"
		done
		printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n' >"$root/etc/passwd"
		printf 'root:x:0:\nstaff:x:50:alice\nalice:x:1000:\n' >"$root/etc/group"
		tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$CT_TAR.tmp" . &&
			mv "$CT_TAR.tmp" "$CT_TAR"
		rm -rf "$root"
	) 9>"$cache/.containers.lock"
	[[ -s $CT_TAR ]] || fail "could not build the busybox rootfs tarball"
}

dk() { docker -H "$D_HOST" "$@"; }

# Whatever a failed test left: runc containers of this daemon, its shims
# (found by its unique exec root, killed by pid) and mounts under its roots.
ct_force_cleanup() {
	local root=$1 exec=$2 id pid m
	for id in $(ls "$exec/runc" 2>/dev/null); do
		/usr/sbin/runc --root "$exec/runc" delete --force "$id" >/dev/null 2>&1
	done
	for pid in $(pgrep -f -- "--runtime-root $exec/runc" 2>/dev/null); do
		kill -9 "$pid" 2>/dev/null
	done
	for m in $(awk -v r="$root" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	return 0
}

# ct_daemon: a daemon with the busybox image imported as "bb".
ct_daemon() {
	ct_rootfs_tar
	start_daemon "$@"
	# lib.sh runs cleanup hooks before stopping daemons (when it has them).
	if declare -F add_cleanup >/dev/null; then
		add_cleanup "ct_force_cleanup '$TEST_TMP' '$D_EXEC'"
	fi
	run_ok dk import "$CT_TAR" bb:latest
}

# Restarts the current daemon (same roots) after it stopped or was killed.
ct_restart_daemon() {
	launch_daemon --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG" "$@"
	wait_daemon_ready 1
}

# ct_gone ID: nothing of the container is left on the host.
ct_gone() {
	local id=$1 c
	assert_empty "$(awk -v r="$D_DATA" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo)" \
		"mounts under the data root"
	for c in memory pids cpu; do
		assert_file_absent "/sys/fs/cgroup/$c/berth/$id" "cgroup"
	done
	# The shim exits right after it reported the exit and cleaned up.
	local k
	for k in $(seq 50); do pgrep -f -- "--id $id" >/dev/null || break; sleep 0.1; done
	assert_empty "$(pgrep -f -- "--id $id" 2>/dev/null)" "shim process of $id"
	assert_file_absent "$D_DATA/containers/$id" "container directory"
	assert_file_absent "$D_EXEC/runc/$id" "runc state"
}

ct_state() { # NAME: Status and ExitCode
	run_ok dk inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$1"
	CT_STATE=$OUT
}

test_containers_run_foreground() {
	ct_daemon
	run_ok dk run --rm --network none bb echo hi
	assert_eq hi "$OUT" "output of docker run --rm echo hi"
	run dk run --network none --name three bb sh -c 'echo out; echo err >&2; exit 3'
	assert_eq 3 "$RC" "exit code of docker run ... exit 3"
	assert_eq out "$OUT" "stdout"
	assert_eq err "$ERR" "stderr"
	ct_state three
	assert_eq "exited 3" "$CT_STATE" "state after exit 3"
	run_ok dk logs three
	assert_eq out "$OUT" "logs stdout"
	assert_eq err "$ERR" "logs stderr"
	# The json-file log, as dockerd writes it.
	local id
	id=$(dk inspect --format '{{.Id}}' three)
	assert_match "$(head -n 1 "$D_DATA/containers/$id/$id-json.log")" \
		'^\{"log":"out\\n","stream":"stdout","time":"[0-9T:.-]+Z"\}$' "json log line"
	run_ok dk rm three
	ct_gone "$id"
	# --rm left nothing either.
	run_ok dk ps -aq
	assert_empty "$OUT" "containers after run --rm and rm"
	# stdin with -i.
	OUT=$(printf 'one\ntwo\n' | dk run -i --rm --network none bb wc -l)
	assert_eq 2 "$(echo $OUT)" "lines counted from stdin"
}

test_containers_detached_lifecycle() {
	ct_daemon
	run_ok dk run -d --name web --network none -l tier=front bb sh -c 'echo started; exec sleep 100'
	local id=$OUT
	assert_match "$id" '^[0-9a-f]{64}$' "id printed by run -d"
	wait_for 10 "the log line" bash -c "docker -H '$D_HOST' logs web 2>&1 | grep -q started"
	run_ok dk ps --format '{{.Names}} {{.Status}} {{.Command}}'
	assert_match "$OUT" '^web Up .* "sh -c .echo started' "ps line"
	run_ok dk ps -q --no-trunc
	assert_eq "$id" "$OUT" "ps -q --no-trunc"
	run_ok dk ps --filter label=tier=front --format '{{.Names}}'
	assert_eq web "$OUT" "label filter"
	run_ok dk ps --filter status=exited --format '{{.Names}}'
	assert_empty "$OUT" "status=exited filter"
	run_ok dk inspect web
	local j=$OUT
	assert_eq running "$(json_get "$j" 'j[0]["State"]["Status"]')" "State.Status"
	assert_eq true "$(json_get "$j" 'j[0]["State"]["Running"]')" "State.Running"
	assert_eq /web "$(json_get "$j" 'j[0]["Name"]')" "Name"
	assert_eq sh "$(json_get "$j" 'j[0]["Path"]')" "Path"
	assert_eq none "$(json_get "$j" 'j[0]["HostConfig"]["NetworkMode"]')" "NetworkMode"
	assert_eq '["none"]' "$(json_get "$j" 'list(j[0]["NetworkSettings"]["Networks"])')" "Networks"
	local pid
	pid=$(json_get "$j" 'j[0]["State"]["Pid"]')
	[[ $pid -gt 1 ]] && kill -0 "$pid" || fail "State.Pid $pid is not a live process"
	assert_file_exists "/sys/fs/cgroup/memory/berth/$id" "the container's cgroup"
	# Namespaces: its own pid and net namespaces.
	assert_ne "$(readlink /proc/self/ns/pid)" "$(readlink "/proc/$pid/ns/pid")" "pid namespace"
	assert_ne "$(readlink /proc/self/ns/net)" "$(readlink "/proc/$pid/ns/net")" "net namespace"
	run_ok dk stop -t 1 web
	ct_state web
	assert_match "$CT_STATE" '^exited (137|143)$' "state after stop"
	assert_file_absent "/sys/fs/cgroup/memory/berth/$id" "cgroup after stop"
	run_ok dk start web
	ct_state web
	assert_eq "running 0" "$CT_STATE" "state after start"
	run_ok dk kill -s USR1 web
	run_ok dk rm -f web
	ct_gone "$id"
	# Events of the lifecycle.
	run_ok dk events --since 0 --until "$(($(date +%s) + 1))" --filter container="$id" --format '{{.Action}}'
	assert_match "$(echo $OUT)" '^create start (kill )+die stop start (kill )+die destroy$' "events"
}

# $1: how the daemon goes away (TERM or KILL).
ct_daemon_restart() {
	ct_daemon
	run_ok dk run -d --name keep --network none bb sleep 100
	local id=$OUT
	run_ok dk run -d --name brief --network none bb sh -c 'sleep 2; exit 5'
	local brief=$OUT pid
	pid=$(dk inspect --format '{{.State.Pid}}' keep)
	if [[ $1 == KILL ]]; then
		kill -9 "$D_PID"
		wait "$D_PID" 2>/dev/null
		forget_pid "$D_PID"
	else
		stop_daemon
	fi
	kill -0 "$pid" || fail "the container died with the daemon"
	# brief exits while berthd is down.
	wait_for 10 "brief to exit" test -e "$D_DATA/containers/$brief/exit.json"
	ct_restart_daemon
	run_ok dk ps --format '{{.Names}} {{.Status}}'
	assert_match "$OUT" '^keep Up' "keep is listed as running after the restart"
	ct_state keep
	assert_eq "running 0" "$CT_STATE" "keep's state"
	assert_eq "$pid" "$(dk inspect --format '{{.State.Pid}}' keep)" "keep's pid"
	ct_state brief
	assert_eq "exited 5" "$CT_STATE" "exit recorded for the container that ended meanwhile"
	run_ok dk stop -t 1 keep
	ct_state keep
	assert_match "$CT_STATE" '^exited (137|143)$' "keep after stop"
	kill -0 "$pid" 2>/dev/null && fail "keep's process survived stop"
	run_ok dk rm keep brief
	ct_gone "$id"
	ct_gone "$brief"
}

test_containers_daemon_restart() { ct_daemon_restart TERM; }
test_containers_daemon_kill9() { ct_daemon_restart KILL; }

test_containers_rm_force_cleanup() {
	ct_daemon
	run_ok dk run -d --name victim --network none -v data:/data bb sleep 100
	local id=$OUT
	run_fails dk rm victim
	assert_contains "$ERR" "You cannot remove a running container $id" "rm of a running container"
	run_ok dk rm -f victim
	ct_gone "$id"
	run_ok dk volume ls -q
	assert_eq data "$OUT" "a named volume outlives rm -f"
	run_ok dk volume rm data
	# rm -f -v of a running container takes its anonymous volumes along.
	run_ok dk run -d --name anon --network none -v /scratch -v keep:/keep bb sleep 100
	run_ok dk rm -f -v anon
	run_ok dk volume ls -q
	assert_eq keep "$OUT" "volumes after rm -f -v of a running container"
	run_ok dk volume rm keep
}

test_containers_options() {
	ct_daemon
	run_ok dk run --rm --network none -u alice bb id
	assert_eq "uid=1000(alice) gid=1000(alice) groups=50(staff)" "$OUT" "-u alice"
	run_ok dk run --rm --network none -u 1000:50 -w /tmp -e FOO=bar -h box bb \
		sh -c 'id -u; id -g; pwd; echo $FOO; hostname; cat /etc/hostname'
	assert_eq "1000 50 /tmp bar box box" "$(echo $OUT)" "-u uid:gid -w -e -h"
	run_ok dk run --rm --network none --entrypoint /bin/echo bb via-entrypoint
	assert_eq via-entrypoint "$OUT" "--entrypoint"
	mkdir -p "$TEST_TMP/host"
	run_ok dk run --rm --network none -v "$TEST_TMP/host:/h" -v vol:/v bb \
		sh -c 'echo x >/h/f; echo y >/v/g; cat /v/g'
	assert_eq y "$OUT" "volume write"
	assert_eq x "$(cat "$TEST_TMP/host/f")" "bind mount write"
	run_fails dk run --rm --network none -v vol:/v:ro bb sh -c 'echo z >/v/g'
	assert_contains "$ERR" "Read-only file system" "ro volume"
	run_fails dk run --rm --network none --read-only bb touch /x
	assert_contains "$ERR" "Read-only file system" "--read-only"
	run_ok dk run --rm --network none --read-only --tmpfs /scratch bb touch /scratch/x
	run_ok dk run --rm --network none -m 64m --pids-limit 50 --cpu-shares 512 bb \
		cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max \
		/sys/fs/cgroup/cpu/cpu.shares
	assert_eq "67108864 50 512" "$(echo $OUT)" "-m --pids-limit --cpu-shares"
	run_ok dk run --rm --network none bb grep CapEff /proc/self/status
	assert_eq "CapEff:	00000000a80425fb" "$OUT" "default capabilities"
	run_ok dk run --rm --network none --cap-drop ALL --cap-add chown bb grep CapEff /proc/self/status
	assert_eq "CapEff:	0000000000000001" "$OUT" "--cap-drop ALL --cap-add chown"
	run_ok dk run --rm --network none bb cat /proc/keys /proc/timer_list
	assert_empty "$OUT" "masked /proc/keys and /proc/timer_list"
	run_fails dk run --rm --network none bb sh -c 'echo 1 >/proc/sys/kernel/domainname'
	assert_contains "$ERR" "Read-only file system" "read-only /proc/sys"
	run_ok dk run --rm --network host bb hostname
	assert_eq "$(hostname)" "$OUT" "hostname on the host network"
	run_ok dk run --rm --network none bb cat /sys/class/net/lo/operstate /proc/net/dev
	assert_not_contains "$OUT" "eth0" "interfaces with --network none"
	run_ok dk volume rm vol
}

test_containers_bad_input() {
	ct_daemon
	local body='{"Image":"nosuchimage","Cmd":["true"],"HostConfig":{"NetworkMode":"none"}}'
	run curl -s -w '\n%{http_code}' --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d "$body" http://localhost/v1.41/containers/create
	assert_eq 404 "$(tail -n 1 <<<"$OUT")" "status for an unknown image"
	assert_contains "$OUT" '"message":"No such image: nosuchimage:latest"' "message for an unknown image"
	run_fails dk create --network none nosuchimage true
	run_ok dk create --name dup --network none bb true
	local id=$OUT
	run_fails dk create --name dup --network none bb true
	assert_contains "$ERR" "Conflict. The container name \"/dup\" is already in use by container \"$id\". You have to remove (or rename) that container to be able to reuse that name." "name conflict"
	run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$D_SOCK" -H 'Content-Type: application/json' \
		-d '{"Image":"bb","Cmd":["true"],"HostConfig":{"NetworkMode":"none"}}' \
		"http://localhost/v1.41/containers/create?name=dup"
	assert_eq 409 "$OUT" "status of a name conflict"
	run_fails dk run --rm --network none bb /no/such/binary
	assert_eq 127 "$RC" "exit code for a missing executable"
	run_fails dk run --rm --network none -m 1m bb true
	assert_contains "$ERR" "Minimum memory limit allowed is 6MB" "tiny memory limit"
	run_fails dk start nosuchcontainer
	assert_contains "$ERR" "No such container: nosuchcontainer" "start of an unknown container"
	run_ok dk rm dup
	run_ok dk ps -aq
	assert_empty "$OUT" "containers left after failures"
	assert_empty "$(ls "$D_DATA/containers")" "container directories left after failures"
}

test_containers_berth_cli() {
	ct_daemon
	run_ok berth -H "$D_HOST" run -d --name bc --network none bb sh -c 'echo from-berth; exec sleep 100'
	local id=$OUT
	assert_match "$id" '^[0-9a-f]{64}$' "berth run -d"
	wait_for 10 "the log line" bash -c "'$BERTH' -H '$D_HOST' logs bc 2>&1 | grep -q from-berth"
	run_ok berth -H "$D_HOST" ps
	assert_match "$OUT" $'^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES\n'"${id:0:12} +bb +\"sh -c 'echo from-be…\" +.* ago +Up .* +bc$" "berth ps"
	run_ok berth -H "$D_HOST" ps -q
	assert_eq "${id:0:12}" "$OUT" "berth ps -q"
	run_ok berth -H "$D_HOST" inspect --format '{{.State.Status}}' bc
	assert_eq running "$OUT" "berth inspect"
	run_ok berth -H "$D_HOST" stop -t 1 bc
	assert_eq bc "$OUT" "berth stop"
	run_ok berth -H "$D_HOST" ps -a --format '{{.Names}} {{.Status}}'
	assert_match "$OUT" '^bc Exited \((137|143)\)' "berth ps -a"
	run_ok berth -H "$D_HOST" rm bc
	assert_eq bc "$OUT" "berth rm"
	run berth -H "$D_HOST" run --rm --network none bb sh -c 'echo hi; exit 4'
	assert_eq 4 "$RC" "berth run exit code"
	assert_eq hi "$OUT" "berth run output"
	ct_gone "$id"
}

# docker diff, copy-on-write isolation and volume copy-up, on one driver.
ct_diff_cow() {
	ct_daemon --storage-driver "$1"
	run_ok dk run --name ca --network none bb sh -c \
		'echo x > /new; echo extra >> /etc/passwd; rm /bin/ls; mkdir -p /d'
	run_ok dk diff ca
	assert_contains "$OUT" "A /new" "docker diff: added file"
	assert_contains "$OUT" "C /etc/passwd" "docker diff: modified file"
	assert_contains "$OUT" "D /bin/ls" "docker diff: deleted file"
	assert_contains "$OUT" "A /d" "docker diff: added directory"
	# Another container of the same image sees none of it.
	run_ok dk run --rm --network none bb sh -c \
		'test ! -e /new && test -e /bin/ls && ! grep -q extra /etc/passwd && echo clean'
	assert_eq clean "$OUT" "a second container's view of the image"
	run_ok dk run --name cb --network none bb true
	run_ok dk diff cb
	assert_empty "$OUT" "docker diff of an untouched container"
	# dockerd's init layer: /.dockerenv and /etc/mtab, in no diff and no commit.
	run_ok dk run --rm --network none bb sh -c 'test -f /.dockerenv && readlink /etc/mtab'
	assert_eq /proc/mounts "$OUT" "/.dockerenv and /etc/mtab in a container"
	# GraphDriver.Data as dockerd's drivers report it: overlay2's dirs (the
	# container's own changes in UpperDir, the image's layer in LowerDir),
	# null for vfs.
	local gd='{{json .GraphDriver.Data}}'
	if [[ $1 == overlay2 ]]; then
		local top cid
		cid=$(docker -H "$D_HOST" inspect -f '{{.Id}}' ca)
		run_ok dk inspect -f '{{.GraphDriver.Name}} {{.GraphDriver.Data.UpperDir}} {{.GraphDriver.Data.MergedDir}} {{.GraphDriver.Data.WorkDir}}' ca
		assert_eq "overlay2 $D_DATA/overlay2/$cid/diff $D_DATA/overlay2/$cid/merged $D_DATA/overlay2/$cid/work" "$OUT" "container GraphDriver"
		assert_file_exists "$D_DATA/overlay2/$cid/diff/new" "ca's /new in its UpperDir"
		run_ok dk image inspect -f "$gd" bb
		assert_not_contains "$OUT" LowerDir "a one-layer image's GraphDriver.Data"
		top=$(docker -H "$D_HOST" image inspect -f '{{.GraphDriver.Data.UpperDir}}' bb)
		run_ok dk inspect -f '{{.GraphDriver.Data.LowerDir}}' ca
		assert_eq "$top" "$OUT" "ca's LowerDir: the image's layer"
		assert_file_exists "$top/bin/busybox" "the image's layer in LowerDir"
		run_ok dk commit ca ca-img
		top=$(docker -H "$D_HOST" image inspect -f '{{.GraphDriver.Data.UpperDir}}' ca-img)
		assert_file_exists "$top/new" "ca's /new in its commit"
		[[ ! -e $top/.dockerenv && ! -L $top/etc/mtab ]] || fail "init entries committed: $(ls -A "$top" "$top/etc")"
		run_ok dk rmi ca-img
	else
		run_ok dk inspect -f "$gd" ca
		assert_eq null "$OUT" "vfs container GraphDriver.Data"
		run_ok dk image inspect -f "$gd" bb
		assert_eq null "$OUT" "vfs image GraphDriver.Data"
	fi
	# A named volume takes the image's content at its path on first use only.
	run_ok dk run --rm --network none -v etcvol:/etc bb sh -c 'cat /etc/passwd >/dev/null && echo mine > /etc/mine'
	run_ok dk run --rm --network none -v etcvol:/etc bb cat /etc/mine
	assert_eq mine "$OUT" "volume content kept between containers"
	run_ok dk run --rm --network none -v emptyvol:/etc:nocopy bb ls -A /etc
	assert_empty "$OUT" "a nocopy volume stays empty"
	# info and system df count them.
	run_ok dk info --format '{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}}'
	assert_eq "2 0 2" "$OUT" "container counts in docker info"
	run_ok dk system df --format '{{.Type}} {{.TotalCount}}'
	assert_contains "$OUT" "Containers 2" "containers in docker system df"
	run_ok dk rm ca cb
}

test_containers_diff_cow_overlay2() { ct_diff_cow overlay2; }
test_containers_diff_cow_vfs() { ct_diff_cow vfs; }

# seccomp, ulimits, sysctls, --init, --shm-size, --oom-score-adj: checked
# from inside the container.
test_containers_security_and_limits() {
	ct_daemon
	# The default profile filters (mode 2); unconfined and --privileged do not.
	run_ok dk run --rm --network none bb grep Seccomp: /proc/self/status
	assert_eq "Seccomp:	2" "$OUT" "default seccomp filter"
	run_ok dk run --rm --network none --security-opt seccomp=unconfined bb grep Seccomp: /proc/self/status
	assert_eq "Seccomp:	0" "$OUT" "seccomp=unconfined"
	# Calls outside the allowlist fail with EPERM even for root with the cap.
	printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}' >"$TEST_TMP/nomkdir.json"
	run_fails dk run --rm --network none --security-opt seccomp="$TEST_TMP/nomkdir.json" bb mkdir /tmp/x
	assert_contains "$ERR" "Operation not permitted" "a custom profile denies mkdir"
	# Ordinary calls pass: sockets, pipes, processes.
	run_ok dk run --rm --network none bb sh -c 'nc -l -p 7 -e true & sleep 0.2; echo | nc 127.0.0.1 7; ip -4 addr show lo | grep -c inet'
	assert_eq 1 "$OUT" "sockets under the default profile"
	run_ok dk run --rm --network none bb sh -c 'unshare -n true 2>&1; echo rc=$?'
	assert_contains "$OUT" "rc=1" "unshare without CAP_SYS_ADMIN"
	# ulimits, sysctls, shm size, oom score.
	run_ok dk run --rm --network none --ulimit nofile=512:1024 --ulimit nproc=77 bb sh -c 'ulimit -n; ulimit -Hn; ulimit -u'
	assert_eq "512 1024 77" "$(echo $OUT)" "--ulimit"
	run_ok dk run --rm --network none --sysctl kernel.shmmni=2048 --sysctl net.ipv4.ip_forward=1 bb \
		cat /proc/sys/kernel/shmmni /proc/sys/net/ipv4/ip_forward
	assert_eq "2048 1" "$(echo $OUT)" "--sysctl"
	run_ok dk run --rm --network none --shm-size 8m bb df -k /dev/shm
	assert_contains "$OUT" " 8192 " "--shm-size"
	run_ok dk run --rm --network none --oom-score-adj 300 bb cat /proc/self/oom_score_adj
	assert_eq 300 "$OUT" "--oom-score-adj"
	# --init: PID 1 is the init, the command its child; signals reach the
	# command and orphans are reaped; the exit status comes through.
	run_ok dk run --rm --network none --init bb sh -c 'cat /proc/1/comm; echo $PPID'
	assert_eq "docker-init 1" "$(echo $OUT)" "--init process tree"
	run dk run --rm --network none --init bb sh -c 'exit 7'
	assert_eq 7 "$RC" "exit status through --init"
	run_ok dk run -d --network none --init --name initd bb sleep 300
	local t0=$SECONDS
	run_ok dk stop -t 10 initd
	((SECONDS - t0 < 8)) || fail "SIGTERM did not reach the command through --init"
	run_ok dk inspect --format '{{.State.ExitCode}} {{.HostConfig.Init}}' initd
	assert_eq "143 true" "$OUT" "exit code of a command stopped through --init"
	run_ok dk rm initd
}
