// The door in a real browser on a phone-sized screen: a staff account made
// with `scripts/stack user add`, sign-in, the performance picker, a real
// ticket's QR shown to a fake camera (a y4m video made from the ticket's
// qr.png) → "checked in"; then typed codes for every other state, partial
// admission of a party, and the live counter.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, startStack } from '../http/stack.mjs';
import { confirmToken, startSmtp } from '../http/smtp.mjs';
import { book, makePerformance, post, visitor } from '../http/fixtures.mjs';
import { assertClean, checkPage, docShot, launch, newPage, screenshots } from './browser.mjs';
import { writeY4m } from './y4m.mjs';

let stack;
let smtp;
let browser;
let page;
let perf;
let scanned; // the ticket shown to the camera
let staff; // {email, password}
const tmp = mkdtempSync(join(tmpdir(), 'boxoffice-door-'));

/** Book and confirm through the API; returns {ticket, url, confirm}. */
async function confirmedTicket(performance, seats = 1, name = 'Door Guest') {
  const email = visitor('door');
  const r = await book(stack, performance, { name, email, seats });
  assert.equal(r.status, 201, r.text);
  const confirm = confirmToken((await smtp.waitFor(email, 1))[0]);
  const c = await post(stack, '/api/reservations/confirm', { token: confirm });
  assert.equal(c.status, 200, c.text);
  return { ticket: c.body.ticket.url.split('/t/')[1], url: c.body.ticket.url, confirm };
}

/** A staff session for API calls made "by another scanner". */
async function apiLogin(who) {
  const r = await post(stack, '/api/auth/login', who);
  assert.equal(r.status, 200, r.text);
  return { cookie: r.headers.get('set-cookie').split(';')[0], csrf: r.body.csrf_token };
}

