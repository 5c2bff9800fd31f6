# TLS on TCP: --tlsverify (client certificates required) and --tls.

# gen_certs: a CA, a server certificate for 127.0.0.1/localhost, a client
# certificate, and a client certificate from another CA, in $CERTS.
gen_certs() {
	CERTS="$TEST_TMP/certs"
	mkdir -p "$CERTS"/{client,untrusted,onlyca}
	(
		set -e
		cd "$CERTS"
		key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
		ca() { # name cn
			key "$1-key.pem"
			openssl req -x509 -new -key "$1-key.pem" -out "$1.pem" -days 2 -subj "/CN=$2" \
				-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
		}
		leaf() { # name cn ca ext
			key "$1-key.pem"
			openssl req -new -key "$1-key.pem" -out "$1.csr" -subj "/CN=$2"
			printf '%s\n' "$4" >"$1.ext"
			openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3-key.pem" -CAcreateserial \
				-out "$1.pem" -days 2 -extfile "$1.ext" 2>/dev/null
		}
		ca ca "berth test CA"
		ca otherca "some other CA"
		leaf server "localhost" ca $'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature'
		leaf client "client" ca $'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature'
		leaf bad "intruder" otherca $'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature'
		# DOCKER_CERT_PATH layouts.
		cp ca.pem client/ca.pem && cp client.pem client/cert.pem && cp client-key.pem client/key.pem
		cp ca.pem untrusted/ca.pem && cp bad.pem untrusted/cert.pem && cp bad-key.pem untrusted/key.pem
		cp ca.pem onlyca/ca.pem
	) || fail "could not generate certificates with openssl"
}

# start_tls_daemon MODE: MODE is --tlsverify or --tls. TCP only (plus no unix
# socket), waits for the "started" log line. Sets PORT and TCP_HOST.
start_tls_daemon() {
	gen_certs
	PORT=$(free_port)
	TCP_HOST="tcp://127.0.0.1:$PORT"
	local extra=(--tlscert "$CERTS/server.pem" --tlskey "$CERTS/server-key.pem")
	[[ "$1" == --tlsverify ]] && extra+=(--tlscacert "$CERTS/ca.pem")
	start_daemon --no-unix "$1" "${extra[@]}" -H "$TCP_HOST"
}

tls_ping_ok() { curl -sS --max-time 10 --cacert "$CERTS/ca.pem" --cert "$CERTS/client.pem" --key "$CERTS/client-key.pem" \
	"https://127.0.0.1:$PORT/_ping"; }

expect_good_client_works() {
	run_ok tls_ping_ok
	assert_eq "OK" "$OUT" "TLS ping with a valid client certificate"
}

test_tls_verify_docker_cli() {
	start_tls_daemon --tlsverify
	expect_good_client_works
	run_ok docker --tlsverify --tlscacert "$CERTS/ca.pem" --tlscert "$CERTS/client.pem" \
		--tlskey "$CERTS/client-key.pem" -H "$TCP_HOST" version
	assert_contains "$OUT" "Server: Berth Engine" "docker --tlsverify version"
	run_ok docker --tlsverify --tlscacert "$CERTS/ca.pem" --tlscert "$CERTS/client.pem" \
		--tlskey "$CERTS/client-key.pem" -H "$TCP_HOST" info --format '{{.ID}}'
	assert_ne "" "$OUT" "docker --tlsverify info"
	# localhost is in the server certificate too.
	run_ok docker --tlsverify --tlscacert "$CERTS/ca.pem" --tlscert "$CERTS/client.pem" \
		--tlskey "$CERTS/client-key.pem" -H "tcp://localhost:$PORT" version
	# DOCKER_CERT_PATH + DOCKER_TLS_VERIFY + DOCKER_HOST.
	run_ok env DOCKER_CERT_PATH="$CERTS/client" DOCKER_TLS_VERIFY=1 DOCKER_HOST="$TCP_HOST" \
		DOCKER_CONFIG="$TEST_TMP/docker-config" "$DOCKER" version
	assert_contains "$OUT" "Server: Berth Engine" "docker via DOCKER_CERT_PATH"
}

