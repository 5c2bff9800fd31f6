# Debian's dockerd as swarm nodes next to the berthd nodes of
# tests/cluster/lib.sh (source that first): bench/swarm-services.sh and
# bench/swarm-net-dockerd.sh compare the two in the same run.
#
# The dockerd nodes get a switch of their own (another bridge in another
# namespace) and their own subnet, 198.18.1.0/24, rather than taking turns
# with berthd on the same nodes: in swarm mode dockerd claims the node's
# docker_gwbridge, docker0, iptables chains and ports 2377/7946/4789, and
# what it leaves there must not touch the berthd swarm; both swarms stay up
# for the whole run, so the benches can alternate between them. Each
# dockerd runs as cl_start runs berthd: nsenter into the node's network
# namespace, then private mount and UTS namespaces (own hostname); it has
# its own data root, exec root, pidfile, socket and config file under
# $CL_TMP/NAME, and $CL_TMP/NAME/run mounted on /run: dockerd and its
# containerd's shims use fixed paths there (/run/docker/plugins, the shims'
# sockets in /run/containerd/s), and a system containerd's socket there
# would be used instead of starting its own. The same directory again after
# a kill -9: the containerd that dockerd starts anew finds its shims. It
# never runs in the host's network namespace.
# DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1: its agents use the image imported
# from a tarball and try no registry (the namespaces have no route out
# anyway).
#
# dc_switch, dc_node NAME INDEX (IP_NAME = 198.18.1.INDEX), dc_start NAME
# (or again after dc_kill NAME), dk NAME as for berthd nodes; dc_available
# says whether dockerd is installed (DC_NOTE what it is, or why not).
# dc_cleanup runs before cl_cleanup at exit: services, then containers
# removed through a manager's and each node's API, each dockerd stopped by
# its pid (TERM, it stops its containerd; KILL after 20 s), then whatever
# still names the node's directory (containerd, shims) killed by pid, the
# namespaces deleted; lib.sh then removes $CL_TMP.

: "${DOCKERD:=/usr/sbin/dockerd}"
DC_SW="${CL_PREFIX}-dsw"
DC_NODES=()
DC_NOTE=

dc_available() {
	if [[ ! -x $DOCKERD ]]; then
		DC_NOTE="skipped: $DOCKERD not installed (apt-get install docker.io)"
		return 1
	fi
	DC_NOTE=$("$DOCKERD" --version 2>/dev/null | sed 's/^Docker version //')
}

dc_switch() {
	ip netns add "$DC_SW"
	ip -n "$DC_SW" link add br0 type bridge
	ip -n "$DC_SW" link set br0 up
}

dc_node() { # NAME INDEX
	local n=$1 i=$2 ns="${CL_PREFIX}-$1"
	DC_NODES+=("$n")
	ip netns add "$ns"
	ip -n "$DC_SW" link add "v$i" type veth peer name eth0 netns "$ns"
	ip -n "$DC_SW" link set "v$i" master br0 up
	ip -n "$ns" addr add "198.18.1.$i/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	mkdir -p "$CL_TMP/$n"
	eval "IP_$n=198.18.1.$i"
}

# dc_start NAME: starts (or restarts) the node's dockerd and waits for its
# API (dockerd first starts its containerd: up to 60 s on a loaded machine).
dc_start() {
	local n=$1 d="$CL_TMP/$1" i
	mkdir -p "$d/run"
	[[ -f $d/daemon.json ]] || echo "{\"deprecated-key-path\": \"$d/key.json\"}" >"$d/daemon.json"
	DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 \
		nsenter --net="/run/netns/${CL_PREFIX}-$n" -- unshare --mount --uts --propagation private -- \
		sh -c 'echo "$1" >/proc/sys/kernel/hostname && mount --bind "$2" /run && shift 2 && exec "$@"' _ "$n" "$d/run" \
		"$DOCKERD" --data-root "$d/root" --exec-root "$d/exec" --pidfile "$d/pid" -H "unix://$d/d.sock" \
		--config-file "$d/daemon.json" --storage-driver vfs ${DC_ARGS:-} >>"$d/log" 2>&1 </dev/null &
	CL_PID[$n]=$!
	for ((i = 0; i < 600; i++)); do
		[[ -S $d/d.sock ]] && timeout 5 "$DOCKER" -H "unix://$d/d.sock" version >/dev/null 2>&1 && return 0
		kill -0 "${CL_PID[$n]}" 2>/dev/null || fail "dockerd of $n died at start: $(tail -5 "$d/log")"
		sleep 0.1
	done
	fail "dockerd of $n did not come up: $(tail -5 "$d/log")"
}

