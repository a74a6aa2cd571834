// The theatre's own site (issue 16): every setting set through the admin
// API shows on the public pages, in a booking's messages (a real SMTP
// server) and on the ticket, in both languages; Markdown is rendered with
// raw HTML off; show texts have two languages with a marked fallback.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** An ISO time `days` from now, on a whole minute. */
const minute = (days) => new Date(Math.floor((Date.now() + days * 864e5) / 60e3) * 60e3).toISOString();

/** The <head> and the JSON-LD of a page's HTML, read without any script. */
function parsePage(html) {
  const head = html.slice(0, html.indexOf('</head>'));
  const metas = {};
  for (const m of head.matchAll(/<meta (?:property|name)="([^"]+)" content="([^"]*)">/g)) metas[m[1]] = m[2];
  const links = [...head.matchAll(/<link rel="(canonical|alternate)"(?: hreflang="([^"]+)")? href="([^"]+)">/g)]
    .map((m) => ({ rel: m[1], lang: m[2], href: m[3] }));
  const ld = [...html.matchAll(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/g)].map((m) => JSON.parse(m[1]));
  return {
    lang: /<html lang="([^"]+)">/.exec(html)?.[1],
    title: /<title>([^<]*)<\/title>/.exec(head)?.[1],
    metas, links, ld,
    main: /<main[^>]*>([\s\S]*?)<\/main>/.exec(html)?.[1] ?? '',
    footer: /<footer[^>]*>([\s\S]*?)<\/footer>/.exec(html)?.[1] ?? '',
  };
}

