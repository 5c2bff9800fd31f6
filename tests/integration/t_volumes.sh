# Local volumes (issue 3): create, ls filters, inspect, rm, prune, errors,
# events; through docker and berth.
# shellcheck source=images_lib.sh
. "$INTEG_DIR/images_lib.sh"

# vol_names ARGS: sorted volume names of `volume ls ARGS`, space separated.
vol_names() {
	run_ok "$@" --format '{{.Name}}'
	sort <<<"$OUT" | grep . | paste -sd' '
}

volume_basics() { # CLI...: the client under test (docker -H ... or berth -H ...)
	local cli=("$@")
	run_ok "${cli[@]}" volume create --label a=1 --label b=two v1
	assert_eq v1 "$OUT" "volume create v1"
	run_ok "${cli[@]}" volume inspect v1
	local j=$OUT
	assert_eq v1 "$(json_get "$j" 'j[0]["Name"]')" "Name"
	assert_eq local "$(json_get "$j" 'j[0]["Driver"]')" "Driver"
	assert_eq local "$(json_get "$j" 'j[0]["Scope"]')" "Scope"
	assert_eq "$D_DATA/volumes/v1/_data" "$(json_get "$j" 'j[0]["Mountpoint"]')" "Mountpoint"
	assert_eq '{"a": "1", "b": "two"}' "$(json_get "$j" 'j[0]["Labels"]')" "Labels"
	assert_match "$(json_get "$j" 'j[0]["Options"]')" '^(null|\{\})$' "Options of a plain volume"
	assert_match "$(json_get "$j" 'j[0]["CreatedAt"]')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "CreatedAt"
	[[ -d "$D_DATA/volumes/v1/_data" ]] || fail "v1's _data directory is missing"
	local created
	created=$(json_get "$j" 'j[0]["CreatedAt"]')

	# tmpfs options are recorded (and mounted only when used).
	run_ok "${cli[@]}" volume create -o type=tmpfs -o device=tmpfs -o o=size=1m vt
	run_ok "${cli[@]}" volume inspect --format '{{json .Options}} {{.Driver}}' vt
	assert_eq '{"device":"tmpfs","o":"size=1m","type":"tmpfs"} local' "$OUT" "Options of the tmpfs volume"
	assert_empty "$(awk -v root="$D_DATA" 'index($5, root) == 1 { print $5 }' /proc/self/mountinfo)" \
		"mounts for an unused tmpfs volume"

	# A generated name.
	run_ok "${cli[@]}" volume create
	local anon=$OUT
	assert_match "$anon" '^[0-9a-f]{64}$' "generated volume name"

	# Creating an existing name returns it unchanged.
	run_ok "${cli[@]}" volume create v1
	assert_eq v1 "$OUT" "create of an existing volume"
	run_ok "${cli[@]}" volume inspect --format '{{.CreatedAt}} {{json .Labels}}' v1
	assert_eq "$created {\"a\":\"1\",\"b\":\"two\"}" "$OUT" "v1 after creating it again"

	# ls and filters.
	assert_eq "$(printf '%s\n' "$anon" v1 vt | sort | paste -sd' ')" "$(vol_names "${cli[@]}" volume ls)" "volume ls"
	run_ok "${cli[@]}" volume ls -q
	assert_eq 3 "$(grep -c . <<<"$OUT")" "volume ls -q"
	assert_eq "v1" "$(vol_names "${cli[@]}" volume ls --filter label=a=1)" "label=a=1"
	assert_eq "v1" "$(vol_names "${cli[@]}" volume ls --filter label=b)" "label=b"
	assert_eq "" "$(vol_names "${cli[@]}" volume ls --filter label=a=2)" "label=a=2"
	assert_eq "v1 vt" "$(vol_names "${cli[@]}" volume ls --filter name=v)" "name=v"
	assert_eq "vt" "$(vol_names "${cli[@]}" volume ls --filter name=vt)" "name=vt"
	assert_eq "$(printf '%s\n' "$anon" v1 vt | sort | paste -sd' ')" \
		"$(vol_names "${cli[@]}" volume ls --filter dangling=true)" "dangling=true (no containers)"
	assert_eq "" "$(vol_names "${cli[@]}" volume ls --filter dangling=false)" "dangling=false"
	assert_eq "v1" "$(vol_names "${cli[@]}" volume ls --filter driver=local --filter label=a)" "driver=local + label=a"
	run_fails "${cli[@]}" volume ls --filter bogus=1
	assert_contains "$ERR" "bogus" "volume ls with an unknown filter"

	# Errors.
	run_fails "${cli[@]}" volume create 'bad/name'
	assert_match "$ERR" "invalid|includes invalid characters" "volume create bad/name"
	run_fails "${cli[@]}" volume create x
	assert_match "$ERR" "invalid|too short|at least" "volume create of a one-character name"
	run_fails "${cli[@]}" volume create -d nosuchdriver v2
	assert_match "$ERR" "nosuchdriver|plugin|driver" "volume create with an unknown driver"
	run_ok "${cli[@]}" volume ls -q
	assert_eq 3 "$(grep -c . <<<"$OUT")" "volumes after the failed creates"
	run_fails "${cli[@]}" volume inspect nosuch
	assert_match "$ERR" "[Nn]o such volume" "inspect of an unknown volume"
	run_fails "${cli[@]}" volume rm nosuch
	assert_match "$ERR" "[Nn]o such volume" "rm of an unknown volume"

	# rm.
	run_ok "${cli[@]}" volume rm vt
	assert_eq vt "$OUT" "volume rm vt"
	assert_file_absent "$D_DATA/volumes/vt" "vt's directory"
	run_ok "${cli[@]}" volume rm -f nosuch
	echo data >"$D_DATA/volumes/v1/_data/f"

	# prune: label filter first, then the rest (API 1.41: all unused volumes).
	run_ok "${cli[@]}" volume prune -f --filter label=a=1
	assert_contains "$OUT" "v1" "prune --filter label=a=1"
	assert_not_contains "$OUT" "$anon" "prune --filter label=a=1"
	assert_match "$OUT" "Total reclaimed space: [0-9.]+k?B" "prune --filter label=a=1"
	assert_file_absent "$D_DATA/volumes/v1" "v1's directory after prune"
	run_ok "${cli[@]}" volume prune -f
	run_ok "${cli[@]}" volume ls -q
	if [[ -n $OUT ]]; then
		# API >= 1.42 semantics: named volumes need --all.
		run_ok "${cli[@]}" volume prune -f --all
		run_ok "${cli[@]}" volume ls -q
	fi
	assert_empty "$OUT" "volumes after prune"
	assert_empty "$(find "$D_DATA/volumes" -mindepth 1 -maxdepth 1 ! -name metadata.db)" "volume dirs after prune"
}

