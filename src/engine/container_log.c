/* The json-file log driver's options (--log-opt max-size, max-file), as
 * Docker's driver reads them; the shim rotates, readers follow the files. */
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

int container_log_opts(json_t *hc, uint64_t *max_size, unsigned *max_file, struct error *err)
{
	json_t *lc = json_object_get(hc, "LogConfig");
	const char *type = json_string_value(json_object_get(lc, "Type"));
	*max_size = 0;
	*max_file = 1;
	if (type && *type && strcmp(type, "json-file") != 0)
		return error_set(err, -EINVAL,
				 "logger: no log driver named '%s' is registered (berth has json-file)",
				 type);
	const char *key;
	json_t *v;
	bool has_file = false;
	json_object_foreach(json_object_get(lc, "Config"), key, v) {
		const char *s = json_string_value(v);
		if (!s)
			return error_set(err, -EINVAL, "log opt '%s' must be a string", key);
		if (!strcmp(key, "max-size")) {
			if (parse_ram(s, max_size) < 0)
				return error_set(err, -EINVAL, "invalid size: '%s'", s);
		} else if (!strcmp(key, "max-file")) {
			char *end;
			long n = strtol(s, &end, 10);
			if (!*s || *end || n < 1 || n > 1000)
				return error_set(err, -EINVAL, "max-file cannot be less than 1");
			*max_file = (unsigned)n;
			has_file = true;
		} else if (strcmp(key, "compress") && strcmp(key, "labels") && strcmp(key, "env") &&
			   strcmp(key, "env-regex") && strcmp(key, "tag")) {
			return error_set(err, -EINVAL, "unknown log opt '%s' for json-file log driver",
					 key);
		}
	}
	if (has_file && *max_file > 1 && *max_size == 0)
		return error_set(err, -EINVAL, "max-file can only be set if max-size is set");
	return 0;
}
