// The waiting list in a real browser, at phone size: a sold-out show page
// offers the list → join (party of 3, or at least 2) → the email's link →
// the place in line → seats come back → the offer email → one click →
// the ticket on screen. axe-core in both languages on each state.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../http/stack.mjs';
import { confirmToken, startSmtp } from '../http/smtp.mjs';
import { book, makePerformance, post, visitor } from '../http/fixtures.mjs';
import { DESKTOP, checkPage, launch, newPage } from './browser.mjs';

let stack;
let smtp;
let browser;

before(async () => {
  smtp = await startSmtp();
  [stack, browser] = await Promise.all([
    startStack({
      env: {
        BOXOFFICE_MAIL_BACKEND: 'smtp', BOXOFFICE_SMTP_HOST: '127.0.0.1', BOXOFFICE_SMTP_PORT: smtp.port,
        BOXOFFICE_MAIL_RETRY_SECONDS: 1, BOXOFFICE_RATE_LIMITS: 'off', BOXOFFICE_WORKERS: 2, BOXOFFICE_THREADS: 4,
      },
    }),
    launch(),
  ]);
});
afterEach(() => stack.checkSanitizers());
after(async () => {
  await browser?.close();
  await stack?.stop();
  await smtp?.stop();
});

const link = (message, path) => {
  const m = new RegExp(`(https?://[^\\s]+/${path}#[A-Za-z0-9_-]{43})`).exec(message.parsed.text ?? '');
  assert.ok(m, `a /${path}# link in the message`);
  return m[1];
};

async function confirmedBooking(perf, seats) {
  const email = visitor('wbb');
  const r = await book(stack, perf, { name: 'Ada Rossi', email, seats });
  assert.equal(r.status, 201, r.text);
  const token = confirmToken((await smtp.waitFor(email, 1))[0]);
  assert.equal((await post(stack, '/api/reservations/confirm', { token })).status, 200);
  return token;
}

