/* The Engine API's container shapes: inspect (GET /containers/{id}/json)
 * and list (GET /containers/json) with dockerd's filters and status
 * wording. */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/buf.h"
#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "engine/container.h"
#include "engine/containers_priv.h"
#include "engine/exec.h"
#include "engine/health.h"
#include "image/image_store.h"
#include "network/network.h"
#include "shared/json_buf.h"
#include "storage/driver.h"
#include "image/images.h"

static json_t *time_json(int64_t ns)
{
	char buf[64];
	if (ns <= 0)
		return json_string("0001-01-01T00:00:00Z");
	time_format_rfc3339nano(ns, buf, sizeof(buf));
	return json_string(buf);
}

/* Entrypoint + Cmd; an Entrypoint of [""] (--entrypoint "") means none. */
static json_t *command_argv(const struct container *c)
{
	json_t *argv = json_array();
	json_t *ep = json_object_get(c->config, "Entrypoint");
	const char *first = json_string_value(json_array_get(ep, 0));
	bool blank = json_array_size(ep) == 1 && first && !*first;
	size_t i;
	json_t *v;
	if (!blank)
		json_array_foreach(ep, i, v) json_array_append(argv, v);
	json_array_foreach(json_object_get(c->config, "Cmd"), i, v) json_array_append(argv, v);
	return argv;
}

static json_t *state_json(const struct container *c)
{
	/* dockerd counts a restarting container as running. */
	json_t *st = json_pack(
	    "{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:o, s:o}", "Status",
	    container_status(c), "Running", c->state == CONTAINER_RUNNING || c->restart_timer,
	    "Paused", c->paused, "Restarting", c->restart_timer != NULL, "OOMKilled", c->oom_killed,
	    "Dead", c->state == CONTAINER_DEAD, "Pid", c->pid, "ExitCode", c->exit_code, "Error",
	    c->error ? c->error : "", "StartedAt", time_json(c->started_ns), "FinishedAt",
	    time_json(c->finished_ns));
	json_t *health = health_state_json(c->health);
	if (st && health)
		json_object_set_new(st, "Health", health);
	return st;
}

/* MountPoints without the fields only berthd needs. */
static json_t *mounts_json(const struct container *c, bool brief)
{
	json_t *out = json_array();
	size_t i;
	json_t *m;
	json_array_foreach(c->mounts, i, m)
	{
		/* Secrets and configs of swarm tasks are not shown, as in dockerd. */
		if (json_is_true(json_object_get(m, "Secret")))
			continue;
		json_t *o = json_deep_copy(m);
		const char *private_keys[] = {"Anonymous", "Created", "NoCopy", "TmpfsOptions"};
		for (size_t k = 0; k < ARRAY_SIZE(private_keys); k++)
			json_object_del(o, private_keys[k]);
		if (brief && !json_object_get(o, "Name"))
			json_object_del(o, "Driver");
		json_array_append_new(out, o);
	}
	return out;
}

static json_t *host_config_json(const struct container *c)
{
	json_t *hc = json_deep_copy(c->host_config);
	if (!json_object_get(hc, "RestartPolicy"))
		json_object_set_new(hc, "RestartPolicy",
				    json_pack("{s:s, s:i}", "Name", "no", "MaximumRetryCount", 0));
	/* dockerd shows every resource, set or not (SDKs index them). */
	static const char *const zero_by_default[] = {"CpuRealtimePeriod", "CpuRealtimeRuntime"};
	for (size_t i = 0; i < ARRAY_SIZE(zero_by_default); i++)
		if (!json_is_integer(json_object_get(hc, zero_by_default[i])))
			json_object_set_new(hc, zero_by_default[i], json_integer(0));
	json_t *lc = json_object_get(hc, "LogConfig");
	const char *log = json_string_value(json_object_get(lc, "Type"));
	if (!log || !*log) {
		/* The docker CLI sends Type "" with --log-opt: keep the options. */
		json_t *opts = json_object_get(lc, "Config");
		json_object_set_new(
		    hc, "LogConfig",
		    json_pack("{s:s, s:o}", "Type", "json-file", "Config",
			      json_is_object(opts) ? json_incref(opts) : json_object()));
	}
	return hc;
}

