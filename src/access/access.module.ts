import { Global, Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { LoginAdmission } from './login-admission.service.js';
import { RoleSyncService } from './role-sync.service.js';
import { TrustEmailNotice } from './trust-email-notice.js';

/**
 * Who gets in: the trust rules between providers, role rules, users created at first login.
 * The rules are pure functions beside this module (identity-linking.ts, role-rules.ts); the
 * services apply them for the login flow and for anything else that changes what they read.
 */
@Global()
@Module({
  imports: [UsersModule],
  providers: [RoleSyncService, LoginAdmission, TrustEmailNotice],
  exports: [RoleSyncService, LoginAdmission],
})
export class AccessModule {}
