// Reminders (issue 12): each confirmed booking of a scheduled performance
// gets exactly one reminder BOXOFFICE_REMINDER_HOURS before the start, in
// its own language, with the ticket link, the QR and a one-click "I can't
// come"; pending and cancelled bookings get none, and 0 turns them off —
// against a real stack and a real SMTP server on loopback.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './stack.mjs';
import { confirmToken, startSmtp } from './smtp.mjs';
import { book, countersExact, makePerformance, post, seatsAvailable, visitor } from './fixtures.mjs';

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

function env(smtp, extra = {}) {
  return {
    BOXOFFICE_MAIL_BACKEND: 'smtp',
    BOXOFFICE_SMTP_HOST: '127.0.0.1',
    BOXOFFICE_SMTP_PORT: smtp.port,
    BOXOFFICE_MAIL_RETRY_SECONDS: 1,
    BOXOFFICE_SWEEP_SECONDS: 1,
    BOXOFFICE_WORKERS: 2,
    BOXOFFICE_THREADS: 4,
    BOXOFFICE_RATE_LIMITS: 'off',
    ...extra,
  };
}

/** A booking, optionally confirmed: {email, token, ticketUrl}. */
async function booking(stack, smtp, perf, { seats = 2, locale = 'it', confirm = true } = {}) {
  const email = visitor('remind');
  const r = await book(stack, perf, { name: 'Ada Rossi', email, seats, locale });
  assert.equal(r.status, 201, r.text);
  const [msg] = await smtp.waitFor(email, 1);
  const token = confirmToken(msg);
  if (!confirm) return { email, token };
  const c = await post(stack, '/api/reservations/confirm', { token });
  assert.equal(c.status, 200, c.text);
  await smtp.waitFor(email, 2);
  return { email, token, ticketUrl: c.body.ticket.url };
}

const reminders = (smtp, email) => smtp.to(email).filter((m) => /^(Promemoria|Reminder):/.test(m.parsed.subject));

