import type { RolePreview } from '../access/role-sync.service.js';
import type { RoleRule } from '../access/role-rules.js';
import { html, type Html } from '../common/html.js';
import type { ProviderView } from '../identity-providers/identity-providers.service.js';
import { ROLES } from '../users/user.entity.js';
import { csrfField } from './console-layout.js';

/** Empty rule rows offered below the existing ones. */
const BLANK_RULES = 3;

/** The "Who gets in" form as typed: a refused or previewed form comes back as it was sent. */
export interface AccessForm {
  trustEmail: boolean;
  roleSource: string;
  provisioning: string;
  rules: Array<{ claim: string; value: string; role: string }>;
  /** Pasted claims for the Preview (JSON); empty: the admin's own last sign-in. */
  claims: string;
}

export interface PreviewResult {
  /** Where the claims came from, as the page says it. */
  source: string;
  preview?: RolePreview;
  rules: RoleRule[];
  problem?: string;
}

export function accessFormOf(view: ProviderView): AccessForm {
  return { trustEmail: view.trustEmail, roleSource: view.roleSource, provisioning: view.provisioning, rules: view.roleRules.map((rule) => ({ ...rule })), claims: '' };
}

/** LifeTime › Authentication › provider: trust, role rules, provisioning, and the Preview. */
export function accessSection(input: { provider: ProviderView; csrfToken: string; form?: AccessForm; result?: PreviewResult }): Html {
  const { provider } = input;
  const form = input.form ?? accessFormOf(provider);
  const readOnly = provider.source === 'environment';
  const rows = [...form.rules, ...Array.from({ length: readOnly ? 0 : BLANK_RULES }, () => ({ claim: '', value: '', role: '' }))];
  return html`<h2 id="who-gets-in">Who gets in</h2>
    <form method="post" action="/lifetime/authentication/${provider.id}/access" id="access-form">
      ${csrfField(input.csrfToken)}
      ${readOnly ? html`<p class="muted" id="access-read-only">From the environment (<code>OIDC_TRUST_EMAIL</code>, <code>OIDC_EMAIL_DOMAINS</code>, <code>OIDC_ROLE_SOURCE</code>, <code>OIDC_ROLE_RULES</code>, <code>OIDC_PROVISIONING</code>): read-only here; the Preview works.</p>` : ''}
      <p><label><input type="checkbox" name="trustEmail"${form.trustEmail ? html` checked` : ''}${readOnly ? html` disabled` : ''}> Trust its email without <code>email_verified</code> (Entra ID never sends it; a token that says the email is unverified is still refused)</label></p>
      <p><label>Roles come from<br><select name="roleSource"${readOnly ? html` disabled` : ''}>
        <option value="platform"${form.roleSource === 'platform' ? html` selected` : ''}>the platform (set on each user's page)</option>
        <option value="provider"${form.roleSource === 'provider' ? html` selected` : ''}>the provider (the rules below, at every sign-in; read-only on users' pages)</option>
      </select></label></p>
      <p><label>New people<br><select name="provisioning"${readOnly ? html` disabled` : ''}>
        <option value="preregistered"${form.provisioning === 'preregistered' ? html` selected` : ''}>must be added as users first</option>
        <option value="jit"${form.provisioning === 'jit' ? html` selected` : ''}>are created at their first sign-in, with the roles the rules grant</option>
      </select></label></p>
      <table id="role-rules"><thead><tr><th>Claim or dotted path</th><th>Value (equal, or held in a list)</th><th>Role</th>${input.result?.preview ? html`<th>Preview</th>` : ''}</tr></thead>
        <tbody>${rows.map(
          (rule, index) => html`<tr>
            <td><input type="text" name="rule_claim_${String(index)}" value="${rule.claim}" placeholder="${index === form.rules.length ? 'groups' : ''}" size="22"${readOnly ? html` readonly` : ''}></td>
            <td><input type="text" name="rule_value_${String(index)}" value="${rule.value}" placeholder="${index === form.rules.length ? 'platform-admins' : ''}" size="22"${readOnly ? html` readonly` : ''}></td>
            <td><select name="rule_role_${String(index)}"${readOnly ? html` disabled` : ''}><option value=""></option>${ROLES.map((role) => html`<option value="${role}"${rule.role === role ? html` selected` : ''}>${role}</option>`)}</select></td>
            ${input.result?.preview ? html`<td>${index < input.result.preview.matched.length ? (input.result.preview.matched[index] ? html`<span class="tag">matches</span>` : html`<span class="muted">no</span>`) : ''}</td>` : ''}
          </tr>`,
        )}</tbody></table>
      <p class="muted">Keycloak realm roles: <code>realm_access.roles</code>; Entra ID app roles: <code>roles</code>, groups: <code>groups</code> (object ids); a <code>groups</code> rule also counts the platform's own group memberships.</p>
      <h3>Preview</h3>
      <p><label>Claims of a sign-in, as JSON (leave empty for your own last sign-in)<br><textarea name="claims" rows="5" cols="60" placeholder='{"groups": ["platform-admins"]}'>${form.claims}</textarea></label></p>
      ${input.result ? previewResult(input.result) : ''}
      <p><button type="submit" name="action" value="preview" class="secondary">Preview</button>
        ${readOnly ? '' : html`<button type="submit" name="action" value="save">Save</button>`}</p>
    </form>`;
}

function previewResult(result: PreviewResult): Html {
  if (result.problem) return html`<div class="flash error" id="preview-result" role="alert">${result.problem}</div>`;
  const preview = result.preview!;
  if (preview.overage) {
    return html`<div class="flash error" id="preview-result">With ${result.source}: refused (<code>groups_overage</code>): the token names no groups (too many to include) while a rule reads <code>groups</code>. Map app roles (<code>roles</code>) instead.</div>`;
  }
  return html`<div class="flash ${preview.roles.length ? 'success' : 'error'}" id="preview-result">With ${result.source}, these rules grant:
      <strong id="preview-roles">${preview.roles.length ? preview.roles.join(', ') : 'no role (the sign-in would be refused: no_role)'}</strong></div>`;
}
