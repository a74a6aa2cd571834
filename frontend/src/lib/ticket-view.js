// The ticket as the confirmation page and the ticket page show it: status,
// a QR big enough to scan from a phone screen, the details, the code.
import { h, icon } from './dom.js';
import { dateTime } from './format.js';
import { t } from './i18n.js';
import { venueLine } from './show-bits.js';

const STATUS = {
  confirmed: ['available', 'check'],
  pending: ['closed', 'clock'],
  expired: ['closed', 'clock'],
  cancelled: ['cancelled', 'cross'],
  perf_cancelled: ['cancelled', 'ban'],
};

export function statusPill(status) {
  const [cls, ic] = STATUS[status] ?? ['closed', 'question'];
  return h('span', { class: `badge badge--${cls}` }, icon(ic, 'badge__icon'), t(`ticket.status.${status}`));
}

/** The ticket token of a ticket URL ("…/t/<token>"). */
export function tokenOf(url) {
  return String(url ?? '').split('/t/')[1] ?? '';
}

/** "AbCd eFgH …": easier to read out or type at the door. */
export function groupedCode(token) {
  return token.replace(/(.{4})(?=.)/g, '$1 ');
}

export function qrBlock(ticket, { void: isVoid = false } = {}) {
  return h('figure', { class: `qr-frame${isVoid ? ' qr-frame--void' : ''}` },
    h('img', {
      class: 'qr',
      src: ticket.qr_svg,
      alt: t('confirm.qr_alt'),
      width: 320,
      height: 320,
      decoding: 'async',
    }));
}

/** When / where / seats (and status) as a description list. */
export function details({ starts_at, venue, seats, status, extra = [] }) {
  return h('dl', { class: 'details' },
    h('dt', {}, t('detail.when')), h('dd', {}, dateTime(starts_at)),
    h('dt', {}, t('detail.where')), h('dd', {}, venueLine(venue)),
    h('dt', {}, t('detail.seats')), h('dd', {}, t('seats', { n: seats })),
    status ? [h('dt', {}, t('detail.status')), h('dd', {}, statusPill(status))] : null,
    extra);
}

/** The short booking code (6-8 characters) the door also accepts typed. */
export function bookingCode(code) {
  if (!code) return null;
  return h('p', { class: 'booking-code', id: 'booking-code' },
    h('span', { class: 'muted small' }, t('ticket.booking_code')), ' ',
    h('strong', { class: 'booking-code__value', translate: 'no' }, code));
}

export function codeLine(token) {
  return h('div', {},
    h('p', { class: 'muted small ticket-code', id: 'ticket-code-label' }, t('ticket.code')),
    h('p', { class: 'ticket-code', 'aria-labelledby': 'ticket-code-label', translate: 'no' }, groupedCode(token)));
}
