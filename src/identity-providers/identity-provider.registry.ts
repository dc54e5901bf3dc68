import { HttpStatus, Logger } from '@nestjs/common';
import passport from 'passport';
import type { Strategy } from 'passport';
import { randomBytes } from 'node:crypto';
import { DomainException } from '../common/domain.exception.js';
import { LoginStateCookie } from '../auth/strategies/login-state.cookie.js';
import { createOidcStrategy } from '../auth/strategies/oidc.strategy.js';
import type { JWTPayload } from 'jose';
import type { IdentityProvider, JwtCheck, ProviderCallEndpoint } from './identity-provider.js';
import type { ClientAssertionSigner } from './client-auth.js';
import type { ProbeTarget } from './provider-probe.js';
import { OidcIdentityProvider, ProviderUnavailableError, type OidcProviderSettings } from './oidc-identity-provider.js';
import { AddressPolicy } from '../common/address-policy.js';
import { ProviderHttp } from './provider-http.js';

interface Entry {
  provider: OidcIdentityProvider;
  strategy?: Promise<Strategy>;
}

/** Reads one stored provider as it is now in the database: its settings, or null when gone or disabled. */
export type ProviderLoader = (id: string) => Promise<OidcProviderSettings | null>;

export type RegistryChange = { id: string; kind: 'put' | 'removed' };

/** Told how long each call to a provider took (metrics), for every provider this registry builds. */
export type ProviderCallObserver = (providerId: string, endpoint: ProviderCallEndpoint, seconds: number, ok: boolean) => void;

/**
 * The enabled identity providers of this instance: the environment's and the stored ones, kept in
 * step with the table by the provider sync. A provider's Passport strategy (`oidc:<id>`) is built
 * the first time its discovery document is available, and dropped the moment the provider changes
 * or goes, so a request never runs on stale settings.
 */
export class IdentityProviderRegistry {
  private readonly logger = new Logger(IdentityProviderRegistry.name);
  private readonly entries = new Map<string, Entry>();
  private readonly changeListeners = new Set<(change: RegistryChange) => void>();
  private loader?: ProviderLoader;
  private readonly observeCall?: ProviderCallObserver;
  private readonly loginState: LoginStateCookie;
  private readonly assertionSigner?: ClientAssertionSigner;
  /** Every server-side call to a provider, the Test's included, with the address check. */
  readonly http: ProviderHttp;

  constructor(
    environmentProviders: OidcProviderSettings[] = [],
    options: {
      /** Told how long each call to a provider took (metrics). */
      observeCall?: ProviderCallObserver;
      /** Where each strategy keeps the logins in flight (sealed with SESSION_SECRET, so any instance can finish them). */
      loginState?: LoginStateCookie;
      /** Signs the client assertions of providers that authenticate with private_key_jwt. */
      assertionSigner?: ClientAssertionSigner;
      /** Outgoing calls; by default no private address is reachable. */
      http?: ProviderHttp;
    } = {},
  ) {
    this.observeCall = options.observeCall;
    this.assertionSigner = options.assertionSigner;
    this.http = options.http ?? new ProviderHttp(new AddressPolicy([]));
    this.loginState = options.loginState ?? new LoginStateCookie(randomBytes(32).toString('base64url'), false);
    for (const settings of environmentProviders) this.entries.set(settings.id, { provider: this.create(settings) });
  }

  /** Every enabled provider: environment first, then stored ones by display name. */
  all(): IdentityProvider[] {
    return [...this.entries.values()]
      .map((entry) => entry.provider)
      .sort((a, b) => (a.source === b.source ? a.displayName.localeCompare(b.displayName) : a.source === 'environment' ? -1 : 1));
  }

  /** The provider shown first (the environment's while it exists). */
  primary(): IdentityProvider | undefined {
    return this.all()[0];
  }

  find(id: string): IdentityProvider | undefined {
    return this.entries.get(id)?.provider;
  }

  get(id: string): IdentityProvider {
    const provider = this.find(id);
    if (!provider) {
      throw new DomainException('unknown_provider', HttpStatus.NOT_FOUND, `No enabled identity provider named "${id}".`, {
        title: 'Unknown sign-in option',
        detail: 'Open the console again and choose one of the offered sign-in options.',
      });
    }
    return provider;
  }

