# Registry tests: pull, push, login and search against Debian's
# docker-registry (registry_lib.sh).
# shellcheck source=registry_lib.sh
. "$INTEG_DIR/registry_lib.sh"

test_registry_pull_docker_cli() {
	start_registry reg
	reg_put app v1 docker 3
	start_daemon
	run_ok dk pull "$REG/app:v1"
	assert_contains "$OUT" "v1: Pulling from app" "pull output"
	assert_contains "$OUT" "Pull complete" "pull output"
	assert_contains "$OUT" "Digest: $(reg_json "$PUT" digest)" "pull output"
	assert_contains "$OUT" "Status: Downloaded newer image for $REG/app:v1" "pull output"
	run_ok dk image inspect -f '{{.Id}} {{json .RootFS.Layers}} {{json .RepoDigests}}' "$REG/app:v1"
	assert_eq "$(reg_json "$PUT" config) $(reg_json "$PUT" diff_ids | tr -d ' ') [\"$REG/app@$(reg_json "$PUT" digest)\"]" \
		"$OUT" "image ID, layers and repo digest"
	# The layers hold what was uploaded: saved, they hash to the diff IDs.
	run_ok dk save -o "$TEST_TMP/saved.tar" "$REG/app:v1"
	run_ok "$PYTHON" "$INTEG_DIR/imgtool.py" layer-digests "$TEST_TMP/saved.tar"
	assert_eq "$(reg_json "$PUT" diff_ids | tr -d '[]" ' | tr ',' '\n')" "$OUT" "saved layers"
	# Pulled again: nothing new to fetch.
	run_ok dk pull "$REG/app:v1"
	assert_contains "$OUT" "Status: Image is up to date for $REG/app:v1" "second pull"
	assert_not_contains "$OUT" "Pull complete" "second pull"
	# By digest.
	local by_digest=$REG/app@$(reg_json "$PUT" digest)
	run_ok dk pull "$by_digest"
	assert_contains "$OUT" "Status: Image is up to date for $by_digest" "pull by digest"
	run_ok dk rmi "$REG/app:v1"
	run_ok dk pull "$by_digest"
	assert_contains "$OUT" "Status: Downloaded newer image for $by_digest" "pull by digest after rmi"
	run_ok dk images --digests --format '{{.Repository}} {{.Digest}}'
	assert_line "$OUT" "$REG/app $(reg_json "$PUT" digest)" "images --digests"
	assert_no_leftovers "$D_DATA" overlay2
	run_ok dk events --since 0 --until "$(($(date +%s) + 1))" --filter type=image --format '{{.Action}} {{.Actor.Attributes.name}}'
	assert_line "$OUT" "pull $REG/app:v1" "pull event"
}

test_registry_push_and_run() {
	start_registry reg
	start_daemon --name d1
	local d1=$D_HOST
	import_busybox "$REG/bb:1" -c 'CMD ["/bin/sh"]'
	local id=$IMG_ID
	run_ok dk push "$REG/bb:1"
	assert_contains "$OUT" "The push refers to repository [$REG/bb]" "push output"
	assert_contains "$OUT" ": Pushed" "push output"
	assert_match "$OUT" "1: digest: sha256:[0-9a-f]{64} size: [0-9]+" "push output"
	local digest
	digest=$(grep -o 'digest: sha256:[0-9a-f]*' <<<"$OUT" | cut -d' ' -f2)
	run_ok curl -sf -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/bb/manifests/1"
	assert_eq "$digest" "sha256:$(printf '%s' "$OUT" | sha256sum | cut -d' ' -f1)" "digest of the manifest the registry holds"
	# Again: the registry has everything.
	run_ok dk push "$REG/bb:1"
	assert_contains "$OUT" "Layer already exists" "second push"
	# Another repository of the same registry: the blob is mounted.
	run_ok dk tag "$REG/bb:1" "$REG/other/bb:2"
	run_ok dk push "$REG/other/bb:2"
	assert_contains "$OUT" "Mounted from bb" "push to another repository"

	# A second daemon runs it: docker run pulls on the 404 of create.
	start_daemon --name d2
	run_ok dk run --rm "$REG/bb:1" echo hello from the registry
	assert_contains "$OUT" "hello from the registry" "run output"
	assert_contains "$ERR" "Unable to find image '$REG/bb:1' locally" "run's pull"
	assert_eq "$id" "$(image_id "$REG/bb:1")" "image ID on the second daemon"
	# The pulled image pushes back with the same blobs.
	run_ok dk tag "$REG/bb:1" "$REG/copy:1"
	run_ok dk push "$REG/copy:1"
	assert_contains "$OUT" "Mounted from bb" "push of a pulled image"
	run_ok curl -sf -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/copy/manifests/1"
	local copy=$OUT
	run_ok curl -sf -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/bb/manifests/1"
	assert_eq "$OUT" "$copy" "manifest of the copy"
	D_HOST=$d1
}

