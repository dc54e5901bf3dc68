import { SCIM_BODY_SIZE_BYTES } from '../common/body-limits.js';
import { GROUP_SCHEMA } from './scim-group-resource.js';
import { MAX_PATCH_OPERATIONS } from './scim-patch.js';
import { MAX_COUNT } from './scim-request.js';
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from './scim-user-resource.js';

const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/** RFC 7643 §5: what this service supports, as a directory reads it before its first sync. */
export function serviceProviderConfig(baseUrl: string): Record<string, unknown> {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_COUNT },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [{ type: 'oauthbearertoken', name: 'SCIM token', description: 'A SCIM token from LifeTime › Authentication › the provider › Provisioning (SCIM), as Authorization: Bearer', primary: true }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
    // Not in the schema, but what a client may want to know: the bounds of one request.
    'urn:frontdoor:limits': { maxPayloadSize: SCIM_BODY_SIZE_BYTES, maxPatchOperations: MAX_PATCH_OPERATIONS },
  };
}

export function resourceTypes(baseUrl: string): Record<string, unknown>[] {
  return [
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'A platform user provisioned by the directory',
      schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
    },
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'A directory group; its members feed the provider\'s role rules on "groups"',
      schema: GROUP_SCHEMA,
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` },
    },
  ];
}

type Attribute = Record<string, unknown>;

function attribute(name: string, fields: Partial<Attribute> = {}): Attribute {
  return { name, type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...fields };
}

export function schemas(baseUrl: string): Record<string, unknown>[] {
  const user = {
    id: USER_SCHEMA,
    name: 'User',
    description: 'User account',
    attributes: [
      attribute('userName', { required: true, uniqueness: 'server', description: 'The value the provider\'s match claim carries (usually the email)' }),
      attribute('externalId', { caseExact: true }),
      attribute('name', {
        type: 'complex',
        subAttributes: ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map((sub) => attribute(sub)),
      }),
      attribute('displayName'),
      attribute('title'),
      attribute('preferredLanguage'),
      attribute('locale'),
      attribute('active', { type: 'boolean' }),
      attribute('emails', { type: 'complex', multiValued: true, subAttributes: [attribute('value'), attribute('type'), attribute('primary', { type: 'boolean' })] }),
      attribute('groups', { type: 'complex', multiValued: true, mutability: 'readOnly', subAttributes: [attribute('value'), attribute('display')] }),
    ],
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${USER_SCHEMA}` },
  };
  const group = {
    id: GROUP_SCHEMA,
    name: 'Group',
    description: 'Group',
    attributes: [
      attribute('displayName', { required: true, uniqueness: 'server' }),
      attribute('externalId', { caseExact: true }),
      attribute('members', { type: 'complex', multiValued: true, subAttributes: [attribute('value', { mutability: 'immutable' }), attribute('display', { mutability: 'readOnly' }), attribute('type', { mutability: 'immutable' })] }),
    ],
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${GROUP_SCHEMA}` },
  };
  const enterprise = {
    id: ENTERPRISE_USER_SCHEMA,
    name: 'EnterpriseUser',
    description: 'Enterprise user (kept as sent)',
    attributes: ['employeeNumber', 'costCenter', 'organization', 'division', 'department'].map((name) => attribute(name)),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${ENTERPRISE_USER_SCHEMA}` },
  };
  return [user, group, enterprise].map((schema) => ({ schemas: [SCHEMA_SCHEMA], ...schema }));
}
