import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Break-glass counts start over a fixed time after their first failure (`counted_since`), not after
 * a quiet spell: the per-account count must forget an attacker who tries once an hour.
 */
export class BreakGlassAttemptWindows1765300000000 implements MigrationInterface {
  name = 'BreakGlassAttemptWindows1765300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE break_glass_attempts ADD COLUMN counted_since timestamptz NOT NULL DEFAULT now()`);
    await runner.query(`UPDATE break_glass_attempts SET counted_since = updated_at`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE break_glass_attempts DROP COLUMN counted_since`);
  }
}
