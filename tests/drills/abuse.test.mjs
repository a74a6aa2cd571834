// Abuse drills (issue 13, "Hostile visitors"): the attacks of the security
// review, run against a real stack with nginx's rate limits on. Every
// client is a loopback address of its own (127.0.0.N), which nginx and the
// application see as a different visitor.
//
// 1. Emptying a house: from one address, 200 bookings of 6 seats with 200
//    distinct emails on a 120-seat performance, while 40 honest visitors
//    from 40 other addresses each book 2 seats and confirm. The attacker
//    holds no more than the per-network cap; all 40 honest visitors get
//    their seats.
// 2. Locking the door out: for ABUSE_LOGIN_SECONDS (default 120, as the
//    issue asks) one network keeps failing the door account's password
//    while the door signs in from another network every few seconds: the
//    door gets in every time.
// 3. Flooding a mailbox: 50 booking requests (from 50 addresses) naming
//    one victim address: the victim receives at most the daily cap.
//
// nginx's booking and generic limits are raised here so that the
// application's caps, not nginx, are what stops the attacker (an attacker
// with many addresses is not stopped by a per-address rate anyway); the
// login limit keeps its default.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, startStack, waitFor } from '../http/stack.mjs';
import { confirmToken, startSmtp } from '../http/smtp.mjs';
import { countersExact, loopback, makePerformance, postFrom, requestFrom } from '../http/fixtures.mjs';

const LOGIN_SECONDS = Number(process.env.ABUSE_LOGIN_SECONDS ?? 120);
// The demo door account; its random password is read from the stack.
const DOOR = { email: 'door@example.org' };
const ATTACKER = '127.0.0.66';
const MAIL_CAP = 5; // BOXOFFICE_MAIL_PER_RECIPIENT_DAY's default
const NET_CAP = 30; // BOXOFFICE_PENDING_SEATS_PER_NETWORK's default

let stack;
let smtp;

before(async () => {
  smtp = await startSmtp();
  stack = await startStack({
    env: {
      BOXOFFICE_MAIL_BACKEND: 'smtp', BOXOFFICE_SMTP_HOST: '127.0.0.1', BOXOFFICE_SMTP_PORT: smtp.port,
      BOXOFFICE_MAIL_RETRY_SECONDS: 1, BOXOFFICE_WORKERS: 2, BOXOFFICE_THREADS: 8,
      BOXOFFICE_RATE_LIMITS: 'on', BOXOFFICE_RATE_BOOKING: '6000000r/m', BOXOFFICE_RATE_CONFIRM: '6000000r/m',
      BOXOFFICE_RATE_API: '6000000r/m',
    },
  });
  Object.assign(DOOR, stack.demo.staff);
});
after(async () => {
  await stack?.stop();
  await smtp?.stop();
});

const reservations = (from) => `/api/performances/${from}/reservations`;

/** Run fns with at most n at once; resolves their results in order. */
async function pool(n, fns) {
  const out = new Array(fns.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < fns.length) {
      const i = next++;
      out[i] = await fns[i]();
    }
  }));
  return out;
}

