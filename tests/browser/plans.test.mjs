// A way back, in a real browser at phone size (issue 12): "check your
// email" survives a reload and sends the link again; "send me my
// bookings" from the footer; the reminder's "I can't come" frees the
// seats in one click. axe in both languages on every new state.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../http/stack.mjs';
import { confirmToken, startSmtp } from '../http/smtp.mjs';
import { book, makePerformance, post, seatsAvailable, visitor } from '../http/fixtures.mjs';
import { assertClean, checkPage, launch, newPage } from './browser.mjs';

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
        BOXOFFICE_SWEEP_SECONDS: 1, BOXOFFICE_REMINDER_HOURS: 24,
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

const h1 = (page) => page.locator('h1');

describe('a way back', () => {
  test('"check your email" survives a reload and sends the same link again', async () => {
    const perf = await makePerformance(stack, { capacity: 10, startsIn: '8 days' });
    const email = visitor('reload');
    const page = await newPage(browser);
    await page.goto(`${stack.url}/book/${perf}`);
    await h1(page).filter({ hasText: 'Prenota i tuoi posti' }).waitFor();
    await page.getByLabel('Nome e cognome').fill('Rita Reload');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Prenota' }).click();
    await h1(page).filter({ hasText: 'Controlla la tua email' }).waitFor();
    const [first] = await smtp.waitFor(email, 1);

    await page.reload();
    await h1(page).filter({ hasText: 'Controlla la tua email' }).waitFor();
    assert.ok((await page.locator('main').innerText()).includes(email), 'the address is still shown');
    assert.equal(await page.locator('form').count(), 0, 'not an empty form');

    await page.locator('#resend-link').click();
    await page.locator('#resend-status').filter({ hasText: 'inviato di nuovo il link' }).waitFor();
    const [, again] = await smtp.waitFor(email, 2);
    assert.equal(confirmToken(again), confirmToken(first), 'the same link');
    await checkPage(page, 'sent-resent', { shots: false, bothLangs: false });
    assertClean(page);
    await page.close();
  });

  test('send me my bookings: from the footer, one message with the links, the same answer for any address', async () => {
    const perf = await makePerformance(stack, { capacity: 10, startsIn: '8 days' });
    const email = visitor('lookup');
    assert.equal((await book(stack, perf, { name: 'Lia Lookup', email, seats: 2, locale: 'en' })).status, 201);
    const token = confirmToken((await smtp.waitFor(email, 1))[0]);
    const c = await post(stack, '/api/reservations/confirm', { token });
    assert.equal(c.status, 200);
    await smtp.waitFor(email, 2);

    const page = await newPage(browser);
    await page.goto(`${stack.url}/`);
    await page.locator('#lookup-link').click();
    await h1(page).filter({ hasText: 'Le mie prenotazioni' }).waitFor();
    await checkPage(page, 'lookup-form', { shots: false });
    await page.locator('#lookup-email').fill(email);
    await page.locator('#lookup-send').click();
    await h1(page).filter({ hasText: 'Le mie prenotazioni' }).waitFor();
    await page.locator('main').filter({ hasText: 'ti abbiamo scritto' }).waitFor();
    const text = await page.locator('main').innerText();
    const [, , list] = await smtp.waitFor(email, 3);
    assert.equal(list.parsed.subject, 'Le tue prenotazioni');
    assert.ok(list.parsed.text.includes(c.body.ticket.url), 'the ticket link');

    // Someone else's address: the same words on screen.
    await page.goto(`${stack.url}/my-bookings`);
    await page.locator('#lookup-email').fill(visitor('nobody'));
    await page.locator('#lookup-send').click();
    await page.locator('main').filter({ hasText: 'ti abbiamo scritto' }).waitFor();
    assert.equal((await page.locator('main').innerText()).replace(/\S+@\S+/, ''), text.replace(/\S+@\S+/, ''));
    assertClean(page);
    await page.close();
  });

  test('the reminder\'s "I can\'t come": one click on the page frees the seats', async () => {
    const perf = await makePerformance(stack, { capacity: 10, startsIn: '5 hours' });
    const email = visitor('cantcome');
    assert.equal((await book(stack, perf, { name: 'Ugo Busy', email, seats: 3 })).status, 201);
    const token = confirmToken((await smtp.waitFor(email, 1))[0]);
    assert.equal((await post(stack, '/api/reservations/confirm', { token })).status, 200);
    const [, , reminder] = await smtp.waitFor(email, 3);
    assert.match(reminder.parsed.subject, /^Promemoria: /);
    const link = /(http\S+\/confirm\?cant-come#[A-Za-z0-9_-]{43})/.exec(reminder.parsed.text)[1];
    assert.equal(await seatsAvailable(stack, perf), 7);

    const page = await newPage(browser);
    await page.goto(link);
    await page.locator('#cancel-yes').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'cancel-yes', 'the question is where the page opens');
    await checkPage(page, 'cant-come', { shots: false, bothLangs: false });
    await page.locator('#cancel-yes').click();
    await h1(page).filter({ hasText: /annullata/i }).waitFor();
    assert.equal(await seatsAvailable(stack, perf), 10, 'the seats are free at once');
    assertClean(page);
    await page.close();
  });
});
