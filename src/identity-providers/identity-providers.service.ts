import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { DomainException } from '../common/domain.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { ProviderAccess } from '../access/provider-access.js';
import type { IdentityProviderRecord, MatchClaim } from './identity-provider.entity.js';
import type { ProviderSource } from './identity-provider.js';
import { IdentityProviderRegistry } from './identity-provider.registry.js';
import { IdentityProvidersRepository, type ProviderRowChanges } from './identity-providers.repository.js';
import { ProviderHealthService } from './provider-health.service.js';
import { providerFingerprint } from './provider-fingerprint.js';
import { discoverProvider, probeProvider, type DiscoveredDetails, type ProbeResult, type ProbeStep, type ProbeTarget } from './provider-probe.js';
import { checkClientSecret, checkProviderFields, checkProviderId, type ProviderFields } from './provider-rules.js';
import { DEFAULT_CLIENT_AUTH, usesClientSecret, type ClientAuthMethod } from './client-auth.js';
import { ProviderSecrets } from './provider-secrets.js';
import { fieldsNeedingSecretAgain } from './secret-destination.js';
import { ProviderSyncService } from './provider-sync.service.js';
import type { ProviderTestRecord } from './provider-test-result.entity.js';
import { SignInFallback } from './sign-in-fallback.js';
import { clientJwksUrl, ENVIRONMENT_PROVIDER_ID, providerBackchannelLogoutUrl, providerCallbackUrl } from './provider-urls.js';

/** A provider as administrators see it; never its client secret. */
export interface ProviderView extends ProviderAccess {
  id: string;
  displayName: string;
  issuer: string;
  clientId: string;
  scopes: string[];
  matchClaim: MatchClaim;
  emailDomains: string[];
  enabled: boolean;
  source: ProviderSource;
  hasClientSecret: boolean;
  clientAuth: ClientAuthMethod;
  /** Where providers fetch this service's client assertion keys (private_key_jwt). */
  clientJwksUri: string;
  redirectUri: string;
  backchannelLogoutUri: string;
  createdAt?: Date;
  updatedAt?: Date;
  /**
   * The last Test of this provider, by anyone on any instance; absent before the first.
   * `currentConfiguration` is false when it tested another configuration than the one now set
   * (another issuer, client, secret, scopes): its verdict then says nothing about this one.
   */
  lastTest?: { ok: boolean; at: Date; steps: ProbeStep[]; currentConfiguration: boolean };
}

export interface NewProvider extends Partial<Omit<ProviderFields, 'displayName' | 'issuer' | 'clientId'>> {
  id: string;
  displayName: string;
  issuer: string;
  clientId: string;
}

export type ProviderChanges = Partial<ProviderFields>;

export type ProviderDraft = Omit<NewProvider, 'id' | 'displayName'> & { id?: string; displayName?: string };

/** A draft's Test result and the fingerprint of the configuration it tested. */
export interface TestedDraft {
  result: ProbeResult;
  fingerprint: string;
}

/** Identity providers as data: list, create, change, delete and Test, for the API and the console pages alike. */
@Injectable()
export class IdentityProvidersService {
  private readonly logger = new Logger(IdentityProvidersService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: IdentityProvidersRepository,
    private readonly registry: IdentityProviderRegistry,
    private readonly sync: ProviderSyncService,
    private readonly secrets: ProviderSecrets,
    private readonly health: ProviderHealthService,
    private readonly audit: AuditService,
    private readonly fallback: SignInFallback,
  ) {}

  async list(): Promise<ProviderView[]> {
    const [rows, tests] = await Promise.all([this.repository.list(), this.repository.lastTests()]);
    const lastTests = new Map(tests.map((test) => [test.providerId, test]));
    const environment = this.environmentView();
    const views = [...(environment ? [environment] : []), ...rows.map((row) => this.view(row))];
    const targets = new Map(rows.map((row) => [row.id, this.targetOf(row, { forDisplay: true })]));
    return views.map((view) => withLastTest(view, lastTests.get(view.id), this.currentFingerprint(view.id, targets.get(view.id))));
  }

  async get(id: string): Promise<ProviderView> {
    const environment = id === ENVIRONMENT_PROVIDER_ID ? this.environmentView() : undefined;
    const row = environment ? undefined : await this.row(id);
    const view = environment ?? this.view(row!);
    return withLastTest(view, await this.repository.lastTest(id), this.currentFingerprint(id, row && this.targetOf(row, { forDisplay: true })));
  }

