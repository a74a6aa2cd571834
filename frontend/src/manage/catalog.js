// Shows and venues: lists, create, edit, delete.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { form, table, twoStep } from './ui.js';
import { imagePicker } from './site.js';

function slugify(s) {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
}

// --- shows -------------------------------------------------------------------------

export async function showsList(el, ctx) {
  ctx.title(t('s.list'));
  const { shows } = await ctx.api('/admin/shows');
  if (ctx.stale()) return;
  replace(el,
    h('div', { class: 'mhead' },
      h('h1', {}, t('s.list')),
      h('a', { class: 'btn', href: '/manage/shows/new', id: 'new-show' }, `+ ${t('s.new')}`)),
    table({
      caption: t('s.list'),
      id: 'shows',
      columns: [t('f.title'), t('f.subtitle'), t('f.slug'), t('f.status'), t('s.performances')],
      rows: shows.map((s) => h('tr', { 'data-id': s.id },
        h('td', {}, h('a', { href: `/manage/shows/${s.id}` }, s.title)),
        h('td', {}, s.subtitle),
        h('td', { class: 'mono' }, s.slug),
        h('td', {}, h('span', { class: `badge badge--${s.published ? 'available' : 'closed'}` }, s.published ? t('s.published') : t('s.draft'))),
        h('td', { class: 'num' }, h('a', { href: `/manage/?show_id=${s.id}&past=1` }, String(s.performances))))),
    }));
}

function showFields(s) {
  return [
    {
      name: 'title', label: t('f.title'), required: true, maxlength: 200, value: s.title,
      oninput: (c, controls) => {
        if (!s.id && !controls.slug.dataset.touched) controls.slug.value = slugify(c.value);
      },
    },
    {
      name: 'slug', label: t('f.slug'), required: true, maxlength: 80, value: s.slug, hint: t('f.slug_hint'),
      oninput: (c) => { c.dataset.touched = '1'; },
    },
    { name: 'subtitle', label: t('f.subtitle'), maxlength: 300, value: s.subtitle },
    { name: 'subtitle_en', label: t('f.subtitle_en'), maxlength: 300, value: s.subtitle_en },
    { name: 'description', label: t('f.description'), type: 'textarea', rows: 6, maxlength: 20000, value: s.description, wide: true, hint: t('site.markdown_hint') },
    { name: 'description_en', label: t('f.description_en'), type: 'textarea', rows: 6, maxlength: 20000, value: s.description_en, wide: true, hint: t('site.markdown_hint') },
    { name: 'image_url', label: t('f.image_url'), maxlength: 500, value: s.image_url, hint: t('f.image_url_hint') },
    { name: 'duration_minutes', label: t('f.duration_minutes'), type: 'number', min: 1, max: 1440, value: s.duration_minutes },
    { name: 'published', label: t('f.published'), type: 'checkbox', value: s.published },
  ];
}

function showBody(v, picker) {
  const { subtitle_en: subEn, description_en: descEn, ...rest } = v;
  return {
    ...rest,
    subtitle: { it: v.subtitle, en: subEn },
    description: { it: v.description, en: descEn },
    image_url: v.image_url.trim() === '' ? null : v.image_url.trim(),
    image: picker.value(),
  };
}

export async function showNew(el, ctx) {
  ctx.title(t('s.new'));
  const picker = imagePicker(ctx, { id: 'show-image', label: t('f.image') });
  replace(el,
    h('p', { class: 'crumbs' }, h('a', { href: '/manage/shows' }, t('s.list'))),
    h('h1', {}, t('s.new')),
    form({
      id: 'show-form',
      fields: showFields({}),
      extra: [picker],
      submitLabel: t('m.create'),
      onSubmit: async (v) => {
        const r = await ctx.api('/admin/shows', { method: 'POST', body: showBody(v, picker) });
        ctx.go(`/manage/shows/${r.show.id}`, t('s.created'));
      },
    }));
}