/* SizeRw and SizeRootFs. */
static void sizes(struct containers *cs, struct container *c, int64_t *rw, int64_t *rootfs)
{
	*rw = 0;
	struct error err = ERROR_INIT;
	storage_diff_size(cs->deps.images->storage, c->id, rw, &err);
	error_clear(&err);
	struct image *img = image_store_get(cs->deps.images->store, c->image_id);
	*rootfs = *rw + (img && img->top ? layer_chain_size(img->top) : 0);
}

static void add_sizes(struct containers *cs, struct container *c, json_t *o)
{
	int64_t rw, rootfs;
	sizes(cs, c, &rw, &rootfs);
	json_object_set_new(o, "SizeRw", json_integer(rw));
	json_object_set_new(o, "SizeRootFs", json_integer(rootfs));
}

static void add_paths(struct containers *cs, struct container *c, json_t *o)
{
	const char *files[][2] = {{"ResolvConfPath", "resolv.conf"},
				  {"HostnamePath", "hostname"},
				  {"HostsPath", "hosts"},
				  {"LogPath", NULL}};
	char log[DIGEST_HEX_LEN + 16];
	snprintf(log, sizeof(log), "%s-json.log", c->id);
	files[3][1] = log;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *p = container_path(cs, c, files[i][1]);
		json_object_set_new(o, files[i][0], json_string(p ? p : ""));
		free(p);
	}
	/* As dockerd: only json-file's file is part of the API (local's and
	 * the other drivers' caches are not, though they are that file here). */
	const char *type = json_string_value(
	    json_object_get(json_object_get(c->host_config, "LogConfig"), "Type"));
	if (type && *type && strcmp(type, "json-file") != 0)
		json_object_set_new(o, "LogPath", json_string(""));
}

json_t *container_inspect_json(struct containers *cs, struct container *c, bool size)
{
	struct net_container nc;
	json_t *argv = command_argv(c);
	json_t *path =
	    json_array_size(argv) ? json_incref(json_array_get(argv, 0)) : json_string("");
	json_array_remove(argv, 0);
	json_t *o =
	    json_pack("{s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:o, s:o, "
		      "s:{s:o, s:s}, s:o, s:O, s:o}",
		      "Id", c->id, "Created", time_json(c->created_ns), "Path", path, "Args", argv,
		      "State", state_json(c), "Image", c->image_id, "Name", c->name, "RestartCount",
		      c->restart_count, "Driver", storage_driver_name(cs->deps.images->storage),
		      "Platform", "linux", "MountLabel", "", "ProcessLabel", "", "AppArmorProfile",
		      "", "ExecIDs", exec_ids_json(cs, c->id), "HostConfig", host_config_json(c),
		      "GraphDriver", "Data", storage_metadata(cs->deps.images->storage, c->id),
		      "Name", storage_driver_name(cs->deps.images->storage), "Mounts",
		      mounts_json(c, false), "Config", c->config, "NetworkSettings",
		      network_container_settings(cs->networks, container_net(c, &nc)));
	add_paths(cs, c, o);
	if (size)
		add_sizes(cs, c, o);
	return o;
}

/* ---- list ---- */

