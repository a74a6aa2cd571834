// The waiting list, two pages in one:
//   /waitlist/<performance id>  join: name, email, party size, "or at least";
//                               then "check your email";
//   /waitlist#<token>           the link of the confirmation email: confirms
//                               (POST /api/waitlist/confirm, idempotent),
//                               shows the place in line or the offer, and
//                               lets the visitor leave (POST /api/waitlist/leave).
// The rules ("what happens when a seat comes back") are on both.
import '../styles/base.css';
import '../strings/public.js';
import '../strings/waitlist.js';
import { api } from '../lib/api.js';
import { focus, h, replace } from '../lib/dom.js';
import { time } from '../lib/format.js';
import { lang, langChosen, t, useLang } from '../lib/i18n.js';
import { errorText, loading, messagePage, mount, setTitle } from '../lib/layout.js';
import { perfSummary } from '../lib/show-bits.js';
import { TOKEN_RE } from '../lib/token.js';

const perfId = location.pathname.replace(/^\/waitlist\/?/, '').replace(/\/$/, '');
const token = decodeURIComponent(location.hash.slice(1)).trim();
const joining = /^[1-9][0-9]*$/.test(perfId);

let site = null; // GET /api/site: offer_minutes
let perf = null;
let loadError = null;
let sent = null; // {email} after a 201
let entry = null; // the entry, from confirm or leave
let phase = 'working'; // working | entry | invalid | link_expired | error
let error = null;
let busy = false;
let askingLeave = false;
const values = { name: '', email: '', seats: '2', min: '' };
let formError = null;
let fieldErrors = {};

function rules() {
  const minutes = site ? String(site.offer_minutes) : '30';
  return h('section', { class: 'card wl-rules', 'aria-labelledby': 'wl-rules-title' },
    h('h2', { id: 'wl-rules-title' }, t('wl.rules_title')),
    h('ol', {}, [1, 2, 3, 4].map((i) => h('li', {}, t(`wl.rule${i}`, { minutes })))));
}

function render(main) {
  if (joining) return renderJoin(main);
  return renderEntry(main);
}

// ---- join ---------------------------------------------------------------

function renderJoin(main) {
  if (loadError) {
    setTitle(t('error.title'));
    replace(main, messagePage({ title: loadError.status === 404 ? t('book.not_found_title') : t('error.title'),
      text: loadError.status === 404 ? t('book.not_found') : errorText(loadError),
      actions: [h('a', { class: 'btn', href: '/' }, t('back.home'))] }));
    return;
  }
  if (!perf) return replace(main, loading());
  if (sent) {
    setTitle(t('wl.sent_title'));
    replace(main, messagePage({ kind: 'info', title: t('wl.sent_title'),
      text: [t('wl.sent_text', { email: sent.email }), t('sent.spam')] }), rules());
    return;
  }
  setTitle(t('wl.join_title'), perf.show.title);
  const max = Math.max(1, perf.max_seats_per_reservation || 6);
  if (Number(values.seats) > max) values.seats = String(max);
  const seats = h('select', { class: 'input', id: 'f-seats', name: 'seats',
    onchange: (e) => { values.seats = e.target.value; app.redraw(); } },
  Array.from({ length: max }, (_, i) => h('option', { value: String(i + 1) }, t('seats', { n: i + 1 }))));
  seats.value = values.seats;
  const n = Number(values.seats);
  const min = h('select', { class: 'input', id: 'f-min_seats', name: 'min_seats',
    onchange: (e) => { values.min = e.target.value; } },
  h('option', { value: '' }, t('wl.at_least_all')),
  Array.from({ length: Math.max(0, n - 1) }, (_, i) => h('option', { value: String(i + 1) }, t('seats', { n: i + 1 }))));
  if (Number(values.min) >= n) values.min = '';
  min.value = values.min;
  const input = (name, attrs) => {
    const el = h('input', { class: 'input', id: `f-${name}`, name, value: values[name], ...attrs });
    el.addEventListener('input', () => { values[name] = el.value; });
    return el;
  };
  const fieldBox = (name, label, control) => h('div', { class: 'field' },
    h('label', { for: `f-${name}` }, label), control,
    fieldErrors[name] ? h('p', { class: 'field-error' }, fieldMessage(name, fieldErrors[name])) : null);
  replace(main,
    h('p', { class: 'crumbs' }, h('a', { href: `/shows/${perf.show.slug}` }, perf.show.title)),
    h('div', { class: 'book-layout' },
      h('div', {},
        h('h1', { id: 'wl-title' }, t('wl.join_heading')),
        perfSummary(perf, perf.show),
        h('p', {}, t(perf.availability.state === 'sold_out' ? 'wl.sold_out_hint' : 'wl.few_hint'))),
      h('form', { class: 'form card', novalidate: true, 'aria-labelledby': 'wl-title', onsubmit: submit },
        h('div', { id: 'form-alert', class: formError ? 'alert' : '', role: 'alert', tabindex: '-1' }, formError ?? ''),
        fieldBox('name', t('book.name'), input('name', { type: 'text', autocomplete: 'name', maxlength: 200, required: true })),
        fieldBox('email', t('book.email'), input('email', { type: 'email', autocomplete: 'email', inputmode: 'email', maxlength: 254, required: true })),
        fieldBox('seats', t('wl.party'), seats),
        n > 1 ? fieldBox('min_seats', t('wl.at_least'), min) : null,
        h('button', { class: 'btn', type: 'submit', id: 'wl-submit', disabled: busy }, busy ? t('book.sending') : t('wl.submit')))),
    rules());
}

