// Staff: sign-in, sessions, CSRF, the authorization matrix of every route,
// and the door check-in with all its result states and races.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, api, startStack } from './stack.mjs';
import { confirmToken, startSmtp } from './smtp.mjs';
import { book, makePerformance, post, postFrom, visitor } from './fixtures.mjs';

// The demo accounts; their random passwords are read from the stack.
const ADMIN = { email: 'admin@example.org' };
const STAFF = { email: 'door@example.org' };
const TOKEN = 'A'.repeat(43);

let stack;
let smtp;

/** Sign in; returns {cookie, csrf, user} for later requests. */
async function login(who) {
  const r = await post(stack, '/api/auth/login', who);
  assert.equal(r.status, 200, r.text);
  const cookie = r.headers.get('set-cookie').split(';')[0];
  return { cookie, csrf: r.body.csrf_token, user: r.body.user };
}

function as(session, path, { method = 'GET', body, csrf = true } = {}) {
  const headers = { cookie: session.cookie };
  if (csrf) headers['x-csrf-token'] = session.csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return api(stack, path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** Book and confirm through the API; returns {ticket, ticketUrl, confirm, perf}. */
async function confirmedTicket(perf, seats = 2) {
  const email = visitor('door');
  const r = await book(stack, perf, { name: 'Door Guest', email, seats });
  assert.equal(r.status, 201, r.text);
  const [msg] = await smtp.waitFor(email, 1);
  const confirm = confirmToken(msg);
  const c = await post(stack, '/api/reservations/confirm', { token: confirm });
  assert.equal(c.status, 200, c.text);
  const ticketUrl = c.body.ticket.url;
  return { ticket: ticketUrl.split('/t/')[1], ticketUrl, confirm, perf };
}

/** Create (or reset) a user on a stack through `scripts/stack user add`. */
async function addUser(on, { email, password }, role) {
  execFileSync(join(ROOT, 'scripts', 'stack'), ['user', 'add', '--email', email, '--role', role, '--password-stdin'],
    { env: on.env, input: `${password}\n` });
}

before(async () => {
  smtp = await startSmtp();
  stack = await startStack({
    env: {
      BOXOFFICE_MAIL_BACKEND: 'smtp', BOXOFFICE_SMTP_HOST: '127.0.0.1', BOXOFFICE_SMTP_PORT: smtp.port,
      BOXOFFICE_RATE_LIMITS: 'off', BOXOFFICE_WORKERS: 2, BOXOFFICE_THREADS: 8,
    },
  });
  Object.assign(ADMIN, stack.demo.admin);
  Object.assign(STAFF, stack.demo.staff);
});
afterEach(() => stack.checkSanitizers());
after(async () => {
  await stack?.stop();
  await smtp?.stop();
});

describe('the authorization matrix, generated from the route table', () => {
  const bin = process.env.BOXOFFICE_BIN ?? join(ROOT, 'build', 'boxoffice');
  const routes = execFileSync(bin, ['routes'], { encoding: 'utf8' })
    .trim().split('\n').map((l) => JSON.parse(l));
  const concrete = (p) => p.replace('{id}', '1').replace('{slug}', 'x').replace('{token}', TOKEN);
  const guarded = routes.filter((r) => r.access !== 'public');
  const unsafe = (m) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(m);

  test('the table has guarded routes of both levels', () => {
    assert.ok(guarded.some((r) => r.access === 'staff'));
    // Every /admin/<resource> is admin-only; /admin and /admin/ themselves
    // only redirect browsers to the admin UI.
    const adminApi = routes.filter((x) => /^\/admin\/./.test(x.pattern));
    assert.ok(adminApi.length > 10, 'admin routes exist');
    for (const r of adminApi)
      assert.equal(r.access, 'admin', `${r.method} ${r.pattern} must be admin-only`);
  });

  test('anonymous: 401 on every staff and admin route', async () => {
    for (const r of guarded) {
      const res = await api(stack, concrete(r.pattern), {
        method: r.method, headers: { 'content-type': 'application/json' },
        body: unsafe(r.method) ? '{}' : undefined,
      });
      assert.equal(res.status, 401, `${r.method} ${r.pattern}: ${res.text}`);
      assert.equal(res.body.error.code, 'unauthorized');
    }
  });

  test('a forged or expired cookie is anonymous', async () => {
    for (const cookie of [`bo_session=${TOKEN}`, 'bo_session=garbage', 'bo_session=']) {
      const res = await api(stack, '/api/auth/me', { headers: { cookie } });
      assert.equal(res.status, 401);
    }
  });

  test('staff: 403 on every admin route', async () => {
    const s = await login(STAFF);
    for (const r of guarded.filter((x) => x.access === 'admin')) {
      const res = await as(s, concrete(r.pattern), { method: r.method, body: unsafe(r.method) ? {} : undefined });
      assert.equal(res.status, 403, `${r.method} ${r.pattern}: ${res.text}`);
      assert.equal(res.body.error.code, 'forbidden');
    }
  });

  test('403 csrf_failed on every unsafe guarded route without the header, or with a wrong one', async () => {
    const s = await login(ADMIN);
    for (const r of guarded.filter((x) => unsafe(x.method))) {
      for (const csrf of [false, 'wrong']) {
        const headers = { cookie: s.cookie, 'content-type': 'application/json' };
        if (csrf) headers['x-csrf-token'] = csrf;
        const res = await api(stack, concrete(r.pattern), { method: r.method, headers, body: '{}' });
        assert.equal(res.status, 403, `${r.method} ${r.pattern} (csrf ${csrf}): ${res.text}`);
        assert.equal(res.body.error.code, 'csrf_failed');
      }
    }
  });

  test('the right session passes every guard', async () => {
    const s = await login(ADMIN);
    for (const r of guarded.filter((x) => !unsafe(x.method))) {
      const res = await as(s, concrete(r.pattern));
      assert.ok(![401, 403].includes(res.status), `${r.method} ${r.pattern}: ${res.status}`);
    }
  });

  test('/admin opened as a page goes to the admin UI', async () => {
    for (const path of ['/admin', '/admin/']) {
      const page = await api(stack, path, { headers: { accept: 'text/html,application/xhtml+xml' } });
      assert.equal(page.status, 302);
      assert.equal(page.headers.get('location'), '/manage/');
      assert.equal((await api(stack, path, { headers: { accept: 'application/json' } })).status, 404);
    }
  });
});

describe('sign-in and sessions', () => {
  test('login sets a safe cookie; me; logout ends the session', async () => {
    const r = await post(stack, '/api/auth/login', STAFF);
    assert.equal(r.status, 200);
    assert.equal(r.body.user.role, 'staff');
    assert.equal(r.body.user.email, STAFF.email);
    assert.match(r.body.csrf_token, /^[A-Za-z0-9_-]{43}$/);
    const cookie = r.headers.get('set-cookie');
    assert.match(cookie, /^bo_session=[A-Za-z0-9_-]{43};/);
    for (const attr of ['HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=43200'])
      assert.ok(cookie.includes(attr), `cookie has ${attr}`);
    assert.ok(!cookie.includes('Secure'), 'no Secure flag over plain http');
    const s = { cookie: cookie.split(';')[0], csrf: r.body.csrf_token };
    const me = await as(s, '/api/auth/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.csrf_token, s.csrf);
    const out = await as(s, '/api/auth/logout', { method: 'POST' });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie'), /bo_session=;.*Max-Age=0/);
    assert.equal((await as(s, '/api/auth/me')).status, 401);
  });

  test('the cookie is Secure when the public URL is https', async () => {
    // No demo data with an https public URL (refused): a user of its own.
    const https = await startStack({ env: { BOXOFFICE_PUBLIC_URL: 'https://tickets.example.org', BOXOFFICE_RATE_LIMITS: 'off', BOXOFFICE_DEMO: 0 } });
    try {
      const door = { email: 'door@example.org', password: 'a door password of its own' };
      await addUser(https, door, 'staff');
      const r = await post(https, '/api/auth/login', door);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('set-cookie'), /; Secure(;|$)/);
      https.checkSanitizers();
    } finally {
      await https.stop();
    }
  });

  test('Argon2id verifications are capped per worker: the excess waits 2 s, then 503 busy', async (t) => {
    const busy = await startStack({
      env: { BOXOFFICE_RATE_LIMITS: 'off', BOXOFFICE_WORKERS: 1, BOXOFFICE_THREADS: 128, BOXOFFICE_ARGON2_CONCURRENCY: 1 },
    });
    try {
      // 200 at once, 128 of them in threads queueing for one turn: about
      // 127 verifications ahead of the last, far more than 2 s of work.
      const answers = await Promise.all(Array.from({ length: 200 }, () =>
        post(busy, '/api/auth/login', { email: 'nobody@example.org', password: 'nope' })));
      const statuses = answers.map((r) => r.status);
      t.diagnostic(`401: ${statuses.filter((x) => x === 401).length}, 503: ${statuses.filter((x) => x === 503).length}`);
      assert.ok(statuses.every((x) => x === 401 || x === 503), statuses.join(','));
      assert.ok(statuses.includes(401) && statuses.includes(503), statuses.join(','));
      const b = answers.find((r) => r.status === 503);
      assert.equal(b.body.error.code, 'busy');
      assert.equal(b.headers.get('retry-after'), '2');
      // Once the crowd is gone, a login gets its turn.
      assert.equal((await post(busy, '/api/auth/login', busy.demo.staff)).status, 200);
      busy.checkSanitizers();
    } finally {
      await busy.stop();
    }
  });

  test('unknown user and wrong password: the same 401, in comparable time', async () => {
    const times = { wrong: [], unknown: [] };
    let bodies = new Set();
    for (let i = 0; i < 3; i++) {
      for (const [kind, who] of [['wrong', { email: 'admin@example.org', password: 'nope' }],
        ['unknown', { email: 'nobody@example.org', password: 'nope' }]]) {
        const t0 = performance.now();
        const r = await post(stack, '/api/auth/login', who);
        times[kind].push(performance.now() - t0);
        assert.equal(r.status, 401);
        bodies.add(r.text);
      }
    }
    assert.equal(bodies.size, 1, 'one answer for both cases');
    const median = (a) => a.sort((x, y) => x - y)[1];
    // Both run one Argon2id verification; an unknown user must not be
    // answered measurably faster.
    assert.ok(median(times.unknown) > 0.5 * median(times.wrong),
      `unknown ${median(times.unknown)} ms vs wrong ${median(times.wrong)} ms`);
    await stack.psql("UPDATE users SET failed_logins = 0 WHERE email = 'admin@example.org'; DELETE FROM login_throttle");
  });

  test('bad login bodies', async () => {
    for (const body of [{}, { email: 'a@b.c' }, { email: 1, password: 2 }, { email: 'a@b.c', password: '' }]) {
      assert.equal((await post(stack, '/api/auth/login', body)).status, 401);
    }
    const r = await api(stack, '/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    assert.equal(r.status, 400);
  });

  // The rule of docs/ARCHITECTURE.md, "Login throttling": five failures
  // lock the (account, network) pair, even for the right password; the
  // lock is not extended by further failures and expires on its own; the
  // next lock of that pair is longer; another network signs in throughout.
  test('five failures lock the account from that network, even for the right password; the lock expires', async () => {
    const email = 'locked@example.org';
    execFileSync(join(ROOT, 'scripts', 'stack'), ['user', 'add', '--email', email, '--role', 'staff', '--password-stdin'],
      { env: stack.env, input: 'right-password\n' });
    const user = `(SELECT id FROM users WHERE email = '${email}')`;
    const pair = `FROM login_throttle WHERE user_id = ${user} AND client_net = '127.0.0.1'`;
    const expire = `UPDATE login_throttle SET locked_until = now() - interval '1 second' WHERE user_id = ${user}`;
    for (let i = 0; i < 5; i++) {
      assert.equal((await post(stack, '/api/auth/login', { email, password: 'wrong' })).status, 401);
    }
    const locked = await post(stack, '/api/auth/login', { email, password: 'right-password' });
    assert.equal(locked.status, 401, 'locked');
    assert.equal(locked.text, (await post(stack, '/api/auth/login', { email: 'nobody@example.org', password: 'x' })).text,
      'a locked pair is answered like any wrong password');
    assert.equal(await stack.psql(`SELECT locked_until > now() ${pair}`), 't');
    const until = await stack.psql(`SELECT locked_until ${pair}`);
    assert.equal((await post(stack, '/api/auth/login', { email, password: 'wrong' })).status, 401);
    assert.equal(await stack.psql(`SELECT locked_until ${pair}`), until, 'a failure during the lock does not extend it');

    // Another network is not locked out, and its success leaves the
    // failing network locked.
    const other = await postFrom(stack, '127.0.0.2', '/api/auth/login', { email, password: 'right-password' });
    assert.equal(other.status, 200, other.text);
    assert.equal(await stack.psql(`SELECT locked_until > now() ${pair}`), 't');
    assert.equal(await stack.psql(`SELECT locked_until IS NULL OR locked_until <= now() FROM users WHERE email = '${email}'`), 't',
      'the account itself is not locked');

    // The lock expires on its own; the next failure locks again, longer.
    await stack.psql(expire);
    assert.equal((await post(stack, '/api/auth/login', { email, password: 'wrong' })).status, 401);
    assert.equal(await stack.psql(`SELECT locked_until > now() + interval '90 seconds' ${pair}`), 't', 'the second lock doubles the first (60 s)');
    await stack.psql(expire);
    const ok = await post(stack, '/api/auth/login', { email, password: 'right-password' });
    assert.equal(ok.status, 200);
    assert.equal(await stack.psql(`SELECT failures = 0 AND locked_until IS NULL ${pair}`), 't', 'a success forgets the failures of its network');
    assert.equal(await stack.psql(`SELECT failed_logins FROM users WHERE email = '${email}'`), '0');
  });

  test('the account-wide lock: many networks lock the account, except networks it signed in from', async () => {
    const email = 'wide@example.org';
    execFileSync(join(ROOT, 'scripts', 'stack'), ['user', 'add', '--email', email, '--role', 'staff', '--password-stdin'],
      { env: stack.env, input: 'right-password\n' });
    const venue = '127.0.0.3';
    assert.equal((await postFrom(stack, venue, '/api/auth/login', { email, password: 'right-password' })).status, 200);
    // BOXOFFICE_LOGIN_ACCOUNT_FAILURES (100) failures from 20 networks,
    // 5 each (each pair locks at its 5th).
    for (let n = 0; n < 20; n++) {
      for (let i = 0; i < 5; i++) {
        assert.equal((await postFrom(stack, `127.0.3.${n + 1}`, '/api/auth/login', { email, password: 'wrong' })).status, 401);
      }
    }
    assert.equal(await stack.psql(`SELECT locked_until > now() FROM users WHERE email = '${email}'`), 't', 'the account is locked');
    const until = await stack.psql(`SELECT locked_until FROM users WHERE email = '${email}'`);
    assert.equal((await postFrom(stack, '127.0.3.99', '/api/auth/login', { email, password: 'wrong' })).status, 401);
    assert.equal(await stack.psql(`SELECT locked_until FROM users WHERE email = '${email}'`), until, 'not extended');
    assert.equal((await postFrom(stack, '127.0.0.4', '/api/auth/login', { email, password: 'right-password' })).status, 401,
      'a new network waits for the lock to expire');
    assert.equal((await postFrom(stack, venue, '/api/auth/login', { email, password: 'right-password' })).status, 200,
      'the network it signed in from still gets in');
    await stack.psql(`UPDATE users SET locked_until = now() - interval '1 second' WHERE email = '${email}'`);
    assert.equal((await postFrom(stack, '127.0.0.4', '/api/auth/login', { email, password: 'right-password' })).status, 200,
      'the lock expires on its own');
  });

  test('a session ends after 4 idle hours, and 12 hours after login', async () => {
    const a = await login(STAFF);
    await stack.psql("UPDATE sessions SET last_seen_at = now() - interval '5 hours'");
    assert.equal((await as(a, '/api/auth/me')).status, 401);
    const b = await login(STAFF);
    await stack.psql("UPDATE sessions SET expires_at = now() - interval '1 second'");
    assert.equal((await as(b, '/api/auth/me')).status, 401);
  });

  test('user add resets an existing user and prints a generated password once', async () => {
    const out = execFileSync(join(ROOT, 'scripts', 'stack'), ['user', 'add', '--email', 'gen@example.org', '--role', 'admin'],
      { env: stack.env, encoding: 'utf8' });
    assert.match(out, /^created admin user gen@example.org\npassword: \S{20}\n$/);
    const again = execFileSync(join(ROOT, 'scripts', 'stack'), ['user', 'add', '--email', 'GEN@example.org', '--role', 'staff'],
      { env: stack.env, encoding: 'utf8' });
    assert.match(again, /^reset staff user GEN@example.org\npassword: \S{20}\n$/);
    assert.notEqual(out.split('password: ')[1], again.split('password: ')[1]);
    assert.equal(await stack.psql("SELECT count(*) FROM users WHERE lower(email) = 'gen@example.org'"), '1');
  });
});

describe('the door', () => {
  let staff;
  let perf;
  before(async () => {
    staff = await login(STAFF);
    perf = await makePerformance(stack, { capacity: 100, max: 6 });
  });
  const scan = (body) => as(staff, '/api/checkins', { method: 'POST', body });

  test('a whole party at once, by token or by the whole QR URL', async () => {
    const t = await confirmedTicket(perf, 3);
    const r = await scan({ token: t.ticketUrl, performance_id: perf });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.result, 'checked_in');
    assert.equal(r.body.seats_admitted, 3);
    assert.equal(r.body.seats_remaining, 0);
    assert.equal(r.body.reservation.name, 'Door Guest');
    assert.equal(r.body.performance.id, perf);
    assert.ok(r.body.performance.show.title);
    assert.equal(r.body.checkin.by, 'Demo door staff');

    const again = await scan({ token: t.ticket });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'already_checked_in');
    assert.ok(Date.parse(again.body.error.checked_in_at));
    assert.equal(again.body.error.checked_in_by, 'Demo door staff');
    assert.equal(again.body.error.reservation.seats_admitted, 3);
    assert.equal((await api(stack, `/api/tickets/${t.ticket}`)).body.ticket.seats_admitted, 3);
  });

  test('part of a party now, the rest later', async () => {
    const t = await confirmedTicket(perf, 4);
    const first = await scan({ token: t.ticket, seats: 3 });
    assert.equal(first.status, 201);
    assert.equal(first.body.seats_admitted, 3);
    assert.equal(first.body.seats_remaining, 1);
    const tooMany = await scan({ token: t.ticket, seats: 2 });
    assert.equal(tooMany.status, 422);
    assert.equal(tooMany.body.error.code, 'too_many_seats');
    assert.equal(tooMany.body.error.seats_remaining, 1);
    const rest = await scan({ token: t.ticket });
    assert.equal(rest.status, 201);
    assert.equal(rest.body.seats_admitted, 1);
    assert.equal(rest.body.seats_remaining, 0);
  });

  test('wrong performance says which one the ticket is for', async () => {
    const other = await makePerformance(stack, { startsIn: '20 days' });
    const t = await confirmedTicket(perf, 1);
    const r = await scan({ token: t.ticket, performance_id: other });
    assert.equal(r.status, 422);
    assert.equal(r.body.error.code, 'wrong_performance');
    assert.equal(r.body.error.performance.id, perf);
    assert.ok(r.body.error.performance.starts_at);
    assert.equal(await stack.psql(`SELECT count(*) FROM checkins c JOIN reservations r ON r.id = c.reservation_id
                                    WHERE r.performance_id = ${perf} AND r.seats = 1 AND r.seats_admitted > 0`), '0');
  });

  test('not confirmed, cancelled, unknown', async () => {
    const pending = await confirmedTicket(perf, 1);
    await stack.psql(`UPDATE reservations SET status = 'pending', confirmed_at = NULL
                      WHERE id = (SELECT max(id) FROM reservations WHERE performance_id = ${perf})`);
    const p = await scan({ token: pending.ticket });
    assert.equal(p.status, 422);
    assert.equal(p.body.error.code, 'not_confirmed');

    const cancelled = await confirmedTicket(perf, 1);
    assert.equal((await post(stack, '/api/reservations/cancel', { token: cancelled.confirm })).status, 200);
    const c = await scan({ token: cancelled.ticket });
    assert.equal(c.status, 422);
    assert.equal(c.body.error.code, 'cancelled');

    for (const token of [TOKEN, 'https://elsewhere.example/t/nope', 'garbage', '']) {
      const u = await scan({ token });
      assert.equal(u.status, 404, token);
      assert.equal(u.body.error.code, 'unknown_ticket');
    }
  });

  test('bad check-in input', async () => {
    const t = await confirmedTicket(perf, 1);
    for (const body of [{ token: t.ticket, seats: 0 }, { token: t.ticket, seats: 'two' }, { token: t.ticket, performance_id: 'x' }]) {
      const r = await scan(body);
      assert.equal(r.status, 422, JSON.stringify(body));
      assert.equal(r.body.error.code, 'validation_failed');
    }
  });

  test('two scanners at once never admit more seats than the ticket holds', async () => {
    const t = await confirmedTicket(perf, 4);
    const results = await Promise.all(Array.from({ length: 12 }, () => scan({ token: t.ticket, seats: 1 })));
    const ok = results.filter((r) => r.status === 201);
    assert.equal(ok.length, 4, results.map((r) => r.status).join(','));
    assert.ok(results.every((r) => [201, 409].includes(r.status)));
    assert.equal(await stack.psql(`SELECT seats_admitted FROM reservations WHERE ticket_token_hash IS NOT NULL
      AND id = (SELECT reservation_id FROM checkins ORDER BY id DESC LIMIT 1)`), '4');

    const whole = await confirmedTicket(perf, 3);
    const all = await Promise.all(Array.from({ length: 8 }, () => scan({ token: whole.ticket })));
    assert.equal(all.filter((r) => r.status === 201).length, 1);
  });

  test('the door counter: expected and arrived', async () => {
    const p2 = await makePerformance(stack);
    const a = await confirmedTicket(p2, 2);
    await confirmedTicket(p2, 3);
    await scan({ token: a.ticket });
    const r = await as(staff, `/api/performances/${p2}/checkins`);
    assert.equal(r.status, 200);
    assert.equal(r.body.expected_seats, 5);
    assert.equal(r.body.arrived_seats, 2);
    assert.equal(r.body.expected_reservations, 2);
    assert.equal(r.body.arrived_reservations, 1);
    assert.equal(r.body.reservations.length, 2);
    assert.equal((await as(staff, '/api/performances/999999/checkins')).status, 404);
    const list = await as(staff, '/api/staff/performances');
    assert.ok(list.body.performances.some((p) => p.id === p2));
  });
});
