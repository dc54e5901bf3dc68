/** Minimal server-rendered pages: no template engine needed for a handful of static layouts. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Tagged template that escapes every interpolated value unless it is already `Html`. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((value, index) => {
    out += render(value) + strings[index + 1];
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

const STYLE = `
  :root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
  body { margin: 0; background: #f4f6fa; color: #1d2433; }
  header { background: #1d2433; color: #fff; padding: 0.8rem 1.5rem; display: flex; justify-content: space-between; align-items: center; }
  a { color: #2456d3; }
  header a { color: #fff; }
  header form.inline { margin-left: .75rem; }
  main { max-width: 44rem; margin: 2.5rem auto; background: #fff; border-radius: 10px; padding: 2rem 2.2rem; box-shadow: 0 1px 4px rgba(0,0,0,.08); }
  h1 { margin-top: 0; font-size: 1.5rem; }
  .muted { color: #5a6478; }
  .error { border-left: 4px solid #c62828; padding-left: 1rem; }
  button, .button { font: inherit; background: #2456d3; color: #fff; border: 0; border-radius: 6px; padding: .6rem 1.2rem; cursor: pointer; text-decoration: none; display: inline-block; }
  button.secondary, .button.secondary { background: #e6e9f0; color: #1d2433; }
  form.inline { display: inline; }
  code { background: #eef1f6; padding: .1rem .3rem; border-radius: 4px; }
  dl { display: grid; grid-template-columns: max-content auto; gap: .4rem 1rem; }
  dt { font-weight: 600; }
  .banner-danger { background: #c62828; color: #fff; padding: .7rem 1rem; border-radius: 6px; margin-bottom: 1rem; }
  .flash { padding: .6rem 1rem; border-radius: 6px; margin: 1rem 0; }
  .flash.success { background: #e3f4e6; border-left: 4px solid #2e7d32; }
  .flash.error { background: #fdecea; border-left: 4px solid #c62828; }
  .flash.warning { background: #fff4e0; border-left: 4px solid #b26a00; }
  nav.tabs { display: flex; gap: 1rem; border-bottom: 1px solid #dde2ec; margin-bottom: 1.2rem; padding-bottom: .5rem; }
  nav.tabs a { text-decoration: none; }
  nav.tabs a.current { font-weight: 700; color: #1d2433; }
  table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
  th, td { text-align: left; padding: .45rem .5rem; border-bottom: 1px solid #e6e9f0; vertical-align: top; }
  th { font-size: .85rem; color: #5a6478; }
  input[type=text], input[type=email], input[type=password], input[type=search], select { font: inherit; padding: .45rem .6rem; border: 1px solid #c5ccd9; border-radius: 6px; }
  button.danger { background: #c62828; }
  .tag { display: inline-block; background: #eef1f6; border-radius: 4px; padding: 0 .4rem; font-size: .85rem; }
  .tag.off { background: #fdecea; color: #8e1c1c; }
  .tag.warn { background: #fff4e0; color: #7a4a00; }
  form.filters { display: flex; flex-wrap: wrap; gap: .6rem 1rem; align-items: flex-end; margin-bottom: 1rem; }
  main.wide { max-width: 72rem; margin: 1.5rem auto; }
  td.nowrap, th.nowrap, .nowrap, td.actor, td button { white-space: nowrap; }
  td.ua span[title] { text-decoration: underline dotted; cursor: help; }
  details > summary { cursor: pointer; }
  details dl { margin: .3rem 0 0; gap: .1rem .6rem; }
  details dd { margin: 0; overflow-wrap: anywhere; }
  th a { color: inherit; text-decoration: none; }
  th a.sorted { color: #1d2433; }
  .pager { display: flex; flex-wrap: wrap; gap: .6rem 1rem; align-items: center; }
  .tag.current { background: #e3f4e6; color: #1f5e24; }
  #audit-events { font-size: .85rem; }
  .signed-in { margin-top: 1.5rem; border-top: 1px solid #e6e9f0; padding-top: 1rem; display: flex; flex-wrap: wrap; gap: .5rem .75rem; align-items: center; }
  .signed-in p { margin: 0; }
  .signed-in button { background: #e6e9f0; color: #1d2433; }
  .error-ref { font-size: .85rem; }
  ul.providers { list-style: none; padding: 0; }
  ul.providers li { margin: .6rem 0; }
  ul.providers li.unavailable .button { opacity: .55; cursor: not-allowed; }
  ul.providers li.unavailable .muted { display: block; margin-top: .3rem; }
  #email-routing input[type=email] { min-width: 18rem; }
`;

/** Linked from every page; served by the service itself (the page CSP's img-src is 'self'). */
export const FAVICON_PATH = '/favicon.svg';

export interface PageOptions {
  title: string;
  body: Html;
  header?: Html;
  /** Extra inline script, allowed by a per-page CSP nonce-less hash-free policy only where given. */
  script?: string;
  /** The per-response nonce of the page's Content-Security-Policy (`script-src 'nonce-…'`), put on `script` and `scriptSrc`. */
  scriptNonce?: string;
  /** A script file of this service to load (it runs only with `scriptNonce`). */
  scriptSrc?: string;
  /** Tables of many columns (LifeTime): the page takes up to 72rem instead of a reading column. */
  wide?: boolean;
}

export function page(options: PageOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<link rel="icon" href="${FAVICON_PATH}" type="image/svg+xml">
<style>${STYLE}</style>
</head>
<body>
<header><strong>Identity front door</strong>${options.header?.value ?? ''}</header>
<main${options.wide ? ' class="wide"' : ''}>
${options.body.value}
</main>${options.script ? `\n<script${options.scriptNonce ? ` nonce="${escapeHtml(options.scriptNonce)}"` : ''}>${options.script}</script>` : ''}${options.scriptSrc && options.scriptNonce ? `\n<script src="${escapeHtml(options.scriptSrc)}" nonce="${escapeHtml(options.scriptNonce)}"></script>` : ''}
</body>
</html>`;
}
