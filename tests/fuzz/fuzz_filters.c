/* The `filters` query parameter (shared/filters.c) and the matching rules
 * every list endpoint applies with it (prune's until and search's filters
 * among them), plus the CLI's --filter arguments.
 * Input: line 1 the JSON the API gets, line 2 a value to match, line 3 a
 * labels object, further lines --filter arguments. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "image/search_filter.h"
#include "shared/filters.h"

/* from_json: f came from JSON, so its strings are UTF-8 and it must print;
 * --filter arguments may hold any bytes, which cannot be sent as JSON. */
static void exercise(const struct filters *f, const char *value, const json_t *labels,
		     bool from_json)
{
	static const char *const allowed[] = {"label", "name", "id", "dangling", "before", NULL};
	struct error err = ERROR_INIT;
	filters_validate(f, allowed, &err);
	error_clear(&err);
	for (size_t i = 0; i < filters_len(f); i++) {
		const char *key = filters_key_at(f, i);
		if (!filters_has_key(f, key))
			abort();
		size_t n;
		const char *const *values = filters_values(f, key, &n);
		for (size_t k = 0; k < n; k++)
			if (!filters_match_fuzzy(f, key, values[k]))
				abort();
		filters_match_exact(f, key, value);
		filters_match_fuzzy(f, key, value);
		filters_match_label(f, key, labels);
		bool b;
		filters_get_bool(f, key, false, &b, &err);
		error_clear(&err);
	}
	/* The prune filters' until and the search filters read values too. */
	int64_t until;
	filters_get_until(f, 1700000000000000000LL, &until, &err);
	error_clear(&err);
	struct search_filter sf;
	if (search_filter_parse(f, &sf, &err) == 0) {
		json_t *res = json_pack("[{s:s, s:i, s:b}]", "name", "x", "star_count", 3,
					"is_official", 1);
		json_decref(search_filter_apply(&sf, res));
		json_decref(res);
	}
	error_clear(&err);
	/* What we send must parse back to the same filters. */
	char *s = filters_to_string(f);
	json_t *j = filters_to_json(f);
	if (!s || !j) {
		if (from_json)
			abort();
		free(s);
		json_decref(j);
		return;
	}
	struct filters *again = NULL;
	if (filters_parse(s, &again, &err) < 0)
		abort();
	char *s2 = filters_to_string(again);
	if (!s2 || strcmp(s, s2) != 0)
		abort();
	free(s2);
	filters_free(again);
	json_decref(j);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input = fuzz_str(data, size), *p = input;
	const char *query = fuzz_next_line(&p);
	const char *value = fuzz_next_line(&p);
	const char *labels_text = fuzz_next_line(&p);
	json_t *labels = labels_text ? json_loads(labels_text, 0, NULL) : NULL;
	struct error err = ERROR_INIT;
	struct filters *f = NULL;
	if (filters_parse(query, &f, &err) == 0) {
		exercise(f, value ? value : "", labels, true);
		filters_free(f);
	} else if (!err.msg) {
		abort();
	}
	error_clear(&err);

	struct filters *args = filters_new();
	if (!args)
		abort();
	for (const char *arg; (arg = fuzz_next_line(&p));) {
		filters_add_arg(args, arg, &err);
		error_clear(&err);
	}
	exercise(args, value ? value : "", labels, false);
	filters_free(args);
	json_decref(labels);
	free(input);
	return 0;
}
