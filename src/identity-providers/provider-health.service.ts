import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { IdentityProvider } from './identity-provider.js';
import { IdentityProviderRegistry } from './identity-provider.registry.js';
import { providerFingerprint } from './provider-fingerprint.js';
import { probeProvider, probeReason, type ProbeResult } from './provider-probe.js';

export interface ProviderReadiness {
  id: string;
  displayName: string;
  ready: boolean;
  /** The failed step's sentence, with URLs and client ids: for logs, LifeTime and admins only. */
  reason?: string;
  /** The failed step and its code (`test_running` while there is no result yet), which name nothing. */
  failure?: { step: string; code: string };
}

export interface Readiness {
  /** At least one enabled provider passes its Test. */
  ready: boolean;
  reason?: string;
  providers: ProviderReadiness[];
}

/** How long a readiness check waits for a provider's first Test before saying it is still running. */
const FIRST_RESULT_WAIT_MS = 5_000;

interface Cached {
  /** The configuration the result is of: any other configuration has no result yet. */
  fingerprint: string;
  result: ProbeResult;
}

/**
 * The providers' Test results behind /readyz and the Studios' `ready`: run once per provider
 * configuration, then refreshed in the background, so a readiness check never waits on a provider
 * (except the very first, which has nothing cached yet).
 */
@Injectable()
export class ProviderHealthService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ProviderHealthService.name);
  private readonly cache = new Map<string, Cached>();
  private readonly running = new Map<string, Promise<ProbeResult>>();
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: IdentityProviderRegistry,
  ) {}

  onApplicationBootstrap(): void {
    // A changed provider is tested again at once, so readiness rarely has to wait for a Test.
    this.unsubscribe = this.registry.onChange(({ id }) => {
      this.cache.delete(id);
      const provider = this.registry.find(id);
      if (provider) this.test(provider).catch(() => undefined);
    });
    this.timer = setInterval(() => void this.refreshAll(), this.config.oidc.testIntervalSeconds * 1000);
    this.timer.unref();
    void this.refreshAll();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }

  async readiness(): Promise<Readiness> {
    const providers = await Promise.all(this.registry.all().map((provider) => this.providerReadiness(provider)));
    const failing = providers.filter((provider) => !provider.ready);
    const ready = providers.length > 0 && failing.length < providers.length;
    const reason = providers.length === 0 ? 'no identity provider is enabled' : failing.map((p) => `identity provider ${p.id}: ${p.reason}`).join('; ') || undefined;
    return { ready, ...(reason ? { reason } : {}), providers };
  }

  /**
   * Whether a browser may be sent to this provider now. Its last Test is used as it is, except when
   * that Test found the provider not answering: then it is tested again at once (each call bounded
   * by OIDC_HTTP_TIMEOUT_MS), so a sign-in is not sent to a provider known to be down or frozen, and
   * one that is back is used at once rather than at the next refresh.
   */
  async answering(provider: IdentityProvider): Promise<{ ok: true } | { ok: false; reason: string }> {
    const cached = this.current(provider);
    if (!cached || !notAnswering(cached.result)) return { ok: true };
    const result = await this.test(provider);
    return notAnswering(result) ? { ok: false, reason: probeReason(result) ?? 'not answering' } : { ok: true };
  }

  /**
   * Keeps a fresh Test result (an admin's explicit Test) as the provider's readiness, when it tested
   * the configuration this instance signs in with (`fingerprint`, of the tested configuration).
   */
  remember(provider: IdentityProvider, result: ProbeResult, fingerprint = this.fingerprint(provider)): void {
    if (fingerprint === this.fingerprint(provider)) this.cache.set(provider.id, { fingerprint, result });
  }

  /**
   * The last check of the provider as it is configured now (an admin's Test or the background
   * one), without waiting for one: undefined while there is none.
   */
  lastResult(provider: IdentityProvider): ProbeResult | undefined {
    return this.current(provider)?.result;
  }

  /** The configuration this instance signs in with, as Test results record it. */
  fingerprint(provider: IdentityProvider): string {
    return providerFingerprint(this.registry.probeTarget(provider));
  }

  /** The last result for the provider's current configuration, if any. */
  private current(provider: IdentityProvider): Cached | undefined {
    const cached = this.cache.get(provider.id);
    return cached && cached.fingerprint === this.fingerprint(provider) ? cached : undefined;
  }

  private async providerReadiness(provider: IdentityProvider): Promise<ProviderReadiness> {
    const result = this.current(provider)?.result ?? (await this.firstResult(provider));
    if (!result) return { id: provider.id, displayName: provider.displayName, ready: false, reason: 'its Test is still running', failure: { step: 'test', code: 'test_running' } };
    const reason = probeReason(result);
    const failed = result.steps.find((step) => !step.ok);
    return { id: provider.id, displayName: provider.displayName, ready: result.ok, ...(reason ? { reason } : {}), ...(failed ? { failure: { step: failed.step, code: failed.code } } : {}) };
  }

  /** A provider without a result yet: its Test, waited for a bounded time so a readiness check stays quick. */
  private async firstResult(provider: IdentityProvider): Promise<ProbeResult | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.min(this.config.oidc.httpTimeoutMs, FIRST_RESULT_WAIT_MS));
    });
    try {
      return await Promise.race([this.test(provider), waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  private test(provider: IdentityProvider): Promise<ProbeResult> {
    const key = `${provider.id}@${provider.version}`;
    let run = this.running.get(key);
    if (!run) {
      run = probeProvider(this.registry.probeTarget(provider), { timeoutMs: this.config.oidc.httpTimeoutMs, http: this.registry.http })
        .then((result) => {
          if (this.registry.find(provider.id) === provider) this.remember(provider, result);
          if (!result.ok) this.logger.warn(`identity provider ${provider.id} fails its Test: ${probeReason(result)}`);
          return result;
        })
        .finally(() => this.running.delete(key));
      this.running.set(key, run);
    }
    return run;
  }

  private async refreshAll(): Promise<void> {
    await Promise.all(this.registry.all().map((provider) => this.test(provider).catch(() => undefined)));
  }
}

/** A Test that failed because a call got no answer in time or could not be made (not a wrong answer). */
function notAnswering(result: ProbeResult): boolean {
  const failed = result.steps.find((step) => !step.ok);
  return failed !== undefined && /_(timeout|unreachable)$/.test(failed.code);
}
