/* A sink that only reports its end (see callback_sink.h). */
#include "shared/callback_sink.h"

#include <stdlib.h>
#include <unistd.h>

struct callback_sink {
	struct byte_sink base;
	sink_done_fn done;
	void *arg;
};

static void finish(struct byte_sink *s, const struct error *err)
{
	struct callback_sink *c = (struct callback_sink *)s;
	sink_done_fn done = c->done;
	void *arg = c->arg;
	free(c);
	done(arg, err && err->code < 0 ? err : NULL);
}

static void cb_begin(struct byte_sink *s, const char *type, const struct sink_meta *meta,
		     size_t n_meta)
{
}

static int cb_write(struct byte_sink *s, const void *data, size_t len)
{
	return 0;
}

static void cb_send_file(struct byte_sink *s, int fd)
{
	close(fd);
	finish(s, NULL);
}

static bool cb_gone(const struct byte_sink *s)
{
	return false;
}

static const struct byte_sink_ops callback_sink_ops = {
    .begin = cb_begin,
    .write = cb_write,
    .send_file = cb_send_file,
    .end = finish,
    .gone = cb_gone,
};

struct byte_sink *callback_sink_new(sink_done_fn done, void *arg)
{
	struct callback_sink *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	*c = (struct callback_sink){.base.ops = &callback_sink_ops, .done = done, .arg = arg};
	return &c->base;
}
