/* The scheduler: places pending tasks on nodes. Filters (ready,
 * availability, platform, constraints, reserved resources, max replicas per
 * node, host-mode published ports, generic resources) rule nodes out; among the rest, placement
 * preferences spread the service over label values, then the node with the fewest tasks of the
 * service, then the fewest tasks in all, wins. A task nobody can take
 * stays pending, and its Status.Err says how many nodes each filter ruled
 * out. Placements of one round see each other (batches). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/constraint.h"
#include "orchestrator/orch_int.h"
#include "orchestrator/ports.h"
#include "shared/generic_resources.h"

enum why {
	WHY_DOWN,
	WHY_DRAIN,
	WHY_PAUSE,
	WHY_PLATFORM,
	WHY_RESOURCES,
	WHY_MAX,
	WHY_PORTS,
	WHY_COUNT
};

struct verdict {
	int by_why[WHY_COUNT];
	json_t *by_constraint; /* constraint -> nodes it ruled out */
};

/* A node as the scheduler sees it during one round. */
struct snode {
	const char *id;
	json_t *node;
	int64_t load;		    /* live tasks */
	int64_t cpu, mem;	    /* reserved by them */
	int64_t have_cpu, have_mem; /* the node's resources */
	int64_t svc;		    /* live tasks of the current group's service */
	size_t value;		    /* its spread value's index (current group) */
	json_t *ports;		    /* host-mode ports held ("8080/tcp" -> true), or NULL */
	json_t *generic;	    /* generic resources left (a copy), or NULL: none */
	bool ok;		    /* passes the group's fixed filters */
	bool fit;		    /* and the current task's (scratch) */
};

/* A run of pending tasks of one service with one spec: the filters that do
 * not change as tasks are placed (ready, availability, platform,
 * constraints) are evaluated once for all of them, so placing one is a scan
 * over integers. */
struct group {
	const char *svc; /* NULL: no group yet */
	json_t *spec;
	int64_t cpu, mem, max;
	json_t *ports;	      /* the tasks' _ports (EndpointSpec.Ports) */
	json_t *generic;      /* the generic resources each task reserves */
	struct verdict fixed; /* what the fixed filters ruled out */
	const char *spread;   /* the first spread descriptor, or NULL */
	int64_t *by_value;    /* scratch: the service's tasks per spread value */
	size_t n_values;
};

struct sched {
	struct round *r;
	struct snode *nodes;
	size_t n;
	json_t *index;	  /* node ID -> position in nodes */
	json_t *svc_load; /* "service/node" -> live tasks */
	struct group g;
};

static int64_t svc_load(struct sched *s, const char *svc, const char *node)
{
	char k[128];
	snprintf(k, sizeof(k), "%s/%s", svc, node);
	return jint(s->svc_load, k);
}

static json_t *reservations(json_t *spec)
{
	return jpath(json_object_get(spec, "Resources"), "Reservations", NULL);
}

static void add_load(struct sched *s, json_t *t, size_t i)
{
	struct snode *n = &s->nodes[i];
	const char *svc = jstr(t, "ServiceID") ?: "";
	char k[128];
	snprintf(k, sizeof(k), "%s/%s", svc, n->id);
	json_object_set_new(s->svc_load, k, json_integer(jint(s->svc_load, k) + 1));
	if (s->g.svc && strcmp(s->g.svc, svc) == 0)
		n->svc++;
	n->load++;
	json_t *res = reservations(json_object_get(t, "Spec"));
	n->cpu += jint(res, "NanoCPUs");
	n->mem += jint(res, "MemoryBytes");
	if (n->generic)
		generic_resources_consume(n->generic, json_object_get(t, "GenericResources"));
}

/* A task assigned to a node holds its host-mode ports there until it is
 * over, also while it is being stopped (SwarmKit's HostPortFilter). */
static void hold_ports(struct sched *s, json_t *t, size_t i)
{
	json_t *ports = json_object_get(t, "_ports");
	if (!json_array_size(ports))
		return;
	struct snode *n = &s->nodes[i];
	if (!n->ports)
		n->ports = json_object();
	ports_host_add(ports, n->ports);
}

