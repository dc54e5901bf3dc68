import type { UserSessionsDto } from '../admin/dto/sessions.dto.js';
import { html, type Html } from '../common/html.js';
import type { LinkedIdentity } from '../users/linked-identity.entity.js';
import { ROLES, type User } from '../users/user.entity.js';
import type { UserSort } from '../users/users.service.js';
import { csrfField } from './console-layout.js';
import { summariseUserAgent } from './user-agent.js';
import { DEFAULT_USER_LIST, USER_PAGE_SIZES, userListUrl, type UserListQuery } from './user-list-query.js';

const when = (date: Date | string) => new Date(date).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

export function userListBody(input: { users: User[]; total: number; query: UserListQuery; csrfToken: string; problems?: string[] }): Html {
  const { query, total } = input;
  const pages = Math.max(1, Math.ceil(total / query.size));
  const first = total === 0 ? 0 : (query.page - 1) * query.size + 1;
  const last = Math.min(total, query.page * query.size);
  return html`<h1>Users</h1>
    <form method="get" action="/lifetime/users" role="search" class="filters" id="user-search">
      <label>Search<br><input type="search" name="q" value="${query.search}" placeholder="Email or name" aria-label="Search users" size="28"></label>
      <label>Per page<br><select name="size">${USER_PAGE_SIZES.map((size) => html`<option value="${size}"${size === query.size ? html` selected` : ''}>${size}</option>`)}</select></label>
      ${query.sort !== DEFAULT_USER_LIST.sort ? html`<input type="hidden" name="sort" value="${query.sort}">` : ''}
      ${query.order !== DEFAULT_USER_LIST.order ? html`<input type="hidden" name="order" value="${query.order}">` : ''}
      <span><button type="submit" class="secondary">Search</button>${query.search ? html` <a href="${userListUrl({ ...query, search: '', page: 1 })}">Clear</a>` : ''}</span>
    </form>
    ${input.problems?.length ? html`<div class="flash error" role="alert" id="flash">The list could not be read as asked: ${input.problems.join('; ')}.</div>` : ''}
    <p id="user-count">${total === 0 ? 'No users' : html`<strong>${first}–${last}</strong> of <strong>${total}</strong> user${total === 1 ? '' : 's'}`}${query.search ? html` matching “${query.search}”` : ''}</p>
    <table id="users">
      <thead><tr>${sortHeader(query, 'name', 'Name')}${sortHeader(query, 'email', 'Email')}<th>Roles</th><th>State</th>${sortHeader(query, 'created', 'Added')}</tr></thead>
      <tbody>${input.users.map(
        (user) => html`<tr data-user="${user.id}">
          <td><a href="/lifetime/users/${user.id}">${user.displayName}</a></td>
          <td class="nowrap">${user.email}</td>
          <td>${user.roles.map((role) => html`<span class="tag">${role}</span> `)}</td>
          <td>${user.active ? 'active' : html`<span class="tag off">inactive</span>`}</td>
          <td class="nowrap">${when(user.createdAt)}</td>
        </tr>`,
      )}</tbody>
    </table>
    ${pages > 1
      ? html`<nav class="pager" aria-label="Pages of users" id="user-pages">
          ${query.page > 1 ? html`<a class="button secondary" rel="prev" href="${userListUrl(query, { page: query.page - 1 })}">← Previous</a>` : ''}
          <span>Page ${query.page} of ${pages}</span>
          ${query.page < pages ? html`<a class="button secondary" rel="next" href="${userListUrl(query, { page: query.page + 1 })}">Next →</a>` : ''}
        </nav>`
      : ''}
    <h2>Add a user</h2>
    <form method="post" action="/lifetime/users" id="add-user">
      ${csrfField(input.csrfToken)}
      <p><label>Email<br><input type="email" name="email" required size="36"></label></p>
      <p><label>Display name (optional)<br><input type="text" name="displayName" size="36"></label></p>
      <p>${roleBoxes(['developer'])}</p>
      <p><button type="submit">Add user</button></p>
    </form>`;
}

