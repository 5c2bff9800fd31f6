/* Containers: the store (what is on disk under <data-root>/containers/<id>/,
 * written crash-safely), and the supervisor that runs them through one
 * berth-shim each (src/shim) and tracks their state machine:
 *
 *   created --start--> running --exit--> exited --start--> running ...
 *   any --remove--> (gone); a container whose files are damaged is dead.
 *
 * Everything here runs on the daemon's loop. Functions return 0 or a
 * negative errno-style code with dockerd's message in err. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "basic/error.h"
#include "shared/digest.h"
#include "shared/filters.h"

struct buf;
struct containers; /* the service: store, paths, runtime settings (containers_priv.h) */
struct event_log;
struct health;
struct image_service;
struct logger;
struct net_container;
struct networks;
struct shim_link;
struct volume_store;

enum container_state {
	CONTAINER_CREATED,
	CONTAINER_RUNNING,
	CONTAINER_EXITED,
	CONTAINER_DEAD,
};

/* Someone reading a container's live output (attach, logs --follow). */
struct container_sub {
	struct container_sub *next;
	/* stream 1 stdout, 2 stderr; off is the json log's size after the entry. */
	void (*on_output)(struct container_sub *sub, int stream, int64_t time_ns, uint64_t off,
			  const char *data, size_t len);
	/* The container exited or went away; the sub is already detached. */
	void (*on_end)(struct container_sub *sub);
	void *userdata;
};

enum wait_condition { WAIT_NOT_RUNNING, WAIT_NEXT_EXIT, WAIT_REMOVED };

struct container_waiter {
	struct container_waiter *next;
	enum wait_condition cond;
	/* Called once with the exit code; the waiter is detached already. */
	void (*done)(struct container_waiter *w, int exit_code);
	void *userdata;
};

/* A finished asynchronous operation: r < 0 failed (err says why), 0 done,
 * 1 nothing to do (already started / already stopped: HTTP 304). */
typedef void (*container_done_fn)(int r, const struct error *err, void *userdata);

struct container_op {
	struct container_op *next;
	container_done_fn done;
	void *userdata;
};

struct container {
	char id[DIGEST_HEX_LEN + 1];
	char *name;	     /* "/name" */
	json_t *config;	     /* Docker's Config, image defaults merged in */
	json_t *host_config; /* HostConfig */
	json_t *mounts;	     /* MountPoints: [{Type,Name,Source,Destination,...}] */
	char image_id[DIGEST_BUF];
	/* The image's top layer, pinned while the container exists so that
	 * rmi -f of its image cannot take its filesystem away (NULL for an
	 * image without layers). layer_chain names it on disk. */
	struct layer *layer;
	char layer_chain[DIGEST_BUF];
	int64_t created_ns;
	int restart_count;

	enum container_state state;
	int pid, exit_code;
	int64_t started_ns, finished_ns;
	char *error;	       /* State.Error, NULL when none */
	struct health *health; /* State.Health (engine/health.h), NULL when none */

	/* Runtime only, never persisted. */
	struct shim_link *link; /* connection to the running shim */
	struct container_sub *subs;
	struct container_waiter *waiters;
	struct container_op *stops;   /* stop requests waiting for the exit */
	struct container_op *removes; /* rm -f requests waiting for the exit */
	uv_timer_t *kill_timer;	      /* SIGKILL after the stop timeout */
	struct start_job *starting;
	char *stdin_buf; /* stdin that arrived before the shim was up */
	size_t stdin_len;
	bool stdin_close; /* close stdin once the shim is up */
	bool mounted;	  /* rootfs and volumes mounted for a run */
	bool removing;
	/* At start-up: a shim socket but no running state on disk (kill -9
	 * came between the shim's start and its save). Until the shim's hello
	 * says whether it runs, the container counts as running for its
	 * network, which must not be torn down under a live process. */
	bool adopting;

	/* Restart policies and pause (container_restart.c, container_admin.c). */
	bool manual_stop;	   /* HasBeenManuallyStopped: persisted */
	bool paused;		   /* frozen: persisted as State.Paused */
	bool oom_killed;	   /* the kernel's OOM killer struck during the last run */
	bool remove_volumes;	   /* a pending rm -f asked for -v */
	uv_timer_t *restart_timer; /* an automatic restart is pending */
	uint64_t restart_delay_ms; /* the back-off, in memory only */
	/* A hash of the hostconfig.json last written (0: none yet): most saves
	 * change only the state, and each file written costs two fsyncs. */
	uint64_t saved_host_config;
};

/* --- service lifecycle (containers.c) --- */

/* The IDs of the containers on disk, NULL-terminated (free with
 * containers_keep_ids_free), for images_init to keep their storage. */
