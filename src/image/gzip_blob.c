/* gzip of layer blobs with stored blocks for what cannot compress (see
 * gzip_blob.h). */
#include "image/gzip_blob.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define OUT_SIZE (256u << 10)

bool gzip_blob_incompressible(const unsigned char *data, size_t len)
{
	/* Below this the estimate is too rough; deflate decides. */
	if (len < 4096)
		return false;
	/* Four tables: counting into one stalls on its own stores. */
	uint32_t c[4][256] = {{0}};
	size_t i = 0;
	for (; i + 4 <= len; i += 4) {
		c[0][data[i]]++;
		c[1][data[i + 1]]++;
		c[2][data[i + 2]]++;
		c[3][data[i + 3]]++;
	}
	for (; i < len; i++)
		c[0][data[i]]++;
	uint64_t squares = 0;
	for (unsigned b = 0; b < 256; b++) {
		uint64_t n = (uint64_t)c[0][b] + c[1][b] + c[2][b] + c[3][b];
		squares += n * n;
	}
	/* sum(p^2) <= 1.02/256: the collision entropy, a lower bound of the
	 * Shannon entropy, is at least 7.97 bits a byte, so Huffman coding
	 * would save under 0.4%; and data that spread is almost never made of
	 * repeats within deflate's 32 KB window. */
	return squares * 256 * 100 <= (uint64_t)len * len * 102;
}

int gzip_blob_init(struct gzip_blob *g, gzip_blob_sink_fn sink, void *userdata, struct error *err)
{
	*g = (struct gzip_blob){.level = 1, .sink = sink, .userdata = userdata};
	g->in = malloc(GZIP_BLOB_BLOCK);
	g->out = malloc(OUT_SIZE);
	/* windowBits 15 + 16: a gzip wrapper without name or timestamp. */
	if (!g->in || !g->out ||
	    deflateInit2(&g->z, g->level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g->in);
		free(g->out);
		*g = (struct gzip_blob){0};
		return error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

void gzip_blob_done(struct gzip_blob *g)
{
	if (!g->out)
		return;
	deflateEnd(&g->z);
	free(g->in);
	free(g->out);
	*g = (struct gzip_blob){0};
}

/* Hands what deflate wrote to the sink. */
static int emit(struct gzip_blob *g, struct error *err)
{
	size_t n = OUT_SIZE - g->z.avail_out;
	int r = n ? g->sink(g->out, n, g->userdata) : 0;
	if (r < 0)
		return error_set(err, r, "cannot write the compressed layer: %s", strerror(-r));
	return 0;
}

/* Runs deflate until the input is taken (or, finishing, the stream ends). */
static int run(struct gzip_blob *g, int flush, struct error *err)
{
	for (;;) {
		g->z.next_out = g->out;
		g->z.avail_out = OUT_SIZE;
		int z = deflate(&g->z, flush);
		if (z == Z_STREAM_ERROR)
			return error_set(err, -EIO, "cannot compress the layer");
		int r = emit(g, err);
		if (r < 0)
			return r;
		if (flush == Z_FINISH ? z == Z_STREAM_END : g->z.avail_out != 0)
			return 0;
	}
}

static int set_level(struct gzip_blob *g, int level, struct error *err)
{
	if (level == g->level)
		return 0;
	/* deflateParams ends the current deflate block into the output space
	 * it is given; Z_BUF_ERROR asks for more. */
	for (;;) {
		g->z.next_out = g->out;
		g->z.avail_out = OUT_SIZE;
		int z = deflateParams(&g->z, level, Z_DEFAULT_STRATEGY);
		int r = emit(g, err);
		if (r < 0)
			return r;
		if (z == Z_OK)
			break;
		if (z != Z_BUF_ERROR)
			return error_set(err, -EIO, "cannot compress the layer");
	}
	g->level = level;
	return 0;
}

static int deflate_block(struct gzip_blob *g, const unsigned char *data, size_t len,
			 struct error *err)
{
	int r = set_level(g, gzip_blob_incompressible(data, len) ? 0 : 1, err);
	if (r < 0)
		return r;
	g->z.next_in = (unsigned char *)data;
	g->z.avail_in = (uInt)len;
	return run(g, Z_NO_FLUSH, err);
}

int gzip_blob_write(struct gzip_blob *g, const void *data, size_t len, struct error *err)
{
	const unsigned char *p = data;
	while (len > 0) {
		int r;
		/* Whole blocks go from the caller's buffer, without a copy. */
		if (g->in_len == 0 && len >= GZIP_BLOB_BLOCK) {
			r = deflate_block(g, p, GZIP_BLOB_BLOCK, err);
			if (r < 0)
				return r;
			p += GZIP_BLOB_BLOCK;
			len -= GZIP_BLOB_BLOCK;
			continue;
		}
		size_t k = GZIP_BLOB_BLOCK - g->in_len;
		if (k > len)
			k = len;
		memcpy(g->in + g->in_len, p, k);
		g->in_len += k;
		p += k;
		len -= k;
		if (g->in_len == GZIP_BLOB_BLOCK) {
			r = deflate_block(g, g->in, g->in_len, err);
			g->in_len = 0;
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int gzip_blob_finish(struct gzip_blob *g, struct error *err)
{
	int r = g->in_len ? deflate_block(g, g->in, g->in_len, err) : 0;
	g->in_len = 0;
	return r < 0 ? r : run(g, Z_FINISH, err);
}
