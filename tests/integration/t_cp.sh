# docker cp (issue 13): both ways, on running and stopped containers, with
# the path stat header, copyUIDGID, noOverwriteDirNonDir, and symlinks
# resolved inside the container's root, never on the host.

test_cp_both_ways() {
	ct_daemon
	mkdir -p "$TEST_TMP/src/sub"
	echo one >"$TEST_TMP/src/a.txt"
	echo two >"$TEST_TMP/src/sub/b.txt"
	run_ok dk run -d --name r1 bb sleep 300
	run_ok dk create --name s1 bb sh
	local c
	for c in r1 s1; do
		run_ok dk cp "$TEST_TMP/src" "$c:/tmp/"
		run_ok dk cp "$TEST_TMP/src/a.txt" "$c:/tmp/renamed.txt"
		rm -rf "$TEST_TMP/out" && mkdir "$TEST_TMP/out"
		run_ok dk cp "$c:/tmp/src" "$TEST_TMP/out/"
		assert_eq two "$(cat "$TEST_TMP/out/src/sub/b.txt")" "round trip through $c"
		run_ok dk cp "$c:/tmp/renamed.txt" "$TEST_TMP/out/r.txt"
		assert_eq one "$(cat "$TEST_TMP/out/r.txt")" "file copied into $c"
		run_ok dk cp "$c:/tmp/src/." "$TEST_TMP/out/contents"
		assert_file_exists "$TEST_TMP/out/contents/a.txt"
	done
	run_ok dk exec r1 cat /tmp/src/sub/b.txt
	assert_eq two "$OUT" "seen from inside the running container"
	# Streams: a tar on stdout and from stdin.
	dk cp r1:/tmp/src/a.txt - | tar -xO >"$TEST_TMP/stream" || fail "cp to stdout"
	assert_eq one "$(cat "$TEST_TMP/stream")"
	tar -C "$TEST_TMP/src" -cf - sub | dk cp - r1:/ || fail "cp from stdin"
	run_ok dk exec r1 cat /sub/b.txt
	assert_eq two "$OUT"
	# The stat header of HEAD.
	local st
	st=$(curl -sI --unix-socket "$D_SOCK" "http://localhost/v1.41/containers/r1/archive?path=/tmp/src" |
		tr -d '\r' | awk -F': ' 'tolower($1) == "x-docker-container-path-stat" {print $2}')
	assert_match "$(base64 -d <<<"$st")" '"name":"src".*"mode":2147484141' "the path stat"
	run_ok dk rm -f r1 s1
}

test_cp_errors_and_symlinks() {
	ct_daemon
	run_ok dk run -d --name r1 bb sh -c 'ln -s / /tmp/rootlink; ln -s /etc /tmp/etclink; mkdir /d; echo f > /file; sleep 300'
	wait_for 10 "links made" dk exec r1 test -L /tmp/etclink
	# A symlink to / inside the container is the container's root, not the host's.
	run_ok dk cp "r1:/tmp/rootlink/etc/passwd" "$TEST_TMP/passwd"
	assert_eq "$(tar -xOf "$CT_TAR" ./etc/passwd)" "$(cat "$TEST_TMP/passwd")" "passwd through a symlink"
	echo evil >"$TEST_TMP/evil"
	local marker=/tmp/berth-cp-escape-$$
	rm -f "$marker"
	run_ok dk exec r1 ln -s "$marker" /tmp/hostpath
	run_ok dk cp "$TEST_TMP/evil" "r1:/tmp/hostpath"
	assert_file_absent "$marker" "a file on the host written through a container symlink"
	run_ok dk cp "$TEST_TMP/evil" r1:/tmp/etclink/
	run_ok dk exec r1 cat /etc/evil
	assert_eq evil "$OUT" "a copy through a symlinked directory stays inside the container"
	# A tar entry that climbs out with ../ is refused.
	"$PYTHON" - "$TEST_TMP/climb.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    data = b"x"
    i = tarfile.TarInfo("../../../../../../tmp/berth-climb"); i.size = len(data)
    t.addfile(i, io.BytesIO(data))
PY
	local code
	code=$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' --unix-socket "$D_SOCK" -X PUT \
		--data-binary @"$TEST_TMP/climb.tar" "http://localhost/v1.41/containers/r1/archive?path=/d")
	assert_eq 400 "$code" "status of a climbing tar"
	assert_file_absent /tmp/berth-climb
	run_fails dk cp r1:/nosuch "$TEST_TMP/x"
	assert_contains "$ERR" "Could not find the file /nosuch in container r1"
	run_fails dk cp "$TEST_TMP/evil" r1:/nosuchdir/sub/
	# noOverwriteDirNonDir: a directory does not replace a file.
	mkdir -p "$TEST_TMP/file"
	run_fails dk cp "$TEST_TMP/file" r1:/
	assert_contains "$ERR" "cannot overwrite non-directory"
	run_fails dk cp nosuch:/x -
	assert_contains "$ERR" "No such container: nosuch"
	run_ok dk rm -f r1
}

test_cp_archive_mode_owner() {
	ct_daemon
	run_ok dk create --name u1 --user alice bb sh
	echo data >"$TEST_TMP/owned"
	chown 4321:4321 "$TEST_TMP/owned"
	run_ok dk cp "$TEST_TMP/owned" u1:/tmp/plain
	run_ok dk cp -a "$TEST_TMP/owned" u1:/tmp/archived
	dk cp u1:/tmp - | tar -tvf - >"$TEST_TMP/list" || fail "cp out"
	assert_match "$(grep 'tmp/plain' "$TEST_TMP/list")" '4321/4321' "cp keeps the tar's owner"
	assert_match "$(grep 'tmp/archived' "$TEST_TMP/list")" '1000/1000' "cp -a gives the container user's owner"
	run_ok dk rm u1
}
