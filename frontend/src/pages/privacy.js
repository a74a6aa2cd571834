// Privacy page /privacy: what is stored, why, for how long, whom to ask.
// The durations come from the server's configuration (GET /api/site), so
// the page says what the purge really does.
import '../styles/base.css';
import '../strings/public.js';
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { mount, setTitle, site as siteDoc, siteHtml } from '../lib/layout.js';

mount((main) => {
  setTitle(t('privacy.title'));
  const site = siteDoc();
  const days = site ? String(site.purge_days) : '\u2026';
  const minutes = site ? String(site.hold_minutes) : '\u2026';
  replace(main,
    h('article', { class: 'prose' },
      h('h1', { id: 'privacy-title', tabindex: '-1' }, t('privacy.title')),
      h('h2', {}, t('privacy.what_title')), h('p', {}, t('privacy.what')),
      h('h2', {}, t('privacy.why_title')), h('p', {}, t('privacy.why')),
      h('h2', {}, t('privacy.long_title')),
      h('p', { id: 'privacy-retention' }, t('privacy.long', { days, minutes })),
      h('h2', {}, t('privacy.who_title')), h('p', {}, t('privacy.who')),
      h('p', {}, site?.address ?? ''),
      h('div', { class: 'site-text' }, siteHtml('privacy'))));
});
