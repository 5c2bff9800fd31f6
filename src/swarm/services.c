/* Services and tasks on a manager: reads and the API's writes (see
 * services.h). Writes are checked here against this manager's copy of the
 * store, then committed through the leader. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/timeutil.h"
#include "orchestrator/orchestrator.h"
#include "orchestrator/ports.h"
#include "orchestrator/task_state.h"
#include "swarm/ca.h"
#include "swarm/service_ports.h"
#include "swarm/service_spec.h"
#include "swarm/services.h"
#include "swarm/swarm_networks.h"
#include "swarm/swarm_int.h"

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *service_name(json_t *svc)
{
	return jstr(json_object_get(svc, "Spec"), "Name") ?: "";
}

void swarm_task_name(json_t *task, const char *svc_name, char *buf, size_t len)
{
	json_t *slot = json_object_get(task, "Slot");
	if (json_integer_value(slot) > 0)
		snprintf(buf, len, "%s.%lld.%s", svc_name, (long long)json_integer_value(slot),
			 jstr(task, "ID"));
	else
		snprintf(buf, len, "%s.%s.%s", svc_name, jstr(task, "NodeID") ?: "",
			 jstr(task, "ID"));
}

/* ---- reads ---- */

static bool counts_as_running(struct swarm *sw, json_t *t)
{
	json_t *node = json_object_get(sw->store.nodes, jstr(t, "NodeID") ?: "");
	const char *ns = jstr(json_object_get(node, "Status"), "State");
	return task_state_parse(jstr(json_object_get(t, "Status"), "State")) == TASK_RUNNING &&
	       task_state_parse(jstr(t, "DesiredState")) <= TASK_RUNNING && ns &&
	       strcmp(ns, "down") != 0;
}

static json_t *service_status(struct swarm *sw, json_t *svc)
{
	const char *id = jstr(svc, "ID"), *mode = orch_service_mode(svc);
	int64_t running = 0, desired = 0, completed = 0, live = 0;
	const char *tid;
	json_t *t;
	json_object_foreach(sw->store.tasks, tid, t)
	{
		if (strcmp(jstr(t, "ServiceID") ?: "", id) != 0)
			continue;
		running += counts_as_running(sw, t);
		live += task_state_parse(jstr(t, "DesiredState")) <= TASK_RUNNING;
		completed += task_state_parse(jstr(json_object_get(t, "Status"), "State")) ==
				 TASK_COMPLETE &&
			     orch_task_up_to_date(svc, t);
	}
	json_t *m = json_object_get(json_object_get(svc, "Spec"), "Mode");
	if (strcmp(mode, "replicated") == 0) {
		json_t *r = json_object_get(json_object_get(m, "Replicated"), "Replicas");
		desired = json_is_integer(r) ? json_integer_value(r) : 1;
	} else if (strcmp(mode, "replicated-job") == 0) {
		json_t *j = json_object_get(m, "ReplicatedJob");
		json_t *tc = json_object_get(j, "TotalCompletions");
		int64_t total = json_is_integer(tc) ? json_integer_value(tc) : 1;
		int64_t max = json_integer_value(json_object_get(j, "MaxConcurrent"));
		desired = total - completed;
		if (max > 0 && desired > max)
			desired = max;
		if (desired < 0)
			desired = 0;
	} else {
		/* Global: the nodes that run, or would run, a task of it. */
		desired = live;
	}
	return json_pack("{s:I, s:I, s:I}", "RunningTasks", (json_int_t)running, "DesiredTasks",
			 (json_int_t)desired, "CompletedTasks", (json_int_t)completed);
}

/* ---- registry credentials ---- */

/* docker service create/update --with-registry-auth sends X-Registry-Auth;
 * as SwarmKit, it rides in the task spec (ContainerSpec.PullOptions) to the
 * nodes that pull. dockerd's API has no such field: it never shows it. */
static json_t *container_spec(json_t *task_spec)
{
	return json_object_get(task_spec, "ContainerSpec");
}

static json_t *template_container_spec(json_t *spec)
{
	return container_spec(json_object_get(spec, "TaskTemplate"));
}

