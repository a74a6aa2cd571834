// The public documents are never older than the last committed change by
// more than about a second, whatever the traffic: under a constant read
// load of the same document, after silences short and long, across a lost
// connection of the workers' watcher, and when only the clock changes them
// (a hold expiring, booking opening). A visitor who just booked sees the new count
// on the very next load. (docs/ARCHITECTURE.md, "Microcache".)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, waitFor } from './stack.mjs';
import { book, makePerformance, visitor } from './fixtures.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('freshness of the public documents', () => {
  let stack;
  before(async () => {
    stack = await startStack({ env: { BOXOFFICE_MICROCACHE: 'on', BOXOFFICE_RATE_LIMITS: 'off' } });
  });
  after(async () => stack && stack.stop());

  /** One read: {seats, state, cache, t0, t1} (t0/t1: when it was sent/answered). */
  async function read(perf, headers = {}) {
    const t0 = Date.now();
    const r = await fetch(`${stack.url}/api/performances/${perf}`, { headers });
    const { performance } = await r.json();
    assert.equal(r.status, 200);
    return { seats: performance.availability.seats_available, state: performance.availability.state,
      cache: r.headers.get('x-cache'), t0, t1: Date.now() };
  }

  test('a committed booking shows within 1 s under a constant read load of the same document', async () => {
    const perf = await makePerformance(stack, { capacity: 200 });
    const seen = [];
    let stop = false;
    const reader = async () => {
      while (!stop) seen.push(await read(perf));
    };
    const readers = Array.from({ length: 8 }, reader);
    await sleep(1500); // nginx's copy and the workers' are warm
    const commits = [];
    for (let i = 0; i < 5; i++) {
      const r = await book(stack, perf, { name: 'F', email: visitor('fresh'), seats: 2 });
      assert.equal(r.status, 201);
      commits.push({ at: Date.now(), seats: 200 - 2 * (i + 1) });
      await sleep(1300);
    }
    stop = true;
    await Promise.all(readers);
    const hits = seen.filter((s) => s.cache === 'HIT').length;
    assert.ok(hits > seen.length / 2, `the load was served from nginx's cache (${hits} of ${seen.length})`);
    for (const c of commits) {
      // Every read sent more than 1 s after the booking's answer shows it
      // (or a later booking).
      const late = seen.filter((s) => s.t0 > c.at + 1000);
      assert.ok(late.length > 0);
      const old = late.filter((s) => s.seats > c.seats);
      assert.equal(old.length, 0, `reads older than the booking of ${c.at}: ${JSON.stringify(old.slice(0, 3))}`);
      const first = seen.find((s) => s.t0 >= c.at && s.seats <= c.seats);
      assert.ok(first && first.t0 - c.at <= 1000, 'the change showed within a second');
    }
  });

  test('after a quiet spell, short or 30 s long, the first read is fresh, not the old copy', async () => {
    const perf = await makePerformance(stack, { capacity: 100 });
    assert.equal((await read(perf)).seats, 100);
    assert.equal((await read(perf)).cache, 'HIT');
    // Changed where no cookie and no HTTP request is involved.
    await stack.psql(`UPDATE performances SET extra_seats = 5 WHERE id = ${perf}`);
    await sleep(3000);
    assert.equal((await read(perf)).seats, 105, 'after 3 s of silence');
    await stack.psql(`UPDATE performances SET extra_seats = 9 WHERE id = ${perf}`);
    await sleep(30_000);
    const r = await read(perf);
    assert.equal(r.seats, 109, 'after 30 s of silence');
    assert.notEqual(r.cache, 'STALE');
    assert.notEqual(r.cache, 'UPDATING');
  });

  test('a visitor who just booked sees the new count on the next load', async () => {
    const perf = await makePerformance(stack, { capacity: 40 });
    assert.equal((await read(perf)).seats, 40);
    assert.equal((await read(perf)).cache, 'HIT');
    const r = await book(stack, perf, { name: 'B', email: visitor('booker'), seats: 3 });
    assert.equal(r.status, 201);
    const cookie = r.headers.get('set-cookie');
    assert.match(cookie, /^bo_fresh=1;/);
    assert.match(cookie, /Max-Age=5/);
    const next = await read(perf, { cookie: cookie.split(';')[0] });
    assert.equal(next.seats, 37, 'the next load shows the booking');
    assert.equal(next.cache, 'BYPASS');
  });

  test('a lost connection of the watcher never leaves an old copy', async () => {
    const perf = await makePerformance(stack, { capacity: 60 });
    assert.equal((await read(perf)).seats, 60);
    const killed = await stack.psql(`SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = 'boxoffice-doccache') t`);
    assert.ok(Number(killed) >= 1, 'every worker watches');
    await stack.psql(`UPDATE performances SET extra_seats = 4 WHERE id = ${perf}`);
    await waitFor(async () => (await read(perf)).seats === 64, { timeout: 1500, what: 'the change after the disconnect' });
    // Listening again, the copies work and end at the next change.
    await waitFor(async () => Number(await stack.psql(`SELECT count(*) FROM pg_stat_activity
      WHERE application_name = 'boxoffice-doccache'`)) >= 1, { timeout: 10_000, what: 'the watchers back' });
    await stack.psql(`UPDATE performances SET extra_seats = 7 WHERE id = ${perf}`);
    await waitFor(async () => (await read(perf)).seats === 67, { timeout: 1500, what: 'the change after reconnecting' });
  });

  test('what changes by the clock alone changes on time: a hold expiring, booking opening', async () => {
    const perf = await makePerformance(stack, { capacity: 30, opensIn: '3 seconds' });
    assert.equal((await read(perf)).state, 'closed');
    await sleep(1200);
    assert.equal((await read(perf)).state, 'closed');
    await waitFor(async () => (await read(perf)).state === 'available', { timeout: 3500, what: 'booking open' });

    assert.equal((await book(stack, perf, { name: 'H', email: visitor('hold'), seats: 4 })).status, 201);
    await stack.psql(`UPDATE reservations SET expires_at = now() + interval '3 seconds' WHERE performance_id = ${perf};
      UPDATE performances SET next_hold_expiry = now() + interval '3 seconds' WHERE id = ${perf}`);
    const t = Date.now();
    await sleep(1100); // past nginx's copy of before the booking
    assert.equal((await read(perf)).seats, 26);
    // Read all along (the copies stay warm); the seats come back when the
    // hold expires, though no row changed.
    await waitFor(async () => (await read(perf)).seats === 30, { timeout: 4000, interval: 50, what: 'the hold expired' });
    assert.ok(Date.now() - t < 4500);
  });
});
