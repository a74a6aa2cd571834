/*
 * qr: PNG and SVG are decoded back and compared module by module with what
 * libqrencode gives for the same text; limits; many runs for LSan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <png.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/arena.h"
#include "../../lib/buf.h"
#include "../../lib/qr.h"

#define TICKET_URL \
	"https://x.example/t/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"

static const unsigned char PNG_SIG[8] = {0x89, 'P', 'N', 'G',
					 '\r', '\n', 0x1a, '\n'};

/* The expected grid, quiet zone included: n*n, 1 for dark. */
static unsigned char *expected_grid(const char *text, int *n)
{
	QRcode *code = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	unsigned char *g;
	int w;

	assert_non_null(code);
	w = code->width;
	*n = w + 2 * QR_QUIET;
	g = calloc((size_t)*n * (size_t)*n, 1);
	assert_non_null(g);
	for (int y = 0; y < w; y++)
		for (int x = 0; x < w; x++)
			g[(y + QR_QUIET) * *n + x + QR_QUIET] =
				code->data[y * w + x] & 1;
	QRcode_free(code);
	return g;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Check signature and IHDR; returns the width. */
static uint32_t check_header(const struct buf *b)
{
	const unsigned char *p = (const unsigned char *)b->data;

	assert_true(b->len > 33);
	assert_memory_equal(p, PNG_SIG, 8);
	assert_int_equal(be32(p + 8), 13);
	assert_memory_equal(p + 12, "IHDR", 4);
	assert_int_equal(be32(p + 16), be32(p + 20));	/* square */
	assert_int_equal(p[24], 1);	/* bit depth */
	assert_int_equal(p[25], 0);	/* grayscale */
	return be32(p + 16);
}

/* Decode the PNG and compare every pixel with its module. */
static void check_png(const struct buf *b, const char *text, int scale)
{
	png_image img;
	unsigned char *pix, *grid;
	int n;
	uint32_t px = check_header(b);

	grid = expected_grid(text, &n);
	assert_int_equal(px, (uint32_t)(n * scale));

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_memory(&img, b->data, b->len));
	assert_int_equal(img.width, px);
	assert_int_equal(img.height, px);
	img.format = PNG_FORMAT_GRAY;
	pix = malloc(PNG_IMAGE_SIZE(img));
	assert_non_null(pix);
	if (!png_image_finish_read(&img, NULL, pix, 0, NULL)) {
		png_image_free(&img);
		fail_msg("png_image_finish_read: %s", img.message);
	}
	for (uint32_t y = 0; y < px; y++) {
		for (uint32_t x = 0; x < px; x++) {
			unsigned v = pix[y * px + x];
			unsigned want =
				grid[(y / (uint32_t)scale) * (uint32_t)n +
				     x / (uint32_t)scale]
					? 0
					: 255;

			if (v != want)
				fail_msg("pixel %u,%u is %u, want %u", x, y, v,
					 want);
		}
	}
	/* The centre of every quiet-zone module is white. */
	for (int my = 0; my < n; my++)
		for (int mx = 0; mx < n; mx++)
			if (mx < QR_QUIET || my < QR_QUIET ||
			    mx >= n - QR_QUIET || my >= n - QR_QUIET)
				assert_int_equal(
					pix[(size_t)(my * scale + scale / 2) *
						    px +
					    (size_t)(mx * scale + scale / 2)],
					255);
	free(pix);
	free(grid);
}

/* Redraw the SVG's path into a grid and compare it with libqrencode's. */
static void check_svg(const struct buf *b, const char *text)
{
	unsigned char *grid, *drawn;
	int n, vn;
	const char *p, *end;
	char want[64];

	assert_int_equal(strncmp(b->data, "<svg ", 5), 0);
	assert_true(b->len == strlen(b->data));
	assert_string_equal(b->data + b->len - 7, "</svg>\n");
	/* Too short a text would match the markup itself. */
	if (strlen(text) >= 8) {
		const char *slash = strrchr(text, '/');

		assert_null(strstr(b->data, text));
		if (slash != NULL && strlen(slash + 1) >= 8)
			assert_null(strstr(b->data, slash + 1));
	}
	assert_non_null(
		strstr(b->data, "xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(b->data, "fill=\"#fff\""));

	grid = expected_grid(text, &n);
	p = strstr(b->data, "viewBox=\"");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "viewBox=\"0 0 %d %d\"", &vn, &vn), 2);
	assert_int_equal(vn, n);
	snprintf(want, sizeof(want), "width=\"%d\" height=\"%d\"",
		 n * QR_SVG_SCALE, n * QR_SVG_SCALE);
	assert_non_null(strstr(b->data, want));
	/* Exactly one path. */
	p = strstr(b->data, "<path");
	assert_non_null(p);
	assert_null(strstr(p + 1, "<path"));
	p = strstr(p, " d=\"");
	assert_non_null(p);
	p += 4;
	end = strchr(p, '"');
	assert_non_null(end);

	drawn = calloc((size_t)n * (size_t)n, 1);
	assert_non_null(drawn);
	while (p < end) {
		int x, y, w, w2, used = 0;

		if (sscanf(p, "M%d %dh%dv1h-%dz%n", &x, &y, &w, &w2, &used) !=
			    4 ||
		    used == 0)
			fail_msg("bad path at \"%.20s\"", p);
		assert_int_equal(w, w2);
		assert_true(w > 0);
		assert_true(x >= QR_QUIET && y >= QR_QUIET);
		assert_true(x + w <= n - QR_QUIET && y < n - QR_QUIET);
		for (int i = 0; i < w; i++) {
			/* Runs are merged, so none overlap or touch. */
			assert_int_equal(drawn[y * n + x + i], 0);
			drawn[y * n + x + i] = 1;
		}
		if (x + w < n)
			assert_int_equal(grid[y * n + x + w], 0);
		p += used;
	}
	assert_memory_equal(drawn, grid, (size_t)n * (size_t)n);
	free(drawn);
	free(grid);
}