function fieldMessage(name, code) {
  const specific = `field.${code}.${name}`;
  const s = t(specific);
  return s === specific ? t(`field.${code}`) : s;
}

async function submit(event) {
  event.preventDefault();
  if (busy) return;
  formError = null;
  fieldErrors = {};
  if (!values.name.trim()) fieldErrors.name = 'required';
  if (!/^[^\s@]+@[^\s@]+$/.test(values.email.trim())) fieldErrors.email = values.email.trim() ? 'invalid' : 'required';
  if (Object.keys(fieldErrors).length) {
    formError = t('book.errors', { n: Object.keys(fieldErrors).length });
    app.redraw();
    focus(document.getElementById('form-alert'));
    return;
  }
  const body = { name: values.name.trim(), email: values.email.trim(), seats: Number(values.seats), locale: lang() };
  if (values.min && Number(values.min) < body.seats) body.min_seats = Number(values.min);
  busy = true;
  app.redraw();
  try {
    await api(`/api/performances/${perfId}/waitlist`, { method: 'POST', body });
    sent = { email: body.email };
    busy = false;
    app.redraw();
    focus(document.getElementById('message-title'));
    return;
  } catch (err) {
    busy = false;
    if (err.status === 422 && err.fields) {
      fieldErrors = err.fields;
      formError = t('book.errors', { n: Object.keys(err.fields).length });
    } else if (err.code === 'seats_available') {
      formError = t('error.seats_available');
    } else if (err.code === 'booking_closed') {
      formError = t('book.booking_closed');
    } else {
      formError = errorText(err);
    }
  }
  app.redraw();
  focus(document.getElementById('form-alert'));
}

// ---- the entry ----------------------------------------------------------

function renderEntry(main) {
  switch (phase) {
    case 'working':
      setTitle(t('wl.join_title'));
      return replace(main, h('div', { class: 'message' }, loading(), h('p', { class: 'visually-hidden' }, t('wl.working'))));
    case 'invalid':
      return message(main, 'error', 'wl.invalid_title', 'wl.invalid_text');
    case 'link_expired':
      return message(main, 'info', 'wl.expired_title', 'wl.link_expired_text');
    case 'error':
      setTitle(t('error.title'));
      return replace(main, messagePage({ title: t('error.title'), text: errorText(error),
        actions: [h('button', { type: 'button', class: 'btn', onclick: () => call('/api/waitlist/confirm') }, t('retry'))] }));
    default:
      return entryView(main);
  }
}

function message(main, kind, title, text, extra = []) {
  setTitle(t(title));
  const slug = entry?.performance?.show?.slug;
  replace(main, messagePage({ kind, title: t(title), text: [].concat(t(text), extra),
    actions: [slug ? h('a', { class: 'btn btn--secondary', href: `/shows/${slug}` }, t('book.other_dates')) : null,
      h('a', { class: 'btn', href: '/' }, t('back.home'))].filter(Boolean) }));
}

