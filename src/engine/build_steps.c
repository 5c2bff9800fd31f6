/* The classic builder's instructions that change only the image config
 * (moby's builder/dockerfile/dispatchers.go), the cache lookup and the
 * commit of each step. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/buf.h"
#include "basic/cleanup.h"
#include "basic/path.h"
#include "engine/build_priv.h"
#include "engine/containers_priv.h"
#include "image/changes.h"
#include "image/commit.h"
#include "image/image_store.h"
#include "image/images.h"

/* ---- variables ---- */

static const char *env_lookup(json_t *env, const char *name)
{
	size_t n = strlen(name), i;
	json_t *e;
	json_array_foreach(env, i, e)
	{
		const char *s = json_string_value(e);
		if (s && !strncmp(s, name, n) && s[n] == '=')
			return s + n + 1;
	}
	return NULL;
}

static const char *stage_lookup(const char *name, void *userdata)
{
	struct build *b = userdata;
	const char *v = env_lookup(json_object_get(b->config, "Env"), name);
	return v ? v : json_string_value(json_object_get(b->args, name));
}

static const char *meta_lookup(const char *name, void *userdata)
{
	struct build *b = userdata;
	return json_string_value(json_object_get(b->meta_args, name));
}

int build_expand(struct build *b, const char *word, char **ret)
{
	return df_expand(word, b->df->escape, stage_lookup, b, ret, &b->err);
}

json_t *build_arg_env(struct build *b)
{
	json_t *env = json_array(), *v;
	const char *k;
	json_object_foreach(b->args, k, v)
	{
		if (!json_is_string(v))
			continue;
		char *s = NULL;
		if (asprintf(&s, "%s=%s", k, json_string_value(v)) >= 0)
			json_array_append_new(env, json_string(s));
		free(s);
	}
	return env;
}

/* ---- steps, cache and commits ---- */

void build_step_done(struct build *b, const char *img_id, bool cached)
{
	char short_id[13];
	snprintf(b->image_id, sizeof(b->image_id), "%s", img_id);
	b->have_image = true;
	if (b->n_stages)
		snprintf(b->stages[b->n_stages - 1].image_id, DIGEST_BUF, "%s", img_id);
	if (cached)
		build_out(b, " ---> Using cache\n");
	build_short_id(img_id, short_id);
	build_out(b, " ---> %s\n", short_id);
	build_next(b);
}

json_t *build_run_config(struct build *b, json_t *cmd)
{
	json_t *rc = json_deep_copy(b->config);
	json_object_set_new(rc, "Cmd", cmd);
	json_object_set_new(rc, "Image", json_string(b->image_id));
	return rc;
}

bool build_cache_find(struct build *b, json_t *run_config, char *ret_id)
{
	if (b->o.nocache)
		return false;
	struct image_store *is = b->cs->deps.images->store;
	for (size_t i = 0; i < image_store_count(is); i++) {
		struct image *img = image_store_at(is, i);
		if (strcmp(img->parent, b->image_id) != 0)
			continue;
		if (json_equal(json_object_get(img->config, "container_config"), run_config)) {
			memcpy(ret_id, img->id, DIGEST_BUF);
			return true;
		}
	}
	return false;
}

static void committed(int r, const struct error *err, struct image *img, void *userdata)
{
	struct build *b = userdata;
	if (r < 0) {
		error_set(&b->err, r, "%s", error_msg(err));
		build_fail(b);
		return;
	}
	build_step_done(b, img->id, false);
}

static char *join_cmd(json_t *cmd)
{
	struct buf s = BUF_INIT;
	size_t i;
	json_t *a;
	json_array_foreach(cmd, i, a)
	    buf_appendf(&s, "%s%s", i ? " " : "", json_string_value(a) ? json_string_value(a) : "");
	return s.data ? buf_steal(&s) : strdup("");
}

void build_commit(struct build *b, json_t *run_config, int layer_fd)
{
	_cleanup_free_ char *by = join_cmd(json_object_get(run_config, "Cmd"));
	struct image_commit_opts o = {
	    .parent_id = b->image_id,
	    .config = b->config,
	    .container_config = run_config,
	    .created_by = by,
	    .layer_fd = layer_fd,
	};
	image_commit(b->cs->deps.images, &o, committed, b);
	json_decref(run_config);
}

/* A step that changes only the config: "#(nop) " and its text as the
 * command, as dockerd records it. */
