# docker stats and docker update (issue 4): usage read from the cgroup,
# limits changed on a running container and checked inside it.

test_containers_stats() {
	ct_daemon
	run_ok dk run -d --name busy -m 64m --pids-limit 40 --network none bb sh -c 'while :; do :; done'
	run_ok dk run -d --name idle --network none bb sleep 300
	# idle shows 0% once its sleep runs; busy spins from its start.
	wait_for 10 "idle to be asleep" top_count_at_least idle 'sleep 300' 1
	run_ok timeout -k 5 20 "$DOCKER" -H "$D_HOST" stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}} {{.CPUPerc}}' busy idle
	local busy idle
	busy=$(grep '^busy ' <<<"$OUT") idle=$(grep '^idle ' <<<"$OUT")
	assert_match "$busy" "^busy [0-9.]+[KMG]i?B / 64MiB 1 [0-9.]+%$" "stats of busy"
	local cpu=${busy##* }
	# Not a figure: on a loaded machine a spinning process may get little CPU.
	[[ "$cpu" != 0.00% ]] || fail "a spinning container shows CPU $cpu"
	assert_match "$idle" "^idle [0-9.]+[KMG]i?B / [0-9.]+GiB 1 0.00%$" "stats of idle"
	# The stream: one JSON object a line, precpu_stats is the previous sample.
	run curl -s --max-time 3 --unix-socket "$D_SOCK" "http://localhost/v1.41/containers/busy/stats" -o "$TEST_TMP/stream"
	assert_eq 28 "$RC" "curl of the stream ends by its timeout"
	local n
	n=$(wc -l <"$TEST_TMP/stream")
	((n >= 2)) || fail "expected at least 2 samples in 3 s, got $n"
	run_ok "$PYTHON" - "$TEST_TMP/stream" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
a, b = lines[0], lines[1]
assert b["precpu_stats"]["cpu_usage"]["total_usage"] == a["cpu_stats"]["cpu_usage"]["total_usage"], "precpu"
assert b["cpu_stats"]["cpu_usage"]["total_usage"] > a["cpu_stats"]["cpu_usage"]["total_usage"], "cpu grows"
assert b["memory_stats"]["limit"] == 64 << 20, b["memory_stats"]
assert b["pids_stats"] == {"current": 1, "limit": 40}, b["pids_stats"]
assert b["name"] == "/busy" and len(b["id"]) == 64
assert "networks" not in b, "no interfaces with --network none"
PY
	# stream=false waits for a second sample; one-shot answers at once.
	run_ok curl -sf --unix-socket "$D_SOCK" "http://localhost/v1.41/containers/busy/stats?stream=false"
	assert_ne 0 "$(json_get "$OUT" 'j["precpu_stats"]["cpu_usage"]["total_usage"]')" "precpu of stream=false"
	run_ok curl -sf --unix-socket "$D_SOCK" "http://localhost/v1.41/containers/busy/stats?stream=false&one-shot=true"
	assert_eq 0 "$(json_get "$OUT" 'j["precpu_stats"]["cpu_usage"]["total_usage"]')" "precpu of one-shot"
	# A stopped container: zeros. An unknown one: 404.
	run_ok dk stop -t 1 busy
	run_ok curl -sf --unix-socket "$D_SOCK" "http://localhost/v1.41/containers/busy/stats?stream=false"
	assert_eq 0 "$(json_get "$OUT" 'j["cpu_stats"]["cpu_usage"]["total_usage"]')" "stats of a stopped container"
	assert_eq 404 "$(api_status GET /containers/nosuch/stats?stream=false)" "stats of an unknown container"
	run_ok dk rm -f busy idle
}

test_containers_update() {
	ct_daemon
	run_ok dk run -d --name up --network none -m 64m --cpu-shares 512 bb sleep 300
	run_ok dk update --memory 96m --memory-swap 200m --cpu-shares 256 --pids-limit 30 --cpus 0.5 up
	assert_eq up "$OUT" "docker update prints the container"
	run_ok dk exec up cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.shares \
		/sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us
	assert_eq "100663296 256 30 50000 100000" "$(echo $OUT)" "limits inside the container after update"
	run_ok dk inspect --format '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}}' up
	assert_eq "100663296 209715200 256 30 500000000" "$OUT" "HostConfig after update"
	# Bad updates change nothing.
	run_fails dk update --memory 1m up
	assert_contains "$ERR" "Minimum memory limit allowed is 6MB" "update below 6MB"
	run_fails dk update --memory 300m up
	assert_contains "$ERR" "Memory limit should be smaller than already set memoryswap limit" "update above the swap limit"
	run_fails dk update --restart bogus up
	run_ok dk inspect --format '{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}' up
	assert_eq "100663296 no" "$OUT" "HostConfig after refused updates"
	# The restart policy, and a stopped container (saved, applied at start).
	run_ok dk update --restart on-failure:3 up
	run_ok dk stop -t 1 up
	run_ok dk update --memory 128m --memory-swap 256m up
	run_ok dk start up
	run_ok dk exec up cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	assert_eq 134217728 "$OUT" "a limit updated while stopped"
	run_ok dk inspect --format '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' up
	assert_eq "on-failure 3" "$OUT" "restart policy after update"
	run_ok dk run -d --rm --name auto --network none bb sleep 300
	run_fails dk update --restart always auto
	assert_contains "$ERR" "Restart policy cannot be updated because AutoRemove is enabled for the container" "update of an --rm container"
	run_fails dk update --memory 64m nosuch
	assert_contains "$ERR" "No such container" "update of an unknown container"
	# The update survives a daemon restart.
	run_ok dk rm -f auto
	stop_daemon
	ct_restart_daemon
	run_ok dk inspect --format '{{.HostConfig.Memory}}' up
	assert_eq 134217728 "$OUT" "HostConfig.Memory after a daemon restart"
	run_ok dk rm -f up
}

