// The theatre's own site (issue 16): every setting set through the admin
// API shows on the public pages, in a booking's messages (a real SMTP
// server) and on the ticket, in both languages; Markdown is rendered with
// raw HTML off; show texts have two languages with a marked fallback.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, api, startStack, waitFor } from './stack.mjs';
import { confirmToken, startSmtp } from './smtp.mjs';
import { book, makePerformance, post, visitor } from './fixtures.mjs';

let stack;
let smtp;
let admin;

async function login(who) {
  const r = await post(stack, '/api/auth/login', who);
  assert.equal(r.status, 200, r.text);
  return { cookie: r.headers.get('set-cookie').split(';')[0], csrf: r.body.csrf_token };
}

function as(session, path, { method = 'GET', body } = {}) {
  const headers = { cookie: session.cookie, 'x-csrf-token': session.csrf };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return api(stack, path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

const SETTINGS = {
  company_name: 'Teatro Nuovo Esempio',
  tagline: { it: 'Prosa e musica dal 2001', en: 'Drama and music since 2001' },
  theme_color: '#1F4E79',
  contact_email: 'ciao@nuovo.example',
  phone: '+39 02 1234 5678',
  address: 'Piazza Grande 1, 20100 Milano',
  social: [{ name: 'Mastodon', url: 'https://social.example/@nuovo' }],
  home: { it: 'Benvenuti al **Nuovo**.', en: 'Welcome to the **Nuovo**.' },
  about: { it: 'Chi siamo: una _compagnia_ di Milano.', en: 'About us: a _company_ from Milan.' },
  contacts: { it: 'Metro M1, fermata Duomo.', en: 'Underground M1, Duomo stop.' },
  accessibility: { it: 'Ingresso senza gradini.', en: 'Step-free entrance.' },
  privacy: { it: 'Titolare: Teatro Nuovo Esempio.', en: 'Controller: Teatro Nuovo Esempio.' },
};

before(async () => {
  smtp = await startSmtp();
  stack = await startStack({
    env: {
      BOXOFFICE_MAIL_BACKEND: 'smtp',
      BOXOFFICE_SMTP_HOST: '127.0.0.1',
      BOXOFFICE_SMTP_PORT: smtp.port,
      BOXOFFICE_MAIL_RETRY_SECONDS: 1,
      BOXOFFICE_SWEEP_SECONDS: 1,
      BOXOFFICE_RATE_LIMITS: 'off',
      BOXOFFICE_MAIL_FROM: 'biglietteria@nuovo.example',
    },
  });
  admin = await login(stack.demo.admin);
});

afterEach(() => stack.checkSanitizers());

after(async () => {
  await stack?.stop();
  await smtp?.stop();
});

describe('site settings', () => {
  test('the demo company comes from the demo data, its texts rendered by the workers', async () => {
    const site = await waitFor(async () => {
      const r = await api(stack, '/api/site');
      return r.body?.site?.html?.about?.it ? r.body.site : null;
    }, { what: 'the demo texts rendered' });
    assert.equal(site.company_name, 'Compagnia del Ponte');
    assert.match(site.html.about.it, /<strong>Compagnia del Ponte<\/strong>/);
    // The facts of the privacy page are still there.
    assert.equal(typeof site.purge_days, 'number');
    assert.equal(typeof site.hold_minutes, 'number');
  });

  test('only an admin may change them; bad values are refused field by field', async () => {
    const anon = await api(stack, '/admin/site', {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{}',
    });
    assert.equal(anon.status, 401);
    const staff = await login(stack.demo.staff);
    assert.equal((await as(staff, '/admin/site', { method: 'PATCH', body: {} })).status, 403);
    const bad = await as(admin, '/admin/site', {
      method: 'PATCH',
      body: {
        theme_color: 'red', contact_email: 'not an address', phone: 'x',
        about: 'a string', privacy: { it: 42 }, social: [{ name: 'x', url: 'javascript:alert(1)' }],
        logo: 999999,
      },
    });
    assert.equal(bad.status, 422, bad.text);
    assert.deepEqual(bad.body.error.fields, {
      theme_color: 'invalid', contact_email: 'invalid', phone: 'invalid',
      about: 'not_an_object', 'privacy.it': 'not_a_string', social: 'invalid',
    });
    const logo = await as(admin, '/admin/site', { method: 'PATCH', body: { logo: 999999 } });
    assert.equal(logo.status, 422, logo.text);
    assert.deepEqual(logo.body.error.fields, { logo: 'unknown' });
  });

  test('Markdown is rendered without raw HTML or script links', async () => {
    const r = await as(admin, '/admin/site', {
      method: 'PATCH',
      body: {
        accessibility: {
          it: 'Prima <script>alert(1)</script> <img src=x onerror=alert(1)> [link](javascript:alert(1))',
        },
      },
    });
    assert.equal(r.status, 200, r.text);
    const html = r.body.site.html.accessibility.it;
    assert.doesNotMatch(html, /<script|<img|onerror|javascript:/i);
    assert.match(html, /raw HTML omitted/);
    // The other language was kept.
    assert.equal(r.body.site.accessibility.en, 'The hall is on the ground floor, step-free; two wheelchair spaces: write to us.');
  });

  test('every setting, set through the admin API, is what the public site says; audited', async () => {
    const r = await as(admin, '/admin/site', { method: 'PATCH', body: SETTINGS });
    assert.equal(r.status, 200, r.text);
    const s = (await waitFor(async () => {
      const g = await api(stack, '/api/site');
      return g.body.site.company_name === SETTINGS.company_name ? g : null;
    })).body.site;
    assert.equal(s.company_name, SETTINGS.company_name);
    assert.deepEqual(s.tagline, SETTINGS.tagline);
    assert.equal(s.theme_color, '#1f4e79');
    for (const k of ['contact_email', 'phone', 'address']) assert.equal(s[k], SETTINGS[k]);
    assert.deepEqual(s.social, SETTINGS.social);
    for (const page of ['home', 'about', 'contacts', 'accessibility', 'privacy']) {
      assert.deepEqual(s[page], SETTINGS[page], page);
      for (const l of ['it', 'en']) assert.ok(s.html[page][l].startsWith('<p>'), `${page}.${l} html`);
    }
    assert.equal(s.html.home.en, '<p>Welcome to the <strong>Nuovo</strong>.</p>\n');
    const audit = await as(admin, '/admin/audit?entity=site');
    assert.equal(audit.status, 200);
    const entry = JSON.stringify(audit.body).includes('Teatro Nuovo Esempio');
    assert.ok(entry, 'the change is in the audit log');
  });

  test('a booking\'s messages and the ticket carry the company, in both languages', async () => {
    await as(admin, '/admin/site', { method: 'PATCH', body: SETTINGS });
    await pause(2100); // each worker's copy for the messages is at most 2 s old
    const perf = await makePerformance(stack, { capacity: 20 });
    for (const locale of ['it', 'en']) {
      const email = visitor('site');
      const b = await book(stack, perf, { name: 'Ada', email, seats: 1, locale });
      assert.equal(b.status, 201, b.text);
      const [m] = await smtp.waitFor(email, 1);
      assert.equal(m.parsed.from.value[0].name, SETTINGS.company_name);
      assert.equal(m.parsed.from.value[0].address, 'biglietteria@nuovo.example');
      assert.equal(m.parsed.replyTo.value[0].address, SETTINGS.contact_email);
      assert.ok(m.parsed.text.includes(SETTINGS.company_name), 'footer names the company');
      assert.ok(m.parsed.text.includes(SETTINGS.phone), 'footer has the phone');
      assert.ok(m.parsed.html.includes(SETTINGS.company_name));
      assert.ok(!m.raw.includes('Compagnia del Ponte'), 'nothing of the demo company');
      const c = await post(stack, '/api/reservations/confirm', { token: confirmToken(m) });
      assert.equal(c.status, 200, c.text);
      const [, t] = await smtp.waitFor(email, 2);
      assert.equal(t.parsed.from.value[0].name, SETTINGS.company_name);
      assert.ok(t.parsed.text.includes(SETTINGS.contact_email));
      assert.match(t.parsed.text, locale === 'it' ? /Per scrivere al teatro/ : /To write to the theatre/);
    }
  });
});

describe('show texts in two languages', () => {
  test('each language has its own; a missing one falls back to the other, marked', async () => {
    const slug = `bilingue-${process.pid}`;
    const c = await as(admin, '/admin/shows', {
      method: 'POST',
      body: {
        slug, title: 'Bilingue', published: true,
        subtitle: { it: 'Sottotitolo', en: 'Subtitle' },
        description: { it: 'Solo *italiano*.' },
      },
    });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.show.subtitle, 'Sottotitolo');
    assert.equal(c.body.show.subtitle_en, 'Subtitle');
    const g = await api(stack, `/api/shows/${slug}`);
    assert.equal(g.status, 200, g.text);
    const { it, en } = g.body.show.texts;
    assert.equal(it.subtitle, 'Sottotitolo');
    assert.equal(en.subtitle, 'Subtitle');
    assert.equal(it.description_html, '<p>Solo <em>italiano</em>.</p>\n');
    assert.equal(it.fallback, false);
    assert.equal(en.description, 'Solo *italiano*.');
    assert.equal(en.description_lang, 'it');
    assert.equal(en.fallback, true);

    // A PATCH of one language keeps the other; a string is the Italian text.
    const id = c.body.show.id;
    const p = await as(admin, `/admin/shows/${id}`, { method: 'PATCH', body: { description: { en: 'Now in **English**.' } } });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.show.description, 'Solo *italiano*.');
    const q = await as(admin, `/admin/shows/${id}`, { method: 'PATCH', body: { subtitle: 'Nuovo' } });
    assert.equal(q.body.show.subtitle, 'Nuovo');
    assert.equal(q.body.show.subtitle_en, 'Subtitle');
    await pause(1100); // the microcache
    const g2 = await api(stack, `/api/shows/${slug}`);
    assert.equal(g2.body.show.texts.en.description_html, '<p>Now in <strong>English</strong>.</p>\n');
    assert.equal(g2.body.show.texts.en.fallback, false);
  });

  test('the demo show written only in English is marked on the Italian side', async () => {
    const g = await waitFor(async () => {
      const r = await api(stack, '/api/shows/the-tempest');
      return r.body?.show?.texts?.it?.description_html ? r : null;
    }, { what: 'demo descriptions rendered' });
    assert.equal(g.body.show.texts.it.fallback, true);
    assert.equal(g.body.show.texts.it.description_lang, 'en');
  });
});

describe('nothing of the demo company in the code', () => {
  test('grep of app/, lib/ and the built site finds it only in demo data', () => {
    const hits = [];
    const walk = (dir) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(c|h|js|html|css|json)$/.test(name) && readFileSync(p, 'utf8').includes('Ponte')) hits.push(p);
      }
    };
    for (const d of ['app', 'lib', 'frontend', 'build/frontend']) walk(join(ROOT, d));
    assert.deepEqual(hits, []);
  });
});
