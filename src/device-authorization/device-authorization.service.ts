import { randomBytes } from 'node:crypto';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { DomainException } from '../common/domain.exception.js';
import { sha256Hex } from '../common/secrets.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { TokenClient } from '../desktop-handoff/studio-clients.js';
import { DesktopTokensService } from '../desktop-tokens/desktop-tokens.service.js';
import { currentRequest } from '../observability/request-context.js';
import type { User } from '../users/user.entity.js';
import type { DeviceAuthorization } from './device-authorization.entity.js';
import { DeviceAuthorizationRepository } from './device-authorization.repository.js';
import { deviceClientTitle, isDeviceClient } from './device-clients.js';
import { OAuthException } from './oauth-error.js';
import { formatUserCode, newUserCode, normalizeUserCode } from './user-code.js';
import { type Guesser, UserCodeGuessLimiter } from './user-code-guess.limiter.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** RFC 8628 §3.2's answer. */
export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** RFC 6749 §5.1's answer, with the tokens a handoff's redemption gives. */
export interface DeviceTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
}

/** What the confirmation page shows about a pending request. */
export interface PendingDeviceRequest {
  userCode: string;
  clientTitle: string;
  requesterIp: string;
  requestedAt: Date;
  expiresAt: Date;
}

const MAX_SCOPE_LENGTH = 256;

/** RFC 8628 device authorization: codes for a device, the person's decision in a browser, one redemption. */
@Injectable()
export class DeviceAuthorizationService {
  private readonly logger = new Logger(DeviceAuthorizationService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly authorizations: DeviceAuthorizationRepository,
    private readonly limiter: UserCodeGuessLimiter,
    private readonly tokens: DesktopTokensService,
    private readonly audit: AuditService,
  ) {}

  async start(body: Record<string, unknown>): Promise<DeviceAuthorizationResponse> {
    const client = body.client_id;
    if (!isDeviceClient(client)) throw new OAuthException('invalid_client', 'client_id must be service-studio, integration-studio or cli');
    const scope = body.scope === undefined ? null : body.scope;
    if (scope !== null && (typeof scope !== 'string' || scope.length > MAX_SCOPE_LENGTH)) {
      throw new OAuthException('invalid_scope', `scope must be a string of at most ${MAX_SCOPE_LENGTH} characters`);
    }
    // 256 random bits: the device code is the bearer credential of the poll.
    const deviceCode = randomBytes(32).toString('base64url');
    const userCode = newUserCode();
    const request = currentRequest();
    const id = await this.authorizations.insert({
      client,
      scope,
      deviceCodeHash: sha256Hex(deviceCode),
      userCodeHash: sha256Hex(userCode),
      requesterIp: (request?.ip ?? '').slice(0, 64),
      requesterAgent: request?.userAgent ?? '',
      intervalSeconds: this.config.device.pollIntervalSeconds,
      expiresAt: new Date(Date.now() + this.config.device.codeTtlSeconds * 1000),
    });
    await this.authorizations.pruneExpired();
    this.logger.log(`req=${request?.requestId} device authorization ${id} started for ${client}`);
    const verificationUri = new URL('/device', this.config.publicUrl);
    const complete = new URL(verificationUri);
    complete.searchParams.set('user_code', formatUserCode(userCode));
    return {
      device_code: deviceCode,
      user_code: formatUserCode(userCode),
      verification_uri: verificationUri.toString(),
      verification_uri_complete: complete.toString(),
      expires_in: this.config.device.codeTtlSeconds,
      interval: this.config.device.pollIntervalSeconds,
    };
  }