static int sched_init(struct sched *s, struct round *r)
{
	*s = (struct sched){.r = r, .index = json_object(), .svc_load = json_object()};
	s->nodes = calloc(json_object_size(r->in->nodes) + 1, sizeof(*s->nodes));
	if (!s->nodes)
		return -ENOMEM;
	const char *id;
	json_t *v;
	json_object_foreach(r->in->nodes, id, v)
	{
		json_t *have = jpath(json_object_get(v, "Description"), "Resources", NULL);
		json_t *generic = json_object_get(have, "GenericResources");
		s->nodes[s->n] = (struct snode){
		    .id = id,
		    .node = v,
		    .have_cpu = jint(have, "NanoCPUs"),
		    .have_mem = jint(have, "MemoryBytes"),
		    .generic = json_array_size(generic) ? json_deep_copy(generic) : NULL};
		json_object_set_new(s->index, id, json_integer((json_int_t)s->n++));
	}
	json_object_foreach(r->work, id, v)
	{
		json_t *at = json_object_get(s->index, jstr(v, "NodeID") ?: "");
		if (at && t_live(v) && !task_state_final(t_state(v)) && t_state(v) >= TASK_ASSIGNED)
			add_load(s, v, (size_t)json_integer_value(at));
		if (at && t_state(v) >= TASK_ASSIGNED && t_state(v) <= TASK_RUNNING)
			hold_ports(s, v, (size_t)json_integer_value(at));
	}
	return 0;
}

static void group_done(struct group *g)
{
	json_decref(g->fixed.by_constraint);
	free(g->by_value);
	*g = (struct group){0};
}

static void sched_done(struct sched *s)
{
	group_done(&s->g);
	for (size_t i = 0; i < s->n; i++) {
		json_decref(s->nodes[i].ports);
		json_decref(s->nodes[i].generic);
	}
	free(s->nodes);
	json_decref(s->index);
	json_decref(s->svc_load);
}

/* Images name architectures as Go does, nodes as uname does: SwarmKit's
 * platform filter takes x86_64 for amd64 and aarch64 for arm64. */
static const char *go_arch(const char *arch)
{
	if (arch && strcmp(arch, "x86_64") == 0)
		return "amd64";
	if (arch && strcmp(arch, "aarch64") == 0)
		return "arm64";
	return arch;
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
		const char *os = jstr(p, "OS"), *arch = go_arch(jstr(p, "Architecture"));
		const char *node_arch = go_arch(jstr(np, "Architecture"));
		if ((!os || !*os || (jstr(np, "OS") && strcmp(os, jstr(np, "OS")) == 0)) &&
		    (!arch || !*arch || (node_arch && strcmp(arch, node_arch) == 0)))
			return true;
	}
	return false;
}

/* The filters that placements do not change: whether node passes them for
 * spec; otherwise counts why not in v. */
static bool fixed_ok(json_t *spec, json_t *node, struct verdict *v)
{
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
	if (why != WHY_COUNT) {
		v->by_why[why]++;
		return false;
	}
	size_t i;
	json_t *c;
	json_array_foreach(jpath(json_object_get(spec, "Placement"), "Constraints", NULL), i, c)
	{
		const char *cs = json_string_value(c);
		if (cs && !constraint_matches(cs, node)) {
			json_object_set_new(v->by_constraint, cs,
					    json_integer(jint(v->by_constraint, cs) + 1));
			return false;
		}
	}
	return true;
}

/* The filters that placements change (reserved resources, max replicas per
 * node): WHY_COUNT when n can take one more task of the group. */
static enum why dynamic_why(const struct group *g, const struct snode *n)
{
	if ((g->cpu > 0 || g->mem > 0) &&
	    (n->have_cpu - n->cpu < g->cpu || n->have_mem - n->mem < g->mem))
		return WHY_RESOURCES;
	if (json_array_size(g->generic) && !generic_resources_fit(n->generic, g->generic))
		return WHY_RESOURCES;
	if (g->max > 0 && n->svc >= g->max)
		return WHY_MAX;
	if (n->ports && ports_host_conflict(g->ports, n->ports))
		return WHY_PORTS;
	return WHY_COUNT;
}

