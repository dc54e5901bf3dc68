import { html, type Html } from '../common/html.js';
import type { ProviderView } from '../identity-providers/identity-providers.service.js';
import type { ProbeResult, ProbeStep } from '../identity-providers/provider-probe.js';
import type { ClientCertificate } from '../identity-providers/client-assertion-keys.service.js';
import { CLIENT_AUTH_METHODS, describeClientAuth, usesClientSecret, type ClientAuthMethod } from '../identity-providers/client-auth.js';
import { csrfField } from './console-layout.js';

const BASE = '/lifetime/authentication';
const when = (date: Date) => new Date(date).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';

/** What the add/edit form holds: strings as typed, so a refused form comes back as it was sent. */
export interface ProviderForm {
  id: string;
  displayName: string;
  issuer: string;
  clientId: string;
  clientAuth: string;
  scopes: string;
  matchClaim: string;
  emailDomains: string;
  enabled: boolean;
}

/** What a provider that authenticates with private_key_jwt is registered with: the JWKS URL, or a certificate. */
export interface ClientKeyMaterial {
  current?: ClientCertificate;
  /** The key that signs next, while it waits: its certificate is to be uploaded before its switch. */
  next?: ClientCertificate;
}

export function formOf(view: ProviderView): ProviderForm {
  return {
    id: view.id,
    displayName: view.displayName,
    issuer: view.issuer,
    clientId: view.clientId,
    clientAuth: view.clientAuth,
    scopes: view.scopes.join(' '),
    matchClaim: view.matchClaim,
    emailDomains: view.emailDomains.join(' '),
    enabled: view.enabled,
  };
}

export const EMPTY_FORM: ProviderForm = { id: '', displayName: '', issuer: '', clientId: '', clientAuth: 'client_secret_post', scopes: 'openid profile email', matchClaim: 'email', emailDomains: '', enabled: true };

export function providerListBody(input: { providers: ProviderView[] }): Html {
  return html`<h1>Authentication</h1>
    <p>The identity providers people sign in with. With several enabled, the sign-in page offers a choice.</p>
    <table id="providers">
      <thead><tr><th>Provider</th><th>State</th><th>Source</th><th>Last Test</th></tr></thead>
      <tbody>${input.providers.map(
        (provider) => html`<tr data-provider="${provider.id}">
          <td><a href="${BASE}/${provider.id}">${provider.displayName}</a><br><code>${provider.id}</code></td>
          <td>${provider.enabled ? html`<span class="tag">enabled</span>` : html`<span class="tag off">disabled</span>`}</td>
          <td>${provider.source}</td>
          <td>${lastTestSummary(provider)}</td>
        </tr>`,
      )}</tbody>
    </table>
    <p><a class="button" href="${BASE}/new">Add a provider</a></p>`;
}

function lastTestSummary(provider: ProviderView): Html {
  if (!provider.lastTest) return html`<span class="muted">not tested yet</span>`;
  const failed = provider.lastTest.steps.find((step) => !step.ok);
  return html`${provider.lastTest.ok ? html`<span class="tag">passed</span>` : html`<span class="tag off">failed at ${failed?.step ?? '?'}</span>`}<br><span class="muted">${when(provider.lastTest.at)}</span>`;
}