  /** The device-code grant (RFC 8628 §3.4, §3.5). */
  async grant(body: Record<string, unknown>): Promise<DeviceTokenResponse> {
    if (body.grant_type !== DEVICE_CODE_GRANT) throw new OAuthException('unsupported_grant_type', `Only ${DEVICE_CODE_GRANT} is supported here`);
    if (!isDeviceClient(body.client_id)) throw new OAuthException('invalid_client', 'client_id must be service-studio, integration-studio or cli');
    if (typeof body.device_code !== 'string' || body.device_code.length === 0 || body.device_code.length > 128) {
      throw new OAuthException('invalid_request', 'device_code is missing');
    }
    const polled = await this.authorizations.poll(sha256Hex(body.device_code), body.client_id);
    if (!polled) throw new OAuthException('invalid_grant', 'This device code is not known for this client');
    if (polled.status === 'redeemed') throw new OAuthException('invalid_grant', 'This device code was already used');
    if (polled.expired) throw new OAuthException('expired_token', 'The device code has expired; start again');
    if (polled.status === 'denied') throw new OAuthException('access_denied', 'The request was denied in the browser');
    if (polled.tooFast) throw new OAuthException('slow_down', 'Polling faster than the interval; wait 5 seconds longer between polls');
    if (polled.status === 'pending') throw new OAuthException('authorization_pending', 'Waiting for the person to approve in the browser');

    const { won, issued } = await this.dataSource.transaction(async (manager) => {
      const redeemed = await this.authorizations.redeem(manager, polled.id);
      if (!redeemed) throw new OAuthException('invalid_grant', 'This device code was already used, or expired meanwhile');
      return { won: redeemed, issued: await this.issueTokens(manager, redeemed) };
    });
    // Recorded once the token exists for certain (after the commit).
    await this.audit.record({ type: 'device.redeemed', userId: won.userId, details: { deviceAuthorizationId: polled.id, client: won.client } });
    this.logger.log(`req=${currentRequest()?.requestId} device authorization ${polled.id} redeemed: token for user ${won.userId} (${won.client})`);
    return issued;
  }

  /**
   * The one place the device flow issues tokens: the same tokens, lifetimes and revocation as a
   * handoff's redemption, refreshed at `/api/desktop/token/refresh` like a handoff's.
   */
  private async issueTokens(manager: EntityManager, grant: { userId: string; client: TokenClient; providerId: string | null }): Promise<DeviceTokenResponse> {
    const issued = await this.tokens.issue({ userId: grant.userId, client: grant.client, providerId: grant.providerId ?? undefined }, manager);
    return { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, refresh_token: issued.refreshToken };
  }

  /** Finds the pending request a person typed the code of; wrong codes count against the guesser. */
  async lookup(rawUserCode: unknown, guesser: Guesser): Promise<PendingDeviceRequest> {
    // Counted before the code is looked at, and given back when it was right.
    await this.limiter.consume(guesser);
    const userCode = normalizeUserCode(rawUserCode);
    const row = userCode ? await this.authorizations.findByUserCodeHash(sha256Hex(userCode)) : null;
    if (!userCode || !row || row.status !== 'pending' || row.expiresAt.getTime() <= Date.now()) {
      await this.limiter.sweep();
      throw this.unusable(row);
    }
    await this.limiter.refund(guesser);
    return {
      userCode: formatUserCode(userCode),
      clientTitle: deviceClientTitle(row.client),
      requesterIp: row.requesterIp,
      requestedAt: row.createdAt,
      expiresAt: row.expiresAt,
    };
  }

  /** Allow or Deny, once, by the signed-in person. */
  async decide(input: { rawUserCode: unknown; allow: boolean; user: User; providerId?: string; guesser: Guesser }): Promise<{ clientTitle: string }> {
    const pending = await this.lookup(input.rawUserCode, input.guesser);
    const status = input.allow ? 'authorized' : 'denied';
    const decided = await this.authorizations.decide(sha256Hex(normalizeUserCode(input.rawUserCode)!), { status, userId: input.user.id, providerId: input.providerId });
    if (!decided) throw this.unusable(null);
    await this.audit.record({
      type: input.allow ? 'device.authorized' : 'device.denied',
      userId: input.user.id,
      email: input.user.email,
      details: { deviceAuthorizationId: decided.id, client: decided.client },
    });
    this.logger.log(`req=${currentRequest()?.requestId} device authorization ${decided.id} ${status} by user ${input.user.id}`);
    return { clientTitle: pending.clientTitle };
  }

  private unusable(row: DeviceAuthorization | null): DomainException {
    const again = { detail: 'Check the code your device shows, or start the sign-in on the device again.' };
    if (row && row.status !== 'pending') {
      return new DomainException('device_code_used', HttpStatus.GONE, 'This code was already used.', { title: 'This code was already used', ...again });
    }
    if (row) return new DomainException('device_code_expired', HttpStatus.GONE, 'This code has expired.', { title: 'This code has expired', ...again });
    return new DomainException('device_code_unknown', HttpStatus.BAD_REQUEST, 'There is no pending sign-in with this code.', { title: 'Unknown code', ...again });
  }
}
