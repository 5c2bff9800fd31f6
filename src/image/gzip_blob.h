/* gzip for the layer blobs a push uploads: zlib at level 1, except that
 * input which cannot compress (already compressed files, encrypted or random
 * data) is stored instead of run through deflate, which costs as much CPU as
 * it saves nothing. The choice is made per fixed block of input, so the same
 * input always gives the same blob, however it is handed over. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "basic/error.h"

#define GZIP_BLOB_BLOCK (128u << 10)

/* Receives the compressed stream: 0, or a negative errno. */
typedef int (*gzip_blob_sink_fn)(const void *data, size_t len, void *userdata);

struct gzip_blob {
	z_stream z;
	int level; /* of the block being deflated */
	unsigned char *in, *out;
	size_t in_len;
	gzip_blob_sink_fn sink;
	void *userdata;
};

/* -ENOMEM. */
int gzip_blob_init(struct gzip_blob *g, gzip_blob_sink_fn sink, void *userdata, struct error *err);
/* Appends input; the sink's error, or -EIO. */
int gzip_blob_write(struct gzip_blob *g, const void *data, size_t len, struct error *err);
/* Ends the stream (the rest of the input, the gzip trailer). */
int gzip_blob_finish(struct gzip_blob *g, struct error *err);
void gzip_blob_done(struct gzip_blob *g);

/* Whether deflate can gain next to nothing on a block: its bytes are nearly
 * uniformly spread. Exposed for the tests. */
bool gzip_blob_incompressible(const unsigned char *data, size_t len);
