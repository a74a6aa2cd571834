// Shape tests: rules about the code's layout that a compiler cannot check.
// They read the sources; nothing is built or started.
//
//   node --test tests/shape/        (make shape, part of make lint)
//
// - no include cycle between the modules of app/ (module = name.c + name.h);
// - lib/ never includes app/;
// - no function in app/ or lib/ is longer than 80 lines;
// - no strcmp(result, ...) chain, and no result column read by a bare
//   number: db_val/db_null take a named constant;
// - every outcome table in app/ matches docs/API.md: each error it can
//   answer (status and code, its fields' codes, its extra member) is
//   written in the endpoint's section;
// - docs/ARCHITECTURE.md's "feature → file" table lists every file of app/
//   and lib/, and no file that is gone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAX_LINES = 80;

const read = (p) => readFileSync(join(ROOT, p), 'utf8');
const sources = (dir) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.c') || f.endsWith('.h'))
    .sort()
    .map((f) => `${dir}/${f}`);

const APP = sources('app');
const LIB = sources('lib');

// Comments and string literals blanked (newlines kept), so that braces
// and parentheses inside them do not count.
function code(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/\/\/[^\n]*/g, '')
    .replace(/"(?:\\.|[^"\\\n])*"/g, '""')
    .replace(/'(?:\\.|[^'\\\n])'/g, "''");
}

