#include "shared/device_rule.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* One number of a device cgroup rule: digits or "*" (-1, any). */
static int rule_number(const char *s, size_t len, int64_t *ret)
{
	if (len == 1 && *s == '*') {
		*ret = -1;
		return 0;
	}
	int64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || len > 18)
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return len ? 0 : -EINVAL;
}

json_t *device_rule_parse(const char *rule)
{
	const char *colon = strchr(rule, ':'), *sp = colon ? strchr(colon, ' ') : NULL;
	int64_t major, minor;
	if (!strchr("acb", rule[0]) || !rule[0] || rule[1] != ' ' || !sp ||
	    rule_number(rule + 2, (size_t)(colon - rule - 2), &major) < 0 ||
	    rule_number(colon + 1, (size_t)(sp - colon - 1), &minor) < 0)
		return NULL;
	const char *access = sp + 1;
	size_t n = strspn(access, "rwm");
	if (n == 0 || n > 3 || access[n])
		return NULL;
	return json_pack("{s:b, s:s#, s:I, s:I, s:s}", "allow", 1, "type", rule, 1, "major",
			 (json_int_t)major, "minor", (json_int_t)minor, "access", access);
}
