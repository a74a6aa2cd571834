// The admin UI in a real browser: an admin made with `scripts/stack user
// add`, /admin as a page → /manage/, venues, shows, performances, bookings
// made through the API appearing, search, status change, check-in undo,
// CSV download, the capacity rule, cancelling a performance, users and
// the audit log. axe + screenshots on every view, in both languages.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { api, startStack } from '../http/stack.mjs';
import { confirmToken, startSmtp } from '../http/smtp.mjs';
import { book, makePerformance, post, visitor } from '../http/fixtures.mjs';
import { DESKTOP, assertClean, checkPage, docShot, launch, newPage } from './browser.mjs';

let stack;
let smtp;
let browser;
let page;
let admin;
const ids = {};

before(async () => {
  smtp = await startSmtp();
  [stack, browser] = await Promise.all([
    startStack({
      env: {
        BOXOFFICE_MAIL_BACKEND: 'smtp', BOXOFFICE_SMTP_HOST: '127.0.0.1', BOXOFFICE_SMTP_PORT: smtp.port,
        BOXOFFICE_RATE_LIMITS: 'off', BOXOFFICE_WORKERS: 2, BOXOFFICE_THREADS: 4,
      },
    }),
    launch(),
  ]);
  const email = `boss-${process.pid}@example.org`;
  const { stdout } = await stack.run('user', 'add', '--email', email, '--role', 'admin', '--name', 'Admin Tester');
  admin = { email, password: /password: (\S+)/.exec(stdout)[1] };
});
afterEach(() => stack.checkSanitizers());
after(async () => {
  await browser?.close();
  await stack?.stop();
  await smtp?.stop();
});

const view = () => page.locator('.mview h1');
const ready = (p) => p.locator('.mview h1').waitFor();

/** Wait for a view whose h1 has this text. */
async function at(text) {
  await page.locator('.mview h1', { hasText: text }).waitFor();
}

