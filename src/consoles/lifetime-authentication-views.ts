import { html, type Html } from '../common/html.js';
import type { ProviderView } from '../identity-providers/identity-providers.service.js';
import type { ProbeResult, ProbeStep } from '../identity-providers/provider-probe.js';
import type { ClientCertificate } from '../identity-providers/client-assertion-keys.service.js';
import { CLIENT_AUTH_METHODS, describeClientAuth, usesClientSecret, type ClientAuthMethod } from '../identity-providers/client-auth.js';
import { csrfField } from './console-layout.js';
import { accessSection, type AccessForm, type PreviewResult } from './lifetime-access-views.js';

const BASE = '/lifetime/authentication';
/**
 * The Id field's `pattern`, as browsers compile it: with the `v` flag, where a bare `-` inside a
 * class is a syntax error and Chromium then ignores the whole pattern. The hyphen is escaped.
 */
export const ID_PATTERN = String.raw`[a-z0-9\-]{1,40}`;
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
      <thead><tr><th>Provider</th><th>State</th><th>Source</th><th>Who gets in</th><th>Last Test</th></tr></thead>
      <tbody>${input.providers.map(
        (provider) => html`<tr data-provider="${provider.id}">
          <td><a href="${BASE}/${provider.id}">${provider.displayName}</a><br><code>${provider.id}</code></td>
          <td>${provider.enabled ? html`<span class="tag">enabled</span>` : html`<span class="tag off">disabled</span>`}</td>
          <td>${provider.source}</td>
          <td class="who-gets-in">${whoGetsIn(provider)}</td>
          <td>${lastTestSummary(provider)}</td>
        </tr>`,
      )}</tbody>
    </table>
    <p><a class="button" href="${BASE}/new">Add a provider</a></p>`;
}

/** One line: where roles come from, whether first sign-ins create users, what it is trusted with. */
function whoGetsIn(provider: ProviderView): Html {
  return html`roles from ${provider.roleSource === 'provider' ? html`<strong>the provider</strong> (${String(provider.roleRules.length)} rule${provider.roleRules.length === 1 ? '' : 's'})` : 'the platform'}${provider.provisioning === 'jit' ? html`<br><span class="tag">creates users</span>` : ''}${provider.trustEmail ? html` <span class="tag">trusts email</span>` : ''}${provider.emailDomains.length ? html`<br><span class="muted">${provider.emailDomains.join(', ')}</span>` : ''}`;
}

function lastTestSummary(provider: ProviderView): Html {
  if (!provider.lastTest) return html`<span class="muted">not tested yet</span>`;
  if (!provider.lastTest.currentConfiguration) return html`<span class="muted not-current">not tested with this configuration</span>`;
  const failed = provider.lastTest.steps.find((step) => !step.ok);
  const warned = provider.lastTest.steps.find((step) => step.warning);
  const verdict = !provider.lastTest.ok
    ? html`<span class="tag off">failed at ${failed?.step ?? '?'}</span>`
    : warned
      ? html`<span class="tag warn">passed, warning at ${warned.step}</span>`
      : html`<span class="tag">passed</span>`;
  return html`${verdict}<br><span class="muted">${when(provider.lastTest.at)}</span>`;
}

/**
 * A save whose Test failed, waiting for "Save anyway": the results, and the secret as it was typed
 * (sent back to the admin who typed it, so the second submit carries it; never stored on the page otherwise).
 */
export interface FailedPreflight {
  result: ProbeResult;
  clientSecret?: string;
}

export function providerPageBody(input: { provider: ProviderView; csrfToken: string; form?: ProviderForm; discovery?: ProbeResult; preflight?: FailedPreflight; keys?: ClientKeyMaterial; accessForm?: AccessForm; preview?: PreviewResult; provisioning?: Html }): Html {
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
    ${lastTestDetails(provider)}
    ${accessSection({ provider, csrfToken, form: input.accessForm, result: input.preview })}
    ${input.provisioning ?? ''}
    ${environment
      ? html`<h2>Settings</h2>
          <p id="read-only">This provider comes from the environment (<code>OIDC_ISSUER</code>, <code>OIDC_CLIENT_ID</code>, <code>OIDC_CLIENT_SECRET</code>, <code>OIDC_CLIENT_AUTH</code>), so it is read-only here: change those variables and restart the service to change it. It cannot be disabled or deleted on this page.</p>`
      : html`<h2>State</h2>
          <form method="post" action="${base}/${provider.enabled ? 'disable' : 'enable'}">${csrfField(csrfToken)}
            <button type="submit" class="${provider.enabled ? 'secondary' : ''}">${provider.enabled ? 'Disable' : 'Enable'}</button></form>
          <h2 id="settings">Settings</h2>
          ${providerForm({ action: `${base}/settings#settings`, form: input.form ?? formOf(provider), csrfToken, isNew: false, hasClientSecret: provider.hasClientSecret && usesClientSecret(provider.clientAuth), discovery: input.discovery, preflight: input.preflight })}
          <h2>Delete</h2>
          <form method="post" action="${base}/delete">${csrfField(csrfToken)}<button type="submit" class="danger">Delete this provider</button></form>`}`;
}