void container_human_duration(int64_t ns, char *buf, size_t len)
{
	int64_t s = ns / 1000000000, h = s / 3600;
	if (s < 1)
		snprintf(buf, len, "Less than a second");
	else if (s == 1)
		snprintf(buf, len, "1 second");
	else if (s < 60)
		snprintf(buf, len, "%lld seconds", (long long)s);
	else if (s / 60 == 1)
		snprintf(buf, len, "About a minute");
	else if (s / 60 < 60)
		snprintf(buf, len, "%lld minutes", (long long)(s / 60));
	else if (h == 1)
		snprintf(buf, len, "About an hour");
	else if (h < 48)
		snprintf(buf, len, "%lld hours", (long long)h);
	else if (h < 24 * 7 * 2)
		snprintf(buf, len, "%lld days", (long long)(h / 24));
	else if (h < 24 * 30 * 2)
		snprintf(buf, len, "%lld weeks", (long long)(h / 24 / 7));
	else if (h < 24 * 365 * 2)
		snprintf(buf, len, "%lld months", (long long)(h / 24 / 30));
	else
		snprintf(buf, len, "%lld years", (long long)(h / 24 / 365));
}

static void status_text(const struct container *c, char *buf, size_t len)
{
	char ago[64];
	int64_t now = time_now_ns();
	if (c->state == CONTAINER_RUNNING) {
		container_human_duration(now - c->started_ns, ago, sizeof(ago));
		enum health_status h = health_status_of(c);
		if (c->paused || h == HEALTH_NONE)
			snprintf(buf, len, "Up %s%s", ago, c->paused ? " (Paused)" : "");
		else
			snprintf(buf, len, "Up %s (%s%s)", ago,
				 h == HEALTH_STARTING ? "health: " : "", health_status_name(h));
	} else if (c->restart_timer) {
		container_human_duration(now - c->finished_ns, ago, sizeof(ago));
		snprintf(buf, len, "Restarting (%d) %s ago", c->exit_code, ago);
	} else if (c->state == CONTAINER_EXITED) {
		container_human_duration(now - c->finished_ns, ago, sizeof(ago));
		snprintf(buf, len, "Exited (%d) %s ago", c->exit_code, ago);
	} else {
		snprintf(buf, len, "%s", c->state == CONTAINER_DEAD ? "Dead" : "Created");
	}
}

/* Entrypoint + Cmd on one line, arguments with a blank in quotes, as
 * dockerd's list shows them. */
static int command_text(const struct container *c, struct buf *out)
{
	json_t *ep = json_object_get(c->config, "Entrypoint");
	const char *first = json_string_value(json_array_get(ep, 0));
	bool blank = json_array_size(ep) == 1 && first && !*first;
	json_t *parts[] = {blank ? NULL : ep, json_object_get(c->config, "Cmd")};
	size_t n = 0, i;
	json_t *v;
	int r = buf_append(out, "", 0);
	for (size_t p = 0; p < ARRAY_SIZE(parts) && r == 0; p++) {
		json_array_foreach(parts[p], i, v)
		{
			const char *s = json_string_value(v);
			if (!s)
				continue; /* a damaged configuration (container_validate_stored) */
			bool quote = n > 0 && strchr(s, ' ');
			r = buf_appendf(out, "%s%s%s%s", n++ ? " " : "", quote ? "'" : "", s,
					quote ? "'" : "");
			if (r < 0)
				break;
		}
	}
	return r;
}

