import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_JIT_CLIENT } from '../src/dev-idp/dev-idp.js';
import { TestBrowser, findForm, type Page } from './support/browser.js';
import { ADMIN, isDevIdpLogin, STRANGER, signInThroughDevIdp, startTestService, type TestService } from './support/service.js';

const RECIPE_RULES = [
  { claim: 'groups', value: 'platform-admins', role: 'admin' },
  { claim: 'groups', value: 'platform-devs', role: 'developer' },
];

/**
 * The README's recipe on the development provider (its `groups` claim, a second provider `dev-jit`
 * with role rules and just-in-time users), and LifeTime's pages for it: a provider's "Who gets in"
 * with its Preview, a user's identities with Unlink, and roles shown read-only where the provider
 * owns them.
 */
describe('who gets in, on the development provider and in LifeTime', () => {
  let env: TestService;
  let admin: TestBrowser;
  let csrf: string;

  function post(browser: TestBrowser, path: string, fields: Record<string, string>): Promise<Page> {
    return browser.open(`${env.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: env.url }, body: new URLSearchParams(fields) });
  }

  /** Signs in through `dev-jit` as `account`, typing `groups` on the provider's form. */
  async function viaDevJit(account: { email: string; password: string }, groups: string): Promise<Page> {
    const browser = new TestBrowser();
    const form = await browser.open(`${env.url}/auth/login/dev-jit?returnTo=%2Fservicecenter`);
    expect(isDevIdpLogin(form)).toBe(true);
    return browser.submit(form, { email: account.email, password: account.password, groups });
  }

  async function rolesOf(email: string): Promise<string[] | undefined> {
    const [row] = await env.db.query<{ roles: string[] }>('SELECT roles FROM users WHERE email = $1', [email]);
    return row?.roles;
  }

  beforeAll(async () => {
    env = await startTestService();
    admin = new TestBrowser();
    expect((await signInThroughDevIdp(admin, `${env.url}/lifetime`, ADMIN)).status).toBe(200);
    csrf = findForm((await admin.open(`${env.url}/lifetime`)).body, '/auth/logout').fields._csrf;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('sends each demo account\'s groups, as the README recipe reads them', async () => {
    const [identity] = await env.db.query<{ claims: { groups: string[] } }>(
      "SELECT i.claims FROM linked_identities i JOIN users u ON u.id = i.user_id WHERE u.email = 'admin@example.com'",
    );
    expect(identity.claims.groups).toEqual(['platform-admins', 'staff']);
  });

  it('runs the recipe: a role arrives with a group at sign-in, and leaves with it', async () => {
    // The recipe's step: add the development provider's second client as a provider with role rules and JIT.
    const added = await post(admin, '/lifetime/authentication/new', {
      _csrf: csrf,
      action: 'save',
      id: DEV_JIT_CLIENT.providerId,
      displayName: 'Dev (roles from groups)',
      issuer: env.service.issuer,
      clientId: DEV_JIT_CLIENT.clientId,
      clientSecret: DEV_JIT_CLIENT.clientSecret,
      scopes: 'openid profile email',
      matchClaim: 'email',
      emailDomains: '',
      enabled: 'on',
    });
    expect(added.status).toBe(200);
    const saved = await post(admin, '/lifetime/authentication/dev-jit/access', {
      _csrf: csrf,
      action: 'save',
      roleSource: 'provider',
      provisioning: 'jit',
      ...Object.fromEntries(RECIPE_RULES.flatMap((rule, index) => [[`rule_claim_${index}`, rule.claim], [`rule_value_${index}`, rule.value], [`rule_role_${index}`, rule.role]])),
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toContain('Saved who gets in');
    const list = await admin.open(`${env.url}/lifetime/authentication`);
    expect(list.body).toMatch(/data-provider="dev-jit"[\s\S]*?roles from <strong>the provider<\/strong> \(2 rules\)[\s\S]*?creates users/);

    expect(await rolesOf(STRANGER.email)).toBeUndefined();
    const arrived = await viaDevJit(STRANGER, 'platform-devs');
    expect(arrived.status).toBe(200);
    expect(arrived.url).toBe(`${env.url}/servicecenter`);
    expect(await rolesOf(STRANGER.email)).toEqual(['developer']);

    expect((await viaDevJit(STRANGER, 'platform-devs, platform-admins')).status).toBe(200);
    expect(await rolesOf(STRANGER.email)).toEqual(['admin', 'developer']);

    const left = await viaDevJit(STRANGER, 'none');
    expect(left.status).toBe(403);
    expect(left.body).toContain('gives this account no role in this environment');
  });

  it('asks the admin to confirm an account another provider already signs in, on the recipe\'s provider too', async () => {
    const page = await viaDevJit(ADMIN, '');
    expect(page.status).toBe(403);
    expect(page.body).toContain('Confirm it is you');
  });

  it('previews draft rules on pasted claims and on the admin\'s own sign-in, writing nothing', async () => {
    const before = await env.db.query('SELECT role_rules FROM identity_providers');
    const page = await admin.open(`${env.url}/lifetime/authentication/dev-jit`);
    expect(page.body).toContain('id="role-rules"');
    const draft = { _csrf: csrf, action: 'preview', roleSource: 'provider', provisioning: 'jit', rule_claim_0: 'realm_access.roles', rule_value_0: 'platform-admin', rule_role_0: 'admin', rule_claim_1: 'groups', rule_value_1: 'staff', rule_role_1: 'developer' };

    const pasted = await post(admin, '/lifetime/authentication/dev-jit/access', { ...draft, claims: '{"realm_access": {"roles": ["platform-admin"]}}' });
    expect(pasted.status).toBe(200);
    expect(/id="preview-roles">([^<]+)</.exec(pasted.body)![1]).toBe('admin');

    // The admin's own last sign-in (through the default provider) has groups platform-admins, staff.
    const own = await post(admin, '/lifetime/authentication/dev-jit/access', { ...draft, claims: '' });
    expect(own.body).toContain('your own last sign-in');
    expect(/id="preview-roles">([^<]+)</.exec(own.body)![1]).toBe('developer');

    const overage = await post(admin, '/lifetime/authentication/dev-jit/access', { ...draft, claims: '{"_claim_names": {"groups": "src1"}}' });
    expect(overage.body).toContain('groups_overage');
    const broken = await post(admin, '/lifetime/authentication/dev-jit/access', { ...draft, claims: '[1, 2' });
    expect(broken.body).toContain('must be one JSON object');
    // The environment provider's rules are read-only, and previewed all the same.
    const environment = await post(admin, '/lifetime/authentication/default/access', { _csrf: csrf, action: 'save', claims: '{"groups": ["x"]}' });
    expect(environment.body).toContain('id="access-read-only"');
    expect(environment.body).toContain('no role (the sign-in would be refused: no_role)');
    expect(await env.db.query('SELECT role_rules FROM identity_providers')).toEqual(before);
  });

  it('refuses a bad rule or jit without provider roles with the reason, saving nothing', async () => {
    const before = await env.db.query('SELECT role_source, provisioning, role_rules FROM identity_providers');
    const badRole = await post(admin, '/lifetime/authentication/dev-jit/access', { _csrf: csrf, action: 'save', roleSource: 'provider', provisioning: 'jit', rule_claim_0: 'groups', rule_value_0: 'x', rule_role_0: '' });
    expect(badRole.status).toBe(400);
    expect(badRole.body).toContain('roleRules[0].role must be');
    const jit = await post(admin, '/lifetime/authentication/dev-jit/access', { _csrf: csrf, action: 'save', roleSource: 'platform', provisioning: 'jit' });
    expect(jit.status).toBe(400);
    expect(jit.body).toContain('needs roleSource');
    expect(await env.db.query('SELECT role_source, provisioning, role_rules FROM identity_providers')).toEqual(before);
  });

  it('shows roles read-only where the provider owns them, and lists identities with Unlink behind a confirmation', async () => {
    const [stranger] = await env.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [STRANGER.email]);
    const page = await admin.open(`${env.url}/lifetime/users/${stranger.id}`);
    expect(page.body).toContain('id="roles-from-provider"');
    expect(page.body).not.toContain('id="roles"');
    expect(page.body).toContain('Set by Dev (roles from groups)');
    expect(page.body).toContain('id="identities"');

    const [identity] = await env.db.query<{ id: string }>('SELECT id FROM linked_identities WHERE user_id = $1', [stranger.id]);
    const confirm = await post(admin, `/lifetime/users/${stranger.id}/identities/${identity.id}/unlink`, { _csrf: csrf });
    expect(confirm.body).toContain('id="confirm-question"');
    expect(confirm.body).toContain('Unlink stranger@example.com');
    expect(await env.db.query('SELECT id FROM linked_identities WHERE id = $1', [identity.id])).toHaveLength(1);
    const done = await admin.submit(confirm, {}, '/unlink');
    expect(done.status).toBe(200);
    expect(done.body).toContain('Unlinked the sign-in through dev-jit');
    expect(await env.db.query('SELECT id FROM linked_identities WHERE id = $1', [identity.id])).toHaveLength(0);
    // No provider owns the roles any more: they can be edited again.
    expect(done.body).toContain('id="roles"');
  });
});