test_volumes_docker() {
	start_daemon
	volume_basics docker -H "$D_HOST"
	# Status codes.
	assert_eq 404 "$(api_status GET /volumes/nosuch)" "GET /volumes/nosuch"
	assert_eq 404 "$(api_status DELETE /volumes/nosuch)" "DELETE /volumes/nosuch"
	assert_eq 400 "$(api_status POST /volumes/create -H 'Content-Type: application/json' -d '{"Name":"a/b"}')" \
		"create with an invalid name"
	local st
	st=$(api_status POST /volumes/create -H 'Content-Type: application/json' -d '{"Name":"zz","Driver":"nosuch"}')
	[[ $st =~ ^[45][0-9][0-9]$ ]] || fail "create with an unknown driver: status $st"
	assert_eq 201 "$(api_status POST /volumes/create -H 'Content-Type: application/json' -d '{"Name":"okvol"}')" \
		"create okvol"
	assert_eq 204 "$(api_status DELETE /volumes/okvol)" "DELETE okvol"
}

test_volumes_berth() {
	start_daemon
	volume_basics berth -H "$D_HOST"
	# berth and docker print the same table.
	docker -H "$D_HOST" volume create --label x=y t1 >/dev/null || fail "create t1"
	docker -H "$D_HOST" volume create t2 >/dev/null || fail "create t2"
	run_ok docker -H "$D_HOST" volume ls
	local want=$OUT
	run_ok berth -H "$D_HOST" volume ls
	assert_eq "$want" "$OUT" "berth volume ls vs docker volume ls"
	run_ok docker -H "$D_HOST" volume inspect t1 t2
	want=$OUT
	run_ok berth -H "$D_HOST" volume inspect t1 t2
	assert_eq "$(json_get "$want" 'j')" "$(json_get "$OUT" 'j')" "berth volume inspect vs docker's"
}

