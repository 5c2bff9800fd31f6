/* The push's gzip: valid gzip that gives the input back, stored blocks for
 * what cannot compress, deflate for the rest, and the same blob however the
 * input is handed over. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "basic/buf.h"
#include "image/gzip_blob.h"

static void random_bytes(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)(x >> 24);
	}
}

static void text_bytes(unsigned char *p, size_t n)
{
	static const char *words[] = {"layer ", "image ",  "registry ", "push ",
				      "blob\n", "digest ", "manifest ", "berth "};
	size_t i = 0, w = 0;
	while (i < n) {
		const char *s = words[(w * 7 + w / 3) % 8];
		for (; *s && i < n; s++)
			p[i++] = (unsigned char)*s;
		w++;
	}
}

static int to_buf(const void *data, size_t len, void *ud)
{
	return buf_append(ud, data, len) < 0 ? -ENOMEM : 0;
}

/* Compresses in, handed over in pieces of the sizes in steps (cycled). */
static void gz_compress(const unsigned char *in, size_t n, const size_t *steps, size_t n_steps,
			struct buf *out)
{
	struct gzip_blob g;
	struct error err = ERROR_INIT;
	*out = (struct buf)BUF_INIT;
	assert_int_equal(gzip_blob_init(&g, to_buf, out, &err), 0);
	for (size_t off = 0, k = 0; off < n; k++) {
		size_t step = steps[k % n_steps];
		if (step > n - off)
			step = n - off;
		assert_int_equal(gzip_blob_write(&g, in + off, step, &err), 0);
		off += step;
	}
	assert_int_equal(gzip_blob_finish(&g, &err), 0);
	gzip_blob_done(&g);
}

static void assert_gunzips_to(const struct buf *gz, const unsigned char *want, size_t n)
{
	z_stream z = {0};
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	unsigned char *got = malloc(n + 1);
	z.next_in = (unsigned char *)gz->data;
	z.avail_in = (uInt)gz->len;
	z.next_out = got;
	z.avail_out = (uInt)n + 1;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, n);
	assert_int_equal(z.avail_in, 0); /* one member, nothing after it */
	assert_memory_equal(got, want, n);
	inflateEnd(&z);
	free(got);
}

static void test_incompressible(void **state)
{
	size_t n = GZIP_BLOB_BLOCK;
	unsigned char *p = malloc(n);
	random_bytes(p, n, 1);
	assert_true(gzip_blob_incompressible(p, n));
	assert_false(gzip_blob_incompressible(p, 1000)); /* too short to tell */
	text_bytes(p, n);
	assert_false(gzip_blob_incompressible(p, n));
	memset(p, 0, n);
	assert_false(gzip_blob_incompressible(p, n));
	/* A quarter of zeros (tar padding) is worth deflating. */
	random_bytes(p, n, 2);
	memset(p, 0, n / 4);
	assert_false(gzip_blob_incompressible(p, n));
	free(p);
}

static void test_round_trip_and_sizes(void **state)
{
	size_t n = 3 * GZIP_BLOB_BLOCK + 12345;
	unsigned char *rnd = malloc(n), *txt = malloc(n);
	random_bytes(rnd, n, 3);
	text_bytes(txt, n);
	size_t whole[] = {n};
	struct buf gz;
	gz_compress(rnd, n, whole, 1, &gz);
	assert_gunzips_to(&gz, rnd, n);
	assert_true(gz.len < n + n / 500 + 64); /* stored: a few bytes a block */
	buf_free(&gz);
	gz_compress(txt, n, whole, 1, &gz);
	assert_gunzips_to(&gz, txt, n);
	assert_true(gz.len < n / 10);
	buf_free(&gz);
	/* Empty input is an empty gzip member. */
	gz_compress(txt, 0, whole, 1, &gz);
	assert_gunzips_to(&gz, txt, 0);
	buf_free(&gz);
	free(rnd);
	free(txt);
}

/* Blocks alternating between stored and deflated, in one valid stream, the
 * same bytes whatever the write sizes. */
static void test_mixed_and_deterministic(void **state)
{
	size_t part = GZIP_BLOB_BLOCK + 777, n = 5 * part;
	unsigned char *in = malloc(n);
	for (size_t i = 0; i < 5; i++)
		if (i % 2)
			text_bytes(in + i * part, part);
		else
			random_bytes(in + i * part, part, i + 10);
	size_t whole[] = {n}, odd[] = {1, 7, 4096, 200000, 65536, 3};
	struct buf a, b;
	gz_compress(in, n, whole, 1, &a);
	gz_compress(in, n, odd, 6, &b);
	assert_gunzips_to(&a, in, n);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_true(a.len < n * 7 / 10);
	buf_free(&a);
	buf_free(&b);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_incompressible),
	    cmocka_unit_test(test_round_trip_and_sizes),
	    cmocka_unit_test(test_mixed_and_deterministic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
