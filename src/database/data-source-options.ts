import type { DataSourceOptions } from 'typeorm';
import { AuditEvent } from '../audit/audit-event.entity.js';
import { ApiToken } from '../auth/api-token.entity.js';
import { LogoutTokenJti } from '../auth/backchannel/logout-token-jti.entity.js';
import { SessionRecord } from '../auth/session/session.entity.js';
import { DesktopRefreshToken } from '../desktop-tokens/desktop-refresh-token.entity.js';
import { DesktopTokenFamily } from '../desktop-tokens/desktop-token-family.entity.js';
import { DesktopToken } from '../desktop-tokens/desktop-token.entity.js';
import { HandoffTicket } from '../desktop-handoff/handoff-ticket.entity.js';
import { DeviceAuthorization } from '../device-authorization/device-authorization.entity.js';
import { SigningKey } from '../signing-keys/signing-key.entity.js';
import { IdentityProviderRecord } from '../identity-providers/identity-provider.entity.js';
import { ProviderTestRecord } from '../identity-providers/provider-test-result.entity.js';
import { ScimGroupMember, ScimGroupRecord } from '../provisioning/scim-group.entity.js';
import { ScimToken } from '../provisioning/scim-token.entity.js';
import { ScimUserRecord } from '../provisioning/scim-user.entity.js';
import { LinkedIdentity } from '../users/linked-identity.entity.js';
import { User } from '../users/user.entity.js';
import { InitialSchema1764230400000 } from './migrations/1764230400000-initial-schema.js';
import { DesktopHandoff1764403200000 } from './migrations/1764403200000-desktop-handoff.js';
import { AuditEvents1764450000000 } from './migrations/1764450000000-audit-events.js';
import { RateLimits1764500000000 } from './migrations/1764500000000-rate-limits.js';
import { HandoffDeniedReason1764500000001 } from './migrations/1764500000001-handoff-denied-reason.js';
import { IdentityProviders1764600000000 } from './migrations/1764600000000-identity-providers.js';
import { SessionsAndRefreshTokens1764700000000 } from './migrations/1764700000000-sessions-and-refresh-tokens.js';
import { DeviceAuthorization1764900000000 } from './migrations/1764900000000-device-authorization.js';
import { AssertionSigningKeys1764900100000 } from './migrations/1764900100000-assertion-signing-keys.js';
import { DeviceAuthorizationProvider1765000000000 } from './migrations/1765000000000-device-authorization-provider.js';
import { BreakGlass1764800000000 } from './migrations/1764800000000-break-glass.js';
import { ProviderTestResults1765100000000 } from './migrations/1765100000000-provider-test-results.js';
import { BreakGlassAttemptWindows1765300000000 } from './migrations/1765300000000-break-glass-attempt-windows.js';
import { RevocationNotify1765000100000 } from './migrations/1765000100000-revocation-notify.js';
import { WhoGetsIn1765400000000 } from './migrations/1765400000000-who-gets-in.js';
import { ClientAuthentication1765600000000 } from './migrations/1765600000000-client-authentication.js';
import { SessionsRevokedAt1765900000000 } from './migrations/1765900000000-sessions-revoked-at.js';
import { ProviderTestFingerprint1765900100000 } from './migrations/1765900100000-provider-test-fingerprint.js';
import { AuditActor1765500000000 } from './migrations/1765500000000-audit-actor.js';
import { ScimProvisioning1765500000001 } from './migrations/1765500000001-scim-provisioning.js';

export const ENTITIES = [
  User,
  LinkedIdentity,
  SessionRecord,
  ApiToken,
  HandoffTicket,
  DesktopToken,
  AuditEvent,
  DesktopTokenFamily,
  DesktopRefreshToken,
  LogoutTokenJti,
  IdentityProviderRecord,
  ProviderTestRecord,
  DeviceAuthorization,
  SigningKey,
  ScimToken,
  ScimUserRecord,
  ScimGroupRecord,
  ScimGroupMember,
];
export const MIGRATIONS = [
  InitialSchema1764230400000,
  DesktopHandoff1764403200000,
  AuditEvents1764450000000,
  RateLimits1764500000000,
  HandoffDeniedReason1764500000001,
  IdentityProviders1764600000000,
  SessionsAndRefreshTokens1764700000000,
  BreakGlass1764800000000,
  DeviceAuthorization1764900000000,
  AssertionSigningKeys1764900100000,
  DeviceAuthorizationProvider1765000000000,
  RevocationNotify1765000100000,
  ProviderTestResults1765100000000,
  BreakGlassAttemptWindows1765300000000,
  WhoGetsIn1765400000000,
  AuditActor1765500000000,
  ScimProvisioning1765500000001,
  ClientAuthentication1765600000000,
  SessionsRevokedAt1765900000000,
  ProviderTestFingerprint1765900100000,
];

/** How long to wait for a connection, and for one statement; a stopped or frozen database then fails fast. */
export interface DatabaseBounds {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

export const DEFAULT_DATABASE_BOUNDS: DatabaseBounds = { connectTimeoutMs: 2_000, statementTimeoutMs: 3_000 };

export function dataSourceOptions(url: string, bounds: DatabaseBounds = DEFAULT_DATABASE_BOUNDS): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    // The schema comes from migrations only, so every instance agrees on it.
    synchronize: false,
    extra: {
      max: 20,
      // Also bounds the wait for a free pool connection, so a frozen database cannot queue requests forever.
      connectionTimeoutMillis: bounds.connectTimeoutMs,
      // Server side: a slow statement is cancelled. Client side: a server that never answers (frozen) is given up on.
      statement_timeout: bounds.statementTimeoutMs,
      query_timeout: bounds.statementTimeoutMs + 1_000,
      idle_in_transaction_session_timeout: bounds.statementTimeoutMs * 2,
      keepAlive: true,
    },
  };
}
