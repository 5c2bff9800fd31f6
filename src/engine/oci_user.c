/* Docker's -u/--user against the container's own /etc/passwd and
 * /etc/group, the way runc's user package reads them. */
#include "engine/oci_spec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/cleanup.h"

struct pw_entry {
	char name[256];
	long uid, gid;
	bool found;
};

static bool parse_num(const char *s, long *ret)
{
	char *end;
	if (!*s)
		return false;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*end || errno || v < 0 || v > 0x7fffffff)
		return false;
	*ret = v;
	return true;
}

/* Field i (0-based) of a ':'-separated line, copied into buf. */
static bool field(const char *line, int i, char *buf, size_t len)
{
	for (; i > 0; i--) {
		line = strchr(line, ':');
		if (!line)
			return false;
		line++;
	}
	size_t n = strcspn(line, ":\n");
	if (n >= len)
		return false;
	memcpy(buf, line, n);
	buf[n] = '\0';
	return true;
}

/* Finds the passwd entry named name, or with uid (name NULL). */
static void passwd_find(const char *text, const char *name, long uid, struct pw_entry *ret)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char n[256], u[32], g[32];
		long lu, lg;
		if (*l == '#' || !field(l, 0, n, sizeof(n)) || !field(l, 2, u, sizeof(u)) ||
		    !field(l, 3, g, sizeof(g)) || !parse_num(u, &lu) || !parse_num(g, &lg))
			continue;
		if (name ? strcmp(n, name) == 0 : lu == uid) {
			snprintf(ret->name, sizeof(ret->name), "%s", n);
			ret->uid = lu;
			ret->gid = lg;
			ret->found = true;
			return;
		}
	}
}

static bool group_find(const char *text, const char *name, long *ret_gid)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char n[256], g[32];
		if (*l != '#' && field(l, 0, n, sizeof(n)) && field(l, 2, g, sizeof(g)) &&
		    strcmp(n, name) == 0 && parse_num(g, ret_gid))
			return true;
	}
	return false;
}

static bool member_of(const char *members, const char *user)
{
	size_t ul = strlen(user);
	for (const char *p = members; *p;) {
		size_t n = strcspn(p, ",");
		if (n == ul && strncmp(p, user, n) == 0)
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

static void add_group(struct oci_user *u, gid_t g)
{
	for (size_t i = 0; i < u->n_groups; i++)
		if (u->groups[i] == g)
			return;
	if (u->n_groups < OCI_MAX_GROUPS)
		u->groups[u->n_groups++] = g;
}

/* Supplementary groups: every group listing the user as a member. */
static void member_groups(const char *text, const char *user, struct oci_user *u)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char g[32], members[4096];
		long gid;
		if (*l != '#' && field(l, 2, g, sizeof(g)) && field(l, 3, members, sizeof(members)) &&
		    parse_num(g, &gid) && member_of(members, user))
			add_group(u, (gid_t)gid);
	}
}

static int resolve_group(const char *group, const char *text, struct oci_user *u,
			 struct error *err)
{
	long gid;
	if (parse_num(group, &gid) || group_find(text, group, &gid)) {
		u->gid = (gid_t)gid;
		return 0;
	}
	return error_set(err, -EINVAL, "unable to find group %s: no matching entries in group file",
			 group);
}

int oci_user_resolve_text(const char *passwd, const char *group, const char *spec,
			  struct oci_user *ret, struct error *err)
{
	char user[256] = "";
	const char *colon = strchr(spec ? spec : "", ':');
	size_t ul = colon ? (size_t)(colon - spec) : strlen(spec ? spec : "");
	if (ul >= sizeof(user))
		return error_set(err, -EINVAL, "user name too long");
	if (ul)
		memcpy(user, spec, ul);
	user[ul] = '\0';
	struct oci_user u = {0};
	struct pw_entry pw = {0};
	long uid = 0;
	if (!user[0] || parse_num(user, &uid))
		passwd_find(passwd, NULL, uid, &pw);
	else
		passwd_find(passwd, user, 0, &pw);
	if (user[0] && !parse_num(user, &uid) && !pw.found)
		return error_set(err, -EINVAL, "unable to find user %s: no matching entries in passwd file",
				 user);
	u.uid = (uid_t)(pw.found ? pw.uid : uid);
	u.gid = (gid_t)(pw.found ? pw.gid : 0);
	if (colon && colon[1]) {
		int r = resolve_group(colon + 1, group, &u, err);
		if (r < 0)
			return r;
	}
	/* As runc: supplementary groups only when no group was named. */
	if (pw.found && !colon)
		member_groups(group, pw.name, &u);
	*ret = u;
	return 0;
}

/* Reads rootfs/rel with every path component resolved inside rootfs, so a
 * symlink in the image cannot point the daemon at a host file. */
static char *read_in_root(const char *rootfs, const char *rel)
{
	_cleanup_close_ int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return NULL;
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
	if (fd < 0)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	while (buf && (n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2 && cap < (16u << 20)) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				break;
			buf = nb;
		} else if (cap - len < 2) {
			break;
		}
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

int oci_user_resolve(const char *rootfs, const char *spec, struct oci_user *ret,
		     struct error *err)
{
	_cleanup_free_ char *passwd = read_in_root(rootfs, "etc/passwd");
	_cleanup_free_ char *group = read_in_root(rootfs, "etc/group");
	return oci_user_resolve_text(passwd, group, spec, ret, err);
}

int oci_user_add_groups(const char *rootfs, json_t *names, struct oci_user *u, struct error *err)
{
	if (!json_array_size(names))
		return 0;
	_cleanup_free_ char *group = read_in_root(rootfs, "etc/group");
	size_t i;
	json_t *v;
	json_array_foreach(names, i, v)
	{
		const char *name = json_string_value(v);
		long gid;
		if (!name || (!parse_num(name, &gid) && !group_find(group, name, &gid)))
			return error_set(err, -EINVAL, "Unable to find group %s", name ? name : "");
		add_group(u, (gid_t)gid);
	}
	return 0;
}
