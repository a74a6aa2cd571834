// Performances: list, create, settings (capacity rule with "force"),
// cancel, and the bookings of one performance (search, status changes,
// check-in undo, CSV), and the box office (issue 14): bookings the admin
// makes and changes, resending with new links, the door setting, the
// printable door list; destructive actions ask first, saying what happens.
import { h, replace, focus } from '../lib/dom.js';
import { compactDateTime, dateTime, time } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { badge, errorText } from '../lib/layout.js';
import { form, notice, table, twoStep } from './ui.js';
import { waitlistSection } from './waitlist.js';

const HALF_DAY = 12 * 3600 * 1000;

export async function performancesList(el, ctx) {
  ctx.title(t('p.list'));
  const showId = ctx.query.get('show_id') ?? '';
  const past = ctx.query.get('past') === '1';
  const [{ shows }, { performances }] = await Promise.all([
    ctx.api('/admin/shows'),
    ctx.api(`/admin/performances${/^\d+$/.test(showId) ? `?show_id=${showId}` : ''}`),
  ]);
  if (ctx.stale()) return;
  const now = Date.now();
  const list = performances.filter((p) => past || Date.parse(p.starts_at) > now - HALF_DAY);

  const showSel = h('select', { class: 'input', id: 'filter-show', name: 'show_id' },
    h('option', { value: '' }, t('m.all')),
    shows.map((s) => h('option', { value: String(s.id) }, s.title)));
  showSel.value = showId;
  const pastBox = h('input', { type: 'checkbox', class: 'check', id: 'filter-past', checked: past });
  const filters = h('form', {
    class: 'filters', role: 'search', 'aria-label': t('m.filter'),
    onsubmit: (e) => {
      e.preventDefault();
      const q = new URLSearchParams();
      if (showSel.value) q.set('show_id', showSel.value);
      if (pastBox.checked) q.set('past', '1');
      ctx.go(`/manage/${q.size ? `?${q}` : ''}`);
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'filter-show' }, t('p.show')), showSel),
  h('div', { class: 'field field--check' }, pastBox, h('label', { for: 'filter-past' }, t('f.past'))),
  h('button', { type: 'submit', class: 'btn btn--secondary' }, t('m.filter')));

  replace(el,
    h('div', { class: 'mhead' },
      h('h1', {}, t('p.list')),
      h('a', { class: 'btn', href: '/manage/performances/new', id: 'new-performance' }, `+ ${t('p.new')}`),
      h('a', { class: 'btn btn--secondary', href: '/manage/performances/series', id: 'new-series' }, `+ ${t('ps.link')}`)),
    filters,
    table({
      caption: t('p.list'),
      id: 'performances',
      columns: [t('p.when'), t('p.show'), t('p.venue'), t('p.state'), t('p.seats'), t('p.bookings'), t('p.admitted')],
      rows: list.map((p) => h('tr', { 'data-id': p.id },
        h('td', {}, h('a', { href: `/manage/performances/${p.id}` }, compactDateTime(p.starts_at))),
        h('td', {}, p.show.title),
        h('td', {}, p.venue.name),
        h('td', {}, badge(p.status === 'cancelled' ? 'cancelled' : p.availability.state)),
        h('td', { class: 'num' }, t('p.taken_of', { taken: p.seats_taken, sellable: p.seats_sellable })),
        h('td', {}, t('p.bookings_counts', { confirmed: p.counts.confirmed, pending: p.counts.pending })),
        h('td', { class: 'num' }, String(p.counts.seats_admitted)))),
    }));
}

async function options(ctx) {
  const [{ shows }, { venues }] = await Promise.all([ctx.api('/admin/shows'), ctx.api('/admin/venues')]);
  return {
    shows: shows.map((s) => [s.id, s.published ? s.title : `${s.title} (${t('s.draft')})`]),
    venues: venues.map((v) => [v.id, v.city ? `${v.name}, ${v.city}` : v.name]),
  };
}