const includes = (text) =>
  [...text.matchAll(/^#include "([^"]+)"/gm)].map((m) => m[1]);

test('app/ modules include each other without a cycle', () => {
  const module = (p) => p.replace(/^.*\//, '').replace(/\.[ch]$/, '');
  const edges = new Map();
  for (const p of APP) {
    const from = module(p);
    if (!edges.has(from)) edges.set(from, new Set());
    for (const inc of includes(read(p))) {
      if (inc.includes('/')) continue; // ../lib/...
      const to = module(inc);
      if (to !== from) edges.get(from).add(to);
    }
  }
  const state = new Map(); // 1 visiting, 2 done
  const path = [];
  const visit = (m) => {
    if (state.get(m) === 2) return;
    if (state.get(m) === 1) {
      const cycle = path.slice(path.indexOf(m)).concat(m);
      assert.fail(`include cycle in app/: ${cycle.join(' -> ')}`);
    }
    state.set(m, 1);
    path.push(m);
    for (const to of edges.get(m) ?? []) visit(to);
    path.pop();
    state.set(m, 2);
  };
  for (const m of edges.keys()) visit(m);
});

test('lib/ never includes app/', () => {
  for (const p of LIB)
    for (const inc of includes(read(p)))
      assert.ok(!inc.includes('app/'), `${p} includes ${inc}`);
});

// Function definitions: a line at column 0 that opens a parameter list and
// is not a declaration, up to the matching closing brace at column 0.
function functions(p) {
  const lines = code(read(p)).split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^[A-Za-z_][\w\s\*]*\b(\w+)\(/.test(lines[i])) continue;
    if (/^(typedef|struct \w+ \{|enum|#)/.test(lines[i])) continue;
    let j = i;
    while (j < lines.length && !/[;{]\s*$/.test(lines[j])) j++;
    if (j >= lines.length || /;\s*$/.test(lines[j])) continue;
    if (lines[j] !== '{') continue;
    let k = j + 1;
    while (k < lines.length && !/^\}/.test(lines[k])) k++;
    const name = lines[i].match(/(\w+)\(/)[1];
    out.push({ name, start: i + 1, lines: k - i + 1 });
    i = k;
  }
  return out;
}

test(`no function in app/ or lib/ is longer than ${MAX_LINES} lines`, () => {
  const long = [];
  for (const p of [...APP, ...LIB].filter((f) => f.endsWith('.c')))
    for (const f of functions(p))
      if (f.lines > MAX_LINES) long.push(`${p}:${f.start} ${f.name} (${f.lines})`);
  assert.deepEqual(long, []);
});

test('the function counter sees functions', () => {
  // A guard for the test above: it must find the handlers it measures.
  const names = functions('app/bookings.c').map((f) => f.name);
  assert.ok(names.includes('bookings_create'), names.join(' '));
  assert.ok(names.includes('info_from_row'), names.join(' '));
});

test('no strcmp(result, ...) chain and no bare column number', () => {
  const bad = [];
  for (const p of [...APP, ...LIB].filter((f) => f.endsWith('.c'))) {
    code(read(p))
      .split('\n')
      .forEach((line, i) => {
        if (/strcmp\(result\b/.test(line)) bad.push(`${p}:${i + 1} ${line.trim()}`);
        if (/\b(db_val|db_null|PQgetvalue|PQgetisnull)\([^,()]+,\s*[^,()]+,\s*\d+\s*\)/.test(line))
          bad.push(`${p}:${i + 1} ${line.trim()}`);
      });
  }
  assert.deepEqual(bad, []);
});

// ---- outcome tables against docs/API.md ----------------------------------

// Every `static const struct outcome x[] = {...}` of app/, with the
// endpoint named in the comment just above it ("/* POST /api/...: fn() */").
function outcomeTables() {
  const tables = [];
  for (const p of APP.filter((f) => f.endsWith('.c'))) {
    const text = read(p);
    const re = /\/\*\s*(GET|POST|PUT|PATCH|DELETE) (\S+?):[^*]*(?:\*(?!\/)[^*]*)*\*\/\s*static const struct outcome (\w+)\[\] = \{([\s\S]*?)\n\};/g;
    for (const m of text.matchAll(re)) {
      const rows = [];
      // Rows shared through a macro of the same file are expanded.
      const expanded = m[4].replace(/^\s*([A-Z_]+),?\s*$/gm, (line, name) => {
        const def = text.match(new RegExp(`#define ${name}\\b((?:.*\\\\\n)*.*)`));
        return def ? def[1].replace(/\\\n/g, '\n') + ',' : line;
      });
      const body = expanded.replace(/"\s*\n\s*"/g, ''); // join split literals
      const rowRe = /\{"(\w+)", (\d{3}), (NULL|"(\w+)"),\s*(NULL|"(?:\\.|[^"\\])*"),\s*(NULL|"((?:\\.|[^"\\])*)"),\s*(NULL|"(\w+)")\}/g;
      for (const r of body.matchAll(rowRe))
        rows.push({
          result: r[1],
          status: Number(r[2]),
          code: r[4] ?? null,
          fields: r[7] ? JSON.parse(r[7].replace(/\\"/g, '"')) : null,
          member: r[9] ?? null,
        });
      tables.push({ file: p, name: m[3], method: m[1], path: m[2], rows, body });
    }
  }
  return tables;
}

// The part of docs/API.md about `METHOD path`: from the heading above its
// first mention to the next heading.
function apiSection(api, method, path) {
  const lines = api.split('\n');
  const at = lines.findIndex((l) => l.includes('`' + method + ' ' + path));
  if (at < 0) return null;
  let start = at;
  while (start > 0 && !/^#/.test(lines[start])) start--;
  let end = at + 1;
  while (end < lines.length && !/^#/.test(lines[end])) end++;
  return lines.slice(start, end).join('\n');
}

test('outcome tables are found and complete', () => {
  const tables = outcomeTables();
  assert.ok(tables.length >= 8, `found ${tables.map((t) => t.name)}`);
  for (const t of tables) {
    const written = (t.body.match(/\{"/g) ?? []).length;
    assert.equal(t.rows.length, written, `${t.file} ${t.name}: a row the test cannot read`);
    // A table is a success and at least one error (macros expanded).
    assert.ok(t.rows.length >= 2, `${t.file} ${t.name}: ${t.rows.length} row(s)`);
  }
});

test('every outcome table matches docs/API.md', () => {
  const api = read('docs/API.md');
  const missing = [];
  for (const t of outcomeTables()) {
    const where = `${t.file} ${t.name} (${t.method} ${t.path})`;
    const section = apiSection(api, t.method, t.path);
    if (section === null) {
      missing.push(`${where}: endpoint not in docs/API.md`);
      continue;
    }
    for (const r of t.rows) {
      if (r.status < 300) continue;
      // docs/API.md, "Admin": an unknown {id} in the path is 404 not_found.
      const general = r.status === 404 && r.code === 'not_found' && t.path.includes('{id}');
      const said = new RegExp(`${r.status}[\\s|]*\`${r.code}\``).test(section);
      if (!said && !general) missing.push(`${where}: ${r.result} -> ${r.status} ${r.code}`);
      for (const code of Object.values(r.fields ?? {}))
        if (!section.includes(code)) missing.push(`${where}: ${r.result} -> field code ${code}`);
      if (r.member && !section.includes(r.member))
        missing.push(`${where}: ${r.result} -> member ${r.member}`);
    }
  }
  assert.deepEqual(missing, []);
});

// ---- the feature → file table --------------------------------------------

test('docs/ARCHITECTURE.md lists every file of app/ and lib/', () => {
  const doc = read('docs/ARCHITECTURE.md');
  const start = doc.indexOf('## Feature → file');
  assert.ok(start >= 0, 'no "## Feature → file" section');
  const table = doc.slice(start, doc.indexOf('\n## ', start + 1));
  const listed = new Set([...table.matchAll(/`((?:app|lib)\/[\w.]+)`/g)].map((m) => m[1]));
  const files = [...APP, ...LIB];
  assert.deepEqual(files.filter((f) => !listed.has(f)), [], 'files missing from the table');
  assert.deepEqual([...listed].filter((f) => !files.includes(f)), [], 'files in the table that do not exist');
});

// ---- one source for what the frontend shares with the server ---------------

test('the frontend has one token pattern, of TOK_LEN characters', () => {
  const tokLen = Number(read('lib/tok.h').match(/#define TOK_LEN\s+(\d+)/)[1]);
  const re = read('frontend/src/lib/token.js').match(/TOKEN_RE = \/\^\[A-Za-z0-9_-\]\{(\d+)\}\$\//);
  assert.ok(re, 'frontend/src/lib/token.js defines TOKEN_RE');
  assert.equal(Number(re[1]), tokLen);
  const walk = (dir) => readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(`${dir}/${e.name}`) : [`${dir}/${e.name}`]);
  for (const f of walk('frontend/src').filter((x) => x.endsWith('.js'))) {
    if (f === 'frontend/src/lib/token.js') continue;
    assert.ok(!/A-Za-z0-9_-\]\{/.test(read(f)), `${f} has its own token pattern`);
    assert.ok(!read(f).includes('BEGIN:VCALENDAR'), `${f} writes a calendar file: the server's is the one`);
  }
});