describe('pages that are right before any script runs', () => {
  test('a show page has its title, description, canonical, hreflang, OG/Twitter tags with the poster and schema.org Events', async () => {
    // A poster, a sold-out, a cancelled and a moved performance.
    const dir = mkdtempSync(join(tmpdir(), 'boxoffice-ssr-'));
    try {
      execFileSync('vips', ['black', join(dir, 'p.jpg'), '1280', '720']);
      const up = await api(stack, '/admin/media', {
        method: 'POST',
        headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'image/jpeg' },
        body: readFileSync(join(dir, 'p.jpg')),
      });
      assert.equal(up.status, 201, up.text);
      const slug = `ssr-${process.pid}`;
      const show = await as(admin, '/admin/shows', {
        method: 'POST',
        body: {
          slug, title: 'Il "Gabbiano" <prova>', published: true, image: up.body.media.id, duration_minutes: 100,
          subtitle: { it: 'Anton Čechov', en: 'Anton Chekhov' },
          description: { it: 'Una *commedia* in quattro atti. </script><script>alert(1)</script>', en: 'A comedy in four acts.' },
        },
      });
      assert.equal(show.status, 201, show.text);
      const venue = (await as(admin, '/admin/venues')).body.venues[0];
      const perfs = [];
      for (const [days, capacity] of [[3, 50], [4, 1], [5, 50], [6, 50]]) {
        const p = await as(admin, '/admin/performances', {
          method: 'POST',
          body: { show_id: show.body.show.id, venue_id: venue.id, starts_at: minute(days), capacity },
        });
        assert.equal(p.status, 201, p.text);
        perfs.push(p.body.performance);
      }
      // Sold out: the one seat of the second is taken.
      assert.equal((await book(stack, perfs[1].id, { name: 'Ada', email: visitor('ssr'), seats: 1 })).status, 201);
      assert.equal((await as(admin, `/admin/performances/${perfs[2].id}/cancel`, { method: 'POST' })).status, 200);
      const moved = minute(7);
      assert.equal((await as(admin, `/admin/performances/${perfs[3].id}`, { method: 'PATCH', body: { starts_at: moved } })).status, 200);
      await pause(1100);

      for (const lang of ['it', 'en']) {
        const path = `${lang === 'en' ? '/en' : ''}/shows/${slug}`;
        const r = await api(stack, path);
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type'), /^text\/html/);
        const page = parsePage(r.text);
        assert.equal(page.lang, lang);
        assert.equal(page.title, 'Il &quot;Gabbiano&quot; &lt;prova&gt; · Compagnia del Ponte'.replace('Compagnia del Ponte', (await api(stack, '/api/site')).body.site.company_name));
        assert.match(page.metas.description, lang === 'it' ? /^Anton Čechov\. Una commedia in quattro atti/ : /^Anton Chekhov\. A comedy in four acts\.$/);
        const url = `${stack.url}${path}`;
        assert.deepEqual(page.links.find((l) => l.rel === 'canonical'), { rel: 'canonical', lang: undefined, href: url });
        const alt = Object.fromEntries(page.links.filter((l) => l.rel === 'alternate').map((l) => [l.lang, l.href]));
        assert.deepEqual(alt, {
          it: `${stack.url}/shows/${slug}`,
          en: `${stack.url}/en/shows/${slug}`,
          'x-default': `${stack.url}/shows/${slug}`,
        });
        const poster = `${stack.url}${up.body.media.url}`;
        assert.equal(page.metas['og:image'], poster);
        assert.equal(page.metas['twitter:image'], poster);
        assert.equal(page.metas['twitter:card'], 'summary_large_image');
        assert.equal(page.metas['og:url'], url);
        assert.equal(page.metas['og:title'], 'Il &quot;Gabbiano&quot; &lt;prova&gt;');
        assert.equal(page.metas['og:locale'], lang === 'it' ? 'it_IT' : 'en_GB');
        // The poster and the title are in the page itself, and no script of the text.
        assert.ok(page.main.includes(`src="${up.body.media.url}"`), 'poster in <main>');
        assert.ok(page.main.includes('<h1 id="show-title">Il &quot;Gabbiano&quot; &lt;prova&gt;</h1>'));
        assert.doesNotMatch(r.text, /<script>alert/);
        assert.ok(page.footer.includes('Compagnia del Ponte') || page.footer.includes(SETTINGS.company_name));

        // One Event per upcoming performance, each with what search engines need.
        assert.equal(page.ld.length, 1);
        const events = page.ld[0];
        assert.equal(events.length, 4);
        for (const e of events) {
          assert.equal(e['@context'], 'https://schema.org');
          assert.equal(e['@type'], 'Event');
          assert.equal(e.name, 'Il "Gabbiano" <prova>');
          assert.match(e.startDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
          assert.match(e.endDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
          assert.equal(Date.parse(e.endDate) - Date.parse(e.startDate), 100 * 60e3);
          assert.equal(e.location['@type'], 'Place');
          assert.equal(e.location.name, venue.name);
          assert.equal(e.location.address['@type'], 'PostalAddress');
          assert.equal(e.location.address.streetAddress, venue.address);
          assert.equal(e.offers['@type'], 'Offer');
          assert.match(e.offers.url, /\/book\/\d+$/);
          assert.deepEqual(e.image, [poster]);
          assert.equal(e.organizer['@type'], 'Organization');
          assert.ok(e.organizer.name);
          assert.equal(e.eventAttendanceMode, 'https://schema.org/OfflineEventAttendanceMode');
        }
        const by = (p) => events.find((e) => e.offers.url.endsWith(`/book/${p.id}`));
        assert.equal(Date.parse(by(perfs[0]).startDate), Date.parse(perfs[0].starts_at));
        assert.equal(by(perfs[0]).offers.availability, 'https://schema.org/InStock');
        assert.equal(by(perfs[0]).eventStatus, 'https://schema.org/EventScheduled');
        assert.equal(by(perfs[1]).offers.availability, 'https://schema.org/SoldOut');
        assert.equal(by(perfs[2]).eventStatus, 'https://schema.org/EventCancelled');
        assert.equal(by(perfs[3]).eventStatus, 'https://schema.org/EventRescheduled');
        assert.equal(Date.parse(by(perfs[3]).startDate), Date.parse(moved));
      }

      // An unknown show: not indexed, and nothing from the API leaks in.
      const none = parsePage((await api(stack, '/shows/no-such-show')).text);
      assert.equal(none.metas.robots, 'noindex');
      assert.doesNotMatch(none.main, /error/);

      // The sitemap lists the pages and the show in both languages; robots points to it.
      const map = await api(stack, '/sitemap.xml');
      assert.equal(map.status, 200);
      assert.match(map.headers.get('content-type'), /xml/);
      for (const p of ['/', '/about', '/contacts', '/accessibility', '/privacy', `/shows/${slug}`, `/en/shows/${slug}`]) {
        assert.ok(map.text.includes(`<loc>${stack.url}${p}</loc>`), p);
      }
      const robots = await api(stack, '/robots.txt');
      assert.match(robots.text, new RegExp(`^Sitemap: ${stack.url}/sitemap.xml$`, 'm'));
      assert.doesNotMatch(robots.text, /Disallow: \/(shows|book)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every public page has the company\'s footer in its HTML', async () => {
    for (const p of ['/', '/privacy', '/about', '/book/1', '/shows/la-locandiera']) {
      const page = parsePage((await api(stack, p)).text);
      const name = (await api(stack, '/api/site')).body.site.company_name;
      assert.ok(page.footer.includes(name), `${p}: footer has ${name}`);
      assert.ok(page.footer.includes('href="/privacy"'), `${p}: footer links the privacy page`);
    }
    // The home page and the company pages have their content too.
    await as(admin, '/admin/site', { method: 'PATCH', body: SETTINGS });
    await pause(1100);
    const home = parsePage((await api(stack, '/')).text);
    assert.ok(home.main.includes(`<h1 id="company">${SETTINGS.company_name}</h1>`));
    assert.ok(home.main.includes(SETTINGS.tagline.it));
    assert.ok(home.main.includes('<p>Benvenuti al <strong>Nuovo</strong>.</p>'));
    assert.match(home.main, /<a href="\/shows\/la-locandiera">La locandiera<\/a>/);
    for (const p of ['about', 'contacts', 'accessibility']) {
      const page = parsePage((await api(stack, `/${p}`)).text);
      assert.ok(page.main.includes(`<p>${SETTINGS[p].it.replace(/_(\w+)_/, '<em>$1</em>')}</p>`), `${p}: ${page.main}`);
    }
  });
});

describe('scheduling in bulk', () => {
  /** The next Monday at least 10 days away, as YYYY-MM-DD. */
  function nextMonday() {
    const d = new Date(Date.now() + 10 * 864e5);
    d.setUTCDate(d.getUTCDate() + ((8 - d.getUTCDay()) % 7));
    return d.toISOString().slice(0, 10);
  }
  const addDays = (iso, n) => new Date(Date.parse(`${iso}T12:00:00Z`) + n * 864e5).toISOString().slice(0, 10);
  const rome = (iso) => new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Rome', weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false,
  }).format(new Date(iso));

  test('18 performances in one request: Tuesday to Sunday for three weeks, capacity from the venue', async () => {
    const venue = await as(admin, '/admin/venues', { method: 'POST', body: { name: `Sala ${process.pid}`, default_capacity: 77 } });
    assert.equal(venue.status, 201, venue.text);
    assert.equal(venue.body.venue.default_capacity, 77);
    const showId = (await as(admin, '/admin/shows')).body.shows[0].id;
    const from = nextMonday();
    const body = { show_id: showId, venue_id: venue.body.venue.id, days_of_week: [2, 3, 4, 5, 6, 7], time: '20:30', from, to: addDays(from, 20) };
    const r = await as(admin, '/admin/performances/series', { method: 'POST', body });
    assert.equal(r.status, 201, r.text);
    const perfs = r.body.performances;
    assert.equal(perfs.length, 18);
    for (const p of perfs) {
      assert.equal(p.capacity, 77);
      assert.equal(p.status, 'scheduled');
      assert.match(rome(p.starts_at), /^(Tue|Wed|Thu|Fri|Sat|Sun) 20:30$/, p.starts_at);
    }
    assert.equal(new Set(perfs.map((p) => p.starts_at.slice(0, 10))).size, 18);
    assert.equal(await stack.psql(`SELECT count(*) FROM audit_log WHERE entity = 'performance' AND action = 'create'
                                   AND entity_id = ANY (ARRAY[${perfs.map((p) => p.id)}]::bigint[])`), '18');

    // A capacity in the body wins; a venue without a default needs one.
    const own = await as(admin, '/admin/performances/series', { method: 'POST', body: { ...body, days_of_week: [1], to: from, capacity: 20 } });
    assert.equal(own.status, 201, own.text);
    assert.equal(own.body.performances[0].capacity, 20);
    const bare = await as(admin, '/admin/venues', { method: 'POST', body: { name: `Nuda ${process.pid}` } });
    const none = await as(admin, '/admin/performances/series', { method: 'POST', body: { ...body, venue_id: bare.body.venue.id } });
    assert.equal(none.status, 422, none.text);
    assert.deepEqual(none.body.error.fields, { capacity: 'required' });
    const single = await as(admin, '/admin/performances', { method: 'POST', body: { show_id: showId, venue_id: venue.body.venue.id, starts_at: `${addDays(from, 30)}T19:00:00Z` } });
    assert.equal(single.status, 201, single.text);
    assert.equal(single.body.performance.capacity, 77, 'a single performance takes the default too');
    const singleBare = await as(admin, '/admin/performances', { method: 'POST', body: { show_id: showId, venue_id: bare.body.venue.id, starts_at: `${addDays(from, 30)}T19:00:00Z` } });
    assert.equal(singleBare.status, 422);
    assert.deepEqual(singleBare.body.error.fields, { capacity: 'required' });

    // Bad bodies, field by field.
    const bad = await as(admin, '/admin/performances/series', { method: 'POST', body: { show_id: showId, venue_id: venue.body.venue.id, days_of_week: [0, 8], time: '25:00', from: '2026-02-30', to: 'soon' } });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.error.fields, { days_of_week: 'invalid', time: 'invalid', from: 'invalid', to: 'invalid' });
    const backwards = await as(admin, '/admin/performances/series', { method: 'POST', body: { ...body, to: addDays(from, -1) } });
    assert.deepEqual(backwards.body.error.fields, { to: 'before_from' });
    const empty = await as(admin, '/admin/performances/series', { method: 'POST', body: { ...body, days_of_week: [1], from: addDays(from, 1), to: addDays(from, 2) } });
    assert.deepEqual(empty.body.error.fields, { days_of_week: 'no_dates' });
  });

  test('duplicate a performance; delete one without bookings, not one with', async () => {
    const perf = await makePerformance(stack, { capacity: 33, occupied: 3, max: 4 });
    const at = minute(40);
    const dup = await as(admin, `/admin/performances/${perf}/duplicate`, { method: 'POST', body: { starts_at: at } });
    assert.equal(dup.status, 201, dup.text);
    const copy = dup.body.performance;
    assert.notEqual(copy.id, perf);
    assert.equal(Date.parse(copy.starts_at), Date.parse(at));
    assert.deepEqual([copy.capacity, copy.occupied_manual, copy.max_seats_per_reservation], [33, 3, 4]);
    assert.equal((await as(admin, '/admin/performances/999999999/duplicate', { method: 'POST', body: { starts_at: at } })).status, 404);

    assert.equal((await book(stack, perf, { name: 'Ada', email: visitor('del'), seats: 1 })).status, 201);
    const refused = await as(admin, `/admin/performances/${perf}`, { method: 'DELETE' });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.error.code, 'has_reservations');
    assert.equal((await as(admin, `/admin/performances/${perf}`)).status, 200, 'still there');

    const gone = await as(admin, `/admin/performances/${copy.id}`, { method: 'DELETE' });
    assert.equal(gone.status, 204, gone.text);
    assert.equal((await as(admin, `/admin/performances/${copy.id}`)).status, 404);
    assert.equal((await as(admin, `/admin/performances/${copy.id}`, { method: 'DELETE' })).status, 404);
    const audit = await as(admin, `/admin/audit?entity=performance&entity_id=${copy.id}`);
    assert.deepEqual(audit.body.entries.map((e) => e.action), ['delete', 'create']);
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
