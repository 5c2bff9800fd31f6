/* The filters of GET /images/search (dockerd's registry.Service.Search):
 * is-official, stars and the deprecated is-automated, applied to the
 * registry's answer. Pure logic, unit tested. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "basic/error.h"

struct filters;

struct search_filter {
	bool automated;	   /* is-automated=true: dockerd answers nothing */
	bool has_official; /* is-official given */
	bool official;
	bool has_stars; /* stars given: at least the largest value */
	long long stars;
};

/* -EINVAL with dockerd's message for an unknown key or a bad value. */
int search_filter_parse(const struct filters *f, struct search_filter *ret, struct error *err);

/* A new array of the results (registry answer objects) that pass, with
 * is_automated false in each as dockerd forces it; NULL on allocation
 * failure. */
json_t *search_filter_apply(const struct search_filter *sf, json_t *results);
