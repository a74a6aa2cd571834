// Admin API: the programme (venues, shows, performances), reservations
// with search and CSV export, status changes, check-in undo, users and the
// audit log — against a real stack, signed in as the demo admin.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { api, startStack } from './stack.mjs';
import { confirmToken, startSmtp } from './smtp.mjs';
import { book, post, seatsAvailable, visitor } from './fixtures.mjs';

// The demo accounts; their random passwords are read from the stack.
const ADMIN = { email: 'admin@example.org' };
const STAFF = { email: 'door@example.org' };

let stack;
let smtp;
let admin; // {cookie, csrf, user}
const secrets = new Set(); // emails, phones and passwords that must never reach a log

async function login(who) {
  const r = await post(stack, '/api/auth/login', who);
  assert.equal(r.status, 200, r.text);
  return { cookie: r.headers.get('set-cookie').split(';')[0], csrf: r.body.csrf_token, user: r.body.user };
}

/** A request with a session; body objects are sent as JSON, strings as they are. */
function as(session, path, { method = 'GET', body } = {}) {
  const headers = { cookie: session.cookie, 'x-csrf-token': session.csrf };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return api(stack, path, {
    method, headers, body: body === undefined || typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const adm = (path, opts) => as(admin, path, opts);

function expectFields(r, fields) {
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.error.code, 'validation_failed');
  assert.deepEqual(r.body.error.fields, fields);
}

/** ISO 8601 time `days` from now (UTC, with Z). */
const inDays = (days) => new Date(Date.now() + days * 86400_000).toISOString();

/** The audit entries of one row, newest first. */
async function audit(entity, id) {
  const r = await adm(`/admin/audit?entity=${entity}&entity_id=${id}`);
  assert.equal(r.status, 200, r.text);
  return r.body.entries;
}

async function newShow(extra = {}) {
  const slug = `show-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const r = await adm('/admin/shows', { method: 'POST', body: { slug, title: `Title ${slug}`, published: true, ...extra } });
  assert.equal(r.status, 201, r.text);
  return r.body.show;
}

async function newPerformance(fields = {}) {
  const show = fields.show_id ? null : await newShow();
  const venueId = Number(await stack.psql('SELECT min(id) FROM venues'));
  const r = await adm('/admin/performances', {
    method: 'POST',
    body: { show_id: show?.id, venue_id: venueId, starts_at: inDays(10), capacity: 20, ...fields },
  });
  assert.equal(r.status, 201, r.text);
  return { perf: r.body.performance, show: show ?? r.body.performance.show };
}

/** Book through the public API; returns the email used. */
async function booked(perfId, body) {
  const email = body.email ?? visitor('adm');
  secrets.add(email);
  if (body.phone) secrets.add(body.phone);
  const r = await book(stack, perfId, { name: 'Guest', seats: 1, ...body, email });
  assert.equal(r.status, 201, r.text);
  return email;
}

async function reservations(perfId, query = '') {
  const r = await adm(`/admin/performances/${perfId}/reservations${query}`);
  assert.equal(r.status, 200, r.text);
  return r.body.reservations;
}

/**
 * GET a CSV as the admin: {status, headers, raw (bytes), text (after the
 * byte order mark, which fetch's text() would silently drop)}.
 */
async function csv(path) {
  const res = await fetch(stack.url + path, { headers: { cookie: admin.cookie } });
  const raw = Buffer.from(await res.arrayBuffer());
  const bom = raw.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]));
  return { status: res.status, headers: res.headers, raw, text: raw.subarray(bom ? 3 : 0).toString('utf8') };
}

/** An RFC 4180 parser that refuses what RFC 4180 does not allow. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
        assert.ok(i + 1 === text.length || ',\r'.includes(text[i + 1]), `nothing may follow a closing quote (at ${i})`);
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      assert.equal(field, '', `a quote inside an unquoted field (at ${i})`);
      quoted = true;
      wasQuoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      wasQuoted = false;
    } else if (ch === '\r') {
      assert.equal(text[i + 1], '\n', 'CR only as part of CRLF');
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      wasQuoted = false;
      i++;
    } else {
      assert.ok(ch !== '\n', `a bare LF outside quotes (at ${i})`);
      field += ch;
    }
  }
  assert.ok(!quoted, 'unterminated quoted field');
  assert.ok(field === '' && row.length === 0 && !wasQuoted, 'the last record ends with CRLF');
  return rows;
}

before(async () => {
  smtp = await startSmtp();
  stack = await startStack({
    env: {
      BOXOFFICE_MAIL_BACKEND: 'smtp', BOXOFFICE_SMTP_HOST: '127.0.0.1', BOXOFFICE_SMTP_PORT: smtp.port,
      BOXOFFICE_RATE_LIMITS: 'off', BOXOFFICE_WORKERS: 2, BOXOFFICE_THREADS: 4,
    },
  });
  Object.assign(ADMIN, stack.demo.admin);
  Object.assign(STAFF, stack.demo.staff);
  admin = await login(ADMIN);
});
afterEach(() => stack.checkSanitizers());
after(async () => {
  await stack?.stop();
  await smtp?.stop();
});

describe('venues', () => {
  test('create, read, update part of it, delete; audited', async () => {
    const c = await adm('/admin/venues', { method: 'POST', body: { name: '  Sala Verdi ', city: 'Parma', colour: 'ignored' } });
    assert.equal(c.status, 201, c.text);
    const v = c.body.venue;
    assert.equal(v.name, 'Sala Verdi', 'trimmed');
    assert.equal(v.address, '');
    assert.equal(v.city, 'Parma');
    assert.equal(v.performances, 0);
    assert.ok(!('colour' in v), 'unknown fields are ignored');

    const u = await adm(`/admin/venues/${v.id}`, { method: 'PATCH', body: { address: 'Borgo 3' } });
    assert.equal(u.status, 200, u.text);
    assert.equal(u.body.venue.address, 'Borgo 3');
    assert.equal(u.body.venue.name, 'Sala Verdi', 'absent fields are kept');
    assert.equal(u.body.venue.city, 'Parma');

    const g = await adm(`/admin/venues/${v.id}`);
    assert.deepEqual(g.body.venue, u.body.venue);
    assert.ok((await adm('/admin/venues')).body.venues.some((x) => x.id === v.id));
    assert.ok((await api(stack, '/api/venues')).body.venues.some((x) => x.id === v.id));

    assert.equal((await adm(`/admin/venues/${v.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await adm(`/admin/venues/${v.id}`)).status, 404);
    assert.equal((await adm(`/admin/venues/${v.id}`, { method: 'DELETE' })).status, 404);
    assert.equal((await adm(`/admin/venues/${v.id}`, { method: 'PATCH', body: { city: 'x' } })).status, 404);

    const log = await audit('venue', v.id);
    assert.deepEqual(log.map((e) => e.action), ['delete', 'update', 'create']);
    for (const e of log) {
      assert.equal(e.user_id, admin.user.id);
      assert.equal(e.user_email, ADMIN.email);
      assert.ok(e.request_id);
    }
    assert.equal(log[2].before, null);
    assert.equal(log[2].after.name, 'Sala Verdi');
    assert.equal(log[1].before.address, '');
    assert.equal(log[1].after.address, 'Borgo 3');
    assert.equal(log[0].before.address, 'Borgo 3');
    assert.equal(log[0].after, null);
  });

  test('validation, bad bodies, unknown ids, in use', async () => {
    expectFields(await adm('/admin/venues', { method: 'POST', body: {} }), { name: 'required' });
    expectFields(await adm('/admin/venues', { method: 'POST', body: { name: '   ', city: 7, address: 'a'.repeat(301) } }),
      { name: 'required', address: 'too_long', city: 'not_a_string' });
    expectFields(await adm('/admin/venues', { method: 'POST', body: { name: 'x\u0007y' } }), { name: 'invalid' });
    expectFields(await adm('/admin/venues/1', { method: 'PATCH', body: { name: '' } }), { name: 'required' });
    for (const body of ['{', '[1]', '"x"', '']) {
      const r = await adm('/admin/venues', { method: 'POST', body });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.body.error.code, 'invalid_json');
    }
    assert.equal((await adm('/admin/venues/999999')).status, 404);
    // The demo venue has performances.
    const d = await adm('/admin/venues/1', { method: 'DELETE' });
    assert.equal(d.status, 409, d.text);
    assert.equal(d.body.error.code, 'in_use');
    assert.equal((await adm('/admin/venues/1')).status, 200);
  });

  test('a staff session cannot use the admin API', async () => {
    const staff = await login(STAFF);
    const r = await as(staff, '/admin/venues', { method: 'POST', body: { name: 'Nope' } });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'forbidden');
  });
});

