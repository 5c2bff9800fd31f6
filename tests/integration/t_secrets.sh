# Swarm secrets and configs on a one-node swarm (issue 9): docker secret and
# docker config create/ls/inspect/rm with the real CLI, dockerd's codes and
# messages, list filters, updates (labels; a secret's data rotated in place),
# events, data sealed at rest, and the objects surviving a restart.

sc_swarm() {
	start_daemon "$@"
	SC_PORT=$(free_port)
	run_ok docker -H "$D_HOST" swarm init --advertise-addr "127.0.0.1:$SC_PORT" \
		--listen-addr "127.0.0.1:$SC_PORT"
	SC_T0=$(date +%s.%N)
}

# sc_api METHOD PATH [BODY]: the HTTP status in $OUT, the body in $SC_BODY.
sc_api() {
	local args=(-s --unix-socket "$D_SOCK" -o "$TEST_TMP/sc.body" -w '%{http_code}' -X "$1")
	[[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' -d "$3")
	run curl "${args[@]}" "http://localhost/v1.41$2"
	SC_BODY=$(cat "$TEST_TMP/sc.body" 2>/dev/null)
}

sc_version() { dk "$1" inspect --format '{{.Version.Index}}' "$2"; }

sc_events() { # TYPE: "action name" lines since the swarm began
	dk events --since "$SC_T0" --until "$(date +%s.%N)" --filter "type=$1" \
		--format '{{.Action}} {{.Actor.Attributes.name}} {{.Scope}}'
}

test_secrets_not_a_manager() {
	start_daemon
	run_fails dk secret ls
	assert_contains "$ERR" "This node is not a swarm manager" "docker secret ls outside a swarm"
	sc_api GET /secrets
	assert_eq 503 "$OUT" "status of GET /secrets outside a swarm"
	sc_api POST /configs/create '{"Name":"c","Data":"eA=="}'
	assert_eq 503 "$OUT" "status of POST /configs/create outside a swarm"
}

test_secrets_docker_cli() {
	sc_swarm
	local plain=berth-plaintext-7f3a9c
	run_ok bash -c "printf %s $plain | docker -H $D_HOST secret create --label env=prod pw -"
	local id=$OUT
	assert_match "$id" '^[a-z0-9]{25}$' "ID printed by docker secret create"
	run_ok dk secret create --label env=dev other /etc/hostname
	local other=$OUT

	run_ok dk secret ls --format '{{.Name}}'
	assert_eq "other
pw" "$(sort <<<"$OUT")" "docker secret ls"
	run_ok dk secret inspect pw
	local j=$OUT
	assert_eq "$id" "$(json_get "$j" 'j[0]["ID"]')" "ID by name"
	assert_eq '{"Name": "pw", "Labels": {"env": "prod"}}' "$(json_get "$j" 'j[0]["Spec"]')" \
		"Spec of a secret (never its data)"
	assert_not_contains "$j" "$(printf %s "$plain" | base64)" "docker secret inspect"
	run_ok dk secret inspect --format '{{.Spec.Name}}' "${id:0:5}"
	assert_eq pw "$OUT" "inspect by ID prefix"

	# Filters: label, name (prefix), id (prefix), names (exact).
	run_ok dk secret ls -q --filter label=env=prod
	assert_eq "$id" "$OUT" "ls --filter label=env=prod"
	run_ok dk secret ls -q --filter label=env
	assert_eq 2 "$(wc -l <<<"$OUT")" "ls --filter label=env"
	run_ok dk secret ls -q --filter name=oth
	assert_eq "$other" "$OUT" "ls --filter name=oth"
	run_ok dk secret ls -q --filter "id=${id:0:6}"
	assert_eq "$id" "$OUT" "ls --filter id=prefix"
	run_ok dk secret ls -q --filter names=p
	assert_empty "$OUT" "ls --filter names=p (exact names only)"
	run_ok dk secret ls -q --filter names=pw
	assert_eq "$id" "$OUT" "ls --filter names=pw"
	run_fails dk secret ls --filter color=red
	assert_contains "$ERR" "invalid filter 'color'" "ls with an unknown filter"

	# dockerd's codes and messages.
	run_fails bash -c "echo x | docker -H $D_HOST secret create pw -"
	assert_contains "$ERR" "rpc error: code = AlreadyExists desc = secret pw already exists" "duplicate name"
	sc_api POST /secrets/create '{"Name":"pw","Data":"eA=="}'
	assert_eq 409 "$OUT" "status of a duplicate name"
	sc_api POST /secrets/create '{"Name":"-bad-","Data":"eA=="}'
	assert_eq 400 "$OUT" "status of a bad name"
	assert_contains "$SC_BODY" "invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]" "message of a bad name"
	head -c 512000 /dev/zero >"$TEST_TMP/big"
	run_fails dk secret create big "$TEST_TMP/big"
	assert_contains "$ERR" "secret data must be larger than 0 and less than 512000 bytes" "a 500 KB secret"
	head -c 511999 /dev/zero >"$TEST_TMP/big"
	run_ok dk secret create big "$TEST_TMP/big"
	sc_api POST /secrets/create '{"Name":"empty"}'
	assert_eq 400 "$OUT" "status of a secret without data"
	sc_api GET /secrets/nosuch
	assert_eq 404 "$OUT" "status of an unknown secret"
	assert_contains "$SC_BODY" "secret nosuch not found" "message of an unknown secret"
	run_fails dk secret inspect nosuch
	assert_contains "$ERR" "secret nosuch not found" "docker secret inspect nosuch"

	# Updates: labels with the current version; a stale version is refused.
	local v
	v=$(sc_version secret pw)
	sc_api POST "/secrets/$id/update?version=$v" '{"Name":"pw","Labels":{"env":"staging"}}'
	assert_eq 200 "$OUT" "status of a label update"
	run_ok dk secret inspect --format '{{json .Spec.Labels}}' pw
	assert_eq '{"env":"staging"}' "$OUT" "labels after the update"
	sc_api POST "/secrets/$id/update?version=$v" '{"Name":"pw","Labels":{}}'
	assert_contains "$SC_BODY" "update out of sequence" "update with a stale version"
	sc_api POST "/secrets/$id/update?version=x" '{"Name":"pw"}'
	assert_eq 400 "$OUT" "status of a bad version"
	assert_contains "$SC_BODY" "invalid secret version" "message of a bad version"
	v=$(sc_version secret pw)
	sc_api POST "/secrets/$id/update?version=$v" '{"Name":"renamed"}'
	assert_eq 400 "$OUT" "status of a rename"
	assert_contains "$SC_BODY" "only updates to Labels are allowed" "message of a rename"
	# Beyond Docker: a secret's data rotated in place keeps ID and name and
	# gets a new version.
	local rotated=berth-rotated-1b2c3d
	sc_api POST "/secrets/$id/update?version=$v" \
		"{\"Name\":\"pw\",\"Labels\":{\"env\":\"staging\"},\"Data\":\"$(printf %s "$rotated" | base64)\"}"
	assert_eq 200 "$OUT" "status of a data rotation"
	run_ok dk secret inspect --format '{{.ID}} {{.Spec.Name}}' pw
	assert_eq "$id pw" "$OUT" "ID and name after the rotation"
	(($(sc_version secret pw) > v)) || fail "the version did not grow with the rotation"

	# Data at rest: Raft entries are sealed; neither form of either value
	# is on disk.
	local s
	for s in "$plain" "$rotated" "$(printf %s "$plain" | base64)" "$(printf %s "$rotated" | base64)"; do
		assert_empty "$(grep -rlaF -- "$s" "$D_DATA/swarm" 2>/dev/null)" "files holding '$s'"
	done

	# rm, then events as dockerd sends them.
	run_ok dk secret rm pw big
	run_fails dk secret inspect pw
	run_fails dk secret rm pw
	assert_contains "$ERR" "secret pw not found" "rm of a removed secret"
	run_ok sc_events secret
	assert_contains "$OUT" "create pw swarm" "secret create event"
	assert_contains "$OUT" "update pw swarm" "secret update event"
	assert_contains "$OUT" "remove pw swarm" "secret remove event"
	run_ok dk secret rm other
}

test_secrets_configs() {
	sc_swarm
	run_ok bash -c "printf 'listen: 80\n' | docker -H $D_HOST config create --label app=web web.yml -"
	local id=$OUT
	run_ok dk config ls --format '{{.ID}} {{.Name}}'
	assert_eq "$id web.yml" "$OUT" "docker config ls"
	run_ok dk config inspect --format '{{json .Spec}}' web.yml
	assert_eq "{\"Name\":\"web.yml\",\"Labels\":{\"app\":\"web\"},\"Data\":\"$(printf 'listen: 80\n' | base64)\"}" \
		"$OUT" "Spec of a config (with its data, as dockerd shows it)"
	run_ok dk config inspect --pretty web.yml
	assert_contains "$OUT" "listen: 80" "docker config inspect --pretty"
	run_fails bash -c "echo x | docker -H $D_HOST config create web.yml -"
	assert_contains "$ERR" "config web.yml already exists" "duplicate config"
	run_ok dk config ls -q --filter label=app=web
	assert_eq "$id" "$OUT" "config ls --filter label"
	sc_api GET '/configs?filters=%7B%22names%22%3A%7B%22web.yml%22%3Atrue%7D%7D'
	assert_eq 400 "$OUT" "configs have no names filter"

	local v
	v=$(sc_version config web.yml)
	sc_api POST "/configs/$id/update?version=$v" \
		"{\"Name\":\"web.yml\",\"Labels\":{\"app\":\"api\"},\"Data\":\"$(printf 'listen: 80\n' | base64)\"}"
	assert_eq 200 "$OUT" "status of a config label update"
	# Beyond Docker (dockerd: "only updates to Labels are allowed"), new
	# data rotates the config in place, as a secret's.
	v=$(sc_version config web.yml)
	sc_api POST "/configs/$id/update?version=$v" '{"Name":"web.yml","Labels":{"app":"api"},"Data":"eA=="}'
	assert_eq 200 "$OUT" "status of a config data change"
	run_ok dk config inspect --format '{{.ID}} {{json .Spec}}' web.yml
	assert_eq "$id {\"Name\":\"web.yml\",\"Labels\":{\"app\":\"api\"},\"Data\":\"eA==\"}" "$OUT" \
		"config after a data change"
	(($(sc_version config web.yml) > v)) || fail "the version did not grow with the rotation"

	run_ok sc_events config
	assert_eq "create web.yml swarm
update web.yml swarm
update web.yml swarm" "$OUT" "config events"

	# The objects live in the Raft log: they survive a restart.
	stop_daemon
	launch_daemon --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		-H "$D_HOST" --config-file "$D_CFG"
	wait_daemon_ready 1
	wait_for 20 "the config after the restart" dk config inspect web.yml
	run_ok dk config inspect --format '{{json .Spec.Labels}}' web.yml
	assert_eq '{"app":"api"}' "$OUT" "config labels after the restart"

	run_ok dk config rm web.yml
	run_ok dk config ls -q
	assert_empty "$OUT" "configs after rm"
	# The event log starts empty with the daemon, and replaying the Raft
	# log at the start published nothing: only the rm is there.
	run_ok sc_events config
	assert_eq "remove web.yml swarm" "$OUT" "config events after the restart"
}

test_secrets_berth_cli() {
	sc_swarm
	local id cid
	run_ok bash -c "printf pw1 | '$BERTH' -H $D_HOST secret create -l a=1 bs -"
	id=$OUT
	assert_match "$id" '^[a-z0-9]{25}$' "ID printed by berth secret create"
	printf 'k: v\n' >"$TEST_TMP/c.yml"
	run_ok berth -H "$D_HOST" config create bc "$TEST_TMP/c.yml"
	cid=$OUT
	# The same tables as the docker CLI's (times and their padding aside).
	sc_untimed() { sed -E 's/(Less than a second|About a minute|[0-9]+ [a-z]+) ago/T/g' | tr -s ' '; }
	local fmt
	for fmt in '' '{{.ID}} {{.Name}} {{.Labels}}'; do
		run_ok dk secret ls ${fmt:+--format "$fmt"}
		local want
		want=$(sc_untimed <<<"$OUT")
		run_ok berth -H "$D_HOST" secret ls ${fmt:+--format "$fmt"}
		assert_eq "$want" "$(sc_untimed <<<"$OUT")" "berth secret ls ${fmt:+--format $fmt}"
		run_ok dk config ls ${fmt:+--format "$fmt"}
		want=$(sc_untimed <<<"$OUT")
		run_ok berth -H "$D_HOST" config ls ${fmt:+--format "$fmt"}
		assert_eq "$want" "$(sc_untimed <<<"$OUT")" "berth config ls ${fmt:+--format $fmt}"
	done
	run_ok berth -H "$D_HOST" secret ls -q --filter label=a=1
	assert_eq "$id" "$OUT" "berth secret ls -q --filter"
	run_ok dk secret inspect bs
	local want=$OUT
	run_ok berth -H "$D_HOST" secret inspect bs
	assert_eq "$want" "$OUT" "berth secret inspect"
	run_ok berth -H "$D_HOST" config inspect --format '{{.ID}} {{.Spec.Name}}' bc
	assert_eq "$cid bc" "$OUT" "berth config inspect --format"
	run_fails berth -H "$D_HOST" secret create bs "$TEST_TMP/c.yml"
	assert_contains "$ERR" "secret bs already exists" "berth secret create of a taken name"
	run_fails berth -H "$D_HOST" secret rm bs nosuch
	assert_eq bs "$OUT" "berth secret rm prints what it removed"
	assert_contains "$ERR" "secret nosuch not found" "berth secret rm of an unknown secret"
	run_ok berth -H "$D_HOST" config rm bc
	run_ok dk config ls -q
	assert_empty "$OUT" "configs after berth config rm"
}
