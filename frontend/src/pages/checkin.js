// Door scanner /checkin/: staff sign in, pick the performance, then scan
// tickets with the camera (BarcodeDetector where the browser has it, jsQR
// otherwise, loaded only then) or type the code. Each scan ends on one big
// result screen (colour + icon + words) per state; a ticket for a party
// asks how many come in now. The arrived/expected counter is polled.
//
// Around the scanner (issue 14): the night's guest list (search as you
// type, admit N, undo), the short booking code typed in any case, walk-ins
// and releasing unused seats, a green result that returns to the camera
// by itself, and an offline mode: the list is kept in IndexedDB (ticket
// hashes, never tokens; lib/door-store.js), scans work on it when the API
// cannot be reached, admissions queue with client ids and are sent when it
// answers again.
import '../styles/base.css';
import '../styles/checkin.css';
import '../strings/checkin.js';
import '../strings/door.js';
import { api } from '../lib/api.js';
import { focus, h, icon, replace } from '../lib/dom.js';
import { dateTime, shortDate, time, toZonedInput } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { errorText, langSwitch, loading, mount, setTitle } from '../lib/layout.js';
import { loginForm, logout, user, whoami } from '../lib/staff.js';
import { TOKEN_RE } from '../lib/token.js';
import { ticketHash } from '../lib/blake2b.js';
import * as store from '../lib/door-store.js';

const PERF_KEY = 'bo.door.perf';
const SOUND_KEY = 'bo.door.sound';
const POLL_MS = 5000;
const SAME_CODE_PAUSE_MS = 3000;
const DELAY_KEY = 'bo.door.delay';
const SYNC_MS = 3000;
// The short booking code (sql/011): no 0/O, 1/I/L; spaces, dashes, case ignored.
const CODE_RE = /^[2-9A-HJKMNP-Z]{6,8}$/;

const state = {
  view: 'loading', // loading | login | pick | scan | error
  notice: null,
  perfs: null,
  perf: null,
  counts: null,
  result: null, // {kind, code, data}
  party: null, // {send, ticket, remaining, n}
  busy: false,
  camera: 'off', // off | starting | on | error
  cameraError: null,
  manual: '',
  error: null,
  sound: storage(SOUND_KEY) !== 'off',
  tab: 'scan', // scan | list | walkin
  guests: null, // GET /api/performances/{id}/guests, or its stored copy
  search: '',
  offline: false,
  queue: 0,
  notice2: null, // a line under the counters (released, back online, ...)
  delay: Number(storage(DELAY_KEY) ?? '2'),
};

function storage(key, value) {
  try {
    if (value === undefined) return localStorage.getItem(key);
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // storage disabled: nothing remembered
  }
  return null;
}

// --- rendering -------------------------------------------------------------

function render(main) {
  setTitle(t('door.title'));
  const bar = document.getElementById('site-header');
  replace(bar, h('div', { class: 'staff-bar' },
    h('span', { class: 'staff-bar__title' }, icon('camera'), t('door.title')),
    langSwitch(),
    user ? h('button', { type: 'button', class: 'staff-bar__btn', id: 'logout', onclick: signOut }, t('logout')) : null));
  document.body.classList.toggle('has-result', Boolean(state.result || state.party));
  switch (state.view) {
    case 'loading':
      replace(main, loading());
      break;
    case 'login':
      replace(main, h('div', { class: 'narrow center' }, loginForm({ roles: ['staff', 'admin'], onDone: afterLogin, notice: state.notice })));
      break;
    case 'error':
      replace(main, h('div', { class: 'alert', role: 'alert' }, errorText(state.error), ' ',
        h('button', { type: 'button', class: 'btn btn--small btn--secondary', onclick: start }, t('retry'))));
      break;
    case 'pick':
      replace(main, picker());
      break;
    default:
      if (state.result) replace(main, resultScreen());
      else if (state.party) replace(main, partyScreen());
      else replace(main, scanner());
  }
  // A media element pauses when it leaves the document: resume it.
  if (state.camera === 'on' && video.isConnected && video.paused) video.play().catch(() => {});
}

function picker() {
  if (!state.perfs) return loading();
  return h('section', { class: 'pick', 'aria-labelledby': 'pick-title' },
    h('h1', { id: 'pick-title' }, t('door.pick')),
    state.perfs.length
      ? h('ul', { class: 'pick__list' }, state.perfs.map((p) => h('li', {},
        h('button', {
          type: 'button',
          class: `pick__item${p.status === 'cancelled' ? ' pick__item--off' : ''}`,
          'data-perf': p.id,
          onclick: () => choose(p),
        },
        h('span', { class: 'pick__date' }, isToday(p.starts_at) ? h('span', { class: 'pick__today' }, t('door.today')) : null,
          `${shortDate(p.starts_at)} \u00b7 ${time(p.starts_at)}`),
        h('span', { class: 'pick__show' }, p.show.title),
        h('span', { class: 'pick__venue' }, p.venue?.name ?? '',
          p.status === 'cancelled' ? ` \u00b7 ${t('state.cancelled')}` : '')))))
      : h('p', {}, t('door.pick_none')));
}

