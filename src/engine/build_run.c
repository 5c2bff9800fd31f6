/* The builder's steps that make layers: RUN (a container started as docker
 * run starts one, its read-write layer committed) and COPY/ADD (a layer
 * written from the context or another stage on the thread pool). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/buf.h"
#include "basic/cleanup.h"
#include "basic/path.h"
#include "engine/build_priv.h"
#include "engine/containers_priv.h"
#include "engine/oci_spec.h"
#include "image/commit.h"
#include "image/fetch.h"
#include "image/image_store.h"
#include "storage/driver.h"
#include "image/images.h"

static char *join_words(json_t *a)
{
	struct buf s = BUF_INIT;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	    buf_appendf(&s, "%s%s", i ? " " : "", json_string_value(v) ? json_string_value(v) : "");
	return s.data ? buf_steal(&s) : strdup("");
}

/* ---- RUN ---- */

struct run_step {
	struct build *b;
	struct container_sub sub;
	struct container_waiter waiter;
	uv_work_t defer;
	char cid[DIGEST_HEX_LEN + 1];
	json_t *run_config;
	char *cmd_text; /* the command as dockerd quotes it in errors */
	char image_id[DIGEST_BUF];
	bool failed;
};

static void run_free(struct run_step *rs)
{
	json_decref(rs->run_config);
	free(rs->cmd_text);
	free(rs);
}

static void run_output(struct container_sub *sub, int stream, int64_t t, uint64_t off,
		       const char *data, size_t len)
{
	struct run_step *rs = sub->userdata;
	(void)stream, (void)t, (void)off;
	build_out_raw(rs->b, data, len);
}

static void run_end(struct container_sub *sub)
{
	(void)sub;
}

/* The intermediate container is gone (or could not be removed): the step
 * ends, with the error already in b->err when it failed. */
static void removed(int r, const struct error *err, void *userdata)
{
	struct run_step *rs = userdata;
	struct build *b = rs->b;
	if (r == 0)
		build_out(b, "Removing intermediate container %.12s\n", rs->cid);
	else
		build_out(b, "Removing intermediate container %.12s: %s\n", rs->cid,
			  error_msg(err));
	bool failed = rs->failed;
	char id[DIGEST_BUF];
	memcpy(id, rs->image_id, sizeof(id));
	run_free(rs);
	if (failed)
		build_fail(b);
	else
		build_step_done(b, id, false);
}

static void remove_container(struct run_step *rs)
{
	struct build *b = rs->b;
	struct container *c;
	struct error e = ERROR_INIT;
	bool keep = rs->failed ? !(b->o.rm || b->o.forcerm) : !b->o.rm;
	if (keep || containers_lookup(b->cs, rs->cid, &c, &e) < 0) {
		error_clear(&e);
		bool failed = rs->failed;
		char id[DIGEST_BUF];
		memcpy(id, rs->image_id, sizeof(id));
		run_free(rs);
		if (failed)
			build_fail(b);
		else
			build_step_done(b, id, false);
		return;
	}
	container_remove(b->cs, c, true, true, removed, rs);
}

static void nop_work(uv_work_t *w)
{
	(void)w;
}

/* Runs remove_container from the loop, outside the container code that
 * called us. */
static void deferred(uv_work_t *w, int status)
{
	(void)status;
	remove_container(w->data);
}

static void defer_remove(struct run_step *rs)
{
	rs->defer.data = rs;
	if (uv_queue_work(rs->b->cs->deps.loop, &rs->defer, nop_work, deferred) < 0)
		remove_container(rs);
}

static void run_committed(int r, const struct error *err, struct image *img, void *userdata)
{
	struct run_step *rs = userdata;
	if (r < 0) {
		error_set(&rs->b->err, r, "%s", error_msg(err));
		rs->failed = true;
	} else {
		memcpy(rs->image_id, img->id, DIGEST_BUF);
	}
	remove_container(rs);
}

