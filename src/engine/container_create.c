/* POST /containers/create: validate the request, merge the image's config
 * in as dockerd does, resolve mounts (creating named and anonymous
 * volumes), then make the container's directory and read-write storage
 * entry and persist it. On failure nothing is left behind. */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/log.h"
#include "basic/timeutil.h"
#include "engine/container.h"
#include "engine/container_validate.h"
#include "engine/health.h"
#include "engine/containers_priv.h"
#include "image/image_store.h"
#include "image/layer_store.h"
#include "network/network.h"
#include "engine/container_links.h"
#include "storage/driver.h"
#include "volume/volume_store.h"
#include "image/images.h"

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int container_validate_name(struct containers *cs, const char *name, struct error *err)
{
	regex_t re;
	if (regcomp(&re, "^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$", REG_EXTENDED | REG_NOSUB) != 0)
		return error_set(err, -ENOMEM, "out of memory");
	int bad = regexec(&re, name, 0, NULL, 0);
	regfree(&re);
	if (bad)
		return error_set(
		    err, -EINVAL,
		    "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
		    name);
	struct container *other = containers_find_name(cs, name);
	if (other)
		return error_set(
		    err, -EEXIST,
		    "Conflict. The container name \"/%s\" is already in use by container \"%s\". "
		    "You have to remove (or rename) that container to be able to reuse that name.",
		    name[0] == '/' ? name + 1 : name, other->id);
	return 0;
}

/* Docker-style random names: adjective_scientist. */
static char *random_name(struct containers *cs, const char *id)
{
	static const char *const adj[] = {
	    "admiring", "brave",    "clever",  "dazzling", "eager",   "focused", "gallant",
	    "happy",	"jolly",    "keen",    "loving",   "modest",  "nifty",	 "quirky",
	    "serene",	"trusting", "vibrant", "wizardly", "zealous", "youthful"};
	static const char *const who[] = {"archimedes", "babbage",  "curie",   "darwin",  "euclid",
					  "feynman",	"galileo",  "hopper",  "hypatia", "kepler",
					  "lovelace",	"meitner",  "noether", "pascal",  "ritchie",
					  "shannon",	"thompson", "turing",  "wozniak", "yalow"};
	unsigned seed = (unsigned)strtoul(
	    (char[9]){id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7], 0}, NULL, 16);
	for (unsigned i = 0;; i++) {
		char *n = NULL;
		unsigned k = seed + i * 7919;
		int r = i < 50 ? asprintf(&n, "/%s_%s", adj[k % 20], who[(k / 20) % 20])
			       : asprintf(&n, "/%s_%s%u", adj[k % 20], who[(k / 20) % 20], i);
		if (r < 0)
			return NULL;
		if (!containers_find_name(cs, n))
			return n;
		free(n);
	}
}

static bool env_key_in(json_t *env, const char *kv)
{
	size_t kl = strcspn(kv, "="), i;
	json_t *v;
	json_array_foreach(env, i, v)
	{
		const char *s = json_string_value(v);
		if (s && strncmp(s, kv, kl) == 0 && (s[kl] == '=' || s[kl] == '\0'))
			return true;
	}
	return false;
}

static void merge_env(json_t *cfg, json_t *icfg)
{
	json_t *env = json_object_get(cfg, "Env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(cfg, "Env", env);
	}
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(icfg, "Env"), i,
			   v) if (json_is_string(v) && !env_key_in(env, json_string_value(v)))
	    json_array_append(env, v);
}

static void merge_object(json_t *cfg, json_t *icfg, const char *key)
{
	json_t *mine = json_object_get(cfg, key), *theirs = json_object_get(icfg, key);
	if (!json_is_object(theirs))
		return;
	json_t *merged = json_deep_copy(theirs);
	if (json_is_object(mine))
		json_object_update(merged, mine);
	json_object_set_new(cfg, key, merged);
}

static bool empty(json_t *v)
{
	return !v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0) ||
	       (json_is_string(v) && !*json_string_value(v));
}

/* dockerd's merge(userConf, imageConf). */
static void merge_image_config(json_t *cfg, const struct image *img)
{
	json_t *icfg = json_object_get(img->config, "config");
	if (!json_is_object(icfg))
		return;
	const char *copy[] = {"User", "WorkingDir", "StopSignal"};
	for (size_t i = 0; i < ARRAY_SIZE(copy); i++)
		if (empty(json_object_get(cfg, copy[i])) && json_object_get(icfg, copy[i]))
			json_object_set(cfg, copy[i], json_object_get(icfg, copy[i]));
	merge_env(cfg, icfg);
	merge_object(cfg, icfg, "Labels");
	merge_object(cfg, icfg, "Volumes");
	merge_object(cfg, icfg, "ExposedPorts");
	if (empty(json_object_get(cfg, "Entrypoint"))) {
		if (empty(json_object_get(cfg, "Cmd")) && json_object_get(icfg, "Cmd"))
			json_object_set(cfg, "Cmd", json_object_get(icfg, "Cmd"));
		if (!json_is_array(json_object_get(cfg, "Entrypoint")) &&
		    json_object_get(icfg, "Entrypoint"))
			json_object_set(cfg, "Entrypoint", json_object_get(icfg, "Entrypoint"));
	}
}