function perfFields(p, opts, { create }) {
  return [
    { name: 'show_id', label: t('f.show_id'), type: 'select', numeric: true, required: true, options: opts.shows, value: p.show?.id },
    { name: 'venue_id', label: t('f.venue_id'), type: 'select', numeric: true, required: true, options: opts.venues, value: p.venue?.id },
    { name: 'starts_at', label: t('f.starts_at'), type: 'datetime', required: true, value: p.starts_at },
    { name: 'capacity', label: t('f.capacity'), type: 'number', required: true, min: 0, value: p.capacity ?? (create ? 100 : '') },
    { name: 'occupied_manual', label: t('f.occupied_manual'), type: 'number', min: 0, value: p.occupied_manual ?? 0, hint: t('f.occupied_manual_hint') },
    { name: 'extra_seats', label: t('f.extra_seats'), type: 'number', min: 0, value: p.extra_seats ?? 0, hint: t('f.extra_seats_hint') },
    { name: 'max_seats_per_reservation', label: t('f.max_seats_per_reservation'), type: 'number', min: 1, max: 100, value: p.max_seats_per_reservation ?? 6 },
    { name: 'booking_opens_at', label: t('f.booking_opens_at'), type: 'datetime', value: p.booking_opens_at, hint: t('f.booking_opens_at_hint') },
    { name: 'booking_closes_at', label: t('f.booking_closes_at'), type: 'datetime', value: p.booking_closes_at, hint: t('f.booking_closes_at_hint') },
  ];
}

/** Numbers left empty are not sent (the API's defaults apply). */
function body(values) {
  const out = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === null && !['booking_opens_at', 'booking_closes_at'].includes(k)) continue;
    out[k] = v;
  }
  return out;
}

export async function performanceNew(el, ctx) {
  ctx.title(t('p.new'));
  const opts = await options(ctx);
  if (ctx.stale()) return;
  const preset = { show: { id: Number(ctx.query.get('show_id')) || undefined } };
  replace(el,
    h('p', { class: 'crumbs' }, h('a', { href: '/manage/' }, t('p.list'))),
    h('h1', {}, t('p.new')),
    form({
      id: 'perf-form',
      fields: perfFields(preset, opts, { create: true }),
      submitLabel: t('m.create'),
      onSubmit: async (values) => {
        const r = await ctx.api('/admin/performances', { method: 'POST', body: body(values) });
        ctx.go(`/manage/performances/${r.performance.id}`, t('p.created'));
      },
    }));
}

/** /manage/performances/series: many performances in one request. */
export async function performanceSeries(el, ctx) {
  ctx.title(t('ps.title'));
  const opts = await options(ctx);
  if (ctx.stale()) return;
  const days = [1, 2, 3, 4, 5, 6, 7].map((d) => ({
    name: `day${d}`, label: t(`ps.day${d}`), type: 'checkbox', value: d !== 1,
  }));
  replace(el,
    h('p', { class: 'crumbs' }, h('a', { href: '/manage/' }, t('p.list'))),
    h('h1', {}, t('ps.title')),
    form({
      id: 'series-form',
      fields: [
        { name: 'show_id', label: t('f.show_id'), type: 'select', numeric: true, required: true, options: opts.shows },
        { name: 'venue_id', label: t('f.venue_id'), type: 'select', numeric: true, required: true, options: opts.venues },
        { name: 'time', label: t('ps.time'), type: 'time', required: true, value: '20:30' },
        { name: 'from', label: t('ps.from'), type: 'date', required: true },
        { name: 'to', label: t('ps.to'), type: 'date', required: true },
        { name: 'capacity', label: t('f.capacity'), type: 'number', min: 0, hint: t('ps.capacity_hint') },
        ...days,
      ],
      submitLabel: t('m.create'),
      onSubmit: async (v) => {
        const b = {
          show_id: v.show_id, venue_id: v.venue_id, time: v.time, from: v.from, to: v.to,
          days_of_week: [1, 2, 3, 4, 5, 6, 7].filter((d) => v[`day${d}`]),
        };
        if (v.capacity !== null) b.capacity = v.capacity;
        const r = await ctx.api('/admin/performances/series', { method: 'POST', body: b });
        ctx.go('/manage/', t('ps.created', { n: r.performances.length }));
      },
    }));
}

