# The docker CLI and berth against berthd: version, info, system info, hosts.

# Checks `docker|berth -H HOST version` output: our engine, API 1.41.
check_version_output() { # tool host
	run_ok "$1" -H "$2" version
	assert_contains "$OUT" "Server: Berth Engine" "$1 version"
	assert_match "$OUT" $'Server: Berth Engine[^\n]*\n( [^\n]*\n)*  API version: +1\\.41' "$1 version (server API version)"
	assert_not_contains "$ERR" "Error" "$1 version stderr"
}

# info_field TEXT NAME: the value of " Name: value" in `docker info` output.
info_field() {
	printf '%s\n' "$1" | sed -n "s/^ *$2: *//p" | head -n 1
}

# Checks the server half of `docker info`/`berth info` output against the host.
check_info_output() { # text what data_root
	local text=$1 what=$2
	assert_contains "$text" "Server:" "$what"
	assert_eq "$(uname -r)" "$(info_field "$text" "Kernel Version")" "$what Kernel Version"
	assert_eq "$(nproc)" "$(info_field "$text" "CPUs")" "$what CPUs"
	assert_eq "$3" "$(info_field "$text" "Docker Root Dir")" "$what Docker Root Dir"
	assert_ne "" "$(info_field "$text" "Storage Driver")" "$what Storage Driver"
	assert_eq "inactive" "$(info_field "$text" "Swarm")" "$what Swarm"
	assert_match "$text" $'\n Debug Mode: false' "$what server Debug Mode"
	assert_eq "linux" "$(info_field "$text" "OSType")" "$what OSType"
	assert_eq "$(uname -m)" "$(info_field "$text" "Architecture")" "$what Architecture"
	assert_eq "$(hostname)" "$(info_field "$text" "Name")" "$what Name"
	local cg=1 os
	[[ "$(stat -fc %T /sys/fs/cgroup)" == cgroup2fs ]] && cg=2
	assert_eq "$cg" "$(info_field "$text" "Cgroup Version")" "$what Cgroup Version"
	os=$(. /etc/os-release && echo "$PRETTY_NAME")
	assert_eq "$os" "$(info_field "$text" "Operating System")" "$what Operating System"
}

check_docker_cli_against() { # host
	local host=$1
	check_version_output docker "$host"

	run_ok docker -H "$host" info
	check_info_output "$OUT" "docker info" "$D_DATA"
	assert_not_contains "$ERR" "ERROR" "docker info stderr"

	run_ok docker -H "$host" system info
	check_info_output "$OUT" "docker system info" "$D_DATA"

	run_ok docker -H "$host" info --format '{{json .}}'
	local j=$OUT
	"$PYTHON" -c 'import json,sys; json.loads(sys.argv[1])' "$j" ||
		fail "docker info --format '{{json .}}' is not JSON: $(show "$j")"
	assert_eq "$D_DATA" "$(json_get "$j" 'j["DockerRootDir"]')" "info JSON DockerRootDir"
	assert_eq "$(nproc)" "$(json_get "$j" 'j["NCPU"]')" "info JSON NCPU"
	assert_eq "$(uname -r)" "$(json_get "$j" 'j["KernelVersion"]')" "info JSON KernelVersion"
	assert_eq "inactive" "$(json_get "$j" 'j["Swarm"]["LocalNodeState"]')" "info JSON Swarm.LocalNodeState"
	assert_eq "false" "$(json_get "$j" 'j["Debug"]')" "info JSON Debug"
	local mem
	mem=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo); mem=$((mem * 1024))
	assert_eq "$mem" "$(json_get "$j" 'j["MemTotal"]')" "info JSON MemTotal"

	run_ok docker -H "$host" version --format '{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}'
	assert_eq "1.41 1.24 linux" "$OUT" "docker version --format server fields"
}

test_docker_cli_unix_socket() {
	start_daemon
	check_docker_cli_against "$D_HOST"
	# The socket is not world-accessible (dockerd uses 0660).
	assert_eq "660" "$(stat -c %a "$D_SOCK")" "socket mode"
}

test_docker_cli_tcp_loopback() {
	local port
	port=$(free_port)
	start_daemon -H "tcp://127.0.0.1:$port"
	check_docker_cli_against "tcp://127.0.0.1:$port"
	# DOCKER_HOST works as well as -H.
	run_ok env DOCKER_HOST="tcp://127.0.0.1:$port" DOCKER_CONFIG="$TEST_TMP/docker-config" "$DOCKER" version
	assert_contains "$OUT" "Server: Berth Engine" "docker version via DOCKER_HOST"
}

