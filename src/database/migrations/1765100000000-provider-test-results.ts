import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ProviderTestResults1765100000000 implements MigrationInterface {
  name = 'ProviderTestResults1765100000000';

  async up(runner: QueryRunner): Promise<void> {
    // One row per provider id, replaced by each Test; no foreign key, as "default" is never a provider row.
    await runner.query(`
      CREATE TABLE identity_provider_tests (
        provider_id varchar(40) PRIMARY KEY,
        ok boolean NOT NULL,
        steps jsonb NOT NULL,
        tested_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE identity_provider_tests`);
  }
}
