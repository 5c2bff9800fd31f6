/* docker update: new resource limits and restart policy for a container.
 * The HostConfig is changed and saved; a running container gets the new
 * limits through `runc update`, and only once the runtime has taken them
 * does the change become the container's (a refused update changes
 * nothing). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "engine/child.h"
#include "engine/container.h"
#include "engine/container_devices.h"
#include "engine/container_validate.h"
#include "engine/containers_priv.h"
#include "engine/oci_spec.h"

static const char *const resource_keys[] = {
    "Memory",	"MemorySwap", "MemoryReservation", "NanoCpus",	 "CpuShares",	"CpuPeriod",
    "CpuQuota", "PidsLimit",  "CpusetCpus",	   "CpusetMems", "BlkioWeight",
};

struct update_job {
	struct containers *cs;
	char id[DIGEST_HEX_LEN + 1];
	json_t *host_config; /* the new one */
	container_update_fn done;
	void *userdata;
	struct child proc;
	char *resources_path, *log_path;
};

static json_int_t hc_int(json_t *hc, const char *key)
{
	return json_integer_value(json_object_get(hc, key));
}

/* dockerd's checks, against the merged HostConfig. */
static int validate(json_t *old, json_t *body, json_t *hc, struct error *err)
{
	json_int_t mem = hc_int(hc, "Memory"), swap = hc_int(hc, "MemorySwap");
	if (hc_int(body, "Memory") > 0 && mem < 6 * 1024 * 1024)
		return error_set(err, -EINVAL, "Minimum memory limit allowed is 6MB");
	if (mem > 0 && swap > 0 && mem > swap) {
		if (hc_int(body, "MemorySwap") == 0)
			return error_set(
			    err, -EINVAL,
			    "Memory limit should be smaller than already set memoryswap limit, "
			    "update the memoryswap at the same time");
		return error_set(
		    err, -EINVAL,
		    "Minimum memoryswap limit should be larger than memory limit, see usage");
	}
	if (swap > 0 && mem <= 0)
		return error_set(
		    err, -EINVAL,
		    "You should always set the Memory limit when using Memoryswap limit");
	if (hc_int(hc, "NanoCpus") > 0 &&
	    (hc_int(hc, "CpuPeriod") > 0 || hc_int(hc, "CpuQuota") > 0))
		return error_set(
		    err, -EINVAL,
		    "Conflicting options: Nano CPUs and CPU Period cannot both be set");
	const char *rp =
	    json_string_value(json_object_get(json_object_get(body, "RestartPolicy"), "Name"));
	if (rp && *rp && strcmp(rp, "no") && json_is_true(json_object_get(old, "AutoRemove")))
		return error_set(err, -EINVAL,
				 "Restart policy cannot be updated because AutoRemove is enabled "
				 "for the container");
	int r = container_validate_resources(hc, true, err);
	return r == 0 ? container_restart_policy_validate(hc, err) : r;
}

static void job_free(struct update_job *j)
{
	if (j->resources_path)
		unlink(j->resources_path);
	if (j->log_path)
		unlink(j->log_path);
	free(j->resources_path);
	free(j->log_path);
	json_decref(j->host_config);
	free(j);
}

/* The new HostConfig becomes the container's. */
static int commit(struct containers *cs, struct container *c, json_t *hc, struct error *err)
{
	json_t *old = c->host_config;
	c->host_config = json_incref(hc);
	int r = container_save(cs, c, err);
	if (r < 0) {
		json_decref(c->host_config);
		c->host_config = old;
		return r;
	}
	json_decref(old);
	container_event(cs, c, "update", NULL);
	return 0;
}

/* runc's message from its json log: {"level":"error","msg":"..."}. */
static void runtime_message(const char *log_path, struct error *err, const char *id)
{
	_cleanup_free_ char *text = NULL;
	const char *msg = NULL;
	json_t *j = NULL;
	if (fs_read_file(log_path, 1 << 20, &text, NULL) == 0) {
		char *hit = NULL;
		for (char *p = text; (p = strstr(p, "\"level\":\"error\"")); p++)
			hit = p;
		while (hit && hit > text && hit[-1] != '\n')
			hit--;
		char *nl = hit ? strchr(hit, '\n') : NULL;
		if (nl)
			*nl = '\0';
		j = hit ? json_loads(hit, 0, NULL) : NULL;
		msg = json_string_value(json_object_get(j, "msg"));
	}
	error_set(err, -EINVAL, "Cannot update container %s: %s", id,
		  msg ? msg : "the runtime refused the new resources");
	json_decref(j);
}