int containers_keep_ids(const char *data_root, char ***ret);
/* The top layers containers pin (their LayerChainID), NULL-terminated,
 * one entry per container (free with containers_keep_ids_free). */
int containers_layer_pins(const char *data_root, char ***ret);
void containers_keep_ids_free(char **ids);

/* What the daemon gives the container engine: borrowed, it outlives the
 * service. */
struct engine_deps {
	uv_loop_t *loop;
	struct logger *log;
	struct event_log *events;
	struct image_service *images;
	struct volume_store *volumes;
	const char *data_root, *exec_root;
	/* --add-runtime's "name=path" entries; --default-runtime (NULL: runc) */
	char *const *runtimes;
	size_t n_runtimes;
	const char *default_runtime;
	json_t *log_config;   /* the default LogConfig (--log-driver, --log-opt) */
	const char *hostname; /* the host's: containers on the host network get it */
	int64_t mem_total;    /* the host's memory, the limit stats show without one */
};
/* Makes the service: its directories, the runtimes, nothing loaded yet (the
 * network service is made next and finds containers through it). *ret is
 * set even on failure, for containers_done. */
int containers_new(struct containers **ret, const struct engine_deps *deps, struct error *err);
/* Loads the containers, re-attaches to running ones, records exits that
 * happened while berthd was down. After images_init, the volume store and
 * network_init (networks is the network service, borrowed). */
int containers_init(struct containers *cs, struct networks *networks, struct error *err);
/* Drops the connections to the shims (containers keep running). */
void containers_stop(struct containers *cs);
void containers_done(struct containers *cs);

/* --- lookup (container_store.c) --- */

/* Full ID, name (with or without '/'), or unique ID prefix. -ENOENT "No such
 * container: ref". */
int containers_lookup(struct containers *cs, const char *ref, struct container **ret,
		      struct error *err);
size_t containers_count(struct containers *cs);
struct container *containers_at(struct containers *cs, size_t i);
/* What networking sees of c (pointers into c), in *ret; returns ret. */
struct net_container *container_net(const struct container *c, struct net_container *ret);
/* The network service's container source (data: the struct containers). */
int containers_net_lookup(void *data, const char *ref, struct net_container *ret,
			  struct error *err);
bool containers_net_at(void *data, size_t i, struct net_container *ret);
/* Persists c's config and state (atomically). */
int container_save(struct containers *cs, struct container *c, struct error *err);
/* <data-root>/containers/<id>/<file> (file may be NULL); caller frees. */
char *container_path(struct containers *cs, const struct container *c, const char *file);
const char *container_state_name(enum container_state s);
/* Container events: image and name attributes, labels, then extra
 * (stolen, may be NULL). */
void container_event(struct containers *cs, struct container *c, const char *action, json_t *extra);

/* --- operations --- */

/* POST /containers/create: body is Config with HostConfig inside. */
int container_create(struct containers *cs, const char *name, json_t *body, struct container **ret,
		     json_t *warnings, struct error *err);
void container_start(struct containers *cs, struct container *c, container_done_fn done,
		     void *userdata);
/* timeout_s < 0: the container's StopTimeout (default 10); signal NULL:
 * its StopSignal (default SIGTERM). */
void container_stop(struct containers *cs, struct container *c, int timeout_s, const char *signal,
		    container_done_fn done, void *userdata);
/* Sends signal (default SIGKILL). done gets a bad signal or a stopped
 * container as an error; after a SIGKILL it is called only once the
 * container stopped (or after a deadline), as dockerd answers. */
void container_kill(struct containers *cs, struct container *c, const char *signal,
		    container_done_fn done, void *userdata);
void container_remove(struct containers *cs, struct container *c, bool force, bool volumes,
		      container_done_fn done, void *userdata);
void container_wait(struct container *c, struct container_waiter *w);
void container_wait_cancel(struct container *c, struct container_waiter *w);
void container_subscribe(struct container *c, struct container_sub *sub);
void container_unsubscribe(struct container *c, struct container_sub *sub);
void container_stdin(struct container *c, const char *data, size_t len);
void container_stdin_close(struct container *c);
/* Resizes a tty container's terminal to h rows and w columns (the query
 * strings of /resize); -EINVAL for a bad size, -EBUSY when not running. */
int container_resize(struct container *c, const char *h, const char *w, struct error *err);
/* docker update: body has HostConfig's resource fields and RestartPolicy.
 * Returns 0 when done at once (stopped container, policy only), 1 when the
 * runtime is applying the limits (done is called later with the outcome),
 * or a negative code with err set (Docker's 400 messages). What the kernel
 * cannot limit is dropped with dockerd's words appended to warnings (may be
 * NULL) before it returns. */
typedef void (*container_update_fn)(struct containers *cs, int r, const struct error *err,
				    void *userdata);
