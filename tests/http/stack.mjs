// Test harness: runs a private boxoffice stack (scripts/stack) per test file.
//
//   import { startStack, api } from './stack.mjs';
//   const stack = await startStack({ env: { BOXOFFICE_WORKERS: '2' } });
//   const res = await api(stack, '/api/health');
//   await stack.stop();
//
// Each stack gets a fresh BOXOFFICE_VAR (under os.tmpdir()) and free ports for
// nginx and PostgreSQL. KEEP_STACK=1 keeps the directory (logs, database) after
// stop() for post-mortems; its path is printed.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const STACK = join(ROOT, 'scripts', 'stack');

const live = new Set();

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Run scripts/stack with the given arguments; resolves {stdout, stderr}. */
export function runStack(env, args, { timeout = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(STACK, args, { env, timeout, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        err.message = `scripts/stack ${args.join(' ')} failed (${err.code ?? err.signal}):\n${stderr}${stdout}`;
        err.stdout = stdout;
        err.stderr = stderr;
        reject(err);
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

function stackEnv(dir, port, pgPort, extra) {
  const env = {};
  // Inherited BOXOFFICE_* settings (a developer's shell) must not leak into
  // a test stack; the test passes what it wants in opts.env. Kept: which
  // binary to run (BOXOFFICE_BIN, set by `make http` to the sanitizer build)
  // and where PostgreSQL lives.
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('BOXOFFICE_') || k === 'BOXOFFICE_BIN' || k === 'BOXOFFICE_PG_BINDIR') env[k] = v;
  }
  return {
    ...env,
    BOXOFFICE_VAR: dir,
    BOXOFFICE_PORT: String(port),
    BOXOFFICE_PG_PORT: String(pgPort),
    // Functional tests read availability right after changing it; the
    // microcache (on in production) has tests of its own (infra.test.mjs).
    BOXOFFICE_MICROCACHE: 'off',
    ...Object.fromEntries(Object.entries(extra ?? {}).map(([k, v]) => [k, String(v)])),
  };
}

/**
 * Start a private stack.
 * @param {{env?: Record<string, string|number>}} opts extra BOXOFFICE_* variables
 * @returns {Promise<{url: string, env: object, var: string, port: number, pgPort: number,
 *   psql: (sql: string) => Promise<string>, run: (...args: string[]) => Promise<{stdout: string, stderr: string}>,
 *   pids: () => Promise<object>, processes: () => object[], logs: (lines?: number) => string,
 *   stop: () => Promise<void>}>}
 */
export async function startStack(opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'boxoffice-'));
  const port = await freePort();
  let pgPort = await freePort();
  while (pgPort === port) pgPort = await freePort();
  const env = stackEnv(dir, port, pgPort, opts.env);
  const sanitizerOffsets = new Map(); // log file -> length already checked

  const stack = {
    url: `http://127.0.0.1:${port}`,
    env,
    var: dir,
    port,
    pgPort,
    stopped: false,

    /** Run SQL with psql -At; resolves its stdout without the trailing newline. */
    async psql(sql) {
      const { stdout } = await runStack(env, ['psql', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
      return stdout.replace(/\n$/, '');
    },

    /** Run any scripts/stack subcommand on this stack (e.g. 'pg-stop'). */
    run(...args) {
      return runStack(env, args);
    },

    /** {postgres, supervisor, multiwatch, nginx: number|undefined, workers: number[]} */
    async pids() {
      const { stdout } = await runStack(env, ['pids']);
      const out = { workers: [] };
      for (const line of stdout.split('\n')) {
        const [name, pid] = line.trim().split(/\s+/);
        if (!pid) continue;
        if (name === 'worker') out.workers.push(Number(pid));
        else out[name] = Number(pid);
      }
      out.workers.sort((a, b) => a - b);
      return out;
    },

    /** Live (non-zombie) processes belonging to this stack. */
    processes() {
      return stackProcesses(dir);
    },

    /** The tails of the stack's log files, for failure messages. */
    logs(lines = 40) {
      const logDir = join(dir, 'log');
      if (!existsSync(logDir)) return '(no logs)';
      return readdirSync(logDir)
        .sort()
        .map((f) => {
          const text = readFileSync(join(logDir, f), 'utf8').split('\n');
          return `--- ${f} ---\n${text.slice(-lines - 1).join('\n')}`;
        })
        .join('\n');
    },

    /**
     * Throw if a sanitizer (ASan/LSan/UBSan, when BOXOFFICE_BIN is the
     * sanitizer build) reported something in the logs since the last call.
     * Call it from afterEach so that the report fails the test that caused it.
     */
    checkSanitizers() {
      const report = sanitizerReport(dir, sanitizerOffsets);
      if (report) throw new Error(`sanitizer report in the stack's logs:\n${report}`);
    },

    /** Stop the stack and remove its directory; throws on sanitizer reports
     * (leaks are only reported when the workers exit). */
    async stop() {
      if (stack.stopped) return;
      stack.stopped = true;
      let report = '';
      try {
        await runStack(env, ['stop']);
        report = sanitizerReport(dir, sanitizerOffsets);
      } finally {
        // Only now: if this process dies during the stop, the exit hook
        // stops the stack again (stops on one stack are serialised).
        live.delete(stack);
        cleanupDir(dir);
      }
      if (report) throw new Error(`sanitizer report in the stack's logs:\n${report}`);
    },
  };

  live.add(stack);
  try {
    await runStack(env, ['start']);
  } catch (err) {
    err.message += `\n${stack.logs()}`;
    await stack.stop().catch(() => {});
    throw err;
  }
  stack.demo = demoUsers(dir);
  return stack;
}

/**
 * The demo accounts of a stack: their passwords are random, made when the
 * demo data is loaded, and kept in <var>/demo-users (one line,
 * "demo users: admin E / P, staff E / P"). Undefined with BOXOFFICE_DEMO=0.
 * @returns {{admin: {email: string, password: string}, staff: {email: string, password: string}}|undefined}
 */
function demoUsers(dir) {
  let line;
  try {
    line = readFileSync(join(dir, 'demo-users'), 'utf8');
  } catch {
    return undefined;
  }
  const m = /admin (\S+) \/ (\S+), staff (\S+) \/ (\S+)/.exec(line);
  if (!m) throw new Error(`unexpected demo-users line: ${line}`);
  return { admin: { email: m[1], password: m[2] }, staff: { email: m[3], password: m[4] } };
}

/**
 * Spawn a server in a process group of its own, so that killGroup() (and
 * the exit hook below, on every path, a failed test included) ends it with
 * every process it started: an nginx master and its workers, multiwatch and
 * its children. Same arguments as child_process.spawn.
 */
export function spawnGroup(cmd, args, options = {}) {
  const child = spawn(cmd, args, { ...options, detached: true });
  groups.add(child);
  child.once('exit', () => groups.delete(child));
  return child;
}

/** SIGKILL a spawnGroup() child's whole process group (a no-op once gone). */
export function killGroup(child, signal = 'SIGKILL') {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

const groups = new Set();

const SANITIZER_RE = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|WARNING: ThreadSanitizer/;

/** New sanitizer output in worker.log / migrate.log since the offsets. */
function sanitizerReport(dir, offsets) {
  const out = [];
  for (const name of ['worker.log', 'migrate.log']) {
    let text;
    try {
      text = readFileSync(join(dir, 'log', name), 'utf8');
    } catch {
      continue;
    }
    const from = offsets.get(name) ?? 0;
    offsets.set(name, text.length);
    const lines = text.slice(from).split('\n');
    const first = lines.findIndex((l) => SANITIZER_RE.test(l));
    if (first >= 0) out.push(`--- ${name} ---\n${lines.slice(first, first + 80).join('\n')}`);
  }
  return out.join('\n');
}

function cleanupDir(dir) {
  if (process.env.KEEP_STACK === '1') {
    process.stderr.write(`KEEP_STACK=1: stack directory kept at ${dir}\n`);
  } else {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Processes of a stack: not zombies, and either started with
 * BOXOFFICE_VAR=<dir> in their environment or naming <dir> on their command
 * line. Returns [{pid, cmdline}].
 */
export function stackProcesses(dir) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      let environ = '';
      try {
        environ = readFileSync(`/proc/${name}/environ`, 'utf8');
      } catch {
        // another user's process
      }
      if (environ.split('\0').includes(`BOXOFFICE_VAR=${dir}`) || cmdline.includes(dir)) {
        found.push({ pid: Number(name), cmdline });
      }
    } catch {
      // the process went away while we looked
    }
  }
  return found;
}

/**
 * fetch against the stack. Resolves {status, headers, body, text}; body is the
 * parsed JSON when the response says it is JSON (else undefined).
 */
export async function api(stack, path, init = {}) {
  const res = await fetch(stack.url + path, { redirect: 'manual', ...init });
  const text = await res.text();
  let body;
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** Poll fn() until it returns a truthy value; resolves that value or throws. */
export async function waitFor(fn, { timeout = 10_000, interval = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

// Best effort: never leave a stack, or a server a test spawned, running
// when the test process ends.
function stopAllSync() {
  for (const child of groups) killGroup(child);
  for (const stack of live) {
    live.delete(stack);
    try {
      execFileSync(STACK, ['stop'], { env: stack.env, stdio: 'ignore', timeout: 60_000 });
    } catch {
      // keep going
    }
    cleanupDir(stack.var);
  }
}
process.on('exit', stopAllSync);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    stopAllSync();
    process.exit(130);
  });
}