static void commit_run(struct run_step *rs)
{
	struct build *b = rs->b;
	_cleanup_free_ char *upper = NULL;
	_cleanup_free_ char *by = join_words(json_object_get(rs->run_config, "Cmd"));
	if (storage_diff_path(b->cs->deps.images->storage, rs->cid, &upper, &b->err) < 0) {
		rs->failed = true;
		defer_remove(rs);
		return;
	}
	struct image_commit_opts o = {
	    .parent_id = b->image_id,
	    .config = b->config,
	    .container_config = rs->run_config,
	    .container_id = rs->cid,
	    .created_by = by,
	    .layer_dir = upper,
	    .whiteouts = storage_driver_whiteouts(b->cs->deps.images->storage),
	    .skip = image_commit_init_paths,
	    .layer_fd = -1,
	};
	image_commit(b->cs->deps.images, &o, run_committed, rs);
}

static void run_exited(struct container_waiter *w, int exit_code)
{
	struct run_step *rs = w->userdata;
	struct container *c;
	struct error e = ERROR_INIT;
	if (containers_lookup(rs->b->cs, rs->cid, &c, &e) == 0)
		container_unsubscribe(c, &rs->sub);
	error_clear(&e);
	if (exit_code != 0) {
		error_set(&rs->b->err, -EINVAL, "The command '%s' returned a non-zero code: %d",
			  rs->cmd_text, exit_code);
		rs->failed = true;
		defer_remove(rs);
		return;
	}
	commit_run(rs);
}

static void run_started(int r, const struct error *err, void *userdata)
{
	struct run_step *rs = userdata;
	if (r >= 0)
		return; /* run_exited follows */
	struct container *c;
	struct error e = ERROR_INIT;
	if (containers_lookup(rs->b->cs, rs->cid, &c, &e) == 0) {
		container_unsubscribe(c, &rs->sub);
		container_wait_cancel(c, &rs->waiter);
	}
	error_clear(&e);
	error_set(&rs->b->err, r, "%s", error_msg(err));
	rs->failed = true;
	defer_remove(rs);
}

static json_t *run_body(struct build *b, json_t *cmd)
{
	json_t *env = json_deep_copy(json_object_get(b->config, "Env"));
	if (!json_is_array(env)) {
		json_decref(env);
		env = json_array();
	}
	json_t *args = build_arg_env(b);
	json_array_extend(env, args);
	json_decref(args);
	json_t *body =
	    json_pack("{s:s, s:O, s:[], s:o, s:b, s:b}", "Image", b->image_id, "Cmd", cmd,
		      "Entrypoint", "Env", env, "AttachStdout", 1, "AttachStderr", 1);
	static const char *const keep[] = {"User", "WorkingDir", "Labels", "Shell"};
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		json_t *v = json_object_get(b->config, keep[i]);
		if (v && !json_is_null(v))
			json_object_set(body, keep[i], v);
	}
	/* A step's command runs once: no health checks meanwhile. */
	json_object_set_new(body, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
	json_object_set_new(body, "HostConfig",
			    b->o.host_config ? json_deep_copy(b->o.host_config) : json_object());
	return body;
}

static int start_run(struct run_step *rs, json_t *cmd)
{
	struct build *b = rs->b;
	if (!b->image_id[0])
		return error_set(&b->err, -EINVAL, "The command '%s' returned a non-zero code: 127",
				 rs->cmd_text);
	json_t *body = run_body(b, cmd);
	struct container *c;
	int r = container_create(b->cs, NULL, body, &c, NULL, &b->err);
	json_decref(body);
	if (r < 0)
		return r;
	memcpy(rs->cid, c->id, sizeof(rs->cid));
	build_out(b, " ---> Running in %.12s\n", c->id);
	rs->sub =
	    (struct container_sub){.on_output = run_output, .on_end = run_end, .userdata = rs};
	rs->waiter =
	    (struct container_waiter){.cond = WAIT_NEXT_EXIT, .done = run_exited, .userdata = rs};
	container_subscribe(c, &rs->sub);
	container_wait(c, &rs->waiter);
	container_start(b->cs, c, run_started, rs);
	return 0;
}