/* ---- mounts ---- */

struct mount_req {
	const char *type; /* bind, volume, tmpfs */
	const char *source, *target, *mode, *tmpfs_opts;
	bool readonly, nocopy;
	json_t *volume_options; /* Mounts[].VolumeOptions: labels and driver of a new volume */
};

static bool dup_target(json_t *mounts, const char *target)
{
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i,
			   m) if (strcmp(str(m, "Destination"), target) == 0) return true;
	return false;
}

static int add_volume_mount(struct containers *cs, const char *id, const struct mount_req *mr,
			    json_t *mounts, struct error *err)
{
	_cleanup_free_ char *name = NULL;
	bool created = false;
	json_t *info = NULL;
	json_t *driver = json_object_get(mr->volume_options, "DriverConfig");
	int r = volume_create(cs->deps.volumes, mr->source,
			      json_string_value(json_object_get(driver, "Name")),
			      json_object_get(driver, "Options"),
			      json_object_get(mr->volume_options, "Labels"), &name, &created, err);
	if (r == 0)
		r = volume_ref(cs->deps.volumes, name, id, err);
	if (r < 0)
		return r;
	r = volume_inspect_json(cs->deps.volumes, name, &info, err);
	if (r < 0) {
		/* Not this container's any more; an anonymous one it made goes too. */
		volume_unref(cs->deps.volumes, name, id);
		if (created && (!mr->source || !*mr->source))
			volume_remove(cs->deps.volumes, name, true, NULL);
		return r;
	}
	json_array_append_new(
	    mounts,
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:b, s:b, s:b}", "Type", "volume",
		      "Name", name, "Source", str(info, "Mountpoint"), "Destination", mr->target,
		      "Driver", "local", "Mode", mr->mode ? mr->mode : "z", "RW", !mr->readonly,
		      "Propagation", "", "Anonymous", !mr->source || !*mr->source, "Created",
		      created, "NoCopy", mr->nocopy));
	json_decref(info);
	return 0;
}

static int add_mount(struct containers *cs, const char *id, const struct mount_req *mr,
		     json_t *mounts, struct error *err)
{
	if (!mr->target || mr->target[0] != '/')
		return error_set(err, -EINVAL,
				 "invalid mount config: mount path must be absolute: %s",
				 mr->target ? mr->target : "");
	if (dup_target(mounts, mr->target))
		return error_set(err, -EINVAL, "Duplicate mount point: %s", mr->target);
	if (strcmp(mr->type, "volume") == 0)
		return add_volume_mount(cs, id, mr, mounts, err);
	bool tmpfs = strcmp(mr->type, "tmpfs") == 0;
	json_array_append_new(mounts,
			      json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "Type", mr->type,
					"Source", tmpfs ? "" : mr->source, "Destination",
					mr->target, "Mode", mr->mode ? mr->mode : "", "RW",
					!mr->readonly, "Propagation", tmpfs ? "" : "rprivate",
					"TmpfsOptions", mr->tmpfs_opts ? mr->tmpfs_opts : ""));
	return 0;
}

/* -v forms: DEST (anonymous volume), SRC:DEST[:MODE]; SRC absolute is a
 * bind (its directory made when missing, as dockerd does), else a volume. */
static int add_bind_spec(struct containers *cs, const char *id, const char *spec, json_t *mounts,
			 struct error *err)
{
	_cleanup_free_ char *copy = strdup(spec);
	if (!copy)
		return error_set(err, -ENOMEM, "out of memory");
	char *parts[4] = {0};
	size_t n = 0;
	for (char *save = NULL, *t = strtok_r(copy, ":", &save); t && n < 4;
	     t = strtok_r(NULL, ":", &save))
		parts[n++] = t;
	if (n == 0 || n > 3 || (n == 1 && parts[0][0] != '/'))
		return error_set(err, -EINVAL, "invalid volume specification: '%s'", spec);
	struct mount_req mr = {.type = "volume", .target = n == 1 ? parts[0] : parts[1]};
	if (n >= 2)
		mr.source = parts[0];
	if (n == 3) {
		mr.mode = parts[2];
		mr.readonly = strstr(parts[2], "ro") != NULL;
		mr.nocopy = strstr(parts[2], "nocopy") != NULL;
	}
	if (mr.source && mr.source[0] == '/') {
		mr.type = "bind";
		struct error e2 = ERROR_INIT;
		if (access(mr.source, F_OK) < 0 && fs_mkdir_p(mr.source, 0755, &e2) < 0) {
			int r = error_set(err, e2.code, "%s", error_msg(&e2));
			error_clear(&e2);
			return r;
		}
	}
	return add_mount(cs, id, &mr, mounts, err);
}

