// Booking: reserve, confirm by email, ticket and QR, cancel — against a
// real stack (nginx, workers, PostgreSQL) and a real SMTP server.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { api, startStack, waitFor } from './stack.mjs';
import { confirmToken, startSmtp } from './smtp.mjs';
import { book, countersExact, makePerformance, post, postFrom, seatsAvailable, visitor } from './fixtures.mjs';

let stack;
let smtp;
const secrets = new Set(); // every token and address the tests saw

function decodeQr(pngBytes) {
  const png = PNG.sync.read(Buffer.from(pngBytes));
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  assert.ok(code, 'the PNG holds a readable QR code');
  return code.data;
}

/** Book, read the confirmation email, return {token, email, response}. */
async function bookAndGetToken(perf, seats = 2, extra = {}) {
  const email = visitor();
  secrets.add(email);
  const r = await book(stack, perf, { name: 'Anna Rossi', email, seats, ...extra });
  assert.equal(r.status, 201, r.text);
  const [msg] = await smtp.waitFor(email, 1);
  const token = confirmToken(msg);
  secrets.add(token);
  return { token, email, response: r, message: msg };
}

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
    },
  });
});

afterEach(() => stack.checkSanitizers());

after(async () => {
  await stack?.stop();
  await smtp?.stop();
});