export async function performanceDetail(el, ctx) {
  const id = ctx.params[0];
  const [{ performance: p }, opts] = await Promise.all([ctx.api(`/admin/performances/${id}`), options(ctx)]);
  if (ctx.stale()) return;
  ctx.title(`${p.show.title} ${compactDateTime(p.starts_at)}`);
  const status = h('div', { id: 'perf-status' });
  const bookings = h('section', { class: 'msection', 'aria-labelledby': 'bookings-title', id: 'bookings' });
  const waitlist = h('section', { class: 'msection', 'aria-labelledby': 'waitlist-title', id: 'waitlist-section' });

  const settings = form({
    id: 'perf-form',
    fields: perfFields(p, opts, { create: false }),
    onSubmit: async (values) => save(values, false),
  });
  async function save(values, force) {
    try {
      const r = await ctx.api(`/admin/performances/${id}`, { method: 'PATCH', body: { ...body(values), ...(force ? { force: true } : {}) } });
      ctx.go(`/manage/performances/${r.performance.id}`, t('m.saved'));
    } catch (err) {
      if (err.code !== 'capacity_below_taken') throw err;
      const again = h('button', {
        type: 'button', class: 'btn btn--danger', id: 'perf-force',
        onclick: () => save(values, true).catch((e2) => settings.showError(e2)),
      }, t('p.force'));
      settings.showError({ code: 'capacity_below_taken' }, [h('p', {}, t('p.capacity_below', { n: err.error.seats_taken })), again]);
    }
  }

  const cancelled = p.status === 'cancelled';
  const state = cancelled ? 'cancelled' : p.availability.state;
  replace(el,
    h('p', { class: 'crumbs' }, h('a', { href: '/manage/' }, t('p.list'))),
    h('div', { class: 'mhead' },
      h('div', {},
        h('h1', {}, p.show.title),
        h('p', { class: 'lead' }, dateTime(p.starts_at), ' \u00b7 ', p.venue.name)),
      badge(state)),
    h('p', { id: 'perf-summary' }, t('p.summary', {
      available: p.availability.seats_available, sellable: p.seats_sellable, taken: p.seats_taken, admitted: p.counts.seats_admitted,
    }), ' ', p.show.published ? h('a', { href: `/shows/${p.show.slug}` }, t('p.public_page')) : null),
    status,
    bookings,
    cancelled ? null : boxOffice(ctx, p),
    cancelled ? null : doorSetting(ctx, p),
    waitlist,
    h('section', { class: 'msection', 'aria-labelledby': 'settings-title' },
      h('h2', { id: 'settings-title' }, t('p.settings')),
      settings,
      cancelled ? null : h('p', { class: 'muted', id: 'perf-move-hint' }, t('p.move_hint', { n: p.counts.confirmed })),
      cancelled ? null : twoStep({
        id: 'perf-cancel',
        label: t('p.cancel'),
        // Who will be told, before anything happens: every pending and
        // confirmed booking, one email each (docs/API.md, "Who is told").
        ask: [t('p.cancel_ask', { n: p.counts.pending + p.counts.confirmed }), ' ',
          t('p.cancel_seats', { n: p.counts.seats_pending + p.counts.seats_confirmed })],
        extra: () => h('p', {},
          h('label', { for: 'perf-cancel-message' }, t('p.cancel_message')),
          h('textarea', { id: 'perf-cancel-message', rows: 3, maxlength: 2000 })),
        yes: t('p.cancel_yes'),
        cls: 'btn btn--secondary btn--danger-outline',
        onConfirm: async () => {
          const message = document.getElementById('perf-cancel-message')?.value.trim() ?? '';
          const r = await ctx.api(`/admin/performances/${id}/cancel`, { method: 'POST', body: message ? { message } : {} });
          ctx.go(`/manage/performances/${id}`, t('p.cancelled', { n: r.notified ?? 0 }));
        },
      }),
      form({
        id: 'perf-duplicate',
        fields: [{ name: 'starts_at', label: t('p.duplicate_at'), type: 'datetime', required: true }],
        submitLabel: t('p.duplicate'),
        onSubmit: async (v) => {
          const r = await ctx.api(`/admin/performances/${id}/duplicate`, { method: 'POST', body: v });
          ctx.go(`/manage/performances/${r.performance.id}`, t('p.created'));
        },
      }),
      twoStep({
        id: 'perf-delete',
        label: t('m.delete'),
        ask: t('p.delete_ask'),
        cls: 'btn btn--secondary btn--danger-outline',
        onConfirm: async () => {
          await ctx.api(`/admin/performances/${id}`, { method: 'DELETE' });
          ctx.go('/manage/', t('m.deleted'));
        },
      })));
  await Promise.all([reservations(bookings, ctx, p, status), waitlistSection(waitlist, ctx, p, status)]);
}

