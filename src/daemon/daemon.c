/* berthd's lifecycle: locks, roots, listeners, signals, reload, shutdown. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "basic/build_info.h"
#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/timeutil.h"
#include "daemon/metrics.h"
#include "engine/container.h"
#include "shared/events.h"
#include "image/images.h"
#include "network/network.h"
#include "volume/volume_store.h"
#include "shared/host.h"
#include "shared/tls.h"
#include "swarm/swarm.h"

/* dockerd keeps this many events for `docker events --since`. */
#define EVENT_HISTORY 256

void daemon_init(struct daemon *d, uv_loop_t *loop, struct daemon_config *flags,
		 struct daemon_config *cfg)
{
	*d = (struct daemon){0};
	d->loop = loop;
	d->flags = *flags;
	d->cfg = *cfg;
	*flags = (struct daemon_config){0};
	*cfg = (struct daemon_config){0};
	d->log = (struct logger){.level = config_log_level(&d->cfg), .fd = 2};
	d->pidfile_fd = -1;
	d->root_lock_fd = -1;
	d->start_ns = time_now_ns();
}

/* Opens and locks path, then writes our pid into it. Another live holder
 * means another daemon: its pid goes into the message. */
static int lock_pid_file(const char *path, const char *what, int *ret_fd, struct error *err)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return error_set(err, -errno, "open %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		return error_set(err, -EBUSY,
				 "%s %s is locked by berthd process %s: is another berthd running? "
				 "Stop it first or choose another %s",
				 what, path, pid[0] ? pid : "(unknown)",
				 strcmp(what, "pid file") == 0 ? "--pidfile" : "--data-root");
	}
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len)
		return error_set(err, -errno, "write %s: %s", path, strerror(errno));
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int make_dir_of(const char *path, struct error *err)
{
	_cleanup_free_ char *copy = strdup(path);
	return copy ? fs_mkdir_p(dirname(copy), 0755, err) : -ENOMEM;
}

static int take_locks(struct daemon *d, struct error *err)
{
	int r = fs_mkdir_p(d->cfg.data_root, 0711, err);
	if (r < 0)
		return r;
	r = fs_mkdir_p(d->cfg.exec_root, 0700, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *lock = NULL;
	if (asprintf(&lock, "%s/berthd.lock", d->cfg.data_root) < 0)
		return -ENOMEM;
	r = lock_pid_file(lock, "data root lock", &d->root_lock_fd, err);
	if (r < 0)
		return r;
	r = make_dir_of(d->cfg.pidfile, err);
	if (r < 0)
		return r;
	return lock_pid_file(d->cfg.pidfile, "pid file", &d->pidfile_fd, err);
}

/* The engine ID (a UUID) persists in the data root like dockerd's engine-id. */
static int load_engine_id(struct daemon *d, struct error *err)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	if (asprintf(&path, "%s/engine-id", d->cfg.data_root) < 0)
		return -ENOMEM;
	fs_remove_stale_tmp(d->cfg.data_root); /* a first write kill -9 cut short */
	if (fs_read_file(path, 128, &text, NULL) == 0 && strlen(text) >= 32) {
		text[strcspn(text, "\n")] = '\0';
		snprintf(d->engine_id, sizeof(d->engine_id), "%s", text);
		return 0;
	}
	/* getrandom, not RAND_bytes: OpenSSL's first random bytes set up its
	 * DRBG and providers, 2 MB of resident memory for 16 bytes. (Up to 256
	 * bytes are never short once the pool is ready.) */
	unsigned char b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return error_set(err, -EIO, "could not generate the engine ID");
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(d->engine_id, sizeof(d->engine_id),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
	return fs_write_atomic(path, d->engine_id, strlen(d->engine_id), 0600, err);
}

static int setup_tls(struct daemon *d, struct error *err)
{
	if (!d->cfg.tls)
		return 0;
	struct tls_server_options o = {
		.cert_path = d->cfg.tlscert,
		.key_path = d->cfg.tlskey,
		.ca_path = d->cfg.tlsverify ? d->cfg.tlscacert : NULL,
		.verify_clients = d->cfg.tlsverify,
	};
	return tls_server_ctx_new(&o, &d->tls, err);
}

/* Refuses what would hand the host to anyone on the network. */
static int check_hosts(struct daemon *d, struct error *err)
{
	for (size_t i = 0; i < d->cfg.n_hosts; i++) {
		struct host_addr h;
		int r = host_parse(d->cfg.hosts[i], d->cfg.tls, &h, err);
		if (r < 0)
			return r;
		if (h.kind == HOST_TCP && !d->cfg.tls && !host_is_loopback(&h))
			return error_set(
			    err, -EPERM,
			    "refusing to listen on %s without TLS: anyone who can reach it would "
			    "control this host. Enable TLS with --tlsverify --tlscacert=ca.pem "
			    "--tlscert=cert.pem --tlskey=key.pem, or listen on a loopback address "
			    "such as tcp://127.0.0.1:2375",
			    d->cfg.hosts[i]);
		if (h.kind == HOST_TCP && d->cfg.tls && !d->cfg.tlsverify)
			log_warn(&d->log,
				 "%s uses TLS without client verification (--tlsverify): any "
				 "client can control this host",
				 d->cfg.hosts[i]);
	}
	return 0;
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;
	if (signum == SIGHUP) {
		struct error err = ERROR_INIT;
		if (daemon_reload(d, &err) < 0)
			log_error(&d->log, "reload failed, keeping the current settings: %s", error_msg(&err));
		error_clear(&err);
		return;
	}
	log_info(&d->log, "processing signal '%s'", signum == SIGTERM ? "terminated" : "interrupt");
	daemon_stop(d);
}

static void start_signals(struct daemon *d)
{
	uv_signal_t *sigs[] = {&d->sig_term, &d->sig_int, &d->sig_hup};
	int nums[] = {SIGTERM, SIGINT, SIGHUP};
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		uv_signal_init(d->loop, sigs[i]);
		sigs[i]->data = d;
		uv_signal_start(sigs[i], on_signal, nums[i]);
	}
}

