// A very small i18n: Italian (default) and English dictionaries that each
// page adds with addStrings(); the choice is remembered in localStorage.
//
//   addStrings({ it: { hello: 'Ciao {name}' }, en: { hello: 'Hello {name}' } });
//   t('hello', { name: 'Anna' })
//
// A value may also be a function of the parameters (for plurals).

export const LANGS = ['it', 'en'];
const STORAGE_KEY = 'bo.lang';
const dicts = { it: {}, en: {} };
const listeners = new Set();

function stored() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled
  }
}

let current = LANGS.includes(stored()) ? stored() : 'it';
document.documentElement.lang = current;

/** Has this browser chosen a language (with the switch)? */
export function langChosen() {
  return LANGS.includes(stored());
}

/** Show the page in l without remembering it as the visitor's choice. */
export function useLang(l) {
  if (!LANGS.includes(l) || l === current) return;
  current = l;
  document.documentElement.lang = l;
  for (const fn of listeners) fn(l);
}

export function lang() {
  return current;
}

export function addStrings(d) {
  for (const l of LANGS) Object.assign(dicts[l], d[l]);
}

export function t(key, params = {}) {
  const v = dicts[current][key] ?? dicts.it[key];
  if (v === undefined) return key;
  if (typeof v === 'function') return v(params);
  return v.replace(/\{(\w+)\}/g, (_, k) => (params[k] ?? '').toString());
}

/** Is there a string for this key? (e.g. an API error code) */
export function has(key) {
  return dicts[current][key] !== undefined;
}

export function setLang(l) {
  if (!LANGS.includes(l) || l === current) return;
  current = l;
  document.documentElement.lang = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    // not remembered, still switched
  }
  for (const fn of listeners) fn(l);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Another tab switched language: follow it.
window.addEventListener('storage', (e) => {
  if (e.key === STORAGE_KEY && LANGS.includes(e.newValue)) setLang(e.newValue);
});

/** "1 posto" / "3 posti" from a {one, other} pair. */
export function plural(one, other) {
  return ({ n }) => (n === 1 ? one : other).replace('{n}', String(n));
}
