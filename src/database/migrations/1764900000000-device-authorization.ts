import type { MigrationInterface, QueryRunner } from 'typeorm';

/** RFC 8628 device authorizations, the `cli` token client, and the user-code guessing limiter's table. */
export class DeviceAuthorization1764900000000 implements MigrationInterface {
  name = 'DeviceAuthorization1764900000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE device_authorizations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        client varchar(32) NOT NULL,
        scope varchar(256) NULL,
        device_code_hash char(64) NOT NULL,
        user_code_hash char(64) NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending',
        user_id uuid NULL REFERENCES users(id) ON DELETE CASCADE,
        requester_ip varchar(64) NOT NULL DEFAULT '',
        requester_agent varchar(512) NOT NULL DEFAULT '',
        interval_seconds integer NOT NULL,
        last_polled_at timestamptz NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        decided_at timestamptz NULL,
        redeemed_at timestamptz NULL,
        CONSTRAINT device_authorizations_client_check CHECK (client IN ('service-studio', 'integration-studio', 'cli')),
        CONSTRAINT device_authorizations_status_check CHECK (status IN ('pending', 'authorized', 'denied', 'redeemed')),
        CONSTRAINT device_authorizations_decided_check CHECK (status = 'pending' OR user_id IS NOT NULL)
      )`);
    await runner.query(`CREATE UNIQUE INDEX device_authorizations_device_code_hash_key ON device_authorizations (device_code_hash)`);
    await runner.query(`CREATE UNIQUE INDEX device_authorizations_user_code_hash_key ON device_authorizations (user_code_hash)`);
    await runner.query(`CREATE INDEX device_authorizations_expires_at_idx ON device_authorizations (expires_at)`);
    await runner.query(`CREATE INDEX device_authorizations_user_id_idx ON device_authorizations (user_id)`);

    await runner.query(`ALTER TABLE desktop_tokens DROP CONSTRAINT desktop_tokens_client_check`);
    await runner.query(`ALTER TABLE desktop_tokens ADD CONSTRAINT desktop_tokens_client_check CHECK (client IN ('service-studio', 'integration-studio', 'cli'))`);

    // The shape rate-limiter-flexible's RateLimiterPostgres uses; created here so no instance runs DDL at start.
    await runner.query(`CREATE TABLE rate_limit_device_codes (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE rate_limit_device_codes`);
    await runner.query(`DELETE FROM desktop_tokens WHERE client = 'cli'`);
    await runner.query(`ALTER TABLE desktop_tokens DROP CONSTRAINT desktop_tokens_client_check`);
    await runner.query(`ALTER TABLE desktop_tokens ADD CONSTRAINT desktop_tokens_client_check CHECK (client IN ('service-studio', 'integration-studio'))`);
    await runner.query(`DROP TABLE device_authorizations`);
  }
}
