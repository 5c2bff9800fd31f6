/* The classic builder's driver (moby's builder/dockerfile/builder.go and
 * evaluator.go): opens the context on the thread pool, then runs each
 * instruction in turn, one callback at a time. The instructions
 * themselves are in build_steps.c. */
#include "engine/build_priv.h"
#include "engine/containers_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "basic/buf.h"
#include "basic/cleanup.h"
#include "image/changes.h"
#include "image/image_store.h"
#include "image/reference.h"
#include "image/service.h"
#include "shared/filters.h"
#include "storage/driver.h"
#include "image/images.h"

void build_opts_done(struct build_opts *o)
{
	free(o->dockerfile);
	for (size_t i = 0; i < o->n_tags; i++)
		free(o->tags[i]);
	free(o->tags);
	json_decref(o->buildargs);
	json_decref(o->labels);
	free(o->target);
	json_decref(o->host_config);
	*o = (struct build_opts){0};
}

/* ---- output ---- */

static void send_json(struct build *b, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	char *line = NULL;
	int n = s ? asprintf(&line, "%s\r\n", s) : -1;
	free(s);
	if (n < 0)
		return;
	/* One piece per message: docker-py decodes chunk by chunk. */
	b->streaming = true;
	sink_write(b->out, line, (size_t)n);
	free(line);
}

void build_out(struct build *b, const char *fmt, ...)
{
	if (b->o.quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	send_json(b, json_pack("{s:s}", "stream", s));
	free(s);
}

void build_out_raw(struct build *b, const char *data, size_t len)
{
	if (!b->o.quiet && len)
		send_json(b, json_pack("{s:s%}", "stream", data, len));
}

void build_short_id(const char *id, char out[13])
{
	snprintf(out, 13, "%s", digest_hex(id));
}

/* ---- the end ---- */

static void cleanup_work(uv_work_t *w)
{
	struct build *b = w->data;
	build_context_remove(&b->ctx);
}

static void build_free(uv_work_t *w, int status)
{
	struct build *b = w->data;
	(void)status;
	json_decref(b->config);
	json_decref(b->shell);
	json_decref(b->args);
	json_decref(b->meta_args);
	json_decref(b->pending_triggers);
	dockerfile_free(b->df);
	for (size_t i = 0; i < b->n_stages; i++)
		free(b->stages[i].name);
	free(b->stages);
	build_opts_done(&b->o);
	if (b->body_fd >= 0)
		close(b->body_fd);
	error_clear(&b->err);
	free(b);
}

static void build_end(struct build *b)
{
	b->work.data = b;
	if (uv_queue_work(b->cs->deps.loop, &b->work, cleanup_work, build_free) < 0) {
		build_context_remove(&b->ctx); /* cannot defer: do it now */
		build_free(&b->work, 0);
	}
}

void build_fail(struct build *b)
{
	if (!b->streaming) {
		sink_end(b->out, &b->err);
	} else {
		const char *m = error_msg(&b->err);
		send_json(b, json_pack("{s:{s:s}, s:s}", "errorDetail", "message", m, "error", m));
		sink_end(b->out, NULL);
	}
	build_end(b);
}

static void finish(struct build *b)
{
	char short_id[13];
	build_short_id(b->image_id, short_id);
	send_json(b, json_pack("{s:{s:s}}", "aux", "ID", b->image_id));
	build_out(b, "Successfully built %s\n", short_id);
	if (b->o.quiet) { /* -q: the daemon's output is the ID alone */
		char *line = NULL;
		if (asprintf(&line, "%s\n", b->image_id) >= 0)
			send_json(b, json_pack("{s:s}", "stream", line));
		free(line);
	}
	struct image *img = image_store_get(b->cs->deps.images->store, b->image_id);
	for (size_t i = 0; img && i < b->o.n_tags; i++) {
		if (image_store_tag(b->cs->deps.images->store, img, b->o.tags[i], &b->err) < 0) {
			build_fail(b);
			return;
		}
		_cleanup_free_ char *fam = reference_familiarize(b->o.tags[i]);
		image_event(b->cs->deps.images, img->id, fam ? fam : b->o.tags[i], "tag");
		build_out(b, "Successfully tagged %s\n", fam ? fam : b->o.tags[i]);
	}
	sink_end(b->out, NULL);
	build_end(b);
}

/* ---- stepping ---- */

static bool stage_is_last(const struct build *b)
{
	return b->pc >= b->end;
}

void build_next(struct build *b)
{
	if (sink_gone(b->out)) {
		error_set(&b->err, -ECANCELED, "the client went away");
		build_fail(b);
		return;
	}
	if (json_array_size(b->pending_triggers)) {
		build_run_trigger(b);
		return;
	}
	if (stage_is_last(b)) {
		if (!b->have_image)
			error_set(&b->err, -EINVAL,
				  "No image was generated. Is your Dockerfile empty?");
		if (b->err.code < 0)
			build_fail(b);
		else
			finish(b);
		return;
	}
	struct df_inst *in = &b->df->v[b->pc++];
	build_out(b, "Step %d/%d : %s\n", ++b->step, b->total, in->text);
	build_dispatch(b, in);
}

/* ---- planning: stages, target, step count ---- */

static int plan(struct build *b)
{
	size_t first_from = b->df->n, end = b->df->n;
	bool in_target = false, target_found = !b->o.target;
	for (size_t i = 0; i < b->df->n; i++) {
		struct df_inst *in = &b->df->v[i];
		if (in->kind != DF_FROM) {
			if (first_from == b->df->n && in->kind != DF_ARG)
				return error_set(&b->err, -EINVAL,
						 "dockerfile parse error line %d: no build stage "
						 "in current context",
						 in->line);
			continue;
		}
		if (first_from == b->df->n)
			first_from = i;
		if (in_target && end == b->df->n)
			end = i;
		const char *name = json_string_value(json_array_get(in->words, 2));
		if (!target_found && name && !strcasecmp(name, b->o.target))
			target_found = in_target = true;
	}
	if (first_from == b->df->n)
		return error_set(&b->err, -EINVAL, "dockerfile contains no stages to build");
	if (!target_found)
		return error_set(&b->err, -EINVAL, "failed to reach build target %s in Dockerfile",
				 b->o.target);
	b->end = end;
	b->total = (int)end;
	return 0;
}

/* The labels option is a LABEL instruction at the end, as dockerd adds it. */
static int add_labels(struct build *b)
{
	if (!json_object_size(b->o.labels))
		return 0;
	struct buf line = BUF_INIT;
	buf_appendf(&line, "LABEL");
	const char *k;
	json_t *v;
	json_object_foreach(b->o.labels, k, v)
	{
		json_t *pair = json_string(k);
		_cleanup_free_ char *qk = json_dumps(pair, JSON_ENCODE_ANY);
		json_decref(pair);
		pair = json_string(json_string_value(v) ? json_string_value(v) : "");
		_cleanup_free_ char *qv = json_dumps(pair, JSON_ENCODE_ANY);
		json_decref(pair);
		buf_appendf(&line, " %s=%s", qk ? qk : "\"\"", qv ? qv : "\"\"");
	}
	struct df_inst in;
	int r = dockerfile_parse_line(line.data, b->df->escape, &in, &b->err);
	buf_free(&line);
	if (r < 0)
		return r;
	struct df_inst *nv = realloc(b->df->v, (b->df->n + 1) * sizeof(*nv));
	if (!nv) {
		df_inst_done(&in);
		return error_set(&b->err, -ENOMEM, "out of memory");
	}
	b->df->v = nv;
	in.line = b->df->v[b->df->n - 1].line;
	b->df->v[b->df->n++] = in;
	return 0;
}

/* ---- start ---- */

static void open_work(uv_work_t *w)
{
	struct build *b = w->data;
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s/tmp", image_store_root(b->cs->deps.images->store)) < 0) {
		error_set(&b->err, -ENOMEM, "out of memory");
		return;
	}
	if (build_context_open(b->body_fd, tmp, b->o.dockerfile ? b->o.dockerfile : "Dockerfile",
			       &b->ctx, &b->err) < 0)
		return;
	dockerfile_parse(b->ctx.dockerfile, b->ctx.dockerfile_len, &b->df, &b->err);
}

