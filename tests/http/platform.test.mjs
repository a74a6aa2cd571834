// Platform tests: the public read API on the demo data, nginx's own error
// responses, and the stack's behaviour when PostgreSQL or a worker goes away.
//
//   node --test --test-concurrency=1 tests/http/
//
// One private stack for the whole file (tests/http/stack.mjs). The tests run
// in order; the disruptive ones come last.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { startStack, api, waitFor, stackProcesses } from './stack.mjs';

const WORKERS = 2;
const THREADS = 8;
const STATES = ['available', 'few_left', 'sold_out', 'closed', 'cancelled'];

let stack;

before(async () => {
  // The load loops below come from one address; the generic per-client
  // limit would (rightly) stop them: it is tested in tests/drills/abuse.
  stack = await startStack({ env: { BOXOFFICE_WORKERS: WORKERS, BOXOFFICE_THREADS: THREADS, BOXOFFICE_RATE_API: '1000000r/m' } });
});

afterEach(() => {
  if (stack && !stack.stopped) stack.checkSanitizers();
});

after(async () => {
  if (stack) await stack.stop();
});

// --- helpers -----------------------------------------------------------------

function assertJsonType(res) {
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `content-type of ${res.text}`);
  assert.ok(res.body !== undefined, `JSON body expected, got: ${res.text}`);
}

function assertError(res, status, code) {
  assert.equal(res.status, status, `status (body: ${res.text})`);
  assertJsonType(res);
  assert.equal(typeof res.body.error, 'object', `error object in ${res.text}`);
  assert.equal(res.body.error.code, code);
  assert.equal(typeof res.body.error.message, 'string');
  assert.ok(res.body.error.message.length > 0);
}

function assertId(id, what) {
  assert.ok(Number.isSafeInteger(id) && id > 0, `${what}: positive integer id expected, got ${JSON.stringify(id)}`);
}

function assertTime(t, what) {
  assert.equal(typeof t, 'string', `${what} must be a string`);
  assert.ok(!Number.isNaN(Date.parse(t)), `${what}: not a timestamp: ${t}`);
}

function assertOptionalTime(t, what) {
  if (t !== null) assertTime(t, what);
}

function assertAvailability(a, what) {
  assert.equal(typeof a, 'object', `${what}.availability`);
  assert.ok(a !== null, `${what}.availability is null`);
  assert.ok(Number.isInteger(a.seats_available) && a.seats_available >= 0, `${what}.seats_available: ${a.seats_available}`);
  assert.ok(STATES.includes(a.state), `${what}.state: ${a.state}`);
}

function assertVenueRef(v, what) {
  assert.equal(typeof v, 'object', `${what}.venue`);
  assertId(v.id, `${what}.venue.id`);
  assert.equal(typeof v.name, 'string');
}

function assertUpcoming(t, what) {
  // A minute of slack for clock differences between node and PostgreSQL.
  assert.ok(Date.parse(t) > Date.now() - 60_000, `${what} is in the past: ${t}`);
}

function assertPerformanceDetail(p, what) {
  assertId(p.id, `${what}.id`);
  assertTime(p.starts_at, `${what}.starts_at`);
  assert.ok(['scheduled', 'cancelled'].includes(p.status), `${what}.status: ${p.status}`);
  assertVenueRef(p.venue, what);
  assertOptionalTime(p.booking_opens_at, `${what}.booking_opens_at`);
  assertOptionalTime(p.booking_closes_at, `${what}.booking_closes_at`);
  assert.ok(Number.isInteger(p.max_seats_per_reservation) && p.max_seats_per_reservation > 0, `${what}.max_seats_per_reservation`);
  assertAvailability(p.availability, what);
  if (p.status === 'cancelled') assert.equal(p.availability.state, 'cancelled', `${what}: cancelled performance state`);
}

/** Every upcoming performance of every listed show: [{slug, perf}]. */
async function allUpcomingPerformances() {
  const list = await api(stack, '/api/shows');
  const out = [];
  for (const show of list.body.shows) {
    const res = await api(stack, `/api/shows/${encodeURIComponent(show.slug)}`);
    assert.equal(res.status, 200, res.text);
    for (const perf of res.body.show.performances) out.push({ slug: show.slug, perf });
  }
  return out;
}

