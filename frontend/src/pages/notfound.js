// The page nginx serves for any unknown path (status 404).
import '../styles/base.css';
import '../strings/public.js';
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { messagePage, mount, setTitle } from '../lib/layout.js';

mount((main) => {
  setTitle(t('notfound.title'));
  replace(main, messagePage({
    title: t('notfound.title'),
    text: t('notfound.text'),
    actions: [h('a', { class: 'btn', href: '/' }, t('back.home'))],
  }));
});
