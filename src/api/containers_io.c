/* Container output over HTTP: GET /containers/{id}/logs from the json-file
 * log (then live output with follow) and POST /containers/{id}/attach on a
 * hijacked connection, both in Docker's multiplexed stream format (an 8-byte
 * header: stream, 0, 0, 0, big-endian length). The log file is read by
 * container_log_read (src/engine/container_log_read.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/containers_io.h"
#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "engine/container.h"
#include "shared/detach_keys.h"
#include "shared/shim_proto.h"

#define RAW_STREAM "application/vnd.docker.raw-stream"

struct log_opts {
	struct container_log_query q;
	bool timestamps;
	char *details; /* NULL unless asked for; owned by the request or the follower */
	bool raw; /* a tty container: payloads without the multiplexing header */
};

int api_log_frame(struct http_conn *conn, bool hijacked, bool raw, int stream, int64_t t_ns,
		  bool timestamps, const char *details, const char *data, size_t len)
{
	char ts[48] = "";
	size_t tl = 0, dl = details ? strlen(details) + 1 : 0;
	if (timestamps) {
		time_t s = (time_t)(t_ns / 1000000000);
		struct tm tm;
		gmtime_r(&s, &tm);
		tl = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		tl += (size_t)snprintf(ts + tl, sizeof(ts) - tl, ".%09lldZ ",
				       (long long)(t_ns % 1000000000));
	}
	_cleanup_free_ char *buf = malloc(8 + tl + dl + len);
	if (!buf)
		return -ENOMEM;
	size_t hl = raw ? 0 : 8;
	buf[0] = (char)stream;
	buf[1] = buf[2] = buf[3] = 0;
	shim_put_u32((unsigned char *)buf + 4, (uint32_t)(tl + dl + len));
	memcpy(buf + hl, ts, tl);
	if (details) {
		memcpy(buf + hl + tl, details, dl - 1);
		buf[hl + tl + dl - 1] = ' ';
	}
	memcpy(buf + hl + tl + dl, data, len);
	size_t n = hl + tl + dl + len;
	return hijacked ? http_conn_write(conn, buf, n) : http_stream_write(conn, buf, n);
}

/* Sends the log's entries; *ret_off is the shim's offset after the last
 * line read. */
static int replay_log(struct daemon *d, struct container *c, const struct log_opts *o,
		      struct http_conn *conn, bool hijacked, uint64_t *ret_off)
{
	struct container_log_entries es;
	int r = container_log_read(d->containers, c, &o->q, &es, ret_off);
	if (r < 0)
		return r;
	for (size_t i = 0; i < es.n; i++)
		api_log_frame(conn, hijacked, o->raw, es.v[i].stream, es.v[i].t, o->timestamps,
			      o->details, es.v[i].data, es.v[i].len);
	container_log_entries_free(&es);
	return 0;
}

static int parse_time(const char *s, int64_t *ret)
{
	*ret = 0;
	return !s || !*s ? 0 : time_parse_api_timestamp(s, ret);
}