test_registry_pull_platforms() {
	start_registry reg
	reg_put multi latest index 2
	local amd=$PUT
	reg_put dlist latest list 1
	start_daemon
	[[ $(dk version -f '{{.Server.Arch}}') == amd64 ]] || skip "the generated index has amd64 as the host's entry"
	run_ok dk pull "$REG/multi"
	assert_contains "$OUT" "Digest: $(reg_json "$amd" digest)" "digest printed is the index's"
	assert_eq "$(reg_json "$amd" config)" "$(image_id "$REG/multi")" "the host's entry was pulled"
	run_ok dk pull --platform linux/arm64 "$REG/multi:latest"
	run_ok dk image inspect -f '{{.Architecture}} {{.Variant}}' "$REG/multi"
	assert_eq "arm64 v8" "$OUT" "--platform linux/arm64"
	run_fails dk pull --platform linux/riscv64 "$REG/multi"
	assert_contains "$ERR" "no matching manifest for linux/riscv64 in the manifest list entries" "missing platform"
	run_ok dk pull "$REG/dlist"
	run_ok dk image inspect -f '{{.Architecture}}' "$REG/dlist"
	assert_eq amd64 "$OUT" "Docker manifest list"
	reg_put ociimg v1 oci 2
	run_ok dk pull "$REG/ociimg:v1"
	assert_eq "$(reg_json "$PUT" config)" "$(image_id "$REG/ociimg:v1")" "OCI manifest"
	# GET /distribution/{name}/json
	run_ok curl -sf --unix-socket "$D_SOCK" "http://localhost/v1.41/distribution/$REG/multi/json"
	assert_eq "$(reg_json "$amd" digest) 3" "$(reg_json "$OUT" Descriptor digest) $("$PYTHON" -c 'import json,sys; print(len(json.loads(sys.argv[1])["Platforms"]))' "$OUT")" "distribution inspect"
}

