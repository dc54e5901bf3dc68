import type { UserSessionsDto } from '../admin/dto/sessions.dto.js';
import { html, type Html } from '../common/html.js';
import type { LinkedIdentity } from '../users/linked-identity.entity.js';
import { ROLES, type User } from '../users/user.entity.js';
import { csrfField } from './console-layout.js';

const when = (date: Date | string) => new Date(date).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

export function userListBody(input: { users: User[]; search: string; csrfToken: string }): Html {
  return html`<h1>Users</h1>
    <form method="get" action="/lifetime/users" role="search">
      <input type="search" name="q" value="${input.search}" placeholder="Email or name" aria-label="Search users">
      <button type="submit" class="secondary">Search</button>
    </form>
    <table id="users">
      <thead><tr><th>Name</th><th>Email</th><th>Roles</th><th>State</th></tr></thead>
      <tbody>${input.users.map(
        (user) => html`<tr>
          <td><a href="/lifetime/users/${user.id}">${user.displayName}</a></td>
          <td>${user.email}</td>
          <td>${user.roles.map((role) => html`<span class="tag">${role}</span> `)}</td>
          <td>${user.active ? 'active' : html`<span class="tag off">inactive</span>`}</td>
        </tr>`,
      )}</tbody>
    </table>
    ${input.users.length === 0 ? html`<p class="muted">No user matches “${input.search}”.</p>` : ''}
    <h2>Add a user</h2>
    <form method="post" action="/lifetime/users" id="add-user">
      ${csrfField(input.csrfToken)}
      <p><label>Email<br><input type="email" name="email" required size="36"></label></p>
      <p><label>Display name (optional)<br><input type="text" name="displayName" size="36"></label></p>
      <p>${roleBoxes(['developer'])}</p>
      <p><button type="submit">Add user</button></p>
    </form>`;
}

export function userPageBody(input: {
  user: User;
  identities: LinkedIdentity[];
  access: UserSessionsDto;
  csrfToken: string;
  self: boolean;
  /** The provider that owns this user's roles, when one does: they are shown, not edited. */
  rolesFrom?: { id: string; displayName: string };
}): Html {
  const { user, identities, access, csrfToken, rolesFrom } = input;
  const base = `/lifetime/users/${user.id}`;
  return html`<p><a href="/lifetime/users">← Users</a></p>
    <h1>${user.displayName}</h1>
    <dl>
      <dt>Email</dt><dd>${user.email}</dd>
      <dt>State</dt><dd id="user-state">${user.active ? 'active' : 'inactive'}</dd>
      <dt>Added</dt><dd>${when(user.createdAt)}</dd>
    </dl>
    <h2>Roles</h2>
    ${rolesFrom
      ? html`<p id="roles-from-provider">${user.roles.length ? user.roles.map((role) => html`<span class="tag">${role}</span> `) : html`<span class="muted">none</span>`}</p>
          <p class="muted">Set by ${rolesFrom.displayName} at each sign-in (its role rules, under <a href="/lifetime/authentication/${rolesFrom.id}">Authentication</a>); change the person's groups or roles there.</p>`
      : html`<form method="post" action="${base}/roles" id="roles">
          ${csrfField(csrfToken)}
          ${roleBoxes(user.roles)}
          <button type="submit" class="secondary">Save roles</button>
        </form>`}
    <h2>Access</h2>
    ${user.active
      ? html`<form method="post" action="${base}/deactivate" id="deactivate">${csrfField(csrfToken)}<button type="submit" class="danger">Deactivate${input.self ? ' (yourself)' : ''}</button></form>`
      : html`<form method="post" action="${base}/reactivate" id="reactivate">${csrfField(csrfToken)}<button type="submit">Reactivate</button></form>`}
    <p><a href="/lifetime/audit?user=${user.id}" id="user-audit">Audit events of this user</a></p>
    <h2>Linked identities</h2>
    ${identities.length
      ? html`<table id="identities"><thead><tr><th>Provider</th><th>Issuer</th><th>Subject</th><th>Linked</th><th>Last sign-in</th><th></th></tr></thead><tbody>${identities.map(
          (identity) => html`<tr><td>${identity.providerId}</td><td><code>${identity.issuer}</code></td><td><code>${identity.subject}</code></td><td>${when(identity.linkedAt)}</td>
            <td>${identity.claimsAt ? when(identity.claimsAt) : html`<span class="muted">before this was kept</span>`}</td>
            <td><form method="post" action="${base}/identities/${identity.id}/unlink">${csrfField(csrfToken)}<button type="submit" class="danger">Unlink</button></form></td></tr>`,
        )}</tbody></table>`
      : html`<p class="muted">None yet: the first sign-in through a provider links one.</p>`}
    <h2>Console sessions</h2>
    ${access.consoleSessions.length
      ? html`<table id="console-sessions"><thead><tr><th>Signed in</th><th>Last seen</th><th>Ends</th><th>Through</th><th>Address</th><th></th></tr></thead><tbody>${access.consoleSessions.map(
          (session) => html`<tr>
            <td>${when(session.createdAt)}</td><td class="last-seen">${when(session.lastSeenAt)}</td><td>${when(session.expiresAt)}</td>
            <td>${session.breakGlass ? html`<span class="tag off">break-glass</span>` : session.providerId}</td>
            <td>${session.ip ?? ''}<br><span class="muted">${(session.userAgent ?? '').slice(0, 60)}</span></td>
            <td><form method="post" action="${base}/sessions/${session.id}/revoke">${csrfField(csrfToken)}<button type="submit" class="danger">Revoke</button></form></td>
          </tr>`,
        )}</tbody></table>`
      : html`<p class="muted" id="no-console-sessions">No console session.</p>`}
    <h2>Desktop tokens</h2>
    ${access.desktopTokens.length
      ? html`<table id="desktop-tokens"><thead><tr><th>Studio</th><th>Issued</th><th>Last used</th><th>Expires</th><th></th></tr></thead><tbody>${access.desktopTokens.map(
          (token) => html`<tr>
            <td>${token.client}</td><td>${when(token.createdAt)}</td><td>${token.lastUsedAt ? when(token.lastUsedAt) : html`<span class="muted">not yet</span>`}</td><td>${when(token.expiresAt)}</td>
            <td><form method="post" action="${base}/desktop-tokens/${token.id}/revoke">${csrfField(csrfToken)}<button type="submit" class="danger">Revoke</button></form></td>
          </tr>`,
        )}</tbody></table>`
      : html`<p class="muted">No desktop token.</p>`}`;
}

/** The confirmation step of a destructive action: the same form again, with `confirm=yes`. No script needed. */
export function confirmPage(input: { action: string; question: string; button: string; back: string; csrfToken: string }): Html {
  return html`<h1>Please confirm</h1>
    <p id="confirm-question">${input.question}</p>
    <form method="post" action="${input.action}" id="confirm">
      ${csrfField(input.csrfToken)}
      <input type="hidden" name="confirm" value="yes">
      <button type="submit" class="danger">${input.button}</button>
      <a class="button secondary" href="${input.back}">Cancel</a>
    </form>`;
}

function roleBoxes(checked: readonly string[]): Html {
  return html`${ROLES.map((role) => html`<label><input type="checkbox" name="role_${role}"${checked.includes(role) ? html` checked` : ''}> ${role}</label> `)}`;
}
