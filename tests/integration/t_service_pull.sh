# Swarm services whose image is only in a registry (issue 9): the agent
# pulls a task's missing image, with the credentials `docker service
# create/update --with-registry-auth` sends (kept in the task spec's
# PullOptions, never shown by inspect), and rejects the task "No such image"
# when the pull fails, as dockerd's executor does.
# shellcheck source=swarm_lib.sh
. "$INTEG_DIR/swarm_lib.sh"
# shellcheck source=registry_lib.sh
. "$INTEG_DIR/registry_lib.sh"

# A TLS registry with basic auth (alice/s3cret) holding $REG/private:1 (a
# busybox), which the daemon does not have.
sp_private_registry() {
	command -v htpasswd >/dev/null || skip "htpasswd is not installed (apache2-utils)"
	local pki=$TEST_TMP/pki
	mkdir -p "$pki" "$TEST_TMP/auth"
	reg_make_ca "$pki" testca
	reg_server_cert "$pki" testca
	htpasswd -Bbn alice s3cret >"$TEST_TMP/auth/htpasswd" 2>/dev/null || fail "htpasswd failed"
	REG_TLS_CERT=$pki/server.crt REG_TLS_KEY=$pki/server.key start_registry reg "auth:
  htpasswd:
    realm: berth-test
    path: $TEST_TMP/auth/htpasswd"
	swarm_one_node
	run_ok dk tag busybox:latest "$REG/private:1"
	run_ok dk login -u alice -p s3cret "$REG"
	run_ok dk push "$REG/private:1"
	run_ok dk rmi "$REG/private:1"
}

# sp_state SERVICE: "state|error" of the service's tasks, one a line.
sp_state() { docker -H "$D_HOST" service ps --no-trunc --format '{{.CurrentState}}|{{.Error}}' "$1"; }

sp_wait_running() {
	local end=$((SECONDS + 90))
	until [[ -n $(docker -H "$D_HOST" ps -q --filter "label=com.docker.swarm.service.name=$1" --filter status=running) ]]; do
		((SECONDS < end)) || fail "$1 does not run: $(sp_state "$1")"
		sleep 0.1
	done
}

test_service_pull_registry_auth() {
	sp_private_registry
	# Without --with-registry-auth the node pulls anonymously: refused.
	run_ok dk service create -d --name noauth --restart-delay 1s "$REG/private:1" sleep 300
	wait_for 90 "the task to be rejected" bash -c "docker -H '$D_HOST' service ps --no-trunc --format '{{.CurrentState}}|{{.Error}}' noauth | grep -q '^Rejected'" ||
		fail "noauth was not rejected: $(sp_state noauth)"
	assert_contains "$(sp_state noauth)" "|\"No such image: $REG/private:1\"" "the rejection"
	# berth's --with-registry-auth sends the stored login (berth login
	# shares docker's config.json).
	run_ok berth -H "$D_HOST" service update -d --with-registry-auth noauth
	sp_wait_running noauth
	run_ok dk service rm noauth
	wait_for 30 "noauth's container to go" bash -c "[[ -z \$(docker -H '$D_HOST' ps -aq --filter label=com.docker.swarm.service.name=noauth) ]]" ||
		fail "noauth's container stays"
	run_ok dk rmi "$REG/private:1"

	# Credentials given at create (no digest pinned: the tag is pulled),
	# kept by an update that sends none (registryAuthFrom=spec).
	run_ok dk service create -d --name keep --with-registry-auth --no-resolve-image \
		--replicas 0 "$REG/private:1" sleep 300
	run_ok dk service update -d --replicas 1 keep
	sp_wait_running keep
	run_ok dk image inspect -f '{{.Id}}' "$REG/private:1"
	assert_eq "$(image_id busybox:latest)" "$OUT" "the pulled image"

	# The credentials are never shown.
	run_ok dk service inspect keep
	assert_not_contains "$OUT" "RegistryAuth" "service inspect"
	assert_not_contains "$OUT" "PullOptions" "service inspect"
	local task
	task=$(docker -H "$D_HOST" service ps -q --filter desired-state=running keep)
	run_ok dk inspect "$task"
	assert_not_contains "$OUT" "RegistryAuth" "task inspect"
	run_ok curl -s --unix-socket "$D_SOCK" "http://localhost/v1.41/tasks"
	assert_not_contains "$OUT" "RegistryAuth" "task list"
	# At rest they are inside the sealed Raft entries and snapshots, as a
	# secret's data: neither the field nor the password is on the disk.
	local s
	for s in RegistryAuth s3cret; do
		assert_empty "$(grep -rlaF -- "$s" "$D_DATA" 2>/dev/null)" "files holding '$s'"
	done

	# An unknown registryAuthFrom is refused.
	run_ok curl -s --unix-socket "$D_SOCK" -o "$TEST_TMP/body" -w '%{http_code}' \
		-H 'Content-Type: application/json' -X POST \
		-d "$(docker -H "$D_HOST" service inspect -f '{{json .Spec}}' keep)" \
		"http://localhost/v1.41/services/keep/update?version=$(docker -H "$D_HOST" service inspect -f '{{.Version.Index}}' keep)&registryAuthFrom=nowhere"
	assert_eq 400 "$OUT" "status of registryAuthFrom=nowhere"
	assert_contains "$(cat "$TEST_TMP/body")" "unsupported registryAuthFrom value" "message"

	run_ok dk service rm keep
	wait_for 30 "the task container to go" bash -c "[[ -z \$(docker -H '$D_HOST' ps -aq --filter label=com.docker.swarm.service.name=keep) ]]" ||
		fail "keep's container stays"
	run_ok dk rmi "$REG/private:1"

	# With credentials, docker pins the digest; the node pulls by it.
	run_ok dk service create -d --name pinned --with-registry-auth "$REG/private:1" sleep 300
	run_ok dk service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' pinned
	assert_match "$OUT" "^$REG/private:1@sha256:[0-9a-f]{64}$" "the pinned image"
	sp_wait_running pinned
}

