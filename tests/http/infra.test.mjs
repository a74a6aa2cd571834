// Deployment: the compose file and Dockerfile are what ops expect, the
// container entrypoints run (outside containers, in the compose topology:
// FastCGI over TCP), and nginx's hardening holds: headers, JSON 429s.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { get as httpGet, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT, api, freePort, killGroup, spawnGroup, startStack, waitFor } from './stack.mjs';
import { book, makePerformance, post } from './fixtures.mjs';

const DOCKER = join(ROOT, 'infra', 'docker');
const ENTRYPOINT = join(ROOT, 'scripts', 'entrypoint');

describe('compose file', () => {
  let compose;
  before(() => {
    const out = execFileSync('docker-compose', ['--env-file', '.env.example', '-f', 'compose.yml', 'config'],
      { cwd: DOCKER, encoding: 'utf8' });
    compose = parse(out);
  });

  // An empty env file (docker-compose refuses /dev/null: "is not a file").
  let envDir;
  const emptyEnv = () => {
    envDir ??= mkdtempSync(join(tmpdir(), 'boxoffice-compose-env-'));
    writeFileSync(join(envDir, 'env'), '');
    return join(envDir, 'env');
  };
  after(() => envDir && rmSync(envDir, { recursive: true, force: true }));

  test('docker-compose validates it, and refuses it without a password', () => {
    assert.ok(compose.services);
    assert.throws(() => execFileSync('docker-compose', ['--env-file', emptyEnv(), '-f', 'compose.yml', 'config'],
      { cwd: DOCKER, stdio: 'pipe', env: { PATH: process.env.PATH } }), /set POSTGRES_PASSWORD in \.env/);
  });

  test('the services: nginx, backend, postgres, a one-shot migrate, an optional mail relay', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['backend', 'mail', 'migrate', 'nginx', 'postgres']);
    assert.deepEqual(compose.services.mail.profiles, ['mail']);
    assert.equal(compose.services.migrate.restart, 'no');
    assert.equal(compose.services.backend.depends_on.migrate.condition, 'service_completed_successfully');
    assert.equal(compose.services.backend.depends_on.postgres.condition, 'service_healthy');
    assert.equal(compose.services.nginx.depends_on.backend.condition, 'service_healthy');
    assert.ok(compose.services.postgres.healthcheck.test.join(' ').includes('pg_isready'));
    assert.ok(compose.services.postgres.volumes.some((v) => (v.source ?? v).toString().startsWith('pgdata')));
    assert.ok('pgdata' in compose.volumes);
  });

  test('only nginx publishes a port; backend and postgres are on the internal network', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (name === 'nginx') assert.equal(svc.ports.length, 1);
      else assert.equal(svc.ports, undefined, `${name} must not publish a port`);
    }
    assert.equal(compose.networks.internal.internal, true);
    for (const name of ['backend', 'postgres', 'migrate'])
      assert.ok('internal' in compose.services[name].networks, `${name} on internal`);
    assert.ok(!('public' in compose.services.backend.networks));
    assert.deepEqual(Object.keys(compose.services.postgres.networks), ['internal']);
  });

  test('nginx is published on 127.0.0.1 unless .env says otherwise', () => {
    assert.match(String(compose.services.nginx.ports[0]), /^127\.0\.0\.1:8080:8080(\/tcp)?$/);
    const out = execFileSync('docker-compose', ['--env-file', emptyEnv(), '-f', 'compose.yml', 'config'],
      { cwd: DOCKER, encoding: 'utf8', env: { PATH: process.env.PATH, POSTGRES_PASSWORD: 'x', BOXOFFICE_PUBLIC_URL: 'http://x' } });
    assert.match(String(parse(out).services.nginx.ports[0]), /^127\.0\.0\.1:8080:8080(\/tcp)?$/, 'the default is loopback');
  });

  test('the test override (make compose) swaps images only, never settings', () => {
    const override = parse(readFileSync(join(DOCKER, 'compose.test.yml'), 'utf8'));
    for (const [name, svc] of Object.entries(override.services)) {
      assert.ok(name in compose.services, `${name} is a service of compose.yml`);
      for (const key of Object.keys(svc)) assert.ok(['image', 'build'].includes(key), `${name}.${key} in compose.test.yml`);
    }
    assert.equal(compose.services.postgres.image, 'postgres:15-bookworm');
    assert.match(compose.services.mail.image, /^axllent\/mailpit:/);
  });

  test('the workers get every variable they read', () => {
    const cfg = readFileSync(join(ROOT, 'lib', 'cfg.c'), 'utf8');
    const read = [...cfg.matchAll(/"(BOXOFFICE_[A-Z_]+)"/g)].map((m) => m[1])
      .filter((v) => !['BOXOFFICE_SQL_DIR', 'BOXOFFICE_MAIL_DIR', 'BOXOFFICE_METRICS_FILE', 'BOXOFFICE_SWEEP_SECONDS'].includes(v));
    const env = compose.services.backend.environment;
    for (const v of read) assert.ok(v in env, `${v} missing from compose.yml`);
    assert.deepEqual(compose.services.migrate.environment, env);
  });

  test('the images: multi-stage, slim runtime, non-root, health checks, our entrypoint', () => {
    const df = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');
    assert.match(df, /^FROM debian:12 AS build$/m);
    for (const from of df.match(/^FROM \S+/gm))
      assert.match(from, /^FROM debian:12(-slim)?$/, 'only Debian 12 bases: no image only Docker Hub has');
    const stages = df.split(/^FROM /m).slice(1);
    for (const target of ['backend', 'nginx']) {
      const stage = stages.find((s) => s.startsWith(`debian:12-slim AS ${target}`));
      assert.ok(stage, `runtime stage ${target} on debian:12-slim`);
      assert.match(stage, /^USER boxoffice$/m);
      assert.match(stage, /^HEALTHCHECK /m);
      assert.match(stage, /^ENTRYPOINT \["\/opt\/boxoffice\/scripts\/entrypoint"\]$/m);
      assert.doesNotMatch(stage, /build-essential|-dev\b/, 'no build tools at run time');
    }
  });
});

