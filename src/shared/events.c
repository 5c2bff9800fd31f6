/* The event log: a ring of the newest events, synchronous subscribers, replay
 * of history, and Docker's event filters and JSON message. */
#include "shared/events.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"

struct event_sub {
	struct event_sub *next;
	event_handler_t cb;
	void *userdata;
	uint64_t first_seq; /* the first event it may see: none already in flight */
	bool dead;	    /* unsubscribed while a broadcast was walking the list */
};

struct event_log {
	struct event **ring;
	size_t cap, start, count;
	uint64_t next_seq;
	struct event_sub *subs, *subs_tail;
	size_t n_subs;	 /* live ones */
	unsigned depth;	 /* nested broadcasts in progress */
	bool need_sweep; /* dead subscriptions wait for depth to reach 0 */
};

/* clang-format off */
const char *const event_filter_keys[] = {
	"config", "container", "daemon", "event", "image", "label", "network",
	"node", "plugin", "scope", "secret", "service", "type", "volume", NULL,
};
/* clang-format on */

static void jsonp(json_t **j)
{
	json_decref(*j);
}

/* ---- events ---- */

struct event *event_ref(const struct event *ev)
{
	struct event *e = (struct event *)ev;
	if (e)
		e->refs++;
	return e;
}

void event_unref(struct event *ev)
{
	if (!ev || --ev->refs > 0)
		return;
	json_decref(ev->attributes);
	free(ev); /* the strings live in the same block */
}

static bool is_string_object(const json_t *obj)
{
	if (!json_is_object(obj))
		return false;
	for (void *it = json_object_iter((json_t *)obj); it;
	     it = json_object_iter_next((json_t *)obj, it))
		if (!json_is_string(json_object_iter_value(it)))
			return false;
	return true;
}

/* One allocation for the struct and its strings. Steals attributes. */
static struct event *event_new(int64_t time_ns, const char *type, const char *action,
			       const char *actor_id, json_t *attributes, const char *scope)
{
	size_t lt = strlen(type) + 1, la = strlen(action) + 1, li = strlen(actor_id) + 1;
	size_t ls = strlen(scope) + 1;
	struct event *ev = malloc(sizeof(*ev) + lt + la + li + ls);
	if (!ev) {
		json_decref(attributes);
		return NULL;
	}
	char *p = (char *)(ev + 1);
	ev->type = memcpy(p, type, lt);
	ev->action = memcpy(p += lt, action, la);
	ev->actor_id = memcpy(p += la, actor_id, li);
	ev->scope = memcpy(p += li, scope, ls);
	ev->attributes = attributes;
	ev->time_ns = time_ns;
	ev->seq = 0;
	ev->refs = 1;
	return ev;
}

/* ---- the log ---- */

struct event_log *event_log_new(size_t capacity)
{
	struct event_log *log = calloc(1, sizeof(*log));
	if (!log)
		return NULL;
	if (capacity > 0) {
		log->ring = calloc(capacity, sizeof(*log->ring));
		if (!log->ring) {
			free(log);
			return NULL;
		}
	}
	log->cap = capacity;
	log->next_seq = 1;
	return log;
}

void event_log_free(struct event_log *log)
{
	if (!log)
		return;
	for (size_t i = 0; i < log->count; i++)
		event_unref(log->ring[(log->start + i) % log->cap]);
	free(log->ring);
	for (struct event_sub *s = log->subs, *next; s; s = next) {
		next = s->next;
		free(s);
	}
	free(log);
}

/* Takes a reference to ev, dropping the oldest event when full. */
static void ring_push(struct event_log *log, struct event *ev)
{
	if (log->cap == 0)
		return;
	if (log->count == log->cap) {
		event_unref(log->ring[log->start]);
		log->start = (log->start + 1) % log->cap;
		log->count--;
	}
	log->ring[(log->start + log->count) % log->cap] = event_ref(ev);
	log->count++;
}

/* The stored event with sequence number seq, or NULL. Stored events have
 * consecutive numbers, so this is an index computation. */
static struct event *ring_at_seq(const struct event_log *log, uint64_t seq)
{
	if (log->count == 0)
		return NULL;
	uint64_t oldest = log->ring[log->start]->seq;
	if (seq < oldest || seq - oldest >= log->count)
		return NULL;
	return log->ring[(log->start + (size_t)(seq - oldest)) % log->cap];
}

/* Frees the subscriptions marked dead; only when no broadcast walks the list. */
static void subs_sweep(struct event_log *log)
{
	struct event_sub **pp = &log->subs, *last = NULL;
	while (*pp) {
		struct event_sub *s = *pp;
		if (s->dead) {
			*pp = s->next;
			free(s);
		} else {
			last = s;
			pp = &s->next;
		}
	}
	log->subs_tail = last;
	log->need_sweep = false;
}

