# Bad input (issue 15): hostile and mistyped requests are refused with
# dockerd's 400s before anything is stored, never crash or hang berthd, and
# what a careless client sends cannot reach the host. Uses ct_daemon and the
# helpers of t_containers.sh; badinput.py drives raw requests.

bi_py() { "$PYTHON" "$INTEG_DIR/badinput.py" "$@"; }

# bi_curl METHOD PATH [BODY]: "STATUS BODY" of a request on the daemon's socket.
bi_curl() {
	local body
	body=$(curl -s --max-time 30 --unix-socket "$D_SOCK" -X "$1" -H 'Content-Type: application/json' \
		${3+--data-binary "$3"} -w '\n%{http_code}' "http://localhost/v1.41$2")
	printf '%s %s\n' "${body##*$'\n'}" "${body%$'\n'*}"
}

bi_alive() {
	daemon_alive || fail "berthd died"
	ping_unix || fail "berthd stopped answering"
}

test_badinput_create_rejects_each_finding() {
	ct_daemon
	run bi_py rejects "$D_SOCK" "$INTEG_DIR/badinput_rejects.tsv"
	[[ $RC -eq 0 && "$OUT" == *ok ]] || fail "$(show "$OUT$ERR")"
	run_ok dk ps -a --format '{{.Names}}'
	assert_empty "$OUT" "containers after the refused creates"
	bi_alive
}

# bi_property PART: one part of the property run (badinput.py property).
bi_property() {
	ct_daemon
	local seed=${BADINPUT_SEED:-$RANDOM}
	log "seed $seed (BADINPUT_SEED=$seed reproduces)"
	run bi_py property "$D_SOCK" "$1" "$seed" 100 "$D_DATA"
	[[ $RC -eq 0 && "$OUT" == *ok ]] || fail "seed $seed: $(show "$OUT$ERR")"
	assert_empty "$(ls "$D_DATA/containers")" "container directories after the property run"
	run_ok dk volume ls -q
	assert_empty "$OUT" "volumes after the property run"
	bi_alive
}

# Randomly and exhaustively mistyped create and update bodies: always 400,
# nothing stored, the daemon alive. Four parts, each within a test's time.
test_badinput_property_mistyped_config() { bi_property config; }
test_badinput_property_mistyped_host_config_a() { bi_property host1; }
test_badinput_property_mistyped_host_config_b() { bi_property host2; }
test_badinput_property_mistyped_random_and_update() { bi_property random; }

# A string Cmd is a one-element list, as in dockerd; the list shows it.
test_badinput_string_cmd_normalized() {
	ct_daemon
	run bi_curl POST /containers/create?name=ss '{"Image":"bb","Cmd":"echo hi","HostConfig":{"NetworkMode":"none"}}'
	assert_match "$OUT" '^201 ' "create with a string Cmd"
	run_ok dk inspect --format '{{json .Config.Cmd}}' ss
	assert_eq '["echo hi"]' "$OUT" "Cmd stored as a list"
	run_ok dk ps -a --format '{{.Command}}'
	assert_eq '"echo hi"' "$OUT" "command in the list"
}

# A config on disk that does not validate (an older berthd stored it) loads
# as a dead container that lists and removes, also after a restart.
test_badinput_damaged_config_on_disk() {
	ct_daemon
	run_ok dk create --name dmg --network none bb echo hi
	local id=$OUT cfg="$D_DATA/containers/$OUT/config.v2.json"
	stop_daemon
	"$PYTHON" - "$cfg" <<-'EOF' || fail "editing $cfg"
		import json, sys
		j = json.load(open(sys.argv[1]))
		j["Config"]["Cmd"] = ["echo", None, 1, {}]
		j["Config"]["Entrypoint"] = [1]
		j["MountPoints"] = [{"Destination": 5}]
		json.dump(j, open(sys.argv[1], "w"))
	EOF
	ct_restart_daemon
	run_ok dk ps -a --format '{{.Names}} {{.State}}'
	assert_eq "dmg dead" "$OUT" "the damaged container in the list"
	run_ok curl -sf --unix-socket "$D_SOCK" "http://localhost/v1.41/containers/json?all=1"
	run_ok dk inspect --format '{{.State.Error}}' dmg
	assert_contains "$OUT" "configuration is damaged" "State.Error"
	run_fails dk start dmg
	bi_alive
	run_ok dk rm dmg
	assert_file_absent "$D_DATA/containers/$id" "the damaged container's directory"
	bi_alive
}

