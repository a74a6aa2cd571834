// Operations: the metrics endpoint, the purge of old personal data, and a
// backup restored into a fresh cluster.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, api, startStack, waitFor } from './stack.mjs';
import { book, makePerformance, post, visitor } from './fixtures.mjs';

const METRICS_TOKEN = 'scrape-token-0123456789-abcdefghijklmnopqrstu';
let stack;

/** Parse Prometheus text into {"name{labels}": value}. */
function parseMetrics(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

async function scrape() {
  const r = await api(stack, '/admin/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return parseMetrics(r.text);
}

before(async () => {
  stack = await startStack({
    env: {
      BOXOFFICE_METRICS_TOKEN: METRICS_TOKEN, BOXOFFICE_SWEEP_SECONDS: 1,
      BOXOFFICE_RATE_LIMITS: 'off', BOXOFFICE_WORKERS: 2, BOXOFFICE_THREADS: 4,
    },
  });
});
afterEach(() => stack.checkSanitizers());
after(async () => {
  await stack?.stop();
});

describe('metrics', () => {
  test('booking moves the counters, summed over every worker process', async () => {
    const route = 'route="POST /api/performances/{id}/reservations"';
    const before0 = await scrape();
    const perf = await makePerformance(stack, { capacity: 10, max: 10 });
    for (let i = 0; i < 6; i++) {
      const r = await book(stack, perf, { name: 'M', email: visitor('m'), seats: 1 });
      assert.equal(r.status, 201);
    }
    assert.equal((await book(stack, perf, { name: 'M', email: visitor('m'), seats: 9 })).status, 409);
    assert.equal((await book(stack, perf, { name: '', email: 'x', seats: 1 })).status, 422);
    const m = await scrape();
    const get = (o, k) => o[k] ?? 0;
    assert.equal(get(m, `boxoffice_requests_total{${route},status="201"}`)
      - get(before0, `boxoffice_requests_total{${route},status="201"}`), 6);
    assert.equal(get(m, `boxoffice_requests_total{${route},status="409"}`)
      - get(before0, `boxoffice_requests_total{${route},status="409"}`), 1);
    assert.equal(get(m, `boxoffice_requests_total{${route},status="422"}`)
      - get(before0, `boxoffice_requests_total{${route},status="422"}`), 1);
    assert.equal(get(m, `boxoffice_request_duration_seconds_count{${route}}`)
      - get(before0, `boxoffice_request_duration_seconds_count{${route}}`), 8);
    assert.ok(m[`boxoffice_request_duration_seconds_bucket{${route},le="+Inf"}`] >= 8);
    assert.ok(m['boxoffice_holds_active'] >= 6);
    assert.ok(m['boxoffice_holds_seats'] >= 6);
    assert.ok('boxoffice_outbox_messages{state="pending"}' in m);
    assert.ok('boxoffice_db_serialization_retries_total' in m);
    assert.equal(m['boxoffice_workers'], 2);
    assert.ok(m['boxoffice_db_pool_connections{state="max"}'] >= 4);
    assert.equal(m['boxoffice_database_up'], 1);
    // Unmatched paths are counted too.
    await api(stack, '/api/nope');
    assert.ok((await scrape())['boxoffice_requests_total{route="unmatched",status="404"}'] >= 1);
  });

  test('the counters survive a worker being replaced', async () => {
    const key = 'boxoffice_requests_total{route="GET /api/health",status="200"}';
    for (let i = 0; i < 20; i++) await api(stack, '/api/health');
    const before0 = (await scrape())[key];
    const { workers } = await stack.pids();
    process.kill(workers[0], 'SIGKILL');
    await waitFor(async () => {
      const p = await stack.pids();
      return p.workers.length === 2 && !p.workers.includes(workers[0]);
    }, { timeout: 15_000, what: 'multiwatch to replace the worker' });
    await api(stack, '/api/health');
    assert.ok((await scrape())[key] >= before0, 'no counter went backwards');
  });

  test('only an admin or the bearer token may read them', async () => {
    assert.equal((await api(stack, '/admin/metrics')).status, 401);
    assert.equal((await api(stack, '/admin/metrics', { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const staff = await post(stack, '/api/auth/login', stack.demo.staff);
    const cookie = staff.headers.get('set-cookie').split(';')[0];
    assert.equal((await api(stack, '/admin/metrics', { headers: { cookie } })).status, 403);
    const admin = await post(stack, '/api/auth/login', stack.demo.admin);
    const ac = admin.headers.get('set-cookie').split(';')[0];
    assert.equal((await api(stack, '/admin/metrics', { headers: { cookie: ac } })).status, 200);
  });
});

describe('graceful stop', () => {
  test('SIGTERM lets a request in flight finish before the worker exits', async () => {
    const perf = await makePerformance(stack, { capacity: 10 });
    // Another session holds the performance's lock for 3 s: the booking
    // below waits for it inside a worker, in flight.
    const holder = stack.run('psql', '-X', '-q', '-c',
      `SELECT pg_advisory_lock(${perf}); SELECT pg_sleep(3); SELECT pg_advisory_unlock(${perf})`);
    await new Promise((r) => setTimeout(r, 500));
    const pending = book(stack, perf, { name: 'In flight', email: visitor('g'), seats: 2 });
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    await stack.run('workers-stop'); // SIGTERM through multiwatch
    const answer = await pending;
    await holder;
    assert.equal(answer.status, 201, answer.text);
    assert.ok(Date.now() - t0 >= 1500, 'the stop waited for the request');
    assert.equal(await stack.psql(`SELECT count(*) FROM reservations WHERE performance_id = ${perf}`), '1');
    assert.match(stack.logs(200), /worker_stopped/);
    await stack.run('workers-start');
    await waitFor(async () => (await api(stack, '/api/health')).status === 200, { what: 'the workers to be back' });
  });
});

describe('data lifecycle', () => {
  test('personal data is purged after the configured days; the counts stay', async () => {
    const old = await makePerformance(stack, { startsIn: '-200 days' });
    const recent = await makePerformance(stack, { startsIn: '-10 days' });
    for (const perf of [old, recent]) {
      await stack.psql(`
        INSERT INTO reservations (performance_id, name, email, phone, notes, seats, status,
                                  expires_at, confirmed_at, confirm_token_hash, ticket_token_hash)
        VALUES (${perf}, 'Old Name', 'old@example.org', '+39 051 1', 'a note', 3, 'confirmed',
                now(), now(), sha256('c${perf}'::bytea), sha256('t${perf}'::bytea));
        INSERT INTO outbox (reservation_id, kind, recipient, body, sent_at)
        SELECT id, 'ticket', email, NULL, now() FROM reservations WHERE performance_id = ${perf};`);
    }
    await waitFor(async () => (await stack.psql(
      `SELECT purged_at IS NOT NULL FROM reservations WHERE performance_id = ${old}`)) === 't',
    { timeout: 15_000, what: 'the purge' });
    assert.equal(await stack.psql(
      `SELECT name || '|' || email || '|' || phone || '|' || notes || '|' || seats || '|' || status
         FROM reservations WHERE performance_id = ${old}`), '||||3|confirmed');
    assert.equal(await stack.psql(
      `SELECT recipient FROM outbox o JOIN reservations r ON r.id = o.reservation_id WHERE r.performance_id = ${old}`), '');
    assert.equal(await stack.psql(
      `SELECT name FROM reservations WHERE performance_id = ${recent}`), 'Old Name', 'recent data kept');
  });

  test('a backup restored into a fresh cluster has every reservation', async () => {
    const perf = await makePerformance(stack, { capacity: 40 });
    for (let i = 0; i < 5; i++) {
      assert.equal((await book(stack, perf, { name: `Backup ${i}`, email: visitor('b'), seats: 2 })).status, 201);
    }
    const dir = mkdtempSync(join(tmpdir(), 'boxoffice-backup-'));
    const fresh = await startStack({ env: { BOXOFFICE_DEMO: 0, BOXOFFICE_RATE_LIMITS: 'off' } });
    try {
      const file = join(dir, 'b.dump');
      const out = execFileSync(join(ROOT, 'scripts', 'backup'), [file], { env: stack.env, encoding: 'utf8' });
      assert.equal(out.trim(), file);
      execFileSync(join(ROOT, 'scripts', 'restore'), [file], { env: fresh.env });
      const q = `SELECT string_agg(id || ':' || performance_id || ':' || status || ':' || seats || ':'
                 || encode(confirm_token_hash, 'hex') || ':' || name, ',' ORDER BY id) FROM reservations`;
      const a = await stack.psql(q);
      assert.ok(a.split(',').length >= 5);
      assert.equal(await fresh.psql(q), a, 'every reservation, identical');
      assert.equal(await fresh.psql('SELECT count(*) FROM outbox'), await stack.psql('SELECT count(*) FROM outbox'));
      // The restored stack serves it: the workers' pools carried on.
      const r = await api(fresh, `/api/performances/${perf}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.performance.availability.seats_available,
        (await api(stack, `/api/performances/${perf}`)).body.performance.availability.seats_available);
      fresh.checkSanitizers();
    } finally {
      await fresh.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
