# Helpers of the image and volume tests (t_images.sh, t_volumes.sh): the
# busybox rootfs tarball, archives built by imgtool.py, store snapshots, and a
# real dockerd in its own network and mount namespaces.

IMGTOOL="$INTEG_DIR/imgtool.py"
DOCKERD_BIN=${DOCKERD_BIN:-/usr/sbin/dockerd}

imgtool() { "$PYTHON" "$IMGTOOL" "$@"; }

# busybox_tar: sets BUSYBOX_TAR to a rootfs tarball made from Debian's
# busybox-static (/bin/busybox with one relative symlink per applet), built
# once per run in $BERTH_INTEG_CACHE (run.sh) or else in this test's temp dir.
busybox_tar() {
	local cache=${BERTH_INTEG_CACHE:-$TEST_TMP/cache}
	local bb=${BUSYBOX:-/bin/busybox}
	[[ -x $bb ]] || fail "$bb not found (apt-get install busybox-static)"
	mkdir -p "$cache"
	BUSYBOX_TAR=$cache/busybox-rootfs.tar
	(
		flock 9
		[[ -s $BUSYBOX_TAR ]] && exit 0
		local root a
		root=$(mktemp -d "$cache/rootfs.XXXXXX")
		mkdir -p "$root"/{bin,etc,dev,proc,sys,root,tmp,var}
		chmod 1777 "$root/tmp"
		cp "$bb" "$root/bin/busybox"
		for a in $("$bb" --list); do
			[[ $a == busybox || -e $root/bin/$a ]] || ln -s busybox "$root/bin/$a"
		done
		echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
		echo 'root:x:0:' >"$root/etc/group"
		tar --numeric-owner --owner=0 --group=0 --mtime=@1700000000 --sort=name \
			-C "$root" -cf "$BUSYBOX_TAR.tmp" . &&
			mv "$BUSYBOX_TAR.tmp" "$BUSYBOX_TAR"
		rm -rf "$root"
	) 9>"$cache/.busybox.lock"
	[[ -s $BUSYBOX_TAR ]] || fail "could not build the busybox rootfs tarball"
}

# dk ARGS: the docker CLI against the current berthd ($D_HOST).
dk() { docker -H "$D_HOST" "$@"; }

# import_busybox REF [extra import flags]: imports the busybox rootfs; sets IMG_ID.
import_busybox() {
	local ref=$1
	shift
	busybox_tar
	run_ok docker -H "$D_HOST" import "$@" "$BUSYBOX_TAR" "$ref"
	IMG_ID=$(tail -n1 <<<"$OUT")
	assert_match "$IMG_ID" '^sha256:[0-9a-f]{64}$' "ID printed by docker import"
}

image_id() { docker -H "$D_HOST" image inspect --format '{{.Id}}' "$1"; }

# store_snapshot DATA_ROOT DRIVER: everything the image store has on disk
# (layerdb, imagedb, tags, the driver's entries), one line per path.
store_snapshot() {
	local data=$1 drv=$2
	(
		cd "$data" || exit 1
		find "image/$drv" -mindepth 1 | sort
		[[ -f image/$drv/repositories.json ]] && md5sum "image/$drv/repositories.json"
		[[ -d $drv ]] && find "$drv" -mindepth 1 -maxdepth 2 | sort
	)
}

# assert_store_unchanged BEFORE DATA DRIVER WHAT
assert_store_unchanged() {
	local after
	after=$(store_snapshot "$2" "$3")
	[[ "$1" == "$after" ]] || fail "$4 changed the store on disk:
$(show "$(diff <(echo "$1") <(echo "$after"))" 40)"
}

# assert_no_leftovers DATA DRIVER: no half-made entries, nothing in the temp
# dirs, no mount under the data root.
assert_no_leftovers() {
	local data=$1 drv=$2 junk
	junk=$(find "$data/image/$drv" "$data/$drv" -maxdepth 3 -name '*.tmp*' 2>/dev/null)
	assert_empty "$junk" "half-made (*.tmp*) entries under $data"
	local d
	for d in "$data/image/$drv/layerdb/tmp" "$data/image/$drv/tmp"; do
		[[ -d $d ]] || continue
		junk=$(find "$d" -mindepth 1 -maxdepth 1)
		assert_empty "$junk" "leftovers in $d"
	done
	junk=$(awk -v root="$data" 'index($5, root) == 1 { print $5 }' /proc/self/mountinfo)
	assert_empty "$junk" "mounts under the data root"
}

# layer_cache_id DATA DRIVER CHAIN_ID
layer_cache_id() { cat "$1/image/$2/layerdb/sha256/${3#sha256:}/cache-id"; }

