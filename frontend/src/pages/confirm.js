// Confirmation page /confirm#<token>, opened from the email. The token is in
// the fragment, so it never reaches a server log; the page POSTs it to
// /api/reservations/confirm (which is idempotent: reopening the link shows
// the same ticket) and offers the QR, add-to-calendar and cancellation.
import '../styles/base.css';
import '../strings/public.js';
import { api } from '../lib/api.js';
import { focus, h, icon, replace } from '../lib/dom.js';
import { langChosen, t, useLang } from '../lib/i18n.js';
import { errorText, loading, messagePage, mount, setTitle } from '../lib/layout.js';
import { bookingCode, codeLine, details, qrBlock, statusPill, tokenOf } from '../lib/ticket-view.js';
import { TOKEN_RE } from '../lib/token.js';

const token = decodeURIComponent(location.hash.slice(1)).trim();
// "I can't come" in the reminder: /confirm?cant-come#<token> opens at the
// cancel question, one click from freeing the seats (never cancelled on
// load: mail scanners open links, some run their scripts).
const cantCome = new URLSearchParams(location.search).has('cant-come');

let phase = 'working'; // working | confirmed | cancelled | perf_cancelled | invalid | expired | closed | started | error
let res = null; // the confirm response
let error = null;
let asking = false;
let cancelling = false;
let cancelError = null;
let manageNote = null; // {text, error} after giving back seats or a resend
let managing = false;

function render(main) {
  switch (phase) {
    case 'working':
      setTitle(t('confirm.title'));
      replace(main, h('div', { class: 'message' }, loading(), h('p', { class: 'visually-hidden' }, t('confirm.working'))));
      return;
    case 'invalid':
      return page(main, 'error', 'confirm.invalid_title', 'confirm.invalid_text');
    case 'expired':
      return page(main, 'info', 'confirm.expired_title', 'confirm.expired_text', true);
    case 'closed':
      return page(main, 'info', 'confirm.closed_title', 'confirm.closed_text');
    case 'started':
      return page(main, 'info', 'confirm.started_title', 'confirm.started_text');
    case 'cancelled':
      return page(main, 'gone', 'confirm.cancelled_title', 'confirm.cancelled_text', true);
    case 'perf_cancelled':
      // The theatre's decision, not the visitor's: say so, and no QR,
      // calendar or cancel button.
      return page(main, 'gone', 'confirm.perf_cancelled_title', 'confirm.perf_cancelled_text', true);
    case 'error':
      setTitle(t('error.title'));
      replace(main, messagePage({
        title: t('error.title'),
        text: errorText(error),
        actions: [h('button', { type: 'button', class: 'btn', onclick: confirm }, t('retry'))],
      }));
      return;
    default:
      renderConfirmed(main);
  }
}

function page(main, kind, title, text, bookAgain = false) {
  setTitle(t(title));
  const slug = res?.reservation?.performance?.show?.slug;
  replace(main, messagePage({
    kind,
    title: t(title),
    text: t(text),
    actions: [
      bookAgain && slug ? h('a', { class: 'btn', href: `/shows/${slug}` }, t('confirm.book_again')) : null,
      h('a', { class: bookAgain && slug ? 'btn btn--secondary' : 'btn', href: '/' }, t('back.home')),
    ].filter(Boolean),
  }));
}

function renderConfirmed(main) {
  const r = res.reservation;
  const p = r.performance;
  setTitle(t('confirm.done'), p.show.title);
  replace(main,
    h('section', { class: 'ticket', 'aria-labelledby': 'ticket-title' },
      h('div', { class: 'ticket__head' },
        h('p', { class: 'ticket__status' }, statusPill('confirmed')),
        h('h1', { id: 'ticket-title', tabindex: '-1' }, t('confirm.done')),
        h('p', {}, t('confirm.hello', { name: r.name })),
        h('p', { class: 'summary__title' }, p.show.title)),
      qrBlock(res.ticket),
      bookingCode(r.code),
      h('p', { class: 'qr-help' }, t('confirm.qr_help')),
      details({ starts_at: p.starts_at, venue: p.venue, seats: r.seats }),
      h('p', { class: 'actions' },
        h('a', {
          class: 'btn',
          id: 'add-to-calendar',
          href: calendar(),
          download: `${p.show.slug}.ics`,
          type: 'text/calendar',
        }, icon('calendar'), t('confirm.calendar')),
        h('a', { class: 'btn btn--secondary', href: res.ticket.url }, t('confirm.open_ticket'))),
      codeLine(tokenOf(res.ticket.url)),
      manageArea(r),
      cancelArea()));
}

