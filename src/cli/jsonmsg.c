/* The JSON message stream display (see jsonmsg.h). */
#include "cli/jsonmsg.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/buf.h"
#include "cli/cli.h"

struct sink {
	const struct cli *cli;
	bool quiet;
	struct buf line; /* a message may be split across chunks */
	char *error;	 /* the daemon's error message, when one came */
};

static void show(struct sink *s, json_t *m)
{
	const char *e = json_string_value(json_object_get(m, "error"));
	if (e) {
		if (!s->error)
			s->error = strdup(e);
		return;
	}
	const char *id = json_string_value(json_object_get(m, "id"));
	const char *stream = json_string_value(json_object_get(m, "stream"));
	const char *status = json_string_value(json_object_get(m, "status"));
	const char *progress = json_string_value(json_object_get(m, "progress"));
	if (s->quiet || (progress && *progress) || json_object_get(m, "aux"))
		return;
	FILE *f = s->cli->out;
	if (id && *id)
		fprintf(f, "%s: ", id);
	if (stream)
		fputs(stream, f);
	else
		fprintf(f, "%s\n", status ? status : "");
	fflush(f);
}

static int on_data(const char *data, size_t len, void *userdata)
{
	struct sink *s = userdata;
	if (buf_append(&s->line, data, len) < 0)
		return -ENOMEM;
	/* Messages are whole JSON values; parse as many as have arrived. */
	size_t off = 0;
	while (off < s->line.len) {
		json_error_t jerr;
		json_t *m = json_loadb(s->line.data + off, s->line.len - off,
				       JSON_DISABLE_EOF_CHECK, &jerr);
		if (!m)
			break;
		off += jerr.position;
		show(s, m);
		json_decref(m);
		while (off < s->line.len && strchr(" \r\n\t", s->line.data[off]))
			off++;
	}
	buf_consume(&s->line, off);
	return 0;
}

int jsonmsg_request(const struct cli *cli, struct client_req *rq, bool quiet, struct error *err)
{
	struct sink s = {.cli = cli, .quiet = quiet};
	struct client c;
	rq->fn = on_data;
	rq->userdata = &s;
	int r = client_init(&c, cli, err);
	if (r >= 0)
		r = client_request(&c, rq, NULL, err);
	client_done(&c);
	buf_free(&s.line);
	if (r >= 0 && s.error)
		r = error_set(err, -EIO, "%s", s.error);
	free(s.error);
	return r;
}