function demoSlugs() {
  // The demo data's published shows, to check the list against.
  const sql = readFileSync(new URL('../../sql/demo/demo.sql', import.meta.url), 'utf8');
  const block = sql.slice(sql.indexOf('INSERT INTO shows'), sql.indexOf('INSERT INTO performances'));
  return [...block.matchAll(/\(\s*'([a-z0-9-]+)'/g)].map((m) => m[1]).sort();
}

// --- read API ------------------------------------------------------------------

test('GET /api/health answers 200 ok', async () => {
  const res = await api(stack, '/api/health');
  assert.equal(res.status, 200, res.text);
  assertJsonType(res);
  assert.deepEqual(res.body, { status: 'ok', database: 'ok' });
});

test('GET /api/shows lists the published demo shows with their next performance', async () => {
  const res = await api(stack, '/api/shows');
  assert.equal(res.status, 200, res.text);
  assertJsonType(res);
  assert.ok(Array.isArray(res.body.shows));
  assert.equal(res.body.shows.length, 3, res.text);
  assert.deepEqual(res.body.shows.map((s) => s.slug).sort(), demoSlugs());
  for (const show of res.body.shows) {
    const what = `show ${show.slug}`;
    assert.equal(typeof show.slug, 'string');
    assert.equal(typeof show.title, 'string');
    assert.ok(show.title.length > 0);
    assert.ok('subtitle' in show, `${what}.subtitle missing`);
    assert.ok('image_url' in show, `${what}.image_url missing`);
    assert.ok(show.image_url === null || typeof show.image_url === 'string');
    assert.ok('next_performance' in show, `${what}.next_performance missing`);
    const next = show.next_performance;
    if (next !== null) {
      assertId(next.id, `${what}.next_performance.id`);
      assertTime(next.starts_at, `${what}.next_performance.starts_at`);
      assertUpcoming(next.starts_at, `${what}.next_performance`);
      assertVenueRef(next.venue, `${what}.next_performance`);
      assertAvailability(next.availability, `${what}.next_performance`);
    }
  }
});

test('GET /api/shows/{slug} shows upcoming performances only, with availability', async () => {
  const list = await api(stack, '/api/shows');
  const pastIds = (await stack.psql('select id from performances where starts_at < now() order by id'))
    .split('\n')
    .filter(Boolean)
    .map(Number);
  assert.ok(pastIds.length >= 1, 'the demo data has a past performance');

  let seen = 0;
  for (const item of list.body.shows) {
    const res = await api(stack, `/api/shows/${encodeURIComponent(item.slug)}`);
    assert.equal(res.status, 200, res.text);
    assertJsonType(res);
    const show = res.body.show;
    assert.equal(show.slug, item.slug);
    assert.equal(show.title, item.title);
    for (const key of ['subtitle', 'description', 'image_url', 'duration_minutes']) {
      assert.ok(key in show, `show.${key} missing`);
    }
    assert.ok(Array.isArray(show.performances));
    let prev = -Infinity;
    for (const p of show.performances) {
      const what = `${show.slug} performance ${p.id}`;
      assertPerformanceDetail(p, what);
      assertUpcoming(p.starts_at, what);
      assert.ok(!pastIds.includes(p.id), `${what} is in the past but listed`);
      assert.ok(Date.parse(p.starts_at) >= prev, `${show.slug}: performances in start order`);
      prev = Date.parse(p.starts_at);
      seen++;
    }
    if (item.next_performance) {
      assert.ok(show.performances.some((p) => p.id === item.next_performance.id),
        `${show.slug}: next_performance ${item.next_performance.id} is among its performances`);
    }
  }
  assert.ok(seen >= 5, `demo data has several upcoming performances (saw ${seen})`);
});

test('demo data: one performance is cancelled, one nearly sold out', async () => {
  const perfs = await allUpcomingPerformances();
  const cancelled = perfs.filter(({ perf }) => perf.availability.state === 'cancelled');
  const fewLeft = perfs.filter(({ perf }) => perf.availability.state === 'few_left');
  assert.equal(cancelled.length, 1, JSON.stringify(perfs));
  assert.equal(cancelled[0].perf.status, 'cancelled');
  assert.equal(fewLeft.length, 1, JSON.stringify(perfs));
  assert.equal(fewLeft[0].perf.status, 'scheduled');
  assert.ok(fewLeft[0].perf.availability.seats_available > 0);
});

test('GET /api/performances/{id} returns the performance with show and venue', async () => {
  const perfs = await allUpcomingPerformances();
  for (const { slug, perf } of perfs.slice(0, 3)) {
    const res = await api(stack, `/api/performances/${perf.id}`);
    assert.equal(res.status, 200, res.text);
    assertJsonType(res);
    const p = res.body.performance;
    assertPerformanceDetail(p, `performance ${perf.id}`);
    assert.equal(p.id, perf.id);
    assert.equal(p.starts_at, perf.starts_at);
    assert.equal(p.show.slug, slug);
    assert.equal(typeof p.show.title, 'string');
    assert.deepEqual(p.availability, perf.availability);
    assert.equal(p.venue.id, perf.venue.id);
  }
});

test('unpublished shows do not leak', async () => {
  await stack.psql(`
    insert into shows (slug, title, published) values ('draft-show', 'Draft', false);
    insert into performances (show_id, venue_id, starts_at, capacity)
      select s.id, v.id, now() + interval '4 days', 50
        from shows s, venues v where s.slug = 'draft-show' limit 1;`);
  const perfId = Number(await stack.psql(
    "select p.id from performances p join shows s on s.id = p.show_id where s.slug = 'draft-show'"));
  assertId(perfId, 'draft performance');

  const list = await api(stack, '/api/shows');
  assert.ok(!list.body.shows.some((s) => s.slug === 'draft-show'), 'draft show listed');
  assertError(await api(stack, '/api/shows/draft-show'), 404, 'not_found');
  assertError(await api(stack, `/api/performances/${perfId}`), 404, 'not_found');
});

test('GET /api/venues lists the venues', async () => {
  const res = await api(stack, '/api/venues');
  assert.equal(res.status, 200, res.text);
  assertJsonType(res);
  assert.ok(Array.isArray(res.body.venues) && res.body.venues.length >= 1, res.text);
  for (const v of res.body.venues) {
    assertId(v.id, 'venue.id');
    for (const key of ['name', 'address', 'city']) assert.equal(typeof v[key], 'string', `venue.${key}`);
  }
});

test('unknown things are 404 JSON', async () => {
  assertError(await api(stack, '/api/performances/abc'), 404, 'not_found');
  assertError(await api(stack, '/api/performances/999999999'), 404, 'not_found');
  assertError(await api(stack, '/api/shows/no-such-show'), 404, 'not_found');
  assertError(await api(stack, '/api/nope'), 404, 'not_found');
});

test('a wrong method is 405 JSON with Allow', async () => {
  const res = await api(stack, '/api/shows', { method: 'DELETE' });
  assertError(res, 405, 'method_not_allowed');
  const allow = (res.headers.get('allow') ?? '').split(',').map((m) => m.trim());
  assert.ok(allow.includes('GET'), `Allow: ${res.headers.get('allow')}`);
});

test('bodies over 16 KiB are refused with 413 JSON', async () => {
  // 20 KiB passes nginx (64k limit) and is refused by the application;
  // 100 KiB is refused by nginx itself. Both answer the same JSON error.
  const mid = JSON.stringify({ notes: 'x'.repeat(20 * 1024) });
  assertError(await api(stack, '/api/shows', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: mid,
  }), 413, 'payload_too_large');

  const body = JSON.stringify({ notes: 'x'.repeat(100 * 1024) });
  for (const path of ['/api/shows', '/api/performances/1/reservations', '/api/nope']) {
    const res = await api(stack, path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    assertError(res, 413, 'payload_too_large');
  }
});

// --- nginx ---------------------------------------------------------------------

test('nginx: static frontend, security headers, JSON access log without query strings', async () => {
  const home = await api(stack, '/');
  assert.equal(home.status, 200);
  assert.match(home.text, /^<!doctype html>/i);
  assert.equal(home.headers.get('server'), 'nginx', 'server_tokens off');

  const health = await api(stack, '/api/health?token=SECRET-QUERY-VALUE');
  assert.equal(health.status, 200);
  assert.equal(health.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(health.headers.get('referrer-policy'), 'no-referrer');
  await api(stack, '/api/tickets/SECRET-PATH-TOKEN');

  const log = await waitFor(() => {
    const text = readFileSync(join(stack.var, 'log', 'nginx-access.log'), 'utf8');
    return text.includes('/api/tickets/') && text;
  }, { timeout: 3000, what: 'access log lines' });
  assert.ok(!log.includes('SECRET-QUERY-VALUE'), 'query string logged');
  assert.ok(!log.includes('SECRET-PATH-TOKEN'), 'ticket token logged');
  const lines = log.trim().split('\n').map((l) => JSON.parse(l));
  const line = lines.find((l) => l.uri === '/api/health');
  assert.ok(line, 'health request logged');
  assert.match(line.request_id, /^[0-9a-f]{32}$/);
  assert.equal(line.status, 200);
});

test('nginx answers JSON 502 when no worker is up', async () => {
  await stack.run('workers-stop');
  try {
    const res = await api(stack, '/api/shows');
    assertError(res, 502, 'unavailable');
  } finally {
    await stack.run('workers-start');
  }
  await waitFor(async () => (await api(stack, '/api/health')).status === 200, { what: 'health 200 again' });
});

// --- failures --------------------------------------------------------------------

test('health turns 503 when PostgreSQL stops and 200 again when it is back, same workers', async () => {
  const pidsBefore = await stack.pids();
  assert.equal(pidsBefore.workers.length, WORKERS);

  await stack.run('pg-stop');
  let restarted = false;
  try {
    const stoppedAt = Date.now();
    const down = await waitFor(async () => {
      const res = await api(stack, '/api/health');
      return res.status === 503 && res;
    }, { timeout: 2000, interval: 50, what: 'health 503 after pg-stop' });
    assert.ok(Date.now() - stoppedAt <= 2500);
    assertJsonType(down);
    assert.equal(down.body.status, 'degraded');
    assert.equal(down.body.database, 'unavailable');

    await stack.run('pg-start');
    restarted = true;
    await waitFor(async () => {
      const res = await api(stack, '/api/health');
      return res.status === 200 && res.body?.database === 'ok';
    }, { timeout: 10_000, what: 'health 200 after pg-start' });
  } finally {
    if (!restarted) await stack.run('pg-start');
  }
  // Reads work again too (every pooled connection was reconnected or is
  // reconnected on use).
  for (let i = 0; i < 2 * WORKERS * THREADS; i++) {
    const res = await api(stack, '/api/shows');
    assert.equal(res.status, 200, res.text);
  }

  const pidsAfter = await stack.pids();
  assert.equal(pidsAfter.supervisor, pidsBefore.supervisor);
  assert.equal(pidsAfter.multiwatch, pidsBefore.multiwatch);
  assert.deepEqual(pidsAfter.workers, pidsBefore.workers, 'workers were not restarted');
});

test('kill -9 of a worker: requests keep being answered, multiwatch replaces it', async (t) => {
  const before = await stack.pids();
  assert.equal(before.workers.length, WORKERS);
  const victim = before.workers[0];

  const counts = new Map();
  let stop = false;
  const client = async () => {
    while (!stop) {
      let key;
      try {
        key = (await api(stack, '/api/shows')).status;
      } catch (err) {
        key = `error: ${err.cause?.code ?? err.message}`;
      }
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  };
  const clients = Array.from({ length: 4 }, client);
  await new Promise((r) => setTimeout(r, 1000));
  process.kill(victim, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 2000));
  stop = true;
  await Promise.all(clients);

  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const ok = counts.get(200) ?? 0;
  const summary = JSON.stringify(Object.fromEntries(counts));
  t.diagnostic(`responses during the kill: ${summary}`);
  assert.ok(total >= 50, `enough requests were made: ${summary}`);
  assert.ok(ok / total >= 0.95, `>= 95% answered 200: ${summary}`);
  assert.ok(total - ok <= 8, `at most a handful failed: ${summary}`);

  const after = await waitFor(async () => {
    const p = await stack.pids();
    return p.workers.length === WORKERS && !p.workers.includes(victim) && p;
  }, { timeout: 10_000, what: `${WORKERS} workers without ${victim}` });
  assert.equal(after.multiwatch, before.multiwatch, 'multiwatch itself survived');
  assert.ok(after.workers.some((pid) => !before.workers.includes(pid)), 'a new worker pid');
  assert.equal((await api(stack, '/api/health')).status, 200);
});

// --- the stack script ------------------------------------------------------------

test('scripts/stack start is idempotent', async () => {
  const pidsBefore = await stack.pids();
  const procsBefore = stack.processes().map((p) => p.pid).sort();
  const t0 = Date.now();
  const { stdout } = await stack.run('start');
  const elapsed = Date.now() - t0;
  assert.equal(stdout.trim(), stack.url);
  assert.ok(elapsed < 10_000, `second start took ${elapsed} ms`);
  assert.deepEqual(await stack.pids(), pidsBefore);
  assert.deepEqual(stack.processes().map((p) => p.pid).sort(), procsBefore, 'no duplicate processes');

  const { stdout: status } = await stack.run('status');
  for (const piece of ['postgres', 'workers', 'nginx']) {
    assert.match(status, new RegExp(`^${piece}\\s+running`, 'm'), status);
  }
});

test('scripts/stack psql runs SQL on the stack database', async () => {
  assert.equal(await stack.psql('select 1'), '1');
  assert.equal(await stack.psql('select current_database()'), 'boxoffice');
  assert.equal(Number(await stack.psql("select count(*) from shows where published")), 3);
});

test('scripts/stack stop leaves no process of the stack behind', async () => {
  const dir = stack.var;
  assert.ok(stack.processes().length >= 5, 'the stack has processes to stop');
  const keep = process.env.KEEP_STACK;
  await stack.stop();
  assert.deepEqual(stackProcesses(dir), [], 'processes left after stop');
  await assert.rejects(fetch(`${stack.url}/api/health`), 'nginx is gone');
  if (keep !== '1') {
    assert.throws(() => readFileSync(join(dir, 'run', 'supervisor.pid')), 'stack directory removed');
  }
});
