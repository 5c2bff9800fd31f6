/* Docker's filters: parsing both JSON forms, validation, and the matching
 * helpers of moby's filters.Args, kept byte-for-byte compatible in behaviour. */
#include "shared/filters.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"

struct filter_entry {
	char *key;
	char **values;
	bool *on; /* the bool of the map form; ExactMatch honours it, as dockerd */
	size_t n, cap;
};

struct filters {
	struct filter_entry *entries;
	size_t n, cap;
};

static void jsonp(json_t **j)
{
	json_decref(*j);
}

struct filters *filters_new(void)
{
	return calloc(1, sizeof(struct filters));
}

void filters_free(struct filters *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		struct filter_entry *e = &f->entries[i];
		for (size_t j = 0; j < e->n; j++)
			free(e->values[j]);
		free(e->values);
		free(e->on);
		free(e->key);
	}
	free(f->entries);
	free(f);
}

static struct filter_entry *find_entry(const struct filters *f, const char *key)
{
	if (!f)
		return NULL;
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->entries[i].key, key) == 0)
			return &f->entries[i];
	return NULL;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 4;
	while (ncap < need)
		ncap *= 2;
	void *np = reallocarray(*p, ncap, size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

/* Returns the entry of key, creating it without values when absent. */
static struct filter_entry *get_entry(struct filters *f, const char *key)
{
	struct filter_entry *e = find_entry(f, key);
	if (e)
		return e;
	if (grow((void **)&f->entries, &f->cap, f->n + 1, sizeof(*f->entries)) < 0)
		return NULL;
	e = &f->entries[f->n];
	*e = (struct filter_entry){.key = strdup(key)};
	if (!e->key)
		return NULL;
	f->n++;
	return e;
}

static ssize_t value_index(const struct filter_entry *e, const char *value)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->values[i], value) == 0)
			return (ssize_t)i;
	return -1;
}

/* Appends without looking for duplicates: callers know value is new. */
static int entry_append(struct filter_entry *e, const char *value, bool on)
{
	size_t cap = e->cap;
	if (grow((void **)&e->values, &cap, e->n + 1, sizeof(*e->values)) < 0)
		return -ENOMEM;
	size_t cap_on = e->cap;
	if (grow((void **)&e->on, &cap_on, e->n + 1, sizeof(*e->on)) < 0)
		return -ENOMEM;
	e->cap = cap;
	e->values[e->n] = strdup(value);
	if (!e->values[e->n])
		return -ENOMEM;
	e->on[e->n++] = on;
	return 0;
}

