import type { Request } from 'express';
import { CSRF_FIELD } from '../auth/csrf.service.js';
import { html, page, type Html } from '../common/html.js';
import type { User } from '../users/user.entity.js';

/** The header's "who is signed in" and its Log out button. */
export function signedInAs(user: User, csrfToken: string): Html {
  return html`<span>${user.displayName} &lt;${user.email}&gt;
    <form class="inline" method="post" action="/auth/logout"><input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}"><button type="submit" class="secondary">Log out</button></form></span>`;
}

/** Leaves a one-time message for the next page, saved before the caller redirects (a browser follows at once). */
export function setFlash(req: Request, kind: 'success' | 'warning' | 'error', text: string): Promise<void> {
  req.session.flash = { kind, text };
  return req.session.save();
}

/** A hidden CSRF field for a state-changing form. */
export function csrfField(csrfToken: string): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}">`;
}

/** Served by the service itself: the page CSP admits no inline script and no other origin. */
export const COPY_BUTTON_PATH = '/assets/copy-button.js';

const LIFETIME_SECTIONS = [
  { path: '/lifetime', title: 'Overview' },
  { path: '/lifetime/authentication', title: 'Authentication' },
  { path: '/lifetime/users', title: 'Users' },
  { path: '/lifetime/audit', title: 'Audit' },
];

/**
 * A LifeTime page: the navigation, the one-time flash message of the last action, and, for a
 * break-glass session, a red banner that says so on every page.
 */
export function lifetimePage(req: Request, options: { title: string; section: string; csrfToken: string; body: Html; copyButtons?: boolean }): string {
  const user = req.principal!.user;
  const flash = req.session.takeFlash();
  const minutesLeft = req.session.endsAt ? Math.max(0, Math.ceil((req.session.endsAt - Date.now()) / 60_000)) : 0;
  return page({
    title: `${options.title} · LifeTime`,
    wide: true,
    header: signedInAs(user, options.csrfToken),
    ...(options.copyButtons ? { scriptSrc: COPY_BUTTON_PATH, scriptNonce: req.res?.locals.cspNonce } : {}),
    body: html`${req.principal!.breakGlass
        ? html`<div class="banner-danger" role="alert" id="break-glass-banner"><strong>Break-glass session.</strong> Signed in with a local password: LifeTime only, ending in ${minutesLeft} minute${minutesLeft === 1 ? '' : 's'}. Repair sign-in, then log out.</div>`
        : ''}
      <nav class="tabs">${LIFETIME_SECTIONS.map((s) => html`<a href="${s.path}"${s.path === options.section ? html` class="current" aria-current="page"` : ''}>${s.title}</a>`)}</nav>
      ${flash ? html`<div class="flash ${flash.kind}" role="status" id="flash">${flash.text}</div>` : ''}
      ${options.body}`,
  });
}
