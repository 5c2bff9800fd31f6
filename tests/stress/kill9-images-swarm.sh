#!/usr/bin/env bash
# kill -9 under image and swarm work: berthd builds images (several RUN and
# COPY steps, multi-stage, cache hits), pushes to and pulls from a registry
# on loopback, saves and loads, and runs a one-node swarm (services created,
# scaled, updated and removed, secrets, configs and overlay networks) while
# it is killed with SIGKILL at random moments, also during its start-up.
# After every restart the checks of kill9-churn.sh run, and these: images
# and layers are whole (every layer an image or container needs is there,
# every layer and overlay2 entry is needed, no scratch left), the swarm is
# back (same node ID, leader, services at their replica count with one task
# a slot, nothing acknowledged lost: secrets, configs with their data,
# services, overlay networks). At the end everything goes through the API
# (services, secrets, configs, networks, the swarm, images) and nothing may
# be left. A stress tool, not part of `make test` (docs/testing.md). Needs
# root, `make all san` and docker-registry.
#
#   ROUNDS=20 tests/stress/kill9-images-swarm.sh
#
# Environment: as kill9-churn.sh (ROUNDS, MIN_SECS, MAX_SECS, STARTUP_KILL_PCT,
# EVIDENCE), and
#   LOOPS=3        workload loops: builds, registry/save/load, swarm (1-3)
#   CONVERGE_SECS=90  how long services may take to reach their replicas
KC_NAME=kill9-images-swarm
# shellcheck source=kill9-lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kill9-lib.sh"
# shellcheck source=../integration/registry_lib.sh
. "$INTEG_DIR/registry_lib.sh"

CONVERGE_SECS=${CONVERGE_SECS:-90}
# The classic builder (berthd has no BuildKit).
export DOCKER_BUILDKIT=0

# ---- what was acknowledged ----
#
# A create the daemon answered must survive a kill; one whose answer never
# came, or whose removal was under way, may or may not be there. Each line
# of $KS_MUST is "KIND NAME [DATA]".

ks_must_add() { flock "$KS_MUST.lock" sh -c 'echo "$2" >>"$1"' _ "$KS_MUST" "$*"; }
ks_must_del() { # KIND NAME
	flock "$KS_MUST.lock" sh -c 'awk -v k="$2" -v n="$3" '"'"'!($1 == k && $2 == n)'"'"' "$1" >"$1.new" &&
		mv "$1.new" "$1"' _ "$KS_MUST" "$1" "$2"
}

# ---- the workload ----

# Builds: several RUN and COPY steps, two stages, once anew (a context
# file changes) and once from the cache.
ks_loop_build() {
	local me=L1 i=0 ctx=$TEST_TMP/ctx-build
	mkdir -p "$ctx"
	head -c 300000 /dev/urandom >"$ctx/blob"
	cat >"$ctx/Dockerfile" <<'DF'
FROM bb AS base
RUN echo one >/one && mkdir -p /d && echo two >/d/two
COPY blob /d/blob
RUN cat /d/blob /d/blob >/d/blob2 && rm /one
FROM bb
COPY --from=base /d /d
COPY stamp /stamp
RUN dd if=/dev/urandom of=/big bs=64k count=8 2>/dev/null && cat /stamp
WORKDIR /w
RUN echo done >/w/done
DF
	mkdir -p "$ctx/fail"
	printf 'FROM bb\nARG X\nRUN echo $X >/x\nRUN exit 3\n' >"$ctx/fail/Dockerfile"
	while :; do
		i=$((i + 1))
		echo "$i" >"$ctx/stamp"
		kc_op $me build --force-rm -t kb:$i "$ctx" && ks_must_add image kb:$i
		kc_op $me build -t kb:$i-c "$ctx" && ks_must_add image kb:$i-c
		kc_op $me run --rm kb:$i-c cat /stamp /w/done
		ks_must_del image kb:$i-c
		kc_op $me rmi kb:$i-c
		ks_must_del image kb:$i
		kc_op $me rmi kb:$i
		# Now and then an image of a failed step stays to be cleaned.
		((i % 4)) || kc_op $me build --build-arg X=$i "$ctx/fail"
	done
}

