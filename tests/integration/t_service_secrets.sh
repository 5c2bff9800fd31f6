# Secrets and configs of swarm services on a one-node swarm (issue 9), with
# the real docker CLI: service create --secret/--config (target, uid, gid,
# mode), the files in the task's container, secret rm refused while in use,
# service update --secret-rm/--config-add, and swarmkit's errors for bad
# references sent to the API.
# shellcheck source=swarm_lib.sh
. "$INTEG_DIR/swarm_lib.sh"

# ss_api METHOD PATH [BODY]: the HTTP status in $OUT, the body in $SS_BODY.
ss_api() {
	local args=(-s --unix-socket "$D_SOCK" -o "$TEST_TMP/ss.body" -w '%{http_code}' -X "$1")
	[[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' -d "$3")
	run curl "${args[@]}" "http://localhost/v1.41$2"
	SS_BODY=$(cat "$TEST_TMP/ss.body" 2>/dev/null)
}

# ss_task_container SERVICE: the ID of SERVICE's one running container.
ss_running_container() {
	docker -H "$D_HOST" ps -q --filter "label=com.docker.swarm.service.name=$1" --filter status=running
}

ss_wait_one_running() { # SERVICE [NOT_ID]: waits for a running container other than NOT_ID
	wait_for 60 "a running task of $1" bash -c "c=\$(docker -H '$D_HOST' ps -q --filter label=com.docker.swarm.service.name=$1 --filter status=running); [[ -n \$c && \$c != '${2:-none}' && \$(wc -l <<<\"\$c\") == 1 ]]" ||
		fail "one running task of $1 expected: $(dk service ps --no-trunc "$1")"
	SS_C=$(ss_running_container "$1")
}

test_service_secrets_files() {
	swarm_one_node
	printf 's3cret-value' >"$TEST_TMP/pw"
	printf 'second' >"$TEST_TMP/other"
	printf 'listen 80\n' >"$TEST_TMP/app.conf"
	run_ok dk secret create pw "$TEST_TMP/pw"
	run_ok dk secret create other "$TEST_TMP/other"
	run_ok dk config create app.conf "$TEST_TMP/app.conf"
	run_ok dk service create -d --name sec --stop-grace-period 1s \
		--secret source=pw,target=pwfile,uid=1000,gid=1001,mode=0400 \
		--secret other \
		--config source=app.conf,target=/etc/app.conf,mode=0440 \
		--config source=app.conf,target=rel.conf \
		busybox sleep 1000
	ss_wait_one_running sec
	local c=$SS_C
	run_ok dk exec "$c" cat /run/secrets/pwfile
	assert_eq "s3cret-value" "$OUT" "secret content"
	run_ok dk exec "$c" stat -c '%u %g %a' /run/secrets/pwfile
	assert_eq "1000 1001 400" "$OUT" "secret owner and mode"
	run_ok dk exec "$c" cat /run/secrets/other
	assert_eq "second" "$OUT" "secret at its default target"
	run_ok dk exec "$c" stat -c '%u %g %a' /run/secrets/other
	assert_eq "0 0 444" "$OUT" "default owner and mode"
	run_ok dk exec "$c" cat /etc/app.conf
	assert_eq "listen 80" "$OUT" "config content"
	run_ok dk exec "$c" stat -c '%u %g %a' /etc/app.conf
	assert_eq "0 0 440" "$OUT" "config owner and mode"
	run_ok dk exec "$c" cat /rel.conf
	assert_eq "listen 80" "$OUT" "config at a relative target"
	run_fails dk exec "$c" sh -c 'echo x > /run/secrets/pwfile'
	run_ok dk service inspect --format '{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}}:{{.File.Name}}{{println}}{{end}}' sec
	assert_eq "$(printf 'other:other\npw:pwfile')" "$(sort <<<"$OUT")" "secret references in the spec"

	run_fails dk secret rm pw
	assert_contains "$ERR" "secret 'pw' is in use by the following service: sec" "secret rm in use"
	run_fails dk config rm app.conf
	assert_contains "$ERR" "config 'app.conf' is in use by the following service: sec" "config rm in use"

	run_ok dk service update -d --secret-rm pw sec
	ss_wait_one_running sec "$c"
	local c2=$SS_C
	run_fails dk exec "$c2" test -e /run/secrets/pwfile
	run_ok dk exec "$c2" cat /run/secrets/other
	assert_eq "second" "$OUT" "the other secret stays"
	run_ok dk secret rm pw
	run_fails dk secret rm other

	run_ok dk service update -d --secret-add source=other,target=/opt/o,mode=0404 sec
	ss_wait_one_running sec "$c2"
	run_ok dk exec "$SS_C" stat -c '%a' /opt/o
	assert_eq "404" "$OUT" "secret added by update"

	run_ok dk service rm sec
	wait_for 30 "containers of sec to go" bash -c "[[ -z \$(docker -H '$D_HOST' ps -aq --filter label=com.docker.swarm.service.name=sec) ]]" ||
		fail "containers of sec left: $(dk ps -a)"
	run_ok dk secret rm other
	run_ok dk config rm app.conf
	assert_empty "$(find "$D_DATA/containers" -maxdepth 2 -name secrets 2>/dev/null)" "secret dirs left"
}

test_service_secrets_errors() {
	swarm_one_node
	printf 'x' >"$TEST_TMP/pw"
	run_ok dk secret create pw "$TEST_TMP/pw"
	local id
	id=$(dk secret inspect --format '{{.ID}}' pw)
	run_fails dk service create -d --name bad --secret nope busybox sleep 1
	assert_contains "$ERR" "secret not found: nope" "CLI: unknown secret"
	run_fails dk service create -d --name bad --config nope busybox sleep 1
	assert_contains "$ERR" "config not found: nope" "CLI: unknown config"

	local spec='{"Name":"bad","TaskTemplate":{"ContainerSpec":{"Image":"busybox","Secrets":%s}}}'
	# shellcheck disable=SC2059
	ss_api POST /services/create "$(printf "$spec" '[{"SecretID":"nosuchid","SecretName":"pw","File":{"Name":"pw"}}]')"
	assert_eq 400 "$OUT" "status of an unknown secret ID"
	assert_contains "$SS_BODY" "rpc error: code = InvalidArgument desc = secret not found: pw" "unknown ID"
	# shellcheck disable=SC2059
	ss_api POST /services/create "$(printf "$spec" '[{"SecretID":"'"$id"'","SecretName":"a","File":{"Name":"a"}},{"SecretID":"x","SecretName":"b","File":{"Name":"b"}}]')"
	assert_contains "$SS_BODY" "secrets not found: a, b" "two unknown"
	# shellcheck disable=SC2059
	ss_api POST /services/create "$(printf "$spec" '[{"SecretID":"'"$id"'","SecretName":"pw"}]')"
	assert_contains "$SS_BODY" "malformed secret reference, no target provided" "no target"
	# shellcheck disable=SC2059
	ss_api POST /services/create "$(printf "$spec" '[{"SecretID":"'"$id"'","File":{"Name":"x"}}]')"
	assert_contains "$SS_BODY" "desc = malformed secret reference\"" "no name"
	# shellcheck disable=SC2059
	ss_api POST /services/create "$(printf "$spec" '[{"SecretID":"'"$id"'","SecretName":"pw","File":{"Name":"t"}},{"SecretID":"'"$id"'","SecretName":"pw","File":{"Name":"t"}}]')"
	assert_eq 400 "$OUT" "status of conflicting targets"
	assert_contains "$SS_BODY" "secret references 'pw' and 'pw' have a conflicting target: 't'" "conflicting targets"
	run_ok dk service create -d --name good busybox sleep 1000
	run_fails dk service update -d --secret-add nope good
	assert_contains "$ERR" "secret not found: nope" "update: unknown secret"
	run_ok dk service ls -q
	assert_eq 1 "$(wc -l <<<"$OUT")" "no service made by a refused create"
}

test_service_secrets_berth_cli() {
	swarm_one_node
	printf 'from-berth' >"$TEST_TMP/pw"
	printf 'conf' >"$TEST_TMP/c"
	run_ok dk secret create pw "$TEST_TMP/pw"
	run_ok dk config create c "$TEST_TMP/c"
	run_fails berth -H "$D_HOST" service create -d --name b1 --secret nope busybox sleep 1
	assert_contains "$ERR" "secret not found: nope" "berth: unknown secret"
	run_fails berth -H "$D_HOST" service create -d --name b1 --secret src=pw,mode=x busybox sleep 1
	assert_contains "$ERR" 'invalid argument "src=pw,mode=x" for "--secret" flag: invalid mode specified' "berth: bad mode"
	run_fails berth -H "$D_HOST" service create -d --name b1 --secret pw --secret src=pw,target=pw busybox sleep 1
	assert_contains "$ERR" "duplicate secret target for pw not allowed" "berth: duplicate target"
	run_ok berth -H "$D_HOST" service create -d --name b1 --stop-grace-period 1s \
		--secret src=pw,target=t,uid=7,gid=8,mode=0600 --config source=c,target=/c.txt busybox sleep 1000
	ss_wait_one_running b1
	run_ok dk exec "$SS_C" cat /run/secrets/t /c.txt
	assert_eq "from-berthconf" "$OUT" "berth: files"
	run_ok dk exec "$SS_C" stat -c '%u %g %a' /run/secrets/t /c.txt
	assert_eq "$(printf '7 8 600\n0 0 444')" "$OUT" "berth: owners and modes"
	# The same spec as the docker CLI sends.
	run_ok dk service create -d --name d1 --secret src=pw,target=t,uid=7,gid=8,mode=0600 \
		--config source=c,target=/c.txt busybox sleep 1000
	local q='{{json .Spec.TaskTemplate.ContainerSpec.Secrets}} {{json .Spec.TaskTemplate.ContainerSpec.Configs}}'
	assert_eq "$(dk service inspect --format "$q" d1)" "$(dk service inspect --format "$q" b1)" "berth and docker specs"
}
