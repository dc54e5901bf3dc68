import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Why a handoff was denied (cancelled, the account not registered, too many wrong codes), for the Studio to say. */
export class HandoffDeniedReason1764500000001 implements MigrationInterface {
  name = 'HandoffDeniedReason1764500000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE handoff_tickets ADD COLUMN denied_reason varchar(32) NULL');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE handoff_tickets DROP COLUMN denied_reason');
  }
}
