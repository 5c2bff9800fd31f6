/* The scheduler: places pending tasks on nodes. Filters (ready,
 * availability, platform, constraints, reserved resources, max replicas per
 * node) rule nodes out; among the rest, placement preferences spread the
 * service over label values, then the node with the fewest tasks of the
 * service, then the fewest tasks in all, wins. A task nobody can take
 * stays pending, and its Status.Err says how many nodes each filter ruled
 * out. Placements of one round see each other (batches). */
#include <stdio.h>
#include <string.h>

#include "orchestrator/constraint.h"
#include "orchestrator/orch_int.h"

enum why { WHY_DOWN, WHY_DRAIN, WHY_PAUSE, WHY_PLATFORM, WHY_RESOURCES, WHY_MAX, WHY_COUNT };

struct verdict {
	int by_why[WHY_COUNT];
	json_t *by_constraint; /* constraint -> nodes it ruled out */
};

struct sched {
	struct round *r;
	json_t *svc_load; /* "service/node" -> live tasks */
	json_t *reserved; /* node -> {"cpu":..,"mem":..} */
	json_t *load;	  /* node -> live tasks */
};

static int64_t svc_load(struct sched *s, const char *svc, const char *node)
{
	char k[128];
	snprintf(k, sizeof(k), "%s/%s", svc, node);
	return jint(s->svc_load, k);
}

static void add_load(struct sched *s, json_t *t, const char *node)
{
	char k[128];
	snprintf(k, sizeof(k), "%s/%s", jstr(t, "ServiceID") ?: "", node);
	json_object_set_new(s->svc_load, k, json_integer(jint(s->svc_load, k) + 1));
	json_object_set_new(s->load, node, json_integer(jint(s->load, node) + 1));
	json_t *res =
	    jpath(jpath(json_object_get(t, "Spec"), "Resources", NULL), "Reservations", NULL);
	json_t *cur = json_object_get(s->reserved, node);
	if (!cur)
		json_object_set_new(s->reserved, node,
				    cur = json_pack("{s:I, s:I}", "cpu", 0, "mem", 0));
	json_object_set_new(cur, "cpu", json_integer(jint(cur, "cpu") + jint(res, "NanoCPUs")));
	json_object_set_new(cur, "mem", json_integer(jint(cur, "mem") + jint(res, "MemoryBytes")));
}

static void sched_init(struct sched *s, struct round *r)
{
	s->r = r;
	s->svc_load = json_object();
	s->reserved = json_object();
	s->load = json_object();
	const char *id;
	json_t *t;
	json_object_foreach(r->work, id, t)
	{
		const char *node = jstr(t, "NodeID");
		if (node && *node && t_live(t) && !task_state_final(t_state(t)) &&
		    t_state(t) >= TASK_ASSIGNED)
			add_load(s, t, node);
	}
}

static bool platform_ok(json_t *spec, json_t *node)
{
	json_t *plats = jpath(json_object_get(spec, "Placement"), "Platforms", NULL);
	if (!json_array_size(plats))
		return true;
	json_t *np = jpath(json_object_get(node, "Description"), "Platform", NULL);
	size_t i;
	json_t *p;
	json_array_foreach(plats, i, p)
	{
		const char *os = jstr(p, "OS"), *arch = jstr(p, "Architecture");
		if ((!os || !*os || (jstr(np, "OS") && strcmp(os, jstr(np, "OS")) == 0)) &&
		    (!arch || !*arch ||
		     (jstr(np, "Architecture") && strcmp(arch, jstr(np, "Architecture")) == 0)))
			return true;
	}
	return false;
}

static bool resources_ok(struct sched *s, json_t *spec, json_t *node, const char *nid)
{
	json_t *want = jpath(json_object_get(spec, "Resources"), "Reservations", NULL);
	int64_t cpu = jint(want, "NanoCPUs"), mem = jint(want, "MemoryBytes");
	if (cpu <= 0 && mem <= 0)
		return true;
	json_t *have = jpath(json_object_get(node, "Description"), "Resources", NULL);
	json_t *used = json_object_get(s->reserved, nid);
	return jint(have, "NanoCPUs") - jint(used, "cpu") >= cpu &&
	       jint(have, "MemoryBytes") - jint(used, "mem") >= mem;
}

/* Whether node can take t; otherwise counts why not in v. */
static bool fits(struct sched *s, json_t *t, json_t *node, const char *nid, struct verdict *v)
{
	json_t *spec = json_object_get(t, "Spec");
	const char *avail = node_availability(node);
	enum why why = WHY_COUNT;
	if (!node_up(node))
		why = WHY_DOWN;
	else if (strcmp(avail, "drain") == 0)
		why = WHY_DRAIN;
	else if (strcmp(avail, "pause") == 0)
		why = WHY_PAUSE;
	else if (!platform_ok(spec, node))
		why = WHY_PLATFORM;
	if (why == WHY_COUNT) {
		size_t i;
		json_t *c;
		json_array_foreach(jpath(json_object_get(spec, "Placement"), "Constraints", NULL),
				   i, c)
		{
			const char *cs = json_string_value(c);
			if (cs && !constraint_matches(cs, node)) {
				json_object_set_new(v->by_constraint, cs,
						    json_integer(jint(v->by_constraint, cs) + 1));
				return false;
			}
		}
		int64_t max = jint(json_object_get(spec, "Placement"), "MaxReplicas");
		if (!resources_ok(s, spec, node, nid))
			why = WHY_RESOURCES;
		else if (max > 0 && svc_load(s, jstr(t, "ServiceID") ?: "", nid) >= max)
			why = WHY_MAX;
		else
			return true;
	}
	v->by_why[why]++;
	return false;
}