static int add_mount_object(struct containers *cs, const char *id, json_t *m, json_t *mounts,
			    struct error *err)
{
	struct mount_req mr = {.type = str(m, "Type"),
			       .source = str(m, "Source"),
			       .target = str(m, "Target"),
			       .readonly = json_is_true(json_object_get(m, "ReadOnly"))};
	if (!mr.type ||
	    (strcmp(mr.type, "bind") && strcmp(mr.type, "volume") && strcmp(mr.type, "tmpfs")))
		return error_set(err, -EINVAL, "mount type unknown");
	mr.volume_options = json_object_get(m, "VolumeOptions");
	mr.nocopy = json_is_true(json_object_get(mr.volume_options, "NoCopy"));
	struct stat st;
	if (!strcmp(mr.type, "bind") && (!mr.source || stat(mr.source, &st) < 0))
		return error_set(
		    err, -EINVAL,
		    "invalid mount config for type \"bind\": bind source path does not exist: %s",
		    mr.source ? mr.source : "");
	char opts[128] = "";
	json_t *to = json_object_get(m, "TmpfsOptions");
	if (json_integer_value(json_object_get(to, "SizeBytes")) > 0)
		snprintf(opts, sizeof(opts), "size=%lld",
			 (long long)json_integer_value(json_object_get(to, "SizeBytes")));
	if (json_integer_value(json_object_get(to, "Mode")) > 0)
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), "%smode=%llo",
			 opts[0] ? "," : "",
			 (long long)json_integer_value(json_object_get(to, "Mode")));
	mr.tmpfs_opts = opts;
	return add_mount(cs, id, &mr, mounts, err);
}

static int resolve_mounts(struct containers *cs, const char *id, json_t *cfg, json_t *hc,
			  json_t *mounts, struct error *err)
{
	size_t i;
	json_t *v;
	int r = 0;
	json_array_foreach(json_object_get(hc, "Binds"), i, v) if (r == 0) r =
	    json_is_string(v) ? add_bind_spec(cs, id, json_string_value(v), mounts, err)
			      : error_set(err, -EINVAL, "invalid bind");
	json_array_foreach(json_object_get(hc, "Mounts"), i, v) if (r == 0) r =
	    add_mount_object(cs, id, v, mounts, err);
	const char *k;
	json_object_foreach(json_object_get(hc, "Tmpfs"), k, v)
	{
		struct mount_req mr = {
		    .type = "tmpfs", .target = k, .tmpfs_opts = json_string_value(v)};
		if (r == 0)
			r = add_mount(cs, id, &mr, mounts, err);
	}
	/* The image's VOLUMEs not covered by a mount get anonymous volumes. */
	json_object_foreach(json_object_get(cfg, "Volumes"), k, v)
	{
		struct mount_req mr = {.type = "volume", .target = k};
		if (r == 0 && !dup_target(mounts, k))
			r = add_mount(cs, id, &mr, mounts, err);
	}
	return r;
}

/* Drops the volume references of mounts; removes anonymous volumes when
 * remove_anonymous (rm -v, and a failed create). */
void container_release_volumes(struct containers *cs, const char *id, json_t *mounts,
			       bool remove_anonymous)
{
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m)
	{
		const char *name = str(m, "Name");
		if (!name)
			continue;
		volume_unref(cs->deps.volumes, name, id);
		struct error err = ERROR_INIT;
		if (remove_anonymous && json_is_true(json_object_get(m, "Anonymous")) &&
		    volume_remove(cs->deps.volumes, name, false, &err) < 0)
			log_warn(cs->deps.log, "removing volume %s: %s", name, error_msg(&err));
		error_clear(&err);
	}
}

/* ---- the container ---- */

static json_t *config_from_body(json_t *body)
{
	json_t *cfg = json_deep_copy(body);
	json_object_del(cfg, "HostConfig");
	json_object_del(cfg, "NetworkingConfig");
	return cfg;
}

