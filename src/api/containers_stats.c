/* GET /containers/{id}/stats: one sample a second while streaming (the
 * previous one as precpu_stats, so clients can compute CPU %), or a single
 * answer: one-shot at once, otherwise after a second so that precpu_stats
 * is filled, as dockerd does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/containers_io.h"
#include "basic/cleanup.h"
#include "engine/container.h"

#define STATS_INTERVAL_MS 1000

struct stats_req {
	struct daemon *d;
	char id[DIGEST_HEX_LEN + 1];
	struct http_conn *conn;
	uv_timer_t timer;
	json_t *prev;
	bool stream;
};

static void stats_free(uv_handle_t *h)
{
	struct stats_req *s = h->data;
	json_decref(s->prev);
	http_conn_unref(s->conn);
	free(s);
}

static void stats_stop(struct stats_req *s)
{
	http_conn_on_close(s->conn, NULL, NULL);
	uv_timer_stop(&s->timer);
	uv_close((uv_handle_t *)&s->timer, stats_free);
}

/* The next sample with the previous one's CPU figures; NULL when the
 * container is gone. */
static json_t *next_sample(struct stats_req *s)
{
	struct container *c;
	struct error err = ERROR_INIT;
	int r = containers_lookup(s->d->containers, s->id, &c, &err);
	error_clear(&err);
	if (r < 0)
		return NULL;
	json_t *cur = container_stats_sample(s->d->containers, c);
	json_t *pre = s->prev ? json_object_get(s->prev, "cpu_stats") : NULL;
	json_object_set_new(cur, "preread",
			    json_string(s->prev ? json_string_value(json_object_get(s->prev, "read"))
						: "0001-01-01T00:00:00Z"));
	json_object_set_new(cur, "precpu_stats",
			    pre ? json_incref(pre)
				: json_pack("{s:{s:i, s:i, s:i}, s:{s:i, s:i, s:i}}", "cpu_usage",
					    "total_usage", 0, "usage_in_kernelmode", 0,
					    "usage_in_usermode", 0, "throttling_data", "periods", 0,
					    "throttled_periods", 0, "throttled_time", 0));
	json_decref(s->prev);
	s->prev = json_incref(cur);
	return cur;
}

static void send_sample(struct stats_req *s, json_t *j)
{
	_cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
	if (text) {
		size_t n = strlen(text);
		text[n] = '\n'; /* the NUL goes: dockerd sends one object a line */
		http_stream_write(s->conn, text, n + 1);
	}
}

static void on_tick(uv_timer_t *t)
{
	struct stats_req *s = t->data;
	json_t *j = next_sample(s);
	if (!s->stream) {
		if (j)
			http_reply_json(s->conn, 200, j);
		else
			http_reply_error(s->conn, 404, "No such container: %s", s->id);
		stats_stop(s);
		return;
	}
	if (!j) {
		http_stream_end(s->conn);
		stats_stop(s);
		return;
	}
	send_sample(s, j);
	json_decref(j);
}

static void on_closed(struct http_conn *conn, void *userdata)
{
	stats_stop(userdata);
}

void api_container_stats(const struct api_request *ar)
{
	struct container *c;
	if (!api_container_or_reply(ar, &c))
		return;
	const char *stream = http_request_query(ar->req, "stream");
	bool streaming = !stream || http_request_query_bool(ar->req, "stream");
	bool one_shot = http_request_query_bool(ar->req, "one-shot");
	if (one_shot && streaming) {
		http_reply_error(ar->conn, 400, "cannot have stream=true and one-shot=true");
		return;
	}
	if (one_shot) {
		struct stats_req tmp = {.d = ar->d};
		memcpy(tmp.id, c->id, sizeof(tmp.id));
		json_t *j = next_sample(&tmp);
		json_decref(tmp.prev);
		http_reply_json(ar->conn, 200, j);
		return;
	}
	struct stats_req *s = calloc(1, sizeof(*s));
	if (!s) {
		http_reply_error(ar->conn, 500, "out of memory");
		return;
	}
	*s = (struct stats_req){.d = ar->d, .conn = ar->conn, .stream = streaming};
	memcpy(s->id, c->id, sizeof(s->id));
	http_conn_ref(ar->conn);
	uv_timer_init(ar->d->loop, &s->timer);
	s->timer.data = s;
	json_t *first = next_sample(s);
	if (streaming) {
		http_stream_begin(ar->conn, 200, "application/json");
		send_sample(s, first);
		http_conn_on_close(ar->conn, on_closed, s);
	}
	json_decref(first);
	uv_timer_start(&s->timer, on_tick, STATS_INTERVAL_MS, streaming ? STATS_INTERVAL_MS : 0);
}
