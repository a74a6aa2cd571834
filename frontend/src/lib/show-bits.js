// Pieces shared by the programme, show and booking pages.
import { h } from './dom.js';
import { lang, t } from './i18n.js';
import { dateTime, shortDate, time } from './format.js';
import { badge } from './layout.js';

/**
 * The show's picture (always sized: 16:9, 640x360 box), or a typographic
 * poster when it has none. Only images on this site load (CSP img-src).
 */
export function poster(show, { lazy = true } = {}) {
  if (show.image) {
    // The uploaded image: WebP where the browser takes it, JPEG else.
    const sizes = '(min-width: 48rem) 640px, 100vw';
    return h('picture', {},
      h('source', { type: 'image/webp', srcset: show.image.srcset_webp, sizes }),
      h('img', {
        class: 'poster',
        src: show.image.url,
        srcset: show.image.srcset_jpeg,
        sizes,
        alt: '',
        width: 640,
        height: 360,
        loading: lazy ? 'lazy' : 'eager',
        decoding: 'async',
      }));
  }
  if (show.image_url) {
    return h('img', {
      class: 'poster',
      src: show.image_url,
      alt: '',
      width: 640,
      height: 360,
      loading: lazy ? 'lazy' : 'eager',
      decoding: 'async',
    });
  }
  return h('div', { class: 'poster poster--text', 'aria-hidden': 'true' }, show.title);
}

/**
 * A show's texts in the page's language: {subtitle, description,
 * description_html, description_lang, fallback} (the server fills a
 * missing language from the other and says so).
 */
export function showText(show) {
  return show.texts?.[lang()] ?? { subtitle: show.subtitle ?? '', description: show.description ?? '' };
}

export function venueLine(v) {
  return [v?.name, v?.address, v?.city].filter(Boolean).join(', ');
}

/** The performance summary above the booking form and on tickets. */
export function perfSummary(perf, show, { withBadge = true } = {}) {
  return h('div', { class: 'summary' },
    h('span', { class: 'summary__title' }, show.title),
    h('span', {}, dateTime(perf.starts_at)),
    h('span', { class: 'muted' }, venueLine(perf.venue)),
    withBadge && perf.availability ? badge(perf.availability.state) : null);
}

export function dayBlock(iso) {
  // "sab 28 nov" → day number big, month small.
  const parts = shortDate(iso).split(' ');
  return h('span', { class: 'perf__date', 'aria-hidden': 'true' },
    h('span', { class: 'perf__month' }, parts[0]),
    h('span', { class: 'perf__day' }, parts[1]),
    h('span', { class: 'perf__month' }, parts.slice(2).join(' ')));
}

export function bookable(state) {
  return state === 'available' || state === 'few_left';
}

export { time };
export function seatsLeft(n) {
  return t('seats.left', { n });
}