describe('the entrypoints, outside containers', () => {
  let stack;
  let dir;
  const children = [];
  let workerEnv; // what scripts/stack gives its workers (database URL included)
  before(async () => {
    stack = await startStack({
      // The reload test loads from one address: the generic per-client
      // limit is raised (tests/drills/abuse.test.mjs tests it).
      env: { BOXOFFICE_RATE_LIMITS: 'on', BOXOFFICE_RATE_LOGIN: '6r/m', BOXOFFICE_MICROCACHE: 'on', BOXOFFICE_RATE_API: '1000000r/m' },
    });
    dir = mkdtempSync(join(tmpdir(), 'boxoffice-entry-'));
    const { stdout } = await stack.run('env');
    workerEnv = { PATH: process.env.PATH };
    for (const line of stdout.trim().split('\n')) {
      const i = line.indexOf('=');
      // printf %q quoting: backslash-escaped spaces are all we produce.
      workerEnv[line.slice(0, i)] = line.slice(i + 1).replace(/\\(.)/g, '$1');
    }
  });
  after(async () => {
    // The whole process group: nginx's workers and multiwatch's children too.
    for (const c of children) killGroup(c);
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('migrate and demo are idempotent on a live database', () => {
    const env = workerEnv;
    execFileSync(ENTRYPOINT, ['migrate'], { env, stdio: 'pipe' });
    assert.match(execFileSync(ENTRYPOINT, ['demo'], { env, encoding: 'utf8' }), /nothing loaded/);
  });

  test('backend on TCP and nginx in front of it, as in compose', async () => {
    const fcgi = await freePort();
    const http = await freePort();
    const env = {
      ...workerEnv,
      BOXOFFICE_FCGI_LISTEN: `127.0.0.1:${fcgi}`,
      BOXOFFICE_FCGI_SERVER: `127.0.0.1:${fcgi}`,
      BOXOFFICE_NGINX_LISTEN: `127.0.0.1:${http}`,
      BOXOFFICE_NGINX_PREFIX: join(dir, 'nginx'),
      BOXOFFICE_METRICS_FILE: join(dir, 'metrics'),
      BOXOFFICE_WORKERS: '2',
      BOXOFFICE_THREADS: '4',
    };
    const backend = spawnGroup(ENTRYPOINT, ['backend'], { env, stdio: 'ignore' });
    const nginx = spawnGroup(ENTRYPOINT, ['nginx'], { env, stdio: 'ignore' });
    children.push(backend, nginx);
    const url = `http://127.0.0.1:${http}`;
    await waitFor(async () => (await fetch(`${url}/api/health`)).status === 200,
      { timeout: 15_000, what: 'the containers-style stack to answer' });
    const shows = await (await fetch(`${url}/api/shows`)).json();
    assert.ok(shows.shows.length >= 3);
    // The backend container's health check: a FastCGI request.
    execFileSync(ENTRYPOINT, ['healthcheck'], { env });
    // SIGTERM (docker stop) ends both cleanly.
    const exited = (c) => new Promise((r) => (c.exitCode !== null ? r(c.exitCode) : c.once('exit', (code, sig) => r(code ?? sig))));
    backend.kill('SIGTERM');
    nginx.kill('SIGTERM');
    assert.equal(await exited(backend), 0);
    assert.equal(await exited(nginx), 0);
    assert.throws(() => execFileSync(ENTRYPOINT, ['healthcheck'], { env, stdio: 'pipe' }));
  });

  test('the microcache serves the public programme for a second, and nothing personal ever', async () => {
    const perf = await makePerformance(stack, { capacity: 50 });
    const path = `/api/performances/${perf}`;
    // nginx keeps an answer to the end of the second it was made in, once
    // the workers' watcher has checked the programme in that second (it
    // does every 50 ms): start early in a second, so that both reads fall
    // in it.
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 150));
    const first = await fetch(stack.url + path);
    await first.arrayBuffer();
    const second = await fetch(`${stack.url}${path}?bust=${Date.now()}`);
    const seats = (await second.json()).performance.availability.seats_available;
    assert.equal(second.headers.get('x-cache'), 'HIT', 'a query string does not bypass it');
    assert.equal(second.headers.get('cache-control'), 'public, max-age=1');
    assert.ok(second.headers.get('content-security-policy'), 'cached answers keep the headers');

    // A booking shows within about a second.
    assert.equal((await book(stack, perf, { name: 'C', email: 'cache@example.org', seats: 2 })).status, 201);
    await waitFor(async () => (await (await fetch(stack.url + path)).json())
      .performance.availability.seats_available === seats - 2, { timeout: 3000, what: 'fresh availability' });

    // Personal or per-user answers are never stored.
    const login = await post(stack, '/api/auth/login', stack.demo.admin);
    const cookie = login.headers.get('set-cookie').split(';')[0];
    for (const p of ['/api/health', '/api/auth/me', '/admin/venues', `/api/performances/${perf}/checkins`,
      `/api/tickets/${'A'.repeat(43)}`, '/api/nope']) {
      for (let i = 0; i < 2; i++) {
        const r = await fetch(stack.url + p, { headers: { cookie } });
        await r.arrayBuffer();
        assert.notEqual(r.headers.get('x-cache'), 'HIT', `${p} must never come from the cache`);
        assert.doesNotMatch(r.headers.get('cache-control') ?? 'no-store', /public/, p);
      }
    }
  });

  test('security headers on pages, API and errors', async () => {
    for (const path of ['/', '/api/shows', '/api/nope', '/no-such-page']) {
      const r = await fetch(stack.url + path);
      const csp = r.headers.get('content-security-policy');
      assert.ok(csp, `${path}: CSP`);
      for (const d of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"])
        assert.ok(csp.includes(d), `${path}: ${d}`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(r.headers.get('x-frame-options'), 'DENY');
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
      assert.match(r.headers.get('permissions-policy'), /camera=\(\)/);
    }
    const scanner = await fetch(`${stack.url}/checkin/`);
    assert.match(scanner.headers.get('permissions-policy'), /camera=\(self\)/);
    assert.equal((await fetch(`${stack.url}/api/shows`)).headers.get('cache-control'), 'public, max-age=1');
    assert.equal((await fetch(`${stack.url}/api/health`)).headers.get('cache-control'), 'no-store');
    assert.equal((await fetch(`${stack.url}/`)).headers.get('cache-control'), 'no-cache');
    const gz = await fetch(`${stack.url}/api/shows`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
  });

  test('rate limits answer JSON 429 on login and booking', async () => {
    const codes = [];
    for (let i = 0; i < 12; i++) {
      const r = await post(stack, '/api/auth/login', { email: 'x@example.org', password: 'nope' });
      codes.push(r.status);
      if (r.status === 429) {
        assert.equal(r.body.error.code, 'too_many_requests');
        assert.ok(Number(r.headers.get('retry-after')) > 0);
      }
    }
    assert.ok(codes.includes(401) && codes.includes(429), codes.join(','));
    assert.equal(codes.indexOf(429), codes.lastIndexOf(401) + 1, 'limited after the burst');

    const perf = await makePerformance(stack, { capacity: 200 });
    const many = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      book(stack, perf, { name: 'R', email: `r${i}@example.org`, seats: 1 })));
    const s = many.map((r) => r.status);
    assert.ok(s.includes(201) && s.includes(429), s.join(','));
    assert.ok(s.every((x) => x === 201 || x === 429));
    // What was refused wrote nothing.
    assert.equal(await stack.psql(`SELECT count(*) FROM reservations WHERE performance_id = ${perf}`),
      String(s.filter((x) => x === 201).length));
    // The public read API is not limited.
    const reads = await Promise.all(Array.from({ length: 40 }, () => api(stack, '/api/shows')));
    assert.ok(reads.every((r) => r.status === 200));
  });

  test('nginx reloads under load without dropping a request', async () => {
    let stop = false;
    const statuses = [];
    // A new connection per request: a kept-alive socket that the old
    // workers close between two requests is a client-side race (browsers
    // retry those), not a dropped request; this counts only real drops.
    const get = () => new Promise((resolve) => {
      httpGet(`${stack.url}/api/shows`, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      }).on('error', (err) => resolve(err.code));
    });
    const load = Promise.all(Array.from({ length: 8 }, async () => {
      while (!stop) statuses.push(await get());
    }));
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 3; i++) {
      await stack.run('nginx-reload');
      await new Promise((r) => setTimeout(r, 300));
    }
    stop = true;
    await load;
    assert.ok(statuses.length > 100, `${statuses.length} requests`);
    assert.deepEqual(statuses.filter((x) => x !== 200), [], 'every request answered 200');
  });
});

