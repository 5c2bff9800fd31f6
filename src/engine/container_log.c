/* The log drivers: json-file with its options (--log-opt max-size,
 * max-file), as Docker's driver reads them; local, kept in the json-file
 * format; none. The shim rotates, readers follow the files. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/container.h"

/* Docker's RAMInBytes: "10", "10k", "1.5m", "2g", "4kb", "4KiB" (binary). */
static int parse_ram(const char *s, uint64_t *ret)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || v < 0 || !isdigit((unsigned char)*s))
		return -EINVAL;
	const char *units = "kmgtp";
	double mul = 1;
	if (*end == ' ')
		end++;
	const char *u = *end ? strchr(units, tolower((unsigned char)*end)) : NULL;
	if (u) {
		for (const char *k = units; k <= u; k++)
			mul *= 1024;
		end++;
		if (tolower((unsigned char)*end) == 'i')
			end++;
	}
	if (tolower((unsigned char)*end) == 'b')
		end++;
	if (*end)
		return -EINVAL;
	*ret = (uint64_t)(v * mul);
	return 0;
}

/* Options of json-file and local (stored the json-file way; only its
 * defaults differ: 20m, 5 files, as Docker's local driver). */
static int file_opts(json_t *lc, bool local, uint64_t *max_size, unsigned *max_file,
		     struct error *err)
{
	const char *key;
	json_t *v;
	bool has_size = false, has_file = false;
	json_object_foreach(json_object_get(lc, "Config"), key, v) {
		const char *s = json_string_value(v);
		if (!s)
			return error_set(err, -EINVAL, "log opt '%s' must be a string", key);
		if (!strcmp(key, "max-size")) {
			if (parse_ram(s, max_size) < 0)
				return error_set(err, -EINVAL, "invalid size: '%s'", s);
			has_size = true;
		} else if (!strcmp(key, "max-file")) {
			char *end;
			long n = strtol(s, &end, 10);
			if (!*s || *end || n < 1 || n > 1000)
				return error_set(err, -EINVAL, "max-file cannot be less than 1");
			*max_file = (unsigned)n;
			has_file = true;
		} else if (strcmp(key, "compress") &&
			   (local || (strcmp(key, "labels") && strcmp(key, "labels-regex") &&
				      strcmp(key, "env") && strcmp(key, "env-regex") &&
				      strcmp(key, "tag")))) {
			return error_set(err, -EINVAL,
					 local ? "unknown log opt '%s' for log driver local"
					       : "unknown log opt '%s' for json-file log driver",
					 key);
		}
	}
	if (local && !has_size)
		*max_size = 20 * 1024 * 1024;
	if (local && !has_file)
		*max_file = 5;
	return 0;
}

int container_log_opts(json_t *hc, uint64_t *max_size, unsigned *max_file, struct error *err)
{
	json_t *lc = json_object_get(hc, "LogConfig");
	const char *type = json_string_value(json_object_get(lc, "Type"));
	*max_size = 0;
	*max_file = 1;
	if (!type || !*type || !strcmp(type, "json-file") || !strcmp(type, "local"))
		return file_opts(lc, type && !strcmp(type, "local"), max_size, max_file, err);
	if (!strcmp(type, "none"))
		return 0; /* dockerd takes any option for none, and keeps nothing */
	return error_set(err, -EINVAL, "logger: no log driver named '%s' is registered", type);
}

bool container_log_kept(json_t *hc)
{
	const char *type =
	    json_string_value(json_object_get(json_object_get(hc, "LogConfig"), "Type"));
	return !type || strcmp(type, "none") != 0;
}
