import { ScimException } from './scim-error.js';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 200;

/** startIndex and count of a list request (RFC 7644 §3.4.2.4): 1-based, count clamped to MAX_COUNT. */
export function readPage(query: { startIndex?: unknown; count?: unknown }): { startIndex: number; count: number } {
  const startIndex = integer(query.startIndex, 'startIndex') ?? 1;
  const count = integer(query.count, 'count') ?? DEFAULT_COUNT;
  // RFC 7644: a startIndex below 1 is read as 1, a negative count as 0.
  return { startIndex: Math.max(1, startIndex), count: Math.min(MAX_COUNT, Math.max(0, count)) };
}

/** Whether `excludedAttributes` (comma-separated, any case) leaves out the group's members. */
export function excludesMembers(excludedAttributes: unknown): boolean {
  return typeof excludedAttributes === 'string' && excludedAttributes.split(',').some((name) => /^(urn:ietf:params:scim:schemas:core:2\.0:group:)?members$/i.test(name.trim()));
}

export function listResponse(total: number, startIndex: number, resources: Record<string, unknown>[]): Record<string, unknown> {
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** The SCIM operation a request is, for the metrics: `users.create`, `groups.patch`, `discovery`… */
export function scimOperation(method: string, path: string): string {
  const resource = /^\/scim\/v2\/(Users|Groups)(\/[^/]+)?\/?$/i.exec(path);
  if (!resource) return /^\/scim\/v2\/(ServiceProviderConfig|ResourceTypes|Schemas)\b/i.test(path) ? 'discovery' : 'other';
  const kind = resource[1].toLowerCase();
  const one = Boolean(resource[2]);
  const verb: Record<string, string> = { GET: one ? 'get' : 'list', POST: 'create', PUT: 'replace', PATCH: 'patch', DELETE: 'delete' };
  return `${kind}.${verb[method.toUpperCase()] ?? 'other'}`;
}

/** The outcome label of an answer's status. */
export function scimOutcome(status: number): string {
  if (status < 400) return 'success';
  if (status === 429) return 'rate_limited';
  if (status === 401) return 'unauthenticated';
  if (status === 409) return 'conflict';
  if (status === 404) return 'not_found';
  if (status === 501) return 'unsupported';
  return status < 500 ? 'invalid' : 'error';
}

function integer(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(number)) throw new ScimException(400, `${name} must be an integer.`, 'invalidValue');
  return number;
}
