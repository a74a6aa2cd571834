// When plans change (issue 12): the theatre cancels or moves a
// performance, and every booking of it is told exactly once, in its own
// language, with a calendar event that replaces the one it has — against
// a real stack and a real SMTP server on loopback.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, startStack } from './stack.mjs';
import { confirmToken, startSmtp } from './smtp.mjs';
import { book, countersExact, makePerformance, post, seatsAvailable, visitor } from './fixtures.mjs';

let stack;
let smtp;
let admin;
let staff;

async function login(who) {
  const r = await post(stack, '/api/auth/login', who);
  assert.equal(r.status, 200, r.text);
  return { cookie: r.headers.get('set-cookie').split(';')[0], csrf: r.body.csrf_token };
}

function as(session, path, { method = 'GET', body } = {}) {
  const headers = { cookie: session.cookie, 'x-csrf-token': session.csrf };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return api(stack, path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** The properties of the one VEVENT of an iCalendar text (unfolded). */
function parseIcs(text) {
  const lines = text.replace(/\r\n[ \t]/g, '').split('\r\n');
  const cal = {};
  const ev = {};
  let inEvent = false;
  for (const l of lines) {
    if (l === 'BEGIN:VEVENT') inEvent = true;
    else if (l === 'END:VEVENT') inEvent = false;
    else if (l.includes(':')) {
      const [k, ...v] = l.split(':');
      (inEvent ? ev : cal)[k.split(';')[0]] = v.join(':');
    }
  }
  return { cal, ev };
}

function icsOf(message) {
  const a = message.parsed.attachments.find((x) => x.contentType.startsWith('text/calendar'));
  assert.ok(a, 'a calendar event is attached');
  return parseIcs(a.content.toString());
}

/** ISO time as an iCalendar local time in the theatre's zone: 20261201T203000 */
function icsTime(iso, timeZone = 'Europe/Rome') {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year}${p.month}${p.day}T${p.hour}${p.minute}${p.second}`;
}

/** A booking, optionally confirmed: {email, token, ticket, ticketMail}. */
async function booking(perf, { seats = 2, locale = 'it', confirm = true } = {}) {
  const email = visitor('plans');
  const r = await book(stack, perf, { name: 'Ada Rossi', email, seats, locale });
  assert.equal(r.status, 201, r.text);
  const [msg] = await smtp.waitFor(email, 1);
  const token = confirmToken(msg);
  if (!confirm) return { email, token };
  const c = await post(stack, '/api/reservations/confirm', { token });
  assert.equal(c.status, 200, c.text);
  const [, ticketMail] = await smtp.waitFor(email, 2);
  return { email, token, ticket: c.body.ticket.url.split('/t/')[1], ticketMail };
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  smtp = await startSmtp();
  stack = await startStack({
    env: {
      BOXOFFICE_MAIL_BACKEND: 'smtp',
      BOXOFFICE_SMTP_HOST: '127.0.0.1',
      BOXOFFICE_SMTP_PORT: smtp.port,
      BOXOFFICE_MAIL_RETRY_SECONDS: 1,
      BOXOFFICE_SWEEP_SECONDS: 2,
      BOXOFFICE_WORKERS: 2,
      BOXOFFICE_THREADS: 4,
      BOXOFFICE_RATE_LIMITS: 'off',
      BOXOFFICE_MAIL_FROM: 'Teatro del Ponte <biglietteria@teatro.example>',
      BOXOFFICE_MAIL_REPLY_TO: 'Teatro del Ponte <info@teatro.example>',
    },
  });
  admin = await login(stack.demo.admin);
  staff = await login(stack.demo.staff);
});

afterEach(() => stack.checkSanitizers());

after(async () => {
  await stack?.stop();
  await smtp?.stop();
});

describe('the theatre cancels a performance', () => {
  test('every active booking is told once, in its language, and the door knows', async () => {
    const perf = await makePerformance(stack, { capacity: 40 });
    const confirmedIt = await booking(perf, { seats: 3, locale: 'it' });
    const pendingEn = await booking(perf, { seats: 2, locale: 'en', confirm: false });
    const ownCancel = await booking(perf, { seats: 1, locale: 'en', confirm: false });
    const own = await post(stack, '/api/reservations/cancel', { token: ownCancel.token });
    assert.equal(own.status, 200);
    assert.equal(own.body.reservation.cancelled_by, 'visitor');

    // What the dialog shows before: who will be told.
    const before = await as(admin, `/admin/performances/${perf}`);
    assert.equal(before.body.performance.counts.confirmed + before.body.performance.counts.pending, 2);
    assert.equal(before.body.performance.counts.seats_confirmed + before.body.performance.counts.seats_pending, 5);

    const message = 'L\'attrice è malata. / The actress is ill.';
    const c = await as(admin, `/admin/performances/${perf}/cancel`, { method: 'POST', body: { message } });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.performance.status, 'cancelled');
    assert.equal(c.body.notified, 2);

    // One message each, in the reservation's language, with the message,
    // and a cancel of the very event the ticket mail added.
    const [, , it] = await smtp.waitFor(confirmedIt.email, 3);
    assert.match(it.parsed.subject, /^Spettacolo annullato: /);
    assert.ok(it.parsed.text.includes(message));
    assert.match(it.parsed.text, /ci scusiamo/i);
    assert.ok(it.parsed.text.includes(`${stack.url}/`));
    assert.ok(!it.raw.includes(confirmedIt.token) && !it.raw.includes(confirmedIt.ticket), 'no token in the theatre message');
    assert.doesNotMatch(it.parsed.text, /\/(confirm#|t\/)/);
    const cancel = icsOf(it);
    const ticket = icsOf(confirmedIt.ticketMail);
    assert.equal(cancel.cal.METHOD, 'CANCEL');
    assert.equal(cancel.ev.STATUS, 'CANCELLED');
    assert.equal(cancel.ev.UID, ticket.ev.UID);
    assert.ok(Number(cancel.ev.SEQUENCE) > Number(ticket.ev.SEQUENCE));
    assert.equal(cancel.ev.DTSTART, ticket.ev.DTSTART);

    const [, en] = await smtp.waitFor(pendingEn.email, 2);
    assert.match(en.parsed.subject, /^Performance cancelled: /);
    assert.match(en.parsed.text, /nothing you need to do/);
    assert.equal(icsOf(en).cal.METHOD, 'CANCEL');

    // The visitor's answers say whose cancellation it was.
    const conf = await post(stack, '/api/reservations/confirm', { token: pendingEn.token });
    assert.equal(conf.status, 409);
    assert.equal(conf.body.error.code, 'cancelled');
    assert.equal(conf.body.error.cancelled_by, 'theatre');
    assert.equal(conf.body.reservation.status, 'cancelled');
    assert.equal(conf.body.reservation.performance.status, 'cancelled');
    const confIt = await post(stack, '/api/reservations/confirm', { token: confirmedIt.token });
    assert.equal(confIt.status, 409);
    assert.equal(confIt.body.error.cancelled_by, 'theatre');
    const canc = await post(stack, '/api/reservations/cancel', { token: confirmedIt.token });
    assert.equal(canc.status, 200);
    assert.equal(canc.body.reservation.cancelled_by, 'theatre');
    const t = await api(stack, `/api/tickets/${confirmedIt.ticket}`);
    assert.equal(t.body.ticket.status, 'cancelled');
    assert.equal(t.body.ticket.cancelled_by, 'theatre');
    assert.equal(t.body.ticket.performance.status, 'cancelled');
    const cal = await api(stack, `/api/tickets/${confirmedIt.ticket}/event.ics`);
    assert.match(cal.headers.get('content-type'), /method=CANCEL/);
    assert.equal(parseIcs(cal.text).cal.METHOD, 'CANCEL');
    assert.equal(parseIcs(cal.text).ev.UID, ticket.ev.UID);

    // The door: a cancelled performance, not a cancelled booking.
    const scan = await as(staff, '/api/checkins', { method: 'POST', body: { token: confirmedIt.ticket } });
    assert.equal(scan.status, 422);
    assert.equal(scan.body.error.code, 'performance_cancelled');

    // Cancelling again tells nobody; the visitor who cancelled heard nothing.
    const again = await as(admin, `/admin/performances/${perf}/cancel`, { method: 'POST' });
    assert.equal(again.status, 200);
    assert.equal(again.body.notified, 0);
    await pause(2500);
    assert.equal(smtp.to(confirmedIt.email).length, 3);
    assert.equal(smtp.to(pendingEn.email).length, 2);
    assert.equal(smtp.to(ownCancel.email).length, 1);
    assert.equal(await stack.psql(`SELECT count(*) FROM outbox WHERE sent_at IS NULL`), '0');
    assert.ok(await countersExact(stack));
  });

  test('a visitor\'s own cancellation still says visitor; an admin\'s says admin', async () => {
    const perf = await makePerformance(stack, { capacity: 10 });
    const b = await booking(perf, { seats: 1, confirm: false });
    const id = await stack.psql(`SELECT id FROM reservations WHERE email = '${b.email}'`);
    const r = await as(admin, `/admin/reservations/${id}/status`, { method: 'POST', body: { status: 'cancelled' } });
    assert.equal(r.status, 200, r.text);
    const conf = await post(stack, '/api/reservations/confirm', { token: b.token });
    assert.equal(conf.status, 409);
    assert.equal(conf.body.error.cancelled_by, 'admin');
    assert.equal(conf.body.error.message, 'this reservation was cancelled');
  });

  test('a message that is not text is refused, and nothing is cancelled', async () => {
    const perf = await makePerformance(stack, { capacity: 10 });
    const r = await as(admin, `/admin/performances/${perf}/cancel`, { method: 'POST', body: { message: 42 } });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.error.code, 'validation_failed');
    assert.equal((await as(admin, `/admin/performances/${perf}`)).body.performance.status, 'scheduled');
  });
});

describe('who the messages are from', () => {
  test('every message has the theatre as sender and reply-to, the venue\'s address and a contact line', async () => {
    const perf = await makePerformance(stack, { capacity: 10 });
    const b = await booking(perf, { seats: 1, locale: 'en' });
    await as(admin, `/admin/performances/${perf}/cancel`, { method: 'POST' });
    const all = await smtp.waitFor(b.email, 3);
    const venue = await stack.psql(`SELECT v.address FROM venues v JOIN performances p ON p.venue_id = v.id WHERE p.id = ${perf}`);
    for (const m of all) {
      assert.equal(m.parsed.from.value[0].address, 'biglietteria@teatro.example');
      assert.equal(m.parsed.from.value[0].name, 'Teatro del Ponte');
      assert.equal(m.parsed.replyTo.value[0].address, 'info@teatro.example', m.parsed.subject);
      assert.ok(m.parsed.text.includes(venue), `venue address in "${m.parsed.subject}"`);
      assert.match(m.parsed.text, /To write to the theatre, reply to this message\./);
    }
  });
});

describe('the theatre moves a performance', () => {
  test('confirmed bookings get the new time and an updated event; other changes send nothing', async () => {
    const perf = await makePerformance(stack, { capacity: 40, startsIn: '12 days' });
    const en = await booking(perf, { seats: 2, locale: 'en' });
    const pending = await booking(perf, { seats: 1, locale: 'it', confirm: false });

    // Not a move: capacity. Nothing is sent.
    const cap = await as(admin, `/admin/performances/${perf}`, { method: 'PATCH', body: { capacity: 50 } });
    assert.equal(cap.status, 200, cap.text);
    assert.equal(cap.body.notified, 0);

    const before = await as(admin, `/admin/performances/${perf}`);
    assert.equal(before.body.performance.counts.confirmed, 1, 'the count a move will tell');
    const later = Date.parse(before.body.performance.starts_at) + 86400_000 + 3600_000;
    const starts = new Date(later - (later % 60_000)).toISOString();
    const m = await as(admin, `/admin/performances/${perf}`, { method: 'PATCH', body: { starts_at: starts } });
    assert.equal(m.status, 200, m.text);
    assert.equal(m.body.notified, 1);

    const [, , moved] = await smtp.waitFor(en.email, 3);
    assert.match(moved.parsed.subject, /^Change of plan: /);
    assert.match(moved.parsed.text, /has moved: it is now on /);
    assert.ok(moved.parsed.text.includes(`${stack.url}/shows/`));
    const upd = icsOf(moved);
    const old = icsOf(en.ticketMail);
    assert.equal(upd.cal.METHOD, 'PUBLISH');
    assert.equal(upd.ev.UID, old.ev.UID);
    assert.equal(Number(upd.ev.SEQUENCE), Number(old.ev.SEQUENCE) + 1);
    assert.equal(upd.ev.DTSTART, icsTime(starts));
    // DTSTART carries the theatre's zone, which the file defines.
    const raw = moved.parsed.attachments.find((x) => x.contentType.startsWith('text/calendar')).content.toString();
    assert.match(raw, /\r\nDTSTART;TZID=Europe\/Rome:\d{8}T\d{6}\r\n/);
    assert.match(raw, /BEGIN:VTIMEZONE\r\nTZID:Europe\/Rome\r\n/);
    assert.notEqual(upd.ev.DTSTART, old.ev.DTSTART);

    // The page's event is the updated one.
    const cal = parseIcs((await api(stack, `/api/tickets/${en.ticket}/event.ics`)).text);
    assert.equal(cal.ev.SEQUENCE, upd.ev.SEQUENCE);
    assert.equal(cal.ev.DTSTART, upd.ev.DTSTART);

    // Same start again, and another field: nothing more.
    const same = await as(admin, `/admin/performances/${perf}`, { method: 'PATCH', body: { starts_at: starts, max_seats_per_reservation: 5 } });
    assert.equal(same.body.notified, 0);
    await pause(2500);
    assert.equal(smtp.to(en.email).length, 3);
    assert.equal(smtp.to(pending.email).length, 1, 'a pending booking sees the time on its page');
    assert.ok(await countersExact(stack));
    assert.ok((await seatsAvailable(stack, perf)) > 0);
  });
});

describe('manage my booking', () => {
  test('give back 2 of 4 seats: at once available, the ticket admits 2', async () => {
    const perf = await makePerformance(stack, { capacity: 10 });
    const b = await booking(perf, { seats: 4 });
    assert.equal(await seatsAvailable(stack, perf), 6);
    const r = await post(stack, '/api/reservations/seats', { token: b.token, seats: 2 });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.reservation, { status: 'confirmed', seats: 2 });
    assert.equal(await seatsAvailable(stack, perf), 8);
    assert.equal((await api(stack, `/api/tickets/${b.ticket}`)).body.ticket.seats, 2);

    const same = await post(stack, '/api/reservations/seats', { token: b.token, seats: 2 });
    assert.equal(same.status, 422);
    assert.deepEqual(same.body.error.fields, { seats: 'not_lower' });
    const zero = await post(stack, '/api/reservations/seats', { token: b.token, seats: 0 });
    assert.equal(zero.status, 422);
    assert.equal((await post(stack, '/api/reservations/seats', { token: 'x'.repeat(43), seats: 1 })).status, 404);

    // Not below who is already in.
    const scan = await as(staff, '/api/checkins', { method: 'POST', body: { token: b.ticket } });
    assert.equal(scan.status, 201, scan.text);
    const below = await post(stack, '/api/reservations/seats', { token: b.token, seats: 1 });
    assert.equal(below.status, 409);
    assert.equal(below.body.error.code, 'checked_in');
    assert.equal(below.body.error.seats_admitted, 2);

    // A pending one too; a cancelled one not.
    const p = await booking(perf, { seats: 3, confirm: false });
    assert.equal((await post(stack, '/api/reservations/seats', { token: p.token, seats: 1 })).body.reservation.seats, 1);
    await post(stack, '/api/reservations/cancel', { token: p.token });
    const gone = await post(stack, '/api/reservations/seats', { token: p.token, seats: 1 });
    assert.equal(gone.status, 409);
    assert.equal(gone.body.error.code, 'cancelled');
    assert.ok(await countersExact(stack));
  });

  test('resend: the link while pending, the ticket once confirmed, a few times at most', async () => {
    const perf = await makePerformance(stack, { capacity: 10 });
    const b = await booking(perf, { seats: 1, locale: 'en', confirm: false });
    const r = await post(stack, '/api/reservations/resend', { token: b.token });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.sent, 'confirm');
    const [, again] = await smtp.waitFor(b.email, 2);
    assert.match(again.parsed.subject, /^Confirm your booking/);
    assert.equal(confirmToken(again), b.token, 'the same link');
    assert.equal((await post(stack, '/api/reservations/resend', { token: b.token })).status, 202);
    assert.equal((await post(stack, '/api/reservations/resend', { token: b.token })).status, 202);
    const many = await post(stack, '/api/reservations/resend', { token: b.token });
    assert.equal(many.status, 429);
    assert.equal(many.body.error.code, 'too_many_resends');
    await smtp.waitFor(b.email, 4);

    const c = await post(stack, '/api/reservations/confirm', { token: b.token });
    assert.equal(c.status, 200);
    await smtp.waitFor(b.email, 5);
    const t = await post(stack, '/api/reservations/resend', { token: b.token });
    assert.equal(t.status, 202);
    assert.equal(t.body.sent, 'ticket');
    const all = await smtp.waitFor(b.email, 6);
    const [first, second] = all.filter((m) => /^Your ticket/.test(m.parsed.subject));
    assert.ok(second, 'the ticket again');
    assert.equal(icsOf(second).ev.UID, icsOf(first).ev.UID);
    await pause(1500);
    assert.equal(smtp.to(b.email).length, 6, 'each message exactly once');

    await post(stack, '/api/reservations/cancel', { token: b.token });
    const gone = await post(stack, '/api/reservations/resend', { token: b.token });
    assert.equal(gone.status, 409);
    assert.equal(gone.body.error.code, 'cancelled');
  });

  test('resend of the link stays within the daily cap of confirmation messages to the address', async () => {
    const perf = await makePerformance(stack, { capacity: 10 });
    const b = await booking(perf, { seats: 1, confirm: false });
    await smtp.waitFor(b.email, 1);
    // The address has had 5 confirmation messages today (the daily cap):
    // this one and four of other bookings, already sent.
    await stack.psql(`INSERT INTO outbox (kind, recipient, body, sent_at)
      SELECT 'confirm', '${b.email.toUpperCase()}', 'x', now() FROM generate_series(1, 4)`);
    const r = await post(stack, '/api/reservations/resend', { token: b.token });
    assert.equal(r.status, 429, r.text);
    assert.equal(r.body.error.code, 'too_many_resends');
    assert.equal(await stack.psql(`SELECT count(*) FROM outbox
      WHERE lower(recipient) = lower('${b.email}') AND sent_at IS NULL`), '0', 'nothing queued');
  });
});

describe('the privacy page\'s facts', () => {
  test('GET /api/site says what the configuration does', async () => {
    const r = await api(stack, '/api/site');
    assert.equal(r.status, 200);
    // The site settings (issue 16) are in the same document.
    assert.equal(r.body.site.purge_days, 180);
    assert.equal(r.body.site.hold_minutes, 30);
    assert.equal(r.body.site.offer_minutes, 30);
  });
});
