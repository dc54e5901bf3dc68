import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IdentityProviders1764600000000 implements MigrationInterface {
  name = 'IdentityProviders1764600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE identity_providers (
        id varchar(40) PRIMARY KEY,
        display_name varchar(200) NOT NULL,
        issuer varchar(2048) NOT NULL,
        client_id varchar(512) NOT NULL,
        client_secret_encrypted text NULL,
        scopes text[] NOT NULL DEFAULT '{openid,profile,email}',
        match_claim varchar(32) NOT NULL DEFAULT 'email',
        email_domains text[] NOT NULL DEFAULT '{}',
        enabled boolean NOT NULL DEFAULT true,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        -- "default" is the provider OIDC_* configures; a row may never shadow it.
        CONSTRAINT identity_providers_id_check CHECK (id ~ '^[a-z0-9-]{1,40}$' AND id <> 'default'),
        CONSTRAINT identity_providers_match_claim_check CHECK (match_claim IN ('email', 'preferred_username'))
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE identity_providers`);
  }
}