// Manage my booking: give back some seats (a party of 4 becomes 2), or
// have the ticket email sent again.
function manageArea(r) {
  const note = h('p', { id: 'manage-status', role: 'status', class: manageNote?.error ? 'alert' : 'notice notice--ok' },
    manageNote?.text ?? '');
  const fewer = [];
  for (let n = Math.max(1, r.seats_admitted); n < r.seats; n += 1) fewer.push(n);
  const select = h('select', { id: 'seats-select', class: 'input' },
    fewer.map((n) => h('option', { value: String(n) }, t('seats', { n }))));
  return h('section', { class: 'manage-booking', 'aria-labelledby': 'manage-title' },
    h('h2', { id: 'manage-title' }, t('manage.title')),
    fewer.length ? h('p', { class: 'actions' },
      h('label', { for: 'seats-select' }, t('manage.fewer')), ' ', select, ' ',
      h('button', {
        type: 'button', class: 'btn btn--secondary', id: 'seats-button', disabled: managing,
        onclick: () => giveBack(Number(select.value)),
      }, t('manage.give_back'))) : null,
    h('p', { class: 'actions' },
      h('button', { type: 'button', class: 'btn btn--secondary', id: 'resend-button', disabled: managing, onclick: resend },
        t('manage.resend'))),
    note);
}

async function manageCall(path, body, ok) {
  managing = true;
  app.redraw();
  try {
    const out = await api(path, { method: 'POST', body: { token, ...body } });
    manageNote = { text: ok(out) };
  } catch (err) {
    manageNote = {
      error: true,
      text: err.code === 'too_many_resends' ? t('manage.too_many')
        : err.code === 'checked_in' ? t('confirm.checked_in') : errorText(err),
    };
  }
  managing = false;
  app.redraw();
  document.getElementById('manage-status')?.focus();
}

function giveBack(seats) {
  return manageCall('/api/reservations/seats', { seats }, (out) => {
    res.reservation.seats = out.reservation.seats;
    return t('manage.given_back', { seats: t('seats', { n: out.reservation.seats }) });
  });
}

function resend() {
  return manageCall('/api/reservations/resend', {}, () => t('manage.resent'));
}

// The server's calendar file, the one the ticket email carries.
function calendar() {
  return `/api/tickets/${encodeURIComponent(tokenOf(res.ticket.url))}/event.ics`;
}

function cancelArea() {
  const status = h('p', { id: 'cancel-status', role: 'status', class: cancelError ? 'alert' : '' }, cancelError ?? '');
  if (!asking) {
    return h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn btn--secondary', id: 'cancel-button', onclick: () => ask(true) },
        t('confirm.cancel')),
      status);
  }
  return h('div', { class: 'confirm-box', role: 'group', 'aria-labelledby': 'cancel-question' },
    h('p', { id: 'cancel-question' }, t('confirm.cancel_ask')),
    h('p', { class: 'actions' },
      h('button', {
        type: 'button', class: 'btn btn--danger', id: 'cancel-yes', disabled: cancelling,
        'aria-busy': cancelling ? 'true' : null, onclick: cancel,
      }, cancelling ? t('confirm.cancelling') : t('confirm.cancel_yes')),
      h('button', { type: 'button', class: 'btn btn--secondary', id: 'cancel-no', onclick: () => ask(false) },
        t('confirm.cancel_no'))),
    status);
}

function ask(on) {
  asking = on;
  cancelError = null;
  app.redraw();
  document.getElementById(on ? 'cancel-no' : 'cancel-button')?.focus();
}

async function cancel() {
  cancelling = true;
  app.redraw();
  document.getElementById('cancel-yes')?.focus();
  try {
    const r = await api('/api/reservations/cancel', { method: 'POST', body: { token } });
    phase = r.reservation.cancelled_by === 'theatre' ? 'perf_cancelled' : 'cancelled';
    cancelling = false;
    asking = false;
    app.redraw();
    focus(document.getElementById('message-title'));
  } catch (err) {
    cancelling = false;
    cancelError = err.code === 'checked_in' ? t('confirm.checked_in')
      : err.code === 'performance_started' ? t('confirm.started_text')
        : err.code === 'invalid_token' ? t('confirm.invalid_text') : errorText(err);
    app.redraw();
    document.getElementById('cancel-status')?.focus();
  }
}

async function confirm() {
  if (!TOKEN_RE.test(token)) {
    phase = 'invalid';
    app.redraw();
    return;
  }
  phase = 'working';
  app.redraw();
  try {
    res = await api('/api/reservations/confirm', { method: 'POST', body: { token } });
    phase = res.reservation.performance.status === 'cancelled' ? 'perf_cancelled' : 'confirmed';
  } catch (err) {
    error = err;
    if (err.body?.reservation) res = { reservation: err.body.reservation };
    phase = {
      invalid_token: 'invalid',
      not_found: 'invalid',
      cancelled: 'cancelled',
      not_enough_seats: 'expired',
      booking_closed: 'closed',
      performance_started: 'started',
    }[err.code] ?? 'error';
    if (phase === 'cancelled' && (err.error.cancelled_by === 'theatre'
        || res?.reservation?.performance?.status === 'cancelled')) phase = 'perf_cancelled';
  }
  // The reservation's language, unless this browser chose one.
  if (!langChosen() && res?.reservation?.locale) useLang(res.reservation.locale);
  if (phase === 'confirmed' && cantCome) {
    asking = true;
    app.redraw();
    const yes = document.getElementById('cancel-yes');
    yes?.scrollIntoView({ block: 'center' });
    focus(yes);
    return;
  }
  app.redraw();
  focus(document.getElementById(phase === 'confirmed' ? 'ticket-title' : 'message-title'));
}

const app = mount(render);
confirm();
// A link pasted into the same tab (hash change only) is a new token.
window.addEventListener('hashchange', () => location.reload());
