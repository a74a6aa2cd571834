// The theatre's site in the admin UI: its settings and texts (PATCH
// /admin/site) and image uploads (POST /admin/media) for the logo and the
// show posters. Texts are Markdown, in Italian and English.
import { h, icon, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { errorText } from '../lib/layout.js';
import { form } from './ui.js';

const PAGES = ['home', 'about', 'contacts', 'accessibility', 'privacy'];

/**
 * An image chooser: the current image (a media document or null), a file
 * input that uploads at once, and a remove button. value() is the media id
 * or null. ctx.api sends the file as the raw body with its type.
 */
export function imagePicker(ctx, { id, label, media }) {
  let current = media ?? null;
  const status = h('p', { class: 'hint', id: `${id}-status`, role: 'status' });
  const preview = h('div', { class: 'img-preview' });
  const input = h('input', { type: 'file', id, accept: 'image/jpeg,image/png,image/webp', class: 'input', 'aria-describedby': `${id}-status` });
  const draw = () => replace(preview, current
    ? h('img', { src: current.url, alt: '', width: 160, height: Math.round((160 * current.height) / current.width) })
    : h('p', { class: 'muted' }, t('img.none')));
  const remove = h('button', { type: 'button', class: 'btn btn--small btn--secondary', onclick: () => { current = null; draw(); } }, t('img.remove'));
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (!file) return;
    replace(status, t('img.uploading'));
    try {
      current = (await ctx.api('/admin/media', { method: 'POST', body: file })).media;
      replace(status, icon('check'), ' ', t('img.uploaded'));
    } catch (err) {
      const code = err?.code;
      replace(status, icon('alert'), ' ', code && t(`code.${code}`) !== `code.${code}` ? t(`code.${code}`) : errorText(err));
    }
    input.value = '';
    draw();
  });
  draw();
  const el = h('div', { class: 'field field--wide image-picker' },
    h('label', { for: id }, label, h('span', { class: 'muted small' }, ` ${t('m.optional')}`)),
    preview, h('p', { class: 'hint' }, t('img.choose')), input, status, remove);
  el.value = () => current?.id ?? null;
  return el;
}

function socialText(list) {
  return (list ?? []).map((s) => `${s.name} ${s.url}`).join('\n');
}

function socialList(text) {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const i = l.lastIndexOf(' ');
    return i < 0 ? { name: l, url: l } : { name: l.slice(0, i).trim(), url: l.slice(i + 1) };
  });
}

export async function siteView(el, ctx) {
  ctx.title(t('site.title'));
  const { site: s } = await ctx.api('/api/site');
  if (ctx.stale()) return;
  const logo = imagePicker(ctx, { id: 'site-logo', label: t('site.logo'), media: s.logo_media });
  const fields = [
    { name: 'company_name', label: t('site.company_name'), maxlength: 200, value: s.company_name },
    { name: 'tagline.it', label: t('site.tagline_it'), maxlength: 300, value: s.tagline?.it },
    { name: 'tagline.en', label: t('site.tagline_en'), maxlength: 300, value: s.tagline?.en },
    { name: 'theme_color', label: t('site.theme_color'), maxlength: 7, value: s.theme_color },
    { name: 'contact_email', label: t('site.contact_email'), type: 'email', maxlength: 254, value: s.contact_email },
    { name: 'phone', label: t('site.phone'), maxlength: 40, value: s.phone },
    { name: 'address', label: t('site.address'), maxlength: 300, value: s.address, wide: true },
    { name: 'social', label: t('site.social'), type: 'textarea', rows: 3, value: socialText(s.social), wide: true },
    ...PAGES.flatMap((p) => ['it', 'en'].map((l) => ({
      name: `${p}.${l}`,
      label: `${t(`site.page.${p}`)} (${t(`site.lang.${l}`)})`,
      type: 'textarea',
      rows: 5,
      maxlength: 20000,
      value: s[p]?.[l],
      hint: t('site.markdown_hint'),
      wide: true,
    }))),
  ];
  replace(el,
    h('h1', {}, t('site.title')),
    form({
      id: 'site-form',
      fields,
      extra: [logo],
      onSubmit: async (v) => {
        const body = {
          company_name: v.company_name,
          tagline: { it: v['tagline.it'], en: v['tagline.en'] },
          theme_color: v.theme_color,
          contact_email: v.contact_email,
          phone: v.phone,
          address: v.address,
          social: socialList(v.social),
          logo: logo.value(),
        };
        for (const p of PAGES) body[p] = { it: v[`${p}.it`], en: v[`${p}.en`] };
        await ctx.api('/admin/site', { method: 'PATCH', body });
        ctx.go('/manage/site', t('site.saved'));
      },
    }));
}
