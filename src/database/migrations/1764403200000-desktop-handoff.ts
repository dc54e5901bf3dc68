import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DesktopHandoff1764403200000 implements MigrationInterface {
  name = 'DesktopHandoff1764403200000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE handoff_tickets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        client varchar(32) NOT NULL,
        redirect_uri varchar(512) NOT NULL,
        code_challenge char(43) NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending',
        user_id uuid NULL REFERENCES users(id) ON DELETE CASCADE,
        code_hash char(64) NULL,
        code_expires_at timestamptz NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        authenticated_at timestamptz NULL,
        redeemed_at timestamptz NULL,
        CONSTRAINT handoff_tickets_client_check CHECK (client IN ('service-studio', 'integration-studio')),
        CONSTRAINT handoff_tickets_status_check CHECK (status IN ('pending', 'authenticated', 'redeemed', 'denied')),
        CONSTRAINT handoff_tickets_authenticated_check CHECK (status = 'pending' OR status = 'denied' OR user_id IS NOT NULL)
      )`);
    await runner.query(`CREATE INDEX handoff_tickets_user_id_idx ON handoff_tickets (user_id)`);
    await runner.query(`CREATE INDEX handoff_tickets_expires_at_idx ON handoff_tickets (expires_at)`);
    await runner.query(`
      CREATE TABLE desktop_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        client varchar(32) NOT NULL,
        handoff_id uuid NULL REFERENCES handoff_tickets(id) ON DELETE SET NULL,
        token_hash char(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        CONSTRAINT desktop_tokens_client_check CHECK (client IN ('service-studio', 'integration-studio'))
      )`);
    await runner.query(`CREATE UNIQUE INDEX desktop_tokens_token_hash_key ON desktop_tokens (token_hash)`);
    await runner.query(`CREATE UNIQUE INDEX desktop_tokens_handoff_id_key ON desktop_tokens (handoff_id)`);
    await runner.query(`CREATE INDEX desktop_tokens_user_id_idx ON desktop_tokens (user_id)`);
    await runner.query(`CREATE INDEX desktop_tokens_expires_at_idx ON desktop_tokens (expires_at)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE desktop_tokens`);
    await runner.query(`DROP TABLE handoff_tickets`);
  }
}