# berth service create and update pin the image's digest as docker's CLI
# does (GET /distribution), print docker's warning when the registry cannot
# be asked, and leave the image alone with --no-resolve-image.
test_service_berth_resolves_image() {
	start_registry reg
	reg_put app v1 docker 1
	swarm_one_node
	local digest f want
	digest=$(reg_json "$PUT" digest)
	f='{{.Spec.TaskTemplate.ContainerSpec.Image}} {{json .Spec.TaskTemplate.Placement}}'
	run_ok dk service create -d --name pdocker --replicas 0 "$REG/app:v1" true
	run_ok dk service inspect -f "$f" pdocker
	want=$OUT
	assert_match "$want" "^$REG/app:v1@$digest \{.*\"Platforms\":\[\{\"Architecture\":\"amd64\",\"OS\":\"linux\"\}\]" \
		"docker's pinned image and platforms"
	run_ok berth -H "$D_HOST" service create -d --name pberth --replicas 0 "$REG/app:v1" true
	assert_empty "$ERR" "berth's stderr for a pinned image"
	run_ok dk service inspect -f "$f" pberth
	assert_eq "$want" "$OUT" "berth's pinned image and platforms"
	# An image the registry does not have: docker's warning, the image as given.
	run_ok dk service create -d --name wdocker --replicas 0 "$REG/nothere:1" true
	local warning=$ERR
	assert_contains "$warning" "image $REG/nothere:1 could not be accessed on a registry to record" "docker's warning"
	run_ok berth -H "$D_HOST" service create -d --name wberth --replicas 0 "$REG/nothere:1" true
	assert_eq "$warning" "$ERR" "berth's warning"
	run_ok dk service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' wberth
	assert_eq "$REG/nothere:1" "$OUT" "the image of wberth"
	# --no-resolve-image: as given, no warning.
	run_ok berth -H "$D_HOST" service create -d --no-resolve-image --name nberth --replicas 0 "$REG/app:v1" true
	assert_empty "$ERR" "stderr with --no-resolve-image"
	run_ok dk service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' nberth
	assert_eq "$REG/app:v1" "$OUT" "the image with --no-resolve-image"
	# update: a new --image is pinned; other changes leave the image alone.
	run_ok berth -H "$D_HOST" service update -d --image "$REG/app:v1" wberth
	assert_empty "$ERR" "berth's stderr for a pinned update"
	run_ok dk service inspect -f "$f" wberth
	assert_eq "$want" "$OUT" "wberth after update --image"
	run_ok berth -H "$D_HOST" service update -d --env-add A=1 nberth
	run_ok dk service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' nberth
	assert_eq "$REG/app:v1" "$OUT" "nberth after an update without --image"
	run_ok berth -H "$D_HOST" service update -d --image "$REG/nothere:2" nberth
	assert_contains "$ERR" "image $REG/nothere:2 could not be accessed on a registry to record" "berth's warning on update"
}
