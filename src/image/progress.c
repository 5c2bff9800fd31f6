/* JSON progress messages (see progress.h). */
#include "image/progress.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "shared/byte_sink.h"

static void send_json(struct byte_sink *out, json_t *o)
{
	_cleanup_free_ char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return;
	sink_write(out, s, strlen(s));
	sink_write(out, "\r\n", 2);
}

void progress_status(struct byte_sink *out, const char *id, const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *msg = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	json_t *o = json_pack("{s:s}", "status", msg);
	if (id)
		json_object_set_new(o, "id", json_string(id));
	send_json(out, o);
}

/* Docker's units.HumanSize: decimal units, 3 significant digits. */
static void human(int64_t n, char *out, size_t len)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)n;
	size_t u = 0;
	while (v >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000;
		u++;
	}
	snprintf(out, len, "%.4g%s", v, units[u]);
}

void progress_bytes(struct byte_sink *out, const char *id, const char *status, int64_t current,
		    int64_t total)
{
	char cur[32], tot[32], bar[128];
	human(current, cur, sizeof(cur));
	human(total, tot, sizeof(tot));
	if (total > 0) {
		int width = 50, fill = (int)(current * width / total);
		if (fill > width)
			fill = width;
		char b[51];
		for (int i = 0; i < width; i++)
			b[i] = i < fill ? '=' : i == fill ? '>' : ' ';
		b[width] = '\0';
		snprintf(bar, sizeof(bar), "[%s] %8s/%s", b, cur, tot);
	} else {
		snprintf(bar, sizeof(bar), "%8s", cur);
	}
	json_t *o = json_pack("{s:s, s:{s:I, s:I}, s:s, s:s}", "status", status, "progressDetail",
			      "current", (json_int_t)current, "total", (json_int_t)total,
			      "progress", bar, "id", id);
	send_json(out, o);
}

void progress_error(struct byte_sink *out, const char *msg)
{
	send_json(out, json_pack("{s:{s:s}, s:s}", "errorDetail", "message", msg, "error", msg));
}

void progress_aux(struct byte_sink *out, json_t *aux)
{
	send_json(out, json_pack("{s:{}, s:o}", "progressDetail", "aux", aux));
}
