// tests/compose/flow.mjs — what `make compose` proves once the stack is up
// (tests/compose/run builds it, brings it up and takes it down). Every HTTP
// request goes to the published nginx port; the database and the relay are
// read through `docker-compose exec`, as an operator would.
//
// Reads COMPOSE_DC (a docker-compose wrapper with the project, files and env
// file), COMPOSE_URL (the published port), COMPOSE_TMP (scratch directory),
// COMPOSE_COUNTS (where to write "passed failed" for the run script).
// Node.js built-ins only: no npm packages needed.

import { execFile } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const DC = process.env.COMPOSE_DC;
const URL_ = process.env.COMPOSE_URL;
const TMP = process.env.COMPOSE_TMP;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
assert.ok(DC && URL_ && TMP, 'run through tests/compose/run (make compose)');

let passed = 0;
let failed = 0;
const counts = () => writeFileSync(process.env.COMPOSE_COUNTS ?? '/dev/null', `${passed} ${failed}\n`);

/** One named check: PASS/FAIL line with its time; a failure stops the flow. */
async function check(name, fn) {
  const t0 = Date.now();
  try {
    const detail = await fn();
    passed += 1;
    console.log(`PASS  ${name}${detail ? `: ${detail}` : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failed += 1;
    console.log(`FAIL  ${name}: ${err?.stack ?? err}`);
    counts();
    process.exit(1);
  }
  counts();
}

// --- helpers ------------------------------------------------------------------

function run(file, args, { input, env, timeout = 180_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${file} ${args.join(' ')}: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    if (input !== undefined) child.stdin.end(input);
  });
}
const dc = (args, opts) => run(DC, args, opts);
const psql = async (sql) =>
  (await dc(['exec', '-T', 'postgres', 'psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-U', 'boxoffice', '-d', 'boxoffice', '-c', sql])).trim();

async function http(path, { method = 'GET', body, headers = {}, timeout = 15_000 } = {}) {
  const res = await fetch(URL_ + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeout),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, body: json };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, timeoutMs = 90_000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) { last = err; }
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

const healthy = () => until('GET /api/health 200 through nginx', async () => (await http('/api/health', { timeout: 3000 })).status === 200);

/** A performance of a demo show, made to measure (as tests/http/fixtures.mjs). */
async function makePerformance(capacity, max = 6) {
  return Number(await psql(`
    INSERT INTO performances (show_id, venue_id, starts_at, capacity, max_seats_per_reservation, status)
    SELECT (SELECT id FROM shows WHERE published ORDER BY id LIMIT 1), (SELECT id FROM venues ORDER BY id LIMIT 1),
           now() + interval '10 days', ${capacity}, ${max}, 'scheduled'
    RETURNING id`));
}

let n = 0;
const visitor = (tag) => `${tag}-${process.pid}-${++n}@compose.test`;
// Each booking comes from a visitor of its own behind the trusted proxy
// (198.18.0.0/15, the benchmarking range): a rush is many people, and the
// per-network caps on unconfirmed seats (issue 13) apply to each of them.
let ip = 0;
const visitorIp = () => { ip += 1; return `198.18.${(ip >> 8) & 255}.${ip & 255}`; };
const book = (perf, email, seats = 1, extra = {}) =>
  http(`/api/performances/${perf}/reservations`, {
    method: 'POST', headers: { 'x-forwarded-for': visitorIp() },
    body: { name: 'Compose Visitor', email, seats, locale: 'en' }, ...extra,
  });

/** The raw message the relay kept for `address` (first one), or ''. */
const mailFor = (address) =>
  dc(['exec', '-T', 'mail', 'sh', '-c', 'grep -l -F -e "$1" /var/spool/relay/*.eml 2>/dev/null | head -n 1 | xargs -r cat', 'sh', address]);

function qpDecode(s) {
  return s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

const emailsOf = async (perf) => new Set((await psql(`SELECT email FROM reservations WHERE performance_id = ${perf}`)).split('\n').filter(Boolean));

// --- the checks -----------------------------------------------------------------

await check('nginx is published on 127.0.0.1 only, and GET /api/health is 200 through it', async () => {
  const port = (await dc(['port', 'nginx', '8080'])).trim();
  assert.equal(port, URL_.replace('http://', ''), `published as ${port}`);
  const r = await http('/api/health');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.status, 'ok');
  const site = await http('/');
  assert.equal(site.status, 200);
  assert.match(site.text, /<html/i);
  return `${port}, the site and the API`;
});

await check('the backend gives up on a lost DNS query after 1 s, not 5 s per server', async () => {
  const conf = await dc(['exec', '-T', 'backend', 'cat', '/etc/resolv.conf']);
  assert.match(conf, /^options .*timeout:1/m, conf);
  return conf.trim().split('\n').join('; ');
});

await check('behind a trusted proxy on the host, nginx logs the visitor from X-Forwarded-For', async () => {
  const forwarded = '203.0.113.77';
  const r = await http('/api/health', { headers: { 'x-forwarded-for': forwarded } });
  assert.equal(r.status, 200);
  const line = await until('the access log line', async () =>
    (await dc(['logs', '--no-color', 'nginx'])).split('\n').find((l) => l.includes(`"remote_addr":"${forwarded}"`)), 15_000);
  assert.match(line, /"uri":"\/api\/health"/);
  return `BOXOFFICE_TRUSTED_PROXIES reaches nginx; the visitor ${forwarded} is in its access log`;
});

await check('the example database password is refused (POSTGRES_PASSWORD=change-me)', async () => {
  const err = await dc(['run', '--rm', '--no-deps', '-e', 'BOXOFFICE_DATABASE_URL=host=postgres dbname=boxoffice user=boxoffice password=change-me',
    'migrate'], { timeout: 120_000 }).then(() => null, (e) => e);
  assert.ok(err, 'migrate ran with the example password');
  assert.match(err.message, /the database password is still 'change-me'/, 'the entrypoint says why');
  return 'the migrate service exits non-zero and says why';
});

const STAFF = { email: 'door@compose.test', password: `door-${Math.random().toString(36).slice(2)}-${Date.now()}` };
await check('a staff user made with `docker-compose exec backend boxoffice user add --password-stdin`', async () => {
  await dc(['exec', '-T', 'backend', '/opt/boxoffice/build/boxoffice', 'user', 'add', '--email', STAFF.email,
    '--role', 'staff', '--name', 'Compose door', '--password-stdin'], { input: `${STAFF.password}\n` });
  const r = await http('/api/auth/login', { method: 'POST', body: STAFF });
  assert.equal(r.status, 200, r.text);
});

let ticket;
let flowPerf;
await check('book → the confirmation mail reaches the relay → confirm → ticket → staff check-in', async () => {
  flowPerf = await makePerformance(50);
  const email = visitor('flow');
  const b = await book(flowPerf, email, 2);
  assert.equal(b.status, 201, b.text);
  const booked = Date.now();
  // The workers' outbox delivers at once (and polls every 2 s); 90 s is for
  // a machine under load, and the time it took is printed.
  const raw = await until(`the confirmation mail to ${email} at the relay`, () => mailFor(email), 90_000);
  const mailSeconds = ((Date.now() - booked) / 1000).toFixed(1);
  const m = /\/confirm#([A-Za-z0-9_-]{43})/.exec(qpDecode(raw));
  assert.ok(m, 'the mail has the confirmation link');
  const c = await http('/api/reservations/confirm', { method: 'POST', body: { token: m[1] } });
  assert.equal(c.status, 200, c.text);
  assert.equal(c.body.reservation.status, 'confirmed');
  ticket = c.body.ticket.url;
  assert.ok(ticket.startsWith(`${URL_}/t/`), ticket);
  const t = await http(`/api/tickets/${ticket.split('/t/')[1]}`);
  assert.equal(t.status, 200, t.text);
  assert.equal(t.body.ticket.seats, 2);
  const qr = await fetch(URL_ + c.body.ticket.qr_png);
  assert.equal(qr.status, 200);
  assert.equal(qr.headers.get('content-type'), 'image/png');

  const login = await http('/api/auth/login', { method: 'POST', body: STAFF });
  assert.equal(login.status, 200, login.text);
  const headers = { cookie: login.headers.get('set-cookie').split(';')[0], 'x-csrf-token': login.body.csrf_token };
  const s = await http('/api/checkins', { method: 'POST', body: { token: ticket, performance_id: flowPerf }, headers });
  assert.equal(s.status, 201, s.text);
  assert.equal(s.body.result, 'checked_in');
  assert.equal(s.body.seats_admitted, 2);
  return `the mail at the relay after ${mailSeconds} s (read with docker-compose exec mail), 2 seats admitted`;
});

/** Clients booking 1 seat each in a loop until stop(); every answer is kept. */
function bookingLoad(perf, clients) {
  const results = [];
  let stopped = false;
  const loops = Array.from({ length: clients }, async () => {
    while (!stopped) {
      const email = visitor('load');
      const at = Date.now();
      try {
        const r = await book(perf, email);
        results.push({ email, status: r.status, at });
      } catch (err) {
        results.push({ email, status: 0, at, err: err.cause?.code ?? err.cause?.message ?? err.message });
        await sleep(100);
      }
    }
  });
  return { results, stop: async () => { stopped = true; await Promise.all(loops); } };
}

let loadPerf;
await check('`docker-compose restart backend` under a booking load loses no reservation', async () => {
  loadPerf = await makePerformance(100_000, 6);
  const load = bookingLoad(loadPerf, 8);
  await sleep(2000);
  const restartAt = Date.now();
  await dc(['restart', 'backend']);
  const restarted = Date.now();
  // Load goes on until bookings succeed again after the restart.
  await until('201s after the restart', async () => load.results.filter((r) => r.at > restarted && r.status === 201).length >= 20, 120_000)
    .finally(load.stop);
  const ok = load.results.filter((r) => r.status === 201);
  const other = load.results.filter((r) => r.status !== 201);
  const before = ok.filter((r) => r.at < restartAt).length;
  assert.ok(before > 0, 'bookings succeeded before the restart');
  const rows = await emailsOf(loadPerf);
  const lost = ok.filter((r) => !rows.has(r.email));
  assert.equal(lost.length, 0, `201 without a row: ${lost.map((r) => r.email).join(', ')}`);
  const statuses = {};
  for (const r of other) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const errors = [...new Set(other.filter((r) => r.status === 0).map((r) => r.err))];
  return `${ok.length} bookings answered 201, each has its row (${rows.size} rows); during the restart: ${JSON.stringify(statuses)}` +
    (errors.length ? ` (0 = no answer: ${errors.join(', ')})` : '');
});

await check('`docker-compose down` (volume kept) and `up -d` again keep every reservation', async () => {
  const before = await psql('SELECT count(*) || \' \' || coalesce(sum(seats), 0) || \' \' || md5(string_agg(email, \',\' ORDER BY id)) FROM reservations');
  await dc(['down', '--timeout', '20']);
  await dc(['up', '-d'], { timeout: 300_000 });
  await healthy();
  const after = await psql('SELECT count(*) || \' \' || coalesce(sum(seats), 0) || \' \' || md5(string_agg(email, \',\' ORDER BY id)) FROM reservations');
  assert.equal(after, before);
  const t = await http(`/api/tickets/${ticket.split('/t/')[1]}`);
  assert.equal(t.status, 200, 'the ticket survives');
  return `${before.split(' ')[0]} reservations before and after`;
});

let backends = [];
await check('`docker-compose up -d --scale backend=2`: nginx follows the backend name to both containers', async () => {
  await dc(['up', '-d', '--scale', 'backend=2'], { timeout: 300_000 });
  backends = (await dc(['ps', '-q', 'backend'])).trim().split('\n').filter(Boolean);
  assert.equal(backends.length, 2, `backend containers: ${backends.join(' ')}`);
  // nginx is not restarted: its entrypoint reloads it when `backend`
  // resolves to other addresses (scripts/entrypoint, cmd_nginx).
  const reload = await until('nginx to reload onto two backend addresses', async () =>
    (await dc(['logs', '--no-color', 'nginx'])).split('\n').find((l) => /resolves to \S+ \S+ now/.test(l)), 60_000);
  await until('both backends healthy', async () =>
    (await dc(['ps', 'backend'])).split('\n').filter((l) => l.includes('(healthy)')).length === 2, 60_000);
  await healthy();
  return `${backends.length} backend containers; nginx: ${JSON.parse(reload.slice(reload.indexOf('{'))).msg}`;
});

await check('a 200-client rush on one performance across both backends sells exactly the capacity', async () => {
  const CAPACITY = 60;
  const perf = await makePerformance(CAPACITY, 6);
  const emails = Array.from({ length: 200 }, () => visitor('rush'));
  // As a browser would: a 503 (the worker found no free database
  // connection in time: nothing was booked) is tried again; nothing else.
  // No client timeout short enough to cut a booking that was made.
  let retried = 0;
  const attempt = async (email) => {
    for (;;) {
      const r = await book(perf, email, 1, { timeout: 180_000 }).catch(() => ({ status: 0 }));
      if (r.status !== 503) return r.status;
      retried += 1;
      await sleep(200 + Math.random() * 300);
    }
  };
  const results = await Promise.all(emails.map(attempt));
  const count = (s) => results.filter((x) => x === s).length;
  assert.equal(count(201), CAPACITY, `statuses: 201 x ${count(201)}, 409 x ${count(409)}, other ${results.filter((x) => x !== 201 && x !== 409).join(',')}`);
  assert.equal(count(409), 200 - CAPACITY);
  const [rows, seats, held] = (await psql(`SELECT count(*), sum(seats), (SELECT seats_held FROM performances WHERE id = ${perf})
                                         FROM reservations WHERE performance_id = ${perf} AND status IN ('pending', 'confirmed')`)).split('|').map(Number);
  assert.deepEqual([rows, seats, held], [CAPACITY, CAPACITY, CAPACITY]);
  // Which backend took each booking: their logs (docker-compose logs
  // prefixes each line with its container's name).
  const per = {};
  const logs = await dc(['logs', '--no-color', 'backend']);
  for (const line of logs.split('\n')) {
    const m = /^(\S+)\s+\|/.exec(line);
    if (m && line.includes('reservation_created') && line.includes(`performance ${perf},`)) per[m[1]] = (per[m[1]] ?? 0) + 1;
  }
  const took = Object.values(per);
  assert.equal(took.reduce((a, b) => a + b, 0), CAPACITY, `bookings per backend (from their logs): ${JSON.stringify(per)}`);
  assert.ok(took.length === 2 && took.every((x) => x > 0), `both backends took bookings: ${JSON.stringify(per)}`);
  return `201 x ${CAPACITY}, 409 x ${200 - CAPACITY}${retried ? ` (${retried} answers 503, tried again)` : ''}; bookings per backend ${JSON.stringify(per)}`;
});

await check('scripts/backup and scripts/restore against the compose database (docker-compose exec -T postgres)', async () => {
  const env = { BOXOFFICE_PG_EXEC: `${DC} exec -T postgres` };
  const file = join(TMP, 'backups', 'compose.dump');
  const count = () => psql('SELECT count(*) FROM reservations');
  const before = await count();
  const out = (await run(join(ROOT, 'scripts', 'backup'), [file], { env })).trim();
  assert.equal(out, file);
  const st = statSync(file);
  assert.ok(st.size > 1000, `dump size ${st.size}`);
  assert.equal((st.mode & 0o777).toString(8), '600', 'the dump is readable by its owner only');
  // Changes after the backup, then the restore takes them back.
  for (let i = 0; i < 3; i += 1) assert.equal((await book(flowPerf, visitor('after'))).status, 201);
  assert.equal(Number(await count()), Number(before) + 3);
  await run(join(ROOT, 'scripts', 'restore'), [file], { env });
  assert.equal(await count(), before, 'the restore brings back the backup');
  // The workers carry on against the restored database.
  const b = await book(flowPerf, visitor('restored'));
  assert.equal(b.status, 201, b.text);
  const t = await http(`/api/tickets/${ticket.split('/t/')[1]}`);
  assert.equal(t.status, 200);
  return `${before} reservations in a ${st.size}-byte dump (mode 0600), restored`;
});

counts();
