// The waiting list (issue 15): parties wait for a sold-out performance
// and are offered, in the very transaction that frees seats, the seats
// that come back — against a real stack and a real SMTP server.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, startStack, waitFor } from './stack.mjs';
import { confirmToken, startSmtp } from './smtp.mjs';
import { book, countersExact, makePerformance, post, seatsAvailable, visitor } from './fixtures.mjs';

let stack;
let smtp;
let admin;

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

export function waitlistToken(message) {
  const m = /\/waitlist#([A-Za-z0-9_-]{43})/.exec(message.parsed.text ?? '');
  if (!m) throw new Error('no waiting-list link in the message');
  return m[1];
}

export function offerToken(message) {
  const m = /\/offer#([A-Za-z0-9_-]{43})/.exec(message.parsed.text ?? '');
  if (!m) throw new Error('no offer link in the message');
  return m[1];
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** A confirmed booking: {email, token}. */
async function booking(perf, seats) {
  const email = visitor('wb');
  const r = await book(stack, perf, { name: 'Ada Rossi', email, seats });
  assert.equal(r.status, 201, r.text);
  const [msg] = await smtp.waitFor(email, 1);
  const token = confirmToken(msg);
  const c = await post(stack, '/api/reservations/confirm', { token });
  assert.equal(c.status, 200, c.text);
  await smtp.waitFor(email, 2);
  return { email, token };
}

/** Join and confirm: {email, token, entry}. */
async function join(perf, { seats, min_seats, locale = 'it', name = 'Bea Verdi' }) {
  const email = visitor('wl');
  const body = { name, email, seats, locale };
  if (min_seats !== undefined) body.min_seats = min_seats;
  const r = await post(stack, `/api/performances/${perf}/waitlist`, body);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.entry.state, 'unconfirmed');
  const [msg] = await smtp.waitFor(email, 1);
  assert.ok(!msg.parsed.text.includes(name), 'the first message quotes no name');
  const token = waitlistToken(msg);
  const c = await post(stack, '/api/waitlist/confirm', { token });
  assert.equal(c.status, 200, c.text);
  return { email, token, entry: c.body.entry };
}

/** Every invariant of a performance at this instant. */
async function invariants(perf) {
  assert.ok(await countersExact(stack), 'seats_held equals the reservations');
  const row = await stack.psql(`
    SELECT p.capacity - p.occupied_manual + p.extra_seats,
           coalesce(sum(r.seats) FILTER (WHERE r.status = 'confirmed'
              OR (r.status = 'pending' AND r.expires_at > now())), 0),
           (SELECT count(*) FROM waitlist_entries e WHERE e.performance_id = p.id AND e.state = 'offered'
               AND (SELECT count(*) FROM reservations o WHERE o.waitlist_entry_id = e.id AND o.status = 'pending') <> 1),
           p.waitlist_waiting = (SELECT count(*) FROM waitlist_entries e WHERE e.performance_id = p.id AND e.state = 'waiting')
      FROM performances p LEFT JOIN reservations r ON r.performance_id = p.id
     WHERE p.id = ${perf} GROUP BY p.id`);
  const [sellable, taken, badOffers, counterOk] = row.split('|');
  assert.ok(Number(taken) <= Number(sellable), `taken ${taken} <= sellable ${sellable}`);
  assert.equal(badOffers, '0', 'each offered entry has exactly one open offer');
  assert.equal(counterOk, 't', 'waitlist_waiting is exact');
  const avail = await seatsAvailable(stack, perf);
  assert.ok(avail >= 0);
  assert.equal(avail, Number(sellable) - Number(taken), 'availability counts the offers as taken');
  return avail;
}

/** Make the open offer of an entry lapse now (as if its time was up). */
async function lapse(email) {
  await stack.psql(`UPDATE reservations SET expires_at = now() - interval '1 second'
                     WHERE email = '${email}' AND status = 'pending' AND waitlist_entry_id IS NOT NULL`);
}

