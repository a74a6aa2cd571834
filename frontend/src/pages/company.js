// The company's pages /about, /contacts, /accessibility: the theatre's own
// words (site settings, Markdown rendered by the server), and on the
// contacts page its address, email, phone and social links.
import '../styles/base.css';
import '../strings/public.js';
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { loading, mount, prerendered, setTitle, site, siteHtml } from '../lib/layout.js';

const PAGES = { about: 'nav.about', contacts: 'nav.contacts', accessibility: 'nav.accessibility' };
const page = location.pathname.replace(/^\//, '').replace(/\/$/, '');
const key = PAGES[page] ? page : 'about';

mount((main) => {
  const s = site();
  setTitle(t(PAGES[key]));
  if (!s && prerendered) return; // the server's markup until the settings are here
  replace(main,
    h('article', { class: 'prose', 'aria-labelledby': 'page-title' },
      h('h1', { id: 'page-title', tabindex: '-1' }, t(PAGES[key])),
      s ? h('div', { class: 'site-text' }, siteHtml(key)) : loading(),
      key === 'contacts' && s
        ? h('dl', { class: 'contacts' },
          s.address ? [h('dt', {}, t('contacts.address')), h('dd', {}, s.address)] : null,
          s.contact_email ? [h('dt', {}, t('contacts.email')),
            h('dd', {}, h('a', { href: `mailto:${s.contact_email}` }, s.contact_email))] : null,
          s.phone ? [h('dt', {}, t('contacts.phone')),
            h('dd', {}, h('a', { href: `tel:${s.phone.replace(/[^+0-9]/g, '')}` }, s.phone))] : null)
        : null));
});