# docker pull --all-tags, and the API's rule behind it: no tag in fromImage
# and none beside it pulls every tag, one after the other in one stream.
test_registry_pull_all_tags() {
	start_registry reg
	reg_put app v1 docker 2
	local v1=$PUT
	reg_put app v2 oci 1
	local v2=$PUT
	start_daemon
	run_ok dk pull -a "$REG/app"
	assert_contains "$OUT" "v1: Pulling from app" "v1 pulled"
	assert_contains "$OUT" "v2: Pulling from app" "v2 pulled"
	assert_contains "$OUT" "Digest: $(reg_json "$v2" digest)" "v2's digest"
	assert_eq "Status: Downloaded newer image for $REG/app
$REG/app" "$(tail -n 2 <<<"$OUT")" "the end of pull -a"
	[[ $(grep -c '^Status:' <<<"$OUT") == 1 ]] || fail "one Status line expected: $OUT"
	assert_eq "$(reg_json "$v1" config)" "$(image_id "$REG/app:v1")" "v1's image"
	assert_eq "$(reg_json "$v2" config)" "$(image_id "$REG/app:v2")" "v2's image"
	run_fails dk image inspect "$REG/app:latest"
	run_ok berth -H "$D_HOST" pull -a "$REG/app"
	assert_eq "Status: Image is up to date for $REG/app
$REG/app" "$(tail -n 2 <<<"$OUT")" "berth pull -a of what is there"
	# The bare API call is the same pull; a tag beside it pulls that tag.
	run_ok dk rmi "$REG/app:v1" "$REG/app:v2"
	[[ $(api_status POST "/images/create?fromImage=$REG/app&tag=v2") == 200 ]] || fail "pull of v2: $(cat "$TEST_TMP/api.body")"
	run_fails dk image inspect "$REG/app:v1"
	[[ $(api_status POST "/images/create?fromImage=$REG/app") == 200 ]] || fail "bare pull: $(cat "$TEST_TMP/api.body")"
	assert_contains "$(cat "$TEST_TMP/api.body")" '"status":"Status: Downloaded newer image for '"$REG"'/app"' "bare pull's status"
	run_ok dk image inspect "$REG/app:v1"
	# A tag that fails after others went through ends the stream with its error.
	reg_put app v3 evil 1
	run_fails dk pull "$REG/app:v3"
	local why=$ERR
	[[ -n $why ]] || fail "no error for a layer that escapes its root"
	run_fails dk pull -a "$REG/app"
	assert_contains "$OUT" "v2: Pulling from app" "the tags before the bad one"
	assert_eq "$why" "$ERR" "the bad tag's error, in band"
	# A repository the registry does not know: nothing is pulled.
	run_fails dk pull -a "$REG/nosuch"
	assert_contains "$ERR" "pull access denied for $REG/nosuch, repository does not exist or may require 'docker login'" "pull -a of an unknown repository"
}

test_registry_pull_faults() {
	start_registry reg
	start_daemon
	local before
	before=$(store_snapshot "$D_DATA" overlay2)
	# Missing tag and repository.
	reg_put app v1 docker 2
	run_fails dk pull "$REG/app:nope"
	assert_contains "$ERR" "manifest for $REG/app:nope not found: manifest unknown: manifest unknown" "missing tag"
	run_fails dk pull "$REG/nothing"
	assert_contains "$ERR" "not found" "missing repository"
	# A blob that does not match its digest is refused; nothing is kept.
	local blob
	blob=$(regtool blobpath "$REG_STORAGE" "$(reg_json "$PUT" layers 1)")
	"$PYTHON" -c 'import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0xff
open(p, "wb").write(bytes(b))' "$blob"
	run_fails dk pull "$REG/app:v1"
	assert_contains "$OUT$ERR" "filesystem layer verification failed for digest $(reg_json "$PUT" layers 1)" "tampered blob"
	assert_store_unchanged "$before" "$D_DATA" overlay2 "a pull of a tampered blob"
	assert_no_leftovers "$D_DATA" overlay2
	# A layer with ../ in its paths is refused through pull too.
	reg_put evil v1 evil
	run_fails dk pull "$REG/evil:v1"
	assert_contains "$OUT$ERR" "escape" "layer with ../"
	assert_store_unchanged "$before" "$D_DATA" overlay2 "a pull of a layer with ../"
	# Registry down: a clean error.
	stop_registry
	run_fails dk pull "$REG/app:v1"
	assert_contains "$ERR" "$REG" "registry down"
	assert_contains "$ERR" "connect" "registry down"
	assert_no_leftovers "$D_DATA" overlay2
}

# Schema 1 and unknown media types cannot be stored in distribution 2.8, so
# a static server plays a registry that serves them.
test_registry_pull_refused_manifests() {
	start_daemon
	local www=$TEST_TMP/www
	mkdir -p "$www/v2/old/manifests" "$www/v2/odd/manifests"
	echo '{}' >"$www/v2/index.html"
	echo '{"schemaVersion":1,"name":"old","tag":"latest","architecture":"amd64","fsLayers":[],"history":[]}' \
		>"$www/v2/old/manifests/latest"
	echo '{"schemaVersion":2,"mediaType":"application/vnd.example.unknown+json","config":{},"layers":[]}' \
		>"$www/v2/odd/manifests/latest"
	local port
	port=$(free_port)
	(cd "$www" && exec "$PYTHON" -m http.server "$port" --bind 127.0.0.1) >"$TEST_TMP/http.log" 2>&1 &
	local pid=$!
	add_cleanup "kill $pid 2>/dev/null; true"
	wait_for 10 "the test HTTP server" curl -sf -o /dev/null "http://127.0.0.1:$port/v2/"
	run_fails dk pull "127.0.0.1:$port/old"
	assert_contains "$ERR" "manifest version 2, schema 1 support has been removed" "schema 1"
	run_fails dk pull "127.0.0.1:$port/odd"
	assert_contains "$ERR" "unsupported manifest media type and no default available: application/vnd.example.unknown+json" "unknown media type"
}

