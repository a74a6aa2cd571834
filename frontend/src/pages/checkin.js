// Door scanner /checkin/: staff sign in, pick the performance, then scan
// tickets with the camera (BarcodeDetector where the browser has it, jsQR
// otherwise, loaded only then) or type the code. Each scan ends on one big
// result screen (colour + icon + words) per state; a ticket for a party
// asks how many come in now. The arrived/expected counter is polled.
import '../styles/base.css';
import '../styles/checkin.css';
import '../strings/checkin.js';
import { api } from '../lib/api.js';
import { focus, h, icon, replace } from '../lib/dom.js';
import { dateTime, shortDate, time, toZonedInput } from '../lib/format.js';
import { t } from '../lib/i18n.js';
import { errorText, langSwitch, loading, mount, setTitle } from '../lib/layout.js';
import { loginForm, logout, user, whoami } from '../lib/staff.js';
import { TOKEN_RE } from '../lib/token.js';

const PERF_KEY = 'bo.door.perf';
const SOUND_KEY = 'bo.door.sound';
const POLL_MS = 5000;
const SAME_CODE_PAUSE_MS = 3000;

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
  const c = state.counts;
  const arrived = c?.arrived_seats ?? 0;
  const expected = c?.expected_seats ?? 0;
  return h('div', { class: 'counter', id: 'counter' },
    h('span', { class: 'counter__label' }, t('door.arrived')),
    h('span', { class: 'counter__value' }, h('strong', { id: 'arrived' }, String(arrived)), ` / ${expected}`),
    h('progress', { class: 'counter__bar', max: Math.max(expected, 1), value: arrived, 'aria-hidden': 'true' }),
    c ? h('span', { class: 'counter__parties' }, t('door.parties', { n: c.arrived_reservations ?? 0 })) : null);
}

function scanner() {
  const p = state.perf;
  const camStatus = state.camera === 'error'
    ? h('p', { class: 'alert', id: 'camera-status', role: 'status' }, t('door.camera_error', { reason: state.cameraError }))
    : h('p', { class: 'muted', id: 'camera-status', role: 'status' }, state.camera === 'on' ? t('door.camera_on') : '');
  const input = h('input', {
    class: 'input', id: 'manual-code', type: 'text', autocomplete: 'off', autocapitalize: 'off',
    spellcheck: 'false', 'aria-describedby': 'manual-hint', value: state.manual,
    oninput: (e) => { state.manual = e.target.value; },
  });
  return h('section', { class: 'door', 'aria-labelledby': 'door-title' },
    h('div', { class: 'door__head' },
      h('div', {},
        h('h1', { id: 'door-title', class: 'door__show' }, p.show.title),
        h('p', { class: 'door__when' }, dateTime(p.starts_at))),
      h('button', { type: 'button', class: 'btn btn--small btn--secondary', id: 'change-perf', onclick: changePerf }, t('door.change'))),
    counter(),
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
      t('door.sound')));
}

const RESULT = {
  checked_in: ['ok', 'check'],
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
  const { code, data } = state.result;
  const [kind, ic] = RESULT[code] ?? RESULT.error;
  const r = data?.reservation;
  const lines = [];
  switch (code) {
    case 'checked_in':
      lines.push(t('result.checked_in.text', { n: data.seats_admitted }));
      if (data.seats_remaining > 0) lines.push(t('result.checked_in.remaining', { n: data.seats_remaining }));
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
  const next = h('button', { type: 'button', class: 'btn btn--block result__next', id: 'result-next', onclick: nextScan }, t('door.next'));
  return h('section', {
    class: `result result--${kind}`, id: 'result', 'data-result': code, role: 'alert', 'aria-labelledby': 'result-title',
  },
  h('div', { class: 'result__body' },
    icon(ic, 'result__icon'),
    h('h1', { id: 'result-title', class: 'result__title' }, t(code === 'error' ? 'result.error' : `result.${code}`)),
    lines.map((l) => h('p', { class: 'result__text' }, l)),
    r?.name ? h('p', { class: 'result__party' }, t('result.party', { name: r.name, seats: t('seats', { n: r.seats }) })) : null),
  next);
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

function choose(p) {
  state.perf = p;
  state.counts = null;
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
  app.redraw();
  focus(document.getElementById('pick-title'));
}

async function signOut() {
  stopCamera();
  await logout();
  state.view = 'login';
  state.perf = null;
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

let pollTimer = null;
async function refreshCounts() {
  clearTimeout(pollTimer);
  if (state.view !== 'scan' || !state.perf) return;
  const id = state.perf.id;
  try {
    const c = await api(`/api/performances/${id}/checkins`);
    if (state.perf?.id !== id) return;
    state.counts = c;
    const el = document.getElementById('counter');
    if (el) el.replaceWith(counter());
  } catch (err) {
    if (handleAuth(err)) return;
  }
  pollTimer = setTimeout(() => {
    if (document.visibilityState === 'visible') refreshCounts();
    else pollTimer = setTimeout(refreshCounts, POLL_MS);
  }, POLL_MS);
}

function tokenOf(raw) {
  const s = raw.trim();
  const m = /\/t\/([A-Za-z0-9_-]+)\/?$/.exec(s);
  return m ? m[1] : s.replace(/\s+/g, '');
}

/** One scan (from the camera or typed): maybe ask for the party size, then check in. */
async function scan(raw) {
  if (state.busy) return;
  const token = tokenOf(raw);
  const send = /^https?:\/\//i.test(raw.trim()) ? raw.trim() : token;
  state.busy = true;
  try {
    let ticket = null;
    if (TOKEN_RE.test(token)) {
      try {
        ticket = (await api(`/api/tickets/${encodeURIComponent(token)}`)).ticket;
      } catch {
        ticket = null; // the check-in itself says what is wrong
      }
    }
    const remaining = ticket ? ticket.seats - ticket.seats_admitted : 0;
    if (ticket && ticket.status === 'confirmed' && ticket.performance.id === state.perf.id && remaining > 1) {
      state.busy = false;
      state.party = { send, ticket, remaining, n: remaining };
      app.redraw();
      focus(document.getElementById('party-title'));
      return;
    }
    await checkIn(send);
  } finally {
    state.busy = false;
  }
}

async function checkIn(send, seats) {
  const body = { token: send, performance_id: state.perf.id };
  if (seats) body.seats = seats;
  let result;
  try {
    const r = await api('/api/checkins', { method: 'POST', body });
    result = { code: 'checked_in', data: r };
  } catch (err) {
    if (handleAuth(err)) return;
    const known = RESULT[err.code] && err.code !== 'error';
    result = known ? { code: err.code, data: err.error } : { code: 'error', data: err };
  }
  state.party = null;
  state.result = result;
  state.manual = '';
  feedback(result.code === 'checked_in');
  app.redraw();
  document.getElementById('result-next')?.focus();
  refreshCounts();
}

async function admitParty() {
  const p = state.party;
  if (!p || state.busy) return;
  state.busy = true;
  document.getElementById('party-admit')?.setAttribute('disabled', '');
  try {
    await checkIn(p.send, p.n);
  } finally {
    state.busy = false;
  }
}

function nextScan() {
  state.result = null;
  state.party = null;
  lastClosedAt = Date.now();
  app.redraw();
  (state.camera === 'on' ? document.getElementById('camera-toggle') : document.getElementById('manual-code'))?.focus();
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