/* Callbacks may subscribe (the new one skips ev by first_seq), unsubscribe
 * (marked dead, freed after the outermost broadcast) or publish (nested
 * broadcast; ev is kept alive by the caller's reference). */
static void broadcast(struct event_log *log, const struct event *ev)
{
	log->depth++;
	for (struct event_sub *s = log->subs; s; s = s->next)
		if (!s->dead && s->first_seq <= ev->seq)
			s->cb(ev, s->userdata);
	if (--log->depth == 0 && log->need_sweep)
		subs_sweep(log);
}

int event_log_publish_at(struct event_log *log, int64_t time_ns, const char *type,
			 const char *action, const char *actor_id, json_t *attributes,
			 const char *scope)
{
	if (!attributes)
		attributes = json_object();
	if (!attributes)
		return -ENOMEM;
	if (!log || !type || !action || !actor_id || !scope || !is_string_object(attributes)) {
		json_decref(attributes);
		return -EINVAL;
	}
	struct event *ev = event_new(time_ns, type, action, actor_id, attributes, scope);
	if (!ev)
		return -ENOMEM;
	ev->seq = log->next_seq++;
	ring_push(log, ev);
	broadcast(log, ev);
	event_unref(ev);
	return 0;
}

int event_log_publish(struct event_log *log, const char *type, const char *action,
		      const char *actor_id, json_t *attributes, const char *scope)
{
	return event_log_publish_at(log, time_now_ns(), type, action, actor_id, attributes, scope);
}

int event_log_subscribe(struct event_log *log, event_handler_t cb, void *userdata,
			struct event_sub **ret)
{
	struct event_sub *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct event_sub){.cb = cb, .userdata = userdata, .first_seq = log->next_seq};
	if (log->subs_tail)
		log->subs_tail->next = s;
	else
		log->subs = s;
	log->subs_tail = s;
	log->n_subs++;
	*ret = s;
	return 0;
}

void event_log_unsubscribe(struct event_log *log, struct event_sub *sub)
{
	if (!sub || sub->dead)
		return;
	sub->dead = true;
	log->n_subs--;
	log->need_sweep = true;
	if (log->depth == 0)
		subs_sweep(log);
}

size_t event_log_subscribers(const struct event_log *log)
{
	return log ? log->n_subs : 0;
}

static bool in_window(int64_t t, int64_t since_ns, int64_t until_ns)
{
	return (since_ns == 0 || t >= since_ns) && (until_ns == INT64_MAX || t <= until_ns);
}

/* Walks by sequence number rather than by slot, so a callback that publishes
 * (and so rotates the ring) neither repeats nor sees newer events. */
size_t event_log_replay(const struct event_log *log, int64_t since_ns, int64_t until_ns,
			const struct filters *f, event_handler_t cb, void *userdata)
{
	if (!log || log->count == 0)
		return 0;
	uint64_t first = log->ring[log->start]->seq, end = log->next_seq;
	size_t n = 0;
	for (uint64_t seq = first; seq < end; seq++) {
		struct event *ev = ring_at_seq(log, seq);
		if (!ev || !in_window(ev->time_ns, since_ns, until_ns) || !event_matches(ev, f))
			continue;
		event_ref(ev);
		cb(ev, userdata);
		event_unref(ev);
		n++;
	}
	return n;
}

/* ---- image references, for the image filter ---- */

/* These follow github.com/distribution/reference's grammar, which dockerd's
 * stripTag() relies on to compare "busybox:latest" with a filter "busybox". */

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)* */
static bool valid_path_component(const char *s, size_t n)
{
	size_t i = 0;
	for (;;) {
		size_t run = i;
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == run)
			return false;
		if (i == n)
			return true;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return false;
	}
}

static bool valid_path(const char *s, size_t n)
{
	const char *end = s + n;
	for (;;) {
		const char *slash = memchr(s, '/', (size_t)(end - s));
		size_t len = slash ? (size_t)(slash - s) : (size_t)(end - s);
		if (!valid_path_component(s, len))
			return false;
		if (!slash)
			return true;
		s = slash + 1;
	}
}