test_tls_verify_berth_cli() {
	start_tls_daemon --tlsverify
	run_ok berth --tlsverify --tlscacert "$CERTS/ca.pem" --tlscert "$CERTS/client.pem" \
		--tlskey "$CERTS/client-key.pem" -H "$TCP_HOST" version
	assert_contains "$OUT" "Server: Berth Engine" "berth --tlsverify version"
	run_ok berth --tlsverify --tlscacert "$CERTS/ca.pem" --tlscert "$CERTS/client.pem" \
		--tlskey "$CERTS/client-key.pem" -H "$TCP_HOST" info
	assert_contains "$OUT" "Swarm: inactive" "berth --tlsverify info"
	run_ok env DOCKER_CERT_PATH="$CERTS/client" DOCKER_TLS_VERIFY=1 DOCKER_HOST="$TCP_HOST" \
		ASAN_OPTIONS="$DAEMON_ASAN_OPTIONS:log_path=$TEST_TMP/san-client" "$BERTH" version
	assert_contains "$OUT" "Server: Berth Engine" "berth via DOCKER_CERT_PATH"
	# Events over TLS (a streaming response).
	local before=$(date +%s)
	kill -HUP "$D_PID"
	wait_for 10 "the reload" grep -q 'reloaded configuration' "$D_LOG"
	run_ok env DOCKER_CERT_PATH="$CERTS/client" DOCKER_TLS_VERIFY=1 DOCKER_HOST="$TCP_HOST" \
		ASAN_OPTIONS="$DAEMON_ASAN_OPTIONS:log_path=$TEST_TMP/san-client" "$BERTH" events --since "$before" --until "$(date +%s.%N)"
	assert_contains "$OUT" " daemon reload " "berth events over TLS"
}

test_tls_verify_refuses_client_without_cert() {
	start_tls_daemon --tlsverify
	run curl -sS --max-time 10 --cacert "$CERTS/ca.pem" "https://127.0.0.1:$PORT/_ping"
	assert_ne 0 "$RC" "curl exit code without a client certificate"
	assert_ne "OK" "$OUT" "curl output without a client certificate"
	run bash -c "printf 'GET /_ping HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -connect 127.0.0.1:$PORT -CAfile '$CERTS/ca.pem' -quiet 2>&1"
	assert_not_contains "$OUT" $'\r\n\r\nOK' "openssl s_client without a client certificate"
	assert_match "$OUT" "alert|error|fail" "openssl s_client output without a client certificate"
	run docker --tlsverify --tlscacert "$CERTS/ca.pem" -H "$TCP_HOST" version
	assert_ne 0 "$RC" "docker exit code without a client certificate"
	assert_not_contains "$OUT" "Server: Berth Engine" "docker output without a client certificate"
	run env DOCKER_CERT_PATH="$CERTS/onlyca" DOCKER_TLS_VERIFY=1 DOCKER_HOST="$TCP_HOST" \
		DOCKER_CONFIG="$TEST_TMP/docker-config" "$DOCKER" version
	assert_ne 0 "$RC" "docker exit code with DOCKER_CERT_PATH holding only ca.pem"
	run env DOCKER_CERT_PATH="$CERTS/onlyca" DOCKER_TLS_VERIFY=1 DOCKER_HOST="$TCP_HOST" \
		ASAN_OPTIONS="$DAEMON_ASAN_OPTIONS:log_path=$TEST_TMP/san-client" "$BERTH" version
	assert_ne 0 "$RC" "berth exit code with DOCKER_CERT_PATH holding only ca.pem"
	assert_not_contains "$OUT" "Server: Berth Engine" "berth output without a client certificate"
	expect_good_client_works
}

