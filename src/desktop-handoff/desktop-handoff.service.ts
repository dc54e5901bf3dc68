import { randomBytes } from 'node:crypto';
import { HttpStatus, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { LoginEvents, type RefusedLogin } from '../auth/login-events.js';
import { DomainException } from '../common/domain.exception.js';
import { publicReadiness } from '../identity-providers/public-readiness.js';
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
import type { HandoffDeniedReason } from './handoff-ticket.entity.js';
import { HandoffTicketsRepository, type DenialCondition, type TicketView } from './handoff-tickets.repository.js';
import { isS256Challenge, verifierMatches } from './pkce.js';
import { checkRedirectUri } from './redirect-uri.js';
import { STUDIOS, type StudioDefinition } from './studio-clients.js';

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
    private readonly tickets: HandoffTicketsRepository,
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

  /**
   * Ready when at least one enabled provider passes its (cached) Test; each provider says its own
   * state. Anyone may ask, so a reason is a code and a sentence only: the Test's own messages name
   * URLs and client ids, and stay in LifeTime and the admin API.
   */
  async environment(): Promise<EnvironmentDto> {
    const readiness = publicReadiness(await this.providers.readiness());
    const primary = readiness.providers.find((provider) => provider.ready) ?? readiness.providers[0];
    return {
      name: this.config.environmentName,
      authentication: {
        mode: 'external-idp',
        ready: readiness.ready,
        ...readiness.reason,
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
    const id = await this.tickets.create({ client: input.client, redirectUri: redirect.uri, codeChallenge: input.codeChallenge, expiresAt }, [
      this.audit.alongside({ type: 'handoff.created', details: { client: input.client } }, { details: { handoffId: 'id' } }),
    ]);
    this.logger.log(`req=${requestId} handoff ${id} created for ${input.client}`);
    this.metrics.handoffs.inc({ status: 'created' });
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
  async showInBrowser({ id, user }: Omit<BrowserRequest, 'requestId'>): Promise<{ ticket: TicketView; studio: StudioDefinition }> {
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
    // One statement claims the ticket, mints the code and records the event; only a refusal reads the ticket, to say why.
    const claimed = UUID.test(id)
      ? await this.tickets.claim(
          { id, userId: user.id, providerId: providerId ?? null, codeHash: sha256Hex(code), codeExpiresAt: new Date(Date.now() + CODE_TTL_MS) },
          [this.audit.alongside({ type: 'handoff.authenticated', userId: user.id, email: user.email, details: { handoffId: id } }, { details: { client: 'client' } })],
        )
      : undefined;
    if (!claimed) throw changedMeanwhile(await this.find(id), user);
    this.logger.log(`req=${requestId} handoff ${id} authenticated for user ${user.id}`);
    this.metrics.handoffs.inc({ status: 'authenticated' });
    const openUrl = new URL(claimed.redirectUri);
    openUrl.searchParams.set('handoff', id);
    openUrl.searchParams.set('code', code);
    return { studio: STUDIOS[claimed.client], openUrl: openUrl.toString(), codeExpiresAt: claimed.codeExpiresAt };
  }

  async cancel({ id, user, requestId }: BrowserRequest): Promise<StudioDefinition> {
    const ticket = await this.find(id);
    refuseInBrowser(ticket, user);
    const cancelled = await this.tickets.deny(ticket.id, 'cancelled', { pendingOrClaimedBy: user.id }, [
      this.audit.alongside({ type: 'handoff.cancelled', userId: user.id, email: user.email, details: { handoffId: ticket.id, client: ticket.client } }),
    ]);
    if (!cancelled) throw changedMeanwhile(await this.find(id), user);
    this.logger.log(`req=${requestId} handoff ${ticket.id} cancelled by user ${user.id}`);
    this.metrics.handoffs.inc({ status: 'denied' });
    return STUDIOS[ticket.client];
  }

  /** A browser on its way to a handoff page was refused at sign-in: the Studio stops waiting at once. */
  private async denyAfterRefusedLogin(login: RefusedLogin): Promise<void> {
    const id = HANDOFF_PAGE.exec(login.returnTo)?.[1];
    if (id && (await this.deny(id, login.reason, { pending: true }))) {
      this.logger.log(`handoff ${id} denied: sign-in refused (${login.reason})`);
    }
  }

  /** Denies an open handoff; true when this call changed it. */
  private async deny(id: string, reason: HandoffDeniedReason, condition: DenialCondition): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const denied = await this.tickets.deny(id, reason, condition, [this.audit.alongside({ type: 'handoff.denied', reason, details: { handoffId: id } })]);
    if (!denied) return false;
    this.metrics.handoffs.inc({ status: 'denied' });
    return true;
  }

  /**
   * A wrong code or verifier counts against the handoff; past the limit it is denied for good, so
   * a guesser gets a handful of tries at a 256-bit code, and the Studio learns why at once.
   */
  private async wrongAttempt(ticket: TicketView): Promise<DomainException> {
    let exhausted = false;
    try {
      exhausted = (await this.limits.consume('handoff-redeem', ticket.id))?.remaining === 0;
    } catch (error) {
      if (!(error instanceof DomainException) || error.status !== HttpStatus.TOO_MANY_REQUESTS) throw error;
      exhausted = true;
    }
    if (exhausted && (await this.deny(ticket.id, 'too_many_attempts', { open: true }))) {
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
   * One statement: the conditional UPDATE alone decides (status, expiry, code, verifier and an
   * active user in its WHERE), so of concurrent redemptions one wins, and the token family, its
   * pair and the audit event are written with it, in one round trip and one commit. It compares
   * SHA-256 digests, never the code itself; only when it changes nothing is the ticket read, to
   * say why and to count a wrong code against it.
   */
  private async redeemOnce({ id, grant, requestId }: { id: string; grant: RedeemHandoffDto; requestId: string }): Promise<DesktopTokenResponseDto> {
    const codeHash = sha256Hex(grant.code);
    if (UUID.test(id)) {
      const issue = this.tokens.issueAlongside(id);
      const won = await this.tickets.redeem({ id, codeHash, codeChallenge: s256(grant.codeVerifier) }, [
        issue.write,
        this.audit.alongside({ type: 'handoff.redeemed', details: { handoffId: id } }, { userId: 'user_id', email: 'email' }),
      ]);
      if (won) {
        this.logger.log(`req=${requestId} handoff ${id} redeemed: desktop token for user ${won.userId} (${won.client})`);
        return issue.tokensFor({ id: won.userId, email: won.email, displayName: won.displayName });
      }
    }
    throw await this.whyNotRedeemed(id, codeHash, grant.codeVerifier);
  }

  /** The precise refusal of a redemption that changed nothing; a wrong code or verifier counts against the handoff. */
  private async whyNotRedeemed(id: string, codeHash: string, codeVerifier: string): Promise<DomainException> {
    const ticket = await this.find(id);
    const status = effectiveStatus(ticket);
    if (status !== 'authenticated') return invalidGrant(GRANT_REFUSALS[status]);
    if (!ticket.codeHash || !ticket.codeExpiresAt || ticket.codeExpiresAt.getTime() <= Date.now()) {
      return invalidGrant('The one-time code has expired; open the sign-in page in the browser again');
    }
    // Constant-time comparisons: response timing must not tell a guesser how close a code was.
    if (!sameDigest(codeHash, ticket.codeHash) || !verifierMatches(codeVerifier, ticket.codeChallenge)) return this.wrongAttempt(ticket);
    if (!ticket.userActive) return invalidGrant('The account of this handoff is deactivated');
    return invalidGrant('This handoff was already redeemed, or expired meanwhile');
  }

  private async find(id: string): Promise<TicketView> {
    const ticket = UUID.test(id) ? await this.tickets.find(id) : undefined;
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
