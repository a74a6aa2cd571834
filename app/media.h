/*
 * media: uploaded images (posters, the logo). An upload is decoded and
 * re-encoded by libvips into a few widths, WebP and a JPEG fallback, with
 * no metadata, named after its content, under BOXOFFICE_MEDIA_DIR, which
 * nginx serves at /media/.
 */
#ifndef BOXOFFICE_MEDIA_H
#define BOXOFFICE_MEDIA_H

#include "../lib/http.h"

#include <stddef.h>

struct arena;

/* The largest upload, in bytes (nginx's client_max_body_size says the
 * same for the route). */
#define MEDIA_MAX_BYTES ((size_t)10 * 1024 * 1024)

/* The largest image accepted, read from its header before decoding: each
 * side, and the pixels in all. */
#define MEDIA_MAX_SIDE 10000
#define MEDIA_MAX_PIXELS ((long long)40 * 1000 * 1000)

/* The widths made (at most the image's own), smallest first. */
#define MEDIA_MAX_VARIANTS 3

/*
 * Set libvips up once in main(), before any thread: VIPS_INIT, one
 * thread per operation, no operation cache, only the JPEG, PNG and WebP
 * loaders allowed. 0, or -1 (the reason is logged).
 */
int media_init(const char *argv0);

/* POST /admin/media, GET /admin/media (admin). */
int media_upload(struct http_req *req, struct http_res *res);
int media_list(struct http_req *req, struct http_res *res);

struct media_file {
	int width;
	const char *ext;	/* "webp" or "jpg" */
	const void *data;	/* in the arena */
	size_t len;
};

struct media_image {
	int width, height;	/* of the largest variant, rotated */
	int widths[MEDIA_MAX_VARIANTS];
	int nwidths;
	struct media_file files[2 * MEDIA_MAX_VARIANTS];
	int nfiles;
};

/*
 * Decode data (of the declared content type) and encode every variant
 * into out, all in the arena (pure: no disk, no database; fuzzed).
 * Returns NULL on success, else the reason the image is refused
 * ("unsupported_type", "type_mismatch", "too_many_pixels", "invalid").
 */
const char *media_process(struct arena *a, const void *data, size_t len,
			  const char *content_type, struct media_image *out);

#endif
