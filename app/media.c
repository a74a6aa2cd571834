/*
 * media: image uploads, decoded and re-encoded by libvips.
 *
 * Nothing an admin uploads is served as it came: the bytes are decoded and
 * every served file is a new encoding made here, so no metadata (EXIF GPS,
 * camera serials, XMP, comments) and nothing a browser could take for
 * another type survives. The steps, each refusing with 422 before the next:
 *
 * 1. The declared Content-Type must be image/jpeg, image/png or image/webp,
 *    and the first bytes must be that format's signature (an HTML file
 *    named .jpg fails here).
 * 2. The header alone is read with that format's own loader, and its
 *    dimensions are checked (each side <= MEDIA_MAX_SIDE, pixels <=
 *    MEDIA_MAX_PIXELS) before a pixel is decoded: a decompression bomb
 *    (a 50 000 x 50 000 PNG of a few kilobytes) is refused without
 *    allocating anything for its pixels.
 * 3. Each width is decoded with shrink-on-load, autorotated (the EXIF
 *    orientation applied, then dropped), converted to sRGB and encoded as
 *    WebP and as JPEG with "strip". The loaders run with fail_on=error, so
 *    a truncated or corrupt file is an error, not a half-grey image.
 *
 * The protections libvips is set up with (media_init): only the JPEG, PNG
 * and WebP loaders can run at all (every other VipsForeignLoad is blocked,
 * and vips_block_untrusted_set() blocks the loaders libvips itself marks
 * as unfuzzed: ImageMagick, PDF, SVG, MATLAB, FITS, ...), so a file that
 * sniffs as something else cannot reach a large parser; one thread per
 * operation and no operation cache, so an upload uses one core and frees
 * its memory when it is done; uploads are processed one at a time per
 * worker process, so memory is bounded by one image of at most
 * MEDIA_MAX_PIXELS (about 160 MB at 4 bytes a pixel, and shrink-on-load
 * keeps JPEG far below that).
 *
 * Files are written under a temporary name and renamed, named
 * <hash>-<width>.<webp|jpg> after a BLAKE2b-128 of the upload, so a name
 * never changes meaning and nginx may let browsers keep it for a year.
 * Nothing is written before the image is fully encoded; if the database
 * insert fails the new files are removed again.
 */
#include "media.h"

#include "app.h"
#include "audit.h"
#include "auth.h"
#include "request.h"

#include "../lib/arena.h"
#include "../lib/buf.h"
#include "../lib/db.h"
#include "../lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

static const int widths[MEDIA_MAX_VARIANTS] = {320, 640, 1280};

/* One upload at a time per process: memory is one image's. */
static pthread_mutex_t one_at_a_time = PTHREAD_MUTEX_INITIALIZER;

int media_init(const char *argv0)
{
	if (VIPS_INIT(argv0) != 0) {
		log_event(LOG_ERROR, NULL, "startup_failed", "VIPS_INIT: %s",
			  vips_error_buffer());
		return -1;
	}
	vips_concurrency_set(1);
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_block_untrusted_set(TRUE);
	vips_operation_block_set("VipsForeignLoad", TRUE);
	vips_operation_block_set("VipsForeignLoadJpeg", FALSE);
	vips_operation_block_set("VipsForeignLoadPng", FALSE);
	vips_operation_block_set("VipsForeignLoadWebp", FALSE);
	return 0;
}

/* ---- decoding and encoding (pure) ------------------------------------ */

enum kind { KIND_JPEG, KIND_PNG, KIND_WEBP };

/* The declared type, parameters ignored; -1 when not one of ours. */
static int declared_kind(const char *type)
{
	static const char *const names[] = {"image/jpeg", "image/png",
					    "image/webp"};

	if (type == NULL)
		return -1;
	for (int k = 0; k < 3; k++) {
		size_t n = strlen(names[k]);

		if (strncasecmp(type, names[k], n) == 0 &&
		    (type[n] == '\0' || type[n] == ';' || type[n] == ' '))
			return k;
	}
	return -1;
}