int container_list_entry_write(struct containers *cs, struct container *c, bool size, struct buf *b)
{
	struct net_container nc;
	char status[128];
	status_text(c, status, sizeof(status));
	_cleanup_(buf_free) struct buf cmd = BUF_INIT;
	json_t *labels = json_object_get(c->config, "Labels");
	json_t *ports = network_container_ports_summary(cs->networks, container_net(c, &nc));
	json_t *nets = network_container_networks(cs->networks, &nc);
	json_t *mounts = mounts_json(c, true);
	int r = command_text(c, &cmd);
	r = r ?: json_buf_raw(b, "{\"Id\":");
	r = r ?: json_buf_str(b, c->id);
	r = r ?: json_buf_raw(b, ",\"Names\":[");
	r = r ?: json_buf_str(b, c->name);
	r = r ?: json_buf_raw(b, "],\"Image\":");
	r = r ?: json_buf_value(b, json_object_get(c->config, "Image"));
	r = r ?: json_buf_raw(b, ",\"ImageID\":");
	r = r ?: json_buf_str(b, c->image_id);
	r = r ?: json_buf_raw(b, ",\"Command\":");
	r = r ?: json_buf_str(b, cmd.data);
	r = r ?: json_buf_raw(b, ",\"Created\":");
	r = r ?: json_buf_int(b, c->created_ns / 1000000000);
	r = r ?: json_buf_raw(b, ",\"Ports\":");
	r = r ?: json_buf_value(b, ports);
	r = r ?: json_buf_raw(b, ",\"Labels\":");
	r = r ?: (json_is_object(labels) ? json_buf_value(b, labels) : json_buf_raw(b, "{}"));
	r = r ?: json_buf_raw(b, ",\"State\":");
	r = r ?: json_buf_str(b, container_status(c));
	r = r ?: json_buf_raw(b, ",\"Status\":");
	r = r ?: json_buf_str(b, status);
	r = r ?: json_buf_raw(b, ",\"HostConfig\":{\"NetworkMode\":");
	r = r ?: json_buf_value(b, json_object_get(c->host_config, "NetworkMode"));
	r = r ?: json_buf_raw(b, "},\"NetworkSettings\":{\"Networks\":");
	r = r ?: json_buf_value(b, nets);
	r = r ?: json_buf_raw(b, "},\"Mounts\":");
	r = r ?: json_buf_value(b, mounts);
	if (size) {
		int64_t rw, rootfs;
		sizes(cs, c, &rw, &rootfs);
		r = r ?: json_buf_raw(b, ",\"SizeRw\":");
		r = r ?: json_buf_int(b, rw);
		r = r ?: json_buf_raw(b, ",\"SizeRootFs\":");
		r = r ?: json_buf_int(b, rootfs);
	}
	r = r ?: json_buf_raw(b, "}");
	json_decref(ports);
	json_decref(nets);
	json_decref(mounts);
	return r < 0 ? -ENOMEM : 0;
}

json_t *container_list_entry(struct containers *cs, struct container *c, bool size)
{
	_cleanup_(buf_free) struct buf b = BUF_INIT;
	if (container_list_entry_write(cs, c, size, &b) < 0)
		return NULL;
	return json_loadb(b.data, b.len, 0, NULL);
}

