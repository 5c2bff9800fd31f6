/* The container store: one directory per container under
 * <data-root>/containers, config.v2.json (Config, state, mounts) and
 * hostconfig.json, each replaced atomically; names and IDs in memory. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/log.h"
#include "basic/timeutil.h"
#include "engine/container.h"
#include "engine/container_validate.h"
#include "engine/health.h"
#include "engine/containers_priv.h"
#include "shared/events.h"
#include "image/layer_store.h"
#include "network/network.h"
#include "storage/driver.h"
#include "image/images.h"

const char *container_state_name(enum container_state s)
{
	static const char *const names[] = {"created", "running", "exited", "dead"};
	return names[s];
}

static int state_from_name(const char *s)
{
	for (int i = CONTAINER_CREATED; i <= CONTAINER_DEAD; i++)
		if (s && strcmp(s, container_state_name(i)) == 0)
			return i;
	return CONTAINER_DEAD;
}

char *container_path(struct containers *cs, const struct container *c, const char *file)
{
	char *p = NULL;
	int n = file ? asprintf(&p, "%s/%s/%s", cs->root, c->id, file)
		     : asprintf(&p, "%s/%s", cs->root, c->id);
	return n < 0 ? NULL : p;
}

static json_t *time_json(int64_t ns)
{
	char buf[64];
	if (ns <= 0)
		return json_string("0001-01-01T00:00:00Z");
	time_format_rfc3339nano(ns, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *state_json(const struct container *c)
{
	json_t *st =
	    json_pack("{s:s, s:b, s:b, s:b, s:i, s:i, s:s, s:o, s:o}", "Status",
		      container_state_name(c->state), "Running", c->state == CONTAINER_RUNNING,
		      "Paused", c->paused, "OOMKilled", c->oom_killed, "Pid", c->pid, "ExitCode",
		      c->exit_code, "Error", c->error ? c->error : "", "StartedAt",
		      time_json(c->started_ns), "FinishedAt", time_json(c->finished_ns));
	json_t *health = health_state_json(c->health);
	if (st && health)
		json_object_set_new(st, "Health", health);
	return st;
}

/* FNV-1a: tells an unchanged text from a changed one; never 0. */
static uint64_t text_hash(const char *text)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return h ? h : 1;
}

/* Writes j unless its text hashes to *saved (when saved is given), then
 * records the hash of what was written. */
static int write_json(const char *path, json_t *j, uint64_t *saved, struct error *err)
{
	_cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
	if (!text)
		return error_set(err, -ENOMEM, "out of memory");
	uint64_t h = saved ? text_hash(text) : 0;
	if (saved && *saved == h)
		return 0;
	int r = fs_write_atomic(path, text, strlen(text), 0600, err);
	if (r == 0 && saved)
		*saved = h;
	return r;
}

int container_save(struct containers *cs, struct container *c, struct error *err)
{
	_cleanup_free_ char *cfg = container_path(cs, c, "config.v2.json");
	_cleanup_free_ char *hc = container_path(cs, c, "hostconfig.json");
	if (!cfg || !hc)
		return error_set(err, -ENOMEM, "out of memory");
	json_t *j = json_pack(
	    "{s:s, s:s, s:s, s:s, s:o, s:O, s:O, s:i, s:b, s:o, s:{s:s, s:I, s:I, s:I}}", "ID",
	    c->id, "Name", c->name, "Image", c->image_id, "Driver",
	    storage_driver_name(cs->deps.images->storage), "Created", time_json(c->created_ns),
	    "Config", c->config, "MountPoints", c->mounts, "RestartCount", c->restart_count,
	    "HasBeenManuallyStopped", c->manual_stop, "State", state_json(c), "Berth",
	    "LayerChainID", c->layer ? c->layer->chain_id : "", "CreatedNs",
	    (json_int_t)c->created_ns, "StartedNs", (json_int_t)c->started_ns, "FinishedNs",
	    (json_int_t)c->finished_ns);
	if (!j)
		return error_set(err, -ENOMEM, "out of memory");
	/* hostconfig.json first: config.v2.json is what makes a container exist. */
	int r = write_json(hc, c->host_config, &c->saved_host_config, err);
	if (r == 0)
		r = write_json(cfg, j, NULL, err);
	json_decref(j);
	return r;
}

