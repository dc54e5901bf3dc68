import { randomFillSync } from 'node:crypto';
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

/** Bytes of randomness per nonce, and how many nonces one refill of the pool serves. */
const NONCE_BYTES = 16;
const NONCES_PER_REFILL = 256;
const noncePool = Buffer.alloc(NONCE_BYTES * NONCES_PER_REFILL);
let nonceOffset = noncePool.length;

/**
 * A fresh 128-bit nonce from the CSPRNG. The bytes are drawn 4 KiB at a time (one call into the
 * system's generator instead of one per page) and each slice is used once, so no two answers share one.
 */
export function cspNonce(): string {
  if (nonceOffset === noncePool.length) {
    randomFillSync(noncePool);
    nonceOffset = 0;
  }
  const nonce = noncePool.toString('base64', nonceOffset, nonceOffset + NONCE_BYTES);
  nonceOffset += NONCE_BYTES;
  return nonce;
}

/**
 * The fixed headers helmet would set with these options, computed once by running it against a
 * recording response: helmet stays the source of the header values, and a request pays one loop of
 * setHeader instead of helmet's chain of a dozen middlewares.
 */
function fixedHelmetHeaders(https: boolean): Array<[string, string]> {
  const middleware = helmet({
    contentSecurityPolicy: false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    strictTransportSecurity: https ? { maxAge: 180 * 24 * 3600, includeSubDomains: false } : false,
  });
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader: (name: string, value: string) => void headers.push([name, String(value)]),
    // helmet removes X-Powered-By, which the app never sends (disabled at start-up).
    removeHeader: () => undefined,
  };
  let called = false;
  middleware({} as Request, recorder as unknown as Response, (error?: unknown) => {
    if (error) throw error;
    called = true;
  });
  if (!called) throw new Error('helmet did not answer synchronously: its fixed headers cannot be computed once');
  return headers;
}

/**
 * Headers every answer carries. Built once at start-up: per request it costs a loop of fixed
 * headers plus, for browser pages only, one 16-byte nonce.
 * - Referrer-Policy no-referrer keeps one-time codes in URLs from leaking onwards.
 * - Cache-Control no-store: pages and API answers name people or carry tokens.
 * - HSTS only when the public URL is https (a plain-http development setup must stay reachable).
 */
export function securityHeaders(options: { https: boolean; formTargets?: string[] }): (req: Request, res: Response, next: NextFunction) => void {
  const fixed = fixedHelmetHeaders(options.https);
  // The page policy around its nonce, so each page pays one concatenation.
  const pageCspTail = pageCsp('', options.formTargets ?? []).slice(PAGE_CSP_HEAD.length);
  return (req, res, next) => {
    for (const [name, value] of fixed) res.setHeader(name, value);
    const path = req.path;
    if (path.startsWith(DOCS_PREFIX)) {
      res.setHeader('Content-Security-Policy', DOCS_CSP);
    } else if (path.startsWith('/api/')) {
      res.setHeader('Content-Security-Policy', API_CSP);
      res.setHeader('Cache-Control', 'no-store');
    } else {
      const nonce = cspNonce();
      res.locals.cspNonce = nonce;
      res.setHeader('Content-Security-Policy', PAGE_CSP_HEAD + nonce + pageCspTail);
      res.setHeader('Cache-Control', 'no-store');
    }
    next();
  };
}
