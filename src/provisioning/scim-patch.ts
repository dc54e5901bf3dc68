import { patchBodyValidation, ScimError, scimPatch, type ScimPatchOperation } from 'scim-patch';
import { ScimException, type ScimType } from './scim-error.js';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
/** More operations than any directory sends in one request (Entra ID batches members by the few hundred). */
export const MAX_PATCH_OPERATIONS = 1_000;
/** Names that would reach Object.prototype through the patch library's path walking. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The resource after a PATCH body's operations (RFC 7644 §3.5.2), all applied in order to a copy,
 * or a ScimException and the resource untouched. The operations themselves are scim-patch's, which
 * reads Entra ID's `"op": "Replace"`, path-less replaces with an object value (dotted and
 * extension-URN keys included) and `members[value eq "…"]` removals; what this adds is the checks
 * around it: the body's shape, a bound on the operations, and no path or key that reaches an
 * object's prototype.
 */
export function applyPatch<T extends object>(resource: T, body: unknown): T {
  const operations = readOperations(body);
  try {
    return scimPatch(structuredClone(resource) as never, operations, { mutateDocument: true, treatMissingAsAdd: true }) as T;
  } catch (error) {
    throw asScimException(error);
  }
}

function readOperations(body: unknown): ScimPatchOperation[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ScimException(400, 'The PATCH body must be a JSON object.', 'invalidSyntax');
  const { schemas, Operations } = body as { schemas?: unknown; Operations?: unknown };
  if (!Array.isArray(schemas) || !schemas.includes(PATCH_OP_SCHEMA)) throw new ScimException(400, `The PATCH body's schemas must include ${PATCH_OP_SCHEMA}.`, 'invalidSyntax');
  if (!Array.isArray(Operations) || Operations.length === 0) throw new ScimException(400, 'The PATCH body needs a non-empty "Operations" array.', 'invalidSyntax');
  if (Operations.length > MAX_PATCH_OPERATIONS) throw new ScimException(400, `A PATCH may hold at most ${MAX_PATCH_OPERATIONS} operations.`, 'tooMany');
  for (const operation of Operations) {
    if (typeof operation !== 'object' || operation === null) throw new ScimException(400, 'Each operation must be an object.', 'invalidSyntax');
    const { op, path, value } = operation as { op?: unknown; path?: unknown; value?: unknown };
    if (typeof op !== 'string' || !['add', 'remove', 'replace'].includes(op.toLowerCase())) {
      throw new ScimException(400, `Unknown PATCH operation ${JSON.stringify(op)}: use add, remove or replace.`, 'invalidSyntax');
    }
    if (path !== undefined && typeof path !== 'string') throw new ScimException(400, 'An operation\'s "path" must be a string.', 'invalidPath');
    if (typeof path === 'string' && path.split(/[.[\]\s:"]+/).some((part) => UNSAFE_KEYS.has(part))) throw new ScimException(400, `The path "${path}" is not an attribute.`, 'invalidPath');
    if (hasUnsafeKey(value)) throw new ScimException(400, 'The operation\'s value names a key that is not an attribute.', 'invalidValue');
  }
  try {
    patchBodyValidation(body as never);
  } catch (error) {
    throw asScimException(error);
  }
  return Operations as ScimPatchOperation[];
}

function hasUnsafeKey(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null || depth > 8) return false;
  if (Array.isArray(value)) return value.some((item) => hasUnsafeKey(item, depth + 1));
  return Object.keys(value).some((key) => key.split('.').some((part) => UNSAFE_KEYS.has(part)) || hasUnsafeKey((value as Record<string, unknown>)[key], depth + 1));
}

function asScimException(error: unknown): ScimException {
  if (error instanceof ScimException) return error;
  if (error instanceof ScimError) return new ScimException(400, error.message, (error.scimCode as ScimType | undefined) ?? 'invalidSyntax');
  // The library throws plain errors for some paths it cannot walk (a sub-attribute of a string, say).
  return new ScimException(400, `The operation cannot be applied: ${error instanceof Error ? error.message : String(error)}`, 'invalidPath');
}
