import { describe, expect, it } from 'vitest';
import { needsTrustEmail } from './trust-email-notice.js';
import { checkMatchClaim, confirmsPendingLink, decideLink, inDomains, type IdentityKey, type LinkingSettings, type PendingLink } from './identity-linking.js';

const EMAIL: LinkingSettings = { matchClaim: 'email', trustEmail: false, emailDomains: [] };
const TRUSTED: LinkingSettings = { ...EMAIL, trustEmail: true };
const CORP_ONLY: LinkingSettings = { ...EMAIL, emailDomains: ['corp.example'] };
const UPN: LinkingSettings = { matchClaim: 'preferred_username', trustEmail: true, emailDomains: [] };

describe('checkMatchClaim', () => {
  it.each<[string, LinkingSettings, Record<string, unknown>, ReturnType<typeof checkMatchClaim>]>([
    ['a verified email', EMAIL, { email: 'a@corp.example', email_verified: true }, { ok: true, value: 'a@corp.example' }],
    ['a verified email sent as a string (some providers)', EMAIL, { email: 'a@corp.example', email_verified: 'true' }, { ok: true, value: 'a@corp.example' }],
    ['an email without email_verified', EMAIL, { email: 'a@corp.example' }, { ok: false, reason: 'email_unverified' }],
    ['an email said to be unverified', EMAIL, { email: 'a@corp.example', email_verified: false }, { ok: false, reason: 'email_unverified' }],
    ['trustEmail without email_verified (Entra ID)', TRUSTED, { email: 'a@corp.example' }, { ok: true, value: 'a@corp.example' }],
    ['trustEmail cannot overrule email_verified false', TRUSTED, { email: 'a@corp.example', email_verified: false }, { ok: false, reason: 'email_unverified' }],
    ['trustEmail cannot overrule email_verified "false"', TRUSTED, { email: 'a@corp.example', email_verified: 'false' }, { ok: false, reason: 'email_unverified' }],
    ['no match claim at all', TRUSTED, { sub: 'x' }, { ok: false, reason: 'not_registered' }],
    ['an empty match claim', TRUSTED, { email: '  ' }, { ok: false, reason: 'not_registered' }],
    ['a match claim that is not a string', TRUSTED, { email: ['a@corp.example'] }, { ok: false, reason: 'not_registered' }],
    ['a domain in the list', CORP_ONLY, { email: 'a@CORP.example', email_verified: true }, { ok: true, value: 'a@CORP.example' }],
    ['a domain outside the list', CORP_ONLY, { email: 'a@partner.example', email_verified: true }, { ok: false, reason: 'domain_not_allowed' }],
    ['a subdomain is another domain', CORP_ONLY, { email: 'a@evil.corp.example', email_verified: true }, { ok: false, reason: 'domain_not_allowed' }],
    ['the domain after the last @', CORP_ONLY, { email: '"x@corp.example"@evil.example', email_verified: true }, { ok: false, reason: 'domain_not_allowed' }],
    ['unverified is told before the domain', CORP_ONLY, { email: 'a@partner.example' }, { ok: false, reason: 'email_unverified' }],
    ['preferred_username needs trustEmail', { ...UPN, trustEmail: false }, { preferred_username: 'a@corp.example', email_verified: true }, { ok: false, reason: 'email_unverified' }],
    ['preferred_username with trustEmail', UPN, { preferred_username: 'a@corp.example' }, { ok: true, value: 'a@corp.example' }],
  ])('%s', (_case, settings, claims, expected) => {
    expect(checkMatchClaim(settings, claims)).toEqual(expected);
  });
});

describe('inDomains', () => {
  it.each<[string, string[], boolean]>([
    ['a@corp.example', [], true],
    ['a@corp.example', ['corp.example'], true],
    ['a@Corp.Example', ['corp.example'], true],
    ['a@corp.example', ['other.example', 'CORP.example'], true],
    ['corp.example', ['corp.example'], false],
    ['a@corp.example.evil', ['corp.example'], false],
  ])('%s in %j is %s', (value, domains, expected) => {
    expect(inDomains(value, domains)).toBe(expected);
  });
});

