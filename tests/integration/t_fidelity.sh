# Engine API fidelity (issue 11): differences from dockerd that Docker SDK
# clients trip on. Uses ct_daemon, dk and ct_state from t_containers.sh;
# fidelity.py makes the requests the way SDK clients do.

fid() { "$PYTHON" "$INTEG_DIR/fidelity.py" "$1" "$D_SOCK" "${@:2}"; }

test_fidelity_kill_waits_for_exit() {
	ct_daemon
	local i
	# Several rounds: a reply that races the exit shows up on one of them.
	for i in 1 2 3; do
		run_ok dk run -d --name k$i --network none bb sleep 100
		run_ok fid kill_inspect k$i
	done
	run_ok dk run -d --name k4 --network none bb sleep 100
	run_ok dk kill k4
	ct_state k4
	assert_eq "exited 137" "$CT_STATE" "state after docker kill"
	run_ok dk rm k4
	# Another signal is answered at once and leaves the container running.
	run_ok dk run -d --name usr --network none bb sh -c 'trap "" USR1; sleep 100'
	run_ok dk kill -s USR1 usr
	ct_state usr
	assert_eq "running 0" "$CT_STATE" "state after kill -s USR1"
	run_ok dk rm -f usr
	run dk kill usr
	assert_ne 0 "$RC" "kill of a removed container"
}

test_fidelity_exec_framing() {
	ct_daemon
	run_ok dk run -d --name ex --network none bb sleep 100
	run_ok fid exec_framing ex
	# The CLI sends the create's Tty at start too: both ways still work.
	run_ok dk exec ex sh -c 'echo out; echo err >&2'
	assert_eq out "$OUT" "docker exec stdout"
	assert_eq err "$ERR" "docker exec stderr"
	run_ok dk rm -f ex
}