const RSTATUS = { pending: 'few_left', confirmed: 'available', cancelled: 'cancelled', expired: 'closed' };

function rBadge(status) {
  return h('span', { class: `badge badge--${RSTATUS[status] ?? 'closed'}` }, t(`r.status.${status}`));
}

async function reservations(el, ctx, p, status) {
  const q = ctx.query.get('q') ?? '';
  const st = ctx.query.get('status') ?? '';
  const params = new URLSearchParams();
  if (q) params.set('q', q);
  if (st) params.set('status', st);
  const { reservations: list } = await ctx.api(`/admin/performances/${p.id}/reservations${params.size ? `?${params}` : ''}`);
  if (ctx.stale()) return;
  const csv = new URLSearchParams(params);
  csv.set('format', 'csv');

  const qInput = h('input', { class: 'input', id: 'bookings-q', type: 'search', value: q, maxlength: 100 });
  const stSel = h('select', { class: 'input', id: 'bookings-status' },
    h('option', { value: '' }, t('m.all')),
    ['pending', 'confirmed', 'cancelled', 'expired'].map((s) => h('option', { value: s }, t(`r.status.${s}`))));
  stSel.value = st;
  const search = h('form', {
    class: 'filters', role: 'search', 'aria-label': t('r.title'),
    onsubmit: (e) => {
      e.preventDefault();
      const next = new URLSearchParams();
      if (qInput.value.trim()) next.set('q', qInput.value.trim());
      if (stSel.value) next.set('status', stSel.value);
      ctx.go(`/manage/performances/${p.id}${next.size ? `?${next}` : ''}`);
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'bookings-q' }, t('f.q')), qInput),
  h('div', { class: 'field' }, h('label', { for: 'bookings-status' }, t('f.status')), stSel),
  h('button', { type: 'submit', class: 'btn btn--secondary' }, t('m.search')));

  async function act(path, bodyObj, message) {
    try {
      await ctx.api(path, { method: 'POST', body: bodyObj });
      ctx.go(location.pathname + location.search, message);
    } catch (err) {
      if (err.status === 401) return;
      replace(status, notice(errorText(err), 'bad'));
      focus(status.firstChild);
    }
  }

  const editor = h('div', { id: 'edit-booking' });
  const rows = list.map((r) => {
    const name = r.purged_at ? `(${t('r.purged')})` : r.name;
    const buttons = [];
    if (r.status === 'pending' || r.status === 'expired') {
      buttons.push(h('button', {
        type: 'button', class: 'btn btn--small', 'aria-label': t('r.confirm_label', { name }),
        onclick: () => act(`/admin/reservations/${r.id}/status`, { status: 'confirmed' }, r.email ? t('b.confirmed_note') : t('m.saved')),
      }, t('r.confirm')));
    }
    if ((r.status === 'pending' || r.status === 'confirmed') && !r.seats_admitted) {
      buttons.push(twoStep({
        id: `cancel-${r.id}`, label: t('r.cancel'), ariaLabel: t('r.cancel_label', { name }),
        cls: 'btn btn--small btn--secondary',
        ask: t('b.cancel_ask', { name, seats: t('seats', { n: r.seats }) }),
        yes: t('b.cancel_yes'),
        onConfirm: () => act(`/admin/reservations/${r.id}/status`, { status: 'cancelled' }, t('r.cancelled_note')),
      }));
    }
    if (!r.purged_at && (r.status === 'pending' || r.status === 'confirmed')) {
      buttons.push(h('button', {
        type: 'button', class: 'btn btn--small btn--secondary', id: `edit-${r.id}`, 'aria-label': t('b.edit_label', { name }),
        onclick: () => editBooking(ctx, editor, r, name),
      }, t('b.edit')));
      if (r.email) {
        buttons.push(twoStep({
          id: `resend-${r.id}`, label: t('b.resend'), ariaLabel: t('b.resend_label', { name }),
          cls: 'btn btn--small btn--secondary',
          ask: t('b.resend_ask', { email: r.email }),
          yes: t('b.resend_yes'),
          onConfirm: () => act(`/admin/reservations/${r.id}/resend`, {}, t('b.resent')),
        }));
      }
    }
    const checkins = (r.checkins ?? []).map((c) => h('li', { class: c.undone_at ? 'undone' : '' },
      t('r.checkin', { seats: t('seats', { n: c.seats }), time: time(c.at), by: c.by ?? '' }),
      c.undone_at ? ` \u2014 ${t('r.undone')}` : ' ',
      c.undone_at ? null : twoStep({
        id: `undo-${c.id}`, label: t('r.undo'), ariaLabel: t('r.undo_label', { seats: t('seats', { n: c.seats }), name }),
        cls: 'btn btn--small btn--secondary',
        ask: t('b.undo_ask', { seats: t('seats', { n: c.seats }), name }),
        yes: t('b.undo_yes'),
        onConfirm: () => act(`/admin/checkins/${c.id}/undo`, undefined, t('r.undone_note')),
      })));
    return h('tr', { 'data-id': r.id },
      h('td', {}, h('strong', {}, name), r.code ? h('div', { class: 'small booking-code-cell', translate: 'no' }, `${t('b.code')} ${r.code}`) : null,
        r.notes ? h('div', { class: 'small muted' }, `${t('r.notes')}: ${r.notes}`) : null),
      h('td', { class: 'small' }, r.email, r.phone ? h('div', {}, r.phone) : null),
      h('td', { class: 'num' }, String(r.seats)),
      h('td', { class: 'num' }, String(r.seats_admitted), checkins.length ? h('ul', { class: 'checkins' }, checkins) : null),
      h('td', {}, rBadge(r.status)),
      h('td', { class: 'small' }, compactDateTime(r.created_at)),
      h('td', {}, h('div', { class: 'row-actions' }, buttons)));
  });

  replace(el,
    h('div', { class: 'mhead' },
      h('h2', { id: 'bookings-title' }, t('r.title')),
      h('a', { class: 'btn btn--secondary', id: 'door-list', href: `/manage/performances/${p.id}/door-list` }, t('b.door_list')),
      h('a', { class: 'btn btn--secondary', id: 'csv', href: `/admin/performances/${p.id}/reservations?${csv}`, download: `reservations-${p.id}.csv` }, t('r.csv'))),
    search,
    h('p', { class: 'muted', id: 'bookings-count' }, t('r.count', { n: list.length })),
    editor,
    table({
      caption: t('r.title'),
      id: 'reservations',
      columns: [t('r.name'), t('r.contact'), t('r.seats'), t('r.admitted'), t('r.status'), t('r.created'), t('m.actions')],
      rows,
    }));
}

