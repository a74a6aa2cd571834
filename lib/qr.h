/*
 * qr: QR codes for tickets, as SVG (web pages, the JSON API) and as PNG
 * (inline in the ticket email), over libqrencode and libpng.
 *
 * The text is encoded in 8-bit mode at error-correction level M in the
 * smallest version that holds it, and drawn black on white with the
 * 4-module quiet zone scanners need. Nothing but the modules ends up in the
 * image: no title or text carrying the payload.
 */
#ifndef BOXOFFICE_QR_H
#define BOXOFFICE_QR_H

#include <stddef.h>

struct arena;
struct buf;

#define QR_TEXT_MAX	 1000 /* bytes of text we agree to encode */
#define QR_QUIET	 4    /* modules of white border on each side */
#define QR_SVG_SCALE	 8    /* px per module in the SVG's width/height */
#define QR_PNG_MAX_SCALE 32   /* px per module, at most */

/*
 * Append to out (already buf_init'ed on a) a standalone SVG document of
 * the QR code for the NUL-terminated text (1 to QR_TEXT_MAX bytes). Its
 * viewBox counts modules, quiet zone included, and its width/height are
 * QR_SVG_SCALE px per module (CSS may resize it; crispEdges keeps it
 * sharp). Returns 0, or -1 with out->len as it was (or out->failed when
 * out of memory). Everything is freed or registered on a.
 */
int qr_svg(struct arena *a, const char *text, struct buf *out);

/*
 * Append to out (already buf_init'ed on a) a PNG of the QR code for the
 * NUL-terminated text (1 to QR_TEXT_MAX bytes): 1-bit grayscale, scale px
 * (1 to QR_PNG_MAX_SCALE) per module, quiet zone included, so the image is
 * (modules + 2 * QR_QUIET) * scale px square. Returns 0, or -1 with
 * out->len as it was (or out->failed when out of memory). Everything is
 * freed or registered on a.
 */
int qr_png(struct arena *a, const char *text, int scale, struct buf *out);

/* The two sizes the tickets use: on a screen (/api/tickets/{t}/qr.png,
 * big enough for a door scanner to read off a dimmed phone) and inline
 * in the ticket email (whose clients scale images down anyway). */
#define QR_SCALE_SCREEN 10
#define QR_SCALE_MAIL 8

#endif