  /**
   * "Get details" of a form: the Test's discovery steps for an issuer URL, and what the discovery
   * document tells (exact issuer, scopes, match claim). Nothing is saved.
   */
  async discover(issuer: string): Promise<ProbeResult & { details: DiscoveredDetails }> {
    const fields = checkProviderFields({ displayName: 'Draft', clientId: 'draft', issuer, clientAuth: DEFAULT_CLIENT_AUTH, scopes: ['openid'], matchClaim: 'email', emailDomains: [], enabled: true });
    return discoverProvider(fields.issuer, { timeoutMs: this.config.oidc.httpTimeoutMs, http: this.registry.http });
  }

  async create(input: NewProvider, actorId?: string): Promise<ProviderView> {
    const id = checkProviderId(input.id);
    if (id === ENVIRONMENT_PROVIDER_ID) throw this.environmentReadOnly();
    const fields = checkProviderFields({ clientAuth: DEFAULT_CLIENT_AUTH, scopes: ['openid', 'profile', 'email'], matchClaim: 'email', emailDomains: [], enabled: true, ...defined(input) } as ProviderFields);
    checkClientSecret(fields.clientAuth, { given: Boolean(fields.clientSecret), stored: false });
    const inserted = await this.repository.insert({
      id,
      displayName: fields.displayName,
      issuer: fields.issuer,
      clientId: fields.clientId,
      clientSecretEncrypted: fields.clientSecret ? this.secrets.seal(fields.clientSecret, id) : null,
      clientAuth: fields.clientAuth,
      scopes: fields.scopes,
      matchClaim: fields.matchClaim,
      emailDomains: fields.emailDomains,
      enabled: fields.enabled,
      ...accessOf(fields),
    });
    if (!inserted) throw new DomainException('provider_exists', HttpStatus.CONFLICT, `An identity provider with id "${id}" exists already; choose another id or change that one.`);
    // The notification reaches every instance; this one applies it now so the answer is already true here.
    await this.sync.reload(id);
    await this.audit.record({ type: 'admin.provider.created', actorId, providerId: id, details: { enabled: fields.enabled, hasClientSecret: Boolean(fields.clientSecret), clientAuth: fields.clientAuth } });
    this.logger.log(`identity provider ${id} created${actorId ? ` by ${actorId}` : ''}`);
    return this.get(id);
  }

  async update(id: string, changes: ProviderChanges, actorId?: string): Promise<ProviderView> {
    if (id === ENVIRONMENT_PROVIDER_ID) throw this.environmentReadOnly();
    const current = await this.row(id);
    const fields = checkProviderFields({ ...this.fieldsOf(current), ...defined(changes) });
    checkClientSecret(fields.clientAuth, { given: changes.clientSecret !== undefined, stored: current.clientSecretEncrypted !== null });
    this.assertSecretStaysWithIssuer(current, changes);
    if (current.enabled && !fields.enabled) await this.fallback.assertAnotherWayIn(id, 'disable');
    const update: ProviderRowChanges = {
      displayName: fields.displayName,
      issuer: fields.issuer,
      clientId: fields.clientId,
      clientAuth: fields.clientAuth,
      scopes: fields.scopes,
      matchClaim: fields.matchClaim,
      emailDomains: fields.emailDomains,
      enabled: fields.enabled,
      ...accessOf(fields),
    };
    update.clientSecretEncrypted = this.storedSecret(fields, changes, current);
    if (!(await this.repository.update(id, update))) throw this.notFound(id);
    await this.sync.reload(id);
    const changed = Object.keys(changes).filter((key) => (changes as Record<string, unknown>)[key] !== undefined);
    await this.audit.record({ type: 'admin.provider.updated', actorId, providerId: id, details: { changed } });
    this.logger.log(`identity provider ${id} updated (${changed.join(', ')})${actorId ? ` by ${actorId}` : ''}`);
    return this.get(id);
  }

  async delete(id: string, actorId?: string): Promise<void> {
    if (id === ENVIRONMENT_PROVIDER_ID) throw this.environmentReadOnly();
    const current = await this.row(id);
    if (current.enabled) await this.fallback.assertAnotherWayIn(id, 'delete');
    if (!(await this.repository.delete(id))) throw this.notFound(id);
    await this.repository.deleteTest(id);
    await this.sync.reload(id);
    await this.audit.record({ type: 'admin.provider.deleted', actorId, providerId: id });
    this.logger.log(`identity provider ${id} deleted${actorId ? ` by ${actorId}` : ''}`);
  }

  /** Tests a saved provider (the environment's included) as it is stored now. */
  async test(id: string, actorId?: string): Promise<ProbeResult> {
    const registered = this.registry.find(id);
    const target = registered?.source === 'environment' ? this.registry.probeTarget(registered) : this.targetOf(await this.row(id));
    const result = await probeProvider(target, { timeoutMs: this.config.oidc.httpTimeoutMs, http: this.registry.http });
    const fingerprint = providerFingerprint(target);
    // The result stands for readiness only if it tested the configuration this instance signs in with.
    if (registered) this.health.remember(registered, result, fingerprint);
    await this.repository.saveTest(id, result, fingerprint);
    await this.recordTest(id, result, actorId);
    return result;
  }

