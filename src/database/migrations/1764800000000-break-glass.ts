import type { MigrationInterface, QueryRunner } from 'typeorm';

export class BreakGlass1764800000000 implements MigrationInterface {
  name = 'BreakGlass1764800000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE users ADD COLUMN break_glass_password_hash varchar(255) NULL`);
    // Failed break-glass sign-ins per account and per address, shared by every instance.
    await runner.query(`
      CREATE TABLE break_glass_attempts (
        key varchar(400) PRIMARY KEY,
        failures integer NOT NULL DEFAULT 0,
        locked_until timestamptz NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE break_glass_attempts`);
    await runner.query(`ALTER TABLE users DROP COLUMN break_glass_password_hash`);
  }
}
