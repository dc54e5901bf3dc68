import type { DevIdpAccount } from './dev-idp-accounts.js';

const TITLE = 'Development identity provider';

const STYLE = `
  *{box-sizing:border-box}
  body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
    font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f4f6;color:#111827}
  main{width:100%;max-width:380px;margin:24px;padding:28px;background:#fff;border-radius:10px;
    box-shadow:0 1px 3px rgba(0,0,0,.12),0 8px 24px rgba(0,0,0,.06)}
  h1{margin:0 0 4px;font-size:20px}
  .subtitle{margin:0 0 20px;color:#6b7280;font-size:13px}
  label{display:block;margin:12px 0 4px;font-weight:600;font-size:13px}
  input[type=email],input[type=password]{width:100%;padding:9px 10px;border:1px solid #d1d5db;border-radius:6px;font:inherit}
  input:focus{outline:2px solid #2563eb;outline-offset:-1px;border-color:#2563eb}
  button{width:100%;margin-top:18px;padding:10px;border:0;border-radius:6px;background:#2563eb;color:#fff;
    font:inherit;font-weight:600;cursor:pointer}
  button:hover{background:#1d4ed8}
  .error{margin:0 0 12px;padding:10px 12px;border-radius:6px;background:#fef2f2;color:#991b1b;border:1px solid #fecaca}
  .demo{margin-top:22px;padding-top:14px;border-top:1px solid #e5e7eb;font-size:12px;color:#4b5563}
  .demo ul{margin:6px 0 0;padding-left:18px}
  code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
  dl{margin:0}dt{font-weight:600}dd{margin:0 0 8px;word-break:break-word}
`;

export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${TITLE}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${TITLE}</h1>
${body}
</main>
</body>
</html>`;
}

export interface LoginPageModel {
  uid: string;
  clientId: string;
  email: string;
  error?: string;
  accounts: readonly DevIdpAccount[];
}

export function renderLoginPage(model: LoginPageModel): string {
  const error = model.error ? `<p class="error" role="alert">${escapeHtml(model.error)}</p>` : '';
  return page(`
<p class="subtitle">Sign in to continue to <strong>${escapeHtml(model.clientId)}</strong>.</p>
${error}
<form method="post" action="/interaction/${escapeHtml(encodeURIComponent(model.uid))}/login">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="username" required autofocus value="${escapeHtml(model.email)}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <label for="groups">Groups (optional: comma-separated, or <code>none</code>; empty keeps the account's)</label>
  <input id="groups" name="groups" type="text" autocomplete="off">
  <button type="submit">Sign in</button>
</form>
${renderDemoAccounts(model.accounts)}`);
}

function renderDemoAccounts(accounts: readonly DevIdpAccount[]): string {
  const items = accounts
    .map(
      (account) =>
        `<li><code>${escapeHtml(account.email)}</code> / <code>${escapeHtml(account.password)}</code> (${escapeHtml(account.note)}; groups: ${escapeHtml(account.groups.join(', ') || 'none')})</li>`,
    )
    .join('\n');
  return `<div class="demo">This is a development tool. Demo accounts:<ul>${items}</ul></div>`;
}

/**
 * `form` is oidc-provider's own confirmation form (id "op.logoutForm", hidden "xsrf" input).
 * Adding `logout=yes` and a real submit button inside it lets browsers sign out without a click
 * (the script) and lets plain HTTP clients submit it like any HTML form.
 */
export function renderLogoutPage(form: string): string {
  const controls = '<input type="hidden" name="logout" value="yes"><button type="submit">Sign out</button></form>';
  return page(`
<p class="subtitle">Signing you out…</p>
${form.replace('</form>', controls)}
<script>document.forms[0].submit();</script>`);
}

export function renderLoggedOutPage(): string {
  return page('<p class="subtitle">You are signed out. You can close this window.</p>');
}

export function renderErrorPage(details: Record<string, unknown>): string {
  const rows = Object.entries(details)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value)}</dd>`)
    .join('\n');
  return page(`<p class="error" role="alert">Something went wrong.</p><dl>${rows}</dl>`);
}