static void why_text(const struct verdict *v, char *buf, size_t len)
{
	static const char *const what[WHY_COUNT] = {"not ready",
						    "drained",
						    "paused",
						    "on another platform",
						    "without enough free resources",
						    "at the service's max replicas per node"};
	size_t off = (size_t)snprintf(buf, len, "no suitable node (");
	const char *sep = "";
	const char *c;
	json_t *n;
	json_object_foreach(v->by_constraint, c, n)
	{
		int64_t k = json_integer_value(n);
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
					"%s%lld node%s fail%s constraint %s", sep, (long long)k,
					k == 1 ? "" : "s", k == 1 ? "s" : "", c);
		sep = "; ";
	}
	for (int w = 0; w < WHY_COUNT; w++) {
		if (!v->by_why[w])
			continue;
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%d node%s %s", sep,
					v->by_why[w], v->by_why[w] == 1 ? "" : "s", what[w]);
		sep = "; ";
	}
	if (!*sep)
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "no nodes");
	snprintf(buf + (off < len ? off : len - 1), off < len ? len - off : 1, ")");
}

/* The value of the spread descriptor ("node.labels.zone") on node. */
static const char *spread_value(const char *desc, json_t *node)
{
	static const char nl[] = "node.labels.", el[] = "engine.labels.";
	json_t *labels = NULL;
	if (strncmp(desc, nl, sizeof(nl) - 1) == 0)
		labels = jpath(json_object_get(node, "Spec"), "Labels", NULL),
		desc += sizeof(nl) - 1;
	else if (strncmp(desc, el, sizeof(el) - 1) == 0)
		labels = jpath(jpath(node, "Description", "Engine"), "Labels", NULL),
		desc += sizeof(el) - 1;
	return json_string_value(json_object_get(labels, desc)) ?: "";
}

static const char *spread_of(json_t *t)
{
	json_t *prefs =
	    jpath(jpath(json_object_get(t, "Spec"), "Placement", NULL), "Preferences", NULL);
	return json_string_value(
	    jpath(jpath(json_array_get(prefs, 0), "Spread", NULL), "SpreadDescriptor", NULL));
}

/* Tasks of the service per spread value, over the eligible nodes. */
static json_t *group_load(struct sched *s, const char *svc, const char *desc, json_t *ok)
{
	json_t *g = json_object();
	size_t i;
	json_t *nid;
	json_array_foreach(ok, i, nid)
	{
		const char *val =
		    spread_value(desc, json_object_get(s->r->in->nodes, json_string_value(nid)));
		json_object_set_new(
		    g, val, json_integer(jint(g, val) + svc_load(s, svc, json_string_value(nid))));
	}
	return g;
}

static const char *pick(struct sched *s, json_t *t, json_t *ok)
{
	const char *svc = jstr(t, "ServiceID") ?: "", *desc = spread_of(t);
	json_t *groups = desc ? group_load(s, svc, desc, ok) : NULL;
	const char *best = NULL;
	int64_t bg = 0, bs = 0, bl = 0;
	size_t i;
	json_t *nidv;
	json_array_foreach(ok, i, nidv)
	{
		const char *nid = json_string_value(nidv);
		int64_t g =
		    groups ? jint(groups, spread_value(desc, json_object_get(s->r->in->nodes, nid)))
			   : 0;
		int64_t sl = svc_load(s, svc, nid), l = jint(s->load, nid);
		if (!best || g < bg ||
		    (g == bg &&
		     (sl < bs || (sl == bs && (l < bl || (l == bl && strcmp(nid, best) < 0)))))) {
			best = nid;
			bg = g, bs = sl, bl = l;
		}
	}
	json_decref(groups);
	return best;
}

static void place(struct sched *s, json_t *t)
{
	struct round *r = s->r;
	struct verdict v = {.by_constraint = json_object()};
	json_t *ok = json_array();
	const char *preset = jstr(t, "NodeID");
	const char *nid;
	json_t *node;
	if (preset && *preset) {
		node = json_object_get(r->in->nodes, preset);
		if (node && fits(s, t, node, preset, &v))
			json_array_append_new(ok, json_string(preset));
	} else {
		json_object_foreach(r->in->nodes, nid, node)
		{
			if (fits(s, t, node, nid, &v))
				json_array_append_new(ok, json_string(nid));
		}
	}
	const char *chosen = pick(s, t, ok);
	if (chosen) {
		char id[64];
		snprintf(id, sizeof(id), "%s", chosen);
		r_set(r, jstr(t, "ID"), "NodeID", json_string(id));
		r_set_status(r, json_object_get(r->work, jstr(t, "ID")), TASK_ASSIGNED,
			     "scheduler assigned task to node", NULL);
		add_load(s, t, id);
	} else {
		char why[1024];
		why_text(&v, why, sizeof(why));
		const char *old = json_string_value(jpath(t, "Status", "Err"));
		if (!old || strcmp(old, why) != 0)
			r_set_status(r, t, TASK_PENDING, "pending task scheduling", why);
	}
	json_decref(ok);
	json_decref(v.by_constraint);
}

void schedule(struct round *r)
{
	struct sched s;
	sched_init(&s, r);
	/* IDs first: placing changes the work view. */
	json_t *pending = json_array();
	const char *id;
	json_t *t;
	json_object_foreach(r->work, id, t)
	{
		if (t_live(t) && t_state(t) <= TASK_PENDING &&
		    r_service(r, jstr(t, "ServiceID") ?: ""))
			json_array_append_new(pending, json_string(id));
	}
	size_t i;
	json_t *idv;
	json_array_foreach(pending, i, idv)
	    place(&s, json_object_get(r->work, json_string_value(idv)));
	json_decref(pending);
	json_decref(s.svc_load);
	json_decref(s.reserved);
	json_decref(s.load);
}
