/* docker's image and history table rows. */
#include "cli/image_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "basic/cleanup.h"
#include "cli/table.h"

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

void image_short_id(const char *id, char *buf, size_t len)
{
	const char *colon = strchr(id, ':');
	snprintf(buf, len, "%.12s", colon ? colon + 1 : id);
}

const char *image_split_tag(const char *ref, char **ret_repo)
{
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(slash ? slash : ref, ':');
	const char *at = strchr(ref, '@');
	if (at && (!colon || colon > at))
		colon = NULL; /* a digest reference has no tag */
	*ret_repo = colon ? strndup(ref, (size_t)(colon - ref)) : strdup(ref);
	return colon ? colon + 1 : NULL;
}

char *image_list_default_format(const struct image_list_opts *o)
{
	if (o->quiet)
		return strdup("{{.ID}}");
	return strdup(o->digests ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t"
				   "{{.CreatedSince}}\t{{.Size}}"
				 : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t"
				   "{{.Size}}");
}

json_t *image_list_headers(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers",
			 "CONTAINERS", "CreatedAt", "CREATED AT", "CreatedSince", "CREATED",
			 "Digest", "DIGEST", "ID", "IMAGE ID", "Repository", "REPOSITORY",
			 "SharedSize", "SHARED SIZE", "Size", "SIZE", "Tag", "TAG", "UniqueSize",
			 "UNIQUE SIZE", "VirtualSize", "VIRTUAL SIZE");
}

/* Go's time.Time.String() of a Unix time in local time. */
static void go_time_string(int64_t sec, char *buf, size_t len)
{
	time_t t = (time_t)sec;
	struct tm tm;
	localtime_r(&t, &tm);
	char zone[48];
	long off = tm.tm_gmtoff;
	snprintf(zone, sizeof(zone), "%c%02ld%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
		 labs(off) / 60 % 60);
	size_t n = strftime(buf, len, "%Y-%m-%d %H:%M:%S ", &tm);
	snprintf(buf + n, len - n, "%s %s", zone, tm.tm_zone);
}

static json_t *list_row(json_t *img, const struct image_list_opts *o, int64_t now_ns,
			const char *repo, const char *tag, const char *digest)
{
	char id[80], created[64], since[64], size[32], vsize[32], shared[32] = "N/A",
				unique[32] = "N/A", containers[32] = "N/A";
	const char *full = jstr(img, "Id");
	if (o->no_trunc)
		snprintf(id, sizeof(id), "%s", full);
	else
		image_short_id(full, id, sizeof(id));
	int64_t c = (int64_t)json_integer_value(json_object_get(img, "Created"));
	go_time_string(c, created, sizeof(created));
	table_human_ago(c * 1000000000LL, now_ns, since, sizeof(since));
	int64_t sz = (int64_t)json_integer_value(json_object_get(img, "Size"));
	int64_t sh = (int64_t)json_integer_value(json_object_get(img, "SharedSize"));
	int64_t n = (int64_t)json_integer_value(json_object_get(img, "Containers"));
	json_t *vs = json_object_get(img, "VirtualSize");
	table_human_size((double)sz, size, sizeof(size));
	table_human_size4((double)(vs ? json_integer_value(vs) : sz), vsize, sizeof(vsize));
	if (sh != -1) {
		table_human_size((double)sh, shared, sizeof(shared));
		table_human_size((double)(sz - sh), unique, sizeof(unique));
	}
	if (n != -1)
		snprintf(containers, sizeof(containers), "%lld", (long long)n);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers",
			 containers, "CreatedAt", created, "CreatedSince", since, "Digest", digest,
			 "ID", id, "Repository", repo, "SharedSize", shared, "Size", size, "Tag",
			 tag, "UniqueSize", unique, "VirtualSize", vsize);
}

/* The digest of repo in RepoDigests ("repo@sha256:..."), or "<none>". */
static const char *digest_for(json_t *img, const char *repo)
{
	size_t i;
	json_t *d;
	size_t rl = strlen(repo);
	json_array_foreach(json_object_get(img, "RepoDigests"), i, d) {
		const char *s = json_string_value(d);
		if (s && strncmp(s, repo, rl) == 0 && s[rl] == '@')
			return s + rl + 1;
	}
	return "<none>";
}

static bool has_tagged_repo(json_t *img, const char *repo)
{
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(img, "RepoTags"), i, t) {
		_cleanup_free_ char *r = NULL;
		image_split_tag(json_string_value(t) ? json_string_value(t) : "", &r);
		if (r && strcmp(r, repo) == 0)
			return true;
	}
	return false;
}

