// Home: the company, then the programme (GET /api/shows).
import '../styles/base.css';
import '../strings/public.js';
import { api } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { shortDate, time } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { badge, errorText, loading, mount, prerendered, setTitle, site, siteHtml, siteText } from '../lib/layout.js';
import { poster, showText } from '../lib/show-bits.js';

let shows = null;
let error = null;

function render(main) {
  setTitle(t('home.title'));
  if (prerendered && !error && (!shows || !site())) return; // the server's markup until the data is here
  replace(main,
    h('section', { class: 'hero', 'aria-labelledby': 'company' },
      h('h1', { id: 'company' }, site()?.company_name ?? ''),
      h('p', { class: 'hero__tagline' }, siteText('tagline')),
      h('div', { class: 'hero__text' }, siteHtml('home'))),
    h('section', { id: 'programme', 'aria-labelledby': 'programme-title', tabindex: '-1' },
      h('h2', { id: 'programme-title' }, t('home.programme')),
      programme()));
}

function programme() {
  if (error) {
    return h('div', { class: 'alert', role: 'alert' }, errorText(error), ' ',
      h('button', { type: 'button', class: 'btn btn--small btn--secondary', onclick: load }, t('retry')));
  }
  if (!shows) return loading();
  if (!shows.length) return h('p', {}, t('home.empty'));
  return h('ul', { class: 'shows' }, shows.map(showCard));
}

function showCard(s) {
  const href = `/shows/${encodeURIComponent(s.slug)}`;
  const next = s.next_performance;
  return h('li', {},
    h('article', { class: 'show-card', 'aria-labelledby': `show-${s.slug}` },
      poster(s),
      h('div', { class: 'show-card__body' },
        h('h3', { id: `show-${s.slug}` }, h('a', { href }, s.title)),
        showText(s).subtitle ? h('p', { class: 'show-card__author' }, showText(s).subtitle) : null,
        next
          ? h('p', { class: 'show-card__next' },
            h('span', { class: 'muted' }, t('home.next')),
            h('strong', {}, `${shortDate(next.starts_at)}, ${time(next.starts_at)}`),
            badge(next.availability.state))
          : h('p', { class: 'show-card__next muted' }, t('home.no_next')),
        h('a', { class: 'btn btn--secondary', href, 'aria-label': t('home.details_label', { title: s.title }) },
          t('home.details')))));
}

async function load() {
  error = null;
  shows = null;
  app.redraw();
  try {
    shows = (await api('/api/shows')).shows;
  } catch (err) {
    error = err;
  }
  app.redraw();
  if (location.hash === '#programme') document.getElementById('programme')?.scrollIntoView();
}

const app = mount(render);
load();
