import type { AuditEventView } from '../audit/audit-trail.service.js';
import { AUDIT_EVENT_TYPES } from '../audit/audit.types.js';
import { html, type Html } from '../common/html.js';

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
      <colgroup><col style="width: 12%"><col style="width: 18%"><col style="width: 15%"><col style="width: 15%"><col style="width: 9%"><col style="width: 9%"><col style="width: 22%"></colgroup>
      <thead><tr><th>When (UTC)</th><th>Event</th><th>User</th><th>By</th><th>Provider</th><th>From</th><th>Details</th></tr></thead>
      <tbody>${input.events.map(
        (event) => html`<tr data-id="${event.id}" data-type="${event.type}">
          <td>${event.at.replace('T', ' ').slice(0, 19)}</td>
          <td>${event.type}<br>${event.outcome === 'success' ? html`<span class="tag">success</span>` : html`<span class="tag off">${event.outcome}${event.reason ? html` · ${event.reason}` : ''}</span>`}</td>
          <td>${event.userId ? html`<a href="/lifetime/users/${event.userId}">${event.email ?? emails.get(event.userId) ?? event.userId}</a>` : (event.email ?? '')}</td>
          <td class="actor">${actorCell(event, emails)}</td>
          <td>${event.providerId ?? ''}</td>
          <td>${event.ip}</td>
          <td>${detailsText(event) ? html`<code>${detailsText(event)}</code>` : ''}</td>
        </tr>`,
      )}</tbody>
    </table>
    ${input.events.length === 0 ? html`<p class="muted" id="no-events">No event matches these filters.</p>` : ''}
    <p>${older ? html`<a class="button secondary" id="older" href="${older}">Older events</a>` : html`<span class="muted">No older events.</span>`}</p>`;
}

function detailsText(event: AuditEventView): string {
  const entries = Object.entries(event.details ?? {});
  return [...entries.map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`)].join(' ');
}

/** Who acted, by email (a SCIM token by its name); a link to the user when the actor is one. */
function actorCell(event: AuditEventView, emails: ReadonlyMap<string, string>): Html | string {
  const email = event.actorEmail ?? (event.actorId ? emails.get(event.actorId) : undefined);
  const name = email ?? event.actorId ?? '';
  if (!event.actorId || !email?.includes('@')) return name;
  return html`<a href="/lifetime/users/${event.actorId}">${name}</a>`;
}

function definedOnly(filters: AuditFilters): Record<string, string> {
  return Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== ''));
}
