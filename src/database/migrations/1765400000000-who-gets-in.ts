import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Trust between providers and roles from the provider. Existing providers keep today's meaning
 * (roles set in the platform, users added by hand); existing links stay valid as they are.
 * A linked identity keeps the claims of its last login, so the provider's role rules can be applied
 * again without a login (a rule or a group membership changed).
 */
export class WhoGetsIn1765400000000 implements MigrationInterface {
  name = 'WhoGetsIn1765400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE identity_providers
        ADD COLUMN trust_email boolean NOT NULL DEFAULT false,
        ADD COLUMN role_source varchar(16) NOT NULL DEFAULT 'platform' CHECK (role_source IN ('platform', 'provider')),
        ADD COLUMN role_rules jsonb NOT NULL DEFAULT '[]',
        ADD COLUMN provisioning varchar(16) NOT NULL DEFAULT 'preregistered' CHECK (provisioning IN ('preregistered', 'jit')),
        ADD CONSTRAINT identity_providers_jit_needs_provider_roles CHECK (provisioning = 'preregistered' OR role_source = 'provider')`);
    await runner.query(`
      ALTER TABLE linked_identities
        ADD COLUMN claims jsonb,
        ADD COLUMN claims_at timestamptz`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE linked_identities DROP COLUMN claims_at, DROP COLUMN claims`);
    await runner.query(`
      ALTER TABLE identity_providers
        DROP CONSTRAINT identity_providers_jit_needs_provider_roles,
        DROP COLUMN provisioning, DROP COLUMN role_rules, DROP COLUMN role_source, DROP COLUMN trust_email`);
  }
}