/** Session of the admin for API calls made alongside the UI. */
async function apiSession() {
  const r = await post(stack, '/api/auth/login', admin);
  assert.equal(r.status, 200, r.text);
  const cookie = r.headers.get('set-cookie').split(';')[0];
  return (path, method = 'GET', body) => api(stack, path, {
    method,
    headers: { cookie, 'x-csrf-token': r.body.csrf_token, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** A date 10 days ahead as the datetime-local value "YYYY-MM-DDT20:30" (Rome). */
function tenDaysAhead() {
  const d = new Date(Date.now() + 10 * 86400_000);
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  return `${day}T20:30`;
}

describe('the admin UI', () => {
  test('/admin opened as a page leads to sign-in at /manage/', async () => {
    page = await newPage(browser, { viewport: DESKTOP });
    await page.goto(`${stack.url}/admin`);
    await page.waitForURL('**/manage/');
    await page.locator('#login-email').waitFor();
    await checkPage(page, 'manage-login');

    // A staff account is turned away.
    const staff = `door-${process.pid}@example.org`;
    const { stdout } = await stack.run('user', 'add', '--email', staff, '--role', 'staff');
    await page.locator('#login-email').fill(staff);
    await page.locator('#login-password').fill(/password: (\S+)/.exec(stdout)[1]);
    await page.locator('#login-password').press('Enter');
    await page.locator('#login-alert').filter({ hasText: 'non può usare questa pagina' }).waitFor();

    await page.locator('#login-email').fill(admin.email);
    await page.locator('#login-password').fill(admin.password);
    await page.getByRole('button', { name: 'Entra' }).click();
    await at('Repliche');
    assert.ok(await page.locator('#performances tbody tr').count() >= 5, 'the demo performances are listed');
    await checkPage(page, 'manage-performances', { ready });
    docShot('manage-performances', 'admin-list', { size: 'desktop' });
    assertClean(page);
  });

  test('create a venue (with a validation error first)', async () => {
    await page.locator('.mnav').getByRole('link', { name: 'Sale', exact: true }).click();
    await at('Sale');
    await checkPage(page, 'manage-venues', { ready });
    await page.locator('#new-venue').click();
    await at('Nuova sala');
    await page.getByRole('button', { name: 'Crea' }).click();
    await page.locator('#venue-form-alert').filter({ hasText: 'errore' }).waitFor();
    assert.equal(await page.locator('#venue-form-name').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#venue-form-name-err').innerText(), /obbligatorio/);
    await checkPage(page, 'manage-venue-new', { shots: false, ready });

    await page.getByLabel('Nome', { exact: true }).fill('Sala Nuova');
    await page.getByLabel('Indirizzo').fill('Via Nuova 1');
    await page.getByLabel('Città').fill('Bologna');
    await page.getByRole('button', { name: 'Crea' }).click();
    await at('Sale');
    await page.locator('.notice', { hasText: 'Sala creata' }).waitFor();
    const row = page.locator('#venues tr', { hasText: 'Sala Nuova' });
    ids.venue = Number(await row.getAttribute('data-id'));
    assert.ok(ids.venue > 0);
  });

  test('create a published show; a taken slug is refused inline', async () => {
    await page.locator('.mnav').getByRole('link', { name: 'Spettacoli', exact: true }).click();
    await at('Spettacoli');
    await page.locator('#new-show').click();
    await at('Nuovo spettacolo');
    await page.getByLabel('Titolo', { exact: true }).fill('La locandiera');
    assert.equal(await page.locator('#show-form-slug').inputValue(), 'la-locandiera', 'slug from the title');
    await page.getByRole('button', { name: 'Crea' }).click();
    await page.locator('#show-form-slug-err').filter({ hasText: 'Già usato' }).waitFor();
    await checkPage(page, 'manage-show-new', { shots: true, ready });

    await page.getByLabel('Titolo', { exact: true }).fill('Il malato immaginario');
    await page.locator('#show-form-slug').fill('il-malato-immaginario');
    await page.getByLabel('Sottotitolo (autore)').fill('Molière');
    await page.getByLabel('Descrizione').fill('Argante è convinto di essere malato.\n\nUna commedia sulla paura e sui medici.');
    await page.getByLabel('Durata (minuti)').fill('115');
    await page.getByLabel('Pubblicato sul sito').check();
    await page.getByRole('button', { name: 'Crea' }).click();
    await at('Il malato immaginario');
    await page.locator('.notice', { hasText: 'Spettacolo creato' }).waitFor();
    ids.show = Number(/\/manage\/shows\/(\d+)$/.exec(page.url())[1]);
    await checkPage(page, 'manage-show-edit', { ready });
  });

  test('create a performance in Rome time; it is on the public site', async () => {
    await page.getByRole('link', { name: /Nuova replica/ }).click();
    await at('Nuova replica');
    // (Switching the language redraws the view: check it before filling it in.)
    await checkPage(page, 'manage-performance-new', { shots: true, ready });
    assert.equal(await page.locator('#perf-form-show_id').inputValue(), String(ids.show), 'the show is preselected');
    await page.getByLabel('Sala', { exact: true }).selectOption(String(ids.venue));
    const when = tenDaysAhead();
    await page.getByLabel('Inizio (ora di Roma)').fill(when);
    await page.getByLabel('Capienza della sala').fill('6');
    await page.getByLabel('Posti massimi per prenotazione').fill('4');
    await page.getByRole('button', { name: 'Crea' }).click();
    await at('Il malato immaginario');
    await page.locator('.notice', { hasText: 'Replica creata' }).waitFor();
    ids.perf = Number(/\/manage\/performances\/(\d+)$/.exec(page.url())[1]);

    const pub = await api(stack, '/api/shows/il-malato-immaginario');
    assert.equal(pub.status, 200);
    const p = pub.body.show.performances.find((x) => x.id === ids.perf);
    assert.ok(p, 'the new performance is public');
    const rome = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Rome', dateStyle: 'short', timeStyle: 'short' })
      .format(new Date(p.starts_at)).replace(' ', 'T');
    assert.equal(rome, when, 'starts_at is the wall time entered, in Rome');
    assert.equal(p.availability.seats_available, 6);
    assert.equal(await page.locator('#reservations tbody tr').count(), 0, 'no bookings yet');
    await checkPage(page, 'manage-performance-empty', { shots: false, ready });
  });

  test('bookings made on the site appear; search, confirm, check-in undo, CSV', async () => {
    const giulia = visitor('giulia');
    const marco = visitor('marco');
    assert.equal((await book(stack, ids.perf, { name: 'Giulia Bianchi', email: giulia, seats: 2, phone: '+39 051 555', notes: 'Sedia a rotelle, grazie' })).status, 201);
    const token = confirmToken((await smtp.waitFor(giulia, 1))[0]);
    const c = await post(stack, '/api/reservations/confirm', { token });
    assert.equal(c.status, 200);
    assert.equal((await book(stack, ids.perf, { name: 'Marco Verdi', email: marco, seats: 1 })).status, 201);

    await page.reload();
    await at('Il malato immaginario');
    const rows = page.locator('#reservations tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    assert.match(await page.locator('#perf-summary').innerText(), /3 posti liberi su 6/);
    await checkPage(page, 'manage-performance', { ready });
    docShot('manage-performance', 'admin-bookings', { size: 'desktop' });

    // Search and filter.
    await page.getByLabel('Nome, email o telefono').fill('giulia');
    await page.getByRole('button', { name: 'Cerca' }).click();
    await page.waitForURL(/q=giulia/);
    await page.locator('#bookings-count', { hasText: '1 prenotazione' }).waitFor();
    assert.match(await rows.first().innerText(), /Giulia Bianchi/);
    await page.getByLabel('Nome, email o telefono').fill('');
    await page.getByLabel('Stato', { exact: true }).selectOption('pending');
    await page.getByRole('button', { name: 'Cerca' }).click();
    await page.waitForURL(/status=pending/);
    await page.locator('#bookings-count', { hasText: '1 prenotazione' }).waitFor();
    assert.match(await rows.first().innerText(), /Marco Verdi/);

    // Status change: confirm Marco's pending booking.
    await page.getByRole('button', { name: 'Conferma la prenotazione di Marco Verdi' }).click();
    // No more "ask the visitor to reopen the link": the page says how to send the ticket.
    await page.locator('.notice', { hasText: 'usa “Reinvia”' }).waitFor();
    await page.goto(`${stack.url}/manage/performances/${ids.perf}`);
    await at('Il malato immaginario');
    assert.match(await page.locator('#reservations tr', { hasText: 'Marco Verdi' }).innerText(), /Confermata/);

    // A check-in at the door, undone by the admin.
    const as = await apiSession();
    const ticket = c.body.ticket.url;
    assert.equal((await as('/api/checkins', 'POST', { token: ticket })).status, 201);
    await page.reload();
    await at('Il malato immaginario');
    const undo = page.getByRole('button', { name: /Annulla l’ingresso di 2 posti per Giulia Bianchi/ });
    await undo.click();
    // Asked first, saying what happens.
    assert.match(await page.locator('.confirm-box').innerText(), /di nuovo da far entrare/);
    await page.locator('.confirm-box .btn--danger').click();
    await page.locator('.notice', { hasText: 'Ingresso annullato' }).waitFor();
    assert.equal((await api(stack, `/api/tickets/${ticket.split('/t/')[1]}`)).body.ticket.seats_admitted, 0);
    assert.match(await page.locator('#reservations tr', { hasText: 'Giulia Bianchi' }).innerText(), /annullato/);

    // CSV download.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#csv').click()]);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.ok(csv.startsWith('\uFEFFid,created_at,status,name,email,phone'), csv.slice(0, 80));
    assert.match(csv, /Giulia Bianchi/);
    assert.match(csv, /Marco Verdi/);
    assert.equal(csv.trimEnd().split('\r\n').length, 3);
    assertClean(page);
  });

  test('the capacity rule asks before overbooking; cancel the performance', async () => {
    await page.getByLabel('Capienza della sala').fill('2');
    await page.locator('#perf-form').getByRole('button', { name: 'Salva' }).click();
    await page.locator('#perf-form-alert', { hasText: 'già 3 posti presi' }).waitFor();
    await checkPage(page, 'manage-capacity-below', { bothLangs: false });
    await page.locator('#perf-force').click();
    await page.locator('.notice', { hasText: 'Salvato' }).waitFor();
    assert.equal(await page.locator('#perf-form-capacity').inputValue(), '2');

    // The dialog says who will be told, and takes a message for them.
    assert.match(await page.locator('#perf-move-hint').innerText(), /prenotazion. confermat. ricever/);
    await page.locator('#perf-cancel').click();
    assert.match(await page.locator('.confirm-box').innerText(), /annullat. e avvisat. per email/);
    await page.locator('#perf-cancel-message').fill('Ci scusiamo: la compagnia è ammalata.');
    await checkPage(page, 'manage-cancel-ask', { shots: false, bothLangs: false });
    await page.locator('#perf-cancel-yes').click();
    await page.locator('.notice', { hasText: 'Replica annullata' }).waitFor();
    await page.locator('.mhead .badge--cancelled').waitFor();
    const pub = await api(stack, `/api/performances/${ids.perf}`);
    assert.equal(pub.body.performance.availability.state, 'cancelled');
    const late = await book(stack, ids.perf, { name: 'Late', email: visitor(), seats: 1 });
    assert.equal(late.status, 409);
    assert.equal(await page.locator('#perf-cancel').count(), 0);

    // The list shows it cancelled.
    await page.locator('.mnav').getByRole('link', { name: 'Repliche', exact: true }).click();
    await at('Repliche');
    assert.match(await page.locator(`#performances tr[data-id="${ids.perf}"]`).innerText(), /Annullato/);
    assertClean(page);
  });

  test('users: create (password shown once), reset, deactivate', async () => {
    await page.locator('.mnav').getByRole('link', { name: 'Utenti', exact: true }).click();
    await at('Utenti');
    const email = `usher-${process.pid}@example.org`;
    await page.locator('#user-form-email').fill(email);
    await page.locator('#user-form-name').fill('Usher');
    await page.getByLabel('Ruolo').selectOption('staff');
    await page.getByRole('button', { name: 'Crea' }).click();
    const pw = await page.locator('#new-password').innerText();
    assert.match(pw, /^[A-Za-z0-9_-]{20}$/);
    assert.equal((await post(stack, '/api/auth/login', { email, password: pw })).status, 200);
    await checkPage(page, 'manage-users', { bothLangs: false });

    await page.getByRole('button', { name: `Nuova password per ${email}` }).click();
    // "ends the session now", before anything happens.
    assert.match(await page.locator('.confirm-box').innerText(), /Le sessioni di Usher finiscono subito/);
    await page.locator('.confirm-box .btn--danger').click();
    await page.locator('#new-password').filter({ hasNotText: pw }).waitFor();
    const pw2 = await page.locator('#new-password').innerText();
    assert.equal((await post(stack, '/api/auth/login', { email, password: pw2 })).status, 200);

    await page.getByRole('button', { name: `Disattiva ${email}` }).click();
    assert.match(await page.locator('.confirm-box').innerText(), /Disattivare Usher\?/);
    await page.locator('.confirm-box .btn--danger').click();
    await page.locator('.notice', { hasText: 'Fatto' }).waitFor();
    assert.match(await page.locator('#users tr', { hasText: email }).innerText(), /Disattivato/);
    assert.equal((await post(stack, '/api/auth/login', { email, password: pw2 })).status, 401);
    assert.equal(await page.getByRole('button', { name: `Disattiva ${admin.email}` }).count(), 0, 'not oneself');
    assertClean(page);
  });

  test('the audit log lists the writes, newest first', async () => {
    await page.locator('.mnav').getByRole('link', { name: 'Registro', exact: true }).click();
    await at('Registro delle modifiche');
    const first = page.locator('#audit tbody tr').first();
    assert.match(await first.innerText(), /Utente #\d+: deactivate/);
    assert.match(await page.locator('#audit').innerText(), /Replica #\d+: cancel/);
    await first.locator('summary').click();
    await checkPage(page, 'manage-audit', { ready });
    await page.getByLabel('Oggetto').selectOption('venue');
    await page.getByRole('button', { name: 'Filtra' }).click();
    await page.waitForURL(/entity=venue/);
    await page.locator('#audit tbody tr').first().waitFor();
    assert.match(await page.locator('#audit tbody').innerText(), /Sala #\d+: create/);
    assert.doesNotMatch(await page.locator('#audit tbody').innerText(), /Replica/);

    await page.locator('#logout').click();
    await page.locator('#login-email').waitFor();
    assertClean(page);
  });
});

// ---- the box office, the door list, the dashboard (issue 14) ------------------

describe('the box office in the admin', () => {
  let perf;
  let as;

  /** Sign in again (the audit test signed out) and open performance perf. */
  async function openPerf() {
    await page.goto(`${stack.url}/manage/performances/${perf}`);
    if (await page.locator('#login-email').isVisible().catch(() => false)) {
      await page.locator('#login-email').fill(admin.email);
      await page.locator('#login-password').fill(admin.password);
      await page.locator('#login-password').press('Enter');
    }
    await page.locator('#box-form').waitFor();
  }

  before(async () => {
    perf = await makePerformance(stack, { capacity: 10, startsIn: '3 days' });
    as = await apiSession();
  });

  test('a phone booking without email, its seats changed, a booking with email resent with new links', async () => {
    await openPerf();
    await page.locator('#box-form-name').fill('Telefono Tizio');
    await page.locator('#box-form-phone').fill('051 123456');
    await page.locator('#box-form-seats').fill('3');
    await page.locator('#box-form-notes').fill('paga alla porta');
    await checkPage(page, 'manage-box-office', { bothLangs: false, ready: (p) => p.locator('#box-form').waitFor() });
    await page.locator('#box-form').getByRole('button', { name: 'Prenota' }).click();
    const created = page.locator('.notice', { hasText: /Prenotazione creata: codice [2-9A-HJKMNP-Z]{6}/ });
    await created.waitFor();
    const code = /codice ([2-9A-HJKMNP-Z]{6,8})/.exec(await created.innerText())[1];
    const row = page.locator('#reservations tr', { hasText: 'Telefono Tizio' });
    assert.match(await row.innerText(), new RegExp(code));
    assert.match(await row.innerText(), /Confermata/);

    // Seats down, through the seat rules.
    await page.getByRole('button', { name: 'Modifica la prenotazione di Telefono Tizio' }).click();
    await page.locator('#edit-form-seats').fill('2');
    await page.locator('#edit-form').getByRole('button', { name: 'Salva le modifiche' }).click();
    await page.locator('.notice', { hasText: 'Prenotazione aggiornata' }).waitFor();
    const list = (await as(`/admin/performances/${perf}/reservations`)).body.reservations;
    assert.equal(list.find((r) => r.code === code).seats, 2);
    // Up beyond what is free: refused, said in the form.
    await page.getByRole('button', { name: 'Modifica la prenotazione di Telefono Tizio' }).click();
    await page.locator('#edit-form-seats').fill('20');
    await page.locator('#edit-form').getByRole('button', { name: 'Salva le modifiche' }).click();
    await page.locator('#edit-form-alert').filter({ hasText: /./ }).waitFor();

    // With an email: the ticket goes out; "Resend" says the old links stop working.
    const email = visitor('box');
    await page.locator('#box-form-name').fill('Mail Caio');
    await page.locator('#box-form-email').fill(email);
    await page.locator('#box-form-seats').fill('1');
    await page.locator('#box-form').getByRole('button', { name: 'Prenota' }).click();
    await page.locator('.notice', { hasText: 'Prenotazione creata' }).waitFor();
    const [first] = await smtp.waitFor(email, 1);
    const oldTicket = /\/t\/([A-Za-z0-9_-]{43})/.exec(first.parsed.text)[1];
    await page.getByRole('button', { name: 'Reinvia a Mail Caio con link nuovi' }).click();
    assert.match(await page.locator('.confirm-box').innerText(), /smettono di funzionare/);
    await page.locator('.confirm-box .btn--danger').click();
    await page.locator('.notice', { hasText: 'Inviato di nuovo' }).waitFor();
    await smtp.waitFor(email, 2);
    assert.equal((await api(stack, `/api/tickets/${oldTicket}`)).status, 404, 'the old ticket no longer works');
    assertClean(page);
  });

  test('the printable door list: by name, with seats, codes, notes and a tick box', async () => {
    await openPerf();
    await page.locator('#door-list').click();
    await page.locator('#door-list-table').waitFor();
    const names = await page.locator('#door-list-table tbody tr td:nth-child(2)').allInnerTexts();
    assert.deepEqual(names, ['Mail Caio', 'Telefono Tizio']);
    assert.match(await page.locator('#door-list-table').innerText(), /paga alla porta/);
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('.mnav').isVisible(), false, 'no navigation on paper');
    assert.equal(await page.locator('#print').isVisible(), false);
    await page.screenshot({ path: 'tests/artifacts/screenshots/manage-door-list-print.png', fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    await checkPage(page, 'manage-door-list', { bothLangs: false, ready: (p) => p.locator('#door-list-table').waitFor() });
    docShot('manage-door-list', 'admin-door-list', { size: 'phone' });
    assertClean(page);
  });

  test('the dashboard shows the numbers of the API, as bars and as text', async () => {
    // Known bookings: 3 confirmed (1 admitted), 2 pending on perf; a past
    // performance with 4 booked and 3 come.
    const t1 = await post(stack, `/api/performances/${perf}/reservations`, { name: 'Pend Ente', email: visitor('pend'), seats: 2 });
    assert.equal(t1.status, 201, t1.text);
    const code = (await as(`/admin/performances/${perf}/reservations`)).body.reservations.find((r) => r.name === 'Telefono Tizio').code;
    assert.equal((await as('/api/checkins', 'POST', { code, performance_id: perf, seats: 1 })).status, 201);
    const past = await makePerformance(stack, { capacity: 10, startsIn: '1 day' });
    const b = await as(`/admin/performances/${past}/reservations`, 'POST', { name: 'Passato', seats: 4 });
    assert.equal(b.status, 201, b.text);
    assert.equal((await as('/api/checkins', 'POST', { code: b.body.reservation.code, performance_id: past, seats: 3 })).status, 201);
    await stack.psql(`UPDATE performances SET starts_at = now() - interval '2 hours' WHERE id = ${past}`);

    await page.goto(`${stack.url}/manage/`);
    await page.locator('#dashboard').waitFor();
    const d = (await as('/admin/dashboard')).body;
    const mine = d.coming.find((x) => x.id === perf);
    assert.deepEqual([mine.confirmed, mine.pending, mine.admitted, mine.free], [3, 2, 1, 5]);
    const text = await page.locator(`[data-fill="${perf}"]`).innerText();
    assert.equal(text, `${mine.confirmed} confermati, ${mine.pending} in attesa, ${mine.admitted} entrati, ${mine.free} liberi su ${mine.seats}`);
    assert.match(await page.locator(`.fills__item[data-perf="${perf}"] svg`).getAttribute('aria-label'), /Riempimento/);
    assert.equal(await page.locator('.daychart rect').count(), 28);
    const row = await page.locator(`#past tr[data-perf="${past}"]`).innerText();
    assert.match(row, /4\s+3\s+1\s+75%/);
    await checkPage(page, 'manage-dashboard', { ready: (p) => p.locator('#dashboard').waitFor() });
    docShot('manage-dashboard', 'admin-dashboard', { size: 'phone' });
    assertClean(page);
  });
});
