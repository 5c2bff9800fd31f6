/* Docker's `filters` query parameter: a set of values per key, parsed from the
 * JSON the clients send, and the matching rules dockerd applies with it
 * (moby daemon/internal/filters/parse.go). Different keys AND together, values
 * of one key OR together. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "basic/error.h"

struct filters;

/* Parses the URL-decoded `filters` parameter. Accepts both forms Docker
 * accepts: {"key":{"value":true}} and the legacy {"key":["value"]}; "" or NULL
 * (and JSON null) give empty filters. -EINVAL "invalid filter" on anything
 * else, -ENOMEM. */
int filters_parse(const char *json, struct filters **ret, struct error *err);

/* Empty filters, to build with filters_add(); NULL on allocation failure. */
struct filters *filters_new(void);

/* Adds value to key (a set: adding twice is a no-op). 0 or -ENOMEM. */
int filters_add(struct filters *f, const char *key, const char *value);

/* Adds one `--filter name=value` argument as the docker CLI does: name is
 * trimmed and lower-cased, value trimmed, "" is ignored. -EINVAL "bad format of
 * filter (expected name=value)" without '=', -ENOMEM. */
int filters_add_arg(struct filters *f, const char *arg, struct error *err);

/* Accepts NULL. */
void filters_free(struct filters *f);
static inline void filters_freep(struct filters **f)
{
	filters_free(*f);
}

/* Number of keys; 0 for NULL. */
size_t filters_len(const struct filters *f);

/* The i-th key (i < filters_len), in the order first seen. */
const char *filters_key_at(const struct filters *f, size_t i);

bool filters_has_key(const struct filters *f, const char *key);

/* The values of key (set order is first seen), *ret_n their count; NULL and 0
 * when key is absent. Valid until f is changed or freed. */
const char *const *filters_values(const struct filters *f, const char *key, size_t *ret_n);

/* -EINVAL "invalid filter 'key'" for the first key not in allowed_keys (a
 * NULL-terminated list), as dockerd's Args.Validate. */
int filters_validate(const struct filters *f, const char *const *allowed_keys, struct error *err);

/* Args.ExactMatch: true when key is absent or has no values, or when value is
 * one of them. Legacy {"k":{"v":false}} stores v as false and never matches,
 * as in dockerd. */
bool filters_match_exact(const struct filters *f, const char *key, const char *value);

/* Args.FuzzyMatch: exact match, or one of the values is a prefix of value. */
bool filters_match_fuzzy(const struct filters *f, const char *key, const char *value);

/* dockerd's Args.Match as its name filters use it: one of the values occurs
 * in value (dockerd takes them as regular expressions; a substring is the
 * common case). True when key has no values. */
bool filters_match_substring(const struct filters *f, const char *key, const char *value);

/* Args.MatchKVList for labels: every value of key must hold, "k" meaning label
 * k is present and "k=v" meaning it equals v. True when key has no values;
 * false when it has some and labels (object of strings, may be NULL) is empty. */
bool filters_match_label(const struct filters *f, const char *key, const json_t *labels);

/* Args.GetBoolOrDefault: def when key is absent; otherwise exactly one of the
 * truthy ("1", "true") or falsy ("0", "false") spellings must be present, else
 * -EINVAL "invalid filter 'key=[values]'". */
int filters_get_bool(const struct filters *f, const char *key, bool def, bool *ret,
		     struct error *err);

/* The prune filters' "until" (dockerd's getUntilFromPruneFilters): *ret 0 when
 * absent, else the time it names in ns since the epoch (a user timestamp or a
 * duration before now_ns). -EINVAL for more than one value or one that is no
 * time. */
int filters_get_until(const struct filters *f, int64_t now_ns, int64_t *ret, struct error *err);

/* The filters as {"key":{"value":true},...} (the form the docker CLI sends);
 * NULL on allocation failure. */
json_t *filters_to_json(const struct filters *f);

/* The query-parameter string the docker CLI sends: "" for no filters, else the
 * compact JSON with sorted keys, as Go's json.Marshal writes it. NULL on
 * allocation failure; free() it. */
char *filters_to_string(const struct filters *f);
