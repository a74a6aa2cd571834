// The admin's landing overview (GET /admin/dashboard): a fill bar per
// coming performance, bookings per day over four weeks, and who came to
// past performances. The charts are SVG drawn here; every number is also
// there as text, for reading and for screen readers.
import { h } from '../lib/dom.js';
import { compactDateTime, shortDate } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { table } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) el.append(c);
  return el;
}

/** One performance's seats as a stacked bar: admitted, confirmed, pending, free. */
function fillBar(p, label) {
  const total = Math.max(p.seats, p.confirmed + p.pending, 1);
  const parts = [
    ['admitted', p.admitted],
    ['confirmed', Math.max(p.confirmed - p.admitted, 0)],
    ['pending', p.pending],
    ['free', Math.max(p.free, 0)],
  ];
  let x = 0;
  const rects = parts.map(([k, n]) => {
    const w = (100 * n) / total;
    const r = svg('rect', { x: x.toFixed(3), y: 0, width: w.toFixed(3), height: 10, class: `fill fill--${k}` });
    x += w;
    return r;
  });
  return svg('svg', {
    class: 'fillbar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', role: 'img', 'aria-label': label, focusable: 'false',
  }, rects);
}

function legend() {
  return h('ul', { class: 'legend', 'aria-hidden': 'true' },
    ['admitted', 'confirmed', 'pending', 'free'].map((k) => h('li', {},
      h('span', { class: `legend__key fill--${k}` }), t(`d.${k}`))));
}

function perDay(days) {
  const max = Math.max(1, ...days.map((d) => d.reservations));
  const w = 10;
  const height = 60;
  const busiest = days.reduce((a, d) => (d.reservations > a.reservations ? d : a), days[0] ?? { day: '', reservations: 0 });
  const total = days.reduce((n, d) => n + d.reservations, 0);
  const seats = days.reduce((n, d) => n + d.seats, 0);
  const summary = t('d.per_day_text', { n: total, seats, day: busiest.day ? shortDate(`${busiest.day}T12:00:00Z`) : '', max: busiest.reservations });
  const chart = svg('svg', {
    class: 'daychart', viewBox: `0 0 ${days.length * w} ${height + 2}`, role: 'img', 'aria-label': summary, focusable: 'false',
  }, days.map((d, i) => {
    const bh = (height * d.reservations) / max;
    return svg('rect', {
      x: i * w + 1, y: (height - bh).toFixed(2), width: w - 2, height: Math.max(bh, d.reservations ? 1 : 0).toFixed(2), class: 'daychart__bar',
    }, svg('title', {}, t('d.day_row', { day: d.day, n: d.reservations, seats: d.seats })));
  }), svg('line', { x1: 0, y1: height + 1, x2: days.length * w, y2: height + 1, class: 'daychart__axis' }));
  return h('div', {},
    chart,
    h('p', { id: 'per-day-summary' }, summary),
    h('details', {},
      h('summary', {}, t('d.per_day')),
      h('ul', { class: 'small', id: 'per-day-list' }, days.map((d) => h('li', {}, t('d.day_row', { day: d.day, n: d.reservations, seats: d.seats }))))));
}

export async function dashboard(el, ctx) {
  const d = await ctx.api('/admin/dashboard');
  if (ctx.stale()) return;
  el.replaceChildren(
    h('section', { class: 'msection dashboard', id: 'dashboard', 'aria-labelledby': 'dash-title' },
      h('h2', { id: 'dash-title' }, t('d.title')),
      h('h3', {}, t('d.coming')),
      d.coming.length ? legend() : null,
      d.coming.length
        ? h('ul', { class: 'fills', id: 'fills' }, d.coming.map((p) => {
          const text = t('d.fill_text', p);
          return h('li', { class: 'fills__item', 'data-perf': p.id },
            h('a', { href: `/manage/performances/${p.id}` }, `${compactDateTime(p.starts_at)} \u00b7 ${p.show.title}`),
            fillBar(p, t('d.fill', { show: p.show.title, when: compactDateTime(p.starts_at) })),
            h('p', { class: 'small fills__text', 'data-fill': p.id }, text));
        }))
        : h('p', { class: 'muted' }, t('d.coming_none')),
      h('h3', {}, t('d.per_day')),
      perDay(d.per_day ?? []),
      h('h3', {}, t('d.past')),
      table({
        caption: t('d.past'),
        id: 'past',
        empty: t('d.past_none'),
        columns: [t('d.when'), t('d.show'), t('d.booked'), t('d.came'), t('d.no_shows'), t('d.share')],
        rows: d.past.map((p) => h('tr', { 'data-perf': p.id },
          h('td', {}, h('a', { href: `/manage/performances/${p.id}` }, compactDateTime(p.starts_at))),
          h('td', {}, p.show.title),
          h('td', { class: 'num' }, String(p.booked)),
          h('td', { class: 'num' }, String(p.admitted)),
          h('td', { class: 'num' }, String(p.no_shows)),
          h('td', { class: 'num' }, p.show_up_percent === null ? '\u2014' : t('d.share_value', { n: p.show_up_percent })))),
      })));
}
