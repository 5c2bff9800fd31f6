/* POST /build (the classic builder) and POST /build/prune, over
 * src/engine/build.h. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "api/http_sink.h"
#include "api/api.h"
#include "basic/cleanup.h"
#include "engine/build.h"
#include "image/reference.h"

/* A JSON object of strings from the query (buildargs, labels); false
 * after replying 400. */
static bool json_param_or_reply(const struct api_request *ar, const char *key, json_t **ret)
{
	const char *s = http_request_query(ar->req, key);
	*ret = NULL;
	if (!s || !*s)
		return true;
	json_error_t e;
	json_t *o = json_loads(s, 0, &e);
	if (!json_is_object(o)) {
		json_decref(o);
		http_reply_error(ar->conn, 400, "error reading %s: %s", key, e.text);
		return false;
	}
	/* {"a": null} is an ARG without a value: drop it. */
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(o, tmp, k, v) if (!json_is_string(v)) json_object_del(o, k);
	*ret = o;
	return true;
}

static int tags_from(const struct http_request *req, struct build_opts *o, struct error *err)
{
	size_t n;
	_cleanup_free_ const char **t = api_query_all(req, "t", &n);
	o->tags = calloc(n + 1, sizeof(*o->tags));
	if (!t || !o->tags)
		return error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (!*t[i])
			continue;
		struct reference r = REFERENCE_INIT;
		int e = reference_parse(t[i], &r, err);
		if (e == 0 && r.digest)
			e = error_set(err, -EINVAL, "invalid reference format");
		if (e < 0) {
			reference_done(&r);
			return e;
		}
		reference_default_tag(&r);
		o->tags[o->n_tags] = reference_string(&r);
		reference_done(&r);
		if (!o->tags[o->n_tags++])
			return error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static void set_int(json_t *hc, const struct http_request *req, const char *key, const char *field)
{
	const char *v = http_request_query(req, key);
	if (v && *v)
		json_object_set_new(hc, field, json_integer(strtoll(v, NULL, 10)));
}

/* HostConfig of the RUN containers: network, limits, extra hosts. */
static json_t *host_config(const struct http_request *req)
{
	json_t *hc = json_object();
	const char *net = http_request_query(req, "networkmode");
	if (net && *net && strcmp(net, "default") != 0)
		json_object_set_new(hc, "NetworkMode", json_string(net));
	set_int(hc, req, "shmsize", "ShmSize");
	set_int(hc, req, "memory", "Memory");
	set_int(hc, req, "memswap", "MemorySwap");
	set_int(hc, req, "cpushares", "CpuShares");
	set_int(hc, req, "cpuperiod", "CpuPeriod");
	set_int(hc, req, "cpuquota", "CpuQuota");
	const char *cpus = http_request_query(req, "cpusetcpus");
	if (cpus && *cpus)
		json_object_set_new(hc, "CpusetCpus", json_string(cpus));
	const char *mems = http_request_query(req, "cpusetmems");
	if (mems && *mems)
		json_object_set_new(hc, "CpusetMems", json_string(mems));
	const char *hosts = http_request_query(req, "extrahosts");
	if (hosts && *hosts) {
		json_t *a = json_array();
		_cleanup_free_ char *copy = strdup(hosts);
		char *save = NULL;
		for (char *h = copy ? strtok_r(copy, ",", &save) : NULL; h;
		     h = strtok_r(NULL, ",", &save))
			json_array_append_new(a, json_string(h));
		json_object_set_new(hc, "ExtraHosts", a);
	}
	return hc;
}

static void api_build(const struct api_request *ar)
{
	const struct http_request *req = ar->req;
	const char *version = http_request_query(req, "version");
	if (version && !strcmp(version, "2")) {
		http_reply_error(ar->conn, 400,
				 "BuildKit is not supported by Berth: use the classic builder "
				 "(DOCKER_BUILDKIT=0)");
		return;
	}
	const char *remote = http_request_query(req, "remote");
	if (remote && *remote) {
		http_reply_error(ar->conn, 501,
				 "remote build contexts are not supported by Berth yet");
		return;
	}
	struct build_opts o = {0};
	struct error err = ERROR_INIT;
	if (tags_from(req, &o, &err) < 0) {
		build_opts_done(&o);
		api_reply_err_clear(ar, &err);
		return;
	}
	if (!json_param_or_reply(ar, "buildargs", &o.buildargs) ||
	    !json_param_or_reply(ar, "labels", &o.labels)) {
		build_opts_done(&o);
		return;
	}
	const char *df = http_request_query(req, "dockerfile");
	const char *target = http_request_query(req, "target");
	o.dockerfile = df && *df ? strdup(df) : NULL;
	o.target = target && *target ? strdup(target) : NULL;
	o.nocache = http_request_query_bool(req, "nocache");
	o.forcerm = http_request_query_bool(req, "forcerm");
	const char *rm = http_request_query(req, "rm");
	o.rm = o.forcerm || !rm || !*rm || http_request_query_bool(req, "rm");
	o.quiet = http_request_query_bool(req, "q");
	o.host_config = host_config(req);
	int fd = api_body_fd_or_reply(ar);
	if (fd < 0) {
		build_opts_done(&o);
		return;
	}
	struct byte_sink *out = http_sink_or_reply(ar->d->loop, ar->conn);
	if (!out) {
		close(fd);
		build_opts_done(&o);
		return;
	}
	build_start(ar->d->containers, out, &o, fd);
}

static void api_build_prune(const struct api_request *ar)
{
	json_t *report;
	struct error err = ERROR_INIT;
	if (build_prune(ar->d->containers, &report, &err) < 0)
		api_reply_err_clear(ar, &err);
	else
		api_reply_json_after_removals(ar, 200, report);
}

static const struct route routes[] = {
    {HTTP_POST, "/build", api_build},
    {HTTP_POST, "/build/prune", api_build_prune},
};

const struct api_routes api_build_routes = {routes, sizeof(routes) / sizeof(routes[0])};