export function providerPageBody(input: { provider: ProviderView; csrfToken: string; form?: ProviderForm; discovery?: ProbeResult; keys?: ClientKeyMaterial }): Html {
  const { provider, csrfToken } = input;
  const base = `${BASE}/${provider.id}`;
  const environment = provider.source === 'environment';
  return html`<p><a href="${BASE}">← Authentication</a></p>
    <h1>${provider.displayName}</h1>
    <dl>
      <dt>Id</dt><dd><code>${provider.id}</code></dd>
      <dt>State</dt><dd id="provider-state">${provider.enabled ? 'enabled' : 'disabled'}</dd>
      <dt>Source</dt><dd>${provider.source}</dd>
      <dt>Issuer</dt><dd><code>${provider.issuer}</code></dd>
      <dt>Client authentication</dt><dd id="client-auth">${describeClientAuth(provider.clientAuth)}</dd>
      ${usesClientSecret(provider.clientAuth) ? html`<dt>Client secret</dt><dd>${provider.hasClientSecret ? 'stored (never shown)' : 'none'}</dd>` : ''}
    </dl>
    <h2>Register at the provider</h2>
    ${copyField('redirect-uri', 'Redirect URI', provider.redirectUri)}
    ${copyField('backchannel-logout-uri', 'Back-channel logout URI', provider.backchannelLogoutUri)}
    ${provider.clientAuth === 'private_key_jwt' ? clientKeysSection(base, provider, input.keys ?? {}) : ''}
    <h2 id="test">Test</h2>
    <form method="post" action="${base}/test">${csrfField(csrfToken)}<button type="submit">Run the Test</button></form>
    ${provider.lastTest
      ? html`<p class="muted" id="last-test">Last Test: <strong>${provider.lastTest.ok ? 'passed' : 'failed'}</strong>, ${when(provider.lastTest.at)}.</p>${stepsTable('test-steps', provider.lastTest.steps)}`
      : html`<p class="muted" id="last-test">Not tested yet.</p>`}
    ${environment
      ? html`<h2>Settings</h2>
          <p id="read-only">This provider comes from the environment (<code>OIDC_ISSUER</code>, <code>OIDC_CLIENT_ID</code>, <code>OIDC_CLIENT_SECRET</code>, <code>OIDC_CLIENT_AUTH</code>), so it is read-only here: change those variables and restart the service to change it. It cannot be disabled or deleted on this page.</p>`
      : html`<h2>State</h2>
          <form method="post" action="${base}/${provider.enabled ? 'disable' : 'enable'}">${csrfField(csrfToken)}
            <button type="submit" class="${provider.enabled ? 'secondary' : ''}">${provider.enabled ? 'Disable' : 'Enable'}</button></form>
          <h2>Settings</h2>
          ${providerForm({ action: `${base}/settings`, form: input.form ?? formOf(provider), csrfToken, isNew: false, hasClientSecret: provider.hasClientSecret && usesClientSecret(provider.clientAuth), discovery: input.discovery })}
          <h2>Delete</h2>
          <form method="post" action="${base}/delete">${csrfField(csrfToken)}<button type="submit" class="danger">Delete this provider</button></form>`}`;
}

export function newProviderBody(input: { form: ProviderForm; csrfToken: string; discovery?: ProbeResult }): Html {
  return html`<p><a href="${BASE}">← Authentication</a></p>
    <h1>Add an identity provider</h1>
    <p class="muted">Type the issuer URL and choose <strong>Get details</strong>: the discovery steps of the Test run, and what the provider announces is filled in.</p>
    ${providerForm({ action: `${BASE}/new`, form: input.form, csrfToken: input.csrfToken, isNew: true, hasClientSecret: false, discovery: input.discovery })}`;
}

function providerForm(input: { action: string; form: ProviderForm; csrfToken: string; isNew: boolean; hasClientSecret: boolean; discovery?: ProbeResult }): Html {
  const { form } = input;
  return html`<form method="post" action="${input.action}" id="provider-form">
      ${csrfField(input.csrfToken)}
      <p><label>Issuer URL<br><input type="text" name="issuer" value="${form.issuer}" size="48" required></label>
        <button type="submit" name="action" value="details" class="secondary" formnovalidate>Get details</button></p>
      ${input.discovery ? html`<div id="discovery-result"><p class="muted">Discovery: <strong>${input.discovery.ok ? 'passed' : 'failed'}</strong></p>${stepsTable('discovery-steps', input.discovery.steps)}</div>` : ''}
      ${input.isNew
        ? html`<p><label>Id (lowercase letters, digits, hyphens; part of the redirect URI)<br><input type="text" name="id" value="${form.id}" size="30" pattern="[a-z0-9-]{1,40}"></label></p>`
        : html`<input type="hidden" name="id" value="${form.id}">`}
      <p><label>Display name<br><input type="text" name="displayName" value="${form.displayName}" size="36"></label></p>
      <p><label>Client id<br><input type="text" name="clientId" value="${form.clientId}" size="36"></label></p>
      <p><label>Client authentication<br><select name="clientAuth" id="client-auth-method">
        ${CLIENT_AUTH_METHODS.map((method) => html`<option value="${method}"${form.clientAuth === method ? html` selected` : ''}>${method}</option>`)}
      </select></label><br><span class="muted">private_key_jwt needs no secret: the provider checks a signature by this service's key (its JWKS URL or certificate is shown on the provider's page once saved).</span></p>
      <p id="client-secret-field" data-client-secret${usesClientSecret(clientAuthOf(form)) ? '' : html` hidden`}><label>Client secret ${input.hasClientSecret ? '(stored; leave empty to keep it)' : ''}<br><input type="password" name="clientSecret" value="" size="36" autocomplete="new-password"></label></p>
      <p><label>Scopes (separated by spaces)<br><input type="text" name="scopes" value="${form.scopes}" size="36"></label></p>
      <p><label>Match claim<br><select name="matchClaim">
        <option value="email"${form.matchClaim === 'email' ? html` selected` : ''}>email</option>
        <option value="preferred_username"${form.matchClaim === 'preferred_username' ? html` selected` : ''}>preferred_username</option>
      </select></label></p>
      <p><label>Email domains (separated by spaces; the sign-in page routes these addresses here)<br><input type="text" name="emailDomains" value="${form.emailDomains}" size="36"></label></p>
      ${input.isNew ? html`<p><label><input type="checkbox" name="enabled"${form.enabled ? html` checked` : ''}> Enabled</label></p>` : ''}
      <p><button type="submit" name="action" value="save">${input.isNew ? 'Add provider' : 'Save changes'}</button></p>
    </form>`;
}