/* One filter's part of the explanation, in SwarmKit's words ("insufficient
 * resources on 2 nodes"): pre + count + post. */
static size_t why_part(char *buf, size_t len, size_t off, const char **sep, int k, const char *pre,
		       const char *post)
{
	if (!k)
		return off;
	off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s%d node%s%s", *sep, pre,
				k, k == 1 ? "" : "s", post);
	*sep = "; ";
	return off;
}

/* SwarmKit's explanation, its filters in its order (ready, resources,
 * constraints, platform, host ports, max replicas), each with SwarmKit's
 * words; constraints keep Berth's count per constraint. */
static void why_text(const struct verdict *v, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "no suitable node (");
	const char *sep = "";
	int unavailable = v->by_why[WHY_DOWN] + v->by_why[WHY_DRAIN] + v->by_why[WHY_PAUSE];
	off = why_part(buf, len, off, &sep, unavailable, "", " not available for new tasks");
	off = why_part(buf, len, off, &sep, v->by_why[WHY_RESOURCES], "insufficient resources on ",
		       "");
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
	off =
	    why_part(buf, len, off, &sep, v->by_why[WHY_PLATFORM], "unsupported platform on ", "");
	off = why_part(buf, len, off, &sep, v->by_why[WHY_PORTS],
		       "host-mode port already in use on ", "");
	if (v->by_why[WHY_MAX]) {
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
					"%smax replicas per node limit exceed", sep);
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

/* Starts the group of t's service and spec, unless it is the current one. */
static int group_start(struct sched *s, json_t *t)
{
	struct group *g = &s->g;
	const char *svc = jstr(t, "ServiceID") ?: "";
	json_t *spec = json_object_get(t, "Spec");
	json_t *ports = json_object_get(t, "_ports");
	if (g->svc && strcmp(g->svc, svc) == 0 && (g->spec == spec || json_equal(g->spec, spec)) &&
	    (g->ports == ports || (ports && g->ports && json_equal(g->ports, ports))))
		return 0;
	group_done(g);
	json_t *res = reservations(spec);
	*g = (struct group){.svc = svc,
			    .spec = spec,
			    .cpu = jint(res, "NanoCPUs"),
			    .mem = jint(res, "MemoryBytes"),
			    .max = jint(json_object_get(spec, "Placement"), "MaxReplicas"),
			    .ports = ports,
			    .generic = json_object_get(res, "GenericResources"),
			    .fixed.by_constraint = json_object(),
			    .spread = spread_of(t),
			    .by_value = calloc(s->n + 1, sizeof(*g->by_value))};
	if (!g->by_value) {
		group_done(g);
		return -ENOMEM;
	}
	json_t *values = json_object();
	for (size_t i = 0; i < s->n; i++) {
		struct snode *n = &s->nodes[i];
		n->ok = fixed_ok(spec, n->node, &g->fixed);
		n->svc = svc_load(s, svc, n->id);
		if (!n->ok || !g->spread)
			continue;
		const char *val = spread_value(g->spread, n->node);
		json_t *at = json_object_get(values, val);
		if (!at)
			json_object_set_new(values, val,
					    at = json_integer((json_int_t)g->n_values++));
		n->value = (size_t)json_integer_value(at);
	}
	json_decref(values);
	return 0;
}

/* Whether a better candidate than best (NULL: none yet): spread group
 * first, then the service's tasks, then all tasks, then the lower ID. */
static bool better(const struct group *g, const struct snode *n, const struct snode *best)
{
	if (!best)
		return true;
	int64_t a = g->spread ? g->by_value[n->value] : 0;
	int64_t b = g->spread ? g->by_value[best->value] : 0;
	if (a != b)
		return a < b;
	if (n->svc != best->svc)
		return n->svc < best->svc;
	if (n->load != best->load)
		return n->load < best->load;
	return strcmp(n->id, best->id) < 0;
}

