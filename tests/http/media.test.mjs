// Image uploads (issue 16): POST /admin/media decodes and re-encodes with
// libvips. A JPEG with EXIF GPS and an orientation comes back rotated,
// without any metadata, in every width, WebP and JPEG, served by nginx
// from /media/ with long cache headers. A decompression bomb, a truncated
// file, an HTML file sent as a JPEG, a wrong type and an 11 MiB body are
// refused and leave nothing on disk. Backup and restore bring the images
// back.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { ROOT, api, startStack } from './stack.mjs';
import { post } from './fixtures.mjs';

let stack;
let admin;
let work;

async function login(who) {
  const r = await post(stack, '/api/auth/login', who);
  assert.equal(r.status, 200, r.text);
  return { cookie: r.headers.get('set-cookie').split(';')[0], csrf: r.body.csrf_token };
}

function as(session, path, { method = 'GET', body } = {}) {
  const headers = { cookie: session.cookie, 'x-csrf-token': session.csrf };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return api(stack, path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

function upload(bytes, type, session = admin) {
  return api(stack, '/admin/media', {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': type },
    body: bytes,
  });
}

const mediaDir = () => join(stack.var, 'media');
const onDisk = () => {
  try {
    return readdirSync(mediaDir()).sort();
  } catch {
    return [];
  }
};

/** vipsheader -a of a file's bytes: {field: value}. */
function header(bytes, name = 'x') {
  const f = join(work, name);
  writeFileSync(f, bytes);
  const out = execFileSync('vipsheader', ['-a', f], { encoding: 'utf8' });
  return Object.fromEntries(out.split('\n').filter((l) => l.includes(': ')).map((l) => {
    const i = l.indexOf(': ');
    return [l.slice(0, i).trim(), l.slice(i + 2)];
  }));
}

/**
 * A JPEG of w x h made by the vips command line, with a hand-written EXIF
 * segment: Orientation 6 (rotate 90° clockwise to view) and GPS latitude.
 */
function jpegWithExif(w, h) {
  const base = join(work, `base-${w}x${h}.jpg`);
  execFileSync('vips', ['black', join(work, 'b.v'), String(w), String(h), '--bands', '3']);
  execFileSync('vips', ['linear', join(work, 'b.v'), join(work, 'l.v'), '1', '120']);
  execFileSync('vips', ['cast', join(work, 'l.v'), join(work, 'c.v'), 'uchar']);
  execFileSync('vips', ['jpegsave', join(work, 'c.v'), base]);
  const jpeg = readFileSync(base);
  const t = Buffer.alloc(92);
  t.write('II', 0, 'latin1');
  t.writeUInt16LE(42, 2);
  t.writeUInt32LE(8, 4);
  // IFD0: Orientation, GPS IFD pointer
  t.writeUInt16LE(2, 8);
  t.writeUInt16LE(0x0112, 10); t.writeUInt16LE(3, 12); t.writeUInt32LE(1, 14); t.writeUInt16LE(6, 18);
  t.writeUInt16LE(0x8825, 22); t.writeUInt16LE(4, 24); t.writeUInt32LE(1, 26); t.writeUInt32LE(38, 30);
  t.writeUInt32LE(0, 34);
  // GPS IFD: GPSLatitudeRef "N", GPSLatitude 44/1 30/1 0/1
  t.writeUInt16LE(2, 38);
  t.writeUInt16LE(0x0001, 40); t.writeUInt16LE(2, 42); t.writeUInt32LE(2, 44); t.write('N\0', 48, 'latin1');
  t.writeUInt16LE(0x0002, 52); t.writeUInt16LE(5, 54); t.writeUInt32LE(3, 56); t.writeUInt32LE(68, 60);
  t.writeUInt32LE(0, 64);
  [44, 1, 30, 1, 0, 1].forEach((v, i) => t.writeUInt32LE(v, 68 + 4 * i));
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), t]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), app1, payload, jpeg.subarray(2)]);
}

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A PNG whose header says 50 000 x 50 000: a few hundred bytes. */
function pngBomb() {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(50000, 0);
  ihdr.writeUInt32BE(50000, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'boxoffice-media-'));
  stack = await startStack({ env: { BOXOFFICE_RATE_LIMITS: 'off' } });
  admin = await login(stack.demo.admin);
});

afterEach(() => stack.checkSanitizers());