function isToday(iso) {
  return toZonedInput(iso).slice(0, 10) === toZonedInput(new Date().toISOString()).slice(0, 10);
}

function counter() {
  const g = state.guests?.counters;
  const c = state.counts;
  const arrived = g?.admitted ?? c?.arrived_seats ?? 0;
  const expected = g?.expected ?? c?.expected_seats ?? 0;
  const parties = state.guests
    ? state.guests.guests.filter((x) => x.status === 'confirmed' && x.seats_admitted > 0).length
    : c?.arrived_reservations ?? 0;
  const excess = (state.guests?.guests ?? []).filter((x) => x.door_excess > 0);
  return h('div', { class: 'counter', id: 'counter' },
    h('span', { class: 'counter__label' }, t('door.arrived')),
    h('span', { class: 'counter__value' }, h('strong', { id: 'arrived' }, String(arrived)), ` / ${expected}`),
    h('progress', { class: 'counter__bar', max: Math.max(expected, 1), value: arrived, 'aria-hidden': 'true' }),
    g || c ? h('span', { class: 'counter__parties' }, t('door.parties', { n: parties })) : null,
    g ? h('dl', { class: 'counter__grid' },
      h('div', {}, h('dt', {}, t('door.expected')), h('dd', { id: 'count-expected' }, String(g.expected))),
      h('div', {}, h('dt', {}, t('door.admitted')), h('dd', { id: 'count-admitted' }, String(g.admitted))),
      h('div', {}, h('dt', {}, t('door.free')), h('dd', { id: 'count-free' }, String(g.free))),
      h('div', {}, h('dt', {}, t('door.no_shows')), h('dd', { id: 'count-no-shows' }, String(g.no_shows)))) : null,
    excess.length ? h('ul', { class: 'counter__excess', id: 'excess' }, excess.map((x) =>
      h('li', {}, t('door.excess_report', { name: x.name || x.code, n: x.door_excess })))) : null);
}

function offlineBanner() {
  if (!state.offline && !state.notice2) return null;
  if (!state.offline) return h('p', { class: 'door__notice', id: 'door-notice', role: 'status' }, state.notice2);
  return h('div', { class: 'offline', id: 'offline-banner', role: 'status' },
    h('strong', { class: 'offline__tag' }, t('door.offline')), ' ',
    t('door.offline_text', { n: state.queue }));
}

function tabs() {
  const tab = (id, label) => h('button', {
    type: 'button', role: 'tab', id: `tab-${id}`, class: `tabs__tab${state.tab === id ? ' tabs__tab--on' : ''}`,
    'aria-selected': String(state.tab === id),
    onclick: () => { state.tab = id; app.redraw(); if (id === 'list') document.getElementById('guest-search')?.focus(); },
  }, label);
  return h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('door.tabs') },
    tab('scan', t('door.tab_scan')), tab('list', t('door.tab_list')), tab('walkin', t('door.tab_walkin')));
}

function doorHead() {
  const p = state.perf;
  return h('div', { class: 'door__head' },
    h('div', {},
      h('h1', { id: 'door-title', class: 'door__show' }, p.show.title),
      h('p', { class: 'door__when' }, dateTime(p.starts_at))),
    h('button', { type: 'button', class: 'btn btn--small btn--secondary', id: 'change-perf', onclick: changePerf }, t('door.change')));
}

function scanner() {
  const body = state.tab === 'list' ? guestList() : state.tab === 'walkin' ? walkIn() : scanPane();
  return h('section', { class: 'door', 'aria-labelledby': 'door-title' },
    doorHead(), offlineBanner(), counter(), tabs(), body);
}

