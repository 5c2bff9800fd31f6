/* Reading the json-file log: each line {"log","stream","time"}, rotated
 * files <log>.N (oldest the highest N) before the current one, whose start
 * in the shim's ever-growing offsets is in <log>.base. Used by container
 * logs, attach with logs, and the logs of swarm tasks. Reading happens on
 * the loop: fine for the log sizes we keep (the driver rotates); a
 * thread-pool reader is the next step for very large logs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fs.h"
#include "basic/timeutil.h"
#include "engine/container.h"

bool container_log_wanted(const struct container_log_query *q, int stream, int64_t t)
{
	return (stream == 1 ? q->out : q->err) && t >= q->since_ns &&
	       (q->until_ns <= 0 || t <= q->until_ns);
}

static bool parse_entry(const char *line, size_t n, struct container_log_entry *e)
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

static int push(struct container_log_entries *es, struct container_log_entry *e)
{
	if (es->n == es->cap) {
		size_t cap = es->cap ? es->cap * 2 : 256;
		struct container_log_entry *v = realloc(es->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		es->v = v;
		es->cap = cap;
	}
	es->v[es->n++] = *e;
	return 0;
}

/* Collects the wanted entries of one file; returns the bytes of whole lines
 * read. */
static uint64_t read_file(const char *path, const struct container_log_query *q,
			  struct container_log_entries *es)
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
		struct container_log_entry e;
		if (!parse_entry(line, (size_t)len, &e))
			continue;
		if (!container_log_wanted(q, e.stream, e.t) || push(es, &e) < 0)
			free(e.data);
	}
	return off;
}

static uint64_t log_base(const char *path)
{
	_cleanup_free_ char *p = NULL, *text = NULL;
	if (asprintf(&p, "%s.base", path) < 0 || fs_read_file(p, 64, &text, NULL) < 0)
		return 0;
	return strtoull(text, NULL, 10);
}

/* Keeps the last tail entries. */
static void keep_tail(struct container_log_entries *es, long tail)
{
	if (tail < 0 || (size_t)tail >= es->n)
		return;
	size_t drop = es->n - (size_t)tail;
	for (size_t i = 0; i < drop; i++)
		free(es->v[i].data);
	memmove(es->v, es->v + drop, (size_t)tail * sizeof(*es->v));
	es->n = (size_t)tail;
}

int container_log_read(struct containers *cs, struct container *c,
		       const struct container_log_query *q, struct container_log_entries *ret,
		       uint64_t *ret_off)
{
	char name[DIGEST_HEX_LEN + 16];
	snprintf(name, sizeof(name), "%s-json.log", c->id);
	_cleanup_free_ char *path = container_path(cs, c, name);
	if (!path)
		return -ENOMEM;
	/* tail 0 still reads, for the offset where live output continues. */
	struct container_log_query none = *q;
	if (q->tail == 0)
		none.out = none.err = false;
	struct container_log_entries es = {0};
	unsigned rotated = 0;
	char file[4200];
	for (;;) {
		snprintf(file, sizeof(file), "%s.%u", path, rotated + 1);
		if (access(file, F_OK) < 0)
			break;
		rotated++;
	}
	for (unsigned i = rotated; i >= 1; i--) {
		snprintf(file, sizeof(file), "%s.%u", path, i);
		read_file(file, &none, &es);
	}
	*ret_off = log_base(path) + read_file(path, &none, &es);
	keep_tail(&es, q->tail);
	*ret = es;
	return 0;
}

void container_log_entries_free(struct container_log_entries *es)
{
	for (size_t i = 0; i < es->n; i++)
		free(es->v[i].data);
	free(es->v);
	*es = (struct container_log_entries){0};
}