# The registry on loopback, save and load.
ks_loop_registry() {
	local me=L2 i=0 ctx=$TEST_TMP/ctx-reg ref
	mkdir -p "$ctx"
	printf 'FROM bb\nARG N\nRUN echo $N >/n && head -c 200000 /dev/urandom >/r\n' >"$ctx/Dockerfile"
	while :; do
		i=$((i + 1)) ref=$REG/kr:$((i % 3))
		kc_op $me build --build-arg N=$i -t "$ref" "$ctx" && ks_must_add image "$ref"
		kc_op $me push "$ref"
		# A tar of its own: a failed save must not leave another's to load.
		kc_op $me save -o "$TEST_TMP/kr.$i.tar" "$ref"
		ks_must_del image "$ref"
		kc_op $me rmi "$ref"
		kc_op $me pull "$ref" && ks_must_add image "$ref"
		kc_op $me run --rm "$ref" cat /n
		ks_must_del image "$ref"
		kc_op $me rmi "$ref"
		kc_op $me load -i "$TEST_TMP/kr.$i.tar" && ks_must_add image "$ref"
		rm -f "$TEST_TMP/kr.$i.tar"
		kc_op $me tag "$ref" kl:$i && ks_must_add image kl:$i
		ks_must_del image kl:$i
		kc_op $me rmi kl:$i
	done
}

# Swarm: services with replicas on an overlay network, with a secret and
# a config; one service stays across rounds so that restarts find it. Its
# tasks never end by themselves: a replacement task would race the checks.
ks_loop_swarm() {
	local me=L3 i=0 p net sec cfg svc
	while :; do
		i=$((i + 1)) p=$((i - 1)) net=ko_$((i % 2)) sec=kss_$i cfg=ksc_$i svc=ksv_$i
		printf 'secret %s' "$i" >"$TEST_TMP/sec"
		printf 'config %s' "$i" >"$TEST_TMP/cfg"
		kc_op $me secret create $sec "$TEST_TMP/sec" && ks_must_add secret $sec
		kc_op $me config create $cfg "$TEST_TMP/cfg" && ks_must_add config $cfg "config $i"
		kc_op $me network create -d overlay $net && ks_must_add network $net
		kc_op $me service create -d --no-resolve-image --name $svc --replicas 2 \
			--stop-grace-period 1s --update-delay 0s --secret $sec \
			--config src=$cfg,target=/c --network $net bb:latest sleep 1000000 &&
			ks_must_add service $svc
		kc_op $me service scale -d $svc=3
		kc_op $me service update -d --no-resolve-image --env-add V=$i $svc
		ks_must_del service ksv_$p
		kc_op $me service rm ksv_$p
		ks_must_del secret kss_$p
		kc_op $me secret rm kss_$p
		ks_must_del config ksc_$p
		kc_op $me config rm ksc_$p
		# The other network, unless a service of it is still there.
		ks_must_del network ko_$((p % 2))
		kc_op $me network rm ko_$((p % 2))
	done
}

# ---- checks ----

# The chain IDs of an image's layers, bottom first, from its diff IDs.
ks_chain_ids() {
	local chain='' d
	for d in $(dk image inspect --format '{{range .RootFS.Layers}}{{.}} {{end}}' "$1"); do
		if [[ -z $chain ]]; then
			chain=$d
		else
			chain=sha256:$(printf '%s %s' "$chain" "$d" | sha256sum | cut -d' ' -f1)
		fi
		echo "${chain#sha256:}"
	done
}

