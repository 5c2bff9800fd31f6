/* The small registry requests: /auth (login), /distribution/{name}/json and
 * /images/search. Each is one task on the thread pool that fills a JSON
 * answer or an error, handed to the caller's callback on the loop. */
#include "image/registry_ops.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/cleanup.h"
#include "image/images.h"
#include "image/reference.h"
#include "image/registry_client.h"
#include "image/registry_manifest.h"
#include "image/search_filter.h"

struct task {
	uv_work_t work;
	struct image_service *is;
	registry_answer_fn done;
	void *arg;
	struct registry_client rc;
	struct reference ref;
	char *term;
	int limit;
	struct search_filter filter;
	json_t *answer;
	struct error err;
};

static void task_done(uv_work_t *w, int st)
{
	struct task *t = w->data;
	t->done(t->arg, t->err.code < 0 ? NULL : t->answer, t->err.code < 0 ? &t->err : NULL);
	json_decref(t->answer);
	registry_client_done(&t->rc);
	reference_done(&t->ref);
	free(t->term);
	error_clear(&t->err);
	free(t);
}

static struct task *task_new(struct image_service *is, registry_answer_fn done, void *arg)
{
	struct task *t = calloc(1, sizeof(*t));
	if (!t) {
		struct error err = ERROR_INIT;
		error_set(&err, -ENOMEM, "out of memory");
		done(arg, NULL, &err);
		error_clear(&err);
		return NULL;
	}
	t->is = is;
	t->done = done;
	t->arg = arg;
	t->work.data = t;
	return t;
}

/* Queues fn, or answers the error already in t (or a queueing failure). */
static void task_run(struct task *t, uv_work_cb fn)
{
	if (t->err.code == 0 && uv_queue_work(t->is->deps.loop, &t->work, fn, task_done) == 0)
		return;
	if (t->err.code == 0)
		error_set(&t->err, -EAGAIN, "cannot queue the request");
	task_done(&t->work, 0);
}

/* ---- POST /auth ---- */

/* "https://index.docker.io/v1/", "http://127.0.0.1:5000", "127.0.0.1:5000/"
 * to the domain a reference would have. */
static char *auth_domain(const char *server)
{
	if (!server || !*server)
		return strdup("docker.io");
	const char *s = server;
	if (strncmp(s, "http://", 7) == 0)
		s += 7;
	else if (strncmp(s, "https://", 8) == 0)
		s += 8;
	size_t n = strcspn(s, "/");
	if ((n == 15 && strncasecmp(s, "index.docker.io", n) == 0) ||
	    (n == 20 && strncasecmp(s, "registry-1.docker.io", n) == 0) ||
	    (n == 9 && strncasecmp(s, "docker.io", n) == 0))
		return strdup("docker.io");
	return strndup(s, n);
}

static void auth_work(uv_work_t *w)
{
	struct task *t = w->data;
	static const char *const scopes[] = {"registry:catalog:*", NULL};
	int r = registry_login(&t->rc, scopes, &t->err);
	long status = 0;
	if (r == 0)
		r = registry_check(&t->rc, &status, &t->err);
	_cleanup_free_ char *url = registry_ping_url(&t->rc);
	bool denied = (r == 0 && status == 401) || (r < 0 && t->err.code == -EACCES);
	if (denied) {
		error_clear(&t->err);
		error_set(&t->err, -EKEYREJECTED,
			  "login attempt to %s failed with status: 401 Unauthorized", url);
		return;
	}
	if (r == 0)
		t->answer =
		    json_pack("{s:s, s:s}", "Status", "Login Succeeded", "IdentityToken", "");
}

void registry_login_check(struct image_service *is, const char *body, size_t len,
			  registry_answer_fn done, void *arg)
{
	struct task *t = task_new(is, done, arg);
	if (!t)
		return;
	struct registry_auth auth = {0};
	if (!len)
		error_set(&t->err, -EINVAL, "got EOF while reading request body");
	else if (registry_auth_from_json(body, len, &auth, &t->err) == 0) {
		_cleanup_free_ char *domain = auth_domain(auth.server_address);
		if (!domain)
			error_set(&t->err, -ENOMEM, "out of memory");
		else
			registry_client_init(&t->rc, is, domain, true, &auth, &t->err);
	}
	registry_auth_done(&auth);
	task_run(t, auth_work);
}

/* ---- GET /distribution/{name}/json ---- */

