import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';

/** The subset of pg.Pool this reads; TypeORM keeps the pool on its driver. */
interface PoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/**
 * The service's Prometheus metrics. One registry per application instance (not prom-client's
 * global one), so two instances in one process — as in the tests — keep their own counts.
 * Labels are provider ids, endpoint names and reason codes only: never a user, token or address.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();

  readonly logins = new Counter({
    name: 'frontdoor_logins_total',
    help: 'Console sign-ins by identity provider, outcome and refusal reason',
    labelNames: ['provider', 'outcome', 'reason'] as const,
    registers: [this.registry],
  });

  readonly handoffs = new Counter({
    name: 'frontdoor_handoffs_total',
    help: 'Desktop handoffs by the status they reached',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly refreshes = new Counter({
    name: 'frontdoor_token_refreshes_total',
    help: 'Desktop token refreshes by outcome (refreshed, refused, reuse_detected)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly reuseDetections = new Counter({
    name: 'frontdoor_refresh_token_reuse_detected_total',
    help: 'Refresh tokens presented a second time (their family was ended)',
    registers: [this.registry],
  });

  readonly backchannelLogouts = new Counter({
    name: 'frontdoor_backchannel_logouts_total',
    help: 'Back-channel logout requests by provider, outcome and refusal reason',
    labelNames: ['provider', 'outcome', 'reason'] as const,
    registers: [this.registry],
  });

  readonly scimRequests = new Counter({
    name: 'frontdoor_scim_requests_total',
    help: 'SCIM requests by operation (users.create, groups.patch, discovery…) and outcome',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly idpCalls = new Histogram({
    name: 'frontdoor_idp_request_duration_seconds',
    help: 'Calls to identity providers by provider and endpoint (discovery, jwks, token, userinfo)',
    labelNames: ['provider', 'endpoint', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    collectDefaultMetrics({ register: this.registry, prefix: 'frontdoor_' });
    const pool = () => (this.dataSource.driver as unknown as { master?: PoolStats }).master;
    new Gauge({
      name: 'frontdoor_db_pool_connections',
      help: 'Database pool connections by state (total, idle, waiting requests)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const stats = pool();
        if (!stats) return;
        this.set({ state: 'total' }, stats.totalCount);
        this.set({ state: 'idle' }, stats.idleCount);
        this.set({ state: 'waiting' }, stats.waitingCount);
      },
    });
  }

  /** Times one identity-provider call; `endpoint` is a fixed name, never a URL. */
  observeIdpCall(provider: string, endpoint: string, seconds: number, ok: boolean): void {
    this.idpCalls.observe({ provider, endpoint, outcome: ok ? 'ok' : 'error' }, seconds);
  }
}
