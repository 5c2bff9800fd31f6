/* berthd: parse settings, start the daemon, run the loop until a signal. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "basic/build_info.h"
#include "daemon/config.h"
#include "daemon/daemon.h"

int main(int argc, char **argv)
{
	struct daemon_config flags = {0};
	struct error err = ERROR_INIT;
	int r = config_parse_flags(argc, argv, &flags, &err);
	if (r == CONFIG_HELP || r == CONFIG_VERSION) {
		if (r == CONFIG_HELP)
			config_print_usage();
		else
			printf("Berth version %s, build %s\n", BERTH_VERSION, BERTH_GIT_COMMIT);
		config_done(&flags);
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "%s\nSee 'berthd --help'.\n", error_msg(&err));
		error_clear(&err);
		config_done(&flags);
		return 125;
	}
	struct daemon_config cfg;
	config_copy(&cfg, &flags);
	r = config_load_file(&cfg, &err);
	if (r == 0)
		r = config_finalize(&cfg, &err);
	if (r < 0) {
		fprintf(stderr, "berthd: %s\n", error_msg(&err));
		error_clear(&err);
		config_done(&cfg);
		config_done(&flags);
		return 1;
	}

	/* Registry transfers block pool threads for as long as they run: room
	 * for a full pull and push beside the pool's other work (libuv reads
	 * this once, on first use; its default of 4 would stall everything
	 * else behind three downloads). */
	if (!getenv("UV_THREADPOOL_SIZE")) {
		char n[16];
		snprintf(n, sizeof(n), "%d", 4 + cfg.max_downloads + cfg.max_uploads);
		setenv("UV_THREADPOOL_SIZE", n, 0);
	}
	/* A client that goes away must be an EPIPE on its connection, not our death. */
	signal(SIGPIPE, SIG_IGN);
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct daemon d;
	daemon_init(&d, &loop, &flags, &cfg);
	r = daemon_start(&d, &err);
	if (r < 0) {
		log_error(&d.log, "failed to start daemon: %s", error_msg(&err));
		error_clear(&err);
	} else {
		uv_run(&loop, UV_RUN_DEFAULT);
		log_info(&d.log, "daemon shut down");
	}
	daemon_done(&d);
	uv_loop_close(&loop);
	/* Joins the thread pool now, not in libuv's destructor: exit handlers
	 * (LeakSanitizer's check in the test builds) then run with one thread
	 * left, never beside pool threads that are winding down. */
	uv_library_shutdown();
	return r < 0 ? 1 : 0;
}
