// Vite builds the site from frontend/ into build/frontend/ (served by nginx).
// One HTML entry per page type; nginx maps the clean URLs onto them (see
// nginx/snippets/frontend.conf). Everything under assets/ has a content hash
// in its name and is cached for a year; the HTML files are never cached.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const page = (p) => resolve(root, p);

export default defineConfig({
  root,
  publicDir: 'public',
  appType: 'mpa',
  logLevel: 'warn',
  build: {
    outDir: resolve(root, '../build/frontend'),
    emptyOutDir: true,
    target: 'es2020',
    // No polyfill: it would be an extra script, and every browser we target
    // has modulepreload or ignores it harmlessly.
    modulePreload: { polyfill: false },
    // Never inline assets as data: URLs into scripts or styles.
    assetsInlineLimit: 0,
    cssCodeSplit: true,
    reportCompressedSize: false,
    rollupOptions: {
      input: {
        index: page('index.html'),
        show: page('show.html'),
        book: page('book.html'),
        confirm: page('confirm.html'),
        waitlist: page('waitlist.html'),
        offer: page('offer.html'),
        ticket: page('ticket.html'),
        privacy: page('privacy.html'),
        bookings: page('bookings.html'),
        company: page('company.html'),
        notfound: page('404.html'),
        checkin: page('checkin/index.html'),
        manage: page('manage/index.html'),
      },
    },
  },
});