before(async () => {
  smtp = await startSmtp();
  stack = await startStack({
    env: {
      BOXOFFICE_MAIL_BACKEND: 'smtp',
      BOXOFFICE_SMTP_HOST: '127.0.0.1',
      BOXOFFICE_SMTP_PORT: smtp.port,
      BOXOFFICE_MAIL_RETRY_SECONDS: 1,
      BOXOFFICE_SWEEP_SECONDS: 1,
      BOXOFFICE_OFFER_MINUTES: 20,
      BOXOFFICE_WORKERS: 2,
      BOXOFFICE_THREADS: 4,
      BOXOFFICE_RATE_LIMITS: 'off',
    },
  });
  admin = await login(stack.demo.admin);
});

afterEach(() => stack.checkSanitizers());

after(async () => {
  await stack?.stop();
  await smtp?.stop();
});

describe('the 10-seat scenario', () => {
  test('sold out, three parties wait; each freed seat goes down the line, one email a step', async () => {
    const perf = await makePerformance(stack, { capacity: 10 });
    const a = await booking(perf, 4);
    const b = await booking(perf, 3);
    const c = await booking(perf, 3);
    assert.equal(await invariants(perf), 0);
    const soldOut = await api(stack, `/api/performances/${perf}`);
    assert.equal(soldOut.body.performance.availability.state, 'sold_out');

    // Three parties: 4; 4 or at least 2; 3. Positions in order of confirmation.
    const w1 = await join(perf, { seats: 4 });
    const w2 = await join(perf, { seats: 4, min_seats: 2, locale: 'en', name: 'Carl Bianchi' });
    const w3 = await join(perf, { seats: 3 });
    assert.deepEqual([w1.entry.position, w2.entry.position, w3.entry.position], [1, 2, 3]);
    assert.equal(w1.entry.state, 'waiting');
    assert.equal(w2.entry.min_seats, 2);
    // The door sees the line (names and parties, no emails).
    const staff = await login(stack.demo.staff);
    const door = await as(staff, `/api/performances/${perf}/checkins`);
    assert.equal(door.status, 200, door.text);
    assert.deepEqual(door.body.waitlist.entries.map((e) => [e.position, e.seats, e.min_seats, e.state]),
      [[1, 4, 4, 'waiting'], [2, 4, 2, 'waiting'], [3, 3, 3, 'waiting']]);
    assert.equal(door.body.waitlist.counts.waiting_seats, 11);
    assert.ok(!door.text.includes(w1.email));
    // The door's guest list carries the same line (the scanner shows it).
    const guests = await as(staff, `/api/performances/${perf}/guests`);
    assert.equal(guests.status, 200, guests.text);
    assert.deepEqual(guests.body.waitlist, door.body.waitlist);
    // Confirming twice: the same entry, the same place.
    const again = await post(stack, '/api/waitlist/confirm', { token: w2.token });
    assert.equal(again.status, 200);
    assert.equal(again.body.entry.position, 2);
    await invariants(perf);

    // Step 1: the 4-seat booking cancels; the first party gets the offer.
    const cancel = await post(stack, '/api/reservations/cancel', { token: a.token });
    assert.equal(cancel.status, 200, cancel.text);
    const [, offer1] = await smtp.waitFor(w1.email, 2);
    assert.match(offer1.parsed.subject, /^Posti per te: /);
    assert.match(offer1.parsed.text, /4 posti/);
    assert.equal(await invariants(perf), 0, 'the offered seats are not shown as free');
    let list = await as(admin, `/admin/performances/${perf}/waitlist`);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body.entries.map((e) => e.state), ['waiting', 'waiting', 'offered']);
    const offered = list.body.entries.find((e) => e.state === 'offered');
    assert.equal(offered.email, w1.email);
    assert.equal(offered.offer.seats, 4);
    const minutes = (new Date(offered.offer.expires_at) - Date.now()) / 60000;
    assert.ok(minutes > 18 && minutes <= 20, `the offer runs BOXOFFICE_OFFER_MINUTES (${minutes})`);
    const w2pos = await post(stack, '/api/waitlist/confirm', { token: w2.token });
    assert.equal(w2pos.body.entry.position, 1, 'the next in line moved up');
    // The book of a newcomer cannot take the offered seats.
    const late = await book(stack, perf, { name: 'Late', email: visitor('late'), seats: 1 });
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, 'not_enough_seats');

    // Step 2: the offer lapses unaccepted; the sweep frees its seats and
    // the 2-or-more party gets them, in the sweep's transaction.
    await lapse(w1.email);
    const [, offer2] = await smtp.waitFor(w2.email, 2);
    assert.match(offer2.parsed.subject, /^Seats for you: /);
    assert.match(offer2.parsed.text, /holding 4 seats/);
    const o1 = await post(stack, '/api/waitlist/accept', { token: offerToken(offer1) });
    assert.equal(o1.status, 409);
    assert.equal(o1.body.error.code, 'offer_expired');
    await invariants(perf);

    // Step 3: the second party accepts: a confirmed booking, its ticket.
    const acc = await post(stack, '/api/waitlist/accept', { token: offerToken(offer2) });
    assert.equal(acc.status, 200, acc.text);
    assert.equal(acc.body.reservation.status, 'confirmed');
    assert.equal(acc.body.reservation.seats, 4);
    assert.match(acc.body.ticket.url, /\/t\/[A-Za-z0-9_-]{43}$/);
    const [, , ticket] = await smtp.waitFor(w2.email, 3);
    assert.match(ticket.parsed.subject, /ticket/i);
    const twice = await post(stack, '/api/waitlist/accept', { token: offerToken(offer2) });
    assert.equal(twice.status, 200);
    assert.equal(twice.body.ticket.url, acc.body.ticket.url, 'accepting twice gives the same ticket');
    const t = await api(stack, `/api/tickets/${acc.body.ticket.url.split('/t/')[1]}`);
    assert.equal(t.status, 200);
    assert.equal(t.body.ticket.status, 'confirmed');
    assert.equal(await invariants(perf), 0);

    // Step 4: one seat given back does not fit the party of 3: it is free
    // for anyone. Then 3 more come back: the third party gets its 3.
    const give = await post(stack, '/api/reservations/seats', { token: c.token, seats: 2 });
    assert.equal(give.status, 200, give.text);
    await pause(300);
    assert.equal(await invariants(perf), 1, 'a seat no one waiting can use is free');
    const cb = await post(stack, '/api/reservations/cancel', { token: b.token });
    assert.equal(cb.status, 200);
    const [, offer3] = await smtp.waitFor(w3.email, 2);
    assert.match(offer3.parsed.text, /3 posti/);
    assert.equal(await invariants(perf), 1);
    const acc3 = await post(stack, '/api/waitlist/accept', { token: offerToken(offer3) });
    assert.equal(acc3.status, 200);
    await smtp.waitFor(w3.email, 3);

    list = await as(admin, `/admin/performances/${perf}/waitlist`);
    const byEmail = Object.fromEntries(list.body.entries.map((e) => [e.email, e.state]));
    assert.deepEqual(byEmail, { [w1.email]: 'expired', [w2.email]: 'accepted', [w3.email]: 'accepted' });
    assert.equal(list.body.counts.offers_made, 3);
    assert.equal(list.body.counts.accepted, 2);
    assert.equal(list.body.counts.expired, 1);

    // The door's counts follow.
    const doorAfter = await as(staff, `/api/performances/${perf}/checkins`);
    assert.equal(doorAfter.body.waitlist.counts.accepted, 2);
    assert.deepEqual(doorAfter.body.waitlist.entries, []);

    // The performance summary and the metrics count them too.
    const summary = await as(admin, `/admin/performances/${perf}`);
    assert.equal(summary.body.performance.waitlist.accepted, 2);
    assert.equal(summary.body.performance.waitlist.offers_made, 3);
    const metrics = await as(admin, '/admin/metrics');
    assert.match(metrics.text, /^boxoffice_waitlist_offers_total\{outcome="made"\} [1-9]/m);
    assert.match(metrics.text, /^boxoffice_waitlist_offers_total\{outcome="expired"\} [1-9]/m);
    assert.match(metrics.text, /^boxoffice_waitlist_entries_total [1-9]/m);

    // Exactly one email each step: confirm + offer (w1), confirm + offer + ticket.
    await pause(1500);
    assert.equal(smtp.to(w1.email).length, 2);
    assert.equal(smtp.to(w2.email).length, 3);
    assert.equal(smtp.to(w3.email).length, 3);
    for (const m of [offer1, offer2, offer3]) {
      assert.ok(!/\/confirm#/.test(m.parsed.text), 'the offer links only to the offer page');
    }
  });
});

