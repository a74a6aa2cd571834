/*
 * qr: encode with libqrencode, then draw the module grid as an SVG path or
 * as a 1-bit PNG written by libpng straight into a buf.
 */
#include "qr.h"

#include "arena.h"
#include "buf.h"
#include "log.h"

#include <errno.h>
#include <png.h>
#include <qrencode.h>
#include <setjmp.h>
#include <string.h>

static void qrcode_free(void *p)
{
	QRcode_free(p);
}

/* The QR code for text, freed with the arena; NULL when it cannot be. */
static QRcode *encode(struct arena *a, const char *text)
{
	size_t n;
	QRcode *code;

	if (text == NULL)
		return NULL;
	n = strnlen(text, QR_TEXT_MAX + 1);
	if (n == 0 || n > QR_TEXT_MAX)
		return NULL;
	errno = 0;
	code = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (code == NULL) {
		log_event(LOG_ERROR, NULL, "qr_encode_failed", "errno %d",
			  errno);
		return NULL;
	}
	if (arena_defer(a, qrcode_free, code) != 0)
		return NULL;
	return code;
}

static bool dark(const QRcode *code, int x, int y)
{
	return code->data[y * code->width + x] & 1;
}

/* Give the caller back out as it was before a failed call. */
static int rollback(struct buf *out, size_t len)
{
	if (!out->failed) {
		out->len = len;
		out->data[len] = '\0';
	}
	return -1;
}

int qr_svg(struct arena *a, const char *text, struct buf *out)
{
	QRcode *code;
	int w, n;

	if (out->failed)
		return -1;
	code = encode(a, text);
	if (code == NULL)
		return -1;
	w = code->width;
	n = w + 2 * QR_QUIET;
	buf_printf(out,
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" "
		   "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
		   "shape-rendering=\"crispEdges\" role=\"img\" "
		   "aria-label=\"QR code\">"
		   "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
		   "<path fill=\"#000\" d=\"",
		   n, n, n * QR_SVG_SCALE, n * QR_SVG_SCALE, n, n);
	/* One rectangle per horizontal run keeps a version 40 code to tens of
	 * kilobytes instead of one square per module. */
	for (int y = 0; y < w; y++) {
		int x = 0;

		while (x < w) {
			int run = 0;

			if (!dark(code, x, y)) {
				x++;
				continue;
			}
			while (x + run < w && dark(code, x + run, y))
				run++;
			buf_printf(out, "M%d %dh%dv1h-%dz", x + QR_QUIET,
				   y + QR_QUIET, run, run);
			x += run;
		}
	}
	buf_puts(out, "\"/></svg>\n");
	return out->failed ? -1 : 0;
}

static void png_write_cb(png_structp png, png_bytep data, size_t len)
{
	struct buf *b = png_get_io_ptr(png);

	buf_append(b, data, len);
	if (b->failed)
		png_error(png, "out of memory");
}

static void png_flush_cb(png_structp png)
{
	(void)png;
}

/* libpng's default handler prints to stderr; ours keeps the log JSON. */
static void png_error_cb(png_structp png, png_const_charp msg)
{
	log_event(LOG_ERROR, NULL, "qr_png_failed", "libpng: %s", msg);
	png_longjmp(png, 1);
}

static void png_warning_cb(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/*
 * Everything that needs freeing was made by the caller before setjmp() and
 * is not changed after it, and nothing here is read after a longjmp(), so
 * no local has to be volatile: on error we only return -1.
 */
static int write_png(png_structp png, png_infop info, const QRcode *code,
		     int scale, unsigned char *row, struct buf *out)
{
	int w = code->width;
	png_uint_32 px = (png_uint_32)(w + 2 * QR_QUIET) * (png_uint_32)scale;
	size_t rowbytes = (px + 7) / 8;

	if (setjmp(png_jmpbuf(png)))
		return -1;
	png_set_write_fn(png, out, png_write_cb, png_flush_cb);
	png_set_IHDR(png, info, px, px, 1, PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);

	/* 1-bit gray: a set bit is white, pixels MSB first. */
	memset(row, 0xff, rowbytes);
	for (int k = 0; k < QR_QUIET * scale; k++)
		png_write_row(png, row);
	for (int y = 0; y < w; y++) {
		memset(row, 0xff, rowbytes);
		for (int x = 0; x < w; x++) {
			size_t p0;

			if (!dark(code, x, y))
				continue;
			p0 = (size_t)(x + QR_QUIET) * (size_t)scale;
			for (size_t p = p0; p < p0 + (size_t)scale; p++)
				row[p / 8] &= (unsigned char)~(0x80 >> p % 8);
		}
		for (int k = 0; k < scale; k++)
			png_write_row(png, row);
	}
	memset(row, 0xff, rowbytes);
	for (int k = 0; k < QR_QUIET * scale; k++)
		png_write_row(png, row);
	png_write_end(png, info);
	return 0;
}

int qr_png(struct arena *a, const char *text, int scale, struct buf *out)
{
	size_t start = out->len;
	QRcode *code;
	png_structp png;
	png_infop info;
	unsigned char *row;
	size_t px;
	int rc;

	if (out->failed || scale < 1 || scale > QR_PNG_MAX_SCALE)
		return -1;
	code = encode(a, text);
	if (code == NULL)
		return -1;
	/* From the arena, so a longjmp out of libpng cannot leak it. */
	px = (size_t)(code->width + 2 * QR_QUIET) * (size_t)scale;
	row = arena_alloc(a, (px + 7) / 8);
	if (row == NULL)
		return -1;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_error_cb,
				      png_warning_cb);
	if (png == NULL)
		return -1;
	info = png_create_info_struct(png);
	if (info == NULL) {
		png_destroy_write_struct(&png, NULL);
		return -1;
	}
	rc = write_png(png, info, code, scale, row, out);
	png_destroy_write_struct(&png, &info);
	if (rc != 0 || out->failed)
		return rollback(out, start);
	return 0;
}
