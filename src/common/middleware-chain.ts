import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * `handlers` one after the other as a single middleware: what separate `app.use` calls would do,
 * without a router layer (and its path match) for each. An error skips the rest, as in Express.
 */
export function chain(...handlers: RequestHandler[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    let index = 0;
    const step = (error?: unknown): void => {
      if (error) return next(error);
      const handler = handlers[index++];
      if (!handler) return next();
      void handler(req, res, step);
    };
    step();
  };
}