function lastTestDetails(provider: ProviderView): Html {
  const test = provider.lastTest;
  if (!test) return html`<p class="muted" id="last-test">Not tested yet.</p>`;
  // An older configuration's verdict (another issuer, client or secret) must not pass for this one's.
  if (!test.currentConfiguration) {
    return html`<p id="last-test"><strong>Not tested with this configuration.</strong> <span class="muted">The last Test, ${when(test.at)}, ran against an earlier configuration; run the Test to check this one.</span></p>`;
  }
  return html`<p class="muted" id="last-test">Last Test: <strong>${testVerdict(test)}</strong>, ${when(test.at)}.</p>${stepsTable('test-steps', test.steps)}`;
}

export function newProviderBody(input: { form: ProviderForm; csrfToken: string; discovery?: ProbeResult; preflight?: FailedPreflight }): Html {
  return html`<p><a href="${BASE}">← Authentication</a></p>
    <h1>Add an identity provider</h1>
    <p class="muted">Type the issuer URL and choose <strong>Get details</strong>: the discovery steps of the Test run, and what the provider announces is filled in.</p>
    ${providerForm({ action: `${BASE}/new`, form: input.form, csrfToken: input.csrfToken, isNew: true, hasClientSecret: false, discovery: input.discovery, preflight: input.preflight })}`;
}

/** Why a save waits: the Test of the settings as typed failed, so people could not sign in with them. */
export function failedTestNotice(result: ProbeResult, what: string): Html {
  const failed = result.steps.find((step) => !step.ok);
  return html`<div class="flash error" role="alert" id="test-failed-notice">
      <p><strong>The Test of these settings failed at the ${failed?.step ?? '?'} step</strong>: ${failed?.message ?? ''}</p>
      <p>People could not sign in with this provider as it is set here. Correct the settings, or ${what} anyway.</p>
      ${stepsTable('preflight-steps', result.steps)}
    </div>`;
}