static void commit_meta(struct build *b, const char *text)
{
	json_t *cmd = json_deep_copy(b->shell);
	json_array_append_new(cmd, json_string("#(nop) "));
	json_array_append_new(cmd, json_string(text));
	json_t *rc = build_run_config(b, cmd);
	char id[DIGEST_BUF];
	if (build_cache_find(b, rc, id)) {
		json_decref(rc);
		build_step_done(b, id, true);
		return;
	}
	build_commit(b, rc, -1);
}

/* ---- instructions ---- */

static int fail(struct build *b)
{
	build_fail(b);
	return -1;
}

/* Go's %q of a string list: ["a" "b"]. */
static char *quoted_list(json_t *a)
{
	struct buf s = BUF_INIT;
	buf_append(&s, "[", 1);
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		_cleanup_free_ char *q = json_dumps(v, JSON_ENCODE_ANY);
		buf_appendf(&s, "%s%s", i ? " " : "", q ? q : "\"\"");
	}
	buf_append(&s, "]", 1);
	return buf_steal(&s);
}

static void set_env(json_t *config, const char *k, const char *v)
{
	json_t *env = json_object_get(config, "Env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(config, "Env", env);
	}
	_cleanup_free_ char *kv = NULL;
	if (asprintf(&kv, "%s=%s", k, v) < 0)
		return;
	size_t n = strlen(k), i;
	json_t *e;
	json_array_foreach(env, i, e)
	{
		const char *s = json_string_value(e);
		if (s && !strncmp(s, k, n) && s[n] == '=') {
			json_array_set_new(env, i, json_string(kv));
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
}

static json_t *object_field(json_t *config, const char *key)
{
	json_t *o = json_object_get(config, key);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(config, key, o);
	}
	return o;
}

/* ENV and LABEL: pairs expanded, applied, recorded as "ENV k=v ...". */
static void do_pairs(struct build *b, struct df_inst *in)
{
	/* Every pair is expanded against the values before this instruction. */
	json_t *expanded = json_array();
	for (size_t i = 0; i < json_array_size(in->words); i++) {
		char *s = NULL;
		if (build_expand(b, json_string_value(json_array_get(in->words, i)), &s) < 0) {
			json_decref(expanded);
			fail(b);
			return;
		}
		json_array_append_new(expanded, json_string(s));
		free(s);
	}
	struct buf text = BUF_INIT;
	buf_appendf(&text, "%s", df_kind_name(in->kind));
	for (size_t i = 0; i + 1 < json_array_size(expanded); i += 2) {
		const char *k = json_string_value(json_array_get(expanded, i));
		const char *v = json_string_value(json_array_get(expanded, i + 1));
		if (in->kind == DF_ENV)
			set_env(b->config, k, v);
		else
			json_object_set_new(object_field(b->config, "Labels"), k, json_string(v));
		buf_appendf(&text, " %s=%s", k, v);
	}
	json_decref(expanded);
	commit_meta(b, text.data);
	buf_free(&text);
}

/* CMD, ENTRYPOINT, and HEALTHCHECK's command: exec form as written, shell
 * form behind the SHELL. */
static json_t *command_of(struct build *b, struct df_inst *in, json_t *words)
{
	if (in->json)
		return json_deep_copy(words);
	json_t *cmd = json_deep_copy(b->shell);
	json_array_append(cmd, json_array_get(words, json_array_size(words) - 1));
	return cmd;
}

static void do_cmd(struct build *b, struct df_inst *in)
{
	json_t *cmd = command_of(b, in, in->words);
	bool entry = in->kind == DF_ENTRYPOINT;
	json_object_set(b->config, entry ? "Entrypoint" : "Cmd", cmd);
	if (entry && !b->cmd_set)
		json_object_set_new(b->config, "Cmd", json_null());
	if (!entry)
		b->cmd_set = true;
	_cleanup_free_ char *q = quoted_list(cmd);
	json_decref(cmd);
	_cleanup_free_ char *text = NULL;
	if (asprintf(&text, "%s %s", df_kind_name(in->kind), q) < 0)
		return (void)fail(b);
	commit_meta(b, text);
}

/* Each word expanded (EXPOSE, VOLUME); NULL after failing the build. */
static json_t *expanded_words(struct build *b, struct df_inst *in)
{
	json_t *out = json_array();
	size_t i;
	json_t *w;
	json_array_foreach(in->words, i, w)
	{
		char *s = NULL;
		if (build_expand(b, json_string_value(w), &s) < 0) {
			json_decref(out);
			fail(b);
			return NULL;
		}
		json_array_append_new(out, json_string(s));
		free(s);
	}
	return out;
}

static void do_expose(struct build *b, struct df_inst *in)
{
	_cleanup_(json_decrefp) json_t *ports = expanded_words(b, in);
	if (!ports)
		return;
	json_t *eo = object_field(b->config, "ExposedPorts");
	struct buf text = BUF_INIT;
	buf_appendf(&text, "EXPOSE");
	size_t i;
	json_t *p;
	json_array_foreach(ports, i, p)
	{
		const char *s = json_string_value(p);
		_cleanup_free_ char *key = NULL;
		if (asprintf(&key, "%s%s", s, strchr(s, '/') ? "" : "/tcp") < 0)
			continue;
		json_object_set_new(eo, key, json_object());
		buf_appendf(&text, " %s", key);
	}
	commit_meta(b, text.data);
	buf_free(&text);
}

static void do_volume(struct build *b, struct df_inst *in)
{
	_cleanup_(json_decrefp) json_t *vols = expanded_words(b, in);
	if (!vols)
		return;
	json_t *vo = object_field(b->config, "Volumes");
	size_t i;
	json_t *v;
	struct buf text = BUF_INIT;
	buf_appendf(&text, "VOLUME [");
	json_array_foreach(vols, i, v)
	{
		if (!*json_string_value(v)) {
			buf_free(&text);
			error_set(&b->err, -EINVAL, "VOLUME specified can not be an empty string");
			fail(b);
			return;
		}
		json_object_set_new(vo, json_string_value(v), json_object());
		buf_appendf(&text, "%s%s", i ? " " : "", json_string_value(v));
	}
	buf_appendf(&text, "]");
	commit_meta(b, text.data);
	buf_free(&text);
}

/* USER, WORKDIR, STOPSIGNAL, MAINTAINER: one expanded string. */
static void do_single(struct build *b, struct df_inst *in)
{
	_cleanup_free_ char *v = NULL, *text = NULL;
	if (build_expand(b, json_string_value(json_array_get(in->words, 0)), &v) < 0)
		return (void)fail(b);
	if (in->kind == DF_WORKDIR) {
		const char *cur = json_string_value(json_object_get(b->config, "WorkingDir"));
		char *abs = path_join(v[0] == '/' ? "/" : (cur && *cur ? cur : "/"), v);
		free(v);
		v = abs;
		json_object_set_new(b->config, "WorkingDir", json_string(v));
	} else if (in->kind == DF_USER) {
		json_object_set_new(b->config, "User", json_string(v));
	} else if (in->kind == DF_STOPSIGNAL) {
		int sig;
		struct error e = ERROR_INIT;
		if (container_parse_signal(v, &sig, &e) < 0) {
			error_clear(&e);
			error_set(&b->err, -EINVAL, "Invalid signal: %s", v);
			return (void)fail(b);
		}
		json_object_set_new(b->config, "StopSignal", json_string(v));
	}
	if (asprintf(&text, "%s %s", df_kind_name(in->kind), v) < 0)
		return (void)fail(b);
	commit_meta(b, text);
}

static void do_shell(struct build *b, struct df_inst *in)
{
	json_decref(b->shell);
	b->shell = json_deep_copy(in->words);
	json_object_set(b->config, "Shell", b->shell);
	_cleanup_free_ char *text = NULL;
	struct buf s = BUF_INIT;
	size_t i;
	json_t *w;
	json_array_foreach(in->words, i, w)
	    buf_appendf(&s, "%s%s", i ? " " : "", json_string_value(w));
	if (asprintf(&text, "SHELL [%s]", s.data ? s.data : "") < 0) {
		buf_free(&s);
		return (void)fail(b);
	}
	buf_free(&s);
	commit_meta(b, text);
}

/* Go duration strings of HEALTHCHECK's flags ("30s", "1m30s", "500ms"). */
static int parse_duration(const char *s, int64_t *ret)
{
	int64_t total = 0;
	if (!*s)
		return -EINVAL;
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		if (end == s)
			return -EINVAL;
		int64_t unit;
		if (!strncmp(end, "ms", 2))
			unit = 1000000, end += 2;
		else if (!strncmp(end, "us", 2))
			unit = 1000, end += 2;
		else if (!strncmp(end, "ns", 2))
			unit = 1, end += 2;
		else if (*end == 's')
			unit = 1000000000, end++;
		else if (*end == 'm')
			unit = 60000000000LL, end++;
		else if (*end == 'h')
			unit = 3600000000000LL, end++;
		else
			return -EINVAL;
		total += (int64_t)(v * (double)unit);
		s = end;
	}
	*ret = total;
	return 0;
}

