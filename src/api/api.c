/* Listeners, routing and per-request checks shared by every handler. */
#include "api/api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shared/api_version.h"
#include "basic/build_info.h"
#include "basic/cleanup.h"
#include "basic/fs.h"
#include "daemon/metrics.h"
#include "image/layer_store.h"
#include "shared/filters.h"
#include "shared/host.h"
#include "image/images.h"

static const struct api_routes *const tables[] = {
    &api_system_routes,	   &api_image_routes,	    &api_volume_routes,
    &api_container_routes, &api_exec_routes,	    &api_network_routes,
    &api_swarm_routes,	   &api_secret_routes,	    &api_registry_routes,
    &api_commit_routes,	   &api_build_routes,	    &api_container_archive_routes,
    &api_service_routes,   &api_service_log_routes, &api_plugin_routes,
};

int api_route_match(enum http_method method, const char *path, struct route_match *m)
{
	int result = -ENOENT;
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		int r = router_match(tables[i]->routes, tables[i]->n, method, path, m);
		if (r == 0)
			return 0;
		if (r == -EPERM)
			result = r;
	}
	return result;
}

/* Archives (image load and import, build contexts, container archives) go to
 * disk rather than memory. */
bool api_should_spool(enum http_method method, const char *url, void *userdata)
{
	static const char *const suffixes[] = {"/images/load", "/images/create", "/build",
					       "/archive"};
	if (method != HTTP_POST && method != HTTP_PUT)
		return false;
	size_t len = strcspn(url, "?");
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		size_t sl = strlen(suffixes[i]);
		if (len >= sl && strncmp(url + len - sl, suffixes[i], sl) == 0)
			return true;
	}
	return false;
}

const char **api_query_all(const struct http_request *req, const char *key, size_t *ret_n)
{
	const char **v = calloc(req->n_query + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; v && i < req->n_query; i++)
		if (strcmp(req->query_keys[i], key) == 0)
			v[n++] = req->query_values[i];
	*ret_n = n;
	return v;
}

