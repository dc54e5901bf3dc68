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
  ul.providers { list-style: none; padding: 0; }
  ul.providers li { margin: .6rem 0; }
  input[type=email] { font: inherit; padding: .5rem; border: 1px solid #c5cbd8; border-radius: 6px; min-width: 18rem; }
`;

export interface PageOptions {
  title: string;
  body: Html;
  header?: Html;
  /** Extra inline script, allowed by a per-page CSP nonce-less hash-free policy only where given. */
  script?: string;
  /** The per-response nonce of the page's Content-Security-Policy (`script-src 'nonce-…'`), put on `script`. */
  scriptNonce?: string;
}

export function page(options: PageOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><strong>Identity front door</strong>${options.header?.value ?? ''}</header>
<main>
${options.body.value}
</main>${options.script ? `\n<script${options.scriptNonce ? ` nonce="${escapeHtml(options.scriptNonce)}"` : ''}>${options.script}</script>` : ''}
</body>
</html>`;
}