function party(e) {
  return e.min_seats < e.seats ? t('wl.party_least', { n: e.seats, min: e.min_seats }) : t('wl.party_line', { n: e.seats });
}

function entryView(main) {
  const e = entry;
  const p = e.performance;
  if (e.state === 'left') return message(main, 'gone', 'wl.left_title', 'wl.left_text');
  if (e.state === 'closed') {
    return message(main, 'gone', 'wl.closed_title', e.closed_reason === 'cancelled' ? 'wl.cancelled_text' : 'wl.closed_text');
  }
  if (e.state === 'accepted') return message(main, 'ok', 'wl.accepted_title', 'wl.accepted_text');
  if (e.state === 'expired') return message(main, 'info', 'wl.expired_title', 'wl.expired_text');
  const offered = e.state === 'offered' && e.offer;
  const title = offered ? t('wl.offered_title') : t('wl.position_title');
  setTitle(title, p.show.title);
  replace(main,
    h('section', { class: 'message message--ok', 'aria-labelledby': 'message-title' },
      h('h1', { id: 'message-title', tabindex: '-1' }, title),
      perfSummary({ ...p, availability: p.availability }, p.show, { withBadge: false }),
      h('p', { id: 'wl-party' }, party(e)),
      offered
        ? h('p', { id: 'wl-offer', class: 'notice notice--ok' },
          t('wl.offered_text', { seats: t('seats', { n: e.offer.seats }), time: time(e.offer.expires_at) }))
        : h('p', { id: 'wl-position', class: 'wl-position' }, t('wl.position', { n: e.position })),
      h('p', { class: 'actions' },
        h('button', { type: 'button', class: 'btn btn--secondary', id: 'wl-refresh', disabled: busy,
          onclick: () => call('/api/waitlist/confirm') }, t('wl.refresh')),
        askingLeave ? null : h('button', { type: 'button', class: 'btn btn--secondary', id: 'wl-leave', disabled: busy,
          onclick: () => { askingLeave = true; app.redraw(); document.getElementById('wl-leave-no')?.focus(); } },
        t('wl.leave'))),
      askingLeave ? h('div', { class: 'confirm-box', role: 'group', 'aria-labelledby': 'wl-leave-question' },
        h('p', { id: 'wl-leave-question' }, t(offered ? 'wl.leave_ask_offer' : 'wl.leave_ask')),
        h('p', { class: 'actions' },
          h('button', { type: 'button', class: 'btn btn--danger', id: 'wl-leave-yes', disabled: busy,
            onclick: () => { askingLeave = false; call('/api/waitlist/leave'); } }, busy ? t('wl.leaving') : t('wl.leave_yes')),
          h('button', { type: 'button', class: 'btn btn--secondary', id: 'wl-leave-no',
            onclick: () => { askingLeave = false; app.redraw(); document.getElementById('wl-leave')?.focus(); } }, t('wl.leave_no'))))
        : null),
    rules());
}

async function call(path) {
  if (!TOKEN_RE.test(token)) {
    phase = 'invalid';
    app.redraw();
    return;
  }
  busy = true;
  app.redraw();
  try {
    entry = (await api(path, { method: 'POST', body: { token } })).entry;
    phase = 'entry';
  } catch (err) {
    error = err;
    phase = { invalid_token: 'invalid', expired: 'link_expired' }[err.code] ?? 'error';
    if (err.code === 'booking_closed' || err.code === 'over') {
      phase = 'entry';
      entry = entry ?? { state: 'closed', performance: null };
    }
  }
  busy = false;
  if (!langChosen() && entry?.locale) useLang(entry.locale);
  app.redraw();
  focus(document.getElementById('message-title'));
}

const app = mount(render);
api('/api/site').then((r) => { site = r.site; app.redraw(); }).catch(() => {});
if (joining) {
  api(`/api/performances/${perfId}`)
    .then((r) => { perf = r.performance; app.redraw(); })
    .catch((err) => { loadError = err; app.redraw(); });
} else {
  call('/api/waitlist/confirm');
  window.addEventListener('hashchange', () => location.reload());
}
