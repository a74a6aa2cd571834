// The offer's page /offer#<token>, opened from the waiting list's offer
// email: one click (the page itself) takes the seats
// (POST /api/waitlist/accept, idempotent) and shows the ticket, as the
// confirmation page of a booking does.
import '../styles/base.css';
import '../strings/public.js';
import '../strings/waitlist.js';
import { api } from '../lib/api.js';
import { focus, h, replace } from '../lib/dom.js';
import { langChosen, t, useLang } from '../lib/i18n.js';
import { errorText, loading, messagePage, mount, setTitle } from '../lib/layout.js';
import { codeLine, details, qrBlock, statusPill, tokenOf } from '../lib/ticket-view.js';
import { TOKEN_RE } from '../lib/token.js';

const token = decodeURIComponent(location.hash.slice(1)).trim();
let phase = 'working'; // working | accepted | invalid | expired | gone | started | error
let res = null;
let error = null;

const PAGES = {
  invalid: ['error', 'wl.invalid_title', 'wl.invalid_text'],
  expired: ['info', 'wl.offer_expired_title', 'wl.offer_expired_text'],
  gone: ['gone', 'wl.offer_gone_title', 'wl.offer_gone_text'],
  started: ['info', 'wl.offer_gone_title', 'wl.offer_started_text'],
};

function render(main) {
  if (phase === 'working') {
    setTitle(t('wl.offer_title'));
    replace(main, h('div', { class: 'message' }, loading(), h('p', { class: 'visually-hidden' }, t('wl.offer_working'))));
    return;
  }
  if (PAGES[phase]) {
    const [kind, title, text] = PAGES[phase];
    setTitle(t(title));
    replace(main, messagePage({ kind, title: t(title), text: t(text),
      actions: [h('a', { class: 'btn', href: '/' }, t('back.home'))] }));
    return;
  }
  if (phase === 'error') {
    setTitle(t('error.title'));
    replace(main, messagePage({ title: t('error.title'), text: errorText(error),
      actions: [h('button', { type: 'button', class: 'btn', onclick: accept }, t('retry'))] }));
    return;
  }
  const r = res.reservation;
  const p = r.performance;
  setTitle(t('wl.offer_done'), p.show.title);
  replace(main,
    h('section', { class: 'ticket', 'aria-labelledby': 'ticket-title' },
      h('div', { class: 'ticket__head' },
        h('p', { class: 'ticket__status' }, statusPill('confirmed')),
        h('h1', { id: 'ticket-title', tabindex: '-1' }, t('wl.offer_done')),
        h('p', {}, t('confirm.hello', { name: r.name })),
        h('p', { class: 'summary__title' }, p.show.title)),
      qrBlock(res.ticket),
      h('p', { class: 'qr-help' }, t('confirm.qr_help')),
      details({ starts_at: p.starts_at, venue: p.venue, seats: r.seats }),
      h('p', { class: 'actions' },
        h('a', { class: 'btn', id: 'open-ticket', href: res.ticket.url }, t('confirm.open_ticket'))),
      codeLine(tokenOf(res.ticket.url))));
}

async function accept() {
  if (!TOKEN_RE.test(token)) {
    phase = 'invalid';
    app.redraw();
    return;
  }
  phase = 'working';
  app.redraw();
  try {
    res = await api('/api/waitlist/accept', { method: 'POST', body: { token } });
    phase = 'accepted';
  } catch (err) {
    error = err;
    phase = {
      invalid_token: 'invalid',
      offer_expired: 'expired',
      cancelled: 'gone',
      performance_started: 'started',
    }[err.code] ?? 'error';
  }
  if (!langChosen() && res?.reservation?.locale) useLang(res.reservation.locale);
  app.redraw();
  focus(document.getElementById(phase === 'accepted' ? 'ticket-title' : 'message-title'));
}

const app = mount(render);
accept();
window.addEventListener('hashchange', () => location.reload());
