# Registry helpers for tests that need a registry (t_registry.sh,
# t_service_pull.sh): Debian's docker-registry (CNCF distribution 2.8),
# started per test on a free loopback port with its own config and storage,
# stopped by pid.

REGTOOL="$INTEG_DIR/regtool.py"
REGISTRY_BIN=${REGISTRY_BIN:-/usr/bin/docker-registry}

regtool() { "$PYTHON" "$REGTOOL" "$@"; }

# start_registry NAME [YAML...]: a registry in $TEST_TMP/NAME on a free port,
# with extra top-level YAML sections (auth:, http.tls via REG_TLS_*; REG_PORT
# picks the port); sets REG (host:port), REG_DIR, REG_STORAGE, REG_PID.
start_registry() {
	local name=$1
	shift
	[[ -x $REGISTRY_BIN ]] || skip "docker-registry is not installed (scripts/install-deps.sh)"
	REG_DIR=$TEST_TMP/$name
	REG_STORAGE=$REG_DIR/storage
	mkdir -p "$REG_STORAGE"
	local port=${REG_PORT:-}
	[[ -n $port ]] || port=$(free_port)
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

reg_json() { "$PYTHON" -c 'import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v if not isinstance(v, (list, dict)) else json.dumps(v))' "$@"; }

# reg_make_ca DIR NAME: a self-signed CA DIR/NAME.{crt,key}.
# reg_server_cert DIR CA: DIR/server.{crt,key} for 127.0.0.1, signed by CA.
reg_make_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
		-keyout "$1/$2.key" -out "$1/$2.crt" >/dev/null 2>&1 || fail "openssl: CA $2"
}
reg_server_cert() {
	local dir=$1 ca=$2
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$dir/server.key" \
		-out "$dir/server.csr" >/dev/null 2>&1 || fail "openssl: CSR"
	printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/san.ext"
	openssl x509 -req -in "$dir/server.csr" -CA "$dir/$ca.crt" -CAkey "$dir/$ca.key" \
		-CAcreateserial -days 2 -extfile "$dir/san.ext" -out "$dir/server.crt" >/dev/null 2>&1 ||
		fail "openssl: server certificate"
}