# A volume whose mount fails: the error reaches the client at once, --rm
# removes the container, and the start answers 500 with the mount error.
test_badinput_run_with_failing_volume_mount() {
	ct_daemon
	run_ok dk volume create -o type=none -o o=bind -o device=relative/path badvol
	run timeout 60 "$DOCKER" -H "$D_HOST" run --rm --network none -v badvol:/x bb true
	[[ $RC -ne 124 ]] || fail "docker run hung on a failing volume mount"
	[[ $RC -ne 0 ]] || fail "docker run succeeded with a failing volume mount"
	assert_contains "$ERR" "error while mounting volume" "error of docker run"
	run_ok dk ps -aq
	assert_empty "$OUT" "containers after run --rm with a failing mount"
	run_ok dk create --name kept --network none -v badvol:/x bb true
	run bi_curl POST /containers/kept/start
	assert_match "$OUT" '^500 .*error while mounting volume' "status of the start"
	run_ok dk inspect --format '{{.State.Status}} {{.State.ExitCode}}' kept
	assert_eq "created 128" "$OUT" "state after the failed start"
	run_ok dk rm kept
	run_ok dk volume rm badvol
	bi_alive
}

# -v DIR:/ is refused before runc can write device nodes into DIR.
test_badinput_bind_onto_root_refused() {
	ct_daemon
	local dir=$TEST_TMP/hostdir
	mkdir -p "$dir"
	run_fails dk run --rm --network none -v "$dir:/" bb true
	assert_contains "$ERR" "destination can't be '/'" "docker run -v DIR:/"
	run_fails dk run --rm --network none -v "$dir:/x/../../.." bb true
	assert_contains "$ERR" "destination can't be '/'" "docker run -v DIR:/x/../../.."
	assert_empty "$(ls -A "$dir")" "files written into the host directory"
	# A destination that cleans to a real path is stored cleaned.
	run_ok dk create --name cl --network none -v "$dir:/a/./b/../c" bb true
	run_ok dk inspect --format '{{range .Mounts}}{{.Destination}}{{end}}' cl
	assert_eq /a/c "$OUT" "cleaned destination"
	run_ok dk rm cl
}

# Env without '=' unsets the variable (dockerd), and is not passed to runc.
test_badinput_env_without_equals() {
	ct_daemon
	run_ok dk run --rm --network none -e NOEQ_UNSET -e KEEP=1 bb sh -c 'env | sort'
	assert_contains "$OUT" "KEEP=1" "a variable with a value"
	assert_not_contains "$OUT" "NOEQ_UNSET" "a variable without '='"
	run bi_curl POST /containers/create '{"Image":"bb","Cmd":["env"],"Env":["HOSTNAME"],"HostConfig":{"NetworkMode":"none"}}'
	assert_match "$OUT" '^201 ' "create with Env HOSTNAME"
}

# kill?signal=%00 used to decode to "" and send SIGKILL.
test_badinput_nul_in_query_refused() {
	ct_daemon
	run_ok dk run -d --name kk --network none bb sleep 100
	run bi_curl POST '/containers/kk/kill?signal=%00'
	assert_match "$OUT" '^400 ' "kill with signal=%00"
	run_ok dk inspect --format '{{.State.Running}}' kk
	assert_eq true "$OUT" "still running after the refused kill"
	run bi_curl POST '/containers/kk/kill?signal=SIGFOO'
	assert_match "$OUT" '^400 .*Invalid signal: SIGFOO' "kill with an unknown signal"
	run_ok dk rm -f kk
}

# Updates: mistyped and out-of-range values are refused, nothing changes.
test_badinput_update_refused() {
	ct_daemon
	run_ok dk create --name uu --network none bb true
	local k body
	for body in '{"Memory":1.5}' '{"Memory":"1g"}' '{"CpuShares":-5}' '{"NanoCpus":-1}' \
		'{"RestartPolicy":{"Name":1}}' '{"BlkioWeight":5}' '{"Ulimits":[{"Name":"nofile","Soft":-1,"Hard":1}]}' \
		'[]' '"x"'; do
		run bi_curl POST /containers/uu/update "$body"
		assert_match "$OUT" '^400 ' "update $body"
	done
	run bi_curl POST /containers/uu/update '{"Memory":1.5}'
	assert_contains "$OUT" "cannot unmarshal number 1.5 into Go struct field UpdateConfig.Memory of type int64" \
		"message of a fractional Memory"
	run_ok dk inspect --format '{{.HostConfig.Memory}} {{.HostConfig.CpuShares}}' uu
	assert_eq "0 0" "$OUT" "HostConfig after the refused updates"
	run_ok dk rm uu
}

