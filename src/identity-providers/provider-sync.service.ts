import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { IdentityProviderRecord } from './identity-provider.entity.js';
import { IdentityProviderRegistry } from './identity-provider.registry.js';
import { IdentityProvidersRepository, PROVIDER_CHANGES_CHANNEL } from './identity-providers.repository.js';
import type { OidcProviderSettings } from './oidc-identity-provider.js';
import { providerCallbackUrl } from './provider-urls.js';
import { ProviderSecrets } from './provider-secrets.js';

const CONNECT_TIMEOUT_MS = 5_000;
const QUERY_TIMEOUT_MS = 5_000;
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 10_000;

/**
 * Keeps this instance's registry equal to the provider table. Changes arrive by PostgreSQL
 * LISTEN/NOTIFY on a connection of its own (a pooled one could be handed to a query and miss
 * notifications); after a lost connection it reconnects and reloads everything, since
 * notifications sent meanwhile are gone.
 */
@Injectable()
export class ProviderSyncService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ProviderSyncService.name);
  private client?: pg.Client;
  private stopped = false;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: IdentityProvidersRepository,
    private readonly registry: IdentityProviderRegistry,
    private readonly secrets: ProviderSecrets,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.secrets.available && (await this.repository.anyWithSecret())) {
      throw new Error('ENCRYPTION_KEY is missing: stored identity providers have client secrets that cannot be read without it');
    }
    this.registry.useLoader((id) => this.load(id));
    await this.listen();
    await this.reloadAll();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
  }

  /** Applies one stored provider's current state to the registry. */
  async reload(id: string): Promise<void> {
    const settings = await this.load(id);
    if (settings) this.registry.put(settings);
    else this.registry.remove(id);
  }

  async reloadAll(): Promise<void> {
    const rows = await this.repository.list();
    const present = new Set<string>();
    for (const row of rows) {
      const settings = this.toSettings(row);
      if (!settings) continue;
      present.add(row.id);
      this.registry.put(settings);
    }
    for (const id of this.registry.storedIds()) if (!present.has(id)) this.registry.remove(id);
  }

  private async load(id: string): Promise<OidcProviderSettings | null> {
    const row = await this.repository.find(id);
    return row ? this.toSettings(row) : null;
  }

  /** A disabled provider, or one whose secret does not open, is not offered for sign-in. */
  private toSettings(row: IdentityProviderRecord): OidcProviderSettings | null {
    if (!row.enabled) return null;
    let clientSecret = '';
    if (row.clientSecretEncrypted) {
      try {
        clientSecret = this.secrets.open(row.clientSecretEncrypted, row.id);
      } catch (error) {
        this.logger.error(`identity provider ${row.id} is not offered: its client secret cannot be decrypted (${(error as Error).message})`);
        return null;
      }
    }
    return {
      id: row.id,
      displayName: row.displayName,
      issuer: row.issuer,
      clientId: row.clientId,
      clientSecret,
      clientAuth: row.clientAuth,
      scopes: row.scopes,
      matchClaim: row.matchClaim,
      emailDomains: row.emailDomains,
      access: { trustEmail: row.trustEmail, roleSource: row.roleSource, roleRules: row.roleRules, provisioning: row.provisioning },
      source: 'database',
      version: row.version,
      callbackUrl: providerCallbackUrl(this.config.publicUrl, row.id),
      jwksCooldownMs: this.config.oidc.jwksCooldownSeconds * 1000,
      httpTimeoutMs: this.config.oidc.httpTimeoutMs,
    };
  }

  private async listen(): Promise<void> {
    const options = this.dataSource.options as { url?: string };
    const client = new pg.Client({
      connectionString: options.url,
      application_name: 'frontdoor-provider-listener',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
    });
    client.on('notification', (message) => {
      if (message.channel !== PROVIDER_CHANGES_CHANNEL || !message.payload) return;
      this.reload(message.payload).catch((error: unknown) => this.logger.warn(`reload of identity provider ${message.payload} failed: ${(error as Error).message}`));
    });
    client.on('error', (error) => this.lost(client, error.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    await client.connect();
    await client.query(`LISTEN ${PROVIDER_CHANGES_CHANNEL}`);
    this.client = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
  }

  private lost(client: pg.Client, reason: string): void {
    if (this.stopped || this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.logger.warn(`provider change listener lost (${reason}); reconnecting in ${this.reconnectDelay} ms`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      if (this.stopped) return;
      this.listen()
        .then(() => this.reloadAll())
        .then(() => this.logger.log('provider change listener reconnected; providers reloaded'))
        .catch((error: unknown) => {
          this.logger.warn(`provider change listener could not reconnect: ${(error as Error).message}`);
          this.scheduleReconnect();
        });
    }, delay);
    this.reconnectTimer.unref();
  }
}