static void hide_pull_options(json_t *cs)
{
	if (json_is_object(cs))
		json_object_del(cs, "PullOptions");
}

/* Sets spec's credentials (a copy of pull_options, or none when NULL). */
static void set_pull_options(json_t *spec, json_t *pull_options)
{
	json_t *cs = template_container_spec(spec);
	if (!json_is_object(cs))
		return;
	if (pull_options)
		json_object_set_new(cs, "PullOptions", json_deep_copy(pull_options));
	else
		json_object_del(cs, "PullOptions");
}

static void set_registry_auth(json_t *spec, const char *auth)
{
	json_t *po = json_pack("{s:s}", "RegistryAuth", auth);
	set_pull_options(spec, po);
	json_decref(po);
}

/* An update keeps the credentials of the current spec, or of the previous
 * one with registryAuthFrom=previous-spec, unless new ones come. */
static int update_credentials(json_t *ns, json_t *old, const struct registry_auth_opts *ra,
			      struct error *err)
{
	if (ra && ra->auth && *ra->auth) {
		set_registry_auth(ns, ra->auth);
		return 0;
	}
	const char *from = ra && ra->from && *ra->from ? ra->from : "spec";
	json_t *src;
	if (strcmp(from, "spec") == 0)
		src = json_object_get(old, "Spec");
	else if (strcmp(from, "previous-spec") == 0)
		src = json_object_get(old, "PreviousSpec");
	else
		return error_set(err, -EINVAL, "unsupported registryAuthFrom value");
	if (!src)
		return error_set(err, -EINVAL, "service does not have a previous spec");
	set_pull_options(ns, json_object_get(template_container_spec(src), "PullOptions"));
	return 0;
}

/* dockerd's answers always carry TaskTemplate.Runtime "container" and
 * ContainerSpec.Isolation "default" (SwarmKit's zero values). The store
 * keeps neither, so that a spec sent back as it was read changes nothing
 * (no task looks out of date for them). */
static void show_constants(json_t *task_spec)
{
	json_t *cs = container_spec(task_spec);
	if (!json_is_object(cs))
		return;
	if (!json_object_get(cs, "Isolation"))
		json_object_set_new(cs, "Isolation", json_string("default"));
	if (!json_object_get(task_spec, "Runtime"))
		json_object_set_new(task_spec, "Runtime", json_string("container"));
}

static void drop_constants(json_t *task_spec)
{
	json_t *cs = container_spec(task_spec);
	const char *iso = jstr(cs, "Isolation"), *rt = jstr(task_spec, "Runtime");
	if (iso && strcmp(iso, "default") == 0)
		json_object_del(cs, "Isolation");
	if (rt && strcmp(rt, "container") == 0 && json_is_object(cs))
		json_object_del(task_spec, "Runtime");
}

static json_t *service_view(struct swarm *sw, json_t *svc, bool status)
{
	json_t *v = store_public(svc);
	json_t *vips = swarm_service_vips(sw, svc);
	json_t *ep = json_object_get(v, "Endpoint");
	if (vips && json_is_object(ep))
		json_object_set_new(ep, "VirtualIPs", vips);
	else
		json_decref(vips);
	hide_pull_options(template_container_spec(json_object_get(v, "Spec")));
	hide_pull_options(template_container_spec(json_object_get(v, "PreviousSpec")));
	show_constants(json_object_get(json_object_get(v, "Spec"), "TaskTemplate"));
	show_constants(json_object_get(json_object_get(v, "PreviousSpec"), "TaskTemplate"));
	if (status)
		json_object_set_new(v, "ServiceStatus", service_status(sw, svc));
	return v;
}

int swarm_services(struct swarm *sw, bool status, json_t **ret, struct error *err)
{
	int r = swarm_check_manager(sw, err);
	if (r < 0)
		return r;
	json_t *out = json_array();
	const char *id;
	json_t *s;
	json_object_foreach(sw->store.services, id, s)
	    json_array_append_new(out, service_view(sw, s, status));
	*ret = out;
	return 0;
}