// ---- the box office (issue 14) ---------------------------------------------

/** The admin's own booking: by phone or at the counter, email optional. */
function boxOffice(ctx, p) {
  const out = h('div', { id: 'box-result' });
  return h('section', { class: 'msection', 'aria-labelledby': 'box-title' },
    h('h2', { id: 'box-title' }, t('b.title')),
    out,
    form({
      id: 'box-form',
      submitLabel: t('b.create'),
      fields: [
        { name: 'name', label: t('b.name'), required: true, maxlength: 120 },
        { name: 'email', label: t('b.email'), type: 'email', maxlength: 254, hint: t('b.email_hint') },
        { name: 'phone', label: t('b.phone'), maxlength: 40 },
        { name: 'seats', label: t('b.seats'), type: 'number', required: true, min: 1, max: 100, value: 2 },
        { name: 'notes', label: t('b.notes'), type: 'textarea', maxlength: 1000, rows: 2 },
        { name: 'confirmed', label: t('b.confirmed'), type: 'checkbox', value: true },
      ],
      onSubmit: async (v) => {
        const bodyObj = { name: v.name, seats: v.seats, confirmed: v.confirmed };
        for (const k of ['email', 'phone', 'notes']) if (v[k].trim()) bodyObj[k] = v[k].trim();
        const r = await ctx.api(`/admin/performances/${p.id}/reservations`, { method: 'POST', body: bodyObj });
        ctx.go(`/manage/performances/${p.id}`, t('b.created', { code: r.reservation.code }));
      },
    }));
}