before(async () => {
  smtp = await startSmtp();
  stack = await startStack({
    env: {
      BOXOFFICE_MAIL_BACKEND: 'smtp', BOXOFFICE_SMTP_HOST: '127.0.0.1', BOXOFFICE_SMTP_PORT: smtp.port,
      BOXOFFICE_RATE_LIMITS: 'off', BOXOFFICE_WORKERS: 2, BOXOFFICE_THREADS: 4,
    },
  });
  // Tonight's performance, the first in the door's picker.
  perf = await makePerformance(stack, { capacity: 80, max: 6, startsIn: '2 hours' });
  scanned = await confirmedTicket(perf, 2, 'Camera Guest');
  const png = Buffer.from(await (await fetch(`${stack.url}/api/tickets/${scanned.ticket}/qr.png`)).arrayBuffer());
  const video = join(tmp, 'ticket.y4m');
  writeY4m(png, video);
  browser = await launch({ video });

  const email = `door-${process.pid}@example.org`;
  const { stdout } = await stack.run('user', 'add', '--email', email, '--role', 'staff', '--name', 'Door Tester');
  const password = /password: (\S+)/.exec(stdout)?.[1];
  assert.ok(password, `user add printed a password: ${stdout}`);
  staff = { email, password };
});
afterEach(() => stack.checkSanitizers());
after(async () => {
  await browser?.close();
  await stack?.stop();
  await smtp?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const arrived = async () => Number(await page.locator('#arrived').innerText());

async function waitArrived(n) {
  await page.waitForFunction((v) => document.getElementById('arrived')?.textContent === String(v), n, { timeout: 10_000 });
}

/** Type a code, press Check; resolves the result screen's state. */
async function manual(code) {
  await page.locator('#manual-code').fill(code);
  await page.locator('#manual-submit').click();
  const screen = page.locator('#result, #party');
  await screen.waitFor();
  return (await screen.getAttribute('id')) === 'party' ? 'party' : page.locator('#result').getAttribute('data-result');
}

async function next() {
  await page.locator('#result-next').click();
  await page.locator('#manual-code').waitFor();
}

describe('the door scanner', () => {
  test('sign in on a phone and pick the performance', async () => {
    page = await newPage(browser);
    await page.goto(`${stack.url}/checkin`);
    await page.waitForURL('**/checkin/');
    await page.locator('#login-email').waitFor();
    await checkPage(page, 'door-login');

    // Wrong password: announced, nothing else happens.
    await page.locator('#login-email').fill(staff.email);
    await page.locator('#login-password').fill('not-the-password');
    await page.getByRole('button', { name: 'Entra' }).click();
    await page.locator('#login-alert').filter({ hasText: 'password errate' }).waitFor();

    await page.locator('#login-password').fill(staff.password);
    await page.getByRole('button', { name: 'Entra' }).click();
    await page.locator('#pick-title').waitFor();
    const first = page.locator('.pick__item').first();
    assert.equal(await first.getAttribute('data-perf'), String(perf), 'tonight comes first');
    await checkPage(page, 'door-picker');
    await first.click();
    await page.locator('#door-title').waitFor();
    // The counter: the camera ticket's two seats are expected, none arrived.
    await page.locator('#counter', { hasText: /0 \/ 2/ }).waitFor();
    await checkPage(page, 'door-scanner', { ready: (p) => p.locator('#counter').waitFor() });
    assertClean(page);
  });

  test('the camera reads a real ticket: checked in, and the counter moves', async () => {
    // This test looks at the result screen at length: no auto-return to
    // the camera (that has its own test below).
    await page.locator('#auto-delay').selectOption('0');
    // No BarcodeDetector in this chromium on Linux: the jsQR fallback reads it.
    await page.locator('#camera-toggle').click();
    // Two seats on the ticket: how many come in now? (all, by default)
    await page.locator('#party').waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('#party-seats').inputValue(), '2');
    await page.locator('#party-admit').filter({ hasText: 'Fai entrare 2 persone' }).click();
    await page.locator('#result').waitFor();
    assert.equal(await page.locator('#result').getAttribute('data-result'), 'checked_in');
    assert.match(await page.locator('#result-title').innerText(), /ENTRA/i);
    assert.match(await page.locator('#result').innerText(), /2 posti ammessi/);
    assert.match(await page.locator('#result').innerText(), /Camera Guest/);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'result-next');
    await checkPage(page, 'door-result-checked_in');
    docShot('door-result-checked_in', 'scanner-result');
    // Stop the camera before the same QR would be read again.
    await page.locator('#result-next').click();
    await page.locator('#camera-toggle').click();
    await page.locator('#camera-toggle').filter({ hasText: 'Avvia' }).waitFor();
    await waitArrived(2);
    assert.equal(
      (await api(stack, `/api/tickets/${scanned.ticket}`)).body.ticket.seats_admitted, 2,
      'the API recorded the admission',
    );
    assertClean(page);
  });

  test('typed codes: every other state gets its own screen', async () => {
    const other = await makePerformance(stack, { startsIn: '3 days' });
    const wrong = await confirmedTicket(other, 1);
    const cancelled = await confirmedTicket(perf, 1);
    assert.equal((await post(stack, '/api/reservations/cancel', { token: cancelled.confirm })).status, 200);
    const pending = await confirmedTicket(perf, 1);
    await stack.psql(`UPDATE reservations SET status = 'pending', confirmed_at = NULL
                      WHERE id = (SELECT max(id) FROM reservations WHERE performance_id = ${perf})`);

    // A ticket of a performance the theatre cancelled: its own screen.
    const dark = await makePerformance(stack, { startsIn: '4 days' });
    const voided = await confirmedTicket(dark, 2);
    await stack.psql(`SELECT admin_cancel_performance(${dark}, NULL, NULL, NULL)`);

    const cases = [
      ['already_checked_in', scanned.url, /GIÀ ENTRATO/i, /Door Tester/],
      ['performance_cancelled', voided.ticket, /REPLICA ANNULLATA/i, /Il teatro ha annullato questa replica/],
      ['not_confirmed', pending.ticket, /NON CONFERMATO/i, /non è stata confermata/],
      ['cancelled', cancelled.ticket, /ANNULLATO/i, /annullata/],
      ['wrong_performance', wrong.ticket, /ALTRA REPLICA/i, /La locandiera/],
      ['unknown_ticket', 'A'.repeat(43), /BIGLIETTO SCONOSCIUTO/i, /non è un nostro biglietto/],
    ];
    for (const [state, code, title, text] of cases) {
      assert.equal(await manual(code), state, `typed ${state}`);
      assert.match(await page.locator('#result-title').innerText(), title);
      assert.match(await page.locator('#result').innerText(), text);
      await checkPage(page, `door-result-${state}`);
      await next();
    }
    // The code as printed on the ticket page (groups of four) works too.
    const grouped = scanned.ticket.replace(/(.{4})(?=.)/g, '$1 ');
    assert.equal(await manual(grouped), 'already_checked_in');
    await next();
    assert.equal(await arrived(), 2, 'refusals do not move the counter');
    assertClean(page);
  });

  test('a party: part of it now, the rest later; another scanner in between', async () => {
    const party = await confirmedTicket(perf, 3, 'Party Guest');
    assert.equal(await manual(party.ticket), 'party');
    assert.equal(await page.locator('#party-seats').inputValue(), '3');
    assert.match(await page.locator('#party').innerText(), /3 posti: 0 già entrati, ne restano 3/);
    await checkPage(page, 'door-party');
    await page.locator('#party-less').click();
    assert.equal(await page.locator('#party-seats').inputValue(), '2');
    await page.locator('#party-admit').filter({ hasText: 'Fai entrare 2 persone' }).click();
    await page.locator('#result[data-result="checked_in"]').waitFor();
    assert.match(await page.locator('#result').innerText(), /2 posti ammessi/);
    assert.match(await page.locator('#result').innerText(), /Ne resta 1/);
    await next();
    await waitArrived(4);

    // The last one: no question for a single seat.
    assert.equal(await manual(party.url), 'checked_in');
    assert.match(await page.locator('#result').innerText(), /1 posto ammesso/);
    await next();
    await waitArrived(5);

    // Too many seats: another scanner admits two while this one asks.
    const big = await confirmedTicket(perf, 4, 'Big Party');
    assert.equal(await manual(big.ticket), 'party');
    const other = await apiLogin(staff);
    const r = await api(stack, '/api/checkins', {
      method: 'POST',
      headers: { cookie: other.cookie, 'x-csrf-token': other.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ token: big.ticket, seats: 2 }),
    });
    assert.equal(r.status, 201, r.text);
    await page.locator('#party-admit').click(); // still 4
    await page.locator('#result[data-result="too_many_seats"]').waitFor();
    assert.match(await page.locator('#result-title').innerText(), /TROPPI POSTI/i);
    assert.match(await page.locator('#result').innerText(), /restano solo 2 posti/);
    await checkPage(page, 'door-result-too_many_seats');
    await next();
    await waitArrived(7); // the poll shows the other scanner's two
    assertClean(page);
  });

  test('English, sign-out, and a session that ends sends back to sign-in', async () => {
    await page.locator('.lang-switch').click();
    await page.locator('#camera-toggle').filter({ hasText: 'Start the camera' }).waitFor();
    await screenshots(page, 'door-scanner-en');
    await page.locator('.lang-switch').click();
    await page.locator('#logout').click();
    await page.locator('#login-email').waitFor();
    assert.equal((await page.evaluate(() => fetch('/api/auth/me').then((r) => r.status))), 401);

    // Sign in again: the chosen performance is remembered.
    await page.locator('#login-email').fill(staff.email);
    await page.locator('#login-password').fill(staff.password);
    await page.locator('#login-password').press('Enter');
    await page.locator('#door-title').waitFor();

    await stack.psql("UPDATE sessions SET expires_at = now() - interval '1 second'");
    await page.locator('#manual-code').fill('B'.repeat(43));
    await page.locator('#manual-submit').click();
    await page.locator('#login-alert').filter({ hasText: 'sessione è scaduta' }).waitFor();
    assertClean(page);
  });
});