# --device, --cpuset-* and blkio limits reach the runtime (they were taken and
# ignored); what this kernel cannot limit is dropped with dockerd's warning.
test_containers_devices_cpuset_blkio() {
	ct_daemon
	# /dev/kmsg is on every Linux and not among a container's default devices
	# (opened write-only: reading it needs CAP_SYSLOG).
	run_ok dk run --rm --network none --device /dev/kmsg bb sh -c 'test -c /dev/kmsg && exec 3>/dev/kmsg && echo opened'
	assert_eq opened "$OUT" "--device /dev/kmsg opened inside"
	run_fails dk run --rm --network none bb test -c /dev/kmsg
	run_ok dk run --rm --network none --device /dev/kmsg:/dev/mykmsg:r bb sh -c 'test -c /dev/mykmsg && echo there'
	assert_eq there "$OUT" "a renamed device"
	run_fails dk run --rm --network none --device /dev/kmsg:/dev/mykmsg:r bb sh -c 'exec 3>/dev/mykmsg'
	assert_contains "$ERR" "Operation not permitted" "writing a device allowed for reading"
	# A directory: every device node below it, at the same place below the target.
	mkdir -p "$TEST_TMP/devdir/sub"
	mknod "$TEST_TMP/devdir/sub/k" c "$((16#$(stat -c '%t' /dev/kmsg)))" "$((16#$(stat -c '%T' /dev/kmsg)))"
	touch "$TEST_TMP/devdir/plain"
	run_ok dk run --rm --network none --device "$TEST_TMP/devdir:/dev/mine" bb sh -c 'test -c /dev/mine/sub/k && test ! -e /dev/mine/plain && exec 3>/dev/mine/sub/k && echo ok'
	assert_eq ok "$OUT" "a directory's devices"
	run_fails dk run --rm --network none --device /dev/nope bb true
	assert_contains "$ERR" 'error gathering device information while adding custom device "/dev/nope": lstat /dev/nope: no such file or directory' "a device that is not there"
	# cpusets: the machine's CPUs only; a running container's changes.
	run_ok dk run --rm --network none --cpuset-cpus 0 bb cat /sys/fs/cgroup/cpuset/cpuset.cpus
	assert_eq 0 "$OUT" "--cpuset-cpus 0 inside"
	run_fails dk run --rm --network none --cpuset-cpus 4000 bb true
	assert_contains "$ERR" "Requested CPUs are not available - requested 4000, available: $(cat /sys/fs/cgroup/cpuset/cpuset.cpus)" "a CPU the machine lacks"
	run_fails dk run --rm --network none --cpuset-mems 3000 bb true
	assert_contains "$ERR" "Requested memory nodes are not available - requested 3000" "a memory node the machine lacks"
	# A block device of this machine for the throttle.
	local blk b
	for b in /sys/block/*; do
		[[ -b /dev/${b##*/} ]] && blk=/dev/${b##*/} && break
	done
	[[ -n $blk ]] || fail "no block device in /sys/block with a node in /dev"
	run_ok dk run -d --name cs --network none --device-read-bps "$blk:1mb" bb sleep 300
	run_ok dk update --cpuset-cpus 0 cs
	run_ok dk exec cs cat /sys/fs/cgroup/cpuset/cpuset.cpus
	assert_eq 0 "$OUT" "--cpuset-cpus after update"
	run_ok dk inspect -f '{{.HostConfig.CpusetCpus}}' cs
	assert_eq 0 "$OUT" "CpusetCpus after update"
	if [[ -d /sys/fs/cgroup/blkio ]]; then
		run_ok dk exec cs cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device
		assert_eq "$(cat "/sys/block/${blk#/dev/}/dev") 1048576" "$OUT" "--device-read-bps inside"
	fi
	if [[ -d /sys/fs/cgroup/blkio && ! -e /sys/fs/cgroup/blkio/blkio.weight && ! -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]]; then
		run_ok dk run --rm --network none --blkio-weight 300 bb true
		assert_contains "$ERR" "WARNING: Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded." "docker run's warning"
		run_ok dk update --blkio-weight 300 cs
		run_ok dk inspect -f '{{.HostConfig.BlkioWeight}}' cs
		assert_eq 0 "$OUT" "BlkioWeight discarded at update"
	fi
	run_ok dk rm -f cs
}