static void release_locks(struct daemon *d)
{
	if (d->pidfile_fd >= 0) {
		unlink(d->cfg.pidfile);
		close(d->pidfile_fd);
		d->pidfile_fd = -1;
	}
	if (d->root_lock_fd >= 0) {
		close(d->root_lock_fd);
		d->root_lock_fd = -1;
	}
}

/* The image service gets the storage and registry settings it reads; the
 * containers' storage entries and top layers survive its garbage collection. */
static int open_images(struct daemon *d, struct error *err)
{
	const struct image_deps deps = {
	    .loop = d->loop,
	    .log = &d->log,
	    .events = d->events,
	    .data_root = d->cfg.data_root,
	    .storage_driver = d->cfg.storage_driver,
	    .registries =
		{
		    .insecure_registries = d->cfg.insecure_registries,
		    .n_insecure_registries = d->cfg.n_insecure_registries,
		    .registry_mirrors = d->cfg.registry_mirrors,
		    .n_registry_mirrors = d->cfg.n_registry_mirrors,
		    .config_file = d->cfg.config_file ? d->cfg.config_file : DEFAULT_CONFIG_FILE,
		},
	    .max_downloads = d->cfg.max_downloads,
	    .max_uploads = d->cfg.max_uploads,
	    .go_arch = d->host.go_arch,
	};
	return images_init(&d->images, &deps, (const char *const *)d->storage_keep,
			   (const char *const *)d->layer_pins, err);
}