static bool log_opts_or_reply(const struct api_request *ar, struct log_opts *o)
{
	const struct http_request *req = ar->req;
	*o = (struct log_opts){.q = {.out = http_request_query_bool(req, "stdout"),
				     .err = http_request_query_bool(req, "stderr"),
				     .tail = -1},
			       .timestamps = http_request_query_bool(req, "timestamps")};
	if (!o->q.out && !o->q.err) {
		http_reply_error(ar->conn, 400,
				 "Bad parameters: you must choose at least one stream");
		return false;
	}
	const char *tail = http_request_query(req, "tail");
	if (tail && *tail && strcmp(tail, "all") != 0) {
		char *end;
		o->q.tail = strtol(tail, &end, 10);
		if (*end)
			o->q.tail = -1;
	}
	if (parse_time(http_request_query(req, "since"), &o->q.since_ns) < 0 ||
	    parse_time(http_request_query(req, "until"), &o->q.until_ns) < 0) {
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
	if (off > fw->off && container_log_wanted(&fw->o.q, stream, t))
		api_log_frame(fw->conn, false, fw->o.raw, stream, t, fw->o.timestamps,
			      fw->o.details, data, len);
}

static void follow_end(struct container_sub *sub)
{
	struct follow *fw = sub->userdata;
	http_conn_on_close(fw->conn, NULL, NULL);
	http_stream_end(fw->conn);
	http_conn_unref(fw->conn);
	free(fw->o.details);
	free(fw);
}

static void follow_closed(struct http_conn *conn, void *userdata)
{
	struct follow *fw = userdata;
	struct container *c;
	struct error err = ERROR_INIT;
	if (containers_lookup(fw->d->containers, fw->id, &c, &err) == 0)
		container_unsubscribe(c, &fw->sub);
	error_clear(&err);
	http_conn_unref(conn);
	free(fw->o.details);
	free(fw);
}

static void start_follow(const struct api_request *ar, struct container *c,
			 const struct log_opts *o, uint64_t off)
{
	struct follow *fw = calloc(1, sizeof(*fw));
	if (!fw) {
		free(o->details);
		http_stream_end(ar->conn);
		return;
	}
	*fw = (struct follow){
	    .sub = {.on_output = follow_output, .on_end = follow_end, .userdata = fw},
	    .d = ar->d,
	    .conn = ar->conn,
	    .o = *o,
	    .off = off};
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
	struct error err = ERROR_INIT;
	if (http_request_query_bool(ar->req, "details") &&
	    container_log_details(c, &o.details, &err) < 0) {
		api_reply_err(ar, &err);
		error_clear(&err);
		return;
	}
	http_stream_begin(ar->conn, 200, RAW_STREAM);
	uint64_t off = 0;
	replay_log(ar->d, c, &o, ar->conn, false, &off);
	bool follow = http_request_query_bool(ar->req, "follow") && o.q.until_ns <= 0;
	if (follow && c->state == CONTAINER_RUNNING) {
		start_follow(ar, c, &o, off); /* it owns o.details */
	} else {
		free(o.details);
		http_stream_end(ar->conn);
	}
}

/* ---- attach ---- */

struct attach {
	struct container_sub sub;
	struct daemon *d;
	char id[DIGEST_HEX_LEN + 1];
	struct http_conn *conn;
	bool out, err, in, stdin_once, ended, raw;
	struct detach_keys keys; /* watched for on a tty's stdin */
};

static struct container *attach_container(struct attach *a)
{
	struct container *c = NULL;
	struct error err = ERROR_INIT;
	containers_lookup(a->d->containers, a->id, &c, &err);
	error_clear(&err);
	return c;
}

static void attach_output(struct container_sub *sub, int stream, int64_t t, uint64_t off,
			  const char *data, size_t len)
{
	struct attach *a = sub->userdata;
	if (stream == 1 ? a->out : a->err)
		api_log_frame(a->conn, true, a->raw, stream, t, false, NULL, data, len);
}

/* The container ended: the client gets everything queued, then EOF. */
static void attach_end(struct container_sub *sub)
{
	struct attach *a = sub->userdata;
	a->ended = true;
	http_conn_finish(a->conn);
}

/* The detach keys were typed: the client goes, the container runs on. */
static void attach_detach(struct attach *a, struct container *c)
{
	container_unsubscribe(c, &a->sub);
	a->ended = true;
	container_event(a->d->containers, c, "detach", NULL);
	http_conn_finish(a->conn);
}

static void attach_data(struct http_conn *conn, const char *data, size_t len, void *userdata)
{
	struct attach *a = userdata;
	struct container *c = a->ended || !a->in ? NULL : attach_container(a);
	if (!c)
		return;
	if (!a->raw) {
		container_stdin(c, data, len);
		return;
	}
	_cleanup_free_ uint8_t *pass = malloc(len + DETACH_KEYS_MAX);
	if (!pass)
		return;
	bool detach;
	size_t n = detach_keys_filter(&a->keys, (const uint8_t *)data, len, pass, &detach);
	if (n)
		container_stdin(c, (const char *)pass, n);
	if (detach)
		attach_detach(a, c);
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
	const struct http_request *req = ar->req;
	const char *keys = http_request_query(req, "detachKeys");
	struct detach_keys dk;
	if (detach_keys_parse(keys, &dk) < 0) {
		http_reply_error(ar->conn, 400, "Invalid detach keys (%s) provided", keys);
		return;
	}
	struct container *c;
	if (!api_container_or_reply(ar, &c))
		return;
	/* A stopped container is attached to as dockerd does: the stream
	 * waits for its next start (docker start -a attaches, then starts).
	 * Refusing it is the client's business. */
	struct attach *a = calloc(1, sizeof(*a));
	if (!a) {
		http_reply_error(ar->conn, 500, "out of memory");
		return;
	}
	*a = (struct attach){
	    .sub = {.on_output = attach_output, .on_end = attach_end, .userdata = a},
	    .d = ar->d,
	    .conn = ar->conn,
	    .out = http_request_query_bool(req, "stdout"),
	    .err = http_request_query_bool(req, "stderr"),
	    .in = http_request_query_bool(req, "stdin") &&
		  json_is_true(json_object_get(c->config, "OpenStdin")),
	    .stdin_once = json_is_true(json_object_get(c->config, "StdinOnce")),
	    .raw = json_is_true(json_object_get(c->config, "Tty")),
	    .keys = dk};
	memcpy(a->id, c->id, sizeof(a->id));
	http_conn_ref(ar->conn);
	http_conn_on_close(ar->conn, attach_closed, a);
	http_hijack(ar->conn, RAW_STREAM, &attach_ops, a);
	if (http_request_query_bool(req, "logs")) {
		struct log_opts o = {.q = {.out = a->out, .err = a->err, .tail = -1},
				     .raw = a->raw};
		uint64_t off;
		replay_log(ar->d, c, &o, ar->conn, true, &off);
	}
	container_event(ar->d->containers, c, "attach", NULL);
	if (http_request_query_bool(req, "stream") && c->state != CONTAINER_DEAD)
		container_subscribe(c, &a->sub);
	else
		attach_end(&a->sub);
}
