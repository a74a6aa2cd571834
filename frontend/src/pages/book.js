// Booking form /book/<performance id> (GET /api/performances/{id},
// POST /api/performances/{id}/reservations), then "check your email".
//
// The browser checks what it can at once (required fields, lengths, the
// shape of an email address); the API has the last word and its 422
// `fields` are shown the same way, next to each field and in a summary
// that is announced (role=alert) and focused.
import '../styles/base.css';
import '../strings/public.js';
import '../strings/waitlist.js';
import { api } from '../lib/api.js';
import { focus, h, icon, replace } from '../lib/dom.js';
import { time } from '../lib/format.js';
import { lang, t } from '../lib/i18n.js';
import { errorText, loading, messagePage, mount, setTitle } from '../lib/layout.js';
import { bookable, perfSummary } from '../lib/show-bits.js';
import { emailTypo } from '../lib/email-typo.js';

const id = location.pathname.replace(/^\/book\//, '').replace(/\/$/, '');
const FIELDS = ['name', 'email', 'seats', 'phone', 'notes'];

let perf = null;
let loadError = null;
let sent = null; // {email, seats, expires_at} after a 201

// "Check your email" survives a reload: the booking is kept in this tab's
// page storage until its hold ends (no token: the 201 carries none).
const SENT_KEY = `bo.sent.${location.pathname}`;
function keepSent(s) {
  try {
    sessionStorage.setItem(SENT_KEY, JSON.stringify(s));
  } catch {
    // storage disabled: a reload shows the form again
  }
}
try {
  const s = JSON.parse(sessionStorage.getItem(SENT_KEY) ?? 'null');
  if (s && Date.parse(s.expires_at) > Date.now()) sent = s;
} catch {
  sent = null;
}
// "Send me the link again" (POST /api/reservations/resend by performance
// and address: this page holds no token). The server allows 4 messages
// of a kind per reservation, the first included, so 3 more from here.
const RESENDS = 3;
let resends = sent?.resends ?? 0;
let resending = false;
let resendNote = null;

async function resend() {
  resending = true;
  app.redraw();
  try {
    await api('/api/reservations/resend', { method: 'POST', body: { performance_id: Number(id), email: sent.email } });
    resends += 1;
    keepSent({ ...sent, resends });
    resendNote = resends >= RESENDS ? t('sent.resend_limit') : t('sent.resent', { email: sent.email });
  } catch (err) {
    resendNote = errorText(err);
  }
  resending = false;
  app.redraw();
  document.getElementById('resend-status')?.focus();
}

const values = { name: '', email: '', seats: '1', phone: '', notes: '' };
let errors = {}; // field -> API field code
let formError = null; // text for the whole form
let sending = false;

function render(main) {
  if (loadError?.status === 404 || !/^[1-9][0-9]*$/.test(id)) {
    setTitle(t('book.not_found_title'));
    replace(main, messagePage({
      title: t('book.not_found_title'),
      text: t('book.not_found'),
      actions: [h('a', { class: 'btn', href: '/' }, t('back.home'))],
    }));
    return;
  }
  if (loadError) {
    setTitle(t('error.title'));
    replace(main, messagePage({
      title: t('error.title'),
      text: errorText(loadError),
      actions: [h('button', { type: 'button', class: 'btn', onclick: load }, t('retry'))],
    }));
    return;
  }
  if (!perf) {
    replace(main, loading());
    return;
  }
  if (sent) {
    setTitle(t('sent.title'));
    // A step still to do, not a success: nothing is booked until the link
    // in the email is opened.
    replace(main, messagePage({
      kind: 'info',
      title: t('sent.title'),
      text: [
        sent.already ? t('sent.already') : t('sent.not_yet'),
        t('sent.text', { email: sent.email }),
        sent.seats ? t('sent.hold', { seats: t('seats', { n: sent.seats }), time: time(sent.expires_at) })
          : t('sent.hold_until', { time: time(sent.expires_at) }),
        t('sent.spam'),
      ],
      actions: [
        h('button', {
          type: 'button', class: 'btn', id: 'resend-link', disabled: resending || resends >= RESENDS,
          'aria-busy': resending ? 'true' : null, onclick: resend,
        }, t('sent.resend')),
        h('a', { class: 'btn btn--secondary', href: `/shows/${perf.show.slug}` }, t('sent.again')),
      ],
    }));
    main.append(h('p', { id: 'resend-status', role: 'status', class: 'notice', tabindex: '-1' }, resendNote ?? ''),
      h('p', { class: 'muted' }, t('sent.wrong_address')));
    return;
  }
  setTitle(t('book.title'), perf.show.title);
  const state = perf.availability.state;
  replace(main,
    h('p', { class: 'crumbs' }, h('a', { href: `/shows/${perf.show.slug}` }, perf.show.title)),
    h('div', { class: 'book-layout' },
      h('div', {},
        h('h1', { id: 'book-title' }, t('book.heading')),
        perfSummary(perf, perf.show)),
      bookable(state) ? h('div', {}, form(), waitlistNote(state)) : closedNote(state)));
  showErrors(false);
}

function closedNote(state) {
  const key = { sold_out: 'book.sold_out', cancelled: 'book.cancelled' }[state] ?? 'book.closed';
  return h('div', { class: 'card' },
    // The booking closed between loading the page and sending the form.
    formError ? h('p', { class: 'alert', role: 'alert' }, formError) : null,
    h('p', { class: 'alert alert--info', role: 'status' }, t(key)),
    state === 'sold_out'
      ? h('p', {}, t('wl.sold_out_hint'), ' ',
        h('a', { class: 'btn', id: 'waitlist-link', href: `/waitlist/${id}` }, t('wl.join')))
      : null,
    h('p', {}, h('a', { class: 'btn btn--secondary', href: `/shows/${perf.show.slug}` }, t('book.other_dates'))));
}

// Fewer seats left than the party needs: the waiting list.
function waitlistNote(state) {
  if (state !== 'few_left') return null;
  return h('p', { class: 'muted small' }, t('wl.few_hint'), ' ',
    h('a', { id: 'waitlist-link', href: `/waitlist/${id}` }, t('wl.join')));
}

function maxSeats() {
  return Math.max(1, Math.min(perf.max_seats_per_reservation || 1, perf.availability.seats_available || 1));
}

function field(name, label, control, hint) {
  const ids = [hint ? `f-${name}-hint` : null, `f-${name}-err`].filter(Boolean).join(' ');
  control.id = `f-${name}`;
  control.name = name;
  control.setAttribute('aria-describedby', ids);
  control.addEventListener('input', () => {
    values[name] = control.value;
  });
  // Re-check a field when leaving it, once it has been flagged.
  control.addEventListener('blur', () => {
    if (!errors[name]) return;
    const again = clientCheck()[name];
    if (again !== errors[name]) {
      if (again) errors[name] = again;
      else delete errors[name];
      showErrors(false);
    }
  });
  return h('div', { class: 'field' },
    h('label', { for: `f-${name}` }, label),
    hint ? h('p', { class: 'hint', id: `f-${name}-hint` }, hint) : null,
    control,
    h('p', { class: 'field-error', id: `f-${name}-err` }));
}

let emailLeft = false; // the visitor has left the email field once

// The email field, with a warning (never a block) for a likely typo in
// its domain, checked when the visitor leaves the field.
function emailField() {
  const input = h('input', {
    class: 'input', type: 'email', autocomplete: 'email', inputmode: 'email', spellcheck: 'false',
    maxlength: 254, required: true, value: values.email,
  });
  const warn = h('p', { class: 'hint hint--warn', id: 'email-typo', role: 'status' });
  const check = () => {
    const typo = emailTypo(values.email.trim());
    if (!typo) return replace(warn);
    if (typo.kind === 'tld') return replace(warn, t('book.email_tld'));
    return replace(warn, t('book.email_typo', { email: typo.suggestion }), ' ',
      h('button', {
        type: 'button', class: 'btn btn--small btn--secondary', id: 'email-typo-fix',
        onclick: () => { input.value = typo.suggestion; values.email = typo.suggestion; replace(warn); input.focus(); },
      }, t('book.email_typo_fix')));
  };
  input.addEventListener('blur', () => { emailLeft = true; check(); });
  // Re-rendered (a language switch): the warning stays.
  if (emailLeft) check();
  const f = field('email', t('book.email'), input, t('book.email_hint'));
  f.append(warn);
  return f;
}

function form() {
  const n = maxSeats();
  if (Number(values.seats) > n) values.seats = String(n);
  const seats = h('select', { class: 'input' },
    Array.from({ length: n }, (_, i) => h('option', { value: String(i + 1) }, t('seats', { n: i + 1 }))));
  seats.value = values.seats;
  return h('form', { class: 'form card', novalidate: true, 'aria-labelledby': 'book-title', onsubmit: submit },
    h('div', { id: 'form-alert', class: 'alert', role: 'alert', tabindex: '-1' }),
    h('p', { class: 'muted small' }, t('book.required_note')),
    field('name', t('book.name'), h('input', {
      class: 'input', type: 'text', autocomplete: 'name', maxlength: 200, required: true, value: values.name,
    })),
    emailField(),
    field('seats', t('book.seats'), seats),
    field('phone', t('book.phone'), h('input', {
      class: 'input', type: 'tel', autocomplete: 'tel', maxlength: 60, value: values.phone,
    }), t('book.phone_hint')),
    field('notes', t('book.notes'), h('textarea', { class: 'input', rows: 3, maxlength: 1000 }, values.notes), t('book.notes_hint')),
    h('button', { class: 'btn', type: 'submit', disabled: sending, 'aria-busy': sending ? 'true' : null },
      sending ? t('book.sending') : t('book.submit')));
}

/** The checks the API makes that the browser can make too. */
function clientCheck() {
  const e = {};
  const name = values.name.trim();
  const email = values.email.trim();
  if (!name) e.name = 'required';
  else if ([...name].length > 120) e.name = 'too_long';
  if (!email) e.email = 'required';
  else if (email.length > 254) e.email = 'too_long';
  else if (!/^[^\s@]+@[^\s@]+$/.test(email)) e.email = 'invalid';
  if (values.phone.trim() && values.phone.trim().length > 40) e.phone = 'too_long';
  if ([...values.notes].length > 1000) e.notes = 'too_long';
  return e;
}

function fieldMessage(name, code) {
  if (code === 'too_many') return t('field.too_many', { n: perf.max_seats_per_reservation });
  const specific = `field.${code}.${name}`;
  const s = t(specific);
  return s === specific ? t(`field.${code}`) : s;
}

const LABELS = { name: 'book.name', email: 'book.email', seats: 'book.seats', phone: 'book.phone', notes: 'book.notes' };

/** Put errors and formError on the page; with moveFocus, focus the summary. */
function showErrors(moveFocus) {
  const alertBox = document.getElementById('form-alert');
  if (!alertBox) return;
  for (const name of FIELDS) {
    const control = document.getElementById(`f-${name}`);
    const out = document.getElementById(`f-${name}-err`);
    if (!control || !out) continue;
    const code = errors[name];
    if (code) {
      control.setAttribute('aria-invalid', 'true');
      replace(out, icon('alert'), fieldMessage(name, code));
    } else {
      control.removeAttribute('aria-invalid');
      replace(out);
    }
  }
  const flagged = FIELDS.filter((f) => errors[f]);
  const other = Object.keys(errors).filter((f) => !FIELDS.includes(f));
  if (!flagged.length && !other.length && !formError) {
    replace(alertBox);
    return;
  }
  replace(alertBox,
    formError ?? t('book.errors', { n: flagged.length + other.length }),
    flagged.length
      ? h('ul', {}, flagged.map((f) => h('li', {},
        h('a', { href: `#f-${f}`, onclick: (e) => { e.preventDefault(); document.getElementById(`f-${f}`)?.focus(); } },
          `${t(LABELS[f])}: ${fieldMessage(f, errors[f])}`))))
      : null,
    other.length ? h('ul', {}, other.map((f) => h('li', {}, `${f}: ${fieldMessage(f, errors[f])}`))) : null);
  if (moveFocus) focus(alertBox);
}

function setSending(on) {
  sending = on;
  const btn = document.querySelector('form button[type="submit"]');
  if (!btn) return;
  btn.disabled = on;
  if (on) btn.setAttribute('aria-busy', 'true');
  else btn.removeAttribute('aria-busy');
  btn.textContent = on ? t('book.sending') : t('book.submit');
}

async function submit(event) {
  event.preventDefault();
  if (sending) return;
  formError = null;
  errors = clientCheck();
  if (Object.keys(errors).length) {
    showErrors(true);
    return;
  }
  const body = {
    name: values.name.trim(),
    email: values.email.trim(),
    seats: Number(values.seats),
    locale: lang(),
  };
  if (values.phone.trim()) body.phone = values.phone.trim();
  if (values.notes.trim()) body.notes = values.notes;
  setSending(true);
  try {
    const r = await api(`/api/performances/${id}/reservations`, { method: 'POST', body });
    sent = { email: body.email, seats: r.reservation.seats, expires_at: r.reservation.expires_at };
    keepSent(sent);
    setSending(false);
    app.redraw();
    focus(document.getElementById('message-title'));
    window.scrollTo(0, 0);
    return;
  } catch (err) {
    setSending(false);
    if (err.status === 422 && err.code === 'validation_failed') {
      errors = err.fields;
    } else if (err.code === 'not_enough_seats') {
      const n = err.error.seats_available ?? 0;
      formError = n > 0 ? t('book.not_enough_seats', { n }) : t('book.no_seats_left');
      perf.availability.seats_available = n;
      if (n > 0) {
        errors = { seats: 'out_of_range' };
        values.seats = String(Math.min(Number(values.seats), n));
      }
      refreshPerf();
    } else if (err.code === 'already_pending' && err.error.pending?.expires_at) {
      // This address already holds seats here, waiting for the link: the
      // same "check your email" step (with its resend), not a second hold.
      sent = { email: body.email, seats: err.error.pending.seats, expires_at: err.error.pending.expires_at, already: true };
      keepSent(sent);
      app.redraw();
      focus(document.getElementById('message-title'));
      window.scrollTo(0, 0);
      return;
    } else if (err.code === 'booking_closed') {
      formError = t('book.booking_closed');
      refreshPerf();
    } else if (err.status === 404) {
      formError = t('book.not_found');
    } else {
      formError = errorText(err);
    }
  }
  if (formError && !document.getElementById('form-alert')) return;
  showErrors(true);
}

/** After a 409 the availability changed: fetch it, keep the form and its message. */
async function refreshPerf() {
  try {
    perf = (await api(`/api/performances/${id}`)).performance;
    const keepError = formError;
    const keepErrors = errors;
    app.redraw();
    formError = keepError;
    errors = keepErrors;
    showErrors(true);
  } catch {
    // keep what we have
  }
}

async function load() {
  loadError = null;
  perf = null;
  app.redraw();
  try {
    perf = (await api(`/api/performances/${id}`)).performance;
  } catch (err) {
    loadError = err;
  }
  app.redraw();
}

const app = mount(render);
if (/^[1-9][0-9]*$/.test(id)) load();
