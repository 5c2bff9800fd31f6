/* GET /events: past events from the log, then live ones, until `until` or
 * until the client goes away. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "shared/filters.h"
#include "basic/timeutil.h"
#include "shared/events.h"

struct events_stream {
	struct daemon *d;
	struct http_conn *conn;
	struct filters *filters;
	struct event_sub *sub;
	uv_timer_t until_timer;
};

static void stream_free(uv_handle_t *h)
{
	struct events_stream *s = h->data;
	filters_free(s->filters);
	free(s);
}

/* Detaches the stream from the log and the connection; frees it once its
 * timer handle has closed. */
static void stream_stop(struct events_stream *s)
{
	if (s->sub)
		event_log_unsubscribe(s->d->events, s->sub);
	s->sub = NULL;
	http_conn_on_close(s->conn, NULL, NULL);
	http_conn_unref(s->conn);
	uv_close((uv_handle_t *)&s->until_timer, stream_free);
}

static void send_event(const struct event *ev, void *userdata)
{
	struct events_stream *s = userdata;
	json_t *j = event_to_json(ev);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text)
		return;
	size_t len = strlen(text);
	text[len] = '\n'; /* replaces the NUL: one JSON document per line */
	http_stream_write(s->conn, text, len + 1);
	free(text);
}

static void on_live_event(const struct event *ev, void *userdata)
{
	struct events_stream *s = userdata;
	if (event_matches(ev, s->filters))
		send_event(ev, userdata);
}

static void on_conn_closed(struct http_conn *conn, void *userdata)
{
	stream_stop(userdata);
}

/* Ends the response first detached from the connection: ending it may close
 * the connection, whose close callback must not stop the stream a second time. */
static void stream_finish(struct events_stream *s)
{
	http_conn_on_close(s->conn, NULL, NULL);
	http_stream_end(s->conn);
	stream_stop(s);
}

static void on_until(uv_timer_t *t)
{
	stream_finish(t->data);
}

static int parse_time_param(const struct api_request *ar, const char *key, int64_t *ret)
{
	const char *v = http_request_query(ar->req, key);
	*ret = 0;
	if (!v || !*v)
		return 0;
	if (time_parse_api_timestamp(v, ret) < 0) {
		http_reply_error(ar->conn, 400, "invalid value for %s: %s (expected a Unix timestamp)",
				 key, v);
		return -EINVAL;
	}
	return 0;
}

void api_events(const struct api_request *ar)
{
	int64_t since, until;
	if (parse_time_param(ar, "since", &since) < 0 || parse_time_param(ar, "until", &until) < 0)
		return;
	if (until && since > until) {
		http_reply_error(ar->conn, 400, "`since` time (%s) cannot be after `until` time (%s)",
				 http_request_query(ar->req, "since"),
				 http_request_query(ar->req, "until"));
		return;
	}
	struct error err = ERROR_INIT;
	struct filters *f = NULL;
	if (filters_parse(http_request_query(ar->req, "filters"), &f, &err) < 0) {
		api_reply_err(ar, &err);
		error_clear(&err);
		return;
	}
	struct events_stream *s = calloc(1, sizeof(*s));
	if (!s) {
		filters_free(f);
		http_reply_error(ar->conn, 500, "out of memory");
		return;
	}
	*s = (struct events_stream){.d = ar->d, .conn = ar->conn, .filters = f};
	uv_timer_init(ar->d->loop, &s->until_timer);
	s->until_timer.data = s;
	http_conn_ref(s->conn);
	http_stream_begin(s->conn, 200, "application/json");

	int64_t now = time_now_ns();
	/* Like dockerd: history only when the client asked for a window. */
	if (since || until)
		event_log_replay(ar->d->events, since, until ? until : INT64_MAX, f, send_event, s);
	if (until && until <= now) {
		stream_finish(s);
		return;
	}
	if (event_log_subscribe(ar->d->events, on_live_event, s, &s->sub) < 0) {
		stream_finish(s);
		return;
	}
	http_conn_on_close(s->conn, on_conn_closed, s);
	if (until)
		uv_timer_start(&s->until_timer, on_until, (uint64_t)((until - now) / 1000000) + 1, 0);
}
