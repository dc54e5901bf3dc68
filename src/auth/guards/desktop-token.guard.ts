import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { DomainException } from '../../common/domain.exception.js';
import type { User } from '../../users/user.entity.js';
import { setRequestActor } from '../../observability/request-context.js';
import { bearerToken } from './bearer-token.js';

/**
 * How desktop bearer tokens are checked and ended. The module that issues them provides it, so the
 * auth module keeps knowing nothing about Studios.
 */
export abstract class DesktopTokenVerifier {
  /** The active user behind a valid, unexpired desktop token; undefined otherwise. */
  abstract verify(token: string): Promise<User | undefined>;
  /** `verify`'s answer when it needs nothing but memory; undefined whenever it would do more. */
  abstract verifyCached(token: string): User | undefined;
  /** The key a token's revocation is announced under (RevocationListener kind `t`), for caches of what it decided. */
  abstract revocationKey(token: string): string;
  /** Ends every desktop token (and refresh family) of a user, e.g. on a back-channel logout. */
  abstract revokeAllForUser(userId: string): Promise<number>;
}

/** Routes marked `@DesktopApi()`: a desktop token only; no session, no admin API token. */
@Injectable()
export class DesktopTokenGuard implements CanActivate {
  constructor(private readonly verifier: DesktopTokenVerifier) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const token = bearerToken(req);
    if (!token) throw new DomainException('unauthenticated', HttpStatus.UNAUTHORIZED, 'Send the desktop token in the Authorization header (Bearer)');
    // A token used in the last few seconds is decided without waiting for anything.
    const known = this.verifier.verifyCached(token);
    if (known) return this.admit(req, known);
    return this.verifier.verify(token).then((user) => this.admit(req, user));
  }

  private admit(req: Request, user: User | undefined): boolean {
    if (!user) throw new DomainException('invalid_token', HttpStatus.UNAUTHORIZED, 'The desktop token is unknown, expired or revoked');
    req.principal = { user, via: 'desktop-token' };
    setRequestActor({ id: user.id, email: user.email });
    return true;
  }
}