function scanPane() {
  const camStatus = state.camera === 'error'
    ? h('p', { class: 'alert', id: 'camera-status', role: 'status' }, t('door.camera_error', { reason: state.cameraError }))
    : h('p', { class: 'muted', id: 'camera-status', role: 'status' }, state.camera === 'on' ? t('door.camera_on') : '');
  const input = h('input', {
    class: 'input', id: 'manual-code', type: 'text', autocomplete: 'off', autocapitalize: 'characters',
    spellcheck: 'false', 'aria-describedby': 'manual-hint', value: state.manual,
    oninput: (e) => { state.manual = e.target.value; },
  });
  const delays = [0, 1, 2, 3, 5];
  return h('div', { class: 'door__scan' },
    h('div', { class: `viewfinder viewfinder--${state.camera}` },
      state.camera === 'on' || state.camera === 'starting' ? video : h('span', { class: 'viewfinder__idle', 'aria-hidden': 'true' }, icon('camera')),
      h('span', { class: 'viewfinder__frame', 'aria-hidden': 'true' })),
    camStatus,
    h('button', {
      type: 'button', class: `btn btn--block${state.camera === 'on' ? ' btn--secondary' : ''}`, id: 'camera-toggle',
      onclick: state.camera === 'on' ? stopCamera : startCamera, disabled: state.camera === 'starting',
    }, icon('camera'), state.camera === 'on' ? t('door.stop_camera') : t('door.start_camera')),
    h('form', { class: 'manual', onsubmit: manualSubmit },
      h('label', { for: 'manual-code' }, t('door.manual')),
      h('p', { class: 'hint', id: 'manual-hint' }, t('door.manual_hint')),
      h('div', { class: 'manual__row' }, input,
        h('button', { type: 'submit', class: 'btn', id: 'manual-submit', disabled: state.busy }, state.busy ? t('door.checking') : t('door.check')))),
    h('label', { class: 'toggle' },
      h('input', {
        type: 'checkbox', id: 'sound', checked: state.sound,
        onchange: (e) => { state.sound = e.target.checked; storage(SOUND_KEY, state.sound ? 'on' : 'off'); unlockAudio(); },
      }),
      t('door.sound')),
    h('label', { class: 'field__label', for: 'auto-delay' }, t('door.auto_delay')),
    h('select', {
      class: 'input', id: 'auto-delay',
      onchange: (e) => { state.delay = Number(e.target.value); storage(DELAY_KEY, String(state.delay)); },
    }, delays.map((d) => h('option', { value: String(d), selected: state.delay === d },
      d === 0 ? t('door.auto_off') : t('door.auto_s', { n: d })))));
}

/** The code as typed, normalized, when it is one; else null. */
function codeOf(raw) {
  const c = raw.replace(/[\s-]+/g, '').toUpperCase();
  return CODE_RE.test(c) ? c : null;
}

function matches(g, q) {
  if (!q) return true;
  const l = q.toLowerCase();
  const c = q.replace(/[\s-]+/g, '').toUpperCase();
  return g.name.toLowerCase().includes(l) || (c.length >= 2 && g.code.startsWith(c));
}

function guestList() {
  const all = state.guests?.guests ?? [];
  const shown = all.filter((g) => matches(g, state.search.trim()));
  const list = h('ul', { class: 'guests', id: 'guest-list' }, shown.map(guestRow));
  const search = h('input', {
    class: 'input', id: 'guest-search', type: 'search', autocomplete: 'off', value: state.search,
    'aria-controls': 'guest-list',
    oninput: (e) => {
      state.search = e.target.value;
      const rows = (state.guests?.guests ?? []).filter((g) => matches(g, state.search.trim()));
      replace(list, rows.map(guestRow));
      const n = document.getElementById('guest-count');
      if (n) n.textContent = rows.length ? t('door.list_count', { n: rows.length }) : t('door.search_none');
    },
  });
  return h('div', { class: 'door__list' },
    h('label', { for: 'guest-search' }, t('door.search')),
    search,
    h('p', { class: 'muted', id: 'guest-count', role: 'status' }, shown.length ? t('door.list_count', { n: shown.length }) : t('door.search_none')),
    list,
    waitlist());
}

/** The performance's waiting list, in line order (issue 15): who would
 * take a seat that comes back, so the door knows before selling it. */
function waitlist() {
  const w = state.guests?.waitlist;
  if (!w || !w.entries?.length) return null;
  return h('section', { class: 'door__waitlist', id: 'door-waitlist', 'aria-labelledby': 'door-waitlist-title' },
    h('h2', { id: 'door-waitlist-title' }, t('door.waitlist')),
    h('p', { class: 'muted' }, t('door.waitlist_count', { n: w.counts.waiting, seats: w.counts.waiting_seats })),
    h('ol', { class: 'waitlist-door' }, w.entries.map((e) => h('li', { 'data-state': e.state },
      t('door.waitlist_entry', { position: e.position ?? '', name: e.name, seats: e.seats })
      + (e.min_seats && e.min_seats < e.seats ? t('door.waitlist_min', { min: e.min_seats }) : '')
      + (e.state === 'offered' ? t('door.waitlist_offered') : '')))));
}

function guestRow(g) {
  const left = g.seats - g.seats_admitted;
  const badge = g.status === 'cancelled' ? t('door.guest_cancelled')
    : g.status === 'pending' ? t('door.guest_pending') : g.source === 'door' ? t('door.guest_walkin') : null;
  return h('li', { class: `guest guest--${g.status}`, 'data-guest': g.id, 'data-code': g.code },
    h('div', { class: 'guest__main' },
      h('span', { class: 'guest__name' }, g.name || '\u2014'),
      h('span', { class: 'guest__meta' },
        h('span', { class: 'guest__code' }, g.code), ' \u00b7 ',
        t('door.guest_seats', { admitted: g.seats_admitted, seats: g.seats }),
        badge ? ` \u00b7 ${badge}` : ''),
      g.notes ? h('span', { class: 'guest__notes' }, `${t('door.notes')}: ${g.notes}`) : null,
      g.door_excess > 0 ? h('span', { class: 'guest__excess' }, t('door.guest_excess', { n: g.door_excess })) : null),
    g.status === 'confirmed' && left > 0
      ? h('button', { type: 'button', class: 'btn btn--small guest__admit', 'data-admit': g.id, onclick: () => admitGuest(g) }, t('door.guest_admit'))
      : h('span', { class: 'guest__done' }, g.status === 'confirmed' ? t('door.guest_all_in') : ''));
}

