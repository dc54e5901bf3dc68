import { html, type Html } from '../common/html.js';
import { CSRF_FIELD } from './csrf.service.js';

/**
 * The **Use another account** button of refusal pages. It posts to `/auth/switch-account`, which
 * ends the local session and asks the provider for a fresh login (`prompt=login`): otherwise a
 * person signed in at the provider as the wrong account comes back to the same refusal every time.
 */
export function switchAccountForm(csrfToken: string | undefined, returnTo: string): Html {
  return html`<form method="post" action="/auth/switch-account" class="switch-account">
      <input type="hidden" name="${CSRF_FIELD}" value="${csrfToken ?? ''}">
      <input type="hidden" name="returnTo" value="${returnTo}">
      <button type="submit">Use another account</button>
    </form>`;
}

/** For pages without a session to end (signed out): straight to a login that asks for the account again. */
export function anotherAccountLink(returnTo: string): Html {
  return html`<a class="button" href="/auth/login?prompt=login&amp;returnTo=${encodeURIComponent(returnTo)}">Use another account</a>`;
}
