import { ScimException } from './scim-error.js';

export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_MEMBERS = 20_000;

export interface ScimGroupInput {
  displayName: string;
  externalId: string | null;
  /** User ids, each once, lower-cased. */
  memberIds: string[];
}

export interface ScimGroupState {
  id: string;
  displayName: string;
  externalId: string | null;
  /** Left out when the request excluded members. */
  members?: { id: string; email?: string }[];
  created: Date;
  lastModified: Date;
}

/** Reads a Group resource (POST, PUT, or the result of a PATCH); `members[].value` are user ids. */
export function readGroup(body: unknown): ScimGroupInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ScimException(400, 'The body must be a JSON object (a Group resource).', 'invalidSyntax');
  const { displayName, externalId = null, members = [] } = body as Record<string, unknown>;
  if (typeof displayName !== 'string' || displayName.trim() === '' || displayName.length > 256) throw invalid('"displayName" is required: a string of 1 to 256 characters.');
  if (externalId !== null && (typeof externalId !== 'string' || externalId.length > 255)) throw invalid('"externalId" must be a string of at most 255 characters.');
  if (!Array.isArray(members) || members.length > MAX_MEMBERS) throw invalid(`"members" must be an array of at most ${MAX_MEMBERS} entries.`);
  const memberIds = members.map((member) => {
    const value = (member as { value?: unknown } | null)?.value;
    if (typeof value !== 'string' || !UUID.test(value)) throw invalid(`Each member's "value" must be the id of a user here; ${JSON.stringify(value ?? null)?.slice(0, 80)} is not.`);
    return value.toLowerCase();
  });
  return { displayName: displayName.trim(), externalId: externalId as string | null, memberIds: [...new Set(memberIds)] };
}

export function groupResource(state: ScimGroupState, baseUrl: string): Record<string, unknown> {
  return {
    schemas: [GROUP_SCHEMA],
    id: state.id,
    ...(state.externalId !== null ? { externalId: state.externalId } : {}),
    displayName: state.displayName,
    ...(state.members ? { members: state.members.map((member) => ({ value: member.id, ...(member.email ? { display: member.email } : {}), type: 'User', $ref: `${baseUrl}/Users/${member.id}` })) } : {}),
    meta: {
      resourceType: 'Group',
      created: state.created.toISOString(),
      lastModified: state.lastModified.toISOString(),
      location: `${baseUrl}/Groups/${state.id}`,
      version: `W/"${state.lastModified.getTime()}"`,
    },
  };
}

function invalid(detail: string): ScimException {
  return new ScimException(400, detail, 'invalidValue');
}