function walkIn() {
  const g = state.guests;
  const free = g?.counters?.free ?? 0;
  const seats = h('input', { class: 'input', id: 'walkin-seats', type: 'number', inputmode: 'numeric', min: 1, max: Math.max(free, 1), value: '1', required: true });
  const name = h('input', { class: 'input', id: 'walkin-name', type: 'text', autocomplete: 'off', maxlength: 120 });
  const err = h('p', { class: 'alert', id: 'walkin-alert', role: 'alert', hidden: true });
  const started = g?.performance ? Date.parse(g.performance.starts_at) <= Date.now() : false;
  const submit = async (e) => {
    e.preventDefault();
    if (state.busy) return;
    state.busy = true;
    try {
      const r = await api(`/api/performances/${state.perf.id}/walkins`, { method: 'POST', body: { seats: Number(seats.value), name: name.value.trim() || undefined } });
      state.result = { code: 'walk_in', data: r };
      feedback(true);
      app.redraw();
      document.getElementById('result-next')?.focus();
      scheduleReturn();
      refreshGuests();
    } catch (error) {
      if (handleAuth(error)) return;
      err.hidden = false;
      err.textContent = errorText(error);
    } finally {
      state.busy = false;
    }
  };
  return h('div', { class: 'door__walkin' },
    h('h2', {}, t('door.walkin_title')),
    h('p', { id: 'walkin-free' }, t('door.walkin_text', { n: free })),
    err,
    h('form', { class: 'walkin', id: 'walkin-form', onsubmit: submit },
      h('label', { for: 'walkin-seats' }, t('door.walkin_seats')), seats,
      h('label', { for: 'walkin-name' }, t('door.walkin_name')), name,
      h('button', { type: 'submit', class: 'btn btn--block', id: 'walkin-submit', disabled: state.offline }, t('door.walkin_submit'))),
    g?.performance?.release_at ? h('p', { class: 'hint' }, t('door.release_auto', { time: time(g.performance.release_at) })) : null,
    h('button', { type: 'button', class: 'btn btn--secondary btn--block', id: 'release', disabled: !started || state.offline, onclick: release }, t('door.release')));
}

async function release() {
  const absent = state.guests?.performance?.release_absent;
  if (!window.confirm(t(absent ? 'door.release_confirm_absent' : 'door.release_confirm_holds'))) return;
  try {
    const r = await api(`/api/performances/${state.perf.id}/release`, { method: 'POST', body: {} });
    state.notice2 = t('door.released', r.released);
    await refreshGuests();
    app.redraw();
  } catch (err) {
    if (handleAuth(err)) return;
    state.notice2 = errorText(err);
    app.redraw();
  }
}

const RESULT = {
  checked_in: ['ok', 'check'],
  walk_in: ['ok', 'check'],
  excess: ['warn', 'users'],
  already_checked_in: ['warn', 'repeat'],
  too_many_seats: ['warn', 'users'],
  wrong_performance: ['warn', 'swap'],
  not_confirmed: ['bad', 'clock'],
  cancelled: ['bad', 'ban'],
  performance_cancelled: ['bad', 'ban'],
  unknown_ticket: ['bad', 'question'],
  error: ['bad', 'alert'],
};

function resultScreen() {
  const { code, data, offline } = state.result;
  const [kind, ic] = RESULT[code] ?? RESULT.error;
  const r = data?.reservation;
  const lines = [];
  switch (code) {
    case 'checked_in':
      lines.push(t('result.checked_in.text', { n: data.seats_admitted }));
      if (data.seats_remaining > 0) lines.push(t('result.checked_in.remaining', { n: data.seats_remaining }));
      if (data.excess > 0) lines.push(t('door.guest_excess', { n: data.excess }));
      break;
    case 'walk_in':
      lines.push(t('result.walk_in.text', { n: r.seats }));
      lines.push(t('door.walkin_code', { code: r.code }));
      break;
    case 'excess':
      lines.push(t('door.guest_excess', { n: data.excess }));
      break;
    case 'already_checked_in':
      lines.push(t('result.already_checked_in.text', {
        time: data.checked_in_at ? time(data.checked_in_at) : '?', by: data.checked_in_by ?? '?',
      }));
      break;
    case 'wrong_performance':
      lines.push(t('result.wrong_performance.text', {
        show: data.performance?.show?.title ?? '', when: data.performance ? dateTime(data.performance.starts_at) : '',
      }));
      break;
    case 'too_many_seats':
      lines.push(t('result.too_many_seats.text', { n: data.seats_remaining ?? 0 }));
      break;
    case 'error':
      lines.push(errorText(data));
      break;
    default:
      lines.push(t(`result.${code}.text`));
  }
  if (offline) lines.push(t('door.offline_result'));
  const next = h('button', { type: 'button', class: 'btn btn--block result__next', id: 'result-next', onclick: nextScan }, t('door.next'));
  const canUndo = code === 'checked_in' && !offline && data?.checkin?.id;
  return h('section', {
    class: `result result--${kind}`, id: 'result', 'data-result': code, 'data-offline': offline ? 'true' : null,
    role: 'alert', 'aria-labelledby': 'result-title',
  },
  h('div', { class: 'result__body' },
    icon(ic, 'result__icon'),
    h('h1', { id: 'result-title', class: 'result__title' }, t(code === 'error' ? 'result.error' : `result.${code}`)),
    lines.map((l) => h('p', { class: 'result__text' }, l)),
    r?.name ? h('p', { class: 'result__party' }, t('result.party', { name: r.name, seats: t('seats', { n: r.seats }) })) : null,
    r?.notes ? h('p', { class: 'result__notes', id: 'result-notes' }, `${t('door.notes')}: ${r.notes}`) : null),
  next,
  canUndo ? h('button', { type: 'button', class: 'btn btn--secondary btn--block', id: 'undo', onclick: () => undo(data) }, t('door.undo')) : null);
}

