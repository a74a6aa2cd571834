// Users (create, reset password, deactivate/activate) and the audit log.
import { focus, h, replace } from '../lib/dom.js';
import { compactDateTime, time } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { errorText } from '../lib/layout.js';
import { user as me } from '../lib/staff.js';
import { form, notice, table, twoStep } from './ui.js';

export async function usersList(el, ctx) {
  ctx.title(t('u.list'));
  const { users } = await ctx.api('/admin/users');
  if (ctx.stale()) return;
  const out = h('div', { id: 'user-result' });

  /** Show a generated password once, where the admin is looking. */
  function showPassword(email, password) {
    replace(out, h('div', { class: 'notice notice--ok', role: 'status', tabindex: '-1' },
      h('p', {}, t('u.password', { email, password: '' }), h('code', { class: 'password', id: 'new-password' }, password)),
      h('p', { class: 'small' }, t('u.password_once'))));
    focus(out.firstChild);
  }

  async function act(path, after) {
    try {
      const r = await ctx.api(path, { method: 'POST' });
      after(r);
    } catch (err) {
      if (err.status === 401) return;
      replace(out, notice(errorText(err), 'bad'));
      focus(out.firstChild);
    }
  }

  const rows = users.map((u) => {
    const locked = u.locked_until && Date.parse(u.locked_until) > Date.now();
    const self = me && me.id === u.id;
    return h('tr', { 'data-id': u.id },
      h('td', {}, h('strong', {}, u.email), u.name ? h('div', { class: 'small muted' }, u.name) : null),
      h('td', {}, t(`u.role.${u.role}`)),
      h('td', {},
        h('span', { class: `badge badge--${u.active ? 'available' : 'closed'}` }, u.active ? t('u.active') : t('u.inactive')),
        locked ? h('div', { class: 'small' }, t('u.locked', { time: time(u.locked_until) })) : null),
      h('td', { class: 'small' }, u.last_login_at ? compactDateTime(u.last_login_at) : t('u.never')),
      h('td', {}, h('div', { class: 'row-actions' },
        // Both end the user's sessions at once: say so, ask first.
        twoStep({
          id: `reset-${u.id}`, label: t('u.reset'), ariaLabel: t('u.reset_label', { email: u.email }),
          cls: 'btn btn--small btn--secondary',
          ask: t('u.reset_ask', { name: u.name || u.email }),
          yes: t('u.reset_yes'),
          onConfirm: () => act(`/admin/users/${u.id}/password`, (r) => showPassword(u.email, r.password)),
        }),
        self ? null : u.active ? twoStep({
          id: `deactivate-${u.id}`, label: t('u.deactivate'), ariaLabel: t('u.deactivate_label', { email: u.email }),
          cls: 'btn btn--small btn--secondary',
          ask: t('u.deactivate_ask', { name: u.name || u.email }),
          yes: t('u.deactivate_yes'),
          onConfirm: () => act(`/admin/users/${u.id}/deactivate`, () => ctx.go('/manage/users', t('u.done'))),
        }) : h('button', {
          type: 'button', class: 'btn btn--small btn--secondary',
          'aria-label': t('u.activate_label', { email: u.email }),
          onclick: () => act(`/admin/users/${u.id}/activate`, () => ctx.go('/manage/users', t('u.done'))),
        }, t('u.activate')))));
  });

  replace(el,
    h('h1', {}, t('u.list')),
    out,
    table({
      caption: t('u.list'),
      id: 'users',
      columns: [t('f.email'), t('f.role'), t('f.status'), t('u.last_login'), t('m.actions')],
      rows,
    }),
    h('section', { class: 'msection', 'aria-labelledby': 'new-user-title' },
      h('h2', { id: 'new-user-title' }, t('u.new')),
      form({
        id: 'user-form',
        submitLabel: t('m.create'),
        fields: [
          { name: 'email', label: t('f.email'), type: 'email', required: true, maxlength: 254 },
          { name: 'name', label: t('f.name'), maxlength: 120 },
          { name: 'role', label: t('f.role'), type: 'select', required: true, options: [['staff', t('u.role.staff')], ['admin', t('u.role.admin')]] },
        ],
        onSubmit: async (v, f) => {
          const r = await ctx.api('/admin/users', { method: 'POST', body: v });
          // Stay here: the password is shown once, above the list.
          await usersList(el, ctx);
          ctx.keepFocus = true;
          const box = el.querySelector('#user-result');
          replace(box, h('div', { class: 'notice notice--ok', role: 'status', tabindex: '-1' },
            h('p', {}, t('u.password', { email: r.user.email, password: '' }), h('code', { class: 'password', id: 'new-password' }, r.password)),
            h('p', { class: 'small' }, t('u.password_once'))));
          focus(box.firstChild);
          return f;
        },
      })));
}

const ENTITIES = ['venue', 'show', 'performance', 'reservation', 'checkin', 'user'];

export async function auditList(el, ctx) {
  ctx.title(t('a.list'));
  const entity = ctx.query.get('entity') ?? '';
  const entityId = ctx.query.get('entity_id') ?? '';
  const params = new URLSearchParams({ limit: '100' });
  if (ENTITIES.includes(entity)) params.set('entity', entity);
  if (/^\d+$/.test(entityId)) params.set('entity_id', entityId);
  const { entries } = await ctx.api(`/admin/audit?${params}`);
  if (ctx.stale()) return;

  const entSel = h('select', { class: 'input', id: 'audit-entity' },
    h('option', { value: '' }, t('m.all')),
    ENTITIES.map((e) => h('option', { value: e }, t(`a.entity.${e}`))));
  entSel.value = entity;
  const idInput = h('input', { class: 'input', id: 'audit-id', type: 'number', min: 1, inputmode: 'numeric', value: entityId });
  const filters = h('form', {
    class: 'filters', role: 'search', 'aria-label': t('m.filter'),
    onsubmit: (e) => {
      e.preventDefault();
      const q = new URLSearchParams();
      if (entSel.value) q.set('entity', entSel.value);
      if (idInput.value) q.set('entity_id', idInput.value);
      ctx.go(`/manage/audit${q.size ? `?${q}` : ''}`);
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'audit-entity' }, t('f.entity')), entSel),
  h('div', { class: 'field' }, h('label', { for: 'audit-id' }, t('f.entity_id')), idInput),
  h('button', { type: 'submit', class: 'btn btn--secondary' }, t('m.filter')));

  const json = (v) => (v ? JSON.stringify(v, null, 1) : '\u2014');
  replace(el,
    h('h1', {}, t('a.list')),
    filters,
    table({
      caption: t('a.list'),
      id: 'audit',
      columns: [t('a.at'), t('a.who'), t('a.what'), t('a.details')],
      rows: entries.map((e) => h('tr', { 'data-id': e.id },
        h('td', { class: 'small' }, compactDateTime(e.at)),
        h('td', { class: 'small' }, e.user_email ?? '\u2014'),
        h('td', {}, `${t(`a.entity.${e.entity}`)} #${e.entity_id}: `, h('strong', {}, e.action)),
        h('td', {}, h('details', {},
          h('summary', {}, t('a.details')),
          h('div', { class: 'diff' },
            h('div', {}, h('p', { class: 'small muted' }, t('a.before')), h('pre', { tabindex: '0' }, json(e.before))),
            h('div', {}, h('p', { class: 'small muted' }, t('a.after')), h('pre', { tabindex: '0' }, json(e.after)))))))),
    }));
}
