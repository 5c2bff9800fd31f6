# docker import URL: downloads from loopback only, through libcurl in berthd.

# serve_dir DIR: a static HTTP server on a free loopback port; sets HTTP_PORT.
serve_dir() {
	HTTP_PORT=$(free_port)
	(cd "$1" && exec "$PYTHON" -m http.server "$HTTP_PORT" --bind 127.0.0.1) \
		>"$TEST_TMP/http.log" 2>&1 &
	local pid=$!
	add_cleanup "kill $pid 2>/dev/null"
	wait_for 10 "the test HTTP server" curl -sf -o /dev/null "http://127.0.0.1:$HTTP_PORT/"
}

test_import_from_loopback_url() {
	start_daemon
	mkdir -p "$TEST_TMP/rootfs/bin" "$TEST_TMP/www"
	cp /bin/busybox "$TEST_TMP/rootfs/bin/busybox"
	tar -C "$TEST_TMP/rootfs" -cf "$TEST_TMP/www/rootfs.tar" .
	serve_dir "$TEST_TMP/www"

	run_ok docker -H "$D_HOST" import -c 'CMD ["/bin/busybox"]' \
		"http://127.0.0.1:$HTTP_PORT/rootfs.tar" fromurl:1
	assert_match "$OUT" '^sha256:[0-9a-f]{64}$' "import output"
	run_ok docker -H "$D_HOST" image inspect -f '{{json .Config.Cmd}}' fromurl:1
	assert_eq '["/bin/busybox"]' "$OUT" "Cmd of the imported image"
	# The same bytes from the body give the same layer.
	run_ok docker -H "$D_HOST" import "$TEST_TMP/www/rootfs.tar" frombody:1
	run_ok docker -H "$D_HOST" image inspect -f '{{json .RootFS.Layers}}' fromurl:1
	local a=$OUT
	run_ok docker -H "$D_HOST" image inspect -f '{{json .RootFS.Layers}}' frombody:1
	assert_eq "$a" "$OUT" "layers of URL and body imports"
}

test_import_url_refusals() {
	start_daemon
	mkdir -p "$TEST_TMP/www"
	serve_dir "$TEST_TMP/www"
	run_fails docker -H "$D_HOST" import "http://127.0.0.1:$HTTP_PORT/missing.tar" x:1
	assert_contains "$ERR" "404" "missing file"
	# Never contacted: refused before any connection is made.
	run_fails docker -H "$D_HOST" import "http://192.0.2.1/rootfs.tar" x:2
	assert_contains "$ERR" "only downloads from loopback addresses" "non-loopback URL"
	run docker -H "$D_HOST" images -q
	assert_empty "$OUT" "images after refused imports"
}