async function undo(data) {
  clearTimeout(returnTimer);
  const r = data.reservation;
  if (!window.confirm(t('door.undo_confirm', { name: r.name || r.code, seats: t('seats', { n: data.seats_admitted }) }))) return;
  try {
    await api(`/api/checkins/${data.checkin.id}/undo`, { method: 'POST', body: {} });
    state.notice2 = t('door.undone');
  } catch (err) {
    if (handleAuth(err)) return;
    state.notice2 = errorText(err);
  }
  nextScan();
  refreshGuests();
}

function partyScreen() {
  const p = state.party;
  const input = h('input', {
    class: 'input stepper__value', id: 'party-seats', type: 'number', inputmode: 'numeric',
    min: 1, max: p.remaining, value: String(p.n),
    oninput: (e) => { const n = Number(e.target.value); if (n >= 1 && n <= p.remaining) { p.n = n; updateAdmit(); } },
  });
  const admit = h('button', { type: 'button', class: 'btn btn--block party__admit', id: 'party-admit', onclick: admitParty }, t('door.party_admit', { n: p.n }));
  function updateAdmit() {
    input.value = String(p.n);
    admit.textContent = t('door.party_admit', { n: p.n });
  }
  const step = (d) => () => { p.n = Math.min(p.remaining, Math.max(1, p.n + d)); updateAdmit(); };
  return h('section', { class: 'party', id: 'party', 'aria-labelledby': 'party-title' },
    icon('users', 'party__icon'),
    h('h1', { id: 'party-title', tabindex: '-1' }, t('door.party_title')),
    p.ticket.name ? h('p', { class: 'party__name' }, p.ticket.name) : null,
    p.ticket.notes ? h('p', { class: 'result__notes' }, `${t('door.notes')}: ${p.ticket.notes}`) : null,
    h('p', { class: 'party__text' }, t('door.party_text', {
      seats: t('seats', { n: p.ticket.seats }), admitted: p.ticket.seats_admitted, remaining: p.remaining,
    })),
    h('label', { class: 'stepper__label', for: 'party-seats' }, t('door.party_seats')),
    h('div', { class: 'stepper' },
      h('button', { type: 'button', class: 'stepper__btn', id: 'party-less', 'aria-label': t('door.party_less'), onclick: step(-1) }, '\u2212'),
      input,
      h('button', { type: 'button', class: 'stepper__btn', id: 'party-more', 'aria-label': t('door.party_more'), onclick: step(+1) }, '+')),
    admit,
    h('button', { type: 'button', class: 'btn btn--secondary btn--block', id: 'party-back', onclick: nextScan }, t('door.party_back')));
}

// --- flow ------------------------------------------------------------------

async function start() {
  state.view = 'loading';
  app.redraw();
  store.prune().catch(() => {});
  try {
    const u = await whoami();
    if (!u) {
      state.view = 'login';
      app.redraw();
      return;
    }
    await afterLogin();
  } catch (err) {
    state.error = err;
    state.view = 'error';
    app.redraw();
  }
}

async function afterLogin() {
  unlockAudio();
  state.notice = null;
  state.view = 'pick';
  state.perfs = null;
  app.redraw();
  try {
    state.perfs = (await api('/api/staff/performances')).performances;
  } catch (err) {
    if (handleAuth(err)) return;
    state.error = err;
    state.view = 'error';
    app.redraw();
    return;
  }
  const saved = Number(storage(PERF_KEY));
  const keep = state.perfs.find((p) => p.id === saved);
  if (keep) {
    choose(keep);
    return;
  }
  app.redraw();
  focus(document.getElementById('pick-title'));
}

async function choose(p) {
  state.perf = p;
  state.counts = null;
  state.guests = (await store.loadList(p.id).catch(() => null)) ?? null;
  storage(PERF_KEY, String(p.id));
  state.view = 'scan';
  app.redraw();
  focus(document.getElementById('door-title'));
  refreshCounts();
}