describe('the visitor flow', () => {
  test('book, confirm by email, QR ticket, confirm again, cancel', async () => {
    const perf = await makePerformance(stack, { capacity: 50 });
    const before = await seatsAvailable(stack, perf);
    const { token, email, response, message } = await bookAndGetToken(perf, 3, { locale: 'en' });

    // 201 says pending and when the hold ends, and carries no token.
    assert.equal(response.body.reservation.status, 'pending');
    assert.equal(response.body.reservation.seats, 3);
    assert.ok(Date.parse(response.body.reservation.expires_at) > Date.now());
    assert.doesNotMatch(response.text, /[A-Za-z0-9_-]{43}/);
    assert.equal(await seatsAvailable(stack, perf), before - 3);

    // The confirmation message: English, to the visitor, with the link.
    assert.equal(message.envelope.to[0], email);
    assert.match(message.parsed.subject, /^Confirm your booking/);
    assert.ok(message.parsed.html.includes(`/confirm#${token}`));

    // Confirm: the ticket, and the ticket email with QR and calendar.
    const c = await post(stack, '/api/reservations/confirm', { token });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.reservation.status, 'confirmed');
    assert.equal(c.body.reservation.seats, 3);
    const ticketUrl = c.body.ticket.url;
    assert.match(ticketUrl, new RegExp(`^${stack.url}/t/[A-Za-z0-9_-]{43}$`));
    const ticketToken = ticketUrl.split('/t/')[1];
    secrets.add(ticketToken);
    assert.notEqual(ticketToken, token);

    const [, ticketMail] = await smtp.waitFor(email, 2);
    assert.match(ticketMail.parsed.subject, /^Your ticket/);
    const png = ticketMail.parsed.attachments.find((a) => a.contentType === 'image/png');
    const ics = ticketMail.parsed.attachments.find((a) => a.contentType.startsWith('text/calendar'));
    assert.ok(png && ics, 'inline PNG and .ics attached');
    assert.equal(png.cid, 'ticket-qr');
    // mailparser resolves the HTML's cid: reference to the inline part.
    assert.match(ticketMail.parsed.html, /<img src="data:image\/png;base64,/);
    assert.match(ticketMail.raw, /\r\nContent-ID: <ticket-qr>\r\n/);
    assert.equal(decodeQr(png.content), ticketUrl, 'the QR in the email is the ticket URL');
    // In the theatre's time zone, which the calendar file defines.
    assert.match(ics.content.toString(), /BEGIN:VTIMEZONE\r\nTZID:Europe\/Rome\r\n[\s\S]*END:VTIMEZONE\r\n/);
    assert.match(ics.content.toString(), /BEGIN:VEVENT[\s\S]*DTSTART;TZID=Europe\/Rome:\d{8}T\d{6}\r\n/);

    // The page's calendar file is the email's: one writer, one event.
    const cal = await api(stack, `/api/tickets/${ticketToken}/event.ics`);
    assert.equal(cal.status, 200);
    assert.match(cal.headers.get('content-type'), /^text\/calendar/);
    const field = (text, name) => text.replace(/\r\n /g, '').match(new RegExp(`\r\n${name}(;[^:\r]*)?:([^\r]*)\r\n`))?.slice(1).join('');
    for (const name of ['UID', 'PRODID', 'DTSTART', 'DTEND', 'SUMMARY', 'LOCATION', 'URL']) {
      assert.ok(field(cal.text, name), name);
      assert.equal(field(cal.text, name), field(ics.content.toString(), name), name);
    }
    assert.equal(field(cal.text, 'URL'), ticketUrl);

    // The QR endpoints give the same payload and nothing else.
    const qrPng = await fetch(stack.url + c.body.ticket.qr_png);
    assert.equal(qrPng.headers.get('content-type'), 'image/png');
    assert.equal(decodeQr(await qrPng.arrayBuffer()), ticketUrl);
    const qrSvg = await api(stack, c.body.ticket.qr_svg);
    assert.match(qrSvg.headers.get('content-type'), /^image\/svg\+xml(;|$)/);
    assert.match(qrSvg.text, /^<svg[\s\S]*<\/svg>\s*$/);
    assert.ok(!qrSvg.text.includes(ticketToken));

    // The ticket: no personal data.
    const t = await api(stack, `/api/tickets/${ticketToken}`);
    assert.equal(t.status, 200, t.text);
    assert.equal(t.body.ticket.status, 'confirmed');
    assert.equal(t.body.ticket.seats, 3);
    assert.equal(t.body.ticket.url, ticketUrl);
    for (const leak of [email, 'Anna', 'phone', 'notes', 'email'])
      assert.ok(!t.text.includes(leak), `ticket must not include ${leak}`);

    // Confirming twice returns the same ticket and sends nothing new.
    const again = await post(stack, '/api/reservations/confirm', { token });
    assert.equal(again.status, 200);
    assert.equal(again.body.ticket.url, ticketUrl);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(smtp.to(email).length, 2);

    // Cancel: seats come back; the link now says cancelled.
    const x = await post(stack, '/api/reservations/cancel', { token });
    assert.equal(x.status, 200, x.text);
    assert.equal(x.body.reservation.status, 'cancelled');
    assert.equal(await seatsAvailable(stack, perf), before);
    assert.equal((await post(stack, '/api/reservations/cancel', { token })).status, 200);
    const late = await post(stack, '/api/reservations/confirm', { token });
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, 'cancelled');
    assert.equal((await api(stack, `/api/tickets/${ticketToken}`)).body.ticket.status, 'cancelled');
  });

  test('Italian is the default language of the messages', async () => {
    const perf = await makePerformance(stack);
    const { message } = await bookAndGetToken(perf, 1);
    assert.match(message.parsed.subject, /^Conferma la prenotazione/);
    assert.match(message.parsed.text, /1 posto/);
  });

  test('cancel, then the freed seats can be booked', async () => {
    const perf = await makePerformance(stack, { capacity: 4, max: 4 });
    const first = await bookAndGetToken(perf, 4);
    const full = await book(stack, perf, { name: 'B', email: visitor(), seats: 1 });
    assert.equal(full.status, 409);
    assert.equal(full.body.error.code, 'not_enough_seats');
    assert.equal(full.body.error.seats_available, 0);
    assert.equal((await post(stack, '/api/reservations/cancel', { token: first.token })).status, 200);
    const again = await book(stack, perf, { name: 'C', email: visitor(), seats: 4 });
    assert.equal(again.status, 201, again.text);
  });

  test('an expired hold stops counting at once and is confirmed only if seats are left', async () => {
    const perf = await makePerformance(stack, { capacity: 4, max: 4 });
    const a = await bookAndGetToken(perf, 3);
    await stack.psql(`UPDATE reservations SET expires_at = now() - interval '1 second'
                      WHERE performance_id = ${perf}`);
    assert.equal(await seatsAvailable(stack, perf), 4, 'an expired hold frees its seats by time');

    // Seats still free: confirming the expired hold works.
    const ok = await post(stack, '/api/reservations/confirm', { token: a.token });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(await seatsAvailable(stack, perf), 1);

    // Now expire a hold whose seats someone else takes meanwhile.
    const b = await bookAndGetToken(perf, 1);
    await stack.psql(`UPDATE reservations SET expires_at = now() - interval '1 second'
                      WHERE performance_id = ${perf} AND status = 'pending'`);
    const taker = await book(stack, perf, { name: 'T', email: visitor(), seats: 1 });
    assert.equal(taker.status, 201);
    const late = await post(stack, '/api/reservations/confirm', { token: b.token });
    assert.equal(late.status, 409, late.text);
    assert.equal(late.body.error.code, 'not_enough_seats');
    assert.equal(late.body.error.seats_available, 0);
  });

  test('an expired hold is confirmed only while booking is open and the show published', async () => {
    const perf = await makePerformance(stack, { capacity: 10, max: 4 });
    const a = await bookAndGetToken(perf, 2);
    const b = await bookAndGetToken(perf, 2);
    // A hold still running is the visitor's: confirmed even after booking closed.
    await stack.psql(`UPDATE performances SET booking_closes_at = now() - interval '1 second',
                        booking_opens_at = now() - interval '1 day' WHERE id = ${perf}`);
    assert.equal((await post(stack, '/api/reservations/confirm', { token: a.token })).status, 200);
    // An expired one is a new claim on seats: refused like a booking.
    await stack.psql(`UPDATE reservations SET expires_at = now() - interval '1 second'
                      WHERE performance_id = ${perf} AND status = 'pending'`);
    const closed = await post(stack, '/api/reservations/confirm', { token: b.token });
    assert.equal(closed.status, 409, closed.text);
    assert.equal(closed.body.error.code, 'booking_closed');

    // The show unpublished: the same.
    const slug = `hidden-${process.pid}`;
    const perf2 = Number((await stack.psql(`
      WITH s AS (INSERT INTO shows (slug, title, published) VALUES ('${slug}', 'Hidden', true) RETURNING id)
      INSERT INTO performances (show_id, venue_id, starts_at, capacity)
      SELECT s.id, (SELECT id FROM venues ORDER BY id LIMIT 1), now() + interval '10 days', 10 FROM s
      RETURNING id`)).split('\n')[0]);
    const c = await bookAndGetToken(perf2, 1);
    await stack.psql(`UPDATE shows SET published = false WHERE slug = '${slug}';
                      UPDATE reservations SET expires_at = now() - interval '1 second' WHERE performance_id = ${perf2}`);
    const hidden = await post(stack, '/api/reservations/confirm', { token: c.token });
    assert.equal(hidden.status, 409, hidden.text);
    assert.equal(hidden.body.error.code, 'booking_closed');
    assert.ok(await countersExact(stack));
  });

  test('the first message quotes nothing the visitor typed; its only link confirms', async () => {
    const perf = await makePerformance(stack);
    const { message } = await bookAndGetToken(perf, 1, { name: 'Zoë www.evil.example', notes: 'see https://evil.example', phone: '+39 333 1234' });
    assert.doesNotMatch(message.raw, /Zo|evil|333 1234/);
    assert.match(message.parsed.text, /^Buongiorno,$/m);
    const links = message.parsed.text.match(/https?:\/\/\S+/g);
    assert.equal(links.length, 1);
    assert.match(links[0], /\/confirm#/);
    assert.deepEqual([...message.parsed.html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]), [links[0]]);
  });

  test('a network that books and never confirms is capped per day, over all performances', async () => {
    const perf = await makePerformance(stack, { capacity: 500 });
    const from = '127.0.0.9';
    // 100 (BOXOFFICE_PENDING_BOOKINGS_PER_NETWORK_DAY) unconfirmed bookings
    // of this network today, on another performance, already expired.
    const other = await makePerformance(stack);
    await stack.psql(`INSERT INTO reservations (performance_id, name, email, seats, status, expires_at,
                        confirm_token_hash, ticket_token_hash, client_net)
      SELECT ${other}, '', '', 1, 'expired', now() - interval '1 minute',
             sha256(('nc${process.pid}' || g)::bytea), sha256(('nt${process.pid}' || g)::bytea), '${from}'
        FROM generate_series(1, 100) g`);
    const r = await postFrom(stack, from, `/api/performances/${perf}/reservations`, { name: 'N', email: visitor(), seats: 1 });
    assert.equal(r.status, 429, r.text);
    assert.equal(r.body.error.code, 'too_many_pending');
    // Another network is not affected.
    assert.equal((await postFrom(stack, '127.0.0.10', `/api/performances/${perf}/reservations`, { name: 'N', email: visitor(), seats: 1 })).status, 201);
    await stack.psql(`UPDATE reservations SET client_net = NULL WHERE client_net = '${from}'`);
  });

  test('one pending booking per email and performance: 409 already_pending, nothing held, nothing sent', async () => {
    const perf = await makePerformance(stack, { capacity: 100, max: 6 });
    const email = visitor('again');
    const first = await book(stack, perf, { name: 'F', email, seats: 4 });
    assert.equal(first.status, 201, first.text);
    // The same address, upper-cased: the hold it has, not a second one.
    const again = await book(stack, perf, { name: 'F', email: email.toUpperCase(), seats: 2 });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.error.code, 'already_pending');
    assert.match(again.body.error.message, /email we sent/);
    assert.equal(again.body.error.pending.seats, 4);
    assert.equal(Date.parse(again.body.error.pending.expires_at), Date.parse(first.body.reservation.expires_at));
    assert.equal(await stack.psql(`SELECT count(*) FROM reservations WHERE performance_id = ${perf}`), '1');
    const [msg] = await smtp.waitFor(email, 1);
    assert.equal(await stack.psql(`SELECT count(*) FROM outbox WHERE lower(recipient) = lower('${email}')`), '1', 'one message');
    // Another performance is another booking.
    const other = await makePerformance(stack, { capacity: 100, max: 6 });
    assert.equal((await book(stack, other, { name: 'F', email, seats: 1 })).status, 201);
    // Once confirmed, the address may book the same performance again.
    assert.equal((await post(stack, '/api/reservations/confirm', { token: confirmToken(msg) })).status, 200);
    assert.equal((await book(stack, perf, { name: 'F', email, seats: 6 })).status, 201);
  });

  test('the sweep marks expired holds as expired', async () => {
    const perf = await makePerformance(stack);
    await bookAndGetToken(perf, 1);
    await stack.psql(`UPDATE reservations SET expires_at = now() - interval '1 second'
                      WHERE performance_id = ${perf}`);
    // The sweep runs every BOXOFFICE_SWEEP_SECONDS (2 here) in each worker.
    await waitFor(async () => (await stack.psql(
      `SELECT status FROM reservations WHERE performance_id = ${perf}`)) === 'expired',
    { timeout: 15_000, what: 'the hold to be marked expired' });
  });

  test('cancelling after check-in or after the start is refused', async () => {
    const perf = await makePerformance(stack);
    const a = await bookAndGetToken(perf, 2);
    assert.equal((await post(stack, '/api/reservations/confirm', { token: a.token })).status, 200);
    await stack.psql(`UPDATE reservations SET seats_admitted = 1 WHERE performance_id = ${perf}`);
    const r = await post(stack, '/api/reservations/cancel', { token: a.token });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'checked_in');

    const perf2 = await makePerformance(stack);
    const b = await bookAndGetToken(perf2, 1);
    await stack.psql(`UPDATE performances SET starts_at = now() - interval '1 minute' WHERE id = ${perf2}`);
    const r2 = await post(stack, '/api/reservations/cancel', { token: b.token });
    assert.equal(r2.status, 409);
    assert.equal(r2.body.error.code, 'performance_started');
  });
});