/* The local volume store under <data-root>/volumes. */
static int open_volumes(struct daemon *d, struct error *err)
{
	_cleanup_free_ char *root = NULL;
	if (asprintf(&root, "%s/volumes", d->cfg.data_root) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return volume_store_open(root, d->events, &d->volumes, err);
}

/* The container engine gets the handles and settings it reads, not the
 * daemon; its containers are loaded later, by containers_init. */
static int open_containers(struct daemon *d, struct error *err)
{
	/* As dockerd: the default options are checked at start. */
	d->log_config = config_log_config(&d->cfg);
	json_t *hc = d->log_config ? json_pack("{s:O}", "LogConfig", d->log_config) : NULL;
	uint64_t size;
	unsigned files;
	struct error e2 = ERROR_INIT;
	int r = hc ? container_log_opts(hc, &size, &files, &e2)
		   : error_set(&e2, -ENOMEM, "out of memory");
	json_decref(hc);
	if (r < 0) {
		error_set(err, r, "failed to set log opts: %s", error_msg(&e2));
		error_clear(&e2);
		return r;
	}
	const struct engine_deps deps = {
	    .loop = d->loop,
	    .log = &d->log,
	    .events = d->events,
	    .images = d->images,
	    .volumes = d->volumes,
	    .data_root = d->cfg.data_root,
	    .exec_root = d->cfg.exec_root,
	    .runtimes = d->cfg.runtimes,
	    .n_runtimes = d->cfg.n_runtimes,
	    .default_runtime = d->cfg.default_runtime,
	    .log_config = d->log_config,
	    .hostname = d->host.hostname,
	    .mem_total = d->host.mem_total,
	};
	return containers_new(&d->containers, &deps, err);
}

/* Networking finds containers through the engine's container source. */
static int open_networks(struct daemon *d, struct error *err)
{
	const struct network_deps deps = {
	    .loop = d->loop,
	    .log = &d->log,
	    .events = d->events,
	    .engine_id = d->engine_id,
	    .data_root = d->cfg.data_root,
	    .exec_root = d->cfg.exec_root,
	    .bridge = d->cfg.bridge,
	    .bip = d->cfg.bip,
	    .fixed_cidr = d->cfg.fixed_cidr,
	    .address_pools = d->cfg.address_pools,
	    .n_address_pools = d->cfg.n_address_pools,
	    .iptables = d->cfg.iptables,
	    .containers = {containers_net_lookup, containers_net_at, d->containers},
	};
	return network_init(&d->networks, &deps, err);
}

/* The swarm gets the services its agent drives and what a node says about
 * itself; the labels are read where a reload puts them. */
static int open_swarm(struct daemon *d, struct error *err)
{
	const struct swarm_deps deps = {
	    .loop = d->loop,
	    .log = &d->log,
	    .events = d->events,
	    .images = d->images,
	    .containers = d->containers,
	    .networks = d->networks,
	    .data_root = d->cfg.data_root,
	    .exec_root = d->cfg.exec_root,
	    .hostname = d->host.hostname,
	    .architecture = d->host.architecture,
	    .ncpu = d->host.ncpu,
	    .mem_total = d->host.mem_total,
	    .labels = &d->cfg.labels,
	    .n_labels = &d->cfg.n_labels,
	    .generic_resources = d->cfg.node_generic_resources,
	    .n_generic_resources = d->cfg.n_node_generic_resources,
	};
	return swarm_new(&deps, &d->swarm, err);
}

int daemon_start(struct daemon *d, struct error *err)
{
	int r = check_hosts(d, err);
	if (r == 0)
		r = take_locks(d, err);
	if (r == 0)
		r = load_engine_id(d, err);
	if (r == 0)
		r = setup_tls(d, err);
	if (r < 0) {
		release_locks(d);
		return r;
	}
	sysinfo_collect(&d->host);
	d->events = event_log_new(EVENT_HISTORY);
	if (!d->events) {
		release_locks(d);
		return error_set(err, -ENOMEM, "out of memory");
	}
	r = containers_keep_ids(d->cfg.data_root, &d->storage_keep);
	if (r == 0)
		r = containers_layer_pins(d->cfg.data_root, &d->layer_pins);
	if (r < 0)
		error_set(err, r, "cannot list containers: %s", strerror(-r));
	if (r == 0)
		r = open_images(d, err);
	containers_keep_ids_free(TAKE_PTR(d->storage_keep));
	containers_keep_ids_free(TAKE_PTR(d->layer_pins));
	if (r == 0)
		r = open_volumes(d, err);
	if (r == 0)
		r = open_containers(d, err);
	if (r == 0)
		r = open_networks(d, err);
	if (r == 0)
		r = containers_init(d->containers, d->networks, err);
	if (r == 0)
		network_restore(d->networks);
	if (r < 0) {
		containers_stop(d->containers);
		network_stop(d->networks);
		uv_run(d->loop, UV_RUN_NOWAIT);
		containers_done(TAKE_PTR(d->containers));
		network_done(TAKE_PTR(d->networks));
		volume_store_close(TAKE_PTR(d->volumes));
		images_done(TAKE_PTR(d->images));
		release_locks(d);
		return r;
	}
	r = open_swarm(d, err);
	if (r == 0)
		r = swarm_start(d->swarm, err);
	if (r == 0)
		r = api_start(d, err);
	if (r == 0)
		r = metrics_start(d, err);
	if (r < 0) {
		api_stop(d);
		if (d->swarm)
			swarm_stop(d->swarm, NULL, NULL);
		/* api_start closed what it opened; the loop finishes the closes. */
		uv_run(d->loop, UV_RUN_DEFAULT);
		release_locks(d);
		return r;
	}
	start_signals(d);
	log_info(&d->log, "Berth daemon %s started (data root %s, storage driver %s)", BERTH_VERSION,
		 d->cfg.data_root, d->cfg.storage_driver);
	return 0;
}

static void close_signals(struct daemon *d)
{
	uv_signal_t *sigs[] = {&d->sig_term, &d->sig_int, &d->sig_hup};
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		if (!uv_is_closing((uv_handle_t *)sigs[i]))
			uv_close((uv_handle_t *)sigs[i], NULL);
}

void daemon_stop(struct daemon *d)
{
	if (d->stopping)
		return;
	d->stopping = true;
	close_signals(d);
	api_stop(d);
	metrics_stop(d);
	containers_stop(d->containers);
	network_stop(d->networks);
	if (d->swarm)
		swarm_stop(d->swarm, NULL, NULL);
}

static json_t *reload_attributes(const struct daemon *d)
{
	json_t *labels = json_array();
	for (size_t i = 0; i < d->cfg.n_labels; i++)
		json_array_append_new(labels, json_string(d->cfg.labels[i]));
	char *labels_s = json_dumps(labels, JSON_COMPACT);
	json_decref(labels);
	json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", d->host.hostname, "debug",
			      d->cfg.debug ? "true" : "false",
			      "log-level", d->cfg.log_level, "labels", labels_s ? labels_s : "[]",
			      "storage-driver", d->cfg.storage_driver);
	free(labels_s);
	return a;
}

