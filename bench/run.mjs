// make bench: boxoffice's figures against baselines measured in the same
// run, on a fresh stack (the optimized build, rate limits off).
//
//   read     GET a show and a performance through nginx -> FastCGI ->
//            PostgreSQL vs nginx serving the same bytes as a static file
//            (wrk, 2 threads, 64 connections); with the microcache (as
//            shipped) and without it
//   rush     bookings on one hot performance over HTTP vs pgbench running
//            the same locked SERIALIZABLE transaction, 64 clients; then a
//            sell-out that must end exactly at capacity
//   spread   the same over 100 performances
//   checkin  door scans over HTTP vs pgbench running check_in()
//   memory   worker RSS over 100k requests (vs after warm-up), and the
//            cold start of a worker
//
// Prints a table and writes bench/results/latest.json.

import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, freePort, killGroup, runStack, spawnGroup, startStack } from '../tests/http/stack.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// BENCH_ONLY=spread,checkin runs just those phases (for working on one
// figure); the partial results go to bench/results/partial.json.
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const want = (phase) => ONLY.length === 0 || ONLY.includes(phase);
const CONNS = 64;
const PG = process.env.BOXOFFICE_PG_BINDIR ?? '/usr/lib/postgresql/15/bin';
const work = mkdtempSync(join(tmpdir(), 'boxoffice-bench-'));
const results = {};

function log(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

/** wrk with a Lua script; returns {rps, p50_ms, p99_ms, requests, errors}. */
function wrkArgs(url, { script, seconds = SECONDS, conns = CONNS, headers = [] } = {}) {
  const args = ['-t2', `-c${conns}`, `-d${seconds}s`, '--latency', '--timeout', '10s'];
  if (script) args.push('-s', script);
  for (const h of headers) args.push('-H', h);
  return [...args, url];
}

function wrk(url, opts) {
  return wrkParse(execFileSync('wrk', wrkArgs(url, opts), { encoding: 'utf8' }));
}

/** The same, not blocking: several wrk at once. */
async function wrkAsync(url, opts) {
  const { promisify } = await import('node:util');
  const { execFile } = await import('node:child_process');
  const { stdout } = await promisify(execFile)('wrk', wrkArgs(url, opts), { encoding: 'utf8' });
  return wrkParse(stdout);
}

function wrkParse(out) {
  const ms = (re) => {
    const m = re.exec(out);
    if (!m) return null;
    const v = Number(m[1]);
    return { us: v / 1000, ms: v, s: v * 1000 }[m[2]];
  };
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]),
    p50_ms: ms(/ 50%\s+([\d.]+)(us|ms|s)/),
    p99_ms: ms(/ 99%\s+([\d.]+)(us|ms|s)/),
    requests: Number(/(\d+) requests in/.exec(out)[1]),
    non_2xx: non2xx ? Number(non2xx[1]) : 0,
    socket_errors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

