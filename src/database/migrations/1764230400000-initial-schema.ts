import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764230400000 implements MigrationInterface {
  name = 'InitialSchema1764230400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(320) NOT NULL,
        display_name varchar(200) NOT NULL,
        roles text[] NOT NULL DEFAULT '{}',
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_email_lower CHECK (email = lower(email))
      )`);
    await runner.query(`CREATE UNIQUE INDEX users_email_key ON users (email)`);
    await runner.query(`
      CREATE TABLE linked_identities (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        provider_id varchar(64) NOT NULL,
        issuer varchar(512) NOT NULL,
        subject varchar(255) NOT NULL,
        linked_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`CREATE UNIQUE INDEX linked_identities_subject_key ON linked_identities (provider_id, issuer, subject)`);
    await runner.query(`CREATE UNIQUE INDEX linked_identities_user_provider_key ON linked_identities (user_id, provider_id, issuer)`);
    await runner.query(`
      CREATE TABLE sessions (
        sid varchar(128) PRIMARY KEY,
        data jsonb NOT NULL,
        expires_at timestamptz NOT NULL,
        user_id uuid NULL
      )`);
    await runner.query(`CREATE INDEX sessions_expires_at_idx ON sessions (expires_at)`);
    await runner.query(`CREATE INDEX sessions_user_id_idx ON sessions (user_id)`);
    await runner.query(`
      CREATE TABLE api_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash char(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NULL
      )`);
    await runner.query(`CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens (token_hash)`);
    await runner.query(`CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE api_tokens`);
    await runner.query(`DROP TABLE sessions`);
    await runner.query(`DROP TABLE linked_identities`);
    await runner.query(`DROP TABLE users`);
  }
}
