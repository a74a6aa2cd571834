// Staff session for /checkin/ and /manage/: who is signed in, the CSRF
// token for unsafe requests, and the sign-in form.
import '../strings/staff.js';
import { api, ApiError, setCsrf } from './api.js';
import { focus, h, replace } from './dom.js';
import { t } from './i18n.js';
import { errorText } from './layout.js';

export let user = null;

/** GET /api/auth/me: the user, or null when not signed in. */
export async function whoami() {
  try {
    const me = await api('/api/auth/me');
    setCsrf(me.csrf_token);
    user = me.user;
  } catch (err) {
    if (err.status !== 401) throw err;
    user = null;
  }
  return user;
}

export async function logout() {
  try {
    await api('/api/auth/logout', { method: 'POST' });
  } catch {
    // gone already
  }
  user = null;
  setCsrf(null);
}

/**
 * The sign-in form. Calls onDone(user) after a successful login with an
 * allowed role.
 * @param {{roles: string[], onDone: (user) => void, notice?: string}} opts
 */
export function loginForm({ roles, onDone, notice }) {
  const err = h('div', { class: 'alert', role: 'alert', id: 'login-alert', tabindex: '-1' }, notice ?? '');
  const email = h('input', { class: 'input', id: 'login-email', type: 'email', autocomplete: 'username', required: true, spellcheck: 'false', autocapitalize: 'off' });
  const password = h('input', { class: 'input', id: 'login-password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { class: 'btn btn--block', type: 'submit' }, t('login.submit'));
  const form = h('form', {
    class: 'form card login', novalidate: true, 'aria-labelledby': 'login-title',
    onsubmit: async (e) => {
      e.preventDefault();
      if (!email.value.trim() || !password.value) {
        replace(err, t('login.required'));
        focus(err);
        return;
      }
      button.disabled = true;
      button.textContent = t('login.working');
      try {
        const r = await api('/api/auth/login', { method: 'POST', body: { email: email.value.trim(), password: password.value } });
        if (!roles.includes(r.user.role)) {
          await api('/api/auth/logout', { method: 'POST' }).catch(() => {});
          throw new ApiError(403, { code: 'role' });
        }
        setCsrf(r.csrf_token);
        user = r.user;
        onDone(r.user);
        return;
      } catch (e2) {
        const text = e2.code === 'invalid_credentials' ? t('login.failed')
          : e2.code === 'role' ? t('login.forbidden') : errorText(e2);
        replace(err, text);
        password.value = '';
        button.disabled = false;
        button.textContent = t('login.submit');
        focus(err);
      }
    },
  },
  h('h1', { id: 'login-title' }, t('login.title')),
  err,
  h('div', { class: 'field' }, h('label', { for: 'login-email' }, t('login.email')), email),
  h('div', { class: 'field' }, h('label', { for: 'login-password' }, t('login.password')), password),
  button);
  return form;
}
