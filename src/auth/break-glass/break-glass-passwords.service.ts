import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { DomainException } from '../../common/domain.exception.js';
import type { User } from '../../users/user.entity.js';
import { UsersService } from '../../users/users.service.js';
import { hashPassword, passwordProblem } from './break-glass-password.js';

/** Gives an admin a local break-glass password (the command line's `users set-password`). */
@Injectable()
export class BreakGlassPasswordsService {
  private readonly logger = new Logger(BreakGlassPasswordsService.name);

  constructor(private readonly users: UsersService) {}

  async setPassword(email: string, password: string): Promise<User> {
    const problem = passwordProblem(password);
    if (problem) throw new DomainException('weak_password', HttpStatus.BAD_REQUEST, problem);
    const user = await this.users.findByEmail(email);
    if (!user) throw new DomainException('user_not_found', HttpStatus.NOT_FOUND, `No user with email ${email}`);
    // Break-glass exists to repair sign-in; only those who can repair it get a way in.
    if (!user.active || !user.roles.includes('admin')) {
      throw new DomainException('not_admin', HttpStatus.BAD_REQUEST, `${user.email} is not an active admin; only admins can have a break-glass password`);
    }
    await this.users.setBreakGlassPasswordHash(user.id, await hashPassword(password));
    this.logger.warn(`break-glass password set for user ${user.id}`);
    return user;
  }
}
