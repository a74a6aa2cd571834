// The rush: 400 visitors book 2 seats each, at once, on one performance
// with 150 seats. Exactly 75 must get their seats and 325 a clean 409 —
// never a 5xx, never one seat too many — whatever the number of worker
// processes and threads. Each visitor comes from its own loopback
// address (127.0.1.1, 127.0.1.2, ...), as a rush of real visitors does:
// the per-network cap on unconfirmed seats (sql/008_abuse_caps.sql) is
// then never reached, and the test proves it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './stack.mjs';
import { countersExact, loopback, makePerformance, postFrom } from './fixtures.mjs';

const CLIENTS = 400;
const SEATS = 2;
const CAPACITY = 150;

const configs = [
  { workers: 1, threads: 4 },
  { workers: 2, threads: 8 },
  { workers: 2, threads: 32 },
  { workers: 4, threads: 4 },
  { workers: 3, threads: 16 },
];

for (const { workers, threads } of configs) {
  test(`rush: ${CLIENTS} clients x ${SEATS} seats, ${CAPACITY} seats, ${workers} workers x ${threads} threads`, async () => {
    const stack = await startStack({
      env: {
        BOXOFFICE_WORKERS: workers,
        BOXOFFICE_THREADS: threads,
        BOXOFFICE_POOL_SIZE: Math.min(threads, 8),
        BOXOFFICE_RATE_LIMITS: 'off',
        BOXOFFICE_MAIL_BACKEND: 'file',
      },
    });
    try {
      const perf = await makePerformance(stack, { capacity: CAPACITY, max: 4 });
      // One connection per client (agent: false): 400 clients really
      // arrive at once, each from its own address.
      const statuses = await Promise.all(Array.from({ length: CLIENTS }, async (_, i) => {
        const res = await postFrom(stack, loopback(i), `/api/performances/${perf}/reservations`,
          { name: `Rush ${i}`, email: `rush${i}@example.org`, seats: SEATS });
        if (res.status === 409) assert.equal(res.body?.error?.code, 'not_enough_seats');
        return res.status;
      }));

      const count = (s) => statuses.filter((x) => x === s).length;
      const fivexx = statuses.filter((s) => s >= 500);
      assert.deepEqual(fivexx, [], 'no 5xx');
      assert.equal(count(201), CAPACITY / SEATS, 'exactly capacity / seats bookings succeed');
      assert.equal(count(409), CLIENTS - CAPACITY / SEATS, 'every other client gets 409');

      const [rows, held, outbox] = (await stack.psql(`
        SELECT count(*), coalesce(sum(seats), 0),
               (SELECT count(*) FROM outbox o JOIN reservations r ON r.id = o.reservation_id
                 WHERE r.performance_id = ${perf})
          FROM reservations WHERE performance_id = ${perf} AND status IN ('pending', 'confirmed')`)).split('|');
      assert.equal(Number(rows), CAPACITY / SEATS);
      assert.equal(Number(held), CAPACITY, 'seats held + confirmed = capacity');
      assert.equal(Number(outbox), CAPACITY / SEATS, 'one confirmation message per booking');
      assert.ok(await countersExact(stack), 'the seat counter equals the reservations');
      stack.checkSanitizers();
    } finally {
      await stack.stop();
    }
  });
}
