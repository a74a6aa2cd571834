// Browser harness: playwright-core driving Debian's chromium (no browser
// download), plus the checks every page gets: axe-core (no serious or
// critical violation), no CSP violation, no uncaught error, and screenshots
// at phone and desktop widths in both languages.
//
//   const browser = await launch();                 // or launch({ video: 'qr.y4m' })
//   const page = await newPage(browser);            // phone viewport
//   await page.goto(stack.url + '/');
//   await checkPage(page, 'home');                  // axe + screenshots, it + en
//   assertClean(page);                              // no CSP/JS errors so far
//
// Screenshots go to tests/artifacts/screenshots/ (gitignored). docShot()
// also copies one to docs/screenshots/ for the README, when it is not there
// yet or when BOXOFFICE_DOC_SCREENSHOTS=1 (so test runs leave the tree clean).

import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from '../http/stack.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const CHROMIUM = process.env.BOXOFFICE_CHROMIUM ?? '/usr/bin/chromium';
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };
export const SHOTS = join(ROOT, 'tests', 'artifacts', 'screenshots');
export const DOC_SHOTS = join(ROOT, 'docs', 'screenshots');

const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/**
 * Launch chromium headless with a fresh profile (user-data-dir). With
 * `video`, a fake camera plays that file (.y4m or .mjpeg) and the camera
 * permission prompt is answered yes.
 */
export async function launch({ video } = {}) {
  const args = [...BASE_ARGS];
  if (video) {
    args.push('--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'boxoffice-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: PHONE,
    locale: 'it-IT',
    timezoneId: 'Europe/Rome',
    acceptDownloads: true,
  });
  const close = context.close.bind(context);
  context.close = async () => {
    try {
      await close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  };
  // The persistent context opens one blank page; we make our own.
  for (const p of context.pages()) await p.close();
  return context;
}

/** A new page (tab) with error and CSP-violation tracking. */
export async function newPage(context, { viewport = PHONE } = {}) {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.setViewportSize(viewport);
  page.problems = [];
  page.on('pageerror', (err) => page.problems.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    // Expected: the browser logs failed API calls (4xx) that the page handles.
    if (/Failed to load resource: the server responded with a status of (4\d\d)/.test(text)) return;
    page.problems.push(`console: ${text}`);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return page;
}

/** No uncaught error, no console error, no CSP violation so far. */
export function assertClean(page) {
  assert.deepEqual(page.problems, [], `problems on ${page.url()}`);
}

/** axe-core: no serious or critical violation on the page as it is now. */
export async function axe(page, label) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} :: ${n.failureSummary}`),
    }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) {
    throw new Error(`axe: serious/critical violations on ${label} (${page.url()}):\n${JSON.stringify(bad, null, 2)}`);
  }
  return result;
}

function shotName(name, lang, size) {
  return join(SHOTS, `${name}.${lang}.${size}.png`);
}

/** Full-page screenshots at phone and desktop width; restores the viewport. */
export async function screenshots(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const lang = await page.evaluate(() => document.documentElement.lang);
  const before = page.viewportSize();
  await page.mouse.move(0, 0); // no hover effect left from the last click
  for (const [size, vp] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    await page.setViewportSize(vp);
    await settle(page);
    await page.screenshot({ path: shotName(name, lang, size), fullPage: true });
  }
  await page.setViewportSize(before);
  await settle(page);
}

/** Wait for fonts, images and two frames. */
export async function settle(page) {
  await page.evaluate(async () => {
    await document.fonts?.ready;
    await Promise.all([...document.images].filter((i) => !i.complete).map((i) => new Promise((r) => {
      i.addEventListener('load', r, { once: true });
      i.addEventListener('error', r, { once: true });
    })));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  });
}

/** Switch the language with the page's own switch; waits for <html lang>. */
export async function switchLang(page, to) {
  const now = await page.evaluate(() => document.documentElement.lang);
  if (now === to) return;
  const button = page.locator('.lang-switch:visible');
  if (await button.count()) {
    await button.first().click();
  } else {
    // Full-screen states (the door's result) have no switch: do what another
    // tab switching the language does.
    await page.evaluate((l) => {
      localStorage.setItem('bo.lang', l);
      window.dispatchEvent(new StorageEvent('storage', { key: 'bo.lang', newValue: l }));
    }, to);
  }
  await page.waitForFunction((l) => document.documentElement.lang === l, to);
}

/**
 * The checks every page state gets: axe and screenshots in the current
 * language and in the other one, then back. `ready` (a function of the
 * page) waits for the state to be drawn after the language switch.
 * bothLangs: false for a state that a language switch would reset (the
 * admin views redraw from the server); the other language is checked on
 * the same view in its initial state.
 */
export async function checkPage(page, name, { ready, shots = true, bothLangs = true } = {}) {
  const first = await page.evaluate(() => document.documentElement.lang);
  const other = first === 'it' ? 'en' : 'it';
  for (const lang of bothLangs ? [first, other] : [first]) {
    await switchLang(page, lang);
    if (ready) await ready(page);
    await settle(page);
    await axe(page, `${name} [${lang}]`);
    const unsized = await page.evaluate(() => [...document.images]
      .filter((i) => !i.getAttribute('width') || !i.getAttribute('height')).map((i) => i.outerHTML));
    assert.deepEqual(unsized, [], `images without width/height on ${name}`);
    if (shots) await screenshots(page, name);
  }
  await switchLang(page, first);
  if (ready) await ready(page);
  assertClean(page);
}

/** Copy a screenshot made by screenshots() to docs/screenshots/<as>.png. */
export function docShot(name, as, { lang = 'it', size = 'phone' } = {}) {
  const dest = join(DOC_SHOTS, `${as}.png`);
  if (existsSync(dest) && process.env.BOXOFFICE_DOC_SCREENSHOTS !== '1') return;
  mkdirSync(DOC_SHOTS, { recursive: true });
  copyFileSync(shotName(name, lang, size), dest);
}
