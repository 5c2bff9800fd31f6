# docker commit and docker export (issue 13): a container's read-write layer
# becomes an image layer with its diff ID and history; export is the whole
# filesystem.

test_commit_changes_history() {
	ct_daemon
	local base
	base=$(image_id bb)
	run_ok dk run --name c1 bb sh -c 'echo hi > /hello; rm /bin/vi; mkdir -p /data/x'
	run_ok dk commit -c 'ENV FOO=bar' -c 'CMD ["cat","/hello"]' -m "my msg" -a "me" c1 committed:v1
	assert_match "$OUT" '^sha256:[0-9a-f]{64}$' "ID printed by docker commit"
	local id=$OUT
	run_ok dk run --rm committed:v1
	assert_eq hi "$OUT" "the committed CMD"
	run_ok dk run --rm committed:v1 sh -c 'echo $FOO; test -e /bin/vi && echo vi || echo novi; test -d /data/x && echo dir'
	assert_eq "bar
novi
dir" "$OUT" "env, deleted and added files of the committed layer"
	run_ok dk inspect --format '{{.Id}}|{{.Author}}|{{.Comment}}|{{len .RootFS.Layers}}|{{.Parent}}' committed:v1
	assert_eq "$id|me|my msg|2|$base" "$OUT" "inspect of the committed image"
	run_ok dk history --format '{{.CreatedBy}}|{{.Comment}}' --no-trunc committed:v1
	assert_eq "sh -c echo hi > /hello; rm /bin/vi; mkdir -p /data/x|my msg" "$(head -n1 <<<"$OUT")" "history"
	# The layer holds the changes and nothing the runtime made for the run.
	mkdir -p "$TEST_TMP/save"
	dk save committed:v1 | tar -x -C "$TEST_TMP/save" || fail "docker save"
	local top
	top=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][-1])' "$TEST_TMP/save/manifest.json")
	run_ok tar -tf "$TEST_TMP/save/$top"
	assert_line "$OUT" "hello" "the committed layer"
	assert_line "$OUT" "bin/.wh.vi" "the committed layer"
	assert_not_contains "$OUT" "etc/hosts" "the committed layer"
	local diff_id
	diff_id=$(sha256sum "$TEST_TMP/save/$top" | cut -d' ' -f1)
	run_ok dk inspect --format '{{index .RootFS.Layers 1}}' committed:v1
	assert_eq "sha256:$diff_id" "$OUT" "diff ID of the committed layer"
	run_ok dk rm c1
}

test_commit_running_paused_and_bad_input() {
	ct_daemon
	run_ok dk run -d --name r1 bb sh -c 'echo live > /f; sleep 300'
	wait_for 10 "/f written" dk exec r1 test -s /f
	run_ok dk commit r1 live:1
	run_ok dk inspect --format '{{.State.Status}} {{.State.Paused}}' r1
	assert_eq "running false" "$OUT" "the container after commit (paused meanwhile, then thawed)"
	run_ok dk run --rm live:1 cat /f
	assert_eq live "$OUT"
	run_ok dk commit --pause=false r1
	run_fails dk commit -c 'RUN echo x' r1 bad:1
	assert_contains "$ERR" "RUN is not a valid change command"
	run_fails dk commit r1 'Bad:Name'
	assert_contains "$ERR" "invalid reference format"
	run_fails dk commit nosuch x:1
	assert_contains "$ERR" "No such container: nosuch"
	run_ok dk rm -f r1
	# No layer was left half-made by the failures.
	assert_no_leftovers "$D_DATA" overlay2
}

test_commit_export() {
	ct_daemon
	run_ok dk create --name e1 bb sh
	run_ok dk start -a e1
	run_ok dk run --name e2 bb sh -c 'echo x > /added; rm /bin/vi'
	dk export e2 >"$TEST_TMP/e2.tar" || fail "docker export"
	run_ok tar -tf "$TEST_TMP/e2.tar"
	assert_contains "$OUT" "added" "the export"
	assert_contains "$OUT" "bin/busybox" "the export"
	assert_not_contains "$OUT" "bin/vi"$'\n' "the export"
	run_ok dk export -o "$TEST_TMP/e1.tar" e1
	[[ -s $TEST_TMP/e1.tar ]] || fail "export -o wrote nothing"
	run_fails dk export nosuch
	assert_contains "$ERR" "No such container: nosuch"
	run_ok dk rm e1 e2
}

test_commit_docker_py() {
	local py
	docker_py
	ct_daemon
	cat >"$TEST_TMP/t.py" <<'PY'
import io, sys, tarfile, docker
c = docker.DockerClient(base_url=sys.argv[1], version="1.41")
ct = c.containers.run("bb", "sh -c 'echo changed > /v'", detach=True)
ct.wait()
ct.commit(repository="py", tag="2", changes=['CMD ["cat","/v"]'], message="from py")
print(c.containers.run("py:2", remove=True).decode().strip())
bits, stat = ct.get_archive("/v")
print(stat["name"], stat["size"])
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    data = b"put\n"
    i = tarfile.TarInfo("put.txt"); i.size = len(data); t.addfile(i, io.BytesIO(data))
assert ct.put_archive("/tmp", buf.getvalue())
bits, stat = ct.get_archive("/tmp/put.txt")
print(tarfile.open(fileobj=io.BytesIO(b"".join(bits))).extractfile("put.txt").read().decode().strip())
ct.remove()
PY
	run_ok "$py" "$TEST_TMP/t.py" "$D_HOST"
	assert_eq "changed
v 8
put" "$OUT" "docker-py commit and archives"
}