test_berth_cli_basics() {
	start_daemon
	check_version_output berth "$D_HOST"
	run_ok berth -H "$D_HOST" version
	assert_match "$OUT" $'^Client:' "berth version starts with the client section"

	run_ok berth -H "$D_HOST" info
	check_info_output "$OUT" "berth info" "$D_DATA"
	run_ok berth -H "$D_HOST" system info
	check_info_output "$OUT" "berth system info" "$D_DATA"
	run_ok berth -H "$D_HOST" info --format '{{json .}}'
	"$PYTHON" -c 'import json,sys; json.loads(sys.argv[1])' "$OUT" ||
		fail "berth info --format '{{json .}}' is not JSON: $(show "$OUT")"

	# berth's info must match docker's for the server section.
	run_ok docker -H "$D_HOST" info
	local dinfo=$OUT
	run_ok berth -H "$D_HOST" info
	local a b
	a=$(printf '%s\n' "$dinfo" | sed -n '/^Server:/,$p')
	b=$(printf '%s\n' "$OUT" | sed -n '/^Server:/,$p')
	[[ "$a" == "$b" ]] || fail "berth info's server section differs from docker's:
$(diff <(echo "$a") <(echo "$b") | head -n 30)"

	# DOCKER_HOST instead of -H.
	run_ok env DOCKER_HOST="$D_HOST" ASAN_OPTIONS="$DAEMON_ASAN_OPTIONS:log_path=$TEST_TMP/san-client" "$BERTH" version
	assert_contains "$OUT" "Server: Berth Engine" "berth version via DOCKER_HOST"
	# -H wins over DOCKER_HOST.
	run_ok env DOCKER_HOST="unix://$TEST_TMP/nonexistent.sock" ASAN_OPTIONS="$DAEMON_ASAN_OPTIONS:log_path=$TEST_TMP/san-client" \
		"$BERTH" -H "$D_HOST" version
	assert_contains "$OUT" "Server: Berth Engine" "berth -H overrides DOCKER_HOST"
}

test_berth_cli_daemon_unreachable() {
	new_daemon_dir d1
	run docker -H "unix://$TEST_TMP/nothing.sock" version
	local drc=$RC
	run berth -H "unix://$TEST_TMP/nothing.sock" version
	assert_eq "$drc" "$RC" "berth version exit code with no daemon (docker's)"
	assert_contains "$OUT" "Client:" "berth version prints the client section with no daemon"
	assert_match "$ERR" "Cannot connect to the (Docker|Berth) daemon at unix://$TEST_TMP/nothing.sock" "berth version stderr with no daemon"
	run docker -H "unix://$TEST_TMP/nothing.sock" info
	drc=$RC
	run berth -H "unix://$TEST_TMP/nothing.sock" info
	assert_eq "$drc" "$RC" "berth info exit code with no daemon (docker's)"
}

test_berth_cli_usage_errors() {
	# No daemon needed: usage errors are detected before connecting.
	run docker foo
	local drc=$RC derr=$ERR
	run berth foo
	assert_eq "$drc" "$RC" "exit code of 'berth foo' (docker: $drc)"
	assert_eq "${derr//docker/berth}" "$ERR" "stderr of 'berth foo' (docker's wording)"
	assert_empty "$OUT" "stdout of 'berth foo'"

	run docker version --bogus
	drc=$RC derr=$ERR
	run berth version --bogus
	assert_eq "$drc" "$RC" "exit code of 'berth version --bogus' (docker: $drc)"
	assert_eq "${derr//docker/berth}" "$ERR" "stderr of 'berth version --bogus' (docker's wording)"

	run docker --bogus-global version
	drc=$RC derr=$ERR
	run berth --bogus-global version
	assert_eq "$drc" "$RC" "exit code of 'berth --bogus-global version' (docker: $drc)"
	assert_eq "${derr//docker/berth}" "$ERR" "stderr of 'berth --bogus-global version'"

	run docker system foo
	drc=$RC
	run berth system foo
	assert_eq "$drc" "$RC" "exit code of 'berth system foo' (docker: $drc)"

	run docker events --since
	drc=$RC derr=$ERR
	run berth events --since
	assert_eq "$drc" "$RC" "exit code of 'berth events --since' (flag needs an argument; docker: $drc)"
	assert_eq "${derr//docker/berth}" "$ERR" "stderr of 'berth events --since'"

	run docker version extra-arg
	drc=$RC derr=$ERR
	run berth version extra-arg
	assert_eq "$drc" "$RC" "exit code of 'berth version extra-arg' (docker: $drc)"
	assert_eq "${derr//docker/berth}" "$ERR" "stderr of 'berth version extra-arg'"

	run berth version --help
	assert_eq 0 "$RC" "exit code of 'berth version --help'"
	assert_contains "$OUT" "Usage:  berth version [OPTIONS]" "berth version --help"

	run berth -H "tcp://127.0.0.1:notaport" version
	assert_ne 0 "$RC" "berth with a malformed -H"
}