/** pgbench; returns {tps, p99_ms, retried, failed, transactions}. */
function pgbench(stack, file, { clients = CONNS, seconds = SECONDS, vars = {} } = {}) {
  const logdir = mkdtempSync(join(work, 'pgb-'));
  const args = ['-n', '-h', join(stack.var, 'run'), '-p', String(stack.pgPort), '-U', 'boxoffice',
    '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(seconds), '--max-tries=10',
    '-l', '--log-prefix', join(logdir, 'tx'), '-f', join(ROOT, 'bench', 'pgbench', file)];
  for (const [k, v] of Object.entries(vars)) args.push('-D', `${k}=${v}`);
  const out = execFileSync(join(PG, 'pgbench'), [...args, 'boxoffice'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const lat = [];
  for (const f of readdirSync(logdir)) {
    for (const line of readFileSync(join(logdir, f), 'utf8').split('\n')) {
      const cols = line.split(' ');
      if (cols.length >= 6 && cols[2] !== 'failed') lat.push(Number(cols[2]) / 1000);
    }
  }
  lat.sort((a, b) => a - b);
  const num = (re) => Number((re.exec(out) ?? [0, 0])[1]);
  return {
    tps: num(/tps = ([\d.]+)/),
    p99_ms: lat.length ? Number(lat[Math.floor(lat.length * 0.99)].toFixed(2)) : null,
    transactions: num(/number of transactions actually processed: (\d+)/),
    retried: num(/number of transactions retried: (\d+)/),
    failed: num(/number of failed transactions: (\d+)/),
  };
}

/** Serialization retries and answered statuses per route, from the workers. */
async function scrape(stack, token) {
  const text = await (await fetch(`${stack.url}/admin/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const m = /^boxoffice_db_serialization_retries_total (\d+)$/m.exec(text);
  const statuses = {};
  for (const [, route, status, n] of text.matchAll(/^boxoffice_requests_total\{route="([^"]+)",status="([^"]+)"\} (\d+)$/gm))
    statuses[`${route} ${status}`] = Number(n);
  return { retries: m ? Number(m[1]) : 0, statuses };
}

/** Statuses answered for routes matching `prefix` between two scrapes. */
function answered(r0, r1, prefix) {
  const out = {};
  for (const [k, v] of Object.entries(r1.statuses)) {
    if (!k.startsWith(prefix)) continue;
    const d = v - (r0.statuses[k] ?? 0);
    if (d) out[k.slice(prefix.length + 1)] = d;
  }
  return out;
}

// wrk.format() with a header table replaces the -H headers: merge them.
const LUA_HEADERS = `
local function headers()
  local h = {}
  for k, v in pairs(wrk.headers) do h[k] = v end
  h["Content-Type"] = "application/json"
  return h
end`;

function luaFile(name, body) {
  const f = join(work, name);
  writeFileSync(f, body);
  return f;
}

const bookingLua = (pathExpr) => luaFile(`book-${Math.random()}.lua`, `
${LUA_HEADERS}
-- One booking per request, each with its own visitor: its own email, and
-- its own address (198.18.0.0/15, passed by the trusted proxy header), so
-- the per-network caps see many visitors, as they would in a real rush.
-- Lua's generator is not seeded: the phase's own number keeps the emails
-- of one phase apart from another's (a recipient gets 5 messages a day).
local phase = ${Math.floor(Math.random() * 1e9)}
-- thread:set() sets a global of the thread's script: "id" must not be
-- declared local here, or every thread would see 0.
local counter = 0
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args) counter = 0; math.randomseed(phase + id) end
request = function()
  counter = counter + 1
  local body = string.format('{"name":"Bench %d","email":"b%d.%d.%d@example.org","seats":2}', counter, phase, id, counter)
  local h = headers()
  h["X-Forwarded-For"] = string.format("198.18.%d.%d", math.random(0, 255), math.random(1, 254))
  return wrk.format("POST", ${pathExpr}, h, body)
end
`);

function ratio(a, b) {
  return b ? Number((a / b).toFixed(2)) : null;
}

const METRICS_TOKEN = 'bench-metrics-token-0123456789abcdefghijklmnop';
const frontend = join(work, 'frontend');
cpSync(join(ROOT, 'build', 'frontend'), frontend, { recursive: true });
const smtpPort = await freePort(); // nothing listens: mail fails fast, retried in an hour
const env = {
  BOXOFFICE_RATE_LIMITS: 'off', BOXOFFICE_MICROCACHE: 'on',
  // wrk's connections stand for many visitors but come from one address:
  // the booking scripts name a visitor's address in X-Forwarded-For, which
  // nginx trusts from loopback here (the default caps of sql/008 apply).
  BOXOFFICE_TRUSTED_PROXIES: '127.0.0.1',
  BOXOFFICE_BOOKING_BATCH: process.env.BENCH_BATCH ?? 32,
  BOXOFFICE_WORKERS: process.env.BENCH_WORKERS ?? 2, BOXOFFICE_THREADS: process.env.BENCH_THREADS ?? 32,
  BOXOFFICE_POOL_SIZE: process.env.BENCH_POOL ?? 16,
  BOXOFFICE_FRONTEND_DIR: frontend, BOXOFFICE_METRICS_TOKEN: METRICS_TOKEN,
  BOXOFFICE_MAIL_BACKEND: 'smtp', BOXOFFICE_SMTP_HOST: '127.0.0.1', BOXOFFICE_SMTP_PORT: smtpPort,
  BOXOFFICE_MAIL_RETRY_SECONDS: 3600, BOXOFFICE_LOG_LEVEL: 'warn',
};
log(`starting a stack (${env.BOXOFFICE_WORKERS} workers x ${env.BOXOFFICE_THREADS} threads, pool ${env.BOXOFFICE_POOL_SIZE})`);
const stack = await startStack({ env });
const psql = (sql) => stack.psql(sql);
const newPerf = async (capacity, count = 1) => Number((await psql(`
  INSERT INTO performances (show_id, venue_id, starts_at, capacity, max_seats_per_reservation)
  SELECT (SELECT id FROM shows WHERE published ORDER BY id LIMIT 1), (SELECT id FROM venues LIMIT 1),
         now() + interval '30 days', ${capacity}, 6 FROM generate_series(1, ${count})
  RETURNING id`)).split('\n')[0]);

try {
  // --- read --------------------------------------------------------------
  if (want('read')) {
    const slug = 'la-locandiera';
    const perf = Number(await psql(`SELECT p.id FROM performances p JOIN shows s ON s.id = p.show_id
      WHERE s.slug = '${slug}' AND p.starts_at > now() ORDER BY p.starts_at LIMIT 1`));
    const read = { measured: {}, baseline: {}, uncached: {} };
    for (const [name, path] of [['show', `/api/shows/${slug}`], ['performance', `/api/performances/${perf}`]]) {
      const bytes = Buffer.from(await (await fetch(stack.url + path)).arrayBuffer());
      writeFileSync(join(frontend, `bench-${name}.json`), bytes);
      log(`read ${path} (${bytes.length} bytes) vs the same bytes as a static file`);
      read.baseline[name] = { bytes: bytes.length, ...wrk(`${stack.url}/bench-${name}.json`) };
      read.measured[name] = wrk(stack.url + path);
    }
    await runStack({ ...stack.env, BOXOFFICE_MICROCACHE: 'off' }, ['nginx-start']);
    for (const [name, path] of [['show', `/api/shows/${slug}`], ['performance', `/api/performances/${perf}`]]) {
      log(`read ${path} without the microcache`);
      read.uncached[name] = wrk(stack.url + path);
    }
    await runStack(stack.env, ['nginx-start']);
    read.ratio = Math.min(...['show', 'performance'].map((n) => ratio(read.measured[n].rps, read.baseline[n].rps)));
    read.ratio_uncached = Math.min(...['show', 'performance'].map((n) => ratio(read.uncached[n].rps, read.baseline[n].rps)));
    // The tail against the static file's, same run (target: at most 3x).
    read.p99_ratio = Math.max(...['show', 'performance'].map((n) => ratio(read.measured[n].p99_ms, read.baseline[n].p99_ms)));
    read.p99_ratio_uncached = Math.max(...['show', 'performance'].map((n) => ratio(read.uncached[n].p99_ms, read.baseline[n].p99_ms)));
    results.read = read;
  }

  // --- rush: one hot performance -------------------------------------------
  const body = JSON.stringify('x'.repeat(3000)); // a rendered message is ~3 KB
  const bodyVar = body.slice(1, -1);
  if (want('rush')) {
    const base = await newPerf(100000);
    log(`rush baseline: pgbench, book() under the lock, ${CONNS} clients`);
    const baseline = pgbench(stack, 'book_locked.sql', { vars: { perf: base, body: bodyVar } });
    const hot = await newPerf(100000);
    log(`rush: POST /api/performances/${hot}/reservations, ${CONNS} connections`);
    const r0 = await scrape(stack, METRICS_TOKEN);
    const w = wrk(`${stack.url}/api/performances/${hot}/reservations`, { script: bookingLua(`"/api/performances/${hot}/reservations"`) });
    const r1 = await scrape(stack, METRICS_TOKEN);
    const booked = Number(await psql(`SELECT count(*) FROM reservations WHERE performance_id = ${hot}`));
    // Sell-out: capacity 1000, the same load until it is gone.
    const sell = await newPerf(1000);
    log('rush sell-out: capacity 1000');
    const s = wrk(`${stack.url}/api/performances/${sell}/reservations`,
      { script: bookingLua(`"/api/performances/${sell}/reservations"`), seconds: 5 });
    const taken = Number(await psql(`SELECT coalesce(sum(seats), 0) FROM reservations
      WHERE performance_id = ${sell} AND status IN ('pending', 'confirmed')`));
    results.rush = {
      measured: {
        bookings_per_s: Number((booked / SECONDS).toFixed(1)),
        p50_ms: w.p50_ms, p99_ms: w.p99_ms, non_2xx: w.non_2xx,
        retries_per_success: Number(((r1.retries - r0.retries) / Math.max(booked, 1)).toFixed(4)),
        statuses: answered(r0, r1, 'POST /api/performances/{id}/reservations'),
        sell_out: { capacity: 1000, seats_taken: taken, requests: s.requests, ok: taken === 1000 },
      },
      baseline: { pgbench_tps: baseline.tps, p99_ms: baseline.p99_ms,
        retries_per_success: Number((baseline.retried / Math.max(baseline.transactions, 1)).toFixed(4)),
        failed: baseline.failed },
      ratio: ratio(booked / SECONDS, baseline.tps),
    };
  }

  // --- spread: 100 performances ---------------------------------------------
  if (want('spread')) {
    const first = await newPerf(100000, 100);
    log('spread baseline: pgbench over 100 performances');
    const baseline = pgbench(stack, 'book_spread.sql', { vars: { first, body: bodyVar } });
    await psql(`DELETE FROM outbox WHERE reservation_id IN (SELECT id FROM reservations
      WHERE performance_id BETWEEN ${first} AND ${first + 99}); DELETE FROM reservations
      WHERE performance_id BETWEEN ${first} AND ${first + 99}`);
    log('spread: HTTP bookings over the same 100 performances');
    const r0 = await scrape(stack, METRICS_TOKEN);
    const w = wrk(`${stack.url}/`, { script: bookingLua(`string.format("/api/performances/%d/reservations", ${first} + math.random(0, 99))`) });
    const r1 = await scrape(stack, METRICS_TOKEN);
    const booked = Number(await psql(`SELECT count(*) FROM reservations WHERE performance_id BETWEEN ${first} AND ${first + 99}`));
    results.spread = {
      measured: { bookings_per_s: Number((booked / SECONDS).toFixed(1)), p50_ms: w.p50_ms, p99_ms: w.p99_ms, non_2xx: w.non_2xx,
        retries_per_success: Number(((r1.retries - r0.retries) / Math.max(booked, 1)).toFixed(4)),
        statuses: answered(r0, r1, 'POST /api/performances/{id}/reservations') },
      baseline: { pgbench_tps: baseline.tps, p99_ms: baseline.p99_ms, failed: baseline.failed,
        retries_per_success: Number((baseline.retried / Math.max(baseline.transactions, 1)).toFixed(4)) },
      ratio: ratio(booked / SECONDS, baseline.tps),
    };
  }

  // --- scale: a second backend on the same PostgreSQL -------------------------
  // docs/SCALING.md: bookings spread over 100 performances through one
  // backend (nginx + workers), then through two backends sharing this
  // stack's database (the second is a stack of its own whose workers use
  // BOXOFFICE_SHARED_DATABASE_URL), each given half the connections.
  if (want('scale')) {
    const first = await newPerf(100000, 100);
    const lua = () => bookingLua(`string.format("/api/performances/%d/reservations", ${first} + math.random(0, 99))`);
    const count = async () => Number(await psql(`SELECT count(*) FROM reservations
      WHERE performance_id BETWEEN ${first} AND ${first + 99}`));
    log('scale: bookings over 100 performances through one backend');
    const c0 = await count();
    const one = wrk(`${stack.url}/`, { script: lua() });
    const c1 = await count();
    const dbUrl = (await workerEnv(stack)).BOXOFFICE_DATABASE_URL;
    const second = await startStack({ env: { ...env, BOXOFFICE_DEMO: 0, BOXOFFICE_SHARED_DATABASE_URL: dbUrl } });
    try {
      log('scale: the same through two backends on the one database');
      const [a, b] = await Promise.all([
        wrkAsync(`${stack.url}/`, { script: lua(), conns: CONNS / 2 }),
        wrkAsync(`${second.url}/`, { script: lua(), conns: CONNS / 2 }),
      ]);
      const c2 = await count();
      results.scale = {
        measured: { bookings_per_s: Number(((c2 - c1) / SECONDS).toFixed(1)),
          p99_ms: Math.max(a.p99_ms, b.p99_ms), non_2xx: a.non_2xx + b.non_2xx },
        baseline: { bookings_per_s: Number(((c1 - c0) / SECONDS).toFixed(1)), p99_ms: one.p99_ms, non_2xx: one.non_2xx },
        ratio: ratio(c2 - c1, c1 - c0),
      };
    } finally {
      await second.stop().catch((e) => log(`stop: ${e.message}`));
    }
  }

  // --- check-in ---------------------------------------------------------------
  if (want('checkin')) {
    const N = 20000;
    const perf = await newPerf(100000);
    const lines = execFileSync(join(ROOT, 'build', 'bench', 'mktickets'), [String(N)], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n');
    const csv = lines.map((l, i) => { const [, ch, th] = l.split(' '); return `${i + 1},${ch},${th}`; }).join('\n');
    writeFileSync(join(work, 'tickets.csv'), `${csv}\n`);
    await psql(`CREATE TABLE bench_tickets (i integer PRIMARY KEY, confirm bytea, hash bytea)`);
    execFileSync(join(ROOT, 'scripts', 'stack'), ['psql', '-c', `\\copy bench_tickets FROM '${join(work, 'tickets.csv')}' CSV`], { env: stack.env });
    await psql(`INSERT INTO reservations (performance_id, name, email, seats, status, expires_at, confirmed_at,
                confirm_token_hash, ticket_token_hash)
                SELECT ${perf}, 'Door ' || i, 'door' || i || '@example.org', 10000, 'confirmed', now(), now(),
                       confirm, hash FROM bench_tickets`);
    log('check-in baseline: pgbench running check_in()');
    const baseline = pgbench(stack, 'checkin.sql', { vars: { tickets: N } });
    log('check-in reference: pgbench running door_scan(), the worker\'s own statement, pipelined');
    const scan = pgbench(stack, 'door_scan.sql', { vars: { tickets: N } });
    const tokens = lines.map((l) => l.split(' ')[0]);
    const lua = luaFile('checkin.lua', `
${LUA_HEADERS}
local tokens = {}
for line in io.lines("${join(work, 'tokens.txt')}") do tokens[#tokens + 1] = line end
-- Each scan carries its own client id, as the door page sends them.
local run = ${Math.floor(Math.random() * 1e9)}
local n = 0
local threads = 0
function setup(thread) threads = threads + 1; thread:set("seed", math.random(1, 1000000)); thread:set("t", threads) end
function init(args) n = seed; math.randomseed(seed) end
request = function()
  n = n + 1
  -- A random ticket, as pgbench picks them (people do not arrive in the
  -- order they booked).
  local body = string.format('{"token":"%s","seats":1,"client_id":"b%d-%d-%d"}',
    tokens[math.random(1, #tokens)], run, t, n)
  return wrk.format("POST", "/api/checkins", headers(), body)
end
`);
    writeFileSync(join(work, 'tokens.txt'), `${tokens.join('\n')}\n`);
    const login = await fetch(`${stack.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(stack.demo.staff) });
    const session = (await login.json()).csrf_token;
    const cookie = login.headers.get('set-cookie').split(';')[0];
    log('check-in: POST /api/checkins with a staff session');
    const c0 = await scrape(stack, METRICS_TOKEN);
    const w = wrk(`${stack.url}/api/checkins`, { script: lua, headers: [`Cookie: ${cookie}`, `X-CSRF-Token: ${session}`] });
    results.checkin = {
      measured: { scans_per_s: w.rps, p50_ms: w.p50_ms, p99_ms: w.p99_ms, non_2xx: w.non_2xx,
        statuses: answered(c0, await scrape(stack, METRICS_TOKEN), 'POST /api/checkins') },
      ok: w.non_2xx === 0,
      baseline: { pgbench_tps: baseline.tps, p99_ms: baseline.p99_ms, failed: baseline.failed },
      reference: { door_scan_pgbench_tps: scan.tps, p99_ms: scan.p99_ms, failed: scan.failed },
      ratio: ratio(w.rps, baseline.tps),
    };
  }

  // --- memory and cold start --------------------------------------------------
  if (want('memory')) {
    await runStack({ ...stack.env, BOXOFFICE_MICROCACHE: 'off' }, ['nginx-start']);
    const perf = Number(await psql('SELECT min(id) FROM performances'));
    const mix = luaFile('mix.lua', `
local paths = {"/api/health", "/api/performances/${perf}", "/api/shows", "/api/nope", "/api/tickets/${'A'.repeat(43)}"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
`);
    const rss = async () => {
      const { workers } = await stack.pids();
      return workers.map((pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]));
    };
    log('memory: warm-up');
    wrk(stack.url, { script: mix, seconds: 3 });
    const after_warmup = await rss();
    let done = 0;
    const samples = [];
    while (done < 100000) {
      done += wrk(stack.url, { script: mix, seconds: 4 }).requests;
      samples.push({ requests: done, rss_kb: await rss() });
      log(`memory: ${done} requests, RSS ${samples.at(-1).rss_kb.join(', ')} kB`);
    }
    const final = samples.at(-1).rss_kb;
    // Cold start: a fresh backend (1 worker) until its first answer.
    const port = await freePort();
    const benv = { ...process.env, ...(await workerEnv(stack)), BOXOFFICE_FCGI_LISTEN: `127.0.0.1:${port}`,
      BOXOFFICE_WORKERS: '1', BOXOFFICE_METRICS_FILE: join(work, 'metrics') };
    const t0 = process.hrtime.bigint();
    const child = spawnGroup(join(ROOT, 'scripts', 'entrypoint'), ['backend'], { env: benv, stdio: 'ignore' });
    let cold = null;
    for (let i = 0; i < 500 && cold === null; i++) {
      try {
        execFileSync(join(ROOT, 'scripts', 'entrypoint'), ['healthcheck'], { env: benv, stdio: 'ignore' });
        cold = Number(process.hrtime.bigint() - t0) / 1e6;
      } catch {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    killGroup(child, 'SIGTERM');
    results.memory = {
      measured: { requests: done, rss_kb: final, samples, cold_start_ms: cold && Number(cold.toFixed(1)) },
      baseline: { rss_kb_after_warmup: after_warmup },
      ratio: Math.max(...final.map((v, i) => ratio(v, after_warmup[i]))),
    };
    await runStack(stack.env, ['nginx-start']);
  }
} finally {
  await stack.stop().catch((e) => log(`stop: ${e.message}`));
  rmSync(work, { recursive: true, force: true });
}

async function workerEnv(s) {
  const { stdout } = await s.run('env');
  const out = {};
  for (const line of stdout.trim().split('\n')) {
    const i = line.indexOf('=');
    out[line.slice(0, i)] = line.slice(i + 1).replace(/\\(.)/g, '$1');
  }
  return out;
}

// --- report -----------------------------------------------------------------
results.machine = { cpus: (await import('node:os')).cpus().length, seconds_per_run: SECONDS, connections: CONNS,
  workers: Number(env.BOXOFFICE_WORKERS), threads: Number(env.BOXOFFICE_THREADS), pool: Number(env.BOXOFFICE_POOL_SIZE),
  date: new Date().toISOString() };
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
const outFile = ONLY.length ? 'partial.json' : 'latest.json';
writeFileSync(join(ROOT, 'bench', 'results', outFile), `${JSON.stringify(results, null, 2)}\n`);

const r = results;
const rows = [
  ...(!r.read ? [] : ['show', 'performance'].flatMap((n) => [['microcache', r.read.measured[n]], ['no cache', r.read.uncached[n]]]
    .map(([how, m]) => [`read: ${n} (${how})`,
      `${m.rps.toFixed(0)} req/s, p99 ${m.p99_ms} ms (${ratio(m.p99_ms, r.read.baseline[n].p99_ms)} x static p99)${m.non_2xx ? `, ${m.non_2xx} non-2xx` : ''}`,
      `${r.read.baseline[n].rps.toFixed(0)} req/s static, p99 ${r.read.baseline[n].p99_ms} ms`, ratio(m.rps, r.read.baseline[n].rps)]))),
  ...(!r.rush ? [] : [['rush: one performance', `${r.rush.measured.bookings_per_s} bookings/s, p99 ${r.rush.measured.p99_ms} ms, ${r.rush.measured.retries_per_success} retries/booking${errors(r.rush)}`,
    `${r.rush.baseline.pgbench_tps.toFixed(0)} tps pgbench, p99 ${r.rush.baseline.p99_ms} ms`, r.rush.ratio],
  ['rush: sell-out of 1000 seats', `${r.rush.measured.sell_out.seats_taken} seats taken`, '1000 capacity', r.rush.measured.sell_out.ok ? 'exact' : 'WRONG']]),
  ...(!r.spread ? [] : [['spread: 100 performances', `${r.spread.measured.bookings_per_s} bookings/s, p99 ${r.spread.measured.p99_ms} ms, ${r.spread.measured.retries_per_success} retries/booking${errors(r.spread)}`,
    `${r.spread.baseline.pgbench_tps.toFixed(0)} tps pgbench`, r.spread.ratio]]),
  ...(!r.scale ? [] : [['scale: two backends, one database', `${r.scale.measured.bookings_per_s} bookings/s, p99 ${r.scale.measured.p99_ms} ms${errors(r.scale)}`,
    `${r.scale.baseline.bookings_per_s} bookings/s, p99 ${r.scale.baseline.p99_ms} ms, one backend`, r.scale.ratio]]),
  ...(!r.checkin ? [] : [['check-in', `${r.checkin.measured.scans_per_s.toFixed(0)} scans/s, p99 ${r.checkin.measured.p99_ms} ms${errors(r.checkin)}`,
    `${r.checkin.baseline.pgbench_tps.toFixed(0)} tps pgbench`, r.checkin.ratio],
    ['check-in: the same statement in pgbench', `${r.checkin.reference.door_scan_pgbench_tps.toFixed(0)} tps, p99 ${r.checkin.reference.p99_ms} ms, ${r.checkin.reference.failed} failed`,
    `${r.checkin.baseline.pgbench_tps.toFixed(0)} tps check_in()`, ratio(r.checkin.reference.door_scan_pgbench_tps, r.checkin.baseline.pgbench_tps)]]),
  ...(!r.memory ? [] : [['memory: RSS after 100k requests', `${r.memory.measured.rss_kb.join(' / ')} kB`, `${r.memory.baseline.rss_kb_after_warmup.join(' / ')} kB after warm-up`, r.memory.ratio],
  ['cold start of a worker', `${r.memory.measured.cold_start_ms} ms to first answer`, '', '']]),
];
function errors(fig) {
  return fig.measured.non_2xx ? `, ${fig.measured.non_2xx} FAILED` : '';
}
const width = [32, 72, 34, 8];
const line = (cols) => cols.map((c, i) => String(c).padEnd(width[i])).join(' ');
console.log(line(['figure', 'boxoffice', 'baseline', 'ratio']));
console.log(line(width.map((w) => '-'.repeat(w))));
for (const row of rows) console.log(line(row));
console.log(`\nwritten: bench/results/${outFile}`);
