// The frame of every public page (header with the language switch, main,
// footer) and small shared views (badges, error and loading states).
//
//   mount((main) => { ...build into main... });
//
// The render function runs again (from the page's own state, without
// fetching) whenever the language changes.
import '../strings/common.js';
import { api } from './api.js';
import { h, icon, markdown, replace } from './dom.js';
import { lang, onLangChange, setLang, t } from './i18n.js';

// The site settings (GET /api/site): the company's name, words, contacts
// and colour, read once per page; every mounted page redraws when they
// arrive.
let siteDoc = null;
const siteWaiters = new Set();
export const siteReady = api('/api/site').then((r) => {
  siteDoc = r.site;
  applyTheme();
  for (const fn of siteWaiters) fn();
  return siteDoc;
}).catch(() => null);

/**
 * Did the server render this page's main content (nginx includes,
 * app/pages.c)? Then a page keeps that markup until its own data has
 * arrived, instead of a spinner: nothing jumps.
 */
export const prerendered = Boolean(document.querySelector('#main > :not(.loading)'));

/** The settings, or null until they have arrived. */
export function site() {
  return siteDoc;
}

/** A {it, en} text of the settings in the page's language, else the other's. */
export function siteText(key) {
  const v = siteDoc?.[key];
  if (typeof v === 'string') return v;
  return v?.[lang()] || v?.[lang() === 'it' ? 'en' : 'it'] || '';
}

/** A page text of the settings, rendered (a fragment; empty if none). */
export function siteHtml(key) {
  const v = siteDoc?.html?.[key];
  return markdown(v?.[lang()] || v?.[lang() === 'it' ? 'en' : 'it'] || '');
}

function applyTheme() {
  const c = siteDoc?.theme_color;
  if (!c) return;
  // CSSOM, not a style attribute: the CSP (style-src 'self') allows it.
  document.documentElement.style.setProperty('--accent', c);
  document.querySelector('meta[name="theme-color"]')?.setAttribute('content', c);
}

export function mount(render, { header = true } = {}) {
  const headerEl = document.getElementById('site-header');
  const main = document.getElementById('main');
  const footerEl = document.getElementById('site-footer');
  const draw = () => {
    if (header && headerEl) renderHeader(headerEl);
    if (header && footerEl) renderFooter(footerEl);
    render(main);
  };
  draw();
  siteWaiters.add(draw);
  onLangChange(() => {
    // Keep the focus on the switch the user pressed.
    const refocus = document.activeElement?.classList.contains('lang-switch');
    draw();
    if (refocus) document.querySelector('.lang-switch')?.focus();
  });
  return { main, redraw: draw };
}

export function langSwitch() {
  const other = lang() === 'it' ? 'en' : 'it';
  return h('button', {
    type: 'button',
    class: 'lang-switch',
    lang: other,
    'aria-label': t('lang.switch_label'),
    onclick: () => setLang(other),
  }, t('lang.switch'));
}

function renderHeader(el) {
  const name = site()?.company_name ?? '';
  const logo = site()?.logo_media;
  replace(el,
    h('a', { class: 'skip-link', href: '#main' }, t('nav.skip')),
    h('div', { class: 'site-header__inner' },
      h('a', { class: 'brand', href: '/' },
        logo
          ? h('img', { class: 'brand__logo', src: logo.url, alt: '', width: 40, height: 40 })
          : h('span', { class: 'brand__mark', 'aria-hidden': 'true' }, name.slice(0, 1)),
        h('span', { class: 'brand__name' }, name)),
      h('nav', { class: 'site-nav', 'aria-label': t('nav.home') },
        h('a', { href: '/#programme' }, t('nav.home'))),
      langSwitch()));
}

function renderFooter(el) {
  const s = site();
  const contacts = [s?.contact_email ? h('a', { href: `mailto:${s.contact_email}` }, s.contact_email) : null,
    s?.phone ? h('a', { href: `tel:${s.phone.replace(/[^+0-9]/g, '')}` }, s.phone) : null].filter(Boolean);
  replace(el,
    h('div', { class: 'site-footer__inner' },
      h('p', { class: 'site-footer__name' }, s?.company_name ?? ''),
      h('p', {}, s?.address ?? ''),
      contacts.length ? h('p', {}, contacts.flatMap((c, i) => (i ? [' \u00b7 ', c] : [c]))) : null,
      h('nav', { class: 'site-footer__links', 'aria-label': t('footer.links') },
        h('a', { href: '/about' }, t('nav.about')), ' \u00b7 ',
        h('a', { href: '/contacts' }, t('nav.contacts')), ' \u00b7 ',
        h('a', { href: '/accessibility' }, t('nav.accessibility'))),
      s?.social?.length
        ? h('p', {}, t('footer.follow'), ': ', s.social.flatMap((x, i) => [i ? ', ' : null,
          h('a', { href: x.url, rel: 'me noopener' }, x.name)]))
        : null,
      h('p', { class: 'muted' }, t('footer.privacy'), ' ',
        h('a', { href: '/privacy', id: 'privacy-link' }, t('footer.privacy_link'))),
      h('p', { class: 'muted' }, h('a', { href: '/my-bookings', id: 'lookup-link' }, t('footer.lookup')))));
}

export function setTitle(...parts) {
  document.title = [...parts.filter(Boolean), site()?.company_name].filter(Boolean).join(' \u00b7 ');
}

const STATE_ICON = { available: 'check', few_left: 'alert', sold_out: 'ban', closed: 'clock', cancelled: 'cross' };

/** Availability badge: colour, icon and words (never colour alone). */
export function badge(state) {
  return h('span', { class: `badge badge--${state}` }, icon(STATE_ICON[state] ?? 'question', 'badge__icon'), t(`state.${state}`));
}

export function loading() {
  return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('loading'));
}

/** Text for an ApiError (or any error) from its code. */
export function errorText(err) {
  const code = err?.code ?? 'http_error';
  const key = `error.${code}`;
  const s = t(key);
  if (s !== key) return s;
  if (err?.status === 502 || err?.status === 503 || err?.status === 504) return t('error.unavailable');
  return t('error.http_error');
}

/** A friendly full-page message: heading, text, actions. */
export function messagePage({ kind = 'error', title, text, actions = [] }) {
  const ic = { error: 'alert', info: 'clock', gone: 'cross', ok: 'check' }[kind] ?? 'alert';
  return h('section', { class: `message message--${kind}`, 'aria-labelledby': 'message-title' },
    icon(ic, 'message__icon'),
    h('h1', { id: 'message-title', tabindex: '-1' }, title),
    [].concat(text ?? []).map((p) => h('p', {}, p)),
    actions.length ? h('p', { class: 'actions' }, actions) : null);
}