function changePerf() {
  storage(PERF_KEY, null);
  stopCamera();
  state.view = 'pick';
  state.guests = null;
  app.redraw();
  focus(document.getElementById('pick-title'));
}

async function signOut() {
  stopCamera();
  await store.eraseAll().catch(() => {});
  await logout();
  state.view = 'login';
  state.perf = null;
  state.guests = null;
  state.result = null;
  state.party = null;
  app.redraw();
}

/** A 401 sends the user back to sign in. */
function handleAuth(err) {
  if (err.status !== 401) return false;
  stopCamera();
  state.view = 'login';
  state.notice = t('login.expired');
  state.result = null;
  state.party = null;
  app.redraw();
  return true;
}

/** A failure that means "no network or no API" rather than an answer. */
function unreachable(err) {
  return err.status === 0 || err.status === 502 || err.status === 503 || err.status === 504;
}

function goOffline() {
  if (state.offline) return;
  state.offline = true;
  state.notice2 = null;
  redrawCounter();
  clearTimeout(syncTimer);
  syncTimer = setTimeout(sync, SYNC_MS);
}

/** Redraw the counters and banner in place (not the whole page). */
function redrawCounter() {
  if (state.view !== 'scan' || state.result || state.party) return;
  const el = document.getElementById('counter');
  if (el) el.replaceWith(counter());
  const banner = document.getElementById('offline-banner') ?? document.getElementById('door-notice');
  const fresh = offlineBanner();
  if (banner && fresh) banner.replaceWith(fresh);
  else if (banner) banner.remove();
  else if (fresh) document.getElementById('counter')?.before(fresh);
}

/** The night's list from the server, kept on the phone too. */
async function refreshGuests() {
  if (!state.perf) return;
  const id = state.perf.id;
  const doc = await api(`/api/performances/${id}/guests`);
  if (state.perf?.id !== id) return;
  state.guests = doc;
  store.saveList(id, doc).catch(() => {});
  if (state.view === 'scan' && state.tab !== 'list') redrawCounter();
}

let pollTimer = null;
async function refreshCounts() {
  clearTimeout(pollTimer);
  if (state.view !== 'scan' || !state.perf) return;
  try {
    if (!state.offline) {
      await flushQueue();
      await refreshGuests();
    }
  } catch (err) {
    if (handleAuth(err)) return;
    if (unreachable(err)) goOffline();
  }
  pollTimer = setTimeout(() => {
    if (document.visibilityState === 'visible') refreshCounts();
    else pollTimer = setTimeout(refreshCounts, POLL_MS);
  }, POLL_MS);
}

let syncTimer = null;
/** Offline: try the queue and the list again; back online when both answer. */
async function sync() {
  clearTimeout(syncTimer);
  if (!state.offline) return;
  try {
    await flushQueue();
    await refreshGuests();
    state.offline = false;
    state.notice2 = t('door.back_online');
    if (state.view === 'scan' && !state.result && !state.party) app.redraw();
  } catch (err) {
    if (handleAuth(err)) return;
    syncTimer = setTimeout(sync, SYNC_MS);
  }
}

/** Send the queued admissions, oldest first; throws when the API cannot be reached. */
async function flushQueue() {
  const items = (await store.queued()).sort((a, b) => a.at - b.at);
  state.queue = items.length;
  for (const q of items) {
    try {
      await api('/api/checkins', { method: 'POST', body: q.body });
    } catch (err) {
      if (unreachable(err) || err.status === 401) throw err;
      // An answer (cancelled, wrong performance...): it was sent; the list shows the truth.
    }
    await store.dequeue(q.client_id);
    state.queue -= 1;
  }
}

function tokenOf(raw) {
  const s = raw.trim();
  const m = /\/t\/([A-Za-z0-9_-]+)\/?$/.exec(s);
  return m ? m[1] : s.replace(/\s+/g, '');
}

/** The guest of the stored list a scan names: by the ticket's hash, or by code. */
function localGuest(what) {
  const list = state.guests?.guests ?? [];
  if (what.code) return list.find((g) => g.code === what.code) ?? null;
  const hash = ticketHash(what.token);
  return hash ? list.find((g) => g.ticket_hash === hash) ?? null : null;
}

