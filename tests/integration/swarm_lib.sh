# A one-node swarm for the services tests (t_services.sh,
# t_service_secrets.sh, t_service_logs.sh).
# shellcheck source=images_lib.sh
. "$INTEG_DIR/images_lib.sh"

# A daemon of the test (with the daemon flags given), made a one-node swarm
# on a free loopback port, with busybox:latest imported. On exit its
# services are removed and their containers waited for (containers outlive
# berthd).
swarm_one_node() {
	# Swarm networks (the ingress network made at init too) come from a
	# block of the test's own: it gets wired on this host; so do the local
	# ones (docker_gwbridge, made at init, and the default bridge).
	net_block
	start_daemon --default-address-pool "base=10.$NB.64.0/18,size=24" "$@"
	import_busybox busybox:latest
	local port
	port=$(free_port)
	run_ok dk swarm init --advertise-addr 127.0.0.1 --listen-addr "127.0.0.1:$port" \
		--default-addr-pool "10.$NB.128.0/17"
	add_cleanup swarm_one_node_cleanup
}

swarm_one_node_cleanup() {
	local s
	for s in $(dk service ls -q 2>/dev/null); do dk service rm "$s" >/dev/null 2>&1; done
	wait_for 30 "task containers to go" bash -c "[[ -z \$(docker -H '$D_HOST' ps -aq --filter label=com.docker.swarm.task.id) ]]" ||
		log "task containers left: $(dk ps -a)"
}
