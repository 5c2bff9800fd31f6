# Terminals (issue 4): docker run -it, run -t, attach to a tty container,
# exec -it, resize, and the raw (unmultiplexed) stream of logs and attach,
# driven through a real pseudo-terminal (ptyrun.py) as a person would.

ptyrun() { "$PYTHON" "$INTEG_DIR/ptyrun.py" "$@"; }

test_containers_tty_run_interactive() {
	ct_daemon
	# Type once the shell prompted: under load the CLI may reach raw mode late.
	run ptyrun --rows 33 --cols 101 --wait-for '/ # ' --send 'stty size; echo $((6*7))\n' --send 'exit 3\n' -- \
		"$DOCKER" -H "$D_HOST" run -it --name it1 --network none bb sh
	assert_eq 3 "$RC" "exit status of run -it"
	assert_contains "$OUT" "33 101" "terminal size inside the container"
	assert_contains "$OUT" "42" "command typed at the terminal"
	# The log of a tty container is the terminal's output, all on stdout.
	run_ok dk logs it1
	assert_contains "$OUT" "33 101" "logs of a tty container"
	run_ok dk logs it1 2>/dev/null
	run_ok curl -s --unix-socket "$D_SOCK" "http://localhost/v1.41/containers/it1/logs?stdout=1&stderr=1"
	[[ ${OUT:0:1} != $'\x01' ]] || fail "logs of a tty container carry stream headers"
	run_ok dk inspect --format '{{.Config.Tty}} {{.Config.OpenStdin}} {{.State.ExitCode}}' it1
	assert_eq "true true 3" "$OUT" "inspect of a tty container"
	run_ok dk rm it1
}

test_containers_tty_run_t_output() {
	ct_daemon
	run_ok dk run --rm -t --network none bb sh -c 'tty; echo out; echo err >&2'
	assert_contains "$OUT" "/dev/pts/0" "tty inside run -t"
	# One stream: stderr comes through the terminal too, with CRLF.
	assert_contains "$OUT" $'err\r' "stderr on the terminal"
	run dk run --rm -t --network none bb sh -c 'exit 4'
	assert_eq 4 "$RC" "exit status of run -t"
}

test_containers_tty_attach_and_resize() {
	ct_daemon
	run_ok dk run -dit --name at1 --network none bb sh
	local id
	id=$(dk inspect --format '{{.Id}}' at1)
	run_ok curl -s -o /dev/null -w '%{http_code}' -X POST --unix-socket "$D_SOCK" \
		"http://localhost/v1.41/containers/at1/resize?h=50&w=132"
	assert_eq 200 "$OUT" "status of resize"
	run_ok dk exec at1 stty size -F /dev/console
	assert_eq "50 132" "$OUT" "size after POST /resize"
	run_ok curl -s -w '\n%{http_code}' -X POST --unix-socket "$D_SOCK" \
		"http://localhost/v1.41/containers/at1/resize?h=x&w=1"
	assert_eq 400 "$(tail -n 1 <<<"$OUT")" "status of a bad resize"
	# docker attach: type at the container's shell, then leave it running
	# with the detach keys.
	run ptyrun --rows 20 --cols 70 --send 'echo attached-$((2+3)); stty size\n' --send $'\x10\x11' -- \
		"$DOCKER" -H "$D_HOST" attach at1
	assert_contains "$OUT" "attached-5" "output through docker attach"
	assert_contains "$OUT" "20 70" "attach resizes the terminal"
	run_ok dk inspect --format '{{.State.Running}}' at1
	assert_eq true "$OUT" "running after detaching"
	run_ok dk rm -f at1
	run_fails curl -sf -X POST --unix-socket "$D_SOCK" "http://localhost/v1.41/containers/$id/resize?h=1&w=1"
}

test_containers_tty_exec() {
	ct_daemon
	run_ok dk run -d --name ex1 --network none bb sleep 300
	run ptyrun --rows 40 --cols 120 --send 'stty size; echo $((6*7))\n' --send 'exit 5\n' -- \
		"$DOCKER" -H "$D_HOST" exec -it ex1 sh
	assert_eq 5 "$RC" "exit status of exec -it"
	assert_contains "$OUT" "40 120" "terminal size in exec -it"
	assert_contains "$OUT" "42" "command typed in exec -it"
	run_ok dk exec -t ex1 sh -c 'tty; echo err >&2'
	assert_match "$OUT" "/dev/pts/[0-9]+" "tty inside exec -t"
	assert_contains "$OUT" $'err\r' "stderr of exec -t comes through the terminal"
	# berth runs the same interactive session.
	run ptyrun --send 'echo via-berth\n' --send 'exit 0\n' -- "$BERTH" -H "$D_HOST" exec -it ex1 sh
	assert_eq 0 "$RC" "berth exec -it"
	assert_contains "$OUT" "via-berth" "berth exec -it output"
	run_ok dk rm -f ex1
}