int container_update(struct containers *cs, struct container *c, json_t *body, json_t *warnings,
		     container_update_fn done, void *userdata, struct error *err);
/* HostConfig.LogConfig (json-file, local, syslog or none): rotation at
 * max_size bytes (0: never) keeping max_file files (of syslog's cache).
 * -EINVAL with Docker's messages. */
int container_log_opts(json_t *hc, uint64_t *max_size, unsigned *max_file, struct error *err);
/* dockerd's mergeAndVerifyLogConfig on a create body: an empty Type is the
 * daemon's (defaults: NULL for json-file), whose options fill in those
 * not given for the same driver, and whose cache-* options any driver's.
 * Wrong types are left for the checks; -ENOMEM. */
int container_log_config_merge(json_t *defaults, json_t *body);
/* Dual logging (dockerd's cache-* options): drivers that cannot be read
 * keep a local copy for docker logs, the local driver's way (20m, 5 files);
 * *cached false with cache-disabled. */
bool container_log_cache_key(const char *key);
/* dockerd's ExtraAttributes: the labels and env variables cfg's labels,
 * labels-regex, env and env-regex name, added to out with prefix. */
int container_log_attrs(const struct container *c, json_t *cfg, const char *prefix, json_t *out,
			struct error *err);
/* What `docker logs --details` puts before each line: json-file's
 * attributes (those above and a tag asked for) as "k=v,..." sorted and
 * query-escaped, as dockerd; "" for none. The caller frees *ret. */
int container_log_details(const struct container *c, char **ret, struct error *err);
/* Options every driver takes (dockerd's built-in ones): mode,
 * max-buffer-size and the cache's. */
bool container_log_builtin_key(const char *key);
int container_log_cache_opts(json_t *cfg, uint64_t *max_size, unsigned *max_file, bool *cached,
			     struct error *err);
/* The shim's arguments for a driver it sends with (syslog, gelf), NULL-ended
 * (NULL for the others); free with container_log_args_freep. A failure
 * reads "failed to initialize logging driver: ...", as dockerd's. */
int container_log_shim_args(const struct container *c, char ***ret, struct error *err);
void container_log_args_freep(char ***v);
/* --log-opt tag as dockerd renders it ({{.ID}} when empty: the short ID;
 * {{.Name}}, {{.ImageName}} ...); the caller frees *ret. */
int container_log_tag(const struct container *c, const char *tmpl, char **ret, struct error *err);
/* What a reader of the json-file log wants: streams, a time window
 * (0: open), and the last tail entries only (-1: all). */
struct container_log_query {
	bool out, err;
	int64_t since_ns, until_ns;
	long tail;
};
struct container_log_entry {
	int stream; /* 1 stdout, 2 stderr */
	int64_t t;
	char *data;
	size_t len;
};
struct container_log_entries {
	struct container_log_entry *v;
	size_t n, cap;
};
/* True when q wants an entry of stream at t. */
bool container_log_wanted(const struct container_log_query *q, int stream, int64_t t);
/* Reads c's json-file log (rotated files first, oldest first) into ret (the
 * caller frees it with container_log_entries_free); *ret_off is the shim's
 * offset after the last whole line read, where live output continues. */
int container_log_read(struct containers *cs, struct container *c,
		       const struct container_log_query *q, struct container_log_entries *ret,
		       uint64_t *ret_off);
void container_log_entries_free(struct container_log_entries *es);
/* Whether the log driver keeps (and can read back) the output: not none. */
bool container_log_kept(json_t *hc);
/* One stats sample in dockerd's JSON (without the precpu fields). */
json_t *container_stats_sample(struct containers *cs, struct container *c);
/* Parses the h and w of a resize request. */
int tty_size_parse(const char *h, const char *w, unsigned *rows, unsigned *cols, struct error *err);
/* "TERM", "SIGTERM", "15" -> 15; -EINVAL "Invalid signal: x". */
int container_parse_signal(const char *s, int *ret, struct error *err);

/* --- JSON (container_json.c) --- */

json_t *container_inspect_json(struct containers *cs, struct container *c, bool size);
/* One entry of GET /containers/json (with SizeRw/SizeRootFs when size),
 * written to b as JSON text without building a tree; -ENOMEM. */
int container_list_entry_write(struct containers *cs, struct container *c, bool size,
			       struct buf *b);
/* The same entry as a tree (system df). */
json_t *container_list_entry(struct containers *cs, struct container *c, bool size);

/* GET /containers/{id}/changes: [{"Path","Kind"}] with Kind 0 modified,
 * 1 added, 2 deleted, computed on the thread pool and written to out, which
 * it ends (shared/byte_sink.h). */