static void open_done(uv_work_t *w, int status)
{
	struct build *b = w->data;
	(void)status;
	close(b->body_fd);
	b->body_fd = -1;
	if (b->err.code == 0 && add_labels(b) == 0)
		plan(b);
	if (b->err.code < 0) {
		build_fail(b);
		return;
	}
	b->meta_args = json_object();
	b->args = json_object();
	build_next(b);
}

void build_start(struct containers *cs, struct byte_sink *out, struct build_opts *o, int fd)
{
	struct build *b = calloc(1, sizeof(*b));
	if (!b) {
		close(fd);
		build_opts_done(o);
		struct error err = ERROR_INIT;
		error_set(&err, -ENOMEM, "out of memory");
		sink_end(out, &err);
		error_clear(&err);
		return;
	}
	b->cs = cs;
	b->out = out;
	sink_begin(out, "application/json", NULL, 0);
	b->o = *o;
	*o = (struct build_opts){0};
	b->body_fd = fd;
	b->ctx.dir_fd = -1;
	b->work.data = b;
	if (uv_queue_work(cs->deps.loop, &b->work, open_work, open_done) < 0) {
		error_set(&b->err, -EAGAIN, "cannot queue the build");
		build_fail(b);
	}
}

int build_prune(struct containers *cs, json_t **ret, struct error *err)
{
	json_t *report = NULL;
	int r = image_prune(cs->deps.images, NULL, &report, err);
	if (r < 0)
		return r;
	json_t *deleted = json_array(), *item;
	size_t i;
	json_array_foreach(json_object_get(report, "ImagesDeleted"), i, item)
	{
		json_t *id = json_object_get(item, "Deleted");
		if (id)
			json_array_append(deleted, id);
	}
	*ret = json_pack("{s:o, s:O}", "CachesDeleted", deleted, "SpaceReclaimed",
			 json_object_get(report, "SpaceReclaimed"));
	json_decref(report);
	return 0;
}