int filters_add(struct filters *f, const char *key, const char *value)
{
	struct filter_entry *e = get_entry(f, key);
	if (!e)
		return -ENOMEM;
	ssize_t i = value_index(e, value);
	if (i >= 0) {
		e->on[i] = true; /* Args.Add sets the value to true */
		return 0;
	}
	return entry_append(e, value, true);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int filters_add_arg(struct filters *f, const char *arg, struct error *err)
{
	if (!arg || !*arg)
		return 0;
	_cleanup_free_ char *copy = strdup(arg);
	if (!copy)
		return error_set(err, -ENOMEM, "out of memory");
	char *eq = strchr(copy, '=');
	if (!eq)
		return error_set(err, -EINVAL, "bad format of filter (expected name=value)");
	*eq = '\0';
	char *name = trim(copy);
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (filters_add(f, name, trim(eq + 1)) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* The map form {"k":{"v":true}}: keys of one object are unique already. */
static int add_map_values(struct filter_entry *e, json_t *obj)
{
	for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		json_t *b = json_object_iter_value(it);
		if (!json_is_boolean(b))
			return -EINVAL;
		if (entry_append(e, json_object_iter_key(it), json_is_true(b)) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The legacy form {"k":["v"]}: the array may repeat a value, and a JSON
 * object as the set keeps a long list from costing quadratic time. */
static int add_list_values(struct filter_entry *e, json_t *arr)
{
	_cleanup_(jsonp) json_t *seen = json_object();
	if (!seen)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *v = json_array_get(arr, i);
		if (!json_is_string(v))
			return -EINVAL;
		const char *s = json_string_value(v);
		if (json_object_get(seen, s))
			continue;
		if (json_object_set(seen, s, json_true()) < 0 || entry_append(e, s, true) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* dockerd tries the map form for the whole object, then the legacy form, so
 * one request mixing both forms is invalid. null values decode to a key
 * without values in either form. */
static int add_from_json(struct filters *f, json_t *root)
{
	bool has_obj = false, has_arr = false;
	for (void *it = json_object_iter(root); it; it = json_object_iter_next(root, it)) {
		json_t *v = json_object_iter_value(it);
		has_obj |= json_is_object(v);
		has_arr |= json_is_array(v);
		if (!json_is_object(v) && !json_is_array(v) && !json_is_null(v))
			return -EINVAL;
	}
	if (has_obj && has_arr)
		return -EINVAL;
	for (void *it = json_object_iter(root); it; it = json_object_iter_next(root, it)) {
		json_t *v = json_object_iter_value(it);
		struct filter_entry *e = get_entry(f, json_object_iter_key(it));
		if (!e)
			return -ENOMEM;
		int r = 0;
		if (json_is_object(v))
			r = add_map_values(e, v);
		else if (json_is_array(v))
			r = add_list_values(e, v);
		if (r < 0)
			return r;
	}
	return 0;
}

int filters_parse(const char *json, struct filters **ret, struct error *err)
{
	_cleanup_(filters_freep) struct filters *f = filters_new();
	if (!f)
		return error_set(err, -ENOMEM, "out of memory");
	if (json && *json) {
		/* DECODE_ANY so that "null" is accepted as Go's decoder does. */
		_cleanup_(jsonp) json_t *root = json_loads(json, JSON_DECODE_ANY, NULL);
		if (!root || !(json_is_object(root) || json_is_null(root)))
			return error_set(err, -EINVAL, "invalid filter");
		int r = json_is_object(root) ? add_from_json(f, root) : 0;
		if (r == -ENOMEM)
			return error_set(err, r, "out of memory");
		if (r < 0)
			return error_set(err, r, "invalid filter");
	}
	*ret = TAKE_PTR(f);
	return 0;
}

size_t filters_len(const struct filters *f)
{
	return f ? f->n : 0;
}

const char *filters_key_at(const struct filters *f, size_t i)
{
	return f && i < f->n ? f->entries[i].key : NULL;
}

bool filters_has_key(const struct filters *f, const char *key)
{
	return find_entry(f, key) != NULL;
}

const char *const *filters_values(const struct filters *f, const char *key, size_t *ret_n)
{
	const struct filter_entry *e = find_entry(f, key);
	*ret_n = e ? e->n : 0;
	return e ? (const char *const *)e->values : NULL;
}

static bool in_list(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

int filters_validate(const struct filters *f, const char *const *allowed_keys, struct error *err)
{
	for (size_t i = 0; i < filters_len(f); i++)
		if (!in_list(allowed_keys, f->entries[i].key))
			return error_set(err, -EINVAL, "invalid filter '%s'", f->entries[i].key);
	return 0;
}

bool filters_match_exact(const struct filters *f, const char *key, const char *value)
{
	const struct filter_entry *e = find_entry(f, key);
	if (!e || e->n == 0)
		return true;
	ssize_t i = value_index(e, value ? value : "");
	return i >= 0 && e->on[i];
}

bool filters_match_fuzzy(const struct filters *f, const char *key, const char *value)
{
	if (!value)
		value = "";
	if (filters_match_exact(f, key, value))
		return true;
	const struct filter_entry *e = find_entry(f, key);
	for (size_t i = 0; e && i < e->n; i++)
		if (strncmp(value, e->values[i], strlen(e->values[i])) == 0)
			return true;
	return false;
}

bool filters_match_substring(const struct filters *f, const char *key, const char *value)
{
	const struct filter_entry *e = find_entry(f, key);
	if (!e || e->n == 0)
		return true;
	for (size_t i = 0; i < e->n; i++)
		if (strstr(value ? value : "", e->values[i]))
			return true;
	return false;
}

/* One label condition: "k" (present) or "k=v" (present and equal). */
static bool label_holds(const char *cond, const json_t *labels)
{
	const char *eq = strchr(cond, '=');
	size_t klen = eq ? (size_t)(eq - cond) : strlen(cond);
	const json_t *v = json_object_getn(labels, cond, klen);
	if (!v)
		return false;
	if (!eq)
		return true;
	const char *s = json_string_value(v);
	return s && strcmp(s, eq + 1) == 0;
}

bool filters_match_label(const struct filters *f, const char *key, const json_t *labels)
{
	const struct filter_entry *e = find_entry(f, key);
	if (!e || e->n == 0)
		return true;
	if (!json_is_object(labels) || json_object_size(labels) == 0)
		return false;
	for (size_t i = 0; i < e->n; i++)
		if (!label_holds(e->values[i], labels))
			return false;
	return true;
}

/* Go prints a []string as "[a b c]". */
static char *join_go_slice(const struct filter_entry *e)
{
	size_t len = 3;
	for (size_t i = 0; i < e->n; i++)
		len += strlen(e->values[i]) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	char *p = stpcpy(s, "[");
	for (size_t i = 0; i < e->n; i++)
		p = stpcpy(stpcpy(p, i ? " " : ""), e->values[i]);
	strcpy(p, "]");
	return s;
}

int filters_get_bool(const struct filters *f, const char *key, bool def, bool *ret,
		     struct error *err)
{
	const struct filter_entry *e = find_entry(f, key);
	if (!e) {
		*ret = def;
		return 0;
	}
	if (e->n == 0)
		return error_set(err, -EINVAL, "invalid filter '%s'", key);
	bool is_false = filters_match_exact(f, key, "0") || filters_match_exact(f, key, "false");
	bool is_true = filters_match_exact(f, key, "1") || filters_match_exact(f, key, "true");
	if (is_false == is_true) {
		_cleanup_free_ char *vals = join_go_slice(e);
		return error_set(err, -EINVAL, "invalid filter '%s=%s'", key, vals ? vals : "[]");
	}
	*ret = is_true;
	return 0;
}

static json_t *entry_to_json(const struct filter_entry *e)
{
	json_t *obj = json_object();
	for (size_t i = 0; obj && i < e->n; i++) {
		if (json_object_set_new(obj, e->values[i], json_boolean(e->on[i])) < 0) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

json_t *filters_to_json(const struct filters *f)
{
	_cleanup_(jsonp) json_t *root = json_object();
	if (!root)
		return NULL;
	for (size_t i = 0; i < filters_len(f); i++) {
		json_t *vals = entry_to_json(&f->entries[i]);
		if (!vals || json_object_set_new(root, f->entries[i].key, vals) < 0)
			return NULL;
	}
	return TAKE_PTR(root);
}

char *filters_to_string(const struct filters *f)
{
	if (filters_len(f) == 0)
		return strdup("");
	_cleanup_(jsonp) json_t *root = filters_to_json(f);
	if (!root)
		return NULL;
	return json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
}

int filters_get_until(const struct filters *f, int64_t now_ns, int64_t *ret, struct error *err)
{
	size_t n = 0;
	const char *const *u = filters_values(f, "until", &n);
	*ret = 0;
	if (n > 1)
		return error_set(err, -EINVAL, "more than one until filter specified");
	if (n && time_parse_user_timestamp(u[0], now_ns, ret) < 0)
		return error_set(err, -EINVAL, "invalid filter 'until=%s'", u[0]);
	return 0;
}