function providerForm(input: { action: string; form: ProviderForm; csrfToken: string; isNew: boolean; hasClientSecret: boolean; discovery?: ProbeResult; preflight?: FailedPreflight }): Html {
  const { form, preflight } = input;
  const save = input.isNew ? 'Add provider' : 'Save changes';
  return html`${preflight ? failedTestNotice(preflight.result, input.isNew ? 'add it' : 'save') : ''}<form method="post" action="${input.action}" id="provider-form">
      ${csrfField(input.csrfToken)}
      <p><label>Issuer URL<br><input type="text" name="issuer" value="${form.issuer}" size="48" required></label>
        <button type="submit" name="action" value="details" class="secondary" formnovalidate>Get details</button></p>
      ${input.discovery ? html`<div id="discovery-result"><p class="muted">Discovery: <strong>${input.discovery.ok ? 'passed' : 'failed'}</strong></p>${stepsTable('discovery-steps', input.discovery.steps)}</div>` : ''}
      ${input.isNew
        ? html`<p><label>Id (lowercase letters, digits, hyphens; part of the redirect URI)<br><input type="text" name="id" value="${form.id}" size="30" pattern="${ID_PATTERN}"></label></p>`
        : html`<input type="hidden" name="id" value="${form.id}">`}
      <p><label>Display name<br><input type="text" name="displayName" value="${form.displayName}" size="36"></label></p>
      <p><label>Client id<br><input type="text" name="clientId" value="${form.clientId}" size="36"></label></p>
      <p><label>Client authentication<br><select name="clientAuth" id="client-auth-method">
        ${CLIENT_AUTH_METHODS.map((method) => html`<option value="${method}"${form.clientAuth === method ? html` selected` : ''}>${method}</option>`)}
      </select></label><br><span class="muted">private_key_jwt needs no secret: the provider checks a signature by this service's key (its JWKS URL or certificate is shown on the provider's page once saved).</span></p>
      <p id="client-secret-field" data-client-secret${usesClientSecret(clientAuthOf(form)) ? '' : html` hidden`}><label>Client secret ${input.hasClientSecret ? '(stored; leave empty to keep it, unless the issuer changes)' : ''}<br><input type="password" name="clientSecret" value="${preflight?.clientSecret ?? ''}" size="36" autocomplete="new-password"></label></p>
      <p><label>Scopes (separated by spaces)<br><input type="text" name="scopes" value="${form.scopes}" size="36"></label></p>
      <p><label>Match claim<br><select name="matchClaim">
        <option value="email"${form.matchClaim === 'email' ? html` selected` : ''}>email</option>
        <option value="preferred_username"${form.matchClaim === 'preferred_username' ? html` selected` : ''}>preferred_username</option>
      </select></label></p>
      <p><label>Email domains (separated by spaces; only these addresses may sign in through it, and the sign-in page routes them here)<br><input type="text" name="emailDomains" value="${form.emailDomains}" size="36"></label></p>
      ${input.isNew ? html`<p><label><input type="checkbox" name="enabled"${form.enabled ? html` checked` : ''}> Enabled</label></p>` : ''}
      <p><button type="submit" name="action" value="save">${save}</button>
        ${preflight ? html`<button type="submit" name="confirm" value="anyway" class="danger" id="save-anyway">${input.isNew ? 'Add anyway' : 'Save anyway'}</button>` : ''}</p>
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

/** A warning is a step the Test could not read either way: passed, but worth a look. */
function testVerdict(result: { ok: boolean; steps: ProbeStep[] }): string {
  if (!result.ok) return 'failed';
  return result.steps.some((step) => step.warning) ? 'passed with a warning' : 'passed';
}

function stepsTable(id: string, steps: ProbeStep[]): Html {
  return html`<table id="${id}">
      <thead><tr><th>Step</th><th>Result</th><th>Details</th><th>ms</th></tr></thead>
      <tbody>${steps.map(
        (step) => html`<tr data-step="${step.step}">
          <td>${step.step}</td>
          <td>${step.warning ? html`<span class="tag warn">warning: ${step.code}</span>` : step.ok ? html`<span class="tag">ok</span>` : html`<span class="tag off">${step.code}</span>`}</td>
          <td>${step.message}</td>
          <td>${String(step.durationMs)}</td>
        </tr>`,
      )}</tbody>
    </table>`;
}

/** A read-only field to select, and a Copy button that the external copy script makes work. */
export function copyField(id: string, label: string, value: string): Html {
  return html`<p><label for="${id}">${label}</label><br>
    <input type="text" id="${id}" value="${value}" readonly size="60" class="copy-field">
    <button type="button" class="secondary" data-copy="${id}">Copy</button></p>`;
}