static void do_healthcheck(struct build *b, struct df_inst *in)
{
	const char *type = json_string_value(json_array_get(in->words, 0));
	json_t *hc;
	if (!strcmp(type, "NONE")) {
		hc = json_pack("{s:[s]}", "Test", "NONE");
	} else {
		json_t *test = json_array();
		json_array_append_new(test, json_string(in->json ? "CMD" : "CMD-SHELL"));
		for (size_t i = 1; i < json_array_size(in->words); i++)
			json_array_append(test, json_array_get(in->words, i));
		hc = json_pack("{s:o}", "Test", test);
		static const char *const flags[][2] = {{"interval", "Interval"},
						       {"timeout", "Timeout"},
						       {"start-period", "StartPeriod"},
						       {"start-interval", "StartInterval"}};
		for (size_t i = 0; i < 4; i++) {
			const char *v = df_flag(in, flags[i][0]);
			int64_t ns = 0;
			if (v && parse_duration(v, &ns) < 0) {
				json_decref(hc);
				error_set(&b->err, -EINVAL, "time: invalid duration \"%s\"", v);
				return (void)fail(b);
			}
			if (v)
				json_object_set_new(hc, flags[i][1], json_integer(ns));
		}
		const char *retries = df_flag(in, "retries");
		if (retries)
			json_object_set_new(hc, "Retries", json_integer(atoi(retries)));
	}
	json_object_set_new(b->config, "Healthcheck", hc);
	_cleanup_free_ char *text = NULL;
	if (asprintf(&text, "HEALTHCHECK %s", in->rest) < 0)
		return (void)fail(b);
	commit_meta(b, text);
}

