/* Starting a container: mount its root filesystem and volumes, write the
 * /etc files and the OCI bundle, spawn its berth-shim (which runs `runc
 * create` and reports on a sync pipe), connect to the shim and ask it to
 * `runc start`. The reply arrives on the link (container_link.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/log.h"
#include "engine/child.h"
#include "engine/container_links.h"
#include "engine/container.h"
#include "engine/container_devices.h"
#include "engine/containers_priv.h"
#include "engine/oci_spec.h"
#include "engine/start_job.h"
#include "network/network.h"
#include "shared/shim_proto.h"
#include "storage/driver.h"
#include "volume/volume_store.h"
#include "image/images.h"

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int container_mount(struct containers *cs, struct container *c, char **ret_rootfs,
		    struct error *err)
{
	_cleanup_free_ char *rootfs = NULL;
	int r = storage_mount(cs->deps.images->storage, c->id, &rootfs, err);
	if (r < 0)
		return r;
	size_t i;
	json_t *m;
	json_array_foreach(c->mounts, i, m)
	{
		const char *name = str(m, "Name");
		_cleanup_free_ char *path = NULL;
		if (!name)
			continue;
		r = volume_mount(cs->deps.volumes, name, &path, err);
		if (r < 0) {
			/* A volume that cannot be mounted fails the start: a
			 * server error, whatever errno the mount gave. */
			if (r != -ENOMEM)
				r = -EIO;
			if (err)
				err->code = r;
			break;
		}
		json_object_set_new(m, "Source", json_string(path));
	}
	if (r < 0) {
		/* Undo the volumes mounted before the failing one. */
		for (size_t j = 0; j < i; j++) {
			const char *name = str(json_array_get(c->mounts, j), "Name");
			if (name)
				volume_unmount(cs->deps.volumes, name, NULL);
		}
		storage_unmount(cs->deps.images->storage, c->id, NULL);
		return r;
	}
	c->mounted = true;
	if (ret_rootfs)
		*ret_rootfs = TAKE_PTR(rootfs);
	return 0;
}

void container_unmount(struct containers *cs, struct container *c)
{
	if (!c->mounted)
		return;
	c->mounted = false;
	size_t i;
	json_t *m;
	json_array_foreach(c->mounts, i, m)
	{
		const char *name = str(m, "Name");
		if (name)
			volume_unmount(cs->deps.volumes, name, NULL);
	}
	struct error err = ERROR_INIT;
	if (storage_unmount(cs->deps.images->storage, c->id, &err) < 0)
		log_warn(cs->deps.log, "container %s: %s", c->id, error_msg(&err));
	error_clear(&err);
}

/* Plain write: these files are regenerated at every start. */
static int write_file(const char *path, const char *text, struct error *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		return error_set(err, -errno, "write %s: %s", path, strerror(errno));
	return 0;
}

static const char default_hosts[] =
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n";

/* /etc/hostname, /etc/hosts and /etc/resolv.conf for the container: the
 * host's resolv.conf (dockerd's default for none and host networks), the
 * host's hosts file on the host network, a loopback-only one otherwise. */
