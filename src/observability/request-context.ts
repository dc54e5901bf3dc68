import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
  }
}

/** What every log line and audit event of one request needs to know about it. */
export interface RequestContext {
  requestId: string;
  ip: string;
  userAgent: string;
  /** Who the request acts for, once a guard has admitted it: the audit trail's default actor. */
  actor?: RequestActor;
}

/** A signed-in user (id and email), or a SCIM token (its id and name). */
export interface RequestActor {
  id: string;
  email: string;
}

/** Names who the current request acts for (called by the guards that admit it). */
export function setRequestActor(actor: RequestActor): void {
  const context = storage.getStore();
  if (context) context.actor = actor;
}

const storage = new AsyncLocalStorage<RequestContext>();
const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The current request's context, or undefined outside a request (start-up, background jobs). */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * A request's context. The address and user agent are read from the request only when something
 * asks (an audit event, a login): working out the client address behind trusted proxies costs more
 * than most requests ever need.
 */
class LazyRequestContext implements RequestContext {
  private address?: string;
  private agent?: string;
  actor?: RequestActor;

  constructor(
    readonly requestId: string,
    private readonly req: Request,
  ) {
    // The peer address is read now, while the connection is surely open: Node keeps it once read,
    // so the client address can still be worked out after the answer has gone.
    void req.socket?.remoteAddress;
  }

  get ip(): string {
    return (this.address ??= this.req.ip ?? '');
  }

  get userAgent(): string {
    return (this.agent ??= (this.req.headers['user-agent'] ?? '').slice(0, 512));
  }
}

/**
 * Gives every request an id (the caller's X-Request-Id when it is sane), echoes it back, and runs
 * the rest of the request inside an async context, so nothing has to pass the id by hand.
 */
export function requestContext(req: Request, res: Response, next: NextFunction): void {
  const given = req.headers['x-request-id'];
  req.id = typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', req.id);
  storage.run(new LazyRequestContext(req.id, req), next);
}
