/* Container output over HTTP: GET /containers/{id}/logs from the json-file
 * log (then live output with follow) and POST /containers/{id}/attach on a
 * hijacked connection, both in Docker's multiplexed stream format (an 8-byte
 * header: stream, 0, 0, 0, big-endian length). Reading the log file happens
 * on the loop: fine for the log sizes of this slice, a thread-pool reader is
 * the next step for very large logs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/containers_io.h"
#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/timeutil.h"
#include "engine/container.h"
#include "shared/shim_proto.h"

#define RAW_STREAM "application/vnd.docker.raw-stream"

struct log_opts {
	bool out, err, timestamps;
	bool raw; /* a tty container: payloads without the multiplexing header */
	int64_t since_ns, until_ns;
	long tail; /* -1: all */
};

/* One frame: header then (optionally time-stamped) payload. */
static int write_frame(struct http_conn *conn, bool hijacked, bool raw, int stream, int64_t t_ns,
		       bool timestamps, const char *data, size_t len)
{
	char ts[48] = "";
	size_t tl = 0;
	if (timestamps) {
		time_t s = (time_t)(t_ns / 1000000000);
		struct tm tm;
		gmtime_r(&s, &tm);
		tl = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		tl += (size_t)snprintf(ts + tl, sizeof(ts) - tl, ".%09lldZ ",
				       (long long)(t_ns % 1000000000));
	}
	_cleanup_free_ char *buf = malloc(8 + tl + len);
	if (!buf)
		return -ENOMEM;
	size_t hl = raw ? 0 : 8;
	buf[0] = (char)stream;
	buf[1] = buf[2] = buf[3] = 0;
	shim_put_u32((unsigned char *)buf + 4, (uint32_t)(tl + len));
	memcpy(buf + hl, ts, tl);
	memcpy(buf + hl + tl, data, len);
	return hijacked ? http_conn_write(conn, buf, hl + tl + len)
			: http_stream_write(conn, buf, hl + tl + len);
}

struct log_entry {
	int stream;
	int64_t t;
	char *data;
	size_t len;
};

static bool parse_entry(const char *line, size_t n, struct log_entry *e)
{
	json_t *j = json_loadb(line, n, 0, NULL);
	const char *log = json_string_value(json_object_get(j, "log"));
	const char *stream = json_string_value(json_object_get(j, "stream"));
	const char *t = json_string_value(json_object_get(j, "time"));
	bool ok = log && stream && t && time_parse_user_timestamp(t, 0, &e->t) == 0;
	if (ok) {
		e->stream = strcmp(stream, "stderr") == 0 ? 2 : 1;
		e->len = json_string_length(json_object_get(j, "log"));
		e->data = malloc(e->len ? e->len : 1);
		ok = e->data != NULL;
		if (ok)
			memcpy(e->data, log, e->len);
	}
	json_decref(j);
	return ok;
}

static bool wanted(const struct log_opts *o, const struct log_entry *e)
{
	return (e->stream == 1 ? o->out : o->err) && e->t >= o->since_ns &&
	       (o->until_ns <= 0 || e->t <= o->until_ns);
}

struct entries {
	struct log_entry *v;
	size_t n, cap;
};

/* Collects the wanted entries of one log file; returns the bytes of whole
 * lines read. */
static uint64_t read_log_file(const char *path, const struct log_opts *o, struct entries *es)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	uint64_t off = 0;
	if (!f)
		return 0;
	_cleanup_free_ char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	while ((len = getline(&line, &lcap, f)) > 0 && line[len - 1] == '\n') {
		off += (uint64_t)len;
		struct log_entry e;
		if (!parse_entry(line, (size_t)len, &e))
			continue;
		if (es->n == es->cap) {
			size_t cap = es->cap ? es->cap * 2 : 256;
			struct log_entry *v = realloc(es->v, cap * sizeof(*v));
			if (!v) {
				free(e.data);
				continue;
			}
			es->v = v;
			es->cap = cap;
		}
		if (wanted(o, &e))
			es->v[es->n++] = e;
		else
			free(e.data);
	}
	return off;
}

/* Where the current file starts in the shim's ever-growing offsets. */
static uint64_t log_base(const char *path)
{
	_cleanup_free_ char *p = NULL, *text = NULL;
	if (asprintf(&p, "%s.base", path) < 0 || fs_read_file(p, 64, &text, NULL) < 0)
		return 0;
	return strtoull(text, NULL, 10);
}

/* Sends the log's entries (the last o->tail of them), rotated files first,
 * oldest first; *ret_off is the shim's offset after the last line read. */