  /**
   * Verifies a JWT (a back-channel logout token, for instance) against the JWKS of the named
   * enabled provider; an unknown or disabled provider is a 404 DomainException.
   */
  verifyJwt(providerId: string, token: string, check?: JwtCheck): Promise<JWTPayload> {
    return this.get(providerId).verifyJwt(token, check);
  }

  /** Adds or replaces a provider; a replaced one loses its strategy at once. */
  put(settings: OidcProviderSettings): void {
    const current = this.entries.get(settings.id);
    if (current && current.provider.version === settings.version && current.provider.source === settings.source) return;
    this.unregister(settings.id);
    this.entries.set(settings.id, { provider: this.create(settings) });
    this.emit({ id: settings.id, kind: 'put' });
  }

  remove(id: string): void {
    if (!this.entries.has(id)) return;
    this.unregister(id);
    this.entries.delete(id);
    this.emit({ id, kind: 'removed' });
  }

  /** What the Test probes for a registered provider, its secret included; never leaves this module. */
  probeTarget(provider: IdentityProvider): ProbeTarget {
    const { settings } = this.entries.get(provider.id)?.provider ?? (provider as OidcIdentityProvider);
    return {
      issuer: settings.issuer,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      clientAuth: settings.clientAuth,
      assertionSigner: settings.assertionSigner,
      callbackUrl: settings.callbackUrl,
      scopes: settings.scopes,
    };
  }

  /** A probe target for settings not (or not yet) registered: a stored row, a draft; it signs with the same keys. */
  probeTargetOf(target: Omit<ProbeTarget, 'assertionSigner'>): ProbeTarget {
    return { ...target, assertionSigner: this.assertionSigner };
  }

  /** Stored ids currently held, to drop those that disappeared from the table. */
  storedIds(): string[] {
    return [...this.entries.values()].filter((entry) => entry.provider.source === 'database').map((entry) => entry.provider.id);
  }

  onChange(listener: (change: RegistryChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  useLoader(loader: ProviderLoader): void {
    this.loader = loader;
  }

  /**
   * Re-reads a stored provider from the database when a login comes back, so the callback uses the
   * credentials the table holds now even if this instance has not yet heard of a change.
   */
  async refresh(id: string): Promise<IdentityProvider> {
    const current = this.entries.get(id)?.provider;
    if (current?.source === 'environment' || !this.loader) return this.get(id);
    const settings = await this.loader(id);
    if (settings) this.put(settings);
    else this.remove(id);
    return this.get(id);
  }

  /** The provider's strategy, built on first use; answers 503 while the provider cannot be used. */
  async strategy(provider: IdentityProvider): Promise<Strategy> {
    const entry = this.entries.get(provider.id);
    if (!entry || entry.provider !== provider) return this.strategy(this.get(provider.id));
    entry.strategy ??= this.build(entry);
    try {
      return await entry.strategy;
    } catch (error) {
      const reason = error instanceof ProviderUnavailableError ? error.message : String(error);
      throw new DomainException('provider_unavailable', HttpStatus.SERVICE_UNAVAILABLE, `The identity provider ${provider.displayName} cannot be used right now.`, {
        title: 'Sign-in is unavailable',
        detail: 'Try again in a moment. If it keeps happening, tell the platform team.',
        logDetail: reason,
      });
    }
  }

  private create(settings: OidcProviderSettings): OidcIdentityProvider {
    const observe = this.observeCall;
    return new OidcIdentityProvider({
      ...settings,
      http: this.http,
      assertionSigner: settings.assertionSigner ?? this.assertionSigner,
      ...(observe ? { observeCall: (endpoint, seconds, ok) => observe(settings.id, endpoint, seconds, ok) } : {}),
    });
  }

  private build(entry: Entry): Promise<Strategy> {
    const built = entry.provider.discover().then((metadata) => {
      const strategy = createOidcStrategy(entry.provider, metadata, this.loginState) as unknown as Strategy;
      // Replaced meanwhile: the newer entry registers its own; this one must not overwrite it.
      if (this.entries.get(entry.provider.id) !== entry) passport.unuse(entry.provider.strategyName);
      return strategy;
    });
    built.catch(() => {
      if (entry.strategy === built) entry.strategy = undefined;
    });
    return built;
  }

  private unregister(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.strategy = undefined;
    passport.unuse(entry.provider.strategyName);
  }

  private emit(change: RegistryChange): void {
    this.logger.log(`identity provider ${change.id} ${change.kind === 'put' ? 'loaded' : 'removed'}`);
    for (const listener of this.changeListeners) listener(change);
  }
}