void build_run(struct build *b, struct df_inst *in)
{
	json_t *cmd;
	if (in->json) {
		cmd = json_deep_copy(in->words);
	} else {
		cmd = json_deep_copy(b->shell);
		json_array_append(cmd, json_array_get(in->words, 0));
	}
	/* Build args in effect are part of the cache key ("|N a=b ..."). */
	json_t *args = build_arg_env(b), *key = cmd;
	if (json_array_size(args)) {
		key = json_array();
		char n[16];
		snprintf(n, sizeof(n), "|%zu", json_array_size(args));
		json_array_append_new(key, json_string(n));
		json_array_extend(key, args);
		json_array_extend(key, cmd);
	} else {
		json_incref(key);
	}
	json_decref(args);
	struct run_step *rs = calloc(1, sizeof(*rs));
	if (!rs) {
		json_decref(cmd);
		json_decref(key);
		error_set(&b->err, -ENOMEM, "out of memory");
		build_fail(b);
		return;
	}
	rs->b = b;
	rs->run_config = build_run_config(b, key);
	rs->cmd_text = join_words(cmd);
	char id[DIGEST_BUF];
	if (build_cache_find(b, rs->run_config, id)) {
		json_decref(cmd);
		run_free(rs);
		build_step_done(b, id, true);
		return;
	}
	int r = start_run(rs, cmd);
	json_decref(cmd);
	if (r < 0) {
		run_free(rs);
		build_fail(b);
	}
}

/* ---- COPY and ADD ---- */

struct copy_step {
	struct build *b;
	uv_work_t work;
	struct copy_spec spec;
	char **srcs;
	size_t n_srcs;
	char *dest;
	char *text; /* "COPY" or "ADD" */
	char src_mounted[DIGEST_HEX_LEN + 1];
	char img_mounted[DIGEST_HEX_LEN + 1];
	char *img_root; /* the parent image's tree, for --chown names */
	char *chown;
	int out_fd;
	char key[96];
	char **urls, **url_names; /* ADD sources from URLs */
	int *url_fds;
	size_t n_urls, n_fetched;
};

static void copy_free(struct copy_step *cs)
{
	struct error e = ERROR_INIT;
	if (cs->src_mounted[0])
		storage_unmount(cs->b->cs->deps.images->storage, cs->src_mounted, &e);
	error_clear(&e);
	if (cs->img_mounted[0])
		storage_unmount(cs->b->cs->deps.images->storage, cs->img_mounted, &e);
	error_clear(&e);
	if (cs->spec.src_root_fd >= 0)
		close(cs->spec.src_root_fd);
	if (cs->spec.image_root_fd >= 0)
		close(cs->spec.image_root_fd);
	if (cs->out_fd >= 0)
		close(cs->out_fd);
	for (size_t i = 0; i < cs->n_srcs; i++)
		free(cs->srcs[i]);
	free(cs->srcs);
	for (size_t i = 0; i < cs->n_urls; i++) {
		free(cs->urls[i]);
		free(cs->url_names[i]);
		if (cs->url_fds[i] >= 0)
			close(cs->url_fds[i]);
	}
	free(cs->urls);
	free(cs->url_names);
	free(cs->url_fds);
	free(cs->dest);
	free(cs->img_root);
	free(cs->chown);
	free(cs);
}

static int resolve_chown(struct copy_step *cs, struct error *err)
{
	if (!cs->chown)
		return 0;
	struct oci_user u;
	int r;
	if (cs->img_root) {
		r = oci_user_resolve(cs->img_root, cs->chown, &u, err);
	} else {
		r = oci_user_resolve_text(NULL, NULL, cs->chown, &u, err);
	}
	if (r < 0)
		return r;
	cs->spec.chown = true;
	cs->spec.uid = u.uid;
	cs->spec.gid = u.gid;
	return 0;
}

static void copy_work(uv_work_t *w)
{
	struct copy_step *cs = w->data;
	struct error *err = &cs->b->err;
	if (resolve_chown(cs, err) < 0)
		return;
	build_copy_layer(&cs->spec, cs->out_fd, cs->key, sizeof(cs->key), err);
}

static void copy_done(uv_work_t *w, int status)
{
	struct copy_step *cs = w->data;
	struct build *b = cs->b;
	(void)status;
	if (b->err.code < 0) {
		copy_free(cs);
		build_fail(b);
		return;
	}
	_cleanup_free_ char *comment = NULL;
	if (asprintf(&comment, "#(nop) %s %s in %s ", cs->text, cs->key, cs->dest) < 0) {
		copy_free(cs);
		error_set(&b->err, -ENOMEM, "out of memory");
		build_fail(b);
		return;
	}
	json_t *cmd = json_deep_copy(b->shell);
	json_array_append_new(cmd, json_string(comment));
	json_t *rc = build_run_config(b, cmd);
	char id[DIGEST_BUF];
	if (build_cache_find(b, rc, id)) {
		json_decref(rc);
		copy_free(cs);
		build_step_done(b, id, true);
		return;
	}
	int fd = TAKE_FD(cs->out_fd);
	copy_free(cs);
	build_commit(b, rc, fd);
}