void container_free(struct container *c)
{
	if (!c)
		return;
	free(c->name);
	json_decref(c->config);
	json_decref(c->host_config);
	json_decref(c->mounts);
	free(c->error);
	free(c->stdin_buf);
	health_free(c->health);
	free(c);
}

static int load_state(struct container *c, json_t *st, json_t *ns)
{
	c->state = state_from_name(json_string_value(json_object_get(st, "Status")));
	c->pid = (int)json_integer_value(json_object_get(st, "Pid"));
	c->paused = json_is_true(json_object_get(st, "Paused"));
	c->oom_killed = json_is_true(json_object_get(st, "OOMKilled"));
	c->exit_code = (int)json_integer_value(json_object_get(st, "ExitCode"));
	const char *e = json_string_value(json_object_get(st, "Error"));
	if (e && *e && !(c->error = strdup(e)))
		return -ENOMEM;
	c->created_ns = json_integer_value(json_object_get(ns, "CreatedNs"));
	c->started_ns = json_integer_value(json_object_get(ns, "StartedNs"));
	c->finished_ns = json_integer_value(json_object_get(ns, "FinishedNs"));
	const char *chain = json_string_value(json_object_get(ns, "LayerChainID"));
	snprintf(c->layer_chain, sizeof(c->layer_chain), "%s", chain ? chain : "");
	return health_load(c, json_object_get(st, "Health"));
}

/* Reads one container directory; -EINVAL when its files are not ours, 1
 * (nothing loaded) when another storage driver holds its files. */