function clientAuthOf(form: ProviderForm): ClientAuthMethod {
  return (CLIENT_AUTH_METHODS as readonly string[]).includes(form.clientAuth) ? (form.clientAuth as ClientAuthMethod) : 'client_secret_post';
}

/** The JWKS URL for providers that fetch it, the certificate for those that take an upload, and the next one ahead of its switch. */
function clientKeysSection(base: string, provider: ProviderView, keys: ClientKeyMaterial): Html {
  return html`<div id="client-keys">
    <p class="muted">This service signs in with a key of its own (private_key_jwt). Providers that fetch keys (Keycloak, Okta) take the JWKS URL; those that take an upload (Entra ID, Auth0) take the certificate.</p>
    ${copyField('client-jwks-uri', 'JWKS URL', provider.clientJwksUri)}
    ${keys.current ? certificateField('current', 'Certificate of the current key', `${base}/certificate.pem`, keys.current) : ''}
    ${keys.next
      ? html`<p id="next-key-notice"><strong>A new key signs from ${when(keys.next.activeFrom)}.</strong> Providers that fetch the JWKS URL know it already; where the certificate was uploaded, upload this one too before then (keep the current one until that time has passed).</p>
          ${certificateField('next', 'Certificate of the next key', `${base}/certificate.pem?key=next`, keys.next)}`
      : ''}
  </div>`;
}

function certificateField(id: string, label: string, download: string, certificate: ClientCertificate): Html {
  return html`<p><label for="certificate-${id}">${label}</label> <span class="muted">(SHA-256 thumbprint <code>${certificate.thumbprintSha256}</code>)</span><br>
    <textarea id="certificate-${id}" readonly rows="6" cols="66" class="copy-field">${certificate.pem}</textarea><br>
    <button type="button" class="secondary" data-copy="certificate-${id}">Copy</button> <a class="button secondary" href="${download}" download>Download .pem</a></p>`;
}

function stepsTable(id: string, steps: ProbeStep[]): Html {
  return html`<table id="${id}">
      <thead><tr><th>Step</th><th>Result</th><th>Details</th><th>ms</th></tr></thead>
      <tbody>${steps.map(
        (step) => html`<tr data-step="${step.step}">
          <td>${step.step}</td>
          <td>${step.ok ? html`<span class="tag">ok</span>` : html`<span class="tag off">${step.code}</span>`}</td>
          <td>${step.message}</td>
          <td>${String(step.durationMs)}</td>
        </tr>`,
      )}</tbody>
    </table>`;
}

/** A read-only field to select, and a Copy button that the external copy script makes work. */
function copyField(id: string, label: string, value: string): Html {
  return html`<p><label for="${id}">${label}</label><br>
    <input type="text" id="${id}" value="${value}" readonly size="60" class="copy-field">
    <button type="button" class="secondary" data-copy="${id}">Copy</button></p>`;
}
