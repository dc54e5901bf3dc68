import type { NextFunction, Request, Response } from 'express';

/** Headers every answer carries; Referrer-Policy keeps one-time codes in URLs from leaking onwards. */
export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  next();
}