/** The edit form of one booking, shown above the table. */
function editBooking(ctx, el, r, name) {
  const f = form({
    id: 'edit-form',
    submitLabel: t('b.save'),
    fields: [
      { name: 'seats', label: t('b.seats'), type: 'number', required: true, min: 1, max: 100, value: r.seats },
      { name: 'name', label: t('b.name'), required: true, maxlength: 120, value: r.name },
      { name: 'email', label: t('b.email'), type: 'email', maxlength: 254, value: r.email },
      { name: 'phone', label: t('b.phone'), maxlength: 40, value: r.phone },
      { name: 'notes', label: t('b.notes'), type: 'textarea', maxlength: 1000, rows: 2, value: r.notes },
    ],
    onSubmit: async (v) => {
      await ctx.api(`/admin/reservations/${r.id}`, { method: 'PATCH', body: { ...v, email: v.email.trim(), phone: v.phone.trim(), notes: v.notes.trim() } });
      ctx.go(location.pathname + location.search, t('b.saved'));
    },
  });
  replace(el, h('div', { class: 'card', role: 'group', 'aria-labelledby': 'edit-title' },
    h('h3', { id: 'edit-title', tabindex: '-1' }, t('b.edit_title', { name })),
    f,
    h('button', { type: 'button', class: 'btn btn--secondary', onclick: () => replace(el) }, t('b.close'))));
  focus(document.getElementById('edit-title'));
}

/** Whether the door may release absent seats (PATCH /admin/performances/{id}/door). */
function doorSetting(ctx, p) {
  const box = h('input', { type: 'checkbox', class: 'check', id: 'release-absent', disabled: true });
  const out = h('p', { class: 'small', id: 'door-setting-status', role: 'status' });
  ctx.api(`/api/performances/${p.id}/guests`).then((g) => {
    box.checked = Boolean(g.performance.release_absent);
    box.disabled = false;
  }).catch(() => {});
  box.addEventListener('change', async () => {
    box.disabled = true;
    try {
      await ctx.api(`/admin/performances/${p.id}/door`, { method: 'PATCH', body: { release_absent: box.checked } });
      out.textContent = t('b.release_absent_saved');
    } catch (err) {
      box.checked = !box.checked;
      out.textContent = errorText(err);
    } finally {
      box.disabled = false;
    }
  });
  return h('section', { class: 'msection', 'aria-labelledby': 'door-setting-title' },
    h('h2', { id: 'door-setting-title' }, t('b.door')),
    h('div', { class: 'field field--check' }, box, h('label', { for: 'release-absent' }, t('b.release_absent'))),
    out);
}

/** The printable door list: confirmed bookings by name, with codes, notes and a tick box. */
export async function doorList(el, ctx) {
  const id = ctx.params[0];
  const { performance: p, reservations: list } = await ctx.api(`/admin/performances/${id}/reservations?status=confirmed`);
  if (ctx.stale()) return;
  ctx.title(`${t('l.title')} ${p.show.title}`);
  const rows = [...list].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }) || a.id - b.id);
  const seats = rows.reduce((n, r) => n + r.seats, 0);
  replace(el,
    h('div', { class: 'door-list' },
      h('p', { class: 'crumbs no-print' }, h('a', { href: `/manage/performances/${id}` }, t('l.back'))),
      h('h1', {}, `${t('l.title')}: ${p.show.title}`),
      h('p', { class: 'lead' }, dateTime(p.starts_at), ' \u00b7 ', p.venue.name),
      h('p', {}, t('l.count', { n: rows.length }), ' \u00b7 ', t('l.seats_total', { n: seats })),
      h('p', { class: 'no-print' }, h('button', { type: 'button', class: 'btn', id: 'print', onclick: () => window.print() }, t('l.print'))),
      table({
        caption: t('l.title'),
        id: 'door-list-table',
        columns: [t('l.tick'), t('b.name'), t('b.seats'), t('b.code'), t('b.notes')],
        rows: rows.map((r) => h('tr', { 'data-id': r.id },
          h('td', {}, h('span', { class: 'tick', 'aria-hidden': 'true' }), r.seats_admitted ? ` ${r.seats_admitted}` : ''),
          h('td', {}, r.name),
          h('td', { class: 'num' }, String(r.seats)),
          h('td', { class: 'code', translate: 'no' }, r.code),
          h('td', {}, r.notes))),
      }),
      h('p', { class: 'small muted' }, t('l.printed', { when: dateTime(new Date().toISOString()) }))));
}