static int replay_log(struct container *c, const char *path, const struct log_opts *o,
		      struct http_conn *conn, bool hijacked, uint64_t *ret_off)
{
	struct entries es = {0};
	unsigned rotated = 0;
	char name[4200];
	for (;;) {
		snprintf(name, sizeof(name), "%s.%u", path, rotated + 1);
		if (access(name, F_OK) < 0)
			break;
		rotated++;
	}
	for (unsigned i = rotated; i >= 1; i--) {
		snprintf(name, sizeof(name), "%s.%u", path, i);
		read_log_file(name, o, &es);
	}
	uint64_t base = log_base(path);
	*ret_off = base + read_log_file(path, o, &es);
	size_t first = o->tail >= 0 && (size_t)o->tail < es.n ? es.n - (size_t)o->tail : 0;
	for (size_t i = 0; i < es.n; i++) {
		if (i >= first)
			write_frame(conn, hijacked, o->raw, es.v[i].stream, es.v[i].t, o->timestamps,
				    es.v[i].data, es.v[i].len);
		free(es.v[i].data);
	}
	free(es.v);
	return 0;
}

static char *log_path(struct daemon *d, struct container *c)
{
	char name[DIGEST_HEX_LEN + 16];
	snprintf(name, sizeof(name), "%s-json.log", c->id);
	return container_path(d, c, name);
}

static int parse_time(const char *s, int64_t *ret)
{
	*ret = 0;
	return !s || !*s ? 0 : time_parse_api_timestamp(s, ret);
}

static bool log_opts_or_reply(const struct api_request *ar, struct log_opts *o)
{
	const struct http_request *req = ar->req;
	*o = (struct log_opts){.out = http_request_query_bool(req, "stdout"),
			       .err = http_request_query_bool(req, "stderr"),
			       .timestamps = http_request_query_bool(req, "timestamps"),
			       .tail = -1};
	if (!o->out && !o->err) {
		http_reply_error(ar->conn, 400, "Bad parameters: you must choose at least one stream");
		return false;
	}
	const char *tail = http_request_query(req, "tail");
	if (tail && *tail && strcmp(tail, "all") != 0) {
		char *end;
		o->tail = strtol(tail, &end, 10);
		if (*end)
			o->tail = -1;
	}
	if (parse_time(http_request_query(req, "since"), &o->since_ns) < 0 ||
	    parse_time(http_request_query(req, "until"), &o->until_ns) < 0) {
		http_reply_error(ar->conn, 400, "invalid value for since or until");
		return false;
	}
	return true;
}

/* ---- logs --follow ---- */

struct follow {
	struct container_sub sub;
	struct daemon *d;
	char id[DIGEST_HEX_LEN + 1];
	struct http_conn *conn;
	struct log_opts o;
	uint64_t off; /* entries up to here were read from the file */
};

static void follow_output(struct container_sub *sub, int stream, int64_t t, uint64_t off,
			  const char *data, size_t len)
{
	struct follow *fw = sub->userdata;
	struct log_entry e = {.stream = stream, .t = t};
	if (off > fw->off && wanted(&fw->o, &e))
		write_frame(fw->conn, false, fw->o.raw, stream, t, fw->o.timestamps, data, len);
}

static void follow_end(struct container_sub *sub)
{
	struct follow *fw = sub->userdata;
	http_conn_on_close(fw->conn, NULL, NULL);
	http_stream_end(fw->conn);
	http_conn_unref(fw->conn);
	free(fw);
}

static void follow_closed(struct http_conn *conn, void *userdata)
{
	struct follow *fw = userdata;
	struct container *c;
	struct error err = ERROR_INIT;
	if (containers_lookup(fw->d, fw->id, &c, &err) == 0)
		container_unsubscribe(c, &fw->sub);
	error_clear(&err);
	http_conn_unref(conn);
	free(fw);
}

static void start_follow(const struct api_request *ar, struct container *c,
			 const struct log_opts *o, uint64_t off)
{
	struct follow *fw = calloc(1, sizeof(*fw));
	if (!fw) {
		http_stream_end(ar->conn);
		return;
	}
	*fw = (struct follow){.sub = {.on_output = follow_output, .on_end = follow_end, .userdata = fw},
			      .d = ar->d, .conn = ar->conn, .o = *o, .off = off};
	memcpy(fw->id, c->id, sizeof(fw->id));
	http_conn_ref(ar->conn);
	http_conn_on_close(ar->conn, follow_closed, fw);
	container_subscribe(c, &fw->sub);
}