  /**
   * Tests a draft before it is saved; nothing is written but the audit event. The client step sends
   * the redirect URI the provider will see once the draft is saved under its `id`; a draft without
   * an id has no redirect URI yet, so none is sent (a made-up one would only mislead a strict provider).
   */
  async testDraft(draft: ProviderDraft, actorId?: string): Promise<ProbeResult> {
    return (await this.runDraft(draft, actorId, false)).result;
  }

  /**
   * LifeTime's save: the Test of the settings about to be saved. A draft without a client secret is
   * tested with the one stored for that provider (the form leaves the write-only secret empty to
   * keep it). Once exactly these settings are saved, `keepTest` makes the result the provider's last Test.
   */
  testBeforeSave(draft: ProviderDraft & { id: string }, actorId?: string): Promise<TestedDraft> {
    return this.runDraft(draft, actorId, true);
  }

  async keepTest(id: string, tested: TestedDraft): Promise<void> {
    const registered = this.registry.find(id);
    if (registered) this.health.remember(registered, tested.result, tested.fingerprint);
    await this.repository.saveTest(id, tested.result, tested.fingerprint);
  }

  private async runDraft(draft: ProviderDraft, actorId: string | undefined, keepStoredSecret: boolean): Promise<TestedDraft> {
    const id = draft.id === undefined ? undefined : checkProviderId(draft.id);
    const fields = checkProviderFields({ clientAuth: DEFAULT_CLIENT_AUTH, scopes: ['openid'], matchClaim: 'email', emailDomains: [], enabled: true, ...defined(draft), displayName: draft.displayName || 'Draft' } as ProviderFields);
    const row = keepStoredSecret && id ? await this.repository.find(id) : null;
    const stored = row && row.clientSecretEncrypted !== null && usesClientSecret(fields.clientAuth) && !fields.clientSecret ? row : null;
    // A draft's missing secret is the Test's finding (client_no_secret), not a refusal; a secret beside
    // private_key_jwt is. A save is refused as its update would be: a secret method needs one typed or stored.
    checkClientSecret(fields.clientAuth, { given: Boolean(fields.clientSecret), stored: keepStoredSecret ? stored !== null : usesClientSecret(fields.clientAuth) });
    // The stored secret is tried only where it may be sent: never at a new issuer's token endpoint.
    if (stored) this.assertSecretStaysWithIssuer(stored, draft);
    const clientSecret = fields.clientSecret ?? (stored ? this.targetOf(stored).clientSecret : undefined);
    const target = this.registry.probeTargetOf({
      issuer: fields.issuer,
      clientId: fields.clientId,
      clientSecret,
      clientAuth: fields.clientAuth,
      callbackUrl: id ? providerCallbackUrl(this.config.publicUrl, id) : undefined,
      scopes: fields.scopes,
    });
    const result = await probeProvider(target, { timeoutMs: this.config.oidc.httpTimeoutMs, http: this.registry.http });
    await this.recordTest(draft.id, result, actorId, true);
    return { result, fingerprint: providerFingerprint(target) };
  }

  private async recordTest(providerId: string | undefined, result: ProbeResult, actorId: string | undefined, draft = false): Promise<void> {
    const failed = result.steps.find((step) => !step.ok);
    await this.audit.record({
      type: 'admin.provider.tested',
      outcome: result.ok ? 'success' : 'failure',
      reason: failed?.code,
      actorId,
      providerId,
      details: { draft, ...(failed ? { failedStep: failed.step } : {}) },
    });
  }

  /** A change that moves where the stored secret would be sent must carry the secret again (secret-destination.ts). */
  private assertSecretStaysWithIssuer(current: IdentityProviderRecord, changes: ProviderDraft | ProviderChanges): void {
    const holder = { issuer: current.issuer, authenticatesWithSecret: current.clientSecretEncrypted !== null && usesClientSecret(current.clientAuth) };
    const needSecret = fieldsNeedingSecretAgain(holder, defined(changes));
    if (needSecret.length > 0) {
      throw new DomainException(
        'client_secret_required',
        HttpStatus.BAD_REQUEST,
        `Changing ${needSecret.join(' and ')} changes where the client secret is sent: send clientSecret again with the change (the stored secret is not sent to a new ${needSecret.join(' or ')}).`,
        { details: needSecret.map((field) => `clientSecret is required when ${field} changes`) },
      );
    }
  }

  private async row(id: string): Promise<IdentityProviderRecord> {
    const row = await this.repository.find(id);
    if (!row) throw this.notFound(id);
    return row;
  }

