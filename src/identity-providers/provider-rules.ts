import { HttpStatus } from '@nestjs/common';
import { DomainException } from '../common/domain.exception.js';
import { checkProviderAccess, type ProviderAccess } from '../access/provider-access.js';
import type { MatchClaim } from './identity-provider.entity.js';
import { CLIENT_AUTH_METHODS, clientSecretProblem, isClientAuthMethod, type ClientAuthMethod } from './client-auth.js';

export const PROVIDER_ID_PATTERN = /^[a-z0-9-]{1,40}$/;
const DOMAIN_PATTERN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const MATCH_CLAIMS: MatchClaim[] = ['email', 'preferred_username'];

export interface ProviderFields {
  displayName: string;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  clientAuth: ClientAuthMethod;
  scopes: string[];
  matchClaim: MatchClaim;
  emailDomains: string[];
  enabled: boolean;
  /** Who the provider lets in and with which roles; defaults when left out. */
  trustEmail?: boolean;
  roleSource?: ProviderAccess['roleSource'];
  roleRules?: ProviderAccess['roleRules'];
  provisioning?: ProviderAccess['provisioning'];
}

export type CheckedProviderFields = ProviderFields & ProviderAccess;

/**
 * The rules of a provider's fields, in the service so every caller (API, pages, CLI) gets them;
 * the API's DTOs check shapes first for a precise 400. Returns the normalised fields.
 */
export function checkProviderFields(fields: ProviderFields): CheckedProviderFields {
  const problems: string[] = [];
  const displayName = fields.displayName?.trim() ?? '';
  if (!displayName || displayName.length > 200) problems.push('displayName must be 1 to 200 characters');
  if (!isHttpUrl(fields.issuer)) problems.push('issuer must be an http(s) URL, exactly as the provider names itself');
  const clientId = fields.clientId?.trim() ?? '';
  if (!clientId || clientId.length > 512) problems.push('clientId must be 1 to 512 characters');
  if (fields.clientSecret !== undefined && (fields.clientSecret.length === 0 || fields.clientSecret.length > 4096)) problems.push('clientSecret must be 1 to 4096 characters');
  if (!isClientAuthMethod(fields.clientAuth)) problems.push(`clientAuth must be one of ${CLIENT_AUTH_METHODS.join(', ')}`);
  const scopes = [...new Set(fields.scopes ?? [])];
  if (!scopes.includes('openid')) problems.push('scopes must include openid');
  if (scopes.some((scope) => !SCOPE_PATTERN.test(scope))) problems.push('scopes must be scope tokens without spaces or quotes');
  if (!MATCH_CLAIMS.includes(fields.matchClaim)) problems.push('matchClaim must be email or preferred_username');
  const { emailDomains, badDomains } = checkEmailDomains(fields.emailDomains ?? []);
  if (badDomains.length > 0) problems.push(`emailDomains must be domain names like example.com (not ${badDomains.join(', ')})`);
  const { access, problems: accessProblems } = checkProviderAccess(fields);
  problems.push(...accessProblems);
  if (problems.length > 0) throw invalid(problems);
  return { ...fields, displayName, clientId, scopes, emailDomains, ...access };
}

/** Domains lower-cased, without a leading `@`, each once; and those that are not domain names. */
export function checkEmailDomains(domains: readonly string[]): { emailDomains: string[]; badDomains: string[] } {
  const emailDomains = [...new Set(domains.map((domain) => domain.trim().toLowerCase().replace(/^@/, '')))];
  return { emailDomains, badDomains: emailDomains.filter((domain) => !DOMAIN_PATTERN.test(domain)) };
}

/**
 * The client secret a provider's method needs: one (given now or already stored) for
 * client_secret_post and client_secret_basic, none for private_key_jwt.
 */
export function checkClientSecret(clientAuth: ClientAuthMethod, secret: { given: boolean; stored: boolean }): void {
  const problem = clientSecretProblem(clientAuth, secret);
  if (problem) throw invalid([problem]);
}

export function checkProviderId(id: unknown): string {
  if (typeof id !== 'string' || !PROVIDER_ID_PATTERN.test(id)) {
    throw invalid(['id must be 1 to 40 lowercase letters, digits or hyphens (a slug such as "acme-entra")']);
  }
  return id;
}

function invalid(problems: string[]): DomainException {
  return new DomainException('invalid_provider', HttpStatus.BAD_REQUEST, `Invalid identity provider: ${problems.join('; ')}.`);
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && !url.hash;
  } catch {
    return false;
  }
}
