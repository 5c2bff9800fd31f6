#include "image/pull_tags.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "image/images.h"
#include "image/progress.h"
#include "image/reference.h"
#include "image/registry_client.h"
#include "image/registry_ops.h"
#include "shared/byte_sink.h"

struct tags_pull {
	struct image_service *is;
	struct byte_sink *out; /* the caller's, ended once everything is done */
	struct byte_sink fwd;  /* what each tag's pull writes to */
	char *from_image, *platform, *auth;
	struct reference ref;
	struct registry_client rc;
	bool rc_ready;
	uv_work_t work;
	json_t *tags;
	size_t next;
	bool begun;	/* out began */
	bool tag_wrote; /* the current tag's pull wrote progress */
	bool tag_newer, newer;
	struct error err;
};

#define of_fwd(s) ((struct tags_pull *)((char *)(s)-offsetof(struct tags_pull, fwd)))

static void tags_pull_free(struct tags_pull *t)
{
	if (t->rc_ready)
		registry_client_done(&t->rc);
	reference_done(&t->ref);
	json_decref(t->tags);
	free(t->from_image);
	free(t->platform);
	free(t->auth);
	error_clear(&t->err);
	free(t);
}

/* Ends out with t->err (in band too once progress went out) and frees t. */
static void tags_pull_fail(struct tags_pull *t)
{
	if (t->begun && !t->tag_wrote)
		progress_error(t->out, error_msg(&t->err));
	sink_end(t->out, &t->err);
	tags_pull_free(t);
}

static void pull_next(struct tags_pull *t)
{
	if (t->next == json_array_size(t->tags)) {
		_cleanup_free_ char *fam = reference_familiar_string(&t->ref);
		if (!t->begun)
			sink_begin(t->out, "application/json", NULL, 0);
		progress_status(t->out, NULL, "Status: %s for %s",
				t->newer ? "Downloaded newer image" : "Image is up to date",
				fam ? fam : t->from_image);
		sink_end(t->out, NULL);
		tags_pull_free(t);
		return;
	}
	const struct pull_opts one = {
	    .from_image = t->from_image,
	    .tag = json_string_value(json_array_get(t->tags, t->next)),
	    .platform = t->platform,
	    .auth = t->auth,
	};
	t->tag_wrote = false;
	t->tag_newer = false;
	image_pull_one(t->is, &t->fwd, &one, &t->tag_newer);
}

static void fwd_begin(struct byte_sink *s, const char *type, const struct sink_meta *meta,
		      size_t n_meta)
{
	struct tags_pull *t = of_fwd(s);
	if (!t->begun)
		sink_begin(t->out, type, meta, n_meta);
	t->begun = true;
}

static int fwd_write(struct byte_sink *s, const void *data, size_t len)
{
	struct tags_pull *t = of_fwd(s);
	t->begun = t->tag_wrote = true;
	return sink_write(t->out, data, len);
}

/* A tag's pull ended: the next one, or the whole pull fails with it. */
static void fwd_end(struct byte_sink *s, const struct error *err)
{
	struct tags_pull *t = of_fwd(s);
	if (err && err->code < 0) {
		error_set(&t->err, err->code, "%s", error_msg(err));
		tags_pull_fail(t);
		return;
	}
	t->newer = t->newer || t->tag_newer;
	t->next++;
	pull_next(t);
}

static void fwd_send_file(struct byte_sink *s, int fd)
{
	close(fd); /* pulls stream progress only */
	struct error err = ERROR_INIT;
	error_set(&err, -EINVAL, "a pull sent a file");
	fwd_end(s, &err);
	error_clear(&err);
}

static bool fwd_gone(const struct byte_sink *s)
{
	const struct tags_pull *t =
	    (const struct tags_pull *)((const char *)s - offsetof(struct tags_pull, fwd));
	return sink_gone(t->out);
}

static const struct byte_sink_ops fwd_ops = {
    .begin = fwd_begin,
    .write = fwd_write,
    .send_file = fwd_send_file,
    .end = fwd_end,
    .gone = fwd_gone,
};

static void list_work(uv_work_t *w)
{
	struct tags_pull *t = w->data;
	_cleanup_free_ char *scope = NULL;
	if (asprintf(&scope, "repository:%s:pull", t->ref.path) < 0) {
		error_set(&t->err, -ENOMEM, "out of memory");
		return;
	}
	const char *scopes[] = {scope, NULL};
	if (registry_login(&t->rc, scopes, &t->err) == 0 &&
	    registry_list_tags(&t->rc, t->ref.path, &t->tags, &t->err) < 0 &&
	    (t->err.code == -ENOENT || t->err.code == -EACCES)) {
		/* dockerd's notFoundError for an unknown or forbidden repository. */
		_cleanup_free_ char *fam = reference_familiar_name(&t->ref);
		error_wrap(&t->err,
			   "pull access denied for %s, repository does not exist or may require "
			   "'docker login'",
			   fam);
	}
}

static void list_done(uv_work_t *w, int status)
{
	struct tags_pull *t = w->data;
	/* The tags' pulls make clients of their own. */
	registry_client_done(&t->rc);
	t->rc_ready = false;
	if (t->err.code == 0 && status < 0)
		error_set(&t->err, -ECANCELED, "the pull was cancelled");
	if (t->err.code < 0)
		tags_pull_fail(t);
	else
		pull_next(t);
}

void image_pull_all_tags(struct image_service *is, struct byte_sink *out, const struct pull_opts *o)
{
	struct tags_pull *t = calloc(1, sizeof(*t));
	if (!t) {
		sink_fail(out, -ENOMEM, "out of memory");
		return;
	}
	*t = (struct tags_pull){.is = is, .out = out, .fwd = {&fwd_ops}, .ref = REFERENCE_INIT};
	t->work.data = t;
	t->from_image = strdup(o->from_image);
	t->platform = o->platform ? strdup(o->platform) : NULL;
	t->auth = o->auth ? strdup(o->auth) : NULL;
	struct registry_auth auth = {0};
	int r = !t->from_image || (o->platform && !t->platform) || (o->auth && !t->auth)
		    ? error_set(&t->err, -ENOMEM, "out of memory")
		    : reference_parse(o->from_image, &t->ref, &t->err);
	if (r == 0)
		r = registry_auth_decode(o->auth, &auth, &t->err);
	if (r == 0)
		r = registry_client_init(&t->rc, is, t->ref.domain, false, &auth, &t->err);
	registry_auth_done(&auth);
	t->rc_ready = r == 0;
	if (r == 0 && uv_queue_work(is->deps.loop, &t->work, list_work, list_done) < 0)
		r = error_set(&t->err, -EAGAIN, "cannot queue the pull");
	if (r < 0)
		tags_pull_fail(t);
}
