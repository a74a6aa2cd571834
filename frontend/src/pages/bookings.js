// "Send me my bookings" /my-bookings: an address, then one message listing
// its active bookings with their links (POST /api/bookings/lookup). The
// answer on screen is the same whether or not the address has bookings.
import '../styles/base.css';
import '../strings/public.js';
import { api } from '../lib/api.js';
import { focus, h, replace } from '../lib/dom.js';
import { lang, t } from '../lib/i18n.js';
import { errorText, messagePage, mount, setTitle } from '../lib/layout.js';

let email = '';
let sending = false;
let done = null; // the address the message went to
let error = null;

const app = mount((main) => {
  setTitle(t('lookup.title'));
  if (done) {
    replace(main, messagePage({
      kind: 'info',
      title: t('lookup.title'),
      text: t('lookup.done', { email: done }),
      actions: [h('a', { class: 'btn', href: '/' }, t('back.home'))],
    }));
    return;
  }
  const input = h('input', {
    id: 'lookup-email', name: 'email', type: 'email', class: 'input', autocomplete: 'email',
    required: true, maxlength: '254', value: email, 'aria-describedby': 'lookup-error',
    oninput: (e) => { email = e.target.value; },
  });
  replace(main,
    h('section', { class: 'card', 'aria-labelledby': 'lookup-title' },
      h('h1', { id: 'lookup-title', tabindex: '-1' }, t('lookup.title')),
      h('p', {}, t('lookup.text')),
      h('form', { id: 'lookup-form', novalidate: true, onsubmit: send },
        h('div', { class: 'field' },
          h('label', { for: 'lookup-email' }, t('lookup.email')),
          input,
          h('p', { class: error ? 'field-error alert' : 'field-error', id: 'lookup-error', role: 'alert' }, error ?? '')),
        h('p', { class: 'actions' },
          h('button', { type: 'submit', class: 'btn', id: 'lookup-send', disabled: sending, 'aria-busy': sending ? 'true' : null },
            sending ? t('lookup.sending') : t('lookup.send'))))));
});

async function send(ev) {
  ev.preventDefault();
  const address = email.trim();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) {
    error = t('field.invalid.email');
    app.redraw();
    document.getElementById('lookup-email')?.focus();
    return;
  }
  sending = true;
  error = null;
  app.redraw();
  try {
    await api('/api/bookings/lookup', { method: 'POST', body: { email: address, locale: lang() } });
    done = address;
  } catch (err) {
    error = err.code === 'validation_failed' ? t('field.invalid.email') : errorText(err);
  }
  sending = false;
  app.redraw();
  focus(document.getElementById(done ? 'message-title' : 'lookup-email'));
}
