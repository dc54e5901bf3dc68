import { html, type Html } from '../common/html.js';
import type { ScimTokenView } from '../provisioning/scim-tokens.service.js';
import { csrfField } from './console-layout.js';
import { copyField } from './lifetime-authentication-views.js';

const when = (iso: string | null) => (iso ? `${iso.replace('T', ' ').slice(0, 19)} UTC` : 'never');

/**
 * The "Provisioning (SCIM)" part of a provider's page: the Tenant URL to give the directory, a
 * form that generates a token (shown once, right here), and the provider's tokens with Revoke.
 */
export function provisioningSection(input: { providerId: string; baseUrl: string; tokens: ScimTokenView[]; csrfToken: string; newToken?: { name: string; token: string } }): Html {
  const base = `/lifetime/authentication/${input.providerId}/scim-tokens`;
  return html`<section id="provisioning">
    <h2>Provisioning (SCIM)</h2>
    <p>Entra ID, Okta and other directories can create, update and deactivate this provider's users and push its groups here
      (SCIM 2.0). A deactivation ends the person's console sessions and Studio tokens at once. Users created this way sign in
      through this provider only.</p>
    ${copyField('scim-base-url', 'SCIM base URL (Entra ID: Tenant URL)', input.baseUrl)}
    ${input.newToken
      ? html`<div class="flash success" role="status" id="new-scim-token">
          <p>Token <strong>${input.newToken.name}</strong> generated. Copy it now: it is shown this once and never again.</p>
          ${copyField('scim-token', 'SCIM token (Entra ID: Secret Token)', input.newToken.token)}
        </div>`
      : ''}
    <form method="post" action="${base}" id="generate-scim-token">${csrfField(input.csrfToken)}
      <label for="scim-token-name">Name (it names the directory in the audit trail)</label><br>
      <input type="text" id="scim-token-name" name="name" required maxlength="100" size="30" placeholder="Entra ID provisioning">
      <button type="submit">Generate token</button>
    </form>
    ${input.tokens.length
      ? html`<table id="scim-tokens"><thead><tr><th>Name</th><th>Created</th><th>Last used</th><th></th></tr></thead><tbody>${input.tokens.map(
          (token) => html`<tr data-id="${token.id}"><td>${token.name}</td><td>${when(token.createdAt)}</td><td>${when(token.lastUsedAt)}</td>
            <td><form method="post" action="${base}/${token.id}/revoke">${csrfField(input.csrfToken)}<button type="submit" class="danger">Revoke</button></form></td></tr>`,
        )}</tbody></table>`
      : html`<p class="muted" id="no-scim-tokens">No SCIM token yet.</p>`}
  </section>`;
}
