import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Paths load balancers and orchestrators poll many times a second; they need no request context or page headers. */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/** `handler` for every request except the probes, which go straight to their route. */
export function exceptProbes(handler: RequestHandler): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => (PROBE_PATHS.has(req.path) ? next() : handler(req, res, next));
}