/** One scan (from the camera or typed): maybe ask for the party size, then check in. */
async function scan(raw) {
  if (state.busy) return;
  const token = tokenOf(raw);
  const code = TOKEN_RE.test(token) ? null : codeOf(raw);
  const send = code ? { code } : { token: /^https?:\/\//i.test(raw.trim()) ? raw.trim() : token };
  state.busy = true;
  try {
    let ticket = null;
    const g = localGuest(code ? { code } : { token });
    if (g) {
      ticket = { status: g.status, seats: g.seats, seats_admitted: g.seats_admitted, name: g.name, notes: g.notes, performance: { id: state.perf.id } };
    }
    if (!code && !state.offline && TOKEN_RE.test(token)) {
      try {
        ticket = (await api(`/api/tickets/${encodeURIComponent(token)}`)).ticket;
        if (g) Object.assign(ticket, { name: g.name, notes: g.notes });
      } catch {
        // the check-in itself says what is wrong (or goes offline)
      }
    }
    const remaining = ticket ? ticket.seats - ticket.seats_admitted : 0;
    if (ticket && ticket.status === 'confirmed' && ticket.performance.id === state.perf.id && remaining > 1) {
      state.busy = false;
      state.party = { send, ticket, remaining, n: remaining, guest: g };
      app.redraw();
      focus(document.getElementById('party-title'));
      return;
    }
    await checkIn(send, undefined, g);
  } finally {
    state.busy = false;
  }
}

/** Admit from the guest list. */
function admitGuest(g) {
  const remaining = g.seats - g.seats_admitted;
  const send = { code: g.code };
  if (remaining > 1) {
    state.party = { send, ticket: { seats: g.seats, seats_admitted: g.seats_admitted, name: g.name, notes: g.notes }, remaining, n: remaining, guest: g };
    app.redraw();
    focus(document.getElementById('party-title'));
    return;
  }
  checkIn(send, 1, g);
}

/**
 * POST the scan; a 503 "busy" (the server's transaction kept colliding
 * with others and wrote nothing) is sent again by itself a few times,
 * with the same client id, before it counts as an error.
 */
async function postScan(body) {
  for (const wait of [200, 500, 1000]) {
    try {
      return await api('/api/checkins', { method: 'POST', body });
    } catch (err) {
      if (err.status !== 503 || err.code !== 'busy') throw err;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  return api('/api/checkins', { method: 'POST', body });
}

async function checkIn(send, seats, guest) {
  const clientId = store.clientId();
  const body = { ...send, performance_id: state.perf.id, client_id: clientId };
  if (seats) body.seats = seats;
  let result;
  if (state.offline) {
    result = await admitOffline(send, seats, guest, clientId);
  } else {
    try {
      const r = await postScan(body);
      result = { code: r.result === 'excess' ? 'excess' : 'checked_in', data: r };
    } catch (err) {
      if (handleAuth(err)) return;
      if (unreachable(err)) {
        // The same client id: if the server did admit it and only the
        // answer was lost, the replay admits nothing twice.
        goOffline();
        result = await admitOffline(send, seats, guest, clientId);
      } else {
        const known = RESULT[err.code] && err.code !== 'error';
        result = known ? { code: err.code, data: err.error } : { code: 'error', data: err };
      }
    }
  }
  state.party = null;
  state.result = result;
  state.manual = '';
  feedback(result.code === 'checked_in');
  app.redraw();
  document.getElementById('result-next')?.focus();
  if (result.code === 'checked_in') scheduleReturn();
  if (!state.offline) refreshCounts();
}

/**
 * The same decision as the server's, on the stored list: who, whether
 * still admissible, how many. The admission is queued with its client id
 * and sent as {"code", "offline": true} (the queue holds no token).
 */
async function admitOffline(send, seats, known, clientId) {
  const g = known ?? localGuest(send.code ? { code: send.code } : { token: tokenOf(send.token) });
  if (!g) return { code: 'unknown_ticket', data: {}, offline: true };
  const reservation = { name: g.name, seats: g.seats, seats_admitted: g.seats_admitted, notes: g.notes, code: g.code };
  if (state.guests.performance?.status === 'cancelled') return { code: 'performance_cancelled', data: { reservation }, offline: true };
  if (g.status === 'cancelled') return { code: 'cancelled', data: { reservation }, offline: true };
  if (g.status !== 'confirmed') return { code: 'not_confirmed', data: { reservation }, offline: true };
  const remaining = g.seats - g.seats_admitted;
  if (remaining <= 0) return { code: 'already_checked_in', data: { reservation }, offline: true };
  const n = Math.min(seats ?? remaining, remaining);
  await store.enqueue({
    client_id: clientId, perf: state.perf.id, at: Date.now(),
    body: { code: g.code, performance_id: state.perf.id, seats: n, offline: true, client_id: clientId },
  });
  g.seats_admitted += n;
  if (state.guests.counters) state.guests.counters.admitted += n;
  state.queue += 1;
  store.saveList(state.perf.id, state.guests).catch(() => {});
  return { code: 'checked_in', data: { seats_admitted: n, seats_remaining: remaining - n, reservation }, offline: true };
}

let returnTimer = null;
/** After a green result, back to scanning by itself (if so set). */
function scheduleReturn() {
  clearTimeout(returnTimer);
  // Back "to the camera": typing codes by hand keeps the result until Next.
  if (!(state.delay > 0) || state.camera !== 'on') return;
  returnTimer = setTimeout(() => {
    if (state.result && ['checked_in', 'walk_in'].includes(state.result.code)) nextScan();
  }, state.delay * 1000);
}

async function admitParty() {
  const p = state.party;
  if (!p || state.busy) return;
  state.busy = true;
  document.getElementById('party-admit')?.setAttribute('disabled', '');
  try {
    await checkIn(p.send, p.n, p.guest);
  } finally {
    state.busy = false;
  }
}

function nextScan() {
  clearTimeout(returnTimer);
  state.result = null;
  state.party = null;
  lastClosedAt = Date.now();
  app.redraw();
  if (state.tab === 'list') document.getElementById('guest-search')?.focus();
  else (state.camera === 'on' ? document.getElementById('camera-toggle') : document.getElementById('manual-code'))?.focus();
}

function manualSubmit(e) {
  e.preventDefault();
  unlockAudio();
  const v = state.manual.trim();
  if (!v) {
    document.getElementById('manual-code')?.focus();
    return;
  }
  scan(v);
}

// --- camera ------------------------------------------------------------------

const video = h('video', { class: 'viewfinder__video', muted: true, playsinline: true, autoplay: true, 'aria-hidden': 'true' });
video.muted = true;
let stream = null;
let detector = null;
let jsQR = null;
let canvas = null;
let scanTimer = null;
let lastCode = null;
let lastClosedAt = 0;

async function startCamera() {
  unlockAudio();
  if (!navigator.mediaDevices?.getUserMedia) {
    state.camera = 'error';
    state.cameraError = t('door.camera_missing');
    app.redraw();
    return;
  }
  state.camera = 'starting';
  app.redraw();
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
    video.srcObject = stream;
    await video.play().catch(() => {});
    if (!detector && !jsQR) await loadDecoder();
    state.camera = 'on';
    app.redraw();
    document.getElementById('camera-toggle')?.focus();
    scanLoop();
  } catch (err) {
    stopCamera();
    state.camera = 'error';
    state.cameraError = err?.name === 'NotAllowedError' ? t('door.camera_denied') : t('door.camera_missing');
    app.redraw();
  }
}

async function loadDecoder() {
  try {
    if ('BarcodeDetector' in window) {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes('qr_code')) {
        detector = new window.BarcodeDetector({ formats: ['qr_code'] });
        return;
      }
    }
  } catch {
    detector = null;
  }
  jsQR = (await import('jsqr')).default;
}

function stopCamera() {
  clearTimeout(scanTimer);
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  video.srcObject = null;
  if (state.camera !== 'error') state.camera = 'off';
  if (state.view === 'scan') app.redraw();
}

async function decodeFrame() {
  if (video.readyState < 2 || !video.videoWidth) return null;
  if (detector) {
    const codes = await detector.detect(video);
    return codes[0]?.rawValue ?? null;
  }
  const scale = Math.min(1, 720 / Math.max(video.videoWidth, video.videoHeight));
  const w = Math.round(video.videoWidth * scale);
  const hgt = Math.round(video.videoHeight * scale);
  canvas ??= document.createElement('canvas');
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== hgt) canvas.height = hgt;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(video, 0, 0, w, hgt);
  const img = ctx.getImageData(0, 0, w, hgt);
  return jsQR(img.data, w, hgt, { inversionAttempts: 'attemptBoth' })?.data ?? null;
}