/* Mounts an image's filesystem read-only for the copy; *ret_fd -1 when the
 * image has no layer. */
static int mount_image(struct build *b, const char *image_id, char *mounted, char **ret_path,
		       int *ret_fd)
{
	*ret_fd = -1;
	struct image *img = image_store_get(b->cs->deps.images->store, image_id);
	if (!img || !img->top)
		return 0;
	_cleanup_free_ char *path = NULL;
	int r = storage_mount(b->cs->deps.images->storage, img->top->cache_id, &path, &b->err);
	if (r < 0)
		return r;
	snprintf(mounted, DIGEST_HEX_LEN + 1, "%s", img->top->cache_id);
	*ret_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*ret_fd < 0)
		return error_set(&b->err, -errno, "%s: %m", path);
	if (ret_path)
		*ret_path = TAKE_PTR(path);
	return 0;
}

/* --from: a stage by name or index, else an image. */
static int from_source(struct build *b, const char *from, char *ret_id)
{
	char *end;
	long ix = strtol(from, &end, 10);
	if (!*end && end != from) {
		if (ix < 0 || (size_t)ix >= b->n_stages - 1)
			return error_set(&b->err, -EINVAL,
					 "invalid from flag value %s: refers to current build "
					 "stage or a later one",
					 from);
		memcpy(ret_id, b->stages[ix].image_id, DIGEST_BUF);
		return 0;
	}
	for (size_t i = 0; i + 1 < b->n_stages; i++)
		if (b->stages[i].name && !strcasecmp(b->stages[i].name, from)) {
			memcpy(ret_id, b->stages[i].image_id, DIGEST_BUF);
			return 0;
		}
	struct image *img;
	int r = image_store_lookup(b->cs->deps.images->store, from, &img, &b->err);
	if (r == 0)
		memcpy(ret_id, img->id, DIGEST_BUF);
	return r;
}

/* The file name a download gets: the last element of the URL's path. */
static int url_name(struct copy_step *cs, size_t i)
{
	const char *u = strstr(cs->urls[i], "://") + 3;
	const char *path = strchr(u, '/');
	_cleanup_free_ char *p = path ? strndup(path, strcspn(path, "?#")) : strdup("/");
	char *base = p ? path_base(p) : NULL;
	if (!base)
		return error_set(&cs->b->err, -ENOMEM, "out of memory");
	if (!strcmp(base, "/") || !strcmp(base, ".")) {
		free(base);
		return error_set(&cs->b->err, -EINVAL, "cannot determine filename from url: %s",
				 cs->urls[i]);
	}
	cs->url_names[i] = base;
	return 0;
}

