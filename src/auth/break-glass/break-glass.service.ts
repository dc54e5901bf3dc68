import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { User } from '../../users/user.entity.js';
import { UsersService } from '../../users/users.service.js';
import { BreakGlassAttemptsRepository, FAILURES_BEFORE_LOCK } from './break-glass-attempts.repository.js';
import { verifyPassword } from './break-glass-password.js';

export type BreakGlassOutcome = { ok: true; user: User } | { ok: false; reason: 'bad_credentials' } | { ok: false; reason: 'locked'; retryAfterSeconds: number };

/**
 * Local password sign-in for admins when the identity provider cannot be used. Every refusal
 * looks the same whether or not the account exists, and failures are counted per account and per
 * address, with a lock that grows after five of them.
 */
@Injectable()
export class BreakGlassService {
  private readonly logger = new Logger(BreakGlassService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly attempts: BreakGlassAttemptsRepository,
    private readonly audit: AuditService,
  ) {}

  get enabled(): boolean {
    return this.config.breakGlass.enabled;
  }

  get sessionSeconds(): number {
    return this.config.breakGlass.sessionSeconds;
  }

  async signIn(input: { email: string; password: string; ip: string }): Promise<BreakGlassOutcome> {
    const email = input.email.trim().toLowerCase().slice(0, 320);
    const keys = [`account:${email}`, `address:${input.ip}`];
    // Locked: refused before the password is looked at, so even the right one does not get in.
    const retryAfterSeconds = await this.attempts.lockedFor(keys);
    if (retryAfterSeconds > 0) return this.locked(email, retryAfterSeconds);

    // Counted before the check: a burst of simultaneous guesses past the limit is refused, not checked.
    const counts = await this.attempts.count(keys);
    if (Math.max(...counts.values()) > FAILURES_BEFORE_LOCK) return this.locked(email, await this.attempts.lock(counts));

    const user = email ? await this.users.findWithBreakGlassHash(email) : null;
    const allowed = user?.active && user.roles.includes('admin') ? user.breakGlassPasswordHash : undefined;
    const matches = await verifyPassword(allowed, input.password);
    if (!matches || !user) {
      await this.attempts.lock(counts);
      this.logger.warn('break-glass sign-in refused: wrong email or password');
      await this.audit.record({ type: 'breakglass.login', reason: 'bad_credentials', email });
      return { ok: false, reason: 'bad_credentials' };
    }

    await this.attempts.clear(keys[0]);
    await this.attempts.uncount(keys[1]);
    this.logger.warn(`BREAK-GLASS sign-in: user ${user.id} opened LifeTime with a local password for ${this.sessionSeconds}s`);
    await this.audit.record({ type: 'breakglass.login', userId: user.id, email: user.email, details: { sessionSeconds: this.sessionSeconds } });
    delete user.breakGlassPasswordHash;
    return { ok: true, user };
  }

  private async locked(email: string, retryAfterSeconds: number): Promise<BreakGlassOutcome> {
    this.logger.warn(`break-glass sign-in refused: locked for ${retryAfterSeconds}s`);
    await this.audit.record({ type: 'breakglass.login', reason: 'locked', email, details: { retryAfterSeconds } });
    return { ok: false, reason: 'locked', retryAfterSeconds };
  }
}