static void distribution_work(uv_work_t *w)
{
	struct task *t = w->data;
	_cleanup_free_ char *scope = NULL, *name = reference_familiar_string(&t->ref);
	if (asprintf(&scope, "repository:%s:pull", t->ref.path) < 0) {
		error_set(&t->err, -ENOMEM, "out of memory");
		return;
	}
	const char *scopes[] = {scope, NULL};
	if (registry_login(&t->rc, scopes, &t->err) < 0)
		return;
	struct registry_response rs = {0};
	struct registry_manifest m = {0};
	const char *want = t->ref.digest ? t->ref.digest : t->ref.tag;
	int r = registry_get_manifest(&t->rc, t->ref.path, want, &rs, &t->err);
	if (r < 0 && t->err.code == -EACCES) {
		error_clear(&t->err);
		error_set(&t->err, -EKEYREJECTED, "unauthorized: authentication required");
	}
	if (r == 0)
		r = registry_manifest_parse(rs.body.data, rs.body.len, rs.content_type, name, &m,
					    &t->err);
	if (r == 0) {
		char dg[DIGEST_BUF];
		digest_sha256(rs.body.data, rs.body.len, dg);
		json_t *platforms = NULL;
		if (m.kind == RM_INDEX) {
			platforms = registry_index_platforms(rs.body.data, rs.body.len);
		} else {
			struct buf cfg = BUF_INIT;
			platforms = json_array();
			if (registry_get_small_blob(&t->rc, t->ref.path, m.config.digest, &cfg,
						    &t->err) == 0) {
				json_t *c = json_loadb(cfg.data, cfg.len, 0, NULL);
				json_t *p = json_pack("{s:O?, s:O?}", "architecture",
						      json_object_get(c, "architecture"), "os",
						      json_object_get(c, "os"));
				json_array_append_new(platforms, p);
				json_decref(c);
			}
			buf_free(&cfg);
		}
		if (t->err.code == 0)
			t->answer = json_pack("{s:{s:s, s:s, s:I}, s:o}", "Descriptor", "mediaType",
					      m.media_type, "digest", dg, "size",
					      (json_int_t)rs.body.len, "Platforms", platforms);
		else
			json_decref(platforms);
	}
	registry_manifest_done(&m);
	registry_response_done(&rs);
}

void distribution_inspect(struct image_service *is, const char *name, const char *auth_header,
			  registry_answer_fn done, void *arg)
{
	struct task *t = task_new(is, done, arg);
	if (!t)
		return;
	struct registry_auth auth = {0};
	if (reference_parse(name, &t->ref, &t->err) == 0 &&
	    registry_auth_decode(auth_header, &auth, &t->err) == 0) {
		if (!t->ref.digest)
			reference_default_tag(&t->ref);
		registry_client_init(&t->rc, is, t->ref.domain, false, &auth, &t->err);
	}
	registry_auth_done(&auth);
	task_run(t, distribution_work);
}

/* ---- GET /images/search ---- */

/* Registries of the v2 protocol (distribution among them) have no search;
 * dockerd asks the v1 endpoint anyway and reports what it answers. */
static void search_work(uv_work_t *w)
{
	struct task *t = w->data;
	if (registry_login(&t->rc, NULL, &t->err) < 0)
		return;
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "/v1/search?q=%s&n=%d", t->term, t->limit) < 0) {
		error_set(&t->err, -ENOMEM, "out of memory");
		return;
	}
	struct registry_response rs = {0};
	if (registry_get_path(&t->rc, path, &rs, &t->err) == 0) {
		json_t *o =
		    rs.status == 200 ? json_loadb(rs.body.data, rs.body.len, 0, NULL) : NULL;
		json_t *results = json_object_get(o, "results");
		if (rs.status != 200)
			error_set(&t->err, -EIO, "Unexpected status code %ld", rs.status);
		else if (!json_is_array(results))
			error_set(&t->err, -EIO, "invalid search answer from %s", t->rc.host);
		else if (!(t->answer = search_filter_apply(&t->filter, results)))
			error_set(&t->err, -ENOMEM, "out of memory");
		json_decref(o);
	}
	registry_response_done(&rs);
}

static char *query_escape(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n * 3 + 1), *p = out;
	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			*p++ = (char)c;
		else
			p += sprintf(p, "%%%02X", c);
	}
	*p = '\0';
	return out;
}

void image_search(struct image_service *is, const char *term, int limit,
		  const struct search_filter *filter, const char *auth_header,
		  registry_answer_fn done, void *arg)
{
	struct task *t = task_new(is, done, arg);
	if (!t)
		return;
	t->filter = *filter;
	if (strstr(term, "://")) {
		error_set(&t->err, -EINVAL,
			  "invalid repository name: repository name (%s) should not have a scheme",
			  term);
		task_run(t, search_work);
		return;
	}
	/* "host:port/name" searches that registry for name; anything else is
	 * a search of docker.io (ParseSearchIndexInfo's rule). */
	const char *slash = strchr(term, '/');
	_cleanup_free_ char *domain = NULL;
	const char *q = term;
	if (slash &&
	    (memchr(term, '.', (size_t)(slash - term)) ||
	     memchr(term, ':', (size_t)(slash - term)) || strncmp(term, "localhost/", 10) == 0)) {
		domain = strndup(term, (size_t)(slash - term));
		q = slash + 1;
	} else {
		domain = strdup("index.docker.io");
		/* What is pulled as "library/foo" is stored as "foo". */
		if (strncmp(q, "library/", 8) == 0)
			q += 8;
	}
	t->term = query_escape(q);
	t->limit = limit;
	struct registry_auth auth = {0};
	if (!domain || !t->term)
		error_set(&t->err, -ENOMEM, "out of memory");
	else if (registry_auth_decode(auth_header, &auth, &t->err) == 0)
		registry_client_init(&t->rc, is, domain, true, &auth, &t->err);
	registry_auth_done(&auth);
	task_run(t, search_work);
}
