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
}

const storage = new AsyncLocalStorage<RequestContext>();
const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The current request's context, or undefined outside a request (start-up, background jobs). */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Gives every request an id (the caller's X-Request-Id when it is sane), echoes it back, and runs
 * the rest of the request inside an async context, so nothing has to pass the id by hand.
 */
export function requestContext(req: Request, res: Response, next: NextFunction): void {
  const given = req.header('x-request-id');
  req.id = given && SAFE_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', req.id);
  storage.run({ requestId: req.id, ip: req.ip ?? '', userAgent: (req.header('user-agent') ?? '').slice(0, 512) }, next);
}
