// Admin UI /manage/...: sign-in, then venues, shows, performances with
// their bookings, users and the audit log, over the /admin/* JSON API.
// Clean URLs under /manage/ (nginx serves this page for all of them); links
// inside are followed with history.pushState.
import '../styles/base.css';
import '../styles/manage.css';
import '../strings/manage.js';
import '../strings/box-office.js';
import { api } from '../lib/api.js';
import { focus, h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { errorText, langSwitch, loading, mount, setTitle } from '../lib/layout.js';
import { loginForm, logout, user, whoami } from '../lib/staff.js';
import { notice } from '../manage/ui.js';
import { doorList, performanceDetail, performanceNew, performanceSeries, performancesList } from '../manage/performances.js';
import { dashboard } from '../manage/dashboard.js';
import { showEdit, showNew, showsList, venueEdit, venueNew, venuesList } from '../manage/catalog.js';
import { auditList, usersList } from '../manage/people.js';
import { siteView } from '../manage/site.js';

const ROUTES = [
  [/^\/manage\/?$/, landing, 'performances'],
  [/^\/manage\/performances\/new$/, performanceNew, 'performances'],
  [/^\/manage\/performances\/series$/, performanceSeries, 'performances'],
  [/^\/manage\/performances\/(\d+)$/, performanceDetail, 'performances'],
  [/^\/manage\/performances\/(\d+)\/door-list$/, doorList, 'performances'],
  [/^\/manage\/shows$/, showsList, 'shows'],
  [/^\/manage\/shows\/new$/, showNew, 'shows'],
  [/^\/manage\/shows\/(\d+)$/, showEdit, 'shows'],
  [/^\/manage\/venues$/, venuesList, 'venues'],
  [/^\/manage\/venues\/new$/, venueNew, 'venues'],
  [/^\/manage\/venues\/(\d+)$/, venueEdit, 'venues'],
  [/^\/manage\/users$/, usersList, 'users'],
  [/^\/manage\/audit$/, auditList, 'audit'],
  [/^\/manage\/site$/, siteView, 'site'],
];
const NAV = [
  ['performances', '/manage/'],
  ['shows', '/manage/shows'],
  ['venues', '/manage/venues'],
  ['users', '/manage/users'],
  ['audit', '/manage/audit'],
  ['site', '/manage/site'],
];

/** The landing page: the performances, and the overview drawn as charts
 * (people would rather look than read) right under their list. */
async function landing(el, ctx) {
  const list = h('div', {});
  const dash = h('div', {});
  replace(el, list, dash);
  await Promise.all([performancesList(list, ctx), dashboard(dash, ctx)]);
}

let phase = 'loading'; // loading | login | ready | error
let loginNotice = null;
let bootError = null;
let flash = null; // {text, kind} shown once on the next view
let section = 'performances';
let renderSeq = 0;

/** API calls of the views: a 401 brings back the sign-in form. */
async function mapi(path, opts) {
  try {
    return await api(path, opts);
  } catch (err) {
    if (err.status === 401) {
      phase = 'login';
      loginNotice = t('login.expired');
      app.redraw();
    }
    throw err;
  }
}

function go(path, message, kind = 'ok') {
  flash = message ? { text: message, kind } : null;
  if (path === location.pathname + location.search) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  app.redraw();
  window.scrollTo(0, 0);
}

function bar() {
  return h('div', { class: 'staff-bar staff-bar--wide' },
    h('a', { class: 'staff-bar__title', href: '/manage/' }, t('m.title')),
    user ? h('a', { class: 'staff-bar__link', href: '/checkin/' }, t('m.nav.door')) : null,
    langSwitch(),
    user ? h('button', { type: 'button', class: 'staff-bar__btn', id: 'logout', onclick: signOut }, t('logout')) : null);
}

function nav() {
  return h('nav', { class: 'mnav', 'aria-label': t('m.nav') },
    h('ul', {}, NAV.map(([key, href]) => h('li', {},
      h('a', { href, 'aria-current': key === section ? 'page' : null }, t(`m.nav.${key}`))))));
}

function render(main) {
  replace(document.getElementById('site-header'), bar());
  setTitle(t('m.title'));
  if (phase === 'loading') {
    replace(main, loading());
    return;
  }
  if (phase === 'error') {
    replace(main, h('div', { class: 'alert', role: 'alert' }, errorText(bootError)));
    return;
  }
  if (phase === 'login') {
    replace(main, h('div', { class: 'narrow center' }, loginForm({
      roles: ['admin'],
      notice: loginNotice,
      onDone: () => {
        phase = 'ready';
        loginNotice = null;
        app.redraw();
      },
    })));
    return;
  }
  const path = location.pathname.replace(/\/+$/, '') || '/manage';
  const match = ROUTES.map(([re, view, sec]) => [re.exec(path === '/manage' ? '/manage/' : path), view, sec]).find(([m]) => m);
  const body = h('div', { class: 'mview' });
  const f = flash;
  flash = null;
  if (!match) {
    section = '';
    replace(main, nav(), h('p', { class: 'alert', role: 'alert' }, t('m.not_found')));
    return;
  }
  const [m, view, sec] = match;
  section = sec;
  replace(main, nav(), f ? notice(f.text, f.kind) : null, body);
  const seq = ++renderSeq;
  const ctx = {
    params: m.slice(1),
    query: new URLSearchParams(location.search),
    api: mapi,
    go,
    redraw: () => app.redraw(),
    stale: () => seq !== renderSeq,
    title: (s) => setTitle(s, t('m.title')),
  };
  replace(body, loading());
  Promise.resolve(view(body, ctx)).then(() => {
    // Announce the new view, unless the language switch was just pressed.
    const onSwitch = document.activeElement?.classList.contains('lang-switch');
    if (seq === renderSeq && !ctx.keepFocus && !onSwitch) focus(body.querySelector('h1'));
  }).catch((err) => {
    if (seq !== renderSeq || err?.status === 401) return;
    replace(body, h('p', { class: 'alert', role: 'alert' }, err?.status === 404 ? t('m.not_found') : errorText(err)));
  });
}

// Links inside the app change the view without reloading the page.
document.addEventListener('click', (e) => {
  const a = e.target.closest?.('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.hasAttribute('download') || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/manage')) return;
  e.preventDefault();
  go(url.pathname + url.search);
});
window.addEventListener('popstate', () => app.redraw());

async function signOut() {
  await logout();
  phase = 'login';
  loginNotice = null;
  app.redraw();
}

async function start() {
  try {
    const u = await whoami();
    phase = u && u.role === 'admin' ? 'ready' : 'login';
    if (u && u.role !== 'admin') loginNotice = t('login.forbidden');
  } catch (err) {
    bootError = err;
    phase = 'error';
  }
  app.redraw();
}

const app = mount(render, { header: false });
start();
