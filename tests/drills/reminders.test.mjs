// Reminder drill (issue 12): two workers sweep for due reminders every
// second while one of them is killed again and again. Every confirmed
// booking gets exactly one reminder queued (marked and queued in one
// statement, sql/010_reminders.sql), and every one reaches the relay; a
// second copy only when a kill fell between the relay's "250 OK" and our
// COMMIT (docs/ARCHITECTURE.md, "Mail"), never more than one per kill.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, startStack, waitFor } from '../http/stack.mjs';
import { confirmToken, startSmtp } from '../http/smtp.mjs';
import { makePerformance } from '../http/fixtures.mjs';

const BOOKINGS = 200; // inserted directly, confirmed
const LINKED = 3; // booked and confirmed through the API (their reminders carry links)

let stack;
let smtp;

function post(path, body) {
  return api(stack, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

// A worker killed mid-session resets its connection to the relay: the
// relay (smtp-server) reports that as an error event, expected here.
const tolerateResets = () => smtp.server?.on('error', (err) => {
  if (err.code !== 'ECONNRESET') throw err;
});

before(async () => {
  smtp = await startSmtp();
  tolerateResets();
  stack = await startStack({
    env: {
      BOXOFFICE_MAIL_BACKEND: 'smtp', BOXOFFICE_SMTP_HOST: '127.0.0.1', BOXOFFICE_SMTP_PORT: smtp.port,
      BOXOFFICE_MAIL_RETRY_SECONDS: 1, BOXOFFICE_RATE_LIMITS: 'off', BOXOFFICE_WORKERS: 2, BOXOFFICE_THREADS: 4,
      BOXOFFICE_SWEEP_SECONDS: 1, BOXOFFICE_REMINDER_HOURS: 24,
    },
  });
});
after(async () => {
  await stack?.stop();
  await smtp?.stop();
});

test('two workers, killed while they remind: every booking reminded once', async (t) => {
  const perf = await makePerformance(stack, { capacity: 1000, startsIn: '10 days' });
  const tag = `rd${process.pid}`;
  const linked = [];
  for (let i = 0; i < LINKED; i++) {
    const email = `${tag}l${i}@drill.example.org`;
    const b = await post(`/api/performances/${perf}/reservations`, { name: 'Drill', email, seats: 1, locale: i % 2 ? 'en' : 'it' });
    assert.equal(b.status, 201, b.text);
    const token = confirmToken((await smtp.waitFor(email, 1))[0]);
    assert.equal((await post('/api/reservations/confirm', { token })).status, 200);
    await smtp.waitFor(email, 2);
    linked.push(email);
  }
  await stack.psql(`INSERT INTO reservations (performance_id, name, email, seats, status, expires_at,
      confirmed_at, confirm_token_hash, ticket_token_hash)
    SELECT ${perf}, 'Drill ' || g, '${tag}x' || g || '@drill.example.org', 1, 'confirmed', now(), now(),
           sha256(('${tag}c' || g)::bytea), sha256(('${tag}t' || g)::bytea)
      FROM generate_series(1, ${BOOKINGS}) g`);
  const emails = [...linked, ...Array.from({ length: BOOKINGS }, (_, i) => `${tag}x${i + 1}@drill.example.org`)];

  // Into the window: the next sweep of either worker queues them all.
  await stack.psql(`UPDATE performances SET starts_at = now() + interval '6 hours' WHERE id = ${perf}`);
  const before0 = (await stack.pids()).workers;
  const killed = [];
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 150 + 100 * (i % 3)));
    const { workers } = await stack.pids();
    const victim = workers[i % workers.length];
    if (victim) {
      process.kill(victim, 'SIGKILL');
      killed.push(victim);
    }
  }
  await waitFor(async () => {
    const p = await stack.pids();
    return p.workers.length === before0.length && p.workers.every((w) => !killed.includes(w));
  }, { timeout: 30_000, what: 'multiwatch to replace every killed worker' });
  await waitFor(async () => (await stack.psql(`SELECT count(*) FROM reservations
      WHERE performance_id = ${perf} AND reminded_at IS NULL`)) === '0'
    && (await stack.psql(`SELECT count(*) FROM outbox WHERE kind = 'reminder'
      AND sent_at IS NULL AND failed_at IS NULL`)) === '0',
  { timeout: 120_000, what: 'every reminder queued and delivered' });

  // Queued exactly once: one outbox row per reservation, all sent.
  assert.equal(await stack.psql(`SELECT count(*) FROM outbox o JOIN reservations r ON r.id = o.reservation_id
    WHERE r.performance_id = ${perf} AND o.kind = 'reminder'`), String(BOOKINGS + LINKED));
  assert.equal(await stack.psql(`SELECT count(*) FROM (SELECT reservation_id FROM outbox WHERE kind = 'reminder'
    GROUP BY reservation_id HAVING count(*) > 1) d`), '0', 'one reminder row per reservation');
  assert.equal(await stack.psql(`SELECT count(*) FROM outbox o JOIN reservations r ON r.id = o.reservation_id
    WHERE r.performance_id = ${perf} AND o.kind = 'reminder' AND o.sent_at IS NOT NULL`), String(BOOKINGS + LINKED));

  // At the relay: every booking reminded; a copy only for a kill between
  // "250 OK" and COMMIT, at most one per kill.
  const isReminder = (m) => /^(Promemoria|Reminder):/.test(m.parsed.subject);
  let extra = 0;
  for (const e of emails) {
    const n = smtp.to(e).filter(isReminder).length;
    assert.ok(n >= 1, `${e} was not reminded`);
    extra += n - 1;
  }
  t.diagnostic(`${killed.length} kills, ${extra} duplicate deliveries at the relay`);
  assert.ok(extra <= killed.length, `${extra} duplicates for ${killed.length} kills`);
  for (const e of linked) {
    const [m] = smtp.to(e).filter(isReminder);
    assert.match(m.parsed.text, /\/t\/[A-Za-z0-9_-]{43}/, 'a booking made through the API gets its ticket link');
  }
  stack.checkSanitizers();
});