// ---- around the scanner (issue 14) -------------------------------------------

/** A reservation's code, name and seats as the door's guest list has them. */
async function guestOf(performance, ticket) {
  const t = (await api(stack, `/api/tickets/${ticket}`)).body.ticket;
  return t.code;
}

/** A signed-in scanner page of its own (another phone) on performance p. */
async function phone(context, p) {
  const pg = await newPage(context);
  await pg.goto(`${stack.url}/checkin/`);
  await pg.locator('#login-email').fill(staff.email);
  await pg.locator('#login-password').fill(staff.password);
  await pg.locator('#login-password').press('Enter');
  await pg.locator(`.pick__item[data-perf="${p}"]`).click();
  await pg.locator('#door-title').waitFor();
  return pg;
}

/** Type a code on page pg; resolves the screen reached. */
async function typed(pg, code) {
  await pg.locator('#manual-code').fill(code);
  await pg.locator('#manual-submit').click();
  const screen = pg.locator('#result, #party');
  await screen.waitFor();
  return (await screen.getAttribute('id')) === 'party' ? 'party' : pg.locator('#result').getAttribute('data-result');
}

/** The guest list has reservation `code` (the stored copy is fresh). */
async function listHas(pg, code) {
  await pg.locator('#tab-list').click();
  await pg.locator(`.guest[data-code="${code}"]`).waitFor({ timeout: 15_000 });
  await pg.locator('#tab-scan').click();
}