describe('reminders, BOXOFFICE_REMINDER_HOURS=24', () => {
  let stack;
  let smtp;

  before(async () => {
    smtp = await startSmtp();
    stack = await startStack({ env: env(smtp, { BOXOFFICE_REMINDER_HOURS: 24 }) });
  });
  afterEach(() => stack.checkSanitizers());
  after(async () => {
    await stack?.stop();
    await smtp?.stop();
  });

  test('one reminder per confirmed booking, in its language, with the ticket, the QR and "I can\'t come"', async () => {
    const perf = await makePerformance(stack, { capacity: 20, startsIn: '3 hours' });
    const it = await booking(stack, smtp, perf, { seats: 2, locale: 'it' });
    const en = await booking(stack, smtp, perf, { seats: 3, locale: 'en' });
    const [rit] = await smtp.waitFor(it.email, 3);
    const [ren] = await smtp.waitFor(en.email, 3);
    // Several sweeps of two workers later, still exactly one each.
    await pause(4000);
    assert.equal(reminders(smtp, it.email).length, 1);
    assert.equal(reminders(smtp, en.email).length, 1);
    assert.equal(smtp.to(it.email).length, 3, 'confirmation, ticket, reminder');

    const mit = reminders(smtp, it.email)[0];
    const men = reminders(smtp, en.email)[0];
    assert.ok(rit && ren);
    assert.match(mit.parsed.subject, /^Promemoria: /);
    assert.match(mit.parsed.text, /Buongiorno Ada Rossi,/);
    assert.match(mit.parsed.text, /2 posti/);
    assert.match(men.parsed.subject, /^Reminder: /);
    assert.match(men.parsed.text, /Hello Ada Rossi,/);
    assert.match(men.parsed.text, /3 seats/);
    for (const [m, b] of [[mit, it], [men, en]]) {
      // The same ticket as the one confirmed, its QR inline, the event.
      assert.ok(m.parsed.text.includes(b.ticketUrl), 'the ticket link');
      assert.ok(m.parsed.attachments.some((a) => a.contentType === 'image/png' && a.cid === 'ticket-qr'), 'the QR');
      assert.ok(m.parsed.attachments.some((a) => a.contentType.startsWith('text/calendar')), 'the event');
      assert.ok(m.parsed.text.includes(`/confirm?cant-come#${b.token}`), '"I can\'t come" carries the booking\'s link');
      assert.doesNotMatch(m.raw, /\n(Bcc|X-Token):/i);
    }
    // The event: the reservation's UID, DTSTART in the theatre's zone.
    const starts = await stack.psql(`SELECT to_char(to_timestamp(extract(epoch FROM starts_at)::bigint) AT TIME ZONE 'Europe/Rome', 'YYYYMMDD"T"HH24MISS')
      FROM performances WHERE id = ${perf}`);
    const ics = mit.parsed.attachments.find((a) => a.contentType.startsWith('text/calendar')).content.toString();
    assert.match(ics, new RegExp(`\r\nDTSTART;TZID=Europe/Rome:${starts}\r\n`));
    assert.match(ics, /\r\nUID:reservation-\d+@boxoffice\r\n/);
    assert.match(ics, /\r\nMETHOD:PUBLISH\r\n/);
    assert.equal(await stack.psql(`SELECT count(*) FROM outbox WHERE kind = 'reminder'
      AND reservation_id IN (SELECT id FROM reservations WHERE performance_id = ${perf})`), '2');
    // The body, which held the tokens, is gone once sent.
    assert.equal(await stack.psql(`SELECT count(*) FROM outbox WHERE kind = 'reminder'
      AND body IS NOT NULL AND sent_at IS NOT NULL`), '0');

    // "I can't come": the reminder's link cancels, and the seats are free.
    const before = await seatsAvailable(stack, perf);
    const token = /\/confirm\?cant-come#([A-Za-z0-9_-]{43})/.exec(men.parsed.text)[1];
    const c = await post(stack, '/api/reservations/cancel', { token });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.reservation.cancelled_by, 'visitor');
    assert.equal(await seatsAvailable(stack, perf), before + 3);
    assert.ok(await countersExact(stack));
  });

  test('none for pending or cancelled bookings, nor for performances beyond the window', async () => {
    // Booked while the performance is days away, then brought into the
    // window by hand (no move notice), so nothing races the sweep.
    const soon = await makePerformance(stack, { capacity: 20, startsIn: '3 days' });
    const later = await makePerformance(stack, { capacity: 20, startsIn: '3 days' });
    const pending = await booking(stack, smtp, soon, { confirm: false });
    const cancelled = await booking(stack, smtp, soon);
    assert.equal((await post(stack, '/api/reservations/cancel', { token: cancelled.token })).status, 200);
    const far = await booking(stack, smtp, later);
    const control = await booking(stack, smtp, soon);
    await stack.psql(`UPDATE performances SET starts_at = now() + interval '5 hours' WHERE id = ${soon}`);
    await smtp.waitFor(control.email, 3);
    await pause(3000);
    assert.equal(reminders(smtp, control.email).length, 1, 'confirmed: one');
    assert.equal(reminders(smtp, pending.email).length, 0, 'pending: none');
    assert.equal(reminders(smtp, cancelled.email).length, 0, 'cancelled: none');
    assert.equal(reminders(smtp, far.email).length, 0, 'beyond the window: none');
  });

  test('a reminder queued before its booking was cancelled is dropped unsent', async () => {
    const perf = await makePerformance(stack, { capacity: 20, startsIn: '3 days' });
    const b = await booking(stack, smtp, perf);
    // Queue it by hand as the sweep would, then cancel before it is sent:
    // hold the outbox back with a due time in the future.
    await stack.psql(`WITH r AS (UPDATE reservations SET reminded_at = now()
        WHERE confirm_token_box IS NOT NULL AND performance_id = ${perf} RETURNING id, email)
      INSERT INTO outbox (reservation_id, kind, recipient, next_attempt_at)
      SELECT id, 'reminder', email, now() + interval '3 seconds' FROM r`);
    assert.equal((await post(stack, '/api/reservations/cancel', { token: b.token })).status, 200);
    await pause(5000);
    assert.equal(reminders(smtp, b.email).length, 0);
    assert.equal(await stack.psql(`SELECT last_error FROM outbox WHERE kind = 'reminder'
      AND reservation_id = (SELECT id FROM reservations WHERE performance_id = ${perf})`), 'not sent: no longer due');
  });
});