static int find_service(struct swarm *sw, const char *ref, json_t **ret, struct error *err)
{
	json_t *s = ref && *ref ? json_object_get(sw->store.services, ref) : NULL;
	if (s) {
		*ret = s;
		return 0;
	}
	const char *id;
	json_t *v;
	json_object_foreach(sw->store.services, id, v)
	{
		if (ref && strcmp(service_name(v), ref) == 0) {
			*ret = v;
			return 0;
		}
	}
	int matches = 0;
	size_t rl = ref ? strlen(ref) : 0;
	json_object_foreach(sw->store.services, id, v)
	{
		if (rl && strncmp(id, ref, rl) == 0) {
			s = v;
			matches++;
		}
	}
	if (matches == 1) {
		*ret = s;
		return 0;
	}
	if (matches > 1)
		return error_set(err, -EINVAL, "service %s is ambiguous (%d matches found)", ref,
				 matches);
	return error_set(err, -ENOENT, "service %s not found", ref ? ref : "");
}

int swarm_service(struct swarm *sw, const char *ref, json_t **ret, struct error *err)
{
	json_t *s;
	int r = swarm_check_manager(sw, err);
	if (r == 0)
		r = find_service(sw, ref, &s, err);
	if (r == 0)
		*ret = service_view(sw, s, false);
	return r;
}

static json_t *task_view(struct swarm *sw, json_t *t)
{
	json_t *v = store_public(t);
	hide_pull_options(container_spec(json_object_get(v, "Spec")));
	show_constants(json_object_get(v, "Spec"));
	json_t *att = swarm_task_attachments(sw, json_string_value(json_object_get(t, "ID")));
	if (att)
		json_object_set_new(v, "NetworksAttachments", att);
	return v;
}

int swarm_tasks(struct swarm *sw, json_t **ret, struct error *err)
{
	int r = swarm_check_manager(sw, err);
	if (r < 0)
		return r;
	json_t *out = json_array();
	const char *id;
	json_t *t;
	json_object_foreach(sw->store.tasks, id, t) json_array_append_new(out, task_view(sw, t));
	*ret = out;
	return 0;
}

int swarm_task(struct swarm *sw, const char *ref, json_t **ret, struct error *err)
{
	int r = swarm_check_manager(sw, err);
	if (r < 0)
		return r;
	json_t *t = ref && *ref ? json_object_get(sw->store.tasks, ref) : NULL;
	if (!t) {
		const char *id;
		json_t *v;
		size_t rl = ref ? strlen(ref) : 0, n = 0;
		json_object_foreach(sw->store.tasks, id, v)
		{
			if (rl && strncmp(id, ref, rl) == 0)
				t = v, n++;
		}
		if (n != 1)
			return error_set(err, n ? -EINVAL : -ENOENT,
					 n ? "task %s is ambiguous (%zu matches found)"
					   : "task %s not found",
					 ref ? ref : "", n);
	}
	*ret = task_view(sw, t);
	return 0;
}

bool swarm_task_up_to_date(struct swarm *sw, const char *id)
{
	/* The store's task: the public view lacks the ports it was made with. */
	json_t *t = json_object_get(sw->store.tasks, id);
	json_t *svc = json_object_get(sw->store.services,
				      json_string_value(json_object_get(t, "ServiceID")) ?: "");
	return !t || !svc || orch_task_up_to_date(svc, t);
}

/* ---- writes ---- */

static json_t *update_status(const char *state, const char *msg)
{
	int64_t now = time_now_ns();
	char ts[64];
	time_format_rfc3339nano(now, ts, sizeof(ts));
	return json_pack("{s:s, s:s, s:s, s:I}", "State", state, "Message", msg, "StartedAt", ts,
			 "_started_ns", (json_int_t)now);
}

/* A name as dockerd's namesgenerator makes them: adjective_surname. */
static void random_name(char *buf, size_t len)
{
	static const char *const adj[] = {"brave", "calm", "eager", "gentle", "happy",
					  "jolly", "keen", "lucid", "quiet",  "witty"};
	static const char *const who[] = {"curie",    "hopper", "lovelace", "turing",  "noether",
					  "dijkstra", "knuth",	"ritchie",  "shannon", "hamilton"};
	unsigned char rnd[2];
	char id[26];
	swarm_new_id(id);
	rnd[0] = (unsigned char)id[0], rnd[1] = (unsigned char)id[1];
	snprintf(buf, len, "%s_%s", adj[rnd[0] % 10], who[rnd[1] % 10]);
}

