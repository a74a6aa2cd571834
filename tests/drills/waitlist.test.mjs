// The waiting list in a rush (issue 15): 300 clients try to book a
// sold-out performance and 50 parties wait, while cancellations, holds
// and offers lapsing and accepted offers move seats at random for
// WAITLIST_SECONDS (20 by default). Sampled all along:
//   * held + confirmed + offered seats never above the sellable seats;
//   * no entry has two open offers;
//   * no seat is free (not even for a moment a snapshot can see) while a
//     waiting party whose minimum fits it waits: every freed seat was
//     booked or offered in the transaction that freed it;
//   * no 5xx.
// Then the same with two worker processes killed at random: the offers
// already mailed are neither lost nor mailed twice.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startStack, waitFor } from '../http/stack.mjs';
import { confirmToken, startSmtp } from '../http/smtp.mjs';
import { countersExact, loopback, makePerformance } from '../http/fixtures.mjs';

// make drills-short (DRILL_SECONDS below 20) runs it for 10 s.
const SECONDS = Number(process.env.WAITLIST_SECONDS
  ?? (Number(process.env.DRILL_SECONDS ?? 20) < 20 ? 10 : 20));
const CLIENTS = 300;
const ENTRIES = 50;
const CAPACITY = 120;

let stack;
let smtp;

/** POST JSON from a loopback address on a new connection: {status, body}. */
function post(from, path, body) {
  return new Promise((resolve) => {
    const data = JSON.stringify(body);
    const req = request(`${stack.url}${path}`, {
      method: 'POST', agent: false, localAddress: from,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let parsed;
        try { parsed = JSON.parse(text); } catch { parsed = undefined; }
        resolve({ status: res.statusCode, body: parsed });
      });
    });
    req.on('error', (err) => resolve({ status: err.code }));
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    req.end(data);
  });
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const pick = (a) => a[Math.floor(Math.random() * a.length)];
const token = (message, path) => new RegExp(`/${path}#([A-Za-z0-9_-]{43})`).exec(message.parsed.text ?? '')?.[1];

/** The invariants at one instant, in one snapshot. */
const SAMPLE = (perf) => `
  SELECT (SELECT coalesce(sum(seats), 0) FROM reservations
           WHERE performance_id = p.id AND (status = 'confirmed'
              OR (status = 'pending' AND expires_at > now())))
         <= p.capacity - p.occupied_manual + p.extra_seats,
         (SELECT count(*) FROM (SELECT waitlist_entry_id FROM reservations
           WHERE performance_id = p.id AND status = 'pending' AND waitlist_entry_id IS NOT NULL
           GROUP BY 1 HAVING count(*) > 1) d) = 0,
         NOT EXISTS (SELECT 1 FROM waitlist_entries e WHERE e.performance_id = p.id
           AND e.state = 'waiting'
           AND e.min_seats <= p.capacity - p.occupied_manual + p.extra_seats - p.seats_held),
         (SELECT count(*) FROM waitlist_entries e WHERE e.performance_id = p.id AND e.state = 'offered')
    FROM performances p WHERE p.id = ${perf}`;

