// The theatre's own site in a real browser (issue 16): every setting set
// through the admin API is what the home, the company pages, the privacy
// page and a ticket show, in Italian and in English; nothing of the demo
// company is left. axe on each page, in both languages.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, startStack } from '../http/stack.mjs';
import { confirmToken, startSmtp } from '../http/smtp.mjs';
import { book, makePerformance, post, visitor } from '../http/fixtures.mjs';
import { DESKTOP, assertClean, checkPage, launch, newPage, switchLang } from './browser.mjs';

let stack;
let smtp;
let browser;
let admin;

const SETTINGS = {
  company_name: 'Teatro Nuovo Esempio',
  tagline: { it: 'Prosa e musica dal 2001', en: 'Drama and music since 2001' },
  contact_email: 'ciao@nuovo.example',
  phone: '+39 02 1234 5678',
  address: 'Piazza Grande 1, 20100 Milano',
  social: [{ name: 'Mastodon', url: 'https://social.example/@nuovo' }],
  home: { it: 'Benvenuti al **Nuovo**.', en: 'Welcome to the **Nuovo**.' },
  about: { it: 'Chi siamo: una compagnia di Milano.', en: 'About us: a company from Milan.' },
  contacts: { it: 'Metro M1, fermata Duomo.', en: 'Underground M1, Duomo stop.' },
  accessibility: { it: 'Ingresso senza gradini.', en: 'Step-free entrance.' },
  privacy: { it: 'Titolare: Teatro Nuovo Esempio.', en: 'Controller: Teatro Nuovo Esempio.' },
};