test_tls_verify_refuses_untrusted_client_cert() {
	start_tls_daemon --tlsverify
	run curl -sS --max-time 10 --cacert "$CERTS/ca.pem" --cert "$CERTS/bad.pem" --key "$CERTS/bad-key.pem" \
		"https://127.0.0.1:$PORT/_ping"
	assert_ne 0 "$RC" "curl exit code with a certificate from another CA"
	assert_ne "OK" "$OUT" "curl output with a certificate from another CA"
	run bash -c "printf 'GET /_ping HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -connect 127.0.0.1:$PORT -CAfile '$CERTS/ca.pem' -cert '$CERTS/bad.pem' -key '$CERTS/bad-key.pem' -quiet 2>&1"
	assert_not_contains "$OUT" $'\r\n\r\nOK' "openssl s_client with an untrusted certificate"
	run env DOCKER_CERT_PATH="$CERTS/untrusted" DOCKER_TLS_VERIFY=1 DOCKER_HOST="$TCP_HOST" \
		DOCKER_CONFIG="$TEST_TMP/docker-config" "$DOCKER" version
	assert_ne 0 "$RC" "docker exit code with an untrusted certificate"
	assert_not_contains "$OUT" "Server: Berth Engine" "docker output with an untrusted certificate"
	run berth --tlsverify --tlscacert "$CERTS/ca.pem" --tlscert "$CERTS/bad.pem" --tlskey "$CERTS/bad-key.pem" \
		-H "$TCP_HOST" version
	assert_ne 0 "$RC" "berth exit code with an untrusted certificate"
	# The client also checks the server: trusting only the other CA fails.
	run berth --tlsverify --tlscacert "$CERTS/otherca.pem" --tlscert "$CERTS/client.pem" \
		--tlskey "$CERTS/client-key.pem" -H "$TCP_HOST" version
	assert_ne 0 "$RC" "berth exit code when the server's CA is not trusted"
	assert_not_contains "$OUT" "Server: Berth Engine" "berth output when the server's CA is not trusted"
	expect_good_client_works
}

test_tls_plain_http_to_tls_port_fails() {
	start_tls_daemon --tlsverify
	run curl -sS --max-time 10 -w '\n%{http_code}' "http://127.0.0.1:$PORT/_ping"
	assert_ne "OK" "$(head -n 1 <<<"$OUT")" "plain HTTP to the TLS port"
	[[ $RC -ne 0 || "$(tail -n 1 <<<"$OUT")" == 400 ]] ||
		fail "plain HTTP to the TLS port should fail or get a 400; got exit $RC, output $(show "$OUT")"
	run docker -H "$TCP_HOST" version
	assert_ne 0 "$RC" "docker without TLS against the TLS port"
	run berth -H "$TCP_HOST" version
	assert_ne 0 "$RC" "berth without TLS against the TLS port"
	# Raw garbage on the TLS port does not hurt the daemon either.
	"$PYTHON" -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"\x16\x03\x01\x00\x05hello" + b"\x00" * 100)
try:
    s.recv(100)
except OSError:
    pass' "$PORT"
	expect_good_client_works
	daemon_alive || fail "daemon died"
}

test_tls_without_verify_accepts_any_client() {
	start_tls_daemon --tls
	assert_contains "$(cat "$D_LOG")" "without client verification" "warning about --tls without --tlsverify"
	run_ok curl -sS --max-time 10 --cacert "$CERTS/ca.pem" "https://127.0.0.1:$PORT/_ping"
	assert_eq "OK" "$OUT" "TLS ping without a client certificate"
	run_ok curl -sS --max-time 10 --cacert "$CERTS/ca.pem" --cert "$CERTS/bad.pem" --key "$CERTS/bad-key.pem" \
		"https://127.0.0.1:$PORT/_ping"
	assert_eq "OK" "$OUT" "TLS ping with an unverified client certificate"
	# (docker --tls insists on reading a ca.pem, even though it does not verify.)
	run_ok docker --tls --tlscacert "$CERTS/otherca.pem" -H "$TCP_HOST" version
	assert_contains "$OUT" "Server: Berth Engine" "docker --tls version"
	run_ok docker --tlsverify --tlscacert "$CERTS/ca.pem" -H "$TCP_HOST" version
	assert_contains "$OUT" "Server: Berth Engine" "docker --tlsverify (server check only) version"
	run_ok berth --tls -H "$TCP_HOST" version
	assert_contains "$OUT" "Server: Berth Engine" "berth --tls version"
	run_ok berth --tlsverify --tlscacert "$CERTS/ca.pem" -H "$TCP_HOST" version
	assert_contains "$OUT" "Server: Berth Engine" "berth --tlsverify (server check only) version"
}