int daemon_reload(struct daemon *d, struct error *err)
{
	struct daemon_config fresh;
	int r = config_reload(&d->flags, &fresh, err);
	if (r < 0)
		return r;
	d->cfg.debug = fresh.debug;
	free(d->cfg.log_level);
	d->cfg.log_level = TAKE_PTR(fresh.log_level);
	for (size_t i = 0; i < d->cfg.n_labels; i++)
		free(d->cfg.labels[i]);
	free(d->cfg.labels);
	d->cfg.labels = TAKE_PTR(fresh.labels);
	d->cfg.n_labels = fresh.n_labels;
	fresh.n_labels = 0;
	config_done(&fresh);
	d->log.level = config_log_level(&d->cfg);
	log_info(&d->log, "reloaded configuration: debug=%s log-level=%s labels=%zu",
		 d->cfg.debug ? "true" : "false", d->cfg.log_level, d->cfg.n_labels);
	json_t *attrs = reload_attributes(d);
	event_log_publish(d->events, "daemon", "reload", d->engine_id, attrs, "local");
	return 0;
}

void daemon_done(struct daemon *d)
{
	metrics_free(d);
	swarm_free(d->swarm);
	containers_done(TAKE_PTR(d->containers));
	network_done(TAKE_PTR(d->networks));
	volume_store_close(TAKE_PTR(d->volumes));
	images_done(TAKE_PTR(d->images));
	release_locks(d);
	event_log_free(d->events);
	SSL_CTX_free(d->tls);
	json_decref(d->log_config);
	config_done(&d->cfg);
	config_done(&d->flags);
}
