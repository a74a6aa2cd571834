// Show page /shows/<slug>: the show and its performances with live
// availability (GET /api/shows/{slug}, polled while the page is visible).
import '../styles/base.css';
import '../strings/public.js';
import '../strings/waitlist.js';
import { api } from '../lib/api.js';
import { h, markdown, replace } from '../lib/dom.js';
import { dateTime, time } from '../lib/format.js';
import { t, useLang } from '../lib/i18n.js';
import { badge, errorText, loading, messagePage, mount, prerendered, setTitle } from '../lib/layout.js';
import { bookable, dayBlock, poster, seatsLeft, showText, venueLine } from '../lib/show-bits.js';

const POLL_MS = 20_000;
// /en/shows/<slug> is the English page (hreflang): shown in English without
// changing the visitor's remembered choice.
if (/^\/en\//.test(location.pathname)) useLang('en');
const slug = decodeURIComponent(location.pathname.replace(/^\/(en\/)?shows\//, '').replace(/\/$/, ''));
let show = null;
let error = null;
let updatedAt = null;

function render(main) {
  if (error?.status === 404 || (!show && !error && !/^[a-z0-9-]+$/.test(slug))) {
    setTitle(t('show.not_found_title'));
    replace(main, messagePage({
      title: t('show.not_found_title'),
      text: t('show.not_found'),
      actions: [h('a', { class: 'btn', href: '/' }, t('back.home'))],
    }));
    return;
  }
  if (error && !show) {
    setTitle(t('error.title'));
    replace(main, messagePage({
      title: t('error.title'),
      text: errorText(error),
      actions: [h('button', { type: 'button', class: 'btn', onclick: () => load(true) }, t('retry'))],
    }));
    return;
  }
  if (!show) {
    if (!prerendered) replace(main, loading()); // else the server's markup stays
    return;
  }
  setTitle(show.title);
  const tx = showText(show);
  replace(main,
    h('p', { class: 'crumbs' }, h('a', { href: '/#programme' }, t('back.home'))),
    h('article', { 'aria-labelledby': 'show-title' },
      h('div', { class: 'show-head' },
        poster(show, { lazy: false }),
        h('div', { class: 'show-head__text' },
          h('h1', { id: 'show-title' }, show.title),
          tx.subtitle ? h('p', { class: 'show-head__author', lang: tx.subtitle_lang ?? null }, tx.subtitle) : null,
          show.duration_minutes ? h('p', { class: 'muted' },
            t('show.duration', { duration: t('minutes', { n: show.duration_minutes }) })) : null,
          tx.fallback ? h('p', { class: 'muted fallback-note' }, t('text.fallback')) : null,
          tx.description_html
            ? h('div', { class: 'show-head__description', lang: tx.description_lang ?? null }, markdown(tx.description_html))
            : (tx.description ?? '').split(/\n{2,}/).filter(Boolean).map((p) => h('p', {}, p)))),
      h('section', { 'aria-labelledby': 'perfs-title' },
        h('h2', { id: 'perfs-title' }, t('show.performances')),
        h('div', { id: 'perf-list' }, perfList()))));
}

function perfList() {
  if (!show.performances.length) return h('p', {}, t('show.none'));
  return [
    h('ul', { class: 'perfs' }, show.performances.map(perfItem)),
    updatedAt ? h('p', { class: 'updated' }, t('show.updated', { time: time(updatedAt.toISOString()) })) : null,
  ];
}

function perfItem(p) {
  const { state, seats_available: n } = p.availability;
  const open = bookable(state);
  const when = dateTime(p.starts_at);
  return h('li', { class: `perf${open ? '' : ' perf--off'}`, id: `perf-${p.id}` },
    dayBlock(p.starts_at),
    h('div', { class: 'perf__info' },
      h('span', { class: 'perf__when' }, when),
      h('span', { class: 'perf__where' }, venueLine(p.venue)),
      h('span', { class: 'perf__state' },
        badge(state),
        open ? h('span', { class: 'perf__left' }, seatsLeft(n)) : null)),
    open
      ? h('div', { class: 'perf__action' },
        h('a', { class: 'btn', href: `/book/${p.id}`, 'data-key': `book-${p.id}`, 'aria-label': t('show.book_label', { date: when }) },
          t('show.book')))
      : waitlistAction(p, state, when));
}

// Sold out is not the end: the waiting list (pages/waitlist.js).
function waitlistAction(p, state, when) {
  if (state !== 'sold_out') return null;
  return h('div', { class: 'perf__action' },
    h('a', { class: 'btn btn--secondary', href: `/waitlist/${p.id}`, 'data-key': `wait-${p.id}`,
      'aria-label': t('wl.join_label', { date: when }) }, t('wl.join_short')));
}

/** Refresh only the list, keeping the keyboard focus where it was. */
function redrawList() {
  const list = document.getElementById('perf-list');
  if (!list) return app.redraw();
  const key = document.activeElement?.getAttribute('data-key');
  replace(list, perfList());
  if (key) list.querySelector(`[data-key="${key}"]`)?.focus();
}

let timer = null;
async function load(full = false) {
  if (full) {
    error = null;
    app.redraw();
  }
  try {
    show = (await api(`/api/shows/${encodeURIComponent(slug)}`)).show;
    updatedAt = new Date();
    error = null;
  } catch (err) {
    // A failed poll keeps the last data on screen.
    if (!show || err.status === 404) {
      show = err.status === 404 ? null : show;
      error = err;
    }
  }
  if (full || !show) app.redraw();
  else redrawList();
  clearTimeout(timer);
  if (show) timer = setTimeout(poll, POLL_MS);
}

function poll() {
  if (document.visibilityState === 'visible') load(false);
  else timer = setTimeout(poll, POLL_MS);
}
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && show && updatedAt && Date.now() - updatedAt > POLL_MS) load(false);
});

const app = mount(render);
if (/^[a-z0-9-]+$/.test(slug)) load(true);
