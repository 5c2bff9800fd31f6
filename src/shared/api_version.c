#include "shared/api_version.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int api_version_compare(const char *a, const char *b)
{
	while (*a || *b) {
		char *ea, *eb;
		long x = strtol(a, &ea, 10), y = strtol(b, &eb, 10);
		if (x != y)
			return x < y ? -1 : 1;
		a = *ea == '.' ? ea + 1 : ea;
		b = *eb == '.' ? eb + 1 : eb;
		if (a == ea && b == eb)
			break; /* neither advanced: trailing garbage, treat as equal */
	}
	return 0;
}

bool api_version_split_path(const char *path, char *version, size_t cap, const char **rest)
{
	version[0] = '\0';
	*rest = path;
	if (strncmp(path, "/v", 2) != 0)
		return false;
	const char *p = path + 2;
	size_t n = strspn(p, "0123456789.");
	if (n == 0 || !isdigit((unsigned char)p[0]) || (p[n] != '/' && p[n] != '\0') || n >= cap)
		return false;
	memcpy(version, p, n);
	version[n] = '\0';
	*rest = p[n] ? p + n : "/";
	return true;
}