test_registry_basic_auth_login() {
	command -v htpasswd >/dev/null || skip "htpasswd is not installed (apache2-utils)"
	mkdir -p "$TEST_TMP/auth"
	htpasswd -Bbn alice s3cret >"$TEST_TMP/auth/htpasswd" 2>/dev/null || fail "htpasswd failed"
	start_registry reg "auth:
  htpasswd:
    realm: berth-test
    path: $TEST_TMP/auth/htpasswd"
	start_daemon
	import_busybox "$REG/private:1"
	run_fails dk push "$REG/private:1"
	assert_contains "$OUT$ERR" "no basic auth credentials" "anonymous push"
	run_fails dk login -u alice -p wrong "$REG"
	assert_contains "$ERR" "login attempt to http://$REG/v2/ failed with status: 401 Unauthorized" "wrong password"
	run_ok dk login -u alice -p s3cret "$REG"
	assert_contains "$OUT" "Login Succeeded" "login"
	run_ok dk push "$REG/private:1"
	assert_contains "$OUT" "Pushed" "push with credentials"
	run_ok dk rmi "$REG/private:1"
	run_ok dk pull "$REG/private:1"
	run_ok dk logout "$REG"
	run_fails dk pull "$REG/private:1"
	assert_contains "$ERR" "no basic auth credentials" "pull after logout"
	# berth's own commands, same flow.
	run_fails berth -H "$D_HOST" login -u alice -p wrong "$REG"
	assert_contains "$ERR" "401 Unauthorized" "berth login with a wrong password"
	run_ok berth -H "$D_HOST" login -u alice -p s3cret "$REG"
	assert_contains "$OUT" "Login Succeeded" "berth login"
	run_ok berth -H "$D_HOST" pull "$REG/private:1"
	assert_contains "$OUT" "Status: Image is up to date for $REG/private:1" "berth pull with credentials"
	run_ok berth -H "$D_HOST" logout "$REG"
	run_fails berth -H "$D_HOST" pull "$REG/private:1"
}

test_registry_tls_certs_d() {
	local pki=$TEST_TMP/pki
	mkdir -p "$pki"
	reg_make_ca "$pki" testca
	reg_make_ca "$pki" otherca
	reg_server_cert "$pki" testca
	REG_TLS_CERT=$pki/server.crt REG_TLS_KEY=$pki/server.key start_registry reg
	start_daemon
	# Loopback is insecure by default (dockerd's rule): TLS unverified works.
	import_busybox "$REG/tls:1"
	run_ok dk push "$REG/tls:1"
	# A CA in certs.d is held to: the right one verifies, another fails.
	mkdir -p "$D_DIR/certs.d/$REG"
	cp "$pki/testca.crt" "$D_DIR/certs.d/$REG/ca.crt"
	run_ok dk rmi "$REG/tls:1"
	run_ok dk pull "$REG/tls:1"
	assert_contains "$OUT" "Downloaded newer image" "pull over verified TLS"
	cp "$pki/otherca.crt" "$D_DIR/certs.d/$REG/ca.crt"
	run_fails dk pull "$REG/tls:1"
	assert_contains "$ERR" "https://$REG/v2/" "pull with the wrong CA"
	assert_match "$ERR" "certificate|SSL" "pull with the wrong CA"
}

