import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { DomainException } from '../common/domain.exception.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { IdentityProviderRecord, MatchClaim } from './identity-provider.entity.js';
import type { ProviderSource } from './identity-provider.js';
import { IdentityProviderRegistry } from './identity-provider.registry.js';
import { IdentityProvidersRepository, type ProviderRowChanges } from './identity-providers.repository.js';
import { ProviderHealthService } from './provider-health.service.js';
import { discoverProvider, probeProvider, type DiscoveredDetails, type ProbeResult, type ProbeStep } from './provider-probe.js';
import { checkClientSecret, checkProviderFields, checkProviderId, type ProviderFields } from './provider-rules.js';
import { DEFAULT_CLIENT_AUTH, usesClientSecret, type ClientAuthMethod } from './client-auth.js';
import { ProviderSecrets } from './provider-secrets.js';
import { ProviderSyncService } from './provider-sync.service.js';
import type { ProviderTestRecord } from './provider-test-result.entity.js';
import { SignInFallback } from './sign-in-fallback.js';
import { clientJwksUrl, ENVIRONMENT_PROVIDER_ID, providerBackchannelLogoutUrl, providerCallbackUrl } from './provider-urls.js';

/** A provider as administrators see it; never its client secret. */
export interface ProviderView {
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
  /** The last Test of this provider, by anyone on any instance; absent before the first. */
  lastTest?: { ok: boolean; at: Date; steps: ProbeStep[] };
}

export interface NewProvider extends Partial<Omit<ProviderFields, 'displayName' | 'issuer' | 'clientId'>> {
  id: string;
  displayName: string;
  issuer: string;
  clientId: string;
}

export type ProviderChanges = Partial<ProviderFields>;

export type ProviderDraft = Omit<NewProvider, 'id' | 'displayName'> & { id?: string; displayName?: string };

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
    return views.map((view) => withLastTest(view, lastTests.get(view.id)));
  }

  async get(id: string): Promise<ProviderView> {
    const environment = id === ENVIRONMENT_PROVIDER_ID ? this.environmentView() : undefined;
    const view = environment ?? this.view(await this.row(id));
    return withLastTest(view, await this.repository.lastTest(id));
  }

  /**
   * "Get details" of a form: the Test's discovery steps for an issuer URL, and what the discovery
   * document tells (exact issuer, scopes, match claim). Nothing is saved.
   */
  async discover(issuer: string): Promise<ProbeResult & { details: DiscoveredDetails }> {
    const fields = checkProviderFields({ displayName: 'Draft', clientId: 'draft', issuer, clientAuth: DEFAULT_CLIENT_AUTH, scopes: ['openid'], matchClaim: 'email', emailDomains: [], enabled: true });
    return discoverProvider(fields.issuer, { timeoutMs: this.config.oidc.httpTimeoutMs });
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
    let result: ProbeResult;
    if (registered?.source === 'environment') {
      result = await probeProvider(this.registry.probeTarget(registered), { timeoutMs: this.config.oidc.httpTimeoutMs });
      this.health.remember(registered, result);
    } else {
      const row = await this.row(id);
      const clientSecret = row.clientSecretEncrypted ? this.secrets.open(row.clientSecretEncrypted, row.id) : undefined;
      result = await probeProvider(
        this.registry.probeTargetOf({ issuer: row.issuer, clientId: row.clientId, clientSecret, clientAuth: row.clientAuth, callbackUrl: providerCallbackUrl(this.config.publicUrl, row.id) }),
        { timeoutMs: this.config.oidc.httpTimeoutMs },
      );
      // The result stands for readiness only if it tested the version this instance signs in with.
      if (registered && registered.version === row.version) this.health.remember(registered, result);
    }
    await this.repository.saveTest(id, result);
    await this.recordTest(id, result, actorId);
    return result;
  }

  /** Tests a draft before it is saved; nothing is written but the audit event. */
  async testDraft(draft: ProviderDraft, actorId?: string): Promise<ProbeResult> {
    const id = draft.id === undefined ? 'draft' : checkProviderId(draft.id);
    const fields = checkProviderFields({ clientAuth: DEFAULT_CLIENT_AUTH, scopes: ['openid'], matchClaim: 'email', emailDomains: [], enabled: true, ...defined(draft), displayName: draft.displayName || 'Draft' } as ProviderFields);
    // A draft's missing secret is the Test's finding (client_no_secret), not a refusal; a secret beside private_key_jwt is.
    checkClientSecret(fields.clientAuth, { given: Boolean(fields.clientSecret), stored: usesClientSecret(fields.clientAuth) });
    const result = await probeProvider(
      this.registry.probeTargetOf({ issuer: fields.issuer, clientId: fields.clientId, clientSecret: fields.clientSecret, clientAuth: fields.clientAuth, callbackUrl: providerCallbackUrl(this.config.publicUrl, id) }),
      { timeoutMs: this.config.oidc.httpTimeoutMs },
    );
    await this.recordTest(draft.id, result, actorId, true);
    return result;
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

  private async row(id: string): Promise<IdentityProviderRecord> {
    const row = await this.repository.find(id);
    if (!row) throw this.notFound(id);
    return row;
  }

  private fieldsOf(row: IdentityProviderRecord): ProviderFields {
    return {
      displayName: row.displayName,
      issuer: row.issuer,
      clientId: row.clientId,
      clientAuth: row.clientAuth,
      scopes: row.scopes,
      matchClaim: row.matchClaim,
      emailDomains: row.emailDomains,
      enabled: row.enabled,
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

function withLastTest(view: ProviderView, test: ProviderTestRecord | null | undefined): ProviderView {
  return test ? { ...view, lastTest: { ok: test.ok, at: test.testedAt, steps: test.steps } } : view;
}

/** Leaves out fields given as undefined, so they do not override defaults or stored values. */
function defined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}