int api_body_fd_or_reply(const struct api_request *ar)
{
	const struct http_request *req = ar->req;
	int fd = req->body_fd >= 0 ? dup(req->body_fd) : memfd_create("body", MFD_CLOEXEC);
	if (fd >= 0 && req->body_fd < 0) {
		ssize_t n = req->body_len ? write(fd, req->body, req->body_len) : 0;
		if (n < 0 || (size_t)n != req->body_len || lseek(fd, 0, SEEK_SET) < 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		http_reply_error(ar->conn, 500, "cannot read the request body: %m");
	return fd;
}

void api_reply_err(const struct api_request *ar, const struct error *err)
{
	http_reply_err(ar->conn, err);
}

void api_reply_err_clear(const struct api_request *ar, struct error *err)
{
	api_reply_err(ar, err);
	error_clear(err);
}

bool api_filters_or_reply(const struct api_request *ar, struct filters **ret)
{
	struct error err = ERROR_INIT;
	if (filters_parse(http_request_query(ar->req, "filters"), ret, &err) == 0)
		return true;
	api_reply_err_clear(ar, &err);
	return false;
}

const char *api_json_problem(const json_error_t *jerr, json_t *parsed, char *buf, size_t len)
{
	if (parsed)
		snprintf(buf, len, "invalid JSON: the body must be a JSON object, not %s",
			 json_is_array(parsed) ? "an array" : "a single value");
	else if (strstr(jerr->text, "JSON_ALLOW_NUL"))
		snprintf(buf, len,
			 "invalid JSON: a string contains a NUL character (\\u0000) at line %d, "
			 "column %d",
			 jerr->line, jerr->column);
	else
		snprintf(buf, len, "invalid JSON: %s", jerr->text);
	return buf;
}

json_t *api_json_body_or_reply(const struct api_request *ar)
{
	if (ar->req->body_len == 0) {
		http_reply_error(ar->conn, 400, "got EOF while reading request body");
		return NULL;
	}
	json_error_t jerr;
	json_t *body = json_loadb(ar->req->body, ar->req->body_len, 0, &jerr);
	if (!json_is_object(body)) {
		char why[512];
		http_reply_error(ar->conn, 400, "%s",
				 api_json_problem(&jerr, body, why, sizeof(why)));
		json_decref(body);
		return NULL;
	}
	return body;
}

struct deferred_reply {
	struct http_conn *conn;
	int status;
	json_t *body;
};

static void send_deferred(void *data)
{
	struct deferred_reply *r = data;
	http_reply_json(r->conn, r->status, r->body);
	http_conn_unref(r->conn);
	free(r);
}

void api_reply_json_after_removals(const struct api_request *ar, int status, json_t *body)
{
	struct deferred_reply *r = malloc(sizeof(*r));
	if (!r) {
		http_reply_json(ar->conn, status, body);
		return;
	}
	*r = (struct deferred_reply){.conn = ar->conn, .status = status, .body = body};
	http_conn_ref(ar->conn);
	if (layer_store_after_removals(ar->d->images->layers, send_deferred, r) < 0)
		send_deferred(r);
}

/* dockerd's versionMiddleware: too old or too new versions are refused. */
static bool check_version(struct http_conn *conn, const char *version)
{
	if (api_version_compare(version, API_VERSION_MAX) > 0) {
		http_reply_error(
		    conn, 400, "client version %s is too new. Maximum supported API version is %s",
		    version, API_VERSION_MAX);
		return false;
	}
	if (api_version_compare(version, API_VERSION_MIN) < 0) {
		http_reply_error(conn, 400,
				 "client version %s is too old. Minimum supported API version is "
				 "%s, please upgrade your client to a newer version",
				 version, API_VERSION_MIN);
		return false;
	}
	return true;
}

static void dispatch(struct http_conn *conn, const struct http_request *req, void *userdata)
{
	struct daemon *d = userdata;
	char version[16];
	const char *path;
	bool versioned = api_version_split_path(req->path, version, sizeof(version), &path);
	if (versioned && !check_version(conn, version))
		return;
	struct route_match m;
	int r = api_route_match(req->method, path, &m);
	if (r < 0) {
		/* dockerd answers a known path with the wrong method like an unknown one. */
		log_debug(&d->log, "no route for %s %s%s", req->method_name, req->path,
			  r == -EPERM ? " (wrong method)" : "");
		http_reply_error(conn, 404, "page not found");
		return;
	}
	struct api_request ar = {
	    .d = d,
	    .conn = conn,
	    .req = req,
	    .version = versioned ? version : API_VERSION_MAX,
	    .match = &m,
	};
	((api_handler_fn)m.route->handler)(&ar);
	route_match_done(&m);
}

/* The route a request matched, for the metrics; NULL when none did. */
static const char *route_of(const struct http_request *req)
{
	char version[16];
	const char *path;
	struct route_match m;
	if (!req->path)
		return NULL;
	api_version_split_path(req->path, version, sizeof(version), &path);
	if (api_route_match(req->method, path, &m) < 0)
		return NULL;
	const char *pattern = m.route->pattern;
	route_match_done(&m);
	return pattern;
}

static void access_log(const struct http_request *req, int status, void *userdata)
{
	struct daemon *d = userdata;
	uint64_t ms = uv_now(d->loop) - req->start_ms;
	if (d->metrics)
		metrics_observe_request(d->metrics, req->method_name, route_of(req), status,
					(double)ms / 1000.0);
	if (!log_enabled(&d->log, LOG_LEVEL_DEBUG))
		return;
	log_debug(&d->log, "%s %s %d %llums", req->method_name ? req->method_name : "-",
		  req->url ? req->url : "(malformed)", status, (unsigned long long)ms);
}

static int listen_one(struct daemon *d, const char *spec, struct error *err)
{
	struct host_addr h;
	int r = host_parse(spec, d->cfg.tls, &h, err);
	if (r < 0)
		return r;
	if (h.kind == HOST_TCP) {
		r = http_server_listen_tcp(d->api, h.ip, h.port, d->tls, err);
	} else {
		_cleanup_free_ char *dir = strdup(h.path);
		if (!dir)
			return -ENOMEM;
		*strrchr(dir, '/') = '\0';
		r = fs_mkdir_p(dir[0] ? dir : "/", 0755, err);
		if (r == 0)
			/* As dockerd: TLS guards TCP; the socket's mode guards unix. */
			r = http_server_listen_unix(d->api, h.path, 0660, NULL, err);
	}
	if (r == 0)
		log_info(&d->log, "API listen on %s", spec);
	return r;
}

int api_start(struct daemon *d, struct error *err)
{
	snprintf(d->server_header, sizeof(d->server_header), "Berth/%s (linux)", BERTH_VERSION);
	d->api_headers[0] = (struct http_header){"Api-Version", API_VERSION_MAX};
	d->api_headers[1] = (struct http_header){"Docker-Experimental", "false"};
	d->api_headers[2] = (struct http_header){"Ostype", "linux"};
	d->api_headers[3] = (struct http_header){"Server", d->server_header};
	struct http_server_config cfg = {
	    .handler = dispatch,
	    .access_log = access_log,
	    .userdata = d,
	    .log = &d->log,
	    .max_header_bytes = 64 * 1024,
	    .max_body_bytes = 16 * 1024 * 1024,
	    .idle_timeout_ms = 120 * 1000,
	    .request_timeout_ms = 30 * 1000,
	    .max_connections = 4096,
	    .should_spool = api_should_spool,
	    .spool_dir = d->spool_dir,
	    .default_headers = d->api_headers,
	    .n_default_headers = ARRAY_SIZE(d->api_headers),
	};
	if (snprintf(d->spool_dir, sizeof(d->spool_dir), "%s/tmp", d->cfg.data_root) >=
	    (int)sizeof(d->spool_dir))
		return error_set(err, -ENAMETOOLONG, "--data-root is too long");
	int r = fs_mkdir_p(d->spool_dir, 0700, err);
	if (r < 0)
		return r;
	r = http_server_new(d->loop, &cfg, &d->api);
	if (r < 0)
		return error_set(err, r, "out of memory");
	for (size_t i = 0; i < d->cfg.n_hosts && r == 0; i++)
		r = listen_one(d, d->cfg.hosts[i], err);
	if (r < 0) {
		http_server_close(d->api, NULL, NULL);
		d->api = NULL;
	}
	return r;
}

void api_stop(struct daemon *d)
{
	if (!d->api)
		return;
	http_server_close(d->api, NULL, NULL);
	d->api = NULL;
}
