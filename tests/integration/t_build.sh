# docker build with the classic builder (issue 13): the real docker CLI
# (legacy builder), Dockerfile features, the cache, multi-stage builds,
# .dockerignore, and bad input with dockerd's messages.

# bd ARGS: docker build against the current berthd with the legacy builder.
bd() { DOCKER_BUILDKIT=0 docker -H "$D_HOST" build "$@"; }

# no_containers_left: builds leave no intermediate container behind.
no_containers_left() {
	run_ok dk ps -aq
	assert_empty "$OUT" "containers left after the build"
}

test_build_steps_cache_history() {
	ct_daemon
	local ctx=$TEST_TMP/ctx
	mkdir -p "$ctx/dir/sub"
	echo hello >"$ctx/file.txt"
	chmod 0640 "$ctx/file.txt"
	echo inner >"$ctx/dir/sub/x"
	cat >"$ctx/Dockerfile" <<'DF'
# a comment
FROM bb
ENV GREETING=hi \
    OTHER=${GREETING:-none}
ENV THIRD=${GREETING:+set}
WORKDIR /app
COPY file.txt .
COPY dir /data/
RUN echo "$GREETING $OTHER $THIRD" > out.txt && cat file.txt
CMD ["cat", "/app/out.txt"]
DF
	run_ok bd -t built:1 "$ctx"
	assert_line "$OUT" "Step 1/8 : FROM bb" "build output"
	assert_line "$OUT" "Step 2/8 : ENV GREETING=hi     OTHER=\${GREETING:-none}" "build output"
	assert_contains "$OUT" "Step 7/8 : RUN echo" "build output"
	assert_match "$OUT" " ---> Running in [0-9a-f]{12}"$'\n'"hello" "RUN output in the stream"
	assert_match "$OUT" "Successfully built [0-9a-f]{12}" "build output"
	assert_line "$OUT" "Successfully tagged built:1" "build output"
	no_containers_left
	run_ok dk run --rm built:1
	assert_eq "hi none set" "$OUT" "ENV expansion: a pair sees the values before its instruction"
	run_ok dk run --rm built:1 stat -c '%a %u %n' /app/file.txt /data/sub/x
	assert_eq "640 0 /app/file.txt
644 0 /data/sub/x" "$OUT" "modes and owners of copied files"
	# Everything cached the second time, and the same image.
	local id
	id=$(image_id built:1)
	run_ok bd -t built:1 "$ctx"
	assert_eq 7 "$(grep -c -- ' ---> Using cache' <<<"$OUT")" "cached steps"
	assert_eq "$id" "$(image_id built:1)" "image of the cached rebuild"
	# A changed source invalidates its COPY and what follows.
	echo changed >"$ctx/file.txt"
	run_ok bd -q "$ctx"
	assert_match "$OUT" '^sha256:[0-9a-f]{64}$' "build -q prints the ID only"
	assert_ne "$id" "$OUT" "image after a source changed"
	run_ok dk history --no-trunc --format '{{.CreatedBy}}' built:1
	assert_line "$OUT" '/bin/sh -c #(nop)  CMD ["cat" "/app/out.txt"]' "history"
	assert_line "$OUT" '/bin/sh -c echo "$GREETING $OTHER $THIRD" > out.txt && cat file.txt' "history"
	assert_match "$OUT" '/bin/sh -c #\(nop\) COPY file:[0-9a-f]{64} in /app/ ' "history"
	assert_line "$OUT" '/bin/sh -c #(nop)  WORKDIR /app' "history"
	run_ok dk inspect --format '{{.Config.WorkingDir}} {{.Config.Cmd}} {{len .RootFS.Layers}}' built:1
	assert_eq "/app [cat /app/out.txt] 4" "$OUT" "the built image's config"
	# --no-cache builds again.
	run_ok bd --no-cache -t built:2 "$ctx"
	assert_not_contains "$OUT" "Using cache"
	no_containers_left
}