async function scanLoop() {
  clearTimeout(scanTimer);
  if (state.camera !== 'on') return;
  if (!state.result && !state.party && !state.busy && state.view === 'scan') {
    try {
      const code = await decodeFrame();
      // The ticket just handled is probably still in front of the camera.
      const repeat = code && code === lastCode && Date.now() - lastClosedAt < SAME_CODE_PAUSE_MS;
      if (code && !repeat && !state.result && !state.party) {
        lastCode = code;
        await scan(code);
      }
    } catch {
      // a frame that could not be read: try the next one
    }
  }
  scanTimer = setTimeout(scanLoop, 150);
}

window.addEventListener('online', () => { if (state.offline) sync(); });
window.addEventListener('offline', () => { if (state.view === 'scan') goOffline(); });

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden' && state.camera === 'on') stopCamera();
  if (document.visibilityState === 'visible' && state.view === 'scan') refreshCounts();
});

// --- sound and vibration ---------------------------------------------------------

let audio = null;
function unlockAudio() {
  if (!state.sound) return;
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') audio.resume();
  } catch {
    audio = null;
  }
}

function tone(freq, at, dur) {
  const o = audio.createOscillator();
  const g = audio.createGain();
  o.frequency.value = freq;
  o.type = 'sine';
  g.gain.setValueAtTime(0.0001, at);
  g.gain.exponentialRampToValueAtTime(0.3, at + 0.01);
  g.gain.exponentialRampToValueAtTime(0.0001, at + dur);
  o.connect(g).connect(audio.destination);
  o.start(at);
  o.stop(at + dur + 0.02);
}

function feedback(ok) {
  try {
    navigator.vibrate?.(ok ? 120 : [250, 120, 250]);
  } catch {
    // not allowed
  }
  if (!state.sound || !audio) return;
  try {
    const now = audio.currentTime;
    if (ok) {
      tone(880, now, 0.12);
      tone(1320, now + 0.14, 0.16);
    } else {
      tone(220, now, 0.45);
    }
  } catch {
    // no sound
  }
}

const app = mount(render, { header: false });
start();