/** A column header that sorts by it; a second click on the sorted column turns the order round. */
function sortHeader(query: UserListQuery, sort: UserSort, label: string): Html {
  const sorted = query.sort === sort;
  const order = sorted && query.order === 'asc' ? 'desc' : 'asc';
  const arrow = sorted ? (query.order === 'asc' ? ' ▲' : ' ▼') : '';
  return html`<th${sorted ? html` aria-sort="${query.order === 'asc' ? 'ascending' : 'descending'}"` : ''}><a href="${userListUrl(query, { sort, order, page: 1 })}"${sorted ? html` class="sorted"` : ''}>${label}${arrow}</a></th>`;
}

export function userPageBody(input: {
  user: User;
  identities: LinkedIdentity[];
  access: UserSessionsDto;
  csrfToken: string;
  self: boolean;
  /** The provider that owns this user's roles, when one does: they are shown, not edited. */
  rolesFrom?: { id: string; displayName: string };
  currentSessionId?: string;
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
    <p><a href="/lifetime/audit?user=${encodeURIComponent(user.email)}" id="user-audit">Audit events about ${user.email}</a> ·
      <a href="/lifetime/audit?actor=${encodeURIComponent(user.email)}" id="actor-audit">What ${user.email} did</a></p>
    <h2>Linked identities</h2>
    ${identities.length
      ? html`<table id="identities"><thead><tr><th>Provider</th><th>Issuer</th><th>Subject</th><th>Linked</th><th>Last sign-in</th><th></th></tr></thead><tbody>${identities.map(
          (identity) => html`<tr><td>${identity.providerId}</td><td><code>${identity.issuer}</code></td><td><code>${identity.subject}</code></td><td class="nowrap">${when(identity.linkedAt)}</td>
            <td class="nowrap">${identity.claimsAt ? when(identity.claimsAt) : html`<span class="muted">before this was kept</span>`}</td>
            <td><form method="post" action="${base}/identities/${identity.id}/unlink">${csrfField(csrfToken)}<button type="submit" class="danger">Unlink</button></form></td></tr>`,
        )}</tbody></table>`
      : html`<p class="muted">None yet: the first sign-in through a provider links one.</p>`}
    <h2>Console sessions</h2>
    ${access.consoleSessions.length
      ? html`<table id="console-sessions"><thead><tr><th>Signed in</th><th>Last seen</th><th>Ends</th><th>Through</th><th>Address</th><th>Browser</th><th></th></tr></thead><tbody>${access.consoleSessions.map(
          (session) => html`<tr data-session="${session.id}"${session.id === input.currentSessionId ? html` class="current-session"` : ''}>
            <td class="nowrap">${when(session.createdAt)}${session.id === input.currentSessionId ? html`<br><span class="tag current" id="current-session" title="The session this page was opened with">this session</span>` : ''}</td>
            <td class="last-seen nowrap">${when(session.lastSeenAt)}</td><td class="nowrap">${when(session.expiresAt)}</td>
            <td>${session.breakGlass ? html`<span class="tag off">break-glass</span>` : session.providerId}</td>
            <td class="nowrap">${session.ip ?? ''}</td>
            <td class="ua">${session.userAgent ? html`<span title="${session.userAgent}">${summariseUserAgent(session.userAgent)}</span>` : html`<span class="muted">unknown</span>`}</td>
            <td><form method="post" action="${base}/sessions/${session.id}/revoke">${csrfField(csrfToken)}<button type="submit" class="danger">${session.id === input.currentSessionId ? 'Revoke (signs you out)' : 'Revoke'}</button></form></td>
          </tr>`,
        )}</tbody></table>`
      : html`<p class="muted" id="no-console-sessions">No console session.</p>`}
    <h2>Desktop tokens</h2>
    ${access.desktopTokens.length
      ? html`<table id="desktop-tokens"><thead><tr><th>Studio</th><th>Issued</th><th>Last used</th><th>Expires</th><th></th></tr></thead><tbody>${access.desktopTokens.map(
          (token) => html`<tr>
            <td class="nowrap">${token.client}</td><td class="nowrap">${when(token.createdAt)}</td><td class="nowrap">${token.lastUsedAt ? when(token.lastUsedAt) : html`<span class="muted">not yet</span>`}</td><td class="nowrap">${when(token.expiresAt)}</td>
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