static int load_one(const char *dir, const char *id, const char *driver, struct container **ret)
{
	_cleanup_free_ char *cp = NULL, *hp = NULL;
	if (asprintf(&cp, "%s/%s/config.v2.json", dir, id) < 0 ||
	    asprintf(&hp, "%s/%s/hostconfig.json", dir, id) < 0)
		return -ENOMEM;
	json_t *j = json_load_file(cp, 0, NULL);
	json_t *hc = json_load_file(hp, 0, NULL);
	const char *name = json_string_value(json_object_get(j, "Name"));
	const char *image = json_string_value(json_object_get(j, "Image"));
	/* Containers saved before the driver was recorded are the current one's. */
	const char *owner = json_string_value(json_object_get(j, "Driver"));
	if (owner && *owner && strcmp(owner, driver) != 0) {
		json_decref(j);
		json_decref(hc);
		return 1;
	}
	struct container *c = calloc(1, sizeof(*c));
	int r = c ? 0 : -ENOMEM;
	if (r == 0 && (!name || !image || !json_is_object(hc) ||
		       !json_is_object(json_object_get(j, "Config"))))
		r = -EINVAL;
	if (r == 0) {
		memcpy(c->id, id, DIGEST_HEX_LEN); /* is_id() checked the length */
		snprintf(c->image_id, sizeof(c->image_id), "%s", image);
		c->name = strdup(name);
		c->config = json_incref(json_object_get(j, "Config"));
		c->host_config = json_incref(hc);
		c->mounts = json_incref(json_object_get(j, "MountPoints"));
		if (!c->mounts)
			c->mounts = json_array();
		c->restart_count = (int)json_integer_value(json_object_get(j, "RestartCount"));
		c->manual_stop = json_is_true(json_object_get(j, "HasBeenManuallyStopped"));
		r = c->name
			? load_state(c, json_object_get(j, "State"), json_object_get(j, "Berth"))
			: -ENOMEM;
	}
	json_decref(j);
	json_decref(hc);
	if (r < 0) {
		container_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

static bool is_id(const char *s)
{
	return strlen(s) == DIGEST_HEX_LEN && strspn(s, "0123456789abcdef") == DIGEST_HEX_LEN;
}

static bool has_config(const char *dir, const char *id)
{
	_cleanup_free_ char *p = NULL;
	return asprintf(&p, "%s/%s/config.v2.json", dir, id) >= 0 && access(p, F_OK) == 0;
}

int containers_layer_pins(const char *data_root, char ***ret)
{
	char **ids = NULL;
	int r = containers_keep_ids(data_root, &ids);
	if (r < 0)
		return r;
	size_t n = 0;
	for (size_t i = 0; ids[i]; i++) {
		_cleanup_free_ char *p = NULL;
		json_t *j = asprintf(&p, "%s/containers/%s/config.v2.json", data_root, ids[i]) < 0
				? NULL
				: json_load_file(p, 0, NULL);
		const char *chain =
		    json_string_value(json_object_get(json_object_get(j, "Berth"), "LayerChainID"));
		free(ids[i]);
		ids[i] = NULL;
		if (chain && *chain)
			ids[n++] = strdup(chain);
		json_decref(j);
	}
	ids[n] = NULL;
	*ret = ids;
	return 0;
}

int containers_keep_ids(const char *data_root, char ***ret)
{
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/containers", data_root) < 0)
		return -ENOMEM;
	char **ids = calloc(1, sizeof(*ids));
	size_t n = 0;
	DIR *dh = opendir(dir);
	struct dirent *de;
	while (ids && dh && (de = readdir(dh))) {
		if (!is_id(de->d_name) || !has_config(dir, de->d_name))
			continue;
		char **nids = realloc(ids, (n + 2) * sizeof(*ids));
		if (!nids || !(nids[n] = strdup(de->d_name))) {
			ids = nids ? nids : ids;
			break;
		}
		ids = nids;
		ids[++n] = NULL;
	}
	if (dh)
		closedir(dh);
	if (!ids)
		return -ENOMEM;
	*ret = ids;
	return 0;
}

void containers_keep_ids_free(char **ids)
{
	for (size_t i = 0; ids && ids[i]; i++)
		free(ids[i]);
	free(ids);
}

/* Only the mount points whose fields have the types the engine reads. */
static json_t *usable_mounts(json_t *mounts)
{
	json_t *out = json_array(), *m;
	size_t i;
	json_array_foreach(mounts, i, m)
	{
		const char *keys[] = {"Type", "Destination", "Source", "Name"};
		bool ok = json_is_object(m);
		for (size_t k = 0; ok && k < ARRAY_SIZE(keys); k++) {
			json_t *v = json_object_get(m, keys[k]);
			ok = k >= 2 ? !v || json_is_string(v) : json_is_string(v);
		}
		if (ok)
			json_array_append(out, m);
	}
	return out;
}

/* A configuration on disk whose fields the engine cannot use (written by a
 * berthd that did not validate, or by hand) is loaded as a dead container
 * with the fields it needs to be listed and removed, never run. */
static void check_damaged(struct containers *cs, struct container *c)
{
	struct error err = ERROR_INIT;
	json_t *mounts = json_is_array(c->mounts) ? usable_mounts(c->mounts) : json_array();
	bool mounts_ok =
	    json_is_array(c->mounts) && json_array_size(mounts) == json_array_size(c->mounts);
	if (container_validate_stored(c->config, c->host_config, &err) == 0 && mounts_ok) {
		json_decref(mounts);
		return;
	}
	if (!err.msg)
		error_set(&err, -EINVAL, "invalid MountPoints");
	log_warn(cs->deps.log, "container %s has a damaged configuration: %s", c->id,
		 error_msg(&err));
	json_t *image = json_object_get(c->config, "Image");
	json_t *cfg =
	    json_pack("{s:s}", "Image", json_is_string(image) ? json_string_value(image) : "");
	json_t *net = json_object_get(c->host_config, "NetworkMode");
	json_t *hc = json_pack("{s:s}", "NetworkMode",
			       json_is_string(net) ? json_string_value(net) : "none");
	json_decref(c->config);
	json_decref(c->host_config);
	json_decref(c->mounts);
	c->config = cfg;
	c->host_config = hc;
	c->mounts = mounts;
	c->state = CONTAINER_DEAD;
	free(c->error);
	if (asprintf(&c->error, "the container's configuration is damaged: %s", error_msg(&err)) <
	    0)
		c->error = NULL;
	error_clear(&err);
}

/* Loads every complete container; removes what a crash left half-made
 * (no config.v2.json) or half-removed (".<id>.removing"). Their storage
 * entries went already: images_init keeps only the complete ones. */
int containers_load(struct containers *cs, struct error *err)
{
	DIR *dh = opendir(cs->root);
	if (!dh)
		return error_set(err, -errno, "open %s: %s", cs->root, strerror(errno));
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(dh))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		_cleanup_free_ char *p = NULL;
		if (asprintf(&p, "%s/%s", cs->root, de->d_name) < 0)
			r = error_set(err, -ENOMEM, "out of memory");
		struct container *c = NULL;
		int lr = r < 0 || !is_id(de->d_name) || !has_config(cs->root, de->d_name)
			     ? -EINVAL
			     : load_one(cs->root, de->d_name,
					storage_driver_name(cs->deps.images->storage), &c);
		/* dockerd hides them too, as it hides the other driver's images. */
		if (lr > 0) {
			log_info(
			    cs->deps.log,
			    "container %.12s was created with another storage driver: not loaded",
			    de->d_name);
			continue;
		}
		if (lr < 0) {
			if (p) {
				log_warn(cs->deps.log, "removing incomplete container directory %s",
					 p);
				image_rm_rf(p);
			}
			continue;
		}
		check_damaged(cs, c);
		/* A state file write that kill -9 cut short. */
		fs_remove_stale_tmp(p);
		/* Its reference was taken for it before the layer GC. */
		c->layer = c->layer_chain[0]
			       ? layer_store_get(cs->deps.images->layers, c->layer_chain)
			       : NULL;
		if (containers_add(cs, c) < 0) {
			container_free(c);
			r = error_set(err, -ENOMEM, "out of memory");
		}
	}
	closedir(dh);
	return r;
}