static void do_onbuild(struct build *b, struct df_inst *in)
{
	json_t *ob = json_object_get(b->config, "OnBuild");
	if (!json_is_array(ob)) {
		ob = json_array();
		json_object_set_new(b->config, "OnBuild", ob);
	}
	json_array_append_new(ob, json_string(in->inner->text));
	_cleanup_free_ char *text = NULL;
	if (asprintf(&text, "ONBUILD %s", in->inner->text) < 0)
		return (void)fail(b);
	commit_meta(b, text);
}

/* ARG name[=default]: the build arg's value when given, else the default
 * (expanded), else a meta ARG of the same name. */
static int declare_arg(struct build *b, json_t *scope, const char *word, bool meta,
		       struct buf *text)
{
	const char *eq = strchr(word, '=');
	_cleanup_free_ char *name = eq ? strndup(word, (size_t)(eq - word)) : strdup(word);
	_cleanup_free_ char *def = NULL;
	if (!name)
		return error_set(&b->err, -ENOMEM, "out of memory");
	if (eq && df_expand(eq + 1, b->df->escape, meta ? meta_lookup : stage_lookup, b, &def,
			    &b->err) < 0)
		return -EINVAL;
	json_t *given = json_object_get(b->o.buildargs, name);
	json_t *v = json_is_string(given) ? json_incref(given)
		    : def		  ? json_string(def)
		    : !meta		  ? json_incref(json_object_get(b->meta_args, name))
					  : NULL;
	json_object_set_new(scope, name, v ? v : json_null());
	buf_appendf(text, " %s%s%s", name, def ? "=" : "", def ? def : "");
	return 0;
}

static void do_arg(struct build *b, struct df_inst *in, bool meta)
{
	struct buf text = BUF_INIT;
	buf_appendf(&text, "ARG");
	size_t i;
	json_t *w;
	json_array_foreach(in->words, i, w)
	{
		if (declare_arg(b, meta ? b->meta_args : b->args, json_string_value(w), meta,
				&text) < 0) {
			buf_free(&text);
			fail(b);
			return;
		}
	}
	if (meta)
		build_next(b);
	else
		commit_meta(b, text.data);
	buf_free(&text);
}

/* ---- FROM ---- */

static int stage_image(struct build *b, const char *ref, char *ret_id, json_t **ret_config)
{
	*ret_config = NULL;
	ret_id[0] = '\0';
	if (!strcasecmp(ref, "scratch"))
		return 0;
	for (size_t i = 0; i < b->n_stages; i++)
		if (b->stages[i].name && !strcasecmp(b->stages[i].name, ref)) {
			memcpy(ret_id, b->stages[i].image_id, DIGEST_BUF);
			break;
		}
	struct image *img;
	int r =
	    image_store_lookup(b->cs->deps.images->store, ret_id[0] ? ret_id : ref, &img, &b->err);
	if (r < 0)
		return r;
	memcpy(ret_id, img->id, DIGEST_BUF);
	*ret_config = json_deep_copy(json_object_get(img->config, "config"));
	return 0;
}