test('the relay down while reminders are due: each waits in the outbox and arrives once', async () => {
  const perf = await makePerformance(stack, { capacity: 100, startsIn: '10 days' });
  const tag = `ro${process.pid}`;
  await stack.psql(`INSERT INTO reservations (performance_id, name, email, seats, status, expires_at,
      confirmed_at, confirm_token_hash, ticket_token_hash)
    SELECT ${perf}, 'Drill ' || g, '${tag}x' || g || '@drill.example.org', 1, 'confirmed', now(), now(),
           sha256(('${tag}c' || g)::bytea), sha256(('${tag}t' || g)::bytea)
      FROM generate_series(1, 20) g`);
  await smtp.stop();
  await stack.psql(`UPDATE performances SET starts_at = now() + interval '6 hours' WHERE id = ${perf}`);
  await waitFor(async () => (await stack.psql(`SELECT count(*) FROM outbox o JOIN reservations r ON r.id = o.reservation_id
      WHERE r.performance_id = ${perf} AND o.kind = 'reminder' AND o.attempts > 0 AND o.sent_at IS NULL`)) === '20',
  { timeout: 30_000, what: 'every reminder to be queued and tried against the dead relay' });
  await smtp.start();
  tolerateResets();
  await waitFor(async () => (await stack.psql(`SELECT count(*) FROM outbox o JOIN reservations r ON r.id = o.reservation_id
      WHERE r.performance_id = ${perf} AND o.kind = 'reminder' AND o.sent_at IS NOT NULL`)) === '20',
  { timeout: 60_000, what: 'every reminder delivered once the relay is back' });
  for (let g = 1; g <= 20; g++) {
    const n = smtp.to(`${tag}x${g}@drill.example.org`).filter((m) => /^Promemoria:/.test(m.parsed.subject)).length;
    assert.equal(n, 1, `booking ${g} reminded ${n} times`);
  }
  stack.checkSanitizers();
});
