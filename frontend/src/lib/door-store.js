// The door's offline copy (IndexedDB "bo-door"): per performance the
// night's guest list as GET /api/performances/{id}/guests gave it (ticket
// token HASHES, codes, names, seats, notes: never a token), and the queue
// of admissions made while offline, each with its client id. Erased on
// logout (eraseAll) and for performances more than 12 hours old (prune).

const DB = 'bo-door';
const LISTS = 'lists';
const QUEUE = 'queue';
const KEEP_MS = 12 * 3600 * 1000;

let opening = null;

function open() {
  if (!('indexedDB' in window)) return Promise.resolve(null);
  opening ??= new Promise((resolve) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(LISTS)) db.createObjectStore(LISTS, { keyPath: 'perf' });
      if (!db.objectStoreNames.contains(QUEUE)) db.createObjectStore(QUEUE, { keyPath: 'client_id' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => resolve(null);
    req.onblocked = () => resolve(null);
  });
  return opening;
}

function run(store, mode, fn) {
  return open().then((db) => new Promise((resolve) => {
    if (!db) {
      resolve(null);
      return;
    }
    let out = null;
    const tx = db.transaction(store, mode);
    const req = fn(tx.objectStore(store));
    if (req) req.onsuccess = () => { out = req.result; };
    tx.oncomplete = () => resolve(out);
    tx.onerror = () => resolve(null);
    tx.onabort = () => resolve(null);
  }));
}

/** Keep the list document of a performance. */
export function saveList(perfId, doc) {
  return run(LISTS, 'readwrite', (s) => s.put({ perf: perfId, saved_at: Date.now(), doc }));
}

/** The stored list document of a performance, or null. */
export async function loadList(perfId) {
  const row = await run(LISTS, 'readonly', (s) => s.get(perfId));
  return row?.doc ?? null;
}

/** Queue an admission {client_id, perf, body, at}. */
export function enqueue(item) {
  return run(QUEUE, 'readwrite', (s) => s.put(item));
}

export async function queued() {
  return (await run(QUEUE, 'readonly', (s) => s.getAll())) ?? [];
}

export function dequeue(clientId) {
  return run(QUEUE, 'readwrite', (s) => s.delete(clientId));
}

/** Forget the lists of performances that began more than 12 hours ago. */
export async function prune() {
  const rows = (await run(LISTS, 'readonly', (s) => s.getAll())) ?? [];
  const pending = new Set(((await queued()) ?? []).map((q) => q.perf));
  for (const r of rows) {
    const starts = Date.parse(r.doc?.performance?.starts_at ?? '');
    if (Number.isFinite(starts) && Date.now() - starts > KEEP_MS && !pending.has(r.perf))
      await run(LISTS, 'readwrite', (s) => s.delete(r.perf));
  }
}

/** Erase everything (logout). */
export async function eraseAll() {
  await run(LISTS, 'readwrite', (s) => s.clear());
  await run(QUEUE, 'readwrite', (s) => s.clear());
}

/** A client id for one admission. */
export function clientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}
