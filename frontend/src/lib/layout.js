// The frame of every public page (header with the language switch, main,
// footer) and small shared views (badges, error and loading states).
//
//   mount((main) => { ...build into main... });
//
// The render function runs again (from the page's own state, without
// fetching) whenever the language changes.
import '../strings/common.js';
import { h, icon, replace } from './dom.js';
import { lang, onLangChange, setLang, t } from './i18n.js';

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
  replace(el,
    h('a', { class: 'skip-link', href: '#main' }, t('nav.skip')),
    h('div', { class: 'site-header__inner' },
      h('a', { class: 'brand', href: '/' },
        h('span', { class: 'brand__mark', 'aria-hidden': 'true' }, 'P'),
        h('span', { class: 'brand__name' }, t('company.name'))),
      h('nav', { class: 'site-nav', 'aria-label': t('nav.home') },
        h('a', { href: '/#programme' }, t('nav.home'))),
      langSwitch()));
}

function renderFooter(el) {
  replace(el,
    h('div', { class: 'site-footer__inner' },
      h('p', {}, t('company.address')),
      h('p', { class: 'muted' }, t('footer.privacy'), ' ',
        h('a', { href: '/privacy', id: 'privacy-link' }, t('footer.privacy_link'))),
      h('p', { class: 'muted' }, h('a', { href: '/my-bookings', id: 'lookup-link' }, t('footer.lookup')))));
}

export function setTitle(...parts) {
  document.title = [...parts.filter(Boolean), t('company.name')].join(' \u00b7 ');
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