# multi_ctx: sets ctx to a context with a multi-stage Dockerfile.
multi_ctx() {
	ctx=$TEST_TMP/ctx
	mkdir -p "$ctx/docs" "$ctx/pkg/a"
	echo keep >"$ctx/docs/README.md"
	echo drop >"$ctx/docs/other.md"
	echo secret >"$ctx/secret.key"
	echo p >"$ctx/pkg/a/p.txt"
	printf 'docs\n!docs/README.md\n*.key\n' >"$ctx/.dockerignore"
	tar -C "$ctx/pkg" -czf "$ctx/pkg.tgz" .
	cat >"$ctx/Dockerfile" <<'DF'
# escape=`
ARG BASE=bb
FROM ${BASE} AS builder
ARG WHO=nobody
RUN echo "built by $WHO" > /artifact && `
    echo more >> /artifact
COPY docs /docs/
COPY * /all/
ADD pkg.tgz /unpacked/
ONBUILD RUN echo triggered > /onbuild

FROM bb AS other
RUN echo other > /other

FROM bb
COPY --from=builder /artifact /artifact
COPY --from=0 /docs/ /docs/
COPY --from=other --chown=1000:50 /other /owned
SHELL ["/bin/sh", "-ec"]
LABEL a=b "c d"=e
EXPOSE 80 53/udp
VOLUME /data
USER 1000
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --retries=2 CMD true
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /artifact"]
DF
}

test_build_multistage_args_features() {
	ct_daemon
	local ctx
	multi_ctx
	run_ok bd --build-arg WHO=tester --label extra=yes -t multi:1 "$ctx"
	assert_contains "$OUT" "Step 24/24 : LABEL \"extra\"=\"yes\"" "the labels option as the last step"
	run_ok dk run --rm multi:1
	assert_eq "built by tester
more" "$OUT" "ARG, build-arg, escape directive and line continuation"
	run_ok dk run --rm --entrypoint ls multi:1 /docs
	assert_eq "README.md" "$OUT" ".dockerignore with an exception"
	run_ok dk run --rm --entrypoint sh multi:1 -c 'stat -c "%u:%g" /owned; test -e /onbuild || echo no-onbuild'
	assert_eq "1000:50
no-onbuild" "$OUT" "COPY --chown and --from a stage"
	run_ok dk inspect --format '{{json .Config.Labels}} {{json .Config.ExposedPorts}} {{json .Config.Volumes}} {{.Config.User}} {{.Config.StopSignal}} {{.Config.Healthcheck.Test}} {{.Config.Healthcheck.Interval}} {{.Config.Healthcheck.Retries}} {{json .Config.Shell}}' multi:1
	assert_eq '{"a":"b","c d":"e","extra":"yes"} {"53/udp":{},"80/tcp":{}} {"/data":{}} 1000 SIGINT [CMD-SHELL true] 5s 2 ["/bin/sh","-ec"]' "$OUT" "config of the multi-stage image"
}

test_build_target_onbuild_stdin() {
	ct_daemon
	local ctx
	multi_ctx
	# --target stops at a stage; its ONBUILD is recorded; a child runs it.
	run_ok bd --target builder -t stage:1 "$ctx"
	assert_not_contains "$OUT" "FROM bb AS other"
	run_ok dk run --rm stage:1 sh -c 'ls /all; ls /unpacked/a; cat /artifact'
	assert_contains "$OUT" "Dockerfile" "COPY * of the context"
	assert_not_contains "$OUT" "secret.key" "COPY * skips what .dockerignore excludes"
	assert_contains "$OUT" "p.txt" "ADD of a local tar unpacks it"
	assert_contains "$OUT" "built by nobody" "ARG default"
	mkdir -p "$TEST_TMP/child"
	printf 'FROM stage:1\nRUN cat /onbuild\n' >"$TEST_TMP/child/Dockerfile"
	run_ok bd "$TEST_TMP/child"
	assert_contains "$OUT" "# Executing 1 build trigger"
	assert_contains "$OUT" "triggered" "the ONBUILD trigger ran"
	# A Dockerfile on stdin, without context; another name with -f.
	run_stdin_ok <(printf 'FROM bb\nRUN echo from-stdin\n') bd -t stdin:1 -
	assert_contains "$OUT" "from-stdin"
	cp "$ctx/Dockerfile" "$ctx/Other.dockerfile"
	run_ok bd -q -f "$ctx/Other.dockerfile" --target other "$ctx"
	assert_match "$OUT" '^sha256:' "build -f"
	no_containers_left
	run_ok dk builder prune -f
	assert_contains "$OUT" "Total reclaimed space"
}

test_build_bad_input() {
	ct_daemon
	local ctx=$TEST_TMP/ctx
	mkdir -p "$ctx"
	echo x >"$ctx/x"
	printf 'FROM bb\nFOO bar\n' >"$ctx/Dockerfile"
	run_fails bd "$ctx"
	assert_contains "$ERR" "dockerfile parse error line 2: unknown instruction: FOO"
	printf 'FROM bb\nENV\n' >"$ctx/Dockerfile"
	run_fails bd "$ctx"
	assert_contains "$ERR" "dockerfile parse error line 2: ENV requires at least one argument"
	printf 'FROM bb\nCOPY --bogus=1 x /x\n' >"$ctx/Dockerfile"
	run_fails bd "$ctx"
	assert_contains "$ERR" "Unknown flag: bogus"
	printf 'RUN true\n' >"$ctx/Dockerfile"
	run_fails bd "$ctx"
	assert_contains "$ERR" "no build stage in current context"
	printf 'FROM bb\nCOPY missing.txt /\n' >"$ctx/Dockerfile"
	run_fails bd "$ctx"
	assert_contains "$ERR" "COPY failed: file not found in build context or excluded by .dockerignore: stat missing.txt: file does not exist"
	printf 'FROM bb\nCOPY ../outside /\n' >"$ctx/Dockerfile"
	run_fails bd "$ctx"
	assert_contains "$ERR" "COPY failed: forbidden path outside the build context: ../outside"
	printf 'FROM bb\nCOPY x y /dest\n' >"$ctx/Dockerfile"
	run_fails bd "$ctx"
	assert_contains "$ERR" "When using COPY with more than one source file, the destination must be a directory and end with a /"
	printf 'FROM bb\nRUN echo before; exit 3\n' >"$ctx/Dockerfile"
	run_fails bd "$ctx"
	assert_contains "$OUT" "before"
	assert_contains "$ERR" "The command '/bin/sh -c echo before; exit 3' returned a non-zero code: 3"
	no_containers_left
	printf 'FROM nosuchimage\n' >"$ctx/Dockerfile"
	run_fails bd "$ctx"
	assert_contains "$ERR" "nosuchimage"
	run_fails bd --target nosuch "$ctx"
	assert_contains "$ERR" "failed to reach build target nosuch in Dockerfile"
	run_fails bd -f nosuch.dockerfile "$ctx"
	assert_contains "$ERR" "nosuch.dockerfile"
	# A context that climbs out with ../ is refused, and nothing is written.
	"$PYTHON" - "$TEST_TMP/climb.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    df = b"FROM bb\n"
    i = tarfile.TarInfo("Dockerfile"); i.size = len(df); t.addfile(i, io.BytesIO(df))
    i = tarfile.TarInfo("../../../../../../tmp/berth-build-climb"); i.size = 1
    t.addfile(i, io.BytesIO(b"x"))
PY
	local code
	code=$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' --unix-socket "$D_SOCK" -X POST \
		-H 'Content-Type: application/x-tar' --data-binary @"$TEST_TMP/climb.tar" \
		"http://localhost/v1.41/build")
	assert_eq 400 "$code" "status of a climbing context"
	assert_contains "$(cat "$TEST_TMP/body")" "Error processing tar file"
	assert_file_absent /tmp/berth-build-climb
	run_fails bd -t 'Bad:Tag' "$ctx"
	assert_contains "$ERR" "invalid reference format"
	assert_no_leftovers "$D_DATA" overlay2
}

test_build_add_url_rmi_chain() {
	ct_daemon
	mkdir -p "$TEST_TMP/www" "$TEST_TMP/ctx"
	echo downloaded >"$TEST_TMP/www/file.txt"
	serve_dir "$TEST_TMP/www"
	printf 'FROM bb\nADD http://127.0.0.1:%s/file.txt /dl/\nADD http://127.0.0.1:%s/file.txt /named\nRUN cat /dl/file.txt\n' \
		"$HTTP_PORT" "$HTTP_PORT" >"$TEST_TMP/ctx/Dockerfile"
	run_ok bd -t url:1 "$TEST_TMP/ctx"
	assert_contains "$OUT" "downloaded" "the downloaded file in the next step"
	run_ok dk run --rm url:1 stat -c '%a %s %n' /dl/file.txt /named
	assert_eq "600 11 /dl/file.txt
600 11 /named" "$OUT" "ADD of a URL"
	printf 'FROM bb\nADD http://192.0.2.1/x /x\n' >"$TEST_TMP/ctx/Dockerfile"
	run_fails bd "$TEST_TMP/ctx"
	printf 'FROM bb\nCOPY http://127.0.0.1:%s/file.txt /x\n' "$HTTP_PORT" >"$TEST_TMP/ctx/Dockerfile"
	run_fails bd "$TEST_TMP/ctx"
	assert_contains "$ERR" "source can't be a URL for COPY"
	# Removing the built image removes its untagged parents, down to bb.
	run_ok dk rmi url:1
	run_ok dk images -aq
	assert_eq "$(image_id bb | cut -c8-19)" "$OUT" "images left after rmi of a build"
	no_containers_left
}

test_build_berth_cli() {
	ct_daemon
	local ctx=$TEST_TMP/ctx
	mkdir -p "$ctx/sub"
	echo data >"$ctx/sub/f"
	printf 'FROM bb\nARG X=0\nCOPY sub /sub/\nRUN echo "x=$X" > /x\nCMD ["cat", "/x"]\n' >"$ctx/Dockerfile"
	run_ok berth -H "$D_HOST" build -t viaberth:1 --build-arg X=7 --label k=v "$ctx"
	assert_contains "$OUT" "Step 1/6 : FROM bb"
	assert_line "$OUT" "Successfully tagged viaberth:1"
	run_ok berth -H "$D_HOST" build -q --build-arg X=7 --label k=v "$ctx"
	assert_eq "$(image_id viaberth:1)" "$OUT" "berth build -q of a cached build"
	run_fails berth -H "$D_HOST" build "$TEST_TMP/nosuchdir"
	run_ok dk run --rm viaberth:1
	assert_eq "x=7" "$OUT"
}

test_build_berth_cli_commit_cp() {
	ct_daemon
	local ctx=$TEST_TMP/ctx
	mkdir -p "$ctx/sub"
	echo data >"$ctx/sub/f"
	run_ok dk run --name c1 bb sh -c 'mkdir /sub; echo data > /sub/f; echo x=7 > /x'
	run_ok berth -H "$D_HOST" commit -c 'CMD ["cat","/sub/f"]' -m note c1 viaberth:2
	assert_match "$OUT" '^sha256:[0-9a-f]{64}$' "berth commit output"
	run_ok dk run --rm viaberth:2
	assert_eq data "$OUT"
	berth -H "$D_HOST" export c1 | tar -t >"$TEST_TMP/list" || fail "berth export"
	assert_contains "$(cat "$TEST_TMP/list")" "sub/f"
	run_ok berth -H "$D_HOST" export -o "$TEST_TMP/c1.tar" c1
	assert_contains "$(tar -tf "$TEST_TMP/c1.tar")" "sub/f" "berth export -o"
	[[ -z $(ls "$TEST_TMP" | grep 'c1.tar.berth-') ]] || fail "a temporary file was left beside c1.tar"
	run_fails berth -H "$D_HOST" export -o "$TEST_TMP/c2.tar" nosuch
	[[ ! -e $TEST_TMP/c2.tar && -z $(ls "$TEST_TMP" | grep 'c2.tar.berth-') ]] ||
		fail "a failed export left a file"
	run_ok berth -H "$D_HOST" cp "$ctx/sub" c1:/copied
	run_ok berth -H "$D_HOST" cp c1:/copied/f "$TEST_TMP/back"
	assert_eq data "$(cat "$TEST_TMP/back")" "berth cp both ways"
	run_ok berth -H "$D_HOST" cp c1:/sub "$TEST_TMP/tree"
	assert_eq data "$(cat "$TEST_TMP/tree/f")" "berth cp of a directory"
	berth -H "$D_HOST" cp c1:/x - | tar -xO >"$TEST_TMP/x" || fail "berth cp to stdout"
	assert_eq "x=7" "$(cat "$TEST_TMP/x")"
	run_fails berth -H "$D_HOST" cp c1:/nosuch "$TEST_TMP/n"
	assert_contains "$ERR" "Could not find the file /nosuch in container c1"
	run_ok dk rm c1
}

# docker_py: sets py to a python with docker-py (make deps installs
# Debian's python3-docker).
docker_py() {
	for py in "$PYTHON" python3; do
		"$py" -c 'import docker' 2>/dev/null && return 0
	done
	fail "docker-py is not installed (make deps installs python3-docker)"
}

test_build_docker_py() {
	local py
	docker_py
	ct_daemon
	mkdir -p "$TEST_TMP/ctx"
	printf 'FROM bb\nARG V=0\nRUN echo "v=$V" > /v\nCMD ["cat", "/v"]\n' >"$TEST_TMP/ctx/Dockerfile"
	cat >"$TEST_TMP/t.py" <<'PY'
import sys, docker
c = docker.DockerClient(base_url=sys.argv[1], version="1.41")
img, logs = c.images.build(path=sys.argv[2], tag="py:1", buildargs={"V": "3"}, rm=True)
assert any("Step 2/4" in l.get("stream", "") for l in logs), "step lines in the logs"
print(c.containers.run("py:1", remove=True).decode().strip())
try:
    c.images.build(path=sys.argv[2], dockerfile="nosuch")
except docker.errors.APIError as e:
    print("error:", e.explanation)
PY
	run_ok "$py" "$TEST_TMP/t.py" "$D_HOST" "$TEST_TMP/ctx"
	assert_eq "v=3
error: Cannot locate specified Dockerfile: nosuch" "$OUT" "docker-py build"
}