describe('decideLink', () => {
  const login: IdentityKey = { providerId: 'partner', issuer: 'https://partner.example', subject: 's-1' };
  it.each<[string, IdentityKey[], ReturnType<typeof decideLink>]>([
    ['a user with no identity yet', [], { kind: 'link' }],
    ['a user linked through another provider', [{ providerId: 'default', issuer: 'https://corp.example', subject: 'c-1' }], { kind: 'confirm', throughProviderIds: ['default'] }],
    [
      'a user linked through two other providers',
      [
        { providerId: 'default', issuer: 'https://corp.example', subject: 'c-1' },
        { providerId: 'okta', issuer: 'https://okta.example', subject: 'o-1' },
      ],
      { kind: 'confirm', throughProviderIds: ['default', 'okta'] },
    ],
    ['another subject at the same provider', [{ providerId: 'partner', issuer: 'https://partner.example', subject: 's-2' }], { kind: 'refuse', reason: 'subject_conflict' }],
    [
      'another subject at the same provider wins over a confirmation',
      [
        { providerId: 'default', issuer: 'https://corp.example', subject: 'c-1' },
        { providerId: 'partner', issuer: 'https://partner.example', subject: 's-2' },
      ],
      { kind: 'refuse', reason: 'subject_conflict' },
    ],
    ['the same provider under an earlier issuer', [{ providerId: 'partner', issuer: 'https://old.partner.example', subject: 's-0' }], { kind: 'link' }],
  ])('%s', (_case, linked, expected) => {
    expect(decideLink(login, linked)).toEqual(expected);
  });
});

describe('confirmsPendingLink', () => {
  const now = 1_800_000_000_000;
  const TTL = 15 * 60_000;
  const pending: PendingLink = { userId: 'u-1', providerId: 'partner', issuer: 'https://partner.example', subject: 's-1', throughProviderId: 'default', createdAt: now - 60_000 };
  it.each<[string, { userId: string; providerId: string; authTime?: unknown }, number, boolean]>([
    ['the same user through the named provider', { userId: 'u-1', providerId: 'default' }, now, true],
    ['with a fresh auth_time', { userId: 'u-1', providerId: 'default', authTime: Math.floor(now / 1000) }, now, true],
    ['another user', { userId: 'u-2', providerId: 'default' }, now, false],
    ['the same user through another provider', { userId: 'u-1', providerId: 'okta' }, now, false],
    ['the same user through the provider being linked', { userId: 'u-1', providerId: 'partner' }, now, false],
    ['after the link expired', { userId: 'u-1', providerId: 'default' }, now + TTL, false],
    ['a provider session older than the offer', { userId: 'u-1', providerId: 'default', authTime: Math.floor((now - 3_600_000) / 1000) }, now, false],
  ])('%s', (_case, login, at, expected) => {
    expect(confirmsPendingLink(pending, login, at, TTL)).toBe(expected);
  });
});

describe('needsTrustEmail', () => {
  const access = { trustEmail: false, roleSource: 'platform', roleRules: [], provisioning: 'preregistered' } as const;
  it.each<[string, { issuer: string; matchClaim: 'email' | 'preferred_username'; trustEmail: boolean }, boolean]>([
    ['Entra ID matching on email', { issuer: 'https://login.microsoftonline.com/tenant/v2.0', matchClaim: 'email', trustEmail: false }, true],
    ['Entra ID with trustEmail', { issuer: 'https://login.microsoftonline.com/tenant/v2.0', matchClaim: 'email', trustEmail: true }, false],
    ['any provider matching on preferred_username', { issuer: 'https://idp.example', matchClaim: 'preferred_username', trustEmail: false }, true],
    ['Keycloak matching on email', { issuer: 'https://kc.example/realms/corp', matchClaim: 'email', trustEmail: false }, false],
  ])('%s: %s', (_case, provider, expected) => {
    expect(needsTrustEmail({ issuer: provider.issuer, matchClaim: provider.matchClaim, access: { ...access, roleRules: [], trustEmail: provider.trustEmail } })).toBe(expected);
  });
});