struct byte_sink;
void container_changes(struct containers *cs, struct byte_sink *out, struct container *c);
/* The containers GET /containers/json lists, newest first, in *ret (an
 * array of *ret_n, the caller frees the array, not the containers; valid
 * until the loop runs again). -EINVAL for bad filters. */
int containers_list_select(struct containers *cs, bool all, int limit, const struct filters *f,
			   struct container ***ret, size_t *ret_n, struct error *err);
/* Go's units.HumanDuration for "Up 3 minutes". */
void container_human_duration(int64_t ns, char *buf, size_t len);

/* --- internal, shared by the engine's container files --- */

int containers_add(struct containers *cs, struct container *c);
/* Takes c out of the store (its name is free again) without freeing it. */
void containers_forget(struct containers *cs, struct container *c);
struct container *containers_find_name(struct containers *cs, const char *name);
void container_free(struct container *c);
/* Paths of the runtime pieces. */
char *container_socket_path(struct containers *cs, const struct container *c);
char *container_bundle_path(struct containers *cs, const struct container *c, const char *file);

/* container_run.c: the shim link. */
void container_link_connect(struct containers *cs, struct container *c, bool adopting);
void container_link_close(struct container *c);
/* Closes every handle the container holds (shutdown). */
void container_runtime_close(struct container *c);
void container_link_send(struct container *c, char type, const void *p, size_t n);
/* Handles the end of a run: state, events, waiters, unmounts, auto-remove. */
void container_exited(struct containers *cs, struct container *c, int exit_code,
		      int64_t finished_ns, bool oom_killed);
/* Undo of the mounts a run took. */
void container_unmount(struct containers *cs, struct container *c);
int container_mount(struct containers *cs, struct container *c, char **ret_rootfs,
		    struct error *err);
void container_release_volumes(struct containers *cs, const char *id, json_t *mounts,
			       bool remove_anonymous);
/* A start that failed: dockerd's exit code 127/126/128 and error, attached
 * clients released, auto-remove honoured. */
void container_start_failed(struct containers *cs, struct container *c, const struct error *err);
void container_ops_finish(struct container_op **list, int r, const struct error *err);
/* After a start finished: honours an rm -f that arrived meanwhile. */
void container_start_settled(struct containers *cs, struct container *c);

/* --- restart policies (container_restart.c) --- */

/* dockerd's validateRestartPolicy: -EINVAL "invalid restart policy 'x'". */
int container_restart_policy_validate(json_t *host_config, struct error *err);
/* A start asked for by a user: forgets the manual stop, the restart count
 * and any pending restart, then starts. */
void container_start_manual(struct containers *cs, struct container *c, container_done_fn done,
			    void *userdata);
/* The end of container_exited: schedules a restart when the policy says
 * so, with Docker's back-off. */
void container_restart_after_exit(struct containers *cs, struct container *c);
/* A stop or kill by a user: no restart follows. True when a pending
 * restart was cancelled. */
bool container_mark_stopped(struct containers *cs, struct container *c);
void container_restart_cancel(struct container *c);
/* At daemon start: containers whose policy wants them running again, but
 * those whose start asks the swarm for attachments. */
void containers_restart_on_boot(struct containers *cs);
/* Those, once the swarm answers (the first time only), as dockerd starts
 * them once the cluster is up. */
void containers_restart_attached(struct containers *cs);
/* "paused", "restarting" or the state's name. */
const char *container_status(const struct container *c);

/* --- pause, rename (container_admin.c) --- */

int container_pause(struct containers *cs, struct container *c, struct error *err);
int container_unpause(struct containers *cs, struct container *c, struct error *err);
/* Thaws a paused container before a signal (stop, kill, rm -f). */
void container_thaw(struct containers *cs, struct container *c);
/* Name syntax and uniqueness, dockerd's messages (container_create.c). */
int container_validate_name(struct containers *cs, const char *name, struct error *err);
int container_rename(struct containers *cs, struct container *c, const char *name,
		     struct error *err);

/* --- prune (container_prune.c) --- */

/* report: {"ContainersDeleted": [...] or null, "SpaceReclaimed": n}. */
typedef void (*containers_prune_fn)(int r, const struct error *err, json_t *report, void *userdata);
/* Filters until, label, label!; -EINVAL for others. */
void containers_prune(struct containers *cs, const struct filters *f, containers_prune_fn done,
		      void *userdata);

/* --- top (container_top.c) --- */

/* result: {"Titles": [...], "Processes": [[...]]}, owned by the callee. */
typedef void (*container_top_fn)(int r, const struct error *err, json_t *result, void *userdata);
/* `ps ps_args` (default -ef) rows of the container's processes. */
void container_top(struct containers *cs, struct container *c, const char *ps_args,
		   container_top_fn done, void *userdata);
