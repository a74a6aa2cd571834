// Test data helpers: performances made to measure through psql, and
// booking requests.

import { api } from './stack.mjs';

/**
 * Insert a performance of a published demo show and return its id.
 * Times are SQL interval expressions relative to now().
 */
export async function makePerformance(stack, {
  capacity = 100, occupied = 0, extra = 0, max = 6,
  startsIn = '10 days', opensIn = null, closesIn = null, status = 'scheduled',
} = {}) {
  const opens = opensIn === null ? 'NULL' : `now() + interval '${opensIn}'`;
  const closes = closesIn === null ? 'NULL' : `now() + interval '${closesIn}'`;
  const out = await stack.psql(`
    INSERT INTO performances (show_id, venue_id, starts_at, capacity, occupied_manual,
                              extra_seats, max_seats_per_reservation, booking_opens_at,
                              booking_closes_at, status)
    SELECT (SELECT id FROM shows WHERE published ORDER BY id LIMIT 1),
           (SELECT id FROM venues ORDER BY id LIMIT 1),
           now() + interval '${startsIn}', ${capacity}, ${occupied}, ${extra}, ${max},
           ${opens}, ${closes}, '${status}'
    RETURNING id`);
  return Number(out.split('\n')[0]);
}

let counter = 0;

/** A unique visitor address, so each test can find its own mail. */
export function visitor(prefix = 'v') {
  counter += 1;
  return `${prefix}${process.pid}x${counter}@example.org`;
}

export function book(stack, perf, body, headers = {}) {
  return api(stack, `/api/performances/${perf}/reservations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function post(stack, path, body) {
  return api(stack, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The seats_held counter of every performance equals its reservations. */
export async function countersExact(stack) {
  return (await stack.psql(`
    SELECT count(*) FROM performances p
     WHERE p.seats_held <> (SELECT coalesce(sum(seats), 0) FROM reservations r
                             WHERE r.performance_id = p.id AND r.status IN ('pending', 'confirmed'))`)) === '0';
}

export async function seatsAvailable(stack, perf) {
  const r = await api(stack, `/api/performances/${perf}`);
  return r.body.performance.availability.seats_available;
}