test_berth_cli_help_command() {
	# `docker help` and `docker help CMD` print usage and exit 0.
	run docker help
	assert_eq 0 "$RC" "docker help exit code"
	run berth help
	assert_eq 0 "$RC" "exit code of 'berth help' (docker: 0; stderr: $ERR)"
	assert_contains "$OUT" "Usage:  berth [OPTIONS] COMMAND" "berth help"
	run berth help version
	assert_eq 0 "$RC" "exit code of 'berth help version' (stderr: $ERR)"
	assert_contains "$OUT" "Usage:  berth version [OPTIONS]" "berth help version"
	run berth --help
	assert_eq 0 "$RC" "berth --help exit code"
	assert_contains "$OUT" "Usage:  berth [OPTIONS] COMMAND" "berth --help"
	run berth
	assert_eq 0 "$RC" "berth (no arguments) exit code"
	assert_contains "$OUT" "Usage:  berth [OPTIONS] COMMAND" "berth (no arguments)"
	run berth --version
	assert_match "$OUT" "^Berth version [0-9]" "berth --version"
}

test_berth_cli_formats_like_docker() {
	start_daemon
	local before
	before=$(date +%s)
	reload_daemon
	local after
	after=$(date +%s.%N)
	local f
	for f in '{{.Server.APIVersion}}' '{{.Server.Version}} {{.Server.Os}}/{{.Server.Arch}}' \
		'{{.Client.APIVersion}}' '{{json .Server.Platform}}'; do
		run_ok docker -H "$D_HOST" version --format "$f"
		local want=$OUT
		run_ok berth -H "$D_HOST" version --format "$f"
		assert_eq "$want" "$OUT" "berth version --format '$f'"
	done
	for f in '{{.Debug}} {{.NCPU}} {{.OperatingSystem}}' '{{.Swarm.LocalNodeState}}' '{{json .Labels}}' \
		'{{.DockerRootDir}}' '{{json .Swarm}}' '{{.Name}}' '{{upper .OSType}}'; do
		run_ok docker -H "$D_HOST" info --format "$f"
		local want=$OUT
		run_ok berth -H "$D_HOST" info --format "$f"
		assert_eq "$want" "$OUT" "berth info --format '$f'"
	done
	for f in '{{.Type}} {{.Action}} {{.Actor.ID}}' \
		'{{json .Actor}}' '{{.TimeNano}} {{.Time}}' '{{.Actor.Attributes.name}}' '{{.Scope}}' 'json'; do
		run_ok docker -H "$D_HOST" events --since "$before" --until "$after" --format "$f"
		local want=$OUT
		run_ok berth -H "$D_HOST" events --since "$before" --until "$after" --format "$f"
		assert_eq "$want" "$OUT" "berth events --format '$f'"
	done
	# Template errors: docker's exit code.
	run docker -H "$D_HOST" version --format '{{.Server.APIVersion'
	local drc=$RC
	run berth -H "$D_HOST" version --format '{{.Server.APIVersion'
	assert_eq "$drc" "$RC" "exit code of a template parse error"
	run docker -H "$D_HOST" info --format '{{.NoSuchField}}'
	drc=$RC
	run berth -H "$D_HOST" info --format '{{.NoSuchField}}'
	assert_eq "$drc" "$RC" "exit code of a template execution error"
}

# docker's events.Message has the legacy Status/ID/From fields (empty for
# daemon events); templates that name them print empty strings.
test_berth_events_format_legacy_fields() {
	start_daemon
	local before
	before=$(date +%s)
	reload_daemon
	local after f
	after=$(date +%s.%N)
	for f in '{{.Status}}|{{.ID}}|{{.From}}|{{.Action}}' '{{.ID}}'; do
		run_ok docker -H "$D_HOST" events --since "$before" --until "$after" --format "$f"
		local want=$OUT
		run_ok berth -H "$D_HOST" events --since "$before" --until "$after" --format "$f"
		assert_eq "$want" "$OUT" "berth events --format '$f'"
	done
}
