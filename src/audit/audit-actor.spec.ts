import { describe, expect, it } from 'vitest';
import { actorOf } from './audit.service.js';

const ADMIN = { id: 'a0000000-0000-4000-8000-000000000001', email: 'admin@example.com' };
const USER = { userId: 'u0000000-0000-4000-8000-000000000002', email: 'dev@example.com' };

describe('actorOf', () => {
  it.each([
    ['an explicit actor with its email', { type: 'admin.user.updated', actorId: ADMIN.id, actorEmail: ADMIN.email, ...USER }, undefined, { id: ADMIN.id, email: ADMIN.email }],
    ['an explicit actor whose email the request knows', { type: 'admin.user.updated', actorId: ADMIN.id, ...USER }, ADMIN, { id: ADMIN.id, email: ADMIN.email }],
    ['an explicit actor the request does not know', { type: 'admin.provider.updated', actorId: ADMIN.id }, undefined, { id: ADMIN.id, email: undefined }],
    ['the request\'s actor (an admin session)', { type: 'admin.session.revoked', ...USER }, ADMIN, ADMIN],
    ['the request\'s actor (a SCIM token)', { type: 'scim.user.created', ...USER }, { id: 't-1', email: 'Entra ID provisioning' }, { id: 't-1', email: 'Entra ID provisioning' }],
    ['the user, for their own sign-in', { type: 'login.succeeded', ...USER }, undefined, { id: USER.userId, email: USER.email }],
    ['nobody, for a provider\'s back-channel logout', { type: 'logout.backchannel', ...USER }, undefined, {}],
    ['nobody, for a refusal that names no user', { type: 'login.refused', email: 'someone@example.com' }, undefined, { id: undefined, email: undefined }],
  ] as const)('%s', (_, event, requestActor, expected) => {
    expect(actorOf(event, requestActor)).toEqual(expected);
  });
});