static void on_job_closed(uv_handle_t *h)
{
	job_free(h->data);
}

static void on_runtime_exit(struct child *p, int64_t status, int sig)
{
	struct update_job *j = p->poll.data;
	struct error err = ERROR_INIT;
	struct container *c = NULL;
	int r = containers_lookup(j->cs, j->id, &c, &err);
	if (r == 0 && (status != 0 || sig)) {
		runtime_message(j->log_path, &err, j->id);
		r = err.code;
	}
	if (r == 0)
		r = commit(j->cs, c, j->host_config, &err);
	j->done(j->cs, r, &err, j->userdata);
	error_clear(&err);
	child_close(p, on_job_closed);
}

static int run_runtime(struct containers *cs, struct container *c, struct update_job *j,
		       struct error *err)
{
	_cleanup_free_ char *text = NULL;
	json_t *blkio = NULL;
	int r = container_blkio_resolve(j->host_config, &blkio, err);
	if (r < 0)
		return r;
	json_t *res = oci_resources(j->host_config, cs->swap_limit, blkio);
	json_decref(blkio);
	text = json_dumps(res, JSON_COMPACT);
	json_decref(res);
	j->resources_path = container_bundle_path(cs, c, "update.json");
	j->log_path = container_bundle_path(cs, c, "update.log");
	if (!text || !j->resources_path || !j->log_path)
		return error_set(err, -ENOMEM, "out of memory");
	r = fs_write_atomic(j->resources_path, text, strlen(text), 0600, err);
	if (r < 0)
		return r;
	unlink(j->log_path);
	const struct runtime *rt = container_runtime(cs, c);
	char *args[] = {rt->path,      "--root",	  rt->root, "--log",
			j->log_path,   "--log-format",	  "json",   "update",
			"--resources", j->resources_path, c->id,    NULL};
	int fds[3] = {-1, -1, -1};
	struct child_options o = {.file = rt->path, .args = args, .fds = fds, .n_fds = 3};
	r = child_spawn(cs->deps.loop, &j->proc, &o, on_runtime_exit, j);
	if (r < 0)
		return error_set(err, -EIO, "cannot run %s: %s", rt->path, strerror(-r));
	return 1; /* running: done is called, then the handle's close frees the job */
}

int container_update(struct containers *cs, struct container *c, json_t *body, json_t *warnings,
		     container_update_fn done, void *userdata, struct error *err)
{
	int vr = container_validate_update(body, err);
	if (vr < 0)
		return vr;
	if (c->removing)
		return error_set(err, -EBUSY, "Cannot update container %s: it is being removed",
				 c->id);
	json_t *hc = json_deep_copy(c->host_config);
	bool resources = false;
	for (size_t i = 0; i < sizeof(resource_keys) / sizeof(*resource_keys); i++) {
		json_t *v = json_object_get(body, resource_keys[i]);
		/* Clients send every field; zero means "leave as it is". */
		if (v && !json_is_null(v) && !(json_is_integer(v) && json_integer_value(v) == 0) &&
		    !(json_is_string(v) && !*json_string_value(v))) {
			json_object_set(hc, resource_keys[i], v);
			resources = true;
		}
	}
	json_t *rp = json_object_get(body, "RestartPolicy");
	if (json_is_object(rp) && json_string_value(json_object_get(rp, "Name")) &&
	    *json_string_value(json_object_get(rp, "Name")))
		json_object_set(hc, "RestartPolicy", rp);
	int r = validate(c->host_config, body, hc, err);
	if (r == 0)
		r = cgroup_support_adjust(&cs->cgroups, hc, warnings, err);
	bool live = c->state == CONTAINER_RUNNING && c->link;
	if (r == 0 && !(resources && live)) {
		r = commit(cs, c, hc, err);
		json_decref(hc);
		return r;
	}
	if (r < 0) {
		json_decref(hc);
		return r;
	}
	struct update_job *j = calloc(1, sizeof(*j));
	if (!j) {
		json_decref(hc);
		return error_set(err, -ENOMEM, "out of memory");
	}
	*j = (struct update_job){.cs = cs, .host_config = hc, .done = done, .userdata = userdata};
	memcpy(j->id, c->id, sizeof(j->id));
	r = run_runtime(cs, c, j, err);
	if (r < 0)
		job_free(j);
	return r;
}
