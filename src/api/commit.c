/* POST /commit: docker commit, over the engine's container_commit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "basic/cleanup.h"
#include "engine/container_commit.h"
#include "image/image_store.h"
#include "image/service.h"
#include "image/reference.h"

struct commit_req {
	struct daemon *d;
	struct http_conn *conn;
	char *repo, *tag;
};

static void commit_replied(int r, const struct error *err, struct image *img, void *userdata)
{
	struct commit_req *cr = userdata;
	struct error e = ERROR_INIT;
	if (r < 0)
		http_reply_err(cr->conn, err);
	else if (cr->repo && image_tag(cr->d->images, img, cr->repo, cr->tag, &e) < 0)
		http_reply_err(cr->conn, &e);
	else
		http_reply_json(cr->conn, 201, json_pack("{s:s}", "Id", img->id));
	error_clear(&e);
	http_conn_unref(cr->conn);
	free(cr->repo);
	free(cr->tag);
	free(cr);
}

/* The repository and tag are checked before any work, as dockerd does. */
static int check_ref(const char *repo, const char *tag, struct error *err)
{
	struct reference r = REFERENCE_INIT;
	int e = reference_parse(repo, &r, err);
	if (e == 0 && (r.digest || r.tag))
		e = error_set(err, -EINVAL,
			      "invalid reference format: cannot tag with a tag or digest in the "
			      "repository name");
	if (e == 0 && tag && *tag && !reference_tag_valid(tag))
		e = error_set(err, -EINVAL, "invalid tag format");
	reference_done(&r);
	return e;
}

static void api_commit(const struct api_request *ar)
{
	const struct http_request *req = ar->req;
	struct container *c;
	struct error err = ERROR_INIT;
	const char *name = http_request_query(req, "container");
	if (containers_lookup(ar->d->containers, name ? name : "", &c, &err) < 0) {
		api_reply_err_clear(ar, &err);
		return;
	}
	const char *repo = http_request_query(req, "repo"), *tag = http_request_query(req, "tag");
	if (repo && *repo && check_ref(repo, tag, &err) < 0) {
		api_reply_err_clear(ar, &err);
		return;
	}
	size_t n;
	_cleanup_free_ const char **changes = api_query_all(req, "changes", &n);
	struct commit_req *cr = calloc(1, sizeof(*cr));
	if (!cr || !changes) {
		free(cr);
		http_reply_error(ar->conn, 500, "out of memory");
		return;
	}
	const char *pause = http_request_query(req, "pause");
	struct container_commit_opts o = {
	    .author = http_request_query(req, "author"),
	    .comment = http_request_query(req, "comment"),
	    .changes = changes,
	    .n_changes = n,
	    .pause = !pause || !*pause || http_request_query_bool(req, "pause"),
	};
	cr->d = ar->d;
	cr->conn = ar->conn;
	cr->repo = repo && *repo ? strdup(repo) : NULL;
	cr->tag = tag && *tag ? strdup(tag) : NULL;
	http_conn_ref(ar->conn);
	container_commit(ar->d->containers, c, &o, commit_replied, cr);
}

static const struct route routes[] = {
    {HTTP_POST, "/commit", api_commit},
};

const struct api_routes api_commit_routes = {routes, sizeof(routes) / sizeof(routes[0])};