describe('send me my bookings: POST /api/bookings/lookup', () => {
  let stack;
  let smtp;

  before(async () => {
    smtp = await startSmtp();
    stack = await startStack({ env: env(smtp, { BOXOFFICE_REMINDER_HOURS: 0 }) });
  });
  afterEach(() => stack.checkSanitizers());
  after(async () => {
    await stack?.stop();
    await smtp?.stop();
  });

  const lookup = (stack, body) => post(stack, '/api/bookings/lookup', body);
  const lists = (smtp, email) => smtp.to(email).filter((m) => /^(Le tue prenotazioni|Your bookings)$/.test(m.parsed.subject));

  test('one message listing the active bookings with their links; the same answer for any address', async () => {
    const perf = await makePerformance(stack, { capacity: 20, startsIn: '4 days' });
    const other = await makePerformance(stack, { capacity: 20, startsIn: '6 days' });
    const a = await booking(stack, smtp, perf, { seats: 2 });
    // The same visitor's second booking, another performance, pending.
    const r = await book(stack, other, { name: 'Ada Rossi', email: a.email.toUpperCase(), seats: 1 });
    assert.equal(r.status, 201, r.text);
    const cancelled = await booking(stack, smtp, other, { seats: 1 });
    await post(stack, '/api/reservations/cancel', { token: cancelled.token });

    const known = await lookup(stack, { email: a.email, locale: 'en' });
    const unknown = await lookup(stack, { email: visitor('nobody') });
    assert.equal(known.status, 202);
    assert.equal(unknown.status, 202);
    assert.deepEqual(known.body, unknown.body, 'no enumeration');
    assert.equal(known.text, unknown.text);

    const [m] = await waitList(smtp, a.email);
    assert.equal(m.parsed.subject, 'Your bookings');
    assert.ok(m.parsed.text.includes(a.ticketUrl), 'the confirmed booking\'s ticket');
    assert.ok(m.parsed.text.includes(`/confirm#${a.token}`), 'its manage link');
    assert.match(m.parsed.text, /to be confirmed/, 'the pending one, with its confirmation link');
    assert.equal((m.parsed.text.match(/\/confirm#/g) ?? []).length, 2);
    assert.doesNotMatch(m.raw, /^To:.*Ada/m, 'no name in To:');
    assert.equal(lists(smtp, cancelled.email).length, 0, 'an address with only a cancelled booking gets nothing');
    await pause(1500);
    assert.equal(lists(smtp, a.email).length, 1);
  });

  test('capped per address (3 a day) and per network (10 an hour), silently', async () => {
    const perf = await makePerformance(stack, { capacity: 40, startsIn: '4 days' });
    const a = await booking(stack, smtp, perf, { seats: 1 });
    for (let i = 0; i < 5; i++) assert.equal((await lookup(stack, { email: a.email })).status, 202);
    await pause(2000);
    assert.equal(lists(smtp, a.email).length, 3, 'three a day to one address');

    const others = [];
    for (let i = 0; i < 12; i++) others.push(await booking(stack, smtp, perf, { seats: 1 }));
    // This network has sent 3 (above) + 1 (first test) lists this hour.
    await stack.psql("UPDATE outbox SET client_net = NULL WHERE kind = 'bookings'");
    for (const o of others) assert.equal((await lookup(stack, { email: o.email })).status, 202);
    await pause(2000);
    const got = others.filter((o) => lists(smtp, o.email).length === 1).length;
    assert.equal(got, 10, 'ten an hour from one network');
  });

  test('"check your email" resends the link by performance and address, a few times, the same answer for anyone', async () => {
    const perf = await makePerformance(stack, { capacity: 20, startsIn: '4 days' });
    const email = visitor('again');
    assert.equal((await book(stack, perf, { name: 'Ada', email, seats: 2, locale: 'en' })).status, 201);
    const [first] = await smtp.waitFor(email, 1);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await post(stack, '/api/reservations/resend', { performance_id: perf, email: email.toUpperCase() }));
    const stranger = await post(stack, '/api/reservations/resend', { performance_id: perf, email: visitor('stranger') });
    for (const a of [...answers, stranger]) {
      assert.equal(a.status, 202, a.text);
      assert.deepEqual(a.body, { sent: 'confirm' });
    }
    // 4 messages of a kind per reservation, the first included.
    const got = await smtp.waitFor(email, 4);
    await pause(1500);
    assert.equal(smtp.to(email).length, 4);
    for (const m of got) {
      assert.equal(confirmToken(m), confirmToken(first), 'the same link');
      assert.match(m.parsed.subject, /^Confirm your booking/);
    }
    const bad = await post(stack, '/api/reservations/resend', { performance_id: 'x', email: 'nope' });
    assert.equal(bad.status, 422);
  });

  test('an address that is not one: 422', async () => {
    const r = await lookup(stack, { email: 'not-an-address' });
    assert.equal(r.status, 422);
    assert.equal(r.body.error.fields.email, 'invalid');
  });
});

async function waitList(smtp, email) {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const got = smtp.to(email).filter((m) => /^(Le tue prenotazioni|Your bookings)$/.test(m.parsed.subject));
    if (got.length) return got;
    await pause(50);
  }
  throw new Error(`no list for ${email}`);
}

describe('reminders off, BOXOFFICE_REMINDER_HOURS=0', () => {
  let stack;
  let smtp;

  before(async () => {
    smtp = await startSmtp();
    stack = await startStack({ env: env(smtp, { BOXOFFICE_REMINDER_HOURS: 0 }) });
  });
  afterEach(() => stack.checkSanitizers());
  after(async () => {
    await stack?.stop();
    await smtp?.stop();
  });

  test('no reminder at all', async () => {
    const perf = await makePerformance(stack, { capacity: 20, startsIn: '2 hours' });
    const b = await booking(stack, smtp, perf);
    await pause(4000);
    assert.equal(reminders(smtp, b.email).length, 0);
    assert.equal(smtp.to(b.email).length, 2);
    assert.equal(await stack.psql("SELECT count(*) FROM outbox WHERE kind = 'reminder'"), '0');
  });
});