describe('the waiting list', () => {
  test('sold out → join → confirm → position → offer mail → accept → ticket', async () => {
    const perf = await makePerformance(stack, { capacity: 4, max: 4, startsIn: '8 days' });
    const given = await confirmedBooking(perf, 4);
    const page = await newPage(browser);

    // The show page: sold out, and the waiting list instead of "book".
    await page.goto(`${stack.url}/shows/la-locandiera`);
    const item = page.locator(`#perf-${perf}`);
    await item.waitFor();
    assert.match(await item.locator('.badge').innerText(), /Esaurito/);
    await item.getByRole('link', { name: /Lista d.attesa/ }).click();
    await page.waitForURL(`**/waitlist/${perf}`);
    await page.locator('h1').filter({ hasText: /lista d.attesa/i }).waitFor();
    assert.match(await page.locator('.wl-rules').innerText(), /Cosa succede quando torna un posto/);
    await checkPage(page, 'waitlist-join');

    // Join: 3 of us, or at least 2.
    const email = visitor('wlb');
    await page.locator('#f-name').fill('Bea Verdi');
    await page.locator('#f-email').fill(email);
    await page.locator('#f-seats').selectOption('3');
    await page.locator('#f-min_seats').selectOption('2');
    await page.locator('#wl-submit').click();
    await page.locator('h1').filter({ hasText: 'Controlla la tua email' }).waitFor();
    await checkPage(page, 'waitlist-sent');

    // The confirmation email's link: in line, first.
    const [confirmMail] = await smtp.waitFor(email, 1);
    await page.goto(link(confirmMail, 'waitlist'));
    await page.locator('#wl-position').waitFor();
    assert.match(await page.locator('#wl-position').innerText(), /1°/);
    assert.match(await page.locator('#wl-party').innerText(), /3 posti \(o almeno 2\)/);
    await checkPage(page, 'waitlist-position', { ready: (p) => p.locator('#wl-position').waitFor() });

    // Two seats come back (the party gives back 2 of its 4): the offer.
    const r = await post(stack, '/api/reservations/seats', { token: given, seats: 2 });
    assert.equal(r.status, 200, r.text);
    const [, offerMail] = await smtp.waitFor(email, 2);
    assert.match(offerMail.parsed.text, /2 posti/);
    await page.locator('#wl-refresh').click();
    await page.locator('#wl-offer').waitFor();

    // One click: the ticket.
    await page.goto(link(offerMail, 'offer'));
    await page.locator('#ticket-title').waitFor();
    assert.match(await page.locator('#ticket-title').innerText(), /I posti sono tuoi/);
    await page.locator('img.qr').waitFor();
    await checkPage(page, 'waitlist-accepted', { ready: (p) => p.locator('#ticket-title').waitFor() });
    const [, , ticketMail] = await smtp.waitFor(email, 3);
    assert.match(ticketMail.parsed.subject, /biglietto/i);
    await page.locator('#open-ticket').click();
    await page.waitForURL('**/t/**');
    await page.locator('h1').first().waitFor();
    await page.close();

    // The admin sees the list on the performance's page: accepted, and
    // a second party waiting, which the admin offers to by hand.
    const email2 = visitor('wlb2');
    const j = await post(stack, `/api/performances/${perf}/waitlist`, { name: 'Carlo Neri', email: email2, seats: 2 });
    assert.equal(j.status, 201, j.text);
    assert.equal((await post(stack, '/api/waitlist/confirm', { token: link((await smtp.waitFor(email2, 1))[0], 'waitlist').split('#')[1] })).status, 200);
    const adm = await newPage(browser, { viewport: DESKTOP });
    await adm.goto(`${stack.url}/manage/performances/${perf}`);
    await adm.locator('#login-email').fill(stack.demo.admin.email);
    await adm.locator('#login-password').fill(stack.demo.admin.password);
    await adm.locator('#login-password').press('Enter');
    await adm.locator('#waitlist tbody tr').first().waitFor();
    const rows = await adm.locator('#waitlist tbody tr').allInnerTexts();
    assert.equal(rows.length, 2);
    assert.match(rows[0], /Carlo Neri[\s\S]*In attesa/);
    assert.match(rows[1], /Bea Verdi[\s\S]*Accettata/);
    await checkPage(adm, 'waitlist-admin', { ready: (p) => p.locator('#waitlist tbody tr').first().waitFor(), bothLangs: false });
    await adm.locator('#waitlist tbody tr').first().getByRole('button', { name: /Offri/ }).click();
    await adm.locator('.notice, [role="alert"], [role="status"]').filter({ hasText: /posti liberi|Offerta/ }).first().waitFor();
    await adm.close();
  });

  test('leaving from the link, after a question', async () => {
    const perf = await makePerformance(stack, { capacity: 2, max: 2, startsIn: '8 days' });
    await confirmedBooking(perf, 2);
    const email = visitor('wll');
    const j = await post(stack, `/api/performances/${perf}/waitlist`, { name: 'Dora Blu', email, seats: 2, locale: 'en' });
    assert.equal(j.status, 201, j.text);
    const page = await newPage(browser);
    await page.goto(link((await smtp.waitFor(email, 1))[0], 'waitlist'));
    await page.locator('#wl-position').waitFor();
    assert.match(await page.locator('#wl-position').innerText(), /number 1 in line|1° in fila/);
    await page.locator('#wl-leave').click();
    await page.locator('#wl-leave-no').waitFor();
    await checkPage(page, 'waitlist-leave-ask', { ready: (p) => p.locator('#wl-leave-no').waitFor(), shots: false });
    await page.locator('#wl-leave-yes').click();
    await page.locator('h1').filter({ hasText: /You left the waiting list|Hai lasciato la lista/ }).waitFor();
    const state = await stack.psql(`SELECT state FROM waitlist_entries WHERE lower(email) = lower('${email}')`);
    assert.equal(state, 'left');
    await page.close();
  });
});
