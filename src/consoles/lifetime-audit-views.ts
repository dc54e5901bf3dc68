import type { AuditEventView } from '../audit/audit-trail.service.js';
import { AUDIT_EVENT_TYPES } from '../audit/audit.types.js';
import { html, type Html } from '../common/html.js';
import { summariseUserAgent } from './user-agent.js';

/** Characters of an event's details shown before the rest is folded away. */
const SUMMARY_LENGTH = 32;

/** The filters as typed into the form, carried into the "Older events" link. */
export interface AuditFilters {
  type: string;
  user: string;
  actor: string;
  since: string;
  until: string;
  limit: string;
}

export function auditBody(input: { filters: AuditFilters; events: AuditEventView[]; nextCursor: string | null; emails?: ReadonlyMap<string, string>; error?: string }): Html {
  const emails = input.emails ?? new Map<string, string>();
  const { filters } = input;
  const older = input.nextCursor ? `/lifetime/audit?${new URLSearchParams({ ...definedOnly(filters), cursor: input.nextCursor }).toString()}` : undefined;
  return html`<h1>Audit</h1>
    <form method="get" action="/lifetime/audit" id="audit-filters" class="filters">
      <label>Type<br><select name="type">
        <option value="">any</option>
        ${AUDIT_EVENT_TYPES.map((type) => html`<option value="${type}"${filters.type === type ? html` selected` : ''}>${type}</option>`)}
      </select></label>
      <label>User (email or id)<br><input type="text" name="user" value="${filters.user}" size="22"></label>
      <label>By (email, SCIM token or id)<br><input type="text" name="actor" value="${filters.actor}" size="22"></label>
      <label>From (UTC)<br><input type="text" name="since" value="${filters.since}" placeholder="2026-11-28 08:00" size="15"></label>
      <label>To (UTC)<br><input type="text" name="until" value="${filters.until}" placeholder="2026-11-28 18:00" size="15"></label>
      ${filters.limit ? html`<input type="hidden" name="limit" value="${filters.limit}">` : ''}
      <span><button type="submit">Filter</button> <a href="/lifetime/audit">Clear</a></span>
    </form>
    ${input.error ? html`<div class="flash error" role="alert" id="flash">${input.error}</div>` : ''}
    <table id="audit-events">
      <thead><tr><th>When (UTC)</th><th>Event</th><th>User</th><th>By</th><th>Provider</th><th>From</th><th>Details</th></tr></thead>
      <tbody>${input.events.map(
        (event) => html`<tr data-id="${event.id}" data-type="${event.type}">
          <td class="nowrap">${event.at.replace('T', ' ').slice(0, 19)}</td>
          <td class="nowrap">${event.type}<br>${event.outcome === 'success' ? html`<span class="tag">success</span>` : html`<span class="tag off">${event.outcome}${event.reason ? html` · ${event.reason}` : ''}</span>`}</td>
          <td class="nowrap">${event.userId ? html`<a href="/lifetime/users/${event.userId}">${event.email ?? emails.get(event.userId) ?? event.userId}</a>` : (event.email ?? '')}</td>
          <td class="actor">${actorCell(event, emails)}</td>
          <td class="nowrap">${event.providerId ?? ''}</td>
          <td class="nowrap">${event.ip}</td>
          <td>${detailsCell(event)}</td>
        </tr>`,
      )}</tbody>
    </table>
    ${input.events.length === 0 ? html`<p class="muted" id="no-events">No event matches these filters.</p>` : ''}
    <p>${older ? html`<a class="button secondary" id="older" href="${older}">Older events</a>` : html`<span class="muted">No older events.</span>`}</p>`;
}

/** Who acted, by email (a SCIM token by its name); a link to the user when the actor is one. */
function actorCell(event: AuditEventView, emails: ReadonlyMap<string, string>): Html | string {
  const email = event.actorEmail ?? (event.actorId ? emails.get(event.actorId) : undefined);
  const name = email ?? event.actorId ?? '';
  if (!event.actorId || !email?.includes('@')) return name;
  return html`<a href="/lifetime/users/${event.actorId}">${name}</a>`;
}

/** A summary that fits a row, and the whole (who acted, every detail, the request id) one click away. */
function detailsCell(event: AuditEventView): Html {
  const entries: Array<[string, string]> = Object.entries(event.details ?? {}).map(([key, value]) => [key, Array.isArray(value) ? value.join(', ') : String(value)]);
  const browser = event.userAgent ? summariseUserAgent(event.userAgent) : '';
  const summary = entries.length ? entries.map(([key, value]) => `${key}=${value}`).join(' ') : browser || 'request';
  return html`<details>
      <summary>${summary.length > SUMMARY_LENGTH ? `${summary.slice(0, SUMMARY_LENGTH - 1)}…` : summary}</summary>
      <dl>
        ${entries.map(([key, value]) => html`<dt>${key}</dt><dd>${value}</dd>`)}
        <dt>request</dt><dd><code>${event.requestId}</code></dd>
        ${browser ? html`<dt>browser</dt><dd title="${event.userAgent}">${browser}</dd>` : ''}
      </dl>
    </details>`;
}

function definedOnly(filters: AuditFilters): Record<string, string> {
  return Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== ''));
}
