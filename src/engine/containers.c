/* The container service: paths and runtime settings, loading
 * at start (re-attaching to the shims of running containers), and the
 * image-usage hook that makes `rmi` refuse images containers use. */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/log.h"
#include "engine/container.h"
#include "engine/health.h"
#include "engine/containers_priv.h"
#include "engine/exec.h"
#include "image/image_store.h"
#include "image/layer_store.h"
#include "volume/volume_store.h"
#include "image/images.h"

char *container_socket_path(struct containers *cs, const struct container *c)
{
	/* Short (sun_path holds 108 bytes): 16 hex digits are unique enough
	 * among one daemon's containers. */
	char *p = NULL;
	return asprintf(&p, "%s/shims/%.16s.sock", cs->exec_root, c->id) < 0 ? NULL : p;
}

char *container_bundle_path(struct containers *cs, const struct container *c, const char *file)
{
	char *p = NULL;
	int n = file ? asprintf(&p, "%s/containers/%s/%s", cs->exec_root, c->id, file)
		     : asprintf(&p, "%s/containers/%s", cs->exec_root, c->id);
	return n < 0 ? NULL : p;
}

/* An executable: $BERTH_SHIM, beside berthd's own binary, then $PATH, else
 * fallback (NULL: none). */
static char *find_program(const char *env, const char *name, const char *fallback)
{
	const char *e = getenv(env);
	if (e && *e)
		return strdup(e);
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *p = NULL;
	if (n > 0) {
		self[n] = '\0';
		if (asprintf(&p, "%s/%s", dirname(self), name) >= 0 && access(p, X_OK) == 0)
			return p;
		free(p);
	}
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/usr/sbin");
	char *save = NULL;
	for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir;
	     dir = strtok_r(NULL, ":", &save)) {
		p = NULL;
		if (asprintf(&p, "%s/%s", dir, name) >= 0 && access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return fallback ? strdup(fallback) : NULL;
}

static bool image_used(const char *image_id, char *running_id, char *stopped_id, void *userdata)
{
	struct containers *cs = userdata;
	bool used = false;
	for (size_t i = 0; i < cs->n; i++) {
		struct container *c = cs->v[i];
		if (strcmp(c->image_id, image_id) != 0)
			continue;
		char *dst = c->state == CONTAINER_RUNNING ? running_id : stopped_id;
		if (dst && !dst[0])
			snprintf(dst, 65, "%s", c->id);
		used = true;
	}
	return used;
}

/* CapBnd of /proc/self/status: what berthd can hand to a container. */
static uint64_t own_cap_bounding(void)
{
	_cleanup_free_ char *text = NULL;
	if (fs_read_file("/proc/self/status", 1 << 16, &text, NULL) < 0)
		return 0;
	const char *p = strstr(text, "\nCapBnd:");
	return p ? strtoull(p + 8, NULL, 16) : 0;
}

const struct runtime *containers_runtime_named(struct containers *cs, const char *name)
{
	for (size_t i = 0; name && i < cs->n_runtimes; i++)
		if (!strcmp(cs->runtimes[i].name, name))
			return &cs->runtimes[i];
	return NULL;
}

const struct runtime *container_runtime(struct containers *cs, const struct container *c)
{
	const char *name = json_string_value(json_object_get(c->host_config, "Runtime"));
	const struct runtime *rt =
	    containers_runtime_named(cs, name && *name ? name : cs->default_runtime);
	return rt ? rt : &cs->runtimes[0];
}

static int add_runtime(struct containers *cs, const char *name, size_t name_len, const char *path,
		       struct error *err)
{
	struct runtime *v = realloc(cs->runtimes, (cs->n_runtimes + 1) * sizeof(*v));
	if (!v)
		return error_set(err, -ENOMEM, "out of memory");
	cs->runtimes = v;
	struct runtime *rt = &v[cs->n_runtimes];
	*rt = (struct runtime){.name = strndup(name, name_len), .path = strdup(path)};
	int r = cs->n_runtimes == 0 ? asprintf(&rt->root, "%s/runc", cs->exec_root)
				    : asprintf(&rt->root, "%s/runtime-%s", cs->exec_root, rt->name);
	cs->n_runtimes++;
	if (r < 0 || !rt->name || !rt->path)
		return error_set(err, -ENOMEM, "out of memory");
	return fs_mkdir_p(rt->root, 0700, err);
}

static int make_runtimes(struct containers *cs, struct error *err)
{
	int r = add_runtime(cs, "runc", 4, cs->runtime_path, err);
	for (size_t i = 0; r == 0 && i < cs->deps.n_runtimes; i++) {
		const char *e = cs->deps.runtimes[i], *eq = strchr(e, '=');
		r = add_runtime(cs, e, (size_t)(eq - e), eq + 1, err);
	}
	cs->default_runtime = cs->deps.default_runtime ? cs->deps.default_runtime : "runc";
	return r;
}

/* Bundles a removal renamed and did not finish deleting (kill -9). */
static void remove_half_removed_bundles(const char *bundles)
{
	DIR *dir = opendir(bundles);
	struct dirent *de;
	while (dir && (de = readdir(dir))) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] != '.' || n < 10 || strcmp(de->d_name + n - 9, ".removing") != 0)
			continue;
		_cleanup_free_ char *p = NULL;
		if (asprintf(&p, "%s/%s", bundles, de->d_name) >= 0)
			image_rm_rf(p);
	}
	if (dir)
		closedir(dir);
}