# chain_ids DIFF_ID...: the chain IDs of a stack of layers.
chain_ids() {
	"$PYTHON" -c 'import hashlib, sys
c = None
for d in sys.argv[1:]:
    c = d if c is None else "sha256:" + hashlib.sha256((c + " " + d).encode()).hexdigest()
    print(c)' "$@"
}

# ---- a real dockerd ----

dockerd_available() { [[ -x $DOCKERD_BIN ]] && command -v unshare >/dev/null && command -v ip >/dev/null; }

# start_dockerd NAME: starts Debian's dockerd in its own network and mount
# namespaces with everything under $TEST_TMP/NAME; sets DD_HOST and DD_PID
# and returns 0 once it answers, 1 (after stopping it) when it cannot start
# within 20 s. It is stopped by pid when the test ends.
start_dockerd() {
	local dir=$TEST_TMP/$1
	mkdir -p "$dir"
	DD_DIR=$dir DD_HOST="unix://$dir/sock" DD_LOG=$dir/dockerd.log
	# dockerd 20.10 writes a trust key to /etc/docker unless told otherwise.
	echo "{\"deprecated-key-path\": \"$dir/key.json\"}" >"$dir/daemon.json"
	# A /run of its own: dockerd and its shims write fixed paths there
	# (docker/plugins, containerd/s) that must not reach the host's.
	mkdir -p "$dir/run"
	DD_RUN=$dir/run unshare --net --mount --propagation private \
		sh -c 'ip link set lo up && mount --bind "$DD_RUN" /run && exec "$@"' _ \
		"$DOCKERD_BIN" --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/pid" \
		-H "$DD_HOST" --config-file "$dir/daemon.json" --bridge=none --iptables=false \
		--ip6tables=false --ip-forward=false --ip-masq=false >"$DD_LOG" 2>&1 </dev/null &
	DD_PID=$!
	add_cleanup "stop_dockerd $DD_PID"
	local end=$((SECONDS + 20))
	while ((SECONDS < end)); do
		kill -0 "$DD_PID" 2>/dev/null || break
		curl -sf --max-time 2 --unix-socket "$dir/sock" http://localhost/_ping >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	log "dockerd did not start; its log:"
	tail -n 15 "$DD_LOG" | sed 's/^/      | /' >&2
	stop_dockerd "$DD_PID"
	return 1
}

# stop_dockerd PID: SIGTERM, up to 20 s, then SIGKILL for it and its children
# (its containerd and shims), all by pid.
stop_dockerd() {
	local pid=$1 kids p end
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kids=$(descendant_pids "$pid")
	kill -TERM "$pid" 2>/dev/null
	end=$((SECONDS + 20))
	while kill -0 "$pid" 2>/dev/null && [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" != Z* ]]; do
		((SECONDS < end)) || { kill -KILL "$pid" 2>/dev/null; break; }
		sleep 0.1
	done
	wait "$pid" 2>/dev/null
	for p in $kids; do
		kill -0 "$p" 2>/dev/null || continue
		sleep 1
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	done
	return 0
}

descendant_pids() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END {
			want[root] = 1; changed = 1
			while (changed) {
				changed = 0
				for (p in parent)
					if (!(p in want) && (parent[p] in want)) { want[p] = 1; changed = 1 }
			}
			for (p in want) if (p != root) print p
		}'
}

# run_stdin FILE CMD...: like run, with stdin from FILE.
run_stdin() {
	local in=$1 o e
	shift
	o="$TEST_TMP/run.out.$$" e="$TEST_TMP/run.err.$$"
	"$@" >"$o" 2>"$e" <"$in"
	RC=$?
	OUT=$(<"$o")
	ERR=$(<"$e")
	rm -f "$o" "$e"
	check_client_sanitizers
}

run_stdin_ok() {
	run_stdin "$@"
	[[ $RC -eq 0 ]] || fail "command failed (exit $RC): ${*:2}
  stdout:
$(show "$OUT")
  stderr:
$(show "$ERR")"
}

# api_status METHOD PATH [curl args]: HTTP status of a request to $D_SOCK;
# the body goes to $API_BODY.
api_status() {
	local m=$1 p=$2
	shift 2
	API_BODY=$TEST_TMP/api.body
	curl -s -o "$API_BODY" -w '%{http_code}' --max-time 60 --unix-socket "$D_SOCK" \
		-X "$m" "$@" "http://localhost/v1.41$p"
}

# Short image ID as `docker images` prints it.
short_id() { local h=${1#sha256:}; echo "${h:0:12}"; }

# assert_line TEXT LINE WHAT: TEXT has exactly LINE as one of its lines.
assert_line() {
	grep -Fxq -- "$2" <<<"$1" || fail "${3:-output} has no line '$2'; it was:
$(show "$1")"
}
