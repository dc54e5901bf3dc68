import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail names who acted on every event: `actor_id` (an admin, a SCIM token, or the user)
 * and `actor_email` (their email, or the SCIM token's name) as they were when it happened, both
 * indexed for `GET /api/admin/audit?actor=`. Earlier events get theirs from the users table.
 */
export class AuditActor1765500000000 implements MigrationInterface {
  name = 'AuditActor1765500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE audit_events ADD COLUMN actor_email varchar(320) NULL`);
    await runner.query(`CREATE INDEX audit_events_actor_id_idx ON audit_events (actor_id, at)`);
    await runner.query(`CREATE INDEX audit_events_actor_email_idx ON audit_events (lower(actor_email), at)`);
    await runner.query(`UPDATE audit_events e SET actor_email = u.email FROM users u WHERE e.actor_id = u.id`);
    // Events without an actor were the user's own doing (a sign-in, a Studio login), except a provider's logout.
    await runner.query(`
      UPDATE audit_events SET actor_id = user_id, actor_email = email
       WHERE actor_id IS NULL AND user_id IS NOT NULL AND type <> 'logout.backchannel'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX audit_events_actor_email_idx`);
    await runner.query(`DROP INDEX audit_events_actor_id_idx`);
    await runner.query(`ALTER TABLE audit_events DROP COLUMN actor_email`);
  }
}
