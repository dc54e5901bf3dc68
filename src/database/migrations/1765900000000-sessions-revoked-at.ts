import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a user's sessions were last ended by an admin (Revoke, deactivation). A sign-in whose
 * authentication at the provider is older than this is not accepted: the provider's own session
 * would otherwise sign the person straight back in.
 */
export class SessionsRevokedAt1765900000000 implements MigrationInterface {
  name = 'SessionsRevokedAt1765900000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE users ADD COLUMN sessions_revoked_at timestamptz`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE users DROP COLUMN sessions_revoked_at`);
  }
}