after(async () => {
  await stack?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('uploads', () => {
  let media;

  test('a JPEG with GPS and an orientation comes back rotated, without metadata, in every width', async () => {
    const jpeg = jpegWithExif(1600, 800);
    const h0 = header(jpeg, 'in.jpg');
    assert.equal(h0.orientation, '6', 'the test image carries an orientation');
    assert.ok(Object.keys(h0).some((k) => /GPSLatitude/.test(k)), 'and a GPS position');

    const r = await upload(jpeg, 'image/jpeg');
    assert.equal(r.status, 201, r.text);
    media = r.body.media;
    assert.ok(Number.isInteger(media.id));
    // Rotated: 800 wide, 1600 high; widths up to the image's own.
    assert.deepEqual(media.widths, [320, 640, 800]);
    assert.equal(media.width, 800);
    assert.equal(media.height, 1600);
    assert.match(media.url, /^\/media\/[0-9a-f]{32}-800\.jpg$/);

    const urls = [...media.srcset_webp.split(', '), ...media.srcset_jpeg.split(', ')].map((s) => s.split(' ')[0]);
    assert.equal(urls.length, 6);
    for (const url of urls) {
      const f = await fetch(stack.url + url);
      assert.equal(f.status, 200, url);
      assert.equal(f.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(f.headers.get('content-type'), url.endsWith('.webp') ? 'image/webp' : 'image/jpeg');
      assert.equal(f.headers.get('x-content-type-options'), 'nosniff');
      const bytes = Buffer.from(await f.arrayBuffer());
      const h = header(bytes, `out${url.slice(url.lastIndexOf('.'))}`);
      const w = Number(/-(\d+)\./.exec(url)[1]);
      assert.equal(Number(h.width), w, url);
      assert.equal(Number(h.height), w * 2, `${url} is rotated`);
      assert.ok(!Object.keys(h).some((k) => /exif|gps|xmp|orientation/i.test(k)), `${url}: no metadata (${Object.keys(h)})`);
      assert.ok(!bytes.includes(Buffer.from('Exif')), `${url}: no EXIF segment`);
    }
    assert.equal(onDisk().length, 6);

    // The same upload again is the same image.
    const again = await upload(jpeg, 'image/jpeg');
    assert.equal(again.status, 201, again.text);
    assert.equal(again.body.media.id, media.id);
    assert.equal(onDisk().length, 6);

    const list = await as(admin, '/admin/media');
    assert.equal(list.status, 200);
    assert.ok(list.body.media.some((m) => m.id === media.id));
  });

  test('PNG and WebP are taken too', async () => {
    const png = join(work, 'p.png');
    execFileSync('vips', ['black', png, '300', '200', '--bands', '4']);
    const r = await upload(readFileSync(png), 'image/png');
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.media.widths, [300]);
    // The alpha stays in WebP; the JPEG is flattened to three bands.
    const jpg = Buffer.from(await (await fetch(stack.url + r.body.media.url)).arrayBuffer());
    assert.equal(header(jpg, 'a.jpg').bands, '3');
    const webpUrl = r.body.media.srcset_webp.split(' ')[0];
    const wb = Buffer.from(await (await fetch(stack.url + webpUrl)).arrayBuffer());
    assert.equal(header(wb, 'a.webp').bands, '4');
    const webp = join(work, 'w.webp');
    execFileSync('vips', ['black', webp, '700', '100']);
    const s = await upload(readFileSync(webp), 'image/webp');
    assert.equal(s.status, 201, s.text);
    assert.deepEqual(s.body.media.widths, [320, 640, 700]);
  });

  test('bombs, truncated files, HTML as a JPEG, wrong types and 11 MiB are refused, nothing stored', async () => {
    const before = onDisk();
    const rows = await stack.psql('SELECT count(*) FROM media');
    const jpeg = jpegWithExif(400, 300);
    const cases = [
      ['a 50000 x 50000 PNG header', pngBomb(), 'image/png', 422, 'too_many_pixels'],
      ['a truncated JPEG', jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'image/jpeg', 422, 'invalid_image'],
      ['HTML named .jpg', Buffer.from('<!doctype html><script>alert(1)</script>'), 'image/jpeg', 422, 'type_mismatch'],
      ['a PNG sent as a JPEG', pngBomb(), 'image/jpeg', 422, 'type_mismatch'],
      ['an SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml', 422, 'unsupported_type'],
      ['HTML as HTML', Buffer.from('<p>hi</p>'), 'text/html', 422, 'unsupported_type'],
      ['nothing', Buffer.alloc(0), 'image/jpeg', 422, 'invalid_image'],
      ['11 MiB', Buffer.concat([jpeg, Buffer.alloc(11 * 1024 * 1024)]), 'image/jpeg', 413, 'payload_too_large'],
    ];
    for (const [what, bytes, type, status, code] of cases) {
      const r = await upload(bytes, type);
      assert.equal(r.status, status, `${what}: ${r.text}`);
      assert.equal(r.body?.error?.code, code, what);
    }
    assert.deepEqual(onDisk(), before, 'nothing left on disk');
    assert.equal(await stack.psql('SELECT count(*) FROM media'), rows, 'no row');
  });

  test('only admins upload; a show\'s image is a media id, shown on the programme', async () => {
    const staff = await login(stack.demo.staff);
    assert.equal((await upload(jpegWithExif(100, 100), 'image/jpeg', staff)).status, 403);
    const shows = await as(admin, '/admin/shows');
    const show = shows.body.shows.find((s) => s.slug === 'la-locandiera');
    const bad = await as(admin, `/admin/shows/${show.id}`, { method: 'PATCH', body: { image: 999999 } });
    assert.equal(bad.status, 422, bad.text);
    assert.deepEqual(bad.body.error.fields, { image: 'unknown' });
    const p = await as(admin, `/admin/shows/${show.id}`, { method: 'PATCH', body: { image: media.id } });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.show.image, media.id);
    await new Promise((r) => setTimeout(r, 1100));
    const g = await api(stack, '/api/shows/la-locandiera');
    assert.equal(g.body.show.image.id, media.id);
    assert.equal(g.body.show.image_url, media.url);
  });

  test('backup and restore bring the images back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boxoffice-mbackup-'));
    const fresh = await startStack({ env: { BOXOFFICE_DEMO: 0, BOXOFFICE_RATE_LIMITS: 'off' } });
    try {
      const file = join(dir, 'b.dump');
      execFileSync(join(ROOT, 'scripts', 'backup'), [file], { env: stack.env, encoding: 'utf8' });
      execFileSync(join(ROOT, 'scripts', 'restore'), [file], { env: fresh.env });
      const files = readdirSync(join(fresh.var, 'media')).sort();
      assert.deepEqual(files, onDisk());
      const f = await fetch(fresh.url + media.url);
      assert.equal(f.status, 200);
      assert.deepEqual(Buffer.from(await f.arrayBuffer()), readFileSync(join(mediaDir(), media.url.slice('/media/'.length))));
      assert.equal(await fresh.psql('SELECT count(*) FROM media'), await stack.psql('SELECT count(*) FROM media'));
      fresh.checkSanitizers();
    } finally {
      await fresh.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
