import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SCIM 2.0 provisioning: bearer tokens per identity provider (SHA-256 only, their revocation
 * announced on the revocation channel), the SCIM view of the
 * users a provider's directory created (what the platform's user row does not hold), its groups and
 * their members. `users.provisioned_by` names the provider whose directory created a user: only an
 * identity of that provider may link to it at first login.
 */
export class ScimProvisioning1765500000001 implements MigrationInterface {
  name = 'ScimProvisioning1765500000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE scim_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        provider_id varchar(64) NOT NULL,
        name varchar(100) NOT NULL,
        token_hash char(64) NOT NULL,
        created_by uuid NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NULL
      )`);
    await runner.query(`CREATE UNIQUE INDEX scim_tokens_token_hash_key ON scim_tokens (token_hash)`);
    await runner.query(`CREATE INDEX scim_tokens_provider_id_idx ON scim_tokens (provider_id)`);
    // A revoked SCIM token is announced like a revoked desktop token (migration 1765000100000), so
    // every instance drops its cached copy at once.
    await runner.query(`
      CREATE TRIGGER scim_tokens_notify_delete AFTER DELETE ON scim_tokens
      FOR EACH ROW EXECUTE FUNCTION frontdoor_notify_desktop_token()`);

    await runner.query(`ALTER TABLE users ADD COLUMN provisioned_by varchar(64) NULL`);
    await runner.query(`
      CREATE TABLE scim_users (
        user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        provider_id varchar(64) NOT NULL,
        user_name varchar(320) NOT NULL,
        external_id varchar(255) NULL,
        emails text[] NOT NULL DEFAULT '{}',
        attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
        deleted_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`CREATE INDEX scim_users_user_name_idx ON scim_users (provider_id, lower(user_name))`);
    await runner.query(`CREATE INDEX scim_users_external_id_idx ON scim_users (provider_id, external_id)`);
    await runner.query(`CREATE INDEX scim_users_emails_idx ON scim_users USING gin (emails)`);

    await runner.query(`
      CREATE TABLE scim_groups (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        provider_id varchar(64) NOT NULL,
        display_name varchar(256) NOT NULL,
        external_id varchar(255) NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // displayName is not case-exact (RFC 7643 §4.2): "Admins" and "admins" are one group of a provider.
    await runner.query(`CREATE UNIQUE INDEX scim_groups_display_name_key ON scim_groups (provider_id, lower(display_name))`);
    await runner.query(`
      CREATE TABLE scim_group_members (
        group_id uuid NOT NULL REFERENCES scim_groups(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (group_id, user_id)
      )`);
    await runner.query(`CREATE INDEX scim_group_members_user_id_idx ON scim_group_members (user_id)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE scim_group_members`);
    await runner.query(`DROP TABLE scim_groups`);
    await runner.query(`DROP TABLE scim_users`);
    await runner.query(`ALTER TABLE users DROP COLUMN provisioned_by`);
    await runner.query(`DROP TRIGGER scim_tokens_notify_delete ON scim_tokens`);
    await runner.query(`DROP TABLE scim_tokens`);
  }
}