describe('joining', () => {
  test('only when the party does not fit, once per address, with its fields checked', async () => {
    const perf = await makePerformance(stack, { capacity: 6 });
    const free = await post(stack, `/api/performances/${perf}/waitlist`,
      { name: 'X', email: visitor('free'), seats: 2 });
    assert.equal(free.status, 409);
    assert.equal(free.body.error.code, 'seats_available');
    await booking(perf, 5);
    const bad = await post(stack, `/api/performances/${perf}/waitlist`,
      { name: '', email: 'nope', seats: 3, min_seats: 4, locale: 'fr' });
    assert.equal(bad.status, 422);
    assert.deepEqual(Object.keys(bad.body.error.fields).sort(), ['email', 'locale', 'min_seats', 'name']);
    const big = await post(stack, `/api/performances/${perf}/waitlist`,
      { name: 'X', email: visitor('big'), seats: 7 });
    assert.equal(big.status, 422);
    assert.equal(big.body.error.fields.seats, 'too_many');

    const w = await join(perf, { seats: 3, min_seats: 2 });
    assert.equal(w.entry.position, 1);
    const dup = await post(stack, `/api/performances/${perf}/waitlist`,
      { name: 'X', email: w.email.toUpperCase(), seats: 2 });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, 'already_waiting');
    const none = await post(stack, '/api/performances/999999/waitlist', { name: 'X', email: visitor('n'), seats: 2 });
    assert.equal(none.status, 404);
    const badToken = await post(stack, '/api/waitlist/confirm', { token: 'x'.repeat(43) });
    assert.equal(badToken.status, 404);
    assert.equal(badToken.body.error.code, 'invalid_token');
  });

  test('an unconfirmed entry does not count and is not offered', async () => {
    const perf = await makePerformance(stack, { capacity: 2 });
    const b = await booking(perf, 2);
    const email = visitor('unc');
    const r = await post(stack, `/api/performances/${perf}/waitlist`, { name: 'U', email, seats: 2 });
    assert.equal(r.status, 201);
    await smtp.waitFor(email, 1);
    await post(stack, '/api/reservations/cancel', { token: b.token });
    await pause(1500);
    assert.equal(smtp.to(email).length, 1);
    assert.equal(await invariants(perf), 2);
  });
});

