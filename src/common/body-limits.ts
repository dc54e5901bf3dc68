import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler } from 'express';

/** Bodies are small here (a handoff, a user, a form); anything larger is refused with 413. */
export const BODY_SIZE_LIMIT = '100kb';
/**
 * SCIM bodies may be larger: a directory pushes a whole group, members and all, in one PUT or
 * PATCH (about 60 bytes a member, so some 15,000 members). Announced in ServiceProviderConfig.
 */
export const SCIM_BODY_SIZE_LIMIT = '1mb';
export const SCIM_BODY_SIZE_BYTES = 1024 * 1024;
const SCIM_PATH = '/scim/v2/';
/** JSON bodies: `application/json` and SCIM's `application/scim+json` (RFC 7644 §3.1). */
const JSON_TYPES = ['application/json', 'application/scim+json'];

/** Deeper nesting than any request of this API needs; past it the body is refused before parsing. */
export const MAX_JSON_DEPTH = 32;

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The nesting depth of a JSON text, in one pass over its bytes without parsing it, so a body of
 * thousands of `[` costs microseconds instead of a deep recursion in the parser and validators.
 * Brackets inside strings do not count.
 */
export function jsonDepth(body: Buffer, stopAbove = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > stopAbove) return deepest;
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
      depth--;
    }
  }
  return deepest;
}

/** body-parser's `verify` hook (it runs before JSON.parse): refuses a body nested too deeply with 400. */
export function refuseDeepJson(_req: IncomingMessage, _res: unknown, body: Buffer): void {
  if (jsonDepth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw Object.assign(new Error(`The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep.`), {
      status: 400,
      expose: true,
      type: 'entity.too.deep',
    });
  }
}

/**
 * The JSON and form parsers as one middleware. A request without a body (every GET) passes with one
 * header check instead of going through both parsers' bookkeeping; a request with one goes through
 * the JSON parser, then the form parser, exactly as two separate middlewares would.
 */
export function bodyParsers(): RequestHandler {
  const json = express.json({ type: JSON_TYPES, limit: BODY_SIZE_LIMIT, verify: refuseDeepJson });
  const scimJson = express.json({ type: JSON_TYPES, limit: SCIM_BODY_SIZE_LIMIT, verify: refuseDeepJson });
  const form = express.urlencoded({ limit: BODY_SIZE_LIMIT, extended: true });
  return (req, res, next) => {
    // type-is's hasBody, as the parsers themselves decide it.
    if (req.headers['transfer-encoding'] === undefined && Number.isNaN(Number(req.headers['content-length'] ?? NaN))) {
      if (!('body' in req)) (req as { body?: unknown }).body = undefined;
      return next();
    }
    (req.url.startsWith(SCIM_PATH) ? scimJson : json)(req, res, (error?: unknown) => (error ? next(error) : form(req, res, next)));
  };
}
