// Ticket page /t/<ticket token>: what the QR opens (GET /api/tickets/{t}).
// It holds no personal data: show, time, place, seats, status.
import '../styles/base.css';
import '../strings/public.js';
import { api } from '../lib/api.js';
import { focus, h, replace } from '../lib/dom.js';
import { time } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { errorText, loading, messagePage, mount, setTitle, site } from '../lib/layout.js';
import { bookingCode, codeLine, details, qrBlock, statusPill } from '../lib/ticket-view.js';
import { TOKEN_RE } from '../lib/token.js';

const token = decodeURIComponent(location.pathname.replace(/^\/t\//, '').replace(/\/$/, ''));
let ticket = null;
let error = null;

function render(main) {
  if (!TOKEN_RE.test(token) || error?.status === 404) {
    setTitle(t('ticket.invalid_title'));
    replace(main, messagePage({
      title: t('ticket.invalid_title'),
      text: t('ticket.invalid_text'),
      actions: [h('a', { class: 'btn', href: '/' }, t('back.home'))],
    }));
    return;
  }
  if (error) {
    setTitle(t('error.title'));
    replace(main, messagePage({
      title: t('error.title'),
      text: errorText(error),
      actions: [h('button', { type: 'button', class: 'btn', onclick: load }, t('retry'))],
    }));
    return;
  }
  if (!ticket) {
    replace(main, loading());
    return;
  }
  // A cancelled performance voids every ticket of it, whatever the
  // ticket's own state: say so plainly, and show no QR.
  const perfCancelled = ticket.performance.status === 'cancelled';
  const valid = ticket.status === 'confirmed' && !perfCancelled;
  setTitle(t('ticket.title'), ticket.show.title);
  const admitted = ticket.seats_admitted > 0 && ticket.checked_in_at
    ? h('p', { class: 'alert alert--info', role: 'status' }, t('ticket.checked_in', {
      time: time(ticket.checked_in_at), admitted: ticket.seats_admitted, seats: ticket.seats,
    }))
    : null;
  replace(main,
    h('section', { class: 'ticket', 'aria-labelledby': 'ticket-title' },
      h('div', { class: 'ticket__head' },
        h('p', { class: 'ticket__status' }, statusPill(perfCancelled ? 'perf_cancelled' : ticket.status)),
        h('p', { class: 'muted' }, [t('ticket.title'), site()?.company_name].filter(Boolean).join(' \u00b7 ')),
        h('h1', { id: 'ticket-title', tabindex: '-1' }, ticket.show.title)),
      admitted,
      perfCancelled ? h('p', { class: 'alert', role: 'status', id: 'perf-cancelled' }, t('ticket.perf_cancelled_text')) : null,
      ticket.status === 'pending' && !perfCancelled ? h('p', { class: 'alert alert--info' }, t('ticket.pending_text')) : null,
      valid ? qrBlock(ticket) : null,
      valid ? bookingCode(ticket.code) : null,
      valid ? h('p', { class: 'qr-help' }, t('confirm.qr_help')) : null,
      details({
        starts_at: ticket.performance.starts_at,
        venue: ticket.venue,
        seats: ticket.seats,
        status: perfCancelled ? 'perf_cancelled' : ticket.status,
      }),
      valid ? codeLine(token) : null,
      h('p', { class: 'actions' }, h('a', { class: 'btn btn--secondary', href: `/shows/${ticket.show.slug}` }, ticket.show.title))));
}

async function load() {
  error = null;
  ticket = null;
  app.redraw();
  try {
    ticket = (await api(`/api/tickets/${encodeURIComponent(token)}`)).ticket;
  } catch (err) {
    error = err;
  }
  app.redraw();
  if (error?.status === 404) focus(document.getElementById('message-title'));
}

const app = mount(render);
if (TOKEN_RE.test(token)) load();
