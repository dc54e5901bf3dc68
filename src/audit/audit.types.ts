/** The event types of the audit trail (CONTRACT.md, "Audit"). */
export const AUDIT_EVENT_TYPES = [
  'login.succeeded',
  'login.refused',
  'logout',
  'logout.backchannel',
  'breakglass.login',
  'handoff.created',
  'handoff.authenticated',
  'handoff.redeemed',
  'handoff.denied',
  'handoff.cancelled',
  'token.refreshed',
  'token.reuse_detected',
  'admin.user.created',
  'admin.user.updated',
  'admin.user.deactivated',
  'admin.provider.created',
  'admin.provider.updated',
  'admin.provider.deleted',
  'admin.provider.tested',
  'admin.session.revoked',
  'device.authorized',
  'device.denied',
  'device.redeemed',
  'identity.linked',
  'admin.identity.unlinked',
  'user.provisioned',
  'user.roles_synced',
  'admin.scim_token.created',
  'admin.scim_token.revoked',
  'scim.user.created',
  'scim.user.updated',
  'scim.user.deactivated',
  'scim.user.deleted',
  'scim.group.created',
  'scim.group.updated',
  'scim.group.deleted',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];
export type AuditOutcome = 'success' | 'failure';

/** Ids, names and counts only. */
export type AuditDetails = Record<string, string | number | boolean | null | string[]>;

/**
 * What a caller says about an event. Address, user agent and request id come from the request's
 * async context. `details` holds ids and names only: never a token, code, secret or cookie value.
 */
export interface AuditRecord {
  type: AuditEventType;
  outcome?: AuditOutcome;
  /** A stable code for every refusal, e.g. `unknown_user`, `state_mismatch`, `bad_signature`. */
  reason?: string;
  /**
   * Who did it: an admin, a SCIM token (its id), or the user. Left out, it is whoever the request
   * acts for (see setRequestActor), else the user the event is about.
   */
  actorId?: string;
  /** The actor's email (a SCIM token: its name); left out, it is found the same way as actorId. */
  actorEmail?: string;
  userId?: string;
  email?: string;
  providerId?: string;
  details?: AuditDetails;
}
