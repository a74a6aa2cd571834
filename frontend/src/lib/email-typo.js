// Likely typos in an email's domain (gmial.com, hotmial.it, a missing
// TLD), from a small table of common domains: no network lookup. A
// suggestion only: the form never blocks on it.

const COMMON = [
  'gmail.com', 'hotmail.com', 'hotmail.it', 'outlook.com', 'outlook.it', 'live.com', 'live.it',
  'yahoo.com', 'yahoo.it', 'icloud.com', 'libero.it', 'virgilio.it', 'tiscali.it', 'alice.it',
  'tim.it', 'fastwebnet.it', 'email.it', 'pec.it', 'protonmail.com', 'gmx.com',
];

/** Levenshtein distance, small strings only. */
function distance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j += 1) d[0][j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      // A swap of two neighbours (gmial) costs one.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * What the address probably meant, or null: {kind: "typo", suggestion}
 * for a domain one or two edits from a common one, {kind: "tld"} for a
 * domain without a dot.
 */
export function emailTypo(address) {
  const at = address.lastIndexOf('@');
  if (at < 1) return null;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1).toLowerCase();
  if (!domain) return null;
  if (!domain.includes('.')) {
    const guess = COMMON.find((c) => c.split('.')[0] === domain);
    return guess ? { kind: 'typo', suggestion: `${local}@${guess}` } : { kind: 'tld' };
  }
  if (COMMON.includes(domain)) return null;
  let best = null;
  for (const c of COMMON) {
    const n = distance(domain, c);
    if (n <= 2 && (!best || n < best.n)) best = { n, c };
  }
  return best ? { kind: 'typo', suggestion: `${local}@${best.c}` } : null;
}
