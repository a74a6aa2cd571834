// Building blocks of the admin UI: forms that show the API's 422 `fields`
// next to each input, tables that scroll on a phone, two-step buttons.
import { focus, h, icon, replace } from '../lib/dom.js';
import { fromZonedInput, toZonedInput } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { errorText } from '../lib/layout.js';

let seq = 0;

/**
 * A form from a list of fields.
 *   {name, label, type: text|email|number|textarea|select|checkbox|datetime,
 *    value, required, options: [[value, label]], hint, min, max, maxlength}
 * onSubmit(values) may throw an ApiError: its fields are shown inline.
 * `extra` nodes go before the buttons. Returns the <form>, with
 * form.showError(err) and form.values().
 */
export function form({ fields, submitLabel = t('m.save'), onSubmit, extra = [], id }) {
  const fid = id ?? `form${++seq}`;
  const alertBox = h('div', { class: 'alert', role: 'alert', tabindex: '-1', id: `${fid}-alert` });
  const controls = {};
  const errs = {};
  const rows = fields.map((f) => {
    const cid = `${fid}-${f.name}`;
    const described = [f.hint ? `${cid}-hint` : null, `${cid}-err`].filter(Boolean).join(' ');
    let control;
    if (f.type === 'textarea') {
      control = h('textarea', { class: 'input', rows: f.rows ?? 4, maxlength: f.maxlength }, f.value ?? '');
    } else if (f.type === 'select') {
      control = h('select', { class: 'input' }, f.options.map(([v, l]) => h('option', { value: String(v) }, l)));
      control.value = f.value === undefined || f.value === null ? String(f.options[0]?.[0] ?? '') : String(f.value);
    } else if (f.type === 'checkbox') {
      control = h('input', { type: 'checkbox', class: 'check', checked: Boolean(f.value) });
    } else {
      const type = f.type === 'datetime' ? 'datetime-local' : (f.type ?? 'text');
      const value = f.type === 'datetime' ? toZonedInput(f.value) : (f.value ?? '');
      control = h('input', {
        class: 'input', type, value: String(value), min: f.min, max: f.max, maxlength: f.maxlength,
        inputmode: f.type === 'number' ? 'numeric' : null, autocomplete: f.autocomplete ?? 'off',
        spellcheck: f.type === 'email' || f.name === 'slug' ? 'false' : null,
      });
    }
    control.id = cid;
    control.name = f.name;
    control.setAttribute('aria-describedby', described);
    if (f.required) control.setAttribute('aria-required', 'true');
    if (f.oninput) control.addEventListener('input', () => f.oninput(control, controls));
    controls[f.name] = control;
    const err = h('p', { class: 'field-error', id: `${cid}-err` });
    errs[f.name] = err;
    const label = h('label', { for: cid }, f.label, !f.required && f.type !== 'checkbox' ? h('span', { class: 'muted small' }, ` ${t('m.optional')}`) : null);
    const hint = f.hint ? h('p', { class: 'hint', id: `${cid}-hint` }, f.hint) : null;
    if (f.type === 'checkbox') return h('div', { class: 'field field--check' }, control, label, hint, err);
    return h('div', { class: `field${f.wide ? ' field--wide' : ''}` }, label, hint, control, err);
  });
  const button = h('button', { type: 'submit', class: 'btn' }, submitLabel);
  const el = h('form', { class: 'form card mform', novalidate: true, id: fid }, alertBox, h('div', { class: 'mform__grid' }, rows), extra, h('p', { class: 'actions' }, button));

  function values() {
    const out = {};
    for (const f of fields) {
      const c = controls[f.name];
      if (f.type === 'checkbox') out[f.name] = c.checked;
      else if (f.type === 'number') out[f.name] = c.value.trim() === '' ? null : Number(c.value);
      else if (f.type === 'datetime') out[f.name] = c.value ? fromZonedInput(c.value) : null;
      else if (f.type === 'select' && f.numeric) out[f.name] = c.value === '' ? null : Number(c.value);
      else out[f.name] = c.value;
    }
    return out;
  }

  function clear() {
    replace(alertBox);
    for (const [name, c] of Object.entries(controls)) {
      c.removeAttribute('aria-invalid');
      replace(errs[name]);
    }
  }

  function showError(err, extraNodes = []) {
    clear();
    const fieldsBad = err?.fields ?? {};
    const known = Object.keys(fieldsBad).filter((k) => controls[k]);
    for (const k of known) {
      controls[k].setAttribute('aria-invalid', 'true');
      replace(errs[k], icon('alert'), t(`code.${fieldsBad[k]}`));
    }
    const other = Object.keys(fieldsBad).filter((k) => !controls[k]);
    const head = known.length ? t('m.errors', { n: known.length }) : errorText(err);
    replace(alertBox, head,
      known.length ? h('ul', {}, known.map((k) => h('li', {}, h('a', {
        href: `#${controls[k].id}`,
        onclick: (e) => { e.preventDefault(); controls[k].focus(); },
      }, `${fields.find((f) => f.name === k).label}: ${t(`code.${fieldsBad[k]}`)}`)))) : null,
      other.length ? h('ul', {}, other.map((k) => h('li', {}, `${k}: ${t(`code.${fieldsBad[k]}`)}`))) : null,
      extraNodes);
    focus(alertBox);
  }

  el.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear();
    button.disabled = true;
    button.textContent = t('m.saving');
    try {
      await onSubmit(values(), el);
    } catch (err) {
      if (err?.status === 401) return; // the sign-in form has taken over
      showError(err);
    } finally {
      button.disabled = false;
      button.textContent = submitLabel;
    }
  });
  el.showError = showError;
  el.values = values;
  el.controls = controls;
  return el;
}

/** A table that scrolls sideways on a phone (and can be scrolled by keyboard). */
export function table({ caption, columns, rows, empty = t('m.none'), id }) {
  if (!rows.length) return h('p', { class: 'muted', id }, empty);
  return h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': caption, id },
    h('table', { class: 'table' },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows)));
}

/** A button that asks once more before doing something destructive. */
export function twoStep({ label, ask, yes, onConfirm, cls = 'btn btn--secondary', id, ariaLabel, extra = null }) {
  const box = h('div', { class: 'two-step' });
  const first = h('button', { type: 'button', class: cls, id, 'aria-label': ariaLabel, onclick: () => open() }, label);
  replace(box, first);
  function open() {
    const yesBtn = h('button', {
      type: 'button', class: 'btn btn--danger', id: id ? `${id}-yes` : null,
      onclick: async () => {
        yesBtn.disabled = true;
        try {
          await onConfirm();
          // Still here (the view did not change): back to the button.
          if (box.isConnected) replace(box, first);
        } catch (err) {
          replace(box, h('p', { class: 'alert', role: 'alert' }, errorText(err)), first);
        }
      },
    }, yes ?? t('m.yes'));
    const noBtn = h('button', {
      type: 'button', class: 'btn btn--secondary', onclick: () => { replace(box, first); first.focus(); },
    }, t('m.no'));
    replace(box, h('div', { class: 'confirm-box', role: 'group', 'aria-label': label },
      h('p', {}, ask), typeof extra === 'function' ? extra() : extra, h('p', { class: 'actions' }, yesBtn, noBtn)));
    noBtn.focus();
  }
  return box;
}

/** A status line (role=status) for results like "Saved.". */
export function notice(text, kind = 'ok') {
  return h('p', { class: `notice notice--${kind}`, role: 'status' }, text ?? '');
}