static int write_etc_files(struct containers *cs, struct container *c, const char *link_hosts,
			   struct error *err)
{
	struct net_container nc;
	_cleanup_free_ char *hn = container_path(cs, c, "hostname");
	_cleanup_free_ char *hosts = container_path(cs, c, "hosts");
	_cleanup_free_ char *resolv = container_path(cs, c, "resolv.conf");
	_cleanup_free_ char *line = NULL, *host_hosts = NULL, *host_resolv = NULL;
	if (!hn || !hosts || !resolv || asprintf(&line, "%s\n", str(c->config, "Hostname")) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	bool host_net = !strcmp(str(c->host_config, "NetworkMode"), "host");
	if (host_net)
		fs_read_file("/etc/hosts", 1 << 20, &host_hosts, NULL);
	host_resolv = network_resolv_conf(cs->networks, container_net(c, &nc));
	if (!host_resolv)
		fs_read_file("/etc/resolv.conf", 1 << 20, &host_resolv, NULL);
	_cleanup_free_ char *extra =
	    host_net ? NULL : network_hosts_lines(cs->networks, container_net(c, &nc));
	_cleanup_free_ char *all_hosts = NULL;
	if (extra &&
	    asprintf(&all_hosts, "%s%s%s", default_hosts, link_hosts ? link_hosts : "", extra) < 0)
		all_hosts = NULL;
	int r = write_file(hn, line, err);
	if (r == 0)
		r = write_file(hosts,
			       host_hosts  ? host_hosts
			       : all_hosts ? all_hosts
					   : default_hosts,
			       err);
	if (r == 0)
		r = write_file(
		    resolv, host_resolv ? host_resolv : "nameserver 8.8.8.8\nnameserver 8.8.4.4\n",
		    err);
	return r;
}

static void fill_mounts(struct container *c, struct oci_mount *out)
{
	size_t i;
	json_t *m;
	json_array_foreach(c->mounts, i, m)
	{
		out[i] = (struct oci_mount){
		    .type = str(m, "Type"),
		    .source = str(m, "Source"),
		    .destination = str(m, "Destination"),
		    .readonly = !json_is_true(json_object_get(m, "RW")),
		    .tmpfs_opts = str(m, "TmpfsOptions"),
		};
	}
}

/* What dockerd's init layer puts below a container's own: /.dockerenv, which
 * programs test to know they run in a container, and /etc/mtab for tools that
 * still read it. Made only where missing and never through the image's
 * symlinks; diff and commit leave them out as they leave out the init layer. */
static int add_init_entries(const char *rootfs, struct error *err)
{
	_cleanup_close_ int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return error_set(err, -errno, "open %s: %s", rootfs, strerror(errno));
	int fd =
	    openat(root, ".dockerenv", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
	if (fd < 0 && errno != EEXIST)
		return error_set(err, -errno, "create /.dockerenv: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	if (mkdirat(root, "etc", 0755) < 0 && errno != EEXIST)
		return error_set(err, -errno, "create /etc: %s", strerror(errno));
	/* An /etc that is a symlink is the image's business: left alone. */
	_cleanup_close_ int etc =
	    openat(root, "etc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (etc >= 0 && symlinkat("/proc/mounts", etc, "mtab") < 0 && errno != EEXIST)
		return error_set(err, -errno, "create /etc/mtab: %s", strerror(errno));
	return 0;
}

/* Fills empty volumes from the image's content at their mount point. */
static void copy_up_volumes(struct containers *cs, struct container *c, const char *rootfs)
{
	size_t i;
	json_t *m;
	json_array_foreach(c->mounts, i, m)
	{
		const char *name = str(m, "Name");
		_cleanup_free_ char *src = NULL;
		if (!name || json_is_true(json_object_get(m, "NoCopy")) ||
		    asprintf(&src, "%s%s", rootfs, str(m, "Destination")) < 0 ||
		    access(src, F_OK) < 0)
			continue;
		struct error err = ERROR_INIT;
		if (volume_copy_up(cs->deps.volumes, name, src, &err) < 0)
			log_warn(cs->deps.log, "copying image content into volume %s: %s", name,
				 error_msg(&err));
		error_clear(&err);
	}
}

static int write_spec(struct containers *cs, struct container *c, const char *rootfs,
		      const char *netns, json_t *link_env, struct error *err)
{
	/* As dockerd without its docker-init. */
	if (json_is_true(json_object_get(c->host_config, "Init")) && !cs->init_path)
		return error_set(err, -ENOENT,
				 "exec: \"berth-init\": executable file not found in $PATH");
	struct oci_user user;
	int r = oci_user_resolve(rootfs, str(c->config, "User"), &user, err);
	if (r == 0)
		r = oci_user_add_groups(rootfs, json_object_get(c->host_config, "GroupAdd"), &user,
					err);
	if (r < 0)
		return r;
	_cleanup_free_ char *hn = container_path(cs, c, "hostname");
	_cleanup_free_ char *hosts = container_path(cs, c, "hosts");
	_cleanup_free_ char *resolv = container_path(cs, c, "resolv.conf");
	_cleanup_free_ char *spec_path = container_bundle_path(cs, c, "config.json");
	_cleanup_free_ struct oci_mount *mounts =
	    calloc(json_array_size(c->mounts) + 1, sizeof(*mounts));
	if (!hn || !hosts || !resolv || !spec_path || !mounts)
		return error_set(err, -ENOMEM, "out of memory");
	json_t *devices = NULL, *blkio = NULL;
	r = container_devices_resolve(c->host_config, &devices, err);
	if (r == 0)
		r = container_blkio_resolve(c->host_config, &blkio, err);
	if (r < 0) {
		json_decref(devices);
		return r;
	}
	fill_mounts(c, mounts);
	struct oci_inputs in = {
	    .id = c->id,
	    .config = c->config,
	    .host_config = c->host_config,
	    .rootfs = rootfs,
	    .hostname_path = hn,
	    .hosts_path = hosts,
	    .resolv_path = resolv,
	    .user = &user,
	    .mounts = mounts,
	    .n_mounts = json_array_size(c->mounts),
	    .swap_limit = cs->swap_limit,
	    .cap_bounding = cs->cap_bounding,
	    .init_path = cs->init_path,
	    .netns_path = netns,
	    .link_env = link_env,
	    .devices = devices,
	    .block_io = blkio,
	};
	json_t *spec = NULL;
	r = oci_spec_build(&in, &spec, err);
	json_decref(devices);
	json_decref(blkio);
	if (r < 0)
		return r;
	_cleanup_free_ char *text = json_dumps(spec, JSON_INDENT(1));
	json_decref(spec);
	return text ? write_file(spec_path, text, err) : error_set(err, -ENOMEM, "out of memory");
}

/* Everything on disk the shim needs; the mounts stay taken on success. */
static int prepare(struct containers *cs, struct container *c, struct error *err)
{
	struct net_container nc;
	_cleanup_free_ char *bundle = container_bundle_path(cs, c, NULL);
	_cleanup_free_ char *exitf = container_path(cs, c, "exit.json");
	_cleanup_free_ char *rootfs = NULL, *netns = NULL;
	if (!bundle || !exitf)
		return error_set(err, -ENOMEM, "out of memory");
	unlink(exitf);
	int r = fs_mkdir_p(bundle, 0700, err);
	if (r == 0)
		r = container_mount(cs, c, &rootfs, err);
	if (r == 0)
		r = add_init_entries(rootfs, err);
	if (r < 0) {
		if (c->mounted)
			container_unmount(cs, c);
		return r;
	}
	copy_up_volumes(cs, c, rootfs);
	json_t *link_env = NULL;
	_cleanup_free_ char *link_hosts = NULL;
	r = container_links_collect(cs, c, &link_env, &link_hosts, err);
	if (r == 0)
		r = network_container_up(cs->networks, container_net(c, &nc), &netns, err);
	if (r == 0)
		r = write_etc_files(cs, c, link_hosts, err);
	if (r == 0)
		r = write_spec(cs, c, rootfs, netns, link_env, err);
	json_decref(link_env);
	if (r < 0) {
		network_container_down(cs->networks, container_net(c, &nc));
		container_unmount(cs, c);
	}
	return r;
}

/* ---- the start job ---- */

static void job_free_if_done(struct start_job *job)
{
	if (job->open_handles == 0 && job->finished)
		free(job);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct start_job *job = h->data;
	job->open_handles--;
	job_free_if_done(job);
}

void start_job_finish(struct start_job *job, int r, const struct error *err)
{
	if (job->finished)
		return;
	job->finished = true;
	struct container *c = job->c;
	if (c)
		c->starting = NULL;
	if (job->done)
		job->done(r, err, job->userdata);
	if (c && r < 0 && r != -ECANCELED)
		container_start_failed(job->cs, c, err);
	if (c && r != -ECANCELED)
		container_start_settled(job->cs, c);
	job_free_if_done(job);
}

static void fail(struct start_job *job, int code, const char *fmt, const char *msg)
{
	struct error err = ERROR_INIT;
	error_set(&err, code, fmt, msg);
	start_job_finish(job, code, &err);
	error_clear(&err);
}

static void on_shim_exit(struct child *ch, int64_t status, int sig)
{
	child_close(ch, on_handle_closed);
}

static void sync_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct start_job *job = h->data;
	size_t room = sizeof(job->sync) - 1 - job->sync_len;
	*buf = uv_buf_init(job->sync + job->sync_len, (unsigned)room);
}

/* The shim's verdict on its set-up (the container is made at the start),
 * once it closed the sync pipe. */
static void sync_verdict(struct start_job *job)
{
	job->sync[job->sync_len] = '\0';
	int shim_pid = 0, init_pid = 0;
	if (!job->c) {
		fail(job, -ECANCELED, "%s", "the daemon is shutting down");
	} else if (sscanf(job->sync, "ok %d %d", &shim_pid, &init_pid) == 2) {
		container_link_connect(job->cs, job->c, false);
	} else {
		char *msg = strncmp(job->sync, "error ", 6) == 0 ? job->sync + 6 : job->sync;
		msg[strcspn(msg, "\n")] = '\0';
		if (strncmp(msg, "logging: ", 9) == 0)
			fail(job, -EIO, "failed to initialize logging driver: %s", msg + 9);
		else
			fail(job, -EIO, "OCI runtime create failed: %s: unknown",
			     *msg
				 ? msg
				 : "berth-shim exited without a word (see shim.log in the bundle)");
	}
}

static void on_sync_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct start_job *job = s->data;
	if (n > 0) {
		job->sync_len += (size_t)n;
		if (job->sync_len < sizeof(job->sync) - 1)
			return;
	} else if (n == 0) {
		return;
	}
	uv_read_stop(s);
	uv_close((uv_handle_t *)s, on_handle_closed);
	sync_verdict(job);
}

static int spawn_shim(struct containers *cs, struct container *c, struct start_job *job,
		      struct error *err)
{
	_cleanup_free_ char *bundle = container_bundle_path(cs, c, NULL);
	_cleanup_free_ char *dir = container_path(cs, c, NULL);
	_cleanup_free_ char *sock = container_socket_path(cs, c);
	_cleanup_free_ char *logp = container_bundle_path(cs, c, "shim.log");
	if (!bundle || !dir || !sock || !logp)
		return error_set(err, -ENOMEM, "out of memory");
	_cleanup_close_ int logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	const struct runtime *rt = container_runtime(cs, c);
	bool in = json_is_true(json_object_get(c->config, "OpenStdin"));
	bool once = json_is_true(json_object_get(c->config, "StdinOnce"));
	char *args[40] = {cs->shim_path, "--id",     c->id, "--bundle",	 bundle,   "--dir",
			  dir,		 "--socket", sock,  "--runtime", rt->path, "--runtime-root",
			  rt->root};
	size_t n = 13;
	if (in)
		args[n++] = "--stdin";
	if (once)
		args[n++] = "--stdin-once";
	if (json_is_true(json_object_get(c->config, "Tty")))
		args[n++] = "--tty";
	uint64_t log_size = 0;
	unsigned log_files = 1;
	char size_arg[32], files_arg[16];
	container_log_opts(c->host_config, &log_size, &log_files, NULL);
	if (!container_log_kept(c->host_config))
		args[n++] = "--no-log";
	if (log_size) {
		snprintf(size_arg, sizeof(size_arg), "%llu", (unsigned long long)log_size);
		snprintf(files_arg, sizeof(files_arg), "%u", log_files);
		args[n++] = "--log-max-size";
		args[n++] = size_arg;
		args[n++] = "--log-max-file";
		args[n++] = files_arg;
	}
	_cleanup_(container_log_args_freep) char **log_args = NULL;
	int r = container_log_shim_args(c, &log_args, err);
	if (r < 0)
		return r;
	for (size_t i = 0; log_args && log_args[i]; i++)
		args[n++] = log_args[i];
	/* The shim reports on its stdout, then closes it. */
	int sync[2];
	if (pipe2(sync, O_CLOEXEC) < 0)
		return error_set(err, -errno, "cannot make a pipe: %s", strerror(errno));
	_cleanup_close_ int sync_w = sync[1];
	uv_pipe_init(cs->deps.loop, &job->sync_pipe, 0);
	job->sync_pipe.data = job;
	job->open_handles++;
	r = uv_pipe_open(&job->sync_pipe, sync[0]);
	if (r < 0) {
		close(sync[0]);
		uv_close((uv_handle_t *)&job->sync_pipe, on_handle_closed);
		return error_set(err, r, "cannot watch a pipe: %s", uv_strerror(r));
	}
	/* Detached: its own session, out of berthd's process group. */
	int fds[3] = {-1, sync_w, logfd};
	struct child_options o = {
	    .file = cs->shim_path, .args = args, .fds = fds, .n_fds = 3, .new_session = true};
	r = child_spawn(cs->deps.loop, &job->shim, &o, on_shim_exit, job);
	if (r < 0) {
		uv_close((uv_handle_t *)&job->sync_pipe, on_handle_closed);
		return error_set(err, r, "cannot run %s: %s", cs->shim_path, strerror(-r));
	}
	job->open_handles++;
	uv_read_start((uv_stream_t *)&job->sync_pipe, sync_alloc, on_sync_read);
	return 0;
}

/* The start once the container has its swarm attachments: files, mounts,
 * network, then the shim. */
static void start_run(struct start_job *job)
{
	struct containers *cs = job->cs;
	struct container *c = job->c;
	struct net_container nc;
	struct error err = ERROR_INIT;
	int r = prepare(cs, c, &err);
	if (r == 0) {
		r = spawn_shim(cs, c, job, &err);
		if (r < 0) {
			network_container_down(cs->networks, container_net(c, &nc));
			container_unmount(cs, c);
		}
	}
	/* As a failed `runc create`: attached clients and waiters learn of
	 * it, and --rm removes the container. */
	if (r < 0)
		start_job_finish(job, r, &err);
	error_clear(&err);
}

/* The swarm's answer for the attachments that went back at the last stop
 * (network_container_attach). */
static void attachments_back(int r, const struct error *err, void *userdata)
{
	struct start_job *job = userdata;
	job->open_handles--;
	if (job->finished) /* cancelled meanwhile: the daemon is shutting down */
		job_free_if_done(job);
	else if (r < 0)
		start_job_finish(job, r, err);
	else
		start_run(job);
}

void container_start(struct containers *cs, struct container *c, container_done_fn done,
		     void *userdata)
{
	struct net_container nc;
	struct error err = ERROR_INIT;
	if (c->state == CONTAINER_RUNNING || c->starting) {
		done(1, NULL, userdata);
		return;
	}
	if (c->removing) {
		error_set(&err, -EBUSY, "container is marked for removal and cannot be started");
		done(err.code, &err, userdata);
		error_clear(&err);
		return;
	}
	struct start_job *job = calloc(1, sizeof(*job));
	if (!job) {
		error_set(&err, -ENOMEM, "out of memory");
		done(err.code, &err, userdata);
		container_start_failed(cs, c, &err);
		container_start_settled(cs, c);
		error_clear(&err);
		return;
	}
	*job = (struct start_job){.cs = cs, .c = c, .done = done, .userdata = userdata};
	c->starting = job;
	/* As dockerd, a container gives its swarm attachments back when it
	 * stops and asks for them again here (an RPC to the leader); the
	 * pending answer holds the job like a handle. */
	if (network_container_detached(cs->networks, container_net(c, &nc))) {
		job->open_handles++;
		network_container_attach(cs->networks, &nc, attachments_back, job);
		return;
	}
	start_run(job);
}

/* Shutdown: the start is abandoned (the shim removes a container nobody
 * starts) and the job's handles are closed. */
void start_job_cancel(struct start_job *job)
{
	struct error err = ERROR_INIT;
	error_set(&err, -ECANCELED, "the daemon is shutting down");
	if (job->c)
		job->c->starting = NULL;
	job->c = NULL;
	uv_handle_t *pipe = (uv_handle_t *)&job->sync_pipe;
	if (pipe->loop && !uv_is_closing(pipe))
		uv_close(pipe, on_handle_closed);
	if (child_is_active(&job->shim))
		child_close(&job->shim, on_handle_closed);
	start_job_finish(job, -ECANCELED, &err);
	error_clear(&err);
}