void api_container_logs(const struct api_request *ar)
{
	struct container *c;
	struct log_opts o;
	if (!api_container_or_reply(ar, &c) || !log_opts_or_reply(ar, &o))
		return;
	if (!container_log_kept(c->host_config)) {
		http_reply_error(ar->conn, 501,
				 "configured logging driver does not support reading");
		return;
	}
	o.raw = json_is_true(json_object_get(c->config, "Tty"));
	_cleanup_free_ char *path = log_path(ar->d, c);
	http_stream_begin(ar->conn, 200, RAW_STREAM);
	uint64_t off = 0;
	if (path && o.tail != 0)
		replay_log(c, path, &o, ar->conn, false, &off);
	else if (path) {
		struct log_opts none = o;
		none.out = none.err = false;
		replay_log(c, path, &none, ar->conn, false, &off);
	}
	bool follow = http_request_query_bool(ar->req, "follow") && o.until_ns <= 0;
	if (follow && c->state == CONTAINER_RUNNING)
		start_follow(ar, c, &o, off);
	else
		http_stream_end(ar->conn);
}

/* ---- attach ---- */

struct attach {
	struct container_sub sub;
	struct daemon *d;
	char id[DIGEST_HEX_LEN + 1];
	struct http_conn *conn;
	bool out, err, in, stdin_once, ended, raw;
};

static struct container *attach_container(struct attach *a)
{
	struct container *c = NULL;
	struct error err = ERROR_INIT;
	containers_lookup(a->d, a->id, &c, &err);
	error_clear(&err);
	return c;
}

static void attach_output(struct container_sub *sub, int stream, int64_t t, uint64_t off,
			  const char *data, size_t len)
{
	struct attach *a = sub->userdata;
	if (stream == 1 ? a->out : a->err)
		write_frame(a->conn, true, a->raw, stream, t, false, data, len);
}

/* The container ended: the client gets everything queued, then EOF. */
static void attach_end(struct container_sub *sub)
{
	struct attach *a = sub->userdata;
	a->ended = true;
	http_conn_finish(a->conn);
}

static void attach_data(struct http_conn *conn, const char *data, size_t len, void *userdata)
{
	struct attach *a = userdata;
	struct container *c = a->ended || !a->in ? NULL : attach_container(a);
	if (c)
		container_stdin(c, data, len);
}

static void attach_eof(struct http_conn *conn, void *userdata)
{
	struct attach *a = userdata;
	struct container *c = a->ended || !a->in ? NULL : attach_container(a);
	/* dockerd closes stdin after the first client only without a tty. */
	if (c && a->stdin_once && !a->raw)
		container_stdin_close(c);
}

static void attach_closed(struct http_conn *conn, void *userdata)
{
	struct attach *a = userdata;
	struct container *c = a->ended ? NULL : attach_container(a);
	if (c) {
		container_unsubscribe(c, &a->sub);
		if (a->in && a->stdin_once && !a->raw)
			container_stdin_close(c);
	}
	http_conn_unref(conn);
	free(a);
}

static const struct http_hijack_ops attach_ops = {attach_data, attach_eof};

void api_container_attach(const struct api_request *ar)
{
	struct container *c;
	if (!api_container_or_reply(ar, &c))
		return;
	const struct http_request *req = ar->req;
	if (c->state == CONTAINER_EXITED && http_request_query_bool(req, "stream") &&
	    !http_request_query_bool(req, "logs")) {
		http_reply_error(ar->conn, 409, "You cannot attach to a stopped container, start it first");
		return;
	}
	struct attach *a = calloc(1, sizeof(*a));
	if (!a) {
		http_reply_error(ar->conn, 500, "out of memory");
		return;
	}
	*a = (struct attach){.sub = {.on_output = attach_output, .on_end = attach_end, .userdata = a},
			     .d = ar->d, .conn = ar->conn,
			     .out = http_request_query_bool(req, "stdout"),
			     .err = http_request_query_bool(req, "stderr"),
			     .in = http_request_query_bool(req, "stdin") &&
				   json_is_true(json_object_get(c->config, "OpenStdin")),
			     .stdin_once = json_is_true(json_object_get(c->config, "StdinOnce")),
			     .raw = json_is_true(json_object_get(c->config, "Tty"))};
	memcpy(a->id, c->id, sizeof(a->id));
	http_conn_ref(ar->conn);
	http_conn_on_close(ar->conn, attach_closed, a);
	http_hijack(ar->conn, RAW_STREAM, &attach_ops, a);
	if (http_request_query_bool(req, "logs")) {
		_cleanup_free_ char *path = log_path(ar->d, c);
		struct log_opts o = {.out = a->out, .err = a->err, .tail = -1, .raw = a->raw};
		uint64_t off;
		if (path)
			replay_log(c, path, &o, ar->conn, true, &off);
	}
	container_event(ar->d, c, "attach", NULL);
	if (http_request_query_bool(req, "stream") && c->state != CONTAINER_EXITED &&
	    c->state != CONTAINER_DEAD)
		container_subscribe(c, &a->sub);
	else
		attach_end(&a->sub);
}