describe('bad input gets a clear error and changes nothing', () => {
  let perf;
  before(async () => {
    perf = await makePerformance(stack, { capacity: 10, max: 4 });
  });

  const good = { name: 'Anna Rossi', email: 'anna@example.org', seats: 1 };
  const cases = [
    ['name missing', { ...good, name: undefined }, 'name', 'required'],
    ['name blank', { ...good, name: '   ' }, 'name', 'required'],
    ['name too long', { ...good, name: 'x'.repeat(121) }, 'name', 'too_long'],
    ['name with control characters', { ...good, name: 'An\u0007na' }, 'name', 'invalid'],
    ['name not a string', { ...good, name: 42 }, 'name', 'not_a_string'],
    ['email missing', { ...good, email: undefined }, 'email', 'required'],
    ['email without @', { ...good, email: 'anna.example.org' }, 'email', 'invalid'],
    ['email without domain dot', { ...good, email: 'anna@localhost' }, 'email', 'invalid'],
    ['email too long', { ...good, email: `${'a'.repeat(250)}@x.org` }, 'email', 'too_long'],
    ['seats missing', { ...good, seats: undefined }, 'seats', 'required'],
    ['seats zero', { ...good, seats: 0 }, 'seats', 'out_of_range'],
    ['seats negative', { ...good, seats: -2 }, 'seats', 'out_of_range'],
    ['seats fractional', { ...good, seats: 1.5 }, 'seats', 'not_an_integer'],
    ['seats a string', { ...good, seats: '2' }, 'seats', 'not_an_integer'],
    ['seats above the maximum', { ...good, seats: 5 }, 'seats', 'too_many'],
    ['phone with letters', { ...good, phone: 'call me' }, 'phone', 'invalid'],
    ['notes too long', { ...good, notes: 'n'.repeat(1001) }, 'notes', 'too_long'],
    ['locale unknown', { ...good, locale: 'de' }, 'locale', 'invalid'],
  ];
  for (const [name, body, field, code] of cases) {
    test(`422 ${name}`, async () => {
      const r = await book(stack, perf, body);
      assert.equal(r.status, 422, r.text);
      assert.equal(r.body.error.code, 'validation_failed');
      assert.equal(r.body.error.fields[field], code, JSON.stringify(r.body));
    });
  }

  test('several bad fields are reported together', async () => {
    const r = await book(stack, perf, { seats: 'x' });
    assert.equal(r.status, 422);
    assert.deepEqual(Object.keys(r.body.error.fields).sort(), ['email', 'name', 'seats']);
  });

  test('400 for a body that is not JSON, or not an object', async () => {
    for (const body of ['{"name":', "{'name':'x'}", '[1,2]', '"x"', '']) {
      const r = await book(stack, perf, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.body.error.code, 'invalid_json');
    }
  });

  test('415 for a body that is not application/json', async () => {
    const r = await book(stack, perf, 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(r.status, 415);
    assert.equal(r.body.error.code, 'unsupported_media_type');
  });

  test('413 for a body over 16 KiB', async () => {
    const r = await book(stack, perf, { ...good, notes: 'x'.repeat(20_000) });
    assert.equal(r.status, 413);
    assert.equal(r.body.error.code, 'payload_too_large');
  });

  test('404 for a missing, malformed or unpublished performance', async () => {
    for (const id of ['999999999', 'abc']) {
      const r = await book(stack, id, good);
      assert.equal(r.status, 404, r.text);
    }
    const hidden = await makePerformance(stack);
    await stack.psql(`INSERT INTO shows (slug, title) VALUES ('hidden-${hidden}', 'Hidden');
                      UPDATE performances SET show_id = (SELECT id FROM shows WHERE slug = 'hidden-${hidden}')
                      WHERE id = ${hidden}`);
    assert.equal((await book(stack, hidden, good)).status, 404);
  });

  test('409 booking_closed before opening, after closing, in the past, when cancelled', async () => {
    const closed = [
      await makePerformance(stack, { opensIn: '1 day' }),
      await makePerformance(stack, { closesIn: '-1 minute' }),
      await makePerformance(stack, { startsIn: '-1 hour' }),
      await makePerformance(stack, { status: 'cancelled' }),
    ];
    for (const id of closed) {
      const r = await book(stack, id, good);
      assert.equal(r.status, 409, r.text);
      assert.equal(r.body.error.code, 'booking_closed');
    }
  });

  test('nothing was written by any of the refused requests', async () => {
    assert.equal(await stack.psql(`SELECT count(*) FROM reservations WHERE performance_id = ${perf}`), '0');
  });

  test('confirm and cancel with a bad or unknown token are 404 invalid_token', async () => {
    for (const path of ['/api/reservations/confirm', '/api/reservations/cancel']) {
      for (const body of [{}, { token: 'short' }, { token: 42 }, { token: 'A'.repeat(43) }]) {
        const r = await post(stack, path, body);
        assert.equal(r.status, 404, `${path} ${JSON.stringify(body)}: ${r.text}`);
        assert.equal(r.body.error.code, 'invalid_token');
      }
    }
    assert.equal((await api(stack, `/api/tickets/${'B'.repeat(43)}`)).status, 404);
    assert.equal((await api(stack, `/api/tickets/${'B'.repeat(43)}/qr.png`)).status, 404);
    assert.equal((await api(stack, '/api/tickets/not-a-token')).status, 404);
  });
});

describe('mail survives a dead relay', () => {
  test('SMTP down at booking: the reservation is kept, the mail goes out once when it is back', async () => {
    const perf = await makePerformance(stack);
    const email = visitor('down');
    secrets.add(email);
    await smtp.stop();
    const r = await book(stack, perf, { name: 'Down', email, seats: 2 });
    assert.equal(r.status, 201, r.text);
    assert.equal(await stack.psql(
      `SELECT count(*) FROM reservations WHERE performance_id = ${perf} AND status = 'pending'`), '1');
    await waitFor(async () => Number(await stack.psql(
      `SELECT attempts FROM outbox o JOIN reservations r ON r.id = o.reservation_id
        WHERE r.performance_id = ${perf}`)) >= 2, { timeout: 20_000, what: 'failed delivery attempts' });
    const err = await stack.psql(`SELECT last_error FROM outbox o JOIN reservations r ON r.id = o.reservation_id
                                   WHERE r.performance_id = ${perf}`);
    assert.ok(err.length > 0 && !err.includes(email), 'the error is recorded without the address');

    await smtp.start();
    const [msg] = await smtp.waitFor(email, 1, 30_000);
    secrets.add(confirmToken(msg));
    await new Promise((res) => setTimeout(res, 3000));
    assert.equal(smtp.to(email).length, 1, 'delivered exactly once');
    assert.equal(await stack.psql(
      `SELECT count(*) FROM outbox o JOIN reservations r ON r.id = o.reservation_id
        WHERE r.performance_id = ${perf} AND sent_at IS NOT NULL AND body IS NULL`), '1');
  });
});

describe('the seat counter', () => {
  test('after everything above, every performance counts exactly its reservations', async () => {
    assert.ok(await countersExact(stack));
  });
});

describe('secrets stay secret', () => {
  test('no token or email address in any log', () => {
    assert.ok(secrets.size > 10);
    const logDir = join(stack.var, 'log');
    for (const f of readdirSync(logDir)) {
      const text = readFileSync(join(logDir, f), 'utf8');
      for (const s of secrets) assert.ok(!text.includes(s), `${f} contains a secret`);
    }
  });

  test('the database holds raw tokens only in undelivered message bodies', async () => {
    await waitFor(async () => (await stack.psql(
      'SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL')) === '0',
    { timeout: 20_000, what: 'the outbox to drain' });
    const dump = execFileSync('/usr/lib/postgresql/15/bin/pg_dump', [
      '-h', join(stack.var, 'run'), '-p', String(stack.pgPort), '-U', 'boxoffice', '--data-only', 'boxoffice',
    ], { maxBuffer: 256 * 1024 * 1024 }).toString();
    for (const s of secrets) {
      if (!s.includes('@')) assert.ok(!dump.includes(s), 'a raw token is stored in the database');
    }
  });
});