static bool is_job(json_t *spec)
{
	json_t *m = json_object_get(spec, "Mode");
	return json_object_get(m, "ReplicatedJob") || json_object_get(m, "GlobalJob");
}

/* A job runs again from a new iteration (create, and each change of its
 * task template); its tasks carry the iteration they belong to. */
static void next_job_iteration(json_t *svc)
{
	char ts[64];
	time_format_rfc3339nano(time_now_ns(), ts, sizeof(ts));
	json_int_t idx = json_integer_value(json_object_get(
	    json_object_get(json_object_get(svc, "JobStatus"), "JobIteration"), "Index"));
	json_object_set_new(
	    svc, "JobStatus",
	    json_pack("{s:{s:I}, s:s}", "JobIteration", "Index", idx + 1, "LastExecution", ts));
}

static bool name_taken(struct swarm *sw, const char *name, const char *except_id)
{
	const char *id;
	json_t *v;
	json_object_foreach(sw->store.services, id, v)
	{
		if (strcmp(service_name(v), name) == 0 &&
		    (!except_id || strcmp(id, except_id) != 0))
			return true;
	}
	return false;
}

struct svc_write {
	swarm_done_fn cb;
	void *data;
	json_t *result;
};

static void svc_written(void *data, int status, json_t *res, const char *msg)
{
	struct svc_write *w = data;
	w->cb(w->data, status, status < 0 ? NULL : w->result, msg);
	json_decref(w->result);
	free(w);
}

static void write_service(struct swarm *sw, json_t *cmd, json_t *result, swarm_done_fn cb,
			  void *data)
{
	struct svc_write *w = calloc(1, sizeof(*w));
	if (!w) {
		json_decref(cmd);
		json_decref(result);
		cb(data, -ENOMEM, NULL, "out of memory");
		return;
	}
	w->cb = cb;
	w->data = data;
	w->result = result;
	swarm_write(sw, cmd, svc_written, w);
}

static int fail(swarm_done_fn cb, void *data, struct error *err)
{
	cb(data, err->code, NULL, error_msg(err));
	int r = err->code;
	error_clear(err);
	return r;
}

void swarm_service_create(struct swarm *sw, json_t *spec, const char *registry_auth,
			  swarm_done_fn cb, void *data)
{
	struct error err = ERROR_INIT;
	json_t *s = json_deep_copy(spec);
	set_pull_options(s, NULL);
	drop_constants(json_object_get(s, "TaskTemplate"));
	if (registry_auth && *registry_auth)
		set_registry_auth(s, registry_auth);
	if (swarm_check_manager(sw, &err) < 0 || service_spec_check(s, &err) < 0 ||
	    service_spec_check_refs(&sw->store, s, &err) < 0 || service_ports_check(s, &err) < 0 ||
	    service_ports_check_conflicts(&sw->store, s, NULL, &err) < 0) {
		json_decref(s);
		fail(cb, data, &err);
		return;
	}
	const char *name = jstr(s, "Name");
	if (!name || !*name) {
		char gen[64];
		do
			random_name(gen, sizeof(gen));
		while (name_taken(sw, gen, NULL));
		json_object_set_new(s, "Name", json_string(gen));
	} else if (name_taken(sw, name, NULL)) {
		error_set(&err, -EEXIST,
			  "rpc error: code = AlreadyExists desc = service %s already exists", name);
		json_decref(s);
		fail(cb, data, &err);
		return;
	}
	char id[26];
	swarm_new_id(id);
	json_t *svc = json_pack("{s:s, s:o, s:o}", "ID", id, "Spec", s, "Endpoint",
				ports_endpoint(s, NULL, sw->store.services, NULL));
	if (is_job(s))
		next_job_iteration(svc);
	write_service(sw, swarm_cmd("service", svc), json_pack("{s:s}", "ID", id), cb, data);
}

