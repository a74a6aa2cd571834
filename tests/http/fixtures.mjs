// Test data helpers: performances made to measure through psql, and
// booking requests.

import { request as httpRequest } from 'node:http';
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

/**
 * A request from another loopback address (127.0.0.N): to nginx, another
 * client. A new connection each time. Resolves {status, headers, body, text}.
 */
export function requestFrom(stack, path, { from, method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(stack.url + path, {
      method, localAddress: from, agent: false,
      headers: { ...headers, ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let parsed;
        try { parsed = JSON.parse(text); } catch { parsed = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: parsed, text });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** POST JSON from another loopback address. */
export function postFrom(stack, from, path, body) {
  return requestFrom(stack, path, { from, method: 'POST', body });
}

/** The n-th distinct loopback address (n from 0): 127.0.1.1, 127.0.1.2, ... */
export function loopback(n) {
  return `127.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;
}