export async function showEdit(el, ctx) {
  const id = ctx.params[0];
  const { show: s } = await ctx.api(`/admin/shows/${id}`);
  if (ctx.stale()) return;
  ctx.title(s.title);
  const picker = imagePicker(ctx, { id: 'show-image', label: t('f.image'), media: s.image_media });
  replace(el,
    h('p', { class: 'crumbs' }, h('a', { href: '/manage/shows' }, t('s.list'))),
    h('div', { class: 'mhead' },
      h('h1', {}, s.title),
      h('a', { class: 'btn btn--secondary', href: `/manage/performances/new?show_id=${s.id}` }, `+ ${t('p.new')}`)),
    s.published ? h('p', {}, h('a', { href: `/shows/${s.slug}` }, t('p.public_page'))) : null,
    form({
      id: 'show-form',
      fields: showFields(s),
      extra: [picker],
      onSubmit: async (v) => {
        await ctx.api(`/admin/shows/${id}`, { method: 'PATCH', body: showBody(v, picker) });
        ctx.go(`/manage/shows/${id}`, t('m.saved'));
      },
    }),
    twoStep({
      id: 'show-delete',
      label: t('m.delete'),
      ask: t('m.delete_ask'),
      cls: 'btn btn--secondary btn--danger-outline',
      onConfirm: async () => {
        await ctx.api(`/admin/shows/${id}`, { method: 'DELETE' });
        ctx.go('/manage/shows', t('m.deleted'));
      },
    }));
}

// --- venues ------------------------------------------------------------------------

export async function venuesList(el, ctx) {
  ctx.title(t('v.list'));
  const { venues } = await ctx.api('/admin/venues');
  if (ctx.stale()) return;
  replace(el,
    h('div', { class: 'mhead' },
      h('h1', {}, t('v.list')),
      h('a', { class: 'btn', href: '/manage/venues/new', id: 'new-venue' }, `+ ${t('v.new')}`)),
    table({
      caption: t('v.list'),
      id: 'venues',
      columns: [t('f.name'), t('f.address'), t('f.city'), t('s.performances')],
      rows: venues.map((v) => h('tr', { 'data-id': v.id },
        h('td', {}, h('a', { href: `/manage/venues/${v.id}` }, v.name)),
        h('td', {}, v.address),
        h('td', {}, v.city),
        h('td', { class: 'num' }, String(v.performances)))),
    }));
}

function venueFields(v) {
  return [
    { name: 'name', label: t('f.name'), required: true, maxlength: 200, value: v.name },
    { name: 'address', label: t('f.address'), maxlength: 300, value: v.address },
    { name: 'city', label: t('f.city'), maxlength: 100, value: v.city },
    { name: 'default_capacity', label: t('f.default_capacity'), type: 'number', min: 0, max: 100000, value: v.default_capacity, hint: t('f.default_capacity_hint') },
  ];
}

export async function venueNew(el, ctx) {
  ctx.title(t('v.new'));
  replace(el,
    h('p', { class: 'crumbs' }, h('a', { href: '/manage/venues' }, t('v.list'))),
    h('h1', {}, t('v.new')),
    form({
      id: 'venue-form',
      fields: venueFields({}),
      submitLabel: t('m.create'),
      onSubmit: async (v) => {
        await ctx.api('/admin/venues', { method: 'POST', body: v });
        ctx.go('/manage/venues', t('v.created'));
      },
    }));
}

export async function venueEdit(el, ctx) {
  const id = ctx.params[0];
  const { venue: v } = await ctx.api(`/admin/venues/${id}`);
  if (ctx.stale()) return;
  ctx.title(v.name);
  replace(el,
    h('p', { class: 'crumbs' }, h('a', { href: '/manage/venues' }, t('v.list'))),
    h('h1', {}, v.name),
    form({
      id: 'venue-form',
      fields: venueFields(v),
      onSubmit: async (vals) => {
        await ctx.api(`/admin/venues/${id}`, { method: 'PATCH', body: vals });
        ctx.go(`/manage/venues/${id}`, t('m.saved'));
      },
    }),
    twoStep({
      id: 'venue-delete',
      label: t('m.delete'),
      ask: t('m.delete_ask'),
      cls: 'btn btn--secondary btn--danger-outline',
      onConfirm: async () => {
        await ctx.api(`/admin/venues/${id}`, { method: 'DELETE' });
        ctx.go('/manage/venues', t('m.deleted'));
      },
    }));
}