void swarm_service_update(struct swarm *sw, const char *ref, int64_t version, json_t *spec,
			  bool rollback, const struct registry_auth_opts *ra, swarm_done_fn cb,
			  void *data)
{
	struct error err = ERROR_INIT;
	json_t *old;
	if (swarm_check_manager(sw, &err) < 0 || find_service(sw, ref, &old, &err) < 0 ||
	    (!rollback && (service_spec_check(spec, &err) < 0 ||
			   service_spec_check_refs(&sw->store, spec, &err) < 0))) {
		fail(cb, data, &err);
		return;
	}
	int64_t idx = json_integer_value(json_object_get(json_object_get(old, "Version"), "Index"));
	if (version >= 0 && idx != version) {
		error_set(&err, -EINVAL, "rpc error: code = Unknown desc = update out of sequence");
		fail(cb, data, &err);
		return;
	}
	json_t *cur = json_object_get(old, "Spec");
	json_t *svc = json_deep_copy(old);
	if (rollback) {
		json_t *prev = json_object_get(old, "PreviousSpec");
		if (!prev) {
			json_decref(svc);
			error_set(&err, -EINVAL,
				  "rpc error: code = FailedPrecondition desc = service %s does not "
				  "have a previous spec",
				  jstr(old, "ID"));
			fail(cb, data, &err);
			return;
		}
		json_object_set(svc, "Spec", prev);
		json_object_set(svc, "PreviousSpec", cur);
		json_object_set_new(svc, "Endpoint",
				    ports_endpoint(prev, json_object_get(old, "Endpoint"),
						   sw->store.services, jstr(old, "ID")));
		json_object_set_new(
		    svc, "UpdateStatus",
		    update_status("rollback_started", "manually requested rollback"));
	} else {
		const char *name = jstr(spec, "Name");
		if (name && *name && strcmp(name, service_name(old)) != 0) {
			json_decref(svc);
			error_set(&err, -EINVAL,
				  "rpc error: code = Unimplemented desc = renaming services is not "
				  "supported");
			fail(cb, data, &err);
			return;
		}
		json_t *ns = json_deep_copy(spec);
		drop_constants(json_object_get(ns, "TaskTemplate"));
		if (update_credentials(ns, old, ra, &err) < 0 ||
		    service_ports_check(ns, &err) < 0 ||
		    service_ports_check_conflicts(&sw->store, ns, jstr(old, "ID"), &err) < 0) {
			json_decref(ns);
			json_decref(svc);
			fail(cb, data, &err);
			return;
		}
		json_object_set_new(ns, "Name", json_string(service_name(old)));
		json_object_set(svc, "PreviousSpec", cur);
		bool changed = !json_equal(json_object_get(ns, "TaskTemplate"),
					   json_object_get(cur, "TaskTemplate"));
		/* As SwarmKit, every update forgets the last one's status: a
		 * paused update goes on after any `service update`. */
		json_object_del(svc, "UpdateStatus");
		if (changed && is_job(ns))
			next_job_iteration(svc);
		else if (changed)
			json_object_set_new(svc, "UpdateStatus",
					    update_status("updating", "update in progress"));
		json_object_set_new(svc, "Spec", ns);
		json_object_set_new(svc, "Endpoint",
				    ports_endpoint(ns, json_object_get(old, "Endpoint"),
						   sw->store.services, jstr(old, "ID")));
	}
	write_service(sw, swarm_cmd("service", svc), json_pack("{s:n}", "Warnings"), cb, data);
}

void swarm_service_rm(struct swarm *sw, const char *ref, swarm_done_fn cb, void *data)
{
	struct error err = ERROR_INIT;
	json_t *old;
	if (swarm_check_manager(sw, &err) < 0 || find_service(sw, ref, &old, &err) < 0) {
		fail(cb, data, &err);
		return;
	}
	write_service(sw,
		      json_pack("{s:s, s:s, s:I}", "op", "rm_service", "id", jstr(old, "ID"), "ts",
				(json_int_t)time_now_ns()),
		      json_pack("{s:s, s:s}", "ID", jstr(old, "ID"), "Name", service_name(old)), cb,
		      data);
}
