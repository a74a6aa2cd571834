// The box office and the door on a real night (issue 14): the short
// booking code, the guest list and its counters, admissions with client
// ids and offline replays, walk-ins under a rush, releasing seats at
// curtain time, the admin's own bookings, seat changes and resending.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, startStack } from './stack.mjs';
import { confirmToken, startSmtp } from './smtp.mjs';
import { book, countersExact, loopback, makePerformance, post, postFrom, seatsAvailable, visitor } from './fixtures.mjs';

const CODE = /^[2-9A-HJKMNP-Z]{6,8}$/;

let stack;
let smtp;
let staff;
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

const door = (path, opts) => as(staff, path, opts);
const adm = (path, opts) => as(admin, path, opts);
const scan = (body) => door('/api/checkins', { method: 'POST', body });

/** The ticket token in a ticket message. */
function ticketToken(message) {
  const m = /\/t\/([A-Za-z0-9_-]{43})/.exec(message.parsed.text ?? '');
  if (!m) throw new Error('no ticket link in the message');
  return m[1];
}

/** Book and confirm: {email, confirm, ticket, ticketMail, id, code}. */
async function confirmed(perf, seats = 2, name = 'Door Guest') {
  const email = visitor('door');
  const r = await book(stack, perf, { name, email, seats });
  assert.equal(r.status, 201, r.text);
  const [msg] = await smtp.waitFor(email, 1);
  const confirm = confirmToken(msg);
  const c = await post(stack, '/api/reservations/confirm', { token: confirm });
  assert.equal(c.status, 200, c.text);
  const ticket = c.body.ticket.url.split('/t/')[1];
  const [, ticketMail] = await smtp.waitFor(email, 2);
  const t = await api(stack, `/api/tickets/${ticket}`);
  assert.equal(t.status, 200, t.text);
  const id = Number(await stack.psql(`SELECT id FROM reservations WHERE lower(email) = lower('${email}')`));
  return { email, confirm, ticket, ticketMail, id, code: t.body.ticket.code };
}