# Images and layers are whole and nothing is unneeded.
ks_check_images() {
	local layerdb=$D_DATA/image/overlay2/layerdb/sha256 ids id c need=$TEST_TMP/need-layers out
	ids=$(dk images -aq --no-trunc 2>&1) || { violation "images -a failed" "$ids"; return; }
	: >"$need"
	for id in $(sort -u <<<"$ids"); do
		if ! out=$(ks_chain_ids "$id" 2>&1); then
			violation "image $id is listed but inspect fails" "$out"
			continue
		fi
		for c in $out; do
			echo "$c" >>"$need"
			[[ -s $layerdb/$c/cache-id ]] ||
				violation "image $id needs layer $c, which is not in the layer store" "$(ls -la "$layerdb/$c" 2>&1)"
		done
	done
	# Containers hold their image's top layer and what is below it.
	for c in "$D_DATA"/containers/*/config.v2.json; do
		[[ -e $c ]] || continue
		c=$("$PYTHON" -c 'import json, sys
print(json.load(open(sys.argv[1])).get("Berth", {}).get("LayerChainID", ""))' "$c")
		c=${c#sha256:}
		while [[ -n $c ]]; do
			echo "$c" >>"$need"
			[[ -s $layerdb/$c/cache-id ]] || {
				violation "a container needs layer $c, which is not in the layer store"
				break
			}
			c=$(cat "$layerdb/$c/parent" 2>/dev/null)
			c=${c#sha256:}
		done
	done
	local entries=$TEST_TMP/keep-entries
	ls "$D_DATA/containers" >"$entries" 2>/dev/null
	for c in "$layerdb"/*/; do
		c=$(basename "$c")
		grep -qxF "$c" "$need" || violation "layer $c is in the layer store but no image or container needs it"
		cat "$layerdb/$c/cache-id" >>"$entries" 2>/dev/null
		echo >>"$entries"
		[[ -d $D_DATA/overlay2/$(cat "$layerdb/$c/cache-id" 2>/dev/null)/diff ]] ||
			violation "layer $c has no overlay2 entry" "$(ls -la "$layerdb/$c")"
	done
	for c in "$D_DATA"/overlay2/*; do
		c=$(basename "$c")
		[[ $c == l || $c == '*' ]] && continue
		# A container's entry, or its init layer.
		grep -qxF "${c%-init}" "$entries" || violation "overlay2 entry $c belongs to no layer or container"
	done
	out=$(find "$D_DATA/image/overlay2/layerdb/tmp" "$D_DATA/image/overlay2/tmp" -mindepth 1 -maxdepth 1 2>&1)
	[[ -z $out ]] || violation "scratch left in the image store after start-up" "$out"
}

# Images whose making was acknowledged are there.
ks_check_images_kept() {
	local kind name
	while read -r kind name _; do
		[[ $kind == image ]] || continue
		dk image inspect "$name" >/dev/null 2>&1 || violation "image $name was made (the command said so) and is gone"
	done <"$KS_MUST"
}

ks_swarm_state() {
	dk info --format '{{.Swarm.NodeID}} {{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>&1
}

ks_node_leader() {
	[[ $(dk node ls --format '{{.ID}} {{.Status}} {{.ManagerStatus}}' 2>/dev/null) == "$KS_NODE Ready Leader" ]]
}

# Running containers of service $1 (its ID), one line each: the slot.
ks_running_slots() {
	dk ps --filter "label=com.docker.swarm.service.id=$1" --format '{{.Names}}' 2>/dev/null |
		awk -F. '{ print $2 }' | sort
}

ks_service_converged() { # ID REPLICAS
	local slots
	slots=$(ks_running_slots "$1")
	[[ $(grep -c . <<<"$slots") -eq $2 && $(sort -u <<<"$slots" | grep -c .) -eq $2 ]] || return 1
	[[ $(dk service ls --filter "id=$1" --format '{{.Replicas}}' 2>/dev/null) == "$2/$2" ]]
}

ks_check_swarm() {
	local st end out
	end=$((SECONDS + 60))
	until [[ $(ks_swarm_state) == "$KS_NODE active true" ]] && ks_node_leader; do
		if ((SECONDS >= end)); then
			violation "the swarm is not back (node $KS_NODE, active, leader)" \
				"$(ks_swarm_state; dk node ls 2>&1)"
			return
		fi
		sleep 0.2
	done
	# Nothing acknowledged is lost; configs keep their data.
	local kind name data
	while read -r kind name data; do
		case $kind in
		secret | service) out=$(dk $kind inspect "$name" 2>&1) ;;
		network) out=$(dk network inspect "$name" 2>&1) ;;
		config)
			if ! out=$(dk config inspect --format '{{printf "%s" .Spec.Data}}' "$name" 2>&1); then
				violation "config $name was made (the command said so) and is gone" "$out"
			elif [[ $out != "$data" ]]; then
				violation "config $name has other data than it was made with" "$out"
			fi
			continue
			;;
		*) continue ;;
		esac || violation "$kind $name was made (the command said so) and is gone" "$out"
	done <"$KS_MUST"
	# Every service reaches its replica count, one running task a slot.
	local id n svcs
	# Full IDs: the task labels hold those.
	svcs=$(dk service ls -q 2>&1 | xargs -r "$DOCKER" -H "$D_HOST" service inspect --format '{{.ID}}' 2>&1) ||
		{ violation "service ls or inspect failed" "$svcs"; return; }
	for id in $svcs; do
		n=$(dk service inspect --format '{{.Spec.Mode.Replicated.Replicas}}' "$id" 2>&1) ||
			{ violation "service $id is listed but inspect fails" "$n"; continue; }
		end=$((SECONDS + CONVERGE_SECS))
		until ks_service_converged "$id" "$n"; do
			if ((SECONDS >= end)); then
				violation "service $id did not converge to $n replicas, one a slot" \
					"$(dk service ps --no-trunc "$id" 2>&1; echo; ks_running_slots "$id")"
				break
			fi
			sleep 0.2
		done
	done
	# Tasks see their secret and config as made (ksv_N has kss_N and ksc_N).
	local svc cid
	for svc in $(dk service ls --format '{{.Name}}' | grep '^ksv_'); do
		cid=$(dk ps -q --filter "label=com.docker.swarm.service.name=$svc" | head -n 1)
		[[ -n $cid ]] || continue
		out=$(dk exec "$cid" cat "/run/secrets/kss_${svc#ksv_}" /c 2>&1)
		[[ $out == "secret ${svc#ksv_}config ${svc#ksv_}" ]] ||
			violation "a task of $svc reads other secret and config data than they were made with" "$out"
	done
	# No running task container outside the services' counts.
	local total=0
	for id in $svcs; do
		total=$((total + $(dk service inspect --format '{{.Spec.Mode.Replicated.Replicas}}' "$id")))
	done
	out=$(dk ps -q --filter label=com.docker.swarm.task.id 2>&1 | grep -c .)
	((out == total)) || violation "$out task containers run, the services want $total" \
		"$(dk ps --filter label=com.docker.swarm.task.id --format '{{.Names}} {{.Status}}')"
	# Overlay bridges hold only listed containers' interfaces.
	local br l ids
	ids=$(dk ps -aq --no-trunc)
	for id in $(dk network ls -q --no-trunc --filter driver=overlay); do
		echo "$id" >>"$KS_NETS"
		br=ov-${id:0:12}
		for l in $(ip -o link show master "$br" 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'); do
			[[ $l == vx-* ]] && continue
			grep -q "^${l:2:10}" <<<"$ids" || violation "interface $l on $br belongs to no listed container"
		done
	done
}

# At the end: services, secrets, configs, overlay networks, then the swarm.
ks_cleanup() {
	local out n
	dk network ls -q --no-trunc --filter driver=overlay >>"$KS_NETS" 2>/dev/null
	for n in $(dk service ls -q); do
		out=$(dk service rm "$n" 2>&1) || violation "service rm $n failed" "$out"
	done
	local end=$((SECONDS + 60))
	while [[ -n $(dk ps -aq --filter label=com.docker.swarm.task.id) ]]; do
		((SECONDS < end)) || { violation "task containers left 60s after service rm" "$(dk ps -a)"; break; }
		sleep 0.2
	done
	for n in $(dk secret ls -q); do
		out=$(dk secret rm "$n" 2>&1) || violation "secret rm $n failed" "$out"
	done
	for n in $(dk config ls -q); do
		out=$(dk config rm "$n" 2>&1) || violation "config rm $n failed" "$out"
	done
	for n in $(dk network ls --filter driver=overlay --format '{{.Name}}' | grep -vx ingress); do
		out=$(dk network rm "$n" 2>&1) || violation "network rm $n failed" "$out"
	done
	out=$(dk swarm leave --force 2>&1) || violation "swarm leave failed" "$out"
	if dk network inspect docker_gwbridge >/dev/null 2>&1; then
		out=$(dk network rm docker_gwbridge 2>&1) || violation "network rm docker_gwbridge failed" "$out"
	fi
}

# Nothing of the swarm and its networks is left.
ks_check_final() {
	local out id
	out=$(ks_swarm_state)
	[[ $out == " inactive false" ]] || violation "the swarm is still there after leave" "$out"
	for id in $(sort -u "$KS_NETS"); do
		out=$(net_links | grep -E "^(ov|vx)-${id:0:12}")
		[[ -z $out ]] || violation "devices of removed overlay network $id" "$out"
		out=$(find "$D_EXEC/netns" -mindepth 1 -name "*${id:0:12}*" 2>/dev/null)
		[[ -z $out ]] || violation "namespace of removed overlay network $id" "$out"
	done
	for id in $(grep -oE 'bridge gwbr-[0-9a-f]+' "$D_LOG" | awk '{print $2}' | sort -u); do
		out=$(net_links | grep -xF "$id")
		[[ -z $out ]] || violation "docker_gwbridge's device left" "$out"
	done
	out=$(ls -A "$D_DATA/swarm" 2>/dev/null)
	[[ -z $out ]] || violation "swarm state left after leave" "$out"
}

# ---- main ----

net_block
KC_DAEMON_ARGS=(--default-address-pool "base=10.$NB.64.0/18,size=24")
kc_setup
KS_MUST=$TEST_TMP/must KS_NETS=$TEST_TMP/overlay-nets
: >"$KS_MUST"
: >"$KS_NETS"
start_registry kreg
port=$(free_port)
dk swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$port" \
	--default-addr-pool "10.$NB.128.0/17" >/dev/null || { echo "swarm init failed" >&2; exit 1; }
KS_NODE=$(dk info --format '{{.Swarm.NodeID}}')
say "swarm node $KS_NODE, registry $REG"
add_cleanup "ks_cleanup_on_exit"
ks_cleanup_on_exit() {
	daemon_alive "$D_PID" || return 0
	for s in $(dk service ls -q 2>/dev/null); do dk service rm "$s" >/dev/null 2>&1; done
	return 0
}
KC_LOOP_FNS=(ks_loop_build ks_loop_registry ks_loop_swarm)
# The swarm first: its agent starts and stops task containers until the
# services converge, and the other checks want a quiet daemon.
KC_HOOKS_SETTLE=(ks_check_swarm)
KC_HOOKS_RESTART=(ks_check_images ks_check_images_kept)
KC_HOOKS_CLEANUP=(ks_cleanup)
KC_HOOKS_FINAL=(ks_check_images ks_check_final)
kc_rounds
kc_finish