dc_kill() { # NAME: kill -9 of the node's dockerd (its containerd and tasks stay)
	local n=$1
	{ kill -9 "${CL_PID[$n]}"; wait "${CL_PID[$n]}"; } 2>/dev/null
	CL_PID[$n]=""
	rm -f "$CL_TMP/$n/d.sock"
}

# Processes whose command line names the node's directory: its dockerd,
# containerd (its config and socket are under the exec root) and shims.
dc_pids() { # NAME
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF "$CL_TMP/$1/" && echo "${p#/proc/}"
	done
	return 0
}

dc_stop_pid() { # PID: TERM, then KILL after 20 s
	local i
	kill -TERM "$1" 2>/dev/null || return 0
	for ((i = 0; i < 200; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
}

dc_cleanup() {
	local n m ids p stoppers
	for m in "${DC_NODES[@]}"; do
		[[ -n ${CL_PID[$m]:-} ]] || continue
		ids=$(timeout 30 "$DOCKER" -H "unix://$CL_TMP/$m/d.sock" service ls -q 2>/dev/null) || continue
		[[ -z $ids ]] || timeout 60 "$DOCKER" -H "unix://$CL_TMP/$m/d.sock" service rm $ids >/dev/null 2>&1
		break
	done
	for n in "${DC_NODES[@]}"; do
		[[ -n ${CL_PID[$n]:-} ]] || continue
		ids=$(timeout 30 "$DOCKER" -H "unix://$CL_TMP/$n/d.sock" ps -aq 2>/dev/null)
		[[ -z $ids ]] || timeout 120 "$DOCKER" -H "unix://$CL_TMP/$n/d.sock" rm -f $ids >/dev/null 2>&1
	done
	stoppers=()
	for n in "${DC_NODES[@]}"; do
		[[ -n ${CL_PID[$n]:-} ]] || continue
		dc_stop_pid "${CL_PID[$n]}" &
		stoppers+=("$!")
	done
	[[ ${#stoppers[@]} -eq 0 ]] || wait "${stoppers[@]}"
	# A shim's child is its container's init: killed first, it takes the
	# container's pid namespace along.
	for n in "${DC_NODES[@]}"; do
		[[ -n ${CL_PID[$n]:-} ]] && wait "${CL_PID[$n]}" 2>/dev/null
		unset "CL_PID[$n]"
		for p in $(dc_pids "$n"); do
			echo "bench: $n: killing what is left: $({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | cut -c1-150)" >&2
			pkill -KILL -P "$p" 2>/dev/null
			kill -KILL "$p" 2>/dev/null
		done
	done
	sleep 0.3
	# Mounts the daemons made under their directories (layers, netns
	# files) live in their own mount namespaces and went with them; what
	# lib.sh's rm -rf would trip over otherwise is unmounted here.
	awk -v t="$CL_TMP/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	for n in "${DC_NODES[@]}"; do ip netns del "${CL_PREFIX}-$n" 2>/dev/null; done
	[[ ${#DC_NODES[@]} -eq 0 ]] || ip netns del "$DC_SW" 2>/dev/null
	return 0
}

dc_on_exit() {
	local rc=$?
	dc_cleanup
	if [[ $rc -ne 0 ]]; then
		for n in "${DC_NODES[@]}"; do
			[[ -f $CL_TMP/$n/log ]] && { echo "--- log of $n (tail)"; tail -25 "$CL_TMP/$n/log"; }
		done >&2
	fi
	(exit "$rc")
	cl_cleanup
}
trap dc_on_exit EXIT