async function guests(perf, q) {
  const r = await door(`/api/performances/${perf}/guests${q === undefined ? '' : `?q=${encodeURIComponent(q)}`}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

before(async () => {
  smtp = await startSmtp();
  stack = await startStack({
    env: {
      BOXOFFICE_MAIL_BACKEND: 'smtp', BOXOFFICE_SMTP_HOST: '127.0.0.1', BOXOFFICE_SMTP_PORT: smtp.port,
      BOXOFFICE_RATE_LIMITS: 'off', BOXOFFICE_WORKERS: 2, BOXOFFICE_THREADS: 8,
    },
  });
  staff = await login(stack.demo.staff);
  admin = await login(stack.demo.admin);
});
afterEach(() => stack.checkSanitizers());
after(async () => {
  assert.ok(await countersExact(stack), 'seats_held equals the reservations of every performance');
  await stack?.stop();
  await smtp?.stop();
});

describe('the short booking code', () => {
  test('every reservation has one: on the ticket, in the ticket email, unique per performance', async () => {
    const perf = await makePerformance(stack);
    const a = await confirmed(perf);
    const b = await confirmed(perf);
    assert.match(a.code, CODE);
    assert.match(b.code, CODE);
    assert.notEqual(a.code, b.code);
    assert.ok(a.ticketMail.parsed.text.includes(a.code), 'the code is in the ticket email');
    assert.ok(a.ticketMail.parsed.html.includes(a.code), 'and in its HTML, next to the QR');
    // No look-alikes anywhere, and no two alike on one performance.
    assert.equal(await stack.psql(`SELECT count(*) FROM reservations WHERE code ~ '[01OIL]'`), '0');
    assert.equal(await stack.psql(`
      SELECT count(*) FROM (SELECT performance_id, code FROM reservations
                             GROUP BY 1, 2 HAVING count(*) > 1) d`), '0');
  });

  test('typed in lower case with spaces it admits; at another performance it is unknown', async () => {
    const perf = await makePerformance(stack);
    const other = await makePerformance(stack);
    const a = await confirmed(perf, 3);
    const typed = `${a.code.slice(0, 3).toLowerCase()} ${a.code.slice(3).toLowerCase()}`;
    const wrong = await scan({ code: typed, performance_id: other });
    assert.equal(wrong.status, 404, wrong.text);
    assert.equal(wrong.body.error.code, 'unknown_ticket');
    const r = await scan({ code: typed, performance_id: perf, seats: 1 });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.seats_admitted, 1);
    assert.equal(r.body.seats_remaining, 2);
    assert.equal(r.body.reservation.code, a.code);
    // A code alone names no booking: the performance is required.
    const alone = await scan({ code: a.code });
    assert.equal(alone.status, 422, alone.text);
    assert.deepEqual(alone.body.error.fields, { performance_id: 'required' });
    // Not of the alphabet, too short: unknown, never a 500.
    for (const code of ['0000OO', 'AB', 'x'.repeat(70), 'ABC-DEF-GHJK'])
      assert.equal((await scan({ code, performance_id: perf })).status, 404, code);
  });
});

describe('a scan checks its own session (one round trip)', () => {
  // POST /api/checkins resolves the staff session inside the scan's own
  // statement (sql/019_door_scan_session.sql), not in the dispatcher: the
  // same answers as every guarded route, and nothing admitted on any.
  const raw = (headers, body) => api(stack, '/api/checkins', {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  const admitted = (id) => stack.psql(`SELECT seats_admitted FROM reservations WHERE id = ${id}`);
  const session = (s, set) => stack.psql(`UPDATE sessions SET ${set} WHERE csrf_token = '${s.csrf}'`);

  test('forged, idle, ended and deactivated sessions: 401; a missing or wrong CSRF token: 403', async () => {
    const perf = await makePerformance(stack);
    const a = await confirmed(perf, 2);
    const body = { token: a.ticket, performance_id: perf, seats: 1 };
    const forged = await raw({ cookie: `bo_session=${'A'.repeat(43)}`, 'x-csrf-token': staff.csrf }, body);
    assert.equal(forged.status, 401, forged.text);
    assert.equal(forged.body.error.code, 'unauthorized');
    const s = await login(stack.demo.staff);
    for (const headers of [{ cookie: s.cookie }, { cookie: s.cookie, 'x-csrf-token': staff.csrf }, { cookie: s.cookie, 'x-csrf-token': 'x' }]) {
      const r = await raw(headers, body);
      assert.equal(r.status, 403, r.text);
      assert.equal(r.body.error.code, 'csrf_failed');
    }
    await session(s, "last_seen_at = now() - interval '5 hours'");
    const idle = await as(s, '/api/checkins', { method: 'POST', body });
    assert.equal(idle.status, 401, idle.text);
    const t = await login(stack.demo.staff);
    await session(t, "expires_at = now() - interval '1 second'");
    assert.equal((await as(t, '/api/checkins', { method: 'POST', body })).status, 401);
    assert.equal(await admitted(a.id), '0', 'nothing admitted on a refused session');
    // A staff account an admin deactivated signs nobody in at the door.
    const email = visitor('doorstaff');
    const u = await adm('/admin/users', { method: 'POST', body: { email, name: 'Temp Door', role: 'staff' } });
    assert.equal(u.status, 201, u.text);
    const temp = await login({ email, password: u.body.password });
    assert.equal((await as(temp, '/api/checkins', { method: 'POST', body })).status, 201);
    await stack.psql(`UPDATE users SET active = false WHERE id = ${u.body.user.id}`);
    const gone = await as(temp, '/api/checkins', { method: 'POST', body });
    assert.equal(gone.status, 401, gone.text);
    assert.equal(await admitted(a.id), '1');
  });

  test('a rush of scans is batched: each gets its own answer, no ticket over its seats', async () => {
    // Scans of one performance that meet in a worker run as one
    // transaction (app/batch.c): every scan still answers for itself, a
    // refused session in a batch refuses only its own scan, and rows
    // written by one transaction share its xmin.
    const perf = await makePerformance(stack, { capacity: 100 });
    const tickets = [];
    for (let i = 0; i < 8; i++) tickets.push(await confirmed(perf, 2, `Rush ${i}`));
    const bad = { cookie: staff.cookie, csrf: 'B'.repeat(43) };
    const scans = [];
    for (const [i, t] of tickets.entries()) {
      for (let k = 0; k < 4; k++)
        scans.push({ who: staff, t, body: { token: t.ticket, performance_id: perf, seats: 1, client_id: `rush-${process.pid}-${i}-${k}` } });
      scans.push({ who: bad, t, body: { token: t.ticket, performance_id: perf, seats: 1 } });
      // The same client id twice: a retry, admitted once.
      scans.push({ who: admin, t, body: { token: t.ticket, performance_id: perf, seats: 1, client_id: `rush-${process.pid}-${i}-0` } });
    }
    const answers = await Promise.all(scans.map((s) => as(s.who, '/api/checkins', { method: 'POST', body: s.body })));
    for (const [i, t] of tickets.entries()) {
      const mine = answers.filter((_, j) => scans[j].t === t);
      const fresh = mine.filter((r) => r.status === 201 && !r.body.replayed);
      assert.equal(fresh.length, 2, mine.map((r) => `${r.status} ${r.text}`).join('\n'));
      assert.equal(mine.filter((r) => r.status === 403).length, 1);
      assert.ok(mine.every((r) => [201, 403, 409].includes(r.status)), mine.map((r) => r.status).join(','));
      for (const r of mine.filter((x) => x.status === 201)) assert.equal(r.body.reservation.name, `Rush ${i}`);
      assert.equal(await stack.psql(`SELECT seats_admitted FROM reservations WHERE id = ${t.id}`), '2');
    }
    const ids = tickets.map((t) => t.id).join(',');
    const [rows, txs] = (await stack.psql(`SELECT count(*), count(DISTINCT xmin::text) FROM checkins WHERE reservation_id IN (${ids})`)).split('|');
    assert.equal(rows, '16');
    assert.ok(Number(txs) < 16, `16 admissions in ${txs} transactions: none batched`);
  });

  test('a session idle for hours still scans, and the scan refreshes it', async () => {
    const perf = await makePerformance(stack);
    const a = await confirmed(perf, 1);
    const s = await login(stack.demo.staff);
    await session(s, "last_seen_at = now() - interval '3 hours'");
    const r = await as(s, '/api/checkins', { method: 'POST', body: { token: a.ticket, performance_id: perf } });
    assert.equal(r.status, 201, r.text);
    assert.equal(await stack.psql(`SELECT last_seen_at > now() - interval '1 minute' FROM sessions WHERE csrf_token = '${s.csrf}'`), 't');
  });
});

describe('admissions with client ids, online and offline', () => {
  test('a retry with the same client_id admits once', async () => {
    const perf = await makePerformance(stack);
    const a = await confirmed(perf, 2);
    const body = { token: a.ticket, performance_id: perf, seats: 1, client_id: 'retry-0001-abcdef' };
    const first = await scan(body);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.replayed, false);
    const again = await scan(body);
    assert.equal(again.status, 201, again.text);
    assert.equal(again.body.replayed, true);
    assert.equal(again.body.seats_admitted, 1);
    assert.equal(again.body.checkin.id, first.body.checkin.id);
    assert.equal(await stack.psql(`SELECT seats_admitted FROM reservations WHERE id = ${a.id}`), '1');
    // The same id for another ticket is refused; a malformed one too.
    const b = await confirmed(perf, 1);
    const reused = await scan({ token: b.ticket, performance_id: perf, client_id: 'retry-0001-abcdef' });
    assert.equal(reused.status, 409, reused.text);
    assert.equal(reused.body.error.code, 'client_id_reused');
    const bad = await scan({ token: b.ticket, client_id: 'x y' });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.error.fields, { client_id: 'invalid' });
  });

  test('two phones admitted the same 2-seat ticket offline: 2 accepted, 2 reported over', async () => {
    const perf = await makePerformance(stack);
    const a = await confirmed(perf, 2, 'Offline Twice');
    const phoneA = { token: a.ticket, performance_id: perf, seats: 2, offline: true, client_id: 'phone-a-000001' };
    const phoneB = { code: a.code.toLowerCase(), performance_id: perf, seats: 2, offline: true, client_id: 'phone-b-000001' };
    const ra = await scan(phoneA);
    assert.equal(ra.status, 201, ra.text);
    assert.equal(ra.body.seats_admitted, 2);
    assert.equal(ra.body.excess, 0);
    const rb = await scan(phoneB);
    assert.equal(rb.status, 200, rb.text);
    assert.equal(rb.body.result, 'excess');
    assert.equal(rb.body.seats_admitted, 0);
    assert.equal(rb.body.excess, 2);
    assert.equal(rb.body.reservation.door_excess, 2);
    // Sent again (the phone lost the answer): the same report, nothing more.
    const rb2 = await scan(phoneB);
    assert.equal(rb2.body.replayed, true);
    assert.equal(rb2.body.excess, 2);
    // Both phones see it in the list.
    const g = (await guests(perf)).guests.find((x) => x.code === a.code);
    assert.equal(g.seats_admitted, 2);
    assert.equal(g.door_excess, 2);
    assert.equal(await stack.psql(`SELECT count(*) FROM checkins WHERE reservation_id = ${a.id}`), '1');
  });

  test('offline, part over: 1 of 2 left, a phone let 2 in', async () => {
    const perf = await makePerformance(stack);
    const a = await confirmed(perf, 2);
    assert.equal((await scan({ token: a.ticket, seats: 1 })).status, 201);
    const r = await scan({ token: a.ticket, seats: 2, offline: true, client_id: 'phone-c-000001' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.seats_admitted, 1);
    assert.equal(r.body.excess, 1);
    assert.equal(r.body.seats_remaining, 0);
  });
});

describe('the guest list', () => {
  test('names, seats, notes and codes, searchable; counters that add up', async () => {
    const perf = await makePerformance(stack, { capacity: 20, occupied: 2, extra: 1 });
    const email = visitor('maria');
    const r = await book(stack, perf, { name: 'Maria Rossi', email, seats: 2, notes: 'wheelchair, front row' });
    assert.equal(r.status, 201);
    const [msg] = await smtp.waitFor(email, 1);
    assert.equal((await post(stack, '/api/reservations/confirm', { token: confirmToken(msg) })).status, 200);
    const b = await confirmed(perf, 3, 'Bruno Bianchi');
    assert.equal((await book(stack, perf, { name: 'Pending Person', email: visitor('p'), seats: 1 })).status, 201);
    assert.equal((await scan({ token: b.ticket, seats: 2 })).status, 201);

    const all = await guests(perf);
    assert.deepEqual(all.guests.map((x) => x.name), ['Bruno Bianchi', 'Maria Rossi', 'Pending Person']);
    const maria = all.guests[1];
    assert.equal(maria.notes, 'wheelchair, front row');
    assert.equal(maria.status, 'confirmed');
    assert.match(maria.code, CODE);
    assert.match(maria.ticket_hash, /^[0-9a-f]{64}$/);
    assert.equal(all.guests[2].status, 'pending');
    assert.equal(all.counters.expected, 5);
    assert.equal(all.counters.admitted, 2);
    assert.equal(all.counters.held, 1);
    // capacity − manually occupied + extra − confirmed − live holds
    assert.equal(all.counters.free, 20 - 2 + 1 - 5 - 1);
    assert.equal(all.counters.free, await seatsAvailable(stack, perf));
    assert.equal(all.counters.no_shows, 0, 'before curtain nobody is a no-show');

    assert.deepEqual((await guests(perf, 'rossi')).guests.map((x) => x.name), ['Maria Rossi']);
    assert.deepEqual((await guests(perf, email.slice(0, 8))).guests.map((x) => x.name), ['Maria Rossi']);
    assert.deepEqual((await guests(perf, b.code.toLowerCase())).guests.map((x) => x.name), ['Bruno Bianchi']);
    assert.equal((await guests(perf, 'nobody-like-this')).guests.length, 0);
    assert.equal((await door(`/api/performances/999999/guests`)).status, 404);
    assert.equal((await api(stack, `/api/performances/${perf}/guests`)).status, 401);
  });
});

describe('walk-ins', () => {
  test('booked and admitted at once; never more than the free seats', async () => {
    const perf = await makePerformance(stack, { capacity: 5 });
    const r = await door(`/api/performances/${perf}/walkins`, { method: 'POST', body: { seats: 2, name: 'At the door' } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.reservation.seats_admitted, 2);
    assert.match(r.body.reservation.code, CODE);
    assert.equal(r.body.seats_available, 3);
    const anon = await door(`/api/performances/${perf}/walkins`, { method: 'POST', body: { seats: 1 } });
    assert.equal(anon.status, 201, anon.text);
    const over = await door(`/api/performances/${perf}/walkins`, { method: 'POST', body: { seats: 3 } });
    assert.equal(over.status, 409);
    assert.equal(over.body.error.code, 'not_enough_seats');
    assert.equal(over.body.error.seats_available, 2);
    const g = await guests(perf);
    assert.equal(g.counters.admitted, 3);
    assert.equal(g.counters.walk_ins, 3);
    const bad = await door(`/api/performances/${perf}/walkins`, { method: 'POST', body: { seats: 0 } });
    assert.equal(bad.status, 422);
    assert.equal((await door('/api/performances/999999/walkins', { method: 'POST', body: { seats: 1 } })).status, 404);
  });

  test('under a rush of online bookings the house is never oversold', async () => {
    const perf = await makePerformance(stack, { capacity: 30, max: 2 });
    // Each visitor from an address of its own, as in a real rush (the
    // abuse caps count per client network).
    const online = Array.from({ length: 30 }, (_, i) =>
      postFrom(stack, loopback(i), `/api/performances/${perf}/reservations`,
        { name: 'Rush', email: visitor('rush'), seats: 1 }));
    const walkins = Array.from({ length: 20 }, () =>
      door(`/api/performances/${perf}/walkins`, { method: 'POST', body: { seats: 1 } }));
    const results = await Promise.all([...online, ...walkins]);
    const ok = results.filter((x) => x.status === 201).length;
    const full = results.filter((x) => x.status === 409).length;
    assert.equal(ok + full, results.length, results.filter((x) => ![201, 409].includes(x.status)).map((x) => x.text).join('\n'));
    assert.equal(ok, 30, 'every seat sold, none twice');
    assert.equal(await stack.psql(`
      SELECT sum(seats) FROM reservations WHERE performance_id = ${perf} AND status IN ('pending', 'confirmed')`), '30');
    assert.equal(await seatsAvailable(stack, perf), 0);
    assert.ok(await countersExact(stack));
  });
});

describe('releasing seats at curtain time', () => {
  test('holds always, absent seats only when the admin allows; not before curtain', async () => {
    const future = await makePerformance(stack);
    const early = await door(`/api/performances/${future}/release`, { method: 'POST', body: {} });
    assert.equal(early.status, 409);
    assert.equal(early.body.error.code, 'not_started');

    const perf = await makePerformance(stack, { capacity: 10, startsIn: '30 minutes' });
    const a = await confirmed(perf, 3, 'Came Partly');
    const b = await confirmed(perf, 2, 'Never Came');
    assert.equal((await book(stack, perf, { name: 'Hold', email: visitor('h'), seats: 2 })).status, 201);
    assert.equal((await scan({ token: a.ticket, seats: 1 })).status, 201);
    await stack.psql(`UPDATE performances SET starts_at = now() - interval '5 minutes' WHERE id = ${perf}`);
    assert.equal((await guests(perf)).counters.no_shows, 4);

    const first = await door(`/api/performances/${perf}/release`, { method: 'POST', body: {} });
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.body.released, { holds: 2, absent: 0 });
    assert.equal((await guests(perf)).counters.free, 10 - 5);

    const flag = await adm(`/admin/performances/${perf}/door`, { method: 'PATCH', body: { release_absent: true } });
    assert.equal(flag.status, 200, flag.text);
    const second = await door(`/api/performances/${perf}/release`, { method: 'POST', body: {} });
    assert.deepEqual(second.body.released, { holds: 0, absent: 4 });
    const g = await guests(perf);
    assert.equal(g.counters.free, 10 - 1);
    const never = g.guests.find((x) => x.id === b.id);
    assert.equal(never.status, 'cancelled');
    assert.equal(never.released_seats, 2);
    const partly = g.guests.find((x) => x.id === a.id);
    assert.equal(partly.seats, 1);
    assert.equal(partly.released_seats, 2);
    assert.ok(await countersExact(stack));
  });
});

describe('the box office in the admin', () => {
  test('a phone booking without email: confirmed at once, no message, a code and a ticket link', async () => {
    const perf = await makePerformance(stack, { capacity: 10 });
    const r = await adm(`/admin/performances/${perf}/reservations`, {
      method: 'POST', body: { name: 'Telefono Tizio', phone: '+39 051 123456', notes: 'pays at the door', seats: 3 },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.reservation.status, 'confirmed');
    assert.equal(r.body.reservation.source, 'admin');
    assert.equal(r.body.reservation.email, '');
    assert.match(r.body.reservation.code, CODE);
    const ticket = r.body.ticket.url.split('/t/')[1];
    assert.equal((await api(stack, `/api/tickets/${ticket}`)).body.ticket.code, r.body.reservation.code);
    assert.equal(await stack.psql(`SELECT count(*) FROM outbox WHERE reservation_id = ${r.body.reservation.id}`), '0',
      'no message without an address');
    assert.equal(await seatsAvailable(stack, perf), 7);
    // Admitted by its code.
    const s = await scan({ code: r.body.reservation.code, performance_id: perf });
    assert.equal(s.status, 201, s.text);
    assert.equal(s.body.reservation.notes, 'pays at the door');
    // Audited.
    const log = await adm(`/admin/audit?entity=reservation&entity_id=${r.body.reservation.id}`);
    assert.equal(log.body.entries[0].action, 'create');
    // Pending needs an address; too many seats is refused.
    const pend = await adm(`/admin/performances/${perf}/reservations`, { method: 'POST', body: { name: 'X', seats: 1, confirmed: false } });
    assert.equal(pend.status, 422);
    assert.deepEqual(pend.body.error.fields, { confirmed: 'needs_email' });
    const over = await adm(`/admin/performances/${perf}/reservations`, { method: 'POST', body: { name: 'X', seats: 8 } });
    assert.equal(over.status, 409);
    assert.equal(over.body.error.seats_available, 7);
    const bad = await adm(`/admin/performances/${perf}/reservations`, { method: 'POST', body: { name: '', email: 'nope', seats: 1 } });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.error.fields, { name: 'required', email: 'invalid' });
  });

  test('with email: the ticket (confirmed) or the confirmation link (pending) is sent', async () => {
    const perf = await makePerformance(stack);
    const email = visitor('adm');
    const r = await adm(`/admin/performances/${perf}/reservations`, { method: 'POST', body: { name: 'Mail Ticket', email, seats: 2, locale: 'en' } });
    assert.equal(r.status, 201, r.text);
    const [msg] = await smtp.waitFor(email, 1);
    const ticket = ticketToken(msg);
    assert.ok(msg.parsed.text.includes(r.body.reservation.code), 'the code in the ticket email');
    assert.equal((await api(stack, `/api/tickets/${ticket}`)).body.ticket.status, 'confirmed');

    const email2 = visitor('adm');
    const p = await adm(`/admin/performances/${perf}/reservations`, { method: 'POST', body: { name: 'Mail Link', email: email2, seats: 1, confirmed: false } });
    assert.equal(p.status, 201, p.text);
    assert.equal(p.body.reservation.status, 'pending');
    assert.equal(p.body.ticket, undefined);
    const [link] = await smtp.waitFor(email2, 1);
    const c = await post(stack, '/api/reservations/confirm', { token: confirmToken(link) });
    assert.equal(c.status, 200, c.text);
  });

  test('seats up and down through the seat rules; contact fields; audited without personal data', async () => {
    const perf = await makePerformance(stack, { capacity: 6 });
    const a = await confirmed(perf, 2);
    const up = await adm(`/admin/reservations/${a.id}`, { method: 'PATCH', body: { seats: 4 } });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.body.reservation.seats, 4);
    assert.equal(await seatsAvailable(stack, perf), 2);
    const tooMany = await adm(`/admin/reservations/${a.id}`, { method: 'PATCH', body: { seats: 7 } });
    assert.equal(tooMany.status, 409);
    assert.equal(tooMany.body.error.code, 'not_enough_seats');
    assert.equal(tooMany.body.error.seats_available, 2);
    assert.equal((await scan({ token: a.ticket, seats: 3 })).status, 201);
    const below = await adm(`/admin/reservations/${a.id}`, { method: 'PATCH', body: { seats: 2 } });
    assert.equal(below.status, 409);
    assert.equal(below.body.error.code, 'checked_in');
    assert.equal(below.body.error.seats_admitted, 3);
    const down = await adm(`/admin/reservations/${a.id}`, { method: 'PATCH', body: { seats: 3, name: 'New Name', phone: '051 22', notes: 'late' } });
    assert.equal(down.status, 200, down.text);
    assert.equal(down.body.reservation.seats, 3);
    assert.equal(down.body.reservation.name, 'New Name');
    assert.equal(await seatsAvailable(stack, perf), 3);
    const same = await adm(`/admin/reservations/${a.id}`, { method: 'PATCH', body: { seats: 3 } });
    assert.equal(same.status, 200);
    const log = await adm(`/admin/audit?entity=reservation&entity_id=${a.id}`);
    const entry = log.body.entries.find((e) => e.action === 'update' && e.after.changed.includes('name'));
    assert.deepEqual(entry.after.changed, ['seats', 'name', 'phone', 'notes']);
    assert.ok(!JSON.stringify(log.body).includes('New Name'), 'no personal data in the audit log');
    const bad = await adm(`/admin/reservations/${a.id}`, { method: 'PATCH', body: { email: 'bad', seats: 0 } });
    assert.equal(bad.status, 422);
    assert.equal((await adm('/admin/reservations/999999', { method: 'PATCH', body: { seats: 1 } })).status, 404);
  });

  test('resend: new links go out, the old ticket and confirm links stop working', async () => {
    const perf = await makePerformance(stack);
    const a = await confirmed(perf, 2);
    const r = await adm(`/admin/reservations/${a.id}/resend`, { method: 'POST', body: {} });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.sent, 'ticket');
    const msgs = await smtp.waitFor(a.email, 3);
    const fresh = ticketToken(msgs[2]);
    assert.notEqual(fresh, a.ticket);
    assert.equal((await api(stack, `/api/tickets/${a.ticket}`)).status, 404, 'the old ticket is refused');
    assert.equal((await scan({ token: a.ticket })).status, 404, 'at the door too');
    assert.equal((await post(stack, '/api/reservations/confirm', { token: a.confirm })).status, 404, 'the old link too');
    assert.equal((await api(stack, `/api/tickets/${fresh}`)).status, 200);
    assert.equal((await scan({ token: fresh })).status, 201);
    const log = await adm(`/admin/audit?entity=reservation&entity_id=${a.id}`);
    assert.ok(log.body.entries.some((e) => e.action === 'resend'));
    // No address: nothing to send.
    const phone = await adm(`/admin/performances/${perf}/reservations`, { method: 'POST', body: { name: 'No Mail', seats: 1 } });
    const none = await adm(`/admin/reservations/${phone.body.reservation.id}/resend`, { method: 'POST', body: {} });
    assert.equal(none.status, 409);
    assert.equal(none.body.error.code, 'no_email');
  });
});

describe('the dashboard and the door list', () => {
  test('fill, bookings per day and show-up share from one endpoint', async () => {
    const perf = await makePerformance(stack, { capacity: 10, startsIn: '2 days' });
    const a = await confirmed(perf, 3);
    assert.equal((await book(stack, perf, { name: 'P', email: visitor('p'), seats: 2 })).status, 201);
    assert.equal((await scan({ token: a.ticket, seats: 1 })).status, 201);
    const r = await adm('/admin/dashboard');
    assert.equal(r.status, 200, r.text);
    const p = r.body.coming.find((x) => x.id === perf);
    assert.deepEqual({ seats: p.seats, confirmed: p.confirmed, pending: p.pending, admitted: p.admitted, free: p.free },
      { seats: 10, confirmed: 3, pending: 2, admitted: 1, free: 5 });
    assert.equal(r.body.per_day.length, 28);
    assert.ok(r.body.per_day.at(-1).reservations >= 2);
    const past = await makePerformance(stack, { capacity: 10, startsIn: '2 days' });
    const b = await confirmed(past, 4);
    assert.equal((await scan({ token: b.ticket, seats: 3 })).status, 201);
    await stack.psql(`UPDATE performances SET starts_at = now() - interval '1 hour' WHERE id = ${past}`);
    const q = (await adm('/admin/dashboard')).body.past.find((x) => x.id === past);
    assert.deepEqual({ booked: q.booked, admitted: q.admitted, no_shows: q.no_shows, share: q.show_up_percent },
      { booked: 4, admitted: 3, no_shows: 1, share: 75 });
  });

  test('the CSV: local times with an offset, to the second, sorted by name', async () => {
    const perf = await makePerformance(stack);
    await confirmed(perf, 1, 'zeta Last');
    await confirmed(perf, 1, 'Alfa First');
    await confirmed(perf, 1, 'mezzo Middle');
    const r = await adm(`/admin/performances/${perf}/reservations?format=csv`);
    assert.equal(r.status, 200);
    const lines = r.text.replace(/^\uFEFF/, '').trim().split('\r\n');
    const names = lines.slice(1).map((l) => l.split(',')[3]);
    assert.deepEqual(names, ['Alfa First', 'mezzo Middle', 'zeta Last']);
    const created = lines[1].split(',')[1];
    assert.match(created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    assert.ok(lines[0].endsWith(',code'), lines[0]);
  });
});
