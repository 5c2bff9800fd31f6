/* The daemon: the one struct that owns berthd's state. Everything runs on
 * its libuv loop; handlers receive a struct daemon * rather than globals. */
#pragma once

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "basic/error.h"
#include "basic/log.h"
#include "daemon/config.h"
#include "daemon/sysinfo.h"
#include "shared/http_server.h"

struct event_log;
struct image_service;
struct volume_store;
struct containers;
struct networks;
struct swarm;

struct daemon {
	uv_loop_t *loop;
	struct logger log;
	struct daemon_config flags; /* the command line alone, for reloads */
	struct daemon_config cfg;   /* effective settings */
	json_t *log_config;	    /* containers' default LogConfig (config_log_config) */
	struct sysinfo_host host;
	char engine_id[64];
	int64_t start_ns;

	SSL_CTX *tls;
	struct http_server *api;
	char server_header[64];
	char spool_dir[4096]; /* request bodies too large for memory */
	struct http_header api_headers[4];
	struct event_log *events;
	/* Images and volumes (src/image/images.h, src/volume). */
	struct image_service *images;
	struct volume_store *volumes;
	/* Containers (src/engine/container.h); storage_keep lists their
	 * read-write storage entries for images_init's garbage collection. */
	struct containers *containers;
	char **storage_keep;
	char **layer_pins;	   /* containers' top layers, referenced before the GC */
	struct networks *networks; /* src/network/network.h */
	struct swarm *swarm; /* swarm mode (src/swarm/swarm.h) */
	struct metrics *metrics; /* --metrics-addr (src/daemon/metrics.h), or NULL */

	uv_signal_t sig_term, sig_int, sig_hup;
	int pidfile_fd, root_lock_fd;
	bool stopping;
};

/* Prepares d from parsed and finalized settings (ownership of cfg and flags
 * moves into d). */
void daemon_init(struct daemon *d, uv_loop_t *loop, struct daemon_config *flags,
		 struct daemon_config *cfg);
/* Takes the locks, creates the roots, opens the listeners and installs
 * signal handlers. On failure everything taken is released again. */
int daemon_start(struct daemon *d, struct error *err);
/* Begins a clean shutdown: listeners and connections close, the loop ends. */
void daemon_stop(struct daemon *d);
/* Re-reads the config file and applies debug, log-level and labels. */
int daemon_reload(struct daemon *d, struct error *err);
/* Releases locks and memory; after the loop has ended. */
void daemon_done(struct daemon *d);