static void image_rows(json_t *rows, json_t *img, const struct image_list_opts *o,
		       int64_t now_ns)
{
	size_t i, n = 0;
	json_t *t;
	json_array_foreach(json_object_get(img, "RepoTags"), i, t) {
		const char *s = json_string_value(t);
		if (!s || strcmp(s, "<none>:<none>") == 0)
			continue;
		_cleanup_free_ char *repo = NULL;
		const char *tag = image_split_tag(s, &repo);
		if (!repo)
			continue;
		json_array_append_new(rows, list_row(img, o, now_ns, repo, tag ? tag : "<none>",
						     digest_for(img, repo)));
		n++;
	}
	/* Digests of repositories without a tag get rows of their own. */
	json_array_foreach(json_object_get(img, "RepoDigests"), i, t) {
		const char *s = json_string_value(t);
		const char *at = s ? strchr(s, '@') : NULL;
		if (!at || strcmp(s, "<none>@<none>") == 0)
			continue;
		_cleanup_free_ char *repo = strndup(s, (size_t)(at - s));
		if (!repo || has_tagged_repo(img, repo))
			continue;
		json_array_append_new(rows, list_row(img, o, now_ns, repo, "<none>", at + 1));
		n++;
	}
	if (n == 0)
		json_array_append_new(rows, list_row(img, o, now_ns, "<none>", "<none>", "<none>"));
}

json_t *image_list_rows(json_t *images, const struct image_list_opts *o, int64_t now_ns)
{
	json_t *rows = json_array();
	size_t i;
	json_t *img;
	json_array_foreach(images, i, img) image_rows(rows, img, o, now_ns);
	return rows;
}

json_t *image_row_identity(json_t *row)
{
	return json_incref(row);
}

const char *image_history_default_format(const struct image_history_opts *o)
{
	if (o->quiet)
		return "{{.ID}}";
	return o->human ? "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t"
			  "{{.Comment}}"
			: "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
}

json_t *image_history_headers(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "IMAGE", "CreatedSince",
			 "CREATED", "CreatedAt", "CREATED AT", "CreatedBy", "CREATED BY", "Size",
			 "SIZE", "Comment", "COMMENT");
}

/* RFC 3339 in local time to the second, as Go's time.RFC3339. */
static void rfc3339_local(int64_t sec, char *buf, size_t len)
{
	time_t t = (time_t)sec;
	struct tm tm;
	localtime_r(&t, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	long off = tm.tm_gmtoff;
	if (!off)
		snprintf(buf + n, len - n, "Z");
	else
		snprintf(buf + n, len - n, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
			 labs(off) / 60 % 60);
}

static json_t *history_row(json_t *h, const struct image_history_opts *o, int64_t now_ns)
{
	char id[80], since[64], at[64], size[32];
	const char *full = jstr(h, "Id");
	if (o->no_trunc || strcmp(full, "<missing>") == 0)
		snprintf(id, sizeof(id), "%s", full);
	else
		image_short_id(full, id, sizeof(id));
	int64_t c = (int64_t)json_integer_value(json_object_get(h, "Created"));
	int64_t sz = (int64_t)json_integer_value(json_object_get(h, "Size"));
	rfc3339_local(c, at, sizeof(at));
	if (o->human) {
		table_human_ago(c * 1000000000LL, now_ns, since, sizeof(since));
		table_human_size((double)sz, size, sizeof(size));
	} else {
		snprintf(since, sizeof(since), "%s", at);
		snprintf(size, sizeof(size), "%lld", (long long)sz);
	}
	_cleanup_free_ char *by = strdup(jstr(h, "CreatedBy"));
	for (char *p = by; p && *p; p++)
		if (*p == '\t')
			*p = ' ';
	_cleanup_free_ char *shown = by && !o->no_trunc ? table_ellipsis(by, 45) : NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id, "CreatedSince", since,
			 "CreatedAt", at, "CreatedBy", shown ? shown : by ? by : "", "Size", size,
			 "Comment", jstr(h, "Comment"));
}

json_t *image_history_rows(json_t *history, const struct image_history_opts *o, int64_t now_ns)
{
	json_t *rows = json_array();
	size_t i;
	json_t *h;
	json_array_foreach(history, i, h) json_array_append_new(rows, history_row(h, o, now_ns));
	return rows;
}