test_volumes_persist_across_restart() {
	start_daemon
	docker -H "$D_HOST" volume create --label keep=1 -o type=tmpfs -o device=tmpfs -o o=size=1m pv >/dev/null ||
		fail "create pv"
	docker -H "$D_HOST" volume create plain >/dev/null || fail "create plain"
	echo hello >"$D_DATA/volumes/plain/_data/f"
	run_ok docker -H "$D_HOST" volume inspect pv plain
	local before=$OUT
	stop_daemon
	start_daemon
	run_ok docker -H "$D_HOST" volume inspect pv plain
	assert_eq "$(json_get "$before" 'j')" "$(json_get "$OUT" 'j')" "volumes after a restart"
	assert_eq hello "$(cat "$D_DATA/volumes/plain/_data/f")" "volume data after a restart"
	# system df counts them.
	run_ok docker -H "$D_HOST" system df --format '{{.Type}}|{{.TotalCount}}|{{.Active}}'
	assert_contains "$OUT" "Local Volumes|2|0" "system df volumes"
	run_ok docker -H "$D_HOST" system df -v
	assert_match "$OUT" "plain +0 +[0-9.]+k?B" "system df -v row of plain"
}

test_volumes_events() {
	start_daemon
	local since until
	since=$(date +%s.%N)
	docker -H "$D_HOST" volume create --label team=berth ev1 >/dev/null || fail "create ev1"
	docker -H "$D_HOST" volume create ev2 >/dev/null || fail "create ev2"
	docker -H "$D_HOST" volume rm ev1 >/dev/null || fail "rm ev1"
	docker -H "$D_HOST" volume prune -f >/dev/null || fail "prune"
	docker -H "$D_HOST" volume prune -f --all >/dev/null 2>&1
	until=$(date +%s.%N)
	run_ok docker -H "$D_HOST" events --since "$since" --until "$until" --filter type=volume \
		--format '{{.Type}} {{.Action}} {{.Actor.ID}} driver={{index .Actor.Attributes "driver"}}'
	assert_eq "volume create ev1 driver=local
volume create ev2 driver=local
volume destroy ev1 driver=local
volume destroy ev2 driver=local" "$OUT" "volume events"
	run_ok docker -H "$D_HOST" events --since "$since" --until "$until" --filter volume=ev2 --format '{{.Action}}'
	assert_eq "create
destroy" "$OUT" "events filtered by volume=ev2"
	run_ok berth -H "$D_HOST" events --since "$since" --until "$until" --filter type=volume --filter event=destroy \
		--format '{{.Action}} {{.Actor.ID}}'
	assert_eq "destroy ev1
destroy ev2" "$OUT" "berth events of volumes"
	# A failed create publishes nothing.
	since=$(date +%s.%N)
	docker -H "$D_HOST" volume create 'bad/name' >/dev/null 2>&1
	until=$(date +%s.%N)
	run_ok docker -H "$D_HOST" events --since "$since" --until "$until"
	assert_empty "$OUT" "events of a failed volume create"
}