int containers_add(struct containers *cs, struct container *c)
{
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 16;
		struct container **v = realloc(cs->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		cs->v = v;
		cs->cap = cap;
	}
	cs->v[cs->n++] = c;
	return 0;
}

void containers_forget(struct containers *cs, struct container *c)
{
	for (size_t i = 0; i < cs->n; i++) {
		if (cs->v[i] != c)
			continue;
		memmove(&cs->v[i], &cs->v[i + 1], (cs->n - i - 1) * sizeof(*cs->v));
		cs->n--;
		return;
	}
}

size_t containers_count(struct containers *cs)
{
	return cs->n;
}

struct container *containers_at(struct containers *cs, size_t i)
{
	return cs->v[i];
}

struct net_container *container_net(const struct container *c, struct net_container *ret)
{
	*ret = (struct net_container){.id = c->id,
				      .name = c->name + 1,
				      .config = c->config,
				      .host_config = c->host_config,
				      .running = c->state == CONTAINER_RUNNING || c->adopting,
				      .starting = c->starting,
				      .pid = c->pid};
	return ret;
}

int containers_net_lookup(void *data, const char *ref, struct net_container *ret, struct error *err)
{
	struct container *c;
	int r = containers_lookup(data, ref, &c, err);
	if (r == 0)
		container_net(c, ret);
	return r;
}

bool containers_net_at(void *data, size_t i, struct net_container *ret)
{
	struct containers *cs = data;
	if (i >= cs->n)
		return false;
	container_net(cs->v[i], ret);
	return true;
}

struct container *containers_find_name(struct containers *cs, const char *name)
{
	const char *bare = name[0] == '/' ? name + 1 : name;
	for (size_t i = 0; i < cs->n; i++)
		if (strcmp(cs->v[i]->name + 1, bare) == 0)
			return cs->v[i];
	return NULL;
}

/* dockerd's GetContainer: full ID, then name, then a unique ID prefix. */
int containers_lookup(struct containers *cs, const char *ref, struct container **ret,
		      struct error *err)
{
	if (!ref || !*ref)
		return error_set(err, -ENOENT, "No such container: %s", ref ? ref : "");
	for (size_t i = 0; i < cs->n; i++)
		if (strcmp(cs->v[i]->id, ref) == 0)
			return *ret = cs->v[i], 0;
	struct container *c = containers_find_name(cs, ref);
	if (c)
		return *ret = c, 0;
	size_t n = strlen(ref), found = 0;
	for (size_t i = 0; i < cs->n && n <= DIGEST_HEX_LEN; i++)
		if (strncmp(cs->v[i]->id, ref, n) == 0 && found++ == 0)
			c = cs->v[i];
	if (found > 1)
		return error_set(err, -EINVAL, "multiple IDs found with provided prefix: %s", ref);
	if (!c)
		return error_set(err, -ENOENT, "No such container: %s", ref);
	*ret = c;
	return 0;
}

void container_event(struct containers *cs, struct container *c, const char *action, json_t *extra)
{
	json_t *a = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(c->config, "Labels"), k, v) if (json_is_string(v))
	    json_object_set(a, k, v);
	json_object_set(a, "image", json_object_get(c->config, "Image"));
	json_object_set_new(a, "name", json_string(c->name + 1));
	if (extra)
		json_object_update(a, extra);
	json_decref(extra);
	event_log_publish(cs->deps.events, "container", action, c->id, a, "local");
}