static int copy_prepare(struct build *b, struct df_inst *in, struct copy_step *cs)
{
	size_t n = json_array_size(in->words);
	cs->srcs = calloc(n, sizeof(*cs->srcs));
	if (!cs->srcs)
		return error_set(&b->err, -ENOMEM, "out of memory");
	cs->urls = calloc(n, sizeof(*cs->urls));
	cs->url_names = calloc(n, sizeof(*cs->url_names));
	cs->url_fds = calloc(n, sizeof(*cs->url_fds));
	if (!cs->urls || !cs->url_names || !cs->url_fds)
		return error_set(&b->err, -ENOMEM, "out of memory");
	for (size_t i = 0; i + 1 < n; i++) {
		char *src = NULL;
		if (build_expand(b, json_string_value(json_array_get(in->words, i)), &src) < 0)
			return -EINVAL;
		if (!strstr(src, "://")) {
			cs->srcs[cs->n_srcs++] = src;
			continue;
		}
		cs->urls[cs->n_urls] = src;
		cs->url_fds[cs->n_urls++] = -1;
		if (in->kind == DF_COPY)
			return error_set(&b->err, -EINVAL, "source can't be a URL for COPY");
		if (url_name(cs, cs->n_urls - 1) < 0)
			return -EINVAL;
	}
	_cleanup_free_ char *dest = NULL;
	if (build_expand(b, json_string_value(json_array_get(in->words, n - 1)), &dest) < 0)
		return -EINVAL;
	const char *wd = json_string_value(json_object_get(b->config, "WorkingDir"));
	size_t dl = strlen(dest);
	bool slash = dl && (dest[dl - 1] == '/' || !strcmp(dest, ".") ||
			    (dl >= 2 && !strcmp(dest + dl - 2, "/.")));
	_cleanup_free_ char *abs = path_join(dest[0] == '/' ? "/" : (wd && *wd ? wd : "/"), dest);
	if (!abs || asprintf(&cs->dest, "%s%s", abs, slash && strcmp(abs, "/") ? "/" : "") < 0)
		return error_set(&b->err, -ENOMEM, "out of memory");
	const char *from = in->kind == DF_COPY ? df_flag(in, "from") : NULL;
	char src_id[DIGEST_BUF] = "";
	if (from) {
		_cleanup_free_ char *f = NULL;
		if (build_expand(b, from, &f) < 0 || from_source(b, f, src_id) < 0)
			return -EINVAL;
		if (mount_image(b, src_id, cs->src_mounted, NULL, &cs->spec.src_root_fd) < 0)
			return -EIO;
	} else {
		cs->spec.src_root_fd = dup(b->ctx.dir_fd);
	}
	if (mount_image(b, b->image_id, cs->img_mounted, &cs->img_root, &cs->spec.image_root_fd) <
	    0)
		return -EIO;
	const char *chown = df_flag(in, "chown");
	if (chown && *chown && build_expand(b, chown, &cs->chown) < 0)
		return -EINVAL;
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s/tmp", image_store_root(b->cs->deps.images->store)) < 0)
		return error_set(&b->err, -ENOMEM, "out of memory");
	cs->out_fd = open(tmp, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (cs->out_fd < 0)
		return error_set(&b->err, -errno, "cannot create a scratch file in %s: %m", tmp);
	cs->spec.cmd = cs->text;
	cs->spec.srcs = (const char *const *)cs->srcs;
	cs->spec.n_srcs = cs->n_srcs;
	cs->spec.from_context = !from;
	cs->spec.dest = cs->dest;
	cs->spec.unpack = in->kind == DF_ADD;
	cs->spec.url_names = (const char *const *)cs->url_names;
	cs->spec.url_fds = cs->url_fds;
	cs->spec.n_urls = cs->n_urls;
	return 0;
}

static int fetch_next(struct copy_step *cs);

static void fetched(int fd, const struct error *err, void *userdata)
{
	struct copy_step *cs = userdata;
	struct build *b = cs->b;
	int r = fd < 0 ? error_set(&b->err, err->code, "%s", error_msg(err)) : 0;
	if (r == 0) {
		cs->url_fds[cs->n_fetched++] = fd;
		r = fetch_next(cs);
	}
	if (r < 0) {
		copy_free(cs);
		build_fail(b);
	}
}

/* Downloads the URL sources one after the other, then writes the layer. */
static int fetch_next(struct copy_step *cs)
{
	struct build *b = cs->b;
	if (cs->n_fetched < cs->n_urls) {
		_cleanup_free_ char *tmp = NULL;
		if (asprintf(&tmp, "%s/tmp", image_store_root(b->cs->deps.images->store)) < 0)
			return error_set(&b->err, -ENOMEM, "out of memory");
		return fetch_url_async(b->cs->deps.images, cs->urls[cs->n_fetched], tmp, fetched,
				       cs, &b->err);
	}
	if (uv_queue_work(b->cs->deps.loop, &cs->work, copy_work, copy_done) < 0)
		return error_set(&b->err, -EAGAIN, "cannot queue the copy");
	return 0;
}

void build_copy(struct build *b, struct df_inst *in)
{
	struct copy_step *cs = calloc(1, sizeof(*cs));
	if (!cs) {
		error_set(&b->err, -ENOMEM, "out of memory");
		build_fail(b);
		return;
	}
	cs->b = b;
	cs->out_fd = cs->spec.src_root_fd = cs->spec.image_root_fd = -1;
	cs->text = (char *)df_kind_name(in->kind);
	cs->work.data = cs;
	int r = copy_prepare(b, in, cs);
	if (r == 0)
		r = fetch_next(cs);
	if (r < 0) {
		if (b->err.code == 0)
			error_set(&b->err, r, "%s failed", cs->text);
		copy_free(cs);
		build_fail(b);
	}
}
