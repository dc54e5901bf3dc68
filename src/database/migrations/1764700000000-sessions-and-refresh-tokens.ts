import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions an admin can list and end (a public id apart from the cookie's secret id, when and from
 * where), the provider's `sid` as an indexed column for back-channel logout, logout-token `jti`s
 * kept once, and refresh-token families for the desktop Studios.
 */
export class SessionsAndRefreshTokens1764700000000 implements MigrationInterface {
  name = 'SessionsAndRefreshTokens1764700000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE sessions
        ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid(),
        ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN provider_id varchar(40) NULL,
        ADD COLUMN provider_sid varchar(255) NULL,
        ADD COLUMN ip varchar(64) NULL,
        ADD COLUMN user_agent varchar(512) NULL,
        ADD COLUMN break_glass boolean NOT NULL DEFAULT false`);
    await runner.query(`CREATE UNIQUE INDEX sessions_id_key ON sessions (id)`);
    await runner.query(`CREATE INDEX sessions_provider_sid_idx ON sessions (provider_id, provider_sid) WHERE provider_sid IS NOT NULL`);

    await runner.query(`
      CREATE TABLE logout_token_jtis (
        provider_id varchar(40) NOT NULL,
        jti varchar(255) NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (provider_id, jti)
      )`);
    await runner.query(`CREATE INDEX logout_token_jtis_expires_at_idx ON logout_token_jtis (expires_at)`);

    await runner.query(`
      ALTER TABLE desktop_tokens
        ADD COLUMN family_id uuid NULL,
        ADD COLUMN last_used_at timestamptz NULL`);
    await runner.query(`CREATE INDEX desktop_tokens_family_id_idx ON desktop_tokens (family_id)`);
    // The provider the browser signed in through, so the Studio's refresh stops if it is disabled.
    await runner.query(`ALTER TABLE handoff_tickets ADD COLUMN provider_id varchar(40) NULL`);
    // A refreshed access token has no handoff of its own; the family remembers where it began.
    await runner.query(`
      CREATE TABLE desktop_token_families (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        client varchar(32) NOT NULL,
        provider_id varchar(40) NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await runner.query(`CREATE INDEX desktop_token_families_user_id_idx ON desktop_token_families (user_id)`);
    await runner.query(`CREATE INDEX desktop_token_families_expires_at_idx ON desktop_token_families (expires_at)`);
    await runner.query(`
      CREATE TABLE desktop_refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        family_id uuid NOT NULL REFERENCES desktop_token_families(id) ON DELETE CASCADE,
        token_hash char(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        used_at timestamptz NULL
      )`);
    await runner.query(`CREATE UNIQUE INDEX desktop_refresh_tokens_token_hash_key ON desktop_refresh_tokens (token_hash)`);
    await runner.query(`CREATE INDEX desktop_refresh_tokens_family_id_idx ON desktop_refresh_tokens (family_id)`);
    await runner.query(`
      ALTER TABLE desktop_tokens ADD CONSTRAINT desktop_tokens_family_id_fkey
        FOREIGN KEY (family_id) REFERENCES desktop_token_families(id) ON DELETE CASCADE`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE desktop_tokens DROP CONSTRAINT desktop_tokens_family_id_fkey`);
    await runner.query(`DROP TABLE desktop_refresh_tokens`);
    await runner.query(`DROP TABLE desktop_token_families`);
    await runner.query(`ALTER TABLE handoff_tickets DROP COLUMN provider_id`);
    await runner.query(`ALTER TABLE desktop_tokens DROP COLUMN family_id, DROP COLUMN last_used_at`);
    await runner.query(`DROP TABLE logout_token_jtis`);
    await runner.query(`
      ALTER TABLE sessions DROP COLUMN id, DROP COLUMN created_at, DROP COLUMN last_seen_at, DROP COLUMN provider_id,
        DROP COLUMN provider_sid, DROP COLUMN ip, DROP COLUMN user_agent, DROP COLUMN break_glass`);
  }
}