describe('abuse drills', () => {
  test('one address with 200 emails cannot empty a 120-seat house; 40 honest visitors all get in', async (t) => {
    const perf = await makePerformance(stack, { capacity: 120, max: 6 });

    // 8 at once: below nginx's booking burst (10), whose rate is raised
    // here, so that every refusal is the application's.
    const attack = pool(8, Array.from({ length: 200 }, (_, i) => () =>
      postFrom(stack, ATTACKER, reservations(perf), { name: 'x', email: `a${i}@attacker.example`, seats: 6 })));
    const honest = Promise.all(Array.from({ length: 40 }, async (_, i) => {
      const from = loopback(i);
      const email = `honest${i}@example.org`;
      const r = await postFrom(stack, from, reservations(perf), { name: `Visitor ${i}`, email, seats: 2 });
      assert.equal(r.status, 201, `honest visitor ${i}: ${r.text}`);
      const [msg] = await smtp.waitFor(email, 1, 60_000);
      const c = await postFrom(stack, from, '/api/reservations/confirm', { token: confirmToken(msg) });
      assert.equal(c.status, 200, `honest visitor ${i} confirms: ${c.text}`);
      return c.body.reservation.seats;
    }));
    const [answers, seats] = await Promise.all([attack, honest]);

    const statuses = {};
    for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    t.diagnostic(`attacker's answers: ${JSON.stringify(statuses)}`);
    const odd = answers.filter((a) => !(a.status === 201 || (a.status === 429 && a.body?.error?.code === 'too_many_pending')
      || (a.status === 409 && a.body?.error?.code === 'not_enough_seats')));
    assert.deepEqual(odd.map((a) => a.text), [], 'every refusal is the cap (or sold out)');
    const refused = answers.find((a) => a.status === 429);
    assert.match(refused.body.error.message, /confirm the bookings already made/);
    assert.equal(seats.reduce((a, b) => a + b, 0), 80, 'all 40 honest visitors hold their 2 seats');

    const held = Number(await stack.psql(`SELECT coalesce(sum(seats), 0) FROM reservations
      WHERE performance_id = ${perf} AND status = 'pending' AND email LIKE '%@attacker.example'`));
    t.diagnostic(`the attacker holds ${held} of 120 seats`);
    assert.ok(held <= NET_CAP, `the attacker holds ${held} seats, above the cap of ${NET_CAP}`);
    assert.equal(Number(await stack.psql(`SELECT count(*) FROM reservations
      WHERE performance_id = ${perf} AND email LIKE '%@attacker.example'`)), statuses[201] ?? 0,
    'a refused booking held nothing');
    assert.ok(await countersExact(stack), 'the seat counter equals the reservations');
    stack.checkSanitizers();
  });

  test(`failing the door's password from one network for ${LOGIN_SECONDS} s does not keep the door out`, async (t) => {
    const until = Date.now() + LOGIN_SECONDS * 1000;
    const attacker = (async () => {
      const codes = {};
      while (Date.now() < until) {
        const r = await postFrom(stack, ATTACKER, '/api/auth/login', { email: DOOR.email, password: 'guess' });
        codes[r.status] = (codes[r.status] ?? 0) + 1;
        assert.ok(r.status === 401 || r.status === 429, `attacker got ${r.status}`);
        await new Promise((res) => setTimeout(res, 250));
      }
      return codes;
    })();
    let logins = 0;
    while (Date.now() < until) {
      const r = await postFrom(stack, '127.0.0.77', '/api/auth/login', DOOR);
      assert.equal(r.status, 200, `the door's login #${logins + 1}: ${r.text}`);
      logins += 1;
      await new Promise((res) => setTimeout(res, 8000));
    }
    const codes = await attacker;
    const pair = await stack.psql(`SELECT failures, locked_until > now() FROM login_throttle
      WHERE user_id = (SELECT id FROM users WHERE email = '${DOOR.email}') AND client_net = '${ATTACKER}'`);
    t.diagnostic(`door logins ${logins}, attacker's answers ${JSON.stringify(codes)}, pair (failures|locked) ${pair}`);
    assert.ok(logins >= Math.min(3, LOGIN_SECONDS / 8), 'the door logged in repeatedly');
    assert.ok(codes[401] >= 5, 'the attacker reached the application');
    assert.equal(await stack.psql(`SELECT locked_until IS NULL OR locked_until <= now()
      FROM users WHERE email = '${DOOR.email}'`), 't', 'the account itself was never locked');
    stack.checkSanitizers();
  });

  test('50 bookings naming one victim: the victim receives at most the daily cap', async (t) => {
    // Over 10 performances: on one performance an address holds one
    // pending booking at most (409 already_pending), so the daily cap is
    // what stops the rest.
    const perfs = [];
    for (let i = 0; i < 10; i++) perfs.push(await makePerformance(stack, { capacity: 500, max: 6 }));
    const victim = 'Victim@Example.org';
    const answers = await pool(10, Array.from({ length: 50 }, (_, i) => () =>
      postFrom(stack, loopback(100 + i), reservations(perfs[i % 10]),
        { name: 'Visit https://phish.example now', email: i % 2 ? victim : victim.toLowerCase(), seats: 1 })));
    const ok = answers.filter((a) => a.status === 201).length;
    const codes = new Set(answers.filter((a) => a.status !== 201).map((a) => `${a.status} ${a.body?.error?.code}`));
    t.diagnostic(`${ok} booked; refused: ${[...codes].join(', ')}`);
    assert.equal(ok, MAIL_CAP, 'bookings up to the daily cap');
    assert.ok(codes.has('429 too_many_messages'), 'the daily cap refused some');
    for (const c of codes) assert.ok(['429 too_many_messages', '409 already_pending'].includes(c), c);
    await waitFor(async () => (await stack.psql(
      'SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL')) === '0',
    { timeout: 60_000, what: 'every message to be delivered' });
    const got = smtp.messages.filter((m) => m.envelope.to.some((a) => a.toLowerCase() === victim.toLowerCase()));
    assert.equal(got.length, MAIL_CAP, `the victim received ${got.length} messages`);
    for (const m of got) {
      assert.doesNotMatch(m.raw, /phish/i, 'the visitor\'s text is not quoted');
      const links = (m.parsed.text ?? '').match(/https?:\/\/\S+/g) ?? [];
      assert.equal(links.length, 1, 'one link only');
      assert.match(links[0], /\/confirm#/);
    }
    stack.checkSanitizers();
  });

  test('the stack still answers normally afterwards', async () => {
    assert.equal((await api(stack, '/api/health')).status, 200);
  });
});

describe('cheap unauthenticated load', () => {
  let plain;
  before(async () => {
    // Default rates, the microcache on, as in production.
    plain = await startStack({ env: { BOXOFFICE_RATE_LIMITS: 'on', BOXOFFICE_MICROCACHE: 'on' } });
  });
  after(async () => { await plain?.stop(); });

  test('every application path is rate limited per client; another client is not affected', async () => {
    // Health checks and staff routes with random well-formed session
    // cookies: each would cost a PostgreSQL query.
    const paths = ['/api/health', '/api/auth/me'];
    const answers = await pool(8, Array.from({ length: 800 }, (_, i) => async () => ({
      path: paths[i % 2],
      ...(await requestFrom(plain, paths[i % 2], { from: ATTACKER, headers: { cookie: `bo_session=${String(i).padStart(43, 'A')}` } })),
    })));
    for (const path of paths) {
      const mine = answers.filter((a) => a.path === path);
      const limited = mine.filter((a) => a.status === 429);
      assert.ok(mine.some((a) => a.status !== 429) && limited.length > 50, `${path}: ${mine.map((a) => a.status)}`);
      assert.equal(limited[0].body.error.code, 'too_many_requests');
    }
    assert.equal((await requestFrom(plain, '/api/health', { from: '127.0.0.88' })).status, 200);
    plain.checkSanitizers();
  });

  test('404s of the programme are cheap: cached for a second, or answered without PostgreSQL', async () => {
    const from = '127.0.0.89';
    // nginx keeps an answer to the end of the second it was made in (once
    // the workers' watcher has checked in that second): both reads early in
    // one second.
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 150));
    const first = await requestFrom(plain, '/api/shows/no-such-show', { from });
    assert.equal(first.status, 404);
    assert.equal(first.headers['cache-control'], 'public, max-age=1');
    const again = await requestFrom(plain, '/api/shows/no-such-show', { from });
    assert.equal(again.status, 404);
    assert.equal(again.headers['x-cache'], 'HIT', 'the second miss within the second is nginx\'s');
    assert.equal((await requestFrom(plain, '/api/performances/999999999', { from })).headers['cache-control'], 'public, max-age=1');
    // A slug that cannot exist never reaches PostgreSQL: still 404 with
    // the database stopped.
    await plain.run('pg-stop');
    try {
      const bad = await requestFrom(plain, '/api/shows/-no--such-', { from });
      assert.equal(bad.status, 404, bad.text);
      assert.equal(bad.body.error.code, 'not_found');
    } finally {
      await plain.run('pg-start');
    }
    plain.checkSanitizers();
  });
});