/** Cut the API off (every /api/ request fails as with no network). */
const cutOff = (pg) => pg.route('**/api/**', (route) => route.abort('internetdisconnected'));

describe('around the scanner: list, codes, walk-ins, offline', () => {
  let context;
  let fresh; // the ticket this browser's camera shows

  before(async () => {
    fresh = await confirmedTicket(perf, 1, 'Auto Return');
    const png = Buffer.from(await (await fetch(`${stack.url}/api/tickets/${fresh.ticket}/qr.png`)).arrayBuffer());
    const video = join(tmp, 'fresh.y4m');
    writeY4m(png, video);
    context = await launch({ video });
  });
  after(async () => {
    await context?.close();
  });

  test('search the guest list by name, admit, see the notes, undo with confirmation', async () => {
    const email = visitor('lista');
    const r = await book(stack, perf, { name: 'Maria Lista', email, seats: 1, notes: 'sedia a rotelle, prima fila' });
    assert.equal(r.status, 201, r.text);
    const confirm = confirmToken((await smtp.waitFor(email, 1))[0]);
    const c = await post(stack, '/api/reservations/confirm', { token: confirm });
    const ticket = c.body.ticket.url.split('/t/')[1];
    page = await phone(context, perf);
    await page.locator('#tab-list').click();
    await page.locator('#guest-search').pressSequentially('list');
    const row = page.locator('.guest', { hasText: 'Maria Lista' });
    await row.waitFor();
    assert.equal(await page.locator('.guest').count(), 1, 'search as you type keeps one');
    assert.match(await row.innerText(), /sedia a rotelle/);
    await checkPage(page, 'door-guest-list', { ready: (p) => p.locator('#guest-list').waitFor() });
    docShot('door-guest-list', 'door-list');
    await row.locator('.guest__admit').click();
    await page.locator('#result[data-result="checked_in"]').waitFor();
    assert.match(await page.locator('#result-notes').innerText(), /sedia a rotelle/);
    // Undo asks first, saying what happens; "no" keeps the admission.
    page.once('dialog', (d) => { assert.match(d.message(), /Maria Lista/); d.dismiss(); });
    await page.locator('#undo').click();
    assert.equal((await api(stack, `/api/tickets/${ticket}`)).body.ticket.seats_admitted, 1);
    page.once('dialog', (d) => d.accept());
    await page.locator('#undo').click();
    await page.locator('#door-notice', { hasText: 'Ingresso annullato' }).waitFor();
    assert.equal((await api(stack, `/api/tickets/${ticket}`)).body.ticket.seats_admitted, 0);
    assertClean(page);
  });

  test('the short code typed in lower case with a space', async () => {
    const t = await confirmedTicket(perf, 1, 'Codice Minuscolo');
    const code = await guestOf(perf, t.ticket);
    await page.locator('#tab-scan').click();
    assert.equal(await typed(page, `${code.slice(0, 3).toLowerCase()} ${code.slice(3).toLowerCase()}`), 'checked_in');
    assert.match(await page.locator('#result').innerText(), /Codice Minuscolo/);
    await page.locator('#result-next').click();
    assertClean(page);
  });

  test('a scan answered 503 busy is sent again by itself: admitted once, no error', async () => {
    const t = await confirmedTicket(perf, 1, 'Busy Server');
    const code = await guestOf(perf, t.ticket);
    let refused = 0;
    await page.route('**/api/checkins', (route) => {
      if (refused >= 2) return route.continue();
      refused++;
      return route.fulfill({ status: 503, contentType: 'application/json', headers: { 'Retry-After': '1' },
        body: JSON.stringify({ error: { code: 'busy', message: 'too many requests at once' } }) });
    });
    try {
      await page.locator('#tab-scan').click();
      assert.equal(await typed(page, code), 'checked_in');
      assert.equal(refused, 2, 'two busy answers, then the real one');
      assert.equal(await page.locator('#offline-banner').count(), 0, 'busy is not offline');
      assert.equal((await api(stack, `/api/tickets/${t.ticket}`)).body.ticket.seats_admitted, 1);
    } finally {
      await page.unroute('**/api/checkins');
    }
    await page.locator('#result-next').click();
    // The browser logs each refused load: exactly the two we injected.
    const busy = page.problems.filter((p) => /status of 503/.test(p));
    assert.equal(busy.length, 2);
    page.problems = page.problems.filter((p) => !/status of 503/.test(p));
    assertClean(page);
  });

  test('a walk-in sold and admitted at the door', async () => {
    await page.locator('#tab-walkin').click();
    const free = Number(await page.locator('#count-free').innerText());
    await page.locator('#walkin-seats').fill('2');
    await page.locator('#walkin-name').fill('Alla Porta');
    await checkPage(page, 'door-walkin', { ready: (p) => p.locator('#walkin-form').waitFor(), bothLangs: false });
    await page.locator('#walkin-submit').click();
    await page.locator('#result[data-result="walk_in"]').waitFor();
    assert.match(await page.locator('#result').innerText(), /2 posti venduti alla porta/);
    await page.locator('#result-next').click();
    await page.locator('#count-free', { hasText: String(free - 2) }).waitFor();
    const g = await api(stack, `/api/performances/${perf}/guests?q=${encodeURIComponent('Alla Porta')}`, {
      headers: { cookie: (await apiLogin(staff)).cookie },
    });
    assert.equal(g.body.guests[0].source, 'door');
    assert.equal(g.body.guests[0].seats_admitted, 2);
    assertClean(page);
  });

  test('a green result returns to the camera by itself; the camera keeps running', async () => {
    await page.locator('#tab-scan').click();
    await page.locator('#auto-delay').selectOption('1');
    await page.locator('#camera-toggle').click();
    await page.locator('#result[data-result="checked_in"]').waitFor({ timeout: 15_000 });
    assert.match(await page.locator('#result').innerText(), /Auto Return/);
    // No tap: back to the viewfinder, the camera still on.
    await page.locator('#camera-toggle').filter({ hasText: 'Ferma' }).waitFor({ timeout: 5_000 });
    assert.equal(await page.evaluate(() => Boolean(document.querySelector('video')?.srcObject?.active)), true);
    await page.locator('#camera-toggle').click();
    await page.locator('#camera-toggle').filter({ hasText: 'Avvia' }).waitFor();
    assert.equal((await api(stack, `/api/tickets/${fresh.ticket}`)).body.ticket.seats_admitted, 1);
  });

  test('offline: the API cut off, two tickets admitted on the phone, sent once when it is back', async () => {
    const a = await confirmedTicket(perf, 1, 'Offline Uno');
    const b = await confirmedTicket(perf, 1, 'Offline Due');
    const codeB = await guestOf(perf, b.ticket);
    await page.reload();
    await page.locator('#door-title').waitFor();
    await listHas(page, codeB);
    await cutOff(page);
    assert.equal(await typed(page, a.ticket), 'checked_in');
    assert.equal(await page.locator('#result').getAttribute('data-offline'), 'true');
    await page.locator('#result-next').click();
    assert.equal(await typed(page, codeB.toLowerCase()), 'checked_in');
    await page.locator('#result-next').click();
    await page.locator('#offline-banner', { hasText: /offline/i }).waitFor();
    assert.match(await page.locator('#offline-banner').innerText(), /2 da inviare/);
    await screenshots(page, 'door-offline');
    docShot('door-offline', 'door-offline');
    // Nothing reached the server yet.
    assert.equal((await api(stack, `/api/tickets/${a.ticket}`)).body.ticket.seats_admitted, 0);
    await page.unroute('**/api/**');
    await page.locator('#door-notice', { hasText: 'Di nuovo in linea' }).waitFor({ timeout: 15_000 });
    assert.equal((await api(stack, `/api/tickets/${a.ticket}`)).body.ticket.seats_admitted, 1);
    assert.equal((await api(stack, `/api/tickets/${b.ticket}`)).body.ticket.seats_admitted, 1);
    for (const t of [a, b]) {
      const id = await stack.psql(`SELECT count(*) FROM checkins c JOIN reservations r ON r.id = c.reservation_id
                                    WHERE r.performance_id = ${perf} AND r.name = '${t === a ? 'Offline Uno' : 'Offline Due'}'`);
      assert.equal(id, '1', 'admitted once');
    }
    // The stored list holds hashes, never a token.
    const stored = await page.evaluate(() => new Promise((resolve) => {
      const req = indexedDB.open('bo-door');
      req.onsuccess = () => {
        const tx = req.result.transaction(['lists', 'queue']);
        const all = [];
        tx.objectStore('lists').getAll().onsuccess = (e) => all.push(...e.target.result);
        tx.objectStore('queue').getAll().onsuccess = (e) => all.push(...e.target.result);
        tx.oncomplete = () => resolve(JSON.stringify(all));
      };
    }));
    assert.ok(!stored.includes(a.ticket) && !stored.includes(b.ticket), 'no ticket token on the phone');
    assert.ok(stored.includes('ticket_hash'));
  });

  test('two offline scanners admit the same 2-seat ticket: reconciled, the excess shown on both', async () => {
    const pair = await confirmedTicket(perf, 2, 'Coppia Doppia');
    const code = await guestOf(perf, pair.ticket);
    const other = await launch();
    try {
      const one = page;
      await one.reload();
      await one.locator('#door-title').waitFor();
      const two = await phone(other, perf);
      await listHas(one, code);
      await listHas(two, code);
      await cutOff(one);
      await cutOff(two);
      for (const pg of [one, two]) {
        assert.equal(await typed(pg, pair.ticket), 'party');
        await pg.locator('#party-admit').click();
        await pg.locator('#result[data-result="checked_in"][data-offline="true"]').waitFor();
        await pg.locator('#result-next').click();
      }
      await one.unroute('**/api/**');
      await one.locator('#door-notice', { hasText: 'Di nuovo in linea' }).waitFor({ timeout: 15_000 });
      await two.unroute('**/api/**');
      await two.locator('#door-notice', { hasText: 'Di nuovo in linea' }).waitFor({ timeout: 15_000 });
      assert.equal((await api(stack, `/api/tickets/${pair.ticket}`)).body.ticket.seats_admitted, 2, 'never more than the ticket');
      for (const pg of [two, one])
        await pg.locator('#excess', { hasText: /Coppia Doppia: ammessi due volte offline, 2 in più/ }).waitFor({ timeout: 15_000 });
    } finally {
      await other.close();
    }
  });
});
