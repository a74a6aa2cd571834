// The visitor in a real browser: programme → show → booking form (client
// and API validation) → "check your email" → the link from the real email →
// confirmed, QR on screen (decoded from a screenshot), calendar file,
// ticket page → cancel. Then the friendly pages for bad and expired links.
// Every state: axe-core in Italian and English, screenshots phone + desktop.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { ROOT, api, startStack } from '../http/stack.mjs';
import { confirmToken, startSmtp } from '../http/smtp.mjs';
import { book, makePerformance, post, seatsAvailable, visitor } from '../http/fixtures.mjs';
import { assertClean, checkPage, docShot, launch, newPage, switchLang } from './browser.mjs';

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

/** Decode the QR code in a PNG screenshot. */
function decodeQr(png) {
  const img = PNG.sync.read(png);
  const code = jsQR(new Uint8ClampedArray(img.data), img.width, img.height);
  assert.ok(code, 'the screenshot holds a readable QR code');
  return code.data;
}

const h1 = (page) => page.locator('h1');

describe('the visitor flow', () => {
  test('programme → show → book → email → confirm → QR → calendar → ticket → cancel', async () => {
    const perf = await makePerformance(stack, { capacity: 40, max: 4, startsIn: '9 days' });
    const seatsBefore = await seatsAvailable(stack, perf);
    const page = await newPage(browser);

    // Home: the company and the programme.
    await page.goto(`${stack.url}/`);
    await assert.doesNotReject(h1(page).filter({ hasText: 'Compagnia del Ponte' }).waitFor());
    await page.locator('.show-card').first().waitFor();
    await checkPage(page, 'home');
    docShot('home', 'home');

    // The show, with its performances and their availability.
    await page.getByRole('link', { name: 'La locandiera', exact: true }).click();
    await page.waitForURL('**/shows/la-locandiera');
    await h1(page).filter({ hasText: 'La locandiera' }).waitFor();
    const item = page.locator(`#perf-${perf}`);
    await item.waitFor();
    assert.match(await item.locator('.badge').innerText(), /Disponibile/);
    assert.match(await item.innerText(), /40 posti disponibili/);
    await checkPage(page, 'show');
    docShot('show', 'show');

    // The booking form.
    await item.getByRole('link', { name: /Prenota/ }).click();
    await page.waitForURL(`**/book/${perf}`);
    await h1(page).filter({ hasText: 'Prenota i tuoi posti' }).waitFor();
    await checkPage(page, 'book-form');
    docShot('book-form', 'booking-form');

    // Empty submission: the browser's own checks, announced and focused.
    await page.getByRole('button', { name: 'Prenota' }).click();
    const alertBox = page.locator('#form-alert');
    await alertBox.filter({ hasText: 'Ci sono 2 errori' }).waitFor();
    assert.equal(await alertBox.getAttribute('role'), 'alert');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'form-alert');
    assert.equal(await page.locator('#f-name').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#f-name-err').innerText(), /Campo obbligatorio/);
    await checkPage(page, 'book-errors-client', { shots: false });

    // Fields only the API rejects: its 422 `fields` appear the same way.
    const email = visitor('browser');
    await page.getByLabel('Nome e cognome').fill('Anna Rossi');
    await page.getByLabel('Email').fill('anna@localhost');
    await page.getByLabel('Telefono (facoltativo)').fill('call me');
    const [r422] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/api/performances/${perf}/reservations`)),
      page.getByRole('button', { name: 'Prenota' }).click(),
    ]);
    assert.equal(r422.status(), 422);
    assert.deepEqual(Object.keys((await r422.json()).error.fields).sort(), ['email', 'phone']);
    await alertBox.filter({ hasText: 'Ci sono 2 errori' }).waitFor();
    assert.equal(await page.locator('#f-email').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#f-phone').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#f-name').getAttribute('aria-invalid'), null);
    assert.match(await page.locator('#f-email-err').innerText(), /Indirizzo email non valido/);
    assert.match(await page.locator('#f-phone-err').innerText(), /cifre/);
    assert.match(await page.locator('#f-email').getAttribute('aria-describedby'), /f-email-err/);
    await checkPage(page, 'book-errors-server');
    // The error is in the other language too (re-rendered from state).
    await switchLang(page, 'en');
    assert.match(await page.locator('#f-email-err').innerText(), /Not a valid email address/);
    await switchLang(page, 'it');

    // A good booking: "check your email".
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Telefono (facoltativo)').fill('+39 051 123456');
    await page.getByLabel('Posti', { exact: true }).selectOption('2');
    await page.getByLabel('Note (facoltativo)').fill('Vicino al corridoio, grazie.');
    await page.getByRole('button', { name: 'Prenota' }).click();
    await h1(page).filter({ hasText: 'Controlla la tua email' }).waitFor();
    assert.match(await page.locator('main').innerText(), new RegExp(email.replace(/[.]/g, '\\.')));
    assert.match(await page.locator('main').innerText(), /2 posti/);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'message-title');
    await checkPage(page, 'check-email');
    docShot('check-email', 'check-email');
    assert.equal(await seatsAvailable(stack, perf), seatsBefore - 2);
    // A step still to do, not a success; and it survives a reload.
    assert.equal(await page.locator('.message--ok').count(), 0, 'no green tick before anything is booked');
    assert.match(await page.locator('main').innerText(), /Non è ancora prenotato/);
    assert.match(await page.locator('main').innerText(), /fino alle \d{1,2}[:.]\d{2}/);
    await page.reload();
    await h1(page).filter({ hasText: 'Controlla la tua email' }).waitFor();
    assert.match(await page.locator('main').innerText(), new RegExp(email.replace(/[.]/g, '\\.')));
    assert.equal(await page.locator('#f-email').count(), 0, 'not an empty form after a reload');

    // The real email, in Italian (the page's language), with the link.
    const [msg] = await smtp.waitFor(email, 1);
    assert.match(msg.parsed.subject, /^Conferma la prenotazione/);
    const token = confirmToken(msg);
    const link = `${stack.url}/confirm#${token}`;
    assert.ok(msg.parsed.text.includes(link), 'the email links to /confirm#<token> on this site');

    // Open the link: confirmed, with the QR big and readable.
    await page.goto(link);
    await h1(page).filter({ hasText: 'Prenotazione confermata' }).waitFor();
    assert.match(await page.locator('main').innerText(), /Grazie, Anna Rossi!/);
    const ticketUrl = await page.getByRole('link', { name: 'Apri il biglietto' }).getAttribute('href');
    assert.match(ticketUrl, new RegExp(`^${stack.url}/t/[A-Za-z0-9_-]{43}$`));
    const qr = page.locator('img.qr');
    await qr.waitFor();
    await page.waitForFunction(() => document.querySelector('img.qr')?.complete);
    const box = await qr.boundingBox();
    assert.ok(box.width >= 280 && box.height >= 280, `QR is ${box.width}x${box.height} CSS px on a phone`);
    assert.equal(decodeQr(await qr.screenshot()), ticketUrl, 'the QR on the page is the ticket URL');
    assert.equal(await qr.getAttribute('alt'), 'Codice QR del biglietto');

    // Add to calendar: a real .ics download.
    const cal = page.locator('#add-to-calendar');
    assert.match(await cal.getAttribute('download'), /\.ics$/);
    const [download] = await Promise.all([page.waitForEvent('download'), cal.click()]);
    const ics = readFileSync(await download.path(), 'utf8');
    assert.match(ics, /^BEGIN:VCALENDAR\r\n/);
    assert.match(ics, /SUMMARY:La locandiera\r\n/);
    assert.match(ics, /DTSTART;TZID=Europe\/Rome:\d{8}T\d{6}\r\n/);
    assert.ok(ics.replace(/\r\n /g, '').includes(`URL:${ticketUrl}`));
    await checkPage(page, 'confirmed');
    docShot('confirmed', 'confirmation');

    // Opening the link again shows the same ticket (confirm is idempotent).
    await page.reload();
    await h1(page).filter({ hasText: 'Prenotazione confermata' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Apri il biglietto' }).getAttribute('href'), ticketUrl);

    // The ticket page the QR opens: no personal data, QR again.
    const tpage = await newPage(browser);
    await tpage.goto(ticketUrl);
    await h1(tpage).filter({ hasText: 'La locandiera' }).waitFor();
    assert.match(await tpage.locator('.ticket__status').innerText(), /Valido/);
    assert.match(await tpage.locator('.details').innerText(), /2 posti/);
    assert.ok(!(await tpage.content()).includes('Anna'), 'no name on the ticket page');
    await tpage.waitForFunction(() => document.querySelector('img.qr')?.complete);
    assert.equal(decodeQr(await tpage.locator('img.qr').screenshot()), ticketUrl);
    await checkPage(tpage, 'ticket');
    docShot('ticket', 'ticket');

    // Cancel, with a second step that can be backed out of.
    await page.getByRole('button', { name: 'Annulla la prenotazione' }).click();
    await page.locator('#cancel-no').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'cancel-no');
    await checkPage(page, 'cancel-ask', { shots: false });
    await page.getByRole('button', { name: 'No, tienila' }).click();
    await page.getByRole('button', { name: 'Annulla la prenotazione' }).click();
    await page.getByRole('button', { name: 'Sì, annulla' }).click();
    await h1(page).filter({ hasText: 'Prenotazione annullata' }).waitFor();
    assert.equal(await seatsAvailable(stack, perf), seatsBefore);
    await checkPage(page, 'cancelled');

    // The link and the ticket now say cancelled.
    await page.reload();
    await h1(page).filter({ hasText: 'Prenotazione annullata' }).waitFor();
    await tpage.reload();
    await tpage.locator('.ticket__status').filter({ hasText: 'Annullato' }).waitFor();
    assert.equal(await tpage.locator('img.qr').count(), 0, 'no QR on a cancelled ticket');
    await checkPage(tpage, 'ticket-cancelled');
    assertClean(page);
    assertClean(tpage);
    await page.close();
    await tpage.close();
  });

  test('manage my booking: give back 2 of 4 seats and see them free; the ticket again by email', async () => {
    const perf = await makePerformance(stack, { capacity: 12, startsIn: '7 days' });
    const email = visitor('party');
    assert.equal((await book(stack, perf, { name: 'Carla Verdi', email, seats: 4 })).status, 201);
    const token = confirmToken((await smtp.waitFor(email, 1))[0]);
    const page = await newPage(browser);
    await page.goto(`${stack.url}/confirm#${token}`);
    await h1(page).filter({ hasText: 'Prenotazione confermata' }).waitFor();
    await smtp.waitFor(email, 2);
    assert.equal(await seatsAvailable(stack, perf), 8);
    assert.match(await page.locator('.details').innerText(), /4 posti/);

    await page.locator('#seats-select').selectOption('2');
    await page.locator('#seats-button').click();
    await page.locator('#manage-status').filter({ hasText: 'ora la prenotazione è per 2 posti' }).waitFor();
    assert.match(await page.locator('.details').innerText(), /2 posti/);
    assert.equal(await seatsAvailable(stack, perf), 10, 'the two seats are free at once');
    await checkPage(page, 'manage-gave-back');

    await page.locator('#resend-button').click();
    await page.locator('#manage-status').filter({ hasText: 'inviato di nuovo il biglietto' }).waitFor();
    const mails = await smtp.waitFor(email, 3);
    assert.match(mails[2].parsed.subject, /^Il tuo biglietto/);
    assertClean(page);
    await page.close();
  });

  test('the booking form warns about a likely typo in the email domain, without blocking', async () => {
    const perf = await makePerformance(stack, { capacity: 10, startsIn: '8 days' });
    const page = await newPage(browser);
    await page.goto(`${stack.url}/book/${perf}`);
    await h1(page).filter({ hasText: 'Prenota i tuoi posti' }).waitFor();
    await page.getByLabel('Nome e cognome').fill('Dario Fo');
    await page.getByLabel('Email').fill('dario@gmial.com');
    await page.getByLabel('Nome e cognome').focus();
    await page.locator('#email-typo').filter({ hasText: 'Forse intendevi dario@gmail.com?' }).waitFor();
    await checkPage(page, 'book-email-typo', { shots: false });
    await page.locator('#email-typo-fix').click();
    assert.equal(await page.locator('#f-email').inputValue(), 'dario@gmail.com');
    assert.equal((await page.locator('#email-typo').innerText()).trim(), '');
    await page.getByLabel('Email').fill('dario@hotmial.it');
    await page.getByLabel('Nome e cognome').focus();
    await page.locator('#email-typo').filter({ hasText: 'dario@hotmail.it' }).waitFor();
    await page.getByLabel('Email').fill('dario@teatro');
    await page.getByLabel('Nome e cognome').focus();
    await page.locator('#email-typo').filter({ hasText: 'Manca qualcosa dopo il punto' }).waitFor();
    // A warning only: an unusual but valid address books.
    await page.getByLabel('Email').fill(visitor('typo').replace('example.org', 'exampel.org'));
    await page.getByRole('button', { name: 'Prenota' }).click();
    await h1(page).filter({ hasText: 'Controlla la tua email' }).waitFor();
    assertClean(page);
    await page.close();
  });

  test('the confirmation page speaks the reservation\'s language on a fresh browser', async () => {
    const perf = await makePerformance(stack, { capacity: 10, startsIn: '8 days' });
    const email = visitor('en');
    assert.equal((await book(stack, perf, { name: 'Emma Stone', email, seats: 1, locale: 'en' })).status, 201);
    const token = confirmToken((await smtp.waitFor(email, 1))[0]);
    const fresh = await launch(); // another browser profile: nothing stored
    const page = await newPage(fresh);
    await page.goto(`${stack.url}/confirm#${token}`);
    await h1(page).filter({ hasText: 'Booking confirmed' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    // The visitor's own choice wins, and is remembered.
    await switchLang(page, 'it');
    await page.reload();
    await h1(page).filter({ hasText: 'Prenotazione confermata' }).waitFor();
    assertClean(page);
    await fresh.close();
  });

  test('the moved performance: the email\'s link shows the new time', async () => {
    const perf = await makePerformance(stack, { capacity: 10, startsIn: '8 days' });
    const email = visitor('moved');
    assert.equal((await book(stack, perf, { name: 'Gino Moved', email, seats: 1, locale: 'it' })).status, 201);
    const token = confirmToken((await smtp.waitFor(email, 1))[0]);
    assert.equal((await post(stack, '/api/reservations/confirm', { token })).status, 200);
    await smtp.waitFor(email, 2);
    const starts = await stack.psql(`SELECT to_json(date_trunc('minute', now() + interval '9 days 3 hours'))#>>'{}'`);
    await stack.psql(`SELECT admin_update_performance(${perf}, NULL, NULL, '${starts}', NULL, NULL, NULL,
      false, NULL, false, NULL, NULL, NULL, NULL, NULL)`);
    const [, , moved] = await smtp.waitFor(email, 3);
    assert.match(moved.parsed.subject, /^Cambio di programma/);
    const link = /(http\S+\/shows\/[a-z0-9-]+)/.exec(moved.parsed.text)[1];
    const page = await newPage(browser);
    await page.goto(link);
    const item = page.locator(`#perf-${perf}`);
    await item.waitFor();
    const hhmm = new Date(starts).toLocaleTimeString('it-IT', { timeZone: 'Europe/Rome', hour: '2-digit', minute: '2-digit' });
    assert.ok((await item.innerText()).includes(hhmm), `the new time ${hhmm} on the show page`);
    assertClean(page);
    await page.close();
  });

  test('the footer tells the truth about retention and links the privacy page, in both languages', async () => {
    const page = await newPage(browser);
    await page.goto(`${stack.url}/`);
    const footer = page.locator('#site-footer');
    await footer.locator('#privacy-link').waitFor();
    assert.doesNotMatch(await footer.innerText(), /dopo lo spettacolo\.$/m);
    assert.match(await footer.innerText(), /alcuni mesi dopo lo spettacolo/);
    await footer.locator('#privacy-link').click();
    await page.waitForURL(/\/privacy$/);
    await page.locator('#privacy-retention').filter({ hasText: '180 giorni dopo lo spettacolo' }).waitFor();
    assert.match(await page.locator('#privacy-retention').innerText(), /30 minuti/);
    await switchLang(page, 'en');
    await page.locator('#privacy-retention').filter({ hasText: 'deleted 180 days after the show' }).waitFor();
    await switchLang(page, 'it');
    await checkPage(page, 'privacy');
    assertClean(page);
    await page.close();
  });

  test('a performance the theatre cancelled: the ticket and the link say so, no QR, no calendar, no cancel', async () => {
    const perf = await makePerformance(stack, { capacity: 20, startsIn: '6 days' });
    const email = visitor('dark');
    assert.equal((await book(stack, perf, { name: 'Bice Neri', email, seats: 2 })).status, 201);
    const [msg] = await smtp.waitFor(email, 1);
    const token = confirmToken(msg);
    const c = await post(stack, '/api/reservations/confirm', { token });
    assert.equal(c.status, 200, c.text);
    await stack.psql(`SELECT admin_cancel_performance(${perf}, 'Sciopero.', NULL, NULL)`);

    const tpage = await newPage(browser);
    await tpage.goto(c.body.ticket.url);
    await tpage.locator('.ticket__status').filter({ hasText: 'Replica annullata' }).waitFor();
    assert.match(await tpage.locator('#perf-cancelled').innerText(), /annullata dal teatro/);
    assert.equal(await tpage.locator('img.qr').count(), 0, 'no QR on a ticket of a cancelled performance');
    assert.doesNotMatch(await tpage.locator('main').innerText(), /Valido/);
    await checkPage(tpage, 'ticket-performance-cancelled');

    const page = await newPage(browser);
    await page.goto(`${stack.url}/confirm#${token}`);
    await h1(page).filter({ hasText: 'Replica annullata' }).waitFor();
    assert.match(await page.locator('main').innerText(), /Il teatro ha annullato questa replica/);
    assert.doesNotMatch(await page.locator('main').innerText(), /i posti sono di nuovo disponibili/);
    assert.equal(await page.locator('#add-to-calendar, #cancel-button, img.qr').count(), 0);
    await checkPage(page, 'confirm-performance-cancelled');
    assertClean(page);
    assertClean(tpage);
    await page.close();
    await tpage.close();
  });

  test('the language is remembered, and a booking made in English gets English mail', async () => {
    const perf = await makePerformance(stack, { capacity: 10, max: 2 });
    const page = await newPage(browser);
    await page.goto(`${stack.url}/`);
    await page.locator('.show-card').first().waitFor();
    await switchLang(page, 'en');
    assert.equal(await page.evaluate(() => localStorage.getItem('bo.lang')), 'en');
    await page.goto(`${stack.url}/book/${perf}`);
    await h1(page).filter({ hasText: 'Book your seats' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');

    // Keyboard only: Tab to each field, Enter to send.
    const email = visitor('kbd');
    await page.locator('#f-name').waitFor();
    for (let i = 0; i < 12 && (await page.evaluate(() => document.activeElement?.id)) !== 'f-name'; i++) {
      await page.keyboard.press('Tab');
    }
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-name', 'Tab reaches the name field');
    await page.keyboard.type('John Smith');
    await page.keyboard.press('Tab');
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-seats');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter'); // submits from the phone field
    await h1(page).filter({ hasText: 'Check your email' }).waitFor();
    assert.match(await page.locator('main').innerText(), /2 seats/);
    const [msg] = await smtp.waitFor(email, 1);
    assert.match(msg.parsed.subject, /^Confirm your booking/);
    await switchLang(page, 'it');
    assertClean(page);
    await page.close();
  });
});

describe('friendly pages for bad links and closed performances', () => {
  test('invalid, unknown and expired confirmation links; unknown tickets and pages', async () => {
    const page = await newPage(browser);

    // No token, a malformed one, a well-formed unknown one.
    for (const hash of ['', '#not-a-token', `#${'Q'.repeat(43)}`]) {
      await page.goto(`${stack.url}/confirm${hash}`);
      await h1(page).filter({ hasText: 'Link non valido' }).waitFor();
    }
    await checkPage(page, 'confirm-invalid');

    // A hold that expired while someone else took the seats.
    const perf = await makePerformance(stack, { capacity: 2, max: 2 });
    const email = visitor('late');
    assert.equal((await book(stack, perf, { name: 'Late', email, seats: 2 })).status, 201);
    const token = confirmToken((await smtp.waitFor(email, 1))[0]);
    await stack.psql(`UPDATE reservations SET expires_at = now() - interval '1 second' WHERE performance_id = ${perf}`);
    assert.equal((await book(stack, perf, { name: 'Quick', email: visitor(), seats: 2 })).status, 201);
    await page.goto(`${stack.url}/confirm#${token}`);
    await h1(page).filter({ hasText: 'Prenotazione scaduta' }).waitFor();
    await checkPage(page, 'confirm-expired');

    // Unknown ticket.
    await page.goto(`${stack.url}/t/${'Z'.repeat(43)}`);
    await h1(page).filter({ hasText: 'Biglietto non trovato' }).waitFor();
    await checkPage(page, 'ticket-invalid');

    // Unknown show, performance, page (nginx answers 404 with the site's page).
    await page.goto(`${stack.url}/shows/no-such-show`);
    await h1(page).filter({ hasText: 'Spettacolo non trovato' }).waitFor();
    await checkPage(page, 'show-not-found', { shots: false });
    await page.goto(`${stack.url}/book/999999`);
    await h1(page).filter({ hasText: 'Replica non trovata' }).waitFor();
    const res = await page.goto(`${stack.url}/no/such/page`);
    assert.equal(res.status(), 404);
    await h1(page).filter({ hasText: 'Pagina non trovata' }).waitFor();
    await checkPage(page, 'not-found');
    assertClean(page);
    await page.close();
  });

  test('sold out, closed and cancelled performances cannot be booked', async () => {
    const soldOut = await makePerformance(stack, { capacity: 5, occupied: 5 });
    const closed = await makePerformance(stack, { opensIn: '5 days' });
    const cancelled = await makePerformance(stack, { status: 'cancelled' });
    const few = await makePerformance(stack, { capacity: 40, occupied: 37 });
    const page = await newPage(browser);

    await page.goto(`${stack.url}/shows/la-locandiera`);
    const badge = (id) => page.locator(`#perf-${id} .badge`);
    await badge(few).waitFor();
    assert.match(await badge(soldOut).innerText(), /Esaurito/);
    assert.match(await badge(closed).innerText(), /Prenotazioni chiuse/);
    assert.match(await badge(cancelled).innerText(), /Annullato/);
    assert.match(await badge(few).innerText(), /Ultimi posti/);
    for (const id of [soldOut, closed, cancelled]) {
      assert.equal(await page.locator(`#perf-${id} a[href^="/book/"]`).count(), 0, 'no booking link');
    }
    // Sold out offers the waiting list instead (issue 15); the others nothing.
    assert.equal(await page.locator(`#perf-${soldOut} a`).getAttribute('href'), `/waitlist/${soldOut}`);
    for (const id of [closed, cancelled]) assert.equal(await page.locator(`#perf-${id} a`).count(), 0);
    await checkPage(page, 'show-states', { shots: false });

    for (const [id, text] of [[soldOut, 'esaurita'], [closed, 'chiuse'], [cancelled, 'annullata']]) {
      await page.goto(`${stack.url}/book/${id}`);
      await page.locator('.alert').filter({ hasText: text }).waitFor();
      assert.equal(await page.locator('form').count(), 0);
    }
    await checkPage(page, 'book-cancelled', { shots: false });

    // The API closes a performance between page load and submit: the form says so.
    const late = await makePerformance(stack, { capacity: 10 });
    await page.goto(`${stack.url}/book/${late}`);
    await page.getByLabel('Nome e cognome').fill('Anna');
    await page.getByLabel('Email').fill(visitor());
    await stack.psql(`UPDATE performances SET status = 'cancelled' WHERE id = ${late}`);
    await page.getByRole('button', { name: 'Prenota' }).click();
    await page.locator('.alert').filter({ hasText: 'appena chiuse' }).waitFor();
    assertClean(page);
    await page.close();
    assert.equal((await api(stack, `/api/performances/${late}`)).body.performance.availability.state, 'cancelled');
    assert.equal((await post(stack, '/api/reservations/confirm', { token: 'x' })).status, 404);
  });
});

describe('the built site', () => {
  const dist = join(ROOT, 'build', 'frontend');
  const PUBLIC = ['index.html', 'show.html', 'book.html', 'confirm.html', 'ticket.html', '404.html'];
  const ALL = [...PUBLIC, 'checkin/index.html', 'manage/index.html'];
  const read = (f) => readFileSync(join(dist, f), 'utf8');
  const jsOf = (html) => [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="(\/assets\/[^"]+\.js)"/g)]
    .map((m) => m[1]);

  test('every public page loads under 50 KiB of JavaScript, gzipped', () => {
    for (const page of PUBLIC) {
      const files = jsOf(read(page));
      assert.ok(files.length >= 1, `${page} has its script`);
      const bytes = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(dist, f)), { level: 9 }).length, 0);
      assert.ok(bytes < 50 * 1024, `${page}: ${bytes} bytes of JS gzipped`);
    }
  });

  test('strict CSP ready: no inline script or style, nothing from elsewhere, hashed assets', () => {
    for (const page of ALL) {
      const html = read(page);
      assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, `${page}: inline <script>`);
      assert.doesNotMatch(html, /<style|\sstyle=/, `${page}: inline style`);
      assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, `${page}: third-party request`);
      for (const f of [...html.matchAll(/"(\/assets\/[^"]+)"/g)].map((m) => m[1])) {
        assert.match(f, /-[A-Za-z0-9_-]{8}\.(js|css)$/, `${f} has a content hash`);
      }
    }
    for (const f of PUBLIC.flatMap((p) => jsOf(read(p)))) {
      assert.doesNotMatch(readFileSync(join(dist, f), 'utf8'), /\beval\(|new Function\(/, `${f} uses eval`);
    }
  });

  test('nginx: clean URLs, long cache for hashed assets, HTML revalidated', async () => {
    const asset = jsOf(read('index.html'))[0];
    const a = await fetch(stack.url + asset);
    assert.equal(a.status, 200);
    assert.equal(a.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    for (const [path, title] of [['/', 'Programma'], ['/shows/la-locandiera', '<h1 id="show-title">La locandiera</h1>'], ['/book/1', 'Prenota'],
      ['/confirm', 'Conferma'], [`/t/${'x'.repeat(43)}`, 'Biglietto'], ['/checkin/', 'Ingresso'],
      ['/manage/', 'Gestione'], ['/manage/performances/3', 'Gestione']]) {
      const r = await fetch(stack.url + path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers.get('cache-control'), 'no-cache', path);
      assert.match(r.headers.get('content-type'), /^text\/html/, path);
      assert.ok((await r.text()).includes(title), `${path} is the ${title} page`);
    }
    const missing = await fetch(`${stack.url}/no/such/page`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /Pagina non trovata/);
    const gone = await fetch(`${stack.url}/assets/nope-12345678.js`);
    assert.equal(gone.status, 404);
    assert.notEqual(gone.headers.get('cache-control'), 'public, max-age=31536000, immutable', 'a 404 is not cached for a year');
    const dir = await fetch(`${stack.url}/checkin`, { redirect: 'manual' });
    assert.equal(dir.status, 301);
    assert.equal(dir.headers.get('location'), '/checkin/');
  });
});
