import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

declare module 'express-serve-static-core' {
  interface Locals {
    /** This response's Content-Security-Policy nonce; only an inline script carrying it runs. */
    cspNonce?: string;
  }
}

/** Swagger UI loads its own scripts and styles from this origin. */
const DOCS_PREFIX = '/api/docs';
/** JSON never runs anything: the strictest policy, computed once. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const PAGE_CSP_HEAD = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; script-src 'nonce-";

/**
 * A page's policy: scripts only with this response's nonce, forms only to this origin and the
 * given targets. Browsers apply form-action to the redirects that answer a form too, so a form
 * whose answer leaves this origin (Log out to the provider's end-session endpoint) needs its
 * target listed.
 */
export function pageCsp(nonce: string, formTargets: string[] = []): string {
  return `${PAGE_CSP_HEAD}${nonce}'; form-action 'self'${formTargets.map((target) => ` ${target}`).join('')}`;
}

/** Widens this response's policy: one more form target, and optionally where scripts may connect. */
export function allowOnPage(res: Response, allow: { formTarget?: string; connectTo?: string }): void {
  let policy = String(res.getHeader('Content-Security-Policy') ?? '');
  if (allow.formTarget) policy = policy.replace("form-action 'self'", `form-action 'self' ${allow.formTarget}`);
  if (allow.connectTo) policy = `${policy}; connect-src ${allow.connectTo}`;
  res.setHeader('Content-Security-Policy', policy);
}

/**
 * Headers every answer carries. Built once at start-up: per request it costs helmet's fixed
 * headers plus, for browser pages only, one 16-byte nonce.
 * - Referrer-Policy no-referrer keeps one-time codes in URLs from leaking onwards.
 * - Cache-Control no-store: pages and API answers name people or carry tokens.
 * - HSTS only when the public URL is https (a plain-http development setup must stay reachable).
 */
export function securityHeaders(options: { https: boolean; formTargets?: string[] }): (req: Request, res: Response, next: NextFunction) => void {
  const formTargets = options.formTargets ?? [];
  const fixed = helmet({
    contentSecurityPolicy: false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    strictTransportSecurity: options.https ? { maxAge: 180 * 24 * 3600, includeSubDomains: false } : false,
  });
  return (req, res, next) => {
    fixed(req, res, (error?: unknown) => {
      if (error) return next(error);
      const path = req.path;
      if (path.startsWith(DOCS_PREFIX)) {
        res.setHeader('Content-Security-Policy', DOCS_CSP);
      } else if (path.startsWith('/api/')) {
        res.setHeader('Content-Security-Policy', API_CSP);
        res.setHeader('Cache-Control', 'no-store');
      } else {
        const nonce = randomBytes(16).toString('base64');
        res.locals.cspNonce = nonce;
        res.setHeader('Content-Security-Policy', pageCsp(nonce, formTargets));
        res.setHeader('Cache-Control', 'no-store');
      }
      next();
    });
  };
}
