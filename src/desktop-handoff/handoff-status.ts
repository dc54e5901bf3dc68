import { HttpStatus } from '@nestjs/common';
import { DomainException } from '../common/domain.exception.js';
import type { User } from '../users/user.entity.js';
import type { HandoffDeniedReason, HandoffStatus, HandoffTicket } from './handoff-ticket.entity.js';
import { STUDIOS } from './studio-clients.js';

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
export function effectiveStatus(ticket: Pick<HandoffTicket, 'status' | 'expiresAt'>, now = Date.now()): HandoffStatus {
  const open = ticket.status === 'pending' || ticket.status === 'authenticated';
  return open && ticket.expiresAt.getTime() <= now ? 'expired' : ticket.status;
}

/** Readable refusals for the browser page: expired, used, cancelled, or someone else's. */
export function refuseInBrowser(ticket: Omit<HandoffTicket, 'user'>, user: User): void {
  const { title } = STUDIOS[ticket.client];
  const again = { detail: `Go back to ${title} and connect to the environment again.` };
  switch (effectiveStatus(ticket)) {
    case 'expired':
      throw new DomainException('handoff_expired', HttpStatus.GONE, `This sign-in to ${title} has expired.`, { title: 'This sign-in has expired', ...again });
    case 'redeemed':
      throw new DomainException('handoff_used', HttpStatus.GONE, `This sign-in to ${title} was already completed.`, { title: 'This sign-in was already used', ...again });
    case 'denied':
      throw new DomainException('handoff_denied', HttpStatus.GONE, `This sign-in to ${title} was refused: ${DENIAL_MESSAGES[ticket.deniedReason ?? 'cancelled']}`, {
        title: ticket.deniedReason && ticket.deniedReason !== 'cancelled' ? 'This sign-in was refused' : 'This sign-in was cancelled',
        ...again,
      });
  }
  if (ticket.userId && ticket.userId !== user.id) {
    throw new DomainException('handoff_other_user', HttpStatus.FORBIDDEN, `This sign-in to ${title} is already in progress for another account.`, {
      title: 'This sign-in belongs to another account',
      detail: `Sign in with the account that started it, or start again from ${title}.`,
    });
  }
}

/** A browser action that found the ticket changed: the precise refusal, else a plain "reload". */
export function changedMeanwhile(ticket: Omit<HandoffTicket, 'user'>, user: User): DomainException {
  refuseInBrowser(ticket, user);
  return new DomainException('handoff_changed', HttpStatus.CONFLICT, 'This sign-in changed meanwhile. Reload the page.', { title: 'Please reload' });
}
