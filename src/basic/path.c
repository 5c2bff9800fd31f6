/* Go's path.Clean, Join, Base and Dir. */
#include "basic/path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *path_clean(const char *p)
{
	size_t n = strlen(p);
	if (n == 0)
		return strdup(".");
	bool rooted = p[0] == '/';
	char *out = malloc(n + 2);
	if (!out)
		return NULL;
	size_t len = 0, dotdot = 0; /* dotdot: where ".." may no longer back off */
	if (rooted) {
		out[len++] = '/';
		dotdot = 1;
	}
	for (size_t r = rooted ? 1 : 0; r < n;) {
		if (p[r] == '/') {
			r++;
		} else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
			r++;
		} else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
			r += 2;
			if (len > dotdot) {
				len--;
				while (len > dotdot && out[len] != '/')
					len--;
			} else if (!rooted) {
				if (len > 0)
					out[len++] = '/';
				out[len++] = '.';
				out[len++] = '.';
				dotdot = len;
			}
		} else {
			if ((rooted && len != 1) || (!rooted && len != 0))
				out[len++] = '/';
			for (; r < n && p[r] != '/'; r++)
				out[len++] = p[r];
		}
	}
	if (len == 0)
		out[len++] = '.';
	out[len] = '\0';
	return out;
}

char *path_join(const char *a, const char *b)
{
	if (!*a)
		return path_clean(b);
	if (!*b)
		return path_clean(a);
	char *j = NULL;
	if (asprintf(&j, "%s/%s", a, b) < 0)
		return NULL;
	char *c = path_clean(j);
	free(j);
	return c;
}

char *path_base(const char *p)
{
	size_t n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	if (n == 0)
		return strdup(*p ? "/" : ".");
	size_t s = n;
	while (s > 0 && p[s - 1] != '/')
		s--;
	return strndup(p + s, n - s);
}

char *path_dir(const char *p)
{
	const char *s = strrchr(p, '/');
	if (!s)
		return strdup(".");
	char *d = strndup(p, (size_t)(s - p) + 1);
	if (!d)
		return NULL;
	char *c = path_clean(d);
	free(d);
	return c;
}

int path_open_in_root(int root_fd, const char *path, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	long r = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	return r < 0 ? -errno : (int)r;
}