static void test_png(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int scale;
	} cases[] = {
		{TICKET_URL, 1},
		{TICKET_URL, 4},
		{TICKET_URL, 7},	/* rows not a multiple of 8 pixels */
		{"x", 3},
		{"caff\xC3\xA8 \x01\xff binary-ish", 2},
	};
	struct arena *a = arena_new(0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;

		buf_init(&b, a, 0);
		assert_int_equal(qr_png(a, cases[i].text, cases[i].scale, &b),
				 0);
		assert_false(b.failed);
		check_png(&b, cases[i].text, cases[i].scale);
		arena_reset(a);
	}
	arena_free(a);
}

static void test_svg(void **state)
{
	(void)state;
	static const char *const texts[] = {
		TICKET_URL,
		"x",
		"http://127.0.0.1:8080/t/"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	struct arena *a = arena_new(0);

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct buf b;

		buf_init(&b, a, 0);
		assert_int_equal(qr_svg(a, texts[i], &b), 0);
		assert_false(b.failed);
		check_svg(&b, texts[i]);
		arena_reset(a);
	}
	arena_free(a);
}

/* Both append to what the buffer holds, and leave it alone on failure. */
static void test_append_and_limits(void **state)
{
	(void)state;
	struct arena *a = arena_new(0);
	struct buf b;
	char *big = malloc(5001), *max = malloc(QR_TEXT_MAX + 2);

	assert_non_null(big);
	assert_non_null(max);
	memset(big, 'a', 5000);
	big[5000] = '\0';
	memset(max, 'b', QR_TEXT_MAX + 1);
	max[QR_TEXT_MAX + 1] = '\0';

	buf_init(&b, a, 0);
	buf_puts(&b, "head:");
	assert_int_equal(qr_svg(a, "x", &b), 0);
	assert_int_equal(strncmp(b.data, "head:<svg ", 10), 0);
	b.len = 0;
	assert_int_equal(qr_png(a, "x", 2, &b), 0);
	assert_memory_equal(b.data, PNG_SIG, 8);

	buf_init(&b, a, 0);
	buf_puts(&b, "keep");
	assert_int_equal(qr_svg(a, big, &b), -1);
	assert_int_equal(qr_png(a, big, 4, &b), -1);
	assert_int_equal(qr_svg(a, max, &b), -1);
	assert_int_equal(qr_png(a, max, 4, &b), -1);
	assert_int_equal(qr_svg(a, "", &b), -1);
	assert_int_equal(qr_png(a, "", 4, &b), -1);
	assert_int_equal(qr_svg(a, NULL, &b), -1);
	assert_int_equal(qr_png(a, NULL, 4, &b), -1);
	assert_int_equal(qr_png(a, "x", 0, &b), -1);
	assert_int_equal(qr_png(a, "x", -1, &b), -1);
	assert_int_equal(qr_png(a, "x", QR_PNG_MAX_SCALE + 1, &b), -1);
	assert_false(b.failed);
	assert_int_equal(b.len, 4);
	assert_string_equal(b.data, "keep");

	/* QR_TEXT_MAX bytes is the largest we take, at the largest scale. */
	max[QR_TEXT_MAX] = '\0';
	buf_init(&b, a, 0);
	assert_int_equal(qr_svg(a, max, &b), 0);
	check_svg(&b, max);
	buf_init(&b, a, 0);
	assert_int_equal(qr_png(a, max, 1, &b), 0);
	check_png(&b, max, 1);
	buf_init(&b, a, 0);
	assert_int_equal(qr_png(a, max, QR_PNG_MAX_SCALE, &b), 0);
	{
		int n;
		unsigned char *g = expected_grid(max, &n);

		assert_int_equal(check_header(&b),
				 (uint32_t)(n * QR_PNG_MAX_SCALE));
		free(g);
	}

	free(big);
	free(max);
	arena_free(a);
}

/*
 * A write that fails inside libpng takes the longjmp path; LSan checks that
 * it frees everything. A buffer one byte short of its size limit refuses
 * the first write without touching data. Logs qr_png_failed lines.
 */
static void test_png_error(void **state)
{
	(void)state;
	struct arena *a = arena_new(0);
	char dummy[1] = "";

	for (int i = 0; i < 3; i++) {
		struct buf b = {a, dummy, SIZE_MAX / 2 - 1, SIZE_MAX, false};

		assert_int_equal(qr_png(a, TICKET_URL, 4, &b), -1);
		assert_true(b.failed);
		arena_reset(a);
	}
	arena_free(a);
}

/* Many runs on one reused arena, as a worker does: LSan sees any leak. */
static void test_many(void **state)
{
	(void)state;
	struct arena *a = arena_new(0);
	char text[128];

	for (int i = 0; i < 200; i++) {
		struct buf b;

		snprintf(text, sizeof(text), "https://x.example/t/%d-%0*d", i,
			 i % 60, i);
		buf_init(&b, a, 0);
		assert_int_equal(qr_png(a, text, 1 + i % 6, &b), 0);
		if (i % 20 == 0)
			check_png(&b, text, 1 + i % 6);
		else
			check_header(&b);
		buf_init(&b, a, 0);
		assert_int_equal(qr_svg(a, text, &b), 0);
		assert_int_equal(qr_png(a, "", 3, &b), -1);
		arena_reset(a);
	}
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_png),
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_append_and_limits),
		cmocka_unit_test(test_png_error),
		cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests_name("qr", tests, NULL, NULL);
}
