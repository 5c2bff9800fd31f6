/* What the local driver accepts: volume names and driver options, and the
 * translation of the "o" option into mount(2) flags and data, as mount(8)
 * reads its -o list. Pure logic, no I/O. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "basic/cleanup.h"
#include "volume/volume_store.h"

void volume_mount_opts_done(struct volume_mount_opts *m)
{
	free(m->type);
	free(m->device);
	free(m->data);
	*m = (struct volume_mount_opts){0};
}

static bool name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '_' || c == '.' || c == '-');
}

int volume_name_validate(const char *name, struct error *err)
{
	size_t len = strlen(name);
	if (len == 1)
		return error_set(err, -EINVAL, "volume name is too short, names should be at "
					       "least two alphanumeric characters");
	if (len > 255)
		return error_set(err, -EINVAL,
				 "volume name is too long (%zu characters), names can be at most 255 "
				 "characters",
				 len);
	bool ok = len > 0;
	for (size_t i = 0; ok && i < len; i++)
		ok = name_char(name[i], i == 0);
	if (!ok)
		return error_set(err, -EINVAL,
				 "\"%s\" includes invalid characters for a local volume name, only "
				 "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass "
				 "a host directory, use absolute path",
				 name);
	return 0;
}

/* mount(8)'s flag words; "clear" ones remove bits a default would set. */
static const struct {
	const char *word;
	unsigned long flag;
	bool clear;
} flag_words[] = {
	{"ro", MS_RDONLY, false},	{"rw", MS_RDONLY, true},
	{"nosuid", MS_NOSUID, false},	{"suid", MS_NOSUID, true},
	{"nodev", MS_NODEV, false},	{"dev", MS_NODEV, true},
	{"noexec", MS_NOEXEC, false},	{"exec", MS_NOEXEC, true},
	{"sync", MS_SYNCHRONOUS, false}, {"async", MS_SYNCHRONOUS, true},
	{"dirsync", MS_DIRSYNC, false},	{"noatime", MS_NOATIME, false},
	{"atime", MS_NOATIME, true},	{"nodiratime", MS_NODIRATIME, false},
	{"diratime", MS_NODIRATIME, true}, {"relatime", MS_RELATIME, false},
	{"norelatime", MS_RELATIME, true}, {"strictatime", MS_STRICTATIME, false},
	{"bind", MS_BIND, false},	{"rbind", MS_BIND | MS_REC, false},
	{"defaults", 0, false},
};

static int parse_o(const char *o, struct volume_mount_opts *m)
{
	_cleanup_free_ char *copy = strdup(o);
	size_t cap = strlen(o) + 1;
	m->data = calloc(1, cap);
	if (!copy || !m->data)
		return -ENOMEM;
	char *save = NULL;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t i = 0;
		while (i < ARRAY_SIZE(flag_words) && strcmp(flag_words[i].word, w) != 0)
			i++;
		if (i == ARRAY_SIZE(flag_words)) {
			/* Not a flag: the filesystem reads it (size=10m, uid=1000...). */
			if (m->data[0])
				strcat(m->data, ",");
			strcat(m->data, w);
		} else if (flag_words[i].clear) {
			m->flags &= ~flag_words[i].flag;
		} else {
			m->flags |= flag_words[i].flag;
		}
	}
	return 0;
}

static const char *const valid_opts[] = {"type", "device", "o"};
/* dockerd's mandatoryOpts, checked in a fixed order so the message is stable. */
static const char *const needs[][2] = {{"device", "type"}, {"type", "device"}, {"o", "device"}};

static int check_opts(json_t *opts, struct error *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(opts, k, v) {
		size_t i = 0;
		while (i < ARRAY_SIZE(valid_opts) && strcmp(valid_opts[i], k) != 0)
			i++;
		if (i == ARRAY_SIZE(valid_opts))
			return error_set(err, -EINVAL, "invalid option: \"%s\"", k);
		if (!json_is_string(v))
			return error_set(err, -EINVAL, "invalid option: \"%s\"", k);
	}
	for (size_t i = 0; i < ARRAY_SIZE(needs); i++)
		if (json_object_get(opts, needs[i][0]) && !json_object_get(opts, needs[i][1]))
			return error_set(err, -EINVAL, "missing required option: \"%s\"",
					 needs[i][1]);
	return 0;
}

int volume_opts_parse(json_t *opts, struct volume_mount_opts *ret, struct error *err)
{
	if (opts && !json_is_object(opts))
		return error_set(err, -EINVAL, "invalid driver options");
	if (!opts || json_object_size(opts) == 0) {
		if (ret)
			*ret = (struct volume_mount_opts){0};
		return 0;
	}
	int r = check_opts(opts, err);
	if (r < 0 || !ret)
		return r;
	struct volume_mount_opts m = {0};
	const char *o = json_string_value(json_object_get(opts, "o"));
	m.type = strdup(json_string_value(json_object_get(opts, "type")));
	m.device = strdup(json_string_value(json_object_get(opts, "device")));
	r = m.type && m.device ? 0 : -ENOMEM;
	if (r == 0 && o)
		r = parse_o(o, &m);
	if (r < 0) {
		volume_mount_opts_done(&m);
		return error_set(err, r, "out of memory");
	}
	*ret = m;
	return 0;
}
