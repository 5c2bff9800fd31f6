/* /metrics in Prometheus text format (see metrics.h). */
#include "daemon/metrics.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "basic/build_info.h"
#include "basic/cleanup.h"
#include "basic/fs.h"
#include "daemon/daemon.h"
#include "engine/container.h"
#include "image/image_store.h"
#include "shared/events.h"
#include "shared/host.h"
#include "storage/driver.h"
#include "swarm/swarm_metrics.h"
#include "image/images.h"

/* Prometheus' default buckets, in seconds. */
static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct histogram {
	uint64_t count, le[N_BUCKETS];
	double sum;
};

/* One API series: method, route pattern (static strings) and status. */
struct api_series {
	const char *method, *route;
	int status;
	struct histogram h;
};

/* dockerd's engine_daemon_container_actions_seconds, from the API. */
static const struct {
	const char *method, *route, *action;
} actions[] = {
    {"POST", "/containers/create", "create"},	    {"POST", "/containers/{id}/start", "start"},
    {"DELETE", "/containers/{id}", "delete"},	    {"POST", "/commit", "commit"},
    {"GET", "/containers/{id}/changes", "changes"},
};
#define N_ACTIONS (sizeof(actions) / sizeof(actions[0]))

struct metrics {
	struct daemon *d;
	struct http_server *srv;
	struct event_sub *sub;
	uint64_t events;
	struct api_series *api;
	size_t n_api;
	struct histogram acts[N_ACTIONS];
};

static void observe(struct histogram *h, double v)
{
	h->count++;
	h->sum += v;
	for (size_t i = 0; i < N_BUCKETS; i++)
		h->le[i] += v <= buckets[i];
}

void metrics_observe_request(struct metrics *m, const char *method, const char *route, int status,
			     double seconds)
{
	if (!m || !method)
		return;
	route = route ? route : "unknown";
	for (size_t i = 0; i < N_ACTIONS; i++)
		if (status < 300 && !strcmp(actions[i].method, method) &&
		    !strcmp(actions[i].route, route))
			observe(&m->acts[i], seconds);
	struct api_series *s = NULL;
	for (size_t i = 0; i < m->n_api && !s; i++)
		if (m->api[i].status == status && !strcmp(m->api[i].method, method) &&
		    !strcmp(m->api[i].route, route))
			s = &m->api[i];
	if (!s) {
		struct api_series *v = realloc(m->api, (m->n_api + 1) * sizeof(*v));
		if (!v)
			return;
		m->api = v;
		s = &v[m->n_api++];
		*s = (struct api_series){.method = method, .route = route, .status = status};
	}
	observe(&s->h, seconds);
}

static void on_event(const struct event *ev, void *userdata)
{
	struct metrics *m = userdata;
	m->events++;
}

/* ---- the text ---- */

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with Prometheus' escapes. */
static void label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void histogram_lines(FILE *f, const char *name, const char *labels,
			    const struct histogram *h)
{
	for (size_t i = 0; i < N_BUCKETS; i++)
		fprintf(f, "%s_bucket{%s,le=\"%g\"} %llu\n", name, labels, buckets[i],
			(unsigned long long)h->le[i]);
	fprintf(f, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels, (unsigned long long)h->count);
	fprintf(f, "%s_sum{%s} %.9f\n%s_count{%s} %llu\n", name, labels, h->sum, name, labels,
		(unsigned long long)h->count);
}