test_tls_daemon_unix_socket_stays_plain() {
	# dockerd applies TLS to TCP listeners only; the local unix socket keeps
	# working for plain `docker -H unix://...` next to a TLS TCP listener.
	gen_certs
	PORT=$(free_port)
	start_daemon --no-unix --tlsverify --tlscacert "$CERTS/ca.pem" --tlscert "$CERTS/server.pem" \
		--tlskey "$CERTS/server-key.pem" -H "tcp://127.0.0.1:$PORT" -H "unix://$TEST_TMP/d1/berth.sock"
	expect_good_client_works
	run curl -sS --max-time 10 --unix-socket "$D_SOCK" http://localhost/_ping
	assert_eq "OK" "$OUT" "plain HTTP ping on the unix socket of a --tlsverify daemon"
	run docker -H "$D_HOST" version
	assert_eq 0 "$RC" "docker -H unix:// against a --tlsverify daemon (stderr: $ERR)"
}

test_tls_bad_cert_files_refused() {
	gen_certs
	new_daemon_dir d1
	local port
	port=$(free_port)
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		--config-file "$D_CFG" -H "tcp://127.0.0.1:$port" \
		--tlsverify --tlscacert "$CERTS/ca.pem" --tlscert "$CERTS/nope.pem" --tlskey "$CERTS/server-key.pem"
	assert_contains "$START_LOG" "nope.pem" "message for a missing certificate"
	: >"$D_LOG"
	# A key that does not match the certificate.
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		--config-file "$D_CFG" -H "tcp://127.0.0.1:$port" \
		--tlsverify --tlscacert "$CERTS/ca.pem" --tlscert "$CERTS/server.pem" --tlskey "$CERTS/client-key.pem"
	: >"$D_LOG"
	# --tlsverify with a CA file that is not a certificate.
	echo "not a pem" >"$CERTS/junk.pem"
	expect_start_failure --data-root "$D_DATA" --exec-root "$D_EXEC" --pidfile "$D_PIDFILE" \
		--config-file "$D_CFG" -H "tcp://127.0.0.1:$port" \
		--tlsverify --tlscacert "$CERTS/junk.pem" --tlscert "$CERTS/server.pem" --tlskey "$CERTS/server-key.pem"
	assert_contains "$START_LOG" "junk.pem" "message for a CA file that is not PEM"
	assert_file_absent "$D_PIDFILE" "pidfile after refusing to start"
}

# rawhttp.py cases over a --tlsverify TCP listener.
tls_py_case() {
	RAWHTTP_CA="$CERTS/ca.pem" RAWHTTP_CERT="$CERTS/client.pem" RAWHTTP_KEY="$CERTS/client-key.pem" \
		run py "$1" "tls:127.0.0.1:$PORT"
	[[ $RC -eq 0 && "$OUT" == *ok ]] || fail "rawhttp case '$1' over TLS:
$(show "$OUT$ERR")"
	daemon_alive || fail "daemon died during '$1' over TLS"
}

test_tls_keepalive_pipelining_and_bodies() {
	start_tls_daemon --tlsverify
	tls_py_case keepalive
	# Two requests in one TLS record: the second must not wait for more input.
	tls_py_case pipelined
	tls_py_case chunked_body
	tls_py_case large_body
	tls_py_case head_no_body
	tls_py_case garbage
	expect_good_client_works
}

test_tls_stalled_handshakes_do_not_block() {
	start_tls_daemon --tlsverify
	# Raw TCP connections that never start the handshake, plus TLS
	# connections holding half a request, while others are served.
	tls_py_case silent_clients
	expect_good_client_works
}

test_tls_many_connections() {
	start_tls_daemon --tlsverify
	tls_py_case many_connections
	expect_good_client_works
}
