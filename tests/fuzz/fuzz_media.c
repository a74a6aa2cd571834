/*
 * fuzz_media: the upload decode path (app/media.c, media_process) with
 * libvips set up as the workers set it up (media_init: only the JPEG, PNG
 * and WebP loaders, untrusted loaders blocked, one thread, no cache).
 * Whatever is accepted must come out as complete WebP and JPEG files,
 * widths ascending and no wider than the largest variant; whatever is
 * refused must say why with one of the codes the handler knows.
 *
 * Input: byte 0 picks the declared Content-Type (mod 4: image/jpeg,
 * image/png, image/webp, text/html), the rest is the body. Seeds are tiny
 * real images made with the vips command line.
 */
#include "fuzz.h"

#include "../../app/app.h"
#include "../../app/media.h"
#include "../../lib/arena.h"

#include <stdbool.h>

struct app app;

static const char *const types[4] = {"image/jpeg", "image/png",
				     "image/webp", "text/html"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	if (media_init((*argv)[0]) != 0)
		abort();
	return 0;
}

static bool known(const char *why)
{
	return strcmp(why, "unsupported_type") == 0 ||
	       strcmp(why, "type_mismatch") == 0 ||
	       strcmp(why, "too_many_pixels") == 0 ||
	       strcmp(why, "invalid") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a;
	struct media_image img;
	const char *why;

	if (size < 1)
		return 0;
	a = arena_new(4096);
	FUZZ_CHECK(a != NULL);
	why = media_process(a, data + 1, size - 1, types[data[0] % 4], &img);
	if (why != NULL) {
		FUZZ_CHECK(known(why));
		FUZZ_CHECK(data[0] % 4 != 3 || strcmp(why, "unsupported_type") == 0);
	} else {
		FUZZ_CHECK(data[0] % 4 != 3);
		FUZZ_CHECK(img.nwidths >= 1 && img.nwidths <= MEDIA_MAX_VARIANTS);
		FUZZ_CHECK(img.nfiles == 2 * img.nwidths);
		FUZZ_CHECK(img.width == img.widths[img.nwidths - 1]);
		for (int i = 1; i < img.nwidths; i++)
			FUZZ_CHECK(img.widths[i] > img.widths[i - 1]);
		for (int i = 0; i < img.nfiles; i++) {
			const struct media_file *f = &img.files[i];
			const unsigned char *p = f->data;

			FUZZ_CHECK(f->len > 12 && f->width <= 1280);
			if (strcmp(f->ext, "jpg") == 0)
				FUZZ_CHECK(p[0] == 0xFF && p[1] == 0xD8);
			else
				FUZZ_CHECK(memcmp(p, "RIFF", 4) == 0 &&
					   memcmp(p + 8, "WEBP", 4) == 0);
		}
	}
	arena_free(a);
	return 0;
}