static void engine_lines(struct metrics *m, FILE *f)
{
	struct daemon *d = m->d;
	head(f, "engine_daemon_engine_info", "gauge",
	     "The information related to the engine and the OS it is running on");
	fputs("engine_daemon_engine_info{architecture=", f);
	label(f, d->host.architecture);
	fputs(",commit=", f);
	label(f, BERTH_GIT_COMMIT);
	fputs(",daemon_id=", f);
	label(f, d->engine_id);
	fputs(",graphdriver=", f);
	label(f, storage_driver_name(d->images->storage));
	fputs(",kernel=", f);
	label(f, d->host.kernel_version);
	fputs(",os=", f);
	label(f, d->host.operating_system);
	fputs(",os_type=\"linux\",version=", f);
	label(f, BERTH_VERSION);
	fputs("} 1\n", f);
	head(f, "engine_daemon_engine_cpus_cpus", "gauge",
	     "The number of cpus that the host system of the engine has");
	fprintf(f, "engine_daemon_engine_cpus_cpus %ld\n", d->host.ncpu);
	head(f, "engine_daemon_engine_memory_bytes", "gauge",
	     "The number of bytes of memory that the host system of the engine has");
	fprintf(f, "engine_daemon_engine_memory_bytes %lld\n", (long long)d->host.mem_total);
	unsigned running = 0, paused = 0, stopped = 0;
	for (size_t i = 0; i < containers_count(d->containers); i++) {
		struct container *c = containers_at(d->containers, i);
		if (c->paused)
			paused++;
		else if (c->state == CONTAINER_RUNNING)
			running++;
		else
			stopped++;
	}
	head(f, "engine_daemon_container_states_containers", "gauge",
	     "The count of containers in various states");
	fprintf(f,
		"engine_daemon_container_states_containers{state=\"paused\"} %u\n"
		"engine_daemon_container_states_containers{state=\"running\"} %u\n"
		"engine_daemon_container_states_containers{state=\"stopped\"} %u\n",
		paused, running, stopped);
	head(f, "engine_daemon_images", "gauge", "The number of images");
	fprintf(f, "engine_daemon_images %zu\n", image_store_count(d->images->store));
	head(f, "engine_daemon_events_total", "counter", "The number of events logged");
	fprintf(f, "engine_daemon_events_total %llu\n", (unsigned long long)m->events);
	head(f, "engine_daemon_events_subscribers_total", "gauge",
	     "The number of current subscribers to events");
	size_t subs = event_log_subscribers(d->events);
	fprintf(f, "engine_daemon_events_subscribers_total %zu\n", subs ? subs - 1 : 0);
}

static void api_lines(struct metrics *m, FILE *f)
{
	head(f, "engine_daemon_container_actions_seconds", "histogram",
	     "The number of seconds it takes to process each container action");
	for (size_t i = 0; i < N_ACTIONS; i++) {
		char l[64];
		snprintf(l, sizeof(l), "action=\"%s\"", actions[i].action);
		histogram_lines(f, "engine_daemon_container_actions_seconds", l, &m->acts[i]);
	}
	head(f, "engine_daemon_api_requests_total", "counter",
	     "The number of API requests by method, route and status");
	for (size_t i = 0; i < m->n_api; i++) {
		const struct api_series *s = &m->api[i];
		fprintf(f, "engine_daemon_api_requests_total{method=\"%s\",route=", s->method);
		label(f, s->route);
		fprintf(f, ",status=\"%d\"} %llu\n", s->status, (unsigned long long)s->h.count);
	}
	head(f, "engine_daemon_api_request_duration_seconds", "histogram",
	     "The time taken to answer API requests");
	for (size_t i = 0; i < m->n_api; i++) {
		const struct api_series *s = &m->api[i];
		_cleanup_free_ char *l = NULL;
		if (asprintf(&l, "method=\"%s\",route=\"%s\",status=\"%d\"", s->method, s->route,
			     s->status) >= 0)
			histogram_lines(f, "engine_daemon_api_request_duration_seconds", l, &s->h);
	}
}

