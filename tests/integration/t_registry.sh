# Registry tests: pull, push, login and search against Debian's
# docker-registry (CNCF distribution 2.8), started per test on a free
# loopback port with its own config and storage, stopped by pid.

REGTOOL="$INTEG_DIR/regtool.py"
REGISTRY_BIN=${REGISTRY_BIN:-/usr/bin/docker-registry}

regtool() { "$PYTHON" "$REGTOOL" "$@"; }

# start_registry NAME [YAML...]: a registry in $TEST_TMP/NAME on a free port,
# with extra top-level YAML sections (auth:, http.tls via REG_TLS_*); sets
# REG (host:port), REG_DIR, REG_STORAGE, REG_PID.
start_registry() {
	local name=$1
	shift
	[[ -x $REGISTRY_BIN ]] || skip "docker-registry is not installed (scripts/install-deps.sh)"
	REG_DIR=$TEST_TMP/$name
	REG_STORAGE=$REG_DIR/storage
	mkdir -p "$REG_STORAGE"
	local port
	port=$(free_port)
	REG=127.0.0.1:$port
	{
		printf 'version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$REG_STORAGE"
		printf 'http:\n  addr: %s\n  secret: berth-test\n' "$REG"
		if [[ -n ${REG_TLS_CERT:-} ]]; then
			printf '  tls:\n    certificate: %s\n    key: %s\n' "$REG_TLS_CERT" "$REG_TLS_KEY"
		fi
		printf '%s\n' "$@"
	} >"$REG_DIR/config.yml"
	"$REGISTRY_BIN" serve "$REG_DIR/config.yml" >"$REG_DIR/registry.log" 2>&1 </dev/null &
	REG_PID=$!
	add_cleanup "stop_registry $REG_PID"
	local scheme=http
	[[ -n ${REG_TLS_CERT:-} ]] && scheme=https
	wait_for 20 "the registry on $REG" reg_answers "$scheme"
}

reg_answers() {
	kill -0 "$REG_PID" || fail "the registry died: $(show "$(cat "$REG_DIR/registry.log")")"
	local code
	code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "$1://$REG/v2/")
	[[ $code == 200 || $code == 401 ]]
}

# stop_registry [PID]: stops a registry by pid (default: the last started).
stop_registry() {
	local pid=${1:-$REG_PID}
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# reg_put REPO TAG KIND [LAYERS]: uploads a generated image; sets PUT (JSON).
reg_put() {
	PUT=$(regtool put "$REG" "$@") || fail "regtool put $* failed"
}

json_get() { "$PYTHON" -c 'import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v if not isinstance(v, (list, dict)) else json.dumps(v))' "$@"; }

test_registry_pull_docker_cli() {
	start_registry reg
	reg_put app v1 docker 3
	start_daemon
	run_ok dk pull "$REG/app:v1"
	assert_contains "$OUT" "v1: Pulling from app" "pull output"
	assert_contains "$OUT" "Pull complete" "pull output"
	assert_contains "$OUT" "Digest: $(json_get "$PUT" digest)" "pull output"
	assert_contains "$OUT" "Status: Downloaded newer image for $REG/app:v1" "pull output"
	run_ok dk image inspect -f '{{.Id}} {{json .RootFS.Layers}} {{json .RepoDigests}}' "$REG/app:v1"
	assert_eq "$(json_get "$PUT" config) $(json_get "$PUT" diff_ids | tr -d ' ') [\"$REG/app@$(json_get "$PUT" digest)\"]" \
		"$OUT" "image ID, layers and repo digest"
	# The layers hold what was uploaded: saved, they hash to the diff IDs.
	run_ok dk save -o "$TEST_TMP/saved.tar" "$REG/app:v1"
	run_ok "$PYTHON" "$INTEG_DIR/imgtool.py" layer-digests "$TEST_TMP/saved.tar"
	assert_eq "$(json_get "$PUT" diff_ids | tr -d '[]" ' | tr ',' '\n')" "$OUT" "saved layers"
	# Pulled again: nothing new to fetch.
	run_ok dk pull "$REG/app:v1"
	assert_contains "$OUT" "Status: Image is up to date for $REG/app:v1" "second pull"
	assert_not_contains "$OUT" "Pull complete" "second pull"
	# By digest.
	local by_digest=$REG/app@$(json_get "$PUT" digest)
	run_ok dk pull "$by_digest"
	assert_contains "$OUT" "Status: Image is up to date for $by_digest" "pull by digest"
	run_ok dk rmi "$REG/app:v1"
	run_ok dk pull "$by_digest"
	assert_contains "$OUT" "Status: Downloaded newer image for $by_digest" "pull by digest after rmi"
	run_ok dk images --digests --format '{{.Repository}} {{.Digest}}'
	assert_line "$OUT" "$REG/app $(json_get "$PUT" digest)" "images --digests"
	assert_no_leftovers "$D_DATA" overlay2
	run_ok dk events --since 0 --until "$(date +%s)" --filter type=image --format '{{.Action}} {{.Actor.Attributes.name}}'
	assert_line "$OUT" "pull $REG/app:v1" "pull event"
}