/** A request from a chosen loopback address (fetch cannot pick its source). */
function requestFrom(url, { localAddress, method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(url, {
      method, localAddress, agent: false,
      headers: { ...headers, ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

describe('behind a TLS proxy: the client is the one nginx trusts', () => {
  let stack;
  before(async () => {
    stack = await startStack({
      env: { BOXOFFICE_RATE_LIMITS: 'on', BOXOFFICE_RATE_LOGIN: '6r/m', BOXOFFICE_TRUSTED_PROXIES: '127.0.0.2' },
    });
  });
  after(async () => { await stack?.stop(); });

  // Logins of an unknown user (401) until nginx answers 429 (6r/m, burst 5).
  async function exhaust(from, client) {
    const codes = [];
    for (let i = 0; i < 12 && !codes.includes(429); i++) {
      codes.push((await requestFrom(`${stack.url}/api/auth/login`, {
        localAddress: from, method: 'POST', headers: { 'x-forwarded-for': client },
        body: { email: 'nobody@example.org', password: 'nope' },
      })).status);
    }
    assert.ok(codes.includes(401) && codes.at(-1) === 429, `${from} as ${client}: ${codes}`);
  }
  const login = (from, client) => requestFrom(`${stack.url}/api/auth/login`, {
    localAddress: from, method: 'POST', headers: { 'x-forwarded-for': client },
    body: { email: 'nobody@example.org', password: 'nope' },
  });

  test('X-Forwarded-For from an untrusted address is ignored: one bucket for the connection', async () => {
    await exhaust('127.0.0.1', '198.51.100.1');
    assert.equal((await login('127.0.0.1', '198.51.100.2')).status, 429, 'another forged client, the same bucket');
  });

  test('behind a trusted proxy, two visitors get separate buckets, and the access log names them', async () => {
    await exhaust('127.0.0.2', '203.0.113.7');
    assert.equal((await login('127.0.0.2', '203.0.113.7')).status, 429);
    assert.equal((await login('127.0.0.2', '203.0.113.8')).status, 401, 'the second visitor is not limited');
    // A client that forges a hop in front of the proxy: the proxy appends
    // the real one, and only the last untrusted hop counts (real_ip_recursive).
    assert.equal((await login('127.0.0.2', '203.0.113.7, 203.0.113.9')).status, 401);
    // nginx writes the line once the answer is sent: wait for the last one.
    const addrs = await waitFor(() => {
      const seen = new Set(readFileSync(join(stack.var, 'log', 'nginx-access.log'), 'utf8').trim().split('\n')
        .map((l) => JSON.parse(l)).filter((e) => e.uri === '/api/auth/login').map((e) => e.remote_addr));
      return seen.has('203.0.113.9') && seen;
    }, { timeout: 3000, what: 'the last request in the access log' });
    for (const a of ['127.0.0.1', '203.0.113.7', '203.0.113.8', '203.0.113.9']) assert.ok(addrs.has(a), `${a} in the access log`);
    assert.ok(!addrs.has('127.0.0.2'), 'the proxy itself is never the client');
    assert.ok(!addrs.has('198.51.100.1'), 'a forged header from an untrusted address is never believed');
  });

  test('a token never reaches the nginx error log, even when the upstream fails', async () => {
    const token = 'Tk' + 'x'.repeat(39) + 'Zz';
    await stack.run('workers-stop');
    try {
      for (const p of [`/api/tickets/${token}/qr.png`, `/api/tickets/${token}`, `/t/${token}`]) {
        const r = await fetch(stack.url + p);
        await r.arrayBuffer();
        if (p.startsWith('/api/')) assert.ok(r.status >= 500, `${p}: the upstream is down (${r.status})`);
      }
      // The same failure elsewhere is logged: the log is not simply silent.
      assert.equal((await fetch(`${stack.url}/api/shows`)).status >= 500, true);
      const log = readFileSync(join(stack.var, 'log', 'nginx-error.log'), 'utf8');
      assert.match(log, /GET \/api\/shows/, 'upstream errors are logged');
      assert.ok(!log.includes(token), 'no ticket token in the error log');
      const access = readFileSync(join(stack.var, 'log', 'nginx-access.log'), 'utf8');
      assert.ok(!access.includes(token), 'no ticket token in the access log');
    } finally {
      await stack.run('workers-start');
    }
  });

  test('backups are readable by their owner only', async () => {
    const file = join(stack.var, 'backup-test.dump');
    execFileSync(join(ROOT, 'scripts', 'backup'), [file], { env: stack.env, stdio: 'pipe' });
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test('demo passwords are random, shown once, and kept readable by their owner only', () => {
    const { admin, staff } = stack.demo;
    assert.ok(admin.password.length >= 20 && staff.password.length >= 20);
    assert.notEqual(admin.password, staff.password);
    assert.ok(!/^demo-/.test(admin.password) && !/^demo-/.test(staff.password));
    assert.equal(statSync(join(stack.var, 'demo-users')).mode & 0o777, 0o600);
  });
});

describe('safe defaults for a real deployment', () => {
  test('demo data is refused with an https public URL', async () => {
    await assert.rejects(startStack({ env: { BOXOFFICE_PUBLIC_URL: 'https://tickets.example.org' } }),
      /BOXOFFICE_DEMO=1 is refused with an https BOXOFFICE_PUBLIC_URL/);
    // The container path (migrate service) refuses it too, before touching the database.
    assert.throws(() => execFileSync(ENTRYPOINT, ['demo'], {
      stdio: 'pipe',
      env: { PATH: process.env.PATH, BOXOFFICE_PUBLIC_URL: 'https://t.example.org', BOXOFFICE_DATABASE_URL: 'host=/nonexistent' },
    }), (err) => err.status !== 0 && /refused/.test(err.stderr));
  });

  test("the example's database password is refused", () => {
    for (const cmd of ['migrate', 'backend']) {
      assert.throws(() => execFileSync(ENTRYPOINT, [cmd], {
        stdio: 'pipe',
        env: {
          PATH: process.env.PATH, BOXOFFICE_FCGI_LISTEN: '127.0.0.1:1',
          BOXOFFICE_DATABASE_URL: 'host=postgres dbname=boxoffice user=boxoffice password=change-me',
        },
      }), (err) => err.status !== 0 && /change-me/.test(err.stderr), cmd);
    }
  });
});
