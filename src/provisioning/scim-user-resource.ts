import { ScimException } from './scim-error.js';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** What a User resource says, once read and checked: the platform user's part and the rest. */
export interface ScimUserInput {
  userName: string;
  externalId: string | null;
  active: boolean;
  /** For the platform user: displayName, else name.formatted, else given and family name, else userName's local part. */
  displayName: string;
  /** Every emails[].value, lower-cased. */
  emails: string[];
  /** The other attributes, kept and returned as sent (name, emails, title, the enterprise extension…). */
  attributes: Record<string, unknown>;
}

/** The platform user and SCIM record a User resource is built from. */
export interface ScimUserState {
  id: string;
  userName: string;
  externalId: string | null;
  active: boolean;
  displayName: string;
  attributes: Record<string, unknown>;
  created: Date;
  lastModified: Date;
}

/** Never kept: read-only (id, meta, groups), the resource's own structure (schemas), or secret (password). */
const NOT_KEPT = new Set(['schemas', 'id', 'meta', 'userName', 'externalId', 'active', 'password', 'groups']);
const MAX_ATTRIBUTES_BYTES = 64 * 1024;
const DISPLAY_NAME_LENGTH = 200;

/**
 * Reads a User resource (POST, PUT, or the result of a PATCH). Entra ID sends booleans as strings
 * ("True", "False"), so those are read as booleans; anything else of the wrong type is 400 invalidValue.
 */
export function readUser(body: unknown): ScimUserInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('The body must be a JSON object (a User resource).', 'invalidSyntax');
  const resource = body as Record<string, unknown>;
  const userName = resource.userName;
  if (typeof userName !== 'string' || userName.trim() === '') throw invalid('"userName" is required and must be a non-empty string.');
  if (userName.length > 320) throw invalid('"userName" is longer than 320 characters.');
  const externalId = resource.externalId ?? null;
  if (externalId !== null && (typeof externalId !== 'string' || externalId.length > 255)) throw invalid('"externalId" must be a string of at most 255 characters.');
  const active = resource.active === undefined ? true : readBoolean(resource.active, 'active');
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) if (!NOT_KEPT.has(key) && value !== null) attributes[key] = value;
  const emails = readEmails(attributes.emails);
  if (emails.length > 0) attributes.emails = emails.map((email) => ({ ...email, ...(email.primary !== undefined ? { primary: readBoolean(email.primary, 'emails.primary') } : {}) }));
  if (attributes.displayName !== undefined && typeof attributes.displayName !== 'string') throw invalid('"displayName" must be a string.');
  if (attributes.name !== undefined && (typeof attributes.name !== 'object' || Array.isArray(attributes.name))) throw invalid('"name" must be an object.');
  if (JSON.stringify(attributes).length > MAX_ATTRIBUTES_BYTES) throw invalid(`The user's attributes take more than ${MAX_ATTRIBUTES_BYTES / 1024} KB.`);
  return {
    userName: userName.trim(),
    externalId: externalId as string | null,
    active,
    displayName: displayNameOf(attributes, userName.trim()),
    emails: [...new Set(emails.map((email) => email.value.trim().toLowerCase()))],
    attributes,
  };
}

/** The User resource as answered (RFC 7643 §4.1), with `meta.location` under `baseUrl`. */
export function userResource(state: ScimUserState, baseUrl: string): Record<string, unknown> {
  const hasEnterprise = Object.hasOwn(state.attributes, ENTERPRISE_USER_SCHEMA);
  return {
    schemas: hasEnterprise ? [USER_SCHEMA, ENTERPRISE_USER_SCHEMA] : [USER_SCHEMA],
    id: state.id,
    ...(state.externalId !== null ? { externalId: state.externalId } : {}),
    userName: state.userName,
    ...state.attributes,
    displayName: typeof state.attributes.displayName === 'string' ? state.attributes.displayName : state.displayName,
    active: state.active,
    meta: {
      resourceType: 'User',
      created: state.created.toISOString(),
      lastModified: state.lastModified.toISOString(),
      location: `${baseUrl}/Users/${state.id}`,
      version: `W/"${state.lastModified.getTime()}"`,
    },
  };
}

/** `true`/`false`, or Entra ID's strings "True"/"False" (any case). */
export function readBoolean(value: unknown, name: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  throw invalid(`"${name}" must be a boolean.`);
}

interface Email {
  value: string;
  primary?: unknown;
  [key: string]: unknown;
}

function readEmails(value: unknown): Email[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 20) throw invalid('"emails" must be an array of at most 20 entries.');
  return value.map((email) => {
    if (typeof email !== 'object' || email === null || typeof (email as Email).value !== 'string' || (email as Email).value.length > 320) {
      throw invalid('Each of "emails" needs a "value" string of at most 320 characters.');
    }
    return email as Email;
  });
}

function displayNameOf(attributes: Record<string, unknown>, userName: string): string {
  const name = (attributes.name ?? {}) as { formatted?: unknown; givenName?: unknown; familyName?: unknown };
  const given = [name.givenName, name.familyName].filter((part): part is string => typeof part === 'string' && part.trim() !== '').join(' ');
  const chosen = [attributes.displayName, name.formatted, given].find((part): part is string => typeof part === 'string' && part.trim() !== '');
  return (chosen ?? userName.split('@')[0]).trim().slice(0, DISPLAY_NAME_LENGTH);
}

function invalid(detail: string, scimType: 'invalidValue' | 'invalidSyntax' = 'invalidValue'): ScimException {
  return new ScimException(400, detail, scimType);
}
