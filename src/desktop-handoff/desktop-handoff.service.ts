import { randomBytes } from 'node:crypto';
import { HttpStatus, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { LoginEvents, type RefusedLogin } from '../auth/login-events.js';
import { DomainException } from '../common/domain.exception.js';
import { ProviderHealthService } from '../identity-providers/provider-health.service.js';
import { s256, sameDigest, sha256Hex } from '../common/secrets.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RateLimitService } from '../limits/rate-limit.service.js';
import type { User } from '../users/user.entity.js';
import { DesktopTokensService } from '../desktop-tokens/desktop-tokens.service.js';
import { MetricsService } from '../observability/metrics.service.js';
import type { CreateHandoffDto } from './dto/create-handoff.dto.js';
import type { DesktopTokenResponseDto } from './dto/desktop-token.dto.js';
import type { EnvironmentDto } from './dto/environment.dto.js';
import type { HandoffCreatedDto, HandoffStatusDto } from './dto/handoff.dto.js';
import type { RedeemHandoffDto } from './dto/redeem-handoff.dto.js';
import { changedMeanwhile, DENIAL_MESSAGES, effectiveStatus, GRANT_REFUSALS, HANDOFF_PAGE, refuseInBrowser } from './handoff-status.js';
import { HandoffTicket, type HandoffDeniedReason } from './handoff-ticket.entity.js';
import { isS256Challenge, verifierMatches } from './pkce.js';
import { checkRedirectUri } from './redirect-uri.js';
import { STUDIOS, type StudioClient, type StudioDefinition } from './studio-clients.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The one-time code is only needed for the moment between the button and the Studio's redemption. */
const CODE_TTL_MS = 2 * 60 * 1000;
const POLL_INTERVAL_SECONDS = 2;

/** What the browser page shows once the ticket is bound to its user. */
export interface BrowserHandoff {
  studio: StudioDefinition;
  /** The redirect URI with `handoff` and the fresh one-time code; it exists in clear only here. */
  openUrl: string;
  codeExpiresAt: Date;
}

/** A browser page request: which handoff, who is signed in, and the request id for the log. */
export interface BrowserRequest {
  id: string;
  user: User;
  requestId: string;
  /** The identity provider of the browser's session. */
  providerId?: string;
}

/** The rules of a Studio login handed to the browser: create, bind to a user, cancel, redeem once. */
@Injectable()
export class DesktopHandoffService implements OnModuleInit {
  private readonly logger = new Logger(DesktopHandoffService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectRepository(HandoffTicket) private readonly tickets: Repository<HandoffTicket>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly providers: ProviderHealthService,
    private readonly tokens: DesktopTokensService,
    private readonly limits: RateLimitService,
    private readonly audit: AuditService,
    private readonly loginEvents: LoginEvents,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.loginEvents.onRefused((login) => this.denyAfterRefusedLogin(login));
  }

  /** Ready when at least one enabled provider passes its (cached) Test; each provider says its own state. */
  async environment(): Promise<EnvironmentDto> {
    const readiness = await this.providers.readiness();
    const primary = readiness.providers.find((provider) => provider.ready) ?? readiness.providers[0];
    return {
      name: this.config.environmentName,
      authentication: {
        mode: 'external-idp',
        ready: readiness.ready,
        ...(readiness.reason && !readiness.ready ? { reason: readiness.reason } : {}),
        provider: primary ? { id: primary.id, displayName: primary.displayName } : { id: '', displayName: '' },
        providers: readiness.providers,
      },
    };
  }

  async create(input: CreateHandoffDto, requestId: string): Promise<HandoffCreatedDto> {
    if (!isS256Challenge(input.codeChallengeMethod, input.codeChallenge)) {
      throw new DomainException('invalid_request', HttpStatus.BAD_REQUEST, 'Only PKCE S256 with a 43-character challenge is accepted');
    }
    const redirect = checkRedirectUri(input.client, input.redirectUri);
    if (!redirect.ok) throw new DomainException('invalid_redirect_uri', HttpStatus.BAD_REQUEST, redirect.reason);
    const expiresAt = new Date(Date.now() + this.config.desktop.handoffTtlSeconds * 1000);
    const { identifiers } = await this.tickets.insert({
      client: input.client,
      redirectUri: redirect.uri,
      codeChallenge: input.codeChallenge,
      status: 'pending',
      expiresAt,
    });
    const id = String(identifiers[0].id);
    this.logger.log(`req=${requestId} handoff ${id} created for ${input.client}`);
    this.metrics.handoffs.inc({ status: 'created' });
    await this.audit.record({ type: 'handoff.created', details: { handoffId: id, client: input.client } });
    return {
      id,
      browserUrl: new URL(`/desktop/handoff/${id}`, this.config.publicUrl).toString(),
      statusUrl: new URL(`/api/desktop/handoffs/${id}`, this.config.publicUrl).toString(),
      expiresAt: expiresAt.toISOString(),
      interval: POLL_INTERVAL_SECONDS,
      message: STUDIOS[input.client].message,
    };
  }

  async status(id: string): Promise<HandoffStatusDto> {
    const ticket = await this.find(id);
    const status = effectiveStatus(ticket);
    const reason = status === 'denied' ? (ticket.deniedReason ?? 'cancelled') : undefined;
    return {
      id: ticket.id,
      client: ticket.client,
      status,
      expiresAt: ticket.expiresAt.toISOString(),
      ...(reason ? { reason, reasonMessage: DENIAL_MESSAGES[reason] } : {}),
    };
  }

  /** The page before the click: who signs in to which Studio. Reads only; nothing is minted by a GET. */
  async showInBrowser({ id, user }: Omit<BrowserRequest, 'requestId'>): Promise<{ ticket: HandoffTicket; studio: StudioDefinition }> {
    const ticket = await this.find(id);
    refuseInBrowser(ticket, user);
    return { ticket, studio: STUDIOS[ticket.client] };
  }

  /**
   * The click on "Open … Studio": the signed-in user claims the ticket and gets a fresh one-time
   * code. Clicking again replaces the code for the same user; another user never takes it over.
   */
  async openInBrowser({ id, user, requestId, providerId }: BrowserRequest): Promise<BrowserHandoff> {
    const code = randomBytes(32).toString('base64url');
    // One statement claims the ticket and mints the code; only a refusal reads the ticket, to say why.
    const result = UUID.test(id)
      ? await this.tickets
          .createQueryBuilder()
          .update(HandoffTicket)
          .set({
            status: 'authenticated',
            userId: user.id,
            providerId: providerId ?? null,
            codeHash: sha256Hex(code),
            codeExpiresAt: () => 'LEAST(:codeExpiresAt, expires_at)',
            authenticatedAt: () => 'COALESCE(authenticated_at, now())',
          })
          .where('id = :id AND expires_at > now()', { id, codeExpiresAt: new Date(Date.now() + CODE_TTL_MS) })
          .andWhere("(status = 'pending' OR (status = 'authenticated' AND user_id = :userId))", { userId: user.id })
          .returning('client, redirect_uri, code_expires_at')
          .execute()
      : undefined;
    const claimed = (result?.raw as Array<{ client: StudioClient; redirect_uri: string; code_expires_at: Date }> | undefined)?.[0];
    if (!claimed) throw changedMeanwhile(await this.find(id), user);
    this.logger.log(`req=${requestId} handoff ${id} authenticated for user ${user.id}`);
    this.metrics.handoffs.inc({ status: 'authenticated' });
    await this.audit.record({ type: 'handoff.authenticated', userId: user.id, email: user.email, details: { handoffId: id, client: claimed.client } });
    const openUrl = new URL(claimed.redirect_uri);
    openUrl.searchParams.set('handoff', id);
    openUrl.searchParams.set('code', code);
    return { studio: STUDIOS[claimed.client], openUrl: openUrl.toString(), codeExpiresAt: claimed.code_expires_at };
  }

  async cancel({ id, user, requestId }: BrowserRequest): Promise<StudioDefinition> {
    const ticket = await this.find(id);
    refuseInBrowser(ticket, user);
    const result = await this.tickets
      .createQueryBuilder()
      .update(HandoffTicket)
      .set({ status: 'denied', deniedReason: 'cancelled', codeHash: null, codeExpiresAt: null })
      .where('id = :id AND expires_at > now()', { id: ticket.id })
      .andWhere("(status = 'pending' OR (status = 'authenticated' AND user_id = :userId))", { userId: user.id })
      .execute();
    if (!result.affected) throw changedMeanwhile(await this.find(id), user);
    this.logger.log(`req=${requestId} handoff ${ticket.id} cancelled by user ${user.id}`);
    this.metrics.handoffs.inc({ status: 'denied' });
    await this.audit.record({ type: 'handoff.cancelled', userId: user.id, email: user.email, details: { handoffId: ticket.id, client: ticket.client } });
    return STUDIOS[ticket.client];
  }

  /** A browser on its way to a handoff page was refused at sign-in: the Studio stops waiting at once. */
  private async denyAfterRefusedLogin(login: RefusedLogin): Promise<void> {
    const id = HANDOFF_PAGE.exec(login.returnTo)?.[1];
    if (id && (await this.deny(id, login.reason, "status = 'pending'"))) {
      this.logger.log(`handoff ${id} denied: sign-in refused (${login.reason})`);
    }
  }

  /** Denies an open handoff; true when this call changed it. */
  private async deny(id: string, reason: HandoffDeniedReason, condition: string): Promise<boolean> {
    const result = await this.tickets
      .createQueryBuilder()
      .update(HandoffTicket)
      .set({ status: 'denied', deniedReason: reason, codeHash: null, codeExpiresAt: null })
      .where('id = :id AND expires_at > now()', { id })
      .andWhere(condition)
      .execute();
    if (!result.affected) return false;
    this.metrics.handoffs.inc({ status: 'denied' });
    await this.audit.record({ type: 'handoff.denied', reason, details: { handoffId: id } });
    return true;
  }

  /**
   * A wrong code or verifier counts against the handoff; past the limit it is denied for good, so
   * a guesser gets a handful of tries at a 256-bit code, and the Studio learns why at once.
   */
  private async wrongAttempt(ticket: HandoffTicket): Promise<DomainException> {
    let exhausted = false;
    try {
      exhausted = (await this.limits.consume('handoff-redeem', ticket.id))?.remaining === 0;
    } catch (error) {
      if (!(error instanceof DomainException) || error.status !== HttpStatus.TOO_MANY_REQUESTS) throw error;
      exhausted = true;
    }
    if (exhausted && (await this.deny(ticket.id, 'too_many_attempts', "status IN ('pending', 'authenticated')"))) {
      this.logger.warn(`handoff ${ticket.id} denied after too many wrong codes`);
      return invalidGrant(`The code or the code verifier does not match this handoff. ${DENIAL_MESSAGES.too_many_attempts}`);
    }
    return invalidGrant('The code or the code verifier does not match this handoff');
  }

  /**
   * Exchanges code + verifier for a desktop token, once. The checks before the UPDATE only make
   * the error precise; the conditional UPDATE alone decides, so of concurrent redemptions one wins.
   */
  async redeem(request: { id: string; grant: RedeemHandoffDto; requestId: string }): Promise<DesktopTokenResponseDto> {
    try {
      const issued = await this.redeemOnce(request);
      this.metrics.handoffs.inc({ status: 'redeemed' });
      await this.audit.record({ type: 'handoff.redeemed', userId: issued.user.id, email: issued.user.email, details: { handoffId: request.id } });
      return issued;
    } catch (error) {
      if (error instanceof DomainException && error.code === 'invalid_grant') {
        this.metrics.handoffs.inc({ status: 'redemption_refused' });
        await this.audit.record({ type: 'handoff.redeemed', outcome: 'failure', reason: 'invalid_grant', details: { handoffId: request.id } });
      }
      throw error;
    }
  }

  /**
   * The conditional UPDATE comes first and alone decides (status, expiry, code, verifier and an
   * active user in its WHERE), so of concurrent redemptions one wins, and a good one costs one
   * transaction of two statements. It compares SHA-256 digests, never the code itself; only when
   * it changes nothing is the ticket read, to say why and to count a wrong code against it.
   */
  private async redeemOnce({ id, grant, requestId }: { id: string; grant: RedeemHandoffDto; requestId: string }): Promise<DesktopTokenResponseDto> {
    const codeHash = sha256Hex(grant.code);
    const issued = UUID.test(id)
      ? await this.dataSource.transaction(async (manager) => {
          const result = await manager
            .createQueryBuilder()
            .update(HandoffTicket)
            .set({ status: 'redeemed', redeemedAt: () => 'now()', codeHash: null })
            .where('id = :id', { id })
            .andWhere("status = 'authenticated' AND expires_at > now() AND code_expires_at > now()")
            .andWhere('code_hash = :codeHash AND code_challenge = :challenge', { codeHash, challenge: s256(grant.codeVerifier) })
            .andWhere('user_id IN (SELECT id FROM users WHERE active)')
            .returning('user_id, client, provider_id')
            .execute();
          const won = (result.raw as { user_id: string; client: StudioClient; provider_id: string | null }[])[0];
          if (!won) return undefined;
          const tokens = await this.tokens.issue({ userId: won.user_id, client: won.client, handoffId: id, providerId: won.provider_id ?? undefined }, manager);
          this.logger.log(`req=${requestId} handoff ${id} redeemed: desktop token for user ${won.user_id} (${won.client})`);
          return tokens;
        })
      : undefined;
    if (issued) return issued;
    throw await this.whyNotRedeemed(id, codeHash, grant.codeVerifier);
  }

  /** The precise refusal of a redemption that changed nothing; a wrong code or verifier counts against the handoff. */
  private async whyNotRedeemed(id: string, codeHash: string, codeVerifier: string): Promise<DomainException> {
    const ticket = await this.find(id, true);
    const status = effectiveStatus(ticket);
    if (status !== 'authenticated') return invalidGrant(GRANT_REFUSALS[status]);
    if (!ticket.codeHash || !ticket.codeExpiresAt || ticket.codeExpiresAt.getTime() <= Date.now()) {
      return invalidGrant('The one-time code has expired; open the sign-in page in the browser again');
    }
    // Constant-time comparisons: response timing must not tell a guesser how close a code was.
    if (!sameDigest(codeHash, ticket.codeHash) || !verifierMatches(codeVerifier, ticket.codeChallenge)) return this.wrongAttempt(ticket);
    if (!ticket.user?.active) return invalidGrant('The account of this handoff is deactivated');
    return invalidGrant('This handoff was already redeemed, or expired meanwhile');
  }

  private async find(id: string, withUser = false): Promise<HandoffTicket> {
    const ticket = UUID.test(id) ? await this.tickets.findOne({ where: { id }, relations: { user: withUser } }) : null;
    if (!ticket) {
      throw new DomainException('handoff_not_found', HttpStatus.NOT_FOUND, 'There is no sign-in with this id.', {
        title: 'Sign-in not found',
        detail: 'Start the login again from the Studio.',
      });
    }
    return ticket;
  }
}

function invalidGrant(message: string): DomainException {
  return new DomainException('invalid_grant', HttpStatus.BAD_REQUEST, message);
}
