// The waiting list of one performance, on its admin page: the entries in
// line order with party size and state (waiting, offered until …,
// accepted, expired, left, closed), the counts, and an offer by hand to
// one entry (POST /admin/waitlist/{id}/offer, audited).
import '../strings/waitlist.js';
import { h, replace, focus } from '../lib/dom.js';
import { compactDateTime, time } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { errorText } from '../lib/layout.js';
import { notice, table } from './ui.js';

const WSTATE = { waiting: 'few_left', offered: 'available', accepted: 'available', expired: 'closed', left: 'closed', closed: 'cancelled', unconfirmed: 'closed' };

function stateBadge(e) {
  const text = e.state === 'offered' && e.offer
    ? t('wla.offered_until', { time: time(e.offer.expires_at) })
    : t(`wla.state.${e.state}`);
  return h('span', { class: `badge badge--${WSTATE[e.state] ?? 'closed'}` }, text);
}

export async function waitlistSection(el, ctx, p, status) {
  const { counts, entries } = await ctx.api(`/admin/performances/${p.id}/waitlist`);
  if (ctx.stale()) return;
  async function offer(e) {
    try {
      await ctx.api(`/admin/waitlist/${e.id}/offer`, { method: 'POST', body: {} });
      ctx.go(location.pathname + location.search, t('wla.offered_note', { name: e.name }));
    } catch (err) {
      if (err.status === 401) return;
      replace(status, notice(err.code === 'not_enough_seats' ? t('wla.no_seats') : errorText(err), 'bad'));
      focus(status.firstChild);
    }
  }
  const shown = entries.filter((e) => e.state !== 'unconfirmed');
  replace(el,
    h('h2', { id: 'waitlist-title' }, t('wla.title')),
    h('p', { class: 'muted', id: 'waitlist-counts' }, t('wla.counts', counts)),
    shown.length ? table({
      caption: t('wla.title'),
      id: 'waitlist',
      columns: [t('wla.position'), t('r.name'), t('r.contact'), t('wla.party'), t('r.status'), t('wla.joined'), t('m.actions')],
      rows: shown.map((e) => h('tr', { 'data-id': e.id },
        h('td', { class: 'num' }, e.position ? String(e.position) : ''),
        h('td', {}, h('strong', {}, e.name)),
        h('td', { class: 'small' }, e.email),
        h('td', { class: 'num' }, e.min_seats < e.seats ? t('wla.party_least', { n: e.seats, min: e.min_seats }) : String(e.seats)),
        h('td', {}, stateBadge(e)),
        h('td', { class: 'small' }, compactDateTime(e.confirmed_at ?? e.created_at)),
        h('td', {}, e.state === 'waiting' || e.state === 'expired'
          ? h('button', { type: 'button', class: 'btn btn--small', 'aria-label': t('wla.offer_label', { name: e.name }), onclick: () => offer(e) }, t('wla.offer'))
          : null))),
    }) : h('p', {}, t('wla.empty')));
}