/* The node for the group's next task; otherwise fills v (fixed counts
 * included) to say why none. */
static struct snode *pick(struct sched *s, struct verdict *v)
{
	struct group *g = &s->g;
	memcpy(v->by_why, g->fixed.by_why, sizeof(v->by_why));
	v->by_constraint = g->fixed.by_constraint;
	if (g->spread)
		memset(g->by_value, 0, g->n_values * sizeof(*g->by_value));
	for (size_t i = 0; i < s->n; i++) {
		struct snode *n = &s->nodes[i];
		enum why w = n->ok ? dynamic_why(g, n) : WHY_COUNT;
		n->fit = n->ok && w == WHY_COUNT;
		if (n->ok && !n->fit)
			v->by_why[w]++;
		else if (n->fit && g->spread)
			g->by_value[n->value] += n->svc;
	}
	struct snode *best = NULL;
	for (size_t i = 0; i < s->n; i++)
		if (s->nodes[i].fit && better(g, &s->nodes[i], best))
			best = &s->nodes[i];
	return best;
}

/* A task bound to a node (global services): only that node counts. */
static struct snode *pick_preset(struct sched *s, json_t *t, const char *preset, struct verdict *v)
{
	json_t *at = json_object_get(s->index, preset);
	if (!at)
		return NULL;
	struct snode *n = &s->nodes[json_integer_value(at)];
	json_t *spec = json_object_get(t, "Spec");
	json_t *res = reservations(spec);
	struct group one = {.cpu = jint(res, "NanoCPUs"),
			    .mem = jint(res, "MemoryBytes"),
			    .max = jint(json_object_get(spec, "Placement"), "MaxReplicas"),
			    .ports = json_object_get(t, "_ports"),
			    .generic = json_object_get(res, "GenericResources")};
	if (!fixed_ok(spec, n->node, v))
		return NULL;
	int64_t svc = n->svc;
	n->svc = svc_load(s, jstr(t, "ServiceID") ?: "", n->id);
	enum why w = dynamic_why(&one, n);
	n->svc = svc;
	if (w == WHY_COUNT)
		return n;
	v->by_why[w]++;
	return NULL;
}

static void place(struct sched *s, json_t *t)
{
	struct round *r = s->r;
	const char *preset = jstr(t, "NodeID");
	struct verdict own = {.by_constraint = json_object()}, v = own;
	struct snode *chosen;
	if (preset && *preset)
		chosen = pick_preset(s, t, preset, &v);
	else
		chosen = group_start(s, t) < 0 ? NULL : pick(s, &v);
	if (chosen) {
		const char *id = jstr(t, "ID");
		json_t *want =
		    json_object_get(reservations(json_object_get(t, "Spec")), "GenericResources");
		r_set(r, id, "NodeID", json_string(chosen->id));
		/* What it takes of the node's, for its DOCKER_RESOURCE_* variables. */
		if (json_array_size(want))
			r_set(r, id, "GenericResources",
			      generic_resources_claim(chosen->generic, want));
		r_set_status(r, json_object_get(r->work, id), TASK_ASSIGNED,
			     "scheduler assigned task to node", NULL);
		t = json_object_get(r->work, id);
		add_load(s, t, (size_t)(chosen - s->nodes));
		hold_ports(s, t, (size_t)(chosen - s->nodes));
	} else {
		char why[1024];
		why_text(&v, why, sizeof(why));
		const char *old = json_string_value(jpath(t, "Status", "Err"));
		if (!old || strcmp(old, why) != 0)
			r_set_status(r, t, TASK_PENDING, "pending task scheduling", why);
	}
	json_decref(own.by_constraint);
}

void schedule(struct round *r)
{
	struct sched s;
	if (sched_init(&s, r) < 0) {
		sched_done(&s);
		return;
	}
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
	sched_done(&s);
}
