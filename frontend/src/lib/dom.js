// DOM building without innerHTML: every text from the API goes through
// text nodes, so nothing a visitor typed can become markup.
//
//   h('a', { href: '/', class: 'btn', onclick: fn }, 'Home', h('span', {}, '!'))
//
// Attributes: `class`, `text`, `on<event>` handlers, booleans (true sets
// the attribute, false/null/undefined leaves it out), anything else via
// setAttribute. Children: nodes, strings, numbers, arrays; null is skipped.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replace all children of el. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** An SVG icon from the sprite-free set below (decorative: aria-hidden). */
const ICONS = {
  check: 'M4 12.5l5 5L20 6.5',
  cross: 'M6 6l12 12M18 6L6 18',
  alert: 'M12 3l10 18H2L12 3zM12 10v5M12 18v.5',
  repeat: 'M4 12a8 8 0 0 1 14-5.3M20 4v4h-4M20 12a8 8 0 0 1-14 5.3M4 20v-4h4',
  question: 'M9 9a3 3 0 1 1 4.2 2.8c-.8.4-1.2 1-1.2 1.9V15M12 18v.5',
  clock: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM12 7v5l3 3',
  ban: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM5.6 5.6l12.8 12.8',
  swap: 'M4 8h14l-4-4M20 16H6l4 4',
  users: 'M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM2 20c0-3.5 3-6 7-6s7 2.5 7 6M16 4.5a3.5 3.5 0 0 1 0 6.5M18 14c2.4.6 4 2.8 4 6',
  calendar: 'M4 6h16v14H4zM4 10h16M8 3v5M16 3v5',
  camera: 'M4 7h3l2-3h6l2 3h3v12H4zM12 10a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7z',
};

export function icon(name, cls = 'icon') {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', cls);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[name] ?? ICONS.question);
  svg.append(path);
  return svg;
}

/** Move focus to an element (made focusable if needed) for screen readers. */
export function focus(el) {
  if (!el) return;
  if (!el.hasAttribute('tabindex') && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) {
    el.setAttribute('tabindex', '-1');
  }
  el.focus({ preventScroll: false });
}

// The one exception to "no markup from the API": the HTML that the server
// rendered from the theatre's own Markdown (cmark, raw HTML off). It is
// parsed inert (DOMParser runs no script and loads nothing) and rebuilt
// from a short list of tags and attributes, so even a server bug cannot
// put a script, a handler or a style on the page.
const SAFE_TAGS = new Set(['P', 'EM', 'STRONG', 'A', 'UL', 'OL', 'LI', 'H2', 'H3', 'H4', 'BLOCKQUOTE',
  'CODE', 'PRE', 'BR', 'HR', 'DEL']);
const SAFE_HREF = /^(https?:|mailto:|tel:|\/|#)/i;

function rebuild(node, out) {
  for (const c of node.childNodes) {
    if (c.nodeType === Node.TEXT_NODE) out.append(c.textContent);
    else if (c.nodeType === Node.ELEMENT_NODE) {
      // Headings start at h2: the page has its own h1.
      const tag = c.tagName === 'H1' ? 'H2' : c.tagName;
      if (!SAFE_TAGS.has(tag)) {
        rebuild(c, out);
        continue;
      }
      const el = document.createElement(tag);
      const href = c.getAttribute('href');
      if (tag === 'A' && href && SAFE_HREF.test(href)) el.setAttribute('href', href);
      rebuild(c, el);
      out.append(el);
    }
  }
  return out;
}

/** A DocumentFragment of the server's rendered Markdown (or empty). */
export function markdown(html) {
  const frag = document.createDocumentFragment();
  if (!html) return frag;
  const doc = new DOMParser().parseFromString(html, 'text/html');
  return rebuild(doc.body, frag);
}