async function as(session, path, { method = 'GET', body } = {}) {
  const headers = { cookie: session.cookie, 'x-csrf-token': session.csrf };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return api(stack, path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

before(async () => {
  smtp = await startSmtp();
  [stack, browser] = await Promise.all([
    startStack({
      env: {
        BOXOFFICE_MAIL_BACKEND: 'smtp', BOXOFFICE_SMTP_HOST: '127.0.0.1', BOXOFFICE_SMTP_PORT: smtp.port,
        BOXOFFICE_RATE_LIMITS: 'off',
      },
    }),
    launch(),
  ]);
  const r = await post(stack, '/api/auth/login', stack.demo.admin);
  admin = { cookie: r.headers.get('set-cookie').split(';')[0], csrf: r.body.csrf_token };
  const s = await as(admin, '/admin/site', { method: 'PATCH', body: SETTINGS });
  assert.equal(s.status, 200, s.text);
  // The venue is the theatre's too (the demo's is the demo company's).
  const venues = await as(admin, '/admin/venues');
  for (const v of venues.body.venues) {
    await as(admin, `/admin/venues/${v.id}`, { method: 'PATCH', body: { name: 'Sala Nuova', address: 'Piazza Grande 1', city: 'Milano' } });
  }
  await new Promise((res) => setTimeout(res, 1100)); // the microcache
});
afterEach(() => stack.checkSanitizers());
after(async () => {
  await browser?.close();
  await stack?.stop();
  await smtp?.stop();
});

const text = (page) => page.locator('body').innerText();

async function expectBoth(page, name, words) {
  for (const lang of ['it', 'en']) {
    await switchLang(page, lang);
    const want = words(lang);
    await page.locator('#site-footer').filter({ hasText: SETTINGS.company_name }).waitFor();
    await page.locator('main').filter({ hasText: want[0] }).waitFor();
    const body = await text(page);
    for (const w of want) assert.ok(body.includes(w), `${name} [${lang}] shows "${w}"`);
    for (const w of [SETTINGS.address, SETTINGS.contact_email, SETTINGS.phone, 'Mastodon']) {
      assert.ok(body.includes(w), `${name} [${lang}] footer shows "${w}"`);
    }
    assert.ok(!body.includes('Ponte'), `${name} [${lang}]: nothing of the demo company`);
    assert.ok((await page.title()).endsWith(SETTINGS.company_name), `${name} [${lang}] title`);
  }
  await switchLang(page, 'it');
}

describe('the site says what the settings say', () => {
  test('home, about, contacts, accessibility and privacy, in both languages', async () => {
    const page = await newPage(browser);
    await page.goto(`${stack.url}/`);
    await expectBoth(page, 'home', (l) => [SETTINGS.company_name, SETTINGS.tagline[l], l === 'it' ? 'Benvenuti al Nuovo.' : 'Welcome to the Nuovo.']);
    assert.equal(await page.locator('.hero strong').first().innerText(), 'Nuovo');
    await checkPage(page, 'site-home', { shots: false });
    for (const key of ['about', 'contacts', 'accessibility']) {
      await page.goto(`${stack.url}/${key}`);
      await expectBoth(page, key, (l) => [SETTINGS[key][l]]);
      await checkPage(page, `site-${key}`, { shots: false });
    }
    await page.goto(`${stack.url}/privacy`);
    await expectBoth(page, 'privacy', (l) => [SETTINGS.privacy[l]]);
    assertClean(page);
    await page.close();
  });

  test('a ticket shows the company', async () => {
    const perf = await makePerformance(stack, { capacity: 10 });
    const email = visitor('siteb');
    assert.equal((await book(stack, perf, { name: 'Ada', email, seats: 1 })).status, 201);
    const [m] = await smtp.waitFor(email, 1);
    const c = await post(stack, '/api/reservations/confirm', { token: confirmToken(m) });
    assert.equal(c.status, 200, c.text);
    const page = await newPage(browser);
    await page.goto(c.body.ticket.url.replace(/^https?:\/\/[^/]+/, stack.url));
    await expectBoth(page, 'ticket', () => [SETTINGS.company_name]);
    assertClean(page);
    await page.close();
  });

  test('an uploaded poster is on the home page and the show page (img-src self)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boxoffice-poster-'));
    try {
      execFileSync('vips', ['black', join(dir, 'b.v'), '1280', '720', '--bands', '3']);
      execFileSync('vips', ['linear', join(dir, 'b.v'), join(dir, 'l.v'), '1', '150']);
      execFileSync('vips', ['cast', join(dir, 'l.v'), join(dir, 'c.v'), 'uchar']);
      execFileSync('vips', ['jpegsave', join(dir, 'c.v'), join(dir, 'p.jpg')]);
      const up = await api(stack, '/admin/media', {
        method: 'POST',
        headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'image/jpeg' },
        body: readFileSync(join(dir, 'p.jpg')),
      });
      assert.equal(up.status, 201, up.text);
      const shows = await as(admin, '/admin/shows');
      const show = shows.body.shows.find((x) => x.slug === 'la-locandiera');
      assert.equal((await as(admin, `/admin/shows/${show.id}`, { method: 'PATCH', body: { image: up.body.media.id } })).status, 200);
      await new Promise((res) => setTimeout(res, 1100));
      const page = await newPage(browser);
      for (const path of ['/', '/shows/la-locandiera']) {
        await page.goto(`${stack.url}${path}`);
        const img = page.locator('img.poster[src^="/media/"]').first();
        await img.waitFor();
        await page.waitForFunction(() => [...document.querySelectorAll('img.poster')].some((i) => i.complete && i.naturalWidth > 0 && i.currentSrc.includes('/media/')));
        const src = await img.evaluate((i) => i.currentSrc);
        assert.match(src, /\/media\/[0-9a-f]{32}-\d+\.(webp|jpg)$/, `${path}: the poster is one of the uploaded files`);
      }
      await checkPage(page, 'site-poster', { shots: false });
      assertClean(page);
      await page.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the admin UI: the site form, a poster uploaded from a file, a series of performances', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boxoffice-ui-'));
    try {
      execFileSync('vips', ['black', join(dir, 'b.v'), '900', '500', '--bands', '3']);
      execFileSync('vips', ['linear', join(dir, 'b.v'), join(dir, 'l.v'), '1', '90']);
      execFileSync('vips', ['cast', join(dir, 'l.v'), join(dir, 'c.v'), 'uchar']);
      execFileSync('vips', ['jpegsave', join(dir, 'c.v'), join(dir, 'poster.jpg')]);
      const page = await newPage(browser, { viewport: DESKTOP });
      await page.goto(`${stack.url}/manage/`);
      await page.locator('#login-email').fill(stack.demo.admin.email);
      await page.locator('#login-password').fill(stack.demo.admin.password);
      await page.locator('#login-password').press('Enter');
      const at = (text) => page.locator('.mview h1', { hasText: text }).waitFor();
      await at('Repliche');

      // The site form: one change, saved, on the public API.
      await page.locator('.mnav').getByRole('link', { name: 'Sito', exact: true }).click();
      await at('Il sito del teatro');
      await checkPage(page, 'manage-site', { shots: false, bothLangs: false, ready: (p) => p.locator('.mview h1').waitFor() });
      await page.locator('#site-form-tagline\\.en').fill('Words on stage, since 2001');
      await page.locator('#site-form button[type=submit]').click();
      await page.locator('.notice', { hasText: 'Impostazioni salvate' }).waitFor();
      const site = (await api(stack, '/api/site')).body.site;
      assert.equal(site.tagline.en, 'Words on stage, since 2001');
      assert.equal(site.company_name, SETTINGS.company_name, 'the rest is kept');

      // A poster from a file, on a show.
      await page.goto(`${stack.url}/manage/shows`);
      await page.locator('#shows a', { hasText: 'Sei personaggi' }).click();
      await at('Sei personaggi');
      await page.locator('#show-image').setInputFiles(join(dir, 'poster.jpg'));
      await page.locator('#show-image-status', { hasText: 'Immagine caricata' }).waitFor();
      await page.locator('.image-picker img[src^="/media/"]').waitFor();
      await page.locator('#show-form button[type=submit]').click();
      await page.locator('.notice', { hasText: 'Salvato' }).waitFor();
      await new Promise((res) => setTimeout(res, 1100));
      const show = (await api(stack, '/api/shows/sei-personaggi')).body.show;
      assert.ok(show.image?.url?.startsWith('/media/'), 'the show has the uploaded poster');
      assert.deepEqual(show.image.widths, [320, 640, 900]);

      // A series: Friday and Saturday for two weeks.
      await page.goto(`${stack.url}/manage/performances/series`);
      await at('Nuova serie');
      const d = new Date(Date.now() + 20 * 864e5).toISOString().slice(0, 10);
      const e = new Date(Date.now() + 33 * 864e5).toISOString().slice(0, 10);
      await page.locator('#series-form-from').fill(d);
      await page.locator('#series-form-to').fill(e);
      for (const day of [2, 3, 4, 7]) await page.locator(`#series-form-day${day}`).uncheck();
      await page.locator('#series-form-capacity').fill('44');
      await page.locator('#series-form button[type=submit]').click();
      await page.locator('.notice', { hasText: '4 repliche create' }).waitFor();
      assertClean(page);
      await page.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
