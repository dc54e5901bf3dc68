import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which configuration a stored Test result belongs to (a digest; see provider-fingerprint.ts).
 * Results stored before have none, and read as "not tested with this configuration".
 */
export class ProviderTestFingerprint1765900100000 implements MigrationInterface {
  name = 'ProviderTestFingerprint1765900100000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE identity_provider_tests ADD COLUMN config_fingerprint varchar(64)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE identity_provider_tests DROP COLUMN config_fingerprint`);
  }
}