describe('leaving, and the admin', () => {
  test('leaving with an open offer passes it on; an admin offers out of turn (audited)', async () => {
    const perf = await makePerformance(stack, { capacity: 4 });
    const b = await booking(perf, 4);
    const w1 = await join(perf, { seats: 2 });
    const w2 = await join(perf, { seats: 2 });
    const w3 = await join(perf, { seats: 1 });

    // Two seats come back: w1 is offered; w1 leaves: w2 gets them.
    const give = await post(stack, '/api/reservations/seats', { token: b.token, seats: 2 });
    assert.equal(give.status, 200);
    await smtp.waitFor(w1.email, 2);
    const left = await post(stack, '/api/waitlist/leave', { token: w1.token });
    assert.equal(left.status, 200, left.text);
    assert.equal(left.body.entry.state, 'left');
    const [, offer2] = await smtp.waitFor(w2.email, 2);
    assert.match(offer2.parsed.text, /2 posti/);
    assert.equal(await invariants(perf), 0);
    const leftAgain = await post(stack, '/api/waitlist/leave', { token: w1.token });
    assert.equal(leftAgain.status, 200);

    // Nothing free: the admin's offer says so.
    let list = await as(admin, `/admin/performances/${perf}/waitlist`);
    const e3 = list.body.entries.find((e) => e.email === w3.email);
    assert.equal(e3.position, 1);
    const no = await as(admin, `/admin/waitlist/${e3.id}/offer`, { method: 'POST', body: {} });
    assert.equal(no.status, 409);
    assert.equal(no.body.error.code, 'not_enough_seats');
    // The admin raises the capacity by one: the trigger offers it to w3
    // (the only one whose minimum fits) in the same transaction.
    const up = await as(admin, `/admin/performances/${perf}`, { method: 'PATCH', body: { capacity: 5 } });
    assert.equal(up.status, 200, up.text);
    const [, offer3] = await smtp.waitFor(w3.email, 2);
    assert.match(offer3.parsed.text, /1 posto/);
    assert.equal(await invariants(perf), 0);

    // w3 lets it lapse; the admin offers to w3 again, by hand.
    await lapse(w3.email);
    await waitFor(async () => (await stack.psql(`SELECT state FROM waitlist_entries WHERE id = ${e3.id}`)) === 'expired',
      { what: 'the offer expired' });
    const manual = await as(admin, `/admin/waitlist/${e3.id}/offer`, { method: 'POST', body: { seats: 1 } });
    assert.equal(manual.status, 201, manual.text);
    assert.equal(manual.body.entry.state, 'offered');
    await smtp.waitFor(w3.email, 3);
    const audit = await stack.psql(`SELECT count(*) FROM audit_log WHERE entity = 'waitlist_entry' AND entity_id = ${e3.id} AND action = 'offer'`);
    assert.equal(audit, '1');
    const dupe = await as(admin, `/admin/waitlist/${e3.id}/offer`, { method: 'POST', body: {} });
    assert.equal(dupe.status, 409);
    assert.equal(dupe.body.error.code, 'not_waiting');
    list = await as(admin, `/admin/performances/${perf}/waitlist`);
    assert.equal(list.body.counts.offered, 2);
    assert.equal(list.body.counts.left, 1);
  });
});