describe('shows', () => {
  test('a draft is hidden until published; partial updates; null clears', async () => {
    const slug = `draft-${process.pid}`;
    const c = await adm('/admin/shows', {
      method: 'POST',
      body: { slug, title: 'Draft', subtitle: 'Sub', description: 'One\nTwo', image_url: 'https://img.example.org/a.jpg', duration_minutes: 90 },
    });
    assert.equal(c.status, 201, c.text);
    const s = c.body.show;
    assert.equal(s.published, false, 'drafts by default');
    assert.equal(s.description, 'One\nTwo');
    assert.ok((await adm('/admin/shows')).body.shows.some((x) => x.id === s.id), 'the admin list has drafts');
    assert.ok(!(await api(stack, '/api/shows')).body.shows.some((x) => x.slug === slug));
    assert.equal((await api(stack, `/api/shows/${slug}`)).status, 404);

    const p = await adm(`/admin/shows/${s.id}`, { method: 'PATCH', body: { published: true } });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.show.published, true);
    assert.equal(p.body.show.description, 'One\nTwo', 'absent fields are kept');
    assert.ok((await api(stack, '/api/shows')).body.shows.some((x) => x.slug === slug), 'published: listed');
    assert.equal((await api(stack, `/api/shows/${slug}`)).status, 200);

    const n = await adm(`/admin/shows/${s.id}`, { method: 'PATCH', body: { image_url: null, duration_minutes: null, subtitle: '' } });
    assert.equal(n.status, 200, n.text);
    assert.equal(n.body.show.image_url, null);
    assert.equal(n.body.show.duration_minutes, null);
    assert.equal(n.body.show.subtitle, '');
    assert.equal(n.body.show.title, 'Draft');

    const log = await audit('show', s.id);
    assert.deepEqual(log.map((e) => e.action), ['update', 'update', 'create']);
    assert.equal(log[1].before.published, false);
    assert.equal(log[1].after.published, true);

    assert.equal((await adm(`/admin/shows/${s.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await api(stack, `/api/shows/${slug}`)).status, 404);
  });

  test('slug rules and conflicts; validation; in use', async () => {
    const taken = await adm('/admin/shows', { method: 'POST', body: { slug: 'la-locandiera', title: 'Again' } });
    assert.equal(taken.status, 409, taken.text);
    assert.equal(taken.body.error.code, 'conflict');
    assert.deepEqual(taken.body.error.fields, { slug: 'taken' });
    const s = await newShow({ published: false });
    const rename = await adm(`/admin/shows/${s.id}`, { method: 'PATCH', body: { slug: 'the-tempest' } });
    assert.equal(rename.status, 409);
    assert.equal(rename.body.error.code, 'conflict');

    for (const slug of ['Upper', 'two--dashes', '-lead', 'trail-', 'spa ce', 'ünï', 'a'.repeat(81), '']) {
      const r = await adm('/admin/shows', { method: 'POST', body: { slug, title: 'T' } });
      assert.equal(r.status, 422, `${slug}: ${r.text}`);
      assert.ok(r.body.error.fields.slug, slug);
    }
    const ok = await adm(`/admin/shows/${s.id}`, { method: 'PATCH', body: { slug: `a-1-b2-${process.pid}` } });
    assert.equal(ok.status, 200, ok.text);

    expectFields(await adm('/admin/shows', {
      method: 'POST',
      body: { title: 'x'.repeat(201), duration_minutes: 0, published: 'yes', image_url: 'javascript:alert(1)' },
    }), { slug: 'required', title: 'too_long', image_url: 'invalid', duration_minutes: 'out_of_range', published: 'not_a_boolean' });
    expectFields(await adm(`/admin/shows/${s.id}`, { method: 'PATCH', body: { duration_minutes: 2.5, image_url: '//evil.example/x' } }),
      { image_url: 'invalid', duration_minutes: 'not_an_integer' });

    const d = await adm('/admin/shows/1', { method: 'DELETE' });
    assert.equal(d.status, 409);
    assert.equal(d.body.error.code, 'in_use');
    assert.equal((await adm('/admin/shows/999999', { method: 'PATCH', body: { title: 'x' } })).status, 404);
  });
});

describe('performances', () => {
  test('create: visible on the public show page, with availability and counts', async () => {
    const { perf, show } = await newPerformance({ capacity: 30, occupied_manual: 2, extra_seats: 4, max_seats_per_reservation: 5 });
    assert.equal(perf.status, 'scheduled');
    assert.equal(perf.capacity, 30);
    assert.equal(perf.seats_sellable, 32);
    assert.equal(perf.seats_taken, 0);
    assert.deepEqual(perf.availability, { seats_available: 32, state: 'available' });
    assert.equal(perf.counts.confirmed, 0);
    assert.equal(perf.booking_opens_at, null);

    const pub = await api(stack, `/api/shows/${show.slug}`);
    assert.equal(pub.status, 200, pub.text);
    const p = pub.body.show.performances.find((x) => x.id === perf.id);
    assert.ok(p, 'listed');
    assert.equal(p.max_seats_per_reservation, 5);
    assert.equal(p.availability.seats_available, 32);

    await booked(perf.id, { seats: 3 });
    const g = await adm(`/admin/performances/${perf.id}`);
    assert.equal(g.body.performance.seats_taken, 3);
    assert.equal(g.body.performance.counts.pending, 1);
    assert.equal(g.body.performance.counts.seats_pending, 3);

    const list = await adm(`/admin/performances?show_id=${show.id}`);
    assert.deepEqual(list.body.performances.map((x) => x.id), [perf.id]);
    assert.ok((await adm('/admin/performances')).body.performances.length > 1);
    expectFields(await adm('/admin/performances?show_id=abc'), { show_id: 'invalid' });

    const log = await audit('performance', perf.id);
    assert.equal(log[0].action, 'create');
    assert.equal(log[0].after.capacity, 30);
    assert.equal(log[0].user_id, admin.user.id);
  });

  test('validation: times, ids, ranges, the booking window', async () => {
    const base = { show_id: 1, venue_id: 1, starts_at: inDays(5), capacity: 10 };
    const create = (body) => adm('/admin/performances', { method: 'POST', body });
    expectFields(await create({}), { show_id: 'required', venue_id: 'required', starts_at: 'required', capacity: 'required' });
    for (const starts_at of ['tomorrow', '2026-02-30T20:00:00Z', '2026-13-01T20:00:00Z', '2026-12-01T24:00:00Z',
      '2026-12-01T20:00:00', '2026-12-01', '2026-12-01T20:00:00+1', '2026-12-01T20:00:00.1234567Z', ' 2026-12-01T20:00Z']) {
      expectFields(await create({ ...base, starts_at }), { starts_at: 'invalid' });
    }
    expectFields(await create({ ...base, starts_at: '1999-12-01T20:00:00Z' }), { starts_at: 'out_of_range' });
    for (const starts_at of ['2028-02-29T20:00:00Z', '2026-12-01T20:00+01:00', '2026-12-01T20:00:00.5-0530', '2026-12-01 20:00:00+01']) {
      assert.equal((await create({ ...base, starts_at })).status, 201, starts_at);
    }
    expectFields(await create({ ...base, show_id: 999999 }), { show_id: 'unknown' });
    expectFields(await create({ ...base, venue_id: 999999 }), { venue_id: 'unknown' });
    expectFields(await create({ ...base, capacity: -1, extra_seats: '2', max_seats_per_reservation: 101 }),
      { capacity: 'out_of_range', extra_seats: 'not_an_integer', max_seats_per_reservation: 'out_of_range' });
    expectFields(await create({ ...base, occupied_manual: 11 }), { occupied_manual: 'out_of_range' });
    expectFields(await create({ ...base, booking_opens_at: inDays(3), booking_closes_at: inDays(2) }),
      { booking_closes_at: 'before_opens' });

    const { perf } = await newPerformance({ booking_opens_at: inDays(1) });
    expectFields(await adm(`/admin/performances/${perf.id}`, { method: 'PATCH', body: { booking_closes_at: inDays(0.5) } }),
      { booking_closes_at: 'before_opens' });
    expectFields(await adm(`/admin/performances/${perf.id}`, { method: 'PATCH', body: { force: 'yes', venue_id: 0 } }),
      { venue_id: 'out_of_range', force: 'not_a_boolean' });
    assert.equal((await adm('/admin/performances/999999', { method: 'PATCH', body: { capacity: 5 } })).status, 404);
    assert.equal((await adm('/admin/performances/999999')).status, 404);
  });

  test('PATCH changes only what it sends; null clears the booking window', async () => {
    const { perf } = await newPerformance({ booking_opens_at: inDays(1), booking_closes_at: inDays(9) });
    const closes = inDays(8);
    const u = await adm(`/admin/performances/${perf.id}`, { method: 'PATCH', body: { booking_closes_at: closes } });
    assert.equal(u.status, 200, u.text);
    assert.equal(Date.parse(u.body.performance.booking_closes_at), Date.parse(closes));
    assert.equal(u.body.performance.booking_opens_at, perf.booking_opens_at, 'kept');
    assert.equal(u.body.performance.capacity, perf.capacity, 'kept');
    const n = await adm(`/admin/performances/${perf.id}`, { method: 'PATCH', body: { booking_opens_at: null } });
    assert.equal(n.body.performance.booking_opens_at, null);
    assert.equal(Date.parse(n.body.performance.booking_closes_at), Date.parse(closes));
    const log = await audit('performance', perf.id);
    assert.deepEqual(log.map((e) => e.action), ['update', 'update', 'create']);
    assert.equal(log[0].after.booking_opens_at, null);
    assert.ok(log[0].before.booking_opens_at);
  });

  test('fewer seats than are taken: 409 capacity_below_taken, then force', async () => {
    const { perf } = await newPerformance({ capacity: 10, max_seats_per_reservation: 6 });
    await booked(perf.id, { seats: 6 });
    await booked(perf.id, { seats: 2 });
    const patch = (body) => adm(`/admin/performances/${perf.id}`, { method: 'PATCH', body });

    for (const body of [{ capacity: 7 }, { occupied_manual: 3 }, { capacity: 9, occupied_manual: 2 }]) {
      const r = await patch(body);
      assert.equal(r.status, 409, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.body.error.code, 'capacity_below_taken');
      assert.equal(r.body.error.seats_taken, 8);
    }
    // Down to exactly what is taken is fine; so is a move that keeps the total.
    assert.equal((await patch({ capacity: 8 })).status, 200);
    assert.equal((await patch({ capacity: 6, extra_seats: 2 })).status, 200);

    const f = await patch({ capacity: 4, extra_seats: 0, force: true });
    assert.equal(f.status, 200, f.text);
    assert.equal(f.body.performance.capacity, 4);
    assert.equal(f.body.performance.seats_taken, 8);
    assert.deepEqual(f.body.performance.availability, { seats_available: 0, state: 'sold_out' });
    // Raising, even when still below what is taken, needs no force.
    assert.equal((await patch({ capacity: 5 })).status, 200);
    assert.equal((await patch({ capacity: 4 })).status, 409);
    const taken = await book(stack, perf.id, { name: 'Late', email: visitor('adm'), seats: 1 });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error.code, 'not_enough_seats');
  });

  test('cancel: state cancelled, booking closed, idempotent, audited', async () => {
    const { perf, show } = await newPerformance();
    const c = await adm(`/admin/performances/${perf.id}/cancel`, { method: 'POST' });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.performance.status, 'cancelled');
    assert.equal(c.body.performance.availability.state, 'cancelled');
    const again = await adm(`/admin/performances/${perf.id}/cancel`, { method: 'POST' });
    assert.equal(again.status, 200);
    assert.equal(again.body.performance.status, 'cancelled');

    const pub = await api(stack, `/api/shows/${show.slug}`);
    assert.equal(pub.body.show.performances.find((x) => x.id === perf.id).availability.state, 'cancelled');
    const b = await book(stack, perf.id, { name: 'Too late', email: visitor('adm'), seats: 1 });
    assert.equal(b.status, 409, b.text);
    assert.equal(b.body.error.code, 'booking_closed');
    assert.equal((await adm('/admin/performances/999999/cancel', { method: 'POST' })).status, 404);

    const log = await audit('performance', perf.id);
    assert.deepEqual(log.map((e) => e.action), ['cancel', 'create'], 'the repeated cancel changed nothing');
    assert.equal(log[0].before.status, 'scheduled');
    assert.equal(log[0].after.status, 'cancelled');
  });
});

describe('reservations', () => {
  // Names people really type, and some a spreadsheet would run.
  const guests = [
    { name: 'Rossi, Anna', phone: '051 123456', notes: 'aisle seat, please' },
    { name: 'Dario "Dado" Fo', notes: 'line one\nline two' },
    { name: 'Zoë Ångström', notes: 'first\r\nsecond', locale: 'en' },
    { name: '=1+1', phone: '+39 051 998877', notes: '@SUM(A1:A2)' },
    { name: '-minus', notes: '' },
    { name: '@handle', notes: 'tab\tinside' },
  ];
  let perf;

  before(async () => {
    ({ perf } = await newPerformance({ capacity: 50 }));
    for (const g of guests) g.email = await booked(perf.id, { ...g, seats: 2 });
  });

  test('the list: every field, ordered by creation, with check-ins', async () => {
    const list = await reservations(perf.id);
    assert.deepEqual(list.map((r) => r.name), guests.map((g) => g.name));
    const z = list[2];
    for (const k of ['id', 'name', 'email', 'phone', 'notes', 'locale', 'seats', 'seats_admitted', 'status',
      'created_at', 'confirmed_at', 'cancelled_at', 'expires_at', 'checkins'])
      assert.ok(k in z, `has ${k}`);
    assert.equal(z.email, guests[2].email);
    assert.equal(z.notes, 'first\r\nsecond');
    assert.equal(z.locale, 'en');
    assert.equal(z.status, 'pending');
    assert.deepEqual(z.checkins, []);
    assert.equal((await adm('/admin/performances/999999/reservations')).status, 404);
    assert.equal((await adm('/admin/performances/999999/reservations?format=csv')).status, 404);
  });

  test('filter by status; a lapsed hold counts as expired', async () => {
    const list = await reservations(perf.id);
    const ok = await adm(`/admin/reservations/${list[0].id}/status`, { method: 'POST', body: { status: 'confirmed' } });
    assert.equal(ok.status, 200, ok.text);
    await stack.psql(`UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = ${list[5].id}`);
    assert.deepEqual((await reservations(perf.id, '?status=confirmed')).map((r) => r.id), [list[0].id]);
    assert.deepEqual((await reservations(perf.id, '?status=expired')).map((r) => r.id), [list[5].id]);
    assert.equal((await reservations(perf.id, '?status=pending')).length, 4);
    assert.equal((await reservations(perf.id, '?status=cancelled')).length, 0);
    assert.equal((await reservations(perf.id, '?status=')).length, 6);
    expectFields(await adm(`/admin/performances/${perf.id}/reservations?status=booked&format=xml`),
      { status: 'invalid', format: 'invalid' });
  });

  test('search in name, email and phone, case-insensitively, wildcards literal', async () => {
    const names = async (q) => (await reservations(perf.id, `?q=${encodeURIComponent(q)}`)).map((r) => r.name);
    assert.deepEqual(await names('ROSSI'), ['Rossi, Anna']);
    assert.deepEqual(await names('zoË'), ['Zoë Ångström']);
    assert.deepEqual(await names(guests[1].email.toUpperCase()), [guests[1].name]);
    assert.deepEqual(await names('998877'), ['=1+1']);
    assert.deepEqual(await names('"dado"'), [guests[1].name]);
    assert.deepEqual(await names('%'), [], '% is a character, not a wildcard');
    assert.deepEqual(await names('_'), []);
    assert.deepEqual(await names('\\'), []);
    assert.equal((await names('  ')).length, 6, 'blank: no filter');
    assert.deepEqual(await names('nobody-like-this'), []);
    const both = await reservations(perf.id, '?q=a&status=confirmed');
    assert.deepEqual(both.map((r) => r.name), ['Rossi, Anna']);
    expectFields(await adm(`/admin/performances/${perf.id}/reservations?q=${'x'.repeat(101)}`), { q: 'too_long' });
  });

  test('CSV export: RFC 4180, UTF-8, formula-safe, the same data as the JSON', async () => {
    const r = await csv(`/admin/performances/${perf.id}/reservations?format=csv`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(r.headers.get('content-disposition'), `attachment; filename="reservations-${perf.id}.csv"`);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.deepEqual([...r.raw.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 byte order mark');
    assert.ok(r.raw.includes(Buffer.from('Zoë Ångström', 'utf8')), 'UTF-8 text');
    const rows = parseCsv(r.text);
    const header = ['id', 'created_at', 'status', 'name', 'email', 'phone', 'seats', 'seats_admitted', 'locale',
      'notes', 'confirmed_at', 'cancelled_at', 'expires_at', 'code'];
    assert.deepEqual(rows[0], header);

    const json = await reservations(perf.id);
    assert.equal(rows.length - 1, json.length);
    const safe = (v) => {
      const s = v === null ? '' : String(v);
      return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
    };
    // Times in the theatre's zone (Europe/Rome by default) with the
    // offset, to the second (issue 14): the JSON's instant, written so.
    const times = new Set(['created_at', 'confirmed_at', 'cancelled_at', 'expires_at']);
    const local = (v) => {
      if (v === null) return '';
      const d = new Date(v);
      const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
      }).formatToParts(d).map((x) => [x.type, x.value]));
      const off = Math.round((Date.UTC(+p.year, p.month - 1, +p.day, +p.hour, +p.minute, +p.second)
        - Math.floor(d.getTime() / 1000) * 1000) / 60000);
      const hm = `${String(Math.floor(Math.abs(off) / 60)).padStart(2, '0')}:${String(Math.abs(off) % 60).padStart(2, '0')}`;
      return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${off < 0 ? '-' : '+'}${hm}`;
    };
    const csvById = Object.fromEntries(rows.slice(1).map((row) => [row[0], row]));
    json.forEach((res) => {
      assert.deepEqual(csvById[res.id], header.map((k) => (times.has(k) ? local(res[k]) : safe(res[k]))), `reservation ${res.id}`);
    });
    // Sorted by name, like a door list (tests/http/door.test.mjs checks the order).
    // The cells a spreadsheet would have evaluated.
    const byId = Object.fromEntries(rows.slice(1).map((row) => [row[0], row]));
    const formula = json.find((x) => x.name === '=1+1');
    assert.equal(byId[formula.id][3], "'=1+1");
    assert.equal(byId[formula.id][5], "'+39 051 998877");
    assert.equal(byId[formula.id][9], "'@SUM(A1:A2)");
    assert.equal(byId[json.find((x) => x.name === '-minus').id][3], "'-minus");
    const quoted = json.find((x) => x.name.startsWith('Dario'));
    assert.ok(r.text.includes('"Dario ""Dado"" Fo"'), 'quotes doubled inside a quoted field');
    assert.equal(byId[quoted.id][9], 'line one\nline two');
    assert.ok(r.text.includes('"Rossi, Anna"'));

    // Filters apply to the CSV too.
    const only = parseCsv((await csv(`/admin/performances/${perf.id}/reservations?format=csv&q=rossi`)).text);
    assert.equal(only.length, 2);
    assert.equal(only[1][3], 'Rossi, Anna');
  });

  test('a performance without reservations: a header-only CSV and an empty list', async () => {
    const { perf: empty } = await newPerformance();
    const r = await csv(`/admin/performances/${empty.id}/reservations?format=csv`);
    assert.equal(r.status, 200);
    assert.equal(parseCsv(r.text).length, 1);
    assert.deepEqual(await reservations(empty.id), []);
  });
});

describe('reservation status', () => {
  test('confirm and cancel; idempotent; audited without personal data', async () => {
    const { perf } = await newPerformance({ capacity: 10 });
    const email = await booked(perf.id, { name: 'Status Guest', seats: 2, phone: '333 4445556' });
    const [res] = await reservations(perf.id);
    const set = (status, id = res.id) => adm(`/admin/reservations/${id}/status`, { method: 'POST', body: { status } });

    const c = await set('confirmed');
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.reservation.status, 'confirmed');
    assert.ok(c.body.reservation.confirmed_at);
    assert.equal((await set('confirmed')).status, 200, 'confirming twice is fine');
    assert.equal(await seatsAvailable(stack, perf.id), 8);

    const x = await set('cancelled');
    assert.equal(x.status, 200, x.text);
    assert.equal(x.body.reservation.status, 'cancelled');
    assert.ok(x.body.reservation.cancelled_at);
    assert.equal(await seatsAvailable(stack, perf.id), 10, 'seats freed');
    assert.equal((await set('cancelled')).status, 200);
    const back = await set('confirmed');
    assert.equal(back.status, 409);
    assert.equal(back.body.error.code, 'cancelled');

    expectFields(await set('pending'), { status: 'invalid' });
    expectFields(await adm(`/admin/reservations/${res.id}/status`, { method: 'POST', body: {} }), { status: 'required' });
    assert.equal((await set('confirmed', 999999)).status, 404);

    const log = await audit('reservation', res.id);
    assert.deepEqual(log.map((e) => e.action), ['cancel', 'confirm']);
    assert.equal(log[1].before.status, 'pending');
    assert.equal(log[1].after.status, 'confirmed');
    assert.equal(log[0].after.status, 'cancelled');
    const text = JSON.stringify(log);
    for (const leak of [email, 'Status Guest', '333 4445556', 'token'])
      assert.ok(!text.includes(leak), `the audit log keeps no ${leak}`);
  });

  test('confirming an expired hold checks capacity like a visitor confirmation', async () => {
    const { perf } = await newPerformance({ capacity: 4, max_seats_per_reservation: 4 });
    await booked(perf.id, { name: 'Early', seats: 3 });
    const [early] = await reservations(perf.id);
    await stack.psql(`UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = ${early.id}`);
    await booked(perf.id, { name: 'Later', seats: 2 });

    const r = await adm(`/admin/reservations/${early.id}/status`, { method: 'POST', body: { status: 'confirmed' } });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.error.code, 'not_enough_seats');
    assert.equal(r.body.error.seats_available, 2);

    // The swept state behaves the same; freeing seats makes it possible.
    await stack.psql(`UPDATE reservations SET status = 'expired' WHERE id = ${early.id}`);
    const later = (await reservations(perf.id, '?q=Later'))[0];
    assert.equal((await adm(`/admin/reservations/${later.id}/status`, { method: 'POST', body: { status: 'cancelled' } })).status, 200);
    const ok = await adm(`/admin/reservations/${early.id}/status`, { method: 'POST', body: { status: 'confirmed' } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(await seatsAvailable(stack, perf.id), 1);

    // A cancelled performance confirms nothing.
    await booked(perf.id, { name: 'Last', seats: 1 });
    const last = (await reservations(perf.id, '?q=Last'))[0];
    await adm(`/admin/performances/${perf.id}/cancel`, { method: 'POST' });
    const pc = await adm(`/admin/reservations/${last.id}/status`, { method: 'POST', body: { status: 'confirmed' } });
    assert.equal(pc.status, 409);
    assert.equal(pc.body.error.code, 'performance_cancelled');
  });
});

describe('check-in undo', () => {
  test('staff admits, admin undoes: seats back, audited; cancel refused while admitted', async () => {
    const { perf } = await newPerformance();
    const email = await booked(perf.id, { name: 'Door Guest', seats: 3 });
    const [msg] = await smtp.waitFor(email, 1);
    const confirm = confirmToken(msg);
    const c = await post(stack, '/api/reservations/confirm', { token: confirm });
    assert.equal(c.status, 200, c.text);
    const staff = await login(STAFF);
    const ci = await as(staff, '/api/checkins', { method: 'POST', body: { token: c.body.ticket.url, seats: 2 } });
    assert.equal(ci.status, 201, ci.text);

    const [res] = await reservations(perf.id);
    assert.equal(res.seats_admitted, 2);
    assert.equal(res.checkins.length, 1);
    const k = res.checkins[0];
    assert.equal(k.seats, 2);
    assert.equal(k.by, 'Demo door staff');
    assert.equal(k.undone_at, null);

    const refused = await adm(`/admin/reservations/${res.id}/status`, { method: 'POST', body: { status: 'cancelled' } });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'checked_in');

    const u = await adm(`/admin/checkins/${k.id}/undo`, { method: 'POST' });
    assert.equal(u.status, 200, u.text);
    assert.equal(u.body.checkin.id, k.id);
    assert.ok(u.body.checkin.undone_at);
    assert.equal(u.body.checkin.undone_by, 'Demo admin');
    assert.equal(u.body.reservation.seats_admitted, 0);
    assert.equal((await reservations(perf.id))[0].seats_admitted, 0);

    const again = await adm(`/admin/checkins/${k.id}/undo`, { method: 'POST' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'already_undone');
    assert.equal((await adm('/admin/checkins/999999/undo', { method: 'POST' })).status, 404);

    // The whole party can come in again.
    const re = await as(staff, '/api/checkins', { method: 'POST', body: { token: c.body.ticket.url } });
    assert.equal(re.status, 201, re.text);
    assert.equal(re.body.seats_admitted, 3);

    const log = await audit('checkin', k.id);
    assert.equal(log.length, 1);
    assert.equal(log[0].action, 'undo');
    assert.equal(log[0].before.undone_at, null);
    assert.ok(log[0].after.undone_at);
    assert.equal(log[0].after.undone_by, admin.user.id);
    assert.equal(log[0].user_id, admin.user.id);
  });
});

describe('users', () => {
  test('create: the shown password signs in; reset; deactivate ends sessions', async () => {
    const email = `Staff.${process.pid}@Example.org`;
    secrets.add(email);
    const c = await adm('/admin/users', { method: 'POST', body: { email, name: 'New Door', role: 'staff' } });
    assert.equal(c.status, 201, c.text);
    const { user, password } = c.body;
    secrets.add(password);
    assert.match(password, /^[A-Za-z0-9_-]{20}$/);
    assert.equal(user.email, email);
    assert.equal(user.role, 'staff');
    assert.equal(user.active, true);
    assert.ok(!/hash|argon/i.test(c.text));

    const dup = await adm('/admin/users', { method: 'POST', body: { email: email.toLowerCase(), role: 'admin' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, 'conflict');

    const s1 = await login({ email, password });
    assert.equal(s1.user.id, user.id);

    // Reset: the old password stops working, the new one works, and the
    // sessions signed in with the old one end.
    const r = await adm(`/admin/users/${user.id}/password`, { method: 'POST' });
    assert.equal(r.status, 200, r.text);
    secrets.add(r.body.password);
    assert.notEqual(r.body.password, password);
    assert.equal((await as(s1, '/api/auth/me')).status, 401);
    assert.equal((await post(stack, '/api/auth/login', { email, password })).status, 401);
    const s2 = await login({ email, password: r.body.password });
    assert.equal((await as(s2, '/api/auth/me')).status, 200);

    // Deactivate: no login, and the live session ends at once.
    const d = await adm(`/admin/users/${user.id}/deactivate`, { method: 'POST' });
    assert.equal(d.status, 200, d.text);
    assert.equal(d.body.user.active, false);
    assert.equal((await as(s2, '/api/auth/me')).status, 401);
    const denied = await post(stack, '/api/auth/login', { email, password: r.body.password });
    assert.equal(denied.status, 401);
    assert.equal(denied.body.error.code, 'invalid_credentials');
    assert.equal(await stack.psql(`SELECT count(*) FROM sessions WHERE user_id = ${user.id}`), '0');

    const a = await adm(`/admin/users/${user.id}/activate`, { method: 'POST' });
    assert.equal(a.status, 200);
    assert.equal(a.body.user.active, true);
    await login({ email, password: r.body.password });

    const list = await adm('/admin/users');
    assert.ok(list.body.users.some((u) => u.id === user.id));
    assert.ok(!/hash|argon/i.test(list.text), 'the list never shows a hash');

    const log = await audit('user', user.id);
    assert.deepEqual(log.map((e) => e.action), ['activate', 'deactivate', 'reset_password', 'create']);
    assert.equal(log[1].before.active, true);
    assert.equal(log[1].after.active, false);
    for (const e of log) {
      assert.equal(e.user_id, admin.user.id);
      assert.ok(!('password_hash' in (e.before ?? {})) && !('password_hash' in (e.after ?? {})));
    }
  });

  test('validation, unknown users, and no deactivating oneself', async () => {
    expectFields(await adm('/admin/users', { method: 'POST', body: {} }), { email: 'required', role: 'required' });
    expectFields(await adm('/admin/users', { method: 'POST', body: { email: 'not-an-email', role: 'boss', name: 'x'.repeat(121) } }),
      { email: 'invalid', name: 'too_long', role: 'invalid' });
    assert.equal((await adm('/admin/users/999999/password', { method: 'POST' })).status, 404);
    assert.equal((await adm('/admin/users/999999/deactivate', { method: 'POST' })).status, 404);
    const self = await adm(`/admin/users/${admin.user.id}/deactivate`, { method: 'POST' });
    assert.equal(self.status, 409);
    assert.equal(self.body.error.code, 'self');
    assert.equal((await adm('/api/auth/me')).status, 200, 'still signed in');
  });
});

describe('the audit log', () => {
  test('newest first, filtered, limited; never a password hash', async () => {
    const all = await adm('/admin/audit?limit=500');
    assert.equal(all.status, 200);
    const e = all.body.entries;
    assert.ok(e.length > 20);
    // Microseconds since the epoch (Date.parse stops at milliseconds).
    const us = (t) => Date.parse(t.replace(/\.\d+/, '')) * 1000 + Number(((t.match(/\.(\d+)/) ?? [0, ''])[1]).padEnd(6, '0'));
    for (let i = 1; i < e.length; i++) {
      const [a, b] = [us(e[i - 1].at), us(e[i].at)];
      assert.ok(a > b || (a === b && e[i - 1].id > e[i].id), `newest first (${e[i - 1].id}, ${e[i].id})`);
    }
    for (const x of e) {
      assert.equal(x.user_id, admin.user.id);
      assert.equal(x.user_email, ADMIN.email);
      assert.ok(x.before !== null || x.after !== null);
    }
    const entities = new Set(e.map((x) => x.entity));
    for (const k of ['venue', 'show', 'performance', 'reservation', 'checkin', 'user']) assert.ok(entities.has(k), k);
    assert.ok(!/argon2|password_hash/.test(all.text));
    assert.equal(await stack.psql(
      "SELECT count(*) FROM audit_log WHERE before::text ~ 'argon2|password_hash' OR after::text ~ 'argon2|password_hash'"), '0');

    assert.equal((await adm('/admin/audit')).body.entries.length, Math.min(100, e.length), 'default limit 100');
    assert.equal((await adm('/admin/audit?limit=2')).body.entries.length, 2);
    assert.ok((await adm('/admin/audit?entity=user')).body.entries.every((x) => x.entity === 'user'));
    expectFields(await adm('/admin/audit?entity=secrets&entity_id=-1&limit=501'),
      { entity: 'invalid', entity_id: 'invalid', limit: 'out_of_range' });
    expectFields(await adm('/admin/audit?limit=0'), { limit: 'out_of_range' });
  });

  test('no log line of the application or nginx holds an email, a phone or a password', () => {
    const dir = join(stack.var, 'log');
    const text = readdirSync(dir).filter((f) => f !== 'postgres.log')
      .map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    assert.ok(secrets.size > 10);
    for (const s of secrets) assert.ok(!text.includes(s), `a log contains ${s}`);
    assert.ok(!text.includes('$argon2'));
  });
});