# An argv over the kernel's limit: runc's reason and exit code 126.
test_badinput_exec_argv_too_long() {
	ct_daemon
	run_ok dk run -d --name ex --network none bb sleep 100
	# Each argument is within the kernel's 128 KiB per string; together
	# (3 MB) they are over ARG_MAX.
	run bi_py exec_too_long "$D_SOCK" ex 30
	[[ $RC -eq 0 && "$OUT" == *ok ]] || fail "$(show "$OUT$ERR")"
	run_ok dk rm -f ex
}

# Names that could never be addressed, or that are too long, are refused
# with a reason that says so.
test_badinput_names_refused() {
	start_daemon
	local n
	for n in a/b .. ../../x $'a\nb'; do
		run_fails docker -H "$D_HOST" network create "$n"
		assert_contains "$ERR" "invalid network name" "network create '$n'"
	done
	run_fails docker -H "$D_HOST" network create "$(printf 'n%.0s' $(seq 300))"
	assert_contains "$ERR" "network name is too long" "a 300-character network name"
	run_fails docker -H "$D_HOST" volume create "$(printf 'v%.0s' $(seq 300))"
	assert_contains "$ERR" "volume name is too long" "a 300-character volume name"
	run_ok docker -H "$D_HOST" network ls --format '{{.Name}}'
	assert_not_contains "$OUT" "a/b" "networks after the refused creates"
}

# A \u0000 in a JSON body: the reason in the user's terms.
test_badinput_json_nul_explained() {
	start_daemon
	run bi_curl POST /containers/create '{"Image":"bb\u0000x"}'
	assert_match "$OUT" '^400 ' "status of a body with \\u0000"
	assert_contains "$OUT" 'a string contains a NUL character' "message of a body with \\u0000"
	assert_not_contains "$OUT" "JSON_ALLOW_NUL" "the JSON library's flag"
	run bi_curl POST /networks/create '{"Name":"x\u0000y"}'
	assert_contains "$OUT" 'a string contains a NUL character' "network create with \\u0000"
	run bi_curl POST /containers/create '[1,2]'
	assert_contains "$OUT" '400 {"message":"invalid JSON: the body must be a JSON object, not an array"}' "an array body"
}

# The HTTP findings: versions, obs-fold, transfer codings, cut requests,
# huge URLs and headers all get an answer with the right status.
test_badinput_http_requests() {
	start_daemon
	run bi_py http "$D_SOCK"
	[[ $RC -eq 0 && "$OUT" == *ok ]] || fail "$(show "$OUT$ERR")"
	bi_alive
}

# A tar entry with a 300-byte file name: the import used to read freed
# memory (ASan) building its error; now both paths say the name is too long.
test_badinput_tar_long_file_name() {
	start_daemon
	local n
	n=$(printf 'f%.0s' $(seq 300))
	"$PYTHON" - "$TEST_TMP/long.tar" "$n" <<-'EOF' || fail "writing the tar"
		import io, sys, tarfile
		t = tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT)
		ti = tarfile.TarInfo(sys.argv[2])
		ti.size = 3
		t.addfile(ti, io.BytesIO(b"hi\n"))
		t.close()
	EOF
	run curl -s --max-time 60 -w '\n%{http_code}' --unix-socket "$D_SOCK" -X POST \
		--data-binary "@$TEST_TMP/long.tar" "http://localhost/v1.41/images/create?fromSrc=-&repo=lt"
	assert_contains "$OUT" "a file name is too long" "import of a tar with a 300-byte name"
	bi_alive
	run curl -s --max-time 60 -w '\n%{http_code}' --unix-socket "$D_SOCK" -X POST \
		--data-binary "@$TEST_TMP/long.tar" "http://localhost/v1.41/images/load"
	assert_contains "$OUT" "too long" "load of a tar with a 300-byte name"
	bi_alive
	run_ok docker -H "$D_HOST" images -q
	assert_empty "$OUT" "images after the refused import"
}