describe('closing', () => {
  test('a cancelled performance tells each waiting party once, with the apology', async () => {
    const perf = await makePerformance(stack, { capacity: 3 });
    await booking(perf, 2);
    const h = await booking(perf, 1);
    const w1 = await join(perf, { seats: 2 });
    const w2 = await join(perf, { seats: 1, locale: 'en' });
    // One seat back: w2 (minimum 1) is offered, w1 keeps waiting.
    await post(stack, '/api/reservations/cancel', { token: h.token });
    await smtp.waitFor(w2.email, 2);
    const c = await as(admin, `/admin/performances/${perf}/cancel`, { method: 'POST', body: { message: 'Malattia.' } });
    assert.equal(c.status, 200, c.text);
    const [, closed] = await smtp.waitFor(w1.email, 2);
    assert.match(closed.parsed.subject, /^Spettacolo annullato: /);
    assert.ok(closed.parsed.text.includes('Malattia.'));
    assert.match(closed.parsed.text, /ci scusiamo/i);
    const [, , told] = await smtp.waitFor(w2.email, 3);
    assert.match(told.parsed.subject, /^Performance cancelled: /);
    await pause(1500);
    assert.equal(smtp.to(w1.email).length, 2, 'told once');
    assert.equal(smtp.to(w2.email).length, 3, 'told once');
    const states = await stack.psql(`SELECT string_agg(state, ',' ORDER BY id) FROM waitlist_entries WHERE performance_id = ${perf}`);
    assert.equal(states, 'closed,closed');
    assert.ok(await countersExact(stack));
  });

  test('booking closing closes the list: "no seats came back", once', async () => {
    const perf = await makePerformance(stack, { capacity: 2 });
    await booking(perf, 2);
    const w = await join(perf, { seats: 2, locale: 'en' });
    await stack.psql(`UPDATE performances SET booking_closes_at = now() - interval '1 second' WHERE id = ${perf}`);
    const [, closed] = await smtp.waitFor(w.email, 2);
    assert.match(closed.parsed.subject, /^Waiting list closed: /);
    assert.match(closed.parsed.text, /no seats came back/);
    await pause(2500);
    assert.equal(smtp.to(w.email).length, 2);
    const again = await post(stack, '/api/waitlist/confirm', { token: w.token });
    assert.equal(again.body.entry.state, 'closed');
  });
});