async function drill(t, { kills }) {
  const perf = await makePerformance(stack, { capacity: CAPACITY, max: 4 });
  const statuses = {};
  const count = (s) => { statuses[s] = (statuses[s] ?? 0) + 1; };
  const bookings = []; // {email, token} confirmed, cancellable
  const entries = [];
  let running = true;

  // Sell out: 60 parties of 2, confirmed.
  await Promise.all(Array.from({ length: CAPACITY / 2 }, async (_, i) => {
    const email = `wr${process.pid}p${perf}s${i}@example.org`;
    const r = await post(loopback(i), `/api/performances/${perf}/reservations`, { name: `Seat ${i}`, email, seats: 2 });
    assert.equal(r.status, 201);
    const tk = confirmToken((await smtp.waitFor(email, 1, 60_000))[0]);
    assert.equal((await post(loopback(i), '/api/reservations/confirm', { token: tk })).status, 200);
    bookings.push({ email, token: tk, from: loopback(i) });
  }));

  // 50 parties wait: 1 to 4 seats, some "or at least".
  await Promise.all(Array.from({ length: ENTRIES }, async (_, i) => {
    const email = `wr${process.pid}p${perf}w${i}@example.org`;
    const seats = 1 + (i % 4);
    const body = { name: `Wait ${i}`, email, seats };
    if (seats > 1 && i % 3 === 0) body.min_seats = 1 + (i % seats);
    const from = loopback(1000 + i);
    const r = await post(from, `/api/performances/${perf}/waitlist`, body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const tk = token((await smtp.waitFor(email, 1, 60_000))[0], 'waitlist');
    assert.equal((await post(from, '/api/waitlist/confirm', { token: tk })).status, 200);
    entries.push({ email, token: tk, from });
  }));

  // 300 clients keep trying to book; a booking that succeeds is confirmed.
  const clients = Array.from({ length: CLIENTS }, async (_, i) => {
    const from = loopback(2000 + i);
    let n = 0;
    while (running) {
      await pause(800 + Math.random() * 2200);
      if (!running) break;
      n += 1;
      const email = `wr${process.pid}p${perf}c${i}n${n}@example.org`;
      const r = await post(from, `/api/performances/${perf}/reservations`,
        { name: `Rush ${i}`, email, seats: 1 + (i % 3) });
      count(r.status);
      if (r.status === 201) {
        // Half confirm at once (and may cancel later); the rest let the
        // hold lapse (the chaos below makes it lapse now).
        if (i % 2 === 0) {
          const tk = confirmToken((await smtp.waitFor(email, 1, 60_000))[0]);
          const c = await post(from, '/api/reservations/confirm', { token: tk });
          count(c.status);
          if (c.status === 200) bookings.push({ email, token: tk, from });
        }
      }
    }
  });

  // Chaos: cancellations, lapsing holds and offers, accepted offers.
  const accepted = new Set();
  const chaos = (async () => {
    while (running) {
      await pause(100 + Math.random() * 200);
      const roll = Math.random();
      if (roll < 0.35 && bookings.length) {
        const b = bookings.splice(Math.floor(Math.random() * bookings.length), 1)[0];
        const r = await post(b.from, '/api/reservations/cancel', { token: b.token });
        count(r.status);
      } else if (roll < 0.6) {
        await stack.psql(`UPDATE reservations SET expires_at = now() - interval '1 second'
          WHERE id = (SELECT id FROM reservations WHERE performance_id = ${perf} AND status = 'pending'
                      ORDER BY random() LIMIT 1)`);
      } else {
        const offers = smtp.messages.filter((m) => token(m, 'offer') && !accepted.has(token(m, 'offer')));
        if (offers.length) {
          const tk = token(pick(offers), 'offer');
          accepted.add(tk);
          const r = await post(loopback(3000), '/api/waitlist/accept', { token: tk });
          count(r.status);
        }
      }
    }
  })();

  // Kills: two workers, at random moments.
  const killed = [];
  const killer = (async () => {
    for (let k = 0; k < kills; k++) {
      await pause(2000 + Math.random() * (SECONDS * 1000 / kills - 3000));
      const { workers } = await stack.pids();
      const victim = pick(workers);
      if (victim) {
        process.kill(victim, 'SIGKILL');
        killed.push(victim);
      }
    }
  })();

  // Samples.
  let samples = 0;
  let maxOffered = 0;
  const sampler = (async () => {
    while (running) {
      const [fits, single, noneIdle, offered] = (await stack.psql(SAMPLE(perf))).split('|');
      assert.equal(fits, 't', 'held + confirmed + offered <= sellable');
      assert.equal(single, 't', 'no entry offered twice at once');
      assert.equal(noneIdle, 't', 'no free seat while a party it fits waits');
      maxOffered = Math.max(maxOffered, Number(offered));
      samples += 1;
      await pause(150);
    }
  })();

  await pause(SECONDS * 1000);
  running = false;
  await Promise.all([...clients, chaos, killer, sampler]);

  if (kills) {
    await waitFor(async () => {
      const p = await stack.pids();
      return p.workers.length === 2 && p.workers.every((w) => !killed.includes(w));
    }, { timeout: 20_000, what: 'multiwatch to replace the killed workers' });
  }
  await waitFor(async () => (await stack.psql(
    'SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL')) === '0',
  { timeout: 90_000, what: 'every message to be delivered' });

  const fivexx = Object.entries(statuses).filter(([s]) => !/^[1-4]\d\d$/.test(s));
  t.diagnostic(`${samples} samples, at most ${maxOffered} offers open at once, answers ${JSON.stringify(statuses)}, killed ${killed.length}`);
  if (kills) {
    // A request in flight on a killed worker is a 502 from nginx; nothing else.
    for (const [s] of fivexx) assert.equal(s, '502', `answers ${JSON.stringify(statuses)}`);
  } else {
    assert.deepEqual(fivexx, [], 'no 5xx');
  }
  assert.ok(samples > 20, 'the invariants were sampled');
  assert.equal((await stack.psql(SAMPLE(perf))).split('|').slice(0, 3).join(), 't,t,t');
  assert.ok(await countersExact(stack), 'seat counters exact');
  const [offers, made, acceptedN, expiredN] = (await stack.psql(`
    SELECT count(*), (SELECT coalesce(sum(offers), 0) FROM waitlist_entries WHERE performance_id = ${perf}),
           count(*) FILTER (WHERE status = 'confirmed'), count(*) FILTER (WHERE status = 'expired')
      FROM reservations WHERE performance_id = ${perf} AND waitlist_entry_id IS NOT NULL`)).split('|');
  t.diagnostic(`${offers} offers (${acceptedN} accepted, ${expiredN} expired)`);
  assert.equal(offers, made, 'every offer counted on its entry');
  assert.ok(Number(offers) > 0, 'seats came back and were offered');

  // Every offer's message: sent once (or skipped: the offer ended before
  // its message went out), none lost, none twice.
  const [rows, skipped] = (await stack.psql(`
    SELECT count(*), count(*) FILTER (WHERE last_error = 'skipped') FROM outbox o
      JOIN reservations r ON r.id = o.reservation_id
     WHERE r.performance_id = ${perf} AND o.kind = 'waitlist_offer' AND o.sent_at IS NOT NULL`)).split('|');
  assert.equal(await stack.psql(`SELECT count(*) FROM outbox o JOIN reservations r ON r.id = o.reservation_id
     WHERE r.performance_id = ${perf} AND o.kind = 'waitlist_offer'`), rows, 'every offer message went out');
  const mailed = new Map();
  for (const e of entries) {
    for (const m of smtp.to(e.email)) {
      const tk = token(m, 'offer');
      if (tk) mailed.set(tk, (mailed.get(tk) ?? 0) + 1);
    }
  }
  const twice = [...mailed.values()].filter((n) => n > 1).length;
  t.diagnostic(`${rows} offer messages: ${mailed.size} delivered, ${skipped} skipped, ${twice} twice`);
  assert.equal(mailed.size + Number(skipped), Number(rows), 'no offer message lost');
  assert.equal(twice, 0, 'no offer mailed twice');
  stack.checkSanitizers();
}

describe('the waiting list in a rush', () => {
  before(async () => {
    smtp = await startSmtp();
    stack = await startStack({
      env: {
        BOXOFFICE_MAIL_BACKEND: 'smtp',
        BOXOFFICE_SMTP_HOST: '127.0.0.1',
        BOXOFFICE_SMTP_PORT: smtp.port,
        BOXOFFICE_MAIL_RETRY_SECONDS: 1,
        BOXOFFICE_SWEEP_SECONDS: 1,
        BOXOFFICE_WORKERS: 2,
        BOXOFFICE_THREADS: 16,
        BOXOFFICE_RATE_LIMITS: 'off',
      },
    });
  });
  after(async () => {
    await stack?.stop();
    await smtp?.stop();
  });

  test(`${CLIENTS} clients, ${ENTRIES} waiting, seats freed at random for ${SECONDS} s`, (t) => drill(t, { kills: 0 }));
  test('the same with two workers killed at random', (t) => drill(t, { kills: 2 }));
});