static void do_from(struct build *b, struct df_inst *in)
{
	_cleanup_free_ char *ref = NULL;
	const char *name = json_string_value(json_array_get(in->words, 2));
	if (df_expand(json_string_value(json_array_get(in->words, 0)), b->df->escape, meta_lookup,
		      b, &ref, &b->err) < 0)
		return (void)fail(b);
	json_t *config;
	char id[DIGEST_BUF];
	if (stage_image(b, ref, id, &config) < 0)
		return (void)fail(b);
	struct build_stage *v = realloc(b->stages, (b->n_stages + 1) * sizeof(*v));
	if (!v) {
		json_decref(config);
		error_set(&b->err, -ENOMEM, "out of memory");
		return (void)fail(b);
	}
	b->stages = v;
	b->stages[b->n_stages] = (struct build_stage){.name = name ? strdup(name) : NULL};
	for (char *c = b->stages[b->n_stages].name; c && *c; c++)
		*c = (char)tolower((unsigned char)*c);
	b->n_stages++;
	json_decref(b->config);
	b->config = json_is_object(config) ? config : (json_decref(config), changes_empty_config());
	json_decref(b->shell);
	b->shell = json_is_array(json_object_get(b->config, "Shell"))
		       ? json_deep_copy(json_object_get(b->config, "Shell"))
		       : json_pack("[s,s]", "/bin/sh", "-c");
	json_object_clear(b->args);
	b->cmd_set = false;
	snprintf(b->image_id, sizeof(b->image_id), "%s", id);
	json_t *ob = json_object_get(b->config, "OnBuild");
	if (json_array_size(ob)) {
		json_decref(b->pending_triggers);
		b->pending_triggers = json_deep_copy(ob);
		json_object_set_new(b->config, "OnBuild", json_array());
		size_t n = json_array_size(b->pending_triggers);
		build_out(b, " ---> %.12s\n", id[0] ? digest_hex(id) : "");
		build_out(b, "# Executing %zu build trigger%s\n", n, n == 1 ? "" : "s");
		b->have_image = id[0] != '\0';
		if (b->n_stages)
			memcpy(b->stages[b->n_stages - 1].image_id, id, DIGEST_BUF);
		build_next(b);
		return;
	}
	if (!id[0]) { /* scratch: nothing to show yet */
		b->have_image = false;
		build_next(b);
		return;
	}
	build_step_done(b, id, false);
}

void build_run_trigger(struct build *b)
{
	const char *text = json_string_value(json_array_get(b->pending_triggers, 0));
	struct df_inst *in = calloc(1, sizeof(*in));
	int r = in ? dockerfile_parse_line(text ? text : "", b->df->escape, in, &b->err)
		   : error_set(&b->err, -ENOMEM, "out of memory");
	json_array_remove(b->pending_triggers, 0);
	if (r < 0) {
		free(in);
		return (void)fail(b);
	}
	/* The trigger lives as long as the build: keep it in the Dockerfile. */
	struct df_inst *nv = realloc(b->df->v, (b->df->n + 1) * sizeof(*nv));
	if (!nv) {
		df_inst_done(in);
		free(in);
		error_set(&b->err, -ENOMEM, "out of memory");
		return (void)fail(b);
	}
	b->df->v = nv;
	b->df->v[b->df->n] = *in;
	free(in);
	build_dispatch(b, &b->df->v[b->df->n++]);
}

void build_dispatch(struct build *b, struct df_inst *in)
{
	switch (in->kind) {
	case DF_FROM:
		return do_from(b, in);
	case DF_ARG:
		return do_arg(b, in, b->n_stages == 0);
	case DF_ENV:
	case DF_LABEL:
		return do_pairs(b, in);
	case DF_CMD:
	case DF_ENTRYPOINT:
		return do_cmd(b, in);
	case DF_EXPOSE:
		return do_expose(b, in);
	case DF_VOLUME:
		return do_volume(b, in);
	case DF_USER:
	case DF_WORKDIR:
	case DF_STOPSIGNAL:
	case DF_MAINTAINER:
		return do_single(b, in);
	case DF_SHELL:
		return do_shell(b, in);
	case DF_HEALTHCHECK:
		return do_healthcheck(b, in);
	case DF_ONBUILD:
		return do_onbuild(b, in);
	case DF_RUN:
		return build_run(b, in);
	case DF_COPY:
	case DF_ADD:
		return build_copy(b, in);
	}
}