static bool regex_match(const char *pattern, const char *s)
{
	regex_t re;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	bool m = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

/* Every value of key must... any value of key matching is enough (dockerd's
 * Args.Match: a regular expression search). */
static bool match_any_regex(const struct filters *f, const char *key, const char *s)
{
	size_t n;
	const char *const *vals = filters_values(f, key, &n);
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (regex_match(vals[i], s))
			return true;
	return false;
}

static bool match_ancestor(struct containers *cs, const struct filters *f,
			   const struct container *c)
{
	size_t n;
	const char *const *vals = filters_values(f, "ancestor", &n);
	for (size_t i = 0; i < n; i++) {
		struct image *img = NULL;
		struct error err = ERROR_INIT;
		bool hit = image_store_lookup(cs->deps.images->store, vals[i], &img, &err) == 0 &&
			   strcmp(img->id, c->image_id) == 0;
		error_clear(&err);
		if (hit)
			return true;
	}
	return n == 0;
}

static bool match_exited(const struct filters *f, const struct container *c)
{
	size_t n;
	const char *const *vals = filters_values(f, "exited", &n);
	if (n == 0)
		return true;
	if (c->state != CONTAINER_EXITED)
		return false;
	for (size_t i = 0; i < n; i++)
		if (atoi(vals[i]) == c->exit_code)
			return true;
	return false;
}

/* before= and since=: containers created before or after the one named. */
struct time_bounds {
	int64_t before_ns, since_ns; /* 0: no bound */
};

static int bound(struct containers *cs, const struct filters *f, const char *key, int64_t *ret,
		 struct error *err)
{
	size_t n;
	const char *const *vals = filters_values(f, key, &n);
	*ret = 0;
	for (size_t i = 0; i < n; i++) {
		struct container *c;
		int r = containers_lookup(cs, vals[i], &c, err);
		if (r < 0)
			return r;
		*ret = c->created_ns;
	}
	return 0;
}

static bool matches(struct containers *cs, const struct filters *f, const struct time_bounds *tb,
		    const struct container *c)
{
	if ((tb->before_ns && c->created_ns >= tb->before_ns) ||
	    (tb->since_ns && c->created_ns <= tb->since_ns))
		return false;
	return filters_match_exact(f, "status", container_status(c)) &&
	       match_any_regex(f, "name", c->name) && match_any_regex(f, "id", c->id) &&
	       filters_match_label(f, "label", json_object_get(c->config, "Labels")) &&
	       match_ancestor(cs, f, c) && match_exited(f, c) &&
	       filters_match_exact(f, "health", health_status_name(health_status_of(c)));
}

static int validate(const struct filters *f, struct error *err)
{
	static const char *const keys[] = {
	    "status", "name",	 "id",	   "label",   "ancestor", "exited",    "before",  "since",
	    "volume", "network", "health", "publish", "expose",	  "isolation", "is-task", NULL};
	static const char *const states[] = {"created", "restarting", "running", "removing",
					     "paused",	"exited",     "dead"};
	int r = filters_validate(f, keys, err);
	size_t n;
	const char *const *vals = filters_values(f, "status", &n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		bool ok = false;
		for (size_t k = 0; k < ARRAY_SIZE(states); k++)
			ok |= strcmp(vals[i], states[k]) == 0;
		if (!ok)
			r = error_set(err, -EINVAL, "Invalid filter 'status=%s'", vals[i]);
	}
	vals = filters_values(f, "health", &n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		bool ok = false;
		for (enum health_status s = HEALTH_NONE; s <= HEALTH_UNHEALTHY; s++)
			ok |= strcmp(vals[i], health_status_name(s)) == 0;
		if (!ok)
			r = error_set(err, -EINVAL,
				      "invalid filter 'health=%s': invalid value for health (%s): "
				      "must be one of none, starting, healthy, unhealthy",
				      vals[i], vals[i]);
	}
	vals = filters_values(f, "exited", &n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		char *end;
		strtol(vals[i], &end, 10);
		if (!*vals[i] || *end)
			r = error_set(err, -EINVAL, "invalid filter 'exited=%s'", vals[i]);
	}
	return r;
}

static int by_created_desc(const void *a, const void *b)
{
	const struct container *x = *(struct container *const *)a,
			       *y = *(struct container *const *)b;
	return x->created_ns < y->created_ns ? 1 : x->created_ns > y->created_ns ? -1 : 0;
}

int containers_list_select(struct containers *cs, bool all, int limit, const struct filters *f,
			   struct container ***ret, size_t *ret_n, struct error *err)
{
	struct time_bounds tb;
	int r = validate(f, err);
	if (r == 0)
		r = bound(cs, f, "before", &tb.before_ns, err);
	if (r == 0)
		r = bound(cs, f, "since", &tb.since_ns, err);
	if (r < 0)
		return r;
	size_t n = containers_count(cs);
	struct container **v = calloc(n + 1, sizeof(*v));
	if (!v)
		return error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		v[i] = containers_at(cs, i);
	qsort(v, n, sizeof(*v), by_created_desc);
	/* A status filter or a limit looks at every container, as dockerd. */
	all = all || limit > 0 || filters_has_key(f, "status") || filters_has_key(f, "exited");
	size_t kept = 0;
	for (size_t i = 0; i < n && (limit <= 0 || kept < (size_t)limit); i++)
		if ((all || v[i]->state == CONTAINER_RUNNING) && matches(cs, f, &tb, v[i]))
			v[kept++] = v[i];
	v[kept] = NULL;
	*ret = v;
	*ret_n = kept;
	return 0;
}