  /** What the Test probes for a stored provider, its secret included; never leaves this module. */
  private targetOf(row: IdentityProviderRecord, options: { forDisplay?: boolean } = {}): ProbeTarget {
    let clientSecret: string | undefined;
    try {
      clientSecret = row.clientSecretEncrypted ? this.secrets.open(row.clientSecretEncrypted, row.id) : undefined;
    } catch (error) {
      // A page listing providers still renders without ENCRYPTION_KEY; its results then read as of another configuration.
      if (!options.forDisplay) throw error;
      clientSecret = `unreadable:${row.clientSecretEncrypted}`;
    }
    return this.registry.probeTargetOf({ issuer: row.issuer, clientId: row.clientId, clientSecret, clientAuth: row.clientAuth, callbackUrl: providerCallbackUrl(this.config.publicUrl, row.id), scopes: row.scopes });
  }

  /** The fingerprint of a provider's configuration as it is set now (the environment's, or a stored row's). */
  private currentFingerprint(id: string, target: ProbeTarget | undefined): string | undefined {
    if (target) return providerFingerprint(target);
    const environment = id === ENVIRONMENT_PROVIDER_ID ? this.registry.find(id) : undefined;
    return environment ? this.health.fingerprint(environment) : undefined;
  }

  private fieldsOf(row: IdentityProviderRecord): ProviderFields & ProviderAccess {
    return {
      displayName: row.displayName,
      issuer: row.issuer,
      clientId: row.clientId,
      clientAuth: row.clientAuth,
      scopes: row.scopes,
      matchClaim: row.matchClaim,
      emailDomains: row.emailDomains,
      enabled: row.enabled,
      ...accessOf(row),
    };
  }

  /** The sealed secret a change leaves: a new one when given, none once the method needs none, else the stored one. */
  private storedSecret(fields: ProviderFields, changes: ProviderChanges, current: IdentityProviderRecord): string | null {
    if (!usesClientSecret(fields.clientAuth)) return null;
    return changes.clientSecret !== undefined ? this.secrets.seal(fields.clientSecret!, current.id) : current.clientSecretEncrypted;
  }

  private view(row: IdentityProviderRecord): ProviderView {
    return {
      ...this.fieldsOf(row),
      id: row.id,
      source: 'database',
      hasClientSecret: row.clientSecretEncrypted !== null,
      clientJwksUri: clientJwksUrl(this.config.publicUrl),
      redirectUri: providerCallbackUrl(this.config.publicUrl, row.id),
      backchannelLogoutUri: providerBackchannelLogoutUrl(this.config.publicUrl, row.id),
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  private environmentView(): ProviderView | undefined {
    const provider = this.registry.find(ENVIRONMENT_PROVIDER_ID);
    if (!provider || provider.source !== 'environment') return undefined;
    const target = this.registry.probeTarget(provider);
    const { scopes } = this.config.oidc;
    return {
      id: provider.id,
      displayName: provider.displayName,
      issuer: provider.issuer,
      clientId: target.clientId,
      scopes,
      matchClaim: provider.matchClaim,
      emailDomains: [...provider.emailDomains],
      enabled: true,
      ...accessOf(provider.access),
      source: 'environment',
      hasClientSecret: Boolean(target.clientSecret),
      clientAuth: target.clientAuth,
      clientJwksUri: clientJwksUrl(this.config.publicUrl),
      redirectUri: provider.callbackUrl,
      backchannelLogoutUri: providerBackchannelLogoutUrl(this.config.publicUrl, provider.id),
    };
  }

  private notFound(id: string): DomainException {
    return new DomainException('provider_not_found', HttpStatus.NOT_FOUND, `There is no identity provider with id "${id}".`);
  }

  private environmentReadOnly(): DomainException {
    return new DomainException(
      'provider_read_only',
      HttpStatus.CONFLICT,
      `The "${ENVIRONMENT_PROVIDER_ID}" identity provider comes from the environment (OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET); change those variables and restart instead, or add another provider with its own id.`,
    );
  }
}

function accessOf(source: ProviderAccess): ProviderAccess {
  return { trustEmail: source.trustEmail, roleSource: source.roleSource, roleRules: source.roleRules, provisioning: source.provisioning };
}

function withLastTest(view: ProviderView, test: ProviderTestRecord | null | undefined, currentFingerprint: string | undefined): ProviderView {
  if (!test) return view;
  const currentConfiguration = test.fingerprint !== null && test.fingerprint === currentFingerprint;
  return { ...view, lastTest: { ok: test.ok, at: test.testedAt, steps: test.steps, currentConfiguration } };
}

/** Leaves out fields given as undefined, so they do not override defaults or stored values. */
function defined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}