/* Do the first bytes say the declared format? */
static bool signature_is(const unsigned char *p, size_t n, int kind)
{
	switch (kind) {
	case KIND_JPEG:
		return n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF;
	case KIND_PNG:
		return n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0;
	case KIND_WEBP:
		return n >= 12 && memcmp(p, "RIFF", 4) == 0 &&
		       memcmp(p + 8, "WEBP", 4) == 0;
	default:
		return false;
	}
}

static void unref(void *o)
{
	g_object_unref(o);
}

/* The header, read by the format's own loader: nothing is decoded yet. */
static VipsImage *header(struct arena *a, const void *data, size_t len,
			 int kind)
{
	VipsImage *img = NULL;
	void *buf = (void *)data;	/* the loaders do not write it */
	int rc;

	switch (kind) {
	case KIND_JPEG:
		rc = vips_jpegload_buffer(buf, len, &img, "access",
					  VIPS_ACCESS_SEQUENTIAL, "fail_on",
					  VIPS_FAIL_ON_ERROR, NULL);
		break;
	case KIND_PNG:
		rc = vips_pngload_buffer(buf, len, &img, "access",
					 VIPS_ACCESS_SEQUENTIAL, "fail_on",
					 VIPS_FAIL_ON_ERROR, NULL);
		break;
	default:
		rc = vips_webpload_buffer(buf, len, &img, "access",
					  VIPS_ACCESS_SEQUENTIAL, "fail_on",
					  VIPS_FAIL_ON_ERROR, NULL);
		break;
	}
	if (rc != 0 || img == NULL)
		return NULL;
	if (arena_defer(a, unref, img) < 0)
		return NULL;	/* arena_defer ran it */
	return img;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/*
 * Drop the EXIF, XMP and ICC chunks of a WebP file in place (libvips
 * 8.14's webpsave writes a fresh EXIF block, orientation and
 * resolution, even with "strip") and clear their flags in VP8X. Returns
 * the new length, or 0 when the file is not the RIFF we expect.
 */
static size_t webp_strip(unsigned char *p, size_t n)
{
	size_t in = 12, out = 12;

	if (n < 12 || memcmp(p, "RIFF", 4) != 0 || memcmp(p + 8, "WEBP", 4) != 0)
		return 0;
	while (in + 8 <= n) {
		uint32_t size = le32(p + in + 4);
		size_t whole = 8 + (size_t)size + (size & 1);

		if (whole > n - in)
			return 0;
		if (memcmp(p + in, "EXIF", 4) != 0 &&
		    memcmp(p + in, "XMP ", 4) != 0 &&
		    memcmp(p + in, "ICCP", 4) != 0) {
			memmove(p + out, p + in, whole);
			if (memcmp(p + out, "VP8X", 4) == 0 && size >= 1)
				p[out + 8] &= (unsigned char)~0x2C;
			out += whole;
		}
		in += whole;
	}
	put_le32(p + 4, (uint32_t)(out - 8));
	return out;
}

/* Copy a g_malloc'd encoding into the arena and free it. */
static const void *keep(struct arena *a, void *enc, size_t len)
{
	void *p = arena_alloc(a, len > 0 ? len : 1);

	if (p != NULL)
		memcpy(p, enc, len);
	g_free(enc);
	return p;
}

/*
 * t in 8-bit sRGB as a new image made from its pixels alone: it has no
 * metadata at all (EXIF, XMP, IPTC, ICC, comments), whatever the savers'
 * "strip" does or misses. Small (at most 1280 wide). NULL on failure.
 */
static VipsImage *pixels_only(VipsImage *t)
{
	VipsImage *srgb = NULL, *u8 = NULL, *clean = NULL;
	void *pixels = NULL;
	size_t n;

	if (vips_colourspace(t, &srgb, VIPS_INTERPRETATION_sRGB,
			     "source_space", vips_image_guess_interpretation(t),
			     NULL) != 0)
		return NULL;
	if (vips_image_get_format(srgb) != VIPS_FORMAT_UCHAR) {
		if (vips_cast(srgb, &u8, VIPS_FORMAT_UCHAR, NULL) != 0)
			goto out;
	} else {
		u8 = srgb;
		g_object_ref(u8);
	}
	if ((pixels = vips_image_write_to_memory(u8, &n)) == NULL)
		goto out;
	clean = vips_image_new_from_memory_copy(pixels, n,
						vips_image_get_width(u8),
						vips_image_get_height(u8),
						vips_image_get_bands(u8),
						VIPS_FORMAT_UCHAR);
	/* A fresh image guesses "multiband" for four bands: say what it is,
	 * so the alpha is known as alpha (and flattened for JPEG). */
	if (clean != NULL)
		clean->Type = VIPS_INTERPRETATION_sRGB;
out:
	g_free(pixels);
	if (u8 != NULL)
		g_object_unref(u8);
	g_object_unref(srgb);
	return clean;
}

/* One width, decoded, rotated, in sRGB: encoded as WebP and JPEG. */
static int variant(struct arena *a, const void *data, size_t len, int width,
		   struct media_image *out)
{
	VipsImage *t = NULL, *rgb = NULL, *flat = NULL;
	void *webp = NULL, *jpeg = NULL;
	size_t nwebp = 0, njpeg = 0;
	int rc = -1;

	if (vips_thumbnail_buffer((void *)data, len, &t, width, "height",
				  VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN,
				  "option_string", "fail_on=error", NULL) != 0)
		goto out;
	if ((rgb = pixels_only(t)) == NULL)
		goto out;
	if (vips_webpsave_buffer(rgb, &webp, &nwebp, "Q", 80, "strip", TRUE,
				 NULL) != 0 ||
	    (nwebp = webp_strip(webp, nwebp)) == 0)
		goto out;
	if (vips_image_hasalpha(rgb)) {
		double white[3] = {255, 255, 255};
		VipsArrayDouble *bg = vips_array_double_new(white, 3);

		rc = vips_flatten(rgb, &flat, "background", bg, NULL);
		vips_area_unref(VIPS_AREA(bg));
		if (rc != 0)
			goto out;
		rc = -1;
	} else {
		flat = rgb;
		g_object_ref(flat);
	}
	if (vips_jpegsave_buffer(flat, &jpeg, &njpeg, "Q", 82, "strip", TRUE,
				 "interlace", TRUE, "optimize_coding", TRUE,
				 NULL) != 0)
		goto out;
	out->width = vips_image_get_width(flat);
	out->height = vips_image_get_height(flat);
	out->widths[out->nwidths++] = out->width;
	out->files[out->nfiles++] = (struct media_file){
		out->width, "webp", keep(a, webp, nwebp), nwebp};
	out->files[out->nfiles++] = (struct media_file){
		out->width, "jpg", keep(a, jpeg, njpeg), njpeg};
	webp = jpeg = NULL;
	rc = out->files[out->nfiles - 1].data != NULL &&
		     out->files[out->nfiles - 2].data != NULL
		     ? 0 : -1;
out:
	g_free(webp);
	g_free(jpeg);
	if (flat != NULL)
		g_object_unref(flat);
	if (rgb != NULL)
		g_object_unref(rgb);
	if (t != NULL)
		g_object_unref(t);
	return rc;
}

const char *media_process(struct arena *a, const void *data, size_t len,
			  const char *content_type, struct media_image *out)
{
	int kind = declared_kind(content_type);
	VipsImage *h;
	long long w, ht;

	memset(out, 0, sizeof(*out));
	if (kind < 0)
		return "unsupported_type";
	if (!signature_is(data, len, kind))
		return "type_mismatch";
	if ((h = header(a, data, len, kind)) == NULL) {
		vips_error_clear();
		return "invalid";
	}
	w = vips_image_get_width(h);
	ht = vips_image_get_height(h);
	if (w > MEDIA_MAX_SIDE || ht > MEDIA_MAX_SIDE ||
	    w * ht > MEDIA_MAX_PIXELS)
		return "too_many_pixels";
	/* The widths are of the image as it is seen: rotated. */
	if (vips_image_get_orientation_swap(h))
		w = ht;
	for (int i = 0; i < MEDIA_MAX_VARIANTS; i++) {
		/* The widths smaller than the image, then the image's own
		 * width when it is smaller than the largest. */
		int want = widths[i] < w ? widths[i] : (int)w;

		if (out->nwidths > 0 && want <= out->widths[out->nwidths - 1])
			break;
		if (variant(a, data, len, want, out) != 0) {
			log_event(LOG_INFO, NULL, "media_decode_failed", "%.200s",
				  vips_error_buffer());
			vips_error_clear();
			return "invalid";
		}
	}
	return NULL;
}

/* ---- files ----------------------------------------------------------- */

static const char *file_path(struct arena *a, const char *hash,
			     const struct media_file *f)
{
	return arena_printf(a, "%s/%s-%d.%s", app.cfg.media_dir, hash,
			    f->width, f->ext);
}

/* Write data to path through a temporary name in the same directory. */
static int write_file(struct arena *a, const char *path, const void *data,
		      size_t len)
{
	const char *tmp = arena_printf(a, "%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	int fd, rc = -1;

	if (tmp == NULL)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		len -= (size_t)n;
	}
	if (len == 0 && fsync(fd) == 0)
		rc = 0;
	if (close(fd) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0)
		(void)unlink(tmp);
	return rc;
}

/* Remove the first n files of img (those this request created). */
static void remove_files(struct arena *a, const char *hash,
			 const struct media_image *img, int n)
{
	for (int i = 0; i < n; i++) {
		const char *path = file_path(a, hash, &img->files[i]);

		if (path != NULL)
			(void)unlink(path);
	}
}

/* 0 with every file written, or -1 with none of the new ones left. */
static int write_files(struct arena *a, const char *hash,
		       const struct media_image *img, bool *existed)
{
	struct stat st;
	const char *last = file_path(a, hash, &img->files[img->nfiles - 1]);

	/* The same upload again: its files are there, with these bytes. */
	*existed = last != NULL && stat(last, &st) == 0;
	if (*existed)
		return 0;
	if (mkdir(app.cfg.media_dir, 0755) != 0 && errno != EEXIST)
		return -1;
	for (int i = 0; i < img->nfiles; i++) {
		const char *path = file_path(a, hash, &img->files[i]);

		if (path == NULL || write_file(a, path, img->files[i].data,
					       img->files[i].len) != 0) {
			remove_files(a, hash, img, i);
			return -1;
		}
	}
	return 0;
}

/* ---- handlers -------------------------------------------------------- */

static const char SQL_LIST[] =
	"SELECT coalesce(json_agg(media_json(m) ORDER BY m.id DESC), '[]')::text"
	" FROM media m";

/* enum audit_col */
static const char SQL_INSERT[] =
	"WITH m AS (INSERT INTO media (hash, width, height, widths, bytes,"
	"  source_type) VALUES ($1, $2::integer, $3::integer, $4::integer[],"
	"  $5::bigint, $6)"
	"  ON CONFLICT (hash) DO UPDATE SET hash = excluded.hash RETURNING *)"
	" SELECT m.id, NULL, to_jsonb(m)::text, media_json(m)::text FROM m";

/* POST /admin/media: what media_process() refuses. */
static const struct outcome refusals[] = {
	{"unsupported_type", 422, "unsupported_type",
	 "send a JPEG, PNG or WebP image with its Content-Type", NULL, NULL},
	{"type_mismatch", 422, "type_mismatch",
	 "the file is not the image its Content-Type says", NULL, NULL},
	{"too_many_pixels", 422, "too_many_pixels",
	 "the image is larger than 10000 pixels a side or 40 megapixels",
	 NULL, NULL},
	{"invalid", 422, "invalid_image",
	 "the image could not be read: truncated or damaged", NULL, NULL},
};

int media_list(struct http_req *req, struct http_res *res)
{
	return app_document(req, res, 200, SQL_LIST, NULL, "media");
}

/* The hash of the upload as 32 hex digits, in the arena. */
static const char *upload_hash(struct arena *a, const void *data, size_t len)
{
	unsigned char h[16];
	char *hex = arena_alloc(a, 33);

	if (hex == NULL ||
	    crypto_generichash(h, sizeof(h), data, len, NULL, 0) != 0)
		return NULL;
	return sodium_bin2hex(hex, 33, h, sizeof(h));
}

/* Insert the row (audited); on failure remove the files just written. */
static int store(struct http_req *req, struct http_res *res,
		 const char *hash, const struct media_image *img, bool existed)
{
	struct db_params p;
	struct buf ws;
	struct db_conn *c;
	enum db_status st;
	long long bytes = 0;
	PGresult *row;
	int status;

	buf_init(&ws, req->arena, 32);
	buf_putc(&ws, '{');
	for (int i = 0; i < img->nwidths; i++)
		buf_printf(&ws, "%s%d", i ? "," : "", img->widths[i]);
	buf_putc(&ws, '}');
	for (int i = 0; i < img->nfiles; i++)
		bytes += (long long)img->files[i].len;
	db_params_init(&p);
	db_param(&p, hash);
	db_param_int(&p, img->width);
	db_param_int(&p, img->height);
	db_param(&p, ws.failed ? NULL : ws.data);
	db_param_int(&p, bytes);
	db_param(&p, http_env(req->env, "CONTENT_TYPE"));
	if ((status = app_db(req, res, &c)) != 0) {
		if (!existed)
			remove_files(req->arena, hash, img, img->nfiles);
		return status;
	}
	st = audit_tx(c, req, "create", "media", SQL_INSERT, p.n, p.v, &row);
	if (st != DB_OK || PQntuples(row) != 1) {
		if (!existed)
			remove_files(req->arena, hash, img, img->nfiles);
		return st != DB_OK ? app_db_error(res, st)
				   : app_internal_error(res);
	}
	log_event(LOG_INFO, req->request_id, "media_created",
		  "media %s (%dx%d) by user %s", db_val(row, 0, AUDIT_ID),
		  img->width, img->height, auth_user(req)->id_text);
	return app_json_wrap(res, 201, "media", db_val(row, 0, AUDIT_DOC));
}

int media_upload(struct http_req *req, struct http_res *res)
{
	struct media_image img;
	const struct outcome *o;
	const char *why, *hash;
	bool existed = false;

	if (req->body == NULL || req->body_len == 0)
		return http_error(res, 422, "invalid_image",
				  "send the image as the request body");
	if (req->body_len > MEDIA_MAX_BYTES)
		return http_error(res, 413, "payload_too_large",
				  "an image may be at most 10 MiB");
	pthread_mutex_lock(&one_at_a_time);
	why = media_process(req->arena, req->body, req->body_len,
			    http_env(req->env, "CONTENT_TYPE"), &img);
	pthread_mutex_unlock(&one_at_a_time);
	if (why != NULL) {
		log_event(LOG_INFO, req->request_id, "media_refused", "%s",
			  why);
		return app_outcome(res, OUTCOMES(refusals), why, NULL, &o);
	}
	hash = upload_hash(req->arena, req->body, req->body_len);
	if (hash == NULL)
		return app_internal_error(res);
	if (write_files(req->arena, hash, &img, &existed) != 0) {
		log_event(LOG_ERROR, req->request_id, "media_write_failed",
			  "could not write under BOXOFFICE_MEDIA_DIR: %s",
			  strerror(errno));
		return app_internal_error(res);
	}
	return store(req, res, hash, &img, existed);
}
