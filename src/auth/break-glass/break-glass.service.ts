import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { User } from '../../users/user.entity.js';
import { UsersService } from '../../users/users.service.js';
import { BreakGlassAttemptsRepository } from './break-glass-attempts.repository.js';
import { attemptKeys } from './break-glass-locks.js';
import { verifyPassword } from './break-glass-password.js';

export type BreakGlassOutcome = { ok: true; user: User } | { ok: false; reason: 'bad_credentials' } | { ok: false; reason: 'locked'; retryAfterSeconds: number };

/**
 * Local password sign-in for admins when the identity provider cannot be used. Every refusal
 * looks the same whether or not the account exists, and failures are counted per account and
 * address, per address and per account, each with a lock that grows (break-glass-locks.ts).
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
    const keys = attemptKeys(email, input.ip);
    // Counted before the check: a burst of simultaneous guesses past the limit is refused, not checked.
    // Locked: refused before the password is looked at, and not counted, so the lock ends on time.
    const taken = await this.attempts.take(keys);
    if (!taken) return this.locked(email, Math.max(1, await this.attempts.lockedFor(keys.map(({ key }) => key))));

    const user = email ? await this.users.findWithBreakGlassHash(email) : null;
    const allowed = user?.active && user.roles.includes('admin') ? user.breakGlassPasswordHash : undefined;
    const matches = await verifyPassword(allowed, input.password);
    if (!matches || !user) {
      // The attempt stays counted, with the lock it set: the growing delay is for wrong passwords.
      await this.attempts.prune();
      this.logger.warn('break-glass sign-in refused: wrong email or password');
      await this.audit.record({ type: 'breakglass.login', reason: 'bad_credentials', email });
      return { ok: false, reason: 'bad_credentials' };
    }

    // The right password: this account's mistakes from this address are forgiven, and the attempt is
    // given back to the address and the account (whose counts others' failures share).
    const [own, ...shared] = taken;
    await this.attempts.clear(own.key);
    await this.attempts.giveBack(shared);
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
