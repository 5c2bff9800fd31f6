#include "image/search_filter.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "shared/filters.h"

/* Go's strconv.Atoi: an optional sign and digits, nothing else. */
static int parse_atoi(const char *s, long long *ret)
{
	const char *d = s + (*s == '+' || *s == '-');
	if (!isdigit((unsigned char)*d))
		return -EINVAL;
	char *end;
	errno = 0;
	*ret = strtoll(s, &end, 10);
	if (*end)
		return -EINVAL;
	return errno == ERANGE ? -ERANGE : 0;
}

int search_filter_parse(const struct filters *f, struct search_filter *ret, struct error *err)
{
	static const char *const keys[] = {"is-automated", "is-official", "stars", NULL};
	*ret = (struct search_filter){0};
	int r = filters_validate(f, keys, err);
	if (r == 0)
		r = filters_get_bool(f, "is-automated", false, &ret->automated, err);
	if (r == 0)
		r = filters_get_bool(f, "is-official", false, &ret->official, err);
	if (r < 0)
		return r;
	ret->has_official = filters_has_key(f, "is-official");
	size_t n = 0;
	const char *const *stars = filters_values(f, "stars", &n);
	for (size_t i = 0; i < n; i++) {
		long long v = 0;
		r = parse_atoi(stars[i], &v);
		if (r < 0)
			return error_set(err, -EINVAL,
					 "invalid filter 'stars=%s': strconv.Atoi: parsing \"%s\": %s",
					 stars[i], stars[i],
					 r == -ERANGE ? "value out of range" : "invalid syntax");
		if (!ret->has_stars || v > ret->stars)
			ret->stars = v;
		ret->has_stars = true;
	}
	/* dockerd starts from 0: a largest value below it filters nothing. */
	if (ret->has_stars && ret->stars < 0)
		ret->stars = 0;
	return 0;
}

json_t *search_filter_apply(const struct search_filter *sf, json_t *results)
{
	json_t *out = json_array();
	size_t i;
	json_t *r;
	if (!out || sf->automated)
		return out;
	json_array_foreach(results, i, r)
	{
		if (!json_is_object(r))
			continue;
		if (sf->has_official &&
		    json_is_true(json_object_get(r, "is_official")) != sf->official)
			continue;
		if (sf->has_stars && json_integer_value(json_object_get(r, "star_count")) < sf->stars)
			continue;
		json_t *copy = json_copy(r);
		if (!copy || json_object_set_new(copy, "is_automated", json_false()) < 0 ||
		    json_array_append_new(out, copy) < 0) {
			json_decref(copy);
			json_decref(out);
			return NULL;
		}
	}
	return out;
}
