import type { HandoffDeniedReason, HandoffStatus, HandoffTicket } from './handoff-ticket.entity.js';

/** A browser path that shows a handoff page: where a refused login was going. */
export const HANDOFF_PAGE = /^\/desktop\/handoff\/([0-9a-f-]{36})(?:[/?#]|$)/i;

/** What the Studio says when the browser side refused (never names the account: the status is public). */
export const DENIAL_MESSAGES: Record<HandoffDeniedReason, string> = {
  cancelled: 'The login was cancelled in the browser.',
  not_registered: 'The account used in the browser is not registered in this environment.',
  login_refused: 'The identity provider did not sign the account in.',
  too_many_attempts: 'Too many wrong codes were tried for this login, so it was refused.',
};

export const GRANT_REFUSALS: Record<Exclude<HandoffStatus, 'authenticated'>, string> = {
  pending: 'The login has not been completed in the browser yet',
  redeemed: 'This handoff was already redeemed',
  expired: 'This handoff has expired',
  denied: 'This handoff was cancelled in the browser',
};

/** Open tickets past their expiry read as `expired` without a write. */
export function effectiveStatus(ticket: HandoffTicket, now = Date.now()): HandoffStatus {
  const open = ticket.status === 'pending' || ticket.status === 'authenticated';
  return open && ticket.expiresAt.getTime() <= now ? 'expired' : ticket.status;
}
