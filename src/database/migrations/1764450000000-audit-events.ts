import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditEvents1764450000000 implements MigrationInterface {
  name = 'AuditEvents1764450000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE audit_events (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        type varchar(64) NOT NULL,
        outcome varchar(16) NOT NULL,
        reason varchar(64) NULL,
        actor_id uuid NULL,
        user_id uuid NULL,
        email varchar(320) NULL,
        provider_id varchar(40) NULL,
        ip varchar(64) NOT NULL,
        user_agent varchar(512) NOT NULL,
        request_id varchar(64) NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        CONSTRAINT audit_events_outcome_check CHECK (outcome IN ('success', 'failure'))
      )`);
    await runner.query(`CREATE INDEX audit_events_at_id_idx ON audit_events (at, id)`);
    await runner.query(`CREATE INDEX audit_events_type_idx ON audit_events (type)`);
    await runner.query(`CREATE INDEX audit_events_user_id_idx ON audit_events (user_id)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE audit_events`);
  }
}