static int new_container(struct containers *cs, const char *name, json_t *body,
			 const struct image *img, struct container **ret, struct error *err)
{
	struct container *c = calloc(1, sizeof(*c));
	if (!c || digest_random_hex(c->id) < 0) {
		free(c);
		return error_set(err, -ENOMEM, "out of memory");
	}
	c->config = config_from_body(body);
	json_t *hc = json_object_get(body, "HostConfig");
	c->host_config = json_is_object(hc) ? json_deep_copy(hc) : json_object();
	c->mounts = json_array();
	c->name = name && *name ? (name[0] == '/' ? strdup(name) : NULL) : random_name(cs, c->id);
	if (name && *name && name[0] != '/' && asprintf(&c->name, "/%s", name) < 0)
		c->name = NULL;
	snprintf(c->image_id, sizeof(c->image_id), "%s", img->id);
	c->created_ns = time_now_ns();
	if (!c->config || !c->host_config || !c->mounts || !c->name) {
		container_free(c);
		return error_set(err, -ENOMEM, "out of memory");
	}
	merge_image_config(c->config, img);
	health_config_merge(c->config, json_object_get(img->config, "config"));
	if (empty(json_object_get(c->config, "Hostname"))) {
		char host[13];
		snprintf(host, sizeof(host), "%.12s", c->id);
		const char *net = str(c->host_config, "NetworkMode");
		json_object_set_new(
		    c->config, "Hostname",
		    json_string(net && !strcmp(net, "host") ? cs->deps.hostname : host));
	}
	*ret = c;
	return 0;
}

/* The directory and read-write storage entry; undone on failure. */
static int materialize(struct containers *cs, struct container *c, const struct image *img,
		       struct error *err)
{
	_cleanup_free_ char *dir = container_path(cs, c, NULL);
	if (!dir)
		return error_set(err, -ENOMEM, "out of memory");
	int r = storage_check_rw_opts(cs->deps.images->storage,
				      json_object_get(c->host_config, "StorageOpt"), err);
	if (r < 0)
		return r;
	r = fs_mkdir_p(dir, 0710, err);
	if (r == 0)
		r = storage_create(cs->deps.images->storage, c->id,
				   img->top ? img->top->cache_id : NULL, err);
	c->layer = img->top;
	if (r == 0)
		r = container_save(cs, c, err);
	if (r == 0 && c->layer)
		layer_ref(c->layer);
	if (r < 0) {
		c->layer = NULL;
		struct error e2 = ERROR_INIT;
		storage_remove(cs->deps.images->storage, c->id, &e2);
		error_clear(&e2);
		image_rm_rf(dir);
	}
	return r;
}

int container_create(struct containers *cs, const char *name, json_t *body, struct container **ret,
		     json_t *warnings, struct error *err)
{
	struct net_container nc;
	int r = name && *name ? container_validate_name(cs, name, err) : 0;
	if (r == 0 && container_log_config_merge(cs->deps.log_config, body) < 0)
		r = error_set(err, -ENOMEM, "out of memory");
	if (r == 0)
		r = container_validate_create(cs, body, err);
	struct image *img = NULL;
	const char *ref = str(body, "Image");
	if (r == 0 && (!ref || !*ref))
		r = error_set(err, -EINVAL,
			      "Config cannot be empty in order to create a container");
	if (r == 0)
		r = image_store_lookup(cs->deps.images->store, ref, &img, err);
	if (r == 0)
		r = health_config_validate(body, err);
	struct container *c = NULL;
	if (r == 0)
		r = new_container(cs, name, body, img, &c, err);
	if (r < 0)
		return r;
	r = cgroup_support_adjust(&cs->cgroups, c->host_config, warnings, err);
	if (r < 0) {
		container_free(c);
		return r;
	}
	r = container_links_resolve(cs, c, err);
	if (r < 0) {
		container_free(c);
		return r;
	}
	const char *rt = str(c->host_config, "Runtime");
	if (!rt || !*rt)
		json_object_set_new(c->host_config, "Runtime", json_string(cs->default_runtime));
	r = network_container_create(cs->networks, container_net(c, &nc),
				     json_object_get(body, "NetworkingConfig"), err);
	if (r < 0) {
		container_free(c);
		return r;
	}
	r = resolve_mounts(cs, c->id, c->config, c->host_config, c->mounts, err);
	if (r == 0)
		r = materialize(cs, c, img, err);
	if (r == 0)
		r = containers_add(cs, c) < 0 ? error_set(err, -ENOMEM, "out of memory") : 0;
	if (r < 0) {
		container_release_volumes(cs, c->id, c->mounts, true);
		network_container_removed(cs->networks, container_net(c, &nc));
		container_free(c);
		return r;
	}
	container_event(cs, c, "create", NULL);
	*ret = c;
	return 0;
}