# berthd remembers that a registry spoke plain HTTP and tries that first next
# time; a registry that moved to TLS on the same address is still reached.
test_registry_moves_to_tls() {
	start_registry plain
	local port=${REG#*:}
	reg_put app v1 docker 2
	start_daemon
	run_ok dk pull "$REG/app:v1"
	run_ok dk pull "$REG/app:v1"
	assert_contains "$OUT" "Image is up to date" "second pull over plain HTTP"
	stop_registry
	local pki=$TEST_TMP/pki
	mkdir -p "$pki"
	reg_make_ca "$pki" testca
	reg_server_cert "$pki" testca
	REG_PORT=$port REG_TLS_CERT=$pki/server.crt REG_TLS_KEY=$pki/server.key start_registry tls
	run_ok dk push "$REG/app:v1"
	assert_contains "$OUT" "Pushed" "push once the registry speaks TLS"
	run_ok curl -sfk -o /dev/null "https://$REG/v2/app/manifests/v1"
}

test_registry_token_auth() {
	local pki=$TEST_TMP/pki
	mkdir -p "$pki"
	reg_make_ca "$pki" token
	local tport
	tport=$(free_port)
	"$PYTHON" "$REGTOOL" tokens "$tport" "$pki/token.key" "$pki/token.crt" carol pw123 >"$TEST_TMP/tokens.log" 2>&1 &
	local tpid=$!
	add_cleanup "kill $tpid 2>/dev/null; true"
	wait_for 10 "the token service" curl -s -o /dev/null "http://127.0.0.1:$tport/token"
	start_registry reg "auth:
  token:
    realm: http://127.0.0.1:$tport/token
    service: berth-registry
    issuer: berth-test
    rootcertbundle: $pki/token.crt"
	start_daemon
	import_busybox "$REG/team/app:1"
	run_fails dk push "$REG/team/app:1"
	assert_contains "$OUT$ERR" "unauthorized: authentication required" "anonymous push"
	run_fails dk login -u carol -p nope "$REG"
	assert_contains "$ERR" "401 Unauthorized" "wrong password"
	run_ok dk login -u carol -p pw123 "$REG"
	run_ok dk push "$REG/team/app:1"
	assert_contains "$OUT" "Pushed" "push with a token"
	# The token service was asked for the repository's scope.
	assert_contains "$(cat "$TEST_TMP/tokens.log")" "scope=repository%3Ateam%2Fapp%3Apull%2Cpush" "scope"
	run_ok dk rmi "$REG/team/app:1"
	run_ok dk pull "$REG/team/app:1"
	run_ok dk logout "$REG"
	run_fails dk pull "$REG/team/app:1"
	assert_contains "$ERR" "pull access denied for $REG/team/app" "pull after logout"
}

test_registry_search() {
	start_registry reg
	start_daemon
	# distribution has no search; dockerd reports the v1 endpoint's answer.
	run_fails dk search "$REG/app"
	assert_contains "$ERR" "Unexpected status code 404" "search against distribution"
	run_fails berth -H "$D_HOST" search "$REG/app"
	assert_contains "$ERR" "Unexpected status code 404" "berth search"
	[[ $(api_status GET "/images/search?term=$REG/x&limit=0") == 400 ]] || fail "limit 0 accepted"
}

# Against a v1 search endpoint (Docker Hub's kind): filters, output and
# errors the same through docker and berth.
test_registry_search_filters() {
	local port s
	port=$(free_port) s=127.0.0.1:$port
	"$PYTHON" "$REGTOOL" search "$port" >"$TEST_TMP/search.log" 2>&1 &
	add_cleanup "kill $! 2>/dev/null; true"
	wait_for 10 "the search endpoint" curl -sf -o /dev/null "http://$s/v2/"
	start_daemon
	run_ok dk search "$s/busybox"
	assert_eq "NAME               DESCRIPTION                                     STARS     OFFICIAL
busybox            Busybox base image.                             3400      [OK]
me/busybox-tools   Tools on busybox, with a description that is…   7         
you/tiny-busybox                                                   0         " "$OUT" "docker search"
	local args
	for args in "" "--no-trunc" "--limit 1" "--filter stars=5" "--filter is-official=false" \
		"--filter is-official=true --filter stars=4000" "--format {{.Name}}:{{.StarCount}}:{{.IsOfficial}}" \
		"--format json --filter stars=1"; do
		# shellcheck disable=SC2086
		run_ok dk search $args "$s/busybox"
		local want=$OUT
		# shellcheck disable=SC2086
		run_ok berth -H "$D_HOST" search $args "$s/busybox"
		assert_eq "$want" "$OUT" "berth search $args"
	done
	run_ok dk search --filter stars=5 --format '{{.Name}}' "$s/busybox"
	assert_eq "busybox
me/busybox-tools" "$OUT" "search --filter stars=5"
	run_ok dk search --filter is-official=true --format '{{.Name}}' "$s/busybox"
	assert_eq busybox "$OUT" "search --filter is-official=true"
	run_ok dk search --format json --filter is-official=true "$s/busybox"
	assert_eq '{"Description":"Busybox base image.","IsOfficial":"true","Name":"busybox","StarCount":"3400"}' "$OUT" "search --format json"
	# is-automated is deprecated: true finds nothing, without asking.
	local asked
	asked=$(grep -c /v1/search "$TEST_TMP/search.log")
	run_ok dk search --filter is-automated=true "$s/busybox"
	assert_contains "$ERR" 'the "is-automated" filter is deprecated' "docker's warning"
	assert_eq "NAME      DESCRIPTION   STARS     OFFICIAL" "$OUT" "is-automated=true"
	assert_eq "$asked" "$(grep -c /v1/search "$TEST_TMP/search.log")" "searches sent for is-automated=true"
	run_ok berth -H "$D_HOST" search --filter is-automated=true "$s/busybox"
	assert_contains "$ERR" 'the "is-automated" filter is deprecated' "berth's warning"
	# Bad input: the daemon's 400 with dockerd's words.
	run_fails dk search --filter name=x "$s/busybox"
	assert_contains "$ERR" "invalid filter 'name'" "unknown filter"
	run_fails dk search --filter stars=many "$s/busybox"
	assert_contains "$ERR" "invalid filter 'stars=many': strconv.Atoi: parsing \"many\": invalid syntax" "bad stars"
	run_fails dk search --filter is-official=maybe "$s/busybox"
	assert_contains "$ERR" "invalid filter 'is-official=[maybe]'" "bad is-official"
	run_fails dk search "http://$s/busybox"
	assert_contains "$ERR" "repository name (http://$s/busybox) should not have a scheme" "a term with a scheme"
	[[ $(api_status GET "/images/search?term=$s/x&filters=%7Bnope") == 400 ]] || fail "bad filters JSON accepted"
	# pull -a follows tags/list's Link pages: the only tag is on the second.
	run_fails dk pull -a "$s/pages"
	assert_contains "$ERR" "manifest for $s/pages:zz not found" "the tag of the second page"
	assert_contains "$(cat "$TEST_TMP/search.log")" "/v2/pages/tags/list?last=a&n=1" "the second page asked for"
}

# reg_cut_proxy CUT: a proxy on $PROXY_PORT to the registry that dies once an
# answer passes CUT bytes; sets PROXY_PID.
reg_cut_proxy() {
	"$PYTHON" "$REGTOOL" cutproxy "$PROXY_PORT" "$REG" "$1" >>"$TEST_TMP/proxy.log" 2>&1 &
	PROXY_PID=$!
	add_cleanup "kill $PROXY_PID 2>/dev/null; true"
	wait_for 10 "the proxy" curl -sf -o /dev/null "http://127.0.0.1:$PROXY_PORT/v2/"
}

test_registry_dies_mid_pull() {
	start_registry reg
	PUT=$(regtool big "$REG" big v1 24) || fail "regtool big failed"
	start_daemon
	local before
	before=$(store_snapshot "$D_DATA" overlay2)
	PROXY_PORT=$(free_port)
	reg_cut_proxy $((4 << 20))
	run_fails dk pull "127.0.0.1:$PROXY_PORT/big:v1"
	assert_contains "$OUT$ERR" "blobs/$(reg_json "$PUT" layers 0)" "error of a registry gone mid-pull"
	assert_store_unchanged "$before" "$D_DATA" overlay2 "a pull cut in the middle"
	assert_no_leftovers "$D_DATA" overlay2
	# The registry is back: the pull completes (on a terminal, where the
	# docker CLI draws its bars from the progress messages).
	reg_cut_proxy 0
	run_ok "$PYTHON" "$INTEG_DIR/ptyrun.py" -- env DOCKER_CONFIG="$TEST_TMP/docker-config" \
		"$DOCKER" -H "$D_HOST" pull "127.0.0.1:$PROXY_PORT/big:v1"
	assert_contains "$OUT" "Pull complete" "pull on a terminal"
	assert_contains "$OUT" "Status: Downloaded newer image for 127.0.0.1:$PROXY_PORT/big:v1" "pull on a terminal"
	assert_eq "$(reg_json "$PUT" config)" "$(image_id "127.0.0.1:$PROXY_PORT/big:v1")" "image after the retry"
	run_ok dk rmi "127.0.0.1:$PROXY_PORT/big:v1"
	assert_no_leftovers "$D_DATA" overlay2
}

test_registry_mirror_and_limits() {
	start_registry reg
	reg_put library/mirrored latest docker 4
	start_daemon --registry-mirror "http://$REG" --max-concurrent-downloads 1 --max-concurrent-uploads 1
	# docker.io images come from the mirror.
	run_ok dk pull mirrored
	assert_contains "$OUT" "Status: Downloaded newer image for mirrored:latest" "pull through the mirror"
	assert_eq "$(reg_json "$PUT" config)" "$(image_id mirrored)" "image from the mirror"
	# One upload at a time.
	run_ok dk tag mirrored "$REG/again:1"
	run_ok dk push "$REG/again:1"
	assert_contains "$OUT" "Pushed" "push with --max-concurrent-uploads 1"
}

test_registry_concurrent_pulls() {
	start_registry reg
	reg_put shared v1 docker 3
	start_daemon
	# Two pulls of the same image and one of an OCI image whose two layers
	# hold the same bytes as the first two of the other, at once.
	reg_put other v1 oci 2
	dk pull "$REG/shared:v1" >"$TEST_TMP/p1" 2>&1 &
	local p1=$!
	dk pull "$REG/shared:v1" >"$TEST_TMP/p2" 2>&1 &
	local p2=$!
	run_ok dk pull "$REG/other:v1"
	wait "$p1" || fail "first concurrent pull failed: $(show "$(cat "$TEST_TMP/p1")")"
	wait "$p2" || fail "second concurrent pull failed: $(show "$(cat "$TEST_TMP/p2")")"
	assert_eq "$(reg_json "$PUT" config)" "$(image_id "$REG/other:v1")" "other image"
	run_ok dk image inspect -f '{{json .RootFS.Layers}}' "$REG/shared:v1"
	# One copy of each layer.
	assert_eq 3 "$(find "$D_DATA/image/overlay2/layerdb/sha256" -mindepth 1 -maxdepth 1 | wc -l)" "layers stored"
	assert_no_leftovers "$D_DATA" overlay2
}

# A layer above 32 MB compressed goes up in chunks (PATCH, then PUT).
test_registry_push_chunked() {
	start_registry rega
	local rega=$REG
	PUT=$(regtool big "$rega" big v1 34) || fail "regtool big failed"
	start_registry regb
	local regb=$REG
	start_daemon
	run_ok dk pull "$rega/big:v1"
	run_ok dk tag "$rega/big:v1" "$regb/big:v1"
	run_ok dk push "$regb/big:v1"
	assert_contains "$OUT" "Pushed" "push of a 34 MB layer"
	run_ok curl -sf -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$regb/v2/big/manifests/v1"
	local layer
	layer=$(reg_json "$OUT" layers 0 digest)
	# The registry checks the digest of what it received before it says 201.
	run_ok curl -sfI "http://$regb/v2/big/blobs/$layer"
	assert_match "$OUT" "Content-Length: 3[0-9]{7}" "size of the uploaded layer"
}