/* [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool valid_domain_component(const char *s, size_t n)
{
	if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool valid_host(const char *s, size_t n)
{
	if (n >= 3 && s[0] == '[' && s[n - 1] == ']')
		return strspn(s + 1, "0123456789abcdefABCDEF:") >= n - 2;
	const char *end = s + n;
	for (;;) {
		const char *dot = memchr(s, '.', (size_t)(end - s));
		size_t len = dot ? (size_t)(dot - s) : (size_t)(end - s);
		if (!valid_domain_component(s, len))
			return false;
		if (!dot)
			return true;
		s = dot + 1;
	}
}

/* host (":" [0-9]+)?, host being a domain name or a bracketed IPv6 address */
static bool valid_domain(const char *s, size_t n)
{
	const char *close = memchr(s, ']', n);
	const char *colon = memchr(close ? close : s, ':', n - (size_t)((close ? close : s) - s));
	if (!colon)
		return valid_host(s, n);
	size_t port = n - (size_t)(colon - s) - 1;
	return port > 0 && strspn(colon + 1, "0123456789") >= port &&
	       valid_host(s, (size_t)(colon - s));
}

static bool valid_tag(const char *s, size_t n)
{
	if (n == 0 || n > 128 || !is_word(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* go-digest accepts only the algorithms it can compute, lower-case hex. */
static bool valid_digest(const char *s)
{
	static const struct {
		const char *alg;
		size_t hex;
	} algs[] = {{"sha256:", 64}, {"sha384:", 96}, {"sha512:", 128}};
	for (size_t i = 0; i < ARRAY_SIZE(algs); i++) {
		size_t la = strlen(algs[i].alg);
		if (strncmp(s, algs[i].alg, la) == 0)
			return strlen(s + la) == algs[i].hex &&
			       strspn(s + la, "0123456789abcdef") == algs[i].hex;
	}
	return false;
}

static bool is_image_id(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* Checks "path[:tag][@digest]" and returns the length of path, or 0. */
static size_t parse_remainder(const char *rem)
{
	size_t plen = strcspn(rem, ":@");
	if (!valid_path(rem, plen))
		return 0;
	const char *p = rem + plen;
	if (*p == ':') {
		size_t tlen = strcspn(p + 1, "@");
		if (!valid_tag(p + 1, tlen))
			return 0;
		p += 1 + tlen;
	}
	if (*p == '@' && !valid_digest(p + 1))
		return 0;
	return plen;
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isupper((unsigned char)s[i]))
			return true;
	return false;
}

/* splitDockerDomain: which part of name is a registry. */
static void split_domain(const char *name, const char **domain, size_t *dlen, const char **rem)
{
	const char *slash = strchr(name, '/');
	size_t n = slash ? (size_t)(slash - name) : 0;
	*domain = "docker.io";
	*dlen = strlen("docker.io");
	*rem = name;
	if (!slash)
		return;
	if (n == strlen("index.docker.io") && strncmp(name, "index.docker.io", n) == 0) {
		*rem = slash + 1;
	} else if ((n == strlen("localhost") && strncmp(name, "localhost", n) == 0) ||
		   memchr(name, '.', n) || memchr(name, ':', n) || has_upper(name, n)) {
		*domain = name;
		*dlen = n;
		*rem = slash + 1;
	}
}

/* dockerd's stripTag(): the familiar name of image without tag or digest
 * ("docker.io/library/busybox:1" -> "busybox"), or image itself when it does
 * not parse as a reference. buf holds at least 256 bytes. */
static const char *strip_tag(const char *image, char *buf, size_t len)
{
	const char *domain, *rem;
	size_t dlen;
	if (is_image_id(image))
		return image;
	split_domain(image, &domain, &dlen, &rem);
	bool hub = dlen == strlen("docker.io") && strncmp(domain, "docker.io", dlen) == 0;
	if (has_upper(rem, strcspn(rem, ":")))
		return image;
	size_t plen = parse_remainder(rem);
	if (plen == 0 || !valid_domain(domain, dlen))
		return image;
	/* Docker Hub names are "library/x" when bare and familiar without it. */
	bool bare = !memchr(rem, '/', plen);
	size_t full = dlen + 1 + plen + (hub && bare ? strlen("library/") : 0);
	if (full > 255 || full >= len)
		return image;
	if (hub && strncmp(rem, "library/", 8) == 0 && !memchr(rem + 8, '/', plen - 8))
		snprintf(buf, len, "%.*s", (int)(plen - 8), rem + 8);
	else if (hub)
		snprintf(buf, len, "%.*s", (int)plen, rem);
	else
		snprintf(buf, len, "%.*s/%.*s", (int)dlen, domain, (int)plen, rem);
	return buf;
}

/* ---- filters ---- */

static const char *attr(const struct event *ev, const char *key)
{
	const char *s = json_string_value(json_object_get(ev->attributes, key));
	return s ? s : "";
}

/* #25798: "health_status", "exec_create" and "exec_start" actions carry a
 * suffix (": healthy", ": sh -c ..."), so those filter values match by prefix. */
static bool match_action(const struct event *ev, const struct filters *f)
{
	static const char *const fuzzy[] = {"health_status", "exec_create", "exec_start", NULL};
	size_t n;
	const char *const *vals = filters_values(f, "event", &n);
	for (size_t i = 0; i < n; i++)
		for (const char *const *p = fuzzy; *p; p++)
			if (strcmp(vals[i], *p) == 0)
				return filters_match_fuzzy(f, "event", ev->action);
	return filters_match_exact(f, "event", ev->action);
}

static bool match_name(const struct event *ev, const struct filters *f, const char *key)
{
	return filters_match_fuzzy(f, key, ev->actor_id) ||
	       filters_match_fuzzy(f, key, attr(ev, "name"));
}

/* Container events name their image in "image", image events in "name". */
static bool match_image(const struct event *ev, const struct filters *f)
{
	const char *name = attr(ev, strcmp(ev->type, "image") == 0 ? "name" : "image");
	char b1[256], b2[256];
	return filters_match_exact(f, "image", ev->actor_id) ||
	       filters_match_exact(f, "image", name) ||
	       filters_match_exact(f, "image", strip_tag(ev->actor_id, b1, sizeof(b1))) ||
	       filters_match_exact(f, "image", strip_tag(name, b2, sizeof(b2)));
}

bool event_matches(const struct event *ev, const struct filters *f)
{
	/* clang-format off */
	static const char *const by_name[] = {
		"daemon", "container", "plugin", "volume", "network",
		"node", "service", "secret", "config", NULL,
	};
	/* clang-format on */
	if (filters_len(f) == 0)
		return true;
	if (!match_action(ev, f) || !filters_match_exact(f, "type", ev->type) ||
	    !filters_match_exact(f, "scope", ev->scope))
		return false;
	for (const char *const *k = by_name; *k; k++)
		if (!match_name(ev, f, *k))
			return false;
	return match_image(ev, f) && filters_match_label(f, "label", ev->attributes);
}

/* ---- JSON ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Go writes map keys sorted; jansson keeps insertion order, so insert sorted. */
static json_t *sorted_copy(const json_t *obj)
{
	size_t n = json_object_size(obj), i = 0;
	_cleanup_free_ const char **keys = calloc(n ? n : 1, sizeof(*keys));
	_cleanup_(jsonp) json_t *out = json_object();
	if (!keys || !out)
		return NULL;
	for (void *it = json_object_iter((json_t *)obj); it;
	     it = json_object_iter_next((json_t *)obj, it))
		keys[i++] = json_object_iter_key(it);
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++)
		if (json_object_set(out, keys[i], json_object_get(obj, keys[i])) < 0)
			return NULL;
	return TAKE_PTR(out);
}

/* Sets key to a string unless it is empty: Go's `json:",omitempty"`. */
static int set_nonempty(json_t *obj, const char *key, const char *s)
{
	return *s ? json_object_set_new(obj, key, json_string(s)) : 0;
}

static int add_legacy(json_t *o, const struct event *ev)
{
	bool container = strcmp(ev->type, "container") == 0;
	if (!container && strcmp(ev->type, "image") != 0)
		return 0;
	if (set_nonempty(o, "status", ev->action) < 0 || set_nonempty(o, "id", ev->actor_id) < 0)
		return -ENOMEM;
	return container ? set_nonempty(o, "from", attr(ev, "image")) : 0;
}

/* Go's Unix(): seconds rounded towards minus infinity. */
static int64_t seconds_of(int64_t ns)
{
	return ns / 1000000000 - (ns % 1000000000 < 0);
}

json_t *event_to_json_api(const struct event *ev, bool legacy_fields)
{
	_cleanup_(jsonp) json_t *o = json_object();
	json_t *attrs = sorted_copy(ev->attributes);
	json_t *actor =
	    attrs ? json_pack("{s:s, s:o}", "ID", ev->actor_id, "Attributes", attrs) : NULL;
	if (!o || !actor || (legacy_fields && add_legacy(o, ev) < 0) ||
	    json_object_set_new(o, "Type", json_string(ev->type)) < 0 ||
	    json_object_set_new(o, "Action", json_string(ev->action)) < 0 ||
	    json_object_set_new(o, "Actor", TAKE_PTR(actor)) < 0 ||
	    set_nonempty(o, "scope", ev->scope) < 0)
		goto fail;
	int64_t secs = seconds_of(ev->time_ns);
	if ((secs != 0 && json_object_set_new(o, "time", json_integer(secs)) < 0) ||
	    (ev->time_ns != 0 && json_object_set_new(o, "timeNano", json_integer(ev->time_ns)) < 0))
		goto fail;
	return TAKE_PTR(o);
fail:
	json_decref(actor);
	return NULL;
}

json_t *event_to_json(const struct event *ev)
{
	return event_to_json_api(ev, true);
}
