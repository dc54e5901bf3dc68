import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The provider the approving browser signed in through, so a device's refresh stops when it is disabled (as a handoff's does). */
export class DeviceAuthorizationProvider1765000000000 implements MigrationInterface {
  name = 'DeviceAuthorizationProvider1765000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE device_authorizations ADD COLUMN provider_id varchar(40) NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE device_authorizations DROP COLUMN provider_id`);
  }
}
