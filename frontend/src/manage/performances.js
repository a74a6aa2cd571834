// Performances: list, create, settings (capacity rule with "force"),
// cancel, and the bookings of one performance (search, status changes,
// check-in undo, CSV).
import { h, replace, focus } from '../lib/dom.js';
import { compactDateTime, dateTime, time } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { badge, errorText } from '../lib/layout.js';
import { form, notice, table, twoStep } from './ui.js';

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
  await reservations(bookings, ctx, p, status);
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

  const rows = list.map((r) => {
    const name = r.purged_at ? `(${t('r.purged')})` : r.name;
    const buttons = [];
    if (r.status === 'pending' || r.status === 'expired') {
      buttons.push(h('button', {
        type: 'button', class: 'btn btn--small', 'aria-label': t('r.confirm_label', { name }),
        onclick: () => act(`/admin/reservations/${r.id}/status`, { status: 'confirmed' }, t('r.confirmed_note')),
      }, t('r.confirm')));
    }
    if ((r.status === 'pending' || r.status === 'confirmed') && !r.seats_admitted) {
      buttons.push(h('button', {
        type: 'button', class: 'btn btn--small btn--secondary', 'aria-label': t('r.cancel_label', { name }),
        onclick: () => act(`/admin/reservations/${r.id}/status`, { status: 'cancelled' }, t('r.cancelled_note')),
      }, t('r.cancel')));
    }
    const checkins = (r.checkins ?? []).map((c) => h('li', { class: c.undone_at ? 'undone' : '' },
      t('r.checkin', { seats: t('seats', { n: c.seats }), time: time(c.at), by: c.by ?? '' }),
      c.undone_at ? ` \u2014 ${t('r.undone')}` : ' ',
      c.undone_at ? null : h('button', {
        type: 'button', class: 'btn btn--small btn--secondary', 'aria-label': t('r.undo_label', { seats: t('seats', { n: c.seats }), name }),
        onclick: () => act(`/admin/checkins/${c.id}/undo`, undefined, t('r.undone_note')),
      }, t('r.undo'))));
    return h('tr', { 'data-id': r.id },
      h('td', {}, h('strong', {}, name), r.notes ? h('div', { class: 'small muted' }, `${t('r.notes')}: ${r.notes}`) : null),
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
      h('a', { class: 'btn btn--secondary', id: 'csv', href: `/admin/performances/${p.id}/reservations?${csv}`, download: `reservations-${p.id}.csv` }, t('r.csv'))),
    search,
    h('p', { class: 'muted', id: 'bookings-count' }, t('r.count', { n: list.length })),
    table({
      caption: t('r.title'),
      id: 'reservations',
      columns: [t('r.name'), t('r.contact'), t('r.seats'), t('r.admitted'), t('r.status'), t('r.created'), t('m.actions')],
      rows,
    }));
}
