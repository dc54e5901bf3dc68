import { html, page } from '../common/html.js';

export interface ChooserPageOptions {
  /** `unavailable`: a sentence saying the provider cannot be used now; it is shown, but not offered as a link. */
  providers: { id: string; displayName: string; unavailable?: string }[];
  returnTo: string;
  notice?: string;
  /** Show the email box only when at least one provider lists email domains. */
  emailRouting: boolean;
  email?: string;
  /** `login` when switching accounts: passed on so the provider asks for the account again. */
  prompt?: 'login';
}

/** The sign-in chooser: one button per enabled provider, and an email box that finds the right one. */
export function chooserPage(options: ChooserPageOptions): string {
  const returnTo = encodeURIComponent(options.returnTo);
  const prompt = options.prompt ? `&prompt=${options.prompt}` : '';
  return page({
    title: 'Sign in',
    body: html`<h1>Sign in</h1>
      ${options.notice ? html`<p class="error" id="chooser-notice">${options.notice}</p>` : ''}
      ${options.emailRouting
        ? html`<form method="get" action="/auth/login" id="email-routing">
            <input type="hidden" name="returnTo" value="${options.returnTo}">
            ${options.prompt ? html`<input type="hidden" name="prompt" value="${options.prompt}">` : ''}
            <p><label for="email">Work email</label><br>
              <input id="email" name="email" type="email" autocomplete="username" value="${options.email ?? ''}" required>
              <button type="submit">Continue</button></p>
          </form>
          <p class="muted">Or choose how to sign in:</p>`
        : html`<p class="muted">Choose how to sign in:</p>`}
      <ul class="providers">
        ${options.providers.map((provider) =>
          provider.unavailable
            ? html`<li class="unavailable" data-provider="${provider.id}"><span class="button provider secondary" aria-disabled="true">Sign in with ${provider.displayName}</span>
                <span class="muted">${provider.unavailable}</span></li>`
            : html`<li><a class="button provider" data-provider="${provider.id}" href="/auth/login/${encodeURIComponent(provider.id)}?returnTo=${returnTo}${prompt}">Sign in with ${provider.displayName}</a></li>`,
        )}
      </ul>`,
  });
}