/* What Prometheus' client libraries call the default process metrics. */
static void process_lines(struct metrics *m, FILE *f)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	head(f, "process_cpu_seconds_total", "counter",
	     "Total user and system CPU time spent in seconds.");
	fprintf(f, "process_cpu_seconds_total %.6f\n", cpu);
	_cleanup_free_ char *statm = NULL;
	unsigned long long vsz = 0, rss = 0;
	if (fs_read_file("/proc/self/statm", 4096, &statm, NULL) == 0)
		sscanf(statm, "%llu %llu", &vsz, &rss);
	long page = sysconf(_SC_PAGESIZE);
	head(f, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
	fprintf(f, "process_resident_memory_bytes %llu\n", rss * (unsigned long long)page);
	head(f, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
	fprintf(f, "process_virtual_memory_bytes %llu\n", vsz * (unsigned long long)page);
	unsigned fds = 0;
	DIR *dh = opendir("/proc/self/fd");
	for (struct dirent *de; dh && (de = readdir(dh));)
		fds += de->d_name[0] != '.';
	if (dh) {
		closedir(dh);
		fds--; /* the directory's own descriptor */
	}
	head(f, "process_open_fds", "gauge", "Number of open file descriptors.");
	fprintf(f, "process_open_fds %u\n", fds);
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	head(f, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
	fprintf(f, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	head(f, "process_start_time_seconds", "gauge",
	     "Start time of the process since unix epoch in seconds.");
	fprintf(f, "process_start_time_seconds %.3f\n", (double)m->d->start_ns / 1e9);
}

static void serve(struct http_conn *conn, const struct http_request *req, void *userdata)
{
	struct metrics *m = userdata;
	if ((req->method != HTTP_GET && req->method != HTTP_HEAD) ||
	    strcmp(req->path, "/metrics")) {
		http_reply(conn, 404, "text/plain; charset=utf-8", NULL, 0, "404 page not found\n",
			   19);
		return;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		http_reply_error(conn, 500, "out of memory");
		return;
	}
	engine_lines(m, f);
	api_lines(m, f);
	swarm_metrics_write(m->d->swarm, f);
	process_lines(m, f);
	fclose(f);
	http_reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, 0, text, len);
	free(text);
}

int metrics_start(struct daemon *d, struct error *err)
{
	const char *addr = d->cfg.metrics_addr;
	if (!addr || !*addr)
		return 0;
	_cleanup_free_ char *spec = NULL;
	struct host_addr h;
	if (asprintf(&spec, "tcp://%s", addr) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	int r = host_parse(spec, false, &h, err);
	if (r < 0)
		return r;
	if (!host_is_loopback(&h) && !d->tls)
		return error_set(
		    err, -EPERM,
		    "refusing to serve metrics on %s without TLS: use a loopback address "
		    "such as 127.0.0.1:9323, or enable the API's TLS (--tlsverify ...)",
		    addr);
	struct metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return error_set(err, -ENOMEM, "out of memory");
	m->d = d;
	struct http_server_config cfg = {
	    .handler = serve,
	    .userdata = m,
	    .log = &d->log,
	    .max_header_bytes = 16 * 1024,
	    .max_body_bytes = 0,
	    .idle_timeout_ms = 120 * 1000,
	    .request_timeout_ms = 30 * 1000,
	    .max_connections = 64,
	};
	r = http_server_new(d->loop, &cfg, &m->srv);
	if (r == 0)
		r = http_server_listen_tcp(m->srv, h.ip, h.port,
					   host_is_loopback(&h) ? NULL : d->tls, err);
	else
		error_set(err, r, "out of memory");
	if (r == 0)
		r = event_log_subscribe(d->events, on_event, m, &m->sub) < 0
			? error_set(err, -ENOMEM, "out of memory")
			: 0;
	d->metrics = m;
	if (r < 0) {
		metrics_stop(d);
		metrics_free(d);
		return r;
	}
	log_info(&d->log, "metrics listen on %s", addr);
	return 0;
}

void metrics_stop(struct daemon *d)
{
	struct metrics *m = d->metrics;
	if (!m || !m->srv)
		return;
	http_server_close(m->srv, NULL, NULL);
	m->srv = NULL;
}

void metrics_free(struct daemon *d)
{
	struct metrics *m = d->metrics;
	if (!m)
		return;
	event_log_unsubscribe(d->events, m->sub);
	free(m->api);
	free(m);
	d->metrics = NULL;
}
