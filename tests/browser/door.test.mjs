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