int containers_new(struct containers **ret, const struct engine_deps *deps, struct error *err)
{
	struct containers *cs = calloc(1, sizeof(*cs));
	*ret = cs;
	if (!cs)
		return error_set(err, -ENOMEM, "out of memory");
	cs->deps = *deps;
	if (asprintf(&cs->root, "%s/containers", deps->data_root) < 0 ||
	    asprintf(&cs->exec_root, "%s", deps->exec_root) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	cs->shim_path = find_program("BERTH_SHIM", "berth-shim", "berth-shim");
	cs->runtime_path = find_program("BERTH_RUNTIME", "runc", "/usr/sbin/runc");
	cs->init_path = find_program("BERTH_INIT", "berth-init", NULL);
	cs->cap_bounding = own_cap_bounding();
	cs->swap_limit = access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0;
	cgroup_support_probe(&cs->cgroups);
	_cleanup_free_ char *shims = NULL, *bundles = NULL;
	if (!cs->shim_path || !cs->runtime_path ||
	    asprintf(&shims, "%s/shims", cs->exec_root) < 0 ||
	    asprintf(&bundles, "%s/containers", cs->exec_root) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	int r = fs_mkdir_p(cs->root, 0710, err);
	if (r == 0)
		r = fs_mkdir_p(shims, 0700, err);
	if (r == 0)
		r = fs_mkdir_p(bundles, 0700, err);
	if (r == 0)
		remove_half_removed_bundles(bundles);
	if (r == 0)
		r = make_runtimes(cs, err);
	return r;
}

/* Volume references are kept in memory only: rebuilt for every container. */
static void ref_volumes(struct containers *cs, struct container *c)
{
	size_t i;
	json_t *m;
	json_array_foreach(c->mounts, i, m) {
		const char *name = json_string_value(json_object_get(m, "Name"));
		struct error err = ERROR_INIT;
		if (name && volume_ref(cs->deps.volumes, name, c->id, &err) < 0)
			log_warn(cs->deps.log, "container %s: %s", c->id, error_msg(&err));
		error_clear(&err);
	}
}

int containers_init(struct containers *cs, struct networks *networks, struct error *err)
{
	cs->networks = networks;
	int r = containers_load(cs, err);
	if (r < 0)
		return r;
	image_store_set_usage(cs->deps.images->store, image_used, cs);
	for (size_t i = 0; i < cs->n; i++) {
		struct container *c = cs->v[i];
		ref_volumes(cs, c);
		_cleanup_free_ char *sock = container_socket_path(cs, c);
		/* A shim socket means a shim may still run this container. */
		if (c->state == CONTAINER_RUNNING || (sock && access(sock, F_OK) == 0)) {
			c->adopting = c->state != CONTAINER_RUNNING;
			container_link_connect(cs, c, true);
		}
	}
	execs_restore(cs);
	containers_restart_on_boot(cs);
	log_info(cs->deps.log, "loaded %zu containers", cs->n);
	return 0;
}

void containers_stop(struct containers *cs)
{
	if (!cs)
		return;
	execs_stop(cs);
	for (size_t i = 0; i < cs->n; i++)
		container_runtime_close(cs->v[i]);
}

void containers_done(struct containers *cs)
{
	if (!cs)
		return;
	execs_free(cs);
	health_subs_free(cs);
	if (cs->deps.images->store)
		image_store_set_usage(cs->deps.images->store, NULL, NULL);
	for (size_t i = 0; i < cs->n; i++)
		container_free(cs->v[i]);
	free(cs->v);
	free(cs->root);
	free(cs->exec_root);
	free(cs->shim_path);
	free(cs->runtime_path);
	free(cs->init_path);
	for (size_t i = 0; i < cs->n_runtimes; i++) {
		free(cs->runtimes[i].name);
		free(cs->runtimes[i].path);
		free(cs->runtimes[i].root);
	}
	free(cs->runtimes);
	free(cs);
}
