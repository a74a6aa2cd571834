// Dates are shown in the theatre's time zone, whatever the device's: the
// server's BOXOFFICE_TIMEZONE, which every API answer carries in its
// X-Time-Zone header (lib/api.js hands it here before a page renders
// what it fetched). The value below only stands until that first answer.
import { lang } from './i18n.js';

let timeZone = 'Europe/Rome';

const cache = new Map();

/** The theatre's time zone, from the server. */
export function setTimeZone(tz) {
  if (!tz || tz === timeZone) return;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    return; // a zone this browser does not know: keep the last one
  }
  timeZone = tz;
  cache.clear();
}

function fmt(opts) {
  const key = lang() + JSON.stringify(opts);
  if (!cache.has(key)) {
    cache.set(key, new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'it-IT', { timeZone, ...opts }));
  }
  return cache.get(key);
}

/** "sabato 28 novembre 2026" */
export function longDate(iso) {
  return fmt({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(iso));
}

/** "sab 28 nov" */
export function shortDate(iso) {
  return fmt({ weekday: 'short', day: 'numeric', month: 'short' }).format(new Date(iso));
}

/** "20:30" */
export function time(iso) {
  return fmt({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

/** "sabato 28 novembre 2026, 20:30" */
export function dateTime(iso) {
  return `${longDate(iso)}, ${time(iso)}`;
}

/** "28/11/2026 20:30" (tables) */
export function compactDateTime(iso) {
  if (!iso) return '';
  return fmt({ day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .format(new Date(iso));
}

/** Parts of an instant in the theatre's zone: {year, month, day, hour, minute}. */
function zonedParts(date) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23',
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(date);
  const o = {};
  for (const p of parts) if (p.type !== 'literal') o[p.type] = Number(p.value);
  return o;
}

/** ISO instant → "YYYY-MM-DDTHH:MM" wall time in the theatre's zone (for datetime-local inputs). */
export function toZonedInput(iso) {
  if (!iso) return '';
  const p = zonedParts(new Date(iso));
  const z = (n) => String(n).padStart(2, '0');
  return `${p.year}-${z(p.month)}-${z(p.day)}T${z(p.hour)}:${z(p.minute)}`;
}

/** "YYYY-MM-DDTHH:MM" wall time in the theatre's zone → ISO instant (UTC). */
export function fromZonedInput(value) {
  if (!value) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  // The zone's offset at that moment; twice, to settle around DST changes.
  let guess = wall;
  for (let i = 0; i < 2; i++) {
    const p = zonedParts(new Date(guess));
    const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    guess = wall - (asUtc - guess);
  }
  return new Date(guess).toISOString();
}
