import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Client authentication toward identity providers: each provider's method, and the signing-key
 * table shared by purpose (forward-auth assertions, client assertions) with a certificate per key.
 */
export class ClientAuthentication1765600000000 implements MigrationInterface {
  name = 'ClientAuthentication1765600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE identity_providers ADD COLUMN client_auth varchar(32) NOT NULL DEFAULT 'client_secret_post'`);
    await runner.query(`ALTER TABLE assertion_signing_keys ADD COLUMN purpose varchar(32) NOT NULL DEFAULT 'forward-auth', ADD COLUMN certificate_pem text`);
    await runner.query(`CREATE INDEX assertion_signing_keys_purpose_active_idx ON assertion_signing_keys (purpose, active_from)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX assertion_signing_keys_purpose_active_idx`);
    await runner.query(`ALTER TABLE assertion_signing_keys DROP COLUMN certificate_pem, DROP COLUMN purpose`);
    await runner.query(`ALTER TABLE identity_providers DROP COLUMN client_auth`);
  }
}
