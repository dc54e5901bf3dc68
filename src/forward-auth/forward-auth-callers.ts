import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { DesktopTokenVerifier } from '../auth/guards/desktop-token.guard.js';
import { SessionService } from '../auth/session/session.service.js';
import type { User } from '../users/user.entity.js';
import type { ForwardAuthCaller } from './forward-auth.service.js';

/**
 * Who is behind a request the proxy forwards: a browser's console session, or a program's desktop or
 * device access token (`Authorization: Bearer`), which then decides alone, as on the desktop API.
 * Both are checked through the caches every revocation clears on every instance.
 */
@Injectable()
export class ForwardAuthCallers {
  constructor(
    private readonly sessions: SessionService,
    private readonly tokens: DesktopTokenVerifier,
  ) {}

  /** The caller when memory alone knows it (session or token used in the last few seconds); undefined otherwise. */
  cached(req: Request, token: string | undefined): ForwardAuthCaller | undefined {
    if (token !== undefined) {
      const user = this.tokens.verifyCached(token);
      return user && this.byToken(token, user);
    }
    const user = this.sessions.cachedCurrentUser(req);
    return user && bySession(req, user);
  }

  /** The caller, asking the database where memory does not know; undefined without a live session or token. */
  async find(req: Request, token: string | undefined): Promise<ForwardAuthCaller | undefined> {
    if (token !== undefined) {
      const user = await this.tokens.verify(token);
      return user && this.byToken(token, user);
    }
    const user = await this.sessions.currentUser(req);
    return user && bySession(req, user);
  }

  private byToken(token: string, user: User): ForwardAuthCaller {
    return { user, via: 'desktop-token', subject: { kind: 't', key: this.tokens.revocationKey(token), userId: user.id } };
  }
}

function bySession(req: Request, user: User): ForwardAuthCaller {
  const key = req.session.key;
  return { user, via: 'session', subject: key === undefined ? undefined : { kind: 's', key, userId: user.id } };
}
